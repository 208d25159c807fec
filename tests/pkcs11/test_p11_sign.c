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

#include "sig_fixture_test_util.h"

#define PIN "123456"

enum { K_RSA2048, K_9C, K_P256, K_9E, K_RSA3072, K_P384, K_9D };

static const sigfx_key key_specs[] = {
	[K_RSA2048] = {2048, NULL, 0x01}, /* 9A */
	[K_9C] = {0, "P-256", 0x02},      /* 9C, PIN always */
	[K_P256] = {0, "P-256", 0x07},    /* 84 */
	[K_9E] = {0, "P-256", 0x04},      /* 9E, no PIN */
	[K_RSA3072] = {3072, NULL, 0x05}, /* 82 */
	[K_P384] = {0, "P-384", 0x06},    /* 83 */
	[K_9D] = {0, "P-256", 0x03},      /* 9D: key agreement only */
};

static int group_setup(void **state)
{
	return sigfx_group_setup(state, key_specs, sizeof(key_specs) / sizeof(key_specs[0]));
}

#define MSG "the quick brown fox signs on a token"

static void sign_and_check(sigfx *fx, sigt_keypair *kp, CK_MECHANISM_TYPE m,
                           const CK_RSA_PKCS_PSS_PARAMS *pss, const uint8_t *data, size_t len,
                           CK_ULONG want_len)
{
	CK_MECHANISM mech = {m, (void *)pss, pss ? sizeof(*pss) : 0};
	uint8_t sig[512];
	CK_ULONG sig_len = sizeof(sig);

	assert_int_equal(sigt_sign(&fx->t, fx->t.session, &mech, kp->priv, data, len, sig,
	                           &sig_len),
	                 CKR_OK);
	assert_int_equal(sig_len, want_len);
	assert_true(sigt_verify(kp->pkey, m, pss, data, len, sig, sig_len));
	/* The check can fail: one flipped bit and OpenSSL refuses. */
	sig[sig_len / 2] ^= 0x04;
	assert_false(sigt_verify(kp->pkey, m, pss, data, len, sig, sig_len));
}

/* What a mechanism is given: the message (it hashes it), or what the caller made of it. */
typedef enum { IN_MESSAGE, IN_DIGEST_INFO_SHA256, IN_SHA1, IN_SHA256, IN_SHA384, IN_SHA512 } input;

/* One signature: a mechanism, its PSS parameters, and its input. */
typedef struct {
	CK_MECHANISM_TYPE mech;
	const CK_RSA_PKCS_PSS_PARAMS *pss;
	input in;
} sig_row;

static const CK_RSA_PKCS_PSS_PARAMS pss_sha256 = {CKM_SHA256, CKG_MGF1_SHA256, 32};
static const CK_RSA_PKCS_PSS_PARAMS pss_sha384 = {CKM_SHA384, CKG_MGF1_SHA384, 48};
static const CK_RSA_PKCS_PSS_PARAMS pss_sha512 = {CKM_SHA512, CKG_MGF1_SHA512, 64};

/* Each row signed with kp, the signature sig_len bytes and verified by OpenSSL. */
static void sign_rows(sigfx *fx, sigt_keypair *kp, const sig_row *rows, size_t n, CK_ULONG sig_len)
{
	const EVP_MD *md[] = {[IN_SHA1] = EVP_sha1(),
	                      [IN_SHA256] = EVP_sha256(),
	                      [IN_SHA384] = EVP_sha384(),
	                      [IN_SHA512] = EVP_sha512()};
	uint8_t in[EVP_MAX_MD_SIZE + 51];
	size_t i, len;

	for (i = 0; i < n; i++) {
		if (rows[i].in == IN_MESSAGE) {
			sign_and_check(fx, kp, rows[i].mech, rows[i].pss, (const uint8_t *)MSG,
			               strlen(MSG), sig_len);
			continue;
		}
		if (rows[i].in == IN_DIGEST_INFO_SHA256)
			len = sigt_digest_info_sha256(MSG, in);
		else
			sigt_digest(md[rows[i].in], MSG, in, &len);
		sign_and_check(fx, kp, rows[i].mech, rows[i].pss, in, len, sig_len);
	}
}

