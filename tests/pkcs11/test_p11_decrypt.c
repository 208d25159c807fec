/* RSA decryption on the emulated token and encryption in software, through the module:
 * OpenSSL encrypts with the token's public key and the module decrypts (PKCS#1 v1.5, OAEP,
 * raw), C_Encrypt and C_Decrypt round trip, every bad block gets the one error, and only
 * the slots PIV gives decryption (9D, retired) decrypt. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "card.h"
#include "piv.h"
#include "sig_fixture_test_util.h"

#define PIN "123456"
#define MSG "the session key"
#define MSG_LEN (sizeof(MSG) - 1)

enum { K_9D, K_RETIRED3072, K_9A, K_9C, K_9E, K_EC };

static const sigfx_key key_specs[] = {
	[K_9D] = {2048, NULL, 0x03},          /* 9D: decrypts */
	[K_RETIRED3072] = {3072, NULL, 0x05}, /* 82: signs and decrypts */
	[K_9A] = {2048, NULL, 0x01},          /* sign only */
	[K_9C] = {2048, NULL, 0x02},          /* sign only */
	[K_9E] = {2048, NULL, 0x04},          /* sign only */
	[K_EC] = {0, "P-256", 0x06},          /* 83, EC: derives, never decrypts */
};

static int group_setup(void **state)
{
	return sigfx_group_setup(state, key_specs, sizeof(key_specs) / sizeof(key_specs[0]));
}

/* OpenSSL's encryption with the public key: padding RSA_PKCS1_PADDING, RSA_NO_PADDING or
 * RSA_PKCS1_OAEP_PADDING (md for both hashes, label). */
static size_t sw_encrypt(EVP_PKEY *pkey, int pad, const EVP_MD *md, const char *label,
                         const uint8_t *in, size_t in_len, uint8_t *out)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	size_t len = 512;

	assert_non_null(ctx);
	assert_true(EVP_PKEY_encrypt_init(ctx) > 0);
	assert_true(EVP_PKEY_CTX_set_rsa_padding(ctx, pad) > 0);
	if (md) {
		assert_true(EVP_PKEY_CTX_set_rsa_oaep_md(ctx, md) > 0);
		assert_true(EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) > 0);
	}
	if (label)
		assert_true(EVP_PKEY_CTX_set0_rsa_oaep_label(ctx,
		                                             OPENSSL_memdup(label, strlen(label)),
		                                             (int)strlen(label)) > 0);
	assert_true(EVP_PKEY_encrypt(ctx, out, &len, in, in_len) > 0);
	EVP_PKEY_CTX_free(ctx);
	return len;
}

/* MSG encrypted by OpenSSL with 9D's public key, PKCS#1 v1.5: its length. */
static size_t pkcs1_ct_9d(sigfx *fx, uint8_t *ct)
{
	return sw_encrypt(fx->k[K_9D].pkey, RSA_PKCS1_PADDING, NULL, NULL, (const uint8_t *)MSG,
	                  MSG_LEN, ct);
}

/* C_DecryptInit and C_Decrypt into a buffer of 512 bytes: C_Decrypt's answer. */
static CK_RV decrypt(sigfx *fx, CK_MECHANISM *mech, CK_OBJECT_HANDLE key, const uint8_t *ct,
                     size_t ct_len, uint8_t *out, CK_ULONG *out_len)
{
	CK_RV rv = fx->t.f->C_DecryptInit(fx->t.session, mech, key);

	if (rv != CKR_OK)
		return rv;
	*out_len = 512;
	return fx->t.f->C_Decrypt(fx->t.session, (CK_BYTE_PTR)ct, (CK_ULONG)ct_len, out, out_len);
}

static void assert_decrypts_to(sigfx *fx, CK_MECHANISM *mech, CK_OBJECT_HANDLE key,
                               const uint8_t *ct, size_t ct_len, const void *want, size_t want_len)
{
	uint8_t out[512];
	CK_ULONG out_len = 0;

	assert_int_equal(decrypt(fx, mech, key, ct, ct_len, out, &out_len), CKR_OK);
	assert_int_equal(out_len, want_len);
	if (want_len)
		assert_memory_equal(out, want, want_len);
}

