/* The PIV card driver's core: the channel to the card, SELECT, status words, and the
 * commands that read what the token is (serial, version, metadata, data objects).
 *
 * Sharing the card. The token has one security state for all its users: another process
 * powering it on (a USB reset) deselects the applet and forgets the verified PIN and the
 * management-key authentication. Two symptoms show it here: the card is not powered any
 * more (the reader refuses XfrBlock: TR_ERR_IO), or the applet answers 6D00 because
 * nothing is selected. On either, card_run powers on again if needed, re-SELECTs and
 * retries the command once. A retried command that needs the PIN then fails with
 * CARD_ERR_SECURITY: the PKCS#11 layer, which alone may hold the PIN, re-VERIFYs. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "card_internal.h"
#include "piv.h"
#include "trace.h"

/* Transport errors travel through apdu_transceive's callback as negative ints; they are
 * offset so they cannot be confused with the codec's own APDU_ERR_* values. */
#define CARD_TR_BASE (-1000)
#define CARD_RC_IS_TR(rc) ((rc) <= CARD_TR_BASE + TR_OK && (rc) > CARD_TR_BASE - 100)

#define CARD_SELECT_RESP_MAX 256u
/* The application label kinko's applet gives in its SELECT answer: such a card answers
 * INVENTORY, others are not asked (a wasted APDU on every cold start). */
#define CARD_KINKO_LABEL "kinko"

static int card_transmit(void *ctx, const uint8_t *cmd, size_t cmd_len, uint8_t *resp,
                         size_t resp_cap, size_t *resp_len)
{
	card *c = ctx;
	unsigned long seq = c->ch.apdu_count;
	bool masked = trace_apdu_command(seq, cmd, cmd_len);
	tr_status st = c->tr->ops->transmit(c->tr, cmd, cmd_len, resp, resp_cap, resp_len);

	trace_apdu_response(seq, st == TR_OK ? resp : NULL, st == TR_OK ? *resp_len : 0, masked,
	                    (int)st);
	return st == TR_OK ? 0 : CARD_TR_BASE + (int)st;
}

void card_init(card *c, tr_transport *tr)
{
	memset(c, 0, sizeof(*c));
	c->tr = tr;
	c->ch.transmit = card_transmit;
	c->ch.ctx = c;
	/* The kinko token takes extended-length APDUs: a certificate is one GET DATA. */
	c->ch.use_extended = true;
}

/* The transport stays the caller's (one transport may outlive several card structs). */
void card_cleanup(card *c)
{
	c->powered = false;
	c->selected = false;
	c->pin_verified = false;
	c->mgmt_alg = 0;
	c->not_piv = false;
}

void card_reset(card *c)
{
	c->powered = false;
	c->selected = false;
	c->pin_verified = false;
	c->not_piv = false;
}

card_status card_sw_status(uint16_t sw)
{
	if ((sw & 0xFFF0) == 0x63C0)
		return CARD_ERR_PIN_INCORRECT;
	switch (sw) {
	case SW_OK: return CARD_OK;
	case SW_AUTH_BLOCKED: return CARD_ERR_PIN_LOCKED;
	case SW_SECURITY_NOT_SATISFIED: return CARD_ERR_SECURITY;
	case SW_FILE_NOT_FOUND:
	case SW_REF_NOT_FOUND: return CARD_ERR_NOT_FOUND;
	case SW_WRONG_DATA:
	case SW_WRONG_LENGTH:
	case SW_INCORRECT_P1P2: return CARD_ERR_BAD_INPUT;
	case SW_NOT_ENOUGH_MEMORY: return CARD_ERR_NO_MEMORY;
	case SW_INS_NOT_SUPPORTED:
	case SW_FUNC_NOT_SUPPORTED: return CARD_ERR_UNSUPPORTED;
	default: return CARD_ERR_FAILED;
	}
}

