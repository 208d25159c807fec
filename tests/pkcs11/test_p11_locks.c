/* The module's locks through dlopen: the application's mutex callbacks or the OS's
 * primitives, and fork(): a child must initialise again, and its C_Initialize must not
 * wait on a lock one of its parent's threads held at the fork. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "p11_test_util.h"

#define PIN "123456"

static CK_FUNCTION_LIST_3_0 *fl(void **state)
{
	return ((p11t *)*state)->f;
}

/* Application mutexes: counted, and each a real lock so misuse would show. */
static struct {
	int created, destroyed, locked, unlocked, live;
} mtx;

typedef struct {
	int held;
} app_mutex;

static CK_RV app_create(CK_VOID_PTR_PTR m)
{
	app_mutex *am = calloc(1, sizeof(*am));

	if (!am)
		return CKR_HOST_MEMORY;
	mtx.created++;
	mtx.live++;
	*m = am;
	return CKR_OK;
}

static CK_RV app_destroy(CK_VOID_PTR m)
{
	mtx.destroyed++;
	mtx.live--;
	free(m);
	return CKR_OK;
}

static CK_RV app_lock(CK_VOID_PTR m)
{
	app_mutex *am = m;

	/* Single-threaded test: a lock already held would be a deadlock in real life. */
	if (am->held)
		return CKR_MUTEX_BAD;
	am->held = 1;
	mtx.locked++;
	return CKR_OK;
}

static CK_RV app_unlock(CK_VOID_PTR m)
{
	app_mutex *am = m;

	if (!am->held)
		return CKR_MUTEX_NOT_LOCKED;
	am->held = 0;
	mtx.unlocked++;
	return CKR_OK;
}

static void application_mutex_callbacks_are_used(void **state)
{
	p11t *t = *state;
	CK_FUNCTION_LIST_3_0 *f = t->f;
	CK_C_INITIALIZE_ARGS args = {app_create, app_destroy, app_lock, app_unlock, 0, NULL};
	CK_SLOT_ID slots[2];
	CK_ULONG n = 2;
	CK_SESSION_HANDLE h;
	CK_SESSION_INFO si;

	memset(&mtx, 0, sizeof(mtx));
	assert_int_equal(f->C_Initialize(&args), CKR_OK);
	assert_true(mtx.created >= 2);            /* the module's and the slot's */
	assert_int_equal(f->C_GetSlotList(CK_TRUE, slots, &n), CKR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(f->C_OpenSession(slots[0], CKF_SERIAL_SESSION, NULL, NULL, &h), CKR_OK);
	assert_int_equal(f->C_GetSessionInfo(h, &si), CKR_OK);
	assert_int_equal(f->C_CloseSession(h), CKR_OK);
	assert_true(mtx.locked > 0);
	assert_int_equal(mtx.locked, mtx.unlocked);
	assert_int_equal(f->C_Finalize(NULL), CKR_OK);
	assert_int_equal(mtx.destroyed, mtx.created);
	assert_int_equal(mtx.live, 0);
}

/* Given both, the module takes the OS primitives and never calls the application's. */
static void os_locking_preferred_when_allowed(void **state)
{
	CK_FUNCTION_LIST_3_0 *f = fl(state);
	CK_C_INITIALIZE_ARGS args = {app_create, app_destroy, app_lock, app_unlock,
	                             CKF_OS_LOCKING_OK, NULL};
	CK_ULONG n = 0;

	memset(&mtx, 0, sizeof(mtx));
	assert_int_equal(f->C_Initialize(&args), CKR_OK);
	assert_int_equal(f->C_GetSlotList(CK_TRUE, NULL, &n), CKR_OK);
	assert_int_equal(f->C_Finalize(NULL), CKR_OK);
	assert_int_equal(mtx.created, 0);
	assert_int_equal(mtx.locked, 0);
}
/* In the child: plain checks (no cmocka, which would print to the shared TAP stream). */
#define CHILD_CHECK(expr, code)                                                    \
	do {                                                                       \
		if (!(expr)) {                                                     \
			fprintf(stderr, "# child: %s failed\n", #expr);            \
			_exit(code);                                               \
		}                                                                  \
	} while (0)

static void child_after_fork(CK_FUNCTION_LIST_3_0 *f, CK_SESSION_HANDLE parent_session)
{
	CK_INFO info;
	CK_SLOT_ID slot;
	CK_ULONG n = 1;
	CK_SESSION_HANDLE h;
	CK_TOKEN_INFO ti;

	CHILD_CHECK(f->C_GetInfo(&info) == CKR_CRYPTOKI_NOT_INITIALIZED, 10);
	CHILD_CHECK(f->C_GetSessionInfo(parent_session, &(CK_SESSION_INFO){0}) ==
	                    CKR_CRYPTOKI_NOT_INITIALIZED, 11);
	CHILD_CHECK(f->C_Finalize(NULL) == CKR_CRYPTOKI_NOT_INITIALIZED, 12);
	CHILD_CHECK(f->C_Initialize(NULL) == CKR_OK, 13);
	CHILD_CHECK(f->C_GetSlotList(CK_TRUE, &slot, &n) == CKR_OK && n == 1, 14);
	CHILD_CHECK(f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &h) == CKR_OK, 15);
	CHILD_CHECK(f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)PIN, 6) == CKR_OK, 16);
	CHILD_CHECK(f->C_GetTokenInfo(slot, &ti) == CKR_OK, 17);
	CHILD_CHECK(f->C_Finalize(NULL) == CKR_OK, 18);
	_exit(0);
}