static void every_rsa_mechanism_on_rsa2048_verifies_with_openssl(void **state)
{
	static const sig_row rows[] = {
		{CKM_RSA_PKCS, NULL, IN_DIGEST_INFO_SHA256},
		{CKM_SHA256_RSA_PKCS, NULL, IN_MESSAGE},
		{CKM_SHA384_RSA_PKCS, NULL, IN_MESSAGE},
		{CKM_SHA512_RSA_PKCS, NULL, IN_MESSAGE},
		{CKM_RSA_PKCS_PSS, &pss_sha256, IN_SHA256},
		{CKM_SHA256_RSA_PKCS_PSS, &pss_sha256, IN_MESSAGE},
		{CKM_SHA384_RSA_PKCS_PSS, &pss_sha384, IN_MESSAGE},
		{CKM_SHA512_RSA_PKCS_PSS, &pss_sha512, IN_MESSAGE},
	};
	sigfx *fx = *state;

	sign_rows(fx, &fx->k[K_RSA2048], rows, sizeof(rows) / sizeof(rows[0]), 256);
}

static void every_ecdsa_mechanism_on_p256_verifies_with_openssl(void **state)
{
	static const sig_row rows[] = {
		{CKM_ECDSA, NULL, IN_SHA256},
		/* Longer digests are truncated, shorter ones taken as the same integer. */
		{CKM_ECDSA, NULL, IN_SHA512},
		{CKM_ECDSA, NULL, IN_SHA1},
		{CKM_ECDSA_SHA256, NULL, IN_MESSAGE},
		{CKM_ECDSA_SHA384, NULL, IN_MESSAGE},
		{CKM_ECDSA_SHA512, NULL, IN_MESSAGE},
	};
	sigfx *fx = *state;

	sign_rows(fx, &fx->k[K_P256], rows, sizeof(rows) / sizeof(rows[0]), 64);
}

static void rsa3072_and_p384_signatures_verify_with_openssl(void **state)
{
	static const sig_row rsa_rows[] = {
		{CKM_SHA256_RSA_PKCS, NULL, IN_MESSAGE},
		{CKM_SHA384_RSA_PKCS_PSS, &pss_sha384, IN_MESSAGE},
	};
	static const sig_row ec_rows[] = {
		{CKM_ECDSA_SHA384, NULL, IN_MESSAGE},
		{CKM_ECDSA, NULL, IN_SHA384},
	};
	sigfx *fx = *state;

	sign_rows(fx, &fx->k[K_RSA3072], rsa_rows, 2, 384);
	sign_rows(fx, &fx->k[K_P384], ec_rows, 2, 96);
}