/* A transport or codec failure as a card_status; the card's state is unknown after it. */
static card_status card_rc_status(card *c, int rc)
{
	tr_status st;

	if (rc == 0)
		return CARD_OK;
	/* The codec's errors leave the card as it was: a command we could not encode never
	 * left, and a malformed answer was still an answer in step with the stream. A
	 * needless re-SELECT would cost the verified PIN. */
	if (!CARD_RC_IS_TR(rc))
		return rc == APDU_ERR_PARAM ? CARD_ERR_BAD_INPUT : CARD_ERR_DEVICE;
	c->selected = false;
	st = (tr_status)(rc - CARD_TR_BASE);
	switch (st) {
	case TR_ERR_ABSENT:
		/* Whatever comes back may be another token. */
		c->powered = false;
		c->mgmt_alg = 0;
		return CARD_ERR_ABSENT;
	case TR_ERR_NOMEM: return CARD_ERR_NO_MEMORY;
	default: return CARD_ERR_DEVICE;
	}
}

static int card_xfer(card *c, const card_req *rq, size_t *out_len, uint16_t *sw)
{
	apdu_cmd cmd;
	size_t n = 0;
	int rc;

	memset(&cmd, 0, sizeof(cmd));
	cmd.ins = rq->ins;
	cmd.p1 = rq->p1;
	cmd.p2 = rq->p2;
	cmd.data = rq->lc ? rq->data : NULL;
	cmd.lc = rq->lc;
	if (rq->out && rq->cap) {
		cmd.has_le = true;
		cmd.le = rq->cap < APDU_EXT_MAX_LE ? rq->cap : APDU_EXT_MAX_LE;
	}
	rc = apdu_transceive(&c->ch, &cmd, rq->out, rq->out ? rq->cap : 0, &n, sw);
	if (rc == 0) {
		c->last_sw = *sw;
		if (out_len)
			*out_len = n;
	}
	return rc;
}

static card_status card_power_on(card *c)
{
	tr_status st;

	c->atr_len = 0;
	st = c->tr->ops->power_on(c->tr, c->atr, sizeof(c->atr), &c->atr_len);
	if (st == TR_OK) {
		c->powered = true;
		return CARD_OK;
	}
	return card_rc_status(c, CARD_TR_BASE + (int)st);
}

/* SELECT answers the application property template: 61 { 4F PIX, ... }. */
static card_status card_select(card *c, int *rc)
{
	static const card_req rq_proto = {.ins = PIV_INS_SELECT,
	                                  .p1 = 0x04,
	                                  .p2 = 0x00,
	                                  .data = PIV_AID,
	                                  .lc = sizeof(PIV_AID)};
	uint8_t out[CARD_SELECT_RESP_MAX];
	card_req rq = rq_proto;
	tlv_item tmpl, pix, label;
	size_t n = 0;
	uint16_t sw = 0;

	rq.out = out;
	rq.cap = sizeof(out);
	*rc = card_xfer(c, &rq, &n, &sw);
	if (*rc != 0)
		return card_rc_status(c, *rc);
	/* Whatever the card says, it has no PIV applet for us (6A82, 6D00, 6E00...). */
	c->not_piv = sw != SW_OK;
	if (sw != SW_OK)
		return CARD_ERR_NOT_PIV;
	if (card_tlv_whole(out, n, 0x61, &tmpl) != CARD_OK ||
	    tlv_find(tmpl.value, tmpl.len, 0x4F, &pix) != TLV_OK)
		return CARD_ERR_DEVICE;
	c->apt_kinko = tlv_find(tmpl.value, tmpl.len, 0x50, &label) == TLV_OK &&
	               label.len >= sizeof(CARD_KINKO_LABEL) - 1 &&
	               memcmp(label.value, CARD_KINKO_LABEL, sizeof(CARD_KINKO_LABEL) - 1) == 0;
	c->selected = true;
	c->pin_verified = false; /* SELECT ends every verification */
	return CARD_OK;
}

card_status card_connect(card *c)
{
	card_status st = CARD_OK;
	bool fresh;
	int attempt, rc = 0;

	if (!c || !c->tr)
		return CARD_ERR_BAD_INPUT;
	if (c->selected)
		return CARD_OK;
	for (attempt = 0; attempt < 2; attempt++) {
		fresh = !c->powered;
		if (fresh) {
			st = card_power_on(c);
			if (st != CARD_OK)
				return st;
		}
		st = card_select(c, &rc);
		/* Not powered (any more): power on and select again, once. */
		if (rc == CARD_TR_BASE + TR_ERR_IO && !fresh) {
			c->powered = false;
			continue;
		}
		break;
	}
	return st;
}

