/* PIN and PUK: VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER. Values are checked
 * and padded here (6..8 bytes, FF padding to 8), so a malformed PIN never reaches the card
 * and never costs a try; every buffer that held one is wiped. */
#include <string.h>

#include <openssl/crypto.h>

#include "card_internal.h"
#include "piv.h"

#define CARD_PIN_BLOCK PIV_PIN_MAX

/* 6..8 bytes, none of them the padding byte (it would end the PIN early on the card). */
static card_status card_pin_pad(const uint8_t *pin, size_t len, uint8_t out[CARD_PIN_BLOCK])
{
	if (!pin || len < PIV_PIN_MIN || len > PIV_PIN_MAX || memchr(pin, PIV_PIN_PAD, len))
		return CARD_ERR_BAD_INPUT;
	memset(out, PIV_PIN_PAD, CARD_PIN_BLOCK);
	memcpy(out, pin, len);
	return CARD_OK;
}

/* What the card said about the PIN's verification, for card_lost_selection. */
static void card_pin_track(card *c, card_status st)
{
	if (st == CARD_OK)
		c->pin_verified = true;
	else if (st == CARD_ERR_PIN_INCORRECT || st == CARD_ERR_PIN_LOCKED)
		c->pin_verified = false;
}

/* The answer to a PIN command: 63Cx carries the tries left, 6983 means none. */
static card_status card_pin_result(card_status st, uint16_t sw, int *tries_left)
{
	if (st != CARD_OK)
		return st;
	if ((sw & 0xFFF0) == 0x63C0) {
		if (tries_left)
			*tries_left = sw & 0x0F;
		return CARD_ERR_PIN_INCORRECT;
	}
	if (sw == SW_AUTH_BLOCKED && tries_left)
		*tries_left = 0;
	return card_sw_status(sw);
}

card_status card_verify_pin(card *c, const uint8_t *pin, size_t pin_len, int *tries_left)
{
	uint8_t block[CARD_PIN_BLOCK];
	card_req rq = {.ins = PIV_INS_VERIFY,
	               .p1 = 0x00,
	               .p2 = PIV_REF_PIN,
	               .data = block,
	               .lc = sizeof(block)};
	uint16_t sw = 0;
	card_status st = card_pin_pad(pin, pin_len, block);

	if (st == CARD_OK) {
		st = card_run(c, &rq, NULL, &sw);
		st = card_pin_result(st, sw, tries_left);
		card_pin_track(c, st);
	}
	OPENSSL_cleanse(block, sizeof(block));
	return st;
}

card_status card_pin_status(card *c, int *tries_left)
{
	card_req rq = {.ins = PIV_INS_VERIFY, .p1 = 0x00, .p2 = PIV_REF_PIN};
	uint16_t sw = 0;
	card_status st = card_run(c, &rq, NULL, &sw);

	st = card_pin_result(st, sw, tries_left);
	card_pin_track(c, st);
	return st;
}

/* VERIFY with P1 FF: the card forgets that the PIN was verified. */
card_status card_logout(card *c)
{
	card_req rq = {.ins = PIV_INS_VERIFY, .p1 = 0xFF, .p2 = PIV_REF_PIN};
	card_status st = card_run_ok(c, &rq, NULL);

	if (st == CARD_OK)
		c->pin_verified = false;
	return st;
}

/* INS with old||new (or PUK||new PIN) as two padded blocks. */
static card_status card_pin_pair(card *c, uint8_t ins, uint8_t ref, const uint8_t *first,
                                 size_t first_len, const uint8_t *second, size_t second_len,
                                 int *tries_left)
{
	uint8_t block[2 * CARD_PIN_BLOCK];
	card_req rq = {.ins = ins, .p1 = 0x00, .p2 = ref, .data = block, .lc = sizeof(block)};
	uint16_t sw = 0;
	card_status st;

	st = card_pin_pad(first, first_len, block);
	if (st == CARD_OK)
		st = card_pin_pad(second, second_len, block + CARD_PIN_BLOCK);
	if (st == CARD_OK) {
		st = card_run(c, &rq, NULL, &sw);
		st = card_pin_result(st, sw, tries_left);
	}
	OPENSSL_cleanse(block, sizeof(block));
	return st;
}

card_status card_change_reference(card *c, uint8_t ref, const uint8_t *old, size_t old_len,
                                  const uint8_t *new_value, size_t new_len, int *tries_left)
{
	if (ref != PIV_REF_PIN && ref != PIV_REF_PUK)
		return CARD_ERR_BAD_INPUT;
	return card_pin_pair(c, PIV_INS_CHANGE_REFERENCE, ref, old, old_len, new_value, new_len,
	                     tries_left);
}

card_status card_unblock_pin(card *c, const uint8_t *puk, size_t puk_len, const uint8_t *new_pin,
                             size_t new_len, int *tries_left)
{
	return card_pin_pair(c, PIV_INS_RESET_RETRY, PIV_REF_PIN, puk, puk_len, new_pin, new_len,
	                     tries_left);
}
