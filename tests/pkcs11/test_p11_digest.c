/* Digests in software through the module's function list: every CKF_DIGEST mechanism
 * against OpenSSL's one-shot digest, single-part and in parts; the length rules; the
 * errors in the standard's order; C_DigestKey on public and private keys; and no APDU for
 * a digest of data. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "capture_test_util.h"
#include "sig_fixture_test_util.h"

#define MSG "digest me in software"
/* PKCS#11 3.0's SHA3-256, which p11-kit's 2.40 header lacks: a digest not offered. */
#ifndef CKM_SHA3_256
#define CKM_SHA3_256 0x000002B0UL
#endif

enum { K_P256, K_RSA2048 };

static const sigfx_key key_specs[] = {
	[K_P256] = {0, "P-256", 0x01},    /* 9A */
	[K_RSA2048] = {2048, NULL, 0x02}, /* 9C */
};

static const struct {
	CK_MECHANISM_TYPE mech;
	const char *name; /* OpenSSL's */
} digests[] = {
	{CKM_SHA_1, "SHA1"},    {CKM_SHA224, "SHA224"}, {CKM_SHA256, "SHA256"},
	{CKM_SHA384, "SHA384"}, {CKM_SHA512, "SHA512"},
};
#define N_DIGESTS (sizeof(digests) / sizeof(digests[0]))

static int group_setup(void **state)
{
	return sigfx_group_setup(state, key_specs, sizeof(key_specs) / sizeof(key_specs[0]));
}

/* OpenSSL's digest of a || b. */
static size_t sw_digest(const char *name, const void *a, size_t alen, const void *b, size_t blen,
                        uint8_t *out)
{
	EVP_MD *md = EVP_MD_fetch(NULL, name, NULL);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 0;

	assert_non_null(md);
	assert_non_null(ctx);
	assert_int_equal(EVP_DigestInit_ex(ctx, md, NULL), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, a, alen), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, b, blen), 1);
	assert_int_equal(EVP_DigestFinal_ex(ctx, out, &n), 1);
	EVP_MD_CTX_free(ctx);
	EVP_MD_free(md);
	return n;
}

/* One mechanism in parts ("digest ", nothing, MSG): want is OpenSSL's digest of them, n
 * bytes; C_DigestFinal's length rules. */
static void digest_in_parts(CK_FUNCTION_LIST_3_0 *f, CK_SESSION_HANDLE s, CK_MECHANISM *mech,
                            const uint8_t *want, size_t n)
{
	uint8_t got[64];
	CK_ULONG len = 0;

	assert_int_equal(f->C_DigestInit(s, mech), CKR_OK);
	assert_int_equal(f->C_DigestUpdate(s, (CK_BYTE_PTR) "digest ", 7), CKR_OK);
	assert_int_equal(f->C_DigestUpdate(s, NULL, 0), CKR_OK);
	assert_int_equal(f->C_DigestUpdate(s, (CK_BYTE_PTR)MSG, strlen(MSG)), CKR_OK);
	assert_int_equal(f->C_DigestFinal(s, NULL, &len), CKR_OK);
	assert_int_equal(len, n);
	len = 1;
	assert_int_equal(f->C_DigestFinal(s, got, &len), CKR_BUFFER_TOO_SMALL);
	assert_int_equal(len, n);
	len = sizeof(got);
	assert_int_equal(f->C_DigestFinal(s, got, &len), CKR_OK);
	assert_int_equal(len, n);
	assert_memory_equal(got, want, n);
	assert_int_equal(f->C_DigestFinal(s, got, &len), CKR_OPERATION_NOT_INITIALIZED);
}

