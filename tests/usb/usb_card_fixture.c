/* Fixture of the card driver's tests over emulated USB tokens (usb_card_fixture.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>

#include "card_test_util.h"
#include "piv.h"
#include "usb_card_fixture.h"

umock_token *cfx_plug(cfx *f, unsigned port, uint32_t serial)
{
	tok_provision_opts o = {.serial = serial};

	return umock_token_plug(f->bed, port, &o);
}

/* Transports and cards for every token found, in port order. */
static int cfx_bind(cfx *f)
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

static int cfx_start(cfx *f, size_t tokens)
{
	if (!(f->bed = umock_bed_new()))
		return -1;
	/* Port 2 first: the enumeration must sort by port, not by plug order. */
	if (tokens == 2 && !(f->tok[1] = cfx_plug(f, 2, CFX_SERIAL_B)))
		return -1;
	if (!(f->tok[0] = cfx_plug(f, 1, CFX_SERIAL_A)))
		return -1;
	if (libusb_init(&f->ctx) != 0)
		return -1;
	return cfx_bind(f);
}

/* cmocka runs no teardown after a failed setup: undo it here. */
static int cfx_setup(void **state, size_t tokens)
{
	cfx *f = calloc(1, sizeof(*f));

	*state = f;
	if (!f)
		return -1;
	if (cfx_start(f, tokens) != 0) {
		cfx_teardown(state);
		return -1;
	}
	return 0;
}

int cfx_setup_one(void **state)
{
	return cfx_setup(state, 1);
}

int cfx_setup_two(void **state)
{
	return cfx_setup(state, 2);
}

int cfx_teardown(void **state)
{
	cfx *f = *state;
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
	*state = NULL;
	return 0;
}

void cfx_generate_and_sign(card *c, uint8_t slot, uint8_t alg, size_t mod_len)
{
	uint8_t pub[1024];
	size_t pub_len = 0;
	EVP_PKEY *pkey;

	assert_int_equal(card_auth_mgmt(c, PIV_ALG_3DES, test_default_mgmt_key,
	                                sizeof(test_default_mgmt_key)),
	                 CARD_OK);
	assert_int_equal(card_generate(c, slot, alg, 0, pub, sizeof(pub), &pub_len), CARD_OK);
	pkey = test_pubkey_from_7f49(alg, pub, pub_len);
	assert_non_null(pkey);
	assert_int_equal(card_verify_pin(c, (const uint8_t *)TEST_PIN, sizeof(TEST_PIN) - 1, NULL),
	                 CARD_OK);
	card_test_sign_verifies(c, slot, alg, mod_len, pkey);
	EVP_PKEY_free(pkey);
}
