/* The module's pinentry client against a scripted pinentry (tests/lib/pinentry_script,
 * which logs what it received and the descriptors it was started with) and, once, against
 * the real /usr/bin/pinentry-tty on a pseudo-terminal: the PIN comes back, the commands and
 * their order, cancel, timeouts and deaths end the call, nothing leaks into the program. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mod_pinentry.h"
#include "time_test_util.h"

static char script[PATH_MAX];
static char log_path[PATH_MAX];
static char log_text[16384];

static mod_pinentry_req req_default(void)
{
	mod_pinentry_req r = {
		.program = script,
		.title = "kinko",
		.desc = "100% sure\nline two",
		.prompt = "PIN:",
		.timeout_s = 30,
		.deadline_ms = 5000,
	};
	return r;
}

static void env_clear(void)
{
	const char *vars[] = {"GPG_TTY",  "TERM",        "DISPLAY", "LC_ALL",
	                      "LC_CTYPE", "LC_MESSAGES", "LANG"};
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
		unsetenv(vars[i]);
}

static int setup(void **state)
{
	(void)state;
	unlink(log_path);
	log_text[0] = '\0';
	env_clear();
	setenv("PINENTRY_SCRIPT_LOG", log_path, 1);
	return 0;
}

static const char *log_read(void)
{
	FILE *f = fopen(log_path, "r");
	size_t n = 0;
	if (f) {
		n = fread(log_text, 1, sizeof log_text - 1, f);
		fclose(f);
	}
	log_text[n] = '\0';
	return log_text;
}

/* The received commands (the FD lines left out), one a line, in order. */
static const char *log_commands(void)
{
	static char cmds[16384];
	char *out = cmds;
	const char *s = log_read();
	while (*s) {
		const char *eol = strchr(s, '\n');
		size_t len = eol ? (size_t)(eol - s) + 1 : strlen(s);
		if (strncmp(s, "FD ", 3) != 0) {
			memcpy(out, s, len);
			out += len;
		}
		s += len;
	}
	*out = '\0';
	return cmds;
}

static mod_pinentry_result pin_ask(const mod_pinentry_req *r, const char *mode, char *pin,
                                   size_t *len)
{
	setenv("PINENTRY_SCRIPT", mode, 1);
	const char *why = NULL;
	mod_pinentry_result res = mod_pinentry_pin_get(r, pin, len, &why);
	assert_non_null(why);
	return res;
}

static void pin_comes_back_after_commands_in_order(void **state)
{
	(void)state;
	setenv("GPG_TTY", "/dev/pts/77", 1);
	setenv("TERM", "xterm-test", 1);
	setenv("DISPLAY", ":42", 1);
	setenv("LANG", "ja_JP.UTF-8", 1);
	setenv("LC_MESSAGES", "C", 1);
	mod_pinentry_req r = req_default();
	char pin[PIV_PIN_MAX + 1];
	size_t len = 99;
	/* The D line's escapes are decoded: "12%2534" is the PIN "12%34". */
	assert_int_equal(pin_ask(&r, "pin:12%2534", pin, &len), MOD_PINENTRY_OK);
	assert_int_equal(len, 5);
	assert_string_equal(pin, "12%34");
	assert_string_equal(log_commands(), "OPTION ttyname=/dev/pts/77\n"
	                                    "OPTION ttytype=xterm-test\n"
	                                    "OPTION display=:42\n"
	                                    "OPTION lc-ctype=ja_JP.UTF-8\n"
	                                    "OPTION lc-messages=C\n"
	                                    "SETTITLE kinko\n"
	                                    "SETDESC 100%25 sure%0Aline two\n"
	                                    "SETPROMPT PIN:\n"
	                                    "SETTIMEOUT 30\n"
	                                    "GETPIN\n"
	                                    "BYE\n");
}

