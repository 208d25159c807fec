/* A small CA with OpenSSL 3's non-deprecated X509/EVP APIs. */
#include "bankd_ca.h"
#include "bankd_cli.h"
#include "bankd_util.h"
#include "i18n.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#define CA_DAYS 3650
#define SERVER_DAYS 825
#define CLIENT_DAYS 365

static EVP_PKEY *keygen(int rsa)
{
	return rsa ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)3072) :
	             EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_nconf_nid(NULL, &ctx, nid, value);
	if (ext == NULL)
		return -1;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok == 1 ? 0 : -1;
}

static int name_add(X509_NAME *n, const char *field, const char *value)
{
	if (value == NULL || *value == '\0')
		return 0;
	return X509_NAME_add_entry_by_txt(n, field, MBSTRING_UTF8, (const unsigned char *)value, -1,
	                                  -1, 0) == 1 ?
	               0 :
	               -1;
}

static int random_serial(X509 *x, char serial[48])
{
	uint8_t buf[16];
	BIGNUM *bn = NULL;
	ASN1_INTEGER *ai;
	char *hex;
	int ok;

	do {
		if (RAND_bytes(buf, sizeof buf) != 1)
			return -1;
		buf[0] &= 0x7f; /* positive as a DER INTEGER */
		BN_free(bn);
		bn = BN_bin2bn(buf, sizeof buf, NULL);
	} while (bn != NULL && BN_is_zero(bn));
	ai = bn != NULL ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
	hex = bn != NULL ? BN_bn2hex(bn) : NULL;
	ok = ai != NULL && hex != NULL && strlen(hex) < 48 && X509_set_serialNumber(x, ai) == 1;
	if (ok)
		snprintf(serial, 48, "%s", hex);
	OPENSSL_free(hex);
	ASN1_INTEGER_free(ai);
	BN_free(bn);
	return ok ? 0 : -1;
}

/* A certificate with subject, key, serial and validity set; the caller adds extensions. */
static X509 *cert_new(X509_NAME *subject, X509 *issuer, EVP_PKEY *pub, time_t now, long days,
                      char serial[48])
{
	X509 *x = X509_new();
	char dummy[48];
	int ok = x != NULL && X509_set_version(x, X509_VERSION_3) == 1 &&
	         random_serial(x, serial != NULL ? serial : dummy) == 0 &&
	         X509_set_subject_name(x, subject) == 1 &&
	         X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) :
	                                                  subject) == 1 &&
	         X509_set_pubkey(x, pub) == 1 &&
	         ASN1_TIME_set(X509_getm_notBefore(x), now) != NULL &&
	         ASN1_TIME_adj(X509_getm_notAfter(x), now, (int)days, 0) != NULL;
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* Writes the PEM in the memory BIO b (ok: it was written whole) to the new file dir/name,
 * then wipes it (it may be a private key) and frees b. */
static int write_pem(const char *dir, const char *name, int mode, BIO *b, int ok)
{
	char path[4096];
	char *p;
	long n;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	n = ok ? BIO_get_mem_data(b, &p) : 0;
	ok = ok && n > 0 && bankd_write_new_file(path, mode, p, (size_t)n) == 0;
	if (n > 0)
		OPENSSL_cleanse(p, (size_t)n);
	BIO_free(b);
	return ok ? 0 : -1;
}

static int write_key(const char *dir, const char *name, EVP_PKEY *key)
{
	BIO *b = BIO_new(BIO_s_mem());

	return write_pem(dir, name, 0600, b,
	                 b != NULL &&
	                         PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) == 1);
}

typedef struct {
	int nid;
	const char *value;
} ca_ext;

/* A certificate of key for the subject O, OU, CN (NULL or empty ones left out), issued by
 * issuer (NULL: self-signed) for days with the extensions, and signed with sign_key: NULL on
 * failure. */
