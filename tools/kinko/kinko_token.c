/* kinko token list | token info, kinko certs, kinko pin change | pin unblock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "kinko_p11.h"

#define TOKEN_RENEW_DAYS 30   /* warn when a certificate has fewer days left than this */

static const char token_help[] =
	"Usage: kinko [GLOBAL OPTIONS] token list\n"
	"       kinko [GLOBAL OPTIONS] token info\n"
	"\n"
	"token list   every token the PKCS#11 module sees (those matching --token URI when\n"
	"             given): label, serial, manufacturer and model, PIN state, free key slots\n"
	"             and the token's pkcs11: URI, to be given to --token when several tokens\n"
	"             are present.\n"
	"token info   the chosen token in detail: the above, PIN lengths, PUK state, versions,\n"
	"             the module, and the key pairs and certificates it holds.\n"
	"\n"
	"PIN state, as the token's PKCS#11 flags tell it (PKCS#11 gives no exact count):\n"
	"  ok                the PIN works; no failed attempt is recorded\n"
	"  must be changed   the PIN is the factory PIN: the next login asks for a new one\n"
	"  wrong PIN entered before (fewer tries left)\n"
	"                    a wrong PIN was entered since the last successful login\n"
	"  1 try left        one more wrong PIN locks it\n"
	"  locked            unblock it with 'kinko pin unblock' (needs the PUK)\n"
	"Free key slots are shown for kinko's own module (PIV slots 9A and 82..95 without a\n"
	"key); other modules do not tell, and the line is left out.\n"
	"\n"
	"Neither command asks for the PIN. With --json: {\"tokens\": [...]} or {\"token\": {...}}.\n"
	"\n"
	"Examples:\n"
	"  kinko token list\n"
	"  kinko --module /usr/lib/softhsm/libsofthsm2.so token info --json\n"
	"  kinko --token 'pkcs11:serial=4242' token info\n";

static const char certs_help[] =
	"Usage: kinko [GLOBAL OPTIONS] certs\n"
	"\n"
	"The certificates on the token that have their key on the token (\"choose the\n"
	"certificate\"): subject CN, issuer CN, validity, key type, the key's CKA_ID and label,\n"
	"and the pkcs11: URI of the certificate, to be given to 'kinko logon --cert URI'.\n"
	"A certificate with fewer than 30 days left is flagged:\n"
	"  warning: expires in 12 days — renew with: kinko renew\n"
	"Key pairs without a certificate (an interrupted enrollment on another tool) are\n"
	"listed after them. No PIN is asked.\n"
	"\n"
	"With --json: {\"certificates\": [{\"cn\", \"issuer_cn\", \"not_before\", \"not_after\",\n"
	"\"days_left\", \"key_type\", \"id\", \"label\", \"uri\", \"warning\"?}], \"keys_without_certificate\":\n"
	"[{\"id\", \"label\", \"key_type\", \"uri\"}]}; times are UTC, ISO 8601.\n"
	"\n"
	"Example:\n"
	"  kinko certs\n";

static const char pin_help[] =
	"Usage: kinko [GLOBAL OPTIONS] pin check\n"
	"       kinko [GLOBAL OPTIONS] pin change\n"
	"       kinko [GLOBAL OPTIONS] pin unblock\n"
	"\n"
	"pin check     asks for the token PIN and logs in with it (\"grant access\"): tells\n"
	"              whether the PIN is right, and does the forced first change below.\n"
	"pin change    asks for the current token PIN, then the new PIN twice, and changes it\n"
	"              (C_SetPIN). The current PIN comes from --pin-file, --pin-fd or token_pin\n"
	"              in --secrets-file when given; the new one from new_pin in --secrets-file.\n"
	"pin unblock   a locked token PIN is reset with the PUK (the unblock code printed on the\n"
	"              token's letter): asks for the PUK and the new PIN twice (C_Login as SO with\n"
	"              the PUK, then C_InitPIN). From --secrets-file: puk and new_pin.\n"
	"\n"
	"Every login asks for a new PIN when the token says its PIN must be changed (a factory\n"
	"PIN), unless --no-pin-change is given.\n"
	"\n"
	"Messages: \"wrong token PIN: 1 try left before it locks\", \"wrong token PIN: more than 1\n"
	"try left (the token does not say how many)\", \"the token PIN is locked: unblock it with\n"
	"'kinko pin unblock' (needs the PUK)\"; the same for the PUK. --verbose adds the PKCS#11\n"
	"code, e.g. (CKR_PIN_INCORRECT). Exit status 3 for a refused PIN or PUK.\n"
	"\n"
	"Example (automation; the file is readable by its owner only):\n"
	"  printf 'token_pin=123456\\nnew_pin=24681357\\n' > secrets; chmod 600 secrets\n"
	"  kinko --secrets-file secrets pin change\n";

