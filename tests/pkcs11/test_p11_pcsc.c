/* The module over PC/SC, against the fake PC/SC service of scard_fake.c (this program's
 * SCard* functions, which the dlopened module calls instead of libpcsclite's): a slot per
 * reader named after it, a transaction around each call's APDUs, a reset by another
 * application survived, removal and reader arrival waking C_WaitForSlotEvent, SCardCancel
 * at C_Finalize, no service and `pcsc = no` costing nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "p11_test_util.h"
#include "scard_fake.h"
#include "time_test_util.h"
#include "tmpdir_test_util.h"

#define READER_A "Fake Reader A 00 00"
#define READER_B "Fake Reader B 00 00"
#define READER_C "Fake Reader C 00 00"

static int setup_two_readers(void **state)
{
	sf_reset_all();
	/* A card in A, B empty: the slot list must name both, the token list only A. */
	if (sf_reader_add(READER_A, 1001) != 0 || sf_reader_add(READER_B, 0) != 0)
		return -1;
	return p11t_state_setup(state, 0, NULL, false);
}

static void slot_description(p11t *t, CK_SLOT_ID id, char *out, size_t cap)
{
	CK_SLOT_INFO si;
	size_t n = sizeof(si.slotDescription);

	assert_int_equal(t->f->C_GetSlotInfo(id, &si), CKR_OK);
	while (n > 0 && si.slotDescription[n - 1] == ' ')
		n--;
	assert_true(n < cap);
	memcpy(out, si.slotDescription, n);
	out[n] = '\0';
}

static void readers_are_slots_named_after_them(void **state)
{
	p11t *t = *state;
	CK_SLOT_ID ids[8];
	CK_ULONG n = 8;
	CK_TOKEN_INFO ti;
	char desc[65];

	p11t_initialize_open(t, CKF_RW_SESSION);
	assert_int_equal(t->f->C_GetSlotList(CK_FALSE, ids, &n), CKR_OK);
	assert_int_equal(n, 2);
	slot_description(t, ids[0], desc, sizeof(desc));
	assert_string_equal(desc, READER_A);
	slot_description(t, ids[1], desc, sizeof(desc));
	assert_string_equal(desc, READER_B);
	assert_int_equal(t->slots[0], ids[0]);
	assert_int_equal(t->f->C_GetTokenInfo(ids[0], &ti), CKR_OK);
	assert_memory_equal(ti.label, "kinko PIV #1001 ", 16);
	assert_int_equal(t->f->C_GetTokenInfo(ids[1], &ti), CKR_TOKEN_NOT_PRESENT);
}

/* Login, key generation and a signature: every APDU inside a transaction of ours. */
static void every_apdu_is_inside_a_transaction(void **state)
{
	p11t *t = *state;
	CK_OBJECT_HANDLE pub, priv;
	sf_counts c;

	p11t_initialize_open(t, CKF_RW_SESSION);
	p11t_login(t);
	p11t_generate(t, 0, "P-256", (const CK_BYTE *)"\x01", 1, &pub, &priv);
	assert_int_equal(p11t_sign_once(t, priv), CKR_OK);
	c = sf_counts_get();
	assert_true(c.transmit > 0);
	assert_int_equal(c.outside_tx, 0);
	assert_true(c.begin > 0);
	assert_true(c.end >= c.begin - 1);
}

/* Another application resets the card between our login and our signature (pcscd then
 * answers SCARD_W_RESET_CARD): the module reconnects, selects and verifies again. */
static void a_reset_by_another_application_is_survived(void **state)
{
	p11t *t = *state;
	CK_OBJECT_HANDLE pub, priv;
	sf_counts before, after;

	p11t_initialize_open(t, CKF_RW_SESSION);
	p11t_login(t);
	p11t_generate(t, 0, "P-256", (const CK_BYTE *)"\x01", 1, &pub, &priv);
	before = sf_counts_get();
	sf_card_reset(READER_A);
	assert_int_equal(p11t_sign_once(t, priv), CKR_OK);
	after = sf_counts_get();
	assert_true(after.reconnect > before.reconnect);
	assert_int_equal(after.outside_tx, 0);
}

