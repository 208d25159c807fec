/* The applet as foreign PIV tools drive it, APDU by APDU over the emulator's socket:
 * SELECT by the RID and other partial AIDs, a failed SELECT that leaves the PIV selection
 * and its security state alone (yubico-piv-tool selects Yubico's other applets in between),
 * GENERAL AUTHENTICATE with algorithm reference 00 (3-key TDEA in SP 800-78-4, as OpenSC
 * sends it), and the version GET VERSION reports. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <openssl/evp.h>

#include "emu_client.h"
#include "piv.h"
#include "tlv.h"

typedef emu_fixture fixture;

/* Yubico's OTP and management applets: yubico-piv-tool selects them on a PIV token. */
static const uint8_t yubico_otp_aid[] = {0xA0, 0x00, 0x00, 0x05, 0x27, 0x20, 0x01, 0x01};
static const uint8_t yubico_mgmt_aid[] = {0xA0, 0x00, 0x00, 0x05, 0x27, 0x47, 0x11, 0x17};
static const uint8_t factory_key[24] = {1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4,
                                        5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8};
static const uint8_t get_discovery[] = {0x5C, 0x01, 0x7E};

static uint8_t sel_out[256]; /* the last SELECT's answer */
static size_t sel_len;

static uint16_t select_aid(fixture *f, const uint8_t *aid, size_t len)
{
	return emu_apdu(&f->c, PIV_INS_SELECT, 0x04, 0x00, aid, len, false, sel_out,
	                sizeof(sel_out), &sel_len);
}

static uint16_t read_discovery(fixture *f)
{
	uint8_t out[256];
	size_t n = 0;

	return emu_apdu(&f->c, PIV_INS_GET_DATA, 0x3F, 0xFF, get_discovery, sizeof(get_discovery),
	                false, out, sizeof(out), &n);
}

/* PUT DATA of the Key History object: needs the management key. */
static uint16_t write_key_history(fixture *f)
{
	static const uint8_t put[] = {0x5C, 0x03, 0x5F, 0xC1, 0x0C, 0x53, 0x06,
	                              0xC1, 0x01, 0x00, 0xC2, 0x01, 0x00};

	return emu_apdu(&f->c, PIV_INS_PUT_DATA, 0x3F, 0xFF, put, sizeof(put), false, NULL, 0,
	                NULL);
}

/* A served token provisioned with the extra --init options (NULL: factory defaults). */
static void start_token(fixture *f, const char *const *init)
{
	assert_int_equal(emu_fixture_serve(f, init), 0);
}

/* ---- SELECT ---------------------------------------------------------------------------- */

static void select_by_the_five_byte_rid_selects_piv(void **state)
{
	fixture *f = *state;

	start_token(f, NULL);
	assert_int_equal(select_aid(f, PIV_AID, 5), SW_OK);
	assert_true(sel_len > 2);
	assert_int_equal(sel_out[0], 0x61);
	assert_int_equal(read_discovery(f), SW_OK);
}

static void select_by_every_prefix_of_the_aid_from_the_rid_on_selects_piv(void **state)
{
	fixture *f = *state;
	size_t len;

	start_token(f, NULL);
	for (len = 5; len <= sizeof(PIV_AID); len++) {
		/* Power-cycle so each length has to select on its own. */
		assert_int_equal(emu_power_on(&f->c, NULL, 0, NULL), 0);
		assert_int_equal(read_discovery(f), SW_INS_NOT_SUPPORTED);
		assert_int_equal(select_aid(f, PIV_AID, len), SW_OK);
		assert_int_equal(read_discovery(f), SW_OK);
	}
}

