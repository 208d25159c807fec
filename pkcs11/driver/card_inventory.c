/* INVENTORY (kinko extension): what a token holds, in one APDU, so the module learns its
 * objects without reading every container. Layout in piv.h. The parser trusts nothing:
 * every field is checked, each singleton must come once, and a malformed answer is
 * CARD_ERR_DEVICE; fields a later firmware may add are skipped. */
#include <string.h>

#include "card_internal.h"
#include "piv.h"

#define CARD_INV_RESP_MAX 4096u

/* Fields that must each appear exactly once, as bits. */
enum {
	INV_SEEN_SERIAL = 1u << 0,
	INV_SEEN_PIN = 1u << 1,
	INV_SEEN_PUK = 1u << 2,
	INV_SEEN_DEFAULT = 1u << 3,
	INV_SEEN_COUNTER = 1u << 4,
	INV_SEEN_OBJECTS = 1u << 5,
	INV_SEEN_ALL = (1u << 6) - 1,
};

static uint32_t inv_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* (max, left) of a PIN or PUK: 1..15 tries, left never above max. */
static bool inv_tries(const tlv_item *it, uint8_t *max, uint8_t *left)
{
	if (it->len != 2 || it->value[0] == 0 || it->value[0] > 15 || it->value[1] > it->value[0])
		return false;
	*max = it->value[0];
	*left = it->value[1];
	return true;
}

/* E0's fields, in this order: key reference, algorithm, PIN and touch policy, origin. */
static const struct {
	uint32_t tag;
	size_t len;
} inv_key_fields[] = {
	{PIV_INV_KEY_REF, 1},
	{PIV_META_ALGORITHM, 1},
	{PIV_META_POLICY, 2},
	{PIV_META_ORIGIN, 1},
};
#define INV_KEY_FIELDS (sizeof(inv_key_fields) / sizeof(inv_key_fields[0]))

/* E0 { 80 ref, 01 alg, 02 pin+touch policy, 03 origin }: each once, nothing else. */
static bool inv_key(const tlv_item *tmpl, card_inventory *inv)
{
	tlv_item f[INV_KEY_FIELDS];
	unsigned seen = 0;
	int idx;
	tlv_iter iter;
	tlv_item it;
	tlv_status s;

	tlv_iter_init(&iter, tmpl->value, tmpl->len);
	while ((s = tlv_iter_next(&iter, &it)) == TLV_OK) {
		size_t i = 0;

		while (i < INV_KEY_FIELDS && inv_key_fields[i].tag != it.tag)
			i++;
		if (i == INV_KEY_FIELDS || it.len != inv_key_fields[i].len || (seen & 1u << i))
			return false;
		seen |= 1u << i;
		f[i] = it;
	}
	if (s != TLV_END || seen != (1u << INV_KEY_FIELDS) - 1)
		return false;
	idx = piv_key_slot_index(f[0].value[0]);
	if (idx < 0 || f[1].value[0] == 0 || inv->keys[idx].present)
		return false;
	inv->keys[idx] = (card_inv_key){
		.present = true,
		.alg = f[1].value[0],
		.pin_policy = f[2].value[0],
		.touch_policy = f[2].value[1],
		.origin = f[3].value[0],
	};
	return true;
}

/* E1 { 5C tag ... }: canonical 1..3 byte tags. */
static bool inv_objects(const tlv_item *tmpl, card_inventory *inv)
{
	tlv_iter iter;
	tlv_item it;
	tlv_status s;

	tlv_iter_init(&iter, tmpl->value, tmpl->len);
	while ((s = tlv_iter_next(&iter, &it)) == TLV_OK) {
		uint32_t tag = 0;
		size_t i;

		if (it.tag != PIV_TLV_TAG_LIST || it.len < 1 || it.len > 3 ||
		    inv->n_objects >= CARD_INV_MAX_OBJECTS)
			return false;
		for (i = 0; i < it.len; i++)
			tag = tag << 8 | it.value[i];
		/* 00 is no data object: a token naming it is broken */
		if (tag == 0 || tlv_tag_size(tag) != it.len)
			return false;
		inv->objects[inv->n_objects++] = tag;
	}
	return s == TLV_END;
}

static bool inv_item(const tlv_item *it, card_inventory *inv, unsigned *seen)
{
	unsigned bit;
	bool ok;

	switch (it->tag) {
	case PIV_INV_SERIAL:
		bit = INV_SEEN_SERIAL;
		ok = it->len == 4;
		if (ok)
			inv->serial = inv_be32(it->value);
		break;
	case PIV_INV_PIN_TRIES:
		bit = INV_SEEN_PIN;
		ok = inv_tries(it, &inv->pin_max, &inv->pin_left);
		break;
	case PIV_INV_PUK_TRIES:
		bit = INV_SEEN_PUK;
		ok = inv_tries(it, &inv->puk_max, &inv->puk_left);
		break;
	case PIV_INV_PIN_DEFAULT:
		bit = INV_SEEN_DEFAULT;
		ok = it->len == 1 && it->value[0] <= 1;
		if (ok)
			inv->pin_is_default = it->value[0] == 1;
		break;
	case PIV_INV_COUNTER:
		bit = INV_SEEN_COUNTER;
		ok = it->len == 4;
		if (ok)
			inv->change_counter = inv_be32(it->value);
		break;
	case PIV_INV_KEY: return inv_key(it, inv);
	case PIV_INV_OBJECTS:
		bit = INV_SEEN_OBJECTS;
		ok = !(*seen & bit) && inv_objects(it, inv);
		break;
	default: return true; /* a later firmware's addition */
	}
	if (!ok || (*seen & bit))
		return false;
	*seen |= bit;
	return true;
}

card_status card_inventory_parse(const uint8_t *buf, size_t len, card_inventory *inv)
{
	unsigned seen = 0;
	tlv_iter iter;
	tlv_item it;
	tlv_status s;

	if (!inv)
		return CARD_ERR_BAD_INPUT;
	memset(inv, 0, sizeof(*inv));
	tlv_iter_init(&iter, buf, buf ? len : 0);
	while ((s = tlv_iter_next(&iter, &it)) == TLV_OK) {
		if (!inv_item(&it, inv, &seen)) {
			memset(inv, 0, sizeof(*inv));
			return CARD_ERR_DEVICE;
		}
	}
	if (s != TLV_END || seen != INV_SEEN_ALL) {
		memset(inv, 0, sizeof(*inv));
		return CARD_ERR_DEVICE;
	}
	return CARD_OK;
}

card_status card_get_inventory(card *c, card_inventory *inv)
{
	uint8_t out[CARD_INV_RESP_MAX];
	card_req rq = {.ins = PIV_INS_GET_METADATA,
	               .p2 = PIV_REF_INVENTORY,
	               .out = out,
	               .cap = sizeof(out)};
	size_t n = 0;
	card_status st;

	if (!c || !inv)
		return CARD_ERR_BAD_INPUT;
	memset(inv, 0, sizeof(*inv));
	st = card_run_ok(c, &rq, &n);
	if (st != CARD_OK)
		return st;
	return card_inventory_parse(out, n, inv);
}

bool card_inventory_has(const card_inventory *inv, uint32_t tag)
{
	size_t i;

	for (i = 0; i < inv->n_objects; i++)
		if (inv->objects[i] == tag)
			return true;
	return false;
}