static void removal_wakes_the_waiter_and_ends_the_sessions(void **state)
{
	p11t *t = *state;
	CK_SESSION_INFO si;

	p11t_initialize_open(t, CKF_RW_SESSION);
	p11t_login(t);
	p11t_event_during_wait(t, sf_card_remove, READER_A, t->slots[0]);
	assert_int_equal(t->f->C_GetSessionInfo(t->session, &si), CKR_DEVICE_REMOVED);
	p11t_event_during_wait(t, sf_card_insert, READER_A, t->slots[0]);
	assert_int_equal(t->f->C_OpenSession(t->slots[0], CKF_SERIAL_SESSION, NULL, NULL,
	                                     &t->session),
	                 CKR_OK);
}

/* A reader plugged in at run time gets the next slot and wakes the waiter; unplugged, its
 * slot stays (ids are stable) without a token; back under its name, the same slot. */
static void a_reader_added_at_run_time_gets_a_slot(void **state)
{
	p11t *t = *state;
	p11t_waiter w;
	CK_SLOT_ID ids[8];
	CK_ULONG n = 8;
	CK_TOKEN_INFO ti;
	char desc[65];
	double t0;

	p11t_initialize_open(t, CKF_RW_SESSION);
	p11t_waiter_start(&w, t->f);
	tkit_sleep_ms(150);
	t0 = tkit_now_ms();
	assert_int_equal(sf_reader_add(READER_C, 1003), 0);
	p11t_waiter_join(&w);
	assert_int_equal(w.rv, CKR_OK);
	assert_true(w.returned_ms - t0 < 1000.0);
	assert_int_equal(t->f->C_GetSlotList(CK_FALSE, ids, &n), CKR_OK);
	assert_int_equal(n, 3);
	assert_int_equal(w.slot, ids[2]);
	slot_description(t, ids[2], desc, sizeof(desc));
	assert_string_equal(desc, READER_C);
	assert_int_equal(t->f->C_GetTokenInfo(ids[2], &ti), CKR_OK);

	sf_reader_remove(READER_C);
	assert_int_equal(t->f->C_GetTokenInfo(ids[2], &ti), CKR_TOKEN_NOT_PRESENT);
	assert_int_equal(sf_reader_add(READER_C, 1004), 0);
	n = 8;
	assert_int_equal(t->f->C_GetSlotList(CK_FALSE, ids, &n), CKR_OK);
	assert_int_equal(n, 3);
	assert_int_equal(t->f->C_GetTokenInfo(ids[2], &ti), CKR_OK);
	assert_memory_equal(ti.label, "kinko PIV #1004 ", 16);
}