static void pkcs1_ciphertexts_of_openssl_decrypt_on_9d_and_a_retired_3072(void **state)
{
	static const int keys[] = {K_9D, K_RETIRED3072};
	sigfx *fx = *state;
	CK_MECHANISM mech = {CKM_RSA_PKCS, NULL, 0};
	uint8_t ct[512];
	size_t i, len;

	for (i = 0; i < 2; i++) {
		sigt_keypair *kp = &fx->k[keys[i]];

		len = sw_encrypt(kp->pkey, RSA_PKCS1_PADDING, NULL, NULL, (const uint8_t *)MSG,
		                 MSG_LEN, ct);
		assert_int_equal(len, i == 0 ? 256 : 384);
		assert_decrypts_to(fx, &mech, kp->priv, ct, len, MSG, MSG_LEN);
		/* an empty message */
		len = sw_encrypt(kp->pkey, RSA_PKCS1_PADDING, NULL, NULL, (const uint8_t *)"", 0,
		                 ct);
		assert_decrypts_to(fx, &mech, kp->priv, ct, len, "", 0);
	}
}

static void oaep_sha1_and_sha256_with_and_without_a_label(void **state)
{
	sigfx *fx = *state;
	const struct {
		CK_MECHANISM_TYPE hash;
		CK_RSA_PKCS_MGF_TYPE mgf;
		const EVP_MD *md;
		const char *label;
	} rows[] = {
		{CKM_SHA_1, CKG_MGF1_SHA1, EVP_sha1(), NULL},
		{CKM_SHA_1, CKG_MGF1_SHA1, EVP_sha1(), "label"},
		{CKM_SHA256, CKG_MGF1_SHA256, EVP_sha256(), NULL},
		{CKM_SHA256, CKG_MGF1_SHA256, EVP_sha256(), "a longer label, any bytes"},
	};
	uint8_t ct[512];
	size_t i, j, len;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		CK_RSA_PKCS_OAEP_PARAMS p = {rows[i].hash, rows[i].mgf, CKZ_DATA_SPECIFIED,
		                             (void *)rows[i].label,
		                             rows[i].label ? strlen(rows[i].label) : 0};
		CK_MECHANISM mech = {CKM_RSA_PKCS_OAEP, &p, sizeof(p)};

		for (j = K_9D; j <= K_RETIRED3072; j++) {
			len = sw_encrypt(fx->k[j].pkey, RSA_PKCS1_OAEP_PADDING, rows[i].md,
			                 rows[i].label, (const uint8_t *)MSG, MSG_LEN, ct);
			assert_decrypts_to(fx, &mech, fx->k[j].priv, ct, len, MSG, MSG_LEN);
		}
	}
}

static void raw_x509_decryption_is_the_private_operation(void **state)
{
	sigfx *fx = *state;
	CK_MECHANISM mech = {CKM_RSA_X_509, NULL, 0};
	uint8_t value[256], ct[512];
	size_t len;

	memset(value, 0x42, sizeof(value));
	value[0] = 0x00; /* below the modulus */
	len = sw_encrypt(fx->k[K_9D].pkey, RSA_NO_PADDING, NULL, NULL, value, sizeof(value), ct);
	assert_decrypts_to(fx, &mech, fx->k[K_9D].priv, ct, len, value, sizeof(value));
}

