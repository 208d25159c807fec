/* The token's keys through the module: generation in chosen and automatic slots, the
 * attributes of the key objects, the sensitive/extractable rules no template can break,
 * C_GetAttributeValue's length rules, searches, and what stays hidden before login. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>

#include "kinko-pkcs11.h"
#include "p11_obj_test_util.h"

static const CK_BYTE oid_p256[] = {0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
static const CK_BYTE oid_p384[] = {0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x22};
static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;

/* C_GenerateKeyPair with extra attributes in either template; returns its CK_RV. */
static CK_RV gen_with(p11t *t, CK_MECHANISM_TYPE mech, CK_ATTRIBUTE *pub, CK_ULONG n_pub,
                      CK_ATTRIBUTE *priv, CK_ULONG n_priv)
{
	CK_MECHANISM m = {mech, NULL, 0};
	CK_OBJECT_HANDLE hp = 0, hk = 0;

	return t->f->C_GenerateKeyPair(t->session, &m, pub, n_pub, priv, n_priv, &hp, &hk);
}

static void assert_ec_key_pair(p11t *t, CK_OBJECT_HANDLE pub, CK_OBJECT_HANDLE priv, CK_BYTE id,
                               const CK_BYTE *oid, size_t oid_len, size_t field)
{
	/* Generated on the token: a verifying public key, a private signing one, except in
	 * 9D (key agreement only); the retired slots also agree keys. */
	bool sign = id != KINKO_CKA_ID_9D, derive = id == KINKO_CKA_ID_9D || id >= KINKO_CKA_ID_82;
	const objt_bool_want pub_bools[] = {
		{CKA_LOCAL, true}, {CKA_VERIFY, sign},  {CKA_ENCRYPT, false},
		{CKA_WRAP, false}, {CKA_DERIVE, false}, {CKA_PRIVATE, false},
	};
	const objt_bool_want priv_bools[] = {{CKA_LOCAL, true},    {CKA_PRIVATE, true},
	                                     {CKA_SIGN, sign},     {CKA_DERIVE, derive},
	                                     {CKA_DECRYPT, false}, {CKA_UNWRAP, false}};
	CK_BYTE *params, *point;
	CK_ULONG len = 0, plen = 0;
	unsigned char raw[1 + 2 * 48];
	size_t raw_len = 0;
	EVP_PKEY *k;

	assert_int_equal(objt_ulong(t, pub, CKA_CLASS), CKO_PUBLIC_KEY);
	assert_int_equal(objt_ulong(t, priv, CKA_CLASS), CKO_PRIVATE_KEY);
	assert_int_equal(objt_ulong(t, pub, CKA_KEY_TYPE), CKK_EC);
	assert_int_equal(objt_ulong(t, priv, CKA_KEY_TYPE), CKK_EC);
	params = objt_bytes(t, pub, CKA_ID, &len);
	assert_int_equal(len, 1);
	assert_int_equal(params[0], id);
	free(params);
	params = objt_bytes(t, priv, CKA_ID, &len);
	assert_int_equal(len, 1);
	assert_int_equal(params[0], id);
	free(params);
	params = objt_bytes(t, priv, CKA_EC_PARAMS, &len);
	assert_int_equal(len, oid_len);
	assert_memory_equal(params, oid, oid_len);
	free(params);
	/* CKA_EC_POINT is the DER OCTET STRING of the point in CKA_PUBLIC_KEY_INFO */
	point = objt_bytes(t, pub, CKA_EC_POINT, &plen);
	assert_int_equal(plen, 2 + 1 + 2 * field);
	assert_int_equal(point[0], 0x04);
	assert_int_equal(point[1], 1 + 2 * field);
	k = objt_pubkey(t, pub);
	assert_int_equal(EVP_PKEY_get_bits(k), (int)field * 8);
	assert_int_equal(EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, raw,
	                                                 sizeof(raw), &raw_len),
	                 1);
	assert_int_equal(raw_len, plen - 2);
	assert_memory_equal(raw, point + 2, raw_len);
	EVP_PKEY_free(k);
	free(point);
	objt_assert_bools(t, pub, pub_bools, sizeof(pub_bools) / sizeof(pub_bools[0]));
	objt_assert_bools(t, priv, priv_bools, sizeof(priv_bools) / sizeof(priv_bools[0]));
	assert_int_equal(objt_ulong(t, priv, CKA_KEY_GEN_MECHANISM), CKM_EC_KEY_PAIR_GEN);
}

