/* kinko certs: the certificates on the token with their keys, and keys left without one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "i18n.h"
#include "kinko_cmd.h"
#include "kinko_crl.h"

#define CERTS_RENEW_DAYS 30 /* warn when a certificate has fewer days left than this */

/* TRANSLATORS: keep the command words, the JSON keys and the JSON values in quotes. */
static const char *const certs_help = N_(
	"Usage: kinko [GLOBAL OPTIONS] certs\n"
	"\n"
	"The certificates on the token that have their key on the token (\"choose the\n"
	"certificate\"): subject CN, issuer CN, validity, key type, the key's CKA_ID and label,\n"
	"and the pkcs11: URI of the certificate, to be given to 'kinko logon --cert URI'.\n"
	"A certificate with fewer than 30 days left is flagged:\n"
	"  warning: expires in 12 days — renew with: kinko renew\n"
	"An expired or revoked certificate cannot be renewed (the bank refuses): it must be\n"
	"obtained again with kinko enroll, within the bank's 80-day window, or the bank asked.\n"
	"Revocation: the bank's CRL (the certificate's CRL distribution point) is fetched and\n"
	"checked with the bank's CA pinned under ~/.config/kinko/banks/: \"not revoked\",\n"
	"\"REVOKED by the bank (reason)\", or \"unknown\" with why (the CRL out of reach, the CA\n"
	"not pinned); the listing never fails for it.\n"
	"Key pairs without a certificate (an interrupted enrollment) are listed after them with\n"
	"their URI and how to remove them: kinko key delete URI. No PIN is asked.\n"
	"\n"
	"With --json: {\"certificates\": [{\"cn\", \"issuer_cn\", \"not_before\", \"not_after\",\n"
	"\"days_left\", \"expired\", \"revocation\", \"revocation_detail\", \"key_type\", \"id\", \"label\",\n"
	"\"uri\", \"warning\"?}], \"keys_without_certificate\": [{\"id\", \"label\", \"key_type\", \"uri\",\n"
	"\"hint\"}]}; times are UTC, ISO 8601; revocation: \"not revoked\", \"revoked\", \"unknown\" or\n"
	"\"not checked\" (the certificate names no CRL).\n"
	"\n"
	"Example:\n"
	"  kinko certs\n");

static void certs_cn(const X509_NAME *name, bool json, char *out, size_t cap)
{
	int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	const ASN1_STRING *s =
		i >= 0 ? X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)) : NULL;
	unsigned char *utf8 = NULL;
	int n = s ? ASN1_STRING_to_UTF8(&utf8, s) : -1;

	if (n < 0 || (size_t)n >= cap)
		snprintf(out, cap, "%s", json ? "(no CN)" : _("(no CN)"));
	else
		snprintf(out, cap, "%.*s", n, (const char *)utf8);
	OPENSSL_free(utf8);
	kinko_p11_clean_text(out);
}

/* JSON: ISO 8601 UTC, whatever the language; text: the date in the user's language. */
static void certs_time(const ASN1_TIME *t, bool iso, char *out, size_t cap)
{
	struct tm tm;
	size_t n;

	if (ASN1_TIME_to_tm(t, &tm) != 1)
		n = 0;
	else if (iso)
		n = strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
	else
		n = i18n_date_format(&tm, out, cap);
	if (n == 0)
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
 * *expired when notAfter has passed; then minus the whole days since (3 days 5 s ago: -3). */
static int certs_days_left(X509 *x, bool *expired)
{
	int days = 0, secs = 0;

	*expired = false;
	if (ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(x)) != 1)
		return 0;
	if (days < 0 || secs < 0) {
		*expired = true;
		return days;
	}
	return days + (secs > 0 ? 1 : 0);
}

/* The bank renews only a valid certificate: an expired or revoked one must be obtained again.
 * JSON's "warning" stays English (a script's value); the text is the user's language, each
 * case one whole sentence. */
static void certs_warning(int days, bool expired, kinko_crl_state rs, bool json, char *out,
                          size_t cap)
{
	static const char again[] =
		"the bank does not renew it: obtain a new one with kinko enroll "
		"(within the bank's 80-day window) or ask the bank";

	out[0] = '\0';
	if (json) {
		if (expired && days == 0)
			snprintf(out, cap, "expired less than a day ago — %s", again);
		else if (expired)
			snprintf(out, cap, "expired %d day%s ago — %s", -days,
			         days == -1 ? "" : "s", again);
		else if (rs == KINKO_CRL_REVOKED)
			snprintf(out, cap, "revoked by the bank: it can no longer be used — %s",
			         again);
		else if (days < CERTS_RENEW_DAYS)
			snprintf(out, cap, "expires in %d day%s — renew with: kinko renew", days,
			         days == 1 ? "" : "s");
	} else if (expired && days == 0) {
		snprintf(
			out, cap, "%s",
			_("expired less than a day ago — the bank does not renew it: "
		          "obtain a new one with kinko enroll (within the bank's 80-day window) or ask "
		          "the bank"));
	} else if (expired) {
		snprintf(out, cap,
		         P_("expired %d day ago — the bank does not renew it: obtain a new "
		            "one with kinko enroll (within the bank's 80-day window) or ask "
		            "the bank",
		            "expired %d days ago — the bank does not renew it: obtain a new "
		            "one with kinko enroll (within the bank's 80-day window) or ask "
		            "the bank",
		            -days),
		         -days);
	} else if (rs == KINKO_CRL_REVOKED) {
		snprintf(
			out, cap, "%s",
			_("revoked by the bank: it can no longer be used — the bank "
		          "does not renew it: obtain a new one with kinko enroll (within the bank's "
		          "80-day window) or ask the bank"));
	} else if (days < CERTS_RENEW_DAYS) {
		snprintf(out, cap,
		         P_("expires in %d day — renew with: kinko renew",
		            "expires in %d days — renew with: kinko renew", days),
		         days);
	}
}

