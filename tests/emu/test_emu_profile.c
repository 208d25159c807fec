/* The emulator's profiles (--init --profile kinko|yubikey|piv) over its real socket: which
 * instructions each kind of token answers 6D00 and which work, the profile kept in the
 * state across a restart, and the command line accepting and refusing profile names. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <unistd.h>

#include "emu_client.h"
#include "piv.h"
#include "tlv.h"

typedef emu_fixture fixture;

static const uint8_t get_chuid[] = {0x5C, 0x03, 0x5F, 0xC1, 0x02};
static const uint8_t get_admin_data[] = {0x5C, 0x03, 0x5F, 0xFF, 0x00};
static const uint8_t gen_p256[] = {0xAC, 0x03, 0x80, 0x01, PIV_ALG_ECCP256};

/* A served token of the profile (NULL: no --profile), serial 12345678, PIV selected. */
static void start_token(fixture *f, const char *profile)
{
	const char *init[] = {"--serial", "12345678", profile ? "--profile" : NULL, profile, NULL};

	assert_int_equal(emu_fixture_serve(f, init), 0);
	assert_int_equal(emu_select(&f->c), SW_OK);
}

static uint16_t plain(fixture *f, uint8_t ins, uint8_t p1, uint8_t p2, uint8_t *out, size_t cap,
                      size_t *n)
{
	return emu_apdu(&f->c, ins, p1, p2, NULL, 0, false, out, cap, n);
}

static uint16_t inventory(fixture *f)
{
	uint8_t out[1024];
	size_t n = 0;

	return plain(f, PIV_INS_GET_METADATA, 0x00, 0x00, out, sizeof(out), &n);
}

/* An extension without data answers exactly these bytes. */
static void assert_plain_answer(fixture *f, uint8_t ins, const uint8_t *want, size_t len)
{
	uint8_t out[16];
	size_t n = 0;

	assert_int_equal(plain(f, ins, 0, 0, out, sizeof(out), &n), SW_OK);
	assert_int_equal(n, len);
	assert_memory_equal(out, want, len);
}

static void assert_version_5_7_0(fixture *f)
{
	static const uint8_t want[] = {5, 7, 0};

	assert_plain_answer(f, PIV_INS_GET_VERSION, want, sizeof(want));
}

static void assert_serial_12345678(fixture *f)
{
	static const uint8_t want[] = {0x00, 0xBC, 0x61, 0x4E};

	assert_plain_answer(f, PIV_INS_GET_SERIAL, want, sizeof(want));
}

/* The management key, a P-256 key generated in 9A, then moved to 9C: MOVE KEY works. */
static void assert_generate_and_move_work(fixture *f)
{
	uint8_t out[512];
	size_t n = 0;

	assert_int_equal(emu_auth_default_mgmt(&f->c), 0);
	assert_int_equal(emu_apdu(&f->c, PIV_INS_GENERATE_KEY, 0x00, PIV_KEY_AUTH, gen_p256,
	                          sizeof(gen_p256), false, out, sizeof(out), &n),
	                 SW_OK);
	assert_int_equal(plain(f, PIV_INS_MOVE_KEY, PIV_KEY_SIGN, PIV_KEY_AUTH, NULL, 0, NULL),
	                 SW_OK);
	assert_int_equal(plain(f, PIV_INS_GET_METADATA, 0x00, PIV_KEY_SIGN, out, sizeof(out), &n),
	                 SW_OK);
	assert_int_equal(plain(f, PIV_INS_GET_METADATA, 0x00, PIV_KEY_AUTH, out, sizeof(out), &n),
	                 SW_FILE_NOT_FOUND);
}

/* What SP 800-73-4 gives every profile: data objects, PIN, management key, keygen. */
static void assert_sp800_73_works(fixture *f)
{
	uint8_t out[512];
	size_t n = 0;

	assert_int_equal(emu_apdu(&f->c, PIV_INS_GET_DATA, 0x3F, 0xFF, get_chuid, sizeof(get_chuid),
	                          false, out, sizeof(out), &n),
	                 SW_OK);
	assert_int_equal(emu_verify(&f->c, NULL), SW_VERIFY_FAIL(3));
	assert_int_equal(emu_verify(&f->c, "123456"), SW_OK);
	assert_int_equal(emu_auth_default_mgmt(&f->c), 0);
	assert_int_equal(emu_apdu(&f->c, PIV_INS_GENERATE_KEY, 0x00, PIV_KEY_KEYMGMT, gen_p256,
	                          sizeof(gen_p256), false, out, sizeof(out), &n),
	                 SW_OK);
	assert_int_equal(out[0], 0x7F);
}

