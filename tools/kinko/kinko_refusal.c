/* The bank's refusal of a secret, said in the user's terms: which secret (by the manuals' letter)
 * and how many tries are left, from the fields kinko-bankd adds; the bank's own sentence when it
 * adds none (another bank, an older kinko-bankd). */
#include "kinko_refusal.h"
#include "i18n.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void kinko_refusal_init(kinko_refusal *r)
{
	memset(r, 0, sizeof *r);
	r->tries_left = -1;
}

/* The header's value, blanks and CR LF trimmed, into out; false when it is not that header or
 * the value does not fit. */
static bool refusal_value(const char *line, size_t n, const char *name, char *out, size_t cap)
{
	size_t k = strlen(name);
	if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':')
		return false;
	const char *v = line + k + 1, *end = line + n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
		end--;
	if ((size_t)(end - v) >= cap)
		return false;
	memcpy(out, v, (size_t)(end - v));
	out[end - v] = '\0';
	return true;
}

void kinko_refusal_header(kinko_refusal *r, const char *line, size_t n)
{
	char v[sizeof r->secret];
	if (refusal_value(line, n, "Kinko-Wrong-Secret", v, sizeof v)) {
		/* Names only: anything else is not ours to print. */
		if (v[0] != '\0' && strspn(v, "abcdefghijklmnopqrstuvwxyz_,") == strlen(v))
			memcpy(r->secret, v, strlen(v) + 1);
	} else if (refusal_value(line, n, "Kinko-Tries-Left", v, sizeof v)) {
		if (v[0] != '\0' && strlen(v) <= 6 && strspn(v, "0123456789") == strlen(v))
			r->tries_left = strtol(v, NULL, 10);
	} else if (refusal_value(line, n, "Kinko-Locked", v, sizeof v)) {
		if (strcmp(v, "contract") == 0 || strcmp(v, "user") == 0)
			memcpy(r->locked, v, strlen(v) + 1);
	}
}

void kinko_refusal_json(kinko_refusal *r, const json_t *reply)
{
	const char *secret = json_string_value(json_object_get(reply, "secret"));
	json_t *tries = json_object_get(reply, "tries_left");
	/* Names only, as for the header: anything else is not ours to print. */
	if (secret != NULL && secret[0] != '\0' && strlen(secret) < sizeof r->secret &&
	    strspn(secret, "abcdefghijklmnopqrstuvwxyz_,") == strlen(secret))
		memcpy(r->secret, secret, strlen(secret) + 1);
	if (json_is_integer(tries) && json_integer_value(tries) >= 0 &&
	    json_integer_value(tries) < 1000000)
		r->tries_left = (long)json_integer_value(tries);
	if (json_is_true(json_object_get(reply, "locked")))
		snprintf(r->locked, sizeof r->locked, "yes");
}

/* A secret's name in the manuals' terms, translated; NULL for a name kinko does not know. */
static const char *refusal_secret_words(const char *name, size_t n)
{
	/* TRANSLATORS: the secret the bank refused, as the subject of "… is wrong"; keep the
	 * manuals' letter. */
	static const i18n_word names[] = {
		{"contract_pin", N_("the contract PIN (イ)")},
		{"contract_confirmation_pin", N_("the contract confirmation PIN (ロ)")},
		{"user_pin", N_("the user PIN (ト)")},
		{"user_confirmation_pin", N_("the user confirmation PIN (チ)")},
		{"card_digits", N_("the customer card digits")},
	};
	return i18n_words_find(names, sizeof names / sizeof names[0], name, n);
}

