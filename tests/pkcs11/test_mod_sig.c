/* The module's signature mechanisms as pure functions: the mechanism table's rows, the
 * parameters an operation takes, each signing row's scheme signing with a software key in
 * place of the card and verifying with OpenSSL; and the public key C_Verify checks with,
 * from PIV 7F49 contents. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>

#include "mod_parse.h"
#include "mod_sig.h"
#include "piv.h"
#include "sig_test_util.h"
#include "tlv.h"

/* 7F49 contents of a software key, as the token would send them. */
static size_t piv_pub(EVP_PKEY *pkey, uint8_t *out, size_t cap)
{
	tlv_writer w;

	tlv_writer_init(&w, out, cap);
	if (EVP_PKEY_is_a(pkey, "RSA")) {
		BIGNUM *n = NULL, *e = NULL;
		uint8_t nb[512], eb[8];
		int nl, el;

		assert_int_equal(EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n), 1);
		assert_int_equal(EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e), 1);
		nl = BN_bn2bin(n, nb);
		el = BN_bn2bin(e, eb);
		tlv_put(&w, PIV_TLV_RSA_N, nb, (size_t)nl);
		tlv_put(&w, PIV_TLV_RSA_E, eb, (size_t)el);
		BN_free(n);
		BN_free(e);
	} else {
		uint8_t pt[133];
		size_t pl = 0;

		assert_int_equal(EVP_PKEY_get_octet_string_param(pkey,
		                                                 OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
		                                                 pt, sizeof(pt), &pl),
		                 1);
		tlv_put(&w, PIV_TLV_EC_POINT, pt, pl);
	}
	assert_int_equal(tlv_writer_status(&w), TLV_OK);
	return w.len;
}

/* What C_Verify checks with: the one 7F49 reader, then OpenSSL's key. */
static EVP_PKEY *pkey_from_piv(uint8_t alg, const uint8_t *buf, size_t len)
{
	card_pubkey pk;

	return card_pubkey_parse(alg, buf, len, &pk) ? mod_parse_pubkey_evp(&pk) : NULL;
}

/* The key a template of key gives for its algorithm alg, and none for another of its type;
 * the template's length. */
static size_t piv_template_gives_the_key(EVP_PKEY *key, uint8_t alg, uint8_t other, uint8_t *buf,
                                         size_t cap)
{
	size_t len = piv_pub(key, buf, cap);
	EVP_PKEY *pk = pkey_from_piv(alg, buf, len);

	assert_non_null(pk);
	assert_int_equal(EVP_PKEY_eq(pk, key), 1);
	EVP_PKEY_free(pk);
	assert_null(pkey_from_piv(other, buf, len));
	return len;
}

static void public_keys_are_built_from_piv_templates(void **state)
{
	sigt_sw_keys *k = *state;
	uint8_t buf[600];
	size_t len;

	piv_template_gives_the_key(k->rsa2048, PIV_ALG_RSA2048, PIV_ALG_RSA3072, buf, sizeof(buf));
	len = piv_template_gives_the_key(k->p256, PIV_ALG_ECCP256, PIV_ALG_ECCP384, buf,
	                                 sizeof(buf));
	/* A point moved off the curve, a truncated template, and no template. */
	buf[len - 1] ^= 0x01;
	assert_null(pkey_from_piv(PIV_ALG_ECCP256, buf, len));
	assert_null(pkey_from_piv(PIV_ALG_ECCP256, buf, len - 1));
	assert_null(pkey_from_piv(PIV_ALG_ECCP256, NULL, 0));
}

static void rsa_template_with_even_exponent_is_refused(void **state)
{
	sigt_sw_keys *k = *state;
	uint8_t buf[600];
	size_t len = piv_pub(k->rsa2048, buf, sizeof(buf));

	buf[len - 1] &= 0xFE; /* e is the last TLV: make it even */
	assert_null(pkey_from_piv(PIV_ALG_RSA2048, buf, len));
}

/* A card may send the modulus as a DER-style integer, 00 first: the key the attributes
 * show and the key C_Verify checks with are then one and the same. */
