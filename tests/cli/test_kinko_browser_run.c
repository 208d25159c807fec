/* kinko_browser_nss_run, the way kinko browser runs modutil and certutil: stdout and stderr
 * captured apart, the exit status returned, arguments passed as they are (no shell), stdin
 * at end of file, a program that is not installed told apart (ENOENT), a program that
 * hangs killed at the timeout (also one that closed its output first), a large output whole. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "kinko_browser.h"

static double run_seconds(const char *const argv[], int *rc, char **out, char *err, size_t cap,
                          unsigned timeout_s)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	*rc = kinko_browser_nss_run(argv, out, err, cap, timeout_s);
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
}

static void test_stdout_stderr_and_status_apart(void **state)
{
	const char *argv[] = {"sh", "-c", "echo out; echo 'the tool: failed' >&2; exit 3", NULL};
	char err[128], *out = NULL;
	int rc;

	(void)state;
	run_seconds(argv, &rc, &out, err, sizeof err, 10);
	assert_int_equal(rc, 3);
	assert_string_equal(out, "out\n");
	assert_string_equal(err, "the tool: failed");
	free(out);
}

static void test_arguments_reach_the_program_as_they_are(void **state)
{
	const char *arg = "a;b $(id) `id` 'c' \"d\" *";
	const char *argv[] = {"printf", "%s", arg, NULL};
	char err[64], *out = NULL;
	int rc;

	(void)state;
	run_seconds(argv, &rc, &out, err, sizeof err, 10);
	assert_int_equal(rc, 0);
	assert_string_equal(out, arg);
	free(out);
}

static void test_stdin_is_at_end_of_file(void **state)
{
	const char *argv[] = {"cat", NULL};
	char err[64], *out = NULL;
	int rc;

	(void)state;
	assert_true(run_seconds(argv, &rc, &out, err, sizeof err, 5) < 4.0);
	assert_int_equal(rc, 0);
	assert_string_equal(out, "");
	free(out);
}

static void test_a_program_not_installed_is_enoent(void **state)
{
	const char *argv[] = {"kinko-no-such-tool", "-L", NULL};
	char err[64], *out = NULL;
	int rc;

	(void)state;
	errno = 0;
	run_seconds(argv, &rc, &out, err, sizeof err, 5);
	assert_int_equal(rc, -1);
	assert_int_equal(errno, ENOENT);
	free(out);
}

/* argv still runs after 1 s: -2, within a few seconds, not when it would have ended. */
static void assert_killed_at_one_second(const char *const argv[])
{
	char err[64], *out = NULL;
	double s;
	int rc;

	s = run_seconds(argv, &rc, &out, err, sizeof err, 1);
	assert_int_equal(rc, -2);
	assert_true(s >= 0.9 && s < 5.0);
	free(out);
}

static void test_a_hanging_program_is_killed_at_the_timeout(void **state)
{
	const char *argv[] = {"sleep", "30", NULL};

	(void)state;
	assert_killed_at_one_second(argv);
}

static void test_a_program_hanging_after_closing_its_output_is_killed(void **state)
{
	const char *argv[] = {"sh", "-c", "exec >&- 2>&-; sleep 30", NULL};

	(void)state;
	assert_killed_at_one_second(argv);
}

static void test_a_large_output_is_kept_whole(void **state)
{
	const char *argv[] = {"sh", "-c", "yes certutil | head -c 1000000", NULL};
	char err[64], *out = NULL;
	int rc;

	(void)state;
	run_seconds(argv, &rc, &out, err, sizeof err, 20);
	assert_int_equal(rc, 0);
	assert_non_null(out);
	assert_int_equal(strlen(out), 1000000);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stdout_stderr_and_status_apart),
		cmocka_unit_test(test_arguments_reach_the_program_as_they_are),
		cmocka_unit_test(test_stdin_is_at_end_of_file),
		cmocka_unit_test(test_a_program_not_installed_is_enoent),
		cmocka_unit_test(test_a_hanging_program_is_killed_at_the_timeout),
		cmocka_unit_test(test_a_program_hanging_after_closing_its_output_is_killed),
		cmocka_unit_test(test_a_large_output_is_kept_whole),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
