/* The object layer's parsing of what the token says (see mod_parse.h). OpenSSL does the
 * X.509 and key encodings (non-deprecated EVP/OSSL_PARAM routes only); the PIV TLVs go
 * through the common codec. */
#include "mod_parse.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include "piv.h"
#include "tlv.h"

#define PIV_CERTINFO_COMPRESSED 0x01
#define PIV_TLV_MSCUID 0x72 /* optional in older containers; ignored */

static const uint8_t oid_p256[] = {0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
static const uint8_t oid_p384[] = {0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x22};

/* ---- certificates ---- */

/* One whole DER certificate, or NULL. */
static X509 *parse_cert_decode(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x;

	if (!der || len == 0 || len > 65535)
		return NULL;
	x = d2i_X509(NULL, &p, (long)len);
	if (x && p != der + len) {
		X509_free(x);
		x = NULL;
	}
	return x;
}

mod_parse_status mod_parse_cert_container(const uint8_t *buf, size_t len, const uint8_t **der,
                                          size_t *der_len)
{
	bool seen_cert = false, seen_info = false, seen_lrc = false, compressed = false;
	tlv_iter it;
	tlv_item item, cert = {0};
	tlv_status s;
	X509 *x;

	*der = NULL;
	*der_len = 0;
	tlv_iter_init(&it, buf, buf ? len : 0);
	while ((s = tlv_iter_next(&it, &item)) == TLV_OK) {
		bool *seen;

		switch (item.tag) {
		case PIV_TLV_CERT:
			seen = &seen_cert;
			cert = item;
			break;
		case PIV_TLV_CERTINFO:
			seen = &seen_info;
			if (item.len > 1 ||
			    (item.len == 1 && item.value[0] > PIV_CERTINFO_COMPRESSED))
				return MOD_PARSE_MALFORMED;
			compressed = item.len == 1 && item.value[0] == PIV_CERTINFO_COMPRESSED;
			break;
		case PIV_TLV_LRC: seen = &seen_lrc; break;
		case PIV_TLV_MSCUID: continue;
		default: return MOD_PARSE_MALFORMED;
		}
		if (*seen)
			return MOD_PARSE_MALFORMED;
		*seen = true;
	}
	if (s != TLV_END || !seen_cert || cert.len == 0)
		return MOD_PARSE_MALFORMED;
	if (compressed)
		return MOD_PARSE_COMPRESSED;
	x = parse_cert_decode(cert.value, cert.len);
	if (!x)
		return MOD_PARSE_MALFORMED;
	X509_free(x);
	*der = cert.value;
	*der_len = cert.len;
	return MOD_PARSE_OK;
}

mod_parse_status mod_parse_cert_container_build(const uint8_t *der, size_t der_len, uint8_t **out,
                                                size_t *out_len)
{
	size_t cap = der_len + 16;
	tlv_writer w;
	uint8_t *buf;

	*out = NULL;
	*out_len = 0;
	if (!der || der_len == 0 || der_len > 65535)
		return MOD_PARSE_MALFORMED;
	buf = malloc(cap);
	if (!buf)
		return MOD_PARSE_NO_MEMORY;
	tlv_writer_init(&w, buf, cap);
	tlv_put(&w, PIV_TLV_CERT, der, der_len);
	tlv_put_u8(&w, PIV_TLV_CERTINFO, 0x00);
	tlv_put(&w, PIV_TLV_LRC, NULL, 0);
	if (tlv_writer_status(&w) != TLV_OK) {
		free(buf);
		return MOD_PARSE_MALFORMED;
	}
	*out = buf;
	*out_len = w.len;
	return MOD_PARSE_OK;
}

/* YYYYMMDD of an ASN.1 time; false when it is not a date we can print. */
static bool parse_cert_date(const ASN1_TIME *t, char out[8])
{
	struct tm tm;
	char tmp[16];

	memset(&tm, 0, sizeof(tm));
	if (!t || ASN1_TIME_to_tm(t, &tm) != 1 || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900 ||
	    tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31)
		return false;
	snprintf(tmp, sizeof(tmp), "%04d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	memcpy(out, tmp, 8);
	return true;
}

/* The subject's first CN as UTF-8, when it is short and has no NUL in it. */
static void parse_cert_cn(const X509_NAME *name, char out[65])
{
	const X509_NAME_ENTRY *e;
	unsigned char *utf8 = NULL;
	int idx, n;

	out[0] = '\0';
	idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	if (idx < 0 || !(e = X509_NAME_get_entry(name, idx)))
		return;
	n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
	if (n > 0 && n <= 64 && !memchr(utf8, '\0', (size_t)n)) {
		memcpy(out, utf8, (size_t)n);
		out[n] = '\0';
	}
	OPENSSL_free(utf8);
}

mod_parse_status mod_parse_cert(const uint8_t *der, size_t len, mod_cert_info *ci)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	int n1, n2, n3, n4;
	X509 *x;

	memset(ci, 0, sizeof(*ci));
	x = parse_cert_decode(der, len);
	if (!x)
		return MOD_PARSE_MALFORMED;
	n1 = i2d_X509_NAME(X509_get_subject_name(x), &ci->subject);
	n2 = i2d_X509_NAME(X509_get_issuer_name(x), &ci->issuer);
	n3 = i2d_ASN1_INTEGER(X509_get0_serialNumber(x), &ci->serial);
	n4 = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &ci->spki);
	if (n1 <= 0 || n2 <= 0 || n3 <= 0 || n4 <= 0 ||
	    !EVP_Digest(der, len, md, &md_len, EVP_sha1(), NULL) || md_len < 3) {
		X509_free(x);
		mod_parse_cert_info_free(ci);
		return MOD_PARSE_MALFORMED;
	}
	ci->subject_len = (size_t)n1;
	ci->issuer_len = (size_t)n2;
	ci->serial_len = (size_t)n3;
	ci->spki_len = (size_t)n4;
	memcpy(ci->check_value, md, 3);
	if (!parse_cert_date(X509_get0_notBefore(x), ci->start_date) ||
	    !parse_cert_date(X509_get0_notAfter(x), ci->end_date)) {
		memset(ci->start_date, 0, sizeof(ci->start_date));
		memset(ci->end_date, 0, sizeof(ci->end_date));
	}
	parse_cert_cn(X509_get_subject_name(x), ci->cn);
	X509_free(x);
	return MOD_PARSE_OK;
}

