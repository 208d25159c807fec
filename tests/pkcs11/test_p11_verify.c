/* Verification in software through the module's function list, with signatures the
 * token made: good ones accepted, tampered ones and wrong lengths refused, multi-part and
 * single-part mechanisms, with the public key's and the private key's handles. Also random
 * numbers from the token, and the cryptographic functions the token does not offer. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "mod_mech.h"
#include "sig_fixture_test_util.h"

#define MSG "verify what the token signed"

enum { K_RSA2048, K_P256, K_P384 };

static const sigfx_key key_specs[] = {
	[K_RSA2048] = {2048, NULL, 0x01}, /* 9A */
	[K_P256] = {0, "P-256", 0x07},    /* 84 */
	[K_P384] = {0, "P-384", 0x06},    /* 83 */
};

static int group_setup(void **state)
{
	return sigfx_group_setup(state, key_specs, sizeof(key_specs) / sizeof(key_specs[0]));
}

static void verify_accepts_good_and_rejects_tampered_signatures(void **state)
{
	sigfx *fx = *state;
	CK_FUNCTION_LIST_3_0 *f = fx->t.f;
	CK_SESSION_HANDLE s = fx->t.session;
	CK_RSA_PKCS_PSS_PARAMS pss = {CKM_SHA384, CKG_MGF1_SHA384, 48};
	struct {
		CK_MECHANISM mech;
		sigt_keypair *kp;
	} cases[] = {
		{{CKM_SHA256_RSA_PKCS, NULL, 0}, &fx->k[K_RSA2048]},
		{{CKM_SHA384_RSA_PKCS_PSS, &pss, sizeof(pss)}, &fx->k[K_RSA2048]},
		{{CKM_ECDSA_SHA256, NULL, 0}, &fx->k[K_P256]},
		{{CKM_ECDSA_SHA384, NULL, 0}, &fx->k[K_P384]},
		{{CKM_SHA512_RSA_PKCS, NULL, 0}, &fx->k[K_RSA2048]},
	};
	uint8_t sig[512];
	CK_ULONG len;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CK_MECHANISM *m = &cases[i].mech;
		sigt_keypair *kp = cases[i].kp;

		len = sizeof(sig);
		assert_int_equal(sigt_sign(&fx->t, s, m, kp->priv, (const uint8_t *)MSG,
		                           strlen(MSG), sig, &len),
		                 CKR_OK);
		/* With the public key, and with the private key's handle. */
		assert_int_equal(sigfx_verify(fx, m, kp->pub, (const uint8_t *)MSG, strlen(MSG),
		                              sig, len),
		                 CKR_OK);
		assert_int_equal(f->C_VerifyInit(s, m, kp->priv), CKR_OK);
		assert_int_equal(f->C_VerifyUpdate(s, (CK_BYTE_PTR)MSG, 4), CKR_OK);
		assert_int_equal(f->C_VerifyUpdate(s, (CK_BYTE_PTR)MSG + 4,
		                                   (CK_ULONG)strlen(MSG) - 4),
		                 CKR_OK);
		assert_int_equal(f->C_VerifyFinal(s, sig, len), CKR_OK);
		/* Another message, a flipped bit, a wrong length. */
		assert_int_equal(sigfx_verify(fx, m, kp->pub, (const uint8_t *)MSG, 5, sig, len),
		                 CKR_SIGNATURE_INVALID);
		sig[len - 1] ^= 0x01;
		assert_int_equal(sigfx_verify(fx, m, kp->pub, (const uint8_t *)MSG, strlen(MSG),
		                              sig, len),
		                 CKR_SIGNATURE_INVALID);
		assert_int_equal(sigfx_verify(fx, m, kp->pub, (const uint8_t *)MSG, strlen(MSG),
		                              sig, len - 1),
		                 CKR_SIGNATURE_LEN_RANGE);
		/* C_Verify always ended the operation. */
		assert_int_equal(f->C_Verify(s, (CK_BYTE_PTR)MSG, 5, sig, len),
		                 CKR_OPERATION_NOT_INITIALIZED);
	}
}

