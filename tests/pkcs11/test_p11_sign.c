/* Signatures through the module's function list against the emulated token: every
 * mechanism on RSA-2048 and P-256 (and RSA-3072, P-384) checked by OpenSSL from the public
 * key's attributes, the PKCS#11 operation rules (length query, buffer too small, operation
 * end, multi-part), PSS parameters, key type and login rules (9C's context-specific login,
 * 9E without PIN), and a reset of the card by another process. C_Verify, random numbers and
 * the functions the token does not offer: test_p11_verify. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "sig_test_util.h"

#define PIN "123456"

typedef struct {
	p11t t;            /* first: p11t_group_teardown frees the fixture through it */
	bool keys_made;
	sigt_keypair rsa2048;   /* CKA_ID 01: 9A */
	sigt_keypair k9c;       /* 02: 9C, PIN always (P-256) */
	sigt_keypair p256;      /* 03: 9D */
	sigt_keypair k9e;       /* 04: 9E, no PIN (P-256) */
	sigt_keypair rsa3072;   /* 05: 82 */
	sigt_keypair p384;      /* 06: 83 */
} fixture;

/* The emulator and the module only: cmocka runs no teardown after a failed group setup,
 * so everything that can fail an assertion (key generation) happens in a test's setup. */
static int group_setup(void **state)
{
	return p11t_fixture_setup_1(state, sizeof(fixture));
}

static int group_teardown(void **state)
{
	fixture *fx = *state;
	sigt_keypair *all[] = {&fx->rsa2048, &fx->k9c, &fx->p256, &fx->k9e, &fx->rsa3072, &fx->p384};
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		EVP_PKEY_free(all[i]->pkey);
	return p11t_group_teardown(state);
}

/* Each test starts logged in (some log out), with the keys generated on the token once:
 * RSA-2048, 9C and 9E keys, P-256, RSA-3072, P-384. */
static int ready(void **state)
{
	fixture *fx = *state;
	CK_RV rv = fx->t.f->C_Login(fx->t.session, CKU_USER, (CK_UTF8CHAR_PTR)PIN, 6);

	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN)
		return -1;
	if (!fx->keys_made) {
		sigt_keypair_make(&fx->t, &fx->rsa2048, 2048, NULL, 0x01);
		sigt_keypair_make(&fx->t, &fx->k9c, 0, "P-256", 0x02);
		sigt_keypair_make(&fx->t, &fx->p256, 0, "P-256", 0x03);
		sigt_keypair_make(&fx->t, &fx->k9e, 0, "P-256", 0x04);
		sigt_keypair_make(&fx->t, &fx->rsa3072, 3072, NULL, 0x05);
		sigt_keypair_make(&fx->t, &fx->p384, 0, "P-384", 0x06);
		fx->keys_made = true;
	}
	return 0;
}

#define MSG "the quick brown fox signs on a token"

static void sign_and_check(fixture *fx, sigt_keypair *kp, CK_MECHANISM_TYPE m,
                           CK_RSA_PKCS_PSS_PARAMS *pss, const uint8_t *data, size_t len,
                           CK_ULONG want_len)
{
	CK_MECHANISM mech = {m, pss, pss ? sizeof(*pss) : 0};
	uint8_t sig[512];
	CK_ULONG sig_len = sizeof(sig);

	assert_int_equal(sigt_sign(&fx->t, fx->t.session, &mech, kp->priv, data, len, sig, &sig_len),
	                 CKR_OK);
	assert_int_equal(sig_len, want_len);
	assert_true(sigt_verify(kp->pkey, m, pss, data, len, sig, sig_len));
	/* The check can fail: one flipped bit and OpenSSL refuses. */
	sig[sig_len / 2] ^= 0x04;
	assert_false(sigt_verify(kp->pkey, m, pss, data, len, sig, sig_len));
}

