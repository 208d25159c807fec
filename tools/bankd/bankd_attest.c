/* Key attestation at enrollment: the manufacturer roots (init --attestation-root), a
 * contract's demand, and the checks of a request's attestation. Claims are kinko's
 * extensions (common/piv.h: PIV_ATTEST_OID_KINKO_*), each a DER value. */
#include "bankd_attest.h"
#include "bankd_cli.h"
#include "i18n.h"
#include "piv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

static const char *const policy_words[] = {"off", "optional", "required"};

int bankd_attest_policy_parse(const char *word, bankd_attest_policy *p)
{
	size_t i;

	for (i = 0; i < sizeof policy_words / sizeof policy_words[0]; i++)
		if (strcmp(word, policy_words[i]) == 0) {
			*p = (bankd_attest_policy)i;
			return 0;
		}
	return -1;
}

const char *bankd_attest_policy_word(bankd_attest_policy p)
{
	return (size_t)p < sizeof policy_words / sizeof policy_words[0] ? policy_words[p] : "off";
}

const char *bankd_attest_policy_explain(const char *word)
{
	bankd_attest_policy p;

	if (bankd_attest_policy_parse(word, &p) != 0 || p == BANKD_ATTEST_REQUIRED)
		return N_("required: keys must be attested by a token this bank trusts");
	return p == BANKD_ATTEST_OPTIONAL ?
	               N_("optional: an attestation is checked when the request carries one") :
	               N_("off: attestations are not read");
}

/* The DER value of the certificate's extension oid: NULL when absent or repeated. */
static const ASN1_OCTET_STRING *claim(X509 *x, const char *oid)
{
	ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
	int loc = o != NULL ? X509_get_ext_by_OBJ(x, o, -1) : -1;
	const ASN1_OCTET_STRING *v = NULL;

	if (loc >= 0 && X509_get_ext_by_OBJ(x, o, loc) < 0)
		v = X509_EXTENSION_get_data(X509_get_ext(x, loc));
	ASN1_OBJECT_free(o);
	return v;
}

/* An ENUMERATED claim: its value, or -1 when absent or not exactly one ENUMERATED. */
static int64_t claim_enum(X509 *x, const char *oid)
{
	const ASN1_OCTET_STRING *v = claim(x, oid);
	const unsigned char *p = v != NULL ? ASN1_STRING_get0_data(v) : NULL;
	ASN1_ENUMERATED *e =
		p != NULL ? d2i_ASN1_ENUMERATED(NULL, &p, ASN1_STRING_length(v)) : NULL;
	int64_t n = -1;

	if (e == NULL || p != ASN1_STRING_get0_data(v) + ASN1_STRING_length(v) ||
	    ASN1_ENUMERATED_get_int64(&n, e) != 1)
		n = -1;
	ASN1_ENUMERATED_free(e);
	return n;
}

/* The token serial claim (a non-negative INTEGER) in decimal: 0, or -1. */
static int claim_serial(X509 *x, char out[BANKD_ATTEST_SERIAL_MAX])
{
	const ASN1_OCTET_STRING *v = claim(x, PIV_ATTEST_OID_KINKO_SERIAL);
	const unsigned char *p = v != NULL ? ASN1_STRING_get0_data(v) : NULL;
	ASN1_INTEGER *i = p != NULL ? d2i_ASN1_INTEGER(NULL, &p, ASN1_STRING_length(v)) : NULL;
	BIGNUM *bn = i != NULL ? ASN1_INTEGER_to_BN(i, NULL) : NULL;
	char *dec = bn != NULL && !BN_is_negative(bn) ? BN_bn2dec(bn) : NULL;
	int ok = dec != NULL && p == ASN1_STRING_get0_data(v) + ASN1_STRING_length(v) &&
	         strlen(dec) < BANKD_ATTEST_SERIAL_MAX;

	if (ok)
		snprintf(out, BANKD_ATTEST_SERIAL_MAX, "%s", dec);
	OPENSSL_free(dec);
	BN_free(bn);
	ASN1_INTEGER_free(i);
	return ok ? 0 : -1;
}

/* attestation certificate -> the certificates sent -> a root, at the bank's clock. */
static bankd_attest_rule chain(const bankd_attest_evidence *ev, X509_STORE *roots, time_t now)
{
	X509_STORE_CTX *ctx;
	int err;
	int ok;

	if (roots == NULL)
		return BANKD_ATTEST_UNTRUSTED;
	ctx = X509_STORE_CTX_new();
	if (ctx == NULL || X509_STORE_CTX_init(ctx, roots, ev->att, ev->certs) != 1) {
		X509_STORE_CTX_free(ctx);
		return BANKD_ATTEST_UNTRUSTED;
	}
	X509_STORE_CTX_set_time(ctx, 0, now);
	ok = X509_verify_cert(ctx) == 1;
	err = X509_STORE_CTX_get_error(ctx);
	X509_STORE_CTX_free(ctx);
	if (ok)
		return BANKD_ATTEST_OK;
	return err == X509_V_ERR_CERT_HAS_EXPIRED || err == X509_V_ERR_CERT_NOT_YET_VALID ?
	               BANKD_ATTEST_EXPIRED :
	               BANKD_ATTEST_UNTRUSTED;
}