static bool token_wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	return false;
}

static int token_usage(const kinko_ctx *ctx)
{
	kinko_err(ctx, NULL, "token: say 'list' or 'info'; see 'kinko help token'");
	return KINKO_EXIT_USAGE;
}

static void token_json_out(json_t *obj)
{
	if (obj) {
		json_dumpf(obj, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
	}
	json_decref(obj);
}

typedef struct {
	char label[40], manuf[40], model[20], serial[20], uri[512];
	const char *pin;
	int free_slots;
} token_desc;

static void token_describe(kinko_ctx *ctx, CK_SLOT_ID slot, const CK_TOKEN_INFO *ti, token_desc *d)
{
	kinko_p11_text(ti->label, sizeof(ti->label), d->label, sizeof(d->label));
	kinko_p11_text(ti->manufacturerID, sizeof(ti->manufacturerID), d->manuf, sizeof(d->manuf));
	kinko_p11_text(ti->model, sizeof(ti->model), d->model, sizeof(d->model));
	kinko_p11_text(ti->serialNumber, sizeof(ti->serialNumber), d->serial, sizeof(d->serial));
	if (!kinko_p11_token_uri(ti, d->uri, sizeof(d->uri)))
		d->uri[0] = '\0';
	d->pin = kinko_p11_pin_state(ti->flags);
	d->free_slots = kinko_p11_free_slots(ctx, slot);
}

static json_t *token_json(const token_desc *d)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "label", d->label, "serial", d->serial,
	                      "manufacturer", d->manuf, "model", d->model, "pin", d->pin, "uri", d->uri);

	if (o && d->free_slots >= 0)
		json_object_set_new(o, "free_key_slots", json_integer(d->free_slots));
	return o;
}

static void token_print(const token_desc *d)
{
	printf("%s\n", d->label);
	printf("  serial:          %s\n", d->serial);
	printf("  manufacturer:    %s, model %s\n", d->manuf, d->model);
	printf("  PIN:             %s\n", d->pin);
	if (d->free_slots >= 0)
		printf("  free key slots:  %d\n", d->free_slots);
	printf("  URI:             %s\n", d->uri);
}

static int token_list(kinko_ctx *ctx)
{
	CK_SLOT_ID *slots = NULL;
	size_t n = 0, i;
	json_t *arr = NULL;
	int r = kinko_p11_load(ctx);

	if (r == KINKO_EXIT_OK)
		r = kinko_p11_tokens(ctx, &slots, &n);
	if (r != KINKO_EXIT_OK)
		return r;
	if (ctx->json)
		arr = json_array();
	else if (n == 0)
		printf("no token found%s\n", ctx->token_uri ? " matching --token" : "");
	for (i = 0; i < n; i++) {
		CK_TOKEN_INFO ti;
		token_desc d;
		CK_RV rv = ctx->p11->C_GetTokenInfo(slots[i], &ti);

		if (rv != CKR_OK)
			continue;   /* removed meanwhile */
		token_describe(ctx, slots[i], &ti, &d);
		if (arr)
			json_array_append_new(arr, token_json(&d));
		else {
			if (i > 0)
				putchar('\n');
			token_print(&d);
		}
	}
	free(slots);
	if (arr)
		token_json_out(json_pack("{s:o}", "tokens", arr));
	return KINKO_EXIT_OK;
}

