/* VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER: tries, blocking, padding rules,
 * and the order "decrement and persist, then compare". */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "piv.h"
#include "piv_internal.h" /* white-box: the volatile security state */
#include "piv_test_util.h"

static void pad(const char *s, uint8_t out[8])
{
	size_t n = strlen(s);

	assert_true(n <= 8);
	memset(out, 0xFF, 8);
	memcpy(out, s, n);
}

static uint16_t verify(piv_fixture *f, const char *pin)
{
	uint8_t p[8];

	pad(pin, p);
	return piv_send(f, 0x00, PIV_INS_VERIFY, 0x00, PIV_REF_PIN, p, sizeof(p), 0, false);
}

static uint16_t verify_status(piv_fixture *f)
{
	return piv_tx(f, "00200080");
}

/* CHANGE REFERENCE DATA (ins 24) or RESET RETRY COUNTER (ins 2C) with two padded values. */
static uint16_t pair(piv_fixture *f, uint8_t ins, uint8_t ref, const char *a, const char *b)
{
	uint8_t d[16];

	pad(a, d);
	pad(b, d + 8);
	return piv_send(f, 0x00, ins, 0x00, ref, d, sizeof(d), 0, false);
}

/* ---- VERIFY ---- */

static void verify_correct_pin_succeeds(void **state)
{
	piv_fixture *f = *state;

	assert_int_equal(verify(f, TOK_DEFAULT_PIN), SW_OK);
	assert_int_equal(f->resp_len, 0);
	assert_true(f->applet->pin_verified);
	assert_int_equal(verify_status(f), SW_OK);
}

static void verify_wrong_pin_decrements_and_reports_tries(void **state)
{
	piv_fixture *f = *state;

	assert_int_equal(verify(f, "654321"), SW_VERIFY_FAIL(2));
	assert_int_equal(f->st.pin.tries_left, 2);
	assert_int_equal(verify(f, "1234567"), SW_VERIFY_FAIL(1));
	assert_int_equal(verify_status(f), SW_VERIFY_FAIL(1));
	assert_false(f->applet->pin_verified);
}

static void verify_correct_pin_restores_tries(void **state)
{
	piv_fixture *f = *state;

	assert_int_equal(verify(f, "000000"), SW_VERIFY_FAIL(2));
	assert_int_equal(verify(f, "000000"), SW_VERIFY_FAIL(1));
	assert_int_equal(verify(f, TOK_DEFAULT_PIN), SW_OK);
	assert_int_equal(f->st.pin.tries_left, 3);
}

static void verify_wrong_pin_clears_verification(void **state)
{
	piv_fixture *f = *state;

	assert_int_equal(verify(f, TOK_DEFAULT_PIN), SW_OK);
	assert_int_equal(verify(f, "999999"), SW_VERIFY_FAIL(2));
	assert_false(f->applet->pin_verified);
	assert_false(f->applet->pin_always_ok);
	assert_int_equal(verify_status(f), SW_VERIFY_FAIL(2));
}

static void verify_blocks_after_last_try_even_for_the_right_pin(void **state)
{
	piv_fixture *f = *state;

	assert_int_equal(verify(f, "111111"), SW_VERIFY_FAIL(2));
	assert_int_equal(verify(f, "111111"), SW_VERIFY_FAIL(1));
	assert_int_equal(verify(f, "111111"), SW_VERIFY_FAIL(0));
	assert_int_equal(verify(f, TOK_DEFAULT_PIN), SW_AUTH_BLOCKED);
	assert_int_equal(verify_status(f), SW_AUTH_BLOCKED);
	assert_int_equal(f->st.pin.tries_left, 0);
	assert_false(f->applet->pin_verified);
}

static void verify_status_query_spends_no_try(void **state)
{
	piv_fixture *f = *state;

	assert_int_equal(verify_status(f), SW_VERIFY_FAIL(3));
	assert_int_equal(verify_status(f), SW_VERIFY_FAIL(3));
	assert_int_equal(f->st.pin.tries_left, 3);
	assert_int_equal(f->resp_len, 0);
}