static void rsa_mechanisms(fixture *fx, sigt_keypair *kp, CK_ULONG k)
{
	CK_RSA_PKCS_PSS_PARAMS p256 = {CKM_SHA256, CKG_MGF1_SHA256, 32};
	CK_RSA_PKCS_PSS_PARAMS p384 = {CKM_SHA384, CKG_MGF1_SHA384, 48};
	CK_RSA_PKCS_PSS_PARAMS p512 = {CKM_SHA512, CKG_MGF1_SHA512, 64};
	uint8_t di[51], dg[64];
	size_t dg_len;

	sign_and_check(fx, kp, CKM_RSA_PKCS, NULL, di, sigt_digest_info_sha256(MSG, di), k);
	sign_and_check(fx, kp, CKM_SHA256_RSA_PKCS, NULL, (const uint8_t *)MSG, strlen(MSG), k);
	sign_and_check(fx, kp, CKM_SHA384_RSA_PKCS, NULL, (const uint8_t *)MSG, strlen(MSG), k);
	sign_and_check(fx, kp, CKM_SHA512_RSA_PKCS, NULL, (const uint8_t *)MSG, strlen(MSG), k);
	sigt_digest(EVP_sha256(), MSG, dg, &dg_len);
	sign_and_check(fx, kp, CKM_RSA_PKCS_PSS, &p256, dg, dg_len, k);
	sign_and_check(fx, kp, CKM_SHA256_RSA_PKCS_PSS, &p256, (const uint8_t *)MSG, strlen(MSG), k);
	sign_and_check(fx, kp, CKM_SHA384_RSA_PKCS_PSS, &p384, (const uint8_t *)MSG, strlen(MSG), k);
	sign_and_check(fx, kp, CKM_SHA512_RSA_PKCS_PSS, &p512, (const uint8_t *)MSG, strlen(MSG), k);
}

static void ecdsa_mechanisms(fixture *fx, sigt_keypair *kp, CK_ULONG field)
{
	uint8_t dg[64];
	size_t dg_len;

	sigt_digest(EVP_sha256(), MSG, dg, &dg_len);
	sign_and_check(fx, kp, CKM_ECDSA, NULL, dg, dg_len, 2 * field);
	/* Longer digests are truncated, shorter ones taken as the same integer. */
	sigt_digest(EVP_sha512(), MSG, dg, &dg_len);
	sign_and_check(fx, kp, CKM_ECDSA, NULL, dg, dg_len, 2 * field);
	sigt_digest(EVP_sha1(), MSG, dg, &dg_len);
	sign_and_check(fx, kp, CKM_ECDSA, NULL, dg, dg_len, 2 * field);
	sign_and_check(fx, kp, CKM_ECDSA_SHA256, NULL, (const uint8_t *)MSG, strlen(MSG), 2 * field);
	sign_and_check(fx, kp, CKM_ECDSA_SHA384, NULL, (const uint8_t *)MSG, strlen(MSG), 2 * field);
	sign_and_check(fx, kp, CKM_ECDSA_SHA512, NULL, (const uint8_t *)MSG, strlen(MSG), 2 * field);
}

static void every_rsa_mechanism_on_rsa2048_verifies_with_openssl(void **state)
{
	fixture *fx = *state;

	rsa_mechanisms(fx, &fx->rsa2048, 256);
}

static void every_ecdsa_mechanism_on_p256_verifies_with_openssl(void **state)
{
	fixture *fx = *state;

	ecdsa_mechanisms(fx, &fx->p256, 32);
}

static void rsa3072_and_p384_signatures_verify_with_openssl(void **state)
{
	fixture *fx = *state;
	CK_RSA_PKCS_PSS_PARAMS p384 = {CKM_SHA384, CKG_MGF1_SHA384, 48};
	uint8_t dg[64];
	size_t dg_len;

	sign_and_check(fx, &fx->rsa3072, CKM_SHA256_RSA_PKCS, NULL, (const uint8_t *)MSG,
	               strlen(MSG), 384);
	sign_and_check(fx, &fx->rsa3072, CKM_SHA384_RSA_PKCS_PSS, &p384, (const uint8_t *)MSG,
	               strlen(MSG), 384);
	sign_and_check(fx, &fx->p384, CKM_ECDSA_SHA384, NULL, (const uint8_t *)MSG, strlen(MSG), 96);
	sigt_digest(EVP_sha384(), MSG, dg, &dg_len);
	sign_and_check(fx, &fx->p384, CKM_ECDSA, NULL, dg, dg_len, 96);
}

