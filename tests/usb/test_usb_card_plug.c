/* The USB transport and the PIV card driver when emulated kinko USB tokens come and go
 * (umockdev + the real firmware): unplug during an operation, re-plug into the same port,
 * another token in that port, two tokens at once, the interface free between operation
 * batches, and hot-plug events by callback or by polling. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "card_test_util.h"
#include "piv.h"
#include "time_test_util.h"
#include "usb_card_fixture.h"

static const uint8_t pin[] = TEST_PIN;
#define PIN_LEN (sizeof(pin) - 1)

/* ---- unplug, re-plug ---- */

static void unplug_during_signature_reports_absent_without_hanging(void **state)
{
	cfx *f = *state;
	uint8_t pub[1024], digest[32] = {1}, sig[128];
	size_t pub_len = 0, sig_len = 0;
	double t0;

	assert_int_equal(card_auth_mgmt(&f->c[0], PIV_ALG_3DES, test_default_mgmt_key,
	                                sizeof(test_default_mgmt_key)),
	                 CARD_OK);
	assert_int_equal(card_generate(&f->c[0], PIV_KEY_AUTH, PIV_ALG_ECCP256, 0, pub, sizeof(pub),
	                               &pub_len),
	                 CARD_OK);
	assert_int_equal(card_verify_pin(&f->c[0], pin, PIN_LEN, NULL), CARD_OK);
	umock_token_fault(f->tok[0], PIV_INS_GENERAL_AUTH, UMOCK_FAULT_UNPLUG);
	t0 = tkit_now_ms();
	assert_int_equal(card_sign(&f->c[0], PIV_KEY_AUTH, PIV_ALG_ECCP256, digest, sizeof(digest),
	                           sig, sizeof(sig), &sig_len),
	                 CARD_ERR_ABSENT);
	assert_true(tkit_now_ms() - t0 < f->tr[0]->timeout_ms);
	umock_token_unplug(f->tok[0]);
	assert_int_equal(card_get_serial(&f->c[0], &(uint32_t){0}), CARD_ERR_ABSENT);
}

static void replug_in_the_same_port_works_again(void **state)
{
	cfx *f = *state;
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
			tkit_sleep_ms(10);
	}
	assert_true(present);
	/* Same transport, same id: the slot keeps its identity. */
	assert_string_equal(f->tr[0]->id, "usb:1-1");
	card_reset(&f->c[0]);
	serial = 0;
	assert_int_equal(card_get_serial(&f->c[0], &serial), CARD_OK);
	assert_int_equal(serial, CFX_SERIAL_A);
}

/* Another token in the port between two calls: the first call says the old one is gone
 * (the module then drops the login), never talks to the newcomer as if it were the old. */
static void other_token_in_the_same_port_is_first_reported_absent(void **state)
{
	cfx *f = *state;
	uint32_t serial = 0;
	bool present = false;

	assert_int_equal(card_get_serial(&f->c[0], &serial), CARD_OK);
	umock_token_unplug(f->tok[0]);
	f->tok[1] = cfx_plug(f, 1, CFX_SERIAL_B);
	assert_non_null(f->tok[1]);
	/* Wait until libusb lists the newcomer (udev events are asynchronous). */
	for (int i = 0; i < 200; i++) {
		libusb_device **list;
		int n = tr_usb_enumerate(f->ctx, TR_USB_DEFAULT_VID, TR_USB_DEFAULT_PID, &list);
		bool fresh = n == 1 && libusb_get_device_address(list[0]) != 2;

		tr_usb_list_free(list);
		if (fresh)
			break;
		tkit_sleep_ms(10);
	}
	assert_int_equal(f->tr[0]->ops->present(f->tr[0], &present), TR_OK);
	assert_false(present);
	assert_int_equal(f->tr[0]->ops->present(f->tr[0], &present), TR_OK);
	assert_true(present);
	card_reset(&f->c[0]);
	assert_int_equal(card_get_serial(&f->c[0], &serial), CARD_OK);
	assert_int_equal(serial, CFX_SERIAL_B);

	/* The same through a card operation instead of a presence check. */
	umock_token_unplug(f->tok[1]);
	assert_int_equal(umock_token_replug(f->tok[1]), 0);
	for (int i = 0; i < 200; i++) {
		libusb_device **list;
		int n = tr_usb_enumerate(f->ctx, TR_USB_DEFAULT_VID, TR_USB_DEFAULT_PID, &list);

		tr_usb_list_free(list);
		if (n == 1)
			break;
		tkit_sleep_ms(10);
	}
	assert_int_equal(card_get_serial(&f->c[0], &serial), CARD_ERR_ABSENT);
	card_reset(&f->c[0]);
	assert_int_equal(card_get_serial(&f->c[0], &serial), CARD_OK);
	assert_int_equal(serial, CFX_SERIAL_B);
}

