/* The USB transport and the PIV card driver through an emulated kinko USB token
 * (umockdev + the real firmware): enumeration, what the token is, PIN, key generation and
 * signatures verified with OpenSSL, large objects over several URBs, framing faults,
 * unplug during an operation, re-plug, two tokens at once, hot-plug events, and the
 * interface being free between operation batches. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libusb.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "card.h"
#include "card_test_util.h"
#include "piv.h"
#include "transport.h"
#include "umock_token.h"
#include "usb_hotplug.h"

static const uint8_t pin[] = "123456";
#define PIN_LEN 6u
#define SERIAL_A 0x01020304u
#define SERIAL_B 0x0A0B0C0Du

typedef struct {
	umock_bed *bed;
	umock_token *tok[2];
	libusb_context *ctx;
	tr_transport *tr[2];
	card c[2];
	size_t n;
} fx;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static umock_token *plug(fx *f, unsigned port, uint32_t serial)
{
	tok_provision_opts o = {.serial = serial};

	return umock_token_plug(f->bed, port, &o);
}

/* Transports and cards for every token found, in port order. */
static int fx_bind(fx *f)
{
	libusb_device **list;
	int n, i;

	n = tr_usb_enumerate(f->ctx, TR_USB_DEFAULT_VID, TR_USB_DEFAULT_PID, &list);
	if (n < 0 || n > 2) {
		tr_usb_list_free(list);
		return -1;
	}
	for (i = 0; i < n; i++) {
		f->tr[i] = tr_usb_new(f->ctx, list[i]);
		if (!f->tr[i])
			break;
		card_init(&f->c[i], f->tr[i]);
	}
	tr_usb_list_free(list);
	f->n = (size_t)i;
	return i == n ? 0 : -1;
}

static int fx_start(void **state, size_t tokens)
{
	fx *f = calloc(1, sizeof(*f));

	*state = f;
	if (!f || !(f->bed = umock_bed_new()))
		return -1;
	/* Port 2 first: the enumeration must sort by port, not by plug order. */
	if (tokens == 2 && !(f->tok[1] = plug(f, 2, SERIAL_B)))
		return -1;
	if (!(f->tok[0] = plug(f, 1, SERIAL_A)))
		return -1;
	if (libusb_init(&f->ctx) != 0)
		return -1;
	return fx_bind(f);
}

static int setup_one(void **state)
{
	return fx_start(state, 1);
}

static int setup_two(void **state)
{
	return fx_start(state, 2);
}

static int teardown(void **state)
{
	fx *f = *state;
	size_t i;

	if (!f)
		return 0;
	for (i = 0; i < 2; i++) {
		if (f->tr[i]) {
			card_cleanup(&f->c[i]);
			f->tr[i]->ops->destroy(f->tr[i]);
		}
	}
	if (f->ctx)
		libusb_exit(f->ctx);
	umock_bed_free(f->bed);
	free(f);
	return 0;
}

/* ---- enumeration and identity ---- */

static void enumeration_finds_each_token_once_in_port_order(void **state)
{
	fx *f = *state;
	uint32_t serial = 0;

	assert_int_equal(f->n, 2);
	assert_string_equal(f->tr[0]->id, "usb:1-1");
	assert_string_equal(f->tr[1]->id, "usb:1-2");
	assert_string_equal(f->tr[0]->ops->name, "usb");
	assert_true(f->tr[0]->ops->id_is_port);
	assert_int_equal(card_get_serial(&f->c[0], &serial), CARD_OK);
	assert_int_equal(serial, SERIAL_A);
	assert_int_equal(card_get_serial(&f->c[1], &serial), CARD_OK);
	assert_int_equal(serial, SERIAL_B);
}

static void enumeration_ignores_other_ids(void **state)
{
	fx *f = *state;
	libusb_device **list;

	assert_int_equal(tr_usb_enumerate(f->ctx, TR_USB_DEFAULT_VID, 0x0001, &list), 0);
	assert_null(list[0]);
	tr_usb_list_free(list);
}

