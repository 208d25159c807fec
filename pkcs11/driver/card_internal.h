/* Shared between the parts of the PIV card driver (card.c, card_pin.c, card_keys.c);
 * nothing outside the driver includes it. */
#ifndef KINKO_CARD_INTERNAL_H
#define KINKO_CARD_INTERNAL_H

#include "driver_internal.h"

#include <stddef.h>
#include <stdint.h>

#include "card.h"
#include "tlv.h"

/* One command. out/cap receive the response data; a NULL out means the command returns
 * none (no Le is sent, and data in the answer is a malformed answer). */
typedef struct {
	uint8_t ins, p1, p2;
	const uint8_t *data;
	size_t lc;
	uint8_t *out;
	size_t cap;
} card_req;

/* Connect, send, and retry once after a reset by someone else. CARD_OK means the card
 * answered: *sw (and c->last_sw) hold its status word. */
card_status card_run(card *c, const card_req *rq, size_t *out_len, uint16_t *sw);
/* card_run, and any status word but 9000 mapped to its card_status. */
card_status card_run_ok(card *c, const card_req *rq, size_t *out_len);

card_status card_sw_status(uint16_t sw);

/* card_run_ok with room for the longest answer: *buf (malloc'd, NULL when out of memory)
 * holds its *n bytes; the caller wipes what needs it and frees it. */
card_status card_run_long(card *c, card_req *rq, uint8_t **buf, size_t *n);
/* *dst: a malloc'd copy of len bytes of src. */
card_status card_dup(const uint8_t *src, size_t len, uint8_t **dst, size_t *dst_len);

/* buf is exactly one TLV with this tag; *it is it. CARD_ERR_DEVICE otherwise. */
card_status card_tlv_whole(const uint8_t *buf, size_t len, uint32_t tag, tlv_item *it);

/* The management key's algorithm (cached; GET METADATA 9B once, 3DES when it says none). */
card_status card_mgmt_alg(card *c, uint8_t *alg);

#endif
