/* YubiKey-compatible extensions: GET VERSION, GET SERIAL and GET METADATA of the PIN, the
 * PUK, the management key and the key slots; kinko's INVENTORY and its change counter. */
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

/* GET METADATA of ref answers exactly these bytes (hex). */
static void metadata_is(piv_fixture *f, uint8_t ref, const char *hex)
{
	assert_int_equal(metadata(f, ref), SW_OK);
	assert_resp(f, hex);
}

static void version_answers_the_firmwares_three_bytes(void **state)
{
	piv_fixture *f = *state;

	assert_int_equal(piv_tx(f, "00 FD 00 00 00"), SW_OK);
	assert_resp(f, "05 07 00");
	assert_int_equal(piv_tx(f, "00 FD 00 00"), SW_OK);
	assert_int_equal(f->resp_len, 3);
}

static void version_of_a_token_provisioned_by_older_firmware_is_todays(void **state)
{
	piv_fixture *f = *state;

	f->st.version[0] = 1;
	f->st.version[1] = 0;
	f->st.version[2] = 0;
	assert_int_equal(piv_tx(f, "00 FD 00 00 00"), SW_OK);
	assert_resp(f, "05 07 00");
}

static void version_and_serial_refuse_parameters_6a86(void **state)
{
	piv_fixture *f = *state;

	PIV_EACH_ANSWERS(f, SW_INCORRECT_P1P2, "00 FD 01 00 00", "00 FD 00 01 00", "00 F8 80 00 00",
	                 "00 F8 00 9A 00");
	assert_int_equal(f->resp_len, 0);
}

static void version_and_serial_refuse_data_6700(void **state)
{
	piv_fixture *f = *state;

	PIV_EACH_ANSWERS(f, SW_WRONG_LENGTH, "00 FD 00 00 01 00", "00 F8 00 00 02 00 00");
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

	metadata_is(f, PIV_REF_PIN, "01 01 FF  05 01 01  06 02 03 03");
	metadata_is(f, PIV_REF_PUK, "01 01 FF  05 01 01  06 02 03 03");
}

static void metadata_of_custom_pin_and_puk(void **state)
{
	piv_fixture *f = *state;

	metadata_is(f, PIV_REF_PIN, "01 01 FF  05 01 00  06 02 05 05");
	metadata_is(f, PIV_REF_PUK, "01 01 FF  05 01 00  06 02 04 04");
}

static void metadata_pin_tries_follow_a_wrong_verify(void **state)
{
	piv_fixture *f = *state;

	assert_int_equal(piv_tx(f, "00 20 00 80 08 36 35 34 33 32 31 FF FF"), SW_VERIFY_FAIL(2));
	metadata_is(f, PIV_REF_PIN, "01 01 FF  05 01 01  06 02 03 02");
	/* A right VERIFY restores the counter, and metadata says so. */
	piv_test_verify_pin(f, TOK_DEFAULT_PIN);
	metadata_is(f, PIV_REF_PIN, "01 01 FF  05 01 01  06 02 03 03");
}

static void metadata_must_change_pin_reports_default(void **state)
{
	piv_fixture *f = *state;

	metadata_is(f, PIV_REF_PIN, "01 01 FF  05 01 01  06 02 03 03");
}

static void metadata_of_factory_management_key(void **state)
{
	piv_fixture *f = *state;

	metadata_is(f, PIV_KEY_CARDMGMT, "01 01 03  02 02 00 01  05 01 01");
	assert_null(memmem(f->resp, f->resp_len, TOK_DEFAULT_MGMT_KEY, 8));
}

static void metadata_of_custom_management_key(void **state)
{
	piv_fixture *f = *state;

	metadata_is(f, PIV_KEY_CARDMGMT, "01 01 08  02 02 00 01  05 01 00");
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
	static const uint8_t refs[] = {0x7F, 0x96, 0x9F, 0xFF};
	piv_fixture *f = *state;
	size_t i;

	for (i = 0; i < sizeof(refs); i++)
		assert_int_equal(metadata(f, refs[i]), SW_INCORRECT_P1P2);
	assert_int_equal(piv_tx(f, "00 F7 01 80 00"), SW_INCORRECT_P1P2);
	assert_int_equal(piv_tx(f, "00 F7 00 80 01 00"), SW_WRONG_LENGTH);
}