static void multi_part_signature_equals_single_part(void **state)
{
	sigfx *fx = *state;
	CK_FUNCTION_LIST_3_0 *f = fx->t.f;
	CK_SESSION_HANDLE s = fx->t.session;
	CK_MECHANISM mech = {CKM_SHA256_RSA_PKCS, NULL, 0};
	CK_RSA_PKCS_PSS_PARAMS pss = {CKM_SHA512, CKG_MGF1_SHA512, 64};
	CK_MECHANISM ecmech = {CKM_ECDSA_SHA384, NULL, 0},
		     pssmech = {CKM_SHA512_RSA_PKCS_PSS, &pss, sizeof(pss)};
	uint8_t one[256], parts[256];
	CK_ULONG one_len = sizeof(one), parts_len = sizeof(parts);
	const char *msg = MSG;

	/* PKCS#1 v1.5 is deterministic: the same bytes either way. */
	assert_int_equal(sigt_sign(&fx->t, s, &mech, fx->k[K_RSA2048].priv, (const uint8_t *)msg,
	                           strlen(msg), one, &one_len),
	                 CKR_OK);
	assert_int_equal(f->C_SignInit(s, &mech, fx->k[K_RSA2048].priv), CKR_OK);
	assert_int_equal(f->C_SignUpdate(s, (CK_BYTE_PTR)msg, 10), CKR_OK);
	assert_int_equal(f->C_SignUpdate(s, (CK_BYTE_PTR)msg + 10, 0), CKR_OK);
	assert_int_equal(f->C_SignUpdate(s, (CK_BYTE_PTR)msg + 10, (CK_ULONG)strlen(msg) - 10),
	                 CKR_OK);
	assert_int_equal(f->C_SignFinal(s, parts, &parts_len), CKR_OK);
	assert_int_equal(parts_len, one_len);
	assert_memory_equal(one, parts, one_len);

	/* Randomised schemes: the multi-part signature verifies over the whole message. */
	assert_int_equal(f->C_SignInit(s, &ecmech, fx->k[K_P256].priv), CKR_OK);
	assert_int_equal(f->C_SignUpdate(s, (CK_BYTE_PTR)msg, 3), CKR_OK);
	assert_int_equal(f->C_SignUpdate(s, (CK_BYTE_PTR)msg + 3, (CK_ULONG)strlen(msg) - 3),
	                 CKR_OK);
	parts_len = sizeof(parts);
	assert_int_equal(f->C_SignFinal(s, parts, &parts_len), CKR_OK);
	assert_int_equal(parts_len, 64);
	assert_true(sigt_verify(fx->k[K_P256].pkey, CKM_ECDSA_SHA384, NULL, (const uint8_t *)msg,
	                        strlen(msg), parts, parts_len));
	assert_int_equal(f->C_SignInit(s, &pssmech, fx->k[K_RSA2048].priv), CKR_OK);
	assert_int_equal(f->C_SignUpdate(s, (CK_BYTE_PTR)msg, (CK_ULONG)strlen(msg)), CKR_OK);
	parts_len = sizeof(parts);
	assert_int_equal(f->C_SignFinal(s, parts, &parts_len), CKR_OK);
	assert_true(sigt_verify(fx->k[K_RSA2048].pkey, CKM_SHA512_RSA_PKCS_PSS, &pss,
	                        (const uint8_t *)msg, strlen(msg), parts, parts_len));
	/* No data at all is a signature of the empty message. */
	assert_int_equal(f->C_SignInit(s, &mech, fx->k[K_RSA2048].priv), CKR_OK);
	parts_len = sizeof(parts);
	assert_int_equal(f->C_SignFinal(s, parts, &parts_len), CKR_OK);
	assert_true(sigt_verify(fx->k[K_RSA2048].pkey, CKM_SHA256_RSA_PKCS, NULL,
	                        (const uint8_t *)"", 0, parts, parts_len));
}

/* Asked with too little room (room 0: a length query, sig NULL) C_Sign, or C_SignFinal
 * when multi_part, answers probe_rv and the length, and the operation goes on to a
 * signature OpenSSL verifies. */
static void sign_after_asking_the_length(sigfx *fx, CK_MECHANISM_TYPE m, sigt_keypair *kp,
                                         CK_ULONG room, CK_RV probe_rv, CK_ULONG want_len,
                                         bool multi_part)
{
	CK_FUNCTION_LIST_3_0 *f = fx->t.f;
	CK_SESSION_HANDLE s = fx->t.session;
	CK_MECHANISM mech = {m, NULL, 0};
	uint8_t sig[512];
	CK_BYTE_PTR probe = room ? sig : NULL;
	CK_ULONG len = room;

	assert_int_equal(f->C_SignInit(s, &mech, kp->priv), CKR_OK);
	if (multi_part) {
		assert_int_equal(f->C_SignUpdate(s, (CK_BYTE_PTR)MSG, 5), CKR_OK);
		assert_int_equal(f->C_SignFinal(s, probe, &len), probe_rv);
		assert_int_equal(len, want_len);
		assert_int_equal(f->C_SignFinal(s, sig, &len), CKR_OK);
	} else {
		assert_int_equal(f->C_Sign(s, (CK_BYTE_PTR)MSG, 5, probe, &len), probe_rv);
		assert_int_equal(len, want_len);
		assert_int_equal(f->C_Sign(s, (CK_BYTE_PTR)MSG, 5, sig, &len), CKR_OK);
	}
	assert_true(sigt_verify(kp->pkey, m, NULL, (const uint8_t *)MSG, 5, sig, len));
}

