/* The module's configuration files: KINKO_CONF (or the system file) first, then the user's
 * $XDG_CONFIG_HOME/kinko/kinko.conf (or ~/.config/kinko/kinko.conf), whose keys win; the
 * environment last. Seen through the slots the emu_socket lines give and through the
 * KINKO_DEBUG=p11 notes on lines skipped. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture_test_util.h"
#include "p11_test_util.h"
#include "tmpdir_test_util.h"

typedef struct {
	p11t t;
	char dir[PATH_MAX];
	char sys[PATH_MAX + 32];  /* the KINKO_CONF file */
	char user[PATH_MAX + 32]; /* dir/xdg/kinko/kinko.conf */
	char home_user[PATH_MAX + 64];
	char saved_sockets[4096];
} cfg_fixture;

static void file_put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

static int group_setup(void **state)
{
	cfg_fixture *x;
	char sub[PATH_MAX + 64];

	if (p11t_state_setup(state, 2, NULL, false) != 0)
		return -1;
	x = realloc(*state, sizeof(*x));
	if (!x)
		return -1;
	*state = x;
	if (tkit_tmpdir_make(x->dir, sizeof(x->dir), "p11-config") != 0)
		return -1;
	snprintf(x->sys, sizeof(x->sys), "%s/system.conf", x->dir);
	snprintf(sub, sizeof(sub), "%s/xdg", x->dir);
	mkdir(sub, 0700);
	snprintf(sub, sizeof(sub), "%s/xdg/kinko", x->dir);
	mkdir(sub, 0700);
	snprintf(x->user, sizeof(x->user), "%s/xdg/kinko/kinko.conf", x->dir);
	snprintf(sub, sizeof(sub), "%s/home", x->dir);
	mkdir(sub, 0700);
	snprintf(sub, sizeof(sub), "%s/home/.config", x->dir);
	mkdir(sub, 0700);
	snprintf(sub, sizeof(sub), "%s/home/.config/kinko", x->dir);
	mkdir(sub, 0700);
	snprintf(x->home_user, sizeof(x->home_user), "%s/home/.config/kinko/kinko.conf", x->dir);
	snprintf(x->saved_sockets, sizeof(x->saved_sockets), "%s", getenv("KINKO_EMU_SOCKETS"));
	return 0;
}

static int group_teardown(void **state)
{
	cfg_fixture *x = *state;
	char cmd[PATH_MAX + 16];

	if (x && x->dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", x->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "# %s failed\n", cmd);
	}
	return p11t_group_teardown(state);
}

/* Each test: the files gone, the environment as the fixture left it, the module finalized. */
static int test_setup(void **state)
{
	cfg_fixture *x = *state;
	char xdg[PATH_MAX + 8];

	unlink(x->sys);
	unlink(x->user);
	unlink(x->home_user);
	snprintf(xdg, sizeof(xdg), "%s/xdg", x->dir);
	setenv("XDG_CONFIG_HOME", xdg, 1);
	setenv("KINKO_CONF", x->sys, 1);
	unsetenv("KINKO_EMU_SOCKETS");
	return 0;
}

static int test_teardown(void **state)
{
	cfg_fixture *x = *state;

	(void)x->t.f->C_Finalize(NULL);
	setenv("KINKO_EMU_SOCKETS", x->saved_sockets, 1);
	setenv("KINKO_CONF", "/dev/null", 1);
	return 0;
}

/* "emu_socket = <token i's socket>" lines for the tokens listed. */
static void sockets_conf(cfg_fixture *x, const char *path, const int *which, size_t n,
                         const char *extra)
{
	char text[8192] = "";
	size_t used = 0, i;

	for (i = 0; i < n; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used, "emu_socket = %s\n",
		                         x->t.emu[which[i]].sock);
	snprintf(text + used, sizeof(text) - used, "%s", extra ? extra : "");
	file_put(path, text);
}

static CK_ULONG slots_after_initialize(cfg_fixture *x)
{
	CK_SLOT_ID slots[8];
	CK_ULONG n = 8;

	assert_int_equal(x->t.f->C_Initialize(NULL), CKR_OK);
	assert_int_equal(x->t.f->C_GetSlotList(CK_FALSE, slots, &n), CKR_OK);
	return n;
}