static void multi_part_signature_equals_single_part(void **state)
{
	fixture *fx = *state;
	CK_FUNCTION_LIST_3_0 *f = fx->t.f;
	CK_SESSION_HANDLE s = fx->t.session;
	CK_MECHANISM mech = {CKM_SHA256_RSA_PKCS, NULL, 0};
	CK_RSA_PKCS_PSS_PARAMS pss = {CKM_SHA512, CKG_MGF1_SHA512, 64};
	CK_MECHANISM ecmech = {CKM_ECDSA_SHA384, NULL, 0}, pssmech = {CKM_SHA512_RSA_PKCS_PSS,
	                                                               &pss, sizeof(pss)};
	uint8_t one[256], parts[256];
	CK_ULONG one_len = sizeof(one), parts_len = sizeof(parts);
	const char *msg = MSG;

	/* PKCS#1 v1.5 is deterministic: the same bytes either way. */
	assert_int_equal(sigt_sign(&fx->t, s, &mech, fx->rsa2048.priv, (const uint8_t *)msg,
	                           strlen(msg), one, &one_len), CKR_OK);
	assert_int_equal(f->C_SignInit(s, &mech, fx->rsa2048.priv), CKR_OK);
	assert_int_equal(f->C_SignUpdate(s, (CK_BYTE_PTR)msg, 10), CKR_OK);
	assert_int_equal(f->C_SignUpdate(s, (CK_BYTE_PTR)msg + 10, 0), CKR_OK);
	assert_int_equal(f->C_SignUpdate(s, (CK_BYTE_PTR)msg + 10, (CK_ULONG)strlen(msg) - 10),
	                 CKR_OK);
	assert_int_equal(f->C_SignFinal(s, parts, &parts_len), CKR_OK);
	assert_int_equal(parts_len, one_len);
	assert_memory_equal(one, parts, one_len);

	/* Randomised schemes: the multi-part signature verifies over the whole message. */
	assert_int_equal(f->C_SignInit(s, &ecmech, fx->p256.priv), CKR_OK);
	assert_int_equal(f->C_SignUpdate(s, (CK_BYTE_PTR)msg, 3), CKR_OK);
	assert_int_equal(f->C_SignUpdate(s, (CK_BYTE_PTR)msg + 3, (CK_ULONG)strlen(msg) - 3), CKR_OK);
	parts_len = sizeof(parts);
	assert_int_equal(f->C_SignFinal(s, parts, &parts_len), CKR_OK);
	assert_int_equal(parts_len, 64);
	assert_true(sigt_verify(fx->p256.pkey, CKM_ECDSA_SHA384, NULL, (const uint8_t *)msg,
	                        strlen(msg), parts, parts_len));
	assert_int_equal(f->C_SignInit(s, &pssmech, fx->rsa2048.priv), CKR_OK);
	assert_int_equal(f->C_SignUpdate(s, (CK_BYTE_PTR)msg, (CK_ULONG)strlen(msg)), CKR_OK);
	parts_len = sizeof(parts);
	assert_int_equal(f->C_SignFinal(s, parts, &parts_len), CKR_OK);
	assert_true(sigt_verify(fx->rsa2048.pkey, CKM_SHA512_RSA_PKCS_PSS, &pss,
	                        (const uint8_t *)msg, strlen(msg), parts, parts_len));
	/* No data at all is a signature of the empty message. */
	assert_int_equal(f->C_SignInit(s, &mech, fx->rsa2048.priv), CKR_OK);
	parts_len = sizeof(parts);
	assert_int_equal(f->C_SignFinal(s, parts, &parts_len), CKR_OK);
	assert_true(sigt_verify(fx->rsa2048.pkey, CKM_SHA256_RSA_PKCS, NULL, (const uint8_t *)"",
	                        0, parts, parts_len));
}

static void length_query_answers_and_keeps_the_operation(void **state)
{
	fixture *fx = *state;
	CK_FUNCTION_LIST_3_0 *f = fx->t.f;
	CK_SESSION_HANDLE s = fx->t.session;
	CK_MECHANISM mech = {CKM_ECDSA_SHA256, NULL, 0};
	uint8_t sig[64];
	CK_ULONG len = 0;

	assert_int_equal(f->C_SignInit(s, &mech, fx->p256.priv), CKR_OK);
	assert_int_equal(f->C_Sign(s, (CK_BYTE_PTR)MSG, 5, NULL, &len), CKR_OK);
	assert_int_equal(len, 64);
	assert_int_equal(f->C_Sign(s, (CK_BYTE_PTR)MSG, 5, sig, &len), CKR_OK);
	assert_true(sigt_verify(fx->p256.pkey, CKM_ECDSA_SHA256, NULL, (const uint8_t *)MSG, 5,
	                        sig, len));
	/* The same in a multi-part operation: the query does not finish the hash. */
	assert_int_equal(f->C_SignInit(s, &mech, fx->p256.priv), CKR_OK);
	assert_int_equal(f->C_SignUpdate(s, (CK_BYTE_PTR)MSG, 5), CKR_OK);
	len = 0;
	assert_int_equal(f->C_SignFinal(s, NULL, &len), CKR_OK);
	assert_int_equal(len, 64);
	assert_int_equal(f->C_SignFinal(s, sig, &len), CKR_OK);
	assert_true(sigt_verify(fx->p256.pkey, CKM_ECDSA_SHA256, NULL, (const uint8_t *)MSG, 5,
	                        sig, len));
}