static const char *certs_revocation_word(kinko_crl_state st)
{
	switch (st) {
	case KINKO_CRL_GOOD: return "not revoked";
	case KINKO_CRL_REVOKED: return "revoked";
	case KINKO_CRL_NOT_CHECKED: return "not checked";
	default: return "unknown";
	}
}

/* "revocation: ..." in words: the state and why (or the reason of a revocation). */
static void certs_revocation_text(kinko_crl_state st, const char *detail, char *out, size_t cap)
{
	if (st == KINKO_CRL_REVOKED && detail[0])
		/* TRANSLATORS: %s is the reason of the revocation. */
		snprintf(out, cap, _("REVOKED by the bank (%s)"), detail);
	else if (st == KINKO_CRL_REVOKED)
		snprintf(out, cap, "%s", _("REVOKED by the bank"));
	else if (st == KINKO_CRL_GOOD)
		snprintf(out, cap, _("not revoked (%s)"), detail);
	else if (st == KINKO_CRL_NOT_CHECKED)
		snprintf(out, cap, _("not checked (%s)"), detail);
	else
		snprintf(out, cap, _("unknown: %s"), detail);
}

static json_t *certs_one(const kinko_keyobj *k, bool json)
{
	char cn[256], issuer[256], nb[40], na[40], id[130], warn[256], kt[80], rdetail[512],
		rtext[600];
	bool expired = false;
	int days = certs_days_left(k->x509, &expired);
	kinko_crl_state rs = kinko_crl_check(k->x509, rdetail, sizeof(rdetail));
	X509_NAME *subj = X509_get_subject_name(k->x509), *iss = X509_get_issuer_name(k->x509);

	certs_cn(subj, json, cn, sizeof(cn));
	certs_cn(iss, json, issuer, sizeof(issuer));
	certs_time(X509_get0_notBefore(k->x509), json, nb, sizeof(nb));
	certs_time(X509_get0_notAfter(k->x509), json, na, sizeof(na));
	certs_hex(k->id, k->id_len, id, sizeof(id));
	certs_warning(days, expired, rs, json, warn, sizeof(warn));
	kinko_p11_clean_text(rdetail);
	certs_revocation_text(rs, rdetail, rtext, sizeof(rtext));
	certs_key_desc(k, kt, sizeof(kt));
	if (json) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s}", "cn", cn,
		                      "issuer_cn", issuer, "not_before", nb, "not_after", na,
		                      "days_left", days, "key_type", kt, "id", id, "label",
		                      k->label, "uri", k->uri);

		if (o && warn[0])
			json_object_set_new(o, "warning", json_string(warn));
		if (o) {
			json_object_set_new(o, "expired", json_boolean(expired));
			json_object_set_new(o, "revocation",
			                    json_string(certs_revocation_word(rs)));
			json_object_set_new(o, "revocation_detail", json_string(rdetail));
		}
		return o;
	}
	printf("%s\n", cn);
	printf(_("  issuer:     %s\n"), issuer);
	/* TRANSLATORS: the validity, from the first day to the last. */
	printf(_("  valid:      %s to %s\n"), nb, na);
	printf(_("  revocation: %s\n"), rtext);
	if (warn[0])
		printf(_("  warning:    %s\n"), warn);
	if (k->label[0])
		printf(_("  key:        %s, id %s, label %s\n"), kt, id, k->label);
	else
		printf(_("  key:        %s, id %s\n"), kt, id);
	printf(_("  URI:        %s\n"), k->uri);
	return NULL;
}

int kinko_cmd_certs(kinko_ctx *ctx, int argc, char **argv)
{
	kinko_keyobj *objs = NULL;
	size_t n = 0, i, shown = 0;
	json_t *certs = NULL, *bare = NULL;
	int r;

	if (kinko_wants_help(argc, argv)) {
		fputs(_(certs_help), stdout);
		return KINKO_EXIT_OK;
	}
	if (argc != 1) {
		kinko_err(ctx, "usage", NULL,
		          _("certs takes no arguments; see 'kinko help certs'"));
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
		fputs(_("no certificate with its key on the token\n"), stdout);
	for (i = 0; i < n; i++) {
		char id[130];

		if (objs[i].cert || !(objs[i].priv || objs[i].pub))
			continue;
		certs_hex(objs[i].id, objs[i].id_len, id, sizeof(id));
		/* Left by an interrupted enrollment, most likely: say how to remove it. */
		if (bare) {
			json_array_append_new(
				bare,
				json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", id, "label",
			                  objs[i].label, "key_type", certs_key_type(objs[i].type),
			                  "uri", objs[i].uri, "hint",
			                  "an interrupted enrollment leaves such a "
			                  "key: remove it with kinko key delete URI"));
		} else {
			if (objs[i].label[0])
				printf(_("\nkey without certificate: %s, id %s, label %s\n"),
				       certs_key_type(objs[i].type), id, objs[i].label);
			else
				printf(_("\nkey without certificate: %s, id %s\n"),
				       certs_key_type(objs[i].type), id);
			printf(_("  URI:        %s\n"), objs[i].uri);
			printf(_("  hint:       an interrupted enrollment leaves such a key; remove it with:\n"
			         "              kinko key delete '%s'\n"),
			       objs[i].uri);
		}
	}
	kinko_keyobj_free(objs, n);
	kinko_crl_cleanup();
	if (certs)
		kinko_json_out(json_pack("{s:o, s:o}", "certificates", certs,
		                         "keys_without_certificate", bare));
	return KINKO_EXIT_OK;
}