static void rsa_template_with_zero_before_modulus_is_one_key_for_attributes_and_verify(void **state)
{
	sigt_sw_keys *k = *state;
	uint8_t plain[600], buf[600];
	size_t plain_len = piv_pub(k->rsa2048, plain, sizeof(plain)), len;
	tlv_item n, e;
	tlv_writer w;
	uint8_t nz[257];
	card_pubkey pk;
	EVP_PKEY *attr_key, *verify_key;

	assert_int_equal(tlv_find(plain, plain_len, PIV_TLV_RSA_N, &n), TLV_OK);
	assert_int_equal(tlv_find(plain, plain_len, PIV_TLV_RSA_E, &e), TLV_OK);
	assert_int_equal(n.len, 256);
	nz[0] = 0x00;
	memcpy(nz + 1, n.value, n.len);
	tlv_writer_init(&w, buf, sizeof(buf));
	tlv_put(&w, PIV_TLV_RSA_N, nz, sizeof(nz));
	tlv_put(&w, PIV_TLV_RSA_E, e.value, e.len);
	assert_int_equal(tlv_writer_status(&w), TLV_OK);
	len = w.len;

	assert_true(card_pubkey_parse(PIV_ALG_RSA2048, buf, len, &pk));
	attr_key = mod_parse_pubkey_evp(&pk);
	verify_key = pkey_from_piv(PIV_ALG_RSA2048, buf, len);
	assert_non_null(attr_key);
	assert_non_null(verify_key);
	assert_int_equal(EVP_PKEY_eq(attr_key, verify_key), 1);
	assert_int_equal(EVP_PKEY_eq(verify_key, k->rsa2048), 1);
	EVP_PKEY_free(attr_key);
	EVP_PKEY_free(verify_key);
}

static CK_RV op_new(CK_MECHANISM_TYPE m, void *param, CK_ULONG param_len, uint8_t alg)
{
	CK_MECHANISM mech = {m, param, param_len};
	mod_sig_op *op = NULL;
	CK_RV rv = mod_sig_op_new(mod_mech_find(m), &mech, alg, PIV_KEY_AUTH, &op);

	mod_sig_op_free(op);
	return rv;
}

static void pss_parameters_must_be_consistent(void **state)
{
	CK_RSA_PKCS_PSS_PARAMS p = {CKM_SHA256, CKG_MGF1_SHA256, 32};

	(void)state;
	assert_int_equal(op_new(CKM_SHA256_RSA_PKCS_PSS, &p, sizeof(p), PIV_ALG_RSA2048), CKR_OK);
	assert_int_equal(op_new(CKM_RSA_PKCS_PSS, &p, sizeof(p), PIV_ALG_RSA2048), CKR_OK);
	/* The hash of CKM_SHA384_RSA_PKCS_PSS is SHA-384. */
	assert_int_equal(op_new(CKM_SHA384_RSA_PKCS_PSS, &p, sizeof(p), PIV_ALG_RSA2048),
	                 CKR_MECHANISM_PARAM_INVALID);
	/* Missing, short, unknown hash, unknown MGF. */
	assert_int_equal(op_new(CKM_SHA256_RSA_PKCS_PSS, NULL, 0, PIV_ALG_RSA2048),
	                 CKR_MECHANISM_PARAM_INVALID);
	assert_int_equal(op_new(CKM_SHA256_RSA_PKCS_PSS, &p, sizeof(p) - 1, PIV_ALG_RSA2048),
	                 CKR_MECHANISM_PARAM_INVALID);
	p.hashAlg = CKM_MD5;
	assert_int_equal(op_new(CKM_RSA_PKCS_PSS, &p, sizeof(p), PIV_ALG_RSA2048),
	                 CKR_MECHANISM_PARAM_INVALID);
	p.hashAlg = CKM_SHA256;
	p.mgf = 0x77;
	assert_int_equal(op_new(CKM_SHA256_RSA_PKCS_PSS, &p, sizeof(p), PIV_ALG_RSA2048),
	                 CKR_MECHANISM_PARAM_INVALID);
	/* sLen up to emLen - hLen - 2 = 222 for RSA-2048 with SHA-256, 350 for RSA-3072. */
	p.mgf = CKG_MGF1_SHA1;
	p.sLen = 222;
	assert_int_equal(op_new(CKM_SHA256_RSA_PKCS_PSS, &p, sizeof(p), PIV_ALG_RSA2048), CKR_OK);
	p.sLen = 223;
	assert_int_equal(op_new(CKM_SHA256_RSA_PKCS_PSS, &p, sizeof(p), PIV_ALG_RSA2048),
	                 CKR_MECHANISM_PARAM_INVALID);
	assert_int_equal(op_new(CKM_SHA256_RSA_PKCS_PSS, &p, sizeof(p), PIV_ALG_RSA3072), CKR_OK);
}