static void buffer_too_small_reports_the_length_and_keeps_the_operation(void **state)
{
	fixture *fx = *state;
	CK_FUNCTION_LIST_3_0 *f = fx->t.f;
	CK_SESSION_HANDLE s = fx->t.session;
	CK_MECHANISM mech = {CKM_SHA256_RSA_PKCS, NULL, 0};
	uint8_t sig[256];
	CK_ULONG len = 255;

	assert_int_equal(f->C_SignInit(s, &mech, fx->rsa2048.priv), CKR_OK);
	assert_int_equal(f->C_Sign(s, (CK_BYTE_PTR)MSG, 5, sig, &len), CKR_BUFFER_TOO_SMALL);
	assert_int_equal(len, 256);
	assert_int_equal(f->C_Sign(s, (CK_BYTE_PTR)MSG, 5, sig, &len), CKR_OK);
	assert_true(sigt_verify(fx->rsa2048.pkey, CKM_SHA256_RSA_PKCS, NULL, (const uint8_t *)MSG,
	                        5, sig, len));
	assert_int_equal(f->C_SignInit(s, &mech, fx->rsa2048.priv), CKR_OK);
	assert_int_equal(f->C_SignUpdate(s, (CK_BYTE_PTR)MSG, 5), CKR_OK);
	len = 10;
	assert_int_equal(f->C_SignFinal(s, sig, &len), CKR_BUFFER_TOO_SMALL);
	assert_int_equal(len, 256);
	assert_int_equal(f->C_SignFinal(s, sig, &len), CKR_OK);
	assert_true(sigt_verify(fx->rsa2048.pkey, CKM_SHA256_RSA_PKCS, NULL, (const uint8_t *)MSG,
	                        5, sig, len));
}

