/* The attestation key F9 and its certificate, made at provisioning (token_attest.h), and
 * the X.509 helpers ATTEST (piv_attest.c) builds with. */
#include "token_attest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "piv_crypto.h"
#include "tlv.h"

#define TOK_ATTEST_SERIAL_LEN 16u
#define TOK_ATTEST_CA_DAYS (20L * 365L)
#define TOK_ATTEST_PUB_MAX 1024u

X509 *tok_attest_cert_new(const X509_NAME *issuer, const X509_NAME *subject, EVP_PKEY *pub,
                          const ASN1_TIME *not_before, const ASN1_TIME *not_after)
{
	uint8_t serial[TOK_ATTEST_SERIAL_LEN];
	X509 *x = X509_new();
	BIGNUM *bn = NULL;
	int ok;

	/* 16 random bytes, the top bit clear so the INTEGER is positive and the next one set
	 * so it keeps its 16 bytes (RFC 5280 4.1.2.2 allows up to 20). */
	ok = x != NULL && piv_crypto_random(serial, sizeof(serial)) == 0;
	if (ok) {
		serial[0] = (uint8_t)((serial[0] & 0x7F) | 0x40);
		bn = BN_bin2bn(serial, (int)sizeof(serial), NULL);
	}
	ok = ok && bn != NULL && X509_set_version(x, X509_VERSION_3) &&
	     BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL &&
	     X509_set_issuer_name(x, issuer) && X509_set_subject_name(x, subject) &&
	     X509_set_pubkey(x, pub) && X509_set1_notBefore(x, not_before) &&
	     X509_set1_notAfter(x, not_after);
	BN_free(bn);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

int tok_attest_ext_conf(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	ext = X509V3_EXT_nconf_nid(NULL, &ctx, nid, value);
	ok = ext != NULL && X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -EIO;
}

int tok_attest_ext_raw(X509 *x, const char *oid, const uint8_t *value, size_t len)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext = NULL;
	int ok;

	ok = obj != NULL && os != NULL && len <= 256 && ASN1_OCTET_STRING_set(os, value, (int)len);
	if (ok)
		ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os);
	ok = ok && ext != NULL && X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(obj);
	return ok ? 0 : -EIO;
}

