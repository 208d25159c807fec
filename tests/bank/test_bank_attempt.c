/* The lockout counters (bankd_attempt) on a real SQLite database, and the sentences that name
 * the wrong secret. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bankd_attempt.h"

#define ID "1234567890"

struct fixture {
	char dir[64];
	bankd_db *db;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	char path[128];
	bankd_contract c;
	bankd_user u;

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof f->dir, "/tmp/kinko-attempt.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(path, sizeof path, "%s/bank.db", f->dir);
	memset(&c, 0, sizeof c);
	snprintf(c.id, sizeof c.id, ID);
	snprintf(c.company, sizeof c.company, "ACME");
	memset(c.card, '1', BANKD_CARD_LEN);
	memset(&u, 0, sizeof u);
	snprintf(u.contract_id, sizeof u.contract_id, ID);
	snprintf(u.user_id, sizeof u.user_id, "taro");
	if (bankd_db_open(path, 1, &f->db) != BANKD_DB_OK ||
	    bankd_db_contract_add(f->db, &c) != BANKD_DB_OK ||
	    bankd_db_user_put(f->db, &u) != BANKD_DB_OK)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char path[128];
	static const char *const files[] = {"bank.db", "bank.db-wal", "bank.db-shm"};
	size_t i;

	bankd_db_close(f->db);
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "%s/%s", f->dir, files[i]);
		unlink(path);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static int count(struct fixture *f, const char *user)
{
	int n = -1;
	assert_int_equal(bankd_db_failures_get(f->db, ID, user, &n), BANKD_DB_OK);
	return n;
}

static void an_attempt_is_counted_before_the_comparison(void **state)
{
	struct fixture *f = *state;
	bankd_attempt a;
	assert_int_equal(bankd_attempt_begin(&a, f->db, ID, ""), BANKD_ATTEMPT_GO);
	/* Committed already: a crash before the comparison costs the guess. */
	assert_int_equal(count(f, ""), 1);
	assert_int_equal(a.failures, 1);
	assert_int_equal(bankd_attempt_end(&a, BANKD_ATTEMPT_WRONG), 0);
	assert_int_equal(count(f, ""), 1);
}

static void the_fifth_wrong_answer_locks_and_a_locked_counter_refuses(void **state)
{
	struct fixture *f = *state;
	bankd_attempt a;
	int i;

	for (i = 1; i <= BANKD_SECRET_MAX_TRIES; i++) {
		assert_int_equal(bankd_attempt_begin(&a, f->db, ID, ""), BANKD_ATTEMPT_GO);
		assert_int_equal(bankd_attempt_end(&a, BANKD_ATTEMPT_WRONG), 0);
	}
	assert_int_equal(a.failures, BANKD_SECRET_MAX_TRIES);
	assert_int_equal(bankd_attempt_begin(&a, f->db, ID, ""), BANKD_ATTEMPT_LOCKED);
	assert_int_equal(count(f, ""), BANKD_SECRET_MAX_TRIES);
	/* The user's counter is its own. */
	assert_int_equal(bankd_attempt_begin(&a, f->db, ID, "taro"), BANKD_ATTEMPT_GO);
	assert_int_equal(count(f, "taro"), 1);
}

static void a_complete_credential_resets_a_partial_step_only_undoes_itself(void **state)
{
	struct fixture *f = *state;
	bankd_attempt pin, other;
	int i;

	for (i = 0; i < 3; i++) {
		assert_int_equal(bankd_attempt_begin(&pin, f->db, ID, ""), BANKD_ATTEMPT_GO);
		assert_int_equal(bankd_attempt_end(&pin, BANKD_ATTEMPT_WRONG), 0);
	}
	/* The admin's right PIN, while another client's wrong answer is counted meanwhile. */
	assert_int_equal(bankd_attempt_begin(&pin, f->db, ID, ""), BANKD_ATTEMPT_GO);
	assert_int_equal(bankd_attempt_begin(&other, f->db, ID, ""), BANKD_ATTEMPT_GO);
	assert_int_equal(bankd_attempt_end(&other, BANKD_ATTEMPT_WRONG), 0);
	assert_int_equal(count(f, ""), 5);
	assert_int_equal(bankd_attempt_end(&pin, BANKD_ATTEMPT_PARTIAL), 0);
	/* 4 wrong answers stay counted: not 0, and not the 3 the PIN's attempt saw. */
	assert_int_equal(count(f, ""), 4);
	assert_int_equal(bankd_attempt_begin(&pin, f->db, ID, ""), BANKD_ATTEMPT_GO);
	assert_int_equal(bankd_attempt_end(&pin, BANKD_ATTEMPT_COMPLETE), 0);
	assert_int_equal(count(f, ""), 0);
}

static void an_unknown_counter_is_an_error_not_a_guess(void **state)
{
	struct fixture *f = *state;
	bankd_attempt a;
	assert_int_equal(bankd_attempt_begin(&a, f->db, "999", ""), BANKD_ATTEMPT_ERROR);
	assert_int_equal(bankd_attempt_begin(&a, f->db, ID, "jiro"), BANKD_ATTEMPT_ERROR);
}

static void sentences_name_the_secret_and_say_1_try_in_the_singular(void **state)
{
	char buf[384];
	bankd_wrong w = {BANKD_WRONG_CONTRACT_PIN, 0, 1};

	(void)state;
	bankd_wrong_sentence(&w, buf, sizeof buf);
	assert_string_equal(buf, "wrong contract PIN (イ); 4 tries left");
	w = (bankd_wrong){BANKD_WRONG_CONTRACT_CONF, 0, 4};
	bankd_wrong_sentence(&w, buf, sizeof buf);
	assert_string_equal(buf, "wrong contract confirmation PIN (ロ); 1 try left");
	w = (bankd_wrong){BANKD_WRONG_CARD, 0, 3};
	bankd_wrong_sentence(&w, buf, sizeof buf);
	assert_string_equal(buf, "wrong card digits; log on again (2 tries left)");
	w = (bankd_wrong){BANKD_WRONG_USER_PIN | BANKD_WRONG_USER_CONF, 1, 2};
	bankd_wrong_sentence(&w, buf, sizeof buf);
	assert_string_equal(buf,
	                    "wrong user PIN (ト) and user confirmation PIN (チ); 3 tries left");
	bankd_wrong_names(w.secrets, buf, sizeof buf);
	assert_string_equal(buf, "user_pin,user_confirmation_pin");
	w = (bankd_wrong){BANKD_WRONG_USER_CONF, 1, 5};
	assert_int_equal(bankd_wrong_tries_left(&w), 0);
	bankd_wrong_sentence(&w, buf, sizeof buf);
	assert_string_equal(buf, "wrong user confirmation PIN (チ); " BANKD_USER_LOCKED_MSG);
	bankd_wrong_names(BANKD_WRONG_CARD, buf, sizeof buf);
	assert_string_equal(buf, "card_digits");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(an_attempt_is_counted_before_the_comparison, setup,
	                                        teardown),
		cmocka_unit_test_setup_teardown(
			the_fifth_wrong_answer_locks_and_a_locked_counter_refuses, setup, teardown),
		cmocka_unit_test_setup_teardown(
			a_complete_credential_resets_a_partial_step_only_undoes_itself, setup,
			teardown),
		cmocka_unit_test_setup_teardown(an_unknown_counter_is_an_error_not_a_guess, setup,
	                                        teardown),
		cmocka_unit_test(sentences_name_the_secret_and_say_1_try_in_the_singular),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
