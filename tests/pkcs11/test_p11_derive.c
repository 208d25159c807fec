/* ECDH through the module's function list against the emulated token: C_DeriveKey with
 * CKM_ECDH1_DERIVE on P-256 (9D) and P-384 (a retired slot) keys generated on the token, the
 * derived secret compared with OpenSSL's ECDH of a peer key against the token's public key,
 * both encodings of the peer's point, every refused parameter, key and template, the
 * derived key's defaults (sensitive, extractable), and what a derivation costs in APDUs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "capture_test_util.h"
#include "ecdh_test_util.h"
#include "p11_obj_test_util.h"
#include "sig_fixture_test_util.h"
#include "tmpdir_test_util.h"

enum { K_9A, K_9C, K_9D_P256, K_9E, K_82_P384, K_83_RSA };

static const sigfx_key key_specs[] = {
	[K_9A] = {0, "P-256", 0x01},      /* 9A */
	[K_9C] = {0, "P-256", 0x02},      /* 9C */
	[K_9D_P256] = {0, "P-256", 0x03}, /* 9D */
	[K_9E] = {0, "P-256", 0x04},      /* 9E */
	[K_82_P384] = {0, "P-384", 0x05}, /* 82 */
	[K_83_RSA] = {2048, NULL, 0x06},  /* 83 */
};

static int group_setup(void **state)
{
	return sigfx_group_setup(state, key_specs, sizeof(key_specs) / sizeof(key_specs[0]));
}

static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
static CK_OBJECT_CLASS secret_class = CKO_SECRET_KEY;
static CK_KEY_TYPE generic = CKK_GENERIC_SECRET;

/* A peer key on the curve and its point, bare (04||X||Y) and as a DER OCTET STRING. */
typedef struct {
	EVP_PKEY *key;
	uint8_t raw[1 + 2 * 48], der[2 + 1 + 2 * 48];
	size_t raw_len, der_len;
} peer;

static void peer_make(peer *p, const char *curve)
{
	p->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);
	assert_non_null(p->key);
	assert_int_equal(EVP_PKEY_get_octet_string_param(p->key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
	                                                 p->raw, sizeof(p->raw), &p->raw_len),
	                 1);
	p->der[0] = 0x04;
	p->der[1] = (uint8_t)p->raw_len;
	memcpy(p->der + 2, p->raw, p->raw_len);
	p->der_len = p->raw_len + 2;
}

/* C_DeriveKey with CKM_ECDH1_DERIVE, kdf, the public data and a template. */
static CK_RV derive_with(sigfx *fx, CK_OBJECT_HANDLE base, CK_ULONG kdf, const uint8_t *data,
                         size_t len, CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_OBJECT_HANDLE *out)
{
	CK_ECDH1_DERIVE_PARAMS prm = {kdf, 0, NULL, (CK_ULONG)len, (CK_BYTE_PTR)data};
	CK_MECHANISM mech = {CKM_ECDH1_DERIVE, &prm, sizeof(prm)};

	*out = 0;
	return fx->t.f->C_DeriveKey(fx->t.session, &mech, base, tmpl, n, out);
}

/* A derivation whose value may be read (CKA_SENSITIVE FALSE). */
static CK_RV derive_open(sigfx *fx, CK_OBJECT_HANDLE base, const uint8_t *data, size_t len,
                         CK_OBJECT_HANDLE *out)
{
	CK_ATTRIBUTE tmpl[] = {
		{CKA_CLASS, &secret_class, sizeof(secret_class)},
		{CKA_KEY_TYPE, &generic, sizeof(generic)},
		{CKA_SENSITIVE, &no, sizeof(no)},
	};

	return derive_with(fx, base, CKD_NULL, data, len, tmpl, 3, out);
}

/* The derived key h holds the first len bytes of expect; then it is destroyed. */
static void assert_secret(sigfx *fx, CK_OBJECT_HANDLE h, const uint8_t *expect, CK_ULONG len)
{
	CK_ULONG got = 0;
	CK_BYTE *value = objt_bytes(&fx->t, h, CKA_VALUE, &got);

	assert_int_equal(got, len);
	assert_memory_equal(value, expect, len);
	free(value);
	assert_int_equal(fx->t.f->C_DestroyObject(fx->t.session, h), CKR_OK);
}