/* "the contract PIN (イ) and the contract confirmation PIN (ロ)"; false for an unknown name. */
static bool refusal_secrets(const char *list, char *out, size_t cap)
{
	size_t used = 0;
	out[0] = '\0';
	for (const char *p = list; *p != '\0';) {
		size_t n = strcspn(p, ",");
		const char *w = refusal_secret_words(p, n);
		if (w == NULL)
			return false;
		char both[256];
		/* TRANSLATORS: two secrets the bank refused together, e.g. "the contract PIN (イ) and
		 * the contract confirmation PIN (ロ)". */
		if (used > 0 &&
		    snprintf(both, sizeof both, _("%s and %s"), out, w) < (int)sizeof both)
			w = both;
		else if (used > 0)
			return false;
		int k = snprintf(out, cap, "%s", w);
		if (k < 0 || (size_t)k >= cap)
			return false;
		used = (size_t)k;
		p += n + (p[n] == ',');
	}
	return used > 0;
}

/* Does the list hold only the user's secrets (ト, チ)? Then the user, not the contract, locks. */
static bool refusal_is_user(const char *list)
{
	return strncmp(list, "user_", 5) == 0;
}

void kinko_refusal_text(const kinko_refusal *r, const char *bank_says, char *out, size_t cap)
{
	char what[256];
	bool named = r->secret[0] != '\0' && refusal_secrets(r->secret, what, sizeof what);
	bool user = named ? refusal_is_user(r->secret) : strcmp(r->locked, "user") == 0;
	const char *says =
		bank_says != NULL && bank_says[0] != '\0' ? bank_says : _("no reason given");
	if (strcmp(r->locked, "contract") == 0 || strcmp(r->locked, "user") == 0 ||
	    (r->locked[0] != '\0' && named)) {
		snprintf(
			out, cap, "%s",
			user ? _("the bank refused: this user is locked after 5 wrong answers; the admin "
		                 "must register the user's PINs again (kinko admin user change)") :
			       _("the bank refused: the contract is locked after 5 wrong answers; the bank "
		                 "must unlock it"));
		return;
	}
	if (!named) {
		snprintf(out, cap, _("the bank refused: %s"), says);
		return;
	}
	/* Whole sentences per case: Japanese puts "is wrong" after the secret. */
	if (r->tries_left < 0)
		snprintf(out, cap, _("the bank refused %s"), what);
	else if (r->tries_left == 0 && user)
		snprintf(out, cap,
		         _("the bank refused %s: no try left, this user is now locked; the admin "
		           "must register the user's PINs again"),
		         what);
	else if (r->tries_left == 0)
		snprintf(out, cap,
		         _("the bank refused %s: no try left, the contract is now locked; the "
		           "bank must unlock it"),
		         what);
	else
		snprintf(out, cap,
		         P_("the bank refused %s: %ld try left",
		            "the bank refused %s: %ld tries left", r->tries_left),
		         what, r->tries_left);
}

/* The stable code of the refusal for --json: which situation, never its wording. */
static const char *refusal_code(const kinko_refusal *r)
{
	bool named = r->secret[0] != '\0' &&
	             refusal_secret_words(r->secret, strcspn(r->secret, ",")) != NULL;
	bool user = named ? refusal_is_user(r->secret) : strcmp(r->locked, "user") == 0;
	if (r->locked[0] != '\0' && (named || strcmp(r->locked, "yes") != 0))
		return user ? "user_locked" : "contract_locked";
	if (r->locked[0] != '\0')
		return "locked";
	if (r->tries_left == 0 && named)
		return user ? "user_locked" : "contract_locked";
	return named ? "wrong_secret" : "bank_refused";
}

void kinko_refusal_report(const kinko_ctx *ctx, const kinko_refusal *r, const char *bank_says,
                          long http_status)
{
	char text[512], detail[64];
	kinko_refusal_text(r, bank_says, text, sizeof text);
	snprintf(detail, sizeof detail, "HTTP %ld", http_status);
	if (r->secret[0] != '\0')
		kinko_err_field_str(ctx, "secret", r->secret);
	if (r->tries_left >= 0)
		kinko_err_field_int(ctx, "tries_left", r->tries_left);
	if (r->locked[0] != '\0')
		kinko_err_field_str(ctx, "locked", r->locked);
	kinko_err(ctx, refusal_code(r), detail, "%s", text);
}
