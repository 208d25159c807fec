/* Fixture of the module tests with the PIN from a pinentry (pinentry_test_util.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "pinentry_test_util.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture_test_util.h"
#include "time_test_util.h"
#include "tmpdir_test_util.h"

static void pet_file_put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

static void pet_env(pet *x)
{
	char program[PATH_MAX], mode[PATH_MAX + 32];
	const char *build = getenv("KINKO_BUILDDIR");

	snprintf(program, sizeof(program), "%s/tests/lib/pinentry_script",
	         build && *build ? build : ".");
	snprintf(mode, sizeof(mode), "file:%s", x->script);
	setenv("KINKO_PINENTRY", program, 1);
	setenv("PINENTRY_SCRIPT", mode, 1);
	unsetenv("PINENTRY_SCRIPT_LOG");
	setenv("KINKO_CONF", x->conf, 1);
}

int pet_setup(void **state)
{
	pet *x = calloc(1, sizeof(*x));
	CK_BYTE id_9a = 0x01, id_9c = 0x02;
	CK_OBJECT_HANDLE pub;

	*state = x;
	if (!x || tkit_tmpdir_make(x->dir, sizeof(x->dir), "p11-pinentry") != 0)
		return -1;
	snprintf(x->conf, sizeof(x->conf), "%s/kinko.conf", x->dir);
	snprintf(x->script, sizeof(x->script), "%s/script", x->dir);
	pet_file_put(x->conf, PET_CONF_PINENTRY);
	pet_env(x);
	if (p11t_setup(&x->t, 1, NULL) != 0)
		return -1;
	/* A PIN passed to C_Login works as ever in this mode. */
	p11t_login(&x->t);
	p11t_generate(&x->t, 0, "P-256", &id_9a, 1, &pub, &x->priv_9a);
	p11t_generate(&x->t, 0, "P-256", &id_9c, 1, &pub, &x->priv_9c);
	assert_int_equal(x->t.f->C_Logout(x->t.session), CKR_OK);
	pet_script(x, "");
	return 0;
}

int pet_teardown(void **state)
{
	pet *x = *state;
	char cmd[PATH_MAX + 16];

	if (!x)
		return 0;
	p11t_teardown(&x->t);
	if (x->dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", x->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "# %s failed\n", cmd);
	}
	setenv("KINKO_CONF", "/dev/null", 1);
	free(x);
	return 0;
}

void pet_script(pet *x, const char *lines)
{
	char path[PATH_MAX + 32];

	pet_file_put(x->script, lines);
	snprintf(path, sizeof(path), "%s.pos", x->script);
	unlink(path);
	snprintf(path, sizeof(path), "%s.log", x->script);
	unlink(path);
}

char *pet_log(const pet *x)
{
	char path[PATH_MAX + 32];
	char *text = calloc(1, 65536);
	FILE *f;

	assert_non_null(text);
	snprintf(path, sizeof(path), "%s.log", x->script);
	f = fopen(path, "r");
	if (f) {
		size_t n = fread(text, 1, 65535, f);

		text[n] = '\0';
		fclose(f);
	}
	return text;
}

size_t pet_count(const char *text, const char *prefix)
{
	size_t n = 0, len = strlen(prefix);
	const char *s = text;

	while (s && *s) {
		if (strncmp(s, prefix, len) == 0)
			n++;
		s = strchr(s, '\n');
		if (s)
			s++;
	}
	return n;
}

static void pet_reinit_env(pet *x, const char *conf, bool scripted)
{
	CK_ULONG n = 1;

	assert_int_equal(x->t.f->C_Finalize(NULL), CKR_OK);
	pet_file_put(x->conf, conf);
	pet_env(x);
	if (!scripted)
		unsetenv("KINKO_PINENTRY");
	assert_int_equal(x->t.f->C_Initialize(NULL), CKR_OK);
	assert_int_equal(x->t.f->C_GetSlotList(CK_TRUE, x->t.slots, &n), CKR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(x->t.f->C_OpenSession(x->t.slots[0], CKF_SERIAL_SESSION | CKF_RW_SESSION,
	                                       NULL, NULL, &x->t.session),
	                 CKR_OK);
}

void pet_reinit(pet *x, const char *conf)
{
	pet_reinit_env(x, conf, true);
}

void pet_reinit_conf_program(pet *x, const char *conf)
{
	pet_reinit_env(x, conf, false);
}

CK_RV pet_sign(pet *x, CK_OBJECT_HANDLE key)
{
	return p11t_sign_once(&x->t, key);
}

CK_RV pet_sign_traced(pet *x, CK_OBJECT_HANDLE key, double *ms, char **trace)
{
	tkit_capture cap = TKIT_CAPTURE_OFF;
	double t0;
	CK_RV rv;

	tkit_capture_begin(&cap);
	t0 = tkit_now_ms();
	rv = pet_sign(x, key);
	*ms = tkit_now_ms() - t0;
	*trace = tkit_capture_end(&cap);
	return rv;
}

size_t pet_occurrences(const char *text, const char *what)
{
	size_t n = 0;

	for (text = strstr(text, what); text; text = strstr(text + 1, what))
		n++;
	return n;
}

CK_FLAGS pet_token_flags(pet *x)
{
	CK_TOKEN_INFO info;

	assert_int_equal(x->t.f->C_GetTokenInfo(x->t.slots[0], &info), CKR_OK);
	return info.flags;
}
