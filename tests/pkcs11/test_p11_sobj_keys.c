/* Session public keys through the module's function list: RSA and EC keys made from a token
 * key's values (an EC point DER or raw) verify the token's signatures, and creation
 * templates fail in the standard's order. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "p11_sobj_test_util.h"

static const CK_BYTE oid_p256[] = {0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
static CK_OBJECT_CLASS cls_data = CKO_DATA, cls_cert = CKO_CERTIFICATE, cls_pub = CKO_PUBLIC_KEY;

static void public_keys_take_a_der_or_raw_ec_point(void **state)
{
	p11t *t = *state;
	CK_BYTE id = 0x03;
	CK_OBJECT_HANDLE pub, priv, der_key, raw_key;
	sobjt_key_parts k;
	CK_BYTE *spki;
	CK_ULONG spki_len = 0;

	p11t_generate(t, 0, "P-256", &id, 1, &pub, &priv);
	sobjt_key_parts_read(t, pub, &k);
	assert_int_equal(k.b_len, 67); /* 04 41 04||X||Y */
	assert_int_equal(sobjt_make_pub(t, t->session, &k, NULL, &der_key), CKR_OK);
	k.b_len -= 2; /* the raw point, as NSS and Java sometimes send it */
	memmove(k.b, k.b + 2, k.b_len);
	assert_int_equal(sobjt_make_pub(t, t->session, &k, NULL, &raw_key), CKR_OK);
	k.b_len += 2;
	memmove(k.b + 2, k.b, k.b_len - 2);
	k.b[0] = 0x04;
	k.b[1] = 0x41;
	/* both kept in PKCS#11's form */
	sobjt_assert_bytes(t, raw_key, CKA_EC_POINT, k.b, k.b_len);
	sobjt_assert_bytes(t, der_key, CKA_EC_PARAMS, oid_p256, sizeof(oid_p256));
	assert_false(objt_bool(t, raw_key, CKA_LOCAL));
	assert_true(objt_bool(t, raw_key, CKA_VERIFY));
	assert_int_equal(objt_ulong(t, raw_key, CKA_KEY_GEN_MECHANISM), CK_UNAVAILABLE_INFORMATION);
	spki = objt_bytes(t, pub, CKA_PUBLIC_KEY_INFO, &spki_len);
	sobjt_assert_bytes(t, raw_key, CKA_PUBLIC_KEY_INFO, spki, spki_len);
	free(spki);
	free(k.a);
	free(k.b);
}

/* ---- verifying ---- */

static void verify_one(p11t *t, CK_OBJECT_HANDLE priv, CK_OBJECT_HANDLE session_pub,
                       CK_MECHANISM_TYPE mech)
{
	CK_MECHANISM m = {mech, NULL, 0};
	CK_BYTE sig[512];
	CK_ULONG sig_len = sizeof(sig);
	static const CK_BYTE msg[] = "signed on the token, verified with a session key";

	assert_int_equal(t->f->C_SignInit(t->session, &m, priv), CKR_OK);
	assert_int_equal(t->f->C_Sign(t->session, (CK_BYTE_PTR)msg, sizeof(msg), sig, &sig_len),
	                 CKR_OK);
	assert_int_equal(t->f->C_VerifyInit(t->session, &m, session_pub), CKR_OK);
	assert_int_equal(t->f->C_Verify(t->session, (CK_BYTE_PTR)msg, sizeof(msg), sig, sig_len),
	                 CKR_OK);
	sig[sig_len / 2] ^= 0x01;
	assert_int_equal(t->f->C_VerifyInit(t->session, &m, session_pub), CKR_OK);
	assert_int_equal(t->f->C_Verify(t->session, (CK_BYTE_PTR)msg, sizeof(msg), sig, sig_len),
	                 CKR_SIGNATURE_INVALID);
}