static void options_absent_from_environment_are_not_sent(void **state)
{
	(void)state;
	/* stdin not a terminal and no GPG_TTY: no ttyname. */
	int saved = dup(STDIN_FILENO);
	int null = open("/dev/null", O_RDONLY);
	dup2(null, STDIN_FILENO);
	close(null);
	mod_pinentry_req r = req_default();
	r.title = NULL;
	r.prompt = NULL;
	r.timeout_s = 0;
	char pin[PIV_PIN_MAX + 1];
	size_t len;
	mod_pinentry_result res = pin_ask(&r, "pin:1234", pin, &len);
	dup2(saved, STDIN_FILENO);
	close(saved);
	assert_int_equal(res, MOD_PINENTRY_OK);
	assert_string_equal(log_commands(), "SETDESC 100%25 sure%0Aline two\nGETPIN\nBYE\n");
}

static void seterror_sent_on_a_retry_only_before_getpin(void **state)
{
	(void)state;
	mod_pinentry_req r = req_default();
	r.error = "wrong PIN, 2 tries left";
	char pin[PIV_PIN_MAX + 1];
	size_t len;
	assert_int_equal(pin_ask(&r, "pin:123456", pin, &len), MOD_PINENTRY_OK);
	assert_string_equal(pin, "123456");
	const char *cmds = log_commands();
	const char *err = strstr(cmds, "SETERROR wrong PIN, 2 tries left\n");
	assert_non_null(err);
	assert_non_null(strstr(err, "GETPIN\n"));
	assert_null(strstr(cmds, "SETKEYINFO"));
}

static void cancel_reported_and_pin_empty(void **state)
{
	(void)state;
	mod_pinentry_req r = req_default();
	char pin[PIV_PIN_MAX + 1];
	size_t len = 99;
	assert_int_equal(pin_ask(&r, "cancel", pin, &len), MOD_PINENTRY_CANCELLED);
	assert_int_equal(len, 0);
	assert_string_equal(pin, "");
	assert_null(strstr(log_commands(), "SETERROR"));
	assert_null(strstr(log_text, "SETKEYINFO"));
}

static void pinentry_own_timeout_reported_as_timeout(void **state)
{
	(void)state;
	mod_pinentry_req r = req_default();
	char pin[PIV_PIN_MAX + 1];
	size_t len;
	assert_int_equal(pin_ask(&r, "timeout", pin, &len), MOD_PINENTRY_TIMEOUT);
}

static void overlong_pin_refused_and_wiped(void **state)
{
	(void)state;
	mod_pinentry_req r = req_default();
	char pin[PIV_PIN_MAX + 1];
	size_t len = 99;
	memset(pin, 'x', sizeof pin);
	assert_int_equal(pin_ask(&r, "long", pin, &len), MOD_PINENTRY_FAILED);
	assert_int_equal(len, 0);
	for (size_t i = 0; i < sizeof pin; i++)
		assert_int_equal(pin[i], 0);
}

static void silent_pinentry_ends_by_the_deadline(void **state)
{
	(void)state;
	mod_pinentry_req r = req_default();
	r.deadline_ms = 1000;
	char pin[PIV_PIN_MAX + 1];
	size_t len;
	double t0 = tkit_now_ms();
	assert_int_equal(pin_ask(&r, "silent", pin, &len), MOD_PINENTRY_TIMEOUT);
	double took = tkit_now_ms() - t0;
	assert_true(took >= 900);
	assert_true(took < 4000);
}

static void pinentry_dying_mid_conversation_fails_cleanly(void **state)
{
	(void)state;
	mod_pinentry_req r = req_default();
	char pin[PIV_PIN_MAX + 1];
	size_t len;
	/* Dead at GETPIN: the BYE that would follow must not raise SIGPIPE here either. */
	assert_int_equal(pin_ask(&r, "die", pin, &len), MOD_PINENTRY_FAILED);
	assert_string_equal(pin, "");
}

static void missing_program_fails_cleanly(void **state)
{
	(void)state;
	mod_pinentry_req r = req_default();
	r.program = "/nonexistent/kinko-pinentry";
	char pin[PIV_PIN_MAX + 1];
	size_t len;
	double t0 = tkit_now_ms();
	assert_int_equal(pin_ask(&r, "pin:1234", pin, &len), MOD_PINENTRY_FAILED);
	assert_true(tkit_now_ms() - t0 < 1000);
}

