/* The bank's rules as pure functions: the 80-day windows on both sides of each boundary, the
 * user-before-issuance rule, dates, identifiers and the key policy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "bankd_rules.h"

static int64_t day(const char *s)
{
	int64_t d = -1;
	assert_int_equal(bankd_rules_day_parse(s, &d), 0);
	return d;
}

static void day_parse_rejects_impossible_dates(void **state)
{
	int64_t d;

	(void)state;
	assert_int_equal(bankd_rules_day_parse("2026-02-29", &d), -1);
	assert_int_equal(bankd_rules_day_parse("2026-13-01", &d), -1);
	assert_int_equal(bankd_rules_day_parse("2026-1-01", &d), -1);
	assert_int_equal(bankd_rules_day_parse("2026-01-01x", &d), -1);
	assert_int_equal(bankd_rules_day_parse("1969-12-31", &d), -1);
	assert_int_equal(bankd_rules_day_parse("2028-02-29", &d), 0);
	assert_int_equal(bankd_rules_day_parse("1970-01-01", &d), 0);
	assert_int_equal(d, 0);
}

static void day_format_round_trips(void **state)
{
	char buf[16];

	(void)state;
	bankd_rules_day_format(day("2026-03-21"), buf, sizeof buf);
	assert_string_equal(buf, "2026-03-21");
	assert_int_equal(bankd_rules_day((time_t)(day("2026-03-21") * 86400 + 86399)),
	                 day("2026-03-21"));
}

static void admin_window_day_1_is_the_application_date(void **state)
{
	int64_t a;

	(void)state;
	a = day("2026-01-01");
	assert_int_equal(bankd_rules_admin_window(a, a), BANKD_RULE_OK);
	assert_int_equal(bankd_rules_admin_window(a, a - 1), BANKD_RULE_NOT_YET);
}

static void admin_window_day_80_is_the_last_day(void **state)
{
	int64_t a;

	(void)state;
	a = day("2026-01-01");
	/* 2026-01-01 + 79 days = 2026-03-21 (day 80): allowed; 2026-03-22 (day 81): refused. */
	assert_int_equal(bankd_rules_last_day(a), day("2026-03-21"));
	assert_int_equal(bankd_rules_admin_window(a, day("2026-03-21")), BANKD_RULE_OK);
	assert_int_equal(bankd_rules_admin_window(a, day("2026-03-22")), BANKD_RULE_WINDOW_OVER);
}

static void user_refused_before_admin_issuance(void **state)
{
	(void)state;
	assert_int_equal(bankd_rules_user_window(false, 0, day("2026-01-05")),
	                 BANKD_RULE_NOT_ISSUED);
}

static void user_window_counts_from_the_issuance(void **state)
{
	int64_t i;

	(void)state;
	i = day("2026-02-10");
	assert_int_equal(bankd_rules_user_window(true, i, i - 1), BANKD_RULE_NOT_YET);
	assert_int_equal(bankd_rules_user_window(true, i, i), BANKD_RULE_OK);
	assert_int_equal(bankd_rules_user_window(true, i, i + 79), BANKD_RULE_OK);
	assert_int_equal(bankd_rules_user_window(true, i, i + 80), BANKD_RULE_WINDOW_OVER);
}

static void refusals_name_the_rule_and_the_dates(void **state)
{
	char msg[256];

	(void)state;
	bankd_rules_explain(BANKD_RULE_WINDOW_OVER, true, day("2026-01-01"), msg, sizeof msg);
	assert_non_null(strstr(msg, "within 80 days of the contract's application date"));
	assert_non_null(strstr(msg, "last day 2026-03-21"));
	bankd_rules_explain(BANKD_RULE_NOT_ISSUED, false, 0, msg, sizeof msg);
	assert_non_null(strstr(msg, "admin has not issued"));
}

static bankd_key_rule rsa(int bits)
{
	bankd_key_facts k = {"RSA", bits, NULL, false, true};
	return bankd_rules_key(&k);
}

