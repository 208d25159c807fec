/* YubiKey-compatible extensions: GET VERSION, GET SERIAL and GET METADATA of the PIN, the
 * PUK, the management key and the key slots. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <openssl/evp.h>

#include "piv.h"
#include "piv_internal.h"
#include "piv_test_keys.h"
#include "piv_test_util.h"
#include "tlv.h"

static const uint8_t aes_key[16] = {0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6, 0x07, 0x18,
                                    0x29, 0x3A, 0x4B, 0x5C, 0x6D, 0x7E, 0x8F, 0x90};

static int setup_custom(void **state)
{
	tok_provision_opts o;

	memset(&o, 0, sizeof(o));
	o.serial = 0x0A0B0C0D;
	o.pin = "246810";
	o.puk = "13579135";
	o.pin_tries = 5;
	o.puk_tries = 4;
	o.mgmt_alg = PIV_ALG_AES128;
	o.mgmt_key = aes_key;
	o.mgmt_key_len = sizeof(aes_key);
	return piv_fixture_setup_with(state, &o, true);
}

static int setup_must_change(void **state)
{
	tok_provision_opts o;

	memset(&o, 0, sizeof(o));
	o.pin = "246810";
	o.pin_must_change = true;
	return piv_fixture_setup_with(state, &o, true);
}

/* The last response data equals the hex string. */
static void assert_resp(const piv_fixture *f, const char *hex)
{
	uint8_t want[64];
	size_t n = piv_hex_decode(hex, want, sizeof(want));

	assert_int_equal(f->resp_len, n);
	assert_memory_equal(f->resp, want, n);
}

static uint16_t metadata(piv_fixture *f, uint8_t ref)
{
	return piv_send_all(f, PIV_INS_GET_METADATA, 0x00, ref, NULL, 0, false);
}

static void version_answers_the_tokens_three_bytes(void **state)
{
	piv_fixture *f = *state;

	assert_int_equal(piv_tx(f, "00 FD 00 00 00"), SW_OK);
	assert_int_equal(f->resp_len, 3);
	assert_memory_equal(f->resp, f->st.version, 3);
	assert_int_equal(piv_tx(f, "00 FD 00 00"), SW_OK);
	assert_int_equal(f->resp_len, 3);
}

static void version_and_serial_refuse_parameters_6a86(void **state)
{
	piv_fixture *f = *state;

	assert_int_equal(piv_tx(f, "00 FD 01 00 00"), SW_INCORRECT_P1P2);
	assert_int_equal(piv_tx(f, "00 FD 00 01 00"), SW_INCORRECT_P1P2);
	assert_int_equal(piv_tx(f, "00 F8 80 00 00"), SW_INCORRECT_P1P2);
	assert_int_equal(piv_tx(f, "00 F8 00 9A 00"), SW_INCORRECT_P1P2);
	assert_int_equal(f->resp_len, 0);
}

static void version_and_serial_refuse_data_6700(void **state)
{
	piv_fixture *f = *state;

	assert_int_equal(piv_tx(f, "00 FD 00 00 01 00"), SW_WRONG_LENGTH);
	assert_int_equal(piv_tx(f, "00 F8 00 00 02 00 00"), SW_WRONG_LENGTH);
}

static void serial_is_four_bytes_big_endian(void **state)
{
	piv_fixture *f = *state;

	assert_int_equal(piv_tx(f, "00 F8 00 00 00"), SW_OK);
	assert_resp(f, "0A 0B 0C 0D");
}

static void serial_of_a_random_token_matches_its_state(void **state)
{
	piv_fixture *f = *state;
	uint32_t s = f->st.serial;
	uint8_t be[4] = {(uint8_t)(s >> 24), (uint8_t)(s >> 16), (uint8_t)(s >> 8), (uint8_t)s};

	assert_int_equal(piv_tx(f, "00 F8 00 00 00"), SW_OK);
	assert_int_equal(f->resp_len, 4);
	assert_memory_equal(f->resp, be, 4);
}

static void metadata_of_factory_pin_and_puk(void **state)
{
	piv_fixture *f = *state;

	assert_int_equal(metadata(f, PIV_REF_PIN), SW_OK);
	assert_resp(f, "01 01 FF  05 01 01  06 02 03 03");
	assert_int_equal(metadata(f, PIV_REF_PUK), SW_OK);
	assert_resp(f, "01 01 FF  05 01 01  06 02 03 03");
}

static void metadata_of_custom_pin_and_puk(void **state)
{
	piv_fixture *f = *state;

	assert_int_equal(metadata(f, PIV_REF_PIN), SW_OK);
	assert_resp(f, "01 01 FF  05 01 00  06 02 05 05");
	assert_int_equal(metadata(f, PIV_REF_PUK), SW_OK);
	assert_resp(f, "01 01 FF  05 01 00  06 02 04 04");
}

static void metadata_pin_tries_follow_a_wrong_verify(void **state)
{
	piv_fixture *f = *state;

	assert_int_equal(piv_tx(f, "00 20 00 80 08 36 35 34 33 32 31 FF FF"), SW_VERIFY_FAIL(2));
	assert_int_equal(metadata(f, PIV_REF_PIN), SW_OK);
	assert_resp(f, "01 01 FF  05 01 01  06 02 03 02");
	/* A right VERIFY restores the counter, and metadata says so. */
	piv_test_verify_pin(f, TOK_DEFAULT_PIN);
	assert_int_equal(metadata(f, PIV_REF_PIN), SW_OK);
	assert_resp(f, "01 01 FF  05 01 01  06 02 03 03");
}

