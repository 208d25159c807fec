/* The PIV applet's core: APDU parsing, command and response chaining, dispatch, the
 * volatile security state, SELECT and the ATR. The commands live in piv_data.c,
 * piv_pin.c, piv_auth.c, piv_keygen.c (GENERATE, MOVE KEY) and piv_ext.c. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "piv_internal.h"

/* ISO 7816-4: "command chaining not supported" (GET RESPONSE cannot be chained). */
#define SW_CHAINING_NOT_SUPPORTED 0x6884

/* Answer-to-reset, byte by byte (ISO 7816-3):
 *   3B  TS: direct convention
 *   F8  T0: TA1 TB1 TC1 TD1 follow, 8 historical bytes
 *   13  TA1: Fi = 372, Di = 4
 *   00  TB1: no programming voltage (deprecated byte, zero)
 *   00  TC1: no extra guard time
 *   81  TD1: TD2 follows; protocol T=1
 *   31  TD2: TA3 TB3 follow; protocol T=1
 *   FE  TA3: IFSC 254 bytes
 *   15  TB3: BWI 1, CWI 5
 *   'kinkoPIV'  historical bytes (proprietary: the first is not a category indicator
 *               of ISO 7816-4, as on other PIV tokens that carry their name here)
 *   97  TCK: XOR of T0 .. last historical byte (T=1 is offered, so TCK is present) */
static const uint8_t piv_atr[] = {
	0x3B, 0xF8, 0x13, 0x00, 0x00, 0x81, 0x31, 0xFE, 0x15,
	'k',  'i',  'n',  'k',  'o',  'P',  'I',  'V',  0x97,
};

static const uint8_t piv_pix[] = {0x00, 0x00, 0x10, 0x00, 0x01, 0x00};
/* NIST's RID: the coexistent tag allocation authority of SP 800-73-4 part 2, table 3. */
static const uint8_t piv_nist_rid[] = {0xA0, 0x00, 0x00, 0x03, 0x08};
static const char piv_label[] = "kinko PIV";
/* Algorithms announced in the template, in the order of the issue. */
static const uint8_t piv_algs[] = {
	PIV_ALG_3DES,    PIV_ALG_AES128,  PIV_ALG_AES192,  PIV_ALG_AES256,
	PIV_ALG_RSA2048, PIV_ALG_RSA3072, PIV_ALG_ECCP256, PIV_ALG_ECCP384,
};

/* The token kinds (TOK_PROFILE_*) that have a command, one bit each: SP 800-73-4's
 * commands are everyone's, YubiKey's extensions are not a plain PIV card's. */
#define PIV_KIND(p) (1u << (p))
#define PIV_EVERY_KIND \
	(PIV_KIND(TOK_PROFILE_KINKO) | PIV_KIND(TOK_PROFILE_YUBIKEY) | PIV_KIND(TOK_PROFILE_PIV))
#define PIV_YUBIKEY_KINDS (PIV_KIND(TOK_PROFILE_KINKO) | PIV_KIND(TOK_PROFILE_YUBIKEY))

struct piv_dispatch {
	uint8_t ins;
	piv_handler fn;
	unsigned kinds;
};

static const struct piv_dispatch piv_commands[] = {
	{.ins = PIV_INS_SELECT, .fn = piv_cmd_select, .kinds = PIV_EVERY_KIND},
	{.ins = PIV_INS_GET_DATA, .fn = piv_cmd_get_data, .kinds = PIV_EVERY_KIND},
	{.ins = PIV_INS_PUT_DATA, .fn = piv_cmd_put_data, .kinds = PIV_EVERY_KIND},
	{.ins = PIV_INS_VERIFY, .fn = piv_cmd_verify, .kinds = PIV_EVERY_KIND},
	{.ins = PIV_INS_CHANGE_REFERENCE, .fn = piv_cmd_change_reference, .kinds = PIV_EVERY_KIND},
	{.ins = PIV_INS_RESET_RETRY, .fn = piv_cmd_reset_retry, .kinds = PIV_EVERY_KIND},
	{.ins = PIV_INS_GENERAL_AUTH, .fn = piv_cmd_general_auth, .kinds = PIV_EVERY_KIND},
	{.ins = PIV_INS_GENERATE_KEY, .fn = piv_cmd_generate, .kinds = PIV_EVERY_KIND},
	{.ins = PIV_INS_GET_VERSION, .fn = piv_cmd_get_version, .kinds = PIV_YUBIKEY_KINDS},
	{.ins = PIV_INS_GET_SERIAL, .fn = piv_cmd_get_serial, .kinds = PIV_YUBIKEY_KINDS},
	/* INVENTORY, GET METADATA of 00, is kinko's alone: piv_cmd_get_metadata knows. */
	{.ins = PIV_INS_GET_METADATA, .fn = piv_cmd_get_metadata, .kinds = PIV_YUBIKEY_KINDS},
	{.ins = PIV_INS_MOVE_KEY, .fn = piv_cmd_move_key, .kinds = PIV_YUBIKEY_KINDS},
	{.ins = PIV_INS_ATTEST, .fn = piv_cmd_attest, .kinds = PIV_YUBIKEY_KINDS},
};

