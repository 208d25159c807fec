/* GENERATE ASYMMETRIC KEY PAIR (SP 800-73-4 3.3.2), with YubiKey's optional PIN and
 * touch policies in the control reference template. MOVE KEY is in piv_move.c. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "piv_crypto.h"
#include "piv_internal.h"

/* YubiKey's tags inside AC for the policies. */
#define GEN_TLV_ALG 0x80
#define GEN_TLV_PIN_POLICY 0xAA
#define GEN_TLV_TOUCH_POLICY 0xAB
#define GEN_TOUCH_DEFAULT 0x00

typedef struct {
	uint8_t alg;
	uint8_t pin_policy;
	uint8_t touch_policy;
} gen_params;

static bool gen_alg_supported(uint8_t alg)
{
	return piv_alg_bytes(alg) != 0;
}

/* The slot's PIN policy when the host asks for the default: 9E (card authentication)
 * works without a PIN, 9C (digital signature) wants it before every use. */
static uint8_t gen_default_pin_policy(uint8_t ref)
{
	switch (ref) {
	case PIV_KEY_CARDAUTH: return PIV_PIN_POLICY_NEVER;
	case PIV_KEY_SIGN: return PIV_PIN_POLICY_ALWAYS;
	default: return PIV_PIN_POLICY_ONCE;
	}
}

/* AC { 80 01 alg [, AA 01 pin policy] [, AB 01 touch policy] }, filling the data field
 * exactly; every byte checked. false means 6A80. */
static bool gen_parse(const apdu_cmd *cmd, uint8_t ref, gen_params *p)
{
	tlv_item outer, it;
	tlv_iter iter;
	tlv_status s;
	bool have_alg = false, have_pin = false, have_touch = false;

	p->alg = 0;
	p->pin_policy = PIV_PIN_POLICY_DEFAULT;
	p->touch_policy = GEN_TOUCH_DEFAULT;
	if (!piv_applet_template(cmd, PIV_TLV_GEN_TEMPLATE, &outer))
		return false;

	tlv_iter_init(&iter, outer.value, outer.len);
	while ((s = tlv_iter_next(&iter, &it)) == TLV_OK) {
		bool *seen;
		uint8_t *dst;

		switch (it.tag) {
		case GEN_TLV_ALG:
			seen = &have_alg;
			dst = &p->alg;
			break;
		case GEN_TLV_PIN_POLICY:
			seen = &have_pin;
			dst = &p->pin_policy;
			break;
		case GEN_TLV_TOUCH_POLICY:
			seen = &have_touch;
			dst = &p->touch_policy;
			break;
		default: return false;
		}
		if (*seen || it.len != 1)
			return false;
		*seen = true;
		*dst = it.value[0];
	}
	if (s != TLV_END || !have_alg || !gen_alg_supported(p->alg))
		return false;

	if (p->pin_policy == PIV_PIN_POLICY_DEFAULT)
		p->pin_policy = gen_default_pin_policy(ref);
	else if (p->pin_policy > PIV_PIN_POLICY_ALWAYS)
		return false;

	/* There is no button on this token: a policy asking for a touch could not be
	 * honoured, so it is refused rather than silently weakened. */
	if (p->touch_policy == GEN_TOUCH_DEFAULT)
		p->touch_policy = PIV_TOUCH_POLICY_NEVER;
	else if (p->touch_policy != PIV_TOUCH_POLICY_NEVER)
		return false;
	return true;
}

uint16_t piv_cmd_generate(piv_applet *a, const apdu_cmd *cmd, piv_resp *resp)
{
	gen_params p;
	tlv_writer w;
	tok_key old, *k;
	uint8_t *der = NULL;
	size_t der_len = 0;
	uint16_t sw;
	int idx;

	resp->len = 0;
	idx = piv_key_slot_index(cmd->p2);
	if (cmd->p1 != 0x00 || idx < 0)
		return SW_INCORRECT_P1P2;
	if (!a->mgmt_authenticated)
		return SW_SECURITY_NOT_SATISFIED;
	if (!gen_parse(cmd, cmd->p2, &p))
		return SW_WRONG_DATA;

	tlv_writer_init(&w, resp->buf, resp->cap);
	if (piv_crypto_generate(p.alg, &der, &der_len, &w) != 0 ||
	    tlv_writer_status(&w) != TLV_OK) {
		if (der != NULL) {
			OPENSSL_cleanse(der, der_len);
			free(der);
		}
		return SW_UNKNOWN;
	}

	/* The old key stays aside until the new one is on flash: if the save fails, the
	 * slot goes back to what it was and the old key remains usable. */
	k = &a->st->keys[idx];
	old = *k;
	memset(k, 0, sizeof(*k));
	tok_key_set(k, p.alg, PIV_ORIGIN_GENERATED, p.pin_policy, der, der_len);
	k->touch_policy = p.touch_policy;

	a->st->change_counter++;
	sw = piv_commit(a);
	if (sw != SW_OK) {
		tok_key_clear(k);
		*k = old;
		a->st->change_counter--;
		return SW_MEMORY_FAILURE;
	}
	tok_key_clear(&old);
	resp->len = w.len;
	return SW_OK;
}