static void every_digest_matches_openssl_in_one_part_and_in_parts(void **state)
{
	sigfx *fx = *state;
	CK_FUNCTION_LIST_3_0 *f = fx->t.f;
	CK_SESSION_HANDLE s = fx->t.session;
	uint8_t want[64], got[64];
	size_t i, n;

	for (i = 0; i < N_DIGESTS; i++) {
		CK_MECHANISM mech = {digests[i].mech, NULL, 0};
		CK_ULONG len = 0;

		n = sw_digest(digests[i].name, MSG, strlen(MSG), "", 0, want);
		assert_int_equal(f->C_DigestInit(s, &mech), CKR_OK);
		/* the length query and a short buffer keep the operation */
		assert_int_equal(f->C_Digest(s, (CK_BYTE_PTR)MSG, strlen(MSG), NULL, &len), CKR_OK);
		assert_int_equal(len, n);
		len = n - 1;
		assert_int_equal(f->C_Digest(s, (CK_BYTE_PTR)MSG, strlen(MSG), got, &len),
		                 CKR_BUFFER_TOO_SMALL);
		assert_int_equal(len, n);
		len = sizeof(got);
		assert_int_equal(f->C_Digest(s, (CK_BYTE_PTR)MSG, strlen(MSG), got, &len), CKR_OK);
		assert_int_equal(len, n);
		assert_memory_equal(got, want, n);
		/* it ended */
		assert_int_equal(f->C_Digest(s, (CK_BYTE_PTR)MSG, strlen(MSG), got, &len),
		                 CKR_OPERATION_NOT_INITIALIZED);
		/* the empty message */
		n = sw_digest(digests[i].name, "", 0, "", 0, want);
		assert_int_equal(f->C_DigestInit(s, &mech), CKR_OK);
		len = sizeof(got);
		assert_int_equal(f->C_Digest(s, NULL, 0, got, &len), CKR_OK);
		assert_int_equal(len, n);
		assert_memory_equal(got, want, n);
		/* in parts */
		n = sw_digest(digests[i].name, "digest ", 7, MSG, strlen(MSG), want);
		digest_in_parts(f, s, &mech, want, n);
	}
}

static void digest_errors_come_in_the_standards_order(void **state)
{
	sigfx *fx = *state;
	CK_FUNCTION_LIST_3_0 *f = fx->t.f;
	CK_SESSION_HANDLE s = fx->t.session;
	CK_MECHANISM sha256 = {CKM_SHA256, NULL, 0}, sha3 = {CKM_SHA3_256, NULL, 0};
	CK_MECHANISM sig = {CKM_SHA256_RSA_PKCS, NULL, 0};
	CK_BYTE param = 0;
	CK_MECHANISM with_param = {CKM_SHA256, &param, 1};
	uint8_t out[64];
	CK_ULONG len = sizeof(out);

	assert_int_equal(f->C_DigestInit(s + 1000, &sha256), CKR_SESSION_HANDLE_INVALID);
	/* a NULL mechanism ends the active digest (none here): PKCS#11 3.0 */
	assert_int_equal(f->C_DigestInit(s, NULL), CKR_OK);
	/* not offered, or offered for another use: what probing callers look for */
	assert_int_equal(f->C_DigestInit(s, &sha3), CKR_MECHANISM_INVALID);
	assert_int_equal(f->C_DigestInit(s, &sig), CKR_MECHANISM_INVALID);
	assert_int_equal(f->C_DigestInit(s, &with_param), CKR_MECHANISM_PARAM_INVALID);
	assert_int_equal(f->C_DigestUpdate(s, (CK_BYTE_PTR) "x", 1), CKR_OPERATION_NOT_INITIALIZED);
	assert_int_equal(f->C_DigestFinal(s, out, &len), CKR_OPERATION_NOT_INITIALIZED);
	assert_int_equal(f->C_DigestKey(s, fx->k[K_P256].pub), CKR_OPERATION_NOT_INITIALIZED);

	assert_int_equal(f->C_DigestInit(s, &sha256), CKR_OK);
	assert_int_equal(f->C_DigestInit(s, &sha256), CKR_OPERATION_ACTIVE);
	/* C_Digest cannot finish a multi-part operation; the error ends it */
	assert_int_equal(f->C_DigestUpdate(s, (CK_BYTE_PTR) "x", 1), CKR_OK);
	assert_int_equal(f->C_Digest(s, (CK_BYTE_PTR) "x", 1, out, &len),
	                 CKR_OPERATION_NOT_INITIALIZED);
	assert_int_equal(f->C_DigestFinal(s, out, &len), CKR_OPERATION_NOT_INITIALIZED);
	/* missing arguments end the operation */
	assert_int_equal(f->C_DigestInit(s, &sha256), CKR_OK);
	assert_int_equal(f->C_DigestUpdate(s, NULL, 4), CKR_ARGUMENTS_BAD);
	assert_int_equal(f->C_DigestFinal(s, out, &len), CKR_OPERATION_NOT_INITIALIZED);
	assert_int_equal(f->C_DigestInit(s, &sha256), CKR_OK);
	assert_int_equal(f->C_Digest(s, (CK_BYTE_PTR) "x", 1, out, NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(f->C_DigestInit(s, &sha256), CKR_OK);
	assert_int_equal(f->C_DigestFinal(s, out, NULL), CKR_ARGUMENTS_BAD);
	/* C_SessionCancel(CKF_DIGEST) ends it too */
	assert_int_equal(f->C_DigestInit(s, &sha256), CKR_OK);
	assert_int_equal(f->C_SessionCancel(s, CKF_DIGEST), CKR_OK);
	assert_int_equal(f->C_DigestFinal(s, out, &len), CKR_OPERATION_NOT_INITIALIZED);
}

static void digests_are_listed_with_the_digest_flag_only(void **state)
{
	sigfx *fx = *state;
	CK_FUNCTION_LIST_3_0 *f = fx->t.f;
	CK_SLOT_ID slot = fx->t.slots[0];
	CK_MECHANISM_TYPE list[64];
	CK_ULONG n = 64, j;
	CK_MECHANISM_INFO info;
	size_t i;

	assert_int_equal(f->C_GetMechanismList(slot, list, &n), CKR_OK);
	for (i = 0; i < N_DIGESTS; i++) {
		bool listed = false;

		for (j = 0; j < n; j++)
			listed = listed || list[j] == digests[i].mech;
		assert_true(listed);
		assert_int_equal(f->C_GetMechanismInfo(slot, digests[i].mech, &info), CKR_OK);
		assert_int_equal(info.flags, CKF_DIGEST);
		assert_int_equal(info.ulMinKeySize, 0);
		assert_int_equal(info.ulMaxKeySize, 0);
	}
	assert_int_equal(f->C_GetMechanismInfo(slot, CKM_SHA3_256, &info), CKR_MECHANISM_INVALID);
}

/* A session copy (CKA_TOKEN FALSE) of a token EC public key, from its parameters and
 * point. */
static CK_OBJECT_HANDLE session_pubkey(sigfx *fx, CK_OBJECT_HANDLE pub)
{
	CK_BYTE params[64], point[160];
	CK_ATTRIBUTE get[] = {{CKA_EC_PARAMS, params, sizeof(params)},
	                      {CKA_EC_POINT, point, sizeof(point)}};
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_KEY_TYPE type = CKK_EC;
	CK_BBOOL no = CK_FALSE;
	CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof(cls)},
	                       {CKA_KEY_TYPE, &type, sizeof(type)},
	                       {CKA_TOKEN, &no, sizeof(no)},
	                       {CKA_EC_PARAMS, params, 0},
	                       {CKA_EC_POINT, point, 0}};
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;

	assert_int_equal(fx->t.f->C_GetAttributeValue(fx->t.session, pub, get, 2), CKR_OK);
	tmpl[3].ulValueLen = get[0].ulValueLen;
	tmpl[4].ulValueLen = get[1].ulValueLen;
	assert_int_equal(fx->t.f->C_CreateObject(fx->t.session, tmpl, 5, &h), CKR_OK);
	return h;
}