/* After a 6D00: is the applet still selected? VERIFY without data is answered by a
 * selected PIV applet whatever its state (9000 / 63Cx / 6983) and costs no try. A 63Cx
 * where we had verified the PIN means the same reset, only with someone else's SELECT
 * between their power-on and this probe (our command fell in that gap). */
static bool card_lost_selection(card *c)
{
	card_req rq = {.ins = PIV_INS_VERIFY, .p1 = 0x00, .p2 = PIV_REF_PIN};
	uint16_t sw = 0;
	int rc = card_xfer(c, &rq, NULL, &sw);

	return rc == CARD_TR_BASE + TR_ERR_IO ||
	       (rc == 0 &&
	        (sw == SW_INS_NOT_SUPPORTED || (c->pin_verified && (sw & 0xFFF0) == 0x63C0)));
}

/* Instructions every PIV applet has: 6D00 to one of them can only mean that the applet is
 * no longer selected. Asking the card (card_lost_selection) would race with the other
 * program, which may have selected it and verified its PIN again in the meantime. */
static bool card_ins_is_core(uint8_t ins)
{
	switch (ins) {
	case PIV_INS_GET_DATA:
	case PIV_INS_PUT_DATA:
	case PIV_INS_VERIFY:
	case PIV_INS_CHANGE_REFERENCE:
	case PIV_INS_RESET_RETRY:
	case PIV_INS_GENERAL_AUTH:
	case PIV_INS_GENERATE_KEY: return true;
	default: return false;
	}
}

card_status card_run(card *c, const card_req *rq, size_t *out_len, uint16_t *sw)
{
	card_status st;
	int attempt, rc;

	for (attempt = 0;; attempt++) {
		st = card_connect(c);
		if (st != CARD_OK)
			return st;
		rc = card_xfer(c, rq, out_len, sw);
		if (attempt > 0)
			break;
		/* The two signs of a reset underneath (see the top of this file). */
		if (rc == CARD_TR_BASE + TR_ERR_IO ||
		    (rc == 0 && *sw == SW_INS_NOT_SUPPORTED &&
		     (card_ins_is_core(rq->ins) || card_lost_selection(c)))) {
			c->selected = false;
			c->resets++;
			continue;
		}
		break;
	}
	return card_rc_status(c, rc);
}

card_status card_run_ok(card *c, const card_req *rq, size_t *out_len)
{
	uint16_t sw = 0;
	card_status st = card_run(c, rq, out_len, &sw);

	if (st != CARD_OK)
		return st;
	return card_sw_status(sw);
}

card_status card_tlv_whole(const uint8_t *buf, size_t len, uint32_t tag, tlv_item *it)
{
	if (!buf || tlv_parse(buf, len, it) != TLV_OK || it->tag != tag ||
	    it->header_len + it->len != len)
		return CARD_ERR_DEVICE;
	return CARD_OK;
}

/* ---- what the token is ---- */

/* A command without data whose answer is exactly len bytes. */
static card_status card_run_exact(card *c, uint8_t ins, uint8_t *out, size_t len)
{
	uint8_t buf[16];
	card_req rq = {.ins = ins, .out = buf, .cap = sizeof(buf)};
	size_t n = 0;
	card_status st = card_run_ok(c, &rq, &n);

	if (st != CARD_OK)
		return st;
	if (n != len)
		return CARD_ERR_DEVICE;
	memcpy(out, buf, len);
	return CARD_OK;
}

card_status card_get_serial(card *c, uint32_t *serial)
{
	uint8_t out[4];
	card_status st = serial ? card_run_exact(c, PIV_INS_GET_SERIAL, out, sizeof(out)) :
	                          CARD_ERR_BAD_INPUT;

	if (st == CARD_OK)
		*serial = (uint32_t)out[0] << 24 | (uint32_t)out[1] << 16 | (uint32_t)out[2] << 8 |
		          out[3];
	return st;
}

card_status card_get_version(card *c, uint8_t version[3])
{
	return version ? card_run_exact(c, PIV_INS_GET_VERSION, version, 3) : CARD_ERR_BAD_INPUT;
}

/* A byte-sized field: exactly one byte. */
static bool card_meta_u8(const tlv_item *it, uint8_t *v)
{
	if (it->len != 1)
		return false;
	*v = it->value[0];
	return true;
}

