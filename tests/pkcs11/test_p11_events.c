/* Slot events through the module, driven by the emulator (SIGUSR1 removes the card,
 * SIGUSR2 inserts it): C_WaitForSlotEvent blocking and not, what removal does to
 * sessions, re-insertion without re-initialising, C_Finalize waking a waiter. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "p11_test_util.h"

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Until the emulator itself says the card is (not) there: signals are asynchronous. */
static void wait_emulator(emu_proc *p, const char *want)
{
	char reply[64] = "";
	int i;

	for (i = 0; i < 500; i++) {
		if (emu_control(p->control, "status", reply, sizeof(reply)) == 0 &&
		    strcmp(reply, want) == 0)
			return;
		sleep_ms(10);
	}
	assert_string_equal(reply, want);
}

/* A signal to the emulator after a delay, from another thread, while the test waits. */
typedef struct {
	emu_proc *p;
	int sig;
	long delay_ms;
} delayed_signal;

static void *signal_later(void *arg)
{
	delayed_signal *d = arg;

	sleep_ms(d->delay_ms);
	emu_signal(d->p, d->sig);
	return NULL;
}

static void dont_block_without_a_change_answers_no_event(void **state)
{
	p11t *t = *state;
	CK_SLOT_ID slot = 99;

	assert_int_equal(t->f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, NULL), CKR_NO_EVENT);
	assert_int_equal(t->f->C_WaitForSlotEvent(CKF_DONT_BLOCK, NULL, NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(t->f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, &slot),
	                 CKR_ARGUMENTS_BAD);
}

/* Removal wakes a blocked waiter with the slot; the session dies; insertion is an event
 * too, and the token works again without C_Finalize/C_Initialize. */
static void removal_and_insertion_wake_a_blocked_waiter(void **state)
{
	p11t *t = *state;
	delayed_signal d = {&t->emu[0], SIGUSR1, 200};
	pthread_t th;
	CK_SLOT_ID slot = 99;
	CK_SESSION_INFO si;
	CK_SESSION_HANDLE h;
	double t0;

	p11t_login(t);
	assert_int_equal(pthread_create(&th, NULL, signal_later, &d), 0);
	t0 = now_ms();
	assert_int_equal(t->f->C_WaitForSlotEvent(0, &slot, NULL), CKR_OK);
	pthread_join(th, NULL);
	assert_true(now_ms() - t0 >= 150.0);
	assert_int_equal(slot, t->slots[0]);
	assert_int_equal(t->f->C_GetSessionInfo(t->session, &si), CKR_DEVICE_REMOVED);
	assert_int_equal(t->f->C_GetSessionInfo(t->session, &si), CKR_SESSION_HANDLE_INVALID);
	assert_int_equal(t->f->C_OpenSession(t->slots[0], CKF_SERIAL_SESSION, NULL, NULL, &h),
	                 CKR_TOKEN_NOT_PRESENT);

	d.sig = SIGUSR2;
	assert_int_equal(pthread_create(&th, NULL, signal_later, &d), 0);
	slot = 99;
	assert_int_equal(t->f->C_WaitForSlotEvent(0, &slot, NULL), CKR_OK);
	pthread_join(th, NULL);
	assert_int_equal(slot, t->slots[0]);
	assert_int_equal(t->f->C_OpenSession(t->slots[0], CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
	                                     NULL, &t->session),
	                 CKR_OK);
	/* The login did not survive the removal; a new one works. */
	assert_int_equal(t->f->C_GetSessionInfo(t->session, &si), CKR_OK);
	assert_int_equal(si.state, CKS_RW_PUBLIC_SESSION);
	p11t_login(t);
	assert_int_equal(t->f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, NULL), CKR_NO_EVENT);
}