/* C_Encrypt with the public key, C_Decrypt with the private one. */
static void encrypt_then_decrypt_round_trips(void **state)
{
	sigfx *fx = *state;
	CK_FUNCTION_LIST_3_0 *f = fx->t.f;
	CK_SESSION_HANDLE s = fx->t.session;
	CK_RSA_PKCS_OAEP_PARAMS oaep = {CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, "L", 1};
	CK_MECHANISM mechs[] = {{CKM_RSA_PKCS, NULL, 0}, {CKM_RSA_PKCS_OAEP, &oaep, sizeof(oaep)}};
	uint8_t ct[512];
	CK_ULONG len;
	size_t i, j;

	for (i = 0; i < 2; i++) {
		for (j = K_9D; j <= K_RETIRED3072; j++) {
			CK_ULONG k = j == K_9D ? 256 : 384;

			assert_int_equal(f->C_EncryptInit(s, &mechs[i], fx->k[j].pub), CKR_OK);
			/* the length query, then a buffer too small, keep the operation */
			assert_int_equal(f->C_Encrypt(s, (CK_BYTE_PTR)MSG, MSG_LEN, NULL, &len),
			                 CKR_OK);
			assert_int_equal(len, k);
			len = 10;
			assert_int_equal(f->C_Encrypt(s, (CK_BYTE_PTR)MSG, MSG_LEN, ct, &len),
			                 CKR_BUFFER_TOO_SMALL);
			assert_int_equal(len, k);
			len = sizeof(ct);
			assert_int_equal(f->C_Encrypt(s, (CK_BYTE_PTR)MSG, MSG_LEN, ct, &len),
			                 CKR_OK);
			assert_int_equal(len, k);
			assert_decrypts_to(fx, &mechs[i], fx->k[j].priv, ct, len, MSG, MSG_LEN);
		}
	}
	/* too long for the padding: CKR_DATA_LEN_RANGE, the operation ends */
	assert_int_equal(f->C_EncryptInit(s, &mechs[0], fx->k[K_9D].pub), CKR_OK);
	len = sizeof(ct);
	assert_int_equal(f->C_Encrypt(s, ct, 256 - 10, ct, &len), CKR_DATA_LEN_RANGE);
	assert_int_equal(f->C_Encrypt(s, ct, 1, ct, &len), CKR_OPERATION_NOT_INITIALIZED);
}

/* A session public key (C_CreateObject, CKA_TOKEN FALSE) encrypts too: here 9D's own, so
 * the token decrypts what it encrypted. */
static void session_public_key_encrypts(void **state)
{
	sigfx *fx = *state;
	CK_FUNCTION_LIST_3_0 *f = fx->t.f;
	CK_SESSION_HANDLE s = fx->t.session;
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_KEY_TYPE kt = CKK_RSA;
	CK_BBOOL no = CK_FALSE;
	CK_MECHANISM mech = {CKM_RSA_PKCS, NULL, 0};
	BIGNUM *n = NULL, *e = NULL;
	uint8_t nb[256], eb[8], ct[512];
	CK_OBJECT_HANDLE h = 0;
	CK_ULONG len = sizeof(ct);

	assert_int_equal(EVP_PKEY_get_bn_param(fx->k[K_9D].pkey, OSSL_PKEY_PARAM_RSA_N, &n), 1);
	assert_int_equal(EVP_PKEY_get_bn_param(fx->k[K_9D].pkey, OSSL_PKEY_PARAM_RSA_E, &e), 1);
	assert_int_equal(BN_bn2binpad(n, nb, sizeof(nb)), sizeof(nb));
	{
		int elen = BN_bn2bin(e, eb);
		CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof(cls)},
		                       {CKA_KEY_TYPE, &kt, sizeof(kt)},
		                       {CKA_TOKEN, &no, sizeof(no)},
		                       {CKA_MODULUS, nb, sizeof(nb)},
		                       {CKA_PUBLIC_EXPONENT, eb, (CK_ULONG)elen}};

		assert_int_equal(f->C_CreateObject(s, tmpl, 5, &h), CKR_OK);
	}
	BN_free(n);
	BN_free(e);
	assert_int_equal(f->C_EncryptInit(s, &mech, h), CKR_OK);
	assert_int_equal(f->C_Encrypt(s, (CK_BYTE_PTR)MSG, MSG_LEN, ct, &len), CKR_OK);
	assert_int_equal(len, 256);
	assert_decrypts_to(fx, &mech, fx->k[K_9D].priv, ct, len, MSG, MSG_LEN);
	mech.mechanism = CKM_ECDSA;
	assert_int_equal(f->C_EncryptInit(s, &mech, h), CKR_MECHANISM_INVALID);
	assert_int_equal(f->C_DestroyObject(s, h), CKR_OK);
	mech.mechanism = CKM_RSA_PKCS;
	assert_int_equal(f->C_EncryptInit(s, &mech, h), CKR_KEY_HANDLE_INVALID);
}