static void finalize_cancels_a_blocked_status_wait(void **state)
{
	p11t *t = *state;
	p11t_waiter w;
	double t0;

	p11t_initialize_open(t, CKF_RW_SESSION);
	p11t_waiter_start(&w, t->f);
	tkit_sleep_ms(150);
	t0 = tkit_now_ms();
	assert_int_equal(t->f->C_Finalize(NULL), CKR_OK);
	p11t_waiter_join(&w);
	assert_int_equal(w.rv, CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_true(w.returned_ms - t0 < 500.0);
	assert_true(sf_counts_get().cancel >= 1);
	assert_true(sf_counts_get().waits >= 1);
}

/* pcscd restarted under the module: its contexts and card handles are dead. The card is
 * seen removed (it may have been swapped meanwhile: the old sessions end), then found again
 * in the same slot through new contexts. */
static void a_restarted_pcscd_is_reached_again(void **state)
{
	p11t *t = *state;
	CK_SESSION_INFO si;
	CK_SESSION_HANDLE h;
	CK_TOKEN_INFO ti;
	CK_SLOT_ID ids[8];
	CK_ULONG n = 8;
	unsigned long established;

	p11t_initialize_open(t, CKF_RW_SESSION);
	p11t_login(t);
	established = sf_counts_get().establish;
	sf_restart_service();
	assert_int_equal(t->f->C_GetSessionInfo(t->session, &si), CKR_DEVICE_REMOVED);
	/* The slot list (or the event wait) asks pcscd for the readers: the new contexts. */
	assert_int_equal(t->f->C_GetSlotList(CK_TRUE, ids, &n), CKR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(ids[0], t->slots[0]);
	assert_int_equal(t->f->C_GetTokenInfo(t->slots[0], &ti), CKR_OK);
	assert_memory_equal(ti.label, "kinko PIV #1001 ", 16);
	assert_int_equal(sf_counts_get().establish, established + 2);
	assert_int_equal(t->f->C_OpenSession(t->slots[0], CKF_SERIAL_SESSION, NULL, NULL, &h),
	                 CKR_OK);
}

/* pcscd not running: no slot, no error, no wait. */
static void no_service_is_no_slot_and_no_delay(void **state)
{
	p11t *t = *state;
	CK_ULONG n = 8;
	CK_SLOT_ID ids[8];
	double t0;

	sf_set_service(false);
	assert_int_equal(t->f->C_Initialize(NULL), CKR_OK);
	t0 = tkit_now_ms();
	assert_int_equal(t->f->C_GetSlotList(CK_FALSE, ids, &n), CKR_OK);
	assert_int_equal(n, 0);
	assert_int_equal(t->f->C_GetSlotList(CK_FALSE, ids, &n), CKR_OK);
	assert_true(tkit_now_ms() - t0 < 100.0);
	assert_int_equal(sf_counts_get().establish, 1); /* said once, not retried */
	assert_int_equal(t->f->C_WaitForSlotEvent(CKF_DONT_BLOCK, ids, NULL), CKR_NO_EVENT);
}

static void pcsc_no_in_the_configuration_is_no_slot(void **state)
{
	p11t *t = *state;
	char conf[300];
	CK_ULONG n = 8;
	CK_SLOT_ID ids[8];

	assert_int_equal(tkit_file_write(conf, sizeof(conf), "p11pcsc.conf", "pcsc = no\n"), 0);
	setenv("KINKO_CONF", conf, 1);
	assert_int_equal(t->f->C_Initialize(NULL), CKR_OK);
	setenv("KINKO_CONF", "/dev/null", 1);
	assert_int_equal(t->f->C_GetSlotList(CK_FALSE, ids, &n), CKR_OK);
	assert_int_equal(n, 0);
	assert_int_equal(sf_counts_get().establish, 0);
	unlink(conf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(readers_are_slots_named_after_them,
	                                        setup_two_readers, p11t_group_teardown),
		cmocka_unit_test_setup_teardown(every_apdu_is_inside_a_transaction,
	                                        setup_two_readers, p11t_group_teardown),
		cmocka_unit_test_setup_teardown(a_reset_by_another_application_is_survived,
	                                        setup_two_readers, p11t_group_teardown),
		cmocka_unit_test_setup_teardown(removal_wakes_the_waiter_and_ends_the_sessions,
	                                        setup_two_readers, p11t_group_teardown),
		cmocka_unit_test_setup_teardown(a_reader_added_at_run_time_gets_a_slot,
	                                        setup_two_readers, p11t_group_teardown),
		cmocka_unit_test_setup_teardown(finalize_cancels_a_blocked_status_wait,
	                                        setup_two_readers, p11t_group_teardown),
		cmocka_unit_test_setup_teardown(a_restarted_pcscd_is_reached_again,
	                                        setup_two_readers, p11t_group_teardown),
		cmocka_unit_test_setup_teardown(no_service_is_no_slot_and_no_delay,
	                                        setup_two_readers, p11t_group_teardown),
		cmocka_unit_test_setup_teardown(pcsc_no_in_the_configuration_is_no_slot,
	                                        setup_two_readers, p11t_group_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
