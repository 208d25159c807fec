/* The PIN from a pinentry when it is not right the first time: a wrong PIN asks again with
 * the tries left (never CKR_PIN_INCORRECT on the PIN-less path: NSS would retry at once and
 * lock the token), the last try is announced, a locked PIN gets a message on how to unblock
 * it; a cancel is remembered for pinentry_cancel_seconds or until the token is removed (a
 * browser's second key search must not prompt again); a pinentry that cannot run fails at
 * once. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emu_test_util.h"
#include "p11_clock_test_util.h"
#include "pinentry_test_util.h"

#define PIN "123456"
#define WRONG "pin:999999\n"

static void wrong_then_right_asks_again_and_restores_the_tries(void **state)
{
	pet *x = *state;
	char *log;

	pet_script(x, WRONG "pin:" PIN "\n");
	assert_int_equal(pet_sign(x, x->priv_9a), CKR_OK);
	log = pet_log(x);
	assert_int_equal(pet_count(log, "GETPIN"), 2);
	assert_int_equal(pet_count(log, "SETERROR"), 1);
	assert_non_null(strstr(log, "SETERROR Wrong PIN, 2 tries left.\n"));
	assert_null(strstr(log, "Only one try is left"));
	free(log);
	assert_false(pet_token_flags(x) & (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY));
}

static void last_try_is_announced_in_the_description(void **state)
{
	pet *x = *state;
	const char *second_getpin;
	char *log;

	pet_script(x, WRONG WRONG "pin:" PIN "\n");
	assert_int_equal(x->t.f->C_Login(x->t.session, CKU_USER, NULL, 0), CKR_OK);
	log = pet_log(x);
	assert_int_equal(pet_count(log, "GETPIN"), 3);
	assert_non_null(strstr(log, "SETERROR Wrong PIN, 2 tries left.\n"));
	assert_non_null(strstr(log, "SETERROR Wrong PIN, 1 try left.\n"));
	/* Only the third dialog warns, after its description. */
	assert_int_equal(pet_occurrences(log, "Only one try is left"), 1);
	assert_non_null(strstr(log, "%0A%0AOnly one try is left: a wrong PIN locks the token.\n"));
	second_getpin = strstr(strstr(log, "GETPIN\n") + 1, "GETPIN\n");
	assert_true(strstr(log, "Only one try is left") > second_getpin);
	free(log);
	assert_false(pet_token_flags(x) & CKF_USER_PIN_COUNT_LOW);
}

/* A PIN the card could not take (empty, too short) is asked again and costs no try. */
static void pin_of_a_wrong_length_asks_again_without_a_try(void **state)
{
	pet *x = *state;
	char *log;

	pet_script(x, "pin:\npin:12\npin:" PIN "\n");
	assert_int_equal(pet_sign(x, x->priv_9a), CKR_OK);
	log = pet_log(x);
	assert_int_equal(pet_count(log, "GETPIN"), 3);
	assert_int_equal(pet_count(log, "SETERROR The PIN has 6 to 8 characters.\n"), 2);
	free(log);
	assert_false(pet_token_flags(x) & CKF_USER_PIN_COUNT_LOW);
}

static void wrong_until_locked_shows_how_to_unblock(void **state)
{
	pet *x = *state;
	char *log;

	pet_script(x, WRONG WRONG WRONG);
	assert_int_equal(pet_sign(x, x->priv_9a), CKR_PIN_LOCKED);
	log = pet_log(x);
	assert_int_equal(pet_count(log, "GETPIN"), 3);
	assert_int_equal(pet_count(log, "MESSAGE"), 1);
	assert_non_null(strstr(log, "is locked: too many wrong PINs.%0AUnblock it with your PUK: "
	                            "kinko pin unblock\n"));
	free(log);
	assert_true(pet_token_flags(x) & CKF_USER_PIN_LOCKED);
	/* Locked before: the message again, no dialog for a PIN. */
	pet_script(x, "");
	assert_int_equal(pet_sign(x, x->priv_9a), CKR_PIN_LOCKED);
	assert_int_equal(x->t.f->C_Login(x->t.session, CKU_USER, NULL, 0), CKR_PIN_LOCKED);
	log = pet_log(x);
	assert_int_equal(pet_count(log, "GETPIN"), 0);
	assert_int_equal(pet_count(log, "MESSAGE"), 2);
	free(log);
}