static void connect_selects_and_reads_serial_and_version(void **state)
{
	fx *f = *state;
	uint32_t serial = 0;
	uint8_t version[3];

	assert_int_equal(card_connect(&f->c[0]), CARD_OK);
	assert_true(f->c[0].powered);
	assert_true(f->c[0].atr_len >= 2);
	assert_int_equal(card_get_serial(&f->c[0], &serial), CARD_OK);
	assert_int_equal(serial, SERIAL_A);
	assert_int_equal(card_get_version(&f->c[0], version), CARD_OK);
	assert_int_equal(version[0], TOK_VERSION_MAJOR);
}

static void verify_wrong_pin_reports_tries_then_right_pin_succeeds(void **state)
{
	fx *f = *state;
	int tries = -1;

	assert_int_equal(card_verify_pin(&f->c[0], (const uint8_t *)"654321", 6, &tries),
	                 CARD_ERR_PIN_INCORRECT);
	assert_int_equal(tries, 2);
	assert_int_equal(card_verify_pin(&f->c[0], pin, PIN_LEN, &tries), CARD_OK);
	assert_int_equal(card_pin_status(&f->c[0], &tries), CARD_OK);
}

/* ---- keys ---- */

static void generate_and_sign(card *c, uint8_t slot, uint8_t alg, size_t mod_len)
{
	uint8_t pub[1024], digest[32], block[512], sig[512];
	size_t pub_len = 0, sig_len = 0, in_len = sizeof(digest);
	EVP_PKEY *pkey;

	assert_int_equal(card_auth_mgmt(c, PIV_ALG_3DES, test_default_mgmt_key,
	                                sizeof(test_default_mgmt_key)), CARD_OK);
	assert_int_equal(card_generate(c, slot, alg, 0, pub, sizeof(pub), &pub_len), CARD_OK);
	pkey = test_pubkey_from_7f49(alg, pub, pub_len);
	assert_non_null(pkey);
	assert_int_equal(card_verify_pin(c, pin, PIN_LEN, NULL), CARD_OK);
	assert_int_equal(RAND_bytes(digest, sizeof(digest)), 1);
	memcpy(block, digest, sizeof(digest));
	if (mod_len) {
		assert_int_equal(test_pkcs1_sha256_block(digest, block, mod_len), 0);
		in_len = mod_len;
	}
	assert_int_equal(card_sign(c, slot, alg, block, in_len, sig, sizeof(sig), &sig_len), CARD_OK);
	assert_true(test_verify_digest(pkey, digest, sig, sig_len));
	EVP_PKEY_free(pkey);
}

static void generated_ec_key_signs_and_openssl_verifies(void **state)
{
	fx *f = *state;

	generate_and_sign(&f->c[0], PIV_KEY_AUTH, PIV_ALG_ECCP256, 0);
}

static void generated_rsa_key_signs_and_openssl_verifies(void **state)
{
	fx *f = *state;

	generate_and_sign(&f->c[0], PIV_KEY_SIGN, PIV_ALG_RSA2048, 256);
}

/* ---- large messages and framing ---- */

static void object_of_3000_bytes_round_trips(void **state)
{
	fx *f = *state;
	uint8_t obj[3000], *back = NULL;
	size_t len = 0;

	assert_int_equal(RAND_bytes(obj, sizeof(obj)), 1);
	assert_int_equal(card_auth_mgmt(&f->c[0], PIV_ALG_3DES, test_default_mgmt_key,
	                                sizeof(test_default_mgmt_key)), CARD_OK);
	assert_int_equal(card_put_data(&f->c[0], PIV_TAG_CERT_9E, obj, sizeof(obj)), CARD_OK);
	assert_int_equal(card_get_data(&f->c[0], PIV_TAG_CERT_9E, &back, &len), CARD_OK);
	assert_int_equal(len, sizeof(obj));
	assert_memory_equal(back, obj, sizeof(obj));
	free(back);
}