static void kinko_profile_has_inventory_and_the_yubikey_extensions(void **state)
{
	fixture *f = *state;

	start_token(f, "kinko");
	assert_int_equal(inventory(f), SW_OK);
	assert_version_5_7_0(f);
	assert_serial_12345678(f);
	assert_generate_and_move_work(f);
	assert_sp800_73_works(f);
}

static void default_profile_is_kinko(void **state)
{
	fixture *f = *state;

	start_token(f, NULL);
	assert_int_equal(inventory(f), SW_OK);
	assert_version_5_7_0(f);
}

static void yubikey_profile_has_version_serial_metadata_and_move_but_no_inventory(void **state)
{
	fixture *f = *state;
	uint8_t out[256];
	size_t n = 0;

	start_token(f, "yubikey");
	assert_int_equal(inventory(f), SW_INS_NOT_SUPPORTED);
	assert_version_5_7_0(f);
	assert_serial_12345678(f);
	assert_int_equal(plain(f, PIV_INS_GET_METADATA, 0x00, PIV_REF_PIN, out, sizeof(out), &n),
	                 SW_OK);
	assert_int_equal(plain(f, PIV_INS_GET_METADATA, 0x00, PIV_KEY_CARDMGMT, out, sizeof(out),
	                       &n),
	                 SW_OK);
	assert_generate_and_move_work(f);
	assert_sp800_73_works(f);
}

static void piv_profile_answers_every_extension_6d00(void **state)
{
	static const struct {
		uint8_t ins, p1, p2;
	} ext[] = {
		{PIV_INS_GET_METADATA, 0x00, 0x00},         /* INVENTORY */
		{PIV_INS_GET_VERSION, 0x00, 0x00},          /* GET VERSION */
		{PIV_INS_GET_SERIAL, 0x00, 0x00},           /* GET SERIAL */
		{PIV_INS_GET_METADATA, 0x00, PIV_REF_PIN},  /* GET METADATA */
		{PIV_INS_GET_METADATA, 0x00, PIV_KEY_AUTH}, /* GET METADATA */
		{PIV_INS_MOVE_KEY, PIV_KEY_SIGN, PIV_KEY_AUTH},
		{PIV_INS_ATTEST, PIV_KEY_AUTH, 0x00},
		{0xFF, 0xFF, 0xFF}, /* YubiKey's SET MANAGEMENT KEY */
		{0xFB, 0x00, 0x00}, /* YubiKey's RESET */
		{0xFA, 0x03, 0x03}, /* YubiKey's SET PIN RETRIES */
		{0xFE, 0x11, 0x9A}, /* YubiKey's IMPORT KEY */
	};
	fixture *f = *state;
	uint8_t out[256];
	size_t i, n = 0;

	start_token(f, "piv");
	/* With the management key authenticated, so no 6982 could hide a working command. */
	assert_int_equal(emu_auth_default_mgmt(&f->c), 0);
	for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		uint16_t sw = plain(f, ext[i].ins, ext[i].p1, ext[i].p2, out, sizeof(out), &n);

		if (sw != SW_INS_NOT_SUPPORTED)
			fail_msg("%02X %02X %02X answered %04X, not 6D00", ext[i].ins, ext[i].p1,
			         ext[i].p2, sw);
	}
	assert_sp800_73_works(f);
}

static void piv_profile_has_no_yubikey_vendor_objects(void **state)
{
	static const uint8_t put_admin[] = {0x5C, 0x03, 0x5F, 0xFF, 0x00, 0x53,
	                                    0x05, 0x80, 0x03, 0x81, 0x01, 0x00};
	fixture *f = *state;
	uint8_t out[256];
	size_t n = 0;

	start_token(f, "piv");
	assert_int_equal(emu_auth_default_mgmt(&f->c), 0);
	assert_int_equal(emu_apdu(&f->c, PIV_INS_PUT_DATA, 0x3F, 0xFF, put_admin, sizeof(put_admin),
	                          false, NULL, 0, NULL),
	                 SW_WRONG_DATA);
	assert_int_equal(emu_apdu(&f->c, PIV_INS_GET_DATA, 0x3F, 0xFF, get_admin_data,
	                          sizeof(get_admin_data), false, out, sizeof(out), &n),
	                 SW_WRONG_DATA);
}