/* ---- two tokens, sharing ---- */

static void two_tokens_sign_independently(void **state)
{
	cfx *f = *state;

	cfx_generate_and_sign(&f->c[0], PIV_KEY_AUTH, PIV_ALG_ECCP256, 0);
	cfx_generate_and_sign(&f->c[1], PIV_KEY_AUTH, PIV_ALG_ECCP256, 0);
	/* A PIN verified on one token is not verified on the other. */
	assert_int_equal(card_logout(&f->c[0]), CARD_OK);
	assert_int_equal(card_pin_status(&f->c[1], &(int){0}), CARD_OK);
}

static void interface_is_free_between_batches_for_another_context(void **state)
{
	cfx *f = *state;
	libusb_context *ctx2;
	libusb_device **list;
	tr_transport *other;
	bool present = false;
	double t0;

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
	t0 = tkit_now_ms();
	assert_int_equal(other->ops->open(other), TR_ERR_TIMEOUT);
	assert_true(tkit_now_ms() - t0 < 1000);

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

static void hotplug_sees(cfx *f, bool polling)
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
			tkit_sleep_ms(10);
	}
	assert_int_equal(r, 1);
	assert_int_equal(usb_hotplug_wait(h, &seen, 0), 0);
	assert_int_equal(tr_usb_enumerate(f->ctx, TR_USB_DEFAULT_VID, TR_USB_DEFAULT_PID, &list),
	                 0);
	tr_usb_list_free(list);

	assert_int_equal(umock_token_replug(f->tok[0]), 0);
	assert_int_equal(usb_hotplug_wait(h, &seen, 3000), 1);
	assert_int_equal(tr_usb_enumerate(f->ctx, TR_USB_DEFAULT_VID, TR_USB_DEFAULT_PID, &list),
	                 1);
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
	cfx *f = *state;
	waiter w = {.r = 7};
	pthread_t th;
	double t0;
	size_t i;

	for (i = 0; i < 2; i++) {
		w.h = usb_hotplug_new(f->ctx, TR_USB_DEFAULT_VID, TR_USB_DEFAULT_PID, i == 1);
		assert_non_null(w.h);
		assert_int_equal(pthread_create(&th, NULL, wait_forever, &w), 0);
		tkit_sleep_ms(100);
		t0 = tkit_now_ms();
		usb_hotplug_cancel(w.h);
		assert_int_equal(pthread_join(th, NULL), 0);
		assert_int_equal(w.r, -1);
		assert_true(tkit_now_ms() - t0 < 1000);
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
		CFX_TEST_ONE(unplug_during_signature_reports_absent_without_hanging),
		CFX_TEST_ONE(replug_in_the_same_port_works_again),
		CFX_TEST_ONE(other_token_in_the_same_port_is_first_reported_absent),
		CFX_TEST_TWO(two_tokens_sign_independently),
		CFX_TEST_ONE(interface_is_free_between_batches_for_another_context),
		CFX_TEST_ONE(hotplug_callbacks_see_removal_and_insertion),
		CFX_TEST_ONE(hotplug_polling_sees_removal_and_insertion),
		CFX_TEST_ONE(hotplug_cancel_wakes_a_blocked_waiter),
	};

	(void)argc;
	umock_bed_reexec(argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