void mod_parse_cert_info_free(mod_cert_info *ci)
{
	if (!ci)
		return;
	OPENSSL_free(ci->subject);
	OPENSSL_free(ci->issuer);
	OPENSSL_free(ci->serial);
	OPENSSL_free(ci->spki);
	memset(ci, 0, sizeof(*ci));
}

/* ---- public keys ---- */

/* The key type by its OID, a name of the provider's key management that no legacy algorithm
 * has: asked for "RSA" or "EC", OpenSSL 3 first looks for an ENGINE registered for it, and
 * in an application that made one the default (openssl -engine pkcs11, with libp11's) the
 * context is the engine's legacy one, which cannot import (fromdata_init -2). */
static const char *parse_keymgmt_name(const char *type)
{
	if (!strcmp(type, "RSA"))
		return "1.2.840.113549.1.1.1";
	if (!strcmp(type, "EC"))
		return "1.2.840.10045.2.1";
	return type;
}

EVP_PKEY *mod_parse_evp_fromdata(const char *type, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx =
		params ? EVP_PKEY_CTX_new_from_name(NULL, parse_keymgmt_name(type), NULL) : NULL;
	EVP_PKEY *pkey = NULL;

	if (ctx && EVP_PKEY_fromdata_init(ctx) == 1 &&
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return pkey;
}

EVP_PKEY *mod_parse_pubkey_evp(const card_pubkey *pk)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *n = NULL, *e = NULL;
	EVP_PKEY *pkey = NULL;

	if (!bld)
		return NULL;
	if (piv_alg_is_rsa(pk->alg) && pk->n && pk->e) {
		n = BN_bin2bn(pk->n, (int)pk->n_len, NULL);
		e = BN_bin2bn(pk->e, (int)pk->e_len, NULL);
		if (n && e && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) == 1 &&
		    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) == 1)
			pkey = mod_parse_evp_fromdata("RSA", bld);
	} else if (piv_alg_is_ec(pk->alg) && pk->point &&
	           /* uncompressed, so never the point at infinity; the import refuses a point
	            * off the curve, and P-256 and P-384 have cofactor 1: a valid public key,
	            * without EVP_PKEY_public_check (an engine's context again, see above) */
	           pk->point_len == 1 + 2 * piv_alg_bytes(pk->alg) && pk->point[0] == 0x04) {
		const char *curve = piv_alg_curve(pk->alg);

		if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, curve, 0) ==
		            1 &&
		    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pk->point,
		                                     pk->point_len) == 1)
			pkey = mod_parse_evp_fromdata("EC", bld);
	}
	BN_free(n);
	BN_free(e);
	OSSL_PARAM_BLD_free(bld);
	return pkey;
}

