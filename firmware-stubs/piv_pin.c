/* VERIFY, CHANGE REFERENCE DATA and RESET RETRY COUNTER (SP 800-73-4 part 2, 3.2).
 * Every attempt costs a try that is persisted before the secret is looked at, so cutting
 * the power at the right moment cannot buy extra guesses; a match gives the try back. */
#include <string.h>

#include <openssl/crypto.h>

#include "piv_internal.h"

#define PIV_PIN_BLOCK PIV_PIN_MAX /* each reference data value travels as 8 bytes */

/* 6..8 bytes, then only FF padding up to 8. */
static bool piv_pin_well_formed(const uint8_t v[PIV_PIN_BLOCK])
{
	size_t n = 0, i;

	while (n < PIV_PIN_BLOCK && v[n] != PIV_PIN_PAD)
		n++;
	for (i = n; i < PIV_PIN_BLOCK; i++)
		if (v[i] != PIV_PIN_PAD)
			return false;
	return n >= PIV_PIN_MIN;
}

/* One attempt against s: decrement and persist, then compare in constant time. SW_OK on
 * a match (tries restored in RAM; the caller persists with its own change), 63Cx on a
 * mismatch, 6983 when blocked, 6581 when the try could not be recorded. */
static uint16_t piv_pin_attempt(piv_applet *a, tok_secret *s, const uint8_t v[PIV_PIN_BLOCK])
{
	uint16_t sw;

	if (s->tries_left == 0)
		return SW_AUTH_BLOCKED;
	s->tries_left--;
	sw = piv_commit(a);
	if (sw != SW_OK)
		return sw;
	if (!tok_secret_matches(s, v))
		return (uint16_t)SW_VERIFY_FAIL(s->tries_left);
	s->tries_left = s->tries_max;
	return SW_OK;
}

static void piv_pin_unverify(piv_applet *a)
{
	a->pin_verified = false;
	a->pin_always_ok = false;
}

/* Lc = 0: ask the status without spending a try. */
static uint16_t piv_pin_status(const piv_applet *a)
{
	if (a->pin_verified)
		return SW_OK;
	if (a->st->pin.tries_left == 0)
		return SW_AUTH_BLOCKED;
	return (uint16_t)SW_VERIFY_FAIL(a->st->pin.tries_left);
}

uint16_t piv_cmd_verify(piv_applet *a, const apdu_cmd *cmd, piv_resp *resp)
{
	uint16_t sw;

	(void)resp;
	if ((cmd->p1 != 0x00 && cmd->p1 != 0xFF) || cmd->p2 != PIV_REF_PIN)
		return SW_INCORRECT_P1P2;
	if (cmd->p1 == 0xFF) {
		/* SP 800-73-4: P1 FF resets the PIN's security status; there is no data. */
		if (cmd->lc != 0)
			return SW_WRONG_LENGTH;
		piv_pin_unverify(a);
		return SW_OK;
	}
	if (cmd->lc == 0)
		return piv_pin_status(a);
	if (cmd->lc != PIV_PIN_BLOCK)
		return SW_WRONG_LENGTH;
	if (!piv_pin_well_formed(cmd->data))
		return SW_WRONG_DATA;

	sw = piv_pin_attempt(a, &a->st->pin, cmd->data);
	if (sw == SW_OK)
		sw = piv_commit(a);
	if (sw != SW_OK) {
		piv_pin_unverify(a);
		return sw;
	}
	a->pin_verified = true;
	a->pin_always_ok = true;
	return SW_OK;
}

/* Replace s with v (same number of tries); undone in RAM when it cannot be persisted. */
static uint16_t piv_pin_replace(piv_applet *a, tok_secret *s, const uint8_t v[PIV_PIN_BLOCK],
                                bool *must_change)
{
	tok_secret old = *s;
	bool old_must_change = must_change != NULL && *must_change;
	uint16_t sw;

	if (tok_secret_set(s, v, s->tries_max) != 0) {
		*s = old;
		sw = SW_MEMORY_FAILURE;
		goto out;
	}
	s->is_default = false;
	if (must_change != NULL)
		*must_change = false;
	sw = piv_commit(a);
	if (sw != SW_OK) {
		*s = old;
		if (must_change != NULL)
			*must_change = old_must_change;
	}
out:
	OPENSSL_cleanse(&old, sizeof(old));
	return sw;
}

static bool piv_pin_pair_ok(const apdu_cmd *cmd, uint16_t *sw)
{
	if (cmd->lc != 2 * PIV_PIN_BLOCK) {
		*sw = SW_WRONG_LENGTH;
		return false;
	}
	if (!piv_pin_well_formed(cmd->data) || !piv_pin_well_formed(cmd->data + PIV_PIN_BLOCK)) {
		*sw = SW_WRONG_DATA;
		return false;
	}
	return true;
}

/* old || new, for the PIN (80) or the PUK (81). */
uint16_t piv_cmd_change_reference(piv_applet *a, const apdu_cmd *cmd, piv_resp *resp)
{
	bool is_pin = cmd->p2 == PIV_REF_PIN;
	tok_secret *s;
	uint16_t sw;

	(void)resp;
	if (cmd->p1 != 0x00 || (cmd->p2 != PIV_REF_PIN && cmd->p2 != PIV_REF_PUK))
		return SW_INCORRECT_P1P2;
	if (!piv_pin_pair_ok(cmd, &sw))
		return sw;
	s = is_pin ? &a->st->pin : &a->st->puk;

	sw = piv_pin_attempt(a, s, cmd->data);
	if (sw == SW_OK)
		sw = piv_pin_replace(a, s, cmd->data + PIV_PIN_BLOCK,
		                     is_pin ? &a->st->pin_must_change : NULL);
	if (sw != SW_OK && is_pin)
		piv_pin_unverify(a);
	return sw;
}

/* PUK || new PIN: unblocks the PIN with its full number of tries. */
uint16_t piv_cmd_reset_retry(piv_applet *a, const apdu_cmd *cmd, piv_resp *resp)
{
	uint16_t sw;

	(void)resp;
	if (cmd->p1 != 0x00 || cmd->p2 != PIV_REF_PIN)
		return SW_INCORRECT_P1P2;
	if (!piv_pin_pair_ok(cmd, &sw))
		return sw;

	sw = piv_pin_attempt(a, &a->st->puk, cmd->data);
	if (sw == SW_OK)
		sw = piv_pin_replace(a, &a->st->pin, cmd->data + PIV_PIN_BLOCK,
		                     &a->st->pin_must_change);
	/* Whoever held the old PIN's session loses it. */
	piv_pin_unverify(a);
	return sw;
}