static X509 *cert_make(const char *o, const char *ou, const char *cn, EVP_PKEY *key, X509 *issuer,
                       EVP_PKEY *sign_key, time_t now, long days, char *serial, const ca_ext *ext,
                       size_t n_ext)
{
	X509_NAME *n = X509_NAME_new();
	X509 *x = NULL;
	size_t i;
	int ok;

	if (n != NULL && name_add(n, "O", o) == 0 && name_add(n, "OU", ou) == 0 &&
	    name_add(n, "CN", cn) == 0)
		x = cert_new(n, issuer, key, now, days, serial);
	X509_NAME_free(n);
	ok = x != NULL;
	for (i = 0; ok && i < n_ext; i++)
		ok = add_ext(x, issuer != NULL ? issuer : x, ext[i].nid, ext[i].value) == 0;
	if (!ok || X509_sign(x, sign_key, EVP_sha256()) <= 0) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static int write_cert(const char *dir, const char *name, X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());

	return write_pem(dir, name, 0644, b, b != NULL && PEM_write_bio_X509(b, x) == 1);
}

static X509 *make_ca(EVP_PKEY *key, const char *bank_code, const char *bank_name, time_t now)
{
	static const ca_ext ext[] = {
		{NID_basic_constraints, "critical,CA:TRUE"},
		{NID_key_usage, "critical,keyCertSign,cRLSign"},
		{NID_subject_key_identifier, "hash"},
	};
	char cn[128];

	snprintf(cn, sizeof cn, "kinko-bankd CA %s", bank_code);
	return cert_make(bank_name, NULL, cn, key, NULL, key, now, CA_DAYS, NULL, ext,
	                 sizeof ext / sizeof ext[0]);
}

static X509 *make_server(EVP_PKEY *key, X509 *ca, EVP_PKEY *ca_key, const char *const *names,
                         size_t n_names, time_t now)
{
	char san[2048] = "";
	size_t o = 0;
	size_t i;
	const ca_ext ext[] = {
		{NID_basic_constraints, "critical,CA:FALSE"},
		{NID_key_usage, "critical,digitalSignature,keyEncipherment"},
		{NID_ext_key_usage, "serverAuth"},
		{NID_subject_alt_name, san},
		{NID_subject_key_identifier, "hash"},
		{NID_authority_key_identifier, "keyid:always"},
	};

	for (i = 0; i < n_names; i++) {
		uint8_t ip[16];
		int is_ip = inet_pton(AF_INET, names[i], ip) == 1 ||
		            inet_pton(AF_INET6, names[i], ip) == 1;
		int w = snprintf(san + o, sizeof san - o, "%s%s:%s", i ? "," : "",
		                 is_ip ? "IP" : "DNS", names[i]);
		if (w < 0 || (size_t)w >= sizeof san - o)
			return NULL;
		o += (size_t)w;
	}
	return cert_make(NULL, NULL, names[0], key, ca, ca_key, now, SERVER_DAYS, NULL, ext,
	                 sizeof ext / sizeof ext[0]);
}

int bankd_ca_create(const char *dir, const char *bank_code, const char *bank_name, int rsa,
                    const char *const *names, size_t n_names, time_t now)
{
	EVP_PKEY *ca_key = keygen(rsa);
	EVP_PKEY *srv_key = keygen(0); /* P-256: every TLS client speaks it, and it is fast */
	X509 *ca = ca_key != NULL ? make_ca(ca_key, bank_code, bank_name, now) : NULL;
	X509 *srv = ca != NULL && srv_key != NULL ?
	                    make_server(srv_key, ca, ca_key, names, n_names, now) :
	                    NULL;
	int ok = srv != NULL && write_key(dir, "ca.key", ca_key) == 0 &&
	         write_cert(dir, "ca.crt", ca) == 0 && write_key(dir, "server.key", srv_key) == 0 &&
	         write_cert(dir, "server.crt", srv) == 0;
	X509_free(srv);
	X509_free(ca);
	EVP_PKEY_free(srv_key);
	EVP_PKEY_free(ca_key);
	return ok ? 0 : -1;
}