static void only_the_pipes_are_open_in_the_pinentry(void **state)
{
	(void)state;
	/* A descriptor of ours without close-on-exec, which must not reach the program. */
	int stray = open("/dev/zero", O_RDONLY);
	assert_true(stray > 2);
	mod_pinentry_req r = req_default();
	char pin[PIV_PIN_MAX + 1];
	size_t len;
	mod_pinentry_result res = pin_ask(&r, "pin:1234", pin, &len);
	close(stray);
	assert_int_equal(res, MOD_PINENTRY_OK);
	const char *text = log_read();
	assert_non_null(strstr(text, "FD 0 pipe:"));
	assert_non_null(strstr(text, "FD 1 pipe:"));
	assert_non_null(strstr(text, "FD 2 /dev/null\n"));
	size_t fds = 0;
	for (const char *s = text; (s = strstr(s, "FD ")); s++)
		fds++;
	assert_int_equal(fds, 3);
}

/* The user pressed Enter on an empty field: not a failure of the pinentry. */
static void empty_pin_reported_as_empty(void **state)
{
	mod_pinentry_req r = req_default();
	char pin[PIV_PIN_MAX + 1];
	size_t len = 99;

	(void)state;
	assert_int_equal(pin_ask(&r, "pin:", pin, &len), MOD_PINENTRY_EMPTY);
	assert_int_equal(len, 0);
}

static void message_box_shown_with_its_text(void **state)
{
	(void)state;
	mod_pinentry_req r = req_default();
	r.desc = "The token is locked.\nkinko pin unblock";
	setenv("PINENTRY_SCRIPT", "pin:unused", 1);
	assert_int_equal(mod_pinentry_message_show(&r, NULL), MOD_PINENTRY_OK);
	assert_string_equal(log_commands(), "SETTITLE kinko\n"
	                                    "SETDESC The token is locked.%0Akinko pin unblock\n"
	                                    "MESSAGE\n"
	                                    "BYE\n");
}

static char trace_text[16384];

static void trace_keep(const char *line)
{
	size_t used = strlen(trace_text);

	snprintf(trace_text + used, sizeof trace_text - used, "%s\n", line);
}

/* The trace hook sees every command and answer; the D line only as "D [hidden]". */
static void trace_shows_the_conversation_with_the_pin_hidden(void **state)
{
	mod_pinentry_req r = req_default();
	char pin[PIV_PIN_MAX + 1];
	size_t len;

	(void)state;
	trace_text[0] = '\0';
	r.trace = trace_keep;
	assert_int_equal(pin_ask(&r, "pin:97531", pin, &len), MOD_PINENTRY_OK);
	assert_string_equal(pin, "97531");
	assert_non_null(strstr(trace_text, "-> SETDESC 100%25 sure%0Aline two\n<- OK\n"));
	assert_non_null(strstr(trace_text, "-> GETPIN\n<- D [hidden]\n<- OK\n-> BYE\n"));
	assert_null(strstr(trace_text, "97531"));
	trace_text[0] = '\0';
	assert_int_equal(pin_ask(&r, "cancel", pin, &len), MOD_PINENTRY_CANCELLED);
	assert_non_null(strstr(trace_text, "-> GETPIN\n<- ERR 83886179 "));
}

/* ---- the script's file mode: one line per conversation ---- */

static char file_path[PATH_MAX];

