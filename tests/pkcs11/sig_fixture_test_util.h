/* Fixture of the signing tests: the module on one emulated token, logged in, with the key
 * pairs a test file names, generated on the token once. */
#ifndef KINKO_SIG_FIXTURE_TEST_UTIL_H
#define KINKO_SIG_FIXTURE_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "sig_test_util.h"

/* A key pair to make: RSA of bits when curve is NULL, else EC on curve; CKA_ID id. */
typedef struct {
	CK_ULONG bits;
	const char *curve;
	CK_BYTE id;
} sigfx_key;

#define SIGFX_MAX_KEYS 8

typedef struct {
	p11t t; /* first: p11t_group_teardown frees the fixture through it */
	const sigfx_key *keys;
	size_t n_keys;
	bool keys_made;
	sigt_keypair k[SIGFX_MAX_KEYS]; /* k[i] made from keys[i] */
} sigfx;

/* Group setup: the emulator and the module only (cmocka runs no teardown after a failed
 * group setup, so key generation, which asserts, waits for sigfx_ready). keys must live
 * as long as the group. */
int sigfx_group_setup(void **state, const sigfx_key *keys, size_t n_keys);
int sigfx_group_teardown(void **state);
/* Each test's setup: logged in (a test may log out), the keys made by the first. */
int sigfx_ready(void **state);

/* C_VerifyInit on the fixture's session, asserted CKR_OK, then C_Verify of sig over data:
 * C_Verify's answer. */
CK_RV sigfx_verify(sigfx *fx, CK_MECHANISM *mech, CK_OBJECT_HANDLE key, const uint8_t *data,
                   size_t len, const uint8_t *sig, CK_ULONG sig_len);

#endif