static const char *token_so_state(CK_FLAGS f)
{
	if (f & CKF_SO_PIN_LOCKED)
		return "locked";
	if (f & CKF_SO_PIN_FINAL_TRY)
		return "1 try left";
	if (f & CKF_SO_PIN_COUNT_LOW)
		return "wrong PUK entered before (fewer tries left)";
	return "ok";
}

static int token_info(kinko_ctx *ctx)
{
	CK_TOKEN_INFO ti;
	CK_INFO mi;
	kinko_keyobj *objs = NULL;
	size_t n = 0, i, keys = 0, certs = 0;
	char lib[40];
	token_desc d;
	CK_RV rv;
	int r = kinko_p11_open(ctx);

	if (r != KINKO_EXIT_OK)
		return r;
	rv = ctx->p11->C_GetTokenInfo(ctx->slot, &ti);
	if (rv != CKR_OK)
		return kinko_p11_fail(ctx, rv, "cannot read the token");
	token_describe(ctx, ctx->slot, &ti, &d);
	if (ctx->p11->C_GetInfo(&mi) != CKR_OK)
		memset(&mi, 0, sizeof(mi));
	kinko_p11_text(mi.libraryDescription, sizeof(mi.libraryDescription), lib, sizeof(lib));
	r = kinko_p11_list(ctx, &objs, &n);
	if (r != KINKO_EXIT_OK)
		return r;
	for (i = 0; i < n; i++) {
		keys += objs[i].priv || objs[i].pub;
		certs += objs[i].cert != 0;
	}
	kinko_keyobj_free(objs, n);
	if (ctx->json) {
		json_t *o = token_json(&d);

		json_object_set_new(o, "pin_length", json_pack("{s:I, s:I}", "min", (json_int_t)ti.ulMinPinLen,
		                                                 "max", (json_int_t)ti.ulMaxPinLen));
		json_object_set_new(o, "pin_must_change", json_boolean(ti.flags & CKF_USER_PIN_TO_BE_CHANGED));
		json_object_set_new(o, "puk", json_string(token_so_state(ti.flags)));
		json_object_set_new(o, "key_pairs", json_integer((json_int_t)keys));
		json_object_set_new(o, "certificates", json_integer((json_int_t)certs));
		json_object_set_new(o, "module", json_string(ctx->module));
		token_json_out(json_pack("{s:o}", "token", o));
		return KINKO_EXIT_OK;
	}
	token_print(&d);
	printf("  PIN length:      %lu to %lu characters\n", (unsigned long)ti.ulMinPinLen,
	       (unsigned long)ti.ulMaxPinLen);
	printf("  PUK (SO PIN):    %s\n", token_so_state(ti.flags));
	printf("  versions:        hardware %u.%u, firmware %u.%u\n", ti.hardwareVersion.major,
	       ti.hardwareVersion.minor, ti.firmwareVersion.major, ti.firmwareVersion.minor);
	printf("  key pairs:       %zu (visible without login)\n", keys);
	printf("  certificates:    %zu\n", certs);
	printf("  module:          %s (%s)\n", ctx->module, lib);
	return KINKO_EXIT_OK;
}

int kinko_cmd_token(kinko_ctx *ctx, int argc, char **argv)
{
	if (token_wants_help(argc, argv)) {
		fputs(token_help, stdout);
		return KINKO_EXIT_OK;
	}
	if (argc != 2)
		return token_usage(ctx);
	if (strcmp(argv[1], "list") == 0)
		return token_list(ctx);
	if (strcmp(argv[1], "info") == 0)
		return token_info(ctx);
	return token_usage(ctx);
}

/* ---- certs ---- */

static void certs_cn(const X509_NAME *name, char *out, size_t cap)
{
	int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	const ASN1_STRING *s = i >= 0 ? X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)) : NULL;
	unsigned char *utf8 = NULL;
	int n = s ? ASN1_STRING_to_UTF8(&utf8, s) : -1;

	if (n < 0 || (size_t)n >= cap)
		snprintf(out, cap, "(no CN)");
	else
		snprintf(out, cap, "%.*s", n, (const char *)utf8);
	OPENSSL_free(utf8);
	kinko_p11_clean_text(out);
}