/* ---- INVENTORY (00 F7 00 00) ---- */

static uint16_t inventory(piv_fixture *f)
{
	return piv_send_all(f, PIV_INS_GET_METADATA, 0x00, PIV_REF_INVENTORY, NULL, 0, true);
}

/* The top-level TLVs of an inventory, in order, each checked to be well formed. */
static size_t inv_items(const piv_fixture *f, tlv_item *items, size_t cap)
{
	tlv_iter it;
	tlv_item item;
	tlv_status st;
	size_t n = 0;

	tlv_iter_init(&it, f->resp, f->resp_len);
	while ((st = tlv_iter_next(&it, &item)) == TLV_OK) {
		assert_true(n < cap);
		items[n++] = item;
	}
	assert_int_equal(st, TLV_END);
	return n;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t inv_counter(piv_fixture *f)
{
	tlv_item item;

	assert_int_equal(inventory(f), SW_OK);
	assert_int_equal(tlv_find(f->resp, f->resp_len, PIV_INV_COUNTER, &item), TLV_OK);
	assert_int_equal(item.len, 4);
	return be32(item.value);
}

static void inventory_of_a_custom_token_in_its_order(void **state)
{
	piv_fixture *f = *state;
	tlv_item items[8];
	size_t n;

	assert_int_equal(inventory(f), SW_OK);
	n = inv_items(f, items, 8);
	/* serial, PIN, PUK, PIN default, counter, objects: no key yet */
	assert_int_equal(n, 6);
	assert_int_equal(items[0].tag, PIV_INV_SERIAL);
	assert_int_equal(items[0].len, 4);
	assert_int_equal(be32(items[0].value), 0x0A0B0C0D);
	assert_int_equal(items[1].tag, PIV_INV_PIN_TRIES);
	assert_int_equal(items[1].len, 2);
	assert_memory_equal(items[1].value, "\x05\x05", 2);
	assert_int_equal(items[2].tag, PIV_INV_PUK_TRIES);
	assert_memory_equal(items[2].value, "\x04\x04", 2);
	assert_int_equal(items[3].tag, PIV_INV_PIN_DEFAULT);
	assert_int_equal(items[3].len, 1);
	assert_int_equal(items[3].value[0], 0);
	assert_int_equal(items[4].tag, PIV_INV_COUNTER);
	assert_memory_equal(items[4].value, "\x00\x00\x00\x00", 4);
	assert_int_equal(items[5].tag, PIV_INV_OBJECTS);
	/* the short form the module asks with works too: it is under 256 bytes */
	assert_int_equal(piv_tx(f, "00 F7 00 00 00"), SW_OK);
}

static void inventory_lists_every_object_with_minimal_tags(void **state)
{
	piv_fixture *f = *state;
	tlv_item objs, item;
	tlv_iter it;
	size_t i = 0;

	piv_test_auth_default_mgmt(f);
	assert_int_equal(piv_tx(f, "00 DB 3F FF 0B 5C 03 5F C1 05 53 04 70 00 71 00"), SW_OK);
	assert_int_equal(inventory(f), SW_OK);
	assert_int_equal(tlv_find(f->resp, f->resp_len, PIV_INV_OBJECTS, &objs), TLV_OK);
	tlv_iter_init(&it, objs.value, objs.len);
	while (tlv_iter_next(&it, &item) == TLV_OK) {
		uint32_t tag = 0;

		assert_true(i < f->st.n_objects);
		assert_int_equal(item.tag, PIV_TLV_TAG_LIST);
		for (size_t b = 0; b < item.len; b++)
			tag = tag << 8 | item.value[b];
		assert_int_equal(tag, f->st.objects[i].tag);
		assert_int_equal(item.len, tag > 0xFFFF ? 3 : tag > 0xFF ? 2 : 1);
		i++;
	}
	assert_int_equal(i, f->st.n_objects);
	assert_non_null(memmem(objs.value, objs.len, "\x5C\x03\x5F\xC1\x05", 5));
	assert_non_null(memmem(objs.value, objs.len, "\x5C\x01\x7E", 3));
}

static void inventory_lists_keys_in_slot_order(void **state)
{
	piv_fixture *f = *state;
	EVP_PKEY *ec = piv_test_keygen(PIV_ALG_ECCP256);
	EVP_PKEY *rsa = piv_test_keygen(PIV_ALG_RSA2048);
	tlv_item items[10];
	size_t n;

	piv_test_install_key(f, PIV_KEY_RETIRED20, PIV_ALG_ECCP256, PIV_PIN_POLICY_NEVER, ec);
	piv_test_install_key(f, PIV_KEY_SIGN, PIV_ALG_RSA2048, PIV_PIN_POLICY_ALWAYS, rsa);
	assert_int_equal(inventory(f), SW_OK);
	n = inv_items(f, items, 10);
	assert_int_equal(n, 8);
	assert_int_equal(items[5].tag, PIV_INV_KEY);
	assert_int_equal(items[5].len, 13);
	assert_memory_equal(items[5].value, "\x80\x01\x9C\x01\x01\x07\x02\x02\x03\x01\x03\x01\x02",
	                    13);
	assert_int_equal(items[6].tag, PIV_INV_KEY);
	assert_memory_equal(items[6].value, "\x80\x01\x95\x01\x01\x11\x02\x02\x01\x01\x03\x01\x02",
	                    13);
	assert_int_equal(items[7].tag, PIV_INV_OBJECTS);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(rsa);
}

static void inventory_generated_key_shows_its_origin(void **state)
{
	piv_fixture *f = *state;
	tlv_item key;

	piv_test_auth_default_mgmt(f);
	assert_int_equal(piv_tx(f, "00 47 00 9E 05 AC 03 80 01 11"), SW_OK);
	assert_int_equal(inventory(f), SW_OK);
	assert_int_equal(tlv_find(f->resp, f->resp_len, PIV_INV_KEY, &key), TLV_OK);
	assert_int_equal(key.len, 13);
	assert_memory_equal(key.value, "\x80\x01\x9E\x01\x01\x11\x02\x02\x01\x01\x03\x01\x01", 13);
}

static void inventory_pin_state_follows_verify(void **state)
{
	piv_fixture *f = *state;
	tlv_item item;

	assert_int_equal(piv_tx(f, "00 20 00 80 08 36 35 34 33 32 31 FF FF"), SW_VERIFY_FAIL(2));
	assert_int_equal(inventory(f), SW_OK);
	assert_int_equal(tlv_find(f->resp, f->resp_len, PIV_INV_PIN_TRIES, &item), TLV_OK);
	assert_memory_equal(item.value, "\x03\x02", 2);
	assert_int_equal(tlv_find(f->resp, f->resp_len, PIV_INV_PIN_DEFAULT, &item), TLV_OK);
	assert_int_equal(item.value[0], 1);
	piv_test_verify_pin(f, TOK_DEFAULT_PIN);
	assert_int_equal(inventory(f), SW_OK);
	assert_int_equal(tlv_find(f->resp, f->resp_len, PIV_INV_PIN_TRIES, &item), TLV_OK);
	assert_memory_equal(item.value, "\x03\x03", 2);
}

static void inventory_must_change_pin_reports_default(void **state)
{
	piv_fixture *f = *state;
	tlv_item item;

	assert_int_equal(inventory(f), SW_OK);
	assert_int_equal(tlv_find(f->resp, f->resp_len, PIV_INV_PIN_DEFAULT, &item), TLV_OK);
	assert_int_equal(item.value[0], 1);
}

static void inventory_counter_counts_every_change(void **state)
{
	piv_fixture *f = *state;

	assert_int_equal(inv_counter(f), 0);
	piv_test_auth_default_mgmt(f);
	assert_int_equal(piv_tx(f, "00 DB 3F FF 0B 5C 03 5F C1 05 53 04 70 00 71 00"), SW_OK);
	assert_int_equal(inv_counter(f), 1);
	/* deleting an object is a change too */
	assert_int_equal(piv_tx(f, "00 DB 3F FF 07 5C 03 5F C1 05 53 00"), SW_OK);
	assert_int_equal(inv_counter(f), 2);
	assert_int_equal(piv_tx(f, "00 47 00 9A 05 AC 03 80 01 11"), SW_OK);
	assert_int_equal(inv_counter(f), 3);
	assert_int_equal(piv_tx(f, "00 F6 FF 9A"), SW_OK);
	assert_int_equal(inv_counter(f), 4);
	assert_int_equal(f->st.change_counter, 4);
}

static void inventory_counter_ignores_refused_commands_and_pins(void **state)
{
	piv_fixture *f = *state;

	/* without the management key nothing changes, nor does a PIN operation count */
	assert_int_equal(piv_tx(f, "00 DB 3F FF 0B 5C 03 5F C1 05 53 04 70 00 71 00"),
	                 SW_SECURITY_NOT_SATISFIED);
	PIV_EACH_ANSWERS(f, SW_SECURITY_NOT_SATISFIED, "00 47 00 9A 05 AC 03 80 01 11",
	                 "00 F6 FF 9A");
	piv_test_verify_pin(f, TOK_DEFAULT_PIN);
	assert_int_equal(piv_tx(f,
	                        "00 24 00 80 10 31 32 33 34 35 36 FF FF 36 35 34 33 32 31 FF FF"),
	                 SW_OK);
	piv_test_auth_default_mgmt(f);
	assert_int_equal(piv_tx(f, "00 F6 FF 9A"), SW_FILE_NOT_FOUND);
	assert_int_equal(piv_tx(f, "00 47 00 9A 05 AC 03 80 01 06"), SW_WRONG_DATA);
	assert_int_equal(inv_counter(f), 0);
}

static void inventory_counter_rolls_back_with_a_failed_save(void **state)
{
	piv_fixture *f = *state;

	PIV_EACH_UNSAVED(f, "00 DB 3F FF 0B 5C 03 5F C1 05 53 04 70 00 71 00",
	                 "00 47 00 9A 05 AC 03 80 01 11");
	assert_int_equal(inv_counter(f), 0);
	assert_null(tok_object_get(&f->st, PIV_TAG_CERT_9A));
}

static void inventory_holds_no_secret(void **state)
{
	piv_fixture *f = *state;
	EVP_PKEY *k = piv_test_keygen(PIV_ALG_ECCP256);
	const tok_key *slot = &f->st.keys[piv_key_slot_index(0x9D)];

	piv_test_install_key(f, 0x9D, PIV_ALG_ECCP256, PIV_PIN_POLICY_ONCE, k);
	assert_int_equal(inventory(f), SW_OK);
	assert_null(memmem(f->resp, f->resp_len, slot->priv_der, slot->priv_len));
	assert_null(memmem(f->resp, f->resp_len, f->st.mgmt_key, 8));
	assert_null(memmem(f->resp, f->resp_len, f->st.pin.hash, 8));
	assert_null(memmem(f->resp, f->resp_len, f->st.puk.hash, 8));
	EVP_PKEY_free(k);
}

static void inventory_refuses_p1_and_data(void **state)
{
	piv_fixture *f = *state;

	assert_int_equal(piv_tx(f, "00 F7 01 00 00"), SW_INCORRECT_P1P2);
	assert_int_equal(piv_tx(f, "00 F7 00 00 01 00"), SW_WRONG_LENGTH);
	assert_int_equal(f->resp_len, 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, piv_fixture_setup, piv_fixture_teardown)
#define T_CUSTOM(fn) cmocka_unit_test_setup_teardown(fn, setup_custom, piv_fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(version_answers_the_firmwares_three_bytes),
		T(version_of_a_token_provisioned_by_older_firmware_is_todays),
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
		T_CUSTOM(inventory_of_a_custom_token_in_its_order),
		T(inventory_lists_every_object_with_minimal_tags),
		T(inventory_lists_keys_in_slot_order),
		T(inventory_generated_key_shows_its_origin),
		T(inventory_pin_state_follows_verify),
		cmocka_unit_test_setup_teardown(inventory_must_change_pin_reports_default,
	                                        setup_must_change, piv_fixture_teardown),
		T(inventory_counter_counts_every_change),
		T(inventory_counter_ignores_refused_commands_and_pins),
		T(inventory_counter_rolls_back_with_a_failed_save),
		T(inventory_holds_no_secret),
		T(inventory_refuses_p1_and_data),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