/* ---- generation ---- */

static void empty_token_has_no_objects(void **state)
{
	p11t *t = *state;
	CK_OBJECT_HANDLE h[4];

	assert_int_equal(objt_find(t, NULL, 0, h, 4), 0);
	p11t_login(t);
	assert_int_equal(objt_find(t, NULL, 0, h, 4), 0);
}

static void p256_in_a_chosen_slot_has_one_id_for_both_halves(void **state)
{
	static const CK_BYTE id = 0x03;
	p11t *t = *state;
	CK_OBJECT_HANDLE pub, priv;

	p11t_generate(t, 0, "P-256", &id, 1, &pub, &priv);
	assert_ec_key_pair(t, pub, priv, 0x03, oid_p256, sizeof(oid_p256), 32);
	assert_int_equal(p11t_find_one(t, CKO_PUBLIC_KEY, &id, 1), pub);
	assert_int_equal(p11t_find_one(t, CKO_PRIVATE_KEY, &id, 1), priv);
	/* 9D is no PIN-always slot */
	assert_false(objt_bool(t, priv, CKA_ALWAYS_AUTHENTICATE));
}

static void keys_without_id_fill_9a_then_the_retired_slots(void **state)
{
	static const CK_BYTE id_9a = 0x01, id_82 = 0x05, id_83 = 0x06;
	static const CK_BYTE label_82[] = "Retired Key 1";
	p11t *t = *state;
	CK_OBJECT_HANDLE pub, priv, pub2, priv2, pub3, priv3;
	CK_BYTE *v;
	CK_ULONG len = 0;

	p11t_generate(t, 0, "P-256", NULL, 0, &pub, &priv);
	assert_int_equal(p11t_find_one(t, CKO_PRIVATE_KEY, &id_9a, 1), priv);
	p11t_generate(t, 0, "P-384", NULL, 0, &pub2, &priv2);
	assert_int_equal(p11t_find_one(t, CKO_PRIVATE_KEY, &id_82, 1), priv2);
	assert_ec_key_pair(t, pub2, priv2, 0x05, oid_p384, sizeof(oid_p384), 48);
	p11t_generate(t, 0, "P-256", NULL, 0, &pub3, &priv3);
	assert_int_equal(p11t_find_one(t, CKO_PUBLIC_KEY, &id_83, 1), pub3);
	v = objt_bytes(t, priv2, CKA_LABEL, &len);
	assert_int_equal(len, sizeof(label_82) - 1);
	assert_memory_equal(v, label_82, len);
	free(v);
	v = objt_bytes(t, pub, CKA_LABEL, &len);
	assert_int_equal(len, 18);
	assert_memory_equal(v, "PIV Authentication", 18);
	free(v);
}

static void rsa_2048_key_has_its_modulus_and_exponent(void **state)
{
	p11t *t = *state;
	CK_OBJECT_HANDLE pub, priv;
	CK_BYTE *mod, *exp, *mod_priv;
	CK_ULONG mlen = 0, elen = 0, plen = 0;
	BIGNUM *n = NULL;
	EVP_PKEY *k;

	p11t_generate(t, 2048, NULL, (const CK_BYTE *)"\x04", 1, &pub, &priv);
	assert_int_equal(objt_ulong(t, pub, CKA_KEY_TYPE), CKK_RSA);
	assert_int_equal(objt_ulong(t, pub, CKA_MODULUS_BITS), 2048);
	mod = objt_bytes(t, pub, CKA_MODULUS, &mlen);
	assert_int_equal(mlen, 256);
	assert_true(mod[0] & 0x80);
	exp = objt_bytes(t, pub, CKA_PUBLIC_EXPONENT, &elen);
	assert_int_equal(elen, 3);
	assert_memory_equal(exp, "\x01\x00\x01", 3);
	/* the private key shows the same public parts, and the SPKI agrees */
	mod_priv = objt_bytes(t, priv, CKA_MODULUS, &plen);
	assert_int_equal(plen, mlen);
	assert_memory_equal(mod_priv, mod, mlen);
	k = objt_pubkey(t, priv);
	assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n), 1);
	assert_int_equal(BN_num_bytes(n), 256);
	assert_int_equal(objt_ulong(t, priv, CKA_KEY_GEN_MECHANISM), CKM_RSA_PKCS_KEY_PAIR_GEN);
	/* 9E's label, and no CKA_EC_POINT on an RSA key */
	assert_int_equal(objt_attr(t, pub, CKA_EC_POINT, NULL, 0, &plen),
	                 CKR_ATTRIBUTE_TYPE_INVALID);
	BN_free(n);
	EVP_PKEY_free(k);
	free(mod);
	free(exp);
	free(mod_priv);
}