static void certs_time(const ASN1_TIME *t, bool iso, char *out, size_t cap)
{
	struct tm tm;

	if (ASN1_TIME_to_tm(t, &tm) != 1 ||
	    strftime(out, cap, iso ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d %H:%M UTC", &tm) == 0)
		snprintf(out, cap, "?");
}

static const char *certs_key_type(kinko_key_type t)
{
	return t == KINKO_KEY_RSA2048 ? "RSA" : t == KINKO_KEY_P256 ? "EC" : "unknown";
}

/* "RSA-2048", "EC P-256": from the certificate's key, which tells the size and curve. */
static void certs_key_desc(const kinko_keyobj *k, char *out, size_t cap)
{
	EVP_PKEY *pk = k->x509 ? X509_get0_pubkey(k->x509) : NULL;
	char group[64];
	size_t glen = 0;

	if (pk && EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA)
		snprintf(out, cap, "RSA-%d", EVP_PKEY_get_bits(pk));
	else if (pk && EVP_PKEY_get_base_id(pk) == EVP_PKEY_EC &&
	         EVP_PKEY_get_group_name(pk, group, sizeof(group), &glen) == 1)
		snprintf(out, cap, "EC %s", strcmp(group, "prime256v1") == 0 ? "P-256" : group);
	else
		snprintf(out, cap, "%s", certs_key_type(k->type));
}

static void certs_hex(const CK_BYTE *id, size_t len, char *out, size_t cap)
{
	size_t i;

	out[0] = '\0';
	for (i = 0; i < len && 2 * i + 2 < cap; i++)
		snprintf(out + 2 * i, 3, "%02x", id[i]);
}

/* Whole days left until notAfter, a started day counting as one (11 days 23 hours: 12).
 * *expired when notAfter has passed; then the days are those since, counted the same way. */
static int certs_days_left(X509 *x, bool *expired)
{
	int days = 0, secs = 0;

	*expired = false;
	if (ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(x)) != 1)
		return 0;
	if (days < 0 || secs < 0) {
		*expired = true;
		return days - (secs < 0 ? 1 : 0);
	}
	return days + (secs > 0 ? 1 : 0);
}

static void certs_warning(int days, bool expired, char *out, size_t cap)
{
	out[0] = '\0';
	if (expired)
		snprintf(out, cap, "expired %d day%s ago — renew with: kinko renew", -days,
		         days == -1 ? "" : "s");
	else if (days < TOKEN_RENEW_DAYS)
		snprintf(out, cap, "expires in %d day%s — renew with: kinko renew", days,
		         days == 1 ? "" : "s");
}

static json_t *certs_one(const kinko_keyobj *k, bool json)
{
	char cn[256], issuer[256], nb[40], na[40], id[130], warn[96], kt[80];
	bool expired = false;
	int days = certs_days_left(k->x509, &expired);
	X509_NAME *subj = X509_get_subject_name(k->x509), *iss = X509_get_issuer_name(k->x509);

	certs_cn(subj, cn, sizeof(cn));
	certs_cn(iss, issuer, sizeof(issuer));
	certs_time(X509_get0_notBefore(k->x509), json, nb, sizeof(nb));
	certs_time(X509_get0_notAfter(k->x509), json, na, sizeof(na));
	certs_hex(k->id, k->id_len, id, sizeof(id));
	certs_warning(days, expired, warn, sizeof(warn));
	certs_key_desc(k, kt, sizeof(kt));
	if (json) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s}", "cn", cn,
		                      "issuer_cn", issuer, "not_before", nb, "not_after", na,
		                      "days_left", days, "key_type", kt, "id", id,
		                      "label", k->label, "uri", k->uri);

		if (o && warn[0])
			json_object_set_new(o, "warning", json_string(warn));
		return o;
	}
	printf("%s\n", cn);
	printf("  issuer:     %s\n", issuer);
	printf("  valid:      %s to %s\n", nb, na);
	if (warn[0])
		printf("  warning:    %s\n", warn);
	printf("  key:        %s, id %s%s%s\n", kt, id, k->label[0] ? ", label " : "",
	       k->label);
	printf("  URI:        %s\n", k->uri);
	return NULL;
}

