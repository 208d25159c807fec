/* The bank's JSON API over mutual TLS with the token key: requests, the session file, and the
 * logon itself (PIN, then the admin's customer-card digits). The commands are in
 * kinko_bank_cmd.c. */
#include "kinko_bank.h"
#include "kinko_bank_int.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "i18n.h"
#include "kinko_ask.h"
#include "kinko_est.h"
#include "kinko_refusal.h"
#include "kinko_signal.h"
#include "kinko_text.h"

#define REPLY_MAX (1024 * 1024) /* the bank's answers are small: more is not the bank */
#define CARD_ROWS 5
#define CARD_COLS 10

int kinko_bank_host_port(const char *bank_url, char *out, size_t len)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
	int rc = -1;
	if (u == NULL || curl_url_set(u, CURLUPART_URL, bank_url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK)
		goto out;
	if (strcmp(scheme, "https") != 0 || (strcmp(path, "/") != 0 && path[0] != '\0'))
		goto out;
	/* The name of a file: letters, digits, '.', '-' only ('_' separates the port). */
	for (const char *p = host; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
			goto out;
	int n = snprintf(out, len, "%s_%s", host, port);
	rc = n > 0 && (size_t)n < len ? 0 : -1;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_url_cleanup(u);
	return rc;
}

int bank_dir(const char *fallback, const char *sub, char *out, size_t len)
{
	const char *state = getenv("KINKO_STATE_DIR"), *home = getenv("HOME");
	int n;
	if (state != NULL && state[0] != '\0')
		n = snprintf(out, len, "%s%s%s", state, sub[0] ? "/" : "", sub);
	else if (home != NULL && home[0] != '\0')
		n = snprintf(out, len, "%s/%s%s%s", home, fallback, sub[0] ? "/" : "", sub);
	else
		return -1;
	return n > 0 && (size_t)n < len ? 0 : -1;
}

int kinko_bank_ca_path(const char *bank_url, char *out, size_t len)
{
	char hp[256], dir[3072];
	if (kinko_bank_host_port(bank_url, hp, sizeof hp) != 0 ||
	    bank_dir(".config/kinko", "banks", dir, sizeof dir) != 0)
		return -1;
	int n = snprintf(out, len, "%s/%s.pem", dir, hp);
	return n > 0 && (size_t)n < len ? 0 : -1;
}

struct reply {
	char *buf;
	size_t len;
	bool too_big;
};

static size_t bank_write_cb(char *data, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	size_t add = size * n;
	if (add > REPLY_MAX - r->len) {
		r->too_big = true;
		return 0;
	}
	/* Not realloc: the answer holds the session token, and no copy may stay behind. */
	char *p = malloc(r->len + add + 1);
	if (p == NULL)
		return 0;
	if (r->buf != NULL) {
		memcpy(p, r->buf, r->len);
		OPENSSL_cleanse(r->buf, r->len);
		free(r->buf);
	}
	memcpy(p + r->len, data, add);
	r->buf = p;
	r->len += add;
	p[r->len] = '\0';
	return add;
}

/* A transport failure in the user's terms, by its cause: the token under the TLS error first. */
static int bank_curl_error(const kinko_bank *b, CURLcode rc, const char *errbuf, bool too_big)
{
	const char *detail = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
	if (rc == CURLE_ABORTED_BY_CALLBACK && kinko_signal_caught())
		return kinko_signal_report(b->ctx);
	if (too_big) {
		kinko_err(b->ctx, "answer_too_long", detail,
		          _("the bank's answer is too long (over %d KiB)"), REPLY_MAX / 1024);
		return KINKO_EXIT_BANK;
	}
	int why = rc != CURLE_PEER_FAILED_VERIFICATION && rc != CURLE_SSL_CACERT_BADFILE &&
	                          b->tls != NULL ?
	                  kinko_tls_token_failure(b->ctx, detail) :
	                  KINKO_EXIT_OK;
	if (why != KINKO_EXIT_OK)
		return why;
	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
		kinko_err(
			b->ctx, "bank_not_authentic", detail,
			_("the server at %s is not the bank: its TLS certificate is not from the bank's CA"),
			b->url);
		return KINKO_EXIT_VERIFY;
	case CURLE_SSL_CERTPROBLEM:
		kinko_err(b->ctx, "token_sign_failed", detail,
		          _("the token key could not be used for the TLS connection"));
		return KINKO_EXIT_TOKEN;
	case CURLE_SSL_CACERT_BADFILE:
		kinko_err(b->ctx, "cacert_unreadable", detail,
		          _("cannot read the bank's CA certificate %s"), b->cacert);
		return KINKO_EXIT_FAIL;
	default:
		kinko_err(b->ctx, "bank_unreachable", detail, _("cannot reach the bank at %s"),
		          b->url);
		return KINKO_EXIT_NETWORK;
	}
}

