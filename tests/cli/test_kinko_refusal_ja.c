/* The bank's refusals of a secret in kinko's own words (kinko_refusal_text): in Japanese,
 * which secret by the manuals' term and letter, the tries left as 「残りN回」, two secrets
 * together, the lock, and a bank's sentence passed on when kinko does not know the secret;
 * under "C" the English sentences, 1 try in the singular. The Japanese cases need the
 * ja_JP.UTF-8 locale and the catalogue under $KINKO_LOCALEDIR (make check compiles it):
 * skipped without them. */
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "i18n.h"
#include "kinko_refusal.h"

/* The Japanese locale and kinko's catalogue, or skip. */
static int ja_setup(void **state)
{
	(void)state;
	const char *dir = getenv("KINKO_LOCALEDIR");
	char mo[4096];
	if (dir == NULL ||
	    snprintf(mo, sizeof mo, "%s/ja/LC_MESSAGES/kinko.mo", dir) >= (int)sizeof mo)
		return 0;
	FILE *f = fopen(mo, "rb");
	if (f == NULL || setlocale(LC_ALL, "ja_JP.UTF-8") == NULL) {
		if (f != NULL)
			fclose(f);
		return 0;
	}
	fclose(f);
	bindtextdomain(KINKO_TEXTDOMAIN, dir);
	return 0;
}

static void ja_or_skip(void)
{
	const char *lc = setlocale(LC_MESSAGES, NULL);
	if (lc == NULL || strncmp(lc, "ja", 2) != 0)
		skip(); /* no ja_JP.UTF-8 or no catalogue */
}

/* What kinko says of a refusal of secret with tries left, locked by whom ("" none), and the
 * bank's own words (NULL none). Valid until the next call. */
static const char *says(const char *secret, long tries, const char *locked, const char *bank)
{
	static char out[512];
	kinko_refusal r;
	kinko_refusal_init(&r);
	snprintf(r.secret, sizeof r.secret, "%s", secret);
	r.tries_left = tries;
	snprintf(r.locked, sizeof r.locked, "%s", locked);
	kinko_refusal_text(&r, bank, out, sizeof out);
	return out;
}

static void ja_wrong_contract_pin_names_it_with_the_tries_left(void **state)
{
	(void)state;
	ja_or_skip();
	assert_string_equal(says("contract_pin", 4, "", "wrong contract PIN (イ); 4 tries left"),
	                    "ご契約先暗証番号 (イ) が違います。残り4回");
	assert_string_equal(says("contract_pin", 1, "", NULL),
	                    "ご契約先暗証番号 (イ) が違います。残り1回");
	assert_string_equal(says("card_digits", 2, "", NULL),
	                    "ワンタイムパスワード（お客様カード） が違います。残り2回");
}

static void ja_two_secrets_are_named_together(void **state)
{
	(void)state;
	ja_or_skip();
	assert_string_equal(says("user_pin,user_confirmation_pin", 3, "", NULL),
	                    "利用者暗証番号 (ト)と利用者確認暗証番号 (チ) が違います。残り3回");
}

static void ja_the_last_wrong_answer_says_who_must_unlock(void **state)
{
	(void)state;
	ja_or_skip();
	const char *out = says("contract_confirmation_pin", 0, "contract", NULL);
	assert_non_null(strstr(out, "ロックされています"));
	assert_non_null(strstr(out, "銀行によるロック解除が必要です"));
	out = says("user_confirmation_pin", 0, "", NULL);
	assert_non_null(strstr(out, "利用者確認暗証番号 (チ) が違います。残り0回"));
	assert_non_null(strstr(out, "管理者が利用者の暗証番号を登録し直す必要があります"));
	out = says("", -1, "user", "user locked");
	assert_null(strstr(out, "user locked"));
	assert_non_null(strstr(out, "この利用者はロックされています"));
}

static void ja_an_unknown_secret_passes_the_banks_sentence_on(void **state)
{
	(void)state;
	ja_or_skip();
	assert_string_equal(says("fingerprint", 3, "", "指紋が違います"),
	                    "銀行に拒否されました: 指紋が違います");
	assert_string_equal(says("", -1, "", NULL), "銀行に拒否されました: 理由の説明なし");
}

/* The English cases run under "C", whatever ja_setup chose; the locale is put back after. */
static char locale_saved[256];

static int c_locale(void **state)
{
	(void)state;
	const char *was = setlocale(LC_ALL, NULL);
	snprintf(locale_saved, sizeof locale_saved, "%s", was != NULL ? was : "C");
	setlocale(LC_ALL, "C");
	return 0;
}

static int locale_back(void **state)
{
	(void)state;
	setlocale(LC_ALL, locale_saved);
	return 0;
}

static void c_locale_keeps_the_english_sentences(void **state)
{
	(void)state;
	assert_string_equal(says("contract_pin", 4, "", NULL),
	                    "the bank refused the contract PIN (イ): 4 tries left");
	assert_string_equal(says("contract_pin", 1, "", NULL),
	                    "the bank refused the contract PIN (イ): 1 try left");
}

static void refusal_text_names_the_secret_and_says_1_try_in_the_singular(void **state)
{
	(void)state;
	assert_string_equal(says("contract_pin", 4, "", "wrong PIN (4 tries left)"),
	                    "the bank refused the contract PIN (イ): 4 tries left");
	assert_string_equal(says("card_digits", 1, "", "wrong one-time password"),
	                    "the bank refused the customer card digits: 1 try left");
	assert_string_equal(
		says("user_pin,user_confirmation_pin", 2, "", NULL),
		"the bank refused the user PIN (ト) and the user confirmation PIN (チ): "
		"2 tries left");
	const char *out = says("contract_confirmation_pin", 0, "", NULL);
	assert_non_null(
		strstr(out, "the bank refused the contract confirmation PIN (ロ): no try left"));
	assert_non_null(strstr(out, "the bank must unlock it"));
	assert_non_null(strstr(says("", -1, "user", "user locked"), "this user is locked"));
}

static void refusal_without_fields_is_the_banks_sentence(void **state)
{
	(void)state;
	assert_string_equal(says("", -1, "", "the certificate is revoked"),
	                    "the bank refused: the certificate is revoked");
	assert_string_equal(says("", -1, "", ""), "the bank refused: no reason given");
	/* A secret kinko does not know: the bank's words rather than a guess. */
	assert_string_equal(says("fingerprint", 3, "", "wrong fingerprint (3 tries left)"),
	                    "the bank refused: wrong fingerprint (3 tries left)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ja_wrong_contract_pin_names_it_with_the_tries_left),
		cmocka_unit_test(ja_two_secrets_are_named_together),
		cmocka_unit_test(ja_the_last_wrong_answer_says_who_must_unlock),
		cmocka_unit_test(ja_an_unknown_secret_passes_the_banks_sentence_on),
		cmocka_unit_test_setup_teardown(c_locale_keeps_the_english_sentences, c_locale,
	                                        locale_back),
		cmocka_unit_test_setup_teardown(
			refusal_text_names_the_secret_and_says_1_try_in_the_singular, c_locale,
			locale_back),
		cmocka_unit_test_setup_teardown(refusal_without_fields_is_the_banks_sentence,
	                                        c_locale, locale_back),
	};
	return cmocka_run_group_tests(tests, ja_setup, NULL);
}
