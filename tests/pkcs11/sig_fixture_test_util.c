/* Fixture of the signing tests (sig_fixture_test_util.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sig_fixture_test_util.h"

int sigfx_group_setup(void **state, const sigfx_key *keys, size_t n_keys)
{
	sigfx *fx;

	if (n_keys > SIGFX_MAX_KEYS || p11t_fixture_setup_1(state, sizeof(sigfx)) != 0)
		return -1;
	fx = *state;
	fx->keys = keys;
	fx->n_keys = n_keys;
	return 0;
}

int sigfx_group_teardown(void **state)
{
	sigfx *fx = *state;
	size_t i;

	for (i = 0; fx && i < fx->n_keys; i++)
		EVP_PKEY_free(fx->k[i].pkey);
	return p11t_group_teardown(state);
}

int sigfx_ready(void **state)
{
	sigfx *fx = *state;
	CK_RV rv = fx->t.f->C_Login(fx->t.session, CKU_USER, (CK_UTF8CHAR_PTR) "123456", 6);
	size_t i;

	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN)
		return -1;
	for (i = 0; !fx->keys_made && i < fx->n_keys; i++)
		sigt_keypair_make(&fx->t, &fx->k[i], fx->keys[i].bits, fx->keys[i].curve,
		                  fx->keys[i].id);
	fx->keys_made = true;
	return 0;
}

CK_RV sigfx_verify(sigfx *fx, CK_MECHANISM *mech, CK_OBJECT_HANDLE key, const uint8_t *data,
                   size_t len, const uint8_t *sig, CK_ULONG sig_len)
{
	assert_int_equal(fx->t.f->C_VerifyInit(fx->t.session, mech, key), CKR_OK);
	return fx->t.f->C_Verify(fx->t.session, (CK_BYTE_PTR)data, (CK_ULONG)len, (CK_BYTE_PTR)sig,
	                         sig_len);
}