/* Wipe the secrets of a request body before it is freed. */
static void bank_json_wipe(json_t *j)
{
	const char *k;
	json_t *v;
	json_object_foreach(j, k, v) if (json_is_string(v))
		OPENSSL_cleanse((char *)json_string_value(v), json_string_length(v));
}

int bank_call(kinko_bank *b, const char *method, const char *path, json_t *body, long *status,
              json_t **out)
{
	*out = NULL;
	*status = 0;
	char url[2048], errbuf[CURL_ERROR_SIZE] = "", cookie[64];
	size_t ul = strlen(b->url);
	while (ul > 0 && b->url[ul - 1] == '/')
		ul--;
	if (snprintf(url, sizeof url, "%.*s%s", (int)ul, b->url, path) >= (int)sizeof url)
		return KINKO_EXIT_USAGE;
	CURL *c = curl_easy_init();
	if (c == NULL)
		return KINKO_EXIT_FAIL;
	struct reply r = {NULL, 0, false};
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
	struct curl_slist *h2 = hdr ? curl_slist_append(hdr, "Accept: application/json") : NULL;
	h2 = h2 ? curl_slist_append(h2, kinko_est_accept_language()) : NULL;
	char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
	int rc = KINKO_EXIT_FAIL;
	if (h2 == NULL || (body != NULL && text == NULL) ||
	    kinko_tls_setup(b->ctx, b->tls, c, b->cacert) != KINKO_EXIT_OK)
		goto out;
	hdr = h2;
	CURLcode e = CURLE_OK;
	e = e ? e : curl_easy_setopt(c, CURLOPT_URL, url);
	e = e ? e : curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	e = e ? e : curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, bank_write_cb);
	e = e ? e : curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
	e = e ? e : curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	e = e ? e : curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 15L);
	e = e ? e : curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	e = e ? e : curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (strcmp(method, "POST") == 0)
		e = e ? e : curl_easy_setopt(c, CURLOPT_POSTFIELDS, text != NULL ? text : "{}");
	if (b->session[0] != '\0') {
		snprintf(cookie, sizeof cookie, "kinko_session=%s", b->session);
		e = e ? e : curl_easy_setopt(c, CURLOPT_COOKIE, cookie);
	}
	if (e != CURLE_OK) {
		kinko_err(b->ctx, "internal", curl_easy_strerror(e),
		          _("cannot set up the request"));
		goto out;
	}
	e = curl_easy_perform(c);
	if (e != CURLE_OK) {
		rc = bank_curl_error(b, e, errbuf, r.too_big);
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	json_error_t je;
	*out = r.buf != NULL ? json_loadb(r.buf, r.len, 0, &je) : NULL;
	if (*out == NULL || !json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		char d[32];
		snprintf(d, sizeof d, "HTTP %ld", *status);
		kinko_err(b->ctx, "bank_answer_invalid", d,
		          _("the bank's answer to %s is not understood"), path);
		goto out;
	}
	/* Whatever reads the answer from here on (the error, the status screen) prints it. */
	kinko_text_clean_json(*out);
	rc = KINKO_EXIT_OK;
out:
	if (text != NULL) {
		OPENSSL_cleanse(text, strlen(text));
		free(text);
	}
	if (body != NULL)
		bank_json_wipe(body);
	if (r.buf != NULL)
		OPENSSL_cleanse(r.buf, r.len);
	free(r.buf);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	return rc;
}

/* Is s a stable code (snake_case) rather than a sentence? */
static bool bank_is_code(const char *s)
{
	return s != NULL && s[0] != '\0' && strlen(s) < 64 &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(s);
}