const uint8_t *piv_applet_atr(size_t *len)
{
	if (len != NULL)
		*len = sizeof(piv_atr);
	return piv_atr;
}

piv_applet *piv_applet_new(tok_state *st, const char *state_path)
{
	piv_applet *a;

	if (st == NULL)
		return NULL;
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	a->st = st;
	a->pending = malloc(APDU_MAX_RESPONSE);
	if (state_path != NULL)
		a->state_path = strdup(state_path);
	if (a->pending == NULL || (state_path != NULL && a->state_path == NULL)) {
		piv_applet_free(a);
		return NULL;
	}
	return a;
}

/* Chained data may hold PINs; pending data may hold the PIN-protected management key. */
static void piv_chain_drop(piv_applet *a)
{
	OPENSSL_cleanse(a->chain_buf, a->chain_len);
	a->chain_len = 0;
	a->chain_active = false;
	a->chain_ins = a->chain_p1 = a->chain_p2 = 0;
}

static void piv_pending_drop(piv_applet *a)
{
	if (a->pending != NULL)
		OPENSSL_cleanse(a->pending, a->pending_len);
	a->pending_len = 0;
	a->pending_off = 0;
}

void piv_applet_free(piv_applet *a)
{
	if (a == NULL)
		return;
	piv_applet_reset(a);
	for (size_t i = 0; i < PIV_KEY_SLOTS; i++)
		piv_key_cache_clear(&a->key_cache[i]);
	free(a->pending);
	free(a->state_path);
	free(a);
}

void piv_security_clear(piv_applet *a)
{
	a->pin_verified = false;
	a->pin_always_ok = false;
	a->mgmt_authenticated = false;
	OPENSSL_cleanse(a->mgmt_challenge, sizeof(a->mgmt_challenge));
	a->mgmt_challenge_len = 0;
	a->mgmt_challenge_kind = 0;
}

void piv_applet_reset(piv_applet *a)
{
	if (a == NULL)
		return;
	a->selected = false;
	piv_security_clear(a);
	piv_chain_drop(a);
	piv_pending_drop(a);
}

uint16_t piv_commit(piv_applet *a)
{
	if (a->state_path == NULL)
		return SW_OK;
	return tok_state_save(a->st, a->state_path) == 0 ? SW_OK : SW_MEMORY_FAILURE;
}

bool piv_applet_template(const apdu_cmd *cmd, uint32_t tag, tlv_item *outer)
{
	return cmd->lc != 0 && tlv_parse(cmd->data, cmd->lc, outer) == TLV_OK &&
	       outer->tag == tag && outer->header_len + outer->len == cmd->lc;
}

/* ISO 7816-4 selection by DF name, first or only occurrence: the name may be the AID
 * truncated on the right, down to its RID (yubico-piv-tool sends the 5-byte RID). */
static bool piv_aid_matches(const uint8_t *aid, size_t len)
{
	return len >= sizeof(piv_nist_rid) && len <= sizeof(PIV_AID) && aid != NULL &&
	       memcmp(aid, PIV_AID, len) == 0;
}

/* 61 { 4F PIX, 79 { 4F RID }, 50 label, AC { 80 alg ..., 06 00 } }. The label names kinko's
 * token (hosts recognise it by it), so only the kinko profile carries it; a YubiKey answers
 * just 61 { 4F PIX, 79 { 4F RID } }, a plain PIV card the template without kinko's label. */
