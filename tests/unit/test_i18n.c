/* Unit tests of common/i18n.c: the date in the user's language, the catalogue's location and a
 * plural. The Japanese cases need the ja_JP.UTF-8 locale and the build's catalogue
 * (KINKO_LOCALEDIR, set by make check); without them they are skipped, not passed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"

static const struct tm day = {.tm_year = 2027 - 1900, .tm_mon = 11, .tm_mday = 7};

static int c_setup(void **state)
{
	(void)state;
	setlocale(LC_ALL, "C");
	return 0;
}

static void date_is_iso_in_the_c_locale(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(i18n_date_format(&day, buf, sizeof buf), 10);
	assert_string_equal(buf, "2027-12-07");
}

static void date_is_japanese_under_ja(void **state)
{
	char buf[64];

	(void)state;
	if (!getenv("KINKO_LOCALEDIR") || !setlocale(LC_ALL, "ja_JP.UTF-8"))
		skip();
	i18n_date_format(&day, buf, sizeof buf);
	assert_string_equal(buf, "2027年12月7日");
}

static void date_never_overflows_a_short_buffer(void **state)
{
	char buf[5];

	(void)state;
	assert_int_equal(i18n_date_format(&day, buf, sizeof buf), 0);
	assert_string_equal(buf, "");
	assert_int_equal(i18n_date_format(&day, buf, 0), 0);
}

static void localedir_follows_the_environment(void **state)
{
	const char *saved = getenv("KINKO_LOCALEDIR");
	char *copy = saved ? strdup(saved) : NULL;

	(void)state;
	setenv("KINKO_LOCALEDIR", "/nonexistent/locale", 1);
	assert_string_equal(i18n_bind(), "/nonexistent/locale");
	unsetenv("KINKO_LOCALEDIR");
	assert_string_equal(i18n_bind(), LOCALEDIR);
	if (copy) {
		setenv("KINKO_LOCALEDIR", copy, 1);
		i18n_bind();
	}
	free(copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(date_is_iso_in_the_c_locale, c_setup),
		cmocka_unit_test(date_never_overflows_a_short_buffer),
		cmocka_unit_test(localedir_follows_the_environment),
		cmocka_unit_test(date_is_japanese_under_ja),
	};

	i18n_init(KINKO_TEXTDOMAIN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