int bank_refused(kinko_bank *b, long status, json_t *reply)
{
	/* kinko-bankd's "error" is its sentence (in the Accept-Language asked for); a bank that
	 * gives a stable code ("code", or an "error" that is one) has its sentence in "message". */
	const char *err = json_string_value(json_object_get(reply, "error"));
	const char *msg = json_string_value(json_object_get(reply, "message"));
	const char *code = json_string_value(json_object_get(reply, "code"));
	if (!bank_is_code(code))
		code = bank_is_code(err) ? err : NULL;
	const char *why = msg != NULL ? msg : err != NULL && err != code ? err : NULL;
	char d[600];
	snprintf(d, sizeof d, "HTTP %ld", status);
	/* A session's 401 that names no secret: the session is gone (never logged on, or ended
	 * after 10 minutes idle). kinko's own words; the bank's under --verbose. */
	if (status == 401 && b->session[0] != '\0' && json_object_get(reply, "secret") == NULL) {
		bank_session_forget(b);
		if (why != NULL)
			snprintf(d, sizeof d, "HTTP %ld: %s", status, why);
		if (b->cert_name[0] != '\0')
			kinko_err(b->ctx, "not_logged_on", d,
			          _("not logged on to %s with %s: run kinko logon --bank %s"),
			          b->url, b->cert_name, b->url);
		else
			kinko_err(b->ctx, "not_logged_on", d,
			          _("not logged on to %s: run kinko logon --bank %s"), b->url,
			          b->url);
		return KINKO_EXIT_BANK;
	}
	if (status != 401 && status != 403) {
		kinko_err(b->ctx, code != NULL ? code : "bank_refused", d,
		          _("the bank refused: %s"), why != NULL ? why : _("no reason given"));
		return status >= 400 && status < 500 ? KINKO_EXIT_BANK : KINKO_EXIT_FAIL;
	}
	/* Which secret, and the tries left, from kinko-bankd's fields (JSON API contract). */
	kinko_refusal ref;
	kinko_refusal_init(&ref);
	kinko_refusal_json(&ref, reply);
	/* Locked, naming no secret: whose lock follows from the certificate's role. */
	if (strcmp(ref.locked, "yes") == 0 && ref.secret[0] == '\0')
		snprintf(ref.locked, sizeof ref.locked, "%s",
		         strstr(b->cert_name, " (admin)") != NULL ? "contract" : "user");
	kinko_refusal_report(b->ctx, &ref, why, status);
	return KINKO_EXIT_BANK;
}

/* The card_file= line of the secrets file (a path, not a secret). 1 found, 0 not. */
static int bank_card_file(const kinko_ctx *ctx, char *out, size_t len)
{
	if (ctx->secrets_file == NULL)
		return 0;
	FILE *f = fopen(ctx->secrets_file, "re");
	if (f == NULL)
		return 0;
	char line[4200];
	int found = 0;
	while (!found && fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strncmp(line, "card_file=", 10) == 0 && line[10] != '\0' &&
		    snprintf(out, len, "%s", line + 10) < (int)len)
			found = 1;
	}
	OPENSSL_cleanse(line, sizeof line);
	fclose(f);
	return found;
}

/* The grid kinko-bankd prints at `contract add`: a header of column numbers 0-9, then rows
 * "A d d d d d d d d d d" to "E …". Other lines are ignored. */
int bank_card_parse(const char *text, char grid[CARD_ROWS * CARD_COLS])
{
	int rows = 0;
	while (*text != '\0') {
		const char *p = text;
		const char *end = strchr(text, '\n');
		size_t n = end != NULL ? (size_t)(end - text) : strlen(text);
		text += n + (end != NULL);
		while (p < text && (*p == ' ' || *p == '\t'))
			p++;
		if (p >= text || *p < 'A' || *p >= 'A' + CARD_ROWS || (p[1] != ' ' && p[1] != '\t'))
			continue;
		int row = *p - 'A', col = 0;
		char digits[CARD_COLS];
		for (p++; p < text && *p != '\n'; p++) {
			if (*p == ' ' || *p == '\t' || *p == '\r')
				continue;
			if (!isdigit((unsigned char)*p) || col == CARD_COLS)
				break;
			digits[col++] = *p;
		}
		if (col == CARD_COLS && (p >= text || *p == '\n')) {
			memcpy(grid + row * CARD_COLS, digits, CARD_COLS);
			rows |= 1 << row;
		}
		OPENSSL_cleanse(digits, sizeof digits);
	}
	return rows == (1 << CARD_ROWS) - 1 ? 0 : -1;
}

