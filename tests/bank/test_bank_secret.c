/* The secret store: scrypt hashes with per-secret salt, verification. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "bankd_secret.h"

/* The smallest cost the verifier accepts, so valgrind runs stay short; the format carries it. */
static const bankd_secret_cost cheap = {10, 1, 1};

static void hash_then_verify_matches_only_the_same_secret(void **state)
{
	uint8_t h[BANKD_SECRET_LEN];

	(void)state;
	assert_int_equal(bankd_secret_hash("1234", &cheap, h), 0);
	assert_int_equal(bankd_secret_verify("1234", h, sizeof h), 1);
	assert_int_equal(bankd_secret_verify("1235", h, sizeof h), 0);
	assert_int_equal(bankd_secret_verify("12345", h, sizeof h), 0);
}

static void same_secret_gets_a_different_salt_each_time(void **state)
{
	uint8_t a[BANKD_SECRET_LEN], b[BANKD_SECRET_LEN];

	(void)state;
	assert_int_equal(bankd_secret_hash("pin-pin", &cheap, a), 0);
	assert_int_equal(bankd_secret_hash("pin-pin", &cheap, b), 0);
	assert_memory_not_equal(a + 4, b + 4, 16);
	assert_memory_not_equal(a + 20, b + 20, 32);
}

static void default_cost_is_scrypt_n16384_r8_p1(void **state)
{
	uint8_t h[BANKD_SECRET_LEN];

	(void)state;
	assert_int_equal(bankd_secret_hash("abcd", &bankd_secret_default_cost, h), 0);
	assert_int_equal(h[0], 1);
	assert_int_equal(h[1], 14);
	assert_int_equal(h[2], 8);
	assert_int_equal(h[3], 1);
	assert_int_equal(bankd_secret_verify("abcd", h, sizeof h), 1);
}

static void malformed_records_are_errors_not_matches(void **state)
{
	uint8_t h[BANKD_SECRET_LEN];
	uint8_t zero[BANKD_SECRET_LEN] = {0};

	(void)state;
	assert_int_equal(bankd_secret_hash("1234", &cheap, h), 0);
	assert_int_equal(bankd_secret_verify("1234", h, sizeof h - 1), -1);
	h[1] = 40; /* a tampered cost must not make the bank allocate terabytes */
	assert_int_equal(bankd_secret_verify("1234", h, sizeof h), -1);
	assert_int_equal(bankd_secret_verify("1234", zero, sizeof zero), -1);
}

static void acceptable_secrets_are_4_to_64_printable(void **state)
{
	char longer[70];

	(void)state;
	assert_false(bankd_secret_acceptable("123"));
	assert_true(bankd_secret_acceptable("1234"));
	assert_false(bankd_secret_acceptable("12\n34"));
	memset(longer, 'a', 65);
	longer[65] = '\0';
	assert_false(bankd_secret_acceptable(longer));
	longer[64] = '\0';
	assert_true(bankd_secret_acceptable(longer));
}

static void verify_all_compares_every_secret_and_names_the_wrong_ones(void **state)
{
	uint8_t pin[BANKD_SECRET_LEN], conf[BANKD_SECRET_LEN];
	const char *right[2] = {"1111", "2222"};
	const char *wrong_conf[2] = {"1111", "9999"};
	const char *wrong_pin[2] = {"0000", "2222"};
	const char *both[2] = {"0000", "9999"};
	const uint8_t *stored[2] = {pin, conf};

	(void)state;
	assert_int_equal(bankd_secret_hash("1111", &cheap, pin), 0);
	assert_int_equal(bankd_secret_hash("2222", &cheap, conf), 0);
	assert_int_equal(bankd_secret_verify_all(right, stored, 2), 0);
	assert_int_equal(bankd_secret_verify_all(wrong_conf, stored, 2), 2);
	assert_int_equal(bankd_secret_verify_all(wrong_pin, stored, 2), 1);
	assert_int_equal(bankd_secret_verify_all(both, stored, 2), 3);
	pin[0] = 9; /* a malformed record is an error, never a match */
	assert_int_equal(bankd_secret_verify_all(right, stored, 2), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hash_then_verify_matches_only_the_same_secret),
		cmocka_unit_test(same_secret_gets_a_different_salt_each_time),
		cmocka_unit_test(default_cost_is_scrypt_n16384_r8_p1),
		cmocka_unit_test(malformed_records_are_errors_not_matches),
		cmocka_unit_test(acceptable_secrets_are_4_to_64_printable),
		cmocka_unit_test(verify_all_compares_every_secret_and_names_the_wrong_ones),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