static void verify_p1_ff_resets_verification(void **state)
{
	piv_fixture *f = *state;

	assert_int_equal(verify(f, TOK_DEFAULT_PIN), SW_OK);
	assert_int_equal(piv_tx(f, "00 20 FF 80"), SW_OK);
	assert_false(f->applet->pin_verified);
	assert_int_equal(verify_status(f), SW_VERIFY_FAIL(3));
	/* With data it is malformed and changes nothing. */
	assert_int_equal(verify(f, TOK_DEFAULT_PIN), SW_OK);
	assert_int_equal(piv_tx(f, "0020FF80 08 313233343536FFFF"), SW_WRONG_LENGTH);
	assert_int_equal(verify_status(f), SW_OK);
}

static void verify_bad_p1_p2_is_6a86(void **state)
{
	piv_fixture *f = *state;

	PIV_EACH_ANSWERS(f, SW_INCORRECT_P1P2, "00200081 08 3132333435363738",
	                 "00200000 08 313233343536FFFF", "00200180 08 313233343536FFFF",
	                 "00200081");
	assert_int_equal(f->st.puk.tries_left, 3);
	assert_int_equal(f->st.pin.tries_left, 3);
}

static void verify_wrong_length_is_6700(void **state)
{
	piv_fixture *f = *state;

	PIV_EACH_ANSWERS(f, SW_WRONG_LENGTH, "00200080 06 313233343536",
	                 "00200080 07 313233343536FF", "00200080 09 313233343536FFFFFF");
	assert_int_equal(f->st.pin.tries_left, 3);
}

static void verify_badly_padded_pin_is_6a80_and_spends_no_try(void **state)
{
	piv_fixture *f = *state;
	static const char *const bad[] = {
		"00200080 08 3132333435FFFFFF", /* five digits */
		"00200080 08 FFFFFFFFFFFFFFFF", /* empty */
		"00200080 08 313233343536FF37", /* digit after padding */
		"00200080 08 31323334FF363738", /* padding in the middle */
		"00200080 08 313233343536FF00", /* padding other than FF */
		NULL,
	};

	piv_test_each_answers(f, SW_WRONG_DATA, bad);
	assert_int_equal(f->st.pin.tries_left, 3);
	/* Six to eight bytes are all fine in form. */
	PIV_SCRIPT(f, {"00200080 08 3132333435363738", SW_VERIFY_FAIL(2)},
	           {"00200080 08 31323334353637FF", SW_VERIFY_FAIL(1)},
	           {"00200080 08 313233343536FFFF", SW_OK});
}

static void verify_uses_provisioned_tries(void **state)
{
	piv_fixture *f;
	tok_provision_opts opts = {.pin = "87654321", .pin_tries = 5};

	piv_fixture_teardown(state);
	assert_int_equal(piv_fixture_setup_with(state, &opts, true), 0);
	f = *state;
	assert_int_equal(verify_status(f), SW_VERIFY_FAIL(5));
	assert_int_equal(verify(f, TOK_DEFAULT_PIN), SW_VERIFY_FAIL(4));
	assert_int_equal(verify(f, "87654321"), SW_OK);
	assert_int_equal(f->st.pin.tries_left, 5);
}

/* ---- CHANGE REFERENCE DATA ---- */

static void change_pin_replaces_it(void **state)
{
	piv_fixture *f;
	tok_provision_opts opts = {.pin_must_change = true};

	piv_fixture_teardown(state);
	assert_int_equal(piv_fixture_setup_with(state, &opts, true), 0);
	f = *state;
	assert_true(f->st.pin.is_default);
	assert_true(f->st.pin_must_change);

	assert_int_equal(pair(f, PIV_INS_CHANGE_REFERENCE, PIV_REF_PIN, TOK_DEFAULT_PIN,
	                      "24681357"),
	                 SW_OK);
	assert_false(f->st.pin.is_default);
	assert_false(f->st.pin_must_change);
	assert_int_equal(f->st.pin.tries_max, 3);
	assert_int_equal(verify(f, TOK_DEFAULT_PIN), SW_VERIFY_FAIL(2));
	assert_int_equal(verify(f, "24681357"), SW_OK);
	assert_int_equal(f->st.pin.tries_left, 3);
}

