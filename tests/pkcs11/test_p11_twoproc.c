/* Two processes on one token (a browser and `kinko` at once). The token has one security
 * state: the other process powering it on forgets this one's PIN verification. The module
 * restores it with the PIN it holds while logged in (re-SELECT, re-VERIFY, retry once); if
 * the PIN was changed meanwhile, it logs out and answers CKR_USER_NOT_LOGGED_IN. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "p11_test_util.h"

#define PIN ((CK_UTF8CHAR_PTR) "123456")
#define NEW_PIN ((CK_UTF8CHAR_PTR) "11223344")
#define ROUNDS 20

static const CK_BYTE id_9a[] = {0x01};

/* The child: plain checks and an exit code, no cmocka (the TAP stream is the parent's). */
#define CHILD_CHECK(expr, code)                                                    \
	do {                                                                       \
		if (!(expr)) {                                                     \
			fprintf(stderr, "# child: %s failed\n", #expr);            \
			_exit(code);                                               \
		}                                                                  \
	} while (0)

typedef enum { CHILD_LOGIN, CHILD_SIGN, CHILD_CHANGE_PIN } child_job;

/* A separate module instance: the child initialises its own (the parent's is dead to it),
 * opens its own connection, logs in, works, logs out. */
static void child_run(CK_FUNCTION_LIST_3_0 *f, child_job job)
{
	CK_SLOT_ID slot;
	CK_ULONG n = 1;
	CK_SESSION_HANDLE h;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE tmpl[2] = {{CKA_CLASS, &cls, sizeof(cls)},
	                        {CKA_ID, (void *)id_9a, sizeof(id_9a)}};
	CK_OBJECT_HANDLE key = 0;
	CK_MECHANISM mech = {CKM_ECDSA, NULL, 0};
	CK_BYTE digest[32] = {9}, sig[128];
	CK_ULONG sig_len;
	int i;

	CHILD_CHECK(f->C_Initialize(NULL) == CKR_OK, 10);
	CHILD_CHECK(f->C_GetSlotList(CK_TRUE, &slot, &n) == CKR_OK && n == 1, 11);
	CHILD_CHECK(f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &h) ==
	                    CKR_OK, 12);
	CHILD_CHECK(f->C_Login(h, CKU_USER, PIN, 6) == CKR_OK, 13);
	if (job == CHILD_SIGN) {
		CHILD_CHECK(f->C_FindObjectsInit(h, tmpl, 2) == CKR_OK, 14);
		CHILD_CHECK(f->C_FindObjects(h, &key, 1, &n) == CKR_OK && n == 1, 15);
		CHILD_CHECK(f->C_FindObjectsFinal(h) == CKR_OK, 16);
		for (i = 0; i < ROUNDS; i++) {
			sig_len = sizeof(sig);
			CHILD_CHECK(f->C_SignInit(h, &mech, key) == CKR_OK, 17);
			CHILD_CHECK(f->C_Sign(h, digest, sizeof(digest), sig, &sig_len) == CKR_OK, 18);
		}
	}
	if (job == CHILD_CHANGE_PIN)
		CHILD_CHECK(f->C_SetPIN(h, PIN, 6, NEW_PIN, 8) == CKR_OK, 19);
	CHILD_CHECK(f->C_Finalize(NULL) == CKR_OK, 20);
	_exit(0);
}

static pid_t child_start(p11t *t, child_job job)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		child_run(t->f, job);
	return pid;
}

static void child_wait_ok(pid_t pid)
{
	int status = -1;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static CK_RV sign_once(p11t *t, CK_OBJECT_HANDLE key)
{
	CK_MECHANISM mech = {CKM_ECDSA, NULL, 0};
	CK_BYTE digest[32] = {7}, sig[128];
	CK_ULONG sig_len = sizeof(sig);
	CK_RV rv = t->f->C_SignInit(t->session, &mech, key);

	return rv == CKR_OK ? t->f->C_Sign(t->session, digest, sizeof(digest), sig, &sig_len) : rv;
}

static CK_STATE session_state(p11t *t)
{
	CK_SESSION_INFO si;

	assert_int_equal(t->f->C_GetSessionInfo(t->session, &si), CKR_OK);
	return si.state;
}

/* The login state is the module's: another process logging in and out does not end it,
 * and the token stays readable. */
static void parent_login_survives_a_child_login(void **state)
{
	p11t *t = *state;
	CK_TOKEN_INFO ti;

	p11t_login(t);
	child_wait_ok(child_start(t, CHILD_LOGIN));
	assert_int_equal(session_state(t), CKS_RW_USER_FUNCTIONS);
	assert_int_equal(t->f->C_GetTokenInfo(t->slots[0], &ti), CKR_OK);
	assert_int_equal(t->f->C_Login(t->session, CKU_USER, PIN, 6), CKR_USER_ALREADY_LOGGED_IN);
}

/* The child's power-on and logout reset the card under the parent: the parent's next
 * signature still works (restored with the held PIN). */
static void signature_after_another_process_used_the_token(void **state)
{
	p11t *t = *state;
	CK_OBJECT_HANDLE pub, priv;

	p11t_login(t);
	p11t_generate(t, 0, "P-256", id_9a, sizeof(id_9a), &pub, &priv);
	assert_int_equal(sign_once(t, priv), CKR_OK);
	child_wait_ok(child_start(t, CHILD_SIGN));
	assert_int_equal(sign_once(t, priv), CKR_OK);
	assert_int_equal(session_state(t), CKS_RW_USER_FUNCTIONS);
}

/* Both processes sign at the same time: every signature of both succeeds. */
static void two_processes_sign_at_the_same_time(void **state)
{
	p11t *t = *state;
	CK_OBJECT_HANDLE pub, priv;
	pid_t pid;
	int i;

	p11t_login(t);
	p11t_generate(t, 0, "P-256", id_9a, sizeof(id_9a), &pub, &priv);
	pid = child_start(t, CHILD_SIGN);
	for (i = 0; i < ROUNDS; i++)
		assert_int_equal(sign_once(t, priv), CKR_OK);
	child_wait_ok(pid);
	assert_int_equal(sign_once(t, priv), CKR_OK);
}

/* The PIN was changed by the other process: restoring fails, the module logs out. */
static void pin_changed_elsewhere_logs_out(void **state)
{
	p11t *t = *state;
	CK_OBJECT_HANDLE pub, priv;

	p11t_login(t);
	p11t_generate(t, 0, "P-256", id_9a, sizeof(id_9a), &pub, &priv);
	child_wait_ok(child_start(t, CHILD_CHANGE_PIN));
	assert_int_equal(sign_once(t, priv), CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(session_state(t), CKS_RW_PUBLIC_SESSION);
	assert_int_equal(t->f->C_Login(t->session, CKU_USER, NEW_PIN, 8), CKR_OK);
	assert_int_equal(sign_once(t, priv), CKR_OK);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, p11t_group_setup_1, p11t_group_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(parent_login_survives_a_child_login),
		T(signature_after_another_process_used_the_token),
		T(two_processes_sign_at_the_same_time),
		T(pin_changed_elsewhere_logs_out),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
