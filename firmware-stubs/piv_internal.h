/* Shared by the applet's command files; not a public interface. */
#ifndef KINKO_PIV_INTERNAL_H
#define KINKO_PIV_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "apdu.h"
#include "piv.h"
#include "piv_applet.h"
#include "piv_crypto.h"
#include "tlv.h"
#include "token_state.h"

#define PIV_CHAIN_MAX 8192u /* largest command built by CLA chaining */

struct piv_applet {
	tok_state *st;
	char *state_path; /* NULL: RAM only */

	/* Volatile security state, lost at reset. */
	bool selected;
	bool pin_verified;
	bool pin_always_ok; /* VERIFY just succeeded: one 9C (PIN-always) operation allowed */
	bool mgmt_authenticated;
	uint8_t mgmt_challenge[16];  /* outstanding witness/challenge of a 9B authentication */
	size_t mgmt_challenge_len;   /* 0: none pending */
	uint8_t mgmt_challenge_kind; /* PIV_TLV_WITNESS (mutual) or PIV_TLV_CHALLENGE (external) */

	/* Command chaining (CLA 0x10) */
	uint8_t chain_buf[PIV_CHAIN_MAX];
	size_t chain_len;
	bool chain_active;
	uint8_t chain_ins, chain_p1, chain_p2;

	/* Response chaining (61xx / GET RESPONSE) */
	uint8_t *pending; /* APDU_MAX_RESPONSE bytes */
	size_t pending_len;
	size_t pending_off;

	/* Parsed private keys by slot index (RAM only, like a card's internal key form). */
	piv_key_cache key_cache[PIV_KEY_SLOTS];
};

/* Response under construction: handlers write data into buf (cap bytes) and set len. */
typedef struct {
	uint8_t *buf;
	size_t cap;
	size_t len;
} piv_resp;

/* A command handler returns the status word; data is in resp. cmd->data/lc already hold
 * the whole (de-chained) data field. Every handler is declared through this one type. */
typedef uint16_t piv_cmd_fn(piv_applet *a, const apdu_cmd *cmd, piv_resp *resp);
typedef piv_cmd_fn *piv_handler;

piv_cmd_fn piv_cmd_select, piv_cmd_get_data, piv_cmd_put_data, piv_cmd_verify,
	piv_cmd_change_reference, piv_cmd_reset_retry, piv_cmd_general_auth, piv_cmd_generate,
	piv_cmd_move_key, piv_cmd_get_version, piv_cmd_get_serial, piv_cmd_get_metadata,
	piv_cmd_attest;

/* The command's data field is exactly one TLV of tag `tag` (a 7C or AC template): true
 * with it in *outer. */
bool piv_applet_template(const apdu_cmd *cmd, uint32_t tag, tlv_item *outer);

/* Persist the state; SW_OK or SW_MEMORY_FAILURE. Every handler that changes the state
 * calls this before answering success. */
uint16_t piv_commit(piv_applet *a);

/* Security-state helpers */
void piv_security_clear(piv_applet *a);

#endif