static void select_of_less_than_the_rid_or_a_longer_or_other_aid_is_6a82(void **state)
{
	fixture *f = *state;
	uint8_t longer[sizeof(PIV_AID) + 1], other[sizeof(PIV_AID)];

	memcpy(longer, PIV_AID, sizeof(PIV_AID));
	longer[sizeof(PIV_AID)] = 0x00;
	memcpy(other, PIV_AID, sizeof(PIV_AID));
	other[7] ^= 0x01;
	start_token(f, NULL);
	assert_int_equal(select_aid(f, PIV_AID, 4), SW_FILE_NOT_FOUND);
	assert_int_equal(select_aid(f, longer, sizeof(longer)), SW_FILE_NOT_FOUND);
	assert_int_equal(select_aid(f, other, sizeof(other)), SW_FILE_NOT_FOUND);
	assert_int_equal(select_aid(f, other, 8), SW_FILE_NOT_FOUND);
	/* Nothing was selected by any of them. */
	assert_int_equal(read_discovery(f), SW_INS_NOT_SUPPORTED);
}

static void failed_select_of_yubico_applets_keeps_piv_and_its_security_state(void **state)
{
	fixture *f = *state;

	start_token(f, NULL);
	assert_int_equal(emu_select(&f->c), SW_OK);
	assert_int_equal(emu_verify(&f->c, "123456"), SW_OK);
	assert_int_equal(emu_auth_default_mgmt(&f->c), 0);

	assert_int_equal(select_aid(f, yubico_otp_aid, sizeof(yubico_otp_aid)), SW_FILE_NOT_FOUND);
	assert_int_equal(select_aid(f, yubico_mgmt_aid, sizeof(yubico_mgmt_aid)),
	                 SW_FILE_NOT_FOUND);

	/* Still PIV, the PIN still verified, the management key still authenticated. */
	assert_int_equal(read_discovery(f), SW_OK);
	assert_int_equal(emu_verify(&f->c, NULL), SW_OK);
	assert_int_equal(write_key_history(f), SW_OK);
}

static void failed_select_before_piv_leaves_nothing_selected(void **state)
{
	fixture *f = *state;

	start_token(f, NULL);
	assert_int_equal(select_aid(f, yubico_otp_aid, sizeof(yubico_otp_aid)), SW_FILE_NOT_FOUND);
	assert_int_equal(read_discovery(f), SW_INS_NOT_SUPPORTED);
}

static void select_of_piv_again_still_clears_the_security_state(void **state)
{
	fixture *f = *state;

	start_token(f, NULL);
	assert_int_equal(emu_select(&f->c), SW_OK);
	assert_int_equal(emu_verify(&f->c, "123456"), SW_OK);
	assert_int_equal(select_aid(f, PIV_AID, 5), SW_OK);
	assert_int_equal(emu_verify(&f->c, NULL), SW_VERIFY_FAIL(3));
}

/* ---- GENERAL AUTHENTICATE with algorithm reference 00 ------------------------------------ */

static void opensc_challenge_with_algorithm_00_is_answered(void **state)
{
	fixture *f = *state;
	/* OpenSC's C_GenerateRandom, byte for byte. */
	static const uint8_t apdu[] = {0x00, 0x87, 0x00, 0x9B, 0x04, 0x7C, 0x02, 0x81, 0x00};
	uint8_t resp[64];
	size_t n = 0;
	tlv_item outer, chal;

	start_token(f, NULL);
	assert_int_equal(emu_select(&f->c), SW_OK);
	assert_int_equal(emu_transmit(&f->c, apdu, sizeof(apdu), resp, sizeof(resp), &n), 0);
	assert_true(n >= 2);
	assert_int_equal(resp[n - 2] << 8 | resp[n - 1], SW_OK);
	assert_int_equal(tlv_parse(resp, n - 2, &outer), TLV_OK);
	assert_int_equal(outer.tag, PIV_TLV_DYN_AUTH);
	assert_int_equal(tlv_find(outer.value, outer.len, PIV_TLV_CHALLENGE, &chal), TLV_OK);
	assert_int_equal(chal.len, 8);
}

static int tdes_block(const uint8_t in[8], uint8_t out[8])
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, ok;

	ok = ctx && EVP_EncryptInit_ex2(ctx, EVP_des_ede3_ecb(), factory_key, NULL, NULL) == 1 &&
	     EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
	     EVP_EncryptUpdate(ctx, out, &n, in, 8) == 1 && n == 8;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -1;
}