static bankd_key_rule ec(int bits, const char *curve)
{
	bankd_key_facts k = {"EC", bits, curve, true, false};
	return bankd_rules_key(&k);
}

static void key_policy_accepts_rsa2048_p256_p384_only(void **state)
{
	bankd_key_facts none = {"", 256, NULL, false, false};

	(void)state;
	assert_int_equal(rsa(2048), BANKD_KEY_OK);
	assert_int_equal(rsa(3072), BANKD_KEY_OK);
	assert_int_equal(rsa(1024), BANKD_KEY_WEAK);
	assert_int_equal(rsa(2047), BANKD_KEY_WEAK);
	assert_int_equal(rsa(16384), BANKD_KEY_TOO_LARGE);
	assert_int_equal(ec(256, "prime256v1"), BANKD_KEY_OK);
	assert_int_equal(ec(384, "secp384r1"), BANKD_KEY_OK);
	assert_int_equal(ec(521, "secp521r1"), BANKD_KEY_WEAK);
	assert_int_equal(ec(256, "secp256k1"), BANKD_KEY_WEAK);
	assert_int_equal(bankd_rules_key(&none), BANKD_KEY_WEAK);
}

/* A certificate for explicit parameters fails verification later ("explicit ECC parameters"),
 * so even the parameters of P-256 spelled out are refused. */
static void key_policy_refuses_explicit_curve_parameters(void **state)
{
	bankd_key_facts k = {"EC", 256, "prime256v1", false, false};

	(void)state;
	assert_int_equal(bankd_rules_key(&k), BANKD_KEY_EXPLICIT_CURVE);
	k.curve = NULL; /* parameters of no known curve */
	assert_int_equal(bankd_rules_key(&k), BANKD_KEY_EXPLICIT_CURVE);
	assert_non_null(
		strstr(bankd_rules_key_explain(BANKD_KEY_EXPLICIT_CURVE), "name their curve"));
}

static void key_policy_refuses_rsa_exponents_other_than_65537(void **state)
{
	bankd_key_facts k = {"RSA", 2048, NULL, false, false};

	(void)state;
	assert_int_equal(bankd_rules_key(&k), BANKD_KEY_RSA_EXPONENT);
	k.bits = 1024; /* too weak first: the size is the graver fault */
	assert_int_equal(bankd_rules_key(&k), BANKD_KEY_WEAK);
	assert_non_null(strstr(bankd_rules_key_explain(BANKD_KEY_RSA_EXPONENT), "65537"));
}

static void identifiers_refuse_sql_metacharacters(void **state)
{
	(void)state;
	assert_true(bankd_rules_contract_id_ok("1234567890"));
	assert_false(bankd_rules_contract_id_ok("' OR 1=1 --"));
	assert_false(bankd_rules_contract_id_ok(""));
	assert_false(bankd_rules_contract_id_ok("123456789012345678901"));
	assert_true(bankd_rules_user_id_ok("taro.yamada_2-x"));
	assert_false(bankd_rules_user_id_ok("taro'--"));
	assert_false(bankd_rules_user_id_ok("a/b"));
	assert_false(bankd_rules_name_ok("bad\nname"));
	assert_true(bankd_rules_name_ok("株式会社 ACME"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(day_parse_rejects_impossible_dates),
		cmocka_unit_test(day_format_round_trips),
		cmocka_unit_test(admin_window_day_1_is_the_application_date),
		cmocka_unit_test(admin_window_day_80_is_the_last_day),
		cmocka_unit_test(user_refused_before_admin_issuance),
		cmocka_unit_test(user_window_counts_from_the_issuance),
		cmocka_unit_test(refusals_name_the_rule_and_the_dates),
		cmocka_unit_test(key_policy_accepts_rsa2048_p256_p384_only),
		cmocka_unit_test(key_policy_refuses_explicit_curve_parameters),
		cmocka_unit_test(key_policy_refuses_rsa_exponents_other_than_65537),
		cmocka_unit_test(identifiers_refuse_sql_metacharacters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