/* A public key contributes its DER SubjectPublicKeyInfo, between any other parts. */
static void digest_key_takes_a_public_keys_spki(void **state)
{
	sigfx *fx = *state;
	CK_FUNCTION_LIST_3_0 *f = fx->t.f;
	CK_SESSION_HANDLE s = fx->t.session;
	CK_MECHANISM sha256 = {CKM_SHA256, NULL, 0};
	uint8_t want[64], got[64], both[2048];
	unsigned char *spki = NULL;
	size_t i, n, k;

	for (k = 0; k < sizeof(key_specs) / sizeof(key_specs[0]); k++) {
		CK_ULONG len = sizeof(got);
		int spki_len = i2d_PUBKEY(fx->k[k].pkey, &spki);

		assert_true(spki_len > 0 && (size_t)spki_len + 2 <= sizeof(both));
		both[0] = 'a';
		memcpy(both + 1, spki, (size_t)spki_len);
		both[1 + spki_len] = 'b';
		for (i = 0; i < N_DIGESTS; i++) {
			CK_MECHANISM mech = {digests[i].mech, NULL, 0};

			len = sizeof(got);
			n = sw_digest(digests[i].name, both, (size_t)spki_len + 2, "", 0, want);
			assert_int_equal(f->C_DigestInit(s, &mech), CKR_OK);
			assert_int_equal(f->C_DigestUpdate(s, (CK_BYTE_PTR) "a", 1), CKR_OK);
			assert_int_equal(f->C_DigestKey(s, fx->k[k].pub), CKR_OK);
			assert_int_equal(f->C_DigestUpdate(s, (CK_BYTE_PTR) "b", 1), CKR_OK);
			assert_int_equal(f->C_DigestFinal(s, got, &len), CKR_OK);
			assert_int_equal(len, n);
			assert_memory_equal(got, want, n);
		}
		OPENSSL_free(spki);
		spki = NULL;
	}
	/* the private key never leaves the token; the error ends the operation */
	assert_int_equal(f->C_DigestInit(s, &sha256), CKR_OK);
	assert_int_equal(f->C_DigestKey(s, fx->k[K_P256].priv), CKR_KEY_INDIGESTIBLE);
	assert_int_equal(f->C_DigestUpdate(s, (CK_BYTE_PTR) "x", 1), CKR_OPERATION_NOT_INITIALIZED);
	assert_int_equal(f->C_DigestInit(s, &sha256), CKR_OK);
	assert_int_equal(f->C_DigestKey(s, 0x7777), CKR_KEY_HANDLE_INVALID);
	assert_int_equal(f->C_DigestInit(s, &sha256), CKR_OK);
	/* without a login the private key is not visible: its handle is not valid then */
	assert_int_equal(f->C_Logout(s), CKR_OK);
	assert_int_equal(f->C_DigestKey(s, fx->k[K_P256].priv), CKR_KEY_HANDLE_INVALID);
}