/* One APDU response, as the transport's caller sees it. */
static tr_status raw_transmit(fx *f, uint8_t *resp, size_t cap, size_t *len)
{
	static const uint8_t get_serial[] = {0x00, 0xF8, 0x00, 0x00};

	return f->tr[0]->ops->transmit(f->tr[0], get_serial, sizeof(get_serial), resp, cap, len);
}

static void override_and_expect(fx *f, size_t payload_len)
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
	fx *f = *state;

	assert_int_equal(card_connect(&f->c[0]), CARD_OK);
	override_and_expect(f, 40000);   /* 16 KiB + 16 KiB + the rest */
}

static void reply_filling_whole_packets_is_ended_by_a_zero_length_packet(void **state)
{
	fx *f = *state;

	assert_int_equal(card_connect(&f->c[0]), CARD_OK);
	override_and_expect(f, 16384 - 10);   /* exactly one URB */
	override_and_expect(f, 128 - 10);     /* two packets, then a ZLP */
}

static void reply_shorter_than_its_dwlength_is_a_protocol_error(void **state)
{
	fx *f = *state;
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
	fx *f = *state;
	uint8_t resp[64];
	size_t len = 0;
	uint32_t serial = 0;
	long long t0;

	assert_int_equal(card_connect(&f->c[0]), CARD_OK);
	f->tr[0]->timeout_ms = 300;
	umock_token_fault(f->tok[0], 0xF8, UMOCK_FAULT_HOLD);
	t0 = now_ms();
	assert_int_equal(raw_transmit(f, resp, sizeof(resp), &len), TR_ERR_TIMEOUT);
	assert_true(now_ms() - t0 < 2000);
	umock_token_release(f->tok[0]);   /* the held answer arrives late */
	assert_int_equal(card_get_version(&f->c[0], (uint8_t[3]){0}), CARD_OK);
	assert_int_equal(card_get_serial(&f->c[0], &serial), CARD_OK);
	assert_int_equal(serial, SERIAL_A);
}

/* ---- unplug, re-plug ---- */

static void unplug_during_signature_reports_absent_without_hanging(void **state)
{
	fx *f = *state;
	uint8_t pub[1024], digest[32] = {1}, sig[128];
	size_t pub_len = 0, sig_len = 0;
	long long t0;

	assert_int_equal(card_auth_mgmt(&f->c[0], PIV_ALG_3DES, test_default_mgmt_key,
	                                sizeof(test_default_mgmt_key)), CARD_OK);
	assert_int_equal(card_generate(&f->c[0], PIV_KEY_AUTH, PIV_ALG_ECCP256, 0, pub, sizeof(pub),
	                               &pub_len), CARD_OK);
	assert_int_equal(card_verify_pin(&f->c[0], pin, PIN_LEN, NULL), CARD_OK);
	umock_token_fault(f->tok[0], PIV_INS_GENERAL_AUTH, UMOCK_FAULT_UNPLUG);
	t0 = now_ms();
	assert_int_equal(card_sign(&f->c[0], PIV_KEY_AUTH, PIV_ALG_ECCP256, digest, sizeof(digest),
	                           sig, sizeof(sig), &sig_len), CARD_ERR_ABSENT);
	assert_true(now_ms() - t0 < f->tr[0]->timeout_ms);
	umock_token_unplug(f->tok[0]);
	assert_int_equal(card_get_serial(&f->c[0], &(uint32_t){0}), CARD_ERR_ABSENT);
}