static void rsa_3072_in_9c_wants_context_login_and_p384_by_name(void **state)
{
	/* PKCS#11 3.0's printable form of a curve name */
	static const CK_BYTE p384_name[] = {0x13, 0x09, 's', 'e', 'c', 'p',
	                                    '3',  '8',  '4', 'r', '1'};
	CK_ULONG bits = 3072;
	CK_BYTE id9c = 0x02, id9d = 0x03;
	CK_ATTRIBUTE rsa_pub[] = {{CKA_MODULUS_BITS, &bits, sizeof(bits)}, {CKA_ID, &id9c, 1}};
	CK_ATTRIBUTE ec_pub[] = {{CKA_EC_PARAMS, (void *)p384_name, sizeof(p384_name)},
	                         {CKA_ID, &id9d, 1}};
	p11t *t = *state;
	CK_OBJECT_HANDLE priv, pub;

	p11t_login(t);
	assert_int_equal(gen_with(t, CKM_RSA_PKCS_KEY_PAIR_GEN, rsa_pub, 2, NULL, 0), CKR_OK);
	priv = p11t_find_one(t, CKO_PRIVATE_KEY, &id9c, 1);
	assert_true(priv != 0);
	assert_int_equal(objt_ulong(t, priv, CKA_MODULUS_BITS), 3072);
	assert_true(objt_bool(t, priv, CKA_ALWAYS_AUTHENTICATE));
	assert_int_equal(gen_with(t, CKM_EC_KEY_PAIR_GEN, ec_pub, 2, NULL, 0), CKR_OK);
	pub = p11t_find_one(t, CKO_PUBLIC_KEY, &id9d, 1);
	priv = p11t_find_one(t, CKO_PRIVATE_KEY, &id9d, 1);
	assert_ec_key_pair(t, pub, priv, 0x03, oid_p384, sizeof(oid_p384), 48);
}

