/* The USB CCID path end to end: the emulated token as a CCID-class USB device, an
 * unmodified pcscd + libccid inside the umockdev testbed (libudev hot-plug, libusb,
 * libccid and pcsc-lite drive the firmware), pcscd's driver from kinko's bundle
 * (data/pcsc/Info.plist). OpenSC's module and kinko's use the token through PC/SC; kinko's
 * libusb transport leaves the token pcscd holds alone (one slot: the reader's); unplug and
 * re-plug reach pcscd. The clients are child processes (the testbed's preload and PCSCLITE_CSOCK_NAME
 * are inherited). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "emu_client.h"
#include "p11_test_util.h"
#include "time_test_util.h"
#include "tmpdir_test_util.h"
#include "umock_pcscd.h"
#include "umock_token.h"
#include "usb_p11_fixture.h"

#include "mono.h"

#define OPENSC_MODULE "opensc-pkcs11.so"
#define READER_NAME "kinko PIV token"
#define SERIAL 0x00A0A0A0u
/* pcscd's hot-plug and libccid's start (GetSlotStatus, IccPowerOn) under a loaded machine. */
#define PCSCD_WAIT_MS 20000

typedef struct {
	umock_bed *bed;
	umock_token *tok;
	umock_pcscd pcscd;
	char dir[128];
	char conf[160];
} pfx;

/* The last lines of pcscd's log without its client chatter (winscard*), for a failure's
 * diagnosis. */
static void pfx_dump_log(const pfx *f)
{
	gchar *text = NULL;
	char **lines;
	size_t i, n, from;
	GPtrArray *kept;

	if (!f->pcscd.log[0] || !g_file_get_contents(f->pcscd.log, &text, NULL, NULL))
		return;
	lines = g_strsplit(text, "\n", -1);
	kept = g_ptr_array_new();
	for (i = 0; lines[i]; i++) {
		if (!strstr(lines[i], "winscard") && !strstr(lines[i], "SVCServiceRunLoop"))
			g_ptr_array_add(kept, lines[i]);
	}
	n = kept->len;
	from = n > 60 ? n - 60 : 0;
	for (i = from; i < n; i++)
		fprintf(stderr, "# pcscd: %s\n", (char *)g_ptr_array_index(kept, i));
	g_ptr_array_free(kept, TRUE);
	g_strfreev(lines);
	g_free(text);
}

/* The fixture of the running test, for run_logged's diagnosis. */
static const pfx *current;

static bool reader_listed(bool listed)
{
	return umock_run_until("opensc-tool -l", READER_NAME, !listed, PCSCD_WAIT_MS);
}

static int teardown(void **state);

/* cmocka runs no teardown after a failed setup: undo here. */
static int setup_failed(void **state)
{
	teardown(state);
	return -1;
}

static int setup(void **state)
{
	pfx *f = calloc(1, sizeof(*f));
	char text[128];

	*state = f;
	if (!f || !(f->bed = umock_bed_new()))
		return setup_failed(state);
	f->tok = umock_token_plug(f->bed, 1, &(tok_provision_opts){.serial = SERIAL});
	if (!f->tok || tkit_tmpdir_make(f->dir, sizeof(f->dir), "usbpcsc") != 0)
		return setup_failed(state);
	snprintf(f->conf, sizeof(f->conf), "%s/kinko.conf", f->dir);
	snprintf(text, sizeof(text), "usb = yes\nusb_vid_pid = 1209:6b6b\n");
	if (emu_write_file(f->conf, text) != 0)
		return setup_failed(state);
	setenv("KINKO_CONF", f->conf, 1);
	unsetenv("KINKO_EMU_SOCKETS");
	if (umock_pcscd_start(&f->pcscd, KINKO_PCSC_PLIST, KINKO_LIBCCID) != 0)
		return setup_failed(state);
	if (!reader_listed(true)) {
		fprintf(stderr, "# pcscd shows no reader '%s'\n", READER_NAME);
		pfx_dump_log(f);
		return setup_failed(state);
	}
	current = f;
	return 0;
}