/* A position such as "C3": its index in the grid, or -1. */
static int bank_card_index(const char *pos)
{
	if (pos == NULL || strlen(pos) != 2 || pos[0] < 'A' || pos[0] >= 'A' + CARD_ROWS ||
	    !isdigit((unsigned char)pos[1]))
		return -1;
	return (pos[0] - 'A') * CARD_COLS + (pos[1] - '0');
}

static bool bank_card_form_ok(const char *s)
{
	char d[3];
	bool ok = kinko_ask_card_digits_ok(s, d);
	OPENSSL_cleanse(d, sizeof d);
	return ok;
}

/* The digits at the two positions the bank names: from the card file, or asked. */
static int bank_card_digits(kinko_bank *b, const char *p1, const char *p2, char digits[3])
{
	char path[4096], text[4096], grid[CARD_ROWS * CARD_COLS];
	int i1 = bank_card_index(p1), i2 = bank_card_index(p2), rc = KINKO_EXIT_OK;
	if (i1 < 0 || i2 < 0) {
		kinko_err(b->ctx, "bank_answer_invalid", NULL,
		          _("the bank asked for card positions that do not exist"));
		return KINKO_EXIT_FAIL;
	}
	if (bank_card_file(b->ctx, path, sizeof path)) {
		kinko_progress(
			b->ctx,
			_("customer card: the bank asks for the digits at %s and %s (read from %s)\n"),
			p1, p2, path);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, text, sizeof text - 1) : -1;
		if (fd >= 0)
			close(fd);
		text[n > 0 ? n : 0] = '\0';
		if (n < 0) {
			kinko_err(b->ctx, "card_file_unreadable", NULL,
			          _("cannot read the customer card file %s"), path);
			rc = KINKO_EXIT_USAGE;
		} else if (bank_card_parse(text, grid) != 0) {
			kinko_err(b->ctx, "card_file_invalid", NULL,
			          _("%s is not a customer card as kinko-bankd prints it"), path);
			rc = KINKO_EXIT_USAGE;
		} else {
			digits[0] = grid[i1];
			digits[1] = grid[i2];
			digits[2] = '\0';
		}
	} else {
		char prompt[256];
		/* TRANSLATORS: the prompt for the one-time password: the digits of the customer card
		 * at two positions such as C3 and A7. */
		snprintf(prompt, sizeof prompt, _("customer card: digits at %s and %s"), p1, p2);
		/* A typo is asked again here: the PIN was already accepted by the bank. */
		rc = kinko_ask_secret(b->ctx, "card_digits", prompt, bank_card_form_ok,
		                      _("give the two digits of the card, e.g. 47"), text,
		                      sizeof text);
		if (rc == KINKO_EXIT_OK)
			kinko_ask_card_digits_ok(text, digits);
	}
	OPENSSL_cleanse(text, sizeof text);
	OPENSSL_cleanse(grid, sizeof grid);
	return rc;
}

/* The role the certificate was issued for: OU "admin" or a user ID. */
static int bank_is_admin(const kinko_keyobj *k)
{
	char ou[64];
	X509_NAME *n = X509_get_subject_name(k->x509);
	return X509_NAME_get_text_by_NID(n, NID_organizationalUnitName, ou, sizeof ou) > 0 &&
	       strcmp(ou, "admin") == 0;
}

static int bank_otp(kinko_bank *b, json_t **reply, long *status)
{
	json_t *pos = json_object_get(json_object_get(*reply, "otp"), "positions");
	const char *id = json_string_value(json_object_get(*reply, "logon_id"));
	const char *p1 = json_string_value(json_array_get(pos, 0));
	const char *p2 = json_string_value(json_array_get(pos, 1));
	char digits[3] = "", logon_id[40];
	if (id == NULL || p1 == NULL || p2 == NULL || strlen(id) >= sizeof logon_id) {
		kinko_err(b->ctx, "bank_answer_invalid", NULL,
		          _("the bank's one-time password request is not understood"));
		return KINKO_EXIT_FAIL;
	}
	snprintf(logon_id, sizeof logon_id, "%s", id);
	int rc = bank_card_digits(b, p1, p2, digits);
	json_decref(*reply);
	*reply = NULL;
	if (rc != KINKO_EXIT_OK)
		return rc;
	json_t *body = json_pack("{s:s,s:s}", "logon_id", logon_id, "digits", digits);
	OPENSSL_cleanse(digits, sizeof digits);
	if (body == NULL)
		return KINKO_EXIT_FAIL;
	rc = bank_call(b, "POST", "/api/logon/otp", body, status, reply);
	json_decref(body);
	return rc;
}