static void verify_of_single_part_mechanisms_takes_the_digest(void **state)
{
	sigfx *fx = *state;
	CK_FUNCTION_LIST_3_0 *f = fx->t.f;
	CK_SESSION_HANDLE s = fx->t.session;
	CK_RSA_PKCS_PSS_PARAMS pss = {CKM_SHA256, CKG_MGF1_SHA256, 20};
	CK_MECHANISM raw = {CKM_RSA_PKCS, NULL, 0}, praw = {CKM_RSA_PKCS_PSS, &pss, sizeof(pss)};
	CK_MECHANISM ec = {CKM_ECDSA, NULL, 0};
	uint8_t di[51], dg[64], sig[256];
	size_t di_len = sigt_digest_info_sha256(MSG, di), dg_len;
	CK_ULONG len = sizeof(sig);

	sigt_digest(EVP_sha256(), MSG, dg, &dg_len);
	assert_int_equal(sigt_sign(&fx->t, s, &raw, fx->k[K_RSA2048].priv, di, di_len, sig, &len),
	                 CKR_OK);
	assert_int_equal(sigfx_verify(fx, &raw, fx->k[K_RSA2048].pub, di, di_len, sig, len),
	                 CKR_OK);
	assert_int_equal(f->C_VerifyInit(s, &raw, fx->k[K_RSA2048].pub), CKR_OK);
	assert_int_equal(f->C_VerifyUpdate(s, di, (CK_ULONG)di_len), CKR_FUNCTION_NOT_SUPPORTED);
	len = sizeof(sig);
	assert_int_equal(sigt_sign(&fx->t, s, &praw, fx->k[K_RSA2048].priv, dg, dg_len, sig, &len),
	                 CKR_OK);
	assert_int_equal(sigfx_verify(fx, &praw, fx->k[K_RSA2048].pub, dg, dg_len, sig, len),
	                 CKR_OK);
	len = sizeof(sig);
	assert_int_equal(sigt_sign(&fx->t, s, &ec, fx->k[K_P256].priv, dg, dg_len, sig, &len),
	                 CKR_OK);
	assert_int_equal(sigfx_verify(fx, &ec, fx->k[K_P256].pub, dg, dg_len, sig, len), CKR_OK);
	dg[3] ^= 0x10;
	assert_int_equal(sigfx_verify(fx, &ec, fx->k[K_P256].pub, dg, dg_len, sig, len),
	                 CKR_SIGNATURE_INVALID);
}

static void random_bytes_come_fresh_and_need_no_login(void **state)
{
	sigfx *fx = *state;
	CK_FUNCTION_LIST_3_0 *f = fx->t.f;
	CK_SESSION_HANDLE s = fx->t.session;
	uint8_t a[37], b[37], zero[37] = {0};

	assert_int_equal(f->C_Logout(s), CKR_OK);
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	assert_int_equal(f->C_GenerateRandom(s, a, sizeof(a)), CKR_OK);
	assert_int_equal(f->C_GenerateRandom(s, b, sizeof(b)), CKR_OK);
	assert_memory_not_equal(a, b, sizeof(a));
	assert_memory_not_equal(a, zero, sizeof(a));
	assert_memory_not_equal(b + 30, zero + 30, 7); /* the last partial block is filled */
	assert_int_equal(f->C_GenerateRandom(s, a, 0), CKR_OK);
	assert_int_equal(f->C_GenerateRandom(s, NULL, 8), CKR_ARGUMENTS_BAD);
	assert_int_equal(f->C_GenerateRandom(s + 1000, a, 8), CKR_SESSION_HANDLE_INVALID);
	assert_int_equal(f->C_SeedRandom(s, a, sizeof(a)), CKR_RANDOM_SEED_NOT_SUPPORTED);
}

static void unsupported_functions_check_the_session_first(void **state)
{
	sigfx *fx = *state;
	CK_FUNCTION_LIST_3_0 *f = fx->t.f;
	CK_SESSION_HANDLE s = fx->t.session, bad = s + 1000;
	CK_MECHANISM mech = {CKM_RSA_PKCS, NULL, 0};
	uint8_t buf[256];
	CK_ULONG len = sizeof(buf);

	assert_int_equal(f->C_EncryptInit(bad, &mech, fx->k[K_RSA2048].pub),
	                 CKR_SESSION_HANDLE_INVALID);
	/* 9A signs only (test_p11_decrypt has the rest) */
	assert_int_equal(f->C_EncryptInit(s, &mech, fx->k[K_RSA2048].pub),
	                 CKR_KEY_FUNCTION_NOT_PERMITTED);
	assert_int_equal(f->C_Encrypt(s, buf, 4, buf, &len), CKR_OPERATION_NOT_INITIALIZED);
	assert_int_equal(f->C_DecryptInit(s, &mech, fx->k[K_RSA2048].priv),
	                 CKR_KEY_FUNCTION_NOT_PERMITTED);
	assert_int_equal(f->C_Decrypt(bad, buf, 4, buf, &len), CKR_SESSION_HANDLE_INVALID);
	assert_int_equal(f->C_DigestInit(s, &mech), CKR_MECHANISM_INVALID);
	assert_int_equal(f->C_SignRecoverInit(s, &mech, fx->k[K_RSA2048].priv),
	                 CKR_MECHANISM_INVALID);
	assert_int_equal(f->C_VerifyRecover(s, buf, 4, buf, &len), CKR_OPERATION_NOT_INITIALIZED);
	assert_int_equal(f->C_SignEncryptUpdate(s, buf, 4, buf, &len), CKR_FUNCTION_NOT_SUPPORTED);
	assert_int_equal(f->C_DecryptVerifyUpdate(bad, buf, 4, buf, &len),
	                 CKR_SESSION_HANDLE_INVALID);
	assert_int_equal(f->C_MessageSignInit(s, &mech, fx->k[K_RSA2048].priv),
	                 CKR_MECHANISM_INVALID);
	assert_int_equal(f->C_SignMessage(s, NULL, 0, buf, 4, buf, &len),
	                 CKR_OPERATION_NOT_INITIALIZED);
	assert_int_equal(f->C_MessageVerifyFinal(bad), CKR_SESSION_HANDLE_INVALID);
	assert_int_equal(f->C_EncryptMessageNext(s, NULL, 0, buf, 4, buf, &len, CKF_END_OF_MESSAGE),
	                 CKR_OPERATION_NOT_INITIALIZED);
	assert_int_equal(f->C_MessageDecryptFinal(s), CKR_OPERATION_NOT_INITIALIZED);
}