/* The query does not finish the hash of a multi-part operation either. */
static void length_query_answers_and_keeps_the_operation(void **state)
{
	sigfx *fx = *state;

	sign_after_asking_the_length(fx, CKM_ECDSA_SHA256, &fx->k[K_P256], 0, CKR_OK, 64, false);
	sign_after_asking_the_length(fx, CKM_ECDSA_SHA256, &fx->k[K_P256], 0, CKR_OK, 64, true);
}

static void buffer_too_small_reports_the_length_and_keeps_the_operation(void **state)
{
	sigfx *fx = *state;

	sign_after_asking_the_length(fx, CKM_SHA256_RSA_PKCS, &fx->k[K_RSA2048], 255,
	                             CKR_BUFFER_TOO_SMALL, 256, false);
	sign_after_asking_the_length(fx, CKM_SHA256_RSA_PKCS, &fx->k[K_RSA2048], 10,
	                             CKR_BUFFER_TOO_SMALL, 256, true);
}

static void a_signature_ends_the_operation(void **state)
{
	sigfx *fx = *state;
	CK_FUNCTION_LIST_3_0 *f = fx->t.f;
	CK_SESSION_HANDLE s = fx->t.session;
	CK_MECHANISM mech = {CKM_ECDSA_SHA256, NULL, 0};
	uint8_t sig[64];
	CK_ULONG len = sizeof(sig);

	assert_int_equal(f->C_Sign(s, (CK_BYTE_PTR)MSG, 5, sig, &len),
	                 CKR_OPERATION_NOT_INITIALIZED);
	assert_int_equal(f->C_SignInit(s, &mech, fx->k[K_P256].priv), CKR_OK);
	assert_int_equal(f->C_SignInit(s, &mech, fx->k[K_P256].priv), CKR_OPERATION_ACTIVE);
	assert_int_equal(f->C_Sign(s, (CK_BYTE_PTR)MSG, 5, sig, &len), CKR_OK);
	assert_int_equal(f->C_Sign(s, (CK_BYTE_PTR)MSG, 5, sig, &len),
	                 CKR_OPERATION_NOT_INITIALIZED);
	assert_int_equal(f->C_SignUpdate(s, (CK_BYTE_PTR)MSG, 5), CKR_OPERATION_NOT_INITIALIZED);
	len = sizeof(sig);
	assert_int_equal(f->C_SignFinal(s, sig, &len), CKR_OPERATION_NOT_INITIALIZED);
	/* An error ends it too: no length pointer. */
	assert_int_equal(f->C_SignInit(s, &mech, fx->k[K_P256].priv), CKR_OK);
	assert_int_equal(f->C_Sign(s, (CK_BYTE_PTR)MSG, 5, sig, NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(f->C_SignInit(s, &mech, fx->k[K_P256].priv), CKR_OK);
	/* C_Sign cannot finish a multi-part operation, and that ends it. */
	assert_int_equal(f->C_SignUpdate(s, (CK_BYTE_PTR)MSG, 5), CKR_OK);
	assert_int_equal(f->C_Sign(s, (CK_BYTE_PTR)MSG, 5, sig, &len),
	                 CKR_OPERATION_NOT_INITIALIZED);
	assert_int_equal(f->C_SignFinal(s, sig, &len), CKR_OPERATION_NOT_INITIALIZED);
}

static void single_part_mechanisms_refuse_update_and_end_the_operation(void **state)
{
	sigfx *fx = *state;
	CK_FUNCTION_LIST_3_0 *f = fx->t.f;
	CK_SESSION_HANDLE s = fx->t.session;
	CK_RSA_PKCS_PSS_PARAMS pss = {CKM_SHA256, CKG_MGF1_SHA256, 32};
	CK_MECHANISM mechs[] = {{CKM_RSA_PKCS, NULL, 0},
	                        {CKM_RSA_PKCS_PSS, &pss, sizeof(pss)},
	                        {CKM_ECDSA, NULL, 0}};
	CK_OBJECT_HANDLE keys[] = {fx->k[K_RSA2048].priv, fx->k[K_RSA2048].priv,
	                           fx->k[K_P256].priv};
	uint8_t sig[256];
	CK_ULONG len;
	size_t i;

	for (i = 0; i < 3; i++) {
		len = sizeof(sig);
		assert_int_equal(f->C_SignInit(s, &mechs[i], keys[i]), CKR_OK);
		assert_int_equal(f->C_SignUpdate(s, (CK_BYTE_PTR)MSG, 5),
		                 CKR_FUNCTION_NOT_SUPPORTED);
		assert_int_equal(f->C_Sign(s, (CK_BYTE_PTR)MSG, 32, sig, &len),
		                 CKR_OPERATION_NOT_INITIALIZED);
		assert_int_equal(f->C_SignInit(s, &mechs[i], keys[i]), CKR_OK);
		assert_int_equal(f->C_SignFinal(s, sig, &len), CKR_OPERATION_NOT_INITIALIZED);
		assert_int_equal(f->C_SignFinal(s, sig, &len), CKR_OPERATION_NOT_INITIALIZED);
	}
}

static void input_lengths_outside_the_mechanism_are_data_len_range(void **state)
{
	sigfx *fx = *state;
	CK_RSA_PKCS_PSS_PARAMS pss = {CKM_SHA256, CKG_MGF1_SHA256, 32};
	CK_MECHANISM raw = {CKM_RSA_PKCS, NULL, 0}, praw = {CKM_RSA_PKCS_PSS, &pss, sizeof(pss)};
	CK_MECHANISM ec = {CKM_ECDSA, NULL, 0};
	uint8_t in[256] = {0}, sig[256];
	CK_ULONG len = sizeof(sig);

	/* CKM_RSA_PKCS: at most k - 11 = 245 bytes. */
	assert_int_equal(sigt_sign(&fx->t, fx->t.session, &raw, fx->k[K_RSA2048].priv, in, 245, sig,
	                           &len),
	                 CKR_OK);
	len = sizeof(sig);
	assert_int_equal(sigt_sign(&fx->t, fx->t.session, &raw, fx->k[K_RSA2048].priv, in, 246, sig,
	                           &len),
	                 CKR_DATA_LEN_RANGE);
	len = sizeof(sig);
	assert_int_equal(sigt_sign(&fx->t, fx->t.session, &praw, fx->k[K_RSA2048].priv, in, 31, sig,
	                           &len),
	                 CKR_DATA_LEN_RANGE);
	len = sizeof(sig);
	assert_int_equal(sigt_sign(&fx->t, fx->t.session, &ec, fx->k[K_P256].priv, in, 0, sig,
	                           &len),
	                 CKR_DATA_LEN_RANGE);
	/* Each error ended its operation. */
	assert_int_equal(fx->t.f->C_Sign(fx->t.session, in, 32, sig, &len),
	                 CKR_OPERATION_NOT_INITIALIZED);
}

/* CKM_RSA_X_509 is the card's raw RSA: a value shorter than k is left-padded with zeros,
 * the public operation gives it back, and C_Verify agrees; more than k bytes is refused. */
static void raw_rsa_x509_is_the_private_operation_on_the_value(void **state)
{
	sigfx *fx = *state;
	CK_MECHANISM x509 = {CKM_RSA_X_509, NULL, 0};
	uint8_t in[257], sig[256], rec[256];
	CK_ULONG len = sizeof(sig);
	size_t rec_len = sizeof(rec);
	EVP_PKEY_CTX *ctx;

	memset(in, 0x5A, sizeof(in));
	assert_int_equal(sigt_sign(&fx->t, fx->t.session, &x509, fx->k[K_RSA2048].priv, in, 200,
	                           sig, &len),
	                 CKR_OK);
	assert_int_equal(len, 256);
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, fx->k[K_RSA2048].pkey, NULL);
	assert_non_null(ctx);
	assert_true(EVP_PKEY_verify_recover_init(ctx) > 0);
	assert_true(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) > 0);
	assert_true(EVP_PKEY_verify_recover(ctx, rec, &rec_len, sig, len) > 0);
	EVP_PKEY_CTX_free(ctx);
	assert_int_equal(rec_len, 256);
	for (size_t i = 0; i < 56; i++)
		assert_int_equal(rec[i], 0);
	assert_memory_equal(rec + 56, in, 200);

	assert_int_equal(sigfx_verify(fx, &x509, fx->k[K_RSA2048].pub, in, 200, sig, len), CKR_OK);
	sig[100] ^= 1;
	assert_int_equal(sigfx_verify(fx, &x509, fx->k[K_RSA2048].pub, in, 200, sig, len),
	                 CKR_SIGNATURE_INVALID);

	len = sizeof(sig);
	assert_int_equal(sigt_sign(&fx->t, fx->t.session, &x509, fx->k[K_RSA2048].priv, in, 257,
	                           sig, &len),
	                 CKR_DATA_LEN_RANGE);
}