static void a_signature_ends_the_operation(void **state)
{
	fixture *fx = *state;
	CK_FUNCTION_LIST_3_0 *f = fx->t.f;
	CK_SESSION_HANDLE s = fx->t.session;
	CK_MECHANISM mech = {CKM_ECDSA_SHA256, NULL, 0};
	uint8_t sig[64];
	CK_ULONG len = sizeof(sig);

	assert_int_equal(f->C_Sign(s, (CK_BYTE_PTR)MSG, 5, sig, &len), CKR_OPERATION_NOT_INITIALIZED);
	assert_int_equal(f->C_SignInit(s, &mech, fx->p256.priv), CKR_OK);
	assert_int_equal(f->C_SignInit(s, &mech, fx->p256.priv), CKR_OPERATION_ACTIVE);
	assert_int_equal(f->C_Sign(s, (CK_BYTE_PTR)MSG, 5, sig, &len), CKR_OK);
	assert_int_equal(f->C_Sign(s, (CK_BYTE_PTR)MSG, 5, sig, &len), CKR_OPERATION_NOT_INITIALIZED);
	assert_int_equal(f->C_SignUpdate(s, (CK_BYTE_PTR)MSG, 5), CKR_OPERATION_NOT_INITIALIZED);
	len = sizeof(sig);
	assert_int_equal(f->C_SignFinal(s, sig, &len), CKR_OPERATION_NOT_INITIALIZED);
	/* An error ends it too: no length pointer. */
	assert_int_equal(f->C_SignInit(s, &mech, fx->p256.priv), CKR_OK);
	assert_int_equal(f->C_Sign(s, (CK_BYTE_PTR)MSG, 5, sig, NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(f->C_SignInit(s, &mech, fx->p256.priv), CKR_OK);
	/* C_Sign cannot finish a multi-part operation, and that ends it. */
	assert_int_equal(f->C_SignUpdate(s, (CK_BYTE_PTR)MSG, 5), CKR_OK);
	assert_int_equal(f->C_Sign(s, (CK_BYTE_PTR)MSG, 5, sig, &len), CKR_OPERATION_NOT_INITIALIZED);
	assert_int_equal(f->C_SignFinal(s, sig, &len), CKR_OPERATION_NOT_INITIALIZED);
}

static void single_part_mechanisms_refuse_update_and_end_the_operation(void **state)
{
	fixture *fx = *state;
	CK_FUNCTION_LIST_3_0 *f = fx->t.f;
	CK_SESSION_HANDLE s = fx->t.session;
	CK_RSA_PKCS_PSS_PARAMS pss = {CKM_SHA256, CKG_MGF1_SHA256, 32};
	CK_MECHANISM mechs[] = {{CKM_RSA_PKCS, NULL, 0}, {CKM_RSA_PKCS_PSS, &pss, sizeof(pss)},
	                        {CKM_ECDSA, NULL, 0}};
	CK_OBJECT_HANDLE keys[] = {fx->rsa2048.priv, fx->rsa2048.priv, fx->p256.priv};
	uint8_t sig[256];
	CK_ULONG len;
	size_t i;

	for (i = 0; i < 3; i++) {
		len = sizeof(sig);
		assert_int_equal(f->C_SignInit(s, &mechs[i], keys[i]), CKR_OK);
		assert_int_equal(f->C_SignUpdate(s, (CK_BYTE_PTR)MSG, 5), CKR_FUNCTION_NOT_SUPPORTED);
		assert_int_equal(f->C_Sign(s, (CK_BYTE_PTR)MSG, 32, sig, &len),
		                 CKR_OPERATION_NOT_INITIALIZED);
		assert_int_equal(f->C_SignInit(s, &mechs[i], keys[i]), CKR_OK);
		assert_int_equal(f->C_SignFinal(s, sig, &len), CKR_OPERATION_NOT_INITIALIZED);
		assert_int_equal(f->C_SignFinal(s, sig, &len), CKR_OPERATION_NOT_INITIALIZED);
	}
}

static void input_lengths_outside_the_mechanism_are_data_len_range(void **state)
{
	fixture *fx = *state;
	CK_RSA_PKCS_PSS_PARAMS pss = {CKM_SHA256, CKG_MGF1_SHA256, 32};
	CK_MECHANISM raw = {CKM_RSA_PKCS, NULL, 0}, praw = {CKM_RSA_PKCS_PSS, &pss, sizeof(pss)};
	CK_MECHANISM ec = {CKM_ECDSA, NULL, 0};
	uint8_t in[256] = {0}, sig[256];
	CK_ULONG len = sizeof(sig);

	/* CKM_RSA_PKCS: at most k - 11 = 245 bytes. */
	assert_int_equal(sigt_sign(&fx->t, fx->t.session, &raw, fx->rsa2048.priv, in, 245, sig,
	                           &len), CKR_OK);
	len = sizeof(sig);
	assert_int_equal(sigt_sign(&fx->t, fx->t.session, &raw, fx->rsa2048.priv, in, 246, sig,
	                           &len), CKR_DATA_LEN_RANGE);
	len = sizeof(sig);
	assert_int_equal(sigt_sign(&fx->t, fx->t.session, &praw, fx->rsa2048.priv, in, 31, sig,
	                           &len), CKR_DATA_LEN_RANGE);
	len = sizeof(sig);
	assert_int_equal(sigt_sign(&fx->t, fx->t.session, &ec, fx->p256.priv, in, 0, sig, &len),
	                 CKR_DATA_LEN_RANGE);
	/* Each error ended its operation. */
	assert_int_equal(fx->t.f->C_Sign(fx->t.session, in, 32, sig, &len),
	                 CKR_OPERATION_NOT_INITIALIZED);
}

/* CKM_RSA_X_509 is the card's raw RSA: a value shorter than k is left-padded with zeros,
 * the public operation gives it back, and C_Verify agrees; more than k bytes is refused. */
static void raw_rsa_x509_is_the_private_operation_on_the_value(void **state)
{
	fixture *fx = *state;
	CK_MECHANISM x509 = {CKM_RSA_X_509, NULL, 0};
	uint8_t in[257], sig[256], rec[256];
	CK_ULONG len = sizeof(sig);
	size_t rec_len = sizeof(rec);
	EVP_PKEY_CTX *ctx;

	memset(in, 0x5A, sizeof(in));
	assert_int_equal(sigt_sign(&fx->t, fx->t.session, &x509, fx->rsa2048.priv, in, 200, sig,
	                           &len), CKR_OK);
	assert_int_equal(len, 256);
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, fx->rsa2048.pkey, NULL);
	assert_non_null(ctx);
	assert_true(EVP_PKEY_verify_recover_init(ctx) > 0);
	assert_true(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) > 0);
	assert_true(EVP_PKEY_verify_recover(ctx, rec, &rec_len, sig, len) > 0);
	EVP_PKEY_CTX_free(ctx);
	assert_int_equal(rec_len, 256);
	for (size_t i = 0; i < 56; i++)
		assert_int_equal(rec[i], 0);
	assert_memory_equal(rec + 56, in, 200);

	assert_int_equal(fx->t.f->C_VerifyInit(fx->t.session, &x509, fx->rsa2048.pub), CKR_OK);
	assert_int_equal(fx->t.f->C_Verify(fx->t.session, in, 200, sig, len), CKR_OK);
	sig[100] ^= 1;
	assert_int_equal(fx->t.f->C_VerifyInit(fx->t.session, &x509, fx->rsa2048.pub), CKR_OK);
	assert_int_equal(fx->t.f->C_Verify(fx->t.session, in, 200, sig, len), CKR_SIGNATURE_INVALID);

	len = sizeof(sig);
	assert_int_equal(sigt_sign(&fx->t, fx->t.session, &x509, fx->rsa2048.priv, in, 257, sig,
	                           &len), CKR_DATA_LEN_RANGE);
}

