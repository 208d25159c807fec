/* MOVE KEY (YubiKey 5.7): 00 F6 <to> <from>. The key moves with its algorithm, policies and
 * origin; <to> = FF deletes it. Certificate containers are the host's business, as on a
 * YubiKey. */
#include <string.h>

#include "piv_crypto.h"
#include "piv_internal.h"

/* Persist with the change counter up; on a failed save the caller undoes its change. */
static uint16_t move_commit(piv_applet *a)
{
	a->st->change_counter++;
	if (piv_commit(a) != SW_OK) {
		a->st->change_counter--;
		return SW_MEMORY_FAILURE;
	}
	return SW_OK;
}

uint16_t piv_cmd_move_key(piv_applet *a, const apdu_cmd *cmd, piv_resp *resp)
{
	tok_key moved, *src, *dst = NULL;
	int from, to = -1;
	uint16_t sw;

	resp->len = 0;
	from = piv_key_slot_index(cmd->p2);
	if (cmd->p1 != PIV_MOVE_KEY_DELETE)
		to = piv_key_slot_index(cmd->p1);
	/* F9 (attestation), 9B and other references are no key slots; a key cannot move onto
	 * itself. */
	if (from < 0 || (cmd->p1 != PIV_MOVE_KEY_DELETE && (to < 0 || to == from)))
		return SW_INCORRECT_P1P2;
	if (cmd->lc != 0)
		return SW_WRONG_LENGTH;
	if (!a->mgmt_authenticated)
		return SW_SECURITY_NOT_SATISFIED;
	src = &a->st->keys[from];
	if (src->alg == 0)
		return SW_FILE_NOT_FOUND;
	if (to >= 0) {
		dst = &a->st->keys[to];
		/* YubiKey wants an empty destination: a move never destroys a key. */
		if (dst->alg != 0)
			return SW_CONDITIONS_NOT_SATISFIED;
	}

	/* The key changes place (or goes) only once the flash says so; until then the
	 * old layout is restored on failure. */
	moved = *src;
	memset(src, 0, sizeof(*src));
	if (dst != NULL)
		*dst = moved;
	sw = move_commit(a);
	if (sw != SW_OK) {
		if (dst != NULL)
			memset(dst, 0, sizeof(*dst));
		*src = moved;
		return sw;
	}
	/* No parsed copy of the key stays behind under its old slot. */
	piv_key_cache_clear(&a->key_cache[from]);
	if (dst == NULL)
		tok_key_clear(&moved);
	return SW_OK;
}