/* The SELECT answer tells a host what it talks to: kinko's label only on a kinko token. */
static void select_answers_each_kinds_template(void **state)
{
	static const uint8_t yubikey[] = {0x61, 0x11, 0x4F, 0x06, 0x00, 0x00, 0x10,
	                                  0x00, 0x01, 0x00, 0x79, 0x07, 0x4F, 0x05,
	                                  0xA0, 0x00, 0x00, 0x03, 0x08};
	static const char *const names[] = {"kinko", "yubikey", "piv"};
	fixture *f = *state;
	uint8_t out[256];
	size_t i, n = 0;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *init[] = {"--force", "--profile", names[i], NULL};
		tlv_item app, label, algs;

		if (i == 0)
			assert_int_equal(emu_fixture_serve(f, init), 0);
		else
			assert_int_equal(emu_fixture_reinit(f, init), 0);
		assert_int_equal(emu_apdu(&f->c, PIV_INS_SELECT, 0x04, 0x00, PIV_AID,
		                          sizeof(PIV_AID), false, out, sizeof(out), &n),
		                 SW_OK);
		assert_int_equal(tlv_parse(out, n, &app), TLV_OK);
		assert_int_equal(app.tag, 0x61);
		if (i == 1) {
			assert_int_equal(n, sizeof(yubikey));
			assert_memory_equal(out, yubikey, sizeof(yubikey));
			continue;
		}
		assert_int_equal(tlv_find(app.value, app.len, PIV_TLV_GEN_TEMPLATE, &algs), TLV_OK);
		assert_int_equal(tlv_find(app.value, app.len, 0x50, &label) == TLV_OK, i == 0);
		if (i == 0)
			assert_memory_equal(label.value, "kinko PIV", 9);
	}
}

static void profile_is_kept_in_the_state_across_a_restart(void **state)
{
	fixture *f = *state;

	start_token(f, "yubikey");
	/* Serving takes no profile: the token is what it was made. */
	assert_int_equal(emu_fixture_restart(f), 0);
	assert_int_equal(emu_select(&f->c), SW_OK);
	assert_int_equal(inventory(f), SW_INS_NOT_SUPPORTED);
	assert_version_5_7_0(f);
}

static void cli_accepts_each_profile_name(void **state)
{
	static const char *const names[] = {"kinko", "yubikey", "piv"};
	fixture *f = *state;
	char out[512];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *init[] = {"--force", "--profile", names[i], NULL};

		assert_int_equal(emu_init(&f->p, init, out, sizeof(out)), 0);
		assert_non_null(strstr(out, "serial "));
	}
}

static void cli_refuses_an_unknown_profile_with_the_names(void **state)
{
	static const char *const init[] = {"--profile", "yubico", NULL};
	fixture *f = *state;
	char out[512];

	assert_int_equal(emu_init(&f->p, init, out, sizeof(out)), 2);
	assert_non_null(strstr(out, "--profile is one of kinko, yubikey, piv"));
	assert_int_equal(access(f->p.state, F_OK), -1);
}

static void cli_refuses_profile_without_init(void **state)
{
	fixture *f = *state;
	const char *args[] = {"--state",   f->p.state, "--socket", f->p.sock,
	                      "--profile", "piv",      NULL};
	char out[512];

	assert_int_equal(emu_run(args, out, sizeof(out)), 2);
	assert_non_null(strstr(out, "provisioning options need --init"));
}

static void cli_refuses_a_pin_protected_management_key_on_a_piv_token(void **state)
{
	static const char *const init[] = {"--profile", "piv", "--pin-protected-mgmt", NULL};
	fixture *f = *state;
	char out[512];

	assert_int_equal(emu_init(&f->p, init, out, sizeof(out)), 2);
	assert_non_null(strstr(out, "not with --profile piv"));
}

int main(void)
{
#define T(t) cmocka_unit_test_setup_teardown(t, emu_fixture_setup_dir, emu_fixture_teardown)
	const struct CMUnitTest tests[] = {
		T(kinko_profile_has_inventory_and_the_yubikey_extensions),
		T(default_profile_is_kinko),
		T(yubikey_profile_has_version_serial_metadata_and_move_but_no_inventory),
		T(piv_profile_answers_every_extension_6d00),
		T(piv_profile_has_no_yubikey_vendor_objects),
		T(select_answers_each_kinds_template),
		T(profile_is_kept_in_the_state_across_a_restart),
		T(cli_accepts_each_profile_name),
		T(cli_refuses_an_unknown_profile_with_the_names),
		T(cli_refuses_profile_without_init),
		T(cli_refuses_a_pin_protected_management_key_on_a_piv_token),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