/* No oracle: whatever is wrong with the block, the same error, and the operation ends. */
static void wrong_padding_label_or_value_give_the_one_error(void **state)
{
	sigfx *fx = *state;
	CK_FUNCTION_LIST_3_0 *f = fx->t.f;
	CK_SESSION_HANDLE s = fx->t.session;
	EVP_PKEY *pk = fx->k[K_9D].pkey;
	CK_OBJECT_HANDLE key = fx->k[K_9D].priv;
	CK_RSA_PKCS_OAEP_PARAMS p1 = {CKM_SHA_1, CKG_MGF1_SHA1, CKZ_DATA_SPECIFIED, NULL, 0},
				p256 = {CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, "x", 1};
	CK_MECHANISM pkcs1 = {CKM_RSA_PKCS, NULL, 0}, oaep1 = {CKM_RSA_PKCS_OAEP, &p1, sizeof(p1)},
		     oaep256 = {CKM_RSA_PKCS_OAEP, &p256, sizeof(p256)},
		     x509 = {CKM_RSA_X_509, NULL, 0};
	uint8_t ct_pkcs1[512], ct_oaep[512], raw[256], ct_raw[512], out[512];
	CK_ULONG out_len;
	size_t n1, no, nr;

	n1 = sw_encrypt(pk, RSA_PKCS1_PADDING, NULL, NULL, (const uint8_t *)MSG, MSG_LEN, ct_pkcs1);
	/* OAEP's random block reads as PKCS#1 v1.5 type 2 about once in 400 (00 02 and a
	 * separator late enough): choose one whose second byte (read raw on the token) is not
	 * 02, so the PKCS#1 refusal below cannot pass by chance. */
	do {
		no = sw_encrypt(pk, RSA_PKCS1_OAEP_PADDING, EVP_sha1(), NULL, (const uint8_t *)MSG,
		                MSG_LEN, ct_oaep);
		assert_int_equal(decrypt(fx, &x509, key, ct_oaep, no, out, &out_len), CKR_OK);
		assert_int_equal(out_len, no);
	} while (out[1] == 2);
	memset(raw, 0x17, sizeof(raw));
	raw[0] = 0;
	nr = sw_encrypt(pk, RSA_NO_PADDING, NULL, NULL, raw, sizeof(raw), ct_raw);
	/* a PKCS#1 block read as OAEP and the other way round, a block of no padding, the
	 * wrong label, the wrong hash */
	assert_int_equal(decrypt(fx, &oaep1, key, ct_pkcs1, n1, out, &out_len),
	                 CKR_ENCRYPTED_DATA_INVALID);
	assert_int_equal(decrypt(fx, &pkcs1, key, ct_oaep, no, out, &out_len),
	                 CKR_ENCRYPTED_DATA_INVALID);
	assert_int_equal(decrypt(fx, &pkcs1, key, ct_raw, nr, out, &out_len),
	                 CKR_ENCRYPTED_DATA_INVALID);
	assert_int_equal(decrypt(fx, &oaep1, key, ct_raw, nr, out, &out_len),
	                 CKR_ENCRYPTED_DATA_INVALID);
	assert_int_equal(decrypt(fx, &oaep256, key, ct_oaep, no, out, &out_len),
	                 CKR_ENCRYPTED_DATA_INVALID);
	/* a value not below the modulus */
	memset(ct_raw, 0xFF, 256);
	assert_int_equal(decrypt(fx, &pkcs1, key, ct_raw, 256, out, &out_len),
	                 CKR_ENCRYPTED_DATA_INVALID);
	/* the operation ended with each */
	assert_int_equal(f->C_Decrypt(s, ct_pkcs1, (CK_ULONG)n1, out, &out_len),
	                 CKR_OPERATION_NOT_INITIALIZED);
	/* a ciphertext that is not k bytes long */
	assert_int_equal(decrypt(fx, &pkcs1, key, ct_pkcs1, n1 - 1, out, &out_len),
	                 CKR_ENCRYPTED_DATA_LEN_RANGE);
	assert_int_equal(decrypt(fx, &pkcs1, key, ct_pkcs1, 384, out, &out_len),
	                 CKR_ENCRYPTED_DATA_LEN_RANGE);
	/* and after all of them, the good one still decrypts */
	assert_decrypts_to(fx, &pkcs1, key, ct_pkcs1, n1, MSG, MSG_LEN);
}

