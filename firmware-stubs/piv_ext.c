/* YubiKey-compatible extensions: GET VERSION (FD), GET SERIAL (F8), GET METADATA (F7),
 * and kinko's INVENTORY (GET METADATA of reference 00, layout in piv.h). All are free to
 * read: they tell what is on the token, never a secret of it. */
#include <string.h>

#include "piv_crypto.h"
#include "piv_internal.h"

#define META_ALG_PIN 0xFF  /* YubiKey's algorithm id for PIN and PUK */
#define META_PUB_MAX 1024u /* a 7F49 template of the largest key (RSA-3072) fits */

/* Commands without data and without parameters. */
static uint16_t ext_check_plain(const apdu_cmd *cmd)
{
	if (cmd->p1 != 0 || cmd->p2 != 0)
		return SW_INCORRECT_P1P2;
	if (cmd->lc != 0)
		return SW_WRONG_LENGTH;
	return SW_OK;
}

static uint16_t ext_answer(piv_resp *resp, const uint8_t *data, size_t len)
{
	if (len > resp->cap)
		return SW_UNKNOWN;
	memcpy(resp->buf, data, len);
	resp->len = len;
	return SW_OK;
}

/* The running firmware's version, not the one that provisioned the token: tools decide
 * by it what they may ask of the firmware they talk to. */
uint16_t piv_cmd_get_version(piv_applet *a, const apdu_cmd *cmd, piv_resp *resp)
{
	static const uint8_t version[3] = {TOK_VERSION_MAJOR, TOK_VERSION_MINOR, TOK_VERSION_PATCH};
	uint16_t sw = ext_check_plain(cmd);

	(void)a;
	resp->len = 0;
	if (sw != SW_OK)
		return sw;
	return ext_answer(resp, version, sizeof(version));
}

uint16_t piv_cmd_get_serial(piv_applet *a, const apdu_cmd *cmd, piv_resp *resp)
{
	uint32_t serial = a->st->serial;
	uint8_t be[4] = {(uint8_t)(serial >> 24), (uint8_t)(serial >> 16), (uint8_t)(serial >> 8),
	                 (uint8_t)serial};
	uint16_t sw = ext_check_plain(cmd);

	resp->len = 0;
	if (sw != SW_OK)
		return sw;
	return ext_answer(resp, be, sizeof(be));
}

/* PIN or PUK: algorithm FF, is-default, retries (total, remaining). */
static void meta_secret(tlv_writer *w, const tok_secret *s, bool is_default)
{
	uint8_t tries[2] = {s->tries_max, s->tries_left};

	tlv_put_u8(w, PIV_META_ALGORITHM, META_ALG_PIN);
	tlv_put_u8(w, PIV_META_IS_DEFAULT, is_default ? 1 : 0);
	tlv_put(w, PIV_META_RETRIES, tries, sizeof(tries));
}

/* Card management key: algorithm, policy (PIN never, touch never), is-default. */
static void meta_mgmt(tlv_writer *w, const tok_state *st)
{
	static const uint8_t policy[2] = {0x00, PIV_TOUCH_POLICY_NEVER};

	tlv_put_u8(w, PIV_META_ALGORITHM, st->mgmt_alg);
	tlv_put(w, PIV_META_POLICY, policy, sizeof(policy));
	tlv_put_u8(w, PIV_META_IS_DEFAULT, st->mgmt_is_default ? 1 : 0);
}

/* An asymmetric key: algorithm, policies, origin and the public key as the contents of
 * the 7F49 template (YubiKey sends them without the wrapper). */
static uint16_t meta_key(tlv_writer *w, const tok_key *k)
{
	uint8_t pub[META_PUB_MAX];
	uint8_t policy[2];
	tlv_writer pw;
	tlv_item tmpl;

	if (k->alg == 0 || k->priv_der == NULL)
		return SW_FILE_NOT_FOUND;

	tlv_writer_init(&pw, pub, sizeof(pub));
	if (piv_crypto_public(k->alg, k->priv_der, k->priv_len, &pw) != 0 ||
	    tlv_writer_status(&pw) != TLV_OK || tlv_parse(pub, pw.len, &tmpl) != TLV_OK ||
	    tmpl.tag != PIV_TLV_PUBKEY)
		return SW_UNKNOWN;

	policy[0] = k->pin_policy;
	policy[1] = k->touch_policy != 0 ? k->touch_policy : PIV_TOUCH_POLICY_NEVER;
	tlv_put_u8(w, PIV_META_ALGORITHM, k->alg);
	tlv_put(w, PIV_META_POLICY, policy, sizeof(policy));
	tlv_put_u8(w, PIV_META_ORIGIN, k->origin);
	tlv_put(w, PIV_META_PUBKEY, tmpl.value, tmpl.len);
	return SW_OK;
}