static void change_pin_with_wrong_old_pin_spends_a_try(void **state)
{
	piv_fixture *f = *state;

	assert_int_equal(verify(f, TOK_DEFAULT_PIN), SW_OK);
	assert_int_equal(pair(f, PIV_INS_CHANGE_REFERENCE, PIV_REF_PIN, "000000", "111111"),
	                 SW_VERIFY_FAIL(2));
	assert_false(f->applet->pin_verified);
	assert_true(f->st.pin.is_default);
	assert_int_equal(verify(f, "111111"), SW_VERIFY_FAIL(1));
	assert_int_equal(verify(f, TOK_DEFAULT_PIN), SW_OK);
}

static void change_puk_replaces_it(void **state)
{
	piv_fixture *f = *state;

	assert_int_equal(pair(f, PIV_INS_CHANGE_REFERENCE, PIV_REF_PUK, "00000000", "11111111"),
	                 SW_VERIFY_FAIL(2));
	assert_int_equal(pair(f, PIV_INS_CHANGE_REFERENCE, PIV_REF_PUK, TOK_DEFAULT_PUK, "1357913"),
	                 SW_OK);
	assert_false(f->st.puk.is_default);
	assert_int_equal(f->st.puk.tries_left, 3);
	/* The old PUK no longer unblocks, the new one does. */
	assert_int_equal(pair(f, PIV_INS_RESET_RETRY, PIV_REF_PIN, TOK_DEFAULT_PUK, "222222"),
	                 SW_VERIFY_FAIL(2));
	assert_int_equal(pair(f, PIV_INS_RESET_RETRY, PIV_REF_PIN, "1357913", "222222"), SW_OK);
	assert_int_equal(verify(f, "222222"), SW_OK);
}

static void change_reference_checks_parameters_and_format(void **state)
{
	piv_fixture *f = *state;

	assert_int_equal(pair(f, PIV_INS_CHANGE_REFERENCE, 0x82, TOK_DEFAULT_PIN, "111111"),
	                 SW_INCORRECT_P1P2);
	assert_int_equal(pair(f, PIV_INS_CHANGE_REFERENCE, 0x9B, TOK_DEFAULT_PIN, "111111"),
	                 SW_INCORRECT_P1P2);
	assert_int_equal(piv_tx(f, "00240180 10 313233343536FFFF 313131313131FFFF"),
	                 SW_INCORRECT_P1P2);
	PIV_EACH_ANSWERS(f, SW_WRONG_LENGTH, "00240080 08 313233343536FFFF", "00240080");
	/* A new PIN of five digits, or garbage after the padding, is refused without a try. */
	assert_int_equal(pair(f, PIV_INS_CHANGE_REFERENCE, PIV_REF_PIN, TOK_DEFAULT_PIN, "11111"),
	                 SW_WRONG_DATA);
	assert_int_equal(piv_tx(f, "00240080 10 313233343536FF31 313131313131FFFF"), SW_WRONG_DATA);
	assert_int_equal(f->st.pin.tries_left, 3);
	assert_int_equal(verify(f, TOK_DEFAULT_PIN), SW_OK);
}

static void change_blocked_pin_is_6983(void **state)
{
	piv_fixture *f = *state;

	f->st.pin.tries_left = 0;
	assert_int_equal(pair(f, PIV_INS_CHANGE_REFERENCE, PIV_REF_PIN, TOK_DEFAULT_PIN, "111111"),
	                 SW_AUTH_BLOCKED);
	assert_true(f->st.pin.is_default);
	f->st.puk.tries_left = 0;
	assert_int_equal(pair(f, PIV_INS_CHANGE_REFERENCE, PIV_REF_PUK, TOK_DEFAULT_PUK, "111111"),
	                 SW_AUTH_BLOCKED);
}

/* ---- RESET RETRY COUNTER ---- */

