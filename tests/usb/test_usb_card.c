/* The USB transport and the PIV card driver through an emulated kinko USB token
 * (umockdev + the real firmware): enumeration, what the token is, PIN, key generation and
 * signatures verified with OpenSSL, large objects over several URBs, and framing faults.
 * Unplug, re-plug, two tokens, hot-plug and the interface between batches are in
 * test_usb_card_plug.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "card_test_util.h"
#include "piv.h"
#include "time_test_util.h"
#include "usb_card_fixture.h"

static const uint8_t pin[] = TEST_PIN;
#define PIN_LEN (sizeof(pin) - 1)

/* ---- enumeration and identity ---- */

static void enumeration_finds_each_token_once_in_port_order(void **state)
{
	cfx *f = *state;
	uint32_t serial = 0;

	assert_int_equal(f->n, 2);
	assert_string_equal(f->tr[0]->id, "usb:1-1");
	assert_string_equal(f->tr[1]->id, "usb:1-2");
	assert_string_equal(f->tr[0]->ops->name, "usb");
	assert_true(f->tr[0]->ops->id_is_port);
	assert_int_equal(card_get_serial(&f->c[0], &serial), CARD_OK);
	assert_int_equal(serial, CFX_SERIAL_A);
	assert_int_equal(card_get_serial(&f->c[1], &serial), CARD_OK);
	assert_int_equal(serial, CFX_SERIAL_B);
}

static void enumeration_ignores_other_ids(void **state)
{
	cfx *f = *state;
	libusb_device **list;

	assert_int_equal(tr_usb_enumerate(f->ctx, TR_USB_DEFAULT_VID, 0x0001, &list), 0);
	assert_null(list[0]);
	tr_usb_list_free(list);
}

static void connect_selects_and_reads_serial_and_version(void **state)
{
	cfx *f = *state;
	uint32_t serial = 0;
	uint8_t version[3];

	assert_int_equal(card_connect(&f->c[0]), CARD_OK);
	assert_true(f->c[0].powered);
	assert_true(f->c[0].atr_len >= 2);
	assert_int_equal(card_get_serial(&f->c[0], &serial), CARD_OK);
	assert_int_equal(serial, CFX_SERIAL_A);
	assert_int_equal(card_get_version(&f->c[0], version), CARD_OK);
	assert_int_equal(version[0], TOK_VERSION_MAJOR);
}

static void verify_wrong_pin_reports_tries_then_right_pin_succeeds(void **state)
{
	cfx *f = *state;
	int tries = -1;

	assert_int_equal(card_verify_pin(&f->c[0], (const uint8_t *)"654321", 6, &tries),
	                 CARD_ERR_PIN_INCORRECT);
	assert_int_equal(tries, 2);
	assert_int_equal(card_verify_pin(&f->c[0], pin, PIN_LEN, &tries), CARD_OK);
	assert_int_equal(card_pin_status(&f->c[0], &tries), CARD_OK);
}

/* ---- keys ---- */

static void generated_ec_key_signs_and_openssl_verifies(void **state)
{
	cfx *f = *state;

	cfx_generate_and_sign(&f->c[0], PIV_KEY_AUTH, PIV_ALG_ECCP256, 0);
}

static void generated_rsa_key_signs_and_openssl_verifies(void **state)
{
	cfx *f = *state;

	cfx_generate_and_sign(&f->c[0], PIV_KEY_SIGN, PIV_ALG_RSA2048, 256);
}

/* ---- large messages and framing ---- */

static void object_of_3000_bytes_round_trips(void **state)
{
	cfx *f = *state;
	uint8_t obj[3000], *back = NULL;
	size_t len = 0;

	assert_int_equal(RAND_bytes(obj, sizeof(obj)), 1);
	assert_int_equal(card_auth_mgmt(&f->c[0], PIV_ALG_3DES, test_default_mgmt_key,
	                                sizeof(test_default_mgmt_key)),
	                 CARD_OK);
	assert_int_equal(card_put_data(&f->c[0], PIV_TAG_CERT_9E, obj, sizeof(obj)), CARD_OK);
	assert_int_equal(card_get_data(&f->c[0], PIV_TAG_CERT_9E, &back, &len), CARD_OK);
	assert_int_equal(len, sizeof(obj));
	assert_memory_equal(back, obj, sizeof(obj));
	free(back);
}