static void mechanism_info_reports_key_sizes_and_flags(void **state)
{
	sigfx *fx = *state;
	CK_FUNCTION_LIST_3_0 *f = fx->t.f;
	CK_SLOT_ID slot = fx->t.slots[0];
	CK_MECHANISM_TYPE list[32];
	CK_ULONG n = 32;
	CK_MECHANISM_INFO info;
	size_t rows = 0;

	/* every row of the table, whatever rows other operations add */
	mod_mech_table(&rows);
	assert_int_equal(f->C_GetMechanismList(slot, list, &n), CKR_OK);
	assert_int_equal(n, rows);
	assert_true(n >= 16);
	/* decryption on the token, encryption in software */
	assert_int_equal(f->C_GetMechanismInfo(slot, CKM_RSA_PKCS_OAEP, &info), CKR_OK);
	assert_int_equal(info.flags, CKF_HW | CKF_DECRYPT | CKF_ENCRYPT);
	assert_int_equal(f->C_GetMechanismInfo(slot, CKM_RSA_PKCS, &info), CKR_OK);
	assert_int_equal(info.flags, CKF_HW | CKF_SIGN | CKF_VERIFY | CKF_DECRYPT | CKF_ENCRYPT);
	assert_int_equal(f->C_GetMechanismInfo(slot, CKM_SHA256_RSA_PKCS_PSS, &info), CKR_OK);
	assert_int_equal(info.ulMinKeySize, 2048);
	assert_int_equal(info.ulMaxKeySize, 3072);
	assert_int_equal(info.flags, CKF_HW | CKF_SIGN | CKF_VERIFY);
	assert_int_equal(f->C_GetMechanismInfo(slot, CKM_ECDSA, &info), CKR_OK);
	assert_int_equal(info.ulMinKeySize, 256);
	assert_int_equal(info.ulMaxKeySize, 384);
	assert_int_equal(info.flags, CKF_HW | CKF_SIGN | CKF_VERIFY | CKF_EC_F_P |
	                                     CKF_EC_NAMEDCURVE | CKF_EC_UNCOMPRESS);
	assert_int_equal(f->C_GetMechanismInfo(slot, CKM_EC_KEY_PAIR_GEN, &info), CKR_OK);
	assert_true(info.flags & CKF_GENERATE_KEY_PAIR);
	assert_false(info.flags & CKF_SIGN);
	assert_int_equal(f->C_GetMechanismInfo(slot, CKM_SHA1_RSA_PKCS, &info),
	                 CKR_MECHANISM_INVALID);
}

static void verify_needs_no_login_with_the_public_key(void **state)
{
	sigfx *fx = *state;
	CK_FUNCTION_LIST_3_0 *f = fx->t.f;
	CK_SESSION_HANDLE s = fx->t.session;
	CK_MECHANISM mech = {CKM_ECDSA_SHA256, NULL, 0};
	uint8_t sig[64];
	CK_ULONG len = sizeof(sig);

	assert_int_equal(sigt_sign(&fx->t, s, &mech, fx->k[K_P256].priv, (const uint8_t *)MSG,
	                           strlen(MSG), sig, &len),
	                 CKR_OK);
	assert_int_equal(f->C_Logout(s), CKR_OK);
	assert_int_equal(sigfx_verify(fx, &mech, fx->k[K_P256].pub, (const uint8_t *)MSG,
	                              strlen(MSG), sig, len),
	                 CKR_OK);
	/* The private key is not visible without a login: its handle is not valid then. */
	assert_int_equal(f->C_VerifyInit(s, &mech, fx->k[K_P256].priv), CKR_KEY_HANDLE_INVALID);
	/* Nor is a certificate or nothing a key; a second init finds the first active. */
	assert_int_equal(f->C_VerifyInit(s, &mech, 0), CKR_KEY_HANDLE_INVALID);
	assert_int_equal(f->C_VerifyInit(s, &mech, fx->k[K_P256].pub), CKR_OK);
	assert_int_equal(f->C_VerifyInit(s, &mech, fx->k[K_P256].pub), CKR_OPERATION_ACTIVE);
	assert_int_equal(f->C_VerifyFinal(s, sig, len), CKR_SIGNATURE_INVALID);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup(fn, sigfx_ready)
	const struct CMUnitTest tests[] = {
		T(verify_accepts_good_and_rejects_tampered_signatures),
		T(verify_of_single_part_mechanisms_takes_the_digest),
		T(verify_needs_no_login_with_the_public_key),
		T(random_bytes_come_fresh_and_need_no_login),
		T(unsupported_functions_check_the_session_first),
		T(mechanism_info_reports_key_sizes_and_flags),
	};
#undef T

	return cmocka_run_group_tests(tests, group_setup, sigfx_group_teardown);
}