static CK_RV pss_init(sigfx *fx, CK_MECHANISM_TYPE m, CK_MECHANISM_TYPE hash,
                      CK_RSA_PKCS_MGF_TYPE mgf, CK_ULONG slen)
{
	CK_RSA_PKCS_PSS_PARAMS p = {hash, mgf, slen};
	CK_MECHANISM mech = {m, &p, sizeof(p)};
	CK_RV rv = fx->t.f->C_SignInit(fx->t.session, &mech, fx->k[K_RSA2048].priv);
	uint8_t sig[256];
	CK_ULONG len = sizeof(sig);

	if (rv == CKR_OK) /* finish it, so the next init is not refused as active */
		assert_int_equal(fx->t.f->C_Sign(fx->t.session, (CK_BYTE_PTR)MSG, 3, sig, &len),
		                 CKR_OK);
	return rv;
}

static void pss_parameters_must_agree_with_the_mechanism_and_key(void **state)
{
	sigfx *fx = *state;
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
	assert_int_equal(fx->t.f->C_SignInit(fx->t.session, &noparam, fx->k[K_RSA2048].priv),
	                 CKR_MECHANISM_PARAM_INVALID);
	/* The largest salt and a different MGF1 hash are fine, and verify. */
	assert_int_equal(sigt_sign(&fx->t, fx->t.session, &mech, fx->k[K_RSA2048].priv,
	                           (const uint8_t *)MSG, strlen(MSG), sig, &len),
	                 CKR_OK);
	assert_true(sigt_verify(fx->k[K_RSA2048].pkey, CKM_SHA256_RSA_PKCS_PSS, &maxsalt,
	                        (const uint8_t *)MSG, strlen(MSG), sig, len));
	/* Other mechanisms take no parameter. */
	mech.mechanism = CKM_SHA256_RSA_PKCS;
	assert_int_equal(fx->t.f->C_SignInit(fx->t.session, &mech, fx->k[K_RSA2048].priv),
	                 CKR_MECHANISM_PARAM_INVALID);
}

