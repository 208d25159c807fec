/* The emulator as a program: provisioning, refusing to overwrite, state across restarts,
 * a corrupt or missing state, a socket in use, SIGTERM, usage errors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu_client.h"
#include "piv.h"

typedef emu_fixture fixture;

static uint8_t big[CCID_HEADER_LEN + CCID_MAX_DATA];

static void sigterm_exits_zero_and_removes_the_sockets(void **state)
{
	fixture *f = *state;
	struct stat st;
	ccid_header h;
	size_t n;

	assert_int_equal(stat(f->p.sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(emu_stop(&f->p), 0);
	assert_int_equal(access(f->p.sock, F_OK), -1);
	assert_int_equal(access(f->p.control, F_OK), -1);
	/* The client sees the connection closed. */
	assert_int_equal(emu_exchange(&f->c, CCID_PC_TO_RDR_GET_SLOT_STATUS, 0, NULL, 0, &h, big,
	                              sizeof(big), &n),
	                 -1);
}

static void second_emulator_refuses_a_socket_in_use(void **state)
{
	fixture *f = *state;
	const char *args[] = {"--state", f->p.state, "--socket", f->p.sock, NULL};
	char out[512];

	assert_int_equal(emu_run(args, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "in use"));
	assert_int_equal(emu_select(&f->c), SW_OK); /* the first one still serves, on its socket */
}

static void state_persists_across_restart(void **state)
{
	fixture *f = *state;

	assert_int_equal(emu_select(&f->c), SW_OK);
	assert_int_equal(emu_change_pin(&f->c, "123456", "87651234"), SW_OK);
	assert_int_equal(emu_fixture_restart(f), 0);
	assert_int_equal(emu_select(&f->c), SW_OK);
	assert_int_equal(emu_verify(&f->c, "123456"), SW_VERIFY_FAIL(2));
	assert_int_equal(emu_verify(&f->c, "87651234"), SW_OK);
	assert_int_equal(emu_verify(&f->c, NULL), SW_OK);
}

static void init_refuses_to_overwrite_without_force(void **state)
{
	fixture *f = *state;
	const char *serial7[] = {"--serial", "7", NULL};
	const char *forced[] = {"--serial", "7", "--force", NULL};
	char out[512];
	struct stat before, after;

	assert_int_equal(emu_init(&f->p, NULL, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "serial "));
	assert_int_equal(stat(f->p.state, &before), 0);
	assert_int_equal(emu_init(&f->p, serial7, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "--force"));
	assert_int_equal(stat(f->p.state, &after), 0);
	assert_int_equal(before.st_ino, after.st_ino); /* not replaced */
	assert_int_equal(emu_init(&f->p, forced, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "serial 7"));
}