int kinko_cmd_certs(kinko_ctx *ctx, int argc, char **argv)
{
	kinko_keyobj *objs = NULL;
	size_t n = 0, i, shown = 0;
	json_t *certs = NULL, *bare = NULL;
	int r;

	if (token_wants_help(argc, argv)) {
		fputs(certs_help, stdout);
		return KINKO_EXIT_OK;
	}
	if (argc != 1) {
		kinko_err(ctx, NULL, "certs takes no arguments; see 'kinko help certs'");
		return KINKO_EXIT_USAGE;
	}
	r = kinko_p11_list(ctx, &objs, &n);
	if (r != KINKO_EXIT_OK)
		return r;
	if (ctx->json) {
		certs = json_array();
		bare = json_array();
	}
	for (i = 0; i < n; i++) {
		if (!objs[i].x509 || !(objs[i].priv || objs[i].pub))
			continue;
		if (certs)
			json_array_append_new(certs, certs_one(&objs[i], true));
		else {
			if (shown > 0)
				putchar('\n');
			certs_one(&objs[i], false);
		}
		shown++;
	}
	if (!certs && shown == 0)
		printf("no certificate with its key on the token\n");
	for (i = 0; i < n; i++) {
		char id[130];

		if (objs[i].cert || !(objs[i].priv || objs[i].pub))
			continue;
		certs_hex(objs[i].id, objs[i].id_len, id, sizeof(id));
		if (bare)
			json_array_append_new(bare, json_pack("{s:s, s:s, s:s, s:s}", "id", id, "label",
			                                      objs[i].label, "key_type",
			                                      certs_key_type(objs[i].type), "uri", objs[i].uri));
		else
			printf("key without certificate: %s, id %s%s%s\n", certs_key_type(objs[i].type), id,
			       objs[i].label[0] ? ", label " : "", objs[i].label);
	}
	kinko_keyobj_free(objs, n);
	if (certs)
		token_json_out(json_pack("{s:o, s:o}", "certificates", certs, "keys_without_certificate",
		                         bare));
	return KINKO_EXIT_OK;
}

/* ---- pin ---- */

static int pin_done(const kinko_ctx *ctx, const char *what)
{
	if (ctx->json)
		token_json_out(json_pack("{s:s}", "pin", what));
	else
		printf("token PIN %s\n", what);
	return KINKO_EXIT_OK;
}

static int pin_change(kinko_ctx *ctx)
{
	char old[KINKO_SECRET_MAX], fresh[KINKO_SECRET_MAX];
	CK_TOKEN_INFO ti;
	CK_RV rv;
	int r = kinko_p11_open(ctx);

	if (r != KINKO_EXIT_OK)
		return r;
	rv = ctx->p11->C_GetTokenInfo(ctx->slot, &ti);
	if (rv != CKR_OK)
		return kinko_p11_fail(ctx, rv, "cannot read the token");
	if (ti.flags & CKF_USER_PIN_LOCKED)
		return kinko_p11_pin_refused(ctx, CKR_PIN_LOCKED, false);
	r = kinko_secret_read(ctx, "token_pin", "current token PIN", old, sizeof(old));
	if (r != KINKO_EXIT_OK)
		return r;
	r = kinko_secret_read_new(ctx, "new_pin", "new token PIN", fresh, sizeof(fresh));
	if (r != KINKO_EXIT_OK) {
		OPENSSL_cleanse(old, sizeof(old));
		return r;
	}
	rv = ctx->p11->C_SetPIN(ctx->session, (CK_UTF8CHAR *)old, strlen(old), (CK_UTF8CHAR *)fresh,
	                        strlen(fresh));
	OPENSSL_cleanse(old, sizeof(old));
	OPENSSL_cleanse(fresh, sizeof(fresh));
	if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED)
		return kinko_p11_pin_refused(ctx, rv, false);
	if (rv == CKR_PIN_LEN_RANGE || rv == CKR_PIN_INVALID) {
		kinko_err(ctx, kinko_ckr_name(rv), "the new token PIN must have %lu to %lu characters",
		          (unsigned long)ti.ulMinPinLen, (unsigned long)ti.ulMaxPinLen);
		return KINKO_EXIT_TOKEN;
	}
	if (rv != CKR_OK)
		return kinko_p11_fail(ctx, rv, "cannot change the token PIN");
	kinko_p11_note_stale_pin_file(ctx);
	return pin_done(ctx, "changed");
}