static void script_file_write(const char *text)
{
	char extra[PATH_MAX + 8];
	FILE *f = fopen(file_path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	snprintf(extra, sizeof extra, "%s.pos", file_path);
	unlink(extra);
	snprintf(extra, sizeof extra, "%s.log", file_path);
	unlink(extra);
}

static void script_file_remove(void)
{
	char extra[PATH_MAX + 8];

	unlink(file_path);
	snprintf(extra, sizeof extra, "%s.pos", file_path);
	unlink(extra);
	snprintf(extra, sizeof extra, "%s.log", file_path);
	unlink(extra);
}

static size_t count_lines_starting(const char *text, const char *prefix)
{
	size_t n = 0;
	const char *s = text;

	while (s && *s) {
		if (strncmp(s, prefix, strlen(prefix)) == 0)
			n++;
		s = strchr(s, '\n');
		if (s)
			s++;
	}
	return n;
}

static void file_mode_takes_one_line_per_run_then_cancels(void **state)
{
	mod_pinentry_req r = req_default();
	char pin[PIV_PIN_MAX + 1], mode[PATH_MAX + 8], log_file[PATH_MAX + 8];
	size_t len;
	FILE *f;
	size_t n;

	(void)state;
	unsetenv("PINENTRY_SCRIPT_LOG");
	script_file_write("pin:999999\npin:123456\n");
	snprintf(mode, sizeof mode, "file:%s", file_path);
	assert_int_equal(pin_ask(&r, mode, pin, &len), MOD_PINENTRY_OK);
	assert_string_equal(pin, "999999");
	assert_int_equal(mod_pinentry_message_show(&r, NULL), MOD_PINENTRY_OK);
	assert_int_equal(pin_ask(&r, mode, pin, &len), MOD_PINENTRY_CANCELLED);
	script_file_write("pin:999999\npin:123456\n");
	assert_int_equal(pin_ask(&r, mode, pin, &len), MOD_PINENTRY_OK);
	assert_string_equal(pin, "999999");
	assert_int_equal(pin_ask(&r, mode, pin, &len), MOD_PINENTRY_OK);
	assert_string_equal(pin, "123456");
	assert_int_equal(pin_ask(&r, mode, pin, &len), MOD_PINENTRY_CANCELLED);
	assert_int_equal(len, 0);
	/* Unset PINENTRY_SCRIPT_LOG: the log is PATH.log, every line of the three runs. */
	snprintf(log_file, sizeof log_file, "%s.log", file_path);
	f = fopen(log_file, "r");
	assert_non_null(f);
	n = fread(log_text, 1, sizeof log_text - 1, f);
	fclose(f);
	log_text[n] = '\0';
	assert_int_equal(count_lines_starting(log_text, "GETPIN"), 3);
	assert_int_equal(count_lines_starting(log_text, "BYE"), 3);
	script_file_remove();
}

/* Four runs at once take four different lines. */
static void file_mode_runs_at_once_take_different_lines(void **state)
{
	mod_pinentry_req r = req_default();
	char mode[PATH_MAX + 8], seen[4] = {0};
	pid_t kids[4];
	int i, st;

	(void)state;
	script_file_write("pin:100000\npin:200000\npin:300000\npin:400000\n");
	snprintf(mode, sizeof mode, "file:%s", file_path);
	setenv("PINENTRY_SCRIPT", mode, 1);
	for (i = 0; i < 4; i++) {
		kids[i] = fork();
		assert_true(kids[i] >= 0);
		if (kids[i] == 0) {
			char pin[PIV_PIN_MAX + 1];
			size_t len;

			if (mod_pinentry_pin_get(&r, pin, &len, NULL) != MOD_PINENTRY_OK ||
			    len != 6)
				_exit(9);
			_exit(pin[0] - '0');
		}
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(waitpid(kids[i], &st, 0), kids[i]);
		assert_true(WIFEXITED(st));
		assert_in_range(WEXITSTATUS(st), 1, 4);
		assert_int_equal(seen[WEXITSTATUS(st) - 1], 0);
		seen[WEXITSTATUS(st) - 1] = 1;
	}
	script_file_remove();
}

/* ---- the real pinentry-tty on a pseudo-terminal ---- */

typedef struct {
	int master;
	bool prompted;
} tty_user;

/* Waits for the prompt on the terminal, then types the PIN. */
static void *tty_user_type(void *arg)
{
	tty_user *u = arg;
	char seen[4096];
	size_t n = 0;
	double t0 = tkit_now_ms();
	while (tkit_now_ms() - t0 < 8000 && n < sizeof seen - 1) {
		struct pollfd p = {.fd = u->master, .events = POLLIN};
		if (poll(&p, 1, 100) <= 0)
			continue;
		ssize_t r = read(u->master, seen + n, sizeof seen - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		seen[n] = '\0';
		if (strstr(seen, "kinko PIN:")) {
			u->prompted = true;
			if (write(u->master, "24680\r", 6) != 6)
				u->prompted = false;
			break;
		}
	}
	return NULL;
}

static void pin_typed_at_real_pinentry_tty_comes_back(void **state)
{
	(void)state;
	const char *real = "/usr/bin/pinentry-tty";
	if (access(real, X_OK) != 0) {
		print_message("skipped: %s is absent (Debian package pinentry-tty)\n", real);
		skip();
	}
	int master, slave;
	char name[128];
	assert_int_equal(openpty(&master, &slave, name, NULL, NULL), 0);
	fcntl(master, F_SETFD, FD_CLOEXEC);
	fcntl(slave, F_SETFD, FD_CLOEXEC);
	setenv("GPG_TTY", name, 1);
	setenv("TERM", "dumb", 1);
	tty_user u = {.master = master};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, tty_user_type, &u), 0);
	mod_pinentry_req r = req_default();
	r.program = real;
	r.prompt = "kinko PIN:";
	r.deadline_ms = 10000;
	char pin[PIV_PIN_MAX + 1];
	size_t len;
	const char *why = NULL;
	mod_pinentry_result res = mod_pinentry_pin_get(&r, pin, &len, &why);
	pthread_join(th, NULL);
	close(slave);
	close(master);
	assert_true(u.prompted);
	assert_int_equal(res, MOD_PINENTRY_OK);
	assert_string_equal(pin, "24680");
}