bankd_attest_rule bankd_attest_check(const bankd_attest_evidence *ev, X509_STORE *roots,
                                     EVP_PKEY *pub, time_t now,
                                     char serial[BANKD_ATTEST_SERIAL_MAX])
{
	bankd_attest_rule r;
	EVP_PKEY *attested;
	int64_t pin;

	serial[0] = '\0';
	if (ev->att == NULL)
		return BANKD_ATTEST_MISSING;
	r = chain(ev, roots, now);
	if (r != BANKD_ATTEST_OK)
		return r;
	attested = X509_get0_pubkey(ev->att);
	if (attested == NULL || EVP_PKEY_eq(attested, pub) != 1)
		return BANKD_ATTEST_OTHER_KEY;
	if (claim_enum(ev->att, PIV_ATTEST_OID_KINKO_ORIGIN) != PIV_ORIGIN_GENERATED)
		return BANKD_ATTEST_IMPORTED;
	pin = claim_enum(ev->att, PIV_ATTEST_OID_KINKO_PIN_POLICY);
	if (pin < 0 || pin == PIV_PIN_POLICY_NEVER)
		return BANKD_ATTEST_PIN_NEVER;
	if (claim_serial(ev->att, serial) != 0)
		return BANKD_ATTEST_NO_SERIAL;
	return BANKD_ATTEST_OK;
}

const char *bankd_attest_rule_explain(bankd_attest_rule rule)
{
	switch (rule) {
	case BANKD_ATTEST_OK: return "";
	case BANKD_ATTEST_MISSING:
		return N_("key refused: the key was not generated on a bank token (the request "
		          "carries no attestation; this contract requires one)");
	case BANKD_ATTEST_MALFORMED:
		return N_("key refused: the key's attestation in the request cannot be read");
	case BANKD_ATTEST_UNTRUSTED:
		return N_("key refused: the key's attestation is not signed by a token maker this "
		          "bank trusts");
	case BANKD_ATTEST_EXPIRED:
		return N_("key refused: the key's attestation is not valid on the bank's date (a "
		          "token maker's certificate has expired or is not yet valid)");
	case BANKD_ATTEST_OTHER_KEY:
		return N_("key refused: the attestation is for another key than the request's");
	case BANKD_ATTEST_IMPORTED:
		return N_("key refused: the key was not generated on a bank token (it was imported "
		          "into the token)");
	case BANKD_ATTEST_PIN_NEVER:
		return N_("key refused: the token lets the key be used without its PIN (PIN policy "
		          "never)");
	case BANKD_ATTEST_NO_SERIAL:
		return N_("key refused: the key's attestation does not name its token's serial "
		          "number");
	}
	return N_("key refused: the key's attestation in the request cannot be read");
}

/* Every certificate of a PEM file, each a CA, appended to out: the count, or -1. */
static int read_roots(const char *file, STACK_OF(X509) * out)
{
	FILE *f = fopen(file, "r");
	X509 *x;
	int n = 0;

	if (f == NULL) {
		bankd_cli_msg_print(_("cannot read %s: %s"), file, strerror(errno));
		return -1;
	}
	while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
		if (X509_check_ca(x) < 1 || sk_X509_num(out) >= BANKD_ATTEST_MAX_ROOTS ||
		    sk_X509_push(out, x) <= 0) {
			X509_free(x);
			n = -1;
			break;
		}
		n++;
	}
	ERR_clear_error();
	fclose(f);
	if (n <= 0)
		/* TRANSLATORS: %s is a file given to init --attestation-root. */
		bankd_cli_msg_print(_("%s: not a file of CA certificates (PEM), or more than 16"),
		                    file);
	return n > 0 ? n : -1;
}

int bankd_attest_roots_write(const char *dir, const char *const *files, size_t n)
{
	STACK_OF(X509) *roots = sk_X509_new_null();
	char path[4096];
	FILE *f;
	size_t i;
	int ok = roots != NULL;

	for (i = 0; ok && i < n; i++)
		ok = read_roots(files[i], roots) > 0;
	snprintf(path, sizeof path, "%s/%s", dir, BANKD_ATTEST_ROOTS_FILE);
	f = ok ? fopen(path, "wx") : NULL;
	if (ok && f == NULL)
		bankd_cli_msg_print(_("cannot write %s"), path);
	ok = f != NULL;
	for (i = 0; ok && i < (size_t)sk_X509_num(roots); i++)
		ok = PEM_write_X509(f, sk_X509_value(roots, (int)i)) == 1;
	if (f != NULL && fclose(f) != 0)
		ok = 0;
	sk_X509_pop_free(roots, X509_free);
	return ok ? 0 : -1;
}

int bankd_attest_roots_load(const char *dir, X509_STORE **roots)
{
	char path[4096];
	STACK_OF(X509) * certs;
	int ok;
	int i;

	*roots = NULL;
	snprintf(path, sizeof path, "%s/%s", dir, BANKD_ATTEST_ROOTS_FILE);
	if (access(path, F_OK) != 0)
		return 0;
	certs = sk_X509_new_null();
	ok = certs != NULL && read_roots(path, certs) > 0 && (*roots = X509_STORE_new()) != NULL;
	for (i = 0; ok && i < sk_X509_num(certs); i++)
		ok = X509_STORE_add_cert(*roots, sk_X509_value(certs, i)) == 1;
	sk_X509_pop_free(certs, X509_free);
	if (!ok) {
		X509_STORE_free(*roots);
		*roots = NULL;
	}
	return ok ? 1 : -1;
}