static void mechanisms_match_key_types_and_take_no_stray_parameters(void **state)
{
	CK_BYTE junk[4] = {0};

	(void)state;
	assert_int_equal(op_new(CKM_ECDSA, NULL, 0, PIV_ALG_ECCP256), CKR_OK);
	assert_int_equal(op_new(CKM_ECDSA_SHA384, NULL, 0, PIV_ALG_ECCP384), CKR_OK);
	assert_int_equal(op_new(CKM_ECDSA, NULL, 0, PIV_ALG_RSA2048), CKR_KEY_TYPE_INCONSISTENT);
	assert_int_equal(op_new(CKM_SHA256_RSA_PKCS, NULL, 0, PIV_ALG_ECCP256),
	                 CKR_KEY_TYPE_INCONSISTENT);
	assert_int_equal(op_new(CKM_SHA256_RSA_PKCS, junk, sizeof(junk), PIV_ALG_RSA2048),
	                 CKR_MECHANISM_PARAM_INVALID);
}

/* The smallest and largest key of a type among the token's PIV algorithms, in bits. */
static void alg_bits_range(bool rsa, CK_ULONG *min, CK_ULONG *max)
{
	unsigned a;

	*min = (CK_ULONG)-1;
	*max = 0;
	for (a = 0; a < 256; a++) {
		CK_ULONG bits = (CK_ULONG)piv_alg_bytes((uint8_t)a) * 8;

		if (bits == 0 || piv_alg_is_rsa((uint8_t)a) != rsa)
			continue;
		*min = bits < *min ? bits : *min;
		*max = bits > *max ? bits : *max;
	}
}

/* Every step of a scheme is there: signing and verification call them all. */
static void scheme_is_whole(const mod_sig_scheme *s)
{
	assert_non_null(s->params);
	assert_non_null(s->check);
	assert_non_null(s->input);
	assert_non_null(s->encode);
	assert_non_null(s->from_card);
	assert_non_null(s->to_openssl);
	assert_non_null(s->verify_setup);
}

static void every_mechanism_row_is_complete_and_fits_the_token(void **state)
{
	size_t n = 0, i;
	const mod_mech *t = mod_mech_table(&n);
	CK_ULONG min, max;

	(void)state;
	assert_true(n > 0);
	for (i = 0; i < n; i++) {
		bool rsa = t[i].key_type == CKK_RSA;
		bool sig = (t[i].info.flags & (CKF_SIGN | CKF_VERIFY)) != 0;
		bool crypt = (t[i].info.flags & (CKF_ENCRYPT | CKF_DECRYPT)) != 0;

		assert_ptr_equal(mod_mech_find(t[i].type), &t[i]); /* one row per mechanism */
		/* A digest: software, no key, its own hash. */
		if (t[i].info.flags & CKF_DIGEST) {
			assert_int_equal(t[i].info.flags, CKF_DIGEST);
			assert_int_equal(t[i].info.ulMinKeySize, 0);
			assert_int_equal(t[i].info.ulMaxKeySize, 0);
			assert_int_equal(t[i].hash, t[i].type);
			assert_non_null(mod_pad_md(t[i].hash));
			continue;
		}
		assert_true(t[i].info.flags & CKF_HW);
		assert_true(rsa || t[i].key_type == CKK_EC);
		/* A signing row says how: a whole scheme for its key type, a known hash. */
		assert_int_equal(sig, t[i].sig != NULL);
		assert_int_equal(sig, mod_mech_signs_with(&t[i], rsa));
		assert_false(mod_mech_signs_with(&t[i], !rsa));
		if (sig) {
			scheme_is_whole(t[i].sig);
			assert_int_equal(t[i].sig == &mod_sig_scheme_ecdsa, !rsa);
			assert_int_equal(t[i].sig->sig_parts, rsa ? 1 : 2);
		}
		if (t[i].hash)
			assert_non_null(mod_pad_md(t[i].hash));
		/* An encryption row names its padding (RSA only). */
		assert_int_equal(crypt, t[i].enc != MOD_ENC_NONE);
		assert_true(!crypt || rsa);
		/* Any other row makes key pairs or derives (ECDH). */
		assert_int_equal(!!(t[i].info.flags & (CKF_GENERATE_KEY_PAIR | CKF_DERIVE)),
		                 !sig && !crypt);
		assert_int_equal(!rsa, !!(t[i].info.flags & CKF_EC_NAMEDCURVE));
		alg_bits_range(rsa, &min, &max);
		assert_int_equal(t[i].info.ulMinKeySize, min);
		assert_int_equal(t[i].info.ulMaxKeySize, max);
	}
	assert_null(mod_mech_find(CKM_SHA1_RSA_PKCS));
}

