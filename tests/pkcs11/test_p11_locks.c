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

/* Application mutexes: error-checking pthread mutexes, so that misuse shows (a lock taken
 * twice by one thread, an unlock of a free one), and counted. Armed, the first lock then
 * stalls, holding it, until released: a parent thread inside the module at a fork(). */
static struct {
	pthread_mutex_t m; /* guards all below */
	pthread_cond_t cv;
	int created, destroyed, locked, unlocked, live;
	bool armed, holding, release;
} app = {.m = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static void app_reset(void)
{
	pthread_mutex_lock(&app.m);
	app.created = app.destroyed = app.locked = app.unlocked = app.live = 0;
	app.armed = app.holding = app.release = false;
	pthread_mutex_unlock(&app.m);
}

static void app_count(int *counter, int live)
{
	pthread_mutex_lock(&app.m);
	(*counter)++;
	app.live += live;
	pthread_mutex_unlock(&app.m);
}

static CK_RV app_create(CK_VOID_PTR_PTR m)
{
	pthread_mutex_t *pm = calloc(1, sizeof(*pm));
	pthread_mutexattr_t attr;

	if (!pm)
		return CKR_HOST_MEMORY;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(pm, &attr);
	pthread_mutexattr_destroy(&attr);
	app_count(&app.created, 1);
	*m = pm;
	return CKR_OK;
}

static CK_RV app_destroy(CK_VOID_PTR m)
{
	pthread_mutex_destroy(m);
	free(m);
	app_count(&app.destroyed, -1);
	return CKR_OK;
}

static CK_RV app_lock(CK_VOID_PTR m)
{
	if (pthread_mutex_lock(m) != 0)
		return CKR_MUTEX_BAD;
	app_count(&app.locked, 0);
	pthread_mutex_lock(&app.m);
	if (app.armed) {
		app.armed = false;
		app.holding = true;
		pthread_cond_broadcast(&app.cv);
		while (!app.release)
			pthread_cond_wait(&app.cv, &app.m);
	}
	pthread_mutex_unlock(&app.m);
	return CKR_OK;
}

static CK_RV app_unlock(CK_VOID_PTR m)
{
	if (pthread_mutex_unlock(m) != 0)
		return CKR_MUTEX_NOT_LOCKED;
	app_count(&app.unlocked, 0);
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

	app_reset();
	assert_int_equal(f->C_Initialize(&args), CKR_OK);
	assert_true(app.created >= 2); /* the module's and the slot's */
	assert_int_equal(f->C_GetSlotList(CK_TRUE, slots, &n), CKR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(f->C_OpenSession(slots[0], CKF_SERIAL_SESSION, NULL, NULL, &h), CKR_OK);
	assert_int_equal(f->C_GetSessionInfo(h, &si), CKR_OK);
	assert_int_equal(f->C_CloseSession(h), CKR_OK);
	assert_true(app.locked > 0);
	assert_int_equal(app.locked, app.unlocked);
	assert_int_equal(f->C_Finalize(NULL), CKR_OK);
	assert_int_equal(app.destroyed, app.created);
	assert_int_equal(app.live, 0);
}

/* Given both, the module takes the OS primitives and never calls the application's. */
static void os_locking_preferred_when_allowed(void **state)
{
	CK_FUNCTION_LIST_3_0 *f = fl(state);
	CK_C_INITIALIZE_ARGS args = {app_create, app_destroy,       app_lock,
	                             app_unlock, CKF_OS_LOCKING_OK, NULL};
	CK_ULONG n = 0;

	app_reset();
	assert_int_equal(f->C_Initialize(&args), CKR_OK);
	assert_int_equal(f->C_GetSlotList(CK_TRUE, NULL, &n), CKR_OK);
	assert_int_equal(f->C_Finalize(NULL), CKR_OK);
	assert_int_equal(app.created, 0);
	assert_int_equal(app.locked, 0);
}
static void child_after_fork(CK_FUNCTION_LIST_3_0 *f, CK_SESSION_HANDLE parent_session)
{
	CK_INFO info;
	CK_SLOT_ID slot;
	CK_ULONG n = 1;
	CK_SESSION_HANDLE h;
	CK_TOKEN_INFO ti;

	P11T_CHILD_CHECK(f->C_GetInfo(&info) == CKR_CRYPTOKI_NOT_INITIALIZED, 10);
	P11T_CHILD_CHECK(f->C_GetSessionInfo(parent_session, &(CK_SESSION_INFO){0}) ==
	                         CKR_CRYPTOKI_NOT_INITIALIZED,
	                 11);
	P11T_CHILD_CHECK(f->C_Finalize(NULL) == CKR_CRYPTOKI_NOT_INITIALIZED, 12);
	P11T_CHILD_CHECK(f->C_Initialize(NULL) == CKR_OK, 13);
	P11T_CHILD_CHECK(f->C_GetSlotList(CK_TRUE, &slot, &n) == CKR_OK && n == 1, 14);
	P11T_CHILD_CHECK(f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &h) == CKR_OK, 15);
	P11T_CHILD_CHECK(f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)PIN, 6) == CKR_OK, 16);
	P11T_CHILD_CHECK(f->C_GetTokenInfo(slot, &ti) == CKR_OK, 17);
	P11T_CHILD_CHECK(f->C_Finalize(NULL) == CKR_OK, 18);
	_exit(0);
}

static void forked_child_must_initialize_again(void **state)
{
	p11t *t = *state;
	CK_FUNCTION_LIST_3_0 *f = t->f;
	CK_SESSION_INFO si;
	pid_t pid;

	p11t_initialize_open(t, 0);
	p11t_login(t);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		child_after_fork(f, t->session);
	p11t_child_wait_ok(pid);
	/* The parent's module is untouched by the child. */
	assert_int_equal(f->C_GetSessionInfo(t->session, &si), CKR_OK);
	assert_int_equal(si.state, CKS_RO_USER_FUNCTIONS);
}

/* A parent thread holds one of the module's locks (an application mutex that stalls) at the
 * moment of fork(): the child's C_Initialize must not touch the parent's locks, or it would
 * wait forever for a thread the child does not have. */
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
	CK_C_INITIALIZE_ARGS args = {app_create, app_destroy, app_lock, app_unlock, 0, NULL};
	pthread_t th;
	int status = -1;
	pid_t pid;

	app_reset();
	assert_int_equal(f->C_Initialize(&args), CKR_OK);
	pthread_mutex_lock(&app.m);
	app.armed = true;
	pthread_mutex_unlock(&app.m);
	assert_int_equal(pthread_create(&th, NULL, slot_list_thread, f), 0);
	pthread_mutex_lock(&app.m);
	while (!app.holding)
		pthread_cond_wait(&app.cv, &app.m);
	pthread_mutex_unlock(&app.m);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* A deadlock ends in SIGALRM, which the parent sees. */
		alarm(20);
		child_after_fork(f, 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	pthread_mutex_lock(&app.m);
	app.release = true;
	pthread_cond_broadcast(&app.cv);
	pthread_mutex_unlock(&app.m);
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