/* Both encodings of a fresh peer's point derive the secret OpenSSL derives. */
static void derives_what_openssl_derives(sigfx *fx, unsigned k, const char *curve, size_t field)
{
	sigt_keypair *kp = &fx->k[k];
	uint8_t expect[64];
	CK_OBJECT_HANDLE h;
	peer p;
	int enc;

	peer_make(&p, curve);
	assert_int_equal(tkit_ecdh(p.key, kp->pkey, expect, sizeof(expect)), field);
	for (enc = 0; enc < 2; enc++) {
		assert_int_equal(derive_open(fx, kp->priv, enc ? p.der : p.raw,
		                             enc ? p.der_len : p.raw_len, &h),
		                 CKR_OK);
		assert_int_equal(objt_ulong(&fx->t, h, CKA_CLASS), CKO_SECRET_KEY);
		assert_int_equal(objt_ulong(&fx->t, h, CKA_KEY_TYPE), CKK_GENERIC_SECRET);
		assert_false(objt_bool(&fx->t, h, CKA_TOKEN));
		assert_secret(fx, h, expect, field);
	}
	EVP_PKEY_free(p.key);
}

static void p256_in_9d_derives_the_secret_openssl_derives(void **state)
{
	derives_what_openssl_derives(*state, K_9D_P256, "P-256", 32);
}

static void p384_in_a_retired_slot_derives_the_secret_openssl_derives(void **state)
{
	derives_what_openssl_derives(*state, K_82_P384, "P-384", 48);
}

/* A derivation with key k and tmpl from a fresh peer on curve holds the first want bytes
 * of the secret OpenSSL derives. */
static void template_derives(sigfx *fx, unsigned k, const char *curve, CK_ATTRIBUTE *tmpl,
                             CK_ULONG n, CK_ULONG want)
{
	uint8_t expect[64];
	CK_OBJECT_HANDLE h;
	peer p;

	peer_make(&p, curve);
	tkit_ecdh(p.key, fx->k[k].pkey, expect, sizeof(expect));
	assert_int_equal(derive_with(fx, fx->k[k].priv, CKD_NULL, p.raw, p.raw_len, tmpl, n, &h),
	                 CKR_OK);
	assert_secret(fx, h, expect, want);
	EVP_PKEY_free(p.key);
}

/* OpenSSL's libp11 0.4.12 (openssl pkeyutl -derive through its engine) asks with this
 * template, then reads CKA_VALUE. */
static void libp11_template_derives_a_readable_secret(void **state)
{
	CK_ULONG value_len = 48;
	CK_ATTRIBUTE tmpl[] = {
		{CKA_TOKEN, &no, sizeof(no)},
		{CKA_CLASS, &secret_class, sizeof(secret_class)},
		{CKA_KEY_TYPE, &generic, sizeof(generic)},
		{CKA_VALUE_LEN, &value_len, sizeof(value_len)},
		{CKA_SENSITIVE, &no, sizeof(no)},
		{CKA_EXTRACTABLE, &yes, sizeof(yes)},
		{CKA_ENCRYPT, &yes, sizeof(yes)},
		{CKA_DECRYPT, &yes, sizeof(yes)},
	};

	template_derives(*state, K_82_P384, "P-384", tmpl, sizeof(tmpl) / sizeof(tmpl[0]),
	                 value_len);
}

/* The secret of a shorter CKA_VALUE_LEN is the start of the whole one. */
static void value_len_takes_the_start_of_the_secret(void **state)
{
	CK_ULONG want = 16;
	CK_ATTRIBUTE tmpl[] = {
		{CKA_SENSITIVE, &no, sizeof(no)},
		{CKA_VALUE_LEN, &want, sizeof(want)},
	};

	template_derives(*state, K_9D_P256, "P-256", tmpl, 2, want);
}

/* Without a template the key is sensitive (its value stays in the module) and
 * extractable (the application may still ask for it wrapped or say otherwise). */
static void derived_key_is_sensitive_and_extractable_by_default(void **state)
{
	sigfx *fx = *state;
	CK_OBJECT_HANDLE h;
	uint8_t buf[64];
	CK_ULONG len = 0;
	peer p;

	peer_make(&p, "P-256");
	assert_int_equal(derive_with(fx, fx->k[K_9D_P256].priv, CKD_NULL, p.raw, p.raw_len, NULL, 0,
	                             &h),
	                 CKR_OK);
	assert_true(objt_bool(&fx->t, h, CKA_SENSITIVE));
	assert_true(objt_bool(&fx->t, h, CKA_EXTRACTABLE));
	assert_int_equal(objt_attr(&fx->t, h, CKA_VALUE, buf, sizeof(buf), &len),
	                 CKR_ATTRIBUTE_SENSITIVE);
	EVP_PKEY_free(p.key);
}