static void external_authentication_with_algorithm_00_authenticates(void **state)
{
	fixture *f = *state;
	static const uint8_t ask[] = {0x7C, 0x02, 0x81, 0x00};
	uint8_t out[64], answer[12] = {0x7C, 0x0A, 0x82, 0x08};
	size_t n = 0;
	tlv_item outer, chal;

	start_token(f, NULL);
	assert_int_equal(emu_select(&f->c), SW_OK);
	assert_int_equal(write_key_history(f), SW_SECURITY_NOT_SATISFIED);
	assert_int_equal(emu_apdu(&f->c, PIV_INS_GENERAL_AUTH, 0x00, PIV_KEY_CARDMGMT, ask,
	                          sizeof(ask), false, out, sizeof(out), &n),
	                 SW_OK);
	assert_int_equal(tlv_parse(out, n, &outer), TLV_OK);
	assert_int_equal(tlv_find(outer.value, outer.len, PIV_TLV_CHALLENGE, &chal), TLV_OK);
	assert_int_equal(chal.len, 8);
	assert_int_equal(tdes_block(chal.value, answer + 4), 0);
	assert_int_equal(emu_apdu(&f->c, PIV_INS_GENERAL_AUTH, 0x00, PIV_KEY_CARDMGMT, answer,
	                          sizeof(answer), false, NULL, 0, NULL),
	                 SW_OK);
	assert_int_equal(write_key_history(f), SW_OK);
}

static void mutual_authentication_with_algorithm_00_authenticates(void **state)
{
	fixture *f = *state;

	start_token(f, NULL);
	assert_int_equal(emu_select(&f->c), SW_OK);
	assert_int_equal(emu_auth_mgmt_p1(&f->c, 0x00, PIV_ALG_3DES, factory_key,
	                                  sizeof(factory_key)),
	                 0);
	assert_int_equal(write_key_history(f), SW_OK);
}

static void algorithm_00_on_an_aes_management_key_is_6a86(void **state)
{
	fixture *f = *state;
	static const char *const init[] = {"--mgmt-alg", "aes192", NULL};
	static const uint8_t ask[] = {0x7C, 0x02, 0x81, 0x00};

	start_token(f, init);
	assert_int_equal(emu_select(&f->c), SW_OK);
	/* 00 names 3-key TDEA only: it is no wildcard for the key's own algorithm. */
	assert_int_equal(emu_apdu(&f->c, PIV_INS_GENERAL_AUTH, 0x00, PIV_KEY_CARDMGMT, ask,
	                          sizeof(ask), false, NULL, 0, NULL),
	                 SW_INCORRECT_P1P2);
	assert_int_equal(emu_auth_mgmt(&f->c, PIV_ALG_AES192, factory_key, sizeof(factory_key)), 0);
}

/* ---- GET VERSION ---------------------------------------------------------------------- */

static void get_version_reports_5_7_0_for_yubico_tools(void **state)
{
	fixture *f = *state;
	static const uint8_t want[] = {5, 7, 0};
	uint8_t out[16];
	size_t n = 0;

	start_token(f, NULL);
	assert_int_equal(emu_select(&f->c), SW_OK);
	assert_int_equal(emu_apdu(&f->c, PIV_INS_GET_VERSION, 0, 0, NULL, 0, false, out,
	                          sizeof(out), &n),
	                 SW_OK);
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
}

int main(void)
{
#define T(t) cmocka_unit_test_setup_teardown(t, emu_fixture_setup_dir, emu_fixture_teardown)
	const struct CMUnitTest tests[] = {
		T(select_by_the_five_byte_rid_selects_piv),
		T(select_by_every_prefix_of_the_aid_from_the_rid_on_selects_piv),
		T(select_of_less_than_the_rid_or_a_longer_or_other_aid_is_6a82),
		T(failed_select_of_yubico_applets_keeps_piv_and_its_security_state),
		T(failed_select_before_piv_leaves_nothing_selected),
		T(select_of_piv_again_still_clears_the_security_state),
		T(opensc_challenge_with_algorithm_00_is_answered),
		T(external_authentication_with_algorithm_00_authenticates),
		T(mutual_authentication_with_algorithm_00_authenticates),
		T(algorithm_00_on_an_aes_management_key_is_6a86),
		T(get_version_reports_5_7_0_for_yubico_tools),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