static uint16_t piv_write_template(const piv_applet *a, piv_resp *resp)
{
	uint8_t profile = a->st->profile;
	tlv_writer w;
	size_t app, auth, algs, i;

	tlv_writer_init(&w, resp->buf, resp->cap);
	app = tlv_begin(&w, 0x61);
	tlv_put(&w, 0x4F, piv_pix, sizeof(piv_pix));
	auth = tlv_begin(&w, 0x79);
	tlv_put(&w, 0x4F, piv_nist_rid, sizeof(piv_nist_rid));
	tlv_end(&w, auth);
	if (profile == TOK_PROFILE_KINKO)
		tlv_put(&w, 0x50, (const uint8_t *)piv_label, sizeof(piv_label) - 1);
	if (profile != TOK_PROFILE_YUBIKEY) {
		algs = tlv_begin(&w, PIV_TLV_GEN_TEMPLATE);
		for (i = 0; i < sizeof(piv_algs); i++)
			tlv_put_u8(&w, 0x80, piv_algs[i]);
		tlv_put(&w, 0x06, NULL, 0);
		tlv_end(&w, algs);
	}
	tlv_end(&w, app);
	if (tlv_writer_status(&w) != TLV_OK)
		return SW_UNKNOWN;
	resp->len = w.len;
	return SW_OK;
}

/* SELECT by AID (full or truncated down to the RID). A SELECT that finds nothing changes
 * nothing (ISO 7816-4): hosts probe Yubico's OTP and management applets and go on with PIV,
 * still selected, PIN and management key as they were. Selecting PIV again starts afresh. */
uint16_t piv_cmd_select(piv_applet *a, const apdu_cmd *cmd, piv_resp *resp)
{
	if (cmd->p1 != 0x04 || cmd->p2 != 0x00)
		return SW_INCORRECT_P1P2;
	if (!piv_aid_matches(cmd->data, cmd->lc))
		return SW_FILE_NOT_FOUND;
	piv_security_clear(a);
	a->selected = true;
	return piv_write_template(a, resp);
}

static size_t piv_put_sw(uint8_t *resp, size_t off, uint16_t sw)
{
	resp[off] = (uint8_t)(sw >> 8);
	resp[off + 1] = (uint8_t)sw;
	return off + 2;
}

/* Response data the host may take in one APDU. Without Le, a short command gets at
 * most 256 bytes (the rest through GET RESPONSE), an extended one up to 65536. */
static size_t piv_resp_limit(const apdu_cmd *cmd)
{
	if (cmd->has_le)
		return cmd->le;
	return cmd->extended ? APDU_EXT_MAX_LE : APDU_SHORT_MAX_LE;
}

/* Hand out the next part of the pending data: 61xx while more is left, else 9000. */
static size_t piv_deliver(piv_applet *a, const apdu_cmd *cmd, uint8_t *resp, size_t resp_cap)
{
	size_t left = a->pending_len - a->pending_off;
	size_t n = piv_resp_limit(cmd);

	if (n > left)
		n = left;
	if (n > resp_cap - 2)
		n = resp_cap - 2;
	memcpy(resp, a->pending + a->pending_off, n);
	a->pending_off += n;
	left -= n;
	if (left == 0) {
		piv_pending_drop(a);
		return piv_put_sw(resp, n, SW_OK);
	}
	return piv_put_sw(resp, n, (uint16_t)SW_BYTES_REMAINING(left > 256 ? 256 : left));
}

static size_t piv_get_response(piv_applet *a, const apdu_cmd *cmd, uint8_t *resp, size_t resp_cap)
{
	uint16_t sw;

	if (cmd->cla & APDU_CLA_CHAIN)
		sw = SW_CHAINING_NOT_SUPPORTED;
	else if (cmd->p1 != 0 || cmd->p2 != 0)
		sw = SW_INCORRECT_P1P2;
	else if (cmd->lc != 0)
		sw = SW_WRONG_LENGTH;
	else if (a->pending_off >= a->pending_len)
		sw = SW_CONDITIONS_NOT_SATISFIED;
	else
		return piv_deliver(a, cmd, resp, resp_cap);
	piv_pending_drop(a);
	return piv_put_sw(resp, 0, sw);
}

static uint16_t piv_chain_append(piv_applet *a, const apdu_cmd *cmd)
{
	if (cmd->lc > PIV_CHAIN_MAX - a->chain_len) {
		piv_chain_drop(a);
		return SW_WRONG_LENGTH;
	}
	if (cmd->lc > 0)
		memcpy(a->chain_buf + a->chain_len, cmd->data, cmd->lc);
	a->chain_len += cmd->lc;
	return SW_OK;
}