static int teardown(void **state)
{
	pfx *f = *state;

	*state = NULL;
	current = NULL;
	if (!f)
		return 0;
	umock_pcscd_stop(&f->pcscd);
	umock_bed_free(f->bed);
	if (f->conf[0])
		unlink(f->conf);
	if (f->dir[0])
		rmdir(f->dir);
	free(f);
	return 0;
}

static int run_logged(const char *cmd, char **out)
{
	int rc = umock_run(cmd, false, out);

	if (rc != 0) {
		fprintf(stderr, "# %s: exit %d\n# %s\n", cmd, rc, *out ? *out : "");
		if (current)
			pfx_dump_log(current);
	}
	return rc;
}

/* OpenSC's PIV driver over pcscd + libccid: the reader, the card as PIV, a login. */
static void opensc_uses_the_token_through_pcscd(void **state)
{
	pfx *f = *state;
	char *out = NULL;
	unsigned long before = umock_token_messages(f->tok);

	assert_int_equal(run_logged("opensc-tool -n", &out), 0);
	assert_non_null(strstr(out, "PIV"));
	g_free(out);
	assert_int_equal(run_logged("pkcs11-tool --module " OPENSC_MODULE " -L", &out), 0);
	assert_non_null(strstr(out, READER_NAME));
	assert_non_null(strstr(out, "token label"));
	g_free(out);
	assert_int_equal(run_logged("pkcs11-tool --module " OPENSC_MODULE " -O", &out), 0);
	g_free(out);
	/* What OpenSC sent went through libccid's bulk messages to the firmware. */
	assert_true(umock_token_messages(f->tok) > before + 5);
}

/* kinko's module with USB on: the interface is pcscd's, so its libusb transport makes no
 * slot for the token and says why in its trace; the token is in one slot, its reader's. */
static void kinko_module_finds_the_token_once_through_pcsc(void **state)
{
	char cmd[512], *out = NULL, *label;

	(void)state;
	snprintf(cmd, sizeof(cmd), "KINKO_DEBUG=p11 pkcs11-tool --module '%s' -L",
	         p11t_module_path());
	assert_int_equal(umock_run(cmd, true, &out), 0);
	if (!strstr(out, "is pcscd's"))
		fprintf(stderr, "# %s\n", out);
	assert_non_null(strstr(out, "usb: token in usb:1-1 is pcscd's: reached through PC/SC"));
	assert_null(strstr(out, "kinko USB token usb:1-1"));
	assert_non_null(strstr(out, "Slot 0 (0x0): " READER_NAME " (00a0a0a0)"));
	assert_null(strstr(out, "Slot 1 "));
	label = strstr(out, "kinko PIV #10526880");
	assert_non_null(label);
	assert_null(strstr(label + 1, "kinko PIV #10526880"));
	g_free(out);
}

/* kinko's module generates a key and signs with it through pcscd and libccid (OpenSC
 * finds PIV keys by their certificates: the interop tests cover that direction). */
static void kinko_generates_and_signs_through_pcsc(void **state)
{
	pfx *f = *state;
	char cmd[768], *out = NULL;

	snprintf(cmd, sizeof(cmd),
	         "pkcs11-tool --module '%s' --login --pin 123456 --keypairgen "
	         "--key-type EC:prime256v1 --id 01",
	         p11t_module_path());
	assert_int_equal(run_logged(cmd, &out), 0);
	g_free(out);
	snprintf(cmd, sizeof(cmd),
	         "printf data | pkcs11-tool --module '%s' --login --pin 123456 --sign "
	         "-m ECDSA-SHA256 --id 01 -o '%s/sig.kinko'",
	         p11t_module_path(), f->dir);
	assert_int_equal(run_logged(cmd, &out), 0);
	g_free(out);
	snprintf(cmd, sizeof(cmd), "%s/sig.kinko", f->dir);
	assert_true(g_file_test(cmd, G_FILE_TEST_EXISTS));
	unlink(cmd);
}