static void replug_in_the_same_port_works_again(void **state)
{
	fx *f = *state;
	bool present = true;
	uint32_t serial = 0;

	assert_int_equal(card_get_serial(&f->c[0], &serial), CARD_OK);
	f->tr[0]->ops->close(f->tr[0]);
	umock_token_unplug(f->tok[0]);
	assert_int_equal(f->tr[0]->ops->present(f->tr[0], &present), TR_OK);
	assert_false(present);
	assert_int_equal(card_get_serial(&f->c[0], &serial), CARD_ERR_ABSENT);

	assert_int_equal(umock_token_replug(f->tok[0]), 0);
	/* libusb learns of the new device from udev's event, asynchronously. */
	for (int i = 0; i < 200 && !present; i++) {
		assert_int_equal(f->tr[0]->ops->present(f->tr[0], &present), TR_OK);
		if (!present)
			nanosleep(&(struct timespec){.tv_nsec = 10000000L}, NULL);
	}
	assert_true(present);
	/* Same transport, same id: the slot keeps its identity. */
	assert_string_equal(f->tr[0]->id, "usb:1-1");
	card_reset(&f->c[0]);
	serial = 0;
	assert_int_equal(card_get_serial(&f->c[0], &serial), CARD_OK);
	assert_int_equal(serial, SERIAL_A);
}

/* Another token in the port between two calls: the first call says the old one is gone
 * (the module then drops the login), never talks to the newcomer as if it were the old. */
static void other_token_in_the_same_port_is_first_reported_absent(void **state)
{
	fx *f = *state;
	uint32_t serial = 0;
	bool present = false;

	assert_int_equal(card_get_serial(&f->c[0], &serial), CARD_OK);
	umock_token_unplug(f->tok[0]);
	f->tok[1] = plug(f, 1, SERIAL_B);
	assert_non_null(f->tok[1]);
	/* Wait until libusb lists the newcomer (udev events are asynchronous). */
	for (int i = 0; i < 200; i++) {
		libusb_device **list;
		int n = tr_usb_enumerate(f->ctx, TR_USB_DEFAULT_VID, TR_USB_DEFAULT_PID, &list);
		bool fresh = n == 1 && libusb_get_device_address(list[0]) != 2;

		tr_usb_list_free(list);
		if (fresh)
			break;
		nanosleep(&(struct timespec){.tv_nsec = 10000000L}, NULL);
	}
	assert_int_equal(f->tr[0]->ops->present(f->tr[0], &present), TR_OK);
	assert_false(present);
	assert_int_equal(f->tr[0]->ops->present(f->tr[0], &present), TR_OK);
	assert_true(present);
	card_reset(&f->c[0]);
	assert_int_equal(card_get_serial(&f->c[0], &serial), CARD_OK);
	assert_int_equal(serial, SERIAL_B);

	/* The same through a card operation instead of a presence check. */
	umock_token_unplug(f->tok[1]);
	assert_int_equal(umock_token_replug(f->tok[1]), 0);
	for (int i = 0; i < 200; i++) {
		libusb_device **list;
		int n = tr_usb_enumerate(f->ctx, TR_USB_DEFAULT_VID, TR_USB_DEFAULT_PID, &list);

		tr_usb_list_free(list);
		if (n == 1)
			break;
		nanosleep(&(struct timespec){.tv_nsec = 10000000L}, NULL);
	}
	assert_int_equal(card_get_serial(&f->c[0], &serial), CARD_ERR_ABSENT);
	card_reset(&f->c[0]);
	assert_int_equal(card_get_serial(&f->c[0], &serial), CARD_OK);
	assert_int_equal(serial, SERIAL_B);
}

/* ---- two tokens, sharing ---- */

static void two_tokens_sign_independently(void **state)
{
	fx *f = *state;

	generate_and_sign(&f->c[0], PIV_KEY_AUTH, PIV_ALG_ECCP256, 0);
	generate_and_sign(&f->c[1], PIV_KEY_AUTH, PIV_ALG_ECCP256, 0);
	/* A PIN verified on one token is not verified on the other. */
	assert_int_equal(card_logout(&f->c[0]), CARD_OK);
	assert_int_equal(card_pin_status(&f->c[1], &(int){0}), CARD_OK);
}

