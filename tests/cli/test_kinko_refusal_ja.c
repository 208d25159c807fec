/* The bank's refusals of a secret in kinko's own Japanese (issue 11): which secret by the
 * manuals' term and letter, the tries left as 「残りN回」, two secrets together, the lock, and
 * a bank's sentence passed on when kinko does not know the secret; the same under "C" stays
 * English. Needs the ja_JP.UTF-8 locale and the catalogue under $KINKO_LOCALEDIR (make check
 * compiles it): skipped without them. */
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
	if (dir == NULL || snprintf(mo, sizeof mo, "%s/ja/LC_MESSAGES/kinko.mo", dir) >= (int)sizeof mo)
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
		skip();  /* no ja_JP.UTF-8 or no catalogue */
}

static void text(const char *secret, long tries, const char *locked, const char *says, char *out, size_t cap)
{
	kinko_refusal r;
	kinko_refusal_init(&r);
	snprintf(r.secret, sizeof r.secret, "%s", secret);
	r.tries_left = tries;
	snprintf(r.locked, sizeof r.locked, "%s", locked);
	kinko_refusal_text(&r, says, out, cap);
}

static void ja_wrong_contract_pin_names_it_with_the_tries_left(void **state)
{
	(void)state;
	char out[512];
	ja_or_skip();
	text("contract_pin", 4, "", "wrong contract PIN (イ); 4 tries left", out, sizeof out);
	assert_string_equal(out, "ご契約先暗証番号 (イ) が違います。残り4回");
	text("contract_pin", 1, "", NULL, out, sizeof out);
	assert_string_equal(out, "ご契約先暗証番号 (イ) が違います。残り1回");
	text("card_digits", 2, "", NULL, out, sizeof out);
	assert_string_equal(out, "ワンタイムパスワード（お客様カード） が違います。残り2回");
}

static void ja_two_secrets_are_named_together(void **state)
{
	(void)state;
	char out[512];
	ja_or_skip();
	text("user_pin,user_confirmation_pin", 3, "", NULL, out, sizeof out);
	assert_string_equal(out, "利用者暗証番号 (ト)と利用者確認暗証番号 (チ) が違います。残り3回");
}

static void ja_the_last_wrong_answer_says_who_must_unlock(void **state)
{
	(void)state;
	char out[512];
	ja_or_skip();
	text("contract_confirmation_pin", 0, "contract", NULL, out, sizeof out);
	assert_non_null(strstr(out, "ロックされています"));
	assert_non_null(strstr(out, "銀行によるロック解除が必要です"));
	text("user_confirmation_pin", 0, "", NULL, out, sizeof out);
	assert_non_null(strstr(out, "利用者確認暗証番号 (チ) が違います。残り0回"));
	assert_non_null(strstr(out, "管理者が利用者の暗証番号を登録し直す必要があります"));
	text("", -1, "user", "user locked", out, sizeof out);
	assert_null(strstr(out, "user locked"));
	assert_non_null(strstr(out, "この利用者はロックされています"));
}

static void ja_an_unknown_secret_passes_the_banks_sentence_on(void **state)
{
	(void)state;
	char out[512];
	ja_or_skip();
	text("fingerprint", 3, "", "指紋が違います", out, sizeof out);
	assert_string_equal(out, "銀行に拒否されました: 指紋が違います");
	text("", -1, "", NULL, out, sizeof out);
	assert_string_equal(out, "銀行に拒否されました: 理由の説明なし");
}

static void c_locale_keeps_the_english_sentences(void **state)
{
	(void)state;
	char out[512];
	const char *was = setlocale(LC_ALL, NULL);
	char saved[256];
	snprintf(saved, sizeof saved, "%s", was != NULL ? was : "C");
	setlocale(LC_ALL, "C");
	text("contract_pin", 4, "", NULL, out, sizeof out);
	assert_string_equal(out, "the bank refused the contract PIN (イ): 4 tries left");
	text("contract_pin", 1, "", NULL, out, sizeof out);
	assert_string_equal(out, "the bank refused the contract PIN (イ): 1 try left");
	setlocale(LC_ALL, saved);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ja_wrong_contract_pin_names_it_with_the_tries_left),
		cmocka_unit_test(ja_two_secrets_are_named_together),
		cmocka_unit_test(ja_the_last_wrong_answer_says_who_must_unlock),
		cmocka_unit_test(ja_an_unknown_secret_passes_the_banks_sentence_on),
		cmocka_unit_test(c_locale_keeps_the_english_sentences),
	};
	return cmocka_run_group_tests(tests, ja_setup, NULL);
}