/* Command chaining. Returns SW_OK when *cmd is complete (its data then possibly the whole
 * chain's), or a status word to answer right away (a link taken: 9000 in *ack). */
static uint16_t piv_chain(piv_applet *a, apdu_cmd *cmd, bool *ack)
{
	uint16_t sw;

	*ack = false;
	if (a->chain_active &&
	    (cmd->ins != a->chain_ins || cmd->p1 != a->chain_p1 || cmd->p2 != a->chain_p2)) {
		piv_chain_drop(a);
		/* A new SELECT abandons the chain, so a host can always start over. */
		if (cmd->ins != PIV_INS_SELECT || (cmd->cla & APDU_CLA_CHAIN))
			return SW_LAST_CMD_EXPECTED;
	}
	if (cmd->cla & APDU_CLA_CHAIN) {
		sw = piv_chain_append(a, cmd);
		if (sw == SW_OK) {
			a->chain_active = true;
			a->chain_ins = cmd->ins;
			a->chain_p1 = cmd->p1;
			a->chain_p2 = cmd->p2;
			*ack = true;
		}
		return sw;
	}
	if (!a->chain_active)
		return SW_OK;
	sw = piv_chain_append(a, cmd);
	if (sw != SW_OK)
		return sw;
	cmd->data = a->chain_len > 0 ? a->chain_buf : NULL;
	cmd->lc = a->chain_len;
	return SW_OK;
}

/* The handler of ins on this kind of token, NULL when it has none (6D00). */
static piv_handler piv_lookup(const piv_applet *a, uint8_t ins)
{
	size_t i;

	for (i = 0; i < sizeof(piv_commands) / sizeof(piv_commands[0]); i++)
		if (piv_commands[i].ins == ins)
			return (piv_commands[i].kinds & PIV_KIND(a->st->profile)) ?
			               piv_commands[i].fn :
			               NULL;
	return NULL;
}

/* Run the handler into the pending buffer; only a success carries data. */
static uint16_t piv_run(piv_applet *a, piv_handler fn, const apdu_cmd *cmd)
{
	piv_resp r = {.buf = a->pending, .cap = APDU_EXT_MAX_LE, .len = 0};
	uint16_t sw = fn(a, cmd, &r);

	if (sw != SW_OK || r.len > r.cap) {
		OPENSSL_cleanse(r.buf, r.len > r.cap ? r.cap : r.len);
		a->pending_len = 0;
		return sw == SW_OK ? SW_UNKNOWN : sw;
	}
	a->pending_len = r.len;
	a->pending_off = 0;
	return SW_OK;
}

size_t piv_applet_process(piv_applet *a, const uint8_t *cmd_buf, size_t cmd_len, uint8_t *resp,
                          size_t resp_cap)
{
	apdu_cmd cmd;
	piv_handler fn;
	uint16_t sw;
	bool ack;

	if (a == NULL || resp == NULL || resp_cap < 2)
		return 0;
	if (cmd_buf == NULL || apdu_cmd_parse(cmd_buf, cmd_len, &cmd) != APDU_OK) {
		sw = SW_WRONG_LENGTH;
		goto fail;
	}
	if ((cmd.cla & ~APDU_CLA_CHAIN) != 0) {
		sw = SW_CLA_NOT_SUPPORTED;
		goto fail;
	}
	if (!a->selected && cmd.ins != PIV_INS_SELECT) {
		sw = SW_INS_NOT_SUPPORTED;
		goto fail;
	}
	if (cmd.ins == PIV_INS_GET_RESPONSE) {
		piv_chain_drop(a);
		return piv_get_response(a, &cmd, resp, resp_cap);
	}
	piv_pending_drop(a);

	sw = piv_chain(a, &cmd, &ack);
	if (sw != SW_OK || ack)
		return piv_put_sw(resp, 0, sw);

	fn = piv_lookup(a, cmd.ins);
	sw = fn != NULL ? piv_run(a, fn, &cmd) : SW_INS_NOT_SUPPORTED;
	piv_chain_drop(a);
	if (sw != SW_OK)
		return piv_put_sw(resp, 0, sw);
	return piv_deliver(a, &cmd, resp, resp_cap);

fail:
	piv_chain_drop(a);
	piv_pending_drop(a);
	return piv_put_sw(resp, 0, sw);
}