int main(void)
{
	const char *build = getenv("KINKO_BUILDDIR");
	snprintf(script, sizeof script, "%s/tests/lib/pinentry_script", build ? build : ".");
	const char *tmp = getenv("TMPDIR");
	snprintf(log_path, sizeof log_path, "%s/kinko-pinentry-log-%ld", tmp && *tmp ? tmp : "/tmp",
	         (long)getpid());
	snprintf(file_path, sizeof file_path, "%s/kinko-pinentry-file-%ld",
	         tmp && *tmp ? tmp : "/tmp", (long)getpid());
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(pin_comes_back_after_commands_in_order, setup),
		cmocka_unit_test_setup(options_absent_from_environment_are_not_sent, setup),
		cmocka_unit_test_setup(seterror_sent_on_a_retry_only_before_getpin, setup),
		cmocka_unit_test_setup(cancel_reported_and_pin_empty, setup),
		cmocka_unit_test_setup(pinentry_own_timeout_reported_as_timeout, setup),
		cmocka_unit_test_setup(overlong_pin_refused_and_wiped, setup),
		cmocka_unit_test_setup(silent_pinentry_ends_by_the_deadline, setup),
		cmocka_unit_test_setup(pinentry_dying_mid_conversation_fails_cleanly, setup),
		cmocka_unit_test_setup(missing_program_fails_cleanly, setup),
		cmocka_unit_test_setup(only_the_pipes_are_open_in_the_pinentry, setup),
		cmocka_unit_test_setup(empty_pin_reported_as_empty, setup),
		cmocka_unit_test_setup(message_box_shown_with_its_text, setup),
		cmocka_unit_test_setup(trace_shows_the_conversation_with_the_pin_hidden, setup),
		cmocka_unit_test_setup(file_mode_takes_one_line_per_run_then_cancels, setup),
		cmocka_unit_test_setup(file_mode_runs_at_once_take_different_lines, setup),
		cmocka_unit_test_setup(pin_typed_at_real_pinentry_tty_comes_back, setup),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(log_path);
	return failed;
}