static void length_query_and_buffer_too_small_keep_the_operation(void **state)
{
	sigfx *fx = *state;
	CK_FUNCTION_LIST_3_0 *f = fx->t.f;
	CK_SESSION_HANDLE s = fx->t.session;
	CK_MECHANISM mech = {CKM_RSA_PKCS, NULL, 0};
	uint8_t ct[512], out[512];
	CK_ULONG len = 0;
	size_t n = pkcs1_ct_9d(fx, ct);

	assert_int_equal(f->C_DecryptInit(s, &mech, fx->k[K_9D].priv), CKR_OK);
	/* the length query: the most PKCS#1 v1.5 carries, without asking the card */
	assert_int_equal(f->C_Decrypt(s, ct, (CK_ULONG)n, NULL, &len), CKR_OK);
	assert_int_equal(len, 256 - 11);
	len = 3;
	assert_int_equal(f->C_Decrypt(s, ct, (CK_ULONG)n, out, &len), CKR_BUFFER_TOO_SMALL);
	assert_int_equal(len, MSG_LEN);
	len = MSG_LEN;
	assert_int_equal(f->C_Decrypt(s, ct, (CK_ULONG)n, out, &len), CKR_OK);
	assert_int_equal(len, MSG_LEN);
	assert_memory_equal(out, MSG, MSG_LEN);
	assert_int_equal(f->C_Decrypt(s, ct, (CK_ULONG)n, out, &len),
	                 CKR_OPERATION_NOT_INITIALIZED);
}

static void rsa_is_single_part(void **state)
{
	sigfx *fx = *state;
	CK_FUNCTION_LIST_3_0 *f = fx->t.f;
	CK_SESSION_HANDLE s = fx->t.session;
	CK_MECHANISM mech = {CKM_RSA_PKCS, NULL, 0};
	uint8_t buf[512];
	CK_ULONG len = sizeof(buf);

	assert_int_equal(f->C_DecryptUpdate(s, buf, 1, buf, &len), CKR_OPERATION_NOT_INITIALIZED);
	assert_int_equal(f->C_DecryptInit(s, &mech, fx->k[K_9D].priv), CKR_OK);
	assert_int_equal(f->C_DecryptInit(s, &mech, fx->k[K_9D].priv), CKR_OPERATION_ACTIVE);
	assert_int_equal(f->C_DecryptUpdate(s, buf, 1, buf, &len), CKR_FUNCTION_NOT_SUPPORTED);
	assert_int_equal(f->C_DecryptFinal(s, buf, &len), CKR_OPERATION_NOT_INITIALIZED);
	assert_int_equal(f->C_DecryptInit(s, &mech, fx->k[K_9D].priv), CKR_OK);
	assert_int_equal(f->C_DecryptFinal(s, buf, &len), CKR_OPERATION_NOT_INITIALIZED);
	assert_int_equal(f->C_Decrypt(s, buf, 256, buf, &len), CKR_OPERATION_NOT_INITIALIZED);
	assert_int_equal(f->C_EncryptInit(s, &mech, fx->k[K_9D].pub), CKR_OK);
	assert_int_equal(f->C_EncryptUpdate(s, buf, 1, buf, &len), CKR_FUNCTION_NOT_SUPPORTED);
	assert_int_equal(f->C_EncryptFinal(s, buf, &len), CKR_OPERATION_NOT_INITIALIZED);
}