static void mechanism_of_the_other_key_type_is_key_type_inconsistent(void **state)
{
	sigfx *fx = *state;
	CK_MECHANISM rsa = {CKM_SHA256_RSA_PKCS, NULL, 0}, ec = {CKM_ECDSA_SHA256, NULL, 0};

	assert_int_equal(fx->t.f->C_SignInit(fx->t.session, &rsa, fx->k[K_P256].priv),
	                 CKR_KEY_TYPE_INCONSISTENT);
	assert_int_equal(fx->t.f->C_SignInit(fx->t.session, &ec, fx->k[K_RSA2048].priv),
	                 CKR_KEY_TYPE_INCONSISTENT);
	assert_int_equal(fx->t.f->C_VerifyInit(fx->t.session, &ec, fx->k[K_RSA2048].pub),
	                 CKR_KEY_TYPE_INCONSISTENT);
}

static void keys_and_mechanisms_that_cannot_sign_are_refused(void **state)
{
	sigfx *fx = *state;
	CK_FUNCTION_LIST_3_0 *f = fx->t.f;
	CK_SESSION_HANDLE s = fx->t.session;
	CK_MECHANISM mech = {CKM_SHA256_RSA_PKCS, NULL, 0},
		     gen = {CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0};
	CK_MECHANISM sha1 = {CKM_SHA1_RSA_PKCS, NULL, 0}, ecdsa = {CKM_ECDSA_SHA256, NULL, 0};

	assert_int_equal(f->C_SignInit(s, NULL, fx->k[K_RSA2048].priv),
	                 CKR_OK /* ends what is active */);
	assert_int_equal(f->C_SignInit(s, &gen, fx->k[K_RSA2048].priv), CKR_MECHANISM_INVALID);
	assert_int_equal(f->C_SignInit(s, &sha1, fx->k[K_RSA2048].priv), CKR_MECHANISM_INVALID);
	assert_int_equal(f->C_SignInit(s, &mech, fx->k[K_RSA2048].pub),
	                 CKR_KEY_FUNCTION_NOT_PERMITTED);
	/* 9D is PIV's key management key: CKA_SIGN and CKA_VERIFY FALSE */
	assert_int_equal(f->C_SignInit(s, &ecdsa, fx->k[K_9D].priv),
	                 CKR_KEY_FUNCTION_NOT_PERMITTED);
	assert_int_equal(f->C_VerifyInit(s, &ecdsa, fx->k[K_9D].pub),
	                 CKR_KEY_FUNCTION_NOT_PERMITTED);
	assert_int_equal(f->C_SignInit(s, &mech, 0), CKR_KEY_HANDLE_INVALID);
	assert_int_equal(f->C_SignInit(s, &mech, (CK_OBJECT_HANDLE)0x7fff1234),
	                 CKR_KEY_HANDLE_INVALID);
	assert_int_equal(f->C_SignInit(s + 1000, &mech, fx->k[K_RSA2048].priv),
	                 CKR_SESSION_HANDLE_INVALID);
}