/* One APDU response, as the transport's caller sees it. */
static tr_status raw_transmit(cfx *f, uint8_t *resp, size_t cap, size_t *len)
{
	static const uint8_t get_serial[] = {0x00, 0xF8, 0x00, 0x00};

	return f->tr[0]->ops->transmit(f->tr[0], get_serial, sizeof(get_serial), resp, cap, len);
}

static void override_and_expect(cfx *f, size_t payload_len)
{
	uint8_t *payload = malloc(payload_len), *resp = malloc(APDU_MAX_RESPONSE);
	size_t len = 0;

	assert_non_null(payload);
	assert_non_null(resp);
	assert_int_equal(RAND_bytes(payload, (int)payload_len), 1);
	payload[payload_len - 2] = 0x90;
	payload[payload_len - 1] = 0x00;
	umock_token_override(f->tok[0], payload, payload_len, -1);
	assert_int_equal(raw_transmit(f, resp, APDU_MAX_RESPONSE, &len), TR_OK);
	assert_int_equal(len, payload_len);
	assert_memory_equal(resp, payload, payload_len);
	/* The exchange after it is in step (no stray bytes left behind). */
	assert_int_equal(raw_transmit(f, resp, APDU_MAX_RESPONSE, &len), TR_OK);
	assert_int_equal(len, 6);
	free(payload);
	free(resp);
}

static void reply_spread_over_several_urbs_arrives_whole(void **state)
{
	cfx *f = *state;

	assert_int_equal(card_connect(&f->c[0]), CARD_OK);
	override_and_expect(f, 40000); /* 16 KiB + 16 KiB + the rest */
}

static void reply_filling_whole_packets_is_ended_by_a_zero_length_packet(void **state)
{
	cfx *f = *state;

	assert_int_equal(card_connect(&f->c[0]), CARD_OK);
	override_and_expect(f, 16384 - 10); /* exactly one URB */
	override_and_expect(f, 128 - 10);   /* two packets, then a ZLP */
}

static void reply_shorter_than_its_dwlength_is_a_protocol_error(void **state)
{
	cfx *f = *state;
	uint8_t payload[100] = {0}, resp[300];
	size_t len = 0;

	assert_int_equal(card_connect(&f->c[0]), CARD_OK);
	umock_token_override(f->tok[0], payload, sizeof(payload), 200);
	assert_int_equal(raw_transmit(f, resp, sizeof(resp), &len), TR_ERR_PROTOCOL);
	/* The driver recovers on the next operation. */
	assert_int_equal(raw_transmit(f, resp, sizeof(resp), &len), TR_OK);
}

static void late_reply_after_a_timeout_is_not_taken_for_the_next(void **state)
{
	cfx *f = *state;
	uint8_t resp[64];
	size_t len = 0;
	uint32_t serial = 0;
	double t0;

	assert_int_equal(card_connect(&f->c[0]), CARD_OK);
	f->tr[0]->timeout_ms = 300;
	umock_token_fault(f->tok[0], 0xF8, UMOCK_FAULT_HOLD);
	t0 = tkit_now_ms();
	assert_int_equal(raw_transmit(f, resp, sizeof(resp), &len), TR_ERR_TIMEOUT);
	assert_true(tkit_now_ms() - t0 < 2000);
	umock_token_release(f->tok[0]); /* the held answer arrives late */
	assert_int_equal(card_get_version(&f->c[0], (uint8_t[3]){0}), CARD_OK);
	assert_int_equal(card_get_serial(&f->c[0], &serial), CARD_OK);
	assert_int_equal(serial, CFX_SERIAL_A);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		CFX_TEST_TWO(enumeration_finds_each_token_once_in_port_order),
		CFX_TEST_ONE(enumeration_ignores_other_ids),
		CFX_TEST_ONE(connect_selects_and_reads_serial_and_version),
		CFX_TEST_ONE(verify_wrong_pin_reports_tries_then_right_pin_succeeds),
		CFX_TEST_ONE(generated_ec_key_signs_and_openssl_verifies),
		CFX_TEST_ONE(generated_rsa_key_signs_and_openssl_verifies),
		CFX_TEST_ONE(object_of_3000_bytes_round_trips),
		CFX_TEST_ONE(reply_spread_over_several_urbs_arrives_whole),
		CFX_TEST_ONE(reply_filling_whole_packets_is_ended_by_a_zero_length_packet),
		CFX_TEST_ONE(reply_shorter_than_its_dwlength_is_a_protocol_error),
		CFX_TEST_ONE(late_reply_after_a_timeout_is_not_taken_for_the_next),
	};

	(void)argc;
	umock_bed_reexec(argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