mod_parse_status mod_parse_pubkey_spki(const card_pubkey *pk, uint8_t **der, size_t *len)
{
	EVP_PKEY *pkey = mod_parse_pubkey_evp(pk);
	unsigned char *out = NULL;
	int n;

	*der = NULL;
	*len = 0;
	if (!pkey)
		return MOD_PARSE_MALFORMED;
	n = i2d_PUBKEY(pkey, &out);
	EVP_PKEY_free(pkey);
	if (n <= 0)
		return MOD_PARSE_MALFORMED;
	*der = out;
	*len = (size_t)n;
	return MOD_PARSE_OK;
}

/* 81 n 82 e of an RSA key of a PIV size. */
static mod_parse_status parse_spki_rsa(EVP_PKEY *pkey, uint8_t *alg, tlv_writer *w)
{
	uint8_t n[384], e[8];
	BIGNUM *bn_n = NULL, *bn_e = NULL;
	mod_parse_status st = MOD_PARSE_UNSUPPORTED;
	int bits = EVP_PKEY_get_bits(pkey), ne;

	*alg = bits == 2048 ? PIV_ALG_RSA2048 : bits == 3072 ? PIV_ALG_RSA3072 : 0;
	if (*alg && EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &bn_n) == 1 &&
	    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &bn_e) == 1 &&
	    /* an even exponent is no RSA key: card_pubkey_parse refuses it too */
	    BN_is_odd(bn_e) && BN_bn2binpad(bn_n, n, (int)piv_alg_bytes(*alg)) > 0 &&
	    (ne = BN_num_bytes(bn_e)) > 0 && ne <= (int)sizeof(e) && BN_bn2bin(bn_e, e) == ne) {
		tlv_put(w, PIV_TLV_RSA_N, n, piv_alg_bytes(*alg));
		tlv_put(w, PIV_TLV_RSA_E, e, (size_t)ne);
		st = MOD_PARSE_OK;
	}
	BN_free(bn_n);
	BN_free(bn_e);
	return st;
}

/* 86 04||X||Y of a P-256 or P-384 key. */
static mod_parse_status parse_spki_ec(EVP_PKEY *pkey, uint8_t *alg, tlv_writer *w)
{
	char group[32];
	uint8_t point[1 + 2 * 48];
	size_t plen = 0;

	if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
	                                   NULL) != 1)
		return MOD_PARSE_UNSUPPORTED;
	if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0)
		*alg = PIV_ALG_ECCP256;
	else if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0)
		*alg = PIV_ALG_ECCP384;
	else
		return MOD_PARSE_UNSUPPORTED;
	/* A certificate may carry the point compressed; PIV wants it whole. */
	if (EVP_PKEY_set_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
	                                   "uncompressed") != 1 ||
	    EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
	                                    sizeof(point), &plen) != 1 ||
	    plen != 1 + 2 * piv_alg_bytes(*alg) || point[0] != 0x04)
		return MOD_PARSE_MALFORMED;
	tlv_put(w, PIV_TLV_EC_POINT, point, plen);
	return MOD_PARSE_OK;
}