/* PIV's slot roles: 9A, 9C and 9E sign only, EC keys derive; mechanisms and parameters. */
static void keys_and_mechanisms_that_cannot_decrypt_are_refused(void **state)
{
	static const int signers[] = {K_9A, K_9C, K_9E};
	sigfx *fx = *state;
	CK_FUNCTION_LIST_3_0 *f = fx->t.f;
	CK_SESSION_HANDLE s = fx->t.session;
	CK_MECHANISM mech = {CKM_RSA_PKCS, NULL, 0}, sha = {CKM_SHA256_RSA_PKCS, NULL, 0},
		     pss = {CKM_RSA_PKCS_PSS, NULL, 0};
	CK_RSA_PKCS_OAEP_PARAMS bad[] = {
		{CKM_MD5, CKG_MGF1_SHA1, CKZ_DATA_SPECIFIED, NULL, 0},
		{CKM_SHA_1, 0x77, CKZ_DATA_SPECIFIED, NULL, 0},
		{CKM_SHA_1, CKG_MGF1_SHA1, 5, NULL, 0},
		{CKM_SHA_1, CKG_MGF1_SHA1, CKZ_DATA_SPECIFIED, NULL, 4},
	};
	CK_MECHANISM oaep = {CKM_RSA_PKCS_OAEP, NULL, 0};
	size_t i;

	for (i = 0; i < 3; i++) {
		assert_int_equal(f->C_DecryptInit(s, &mech, fx->k[signers[i]].priv),
		                 CKR_KEY_FUNCTION_NOT_PERMITTED);
		assert_int_equal(f->C_EncryptInit(s, &mech, fx->k[signers[i]].pub),
		                 CKR_KEY_FUNCTION_NOT_PERMITTED);
	}
	assert_int_equal(f->C_DecryptInit(s, &mech, fx->k[K_EC].priv), CKR_KEY_TYPE_INCONSISTENT);
	assert_int_equal(f->C_EncryptInit(s, &mech, fx->k[K_EC].pub), CKR_KEY_TYPE_INCONSISTENT);
	/* the other half of the pair */
	assert_int_equal(f->C_DecryptInit(s, &mech, fx->k[K_9D].pub),
	                 CKR_KEY_FUNCTION_NOT_PERMITTED);
	assert_int_equal(f->C_EncryptInit(s, &mech, fx->k[K_9D].priv),
	                 CKR_KEY_FUNCTION_NOT_PERMITTED);
	assert_int_equal(f->C_DecryptInit(s, &mech, 0), CKR_KEY_HANDLE_INVALID);
	assert_int_equal(f->C_DecryptInit(s, NULL, fx->k[K_9D].priv),
	                 CKR_OK /* ends what is active */);
	assert_int_equal(f->C_DecryptInit(s, &sha, fx->k[K_9D].priv), CKR_MECHANISM_INVALID);
	assert_int_equal(f->C_DecryptInit(s, &pss, fx->k[K_9D].priv), CKR_MECHANISM_INVALID);
	assert_int_equal(f->C_EncryptInit(s, &sha, fx->k[K_9D].pub), CKR_MECHANISM_INVALID);
	assert_int_equal(f->C_DecryptInit(s, &oaep, fx->k[K_9D].priv), CKR_MECHANISM_PARAM_INVALID);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		oaep.pParameter = &bad[i];
		oaep.ulParameterLen = sizeof(bad[i]);
		assert_int_equal(f->C_DecryptInit(s, &oaep, fx->k[K_9D].priv),
		                 CKR_MECHANISM_PARAM_INVALID);
		assert_int_equal(f->C_EncryptInit(s, &oaep, fx->k[K_9D].pub),
		                 CKR_MECHANISM_PARAM_INVALID);
	}
	assert_int_equal(f->C_DecryptInit(s + 1000, &mech, fx->k[K_9D].priv),
	                 CKR_SESSION_HANDLE_INVALID);
}

static CK_BBOOL attr_bool(sigfx *fx, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type)
{
	CK_BBOOL v = 7;
	CK_ATTRIBUTE a = {type, &v, sizeof(v)};

	assert_int_equal(fx->t.f->C_GetAttributeValue(fx->t.session, h, &a, 1), CKR_OK);
	return v;
}

static bool allows(sigfx *fx, CK_OBJECT_HANDLE h, CK_MECHANISM_TYPE m)
{
	CK_MECHANISM_TYPE list[32];
	CK_ATTRIBUTE a = {CKA_ALLOWED_MECHANISMS, list, sizeof(list)};
	CK_ULONG i;

	assert_int_equal(fx->t.f->C_GetAttributeValue(fx->t.session, h, &a, 1), CKR_OK);
	for (i = 0; i < a.ulValueLen / sizeof(list[0]); i++)
		if (list[i] == m)
			return true;
	return false;
}

