/* What a card is when it is not a kinko token: the SP 800-73-4 objects that name it (CHUID)
 * and tell where its retired keys are (Key History). Each is one GET DATA, read only when
 * the module needs it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "card_internal.h"
#include "piv.h"

/* CHUID fields (SP 800-73-4 part 1, table 9) */
#define CHUID_FASCN 0x30
#define CHUID_GUID 0x34
#define CHUID_FASCN_LEN 25u
#define CHUID_GUID_LEN 16u
/* Key History fields (table 19) */
#define KH_ON_CARD 0xC1

static bool card_all_zero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* The first bytes of v as hex digits, as many as text holds. */
static void card_hex(const uint8_t *v, size_t n, char *text, size_t cap)
{
	size_t i;

	text[0] = '\0';
	for (i = 0; i < n && 2 * i + 2 < cap; i++)
		snprintf(text + 2 * i, cap - 2 * i, "%02X", v[i]);
}

card_status card_chuid_id_parse(const uint8_t *buf, size_t len, char *text, size_t cap)
{
	tlv_item guid, fascn;
	bool has_guid, has_fascn;

	if (!text || cap < 3)
		return CARD_ERR_BAD_INPUT;
	text[0] = '\0';
	has_guid = tlv_find(buf, len, CHUID_GUID, &guid) == TLV_OK;
	has_fascn = tlv_find(buf, len, CHUID_FASCN, &fascn) == TLV_OK;
	if ((has_guid && guid.len != CHUID_GUID_LEN) || (has_fascn && fascn.len != CHUID_FASCN_LEN))
		return CARD_ERR_DEVICE;
	/* The GUID names the card; an all-zero GUID means "none" and the FASC-N does. */
	if (has_guid && !card_all_zero(guid.value, guid.len))
		card_hex(guid.value, guid.len, text, cap);
	else if (has_fascn && !card_all_zero(fascn.value, fascn.len))
		card_hex(fascn.value, fascn.len, text, cap);
	else
		return CARD_ERR_NOT_FOUND;
	return CARD_OK;
}

card_status card_get_chuid_id(card *c, char *text, size_t cap)
{
	uint8_t *v = NULL;
	size_t n = 0;
	card_status st;

	if (!text || cap < 3)
		return CARD_ERR_BAD_INPUT;
	text[0] = '\0';
	st = card_get_data(c, PIV_TAG_CHUID, &v, &n);
	if (st == CARD_OK)
		st = card_chuid_id_parse(v, n, text, cap);
	free(v);
	return st;
}

card_status card_get_key_history(card *c, unsigned *on_card)
{
	uint8_t *v = NULL;
	size_t n = 0;
	tlv_item it;
	card_status st;

	if (!on_card)
		return CARD_ERR_BAD_INPUT;
	*on_card = 0;
	st = card_get_data(c, PIV_TAG_KEY_HISTORY, &v, &n);
	if (st == CARD_ERR_NOT_FOUND) /* no history: no retired keys */
		return CARD_OK;
	if (st == CARD_OK && tlv_find(v, n, KH_ON_CARD, &it) == TLV_OK) {
		if (it.len != 1 || it.value[0] > PIV_KEY_SLOTS - 4)
			st = CARD_ERR_DEVICE;
		else
			*on_card = it.value[0];
	}
	free(v);
	return st;
}