static void forked_child_must_initialize_again(void **state)
{
	p11t *t = *state;
	CK_FUNCTION_LIST_3_0 *f = t->f;
	CK_SLOT_ID slot;
	CK_ULONG n = 1;
	CK_SESSION_HANDLE h;
	CK_SESSION_INFO si;
	int status = -1;
	pid_t pid;

	assert_int_equal(f->C_Initialize(NULL), CKR_OK);
	assert_int_equal(f->C_GetSlotList(CK_TRUE, &slot, &n), CKR_OK);
	assert_int_equal(f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &h), CKR_OK);
	assert_int_equal(f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)PIN, 6), CKR_OK);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		child_after_fork(f, h);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* The parent's module is untouched by the child. */
	assert_int_equal(f->C_GetSessionInfo(h, &si), CKR_OK);
	assert_int_equal(si.state, CKS_RO_USER_FUNCTIONS);
}

/* A parent thread holds one of the module's locks (an application mutex that stalls) at the
 * moment of fork(): the child's C_Initialize must not touch the parent's locks, or it would
 * wait forever for a thread the child does not have. */
static struct {
	pthread_mutex_t m;
	pthread_cond_t cv;
	bool armed, holding, release;
} stall = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, false, false};

typedef struct {
	pthread_mutex_t pm;
} real_mutex;

static CK_RV real_create(CK_VOID_PTR_PTR m)
{
	real_mutex *rm = calloc(1, sizeof(*rm));

	if (!rm)
		return CKR_HOST_MEMORY;
	pthread_mutex_init(&rm->pm, NULL);
	*m = rm;
	return CKR_OK;
}

static CK_RV real_destroy(CK_VOID_PTR m)
{
	real_mutex *rm = m;

	pthread_mutex_destroy(&rm->pm);
	free(rm);
	return CKR_OK;
}

/* Takes the lock; the first lock after arming then stalls (holding it) until released. */
static CK_RV real_lock(CK_VOID_PTR m)
{
	real_mutex *rm = m;

	pthread_mutex_lock(&rm->pm);
	pthread_mutex_lock(&stall.m);
	if (stall.armed) {
		stall.armed = false;
		stall.holding = true;
		pthread_cond_broadcast(&stall.cv);
		while (!stall.release)
			pthread_cond_wait(&stall.cv, &stall.m);
	}
	pthread_mutex_unlock(&stall.m);
	return CKR_OK;
}

static CK_RV real_unlock(CK_VOID_PTR m)
{
	real_mutex *rm = m;

	pthread_mutex_unlock(&rm->pm);
	return CKR_OK;
}

static void *slot_list_thread(void *arg)
{
	CK_FUNCTION_LIST_3_0 *f = arg;
	CK_ULONG n = 0;

	(void)f->C_GetSlotList(CK_TRUE, NULL, &n);
	return NULL;
}

static void forked_child_initializes_while_a_parent_thread_holds_a_lock(void **state)
{
	p11t *t = *state;
	CK_FUNCTION_LIST_3_0 *f = t->f;
	CK_C_INITIALIZE_ARGS args = {real_create, real_destroy, real_lock, real_unlock, 0, NULL};
	pthread_t th;
	int status = -1;
	pid_t pid;

	assert_int_equal(f->C_Initialize(&args), CKR_OK);
	pthread_mutex_lock(&stall.m);
	stall.armed = true;
	stall.holding = stall.release = false;
	pthread_mutex_unlock(&stall.m);
	assert_int_equal(pthread_create(&th, NULL, slot_list_thread, f), 0);
	pthread_mutex_lock(&stall.m);
	while (!stall.holding)
		pthread_cond_wait(&stall.cv, &stall.m);
	pthread_mutex_unlock(&stall.m);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* A deadlock ends in SIGALRM, which the parent sees. */
		alarm(20);
		child_after_fork(f, 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	pthread_mutex_lock(&stall.m);
	stall.release = true;
	pthread_cond_broadcast(&stall.cv);
	pthread_mutex_unlock(&stall.m);
	pthread_join(th, NULL);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

#define T(name) cmocka_unit_test_teardown(name, p11t_finalize_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(application_mutex_callbacks_are_used),
		T(os_locking_preferred_when_allowed),
		T(forked_child_must_initialize_again),
		T(forked_child_initializes_while_a_parent_thread_holds_a_lock),
	};

	return cmocka_run_group_tests(tests, p11t_group_setup_uninitialized_1, p11t_group_teardown);
}