static void signing_needs_the_user_logged_in(void **state)
{
	sigfx *fx = *state;
	CK_FUNCTION_LIST_3_0 *f = fx->t.f;
	CK_SESSION_HANDLE s = fx->t.session;
	CK_MECHANISM mech = {CKM_SHA256_RSA_PKCS, NULL, 0};
	uint8_t sig[256];
	CK_ULONG len = sizeof(sig);

	/* Logged out between C_SignInit and C_Sign: refused, operation over. */
	assert_int_equal(f->C_SignInit(s, &mech, fx->k[K_RSA2048].priv), CKR_OK);
	assert_int_equal(f->C_Logout(s), CKR_OK);
	assert_int_equal(f->C_Sign(s, (CK_BYTE_PTR)MSG, 5, sig, &len), CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(f->C_Sign(s, (CK_BYTE_PTR)MSG, 5, sig, &len),
	                 CKR_OPERATION_NOT_INITIALIZED);
	assert_int_equal(f->C_SignInit(s, &mech, fx->k[K_RSA2048].priv), CKR_USER_NOT_LOGGED_IN);
	mech.mechanism = CKM_ECDSA_SHA256;
	assert_int_equal(f->C_SignInit(s, &mech, fx->k[K_P256].priv), CKR_USER_NOT_LOGGED_IN);
}

static void card_authentication_key_signs_without_a_login(void **state)
{
	sigfx *fx = *state;
	CK_MECHANISM mech = {CKM_ECDSA_SHA256, NULL, 0};
	uint8_t sig[64];
	CK_ULONG len = sizeof(sig);

	assert_int_equal(fx->t.f->C_Logout(fx->t.session), CKR_OK);
	assert_int_equal(sigt_sign(&fx->t, fx->t.session, &mech, fx->k[K_9E].priv,
	                           (const uint8_t *)MSG, strlen(MSG), sig, &len),
	                 CKR_OK);
	assert_true(sigt_verify(fx->k[K_9E].pkey, CKM_ECDSA_SHA256, NULL, (const uint8_t *)MSG,
	                        strlen(MSG), sig, len));
}

static void signature_key_needs_a_context_login_before_each_signature(void **state)
{
	sigfx *fx = *state;
	CK_FUNCTION_LIST_3_0 *f = fx->t.f;
	CK_SESSION_HANDLE s = fx->t.session;
	CK_MECHANISM mech = {CKM_ECDSA_SHA256, NULL, 0};
	uint8_t sig[64];
	CK_ULONG len = sizeof(sig);
	int round;

	/* Without CKU_CONTEXT_SPECIFIC: refused, and the operation is over. */
	assert_int_equal(f->C_SignInit(s, &mech, fx->k[K_9C].priv), CKR_OK);
	assert_int_equal(f->C_Sign(s, (CK_BYTE_PTR)MSG, 5, sig, &len), CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(f->C_Sign(s, (CK_BYTE_PTR)MSG, 5, sig, &len),
	                 CKR_OPERATION_NOT_INITIALIZED);
	for (round = 0; round < 2; round++) {
		len = sizeof(sig);
		assert_int_equal(f->C_SignInit(s, &mech, fx->k[K_9C].priv), CKR_OK);
		assert_int_equal(f->C_Login(s, CKU_CONTEXT_SPECIFIC, (CK_UTF8CHAR_PTR)PIN, 6),
		                 CKR_OK);
		/* A length query does not use up the context login. */
		assert_int_equal(f->C_Sign(s, (CK_BYTE_PTR)MSG, 5, NULL, &len), CKR_OK);
		assert_int_equal(f->C_Sign(s, (CK_BYTE_PTR)MSG, 5, sig, &len), CKR_OK);
		assert_true(sigt_verify(fx->k[K_9C].pkey, CKM_ECDSA_SHA256, NULL,
		                        (const uint8_t *)MSG, 5, sig, len));
	}
	/* It covered one signature each time: the next needs another. */
	assert_int_equal(f->C_SignInit(s, &mech, fx->k[K_9C].priv), CKR_OK);
	assert_int_equal(f->C_Sign(s, (CK_BYTE_PTR)MSG, 5, sig, &len), CKR_USER_NOT_LOGGED_IN);
}

/* Another process powers the card on: the PIN's verification is gone from the card. */
static void reset_by_another_process(sigfx *fx)
{
	emu_conn c;

	assert_int_equal(emu_connect(&c, fx->t.emu[0].sock), 0);
	assert_int_equal(emu_power_on(&c, NULL, 0, NULL), 0);
	emu_disconnect(&c);
}

static void signing_survives_a_reset_by_another_process(void **state)
{
	sigfx *fx = *state;
	CK_MECHANISM mech = {CKM_SHA256_RSA_PKCS, NULL, 0};
	uint8_t sig[256];
	CK_ULONG len = sizeof(sig);

	assert_int_equal(sigt_sign(&fx->t, fx->t.session, &mech, fx->k[K_RSA2048].priv,
	                           (const uint8_t *)MSG, 5, sig, &len),
	                 CKR_OK);
	reset_by_another_process(fx);
	len = sizeof(sig);
	assert_int_equal(sigt_sign(&fx->t, fx->t.session, &mech, fx->k[K_RSA2048].priv,
	                           (const uint8_t *)MSG, 5, sig, &len),
	                 CKR_OK);
	assert_true(sigt_verify(fx->k[K_RSA2048].pkey, CKM_SHA256_RSA_PKCS, NULL,
	                        (const uint8_t *)MSG, 5, sig, len));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup(fn, sigfx_ready)
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

	return cmocka_run_group_tests(tests, group_setup, sigfx_group_teardown);
}