int bankd_ca_load(const char *dir, bankd_ca *ca)
{
	char path[4096];
	BIO *b;

	memset(ca, 0, sizeof *ca);
	snprintf(path, sizeof path, "%s/ca.key", dir);
	b = BIO_new_file(path, "r");
	ca->key = b != NULL ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	snprintf(path, sizeof path, "%s/ca.crt", dir);
	b = BIO_new_file(path, "r");
	ca->cert = b != NULL ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	BIO_free(b);
	ca->store = X509_STORE_new();
	if (ca->key == NULL || ca->cert == NULL || ca->store == NULL ||
	    X509_check_private_key(ca->cert, ca->key) != 1 ||
	    X509_STORE_add_cert(ca->store, ca->cert) != 1) {
		bankd_cli_msg_print(_("cannot load the CA from %s"), dir);
		bankd_ca_free(ca);
		return -1;
	}
	return 0;
}

void bankd_ca_free(bankd_ca *ca)
{
	EVP_PKEY_free(ca->key);
	X509_free(ca->cert);
	X509_STORE_free(ca->store);
	memset(ca, 0, sizeof *ca);
}

X509 *bankd_ca_issue(const bankd_ca *ca, EVP_PKEY *pub, const char *cn, const char *o,
                     const char *ou, time_t now, const char *crl_url, char serial[48])
{
	char cdp[1024];
	const ca_ext ext[] = {
		{NID_basic_constraints, "critical,CA:FALSE"},
		{NID_key_usage, "critical,digitalSignature"},
		{NID_ext_key_usage, "clientAuth"},
		{NID_subject_key_identifier, "hash"},
		{NID_authority_key_identifier, "keyid:always"},
		{NID_crl_distribution_points, cdp},
	};

	snprintf(cdp, sizeof cdp, "URI:%s", crl_url);
	return cert_make(o, ou, cn, pub, ca->cert, ca->key, now, CLIENT_DAYS, serial, ext,
	                 sizeof ext / sizeof ext[0]);
}

static X509_REVOKED *revoked_entry(const bankd_revoked *r)
{
	BIGNUM *bn = NULL;
	X509_REVOKED *rev = X509_REVOKED_new();
	ASN1_TIME *t = ASN1_TIME_set(NULL, (time_t)r->revoked_at);
	ASN1_ENUMERATED *reason = ASN1_ENUMERATED_new();
	ASN1_INTEGER *serial = BN_hex2bn(&bn, r->serial) > 0 ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
	int ok = rev != NULL && t != NULL && reason != NULL && serial != NULL &&
	         X509_REVOKED_set_serialNumber(rev, serial) == 1 &&
	         X509_REVOKED_set_revocationDate(rev, t) == 1 &&
	         ASN1_ENUMERATED_set(reason, r->reason) == 1 &&
	         X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason, reason, 0, 0) == 1;
	BN_free(bn);
	ASN1_INTEGER_free(serial);
	ASN1_ENUMERATED_free(reason);
	ASN1_TIME_free(t);
	if (!ok) {
		X509_REVOKED_free(rev);
		return NULL;
	}
	return rev;
}

int bankd_ca_crl(const bankd_ca *ca, const bankd_revoked *r, size_t n, int64_t number, time_t now,
                 uint8_t **der, size_t *der_len)
{
	X509_CRL *crl;
	ASN1_TIME *last;
	ASN1_TIME *next;
	ASN1_INTEGER *num;
	int ok;
	size_t i;
	int len;

	*der = NULL;
	crl = X509_CRL_new();
	last = ASN1_TIME_set(NULL, now);
	next = ASN1_TIME_adj(NULL, now, 1, 0);
	num = ASN1_INTEGER_new();
	ok = crl != NULL && last != NULL && next != NULL && num != NULL &&
	     X509_CRL_set_version(crl, X509_CRL_VERSION_2) == 1 &&
	     X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca->cert)) == 1 &&
	     X509_CRL_set1_lastUpdate(crl, last) == 1 && X509_CRL_set1_nextUpdate(crl, next) == 1 &&
	     ASN1_INTEGER_set_int64(num, number) == 1 &&
	     X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) == 1;
	for (i = 0; ok && i < n; i++) {
		X509_REVOKED *rev = revoked_entry(&r[i]);
		ok = rev != NULL && X509_CRL_add0_revoked(crl, rev) == 1;
		if (!ok)
			X509_REVOKED_free(rev);
	}
	if (ok) {
		X509V3_CTX ctx;
		X509_EXTENSION *aki;

		X509V3_set_ctx(&ctx, ca->cert, NULL, NULL, crl, 0);
		aki = X509V3_EXT_nconf_nid(NULL, &ctx, NID_authority_key_identifier,
		                           "keyid:always");
		ok = aki != NULL && X509_CRL_add_ext(crl, aki, -1) == 1;
		X509_EXTENSION_free(aki);
	}
	ok = ok && X509_CRL_sort(crl) == 1 && X509_CRL_sign(crl, ca->key, EVP_sha256()) > 0;
	len = ok ? i2d_X509_CRL(crl, der) : -1;
	ASN1_INTEGER_free(num);
	ASN1_TIME_free(next);
	ASN1_TIME_free(last);
	X509_CRL_free(crl);
	if (len <= 0)
		return -1;
	*der_len = (size_t)len;
	return 0;
}