static void user_file_emu_sockets_replace_the_system_list(void **state)
{
	cfg_fixture *x = *state;
	const int one[] = {0}, two[] = {1, 0};

	sockets_conf(x, x->sys, one, 1, NULL);
	sockets_conf(x, x->user, two, 2, NULL);
	/* Two slots, not three: the user's lines replace the system's one. */
	assert_int_equal(slots_after_initialize(x), 2);
}

static void user_file_without_a_key_keeps_the_system_value(void **state)
{
	cfg_fixture *x = *state;
	const int both[] = {0, 1};

	sockets_conf(x, x->sys, both, 2, NULL);
	file_put(x->user, "timeout_ms = 3000\npin_source = pinentry\n");
	assert_int_equal(slots_after_initialize(x), 2);
}

static void home_config_read_when_xdg_config_home_is_unset_or_relative(void **state)
{
	cfg_fixture *x = *state;
	const int both[] = {0, 1}, one[] = {0};
	char home[PATH_MAX + 8];

	snprintf(home, sizeof(home), "%s/home", x->dir);
	setenv("HOME", home, 1);
	file_put(x->sys, "");
	sockets_conf(x, x->user, one, 1, NULL);
	sockets_conf(x, x->home_user, both, 2, NULL);
	unsetenv("XDG_CONFIG_HOME");
	assert_int_equal(slots_after_initialize(x), 2);
	assert_int_equal(x->t.f->C_Finalize(NULL), CKR_OK);
	/* The XDG rules: a relative path is ignored, as if unset. */
	setenv("XDG_CONFIG_HOME", "relative/xdg", 1);
	assert_int_equal(slots_after_initialize(x), 2);
	assert_int_equal(x->t.f->C_Finalize(NULL), CKR_OK);
	snprintf(home, sizeof(home), "%s/xdg", x->dir);
	setenv("XDG_CONFIG_HOME", home, 1);
	assert_int_equal(slots_after_initialize(x), 1);
}

static void environment_sockets_win_over_both_files(void **state)
{
	cfg_fixture *x = *state;
	const int both[] = {0, 1};

	sockets_conf(x, x->sys, both, 2, NULL);
	sockets_conf(x, x->user, both, 2, NULL);
	setenv("KINKO_EMU_SOCKETS", x->t.emu[1].sock, 1);
	assert_int_equal(slots_after_initialize(x), 1);
}

/* The pinentry keys are known: good values pass without a note, bad ones are skipped with
 * one naming the key and the file. */
static void pinentry_keys_accepted_and_bad_values_noted(void **state)
{
	cfg_fixture *x = *state;
	tkit_capture cap = TKIT_CAPTURE_OFF;
	char *text;

	file_put(x->sys, "pin_source = pinentry\npinentry = /usr/bin/pinentry-tty\n"
	                 "pinentry_cancel_seconds = 5\n");
	file_put(x->user, "pin_source = application\npinentry_cancel_seconds = 0\n");
	tkit_capture_begin(&cap);
	assert_int_equal(x->t.f->C_Initialize(NULL), CKR_OK);
	text = tkit_capture_end(&cap);
	assert_null(strstr(text, "ignored"));
	free(text);
	assert_int_equal(x->t.f->C_Finalize(NULL), CKR_OK);

	file_put(x->user, "pin_source = maybe\npinentry =\npinentry_cancel_seconds = 86401\n"
	                  "pinentry_timeout = 3\n");
	tkit_capture_begin(&cap);
	assert_int_equal(x->t.f->C_Initialize(NULL), CKR_OK);
	text = tkit_capture_end(&cap);
	assert_non_null(strstr(text, "line 1: bad value for 'pin_source'"));
	assert_non_null(strstr(text, "line 2: bad value for 'pinentry'"));
	assert_non_null(strstr(text, "line 3: bad value for 'pinentry_cancel_seconds'"));
	assert_non_null(strstr(text, "line 4: unknown key 'pinentry_timeout'"));
	assert_non_null(strstr(text, x->user));
	assert_null(strstr(text, x->sys));
	free(text);
}

#define T(name) cmocka_unit_test_setup_teardown(name, test_setup, test_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(user_file_emu_sockets_replace_the_system_list),
		T(user_file_without_a_key_keeps_the_system_value),
		T(home_config_read_when_xdg_config_home_is_unset_or_relative),
		T(environment_sockets_win_over_both_files),
		T(pinentry_keys_accepted_and_bad_values_noted),
	};

	/* Read once, at the module's first call: before any. */
	setenv("KINKO_DEBUG", "p11", 1);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