/* The public key's contents must themselves be well-formed TLVs. */
static bool card_meta_pubkey(const tlv_item *it, card_metadata *md)
{
	tlv_iter iter;
	tlv_item inner;
	tlv_status s;

	if (it->len == 0 || it->len > sizeof(md->pubkey))
		return false;
	tlv_iter_init(&iter, it->value, it->len);
	while ((s = tlv_iter_next(&iter, &inner)) == TLV_OK)
		;
	if (s != TLV_END)
		return false;
	memcpy(md->pubkey, it->value, it->len);
	md->pubkey_len = it->len;
	md->has_pubkey = true;
	return true;
}

static bool card_meta_item(const tlv_item *it, card_metadata *md)
{
	uint8_t v;

	switch (it->tag) {
	case PIV_META_ALGORITHM: return card_meta_u8(it, &md->algorithm) && md->algorithm != 0;
	case PIV_META_POLICY:
		if (it->len != 2)
			return false;
		md->pin_policy = it->value[0];
		md->touch_policy = it->value[1];
		md->has_policy = true;
		return true;
	case PIV_META_ORIGIN: md->has_origin = card_meta_u8(it, &md->origin); return md->has_origin;
	case PIV_META_PUBKEY: return card_meta_pubkey(it, md);
	case PIV_META_IS_DEFAULT:
		if (!card_meta_u8(it, &v) || v > 1)
			return false;
		md->is_default = v == 1;
		md->has_default = true;
		return true;
	case PIV_META_RETRIES:
		if (it->len != 2 || it->value[1] > it->value[0])
			return false;
		md->tries_max = it->value[0];
		md->tries_left = it->value[1];
		md->has_retries = true;
		return true;
	default: return true; /* a later firmware's addition: not ours to judge */
	}
}

card_status card_metadata_parse(const uint8_t *buf, size_t len, card_metadata *md)
{
	unsigned seen = 0;
	tlv_iter iter;
	tlv_item it;
	tlv_status s;

	memset(md, 0, sizeof(*md));
	tlv_iter_init(&iter, buf, len);
	while ((s = tlv_iter_next(&iter, &it)) == TLV_OK) {
		if (it.tag >= PIV_META_ALGORITHM && it.tag <= PIV_META_RETRIES) {
			if (seen & (1u << it.tag))
				return CARD_ERR_DEVICE;
			seen |= 1u << it.tag;
		}
		if (!card_meta_item(&it, md))
			return CARD_ERR_DEVICE;
	}
	return s == TLV_END ? CARD_OK : CARD_ERR_DEVICE;
}

card_status card_get_metadata(card *c, uint8_t ref, card_metadata *md)
{
	uint8_t out[sizeof(md->pubkey) + 64];
	card_req rq = {.ins = PIV_INS_GET_METADATA, .p2 = ref, .out = out, .cap = sizeof(out)};
	size_t n = 0;
	card_status st;

	if (!md)
		return CARD_ERR_BAD_INPUT;
	memset(md, 0, sizeof(*md));
	st = card_run_ok(c, &rq, &n);
	if (st == CARD_OK)
		st = card_metadata_parse(out, n, md);
	if (st != CARD_OK)
		memset(md, 0, sizeof(*md));
	return st;
}

card_status card_mgmt_alg(card *c, uint8_t *alg)
{
	card_metadata md;
	card_status st;

	if (c->mgmt_alg) {
		*alg = c->mgmt_alg;
		return CARD_OK;
	}
	st = card_get_metadata(c, PIV_KEY_CARDMGMT, &md);
	/* A card without GET METADATA (or without the field) has the SP 800-78 default. */
	if (st == CARD_ERR_UNSUPPORTED || st == CARD_ERR_NOT_FOUND ||
	    (st == CARD_OK && md.algorithm == 0))
		md.algorithm = PIV_ALG_3DES;
	else if (st != CARD_OK)
		return st;
	if (piv_alg_mgmt_cipher(md.algorithm) == NULL)
		return CARD_ERR_UNSUPPORTED;
	c->mgmt_alg = md.algorithm;
	*alg = md.algorithm;
	return CARD_OK;
}

card_status card_run_long(card *c, card_req *rq, uint8_t **buf, size_t *n)
{
	*n = 0;
	*buf = malloc(APDU_EXT_MAX_LE);
	if (!*buf)
		return CARD_ERR_NO_MEMORY;
	rq->out = *buf;
	rq->cap = APDU_EXT_MAX_LE;
	return card_run_ok(c, rq, n);
}