static void cancel_is_remembered_for_the_window(void **state)
{
	pet *x = *state;
	char *log;

	pet_script(x, "cancel\npin:" PIN "\n");
	assert_int_equal(pet_sign(x, x->priv_9a), CKR_FUNCTION_CANCELED);
	/* A browser's next search, and its C_Login: no new dialog. */
	assert_int_equal(pet_sign(x, x->priv_9a), CKR_FUNCTION_CANCELED);
	assert_int_equal(x->t.f->C_Login(x->t.session, CKU_USER, NULL, 0), CKR_FUNCTION_CANCELED);
	log = pet_log(x);
	assert_int_equal(pet_count(log, "GETPIN"), 1);
	free(log);
	p11t_clock_advance_ms(29000);
	assert_int_equal(pet_sign(x, x->priv_9a), CKR_FUNCTION_CANCELED);
	/* pinentry_cancel_seconds (30 by default) later it asks again. */
	p11t_clock_advance_ms(1500);
	assert_int_equal(pet_sign(x, x->priv_9a), CKR_OK);
	log = pet_log(x);
	assert_int_equal(pet_count(log, "GETPIN"), 2);
	free(log);
}

/* The pinentry's own timeout counts as a cancel; a PIN given to C_Login still works during
 * the window and ends it. */
static void timeout_remembered_and_explicit_login_ends_it(void **state)
{
	pet *x = *state;
	char *log;

	pet_reinit(x, "pin_source = pinentry\npinentry_cancel_seconds = 5\n");
	pet_script(x, "timeout\npin:" PIN "\n");
	assert_int_equal(pet_sign(x, x->priv_9a), CKR_FUNCTION_CANCELED);
	assert_int_equal(pet_sign(x, x->priv_9a), CKR_FUNCTION_CANCELED);
	assert_int_equal(x->t.f->C_Login(x->t.session, CKU_USER, (CK_UTF8CHAR_PTR)PIN, 6), CKR_OK);
	assert_int_equal(x->t.f->C_Logout(x->t.session), CKR_OK);
	assert_int_equal(pet_sign(x, x->priv_9a), CKR_OK);
	log = pet_log(x);
	assert_int_equal(pet_count(log, "GETPIN"), 2);
	free(log);
	/* The configured window: 5 s. */
	pet_script(x, "cancel\npin:" PIN "\n");
	assert_int_equal(x->t.f->C_Logout(x->t.session), CKR_OK);
	assert_int_equal(pet_sign(x, x->priv_9a), CKR_FUNCTION_CANCELED);
	p11t_clock_advance_ms(5100);
	assert_int_equal(pet_sign(x, x->priv_9a), CKR_OK);
}

static void removal_forgets_the_cancel(void **state)
{
	pet *x = *state;
	CK_SLOT_INFO si;
	char *log;

	pet_script(x, "cancel\npin:" PIN "\n");
	assert_int_equal(pet_sign(x, x->priv_9a), CKR_FUNCTION_CANCELED);
	assert_int_equal(emu_signal(&x->t.emu[0], SIGUSR1), 0);
	tkit_emu_wait_status(&x->t.emu[0], "ok absent");
	assert_int_equal(x->t.f->C_GetSlotInfo(x->t.slots[0], &si), CKR_OK);
	assert_false(si.flags & CKF_TOKEN_PRESENT);
	assert_int_equal(emu_signal(&x->t.emu[0], SIGUSR2), 0);
	tkit_emu_wait_status(&x->t.emu[0], "ok present");
	assert_int_equal(x->t.f->C_OpenSession(x->t.slots[0], CKF_SERIAL_SESSION, NULL, NULL,
	                                       &x->t.session),
	                 CKR_OK);
	assert_int_equal(pet_sign(x, x->priv_9a), CKR_OK);
	log = pet_log(x);
	assert_int_equal(pet_count(log, "GETPIN"), 2);
	free(log);
}

/* No program: CKR_FUNCTION_FAILED at once, and the trace (KINKO_DEBUG=p11, set in main)
 * says which program and why. */