static CK_RV pss_init(fixture *fx, CK_MECHANISM_TYPE m, CK_MECHANISM_TYPE hash,
                      CK_RSA_PKCS_MGF_TYPE mgf, CK_ULONG slen)
{
	CK_RSA_PKCS_PSS_PARAMS p = {hash, mgf, slen};
	CK_MECHANISM mech = {m, &p, sizeof(p)};
	CK_RV rv = fx->t.f->C_SignInit(fx->t.session, &mech, fx->rsa2048.priv);
	uint8_t sig[256];
	CK_ULONG len = sizeof(sig);

	if (rv == CKR_OK)   /* finish it, so the next init is not refused as active */
		assert_int_equal(fx->t.f->C_Sign(fx->t.session, (CK_BYTE_PTR)MSG, 3, sig, &len), CKR_OK);
	return rv;
}

static void pss_parameters_must_agree_with_the_mechanism_and_key(void **state)
{
	fixture *fx = *state;
	CK_MECHANISM noparam = {CKM_SHA256_RSA_PKCS_PSS, NULL, 0};
	CK_RSA_PKCS_PSS_PARAMS maxsalt = {CKM_SHA256, CKG_MGF1_SHA1, 256 - 32 - 2};
	CK_MECHANISM mech = {CKM_SHA256_RSA_PKCS_PSS, &maxsalt, sizeof(maxsalt)};
	uint8_t sig[256];
	CK_ULONG len = sizeof(sig);

	assert_int_equal(pss_init(fx, CKM_SHA384_RSA_PKCS_PSS, CKM_SHA256, CKG_MGF1_SHA256, 32),
	                 CKR_MECHANISM_PARAM_INVALID);
	assert_int_equal(pss_init(fx, CKM_SHA256_RSA_PKCS_PSS, CKM_SHA256, 0x99, 32),
	                 CKR_MECHANISM_PARAM_INVALID);
	assert_int_equal(pss_init(fx, CKM_SHA256_RSA_PKCS_PSS, CKM_SHA256, CKG_MGF1_SHA256, 223),
	                 CKR_MECHANISM_PARAM_INVALID);
	assert_int_equal(pss_init(fx, CKM_RSA_PKCS_PSS, CKM_MD5, CKG_MGF1_SHA256, 16),
	                 CKR_MECHANISM_PARAM_INVALID);
	assert_int_equal(fx->t.f->C_SignInit(fx->t.session, &noparam, fx->rsa2048.priv),
	                 CKR_MECHANISM_PARAM_INVALID);
	/* The largest salt and a different MGF1 hash are fine, and verify. */
	assert_int_equal(sigt_sign(&fx->t, fx->t.session, &mech, fx->rsa2048.priv,
	                           (const uint8_t *)MSG, strlen(MSG), sig, &len), CKR_OK);
	assert_true(sigt_verify(fx->rsa2048.pkey, CKM_SHA256_RSA_PKCS_PSS, &maxsalt,
	                        (const uint8_t *)MSG, strlen(MSG), sig, len));
	/* Other mechanisms take no parameter. */
	mech.mechanism = CKM_SHA256_RSA_PKCS;
	assert_int_equal(fx->t.f->C_SignInit(fx->t.session, &mech, fx->rsa2048.priv),
	                 CKR_MECHANISM_PARAM_INVALID);
}