static void key_usage_attributes_follow_the_piv_slot(void **state)
{
	sigfx *fx = *state;
	const sigt_keypair *d = &fx->k[K_9D], *r = &fx->k[K_RETIRED3072], *a = &fx->k[K_9A];

	assert_true(attr_bool(fx, d->priv, CKA_DECRYPT));
	assert_false(attr_bool(fx, d->priv, CKA_SIGN));
	assert_false(attr_bool(fx, d->priv, CKA_UNWRAP));
	assert_true(attr_bool(fx, d->pub, CKA_ENCRYPT));
	assert_false(attr_bool(fx, d->pub, CKA_VERIFY));
	assert_true(attr_bool(fx, r->priv, CKA_DECRYPT));
	assert_true(attr_bool(fx, r->priv, CKA_SIGN));
	assert_true(attr_bool(fx, r->pub, CKA_ENCRYPT));
	assert_false(attr_bool(fx, a->priv, CKA_DECRYPT));
	assert_true(attr_bool(fx, a->priv, CKA_SIGN));
	assert_false(attr_bool(fx, a->pub, CKA_ENCRYPT));
	assert_false(attr_bool(fx, fx->k[K_EC].priv, CKA_DECRYPT));
	assert_true(allows(fx, d->priv, CKM_RSA_PKCS_OAEP));
	assert_false(allows(fx, d->priv, CKM_SHA256_RSA_PKCS));
	assert_true(allows(fx, r->priv, CKM_RSA_PKCS_OAEP));
	assert_true(allows(fx, r->priv, CKM_SHA256_RSA_PKCS));
	assert_false(allows(fx, a->priv, CKM_RSA_PKCS_OAEP));
}

/* The factory management key (README "Factory defaults"). */
static const uint8_t mgmt_key[24] = {1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4,
                                     5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8};

/* Another program (yubico-piv-tool --pin-policy=always) made an RSA key in retired slot 84
 * whose PIN policy is "always": the module finds it by CKA_ID 07. */
static CK_OBJECT_HANDLE pin_always_key_made_elsewhere(sigfx *fx, CK_OBJECT_HANDLE *pub)
{
	static const CK_BYTE id = 0x07;
	tr_transport *tr = tr_socket_new(fx->t.emu[0].sock);
	uint8_t pk[600];
	size_t pk_len = 0;
	CK_BYTE rnd[8];
	emu_conn other;
	card c;

	assert_non_null(tr);
	card_init(&c, tr);
	assert_int_equal(card_auth_mgmt(&c, PIV_ALG_3DES, mgmt_key, sizeof(mgmt_key)), CARD_OK);
	assert_int_equal(card_generate(&c, 0x84, PIV_ALG_RSA2048, PIV_PIN_POLICY_ALWAYS, pk,
	                               sizeof(pk), &pk_len),
	                 CARD_OK);
	card_cleanup(&c);
	tr->ops->destroy(tr);
	/* the module learns it when its driver finds the card reset underneath (as in
	 * test_p11_certs): a power-on left so, then any APDU of ours */
	assert_int_equal(emu_connect(&other, fx->t.emu[0].sock), 0);
	assert_int_equal(emu_power_on(&other, NULL, 0, NULL), 0);
	emu_disconnect(&other);
	assert_int_equal(fx->t.f->C_GenerateRandom(fx->t.session, rnd, sizeof(rnd)), CKR_OK);
	*pub = p11t_find_one(&fx->t, CKO_PUBLIC_KEY, &id, 1);
	return p11t_find_one(&fx->t, CKO_PRIVATE_KEY, &id, 1);
}

