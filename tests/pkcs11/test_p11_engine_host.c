/* The module in a process whose application made an ENGINE the default for RSA and EC key
 * methods, as `openssl pkeyutl -engine pkcs11` does with libp11's engine: OpenSSL then
 * answers a key context asked for by the name "EC" or "RSA" with the engine's legacy method,
 * which cannot import a key (EVP_PKEY_fromdata_init -2). The module's software half must not
 * depend on that: ECDH takes the peer's point and a session public key is imported as in
 * any other process. The ENGINE API is deprecated in OpenSSL 3, and still what such
 * applications use: the test plays one. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/engine.h>
#include <openssl/evp.h>

#include "ecdh_test_util.h"
#include "p11_obj_test_util.h"
#include "sig_fixture_test_util.h"

static const sigfx_key key_specs[] = {
	{0, "P-256", 0x03}, /* 9D */
	{2048, NULL, 0x06}, /* 83 */
};

static int group_setup(void **state)
{
	return sigfx_group_setup(state, key_specs, sizeof(key_specs) / sizeof(key_specs[0]));
}

/* The host application's engine: OpenSSL's own legacy methods for RSA and EC, registered
 * as the default, which is all it takes to turn the by-name contexts legacy. */
static int host_pkey_meths(ENGINE *e, EVP_PKEY_METHOD **pmeth, const int **nids, int nid)
{
	static const int ids[] = {EVP_PKEY_RSA, EVP_PKEY_EC};

	(void)e;
	if (!pmeth) {
		*nids = ids;
		return 2;
	}
	*pmeth = (EVP_PKEY_METHOD *)EVP_PKEY_meth_find(nid);
	return *pmeth != NULL;
}

static ENGINE *host_engine_default(void)
{
	ENGINE *e = ENGINE_new();
	EVP_PKEY_CTX *ctx;

	assert_non_null(e);
	assert_int_equal(ENGINE_set_id(e, "kinko-test-host"), 1);
	assert_int_equal(ENGINE_set_name(e, "the host application's engine"), 1);
	assert_int_equal(ENGINE_set_pkey_meths(e, host_pkey_meths), 1);
	assert_int_equal(ENGINE_set_default(e, ENGINE_METHOD_PKEY_METHS), 1);
	/* the situation the test is about: a by-name context cannot import any more */
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	assert_true(!ctx || EVP_PKEY_fromdata_init(ctx) != 1);
	EVP_PKEY_CTX_free(ctx);
	return e;
}

static void host_engine_gone(ENGINE *e)
{
	ENGINE_unregister_pkey_meths(e);
	ENGINE_free(e);
}

static void ecdh_works_under_an_engine_the_application_made_default(void **state)
{
	static CK_BBOOL no = CK_FALSE;
	static CK_OBJECT_CLASS secret_class = CKO_SECRET_KEY;
	static CK_KEY_TYPE generic = CKK_GENERIC_SECRET;
	CK_ATTRIBUTE tmpl[] = {
		{CKA_CLASS, &secret_class, sizeof(secret_class)},
		{CKA_KEY_TYPE, &generic, sizeof(generic)},
		{CKA_SENSITIVE, &no, sizeof(no)},
	};
	sigfx *fx = *state;
	EVP_PKEY *peer = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	uint8_t point[65], expect[32];
	size_t point_len = 0, expect_len;
	CK_ECDH1_DERIVE_PARAMS prm = {CKD_NULL, 0, NULL, 0, point};
	CK_MECHANISM mech = {CKM_ECDH1_DERIVE, &prm, sizeof(prm)};
	CK_OBJECT_HANDLE h = 0;
	CK_BYTE *value;
	CK_ULONG len = 0;
	ENGINE *e;

	/* the peer's side in software, before the engine takes over */
	assert_non_null(peer);
	assert_int_equal(EVP_PKEY_get_octet_string_param(peer, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
	                                                 point, sizeof(point), &point_len),
	                 1);
	prm.ulPublicDataLen = (CK_ULONG)point_len;
	expect_len = tkit_ecdh(peer, fx->k[0].pkey, expect, sizeof(expect));

	e = host_engine_default();
	assert_int_equal(fx->t.f->C_DeriveKey(fx->t.session, &mech, fx->k[0].priv, tmpl, 3, &h),
	                 CKR_OK);
	host_engine_gone(e);
	value = objt_bytes(&fx->t, h, CKA_VALUE, &len);
	assert_int_equal(len, expect_len);
	assert_memory_equal(value, expect, expect_len);
	free(value);
	assert_int_equal(fx->t.f->C_DestroyObject(fx->t.session, h), CKR_OK);
	EVP_PKEY_free(peer);
}

static void session_rsa_key_imports_under_an_engine_the_application_made_default(void **state)
{
	static CK_OBJECT_CLASS pub_class = CKO_PUBLIC_KEY;
	static CK_KEY_TYPE rsa = CKK_RSA;
	static CK_BBOOL no = CK_FALSE;
	sigfx *fx = *state;
	BIGNUM *n = NULL, *e_bn = NULL;
	uint8_t mod[256], exp[8];
	int exp_len;
	CK_ATTRIBUTE tmpl[] = {
		{CKA_CLASS, &pub_class, sizeof(pub_class)},
		{CKA_KEY_TYPE, &rsa, sizeof(rsa)},
		{CKA_TOKEN, &no, sizeof(no)},
		{CKA_MODULUS, mod, sizeof(mod)},
		{CKA_PUBLIC_EXPONENT, exp, 0},
	};
	CK_OBJECT_HANDLE h = 0;
	ENGINE *e;

	assert_int_equal(EVP_PKEY_get_bn_param(fx->k[1].pkey, OSSL_PKEY_PARAM_RSA_N, &n), 1);
	assert_int_equal(EVP_PKEY_get_bn_param(fx->k[1].pkey, OSSL_PKEY_PARAM_RSA_E, &e_bn), 1);
	assert_int_equal(BN_bn2binpad(n, mod, sizeof(mod)), (int)sizeof(mod));
	exp_len = BN_bn2bin(e_bn, exp);
	assert_true(exp_len > 0);
	tmpl[4].ulValueLen = (CK_ULONG)exp_len;
	BN_free(n);
	BN_free(e_bn);

	e = host_engine_default();
	assert_int_equal(fx->t.f->C_CreateObject(fx->t.session, tmpl, 5, &h), CKR_OK);
	host_engine_gone(e);
	assert_int_equal(fx->t.f->C_DestroyObject(fx->t.session, h), CKR_OK);
}

#define T(fn) cmocka_unit_test_setup(fn, sigfx_ready)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(ecdh_works_under_an_engine_the_application_made_default),
		T(session_rsa_key_imports_under_an_engine_the_application_made_default),
	};

	return cmocka_run_group_tests(tests, group_setup, sigfx_group_teardown);
}