static void mechanism_of_the_other_key_type_is_key_type_inconsistent(void **state)
{
	fixture *fx = *state;
	CK_MECHANISM rsa = {CKM_SHA256_RSA_PKCS, NULL, 0}, ec = {CKM_ECDSA_SHA256, NULL, 0};

	assert_int_equal(fx->t.f->C_SignInit(fx->t.session, &rsa, fx->p256.priv),
	                 CKR_KEY_TYPE_INCONSISTENT);
	assert_int_equal(fx->t.f->C_SignInit(fx->t.session, &ec, fx->rsa2048.priv),
	                 CKR_KEY_TYPE_INCONSISTENT);
	assert_int_equal(fx->t.f->C_VerifyInit(fx->t.session, &ec, fx->rsa2048.pub),
	                 CKR_KEY_TYPE_INCONSISTENT);
}

static void keys_and_mechanisms_that_cannot_sign_are_refused(void **state)
{
	fixture *fx = *state;
	CK_FUNCTION_LIST_3_0 *f = fx->t.f;
	CK_SESSION_HANDLE s = fx->t.session;
	CK_MECHANISM mech = {CKM_SHA256_RSA_PKCS, NULL, 0}, gen = {CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0};
	CK_MECHANISM sha1 = {CKM_SHA1_RSA_PKCS, NULL, 0};

	assert_int_equal(f->C_SignInit(s, NULL, fx->rsa2048.priv), CKR_ARGUMENTS_BAD);
	assert_int_equal(f->C_SignInit(s, &gen, fx->rsa2048.priv), CKR_MECHANISM_INVALID);
	assert_int_equal(f->C_SignInit(s, &sha1, fx->rsa2048.priv), CKR_MECHANISM_INVALID);
	assert_int_equal(f->C_SignInit(s, &mech, fx->rsa2048.pub), CKR_KEY_FUNCTION_NOT_PERMITTED);
	assert_int_equal(f->C_SignInit(s, &mech, 0), CKR_KEY_HANDLE_INVALID);
	assert_int_equal(f->C_SignInit(s, &mech, (CK_OBJECT_HANDLE)0x7fff1234), CKR_KEY_HANDLE_INVALID);
	assert_int_equal(f->C_SignInit(s + 1000, &mech, fx->rsa2048.priv), CKR_SESSION_HANDLE_INVALID);
}