static void reset_retry_counter_unblocks_the_pin(void **state)
{
	piv_fixture *f = *state;

	assert_int_equal(verify(f, "000000"), SW_VERIFY_FAIL(2));
	assert_int_equal(verify(f, "000000"), SW_VERIFY_FAIL(1));
	assert_int_equal(verify(f, "000000"), SW_VERIFY_FAIL(0));
	assert_int_equal(verify_status(f), SW_AUTH_BLOCKED);
	f->st.pin_must_change = true;

	assert_int_equal(pair(f, PIV_INS_RESET_RETRY, PIV_REF_PIN, TOK_DEFAULT_PUK, "555666"),
	                 SW_OK);
	assert_int_equal(f->st.pin.tries_left, f->st.pin.tries_max);
	assert_false(f->st.pin_must_change);
	assert_false(f->applet->pin_verified);
	assert_int_equal(verify(f, TOK_DEFAULT_PIN), SW_VERIFY_FAIL(2));
	assert_int_equal(verify(f, "555666"), SW_OK);
}

static void reset_retry_with_wrong_puk_spends_a_puk_try(void **state)
{
	piv_fixture *f = *state;

	assert_int_equal(pair(f, PIV_INS_RESET_RETRY, PIV_REF_PIN, "87654321", "555666"),
	                 SW_VERIFY_FAIL(2));
	assert_int_equal(f->st.puk.tries_left, 2);
	assert_int_equal(verify(f, "555666"), SW_VERIFY_FAIL(2));
	/* A match gives the PUK its tries back. */
	assert_int_equal(pair(f, PIV_INS_RESET_RETRY, PIV_REF_PIN, TOK_DEFAULT_PUK, "555666"),
	                 SW_OK);
	assert_int_equal(f->st.puk.tries_left, 3);
}

static void reset_retry_with_blocked_puk_is_6983(void **state)
{
	piv_fixture *f = *state;

	assert_int_equal(pair(f, PIV_INS_RESET_RETRY, PIV_REF_PIN, "00000000", "555666"),
	                 SW_VERIFY_FAIL(2));
	assert_int_equal(pair(f, PIV_INS_RESET_RETRY, PIV_REF_PIN, "00000000", "555666"),
	                 SW_VERIFY_FAIL(1));
	assert_int_equal(pair(f, PIV_INS_RESET_RETRY, PIV_REF_PIN, "00000000", "555666"),
	                 SW_VERIFY_FAIL(0));
	assert_int_equal(pair(f, PIV_INS_RESET_RETRY, PIV_REF_PIN, TOK_DEFAULT_PUK, "555666"),
	                 SW_AUTH_BLOCKED);
	assert_int_equal(pair(f, PIV_INS_CHANGE_REFERENCE, PIV_REF_PUK, TOK_DEFAULT_PUK, "555666"),
	                 SW_AUTH_BLOCKED);
	assert_int_equal(verify(f, TOK_DEFAULT_PIN), SW_OK);
}

static void reset_retry_checks_parameters_and_format(void **state)
{
	piv_fixture *f = *state;

	assert_int_equal(pair(f, PIV_INS_RESET_RETRY, PIV_REF_PUK, TOK_DEFAULT_PUK, "555666"),
	                 SW_INCORRECT_P1P2);
	assert_int_equal(piv_tx(f, "002C0180 10 3132333435363738 353535363636FFFF"),
	                 SW_INCORRECT_P1P2);
	assert_int_equal(piv_tx(f, "002C0080 08 3132333435363738"), SW_WRONG_LENGTH);
	assert_int_equal(pair(f, PIV_INS_RESET_RETRY, PIV_REF_PIN, TOK_DEFAULT_PUK, "55566"),
	                 SW_WRONG_DATA);
	assert_int_equal(f->st.puk.tries_left, 3);
}

/* ---- persistence order ---- */

static uint8_t stored_pin_tries(const char *path)
{
	tok_state st;
	uint8_t tries;

	tok_state_init(&st);
	assert_int_equal(tok_state_load(&st, path), 0);
	tries = st.pin.tries_left;
	tok_state_free(&st);
	return tries;
}

static bool stored_pin_matches(const char *path, const char *pin)
{
	tok_state st;
	uint8_t p[8];
	bool ok;

	tok_state_init(&st);
	assert_int_equal(tok_state_load(&st, path), 0);
	pad(pin, p);
	ok = tok_secret_matches(&st.pin, p);
	tok_state_free(&st);
	return ok;
}