/* Public data for the P-256 key in 9D that C_DeriveKey refuses, making no key. */
static void refused(sigfx *fx, const uint8_t *data, size_t len)
{
	CK_OBJECT_HANDLE h;

	assert_int_equal(derive_open(fx, fx->k[K_9D_P256].priv, data, len, &h),
	                 CKR_MECHANISM_PARAM_INVALID);
	assert_int_equal(h, 0);
}

static void points_off_the_curve_or_of_another_size_are_refused(void **state)
{
	sigfx *fx = *state;
	tkit_capture cap = TKIT_CAPTURE_OFF;
	char *text;
	peer p, p384;

	peer_make(&p, "P-256");
	peer_make(&p384, "P-384");
	/* checked on the host: the card never sees them */
	tkit_capture_begin(&cap);
	/* the wrong curve, bare and wrapped */
	refused(fx, p384.raw, p384.raw_len);
	refused(fx, p384.der, p384.der_len);
	/* one byte short or over; a DER string with a byte after it, or whose length says one
	 * byte less than it holds */
	p.raw[p.raw_len] = 0;
	p.der[p.der_len] = 0;
	refused(fx, p.raw, p.raw_len - 1);
	refused(fx, p.raw, p.raw_len + 1);
	refused(fx, p.der, p.der_len + 1);
	p.der[1]--;
	refused(fx, p.der, p.der_len);
	p.der[1]++;
	/* off the curve (Y changed), bare and wrapped */
	p.raw[p.raw_len - 1] ^= 0x01;
	p.der[p.der_len - 1] ^= 0x01;
	refused(fx, p.raw, p.raw_len);
	refused(fx, p.der, p.der_len);
	/* compressed, and no point at all */
	p.raw[0] = 0x02;
	refused(fx, p.raw, 33);
	refused(fx, NULL, 0);
	text = tkit_capture_end(&cap);
	assert_int_equal(tkit_trace_apdus(text), 0);
	free(text);
	EVP_PKEY_free(p.key);
	EVP_PKEY_free(p384.key);
}

/* The token gives the bare secret: no KDF, no shared data, and the parameters' size. */
static void kdf_shared_data_and_parameter_size_are_checked(void **state)
{
	sigfx *fx = *state;
	CK_OBJECT_HANDLE key = fx->k[K_9D_P256].priv, h = 0;
	CK_BYTE shared[4] = {1, 2, 3, 4};
	CK_ECDH1_DERIVE_PARAMS prm;
	CK_MECHANISM mech = {CKM_ECDH1_DERIVE, &prm, sizeof(prm)};
	peer p;

	peer_make(&p, "P-256");
	assert_int_equal(derive_with(fx, key, CKD_SHA256_KDF, p.raw, p.raw_len, NULL, 0, &h),
	                 CKR_MECHANISM_PARAM_INVALID);
	assert_int_equal(derive_with(fx, key, CKD_SHA1_KDF, p.raw, p.raw_len, NULL, 0, &h),
	                 CKR_MECHANISM_PARAM_INVALID);
	prm = (CK_ECDH1_DERIVE_PARAMS){CKD_NULL, sizeof(shared), shared, p.raw_len, p.raw};
	assert_int_equal(fx->t.f->C_DeriveKey(fx->t.session, &mech, key, NULL, 0, &h),
	                 CKR_MECHANISM_PARAM_INVALID);
	prm.ulSharedDataLen = 0;
	prm.pSharedData = NULL;
	mech.ulParameterLen = sizeof(prm) - 1;
	assert_int_equal(fx->t.f->C_DeriveKey(fx->t.session, &mech, key, NULL, 0, &h),
	                 CKR_MECHANISM_PARAM_INVALID);
	mech.pParameter = NULL;
	mech.ulParameterLen = 0;
	assert_int_equal(fx->t.f->C_DeriveKey(fx->t.session, &mech, key, NULL, 0, &h),
	                 CKR_MECHANISM_PARAM_INVALID);
	/* the same parameters right: it works */
	mech.pParameter = &prm;
	mech.ulParameterLen = sizeof(prm);
	assert_int_equal(fx->t.f->C_DeriveKey(fx->t.session, &mech, key, NULL, 0, &h), CKR_OK);
	EVP_PKEY_free(p.key);
}