X509 *tok_attest_cert_get(const tok_state *st)
{
	const tok_object *o = tok_object_get(st, PIV_TAG_ATTESTATION);
	const unsigned char *p;
	tlv_item cert;
	X509 *x;

	if (o == NULL || tlv_parse(o->value, o->len, &cert) != TLV_OK || cert.tag != PIV_TLV_CERT ||
	    cert.len == 0 || cert.len > TOK_MAX_OBJECT)
		return NULL;
	p = cert.value;
	x = d2i_X509(NULL, &p, (long)cert.len);
	if (x != NULL && p != cert.value + cert.len) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* A new P-256 key as the token stores it (PKCS#8), and parsed. */
static int tok_attest_keygen(uint8_t **der, size_t *der_len, EVP_PKEY **pkey)
{
	uint8_t pub[TOK_ATTEST_PUB_MAX];
	const unsigned char *p;
	tlv_writer w;

	*der = NULL;
	*pkey = NULL;
	tlv_writer_init(&w, pub, sizeof(pub));
	if (piv_crypto_generate(TOK_ATTEST_ALG, der, der_len, &w) != 0)
		return -EIO;
	p = *der;
	*pkey = d2i_AutoPrivateKey_ex(NULL, &p, (long)*der_len, NULL, NULL);
	if (*pkey == NULL) {
		OPENSSL_clear_free(*der, *der_len);
		*der = NULL;
		return -EIO;
	}
	return 0;
}

static X509_NAME *tok_attest_f9_name(uint32_t serial)
{
	X509_NAME *n = X509_NAME_new();
	char num[16];

	snprintf(num, sizeof(num), "%lu", (unsigned long)serial);
	if (n == NULL ||
	    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
	                                (const unsigned char *)"kinko PIV Attestation", -1, -1,
	                                0) ||
	    !X509_NAME_add_entry_by_txt(n, "serialNumber", MBSTRING_UTF8,
	                                (const unsigned char *)num, -1, -1, 0)) {
		X509_NAME_free(n);
		return NULL;
	}
	return n;
}

/* The CA must be one, hold ca_key, and be valid now. */
static int tok_attest_ca_check(X509 *ca_cert, EVP_PKEY *ca_key)
{
	if (X509_check_ca(ca_cert) == 0)
		return -EINVAL;
	if (!X509_check_private_key(ca_cert, ca_key))
		return -EKEYREJECTED;
	if (X509_cmp_current_time(X509_get0_notBefore(ca_cert)) >= 0 ||
	    X509_cmp_current_time(X509_get0_notAfter(ca_cert)) <= 0)
		return -EKEYEXPIRED;
	return 0;
}

/* F9's certificate, issued by the CA: it signs the attestations, so it is a CA limited to
 * end-entity certificates, as a verifier's chain building expects of an intermediate. */
static X509 *tok_attest_f9_cert(const tok_state *st, EVP_PKEY *f9, X509 *ca_cert, EVP_PKEY *ca_key)
{
	X509_NAME *subject = tok_attest_f9_name(st->serial);
	ASN1_TIME *now = ASN1_TIME_set(NULL, time(NULL));
	X509 *x = NULL;
	int ok;

	if (subject != NULL && now != NULL)
		x = tok_attest_cert_new(X509_get_subject_name(ca_cert), subject, f9, now,
		                        X509_get0_notAfter(ca_cert));
	ok = x != NULL &&
	     tok_attest_ext_conf(x, ca_cert, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ==
	             0 &&
	     tok_attest_ext_conf(x, ca_cert, NID_key_usage, "critical,keyCertSign") == 0 &&
	     tok_attest_ext_conf(x, ca_cert, NID_subject_key_identifier, "hash") == 0 &&
	     tok_attest_ext_conf(x, ca_cert, NID_authority_key_identifier, "keyid:always") == 0 &&
	     X509_sign(x, ca_key, EVP_sha256()) > 0;
	ASN1_TIME_free(now);
	X509_NAME_free(subject);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* 5FFF01 as a YubiKey stores it: 70 cert, 71 01 00 (not compressed), FE 00 (no LRC). */
static int tok_attest_cert_store(tok_state *st, X509 *x)
{
	static const uint8_t uncompressed = 0x00;
	uint8_t *der = NULL, *obj;
	int der_len = i2d_X509(x, &der);
	size_t cap;
	tlv_writer w;
	int rc = -EIO;

	if (der_len <= 0)
		return -EIO;
	cap = (size_t)der_len + 16;
	obj = malloc(cap);
	if (obj != NULL) {
		tlv_writer_init(&w, obj, cap);
		tlv_put(&w, PIV_TLV_CERT, der, (size_t)der_len);
		tlv_put(&w, PIV_TLV_CERTINFO, &uncompressed, 1);
		tlv_put(&w, PIV_TLV_LRC, NULL, 0);
		rc = tlv_writer_status(&w) == TLV_OK ?
		             tok_object_put(st, PIV_TAG_ATTESTATION, obj, w.len) :
		             -EIO;
		free(obj);
	}
	OPENSSL_free(der);
	return rc;
}

int tok_attest_provision(tok_state *st, X509 *ca_cert, EVP_PKEY *ca_key)
{
	uint8_t *der = NULL;
	size_t der_len = 0;
	EVP_PKEY *f9 = NULL;
	X509 *cert = NULL;
	int rc;

	if (st == NULL || ca_cert == NULL || ca_key == NULL)
		return -EINVAL;
	rc = tok_attest_ca_check(ca_cert, ca_key);
	if (rc == 0)
		rc = tok_attest_keygen(&der, &der_len, &f9);
	if (rc == 0) {
		cert = tok_attest_f9_cert(st, f9, ca_cert, ca_key);
		rc = cert != NULL ? tok_attest_cert_store(st, cert) : -EIO;
	}
	if (rc == 0) {
		tok_key_set(&st->attest, TOK_ATTEST_ALG, PIV_ORIGIN_GENERATED, PIV_PIN_POLICY_NEVER,
		            der, der_len);
		der = NULL;
	}
	if (der != NULL)
		OPENSSL_clear_free(der, der_len);
	X509_free(cert);
	EVP_PKEY_free(f9);
	return rc;
}

int tok_attest_ca_make(X509 **cert, EVP_PKEY **key)
{
	X509_NAME *name = X509_NAME_new();
	ASN1_TIME *from = ASN1_TIME_set(NULL, time(NULL));
	ASN1_TIME *to = X509_time_adj_ex(NULL, TOK_ATTEST_CA_DAYS, 0, NULL);
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = NULL;
	int ok;

	*cert = NULL;
	*key = NULL;
	ok = name != NULL && from != NULL && to != NULL && pkey != NULL &&
	     X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	                                (const unsigned char *)"kinko test attestation CA", -1, -1,
	                                0);
	if (ok)
		x = tok_attest_cert_new(name, name, pkey, from, to);
	ok = ok && x != NULL &&
	     tok_attest_ext_conf(x, NULL, NID_basic_constraints, "critical,CA:TRUE") == 0 &&
	     tok_attest_ext_conf(x, NULL, NID_key_usage, "critical,keyCertSign,cRLSign") == 0 &&
	     tok_attest_ext_conf(x, NULL, NID_subject_key_identifier, "hash") == 0 &&
	     X509_sign(x, pkey, EVP_sha256()) > 0;
	ASN1_TIME_free(from);
	ASN1_TIME_free(to);
	X509_NAME_free(name);
	if (!ok) {
		X509_free(x);
		EVP_PKEY_free(pkey);
		return -EIO;
	}
	*cert = x;
	*key = pkey;
	return 0;
}