card_status card_dup(const uint8_t *src, size_t len, uint8_t **dst, size_t *dst_len)
{
	*dst = malloc(len ? len : 1);
	if (!*dst)
		return CARD_ERR_NO_MEMORY;
	memcpy(*dst, src, len);
	*dst_len = len;
	return CARD_OK;
}

/* ---- data objects ---- */

/* PIV names its data objects with tags of 1..3 bytes (7E, 7F61, 5FC105). */
static bool card_tag_ok(uint32_t tag)
{
	return tag != 0 && tag <= 0xFFFFFFu;
}

static uint32_t card_data_wrapper(uint32_t tag)
{
	return tag == PIV_TAG_DISCOVERY ? PIV_TAG_DISCOVERY : PIV_TLV_DATA;
}

card_status card_get_data(card *c, uint32_t tag, uint8_t **value, size_t *len)
{
	uint8_t list[5], tb[3], *out;
	card_req rq = {.ins = PIV_INS_GET_DATA, .p1 = 0x3F, .p2 = 0xFF, .data = list};
	tlv_item obj;
	size_t n = 0, tl;
	card_status st;

	if (!value || !len || !card_tag_ok(tag))
		return CARD_ERR_BAD_INPUT;
	*value = NULL;
	*len = 0;
	tl = tlv_tag_bytes(tag, tb);
	list[0] = PIV_TLV_TAG_LIST;
	list[1] = (uint8_t)tl;
	memcpy(list + 2, tb, tl);
	rq.lc = 2 + tl;
	st = card_run_long(c, &rq, &out, &n);
	if (st == CARD_OK)
		st = card_tlv_whole(out, n, card_data_wrapper(tag), &obj);
	if (st == CARD_OK)
		st = card_dup(obj.value, obj.len, value, len);
	/* Printed holds the PIN-protected management key, maybe in part after a failure. */
	if (out)
		OPENSSL_cleanse(out, tag == PIV_TAG_PRINTED ? APDU_EXT_MAX_LE : n);
	free(out);
	return st;
}

card_status card_put_data(card *c, uint32_t tag, const uint8_t *value, size_t len)
{
	card_req rq = {.ins = PIV_INS_PUT_DATA, .p1 = 0x3F, .p2 = 0xFF};
	uint8_t tb[3], *buf;
	tlv_writer w;
	size_t cap;
	card_status st;

	if (!card_tag_ok(tag) || (len && !value) || len > APDU_EXT_MAX_LC)
		return CARD_ERR_BAD_INPUT;
	cap = 2 + 3 + 1 + tlv_len_size(len) + len;
	if (cap > APDU_EXT_MAX_LC + 8)
		return CARD_ERR_BAD_INPUT;
	buf = malloc(cap);
	if (!buf)
		return CARD_ERR_NO_MEMORY;
	tlv_writer_init(&w, buf, cap);
	tlv_put(&w, PIV_TLV_TAG_LIST, tb, tlv_tag_bytes(tag, tb));
	tlv_put(&w, card_data_wrapper(tag), value, len);
	if (tlv_writer_status(&w) != TLV_OK || w.len > APDU_EXT_MAX_LC) {
		st = CARD_ERR_BAD_INPUT;
	} else {
		rq.data = buf;
		rq.lc = w.len;
		st = card_run_ok(c, &rq, NULL);
	}
	/* Printed may carry a management key. */
	OPENSSL_cleanse(buf, cap);
	free(buf);
	return st;
}

const char *card_status_name(card_status s)
{
	switch (s) {
	case CARD_OK: return "ok";
	case CARD_ERR_ABSENT: return "token absent";
	case CARD_ERR_DEVICE: return "device error";
	case CARD_ERR_PIN_INCORRECT: return "PIN incorrect";
	case CARD_ERR_PIN_LOCKED: return "PIN locked";
	case CARD_ERR_SECURITY: return "security status not satisfied";
	case CARD_ERR_NOT_FOUND: return "not found";
	case CARD_ERR_BAD_INPUT: return "bad input";
	case CARD_ERR_NO_MEMORY: return "out of memory";
	case CARD_ERR_UNSUPPORTED: return "not supported";
	case CARD_ERR_FAILED: return "failed";
	case CARD_ERR_NOT_PIV: return "no PIV applet";
	default: return "unknown";
	}
}