/* What the card does with a block: raw RSA, or ECDSA answering DER. */
static size_t card_sign_sw(EVP_PKEY *pkey, const uint8_t *block, size_t len, uint8_t *out,
                           size_t cap)
{
	EVP_PKEY_CTX *ctx;
	size_t n = cap;

	if (EVP_PKEY_is_a(pkey, "RSA")) {
		sigt_raw_rsa_sign(pkey, block, len, out);
		return len;
	}
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_sign_init(ctx), 1);
	assert_int_equal(EVP_PKEY_sign(ctx, out, &n, block, len), 1);
	EVP_PKEY_CTX_free(ctx);
	return n;
}

/* Each signing row through its scheme as C_Sign and C_Verify run it, with a software key in
 * place of the card: the input, the block, the card's answer made PKCS#11's signature, and
 * that signature verified; one bit off and it is not. */
static void every_signing_row_signs_and_verifies_through_its_scheme(void **state)
{
	sigt_sw_keys *k = *state;
	size_t n = 0, i, dg_len, in_len, block_len, out_len;
	const mod_mech *t = mod_mech_table(&n);
	uint8_t dg[64], in[MOD_SIG_MAX_KEY_BYTES], block[MOD_SIG_MAX_KEY_BYTES], out[300], sig[256];

	sigt_digest(EVP_sha256(), "kinko", dg, &dg_len);
	for (i = 0; i < n; i++) {
		bool rsa = t[i].key_type == CKK_RSA;
		CK_MECHANISM_TYPE hash = t[i].hash ? t[i].hash : CKM_SHA256;
		CK_RSA_PKCS_PSS_PARAMS pss = {hash, CKG_MGF1_SHA256, 20};
		CK_MECHANISM mech = {t[i].type, NULL, 0};
		EVP_PKEY *key = rsa ? k->rsa2048 : k->p256;
		uint8_t alg = rsa ? PIV_ALG_RSA2048 : PIV_ALG_ECCP256;
		const uint8_t *data = t[i].hash ? (const uint8_t *)"kinko" : dg;
		mod_sig_op *op = NULL;
		size_t sig_len;

		if (!t[i].sig)
			continue;
		if (t[i].sig == &mod_sig_scheme_pss) {
			mech.pParameter = &pss;
			mech.ulParameterLen = sizeof(pss);
		}
		assert_int_equal(mod_sig_op_new(&t[i], &mech, alg, PIV_KEY_AUTH, &op), CKR_OK);
		/* Hash mechanisms take the message; the others a SHA-256 digest, which every
		 * single-part mechanism takes (as DigestInfo-less data for CKM_RSA_PKCS). */
		assert_int_equal(mod_sig_op_input(op, false, data, t[i].hash ? 5 : dg_len, in,
		                                  sizeof(in), &in_len),
		                 CKR_OK);
		assert_int_equal(t[i].sig->encode(op, in, in_len, block, &block_len), CKR_OK);
		out_len = card_sign_sw(key, block, block_len, out, sizeof(out));
		sig_len = mod_sig_op_sig_len(op);
		assert_int_equal(sig_len, rsa ? 256 : 64);
		assert_int_equal(t[i].sig->from_card(op, out, out_len, sig), CKR_OK);
		assert_int_equal(EVP_PKEY_up_ref(key), 1);
		op->pkey = key;
		assert_int_equal(mod_sig_op_verify(op, in, in_len, sig, sig_len), CKR_OK);
		sig[sig_len / 2] ^= 0x01;
		assert_int_equal(mod_sig_op_verify(op, in, in_len, sig, sig_len),
		                 CKR_SIGNATURE_INVALID);
		assert_int_equal(mod_sig_op_verify(op, in, in_len, sig, sig_len - 1),
		                 CKR_SIGNATURE_LEN_RANGE);
		mod_sig_op_free(op);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(public_keys_are_built_from_piv_templates),
		cmocka_unit_test(rsa_template_with_even_exponent_is_refused),
		cmocka_unit_test(
			rsa_template_with_zero_before_modulus_is_one_key_for_attributes_and_verify),
		cmocka_unit_test(pss_parameters_must_be_consistent),
		cmocka_unit_test(mechanisms_match_key_types_and_take_no_stray_parameters),
		cmocka_unit_test(every_mechanism_row_is_complete_and_fits_the_token),
		cmocka_unit_test(every_signing_row_signs_and_verifies_through_its_scheme),
	};

	return cmocka_run_group_tests(tests, sigt_sw_keys_setup, sigt_sw_keys_teardown);
}