/* Keys that cannot agree: RSA, and the slots PIV gives signing alone (9A, 9C, 9E). */
static void rsa_keys_and_signing_slots_do_not_derive(void **state)
{
	sigfx *fx = *state;
	static const unsigned signing[] = {K_9A, K_9C, K_9E};
	CK_OBJECT_HANDLE h;
	size_t i;
	peer p;

	peer_make(&p, "P-256");
	assert_int_equal(derive_open(fx, fx->k[K_83_RSA].priv, p.raw, p.raw_len, &h),
	                 CKR_KEY_TYPE_INCONSISTENT);
	for (i = 0; i < sizeof(signing) / sizeof(signing[0]); i++) {
		assert_false(objt_bool(&fx->t, fx->k[signing[i]].priv, CKA_DERIVE));
		assert_int_equal(derive_open(fx, fx->k[signing[i]].priv, p.raw, p.raw_len, &h),
		                 CKR_KEY_FUNCTION_NOT_PERMITTED);
	}
	assert_true(objt_bool(&fx->t, fx->k[K_9D_P256].priv, CKA_DERIVE));
	assert_true(objt_bool(&fx->t, fx->k[K_82_P384].priv, CKA_DERIVE));
	/* a public key is no base key */
	assert_int_equal(derive_open(fx, fx->k[K_9D_P256].pub, p.raw, p.raw_len, &h),
	                 CKR_KEY_FUNCTION_NOT_PERMITTED);
	assert_int_equal(derive_open(fx, 0x7777, p.raw, p.raw_len, &h), CKR_KEY_HANDLE_INVALID);
	EVP_PKEY_free(p.key);
}

/* The standard's order: arguments, then the mechanism. */
static void arguments_then_mechanism_are_checked_first(void **state)
{
	sigfx *fx = *state;
	CK_OBJECT_HANDLE key = fx->k[K_9D_P256].priv, h;
	CK_MECHANISM ecdsa = {CKM_ECDSA, NULL, 0};
	CK_ECDH1_DERIVE_PARAMS prm = {CKD_NULL, 0, NULL, 0, NULL};
	CK_MECHANISM mech = {CKM_ECDH1_DERIVE, &prm, sizeof(prm)};
	peer p;

	peer_make(&p, "P-256");
	prm.ulPublicDataLen = p.raw_len;
	prm.pPublicData = p.raw;
	assert_int_equal(fx->t.f->C_DeriveKey(fx->t.session, NULL, key, NULL, 0, &h),
	                 CKR_ARGUMENTS_BAD);
	assert_int_equal(fx->t.f->C_DeriveKey(fx->t.session, &mech, key, NULL, 0, NULL),
	                 CKR_ARGUMENTS_BAD);
	assert_int_equal(fx->t.f->C_DeriveKey(fx->t.session, &mech, key, NULL, 1, &h),
	                 CKR_ARGUMENTS_BAD);
	assert_int_equal(fx->t.f->C_DeriveKey(fx->t.session, &ecdsa, key, NULL, 0, &h),
	                 CKR_MECHANISM_INVALID);
	assert_int_equal(fx->t.f->C_DeriveKey(0x777777, &mech, key, NULL, 0, &h),
	                 CKR_SESSION_HANDLE_INVALID);
	EVP_PKEY_free(p.key);
}

/* The token stores no secret key; a derivation needs the user's PIN. */
static void token_keys_and_missing_login_are_refused(void **state)
{
	sigfx *fx = *state;
	CK_ATTRIBUTE tmpl[] = {{CKA_TOKEN, &yes, sizeof(yes)}};
	CK_OBJECT_HANDLE h;
	peer p;

	peer_make(&p, "P-256");
	assert_int_equal(derive_with(fx, fx->k[K_9D_P256].priv, CKD_NULL, p.raw, p.raw_len, tmpl, 1,
	                             &h),
	                 CKR_TEMPLATE_INCONSISTENT);
	assert_int_equal(h, 0);
	assert_int_equal(fx->t.f->C_Logout(fx->t.session), CKR_OK);
	assert_int_equal(derive_open(fx, fx->k[K_9D_P256].priv, p.raw, p.raw_len, &h),
	                 CKR_USER_NOT_LOGGED_IN);
	EVP_PKEY_free(p.key);
}