static void session_public_keys_verify_the_tokens_signatures(void **state)
{
	p11t *t = *state;
	CK_BYTE rsa_id = 0x01, ec_id = 0x05; /* 9A and retired 82: no PIN each time */
	CK_OBJECT_HANDLE rsa_pub, rsa_priv, ec_pub, ec_priv, s_rsa, s_ec, s_noverify, data;
	CK_MECHANISM sha256_rsa = {CKM_SHA256_RSA_PKCS, NULL, 0};
	sobjt_key_parts rsa, ec;

	p11t_generate(t, 2048, NULL, &rsa_id, 1, &rsa_pub, &rsa_priv);
	p11t_generate(t, 0, "P-256", &ec_id, 1, &ec_pub, &ec_priv);
	sobjt_key_parts_read(t, rsa_pub, &rsa);
	sobjt_key_parts_read(t, ec_pub, &ec);
	assert_int_equal(sobjt_make_pub(t, t->session, &rsa, NULL, &s_rsa), CKR_OK);
	assert_int_equal(sobjt_make_pub(t, t->session, &ec, NULL, &s_ec), CKR_OK);
	assert_int_equal(objt_ulong(t, s_rsa, CKA_MODULUS_BITS), 2048);
	verify_one(t, rsa_priv, s_rsa, CKM_SHA256_RSA_PKCS);
	verify_one(t, ec_priv, s_ec, CKM_ECDSA_SHA256);

	assert_int_equal(sobjt_make_pub(t, t->session, &rsa, &no, &s_noverify), CKR_OK);
	assert_int_equal(t->f->C_VerifyInit(t->session, &sha256_rsa, s_noverify),
	                 CKR_KEY_FUNCTION_NOT_PERMITTED);
	/* a session key is a public key: never for the card's private operations */
	assert_int_equal(t->f->C_SignInit(t->session, &sha256_rsa, s_rsa),
	                 CKR_KEY_FUNCTION_NOT_PERMITTED);
	assert_int_equal(sobjt_make_data(t, t->session, &no, "no key", &data), CKR_OK);
	assert_int_equal(t->f->C_VerifyInit(t->session, &sha256_rsa, data), CKR_KEY_HANDLE_INVALID);
	assert_int_equal(t->f->C_SignInit(t->session, &sha256_rsa, data), CKR_KEY_HANDLE_INVALID);
	/* the mechanism is looked at before the key */
	sha256_rsa.mechanism = CKM_VENDOR_DEFINED + 0x777;
	assert_int_equal(t->f->C_VerifyInit(t->session, &sha256_rsa, s_rsa), CKR_MECHANISM_INVALID);
	free(rsa.a);
	free(rsa.b);
	free(ec.a);
	free(ec.b);
}

/* ---- template errors ---- */