static int pin_unblock(kinko_ctx *ctx)
{
	char puk[KINKO_SECRET_MAX], fresh[KINKO_SECRET_MAX];
	CK_TOKEN_INFO ti;
	CK_RV rv;
	int r = kinko_p11_open(ctx);

	if (r != KINKO_EXIT_OK)
		return r;
	rv = ctx->p11->C_GetTokenInfo(ctx->slot, &ti);
	if (rv != CKR_OK)
		return kinko_p11_fail(ctx, rv, "cannot read the token");
	if (ti.flags & CKF_SO_PIN_LOCKED)
		return kinko_p11_pin_refused(ctx, CKR_PIN_LOCKED, true);
	r = kinko_secret_read(ctx, "puk", "PUK", puk, sizeof(puk));
	if (r != KINKO_EXIT_OK)
		return r;
	r = kinko_secret_read_new(ctx, "new_pin", "new token PIN", fresh, sizeof(fresh));
	if (r != KINKO_EXIT_OK) {
		OPENSSL_cleanse(puk, sizeof(puk));
		return r;
	}
	/* PUK as the SO PIN (kinko's module checks it at C_InitPIN, SoftHSM2 at C_Login). */
	rv = ctx->p11->C_Login(ctx->session, CKU_SO, (CK_UTF8CHAR *)puk, strlen(puk));
	OPENSSL_cleanse(puk, sizeof(puk));
	if (rv == CKR_OK)
		rv = ctx->p11->C_InitPIN(ctx->session, (CK_UTF8CHAR *)fresh, strlen(fresh));
	OPENSSL_cleanse(fresh, sizeof(fresh));
	ctx->p11->C_Logout(ctx->session);
	if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED)
		return kinko_p11_pin_refused(ctx, rv, true);
	if (rv == CKR_PIN_LEN_RANGE || rv == CKR_PIN_INVALID) {
		kinko_err(ctx, kinko_ckr_name(rv), "the new token PIN must have %lu to %lu characters",
		          (unsigned long)ti.ulMinPinLen, (unsigned long)ti.ulMaxPinLen);
		return KINKO_EXIT_TOKEN;
	}
	if (rv != CKR_OK)
		return kinko_p11_fail(ctx, rv, "cannot unblock the token PIN");
	return pin_done(ctx, "unblocked and set");
}

static int pin_check(kinko_ctx *ctx)
{
	int r = kinko_p11_login(ctx);

	return r == KINKO_EXIT_OK ? pin_done(ctx, "accepted") : r;
}

int kinko_cmd_pin(kinko_ctx *ctx, int argc, char **argv)
{
	if (token_wants_help(argc, argv)) {
		fputs(pin_help, stdout);
		return KINKO_EXIT_OK;
	}
	if (argc == 2 && strcmp(argv[1], "check") == 0)
		return pin_check(ctx);
	if (argc == 2 && strcmp(argv[1], "change") == 0)
		return pin_change(ctx);
	if (argc == 2 && strcmp(argv[1], "unblock") == 0)
		return pin_unblock(ctx);
	/* "pin check 1234": a PIN typed as an argument; never repeat it, say how to give it. */
	if (argc > 2 || (argc == 2 && strpbrk(argv[1], "0123456789"))) {
		kinko_err(ctx, NULL, "a PIN is never an argument on the command line: kinko asks for it "
		          "on the terminal without echo, or reads it from --pin-file F, --pin-fd N or "
		          "--secrets-file F (token_pin=, puk=, new_pin=); see 'kinko help pin'");
		return KINKO_EXIT_USAGE;
	}
	kinko_err(ctx, NULL, "pin: say 'check', 'change' or 'unblock'; see 'kinko help pin'");
	return KINKO_EXIT_USAGE;
}