static void missing_pinentry_fails_at_once_with_a_trace(void **state)
{
	pet *x = *state;
	double ms;
	char *text;

	pet_reinit_conf_program(x,
	                        "pin_source = pinentry\npinentry = /nonexistent/pinentry-kinko\n");
	assert_int_equal(pet_sign_traced(x, x->priv_9a, &ms, &text), CKR_FUNCTION_FAILED);
	printf("# C_SignInit without a pinentry program: %.1f ms\n", ms);
	assert_true(ms < 1000.0);
	assert_non_null(strstr(text, "the pinentry program '/nonexistent/pinentry-kinko' cannot "
	                             "be run"));
	free(text);
}

/* A pinentry that exits at once (pinentry-curses without a terminal): the same. */
static void pinentry_dying_fails_at_once_with_a_trace(void **state)
{
	pet *x = *state;
	double ms;
	char *text;

	pet_script(x, "die\n");
	assert_int_equal(pet_sign_traced(x, x->priv_9a, &ms, &text), CKR_FUNCTION_FAILED);
	assert_true(ms < 1000.0);
	assert_non_null(strstr(text, "tests/lib/pinentry_script failed"));
	assert_non_null(strstr(text, "needs a pinentry that has a display or a terminal"));
	free(text);
}

/* pinentry-tty (and -curses) without a terminal would answer a cancel at once: refused before
 * it runs, with the reason; with a terminal (GPG_TTY) it runs. The scripted pinentry under
 * that name stands for it. */
static void terminal_pinentry_without_a_terminal_fails_at_once(void **state)
{
	pet *x = *state;
	char copy[PATH_MAX + 32], cmd[3 * PATH_MAX], conf[PATH_MAX + 128], *text, *log;
	int saved_stdin = dup(0), null = open("/dev/null", O_RDONLY);
	double ms;

	snprintf(copy, sizeof(copy), "%s/pinentry-tty", x->dir);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", getenv("KINKO_PINENTRY"), copy);
	assert_int_equal(system(cmd), 0);
	snprintf(conf, sizeof(conf), "pin_source = pinentry\npinentry = %s\n", copy);
	pet_reinit_conf_program(x, conf);
	pet_script(x, "pin:" PIN "\n");
	assert_true(saved_stdin >= 0 && null >= 0);
	assert_int_equal(dup2(null, 0), 0);
	unsetenv("GPG_TTY");
	assert_int_equal(pet_sign_traced(x, x->priv_9a, &ms, &text), CKR_FUNCTION_FAILED);
	assert_true(ms < 1000.0);
	assert_non_null(strstr(text, "pinentry-tty shows itself only on a terminal"));
	assert_non_null(strstr(text, "(pinentry = PATH in kinko.conf)\n")); /* the whole line */
	free(text);
	log = pet_log(x);
	assert_string_equal(log, ""); /* never run */
	free(log);
	setenv("GPG_TTY", "/dev/pts/77", 1);
	assert_int_equal(pet_sign(x, x->priv_9a), CKR_OK);
	unsetenv("GPG_TTY");
	assert_int_equal(dup2(saved_stdin, 0), 0);
	close(saved_stdin);
	close(null);
	log = pet_log(x);
	assert_non_null(strstr(log, "OPTION ttyname=/dev/pts/77\n"));
	free(log);
}

#define T(name) cmocka_unit_test_setup_teardown(name, pet_setup, pet_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(wrong_then_right_asks_again_and_restores_the_tries),
		T(last_try_is_announced_in_the_description),
		T(pin_of_a_wrong_length_asks_again_without_a_try),
		T(wrong_until_locked_shows_how_to_unblock),
		T(cancel_is_remembered_for_the_window),
		T(timeout_remembered_and_explicit_login_ends_it),
		T(removal_forgets_the_cancel),
		T(missing_pinentry_fails_at_once_with_a_trace),
		T(pinentry_dying_fails_at_once_with_a_trace),
		T(terminal_pinentry_without_a_terminal_fails_at_once),
	};

	/* Read once, at the module's first call: before any. */
	setenv("KINKO_DEBUG", "p11", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