static void interface_is_free_between_batches_for_another_context(void **state)
{
	fx *f = *state;
	libusb_context *ctx2;
	libusb_device **list;
	tr_transport *other;
	bool present = false;
	long long t0;

	assert_int_equal(libusb_init(&ctx2), 0);
	assert_int_equal(tr_usb_enumerate(ctx2, TR_USB_DEFAULT_VID, TR_USB_DEFAULT_PID, &list), 1);
	other = tr_usb_new(ctx2, list[0]);
	tr_usb_list_free(list);
	assert_non_null(other);
	other->timeout_ms = 200;

	/* Presence asks nobody and claims nothing. */
	assert_int_equal(f->tr[0]->ops->present(f->tr[0], &present), TR_OK);
	assert_true(present);
	assert_false(umock_token_claimed(f->tok[0]));

	/* In a batch: the interface is ours; the other application waits, bounded. */
	assert_int_equal(card_connect(&f->c[0]), CARD_OK);
	assert_true(umock_token_claimed(f->tok[0]));
	t0 = now_ms();
	assert_int_equal(other->ops->open(other), TR_ERR_TIMEOUT);
	assert_true(now_ms() - t0 < 1000);

	/* After the batch: the other one gets it, then we get it back. */
	f->tr[0]->ops->close(f->tr[0]);
	assert_false(umock_token_claimed(f->tok[0]));
	assert_int_equal(other->ops->open(other), TR_OK);
	assert_int_equal(other->ops->power_on(other, NULL, 0, NULL), TR_OK);
	other->ops->close(other);
	other->ops->destroy(other);
	libusb_exit(ctx2);
	/* Our card was reset by the other's power-on: the driver re-selects by itself. */
	assert_int_equal(card_get_serial(&f->c[0], &(uint32_t){0}), CARD_OK);
	f->tr[0]->ops->close(f->tr[0]);
	assert_false(umock_token_claimed(f->tok[0]));
}

/* ---- hot-plug ---- */

static void hotplug_sees(fx *f, bool polling)
{
	usb_hotplug *h = usb_hotplug_new(f->ctx, TR_USB_DEFAULT_VID, TR_USB_DEFAULT_PID, polling);
	uint64_t seen;
	libusb_device **list;
	int i, r = 0;

	assert_non_null(h);
	/* Without libusb hot-plug support the watcher polls: the same must hold. */
	assert_int_equal(usb_hotplug_uses_callbacks(h),
	                 !polling && libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG));
	seen = usb_hotplug_generation(h);
	assert_int_equal(usb_hotplug_wait(h, &seen, 0), 0);
	assert_int_equal(usb_hotplug_wait(h, &seen, 100), 0);

	umock_token_unplug(f->tok[0]);
	/* A look without waiting (CKF_DONT_BLOCK) sees it too, once the event is in. */
	for (i = 0; i < 300 && r == 0; i++) {
		r = usb_hotplug_wait(h, &seen, 0);
		if (r == 0)
			nanosleep(&(struct timespec){.tv_nsec = 10000000L}, NULL);
	}
	assert_int_equal(r, 1);
	assert_int_equal(usb_hotplug_wait(h, &seen, 0), 0);
	assert_int_equal(tr_usb_enumerate(f->ctx, TR_USB_DEFAULT_VID, TR_USB_DEFAULT_PID, &list), 0);
	tr_usb_list_free(list);

	assert_int_equal(umock_token_replug(f->tok[0]), 0);
	assert_int_equal(usb_hotplug_wait(h, &seen, 3000), 1);
	assert_int_equal(tr_usb_enumerate(f->ctx, TR_USB_DEFAULT_VID, TR_USB_DEFAULT_PID, &list), 1);
	tr_usb_list_free(list);

	usb_hotplug_cancel(h);
	assert_int_equal(usb_hotplug_wait(h, &seen, -1), -1);
	usb_hotplug_free(h);
}

typedef struct {
	usb_hotplug *h;
	int r;
} waiter;