static void existing_key_is_never_overwritten(void **state)
{
	CK_BYTE id = 0x01;
	CK_ATTRIBUTE pub_tmpl[] = {{CKA_EC_PARAMS, (void *)oid_p256, sizeof(oid_p256)},
	                           {CKA_ID, &id, 1}};
	p11t *t = *state;
	CK_OBJECT_HANDLE pub, priv;
	CK_BYTE *before, *after;
	CK_ULONG n1 = 0, n2 = 0;

	p11t_generate(t, 0, "P-256", &id, 1, &pub, &priv);
	before = objt_bytes(t, pub, CKA_EC_POINT, &n1);
	assert_int_equal(gen_with(t, CKM_EC_KEY_PAIR_GEN, pub_tmpl, 2, NULL, 0),
	                 CKR_ATTRIBUTE_VALUE_INVALID);
	after = objt_bytes(t, pub, CKA_EC_POINT, &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(before, after, n1);
	free(before);
	free(after);
}

static void keygen_templates_the_token_cannot_honour_are_refused(void **state)
{
	static const CK_BYTE oid_p521[] = {0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x23};
	static const CK_BYTE bad_der[] = {0x06, 0x08, 0x2A, 0x86};
	static const CK_BYTE e3[] = {0x03};
	CK_ULONG bits = 2048, bits_1024 = 1024;
	CK_BYTE id = 0x01, id_bad = 0x19, id_other = 0x02;
	CK_OBJECT_CLASS cls_pub = CKO_PUBLIC_KEY;
	CK_KEY_TYPE kt_rsa = CKK_RSA;
	CK_ATTRIBUTE ec[] = {{CKA_EC_PARAMS, (void *)oid_p256, sizeof(oid_p256)}};
	struct {
		CK_MECHANISM_TYPE mech;
		CK_ATTRIBUTE pub, priv;
		CK_RV want;
	} cases[] = {
		{CKM_EC_KEY_PAIR_GEN,
	         ec[0],
	         {CKA_EXTRACTABLE, &yes, 1},
	         CKR_ATTRIBUTE_VALUE_INVALID},
		{CKM_EC_KEY_PAIR_GEN, ec[0], {CKA_SENSITIVE, &no, 1}, CKR_ATTRIBUTE_VALUE_INVALID},
		{CKM_EC_KEY_PAIR_GEN, ec[0], {CKA_PRIVATE, &no, 1}, CKR_ATTRIBUTE_VALUE_INVALID},
		{CKM_EC_KEY_PAIR_GEN, ec[0], {CKA_TOKEN, &no, 1}, CKR_TEMPLATE_INCONSISTENT},
		{CKM_EC_KEY_PAIR_GEN, ec[0], {CKA_VALUE, "x", 1}, CKR_ATTRIBUTE_TYPE_INVALID},
		{CKM_EC_KEY_PAIR_GEN, ec[0], {CKA_ID, &id_bad, 1}, CKR_ATTRIBUTE_VALUE_INVALID},
		{CKM_EC_KEY_PAIR_GEN,
	         {CKA_ID, &id, 1},
	         {CKA_SIGN, &yes, 1},
	         CKR_TEMPLATE_INCOMPLETE},
		{CKM_EC_KEY_PAIR_GEN,
	         {CKA_EC_PARAMS, (void *)oid_p521, sizeof(oid_p521)},
	         {CKA_SIGN, &yes, 1},
	         CKR_CURVE_NOT_SUPPORTED},
		{CKM_EC_KEY_PAIR_GEN,
	         {CKA_EC_PARAMS, (void *)bad_der, sizeof(bad_der)},
	         {CKA_SIGN, &yes, 1},
	         CKR_ATTRIBUTE_VALUE_INVALID},
		{CKM_EC_KEY_PAIR_GEN,
	         {CKA_MODULUS_BITS, &bits, sizeof(bits)},
	         {CKA_SIGN, &yes, 1},
	         CKR_TEMPLATE_INCONSISTENT},
		{CKM_RSA_PKCS_KEY_PAIR_GEN,
	         {CKA_MODULUS_BITS, &bits_1024, sizeof(bits)},
	         {CKA_SIGN, &yes, 1},
	         CKR_KEY_SIZE_RANGE},
		{CKM_RSA_PKCS_KEY_PAIR_GEN,
	         {CKA_PUBLIC_EXPONENT, (void *)e3, 1},
	         {CKA_SIGN, &yes, 1},
	         CKR_ATTRIBUTE_VALUE_INVALID},
		{CKM_RSA_PKCS_KEY_PAIR_GEN,
	         {CKA_CLASS, &cls_pub, sizeof(cls_pub)},
	         {CKA_CLASS, &cls_pub, sizeof(cls_pub)},
	         CKR_TEMPLATE_INCONSISTENT},
		{CKM_EC_KEY_PAIR_GEN,
	         ec[0],
	         {CKA_KEY_TYPE, &kt_rsa, sizeof(kt_rsa)},
	         CKR_TEMPLATE_INCONSISTENT},
		{CKM_EC_KEY_PAIR_GEN,
	         ec[0],
	         {CKA_EXTRACTABLE, &yes, 4},
	         CKR_ATTRIBUTE_VALUE_INVALID},
		{CKM_RSA_PKCS, ec[0], {CKA_SIGN, &yes, 1}, CKR_MECHANISM_INVALID},
	};
	p11t *t = *state;
	CK_SESSION_HANDLE ro;
	size_t i;

	p11t_login(t);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CK_RV rv = gen_with(t, cases[i].mech, &cases[i].pub, 1, &cases[i].priv, 1);

		if (rv != cases[i].want)
			fail_msg("case %zu: 0x%lx, expected 0x%lx", i, (unsigned long)rv,
			         (unsigned long)cases[i].want);
	}
	/* ids that disagree */
	{
		CK_ATTRIBUTE pub2[] = {ec[0], {CKA_ID, &id_other, 1}};
		CK_ATTRIBUTE priv2[] = {{CKA_ID, &id, 1}};

		assert_int_equal(gen_with(t, CKM_EC_KEY_PAIR_GEN, pub2, 2, priv2, 1),
		                 CKR_TEMPLATE_INCONSISTENT);
	}
	assert_int_equal(objt_count_class(t, CKO_PRIVATE_KEY), 0);
	assert_int_equal(objt_count_class(t, CKO_PUBLIC_KEY), 0);

	/* a read-only session, and no login */
	assert_int_equal(t->f->C_OpenSession(t->slots[0], CKF_SERIAL_SESSION, NULL, NULL, &ro),
	                 CKR_OK);
	{
		CK_MECHANISM m = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
		CK_OBJECT_HANDLE a, b;

		assert_int_equal(t->f->C_GenerateKeyPair(ro, &m, ec, 1, NULL, 0, &a, &b),
		                 CKR_SESSION_READ_ONLY);
		assert_int_equal(t->f->C_Logout(t->session), CKR_OK);
		assert_int_equal(gen_with(t, CKM_EC_KEY_PAIR_GEN, ec, 1, NULL, 0),
		                 CKR_USER_NOT_LOGGED_IN);
		assert_int_equal(t->f->C_GenerateKeyPair(t->session, &m, ec, 1, NULL, 0, NULL, &b),
		                 CKR_ARGUMENTS_BAD);
	}
	assert_int_equal(t->f->C_CloseSession(ro), CKR_OK);
}