/* INVENTORY: everything a host needs to list the token's objects and show its PIN state,
 * so it need not read every container (or ask 24 GET METADATA) to learn what is there. */
static void meta_inventory(tlv_writer *w, const tok_state *st)
{
	uint8_t be[4], tries[2], policy[2], tag[3];
	size_t i, mark, inner;

	be[0] = (uint8_t)(st->serial >> 24);
	be[1] = (uint8_t)(st->serial >> 16);
	be[2] = (uint8_t)(st->serial >> 8);
	be[3] = (uint8_t)st->serial;
	tlv_put(w, PIV_INV_SERIAL, be, sizeof(be));
	tries[0] = st->pin.tries_max;
	tries[1] = st->pin.tries_left;
	tlv_put(w, PIV_INV_PIN_TRIES, tries, sizeof(tries));
	tries[0] = st->puk.tries_max;
	tries[1] = st->puk.tries_left;
	tlv_put(w, PIV_INV_PUK_TRIES, tries, sizeof(tries));
	tlv_put_u8(w, PIV_INV_PIN_DEFAULT, st->pin.is_default || st->pin_must_change ? 1 : 0);
	be[0] = (uint8_t)(st->change_counter >> 24);
	be[1] = (uint8_t)(st->change_counter >> 16);
	be[2] = (uint8_t)(st->change_counter >> 8);
	be[3] = (uint8_t)st->change_counter;
	tlv_put(w, PIV_INV_COUNTER, be, sizeof(be));

	for (i = 0; i < PIV_KEY_SLOTS; i++) {
		const tok_key *k = &st->keys[i];

		if (k->alg == 0)
			continue;
		policy[0] = k->pin_policy;
		policy[1] = k->touch_policy != 0 ? k->touch_policy : PIV_TOUCH_POLICY_NEVER;
		inner = tlv_begin(w, PIV_INV_KEY);
		tlv_put_u8(w, PIV_INV_KEY_REF, piv_key_slot_ref((unsigned)i));
		tlv_put_u8(w, PIV_META_ALGORITHM, k->alg);
		tlv_put(w, PIV_META_POLICY, policy, sizeof(policy));
		tlv_put_u8(w, PIV_META_ORIGIN, k->origin);
		tlv_end(w, inner);
	}

	mark = tlv_begin(w, PIV_INV_OBJECTS);
	for (i = 0; i < st->n_objects; i++) {
		if (st->objects[i].len == 0)
			continue;
		tlv_put(w, PIV_TLV_TAG_LIST, tag, tlv_tag_bytes(st->objects[i].tag, tag));
	}
	tlv_end(w, mark);
}

uint16_t piv_cmd_get_metadata(piv_applet *a, const apdu_cmd *cmd, piv_resp *resp)
{
	const tok_state *st = a->st;
	tlv_writer w;
	uint16_t sw = SW_OK;
	int idx;

	resp->len = 0;
	if (cmd->p1 != 0)
		return SW_INCORRECT_P1P2;
	if (cmd->lc != 0)
		return SW_WRONG_LENGTH;

	tlv_writer_init(&w, resp->buf, resp->cap);
	switch (cmd->p2) {
	case PIV_REF_INVENTORY:
		/* kinko's own extension: a YubiKey has no such command. */
		if (st->profile != TOK_PROFILE_KINKO)
			return SW_INS_NOT_SUPPORTED;
		meta_inventory(&w, st);
		break;
	case PIV_REF_PIN:
		/* A PIN that must be changed reports as default, so hosts force the change
		 * the way they do for a factory PIN. */
		meta_secret(&w, &st->pin, st->pin.is_default || st->pin_must_change);
		break;
	case PIV_REF_PUK: meta_secret(&w, &st->puk, st->puk.is_default); break;
	case PIV_KEY_CARDMGMT: meta_mgmt(&w, st); break;
	default:
		idx = piv_key_slot_index(cmd->p2);
		if (idx < 0)
			return SW_INCORRECT_P1P2;
		sw = meta_key(&w, &st->keys[idx]);
		break;
	}
	if (sw != SW_OK)
		return sw;
	if (tlv_writer_status(&w) != TLV_OK)
		return SW_UNKNOWN;
	resp->len = w.len;
	return SW_OK;
}