/* Unplug: pcscd's reader goes away; re-plug (a new device address): it is back, and
 * OpenSC uses the token again. */
static void unplug_and_replug_reach_pcscd(void **state)
{
	pfx *f = *state;
	char *out = NULL;

	umock_token_unplug(f->tok);
	assert_true(reader_listed(false));
	assert_int_equal(umock_token_replug(f->tok), 0);
	if (!reader_listed(true))
		pfx_dump_log(f);
	assert_true(reader_listed(true));
	assert_int_equal(run_logged("pkcs11-tool --module " OPENSC_MODULE " -L", &out), 0);
	assert_non_null(strstr(out, "token label"));
	g_free(out);
}

/* The module (in this process, USB only) found the token before pcscd started: once pcscd
 * holds its interface the USB slot has no token, at once (not after a claim timeout). */
static umock_pcscd early_pcscd;

static bool claimed_within(umock_token *t, int ms)
{
	int waited;

	for (waited = 0; waited < ms && !umock_token_claimed(t); waited += 50)
		tkit_sleep_ms(50);
	return umock_token_claimed(t);
}

static int setup_module_first(void **state)
{
	return mfx_setup(state, 1, MFX_CONF_USB "pcsc = no\n", 1);
}

static int teardown_module_first(void **state)
{
	umock_pcscd_stop(&early_pcscd);
	return mfx_teardown(state);
}

static void usb_slot_loses_the_token_pcscd_takes_at_once(void **state)
{
	mfx *m = *state;
	CK_SLOT_ID usb = m->t.slots[0];
	CK_TOKEN_INFO ti;
	long long t0;

	assert_int_equal(m->t.f->C_GetTokenInfo(usb, &ti), CKR_OK);
	assert_int_equal(umock_pcscd_start(&early_pcscd, KINKO_PCSC_PLIST, KINKO_LIBCCID), 0);
	assert_true(reader_listed(true));
	assert_true(claimed_within(m->tok[0], PCSCD_WAIT_MS));
	t0 = mono_now_ms();
	assert_int_equal(m->t.f->C_GetTokenInfo(usb, &ti), CKR_TOKEN_NOT_PRESENT);
	assert_int_equal(mfx_slots(m), 0);
	assert_true(mono_now_ms() - t0 < 1000);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(opensc_uses_the_token_through_pcscd, setup,
	                                        teardown),
		cmocka_unit_test_setup_teardown(kinko_module_finds_the_token_once_through_pcsc,
	                                        setup, teardown),
		cmocka_unit_test_setup_teardown(kinko_generates_and_signs_through_pcsc, setup,
	                                        teardown),
		cmocka_unit_test_setup_teardown(unplug_and_replug_reach_pcscd, setup, teardown),
		cmocka_unit_test_setup_teardown(usb_slot_loses_the_token_pcscd_takes_at_once,
	                                        setup_module_first, teardown_module_first),
	};

	(void)argc;
	umock_bed_reexec(argv);
	if (access(UMOCK_PCSCD, X_OK) != 0 || access(KINKO_LIBCCID, R_OK) != 0) {
		printf("1..0 # SKIP pcscd or libccid (%s) not installed\n", KINKO_LIBCCID);
		return 0;
	}
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root: pcscd runs in a private mount namespace (its "
		       "drivers directory and /run/pcscd)\n");
		return 0;
	}
	if (access("/usr/bin/pkcs11-tool", X_OK) != 0 ||
	    access("/usr/bin/opensc-tool", X_OK) != 0) {
		printf("1..0 # SKIP OpenSC (pkcs11-tool, opensc-tool) not installed\n");
		return 0;
	}
	if (umock_skip_if_asan_static())
		return 0;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
