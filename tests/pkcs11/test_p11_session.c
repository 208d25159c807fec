/* Sessions and login through the module: open/close rules, no session cap, the login
 * states, lockout and unblock with the PUK, PIN and PUK changes, context-specific login,
 * cancelling operations. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "p11_test_util.h"

#define PIN ((CK_UTF8CHAR_PTR) "123456")
#define WRONG ((CK_UTF8CHAR_PTR) "654321")
#define PUK ((CK_UTF8CHAR_PTR) "12345678")
#define WRONG_PUK ((CK_UTF8CHAR_PTR) "87654321")
#define NEW_PIN ((CK_UTF8CHAR_PTR) "11223344")

#define RO CKF_SERIAL_SESSION
#define RW (CKF_SERIAL_SESSION | CKF_RW_SESSION)

static CK_STATE state_of(p11t *t, CK_SESSION_HANDLE h)
{
	CK_SESSION_INFO si;

	assert_int_equal(t->f->C_GetSessionInfo(h, &si), CKR_OK);
	return si.state;
}

static CK_SESSION_HANDLE open_session(p11t *t, CK_FLAGS flags)
{
	CK_SESSION_HANDLE h = 0;

	assert_int_equal(t->f->C_OpenSession(t->slots[0], flags, NULL, NULL, &h), CKR_OK);
	assert_true(h != 0);
	return h;
}

static CK_TOKEN_INFO token_info(p11t *t)
{
	CK_TOKEN_INFO ti;

	assert_int_equal(t->f->C_GetTokenInfo(t->slots[0], &ti), CKR_OK);
	return ti;
}

static void open_session_checks_its_arguments(void **state)
{
	p11t *t = *state;
	CK_SESSION_HANDLE h;

	assert_int_equal(t->f->C_OpenSession(t->slots[0], 0, NULL, NULL, &h),
	                 CKR_SESSION_PARALLEL_NOT_SUPPORTED);
	assert_int_equal(t->f->C_OpenSession(t->slots[0], CKF_RW_SESSION, NULL, NULL, &h),
	                 CKR_SESSION_PARALLEL_NOT_SUPPORTED);
	assert_int_equal(t->f->C_OpenSession(77, RO, NULL, NULL, &h), CKR_SLOT_ID_INVALID);
	assert_int_equal(t->f->C_OpenSession(t->slots[0], RO, NULL, NULL, NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(t->f->C_CloseAllSessions(77), CKR_SLOT_ID_INVALID);
	assert_int_equal(t->f->C_GetSessionInfo(t->session, NULL), CKR_ARGUMENTS_BAD);
}

static void sessions_open_close_and_close_all(void **state)
{
	p11t *t = *state;
	CK_SESSION_HANDLE a = open_session(t, RO), b = open_session(t, RW);
	CK_SESSION_INFO si;

	assert_true(a != b && a != t->session && b != t->session);
	assert_int_equal(t->f->C_GetSessionInfo(a, &si), CKR_OK);
	assert_int_equal(si.slotID, t->slots[0]);
	assert_int_equal(si.flags, RO);
	assert_int_equal(si.state, CKS_RO_PUBLIC_SESSION);
	assert_int_equal(t->f->C_GetSessionInfo(b, &si), CKR_OK);
	assert_int_equal(si.flags, RW);
	assert_int_equal(si.state, CKS_RW_PUBLIC_SESSION);
	assert_int_equal(token_info(t).ulSessionCount, 3);
	assert_int_equal(token_info(t).ulRwSessionCount, 2);
	assert_int_equal(t->f->C_CloseSession(a), CKR_OK);
	assert_int_equal(t->f->C_CloseSession(a), CKR_SESSION_HANDLE_INVALID);
	assert_int_equal(t->f->C_GetSessionInfo(a, &si), CKR_SESSION_HANDLE_INVALID);
	assert_int_equal(t->f->C_CloseAllSessions(t->slots[0]), CKR_OK);
	assert_int_equal(t->f->C_GetSessionInfo(b, &si), CKR_SESSION_HANDLE_INVALID);
	assert_int_equal(t->f->C_GetSessionInfo(t->session, &si), CKR_SESSION_HANDLE_INVALID);
	assert_int_equal(token_info(t).ulSessionCount, 0);
	t->session = open_session(t, RW);
}

/* No cap: a thousand sessions at once, all distinct and usable. */
static void a_thousand_sessions_open_at_once(void **state)
{
	p11t *t = *state;
	enum { N = 1000 };
	CK_SESSION_HANDLE *h = calloc(N, sizeof(*h));
	CK_SESSION_INFO si;
	size_t i, j;

	assert_non_null(h);
	for (i = 0; i < N; i++)
		h[i] = open_session(t, i % 2 ? RW : RO);
	assert_int_equal(token_info(t).ulSessionCount, N + 1);
	for (i = 0; i < N; i += 97)
		for (j = i + 1; j < N; j++)
			assert_true(h[i] != h[j]);
	for (i = 0; i < N; i += 2)
		assert_int_equal(t->f->C_CloseSession(h[i]), CKR_OK);
	for (i = 1; i < N; i += 2)
		assert_int_equal(t->f->C_GetSessionInfo(h[i], &si), CKR_OK);
	assert_int_equal(token_info(t).ulSessionCount, N / 2 + 1);
	for (i = 1; i < N; i += 2)
		assert_int_equal(t->f->C_CloseSession(h[i]), CKR_OK);
	free(h);
}