/* An event happened while nobody waited: reported once, then no more. */
static void dont_block_reports_a_pending_event_once(void **state)
{
	p11t *t = *state;
	CK_SLOT_ID slot = 99;
	CK_RV rv = CKR_NO_EVENT;
	int i;

	assert_int_equal(emu_signal(&t->emu[0], SIGUSR1), 0);
	wait_emulator(&t->emu[0], "ok absent");
	for (i = 0; i < 100 && rv == CKR_NO_EVENT; i++) {
		rv = t->f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, NULL);
		if (rv == CKR_NO_EVENT)
			sleep_ms(10);
	}
	assert_int_equal(rv, CKR_OK);
	assert_int_equal(slot, t->slots[0]);
	assert_int_equal(t->f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, NULL), CKR_NO_EVENT);
}

/* A removal an operation runs into (nobody polled) invalidates the sessions too. */
static void removal_seen_by_an_operation_ends_the_sessions(void **state)
{
	p11t *t = *state;
	CK_SESSION_HANDLE other;
	CK_SESSION_INFO si;
	CK_SLOT_ID slot;

	assert_int_equal(t->f->C_OpenSession(t->slots[0], CKF_SERIAL_SESSION, NULL, NULL, &other),
	                 CKR_OK);
	assert_int_equal(emu_signal(&t->emu[0], SIGUSR1), 0);
	wait_emulator(&t->emu[0], "ok absent");
	assert_int_equal(t->f->C_Login(t->session, CKU_USER, (CK_UTF8CHAR_PTR) "123456", 6),
	                 CKR_DEVICE_REMOVED);
	assert_int_equal(t->f->C_Login(other, CKU_USER, (CK_UTF8CHAR_PTR) "123456", 6),
	                 CKR_DEVICE_REMOVED);
	assert_int_equal(t->f->C_GetSessionInfo(other, &si), CKR_SESSION_HANDLE_INVALID);
	/* The removal is an event as well. */
	assert_int_equal(t->f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, NULL), CKR_OK);
	assert_int_equal(slot, t->slots[0]);
	/* Sessions from before answer "invalid" once the token is back. */
	assert_int_equal(emu_signal(&t->emu[0], SIGUSR2), 0);
	wait_emulator(&t->emu[0], "ok present");
	assert_int_equal(t->f->C_WaitForSlotEvent(0, &slot, NULL), CKR_OK);
	assert_int_equal(t->f->C_GetSessionInfo(t->session, &si), CKR_SESSION_HANDLE_INVALID);
	t->session = 0;
}

typedef struct {
	CK_FUNCTION_LIST_3_0 *f;
	CK_RV rv;
	double returned_ms;
} waiter;

static void *wait_blocking(void *arg)
{
	waiter *w = arg;
	CK_SLOT_ID slot;

	w->rv = w->f->C_WaitForSlotEvent(0, &slot, NULL);
	w->returned_ms = now_ms();
	return NULL;
}

static void finalize_wakes_a_blocked_waiter(void **state)
{
	p11t *t = *state;
	waiter w = {t->f, CKR_OK, 0};
	pthread_t th;
	double t0;

	assert_int_equal(pthread_create(&th, NULL, wait_blocking, &w), 0);
	sleep_ms(300);
	t0 = now_ms();
	assert_int_equal(t->f->C_Finalize(NULL), CKR_OK);
	pthread_join(th, NULL);
	printf("# waiter returned %.1f ms after C_Finalize began\n", w.returned_ms - t0);
	assert_int_equal(w.rv, CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_true(w.returned_ms - t0 < 1000.0);
	/* The fixture initialises again for its teardown's C_Finalize. */
	assert_int_equal(t->f->C_Initialize(NULL), CKR_OK);
	t->session = 0;
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, p11t_group_setup_1, p11t_group_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(dont_block_without_a_change_answers_no_event),
		T(removal_and_insertion_wake_a_blocked_waiter),
		T(dont_block_reports_a_pending_event_once),
		T(removal_seen_by_an_operation_ends_the_sessions),
		T(finalize_wakes_a_blocked_waiter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