/* A session public key gives the same bytes as the token key it copies. */
static void digest_key_takes_a_session_public_key(void **state)
{
	sigfx *fx = *state;
	CK_FUNCTION_LIST_3_0 *f = fx->t.f;
	CK_SESSION_HANDLE s = fx->t.session;
	CK_MECHANISM sha256 = {CKM_SHA256, NULL, 0};
	CK_OBJECT_HANDLE copy = session_pubkey(fx, fx->k[K_P256].pub);
	uint8_t via_token[64], got[64];
	CK_ULONG len = sizeof(got), len2 = sizeof(via_token);

	assert_int_equal(f->C_DigestInit(s, &sha256), CKR_OK);
	assert_int_equal(f->C_DigestKey(s, fx->k[K_P256].pub), CKR_OK);
	assert_int_equal(f->C_DigestFinal(s, via_token, &len2), CKR_OK);
	assert_int_equal(f->C_DigestInit(s, &sha256), CKR_OK);
	assert_int_equal(f->C_DigestKey(s, copy), CKR_OK);
	assert_int_equal(f->C_DigestFinal(s, got, &len), CKR_OK);
	assert_int_equal(len, len2);
	assert_memory_equal(got, via_token, len);
	/* gone with C_DestroyObject: the error ends the operation */
	assert_int_equal(f->C_DestroyObject(s, copy), CKR_OK);
	assert_int_equal(f->C_DigestInit(s, &sha256), CKR_OK);
	assert_int_equal(f->C_DigestKey(s, copy), CKR_KEY_HANDLE_INVALID);
	assert_int_equal(f->C_DigestFinal(s, got, &len), CKR_OPERATION_NOT_INITIALIZED);
}

/* A digest of data is the host's work: not one command to the token, logged in or not, in a
 * read-only session. */
static void digest_of_data_sends_no_apdu(void **state)
{
	sigfx *fx = *state;
	CK_FUNCTION_LIST_3_0 *f = fx->t.f;
	tkit_capture cap = TKIT_CAPTURE_OFF;
	CK_SESSION_HANDLE ro;
	uint8_t got[64];
	char *text;
	size_t i;

	assert_int_equal(f->C_Logout(fx->t.session), CKR_OK);
	assert_int_equal(f->C_OpenSession(fx->t.slots[0], CKF_SERIAL_SESSION, NULL, NULL, &ro),
	                 CKR_OK);
	tkit_capture_begin(&cap);
	for (i = 0; i < N_DIGESTS; i++) {
		CK_MECHANISM mech = {digests[i].mech, NULL, 0};
		CK_ULONG len = sizeof(got);

		assert_int_equal(f->C_DigestInit(ro, &mech), CKR_OK);
		assert_int_equal(f->C_Digest(ro, (CK_BYTE_PTR)MSG, strlen(MSG), got, &len), CKR_OK);
		len = sizeof(got);
		assert_int_equal(f->C_DigestInit(ro, &mech), CKR_OK);
		assert_int_equal(f->C_DigestUpdate(ro, (CK_BYTE_PTR)MSG, strlen(MSG)), CKR_OK);
		assert_int_equal(f->C_DigestFinal(ro, got, &len), CKR_OK);
	}
	text = tkit_capture_end(&cap);
	assert_int_equal(tkit_trace_apdus(text), 0);
	free(text);
	assert_int_equal(f->C_CloseSession(ro), CKR_OK);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup(fn, sigfx_ready)
	const struct CMUnitTest tests[] = {
		T(every_digest_matches_openssl_in_one_part_and_in_parts),
		T(digest_errors_come_in_the_standards_order),
		T(digests_are_listed_with_the_digest_flag_only),
		T(digest_key_takes_a_public_keys_spki),
		T(digest_key_takes_a_session_public_key),
		T(digest_of_data_sends_no_apdu),
	};
#undef T

	/* read once per process by the module: before its first APDU */
	setenv("KINKO_DEBUG", "apdu", 1);
	return cmocka_run_group_tests(tests, group_setup, sigfx_group_teardown);
}