const char *bank_pin_form(void)
{
	return _("a bank PIN has 4 to 64 letters, digits or symbols");
}

int bank_pin_body(kinko_ctx *ctx, const char *name, const char *prompt, const char *field,
                  json_t **body)
{
	char pin[KINKO_SECRET_MAX];
	int rc = kinko_ask_secret(ctx, name, prompt, kinko_ask_bank_pin_ok, bank_pin_form(), pin,
	                          sizeof pin);
	*body = rc == KINKO_EXIT_OK ? json_pack("{s:s}", field, pin) : NULL;
	OPENSSL_cleanse(pin, sizeof pin);
	if (rc != KINKO_EXIT_OK)
		return rc;
	return *body != NULL ? KINKO_EXIT_OK : KINKO_EXIT_FAIL;
}

int bank_logon(kinko_bank *b, const kinko_keyobj *k, json_t **status_out)
{
	*status_out = NULL;
	int admin = bank_is_admin(k);
	json_t *body = NULL, *reply = NULL;
	int rc = bank_pin_body(b->ctx, admin ? "contract_pin" : "user_pin",
	                       admin ? _("contract PIN (イ)") : _("user PIN (ト)"), "pin", &body);
	if (rc != KINKO_EXIT_OK)
		return rc;
	long status;
	b->session[0] = '\0';
	rc = bank_call(b, "POST", "/api/logon", body, &status, &reply);
	json_decref(body);
	if (rc == KINKO_EXIT_OK && status == 200 && json_object_get(reply, "otp") != NULL)
		rc = bank_otp(b, &reply, &status);
	if (rc != KINKO_EXIT_OK) {
		json_decref(reply);
		return rc;
	}
	if (status != 200) {
		rc = bank_refused(b, status, reply);
		json_decref(reply);
		return rc;
	}
	const char *s = json_string_value(json_object_get(reply, "session"));
	json_t *st = json_object_get(reply, "status");
	if (s == NULL || strlen(s) != 32 || !json_is_object(st)) {
		json_decref(reply);
		kinko_err(b->ctx, "bank_answer_invalid", NULL,
		          _("the bank's logon answer is not understood"));
		return KINKO_EXIT_FAIL;
	}
	memcpy(b->session, s, 33);
	*status_out = json_incref(st);
	json_decref(reply);
	return KINKO_EXIT_OK;
}

int kinko_bank_logon_check(kinko_ctx *ctx, const char *bank_url, const char *cacert,
                           const kinko_keyobj *k)
{
	kinko_bank b;
	char ca[4096];
	memset(&b, 0, sizeof b);
	b.ctx = ctx;
	b.url = bank_url;
	if (cacert == NULL) {
		if (kinko_bank_ca_path(bank_url, ca, sizeof ca) != 0) {
			kinko_err(ctx, "usage", NULL,
			          _("%s is not a bank URL (https://host[:port])"), bank_url);
			return KINKO_EXIT_USAGE;
		}
		cacert = ca;
	}
	b.cacert = cacert;
	bank_cert_name(k->x509, b.cert_name, sizeof b.cert_name);
	int rc = kinko_tls_open(ctx, k, &b.tls);
	json_t *st = NULL, *reply = NULL;
	if (rc == KINKO_EXIT_OK)
		rc = bank_logon(&b, k, &st);
	json_decref(st);
	long status;
	if (rc == KINKO_EXIT_OK &&
	    bank_call(&b, "POST", "/api/logoff", NULL, &status, &reply) == KINKO_EXIT_OK &&
	    status != 200)
		kinko_progress(
			ctx,
			_("the bank did not end the check's session; it ends after 10 minutes idle\n"));
	json_decref(reply);
	OPENSSL_cleanse(b.session, sizeof b.session);
	kinko_tls_free(b.tls);
	return rc;
}