static void provisioning_files_take_effect(void **state)
{
	fixture *f = *state;
	char pin[EMU_PATH_MAX], puk[EMU_PATH_MAX], key[EMU_PATH_MAX], out[1024];
	const char *args[] = {"--pin-file", pin,      "--puk-file",  puk, "--mgmt-key-file", key,
	                      "--mgmt-alg", "aes128", "--pin-tries", "5", "--serial",        "1234",
	                      NULL};
	static const uint8_t aes[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
	                                0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF};
	uint8_t serial[8], reset[16];
	unsigned left = 0, total = 0;
	size_t n = 0;

	snprintf(pin, sizeof(pin), "%s/pin", f->p.dir);
	snprintf(puk, sizeof(puk), "%s/puk", f->p.dir);
	snprintf(key, sizeof(key), "%s/key", f->p.dir);
	assert_int_equal(emu_write_file(pin, "24681357\n"), 0);
	assert_int_equal(emu_write_file(puk, "97531864\r\nignored\n"), 0);
	assert_int_equal(emu_write_file(key, "00112233445566778899aabbccddeefg\n"), 0);
	assert_int_equal(emu_init(&f->p, args, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "not hex"));
	assert_int_equal(access(f->p.state, F_OK), -1);
	assert_int_equal(emu_write_file(key, "00112233445566778899aabbccddeeff\n"), 0);
	assert_int_equal(emu_init(&f->p, args, out, sizeof(out)), 0);
	assert_null(strstr(out, "24681357"));
	assert_null(strstr(out, "97531864"));
	assert_null(strstr(out, "00112233"));
	assert_non_null(strstr(out, "serial 1234"));

	assert_int_equal(emu_start(&f->p, NULL), 0);
	assert_int_equal(emu_connect(&f->c, f->p.sock), 0);
	assert_int_equal(emu_power_on(&f->c, NULL, 0, NULL), 0);
	assert_int_equal(emu_select(&f->c), SW_OK);
	assert_int_equal(emu_apdu(&f->c, PIV_INS_GET_SERIAL, 0, 0, NULL, 0, false, serial,
	                          sizeof(serial), &n),
	                 SW_OK);
	assert_int_equal(n, 4);
	assert_int_equal(serial[2] << 8 | serial[3], 1234);
	assert_int_equal(emu_pin_tries(&f->c, &left, &total), 0);
	assert_int_equal(total, 5);
	assert_int_equal(emu_verify(&f->c, "123456"), SW_VERIFY_FAIL(4));
	assert_int_equal(emu_verify(&f->c, "24681357"), SW_OK);
	assert_int_not_equal(emu_auth_default_mgmt(&f->c), 0);
	assert_int_equal(emu_auth_mgmt(&f->c, PIV_ALG_AES128, aes, sizeof(aes)), 0);
	/* The PUK sets a new PIN. */
	memcpy(reset, "97531864", 8);
	memcpy(reset + 8, "11112222", 8);
	assert_int_equal(emu_apdu(&f->c, PIV_INS_RESET_RETRY, 0x00, PIV_REF_PIN, reset,
	                          sizeof(reset), false, NULL, 0, NULL),
	                 SW_OK);
	assert_int_equal(emu_verify(&f->c, "11112222"), SW_OK);
}

static void bad_or_missing_state_makes_serve_fail(void **state)
{
	fixture *f = *state;
	const char *args[] = {"--state", f->p.state, "--socket", f->p.sock, NULL};
	char out[512];
	FILE *fp;
	long size;
	int c;

	assert_int_equal(emu_run(args, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "no token state"));
	assert_int_equal(emu_init(&f->p, NULL, NULL, 0), 0);
	/* Flip one byte in the middle. */
	fp = fopen(f->p.state, "r+b");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	size = ftell(fp);
	assert_true(size > 64);
	assert_int_equal(fseek(fp, size / 2, SEEK_SET), 0);
	c = fgetc(fp);
	assert_int_equal(fseek(fp, size / 2, SEEK_SET), 0);
	fputc(c ^ 0x5A, fp);
	fclose(fp);
	assert_int_equal(emu_run(args, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "corrupt"));
	assert_int_equal(access(f->p.sock, F_OK), -1);
}

static void usage_errors_exit_2(void **state)
{
	fixture *f = *state;
	const char *no_mode[] = {"--state", f->p.state, NULL};
	const char *bad_tries[] = {"--state", f->p.state, "--init", "--pin-tries", "0", NULL};
	const char *aes_no_key[] = {"--state", f->p.state, "--init", "--mgmt-alg", "aes256", NULL};
	const char *help[] = {"--help", NULL};
	char out[4096];

	assert_int_equal(emu_run(no_mode, out, sizeof(out)), 2);
	assert_int_equal(emu_run(bad_tries, out, sizeof(out)), 2);
	assert_int_equal(emu_run(aes_no_key, out, sizeof(out)), 2);
	assert_int_equal(access(f->p.state, F_OK), -1);
	assert_int_equal(emu_run(help, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "Exit status"));
	assert_non_null(strstr(out, "010203040506070801020304050607080102030405060708"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define RUNNING(t) \
	cmocka_unit_test_setup_teardown(t, emu_fixture_setup_running, emu_fixture_teardown)
#define DIR_ONLY(t) cmocka_unit_test_setup_teardown(t, emu_fixture_setup_dir, emu_fixture_teardown)
		RUNNING(sigterm_exits_zero_and_removes_the_sockets),
		RUNNING(second_emulator_refuses_a_socket_in_use),
		RUNNING(state_persists_across_restart),
		DIR_ONLY(init_refuses_to_overwrite_without_force),
		DIR_ONLY(provisioning_files_take_effect),
		DIR_ONLY(bad_or_missing_state_makes_serve_fail),
		DIR_ONLY(usage_errors_exit_2),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
