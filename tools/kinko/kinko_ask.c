/* The order and the form of what the bank flows ask: the token is chosen before any secret, and
 * a bank secret or card digits of the wrong form are asked again at once on a terminal, so a
 * typo never throws away everything the user typed before it. */
#include "i18n.h"
#include "kinko_ask.h"
#include "kinko_p11.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#define ASK_ATTEMPTS 3
#define ASK_FILE_MAX 8192

bool kinko_ask_bank_pin_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 4 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

bool kinko_ask_card_digits_ok(const char *s, char out[3])
{
	size_t k = 0;
	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '\t')
			continue;
		if (!isdigit((unsigned char)*s) || k == 2) {
			OPENSSL_cleanse(out, 3);
			return false;
		}
		out[k++] = *s;
	}
	out[k] = '\0';
	return k == 2;
}

/* Does the secrets file have a key= line? (Then the value comes from there, not the terminal.) */
static bool ask_in_secrets_file(const kinko_ctx *ctx, const char *key)
{
	if (ctx->secrets_file == NULL)
		return false;
	FILE *f = fopen(ctx->secrets_file, "re");
	if (f == NULL)
		return false;
	char line[ASK_FILE_MAX];
	size_t k = strlen(key);
	bool found = false;
	while (!found && fgets(line, sizeof line, f) != NULL)
		found = strncmp(line, key, k) == 0 && line[k] == '=';
	OPENSSL_cleanse(line, sizeof line);
	fclose(f);
	return found;
}

/* Read (new: kinko_secret_read_new) until check() accepts the answer, as described in
 * kinko_ask.h. */
static int ask_checked(const kinko_ctx *ctx, bool new_secret, const char *key, const char *prompt,
                       bool (*check)(const char *), const char *form, char *buf, size_t cap)
{
	bool from_file = ask_in_secrets_file(ctx, key);
	for (int attempt = 1;; attempt++) {
		int rc = new_secret ? kinko_secret_read_new(ctx, key, prompt, buf, cap) :
		                      kinko_secret_read(ctx, key, prompt, buf, cap);
		if (rc != KINKO_EXIT_OK || check(buf))
			return rc;
		OPENSSL_cleanse(buf, cap);
		if (from_file) {
			/* form: the caller's translated rule, a sentence of its own. */
			kinko_err(ctx, "secret_invalid", NULL,
			          _("%s in the secrets file %s is not of the right form: %s"), key,
			          ctx->secrets_file, form);
			return KINKO_EXIT_USAGE;
		}
		if (attempt == ASK_ATTEMPTS) {
			kinko_err(ctx, "secret_invalid", NULL,
			          _("the %s was not of the right form %d times (%s)"), prompt,
			          ASK_ATTEMPTS, form);
			return KINKO_EXIT_USAGE;
		}
		kinko_err(ctx, "secret_invalid", NULL,
		          _("that is not of the right form (%s); try again"), form);
	}
}

int kinko_ask_secret(const kinko_ctx *ctx, const char *key, const char *prompt,
                     bool (*check)(const char *), const char *form, char *buf, size_t cap)
{
	return ask_checked(ctx, false, key, prompt, check, form, buf, cap);
}

int kinko_ask_new_secret(const kinko_ctx *ctx, const char *key, const char *prompt,
                         bool (*check)(const char *), const char *form, char *buf, size_t cap)
{
	return ask_checked(ctx, true, key, prompt, check, form, buf, cap);
}

/* The number the user typed, 1..n; 0 for anything else. */
static size_t ask_number(FILE *tty, size_t n)
{
	char line[32];
	if (fgets(line, sizeof line, tty) == NULL)
		return 0;
	char *end;
	unsigned long v = strtoul(line, &end, 10);
	while (*end == ' ' || *end == '\r' || *end == '\n')
		end++;
	return end != line && *end == '\0' && v >= 1 && v <= n ? (size_t)v : 0;
}

int kinko_ask_token(kinko_ctx *ctx)
{
	/* The chosen token's URI: it stands as --token for the rest of the run. */
	static char chosen[512];
	if (ctx->token_uri != NULL || !isatty(STDIN_FILENO))
		return KINKO_EXIT_OK;
	CK_SLOT_ID *slots = NULL;
	size_t n = 0;
	int rc = kinko_p11_load(ctx);
	if (rc == KINKO_EXIT_OK)
		rc = kinko_p11_tokens(ctx, &slots, &n);
	if (rc != KINKO_EXIT_OK || n < 2) {
		free(slots);
		return rc;
	}
	FILE *tty = fopen("/dev/tty", "r+e");
	if (tty == NULL) {
		free(slots);
		return KINKO_EXIT_OK;
	}
	CK_TOKEN_INFO *ti = calloc(n, sizeof *ti);
	rc = ti != NULL ? KINKO_EXIT_OK : KINKO_EXIT_FAIL;
	for (size_t i = 0; rc == KINKO_EXIT_OK && i < n; i++) {
		CK_RV rv = ctx->p11->C_GetTokenInfo(slots[i], &ti[i]);
		if (rv != CKR_OK)
			rc = kinko_p11_fail(ctx, rv, _("cannot read a token"));
	}
	if (rc == KINKO_EXIT_OK) {
		fputs(_("Choose the token:\n"), tty);
		for (size_t i = 0; i < n; i++) {
			char label[40], serial[20];
			kinko_p11_text(ti[i].label, sizeof ti[i].label, label, sizeof label);
			kinko_p11_text(ti[i].serialNumber, sizeof ti[i].serialNumber, serial,
			               sizeof serial);
			fprintf(tty, _("  %zu) %s (serial %s)\n"), i + 1, label, serial);
		}
		/* TRANSLATORS: the prompt for the number of the token in the list above. */
		fputs(_("number: "), tty);
		fflush(tty);
		size_t pick = ask_number(tty, n);
		if (pick == 0) {
			kinko_err(ctx, "usage", NULL, _("no token chosen"));
			rc = KINKO_EXIT_USAGE;
		} else if (!kinko_p11_token_uri(&ti[pick - 1], chosen, sizeof chosen)) {
			kinko_err(ctx, "token_uri_too_long", NULL,
			          _("the chosen token cannot be named by a pkcs11: URI"));
			rc = KINKO_EXIT_FAIL;
		} else {
			ctx->token_uri = chosen;
		}
	}
	fclose(tty);
	free(ti);
	free(slots);
	return rc;
}
