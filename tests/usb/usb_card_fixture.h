/* Fixture of the card driver's tests over emulated USB tokens: a umockdev testbed with
 * tokens in root-hub ports, a libusb context, and a USB transport and a card per token
 * found, in port order. */
#ifndef KINKO_USB_CARD_FIXTURE_H
#define KINKO_USB_CARD_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include <libusb.h>

#include "card.h"
#include "transport.h"
#include "umock_token.h"

#define CFX_SERIAL_A 0x01020304u /* the token in port 1 */
#define CFX_SERIAL_B 0x0A0B0C0Du /* the second token, port 2 */

typedef struct {
	umock_bed *bed;
	umock_token *tok[2];
	libusb_context *ctx;
	tr_transport *tr[2];
	card c[2];
	size_t n;
} cfx;

/* cmocka setups: one token (port 1) or two (ports 1 and 2); *state = the fixture. */
int cfx_setup_one(void **state);
int cfx_setup_two(void **state);
int cfx_teardown(void **state);
#define CFX_TEST_ONE(name) cmocka_unit_test_setup_teardown(name, cfx_setup_one, cfx_teardown)
#define CFX_TEST_TWO(name) cmocka_unit_test_setup_teardown(name, cfx_setup_two, cfx_teardown)

/* A fresh token with this serial in a root-hub port. NULL on failure. */
umock_token *cfx_plug(cfx *f, unsigned port, uint32_t serial);

/* Authenticate with the factory management key, generate a key of alg in slot, verify
 * the PIN, sign a random digest (a PKCS#1 v1.5 block of mod_len bytes for RSA, the bare
 * digest for EC) and check the signature with OpenSSL. */
void cfx_generate_and_sign(card *c, uint8_t slot, uint8_t alg, size_t mod_len);

#endif