mod_parse_status mod_parse_spki_to_piv(const uint8_t *spki, size_t spki_len, uint8_t *alg,
                                       uint8_t *out, size_t cap, size_t *out_len)
{
	const unsigned char *p = spki;
	mod_parse_status st;
	EVP_PKEY *pkey;
	tlv_writer w;

	*alg = 0;
	*out_len = 0;
	if (!spki || spki_len == 0 || spki_len > 65535)
		return MOD_PARSE_MALFORMED;
	pkey = d2i_PUBKEY(NULL, &p, (long)spki_len);
	if (!pkey || p != spki + spki_len) {
		EVP_PKEY_free(pkey);
		return MOD_PARSE_MALFORMED;
	}
	tlv_writer_init(&w, out, cap);
	if (EVP_PKEY_is_a(pkey, "RSA"))
		st = parse_spki_rsa(pkey, alg, &w);
	else if (EVP_PKEY_is_a(pkey, "EC"))
		st = parse_spki_ec(pkey, alg, &w);
	else
		st = MOD_PARSE_UNSUPPORTED;
	EVP_PKEY_free(pkey);
	if (st == MOD_PARSE_OK && tlv_writer_status(&w) != TLV_OK)
		st = MOD_PARSE_MALFORMED;
	if (st != MOD_PARSE_OK) {
		*alg = 0;
		return st;
	}
	*out_len = w.len;
	return MOD_PARSE_OK;
}

bool mod_parse_cert_has_key(const uint8_t *der, size_t len, const card_pubkey *pk)
{
	X509 *x = parse_cert_decode(der, len);
	EVP_PKEY *mine = mod_parse_pubkey_evp(pk);
	EVP_PKEY *theirs = x ? X509_get0_pubkey(x) : NULL;
	bool same = mine && theirs && EVP_PKEY_eq(mine, theirs) == 1;

	EVP_PKEY_free(mine);
	X509_free(x);
	return same;
}

/* ---- EC parameters ---- */

const uint8_t *mod_parse_ec_params_der(uint8_t alg, size_t *len)
{
	switch (alg) {
	case PIV_ALG_ECCP256: *len = sizeof(oid_p256); return oid_p256;
	case PIV_ALG_ECCP384: *len = sizeof(oid_p384); return oid_p384;
	default: *len = 0; return NULL;
	}
}

/* Curve names of PKCS#11 3.0's printable form and the usual aliases. */
static uint8_t parse_ec_name_alg(const uint8_t *name, size_t len)
{
	static const struct {
		const char *name;
		uint8_t alg;
	} names[] = {
		{"prime256v1", PIV_ALG_ECCP256}, {"secp256r1", PIV_ALG_ECCP256},
		{"P-256", PIV_ALG_ECCP256},      {"nistp256", PIV_ALG_ECCP256},
		{"secp384r1", PIV_ALG_ECCP384},  {"P-384", PIV_ALG_ECCP384},
		{"nistp384", PIV_ALG_ECCP384},
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i].name) == len &&
		    strncasecmp(names[i].name, (const char *)name, len) == 0)
			return names[i].alg;
	return 0;
}

mod_parse_status mod_parse_ec_params(const uint8_t *der, size_t len, uint8_t *alg)
{
	tlv_item it;

	*alg = 0;
	if (!der || tlv_parse(der, len, &it) != TLV_OK || it.header_len + it.len != len)
		return MOD_PARSE_MALFORMED;
	switch (it.tag) {
	case 0x06: /* namedCurve OID */
		if (len == sizeof(oid_p256) && memcmp(der, oid_p256, len) == 0)
			*alg = PIV_ALG_ECCP256;
		else if (len == sizeof(oid_p384) && memcmp(der, oid_p384, len) == 0)
			*alg = PIV_ALG_ECCP384;
		break;
	case 0x13: /* PrintableString, PKCS#11 3.0; UTF8String from lenient callers */
	case 0x0C: *alg = parse_ec_name_alg(it.value, it.len); break;
	default: /* explicit parameters, implicitlyCA: not for PIV */ break;
	}
	return *alg ? MOD_PARSE_OK : MOD_PARSE_UNSUPPORTED;
}

mod_parse_status mod_parse_ec_point_der(const card_pubkey *pk, uint8_t **out, size_t *len)
{
	size_t cap;
	tlv_writer w;
	uint8_t *buf;

	*out = NULL;
	*len = 0;
	if (!pk->point || pk->point_len == 0)
		return MOD_PARSE_MALFORMED;
	cap = pk->point_len + 4;
	buf = OPENSSL_malloc(cap);
	if (!buf)
		return MOD_PARSE_NO_MEMORY;
	tlv_writer_init(&w, buf, cap);
	tlv_put(&w, 0x04, pk->point, pk->point_len);
	if (tlv_writer_status(&w) != TLV_OK) {
		OPENSSL_free(buf);
		return MOD_PARSE_MALFORMED;
	}
	*out = buf;
	*len = w.len;
	return MOD_PARSE_OK;
}
