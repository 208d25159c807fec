/* The PIV card driver when the token is shared, removed or killed underneath: another
 * client's power-on or power-off, removal and re-insertion, a killed emulator, a socket
 * to nowhere. Each is found without hanging, and the driver recovers by itself. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "card_test_util.h"
#include "emu_test_util.h"
#include "piv.h"
#include "time_test_util.h"

static const uint8_t pin[] = TEST_PIN;
#define PIN_LEN (sizeof(pin) - 1)

static void foreign_power_on_is_followed_by_reselect(void **state)
{
	card_fixture *f = *state;
	tr_transport *other = tr_socket_new(f->p.sock);
	uint32_t serial = 0;
	unsigned long before;
	int tries = -1;

	assert_non_null(other);
	assert_int_equal(card_verify_pin(&f->c, pin, PIN_LEN, NULL), CARD_OK);
	assert_int_equal(other->ops->power_on(other, NULL, 0, NULL), TR_OK);

	before = f->c.ch.apdu_count;
	assert_int_equal(card_get_serial(&f->c, &serial), CARD_OK);
	/* GET SERIAL (6D00), VERIFY probe (6D00), SELECT, GET SERIAL. */
	assert_int_equal(f->c.ch.apdu_count - before, 4);
	/* The reset took the PIN's verification with it; the card layer says so. */
	assert_int_equal(card_pin_status(&f->c, &tries), CARD_ERR_PIN_INCORRECT);
	assert_int_equal(tries, 3);
	other->ops->destroy(other);
}

static void foreign_power_off_is_followed_by_power_on(void **state)
{
	card_fixture *f = *state;
	emu_conn other;
	ccid_header h;
	uint8_t buf[64];
	size_t n = 0;
	uint32_t serial = 0;

	assert_int_equal(card_connect(&f->c), CARD_OK);
	assert_int_equal(emu_connect(&other, f->p.sock), 0);
	assert_int_equal(emu_exchange(&other, CCID_PC_TO_RDR_ICC_POWER_OFF, 0, NULL, 0, &h, buf,
	                              sizeof(buf), &n),
	                 0);
	emu_disconnect(&other);
	assert_int_equal(card_get_serial(&f->c, &serial), CARD_OK);
	assert_true(f->c.powered && f->c.selected);
}

static void token_removal_reports_absent_and_reinsertion_works(void **state)
{
	card_fixture *f = *state;
	uint32_t serial = 0;
	bool present = true;

	assert_int_equal(card_get_serial(&f->c, &serial), CARD_OK);
	assert_int_equal(f->tr->ops->present(f->tr, &present), TR_OK);
	assert_true(present);

	assert_int_equal(emu_signal(&f->p, SIGUSR1), 0);
	tkit_emu_wait_status(&f->p, "ok absent");
	assert_int_equal(card_get_serial(&f->c, &serial), CARD_ERR_ABSENT);
	assert_false(f->c.powered);
	assert_int_equal(card_connect(&f->c), CARD_ERR_ABSENT);
	assert_int_equal(f->tr->ops->present(f->tr, &present), TR_OK);
	assert_false(present);

	assert_int_equal(emu_signal(&f->p, SIGUSR2), 0);
	tkit_emu_wait_status(&f->p, "ok present");
	assert_int_equal(f->tr->ops->present(f->tr, &present), TR_OK);
	assert_true(present);
	serial = 0;
	assert_int_equal(card_get_serial(&f->c, &serial), CARD_OK);
	assert_true(serial != 0);
}

static void killed_emulator_is_absent_without_hang(void **state)
{
	card_fixture *f = *state;
	uint32_t serial = 0;
	bool present = true;
	double t0;
	card_status st;

	assert_int_equal(card_get_serial(&f->c, &serial), CARD_OK);
	emu_kill(&f->p);
	t0 = tkit_now_ms();
	st = card_get_serial(&f->c, &serial);
	assert_true(st == CARD_ERR_ABSENT || st == CARD_ERR_DEVICE);
	assert_int_equal(card_connect(&f->c), CARD_ERR_ABSENT);
	assert_int_equal(f->tr->ops->present(f->tr, &present), TR_OK);
	assert_false(present);
	assert_true(tkit_now_ms() - t0 < 2000);

	/* A new emulator on the same socket (the same token state) is found again. */
	assert_int_equal(emu_start(&f->p, NULL), 0);
	assert_int_equal(card_get_serial(&f->c, &serial), CARD_OK);
}

static void transport_to_nowhere_is_absent(void **state)
{
	tr_transport *tr = tr_socket_new("/nonexistent/kinko/ccid.sock");
	bool present = true;
	card c;

	(void)state;
	assert_non_null(tr);
	assert_false(tr->ops->id_is_port);
	assert_int_equal(tr->ops->open(tr), TR_ERR_ABSENT);
	assert_int_equal(tr->ops->present(tr, &present), TR_OK);
	assert_false(present);
	card_init(&c, tr);
	assert_int_equal(card_connect(&c), CARD_ERR_ABSENT);
	assert_int_equal(card_status_name(CARD_ERR_ABSENT)[0] != '\0', 1);
	card_cleanup(&c);
	tr->ops->destroy(tr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		CARD_FIXTURE_TEST(foreign_power_on_is_followed_by_reselect),
		CARD_FIXTURE_TEST(foreign_power_off_is_followed_by_power_on),
		CARD_FIXTURE_TEST(token_removal_reports_absent_and_reinsertion_works),
		CARD_FIXTURE_TEST(killed_emulator_is_absent_without_hang),
		cmocka_unit_test(transport_to_nowhere_is_absent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