static void *wait_forever(void *arg)
{
	waiter *w = arg;
	uint64_t seen = usb_hotplug_generation(w->h);

	w->r = usb_hotplug_wait(w->h, &seen, -1);
	return NULL;
}

/* C_Finalize's way out: a thread blocked without a timeout is woken. */
static void hotplug_cancel_wakes_a_blocked_waiter(void **state)
{
	fx *f = *state;
	waiter w = {.r = 7};
	pthread_t th;
	long long t0;
	size_t i;

	for (i = 0; i < 2; i++) {
		w.h = usb_hotplug_new(f->ctx, TR_USB_DEFAULT_VID, TR_USB_DEFAULT_PID, i == 1);
		assert_non_null(w.h);
		assert_int_equal(pthread_create(&th, NULL, wait_forever, &w), 0);
		nanosleep(&(struct timespec){.tv_nsec = 100000000L}, NULL);
		t0 = now_ms();
		usb_hotplug_cancel(w.h);
		assert_int_equal(pthread_join(th, NULL), 0);
		assert_int_equal(w.r, -1);
		assert_true(now_ms() - t0 < 1000);
		usb_hotplug_free(w.h);
	}
}

static void hotplug_callbacks_see_removal_and_insertion(void **state)
{
	hotplug_sees(*state, false);
}

static void hotplug_polling_sees_removal_and_insertion(void **state)
{
	hotplug_sees(*state, true);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(enumeration_finds_each_token_once_in_port_order,
		                                setup_two, teardown),
		cmocka_unit_test_setup_teardown(enumeration_ignores_other_ids, setup_one, teardown),
		cmocka_unit_test_setup_teardown(connect_selects_and_reads_serial_and_version,
		                                setup_one, teardown),
		cmocka_unit_test_setup_teardown(verify_wrong_pin_reports_tries_then_right_pin_succeeds,
		                                setup_one, teardown),
		cmocka_unit_test_setup_teardown(generated_ec_key_signs_and_openssl_verifies, setup_one,
		                                teardown),
		cmocka_unit_test_setup_teardown(generated_rsa_key_signs_and_openssl_verifies,
		                                setup_one, teardown),
		cmocka_unit_test_setup_teardown(object_of_3000_bytes_round_trips, setup_one, teardown),
		cmocka_unit_test_setup_teardown(reply_spread_over_several_urbs_arrives_whole, setup_one,
		                                teardown),
		cmocka_unit_test_setup_teardown(
		    reply_filling_whole_packets_is_ended_by_a_zero_length_packet, setup_one, teardown),
		cmocka_unit_test_setup_teardown(reply_shorter_than_its_dwlength_is_a_protocol_error,
		                                setup_one, teardown),
		cmocka_unit_test_setup_teardown(late_reply_after_a_timeout_is_not_taken_for_the_next,
		                                setup_one, teardown),
		cmocka_unit_test_setup_teardown(unplug_during_signature_reports_absent_without_hanging,
		                                setup_one, teardown),
		cmocka_unit_test_setup_teardown(replug_in_the_same_port_works_again, setup_one,
		                                teardown),
		cmocka_unit_test_setup_teardown(other_token_in_the_same_port_is_first_reported_absent,
		                                setup_one, teardown),
		cmocka_unit_test_setup_teardown(two_tokens_sign_independently, setup_two, teardown),
		cmocka_unit_test_setup_teardown(interface_is_free_between_batches_for_another_context,
		                                setup_one, teardown),
		cmocka_unit_test_setup_teardown(hotplug_callbacks_see_removal_and_insertion, setup_one,
		                                teardown),
		cmocka_unit_test_setup_teardown(hotplug_polling_sees_removal_and_insertion, setup_one,
		                                teardown),
		cmocka_unit_test_setup_teardown(hotplug_cancel_wakes_a_blocked_waiter, setup_one,
		                                teardown),
	};

	(void)argc;
	if (umock_bed_reexec(argv) != 0)
		return 99;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