static void metadata_must_change_pin_reports_default(void **state)
{
	piv_fixture *f = *state;

	assert_int_equal(metadata(f, PIV_REF_PIN), SW_OK);
	assert_resp(f, "01 01 FF  05 01 01  06 02 03 03");
}

static void metadata_of_factory_management_key(void **state)
{
	piv_fixture *f = *state;

	assert_int_equal(metadata(f, PIV_KEY_CARDMGMT), SW_OK);
	assert_resp(f, "01 01 03  02 02 00 01  05 01 01");
	assert_null(memmem(f->resp, f->resp_len, TOK_DEFAULT_MGMT_KEY, 8));
}

static void metadata_of_custom_management_key(void **state)
{
	piv_fixture *f = *state;

	assert_int_equal(metadata(f, PIV_KEY_CARDMGMT), SW_OK);
	assert_resp(f, "01 01 08  02 02 00 01  05 01 00");
}

static void metadata_of_an_imported_ec_key(void **state)
{
	piv_fixture *f = *state;
	EVP_PKEY *k = piv_test_keygen(PIV_ALG_ECCP256), *pub;
	const tok_key *slot = &f->st.keys[piv_key_slot_index(0x9D)];
	tlv_item item;

	piv_test_install_key(f, 0x9D, PIV_ALG_ECCP256, PIV_PIN_POLICY_ONCE, k);
	assert_int_equal(metadata(f, 0x9D), SW_OK);
	assert_true(f->resp_len > 9);
	/* Algorithm, policies, origin, then the public key. */
	assert_memory_equal(f->resp, "\x01\x01\x11\x02\x02\x02\x01\x03\x01\x02", 10);
	assert_int_equal(tlv_find(f->resp, f->resp_len, PIV_META_PUBKEY, &item), TLV_OK);
	assert_int_equal(item.value + item.len, f->resp + f->resp_len);
	pub = piv_test_pubkey_from_contents(PIV_ALG_ECCP256, item.value, item.len);
	assert_non_null(pub);
	assert_true(piv_test_same_public(pub, k));
	assert_null(memmem(f->resp, f->resp_len, slot->priv_der, slot->priv_len));
	EVP_PKEY_free(pub);
	EVP_PKEY_free(k);
}

static void metadata_of_an_imported_rsa_key(void **state)
{
	piv_fixture *f = *state;
	EVP_PKEY *k = piv_test_keygen(PIV_ALG_RSA2048), *pub;
	tlv_item item;

	piv_test_install_key(f, 0x9C, PIV_ALG_RSA2048, PIV_PIN_POLICY_ALWAYS, k);
	assert_int_equal(metadata(f, 0x9C), SW_OK);
	assert_memory_equal(f->resp, "\x01\x01\x07\x02\x02\x03\x01\x03\x01\x02", 10);
	assert_int_equal(tlv_find(f->resp, f->resp_len, PIV_META_PUBKEY, &item), TLV_OK);
	pub = piv_test_pubkey_from_contents(PIV_ALG_RSA2048, item.value, item.len);
	assert_non_null(pub);
	assert_true(piv_test_same_public(pub, k));
	EVP_PKEY_free(pub);
	EVP_PKEY_free(k);
}

static void metadata_of_an_empty_slot_is_not_found(void **state)
{
	piv_fixture *f = *state;

	assert_int_equal(metadata(f, 0x9A), SW_FILE_NOT_FOUND);
	assert_int_equal(metadata(f, PIV_KEY_RETIRED20), SW_FILE_NOT_FOUND);
	assert_int_equal(f->resp_len, 0);
}

static void metadata_of_unknown_references_refused_6a86(void **state)
{
	static const uint8_t refs[] = {0x00, 0x7F, 0x96, 0x9F, 0xFF};
	piv_fixture *f = *state;
	size_t i;

	for (i = 0; i < sizeof(refs); i++)
		assert_int_equal(metadata(f, refs[i]), SW_INCORRECT_P1P2);
	assert_int_equal(piv_tx(f, "00 F7 01 80 00"), SW_INCORRECT_P1P2);
	assert_int_equal(piv_tx(f, "00 F7 00 80 01 00"), SW_WRONG_LENGTH);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, piv_fixture_setup, piv_fixture_teardown)
#define T_CUSTOM(fn) cmocka_unit_test_setup_teardown(fn, setup_custom, piv_fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(version_answers_the_tokens_three_bytes),
		T(version_and_serial_refuse_parameters_6a86),
		T(version_and_serial_refuse_data_6700),
		T_CUSTOM(serial_is_four_bytes_big_endian),
		T(serial_of_a_random_token_matches_its_state),
		T(metadata_of_factory_pin_and_puk),
		T_CUSTOM(metadata_of_custom_pin_and_puk),
		T(metadata_pin_tries_follow_a_wrong_verify),
		cmocka_unit_test_setup_teardown(metadata_must_change_pin_reports_default,
		                                setup_must_change, piv_fixture_teardown),
		T(metadata_of_factory_management_key),
		T_CUSTOM(metadata_of_custom_management_key),
		T(metadata_of_an_imported_ec_key),
		T(metadata_of_an_imported_rsa_key),
		T(metadata_of_an_empty_slot_is_not_found),
		T(metadata_of_unknown_references_refused_6a86),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