static void login_states_and_already_logged_in(void **state)
{
	p11t *t = *state;
	CK_SESSION_HANDLE ro = open_session(t, RO);

	assert_int_equal(t->f->C_Logout(t->session), CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(t->f->C_Login(t->session, CKU_USER, PIN, 6), CKR_OK);
	assert_int_equal(state_of(t, t->session), CKS_RW_USER_FUNCTIONS);
	assert_int_equal(state_of(t, ro), CKS_RO_USER_FUNCTIONS);
	assert_int_equal(t->f->C_Login(ro, CKU_USER, PIN, 6), CKR_USER_ALREADY_LOGGED_IN);
	assert_int_equal(t->f->C_Login(t->session, CKU_SO, PUK, 8),
	                 CKR_USER_ANOTHER_ALREADY_LOGGED_IN);
	assert_int_equal(t->f->C_Logout(ro), CKR_OK);
	assert_int_equal(state_of(t, t->session), CKS_RW_PUBLIC_SESSION);
	assert_int_equal(t->f->C_Logout(ro), CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(t->f->C_CloseSession(ro), CKR_OK);
}

static void login_checks_pin_and_user_type(void **state)
{
	p11t *t = *state;

	assert_int_equal(t->f->C_Login(t->session, CKU_USER, PIN, 5), CKR_PIN_LEN_RANGE);
	assert_int_equal(t->f->C_Login(t->session, CKU_USER, (CK_UTF8CHAR_PTR) "123456789", 9),
	                 CKR_PIN_LEN_RANGE);
	assert_int_equal(t->f->C_Login(t->session, CKU_USER, NULL, 6), CKR_ARGUMENTS_BAD);
	assert_int_equal(t->f->C_Login(t->session, 7, PIN, 6), CKR_USER_TYPE_INVALID);
	assert_int_equal(t->f->C_Login(t->session + 500, CKU_USER, PIN, 6),
	                 CKR_SESSION_HANDLE_INVALID);
	/* None of that cost a try. */
	assert_int_equal(token_info(t).flags & CKF_USER_PIN_COUNT_LOW, 0);
	/* C_LoginUser: PIV has no user names; the name is ignored. */
	assert_int_equal(t->f->C_LoginUser(t->session, CKU_USER, PIN, 6, (CK_UTF8CHAR_PTR) "any",
	                                   3),
	                 CKR_OK);
	assert_int_equal(state_of(t, t->session), CKS_RW_USER_FUNCTIONS);
	assert_int_equal(t->f->C_Logout(t->session), CKR_OK);
}

/* The standard: closing a slot's last session logs the user out. */
static void closing_the_last_session_logs_out(void **state)
{
	p11t *t = *state;
	CK_SESSION_HANDLE other = open_session(t, RO);

	p11t_login(t);
	assert_int_equal(t->f->C_CloseSession(t->session), CKR_OK);
	assert_int_equal(state_of(t, other), CKS_RO_USER_FUNCTIONS);
	assert_int_equal(t->f->C_CloseSession(other), CKR_OK);
	t->session = open_session(t, RW);
	assert_int_equal(state_of(t, t->session), CKS_RW_PUBLIC_SESSION);
}

static void so_login_needs_read_write_sessions(void **state)
{
	p11t *t = *state;
	CK_SESSION_HANDLE ro = open_session(t, RO), h;

	assert_int_equal(t->f->C_Login(t->session, CKU_SO, PUK, 8), CKR_SESSION_READ_ONLY_EXISTS);
	assert_int_equal(t->f->C_CloseSession(ro), CKR_OK);
	assert_int_equal(t->f->C_Login(t->session, CKU_SO, PUK, 8), CKR_OK);
	assert_int_equal(state_of(t, t->session), CKS_RW_SO_FUNCTIONS);
	assert_int_equal(t->f->C_OpenSession(t->slots[0], RO, NULL, NULL, &h),
	                 CKR_SESSION_READ_WRITE_SO_EXISTS);
	assert_int_equal(t->f->C_Login(t->session, CKU_USER, PIN, 6),
	                 CKR_USER_ANOTHER_ALREADY_LOGGED_IN);
	assert_int_equal(t->f->C_Login(t->session, CKU_SO, PUK, 8), CKR_USER_ALREADY_LOGGED_IN);
	assert_int_equal(t->f->C_Logout(t->session), CKR_OK);
}

static void lockout_then_init_pin_with_the_puk_unblocks(void **state)
{
	p11t *t = *state;
	int i;

	for (i = 0; i < 3; i++)
		assert_int_equal(t->f->C_Login(t->session, CKU_USER, WRONG, 6), CKR_PIN_INCORRECT);
	assert_int_equal(t->f->C_Login(t->session, CKU_USER, PIN, 6), CKR_PIN_LOCKED);
	assert_true(token_info(t).flags & CKF_USER_PIN_LOCKED);
	/* Only the SO may: not the public session. */
	assert_int_equal(t->f->C_InitPIN(t->session, NEW_PIN, 8), CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(t->f->C_Login(t->session, CKU_SO, PUK, 8), CKR_OK);
	assert_int_equal(t->f->C_InitPIN(t->session, NEW_PIN, 5), CKR_PIN_LEN_RANGE);
	assert_int_equal(t->f->C_InitPIN(t->session, NEW_PIN, 8), CKR_OK);
	assert_int_equal(token_info(t).flags & (CKF_USER_PIN_LOCKED | CKF_USER_PIN_COUNT_LOW), 0);
	assert_int_equal(t->f->C_Logout(t->session), CKR_OK);
	assert_int_equal(t->f->C_Login(t->session, CKU_USER, PIN, 6), CKR_PIN_INCORRECT);
	assert_int_equal(t->f->C_Login(t->session, CKU_USER, NEW_PIN, 8), CKR_OK);
	assert_int_equal(t->f->C_InitPIN(t->session, PIN, 6), CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(t->f->C_Logout(t->session), CKR_OK);
}

/* The PUK is only tried at C_InitPIN: a wrong one shows in the SO flags and ends the SO
 * login (holding a known-wrong PUK would only burn the next try). */
static void wrong_puk_reports_tries_and_ends_the_so_login(void **state)
{
	p11t *t = *state;
	const CK_FLAGS so_flags = CKF_SO_PIN_COUNT_LOW | CKF_SO_PIN_FINAL_TRY | CKF_SO_PIN_LOCKED;

	assert_int_equal(token_info(t).flags & so_flags, 0);
	assert_int_equal(t->f->C_Login(t->session, CKU_SO, WRONG_PUK, 8), CKR_OK);
	assert_int_equal(t->f->C_InitPIN(t->session, NEW_PIN, 8), CKR_PIN_INCORRECT);
	assert_int_equal(token_info(t).flags & so_flags, CKF_SO_PIN_COUNT_LOW);
	assert_int_equal(state_of(t, t->session), CKS_RW_PUBLIC_SESSION);
	assert_int_equal(t->f->C_Login(t->session, CKU_SO, WRONG_PUK, 8), CKR_OK);
	assert_int_equal(t->f->C_InitPIN(t->session, NEW_PIN, 8), CKR_PIN_INCORRECT);
	assert_int_equal(token_info(t).flags & so_flags,
	                 CKF_SO_PIN_COUNT_LOW | CKF_SO_PIN_FINAL_TRY);
	/* The right PUK restores the count. */
	assert_int_equal(t->f->C_Login(t->session, CKU_SO, PUK, 8), CKR_OK);
	assert_int_equal(t->f->C_InitPIN(t->session, NEW_PIN, 8), CKR_OK);
	assert_int_equal(token_info(t).flags & so_flags, 0);
	assert_int_equal(t->f->C_Logout(t->session), CKR_OK);
}

static void set_pin_changes_the_pin(void **state)
{
	p11t *t = *state;
	CK_SESSION_HANDLE ro = open_session(t, RO);

	assert_int_equal(t->f->C_SetPIN(ro, PIN, 6, NEW_PIN, 8), CKR_SESSION_READ_ONLY);
	assert_int_equal(t->f->C_SetPIN(t->session, PIN, 6, NEW_PIN, 4), CKR_PIN_LEN_RANGE);
	assert_int_equal(t->f->C_SetPIN(t->session, WRONG, 6, NEW_PIN, 8), CKR_PIN_INCORRECT);
	assert_true(token_info(t).flags & CKF_USER_PIN_COUNT_LOW);
	assert_int_equal(t->f->C_SetPIN(t->session, PIN, 6, NEW_PIN, 8), CKR_OK);
	assert_false(token_info(t).flags & CKF_USER_PIN_COUNT_LOW);
	assert_int_equal(t->f->C_Login(t->session, CKU_USER, PIN, 6), CKR_PIN_INCORRECT);
	assert_int_equal(t->f->C_Login(t->session, CKU_USER, NEW_PIN, 8), CKR_OK);
	/* In a user session too; the module follows the change. */
	assert_int_equal(t->f->C_SetPIN(t->session, NEW_PIN, 8, PIN, 6), CKR_OK);
	assert_int_equal(state_of(t, t->session), CKS_RW_USER_FUNCTIONS);
	assert_int_equal(t->f->C_Logout(t->session), CKR_OK);
	assert_int_equal(t->f->C_Login(t->session, CKU_USER, PIN, 6), CKR_OK);
	assert_int_equal(t->f->C_Logout(t->session), CKR_OK);
	assert_int_equal(t->f->C_CloseSession(ro), CKR_OK);
}

/* In an SO session C_SetPIN changes the PUK: the new PUK then unblocks, the old does not. */
static void set_pin_in_an_so_session_changes_the_puk(void **state)
{
	p11t *t = *state;
	int i;

	assert_int_equal(t->f->C_Login(t->session, CKU_SO, PUK, 8), CKR_OK);
	assert_int_equal(t->f->C_SetPIN(t->session, WRONG_PUK, 8, NEW_PIN, 8), CKR_PIN_INCORRECT);
	assert_true(token_info(t).flags & CKF_SO_PIN_COUNT_LOW);
	assert_int_equal(t->f->C_SetPIN(t->session, PUK, 8, WRONG_PUK, 8), CKR_OK);
	assert_false(token_info(t).flags & CKF_SO_PIN_COUNT_LOW);
	assert_int_equal(t->f->C_Logout(t->session), CKR_OK);
	for (i = 0; i < 3; i++)
		assert_int_equal(t->f->C_Login(t->session, CKU_USER, WRONG, 6), CKR_PIN_INCORRECT);
	assert_int_equal(t->f->C_Login(t->session, CKU_SO, PUK, 8), CKR_OK);
	assert_int_equal(t->f->C_InitPIN(t->session, NEW_PIN, 8), CKR_PIN_INCORRECT);
	assert_int_equal(t->f->C_Login(t->session, CKU_SO, WRONG_PUK, 8), CKR_OK);
	assert_int_equal(t->f->C_InitPIN(t->session, NEW_PIN, 8), CKR_OK);
	assert_int_equal(t->f->C_Logout(t->session), CKR_OK);
	assert_int_equal(t->f->C_Login(t->session, CKU_USER, NEW_PIN, 8), CKR_OK);
}

/* Without an operation waiting for it, a context-specific login has nothing to serve. */
static void context_specific_login_needs_an_operation(void **state)
{
	p11t *t = *state;

	assert_int_equal(t->f->C_Login(t->session, CKU_CONTEXT_SPECIFIC, PIN, 6),
	                 CKR_OPERATION_NOT_INITIALIZED);
	p11t_login(t);
	assert_int_equal(t->f->C_Login(t->session, CKU_CONTEXT_SPECIFIC, PIN, 6),
	                 CKR_OPERATION_NOT_INITIALIZED);
}

/* The 9C key (CKA_ID 02) is PIN-always: C_Sign needs a context-specific login first. */
static void context_specific_login_before_a_pin_always_signature(void **state)
{
	p11t *t = *state;
	static const CK_BYTE id_9c[] = {0x02};
	CK_OBJECT_HANDLE pub, priv;
	CK_MECHANISM mech = {CKM_ECDSA, NULL, 0};
	CK_BYTE digest[32] = {1, 2, 3}, sig[128];
	CK_ULONG sig_len = sizeof(sig);

	p11t_login(t);
	p11t_generate(t, 0, "P-256", id_9c, sizeof(id_9c), &pub, &priv);
	assert_int_equal(t->f->C_SignInit(t->session, &mech, priv), CKR_OK);
	assert_int_equal(t->f->C_Login(t->session, CKU_CONTEXT_SPECIFIC, WRONG, 6),
	                 CKR_PIN_INCORRECT);
	assert_int_equal(t->f->C_Login(t->session, CKU_CONTEXT_SPECIFIC, PIN, 6), CKR_OK);
	assert_int_equal(t->f->C_Sign(t->session, digest, sizeof(digest), sig, &sig_len), CKR_OK);
	/* One signature per context-specific login. */
	assert_int_equal(t->f->C_SignInit(t->session, &mech, priv), CKR_OK);
	sig_len = sizeof(sig);
	assert_int_equal(t->f->C_Sign(t->session, digest, sizeof(digest), sig, &sig_len),
	                 CKR_USER_NOT_LOGGED_IN);
}

/* C_SessionCancel ends an active search and an active signature. */
static void session_cancel_ends_named_operations(void **state)
{
	p11t *t = *state;
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_ATTRIBUTE tmpl = {CKA_CLASS, &cls, sizeof(cls)};
	CK_OBJECT_HANDLE found[4], pub, priv;
	CK_ULONG n;
	CK_MECHANISM mech = {CKM_ECDSA, NULL, 0};
	CK_BYTE digest[32] = {0}, sig[128];
	CK_ULONG sig_len = sizeof(sig);

	assert_int_equal(t->f->C_FindObjectsInit(t->session, &tmpl, 1), CKR_OK);
	assert_int_equal(t->f->C_SessionCancel(t->session, CKF_FIND_OBJECTS), CKR_OK);
	assert_int_equal(t->f->C_FindObjects(t->session, found, 4, &n),
	                 CKR_OPERATION_NOT_INITIALIZED);
	p11t_login(t);
	p11t_generate(t, 0, "P-256", NULL, 0, &pub, &priv);
	assert_int_equal(t->f->C_SignInit(t->session, &mech, priv), CKR_OK);
	assert_int_equal(t->f->C_SessionCancel(t->session, CKF_SIGN), CKR_OK);
	assert_int_equal(t->f->C_Sign(t->session, digest, sizeof(digest), sig, &sig_len),
	                 CKR_OPERATION_NOT_INITIALIZED);
	/* A new operation can start right away. */
	assert_int_equal(t->f->C_SignInit(t->session, &mech, priv), CKR_OK);
	assert_int_equal(t->f->C_Sign(t->session, digest, sizeof(digest), sig, &sig_len), CKR_OK);
}

/* Threads open, inspect and close sessions at once while another logs in and out: the
 * table stays consistent (every handle distinct, every count right at the end). */
enum { N_THREADS = 4, N_ROUNDS = 200 };

typedef struct {
	p11t *t;
	int failures;
	CK_SESSION_HANDLE seen[N_ROUNDS];
} churn;

static void *churn_sessions(void *arg)
{
	churn *c = arg;
	CK_SESSION_INFO si;
	int i;

	for (i = 0; i < N_ROUNDS; i++) {
		CK_SESSION_HANDLE h = 0;

		if (c->t->f->C_OpenSession(c->t->slots[0], i % 3 ? RO : RW, NULL, NULL, &h) !=
		            CKR_OK ||
		    c->t->f->C_GetSessionInfo(h, &si) != CKR_OK || si.slotID != c->t->slots[0] ||
		    c->t->f->C_CloseSession(h) != CKR_OK)
			c->failures++;
		c->seen[i] = h;
	}
	return NULL;
}

static void *churn_login(void *arg)
{
	churn *c = arg;
	int i;

	for (i = 0; i < N_ROUNDS / 10; i++) {
		if (c->t->f->C_Login(c->t->session, CKU_USER, PIN, 6) != CKR_OK ||
		    c->t->f->C_Logout(c->t->session) != CKR_OK)
			c->failures++;
	}
	return NULL;
}

static void sessions_open_and_close_from_many_threads(void **state)
{
	p11t *t = *state;
	churn *c = calloc(N_THREADS + 1, sizeof(*c));
	pthread_t th[N_THREADS + 1];
	size_t i, j, k;

	assert_non_null(c);
	for (i = 0; i <= N_THREADS; i++) {
		c[i].t = t;
		assert_int_equal(pthread_create(&th[i], NULL,
		                                i < N_THREADS ? churn_sessions : churn_login,
		                                &c[i]),
		                 0);
	}
	for (i = 0; i <= N_THREADS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(c[i].failures, 0);
	}
	/* Handles are never reused. */
	for (i = 0; i < N_THREADS; i++)
		for (j = 0; j < N_ROUNDS; j += 17)
			for (k = 0; k < N_THREADS; k++)
				if (k != i)
					assert_true(c[i].seen[j] != c[k].seen[j]);
	assert_int_equal(token_info(t).ulSessionCount, 1);
	assert_int_equal(token_info(t).ulRwSessionCount, 1);
	assert_int_equal(state_of(t, t->session), CKS_RW_PUBLIC_SESSION);
	free(c);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, p11t_group_setup_1, p11t_group_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(open_session_checks_its_arguments),
		T(sessions_open_close_and_close_all),
		T(a_thousand_sessions_open_at_once),
		T(sessions_open_and_close_from_many_threads),
		T(login_states_and_already_logged_in),
		T(login_checks_pin_and_user_type),
		T(closing_the_last_session_logs_out),
		T(so_login_needs_read_write_sessions),
		T(lockout_then_init_pin_with_the_puk_unblocks),
		T(wrong_puk_reports_tries_and_ends_the_so_login),
		T(set_pin_changes_the_pin),
		T(set_pin_in_an_so_session_changes_the_puk),
		T(context_specific_login_needs_an_operation),
		T(context_specific_login_before_a_pin_always_signature),
		T(session_cancel_ends_named_operations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