/* ---- what the private key never gives away ---- */

static void private_key_is_sensitive_and_never_leaves(void **state)
{
	static const CK_ATTRIBUTE_TYPE secret[] = {
		CKA_VALUE,      CKA_PRIVATE_EXPONENT, CKA_PRIME_1,     CKA_PRIME_2,
		CKA_EXPONENT_1, CKA_EXPONENT_2,       CKA_COEFFICIENT,
	};
	static const objt_bool_want sealed[] = {
		{CKA_SENSITIVE, true},         {CKA_ALWAYS_SENSITIVE, true},
		{CKA_NEVER_EXTRACTABLE, true}, {CKA_EXTRACTABLE, false},
		{CKA_DECRYPT, false},          {CKA_UNWRAP, false},
		{CKA_SIGN_RECOVER, false},     {CKA_MODIFIABLE, false},
		{CKA_COPYABLE, false},
	};
	p11t *t = *state;
	CK_OBJECT_HANDLE pub, priv, copy = 0;
	CK_BYTE buf[512];
	CK_ULONG len, wrapped_len = sizeof(buf), i;
	CK_MECHANISM wrap = {CKM_RSA_PKCS, NULL, 0};
	CK_ATTRIBUTE make_extractable[] = {{CKA_EXTRACTABLE, &yes, 1}};
	CK_ATTRIBUTE make_plain[] = {{CKA_SENSITIVE, &no, 1}};

	p11t_generate(t, 2048, NULL, NULL, 0, &pub, &priv);
	objt_assert_bools(t, priv, sealed, sizeof(sealed) / sizeof(sealed[0]));
	for (i = 0; i < sizeof(secret) / sizeof(secret[0]); i++) {
		len = sizeof(buf);
		assert_int_equal(objt_attr(t, priv, secret[i], buf, sizeof(buf), &len),
		                 CKR_ATTRIBUTE_SENSITIVE);
		assert_int_equal(len, CK_UNAVAILABLE_INFORMATION);
		len = 0;
		assert_int_equal(objt_attr(t, priv, secret[i], NULL, 0, &len),
		                 CKR_ATTRIBUTE_SENSITIVE);
		assert_int_equal(len, CK_UNAVAILABLE_INFORMATION);
	}
	/* no way to change that, copy it, or wrap it */
	assert_int_equal(t->f->C_SetAttributeValue(t->session, priv, make_extractable, 1),
	                 CKR_ATTRIBUTE_READ_ONLY);
	assert_int_equal(t->f->C_SetAttributeValue(t->session, priv, make_plain, 1),
	                 CKR_ATTRIBUTE_READ_ONLY);
	assert_false(objt_bool(t, priv, CKA_EXTRACTABLE));
	assert_int_equal(t->f->C_CopyObject(t->session, priv, make_extractable, 1, &copy),
	                 CKR_ACTION_PROHIBITED);
	assert_int_equal(t->f->C_CopyObject(t->session, priv, NULL, 0, &copy),
	                 CKR_ACTION_PROHIBITED);
	assert_int_equal(copy, 0);
	assert_int_equal(t->f->C_WrapKey(t->session, &wrap, pub, priv, buf, &wrapped_len),
	                 CKR_KEY_UNEXTRACTABLE);
	assert_int_equal(t->f->C_WrapKey(t->session, &wrap, pub, 0x7777, buf, &wrapped_len),
	                 CKR_KEY_HANDLE_INVALID);
	assert_int_equal(t->f->C_WrapKey(t->session, &wrap, 0x7777, pub, buf, &wrapped_len),
	                 CKR_WRAPPING_KEY_HANDLE_INVALID);
}