static void template_errors_come_in_the_standards_order(void **state)
{
	p11t *t = *state;
	CK_CERTIFICATE_TYPE x509 = CKC_X_509;
	CK_KEY_TYPE rsa = CKK_RSA, ec = CKK_EC;
	CK_OBJECT_CLASS priv_cls = CKO_PRIVATE_KEY;
	CK_ULONG bits = 1024, big_len = 65537;
	static const CK_BYTE secp256k1[] = {0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x0A};
	CK_BYTE off_curve[67] = {0x04, 0x41, 0x04, 0x01};
	CK_BYTE *big = calloc(1, big_len);
	CK_OBJECT_HANDLE h;
	struct {
		CK_ATTRIBUTE tmpl[4];
		CK_ULONG n;
		CK_RV want;
	} cases[] = {
		/* an unknown attribute before anything missing */
		{{{CKA_MODULUS_BITS, &bits, sizeof(bits)}}, 1, CKR_ATTRIBUTE_TYPE_INVALID},
		{{{CKA_CLASS, &cls_data, sizeof(cls_data)}, {CKA_MODULUS, "x", 1}},
	         2,
	         CKR_ATTRIBUTE_TYPE_INVALID},
		{{{CKA_LABEL, "no class", 8}}, 1, CKR_TEMPLATE_INCOMPLETE},
		{{{CKA_CLASS, &cls_data, 3}}, 1, CKR_ATTRIBUTE_VALUE_INVALID},
		{{{CKA_CLASS, &cls_data, sizeof(cls_data)}, {CKA_PRIVATE, &no, 4}},
	         2,
	         CKR_ATTRIBUTE_VALUE_INVALID},
		{{{CKA_CLASS, &cls_data, sizeof(cls_data)}, {CKA_VALUE, big, big_len}},
	         2,
	         CKR_ATTRIBUTE_VALUE_INVALID},
		{{{CKA_CLASS, &cls_data, sizeof(cls_data)},
	          {CKA_LABEL, "a", 1},
	          {CKA_LABEL, "b", 1}},
	         3,
	         CKR_TEMPLATE_INCONSISTENT},
		{{{CKA_CLASS, &priv_cls, sizeof(priv_cls)}}, 1, CKR_ATTRIBUTE_VALUE_INVALID},
		{{{CKA_CLASS, &cls_cert, sizeof(cls_cert)},
	          {CKA_CERTIFICATE_TYPE, &x509, sizeof(x509)}},
	         2,
	         CKR_TEMPLATE_INCOMPLETE},
		{{{CKA_CLASS, &cls_cert, sizeof(cls_cert)},
	          {CKA_CERTIFICATE_TYPE, &x509, sizeof(x509)},
	          {CKA_VALUE, "not DER", 7}},
	         3,
	         CKR_ATTRIBUTE_VALUE_INVALID},
		{{{CKA_CLASS, &cls_cert, sizeof(cls_cert)},
	          {CKA_CERTIFICATE_TYPE, &x509, sizeof(x509)},
	          {CKA_TRUSTED, &yes, 1}},
	         3,
	         CKR_ATTRIBUTE_READ_ONLY},
		{{{CKA_CLASS, &cls_pub, sizeof(cls_pub)}, {CKA_KEY_TYPE, &rsa, sizeof(rsa)}},
	         2,
	         CKR_TEMPLATE_INCOMPLETE},
		{{{CKA_CLASS, &cls_pub, sizeof(cls_pub)},
	          {CKA_KEY_TYPE, &rsa, sizeof(rsa)},
	          {CKA_LOCAL, &yes, 1}},
	         3,
	         CKR_ATTRIBUTE_READ_ONLY},
		{{{CKA_CLASS, &cls_pub, sizeof(cls_pub)},
	          {CKA_KEY_TYPE, &ec, sizeof(ec)},
	          {CKA_EC_PARAMS, (void *)secp256k1, sizeof(secp256k1)},
	          {CKA_EC_POINT, off_curve, sizeof(off_curve)}},
	         4,
	         CKR_CURVE_NOT_SUPPORTED},
		{{{CKA_CLASS, &cls_pub, sizeof(cls_pub)},
	          {CKA_KEY_TYPE, &ec, sizeof(ec)},
	          {CKA_EC_PARAMS, (void *)oid_p256, sizeof(oid_p256)},
	          {CKA_EC_POINT, off_curve, sizeof(off_curve)}},
	         4,
	         CKR_ATTRIBUTE_VALUE_INVALID},
		/* the token stores certificates only */
		{{{CKA_CLASS, &cls_data, sizeof(cls_data)}, {CKA_TOKEN, &yes, 1}},
	         2,
	         CKR_TEMPLATE_INCONSISTENT},
		{{{CKA_CLASS, &cls_data, sizeof(cls_data)}, {CKA_TOKEN, &yes, 2}},
	         2,
	         CKR_ATTRIBUTE_VALUE_INVALID},
	};
	size_t i;

	assert_non_null(big);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CK_RV rv = t->f->C_CreateObject(t->session, cases[i].tmpl, cases[i].n, &h);

		if (rv != cases[i].want)
			fail_msg("case %zu: 0x%lx, want 0x%lx", i, (unsigned long)rv,
			         (unsigned long)cases[i].want);
	}
	assert_int_equal(t->f->C_CreateObject(t->session, NULL, 1, &h), CKR_ARGUMENTS_BAD);
	assert_int_equal(objt_count_class(t, CKO_DATA), 0);
	free(big);
}

static void a_modulus_bits_that_disagrees_is_inconsistent(void **state)
{
	p11t *t = *state;
	CK_BYTE id = 0x01;
	CK_OBJECT_HANDLE pub, priv, h;
	CK_KEY_TYPE rsa = CKK_RSA;
	CK_ULONG bits = 3072;
	sobjt_key_parts k;

	p11t_generate(t, 2048, NULL, &id, 1, &pub, &priv);
	sobjt_key_parts_read(t, pub, &k);
	{
		CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls_pub, sizeof(cls_pub)},
		                       {CKA_KEY_TYPE, &rsa, sizeof(rsa)},
		                       {CKA_MODULUS, k.a, k.a_len},
		                       {CKA_PUBLIC_EXPONENT, k.b, k.b_len},
		                       {CKA_MODULUS_BITS, &bits, sizeof(bits)}};

		assert_int_equal(t->f->C_CreateObject(t->session, tmpl, 5, &h),
		                 CKR_TEMPLATE_INCONSISTENT);
		bits = 2048;
		assert_int_equal(t->f->C_CreateObject(t->session, tmpl, 5, &h), CKR_OK);
		/* an even exponent is no RSA key */
		k.b[k.b_len - 1] ^= 0x01;
		assert_int_equal(t->f->C_CreateObject(t->session, tmpl, 4, &h),
		                 CKR_ATTRIBUTE_VALUE_INVALID);
	}
	free(k.a);
	free(k.b);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, objt_setup, objt_teardown)
#define TL(fn) cmocka_unit_test_setup_teardown(fn, objt_setup_login, objt_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TL(public_keys_take_a_der_or_raw_ec_point),
		TL(session_public_keys_verify_the_tokens_signatures),
		T(template_errors_come_in_the_standards_order),
		TL(a_modulus_bits_that_disagrees_is_inconsistent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
