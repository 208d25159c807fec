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

#include "emu_test_util.h"
#include "p11_test_util.h"
#include "time_test_util.h"

static void dont_block_without_a_change_answers_no_event(void **state)
{
	p11t *t = *state;
	CK_SLOT_ID slot = 99;

	assert_int_equal(t->f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, NULL), CKR_NO_EVENT);
	assert_int_equal(t->f->C_WaitForSlotEvent(CKF_DONT_BLOCK, NULL, NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(t->f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, &slot), CKR_ARGUMENTS_BAD);
}

/* Removal wakes a blocked waiter with the slot; the session dies; insertion is an event
 * too, and the token works again without C_Finalize/C_Initialize. */
static void removal_and_insertion_wake_a_blocked_waiter(void **state)
{
	p11t *t = *state;
	p11t_waiter w;
	CK_SLOT_ID slot = 99;
	CK_SESSION_INFO si;
	CK_SESSION_HANDLE h;
	double t0;

	p11t_login(t);
	t0 = tkit_now_ms();
	p11t_waiter_start(&w, t->f);
	tkit_sleep_ms(200);
	assert_int_equal(emu_signal(&t->emu[0], SIGUSR1), 0);
	p11t_waiter_join(&w);
	assert_int_equal(w.rv, CKR_OK);
	assert_true(w.returned_ms - t0 >= 150.0);
	assert_int_equal(w.slot, t->slots[0]);
	assert_int_equal(t->f->C_GetSessionInfo(t->session, &si), CKR_DEVICE_REMOVED);
	assert_int_equal(t->f->C_GetSessionInfo(t->session, &si), CKR_SESSION_HANDLE_INVALID);
	assert_int_equal(t->f->C_OpenSession(t->slots[0], CKF_SERIAL_SESSION, NULL, NULL, &h),
	                 CKR_TOKEN_NOT_PRESENT);

	p11t_waiter_start(&w, t->f);
	tkit_sleep_ms(200);
	assert_int_equal(emu_signal(&t->emu[0], SIGUSR2), 0);
	p11t_waiter_join(&w);
	assert_int_equal(w.rv, CKR_OK);
	assert_int_equal(w.slot, t->slots[0]);
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
	tkit_emu_wait_status(&t->emu[0], "ok absent");
	for (i = 0; i < 100 && rv == CKR_NO_EVENT; i++) {
		rv = t->f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, NULL);
		if (rv == CKR_NO_EVENT)
			tkit_sleep_ms(10);
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
	tkit_emu_wait_status(&t->emu[0], "ok absent");
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
	tkit_emu_wait_status(&t->emu[0], "ok present");
	assert_int_equal(t->f->C_WaitForSlotEvent(0, &slot, NULL), CKR_OK);
	assert_int_equal(t->f->C_GetSessionInfo(t->session, &si), CKR_SESSION_HANDLE_INVALID);
	t->session = 0;
}

static void finalize_wakes_a_blocked_waiter(void **state)
{
	p11t *t = *state;
	p11t_waiter w;
	double t0;

	p11t_waiter_start(&w, t->f);
	tkit_sleep_ms(300);
	t0 = tkit_now_ms();
	assert_int_equal(t->f->C_Finalize(NULL), CKR_OK);
	p11t_waiter_join(&w);
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