static void ec_private_key_has_no_point_and_no_rsa_parts(void **state)
{
	p11t *t = *state;
	CK_OBJECT_HANDLE pub, priv;
	CK_ULONG len = 0;

	p11t_generate(t, 0, "P-256", NULL, 0, &pub, &priv);
	assert_int_equal(objt_attr(t, priv, CKA_EC_POINT, NULL, 0, &len),
	                 CKR_ATTRIBUTE_TYPE_INVALID);
	assert_int_equal(len, CK_UNAVAILABLE_INFORMATION);
	assert_int_equal(objt_attr(t, priv, CKA_MODULUS, NULL, 0, &len),
	                 CKR_ATTRIBUTE_TYPE_INVALID);
	assert_int_equal(objt_attr(t, priv, CKA_VALUE, NULL, 0, &len), CKR_ATTRIBUTE_SENSITIVE);
	assert_int_equal(objt_attr(t, pub, CKA_VALUE, NULL, 0, &len), CKR_ATTRIBUTE_TYPE_INVALID);
}

/* ---- C_GetAttributeValue's length rules ---- */

static void attribute_lengths_follow_pkcs11_for_each_attribute(void **state)
{
	p11t *t = *state;
	CK_OBJECT_HANDLE pub, priv;
	CK_OBJECT_CLASS cls = 0;
	CK_BYTE label[4], id[8], value[8];
	CK_ULONG sz = 0;
	CK_ATTRIBUTE tmpl[] = {
		{CKA_CLASS, NULL, 0},                /* length query */
		{CKA_LABEL, label, sizeof(label)},   /* too small */
		{CKA_VALUE, value, sizeof(value)},   /* sensitive */
		{0x8000F00Du, value, sizeof(value)}, /* no such attribute */
		{CKA_ID, id, sizeof(id)},            /* fine */
		{CKA_KEY_TYPE, &cls, sizeof(cls)},   /* fine */
	};
	CK_RV rv;

	p11t_generate(t, 0, "P-256", NULL, 0, &pub, &priv);
	rv = t->f->C_GetAttributeValue(t->session, priv, tmpl, 6);
	assert_true(rv == CKR_ATTRIBUTE_SENSITIVE || rv == CKR_ATTRIBUTE_TYPE_INVALID ||
	            rv == CKR_BUFFER_TOO_SMALL);
	/* every attribute was processed, whatever the others did */
	assert_int_equal(tmpl[0].ulValueLen, sizeof(CK_OBJECT_CLASS));
	assert_int_equal(tmpl[1].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	assert_int_equal(tmpl[2].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	assert_int_equal(tmpl[3].ulValueLen, CK_UNAVAILABLE_INFORMATION);
	assert_int_equal(tmpl[4].ulValueLen, 1);
	assert_int_equal(id[0], 0x01);
	assert_int_equal(tmpl[5].ulValueLen, sizeof(CK_KEY_TYPE));
	assert_int_equal(cls, CKK_EC);

	/* each error alone gives its own code */
	tmpl[1].ulValueLen = sizeof(label);
	assert_int_equal(t->f->C_GetAttributeValue(t->session, priv, &tmpl[1], 1),
	                 CKR_BUFFER_TOO_SMALL);
	assert_int_equal(t->f->C_GetAttributeValue(t->session, priv, &tmpl[3], 1),
	                 CKR_ATTRIBUTE_TYPE_INVALID);
	tmpl[2].ulValueLen = sizeof(value);
	assert_int_equal(t->f->C_GetAttributeValue(t->session, priv, &tmpl[2], 1),
	                 CKR_ATTRIBUTE_SENSITIVE);
	/* a buffer of exactly the length, and a larger one, take the value */
	assert_int_equal(objt_attr(t, priv, CKA_LABEL, NULL, 0, &sz), CKR_OK);
	assert_int_equal(sz, 18);
	{
		CK_BYTE exact[18], big[40];

		assert_int_equal(objt_attr(t, priv, CKA_LABEL, exact, 18, &sz), CKR_OK);
		assert_memory_equal(exact, "PIV Authentication", 18);
		assert_int_equal(objt_attr(t, priv, CKA_LABEL, big, sizeof(big), &sz), CKR_OK);
		assert_int_equal(sz, 18);
	}
	/* bad handles and arguments */
	assert_int_equal(t->f->C_GetAttributeValue(t->session, 0, tmpl, 1),
	                 CKR_OBJECT_HANDLE_INVALID);
	assert_int_equal(t->f->C_GetAttributeValue(t->session, priv + 0x10000, tmpl, 1),
	                 CKR_OBJECT_HANDLE_INVALID);
	assert_int_equal(t->f->C_GetAttributeValue(t->session, priv, NULL, 1), CKR_ARGUMENTS_BAD);
	assert_int_equal(t->f->C_GetObjectSize(t->session, priv, &sz), CKR_OK);
	assert_int_equal(sz, CK_UNAVAILABLE_INFORMATION);
	assert_int_equal(t->f->C_GetObjectSize(t->session, 0x4242, &sz), CKR_OBJECT_HANDLE_INVALID);
}

/* ---- searches ---- */

static void find_matches_any_template_byte_exactly(void **state)
{
	CK_OBJECT_CLASS priv_cls = CKO_PRIVATE_KEY, pub_cls = CKO_PUBLIC_KEY;
	CK_KEY_TYPE ec = CKK_EC, rsa = CKK_RSA;
	CK_BYTE id1 = 0x01, id2 = 0x02;
	CK_ULONG one = 1;
	p11t *t = *state;
	CK_OBJECT_HANDLE pub1, priv1, pub2, priv2, h[80];
	CK_ATTRIBUTE by_id[] = {{CKA_ID, &id1, 1}};
	CK_ATTRIBUTE by_type[] = {{CKA_KEY_TYPE, &ec, sizeof(ec)}};
	CK_ATTRIBUTE by_rsa[] = {{CKA_KEY_TYPE, &rsa, sizeof(rsa)}};
	CK_ATTRIBUTE signers[] = {{CKA_SIGN, &yes, 1}, {CKA_TOKEN, &yes, 1}};
	CK_ATTRIBUTE pub_label[] = {{CKA_CLASS, &pub_cls, sizeof(pub_cls)},
	                            {CKA_LABEL, "Digital Signature", 17}};
	CK_ATTRIBUTE long_id[] = {{CKA_ID, "\x01\x00", 2}};
	CK_ATTRIBUTE short_class[] = {{CKA_CLASS, &one, 1}};
	CK_ATTRIBUTE priv_id2[] = {{CKA_CLASS, &priv_cls, sizeof(priv_cls)}, {CKA_ID, &id2, 1}};
	CK_ATTRIBUTE unknown[] = {{0x8000F00Du, &one, sizeof(one)}};
	CK_ATTRIBUTE bad[] = {{CKA_ID, NULL, 1}};

	p11t_generate(t, 0, "P-256", &id1, 1, &pub1, &priv1);
	p11t_generate(t, 0, "P-384", &id2, 1, &pub2, &priv2);
	assert_int_equal(objt_find(t, NULL, 0, h, 80), 4);
	assert_int_equal(objt_find(t, by_id, 1, h, 80), 2);
	assert_true((h[0] == pub1 && h[1] == priv1) || (h[0] == priv1 && h[1] == pub1));
	assert_int_equal(objt_find(t, by_type, 1, h, 80), 4);
	assert_int_equal(objt_find(t, by_rsa, 1, h, 80), 0);
	assert_int_equal(objt_find(t, signers, 2, h, 80), 2);
	assert_int_equal(objt_find(t, pub_label, 2, h, 80), 1);
	assert_int_equal(h[0], pub2);
	assert_int_equal(objt_find(t, long_id, 1, h, 80), 0);
	assert_int_equal(objt_find(t, short_class, 1, h, 80), 0);
	assert_int_equal(objt_find(t, priv_id2, 2, h, 80), 1);
	assert_int_equal(h[0], priv2);
	assert_int_equal(objt_find(t, unknown, 1, h, 80), 0);
	assert_int_equal(t->f->C_FindObjectsInit(t->session, bad, 1), CKR_ARGUMENTS_BAD);
}

static void find_operation_rules(void **state)
{
	p11t *t = *state;
	CK_OBJECT_HANDLE pub, priv, h[4];
	CK_ULONG n = 9;

	p11t_generate(t, 0, "P-256", NULL, 0, &pub, &priv);
	assert_int_equal(t->f->C_FindObjects(t->session, h, 4, &n), CKR_OPERATION_NOT_INITIALIZED);
	assert_int_equal(t->f->C_FindObjectsFinal(t->session), CKR_OPERATION_NOT_INITIALIZED);
	assert_int_equal(t->f->C_FindObjectsInit(t->session, NULL, 0), CKR_OK);
	assert_int_equal(t->f->C_FindObjectsInit(t->session, NULL, 0), CKR_OPERATION_ACTIVE);
	assert_int_equal(t->f->C_FindObjects(t->session, h, 4, NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(t->f->C_FindObjects(t->session, h, 0, &n), CKR_OK);
	assert_int_equal(n, 0);
	assert_int_equal(t->f->C_FindObjects(t->session, h, 4, &n), CKR_OK);
	assert_int_equal(n, 2);
	assert_int_equal(t->f->C_FindObjects(t->session, h, 4, &n), CKR_OK);
	assert_int_equal(n, 0);
	assert_int_equal(t->f->C_FindObjectsFinal(t->session), CKR_OK);
	assert_int_equal(t->f->C_FindObjectsFinal(t->session), CKR_OPERATION_NOT_INITIALIZED);
}

static void private_keys_are_hidden_before_login(void **state)
{
	p11t *t = *state;
	CK_OBJECT_HANDLE pub, priv, h[8];
	CK_ULONG len = 0;

	p11t_generate(t, 0, "P-256", NULL, 0, &pub, &priv);
	assert_int_equal(t->f->C_Logout(t->session), CKR_OK);
	assert_int_equal(objt_find(t, NULL, 0, h, 8), 1);
	assert_int_equal(h[0], pub);
	assert_int_equal(objt_count_class(t, CKO_PRIVATE_KEY), 0);
	assert_int_equal(objt_attr(t, priv, CKA_CLASS, NULL, 0, &len), CKR_OBJECT_HANDLE_INVALID);
	p11t_login(t);
	assert_int_equal(objt_count_class(t, CKO_PRIVATE_KEY), 1);
	assert_int_equal(objt_ulong(t, priv, CKA_CLASS), CKO_PRIVATE_KEY);
}

/* Secret-key functions: no mechanism of the table makes, unwraps or derives a key. */
static void secret_key_functions_offer_no_mechanism(void **state)
{
	p11t *t = *state;
	CK_MECHANISM m = {CKM_AES_KEY_GEN, NULL, 0};
	CK_OBJECT_HANDLE h = 0;

	assert_int_equal(t->f->C_GenerateKey(t->session, &m, NULL, 0, &h), CKR_MECHANISM_INVALID);
	assert_int_equal(t->f->C_UnwrapKey(t->session, &m, 1, (CK_BYTE_PTR) "x", 1, NULL, 0, &h),
	                 CKR_MECHANISM_INVALID);
	assert_int_equal(t->f->C_DeriveKey(t->session, &m, 1, NULL, 0, &h), CKR_MECHANISM_INVALID);
	assert_int_equal(t->f->C_GenerateKey(0x777777, &m, NULL, 0, &h),
	                 CKR_SESSION_HANDLE_INVALID);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, objt_setup, objt_teardown)
#define TL(fn) cmocka_unit_test_setup_teardown(fn, objt_setup_login, objt_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(empty_token_has_no_objects),
		TL(p256_in_a_chosen_slot_has_one_id_for_both_halves),
		TL(keys_without_id_fill_9a_then_the_retired_slots),
		TL(rsa_2048_key_has_its_modulus_and_exponent),
		T(rsa_3072_in_9c_wants_context_login_and_p384_by_name),
		TL(existing_key_is_never_overwritten),
		T(keygen_templates_the_token_cannot_honour_are_refused),
		TL(private_key_is_sensitive_and_never_leaves),
		TL(ec_private_key_has_no_point_and_no_rsa_parts),
		TL(attribute_lengths_follow_pkcs11_for_each_attribute),
		TL(find_matches_any_template_byte_exactly),
		TL(find_operation_rules),
		TL(private_keys_are_hidden_before_login),
		T(secret_key_functions_offer_no_mechanism),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
