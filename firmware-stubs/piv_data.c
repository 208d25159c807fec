/* GET DATA and PUT DATA (SP 800-73-4 part 2, 3.1.2 and 3.3.2): the token's data objects.
 * Reading is free except for the objects SP 800-73-4 puts behind the PIN; writing needs
 * the card management key. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "piv_internal.h"

/* Containers SP 800-73-4 reads only after the PIN: fingerprints, facial image, printed
 * information (which also holds the PIN-protected management key), iris, pairing code. */
static bool piv_data_needs_pin(uint32_t tag)
{
	switch (tag) {
	case 0x5FC103u:
	case 0x5FC108u:
	case PIV_TAG_PRINTED:
	case 0x5FC121u:
	case 0x5FC123u: return true;
	default: return false;
	}
}

/* The one tag of a `5C len tag` list; false unless it is a canonical 1..3 byte BER tag. */
static bool piv_data_tag(const tlv_item *list, uint32_t *tag)
{
	uint32_t t = 0;
	size_t i;

	if (list->tag != PIV_TLV_TAG_LIST || list->len < 1 || list->len > 3)
		return false;
	for (i = 0; i < list->len; i++)
		t = t << 8 | list->value[i];
	if (tlv_tag_size(t) != list->len)
		return false;
	*tag = t;
	return true;
}

/* The objects this kind of token stores: a plain PIV card has no YubiKey vendor objects
 * (5FFF00.., the PIN-protected management key's ADMIN DATA among them). */
static bool piv_data_tag_known(const piv_applet *a, uint32_t tag)
{
	return tok_object_tag_valid(tag) &&
	       !(a->st->profile == TOK_PROFILE_PIV && tag >= PIV_TAG_ADMIN_DATA);
}

/* Discovery travels in its own 7E wrapper, every other object in 53. */
static uint32_t piv_data_wrapper(uint32_t tag)
{
	return tag == PIV_TAG_DISCOVERY ? PIV_TAG_DISCOVERY : PIV_TLV_DATA;
}

uint16_t piv_cmd_get_data(piv_applet *a, const apdu_cmd *cmd, piv_resp *resp)
{
	const tok_object *obj;
	tlv_item list;
	tlv_writer w;
	uint32_t tag;

	if (cmd->p1 != 0x3F || cmd->p2 != 0xFF)
		return SW_INCORRECT_P1P2;
	if (cmd->lc == 0 || tlv_parse(cmd->data, cmd->lc, &list) != TLV_OK ||
	    list.header_len + list.len != cmd->lc || !piv_data_tag(&list, &tag) ||
	    !piv_data_tag_known(a, tag))
		return SW_WRONG_DATA;
	if (piv_data_needs_pin(tag) && !a->pin_verified)
		return SW_SECURITY_NOT_SATISFIED;
	obj = tok_object_get(a->st, tag);
	if (obj == NULL || obj->len == 0)
		return SW_FILE_NOT_FOUND;
	tlv_writer_init(&w, resp->buf, resp->cap);
	tlv_put(&w, piv_data_wrapper(tag), obj->value, obj->len);
	if (tlv_writer_status(&w) != TLV_OK)
		return SW_UNKNOWN;
	resp->len = w.len;
	return SW_OK;
}

/* Data field: exactly `5C len tag` then `53 len value` (`7E len value` for Discovery). */
static uint16_t piv_data_parse_put(const piv_applet *a, const apdu_cmd *cmd, uint32_t *tag,
                                   tlv_item *value)
{
	tlv_item list;
	size_t rest;

	if (cmd->lc == 0 || tlv_parse(cmd->data, cmd->lc, &list) != TLV_OK ||
	    !piv_data_tag(&list, tag) || !piv_data_tag_known(a, *tag))
		return SW_WRONG_DATA;
	rest = list.header_len + list.len;
	if (tlv_parse(cmd->data + rest, cmd->lc - rest, value) != TLV_OK ||
	    value->tag != piv_data_wrapper(*tag) ||
	    rest + value->header_len + value->len != cmd->lc)
		return SW_WRONG_DATA;
	if (value->len > TOK_MAX_OBJECT)
		return SW_NOT_ENOUGH_MEMORY;
	return SW_OK;
}

static uint16_t piv_data_put_errno(int rc)
{
	switch (rc) {
	case 0: return SW_OK;
	case -ENOSPC: return SW_NOT_ENOUGH_MEMORY;
	case -EINVAL: return SW_WRONG_DATA;
	default: return SW_MEMORY_FAILURE;
	}
}

/* Write (or with an empty value delete) an object and persist it; when the flash write
 * fails the previous object is put back so RAM and flash keep telling the same story. */
uint16_t piv_cmd_put_data(piv_applet *a, const apdu_cmd *cmd, piv_resp *resp)
{
	const tok_object *old;
	uint8_t *saved = NULL;
	size_t saved_len = 0;
	tlv_item value;
	uint32_t tag = 0;
	uint16_t sw;

	(void)resp;
	if (cmd->p1 != 0x3F || cmd->p2 != 0xFF)
		return SW_INCORRECT_P1P2;
	if (!a->mgmt_authenticated)
		return SW_SECURITY_NOT_SATISFIED;
	sw = piv_data_parse_put(a, cmd, &tag, &value);
	if (sw != SW_OK)
		return sw;
	/* The F9 certificate is the manufacturer's word for the token's attestation key:
	 * the host neither replaces nor deletes it. */
	if (tag == PIV_TAG_ATTESTATION && a->st->attest.alg != 0)
		return SW_CONDITIONS_NOT_SATISFIED;

	old = tok_object_get(a->st, tag);
	if (old != NULL && old->len > 0) {
		saved = malloc(old->len);
		if (saved == NULL)
			return SW_MEMORY_FAILURE;
		memcpy(saved, old->value, old->len);
		saved_len = old->len;
	}
	sw = piv_data_put_errno(
		tok_object_put(a->st, tag, value.len > 0 ? value.value : NULL, value.len));
	if (sw == SW_OK) {
		a->st->change_counter++;
		sw = piv_commit(a);
		if (sw != SW_OK) {
			(void)tok_object_put(a->st, tag, saved, saved_len);
			a->st->change_counter--;
		}
	}
	if (saved != NULL) {
		/* The Printed object holds the PIN-protected management key. */
		OPENSSL_cleanse(saved, saved_len);
		free(saved);
	}
	return sw;
}