static void signing_needs_the_user_logged_in(void **state)
{
	fixture *fx = *state;
	CK_FUNCTION_LIST_3_0 *f = fx->t.f;
	CK_SESSION_HANDLE s = fx->t.session;
	CK_MECHANISM mech = {CKM_SHA256_RSA_PKCS, NULL, 0};
	uint8_t sig[256];
	CK_ULONG len = sizeof(sig);

	/* Logged out between C_SignInit and C_Sign: refused, operation over. */
	assert_int_equal(f->C_SignInit(s, &mech, fx->rsa2048.priv), CKR_OK);
	assert_int_equal(f->C_Logout(s), CKR_OK);
	assert_int_equal(f->C_Sign(s, (CK_BYTE_PTR)MSG, 5, sig, &len), CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(f->C_Sign(s, (CK_BYTE_PTR)MSG, 5, sig, &len), CKR_OPERATION_NOT_INITIALIZED);
	assert_int_equal(f->C_SignInit(s, &mech, fx->rsa2048.priv), CKR_USER_NOT_LOGGED_IN);
	mech.mechanism = CKM_ECDSA_SHA256;
	assert_int_equal(f->C_SignInit(s, &mech, fx->p256.priv), CKR_USER_NOT_LOGGED_IN);
}

static void card_authentication_key_signs_without_a_login(void **state)
{
	fixture *fx = *state;
	CK_MECHANISM mech = {CKM_ECDSA_SHA256, NULL, 0};
	uint8_t sig[64];
	CK_ULONG len = sizeof(sig);

	assert_int_equal(fx->t.f->C_Logout(fx->t.session), CKR_OK);
	assert_int_equal(sigt_sign(&fx->t, fx->t.session, &mech, fx->k9e.priv, (const uint8_t *)MSG,
	                           strlen(MSG), sig, &len), CKR_OK);
	assert_true(sigt_verify(fx->k9e.pkey, CKM_ECDSA_SHA256, NULL, (const uint8_t *)MSG,
	                        strlen(MSG), sig, len));
}

static void signature_key_needs_a_context_login_before_each_signature(void **state)
{
	fixture *fx = *state;
	CK_FUNCTION_LIST_3_0 *f = fx->t.f;
	CK_SESSION_HANDLE s = fx->t.session;
	CK_MECHANISM mech = {CKM_ECDSA_SHA256, NULL, 0};
	uint8_t sig[64];
	CK_ULONG len = sizeof(sig);
	int round;

	/* Without CKU_CONTEXT_SPECIFIC: refused, and the operation is over. */
	assert_int_equal(f->C_SignInit(s, &mech, fx->k9c.priv), CKR_OK);
	assert_int_equal(f->C_Sign(s, (CK_BYTE_PTR)MSG, 5, sig, &len), CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(f->C_Sign(s, (CK_BYTE_PTR)MSG, 5, sig, &len), CKR_OPERATION_NOT_INITIALIZED);
	for (round = 0; round < 2; round++) {
		len = sizeof(sig);
		assert_int_equal(f->C_SignInit(s, &mech, fx->k9c.priv), CKR_OK);
		assert_int_equal(f->C_Login(s, CKU_CONTEXT_SPECIFIC, (CK_UTF8CHAR_PTR)PIN, 6), CKR_OK);
		/* A length query does not use up the context login. */
		assert_int_equal(f->C_Sign(s, (CK_BYTE_PTR)MSG, 5, NULL, &len), CKR_OK);
		assert_int_equal(f->C_Sign(s, (CK_BYTE_PTR)MSG, 5, sig, &len), CKR_OK);
		assert_true(sigt_verify(fx->k9c.pkey, CKM_ECDSA_SHA256, NULL, (const uint8_t *)MSG, 5,
		                        sig, len));
	}
	/* It covered one signature each time: the next needs another. */
	assert_int_equal(f->C_SignInit(s, &mech, fx->k9c.priv), CKR_OK);
	assert_int_equal(f->C_Sign(s, (CK_BYTE_PTR)MSG, 5, sig, &len), CKR_USER_NOT_LOGGED_IN);
}

/* Another process powers the card on: the PIN's verification is gone from the card. */
static void reset_by_another_process(fixture *fx)
{
	emu_conn c;

	assert_int_equal(emu_connect(&c, fx->t.emu[0].sock), 0);
	assert_int_equal(emu_power_on(&c, NULL, 0, NULL), 0);
	emu_disconnect(&c);
}

static void signing_survives_a_reset_by_another_process(void **state)
{
	fixture *fx = *state;
	CK_MECHANISM mech = {CKM_SHA256_RSA_PKCS, NULL, 0};
	uint8_t sig[256];
	CK_ULONG len = sizeof(sig);

	assert_int_equal(sigt_sign(&fx->t, fx->t.session, &mech, fx->rsa2048.priv,
	                           (const uint8_t *)MSG, 5, sig, &len), CKR_OK);
	reset_by_another_process(fx);
	len = sizeof(sig);
	assert_int_equal(sigt_sign(&fx->t, fx->t.session, &mech, fx->rsa2048.priv,
	                           (const uint8_t *)MSG, 5, sig, &len), CKR_OK);
	assert_true(sigt_verify(fx->rsa2048.pkey, CKM_SHA256_RSA_PKCS, NULL, (const uint8_t *)MSG,
	                        5, sig, len));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup(fn, ready)
	const struct CMUnitTest tests[] = {
		T(every_rsa_mechanism_on_rsa2048_verifies_with_openssl),
		T(every_ecdsa_mechanism_on_p256_verifies_with_openssl),
		T(rsa3072_and_p384_signatures_verify_with_openssl),
		T(multi_part_signature_equals_single_part),
		T(length_query_answers_and_keeps_the_operation),
		T(buffer_too_small_reports_the_length_and_keeps_the_operation),
		T(a_signature_ends_the_operation),
		T(single_part_mechanisms_refuse_update_and_end_the_operation),
		T(input_lengths_outside_the_mechanism_are_data_len_range),
		T(raw_rsa_x509_is_the_private_operation_on_the_value),
		T(pss_parameters_must_agree_with_the_mechanism_and_key),
		T(mechanism_of_the_other_key_type_is_key_type_inconsistent),
		T(keys_and_mechanisms_that_cannot_sign_are_refused),
		T(signing_needs_the_user_logged_in),
		T(card_authentication_key_signs_without_a_login),
		T(signature_key_needs_a_context_login_before_each_signature),
		T(signing_survives_a_reset_by_another_process),
	};
#undef T

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