char *bankd_ca_certs_only(X509 *const *certs, size_t n)
{
	/* The degenerate SignedData of RFC 7030 4.1.3: certificates, no signers, no content. */
	PKCS7 *p7 = PKCS7_new();
	int ok = p7 != NULL && PKCS7_set_type(p7, NID_pkcs7_signed) == 1 &&
	         PKCS7_content_new(p7, NID_pkcs7_data) == 1;
	size_t i;
	uint8_t *der;
	int len;
	char *b64;

	for (i = 0; ok && i < n; i++)
		ok = PKCS7_add_certificate(p7, certs[i]) == 1;
	ok = ok && PKCS7_set_detached(p7, 1) == 1;
	der = NULL;
	len = ok ? i2d_PKCS7(p7, &der) : -1;
	PKCS7_free(p7);
	if (len <= 0)
		return NULL;
	b64 = bankd_b64_encode(der, (size_t)len);
	OPENSSL_free(der);
	return b64;
}

const char *bankd_ca_verify_client(const bankd_ca *ca, X509 *cert, time_t now)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int ok;
	int err;

	if (ctx == NULL || X509_STORE_CTX_init(ctx, ca->store, cert, NULL) != 1) {
		X509_STORE_CTX_free(ctx);
		return N_("the client certificate could not be checked");
	}
	X509_STORE_CTX_set_time(ctx, 0, now);
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT);
	ok = X509_verify_cert(ctx);
	err = X509_STORE_CTX_get_error(ctx);
	X509_STORE_CTX_free(ctx);
	if (ok == 1)
		return NULL;
	switch (err) {
	case X509_V_ERR_CERT_HAS_EXPIRED: return N_("the client certificate has expired");
	case X509_V_ERR_CERT_NOT_YET_VALID: return N_("the client certificate is not valid yet");
	default: return N_("the client certificate was not issued by this bank");
	}
}

int bankd_ca_fingerprints(X509 *cert, char cert_sha256[65], char key_sha256[65])
{
	uint8_t *der = NULL;
	int n = i2d_X509(cert, &der);
	int ok = n > 0 && bankd_sha256_hex(der, (size_t)n, cert_sha256) == 0;
	OPENSSL_free(der);
	return ok && bankd_ca_key_fingerprint(X509_get0_pubkey(cert), key_sha256) == 0 ? 0 : -1;
}

int bankd_ca_key_fingerprint(EVP_PKEY *key, char key_sha256[65])
{
	uint8_t *der = NULL;
	int n = key != NULL ? i2d_PUBKEY(key, &der) : -1;
	int ok = n > 0 && bankd_sha256_hex(der, (size_t)n, key_sha256) == 0;
	OPENSSL_free(der);
	return ok ? 0 : -1;
}

void bankd_ca_subject(X509 *cert, char *buf, size_t len)
{
	BIO *b;
	char *p;

	buf[0] = '\0';
	b = BIO_new(BIO_s_mem());
	if (b != NULL && X509_NAME_print_ex(b, X509_get_subject_name(cert), 0,
	                                    XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		long n = BIO_get_mem_data(b, &p);
		if (n > 0)
			snprintf(buf, len, "%.*s", (int)n, p);
	}
	BIO_free(b);
}