static void wrong_pin_try_is_on_flash_when_answered(void **state)
{
	piv_fixture *f = *state;
	piv_tmp_state t;

	piv_tmp_state_make(&t);
	piv_fixture_save_to(f, t.path, false);
	assert_int_equal(verify(f, "000000"), SW_VERIFY_FAIL(2));
	assert_int_equal(stored_pin_tries(t.path), 2);
	assert_int_equal(verify(f, TOK_DEFAULT_PIN), SW_OK);
	assert_int_equal(stored_pin_tries(t.path), 3);
	assert_int_equal(pair(f, PIV_INS_CHANGE_REFERENCE, PIV_REF_PIN, TOK_DEFAULT_PIN,
	                      "24681357"),
	                 SW_OK);
	assert_true(stored_pin_matches(t.path, "24681357"));
	piv_tmp_state_remove(&t);
}

/* With a flash that cannot be written, no PIN is even compared: the right PIN is turned
 * away with 6581 and the token stays unverified. (A directory that does not exist, not a
 * read-only one: tests may run as root, who writes anywhere.) */
static void pin_counter_is_persisted_before_the_compare(void **state)
{
	piv_fixture *f = *state;
	uint8_t p[8];

	piv_fixture_save_to(f, PIV_TEST_UNSAVABLE, false);
	/* A wrong PIN gets the same answer: nothing tells whether it would have matched. */
	assert_int_equal(verify(f, "000000"), SW_MEMORY_FAILURE);
	assert_int_equal(verify(f, TOK_DEFAULT_PIN), SW_MEMORY_FAILURE);
	assert_false(f->applet->pin_verified);
	assert_false(f->applet->pin_always_ok);
	assert_int_not_equal(verify_status(f), SW_OK);

	assert_int_equal(pair(f, PIV_INS_CHANGE_REFERENCE, PIV_REF_PIN, "000000", "111111"),
	                 SW_MEMORY_FAILURE);
	assert_int_equal(pair(f, PIV_INS_RESET_RETRY, PIV_REF_PIN, "00000000", "111111"),
	                 SW_MEMORY_FAILURE);
	f->st.pin.tries_left = 3; /* RAM keeps the spent tries; refill for the next checks */
	assert_int_equal(pair(f, PIV_INS_CHANGE_REFERENCE, PIV_REF_PIN, TOK_DEFAULT_PIN, "111111"),
	                 SW_MEMORY_FAILURE);
	assert_int_equal(pair(f, PIV_INS_RESET_RETRY, PIV_REF_PIN, TOK_DEFAULT_PUK, "111111"),
	                 SW_MEMORY_FAILURE);
	/* Neither secret changed in RAM. */
	assert_true(f->st.pin.is_default);
	pad(TOK_DEFAULT_PIN, p);
	assert_true(tok_secret_matches(&f->st.pin, p));
}

#define T(t) cmocka_unit_test_setup_teardown(t, piv_fixture_setup, piv_fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(verify_correct_pin_succeeds),
		T(verify_wrong_pin_decrements_and_reports_tries),
		T(verify_correct_pin_restores_tries),
		T(verify_wrong_pin_clears_verification),
		T(verify_blocks_after_last_try_even_for_the_right_pin),
		T(verify_status_query_spends_no_try),
		T(verify_p1_ff_resets_verification),
		T(verify_bad_p1_p2_is_6a86),
		T(verify_wrong_length_is_6700),
		T(verify_badly_padded_pin_is_6a80_and_spends_no_try),
		T(verify_uses_provisioned_tries),
		T(change_pin_replaces_it),
		T(change_pin_with_wrong_old_pin_spends_a_try),
		T(change_puk_replaces_it),
		T(change_reference_checks_parameters_and_format),
		T(change_blocked_pin_is_6983),
		T(reset_retry_counter_unblocks_the_pin),
		T(reset_retry_with_wrong_puk_spends_a_puk_try),
		T(reset_retry_with_blocked_puk_is_6983),
		T(reset_retry_checks_parameters_and_format),
		T(wrong_pin_try_is_on_flash_when_answered),
		T(pin_counter_is_persisted_before_the_compare),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