/* mechanism info: a hardware derivation on P-256 and P-384. */
static void ecdh_is_listed_as_a_hardware_derivation(void **state)
{
	sigfx *fx = *state;
	CK_MECHANISM_INFO info;
	CK_MECHANISM_TYPE mechs[16];
	CK_ULONG len = 0, i;
	CK_BYTE *allowed;
	bool listed = false;

	assert_int_equal(fx->t.f->C_GetMechanismInfo(fx->t.slots[0], CKM_ECDH1_DERIVE, &info),
	                 CKR_OK);
	assert_int_equal(info.flags,
	                 CKF_HW | CKF_DERIVE | CKF_EC_F_P | CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS);
	assert_int_equal(info.ulMinKeySize, 256);
	assert_int_equal(info.ulMaxKeySize, 384);
	allowed = objt_bytes(&fx->t, fx->k[K_9D_P256].priv, CKA_ALLOWED_MECHANISMS, &len);
	assert_true(len <= sizeof(mechs));
	memcpy(mechs, allowed, len);
	for (i = 0; i < len / sizeof(CK_MECHANISM_TYPE); i++)
		listed = listed || mechs[i] == CKM_ECDH1_DERIVE;
	assert_true(listed);
	free(allowed);
}

/* One GENERAL AUTHENTICATE per derivation once logged in, and the trace never shows the
 * secret (KINKO_DEBUG=apdu is set in main). */
static void derivation_costs_one_apdu_and_its_trace_hides_the_secret(void **state)
{
	sigfx *fx = *state;
	tkit_capture cap = TKIT_CAPTURE_OFF;
	uint8_t expect[64];
	char hex[2 * 32 + 1];
	CK_OBJECT_HANDLE h;
	char *text;
	size_t i;
	peer p;

	peer_make(&p, "P-256");
	tkit_ecdh(p.key, fx->k[K_9D_P256].pkey, expect, sizeof(expect));
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02X", expect[i]);
	/* a first derivation learns whatever the cache lacks */
	assert_int_equal(derive_open(fx, fx->k[K_9D_P256].priv, p.raw, p.raw_len, &h), CKR_OK);
	tkit_capture_begin(&cap);
	assert_int_equal(derive_open(fx, fx->k[K_9D_P256].priv, p.raw, p.raw_len, &h), CKR_OK);
	text = tkit_capture_end(&cap);
	assert_int_equal(tkit_trace_apdus(text), 1);
	assert_null(strstr(text, hex));
	assert_non_null(strstr(text, "** masked (36 bytes) **")); /* 7C 22 82 20 secret */
	free(text);
	EVP_PKEY_free(p.key);
}

#define T(fn) cmocka_unit_test_setup(fn, sigfx_ready)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(p256_in_9d_derives_the_secret_openssl_derives),
		T(p384_in_a_retired_slot_derives_the_secret_openssl_derives),
		T(libp11_template_derives_a_readable_secret),
		T(value_len_takes_the_start_of_the_secret),
		T(derived_key_is_sensitive_and_extractable_by_default),
		T(points_off_the_curve_or_of_another_size_are_refused),
		T(kdf_shared_data_and_parameter_size_are_checked),
		T(rsa_keys_and_signing_slots_do_not_derive),
		T(arguments_then_mechanism_are_checked_first),
		T(ecdh_is_listed_as_a_hardware_derivation),
		T(derivation_costs_one_apdu_and_its_trace_hides_the_secret),
		T(token_keys_and_missing_login_are_refused),
	};

	char conf[256];
	int rc;

	/* read once per process by the module: before its first APDU; and a cache that stays
	 * fresh, so that an APDU count never includes a revalidation */
	setenv("KINKO_DEBUG", "apdu", 1);
	if (tkit_file_write(conf, sizeof(conf), "derive.conf", "cache_ttl_ms = 600000\n") != 0)
		return 1;
	setenv("KINKO_CONF", conf, 1);
	rc = cmocka_run_group_tests(tests, group_setup, sigfx_group_teardown);
	unlink(conf);
	return rc;
}