/* A PIN-always key decrypts after C_Login(CKU_CONTEXT_SPECIFIC), once per login. */
static void pin_always_key_wants_a_context_login_before_each_decryption(void **state)
{
	sigfx *fx = *state;
	CK_FUNCTION_LIST_3_0 *f = fx->t.f;
	CK_SESSION_HANDLE s = fx->t.session;
	CK_MECHANISM mech = {CKM_RSA_PKCS, NULL, 0};
	CK_OBJECT_HANDLE pub = 0, priv = pin_always_key_made_elsewhere(fx, &pub);
	uint8_t ct[256], out[256];
	CK_ULONG ct_len = sizeof(ct), len = sizeof(out);
	int i;

	assert_true(priv != 0 && pub != 0);
	assert_true(attr_bool(fx, priv, CKA_ALWAYS_AUTHENTICATE));
	assert_int_equal(f->C_EncryptInit(s, &mech, pub), CKR_OK);
	assert_int_equal(f->C_Encrypt(s, (CK_BYTE_PTR)MSG, MSG_LEN, ct, &ct_len), CKR_OK);
	for (i = 0; i < 2; i++) {
		assert_int_equal(f->C_DecryptInit(s, &mech, priv), CKR_OK);
		assert_int_equal(f->C_Login(s, CKU_CONTEXT_SPECIFIC, (CK_UTF8CHAR_PTR)PIN, 6),
		                 CKR_OK);
		len = sizeof(out);
		assert_int_equal(f->C_Decrypt(s, ct, ct_len, out, &len), CKR_OK);
		assert_int_equal(len, MSG_LEN);
		assert_memory_equal(out, MSG, MSG_LEN);
	}
	/* without it: refused, and the operation over */
	assert_int_equal(f->C_DecryptInit(s, &mech, priv), CKR_OK);
	len = sizeof(out);
	assert_int_equal(f->C_Decrypt(s, ct, ct_len, out, &len), CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(f->C_Decrypt(s, ct, ct_len, out, &len), CKR_OPERATION_NOT_INITIALIZED);
}

static void decryption_needs_the_user_logged_in(void **state)
{
	sigfx *fx = *state;
	CK_FUNCTION_LIST_3_0 *f = fx->t.f;
	CK_SESSION_HANDLE s = fx->t.session;
	CK_MECHANISM mech = {CKM_RSA_PKCS, NULL, 0};
	uint8_t ct[512], out[512];
	CK_ULONG len = sizeof(out);
	size_t n = pkcs1_ct_9d(fx, ct);

	/* logged out between C_DecryptInit and C_Decrypt: refused, the operation over */
	assert_int_equal(f->C_DecryptInit(s, &mech, fx->k[K_9D].priv), CKR_OK);
	assert_int_equal(f->C_Logout(s), CKR_OK);
	assert_int_equal(f->C_Decrypt(s, ct, (CK_ULONG)n, out, &len), CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(f->C_Decrypt(s, ct, (CK_ULONG)n, out, &len),
	                 CKR_OPERATION_NOT_INITIALIZED);
	assert_int_equal(f->C_DecryptInit(s, &mech, fx->k[K_9D].priv), CKR_USER_NOT_LOGGED_IN);
	/* encryption needs no login: the public key */
	assert_int_equal(f->C_EncryptInit(s, &mech, fx->k[K_9D].pub), CKR_OK);
	len = sizeof(out);
	assert_int_equal(f->C_Encrypt(s, (CK_BYTE_PTR)MSG, MSG_LEN, out, &len), CKR_OK);
	assert_int_equal(f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)PIN, 6), CKR_OK);
	assert_decrypts_to(fx, &mech, fx->k[K_9D].priv, out, len, MSG, MSG_LEN);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup(fn, sigfx_ready)
	const struct CMUnitTest tests[] = {
		T(pkcs1_ciphertexts_of_openssl_decrypt_on_9d_and_a_retired_3072),
		T(oaep_sha1_and_sha256_with_and_without_a_label),
		T(raw_x509_decryption_is_the_private_operation),
		T(encrypt_then_decrypt_round_trips),
		T(session_public_key_encrypts),
		T(wrong_padding_label_or_value_give_the_one_error),
		T(length_query_and_buffer_too_small_keep_the_operation),
		T(rsa_is_single_part),
		T(keys_and_mechanisms_that_cannot_decrypt_are_refused),
		T(key_usage_attributes_follow_the_piv_slot),
		T(pin_always_key_wants_a_context_login_before_each_decryption),
		T(decryption_needs_the_user_logged_in),
	};
#undef T

	return cmocka_run_group_tests(tests, group_setup, sigfx_group_teardown);
}
