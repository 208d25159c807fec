/* The host side of a USB CCID bulk exchange (CCID 1.1 section 6), shared by every
 * transport that carries CCID messages: one command out, its one reply back, checked
 * field by field before anything in it is used. */
#include "ccid_host.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

/* A token asking for more time keeps us waiting at most this many extensions (each one
 * a full message timeout): a card stuck in "wait" must not hang the application. */
#define CCID_HOST_MAX_TIME_EXT 30u

#define CCID_CMD_STATUS_MASK 0xC0u
#define CCID_ICC_STATUS_MASK 0x03u

/* Check one received message against the command it should answer. */
static tr_status ccid_host_check(const uint8_t *buf, size_t len, uint8_t seq, uint8_t slot,
                                 uint8_t reply_type, ccid_header *h)
{
	uint8_t cmd_status;

	if (len < CCID_HEADER_LEN)
		return TR_ERR_PROTOCOL;
	ccid_header_decode(buf, h);
	if (h->length > CCID_MAX_DATA || h->length != len - CCID_HEADER_LEN)
		return TR_ERR_PROTOCOL;
	/* Every command waits for its own answer, so a reply to anything else means the
	 * stream is out of step. */
	if (h->seq != seq || h->slot != slot)
		return TR_ERR_PROTOCOL;
	/* A reader answers a command it does not know with a failed SlotStatus (CCID 1.1
	 * section 6.2.6): an emulator older than kinko's lock Escape does. */
	if (h->type != reply_type && !(h->type == CCID_RDR_TO_PC_SLOT_STATUS &&
	                               (h->param[0] & CCID_CMD_STATUS_MASK) == CCID_CMD_FAILED &&
	                               h->param[1] == CCID_ERR_CMD_NOT_SUPPORTED))
		return TR_ERR_PROTOCOL;
	cmd_status = h->param[0] & CCID_CMD_STATUS_MASK;
	if (cmd_status == CCID_CMD_STATUS_MASK ||
	    (h->param[0] & CCID_ICC_STATUS_MASK) == CCID_ICC_STATUS_MASK ||
	    (h->param[0] & ~(CCID_CMD_STATUS_MASK | CCID_ICC_STATUS_MASK)) != 0)
		return TR_ERR_PROTOCOL;
	/* SlotStatus carries no data (CCID 1.1 6.2.2); a failed command none either. */
	if ((reply_type == CCID_RDR_TO_PC_SLOT_STATUS || cmd_status == CCID_CMD_FAILED) &&
	    h->length != 0)
		return TR_ERR_PROTOCOL;
	return TR_OK;
}

/* A reply's data (in the host's buffer) and its bStatus. */
typedef struct {
	const uint8_t *data;
	size_t len;
	uint8_t status;
} ccid_reply;

bool ccid_host_init(ccid_host *h, const ccid_channel *ch, void *ctx)
{
	h->ch = ch;
	h->ctx = ctx;
	h->buf = malloc(CCID_HOST_BUF_LEN);
	h->buf_used = 0;
	return h->buf != NULL;
}

void ccid_host_wipe(ccid_host *h)
{
	if (h->buf && h->buf_used)
		OPENSSL_cleanse(h->buf, h->buf_used);
	h->buf_used = 0;
}

void ccid_host_free(ccid_host *h)
{
	ccid_host_wipe(h);
	free(h->buf);
	h->buf = NULL;
}

/* Send a CCID command and wait for its reply (matching bSeq, honouring time extensions)
 * in the host's buffer. */
static tr_status ccid_host_command(ccid_host *h, uint8_t type, const uint8_t *data, size_t len,
                                   uint8_t reply_type, ccid_reply *r, unsigned timeout_ms)
{
	static const uint8_t no_param[3];
	const uint8_t slot = 0;
	ccid_header rh;
	unsigned waits;
	size_t n, got;
	uint8_t seq;
	tr_status st;

	if (!h->buf || (len && !data))
		return TR_ERR_PROTOCOL;
	seq = h->seq++;
	n = ccid_message_build(h->buf, CCID_HOST_BUF_LEN, type, slot, seq, no_param, data, len);
	if (n == 0)
		return TR_ERR_PROTOCOL;
	st = h->ch->send(h->ctx, h->buf, n, timeout_ms);
	/* The command may carry a PIN or a key: it does not stay in the buffer. */
	OPENSSL_cleanse(h->buf, n);
	if (st != TR_OK)
		return st;

	for (waits = 0;; waits++) {
		got = 0;
		st = h->ch->recv(h->ctx, h->buf, CCID_HOST_BUF_LEN, &got, timeout_ms);
		if (st != TR_OK)
			return st;
		if (got > CCID_HOST_BUF_LEN)
			return TR_ERR_PROTOCOL;
		st = ccid_host_check(h->buf, got, seq, slot, reply_type, &rh);
		if (st != TR_OK)
			return st;
		if ((rh.param[0] & CCID_CMD_STATUS_MASK) != CCID_CMD_TIME_EXTENSION)
			break;
		if (rh.length != 0 || waits + 1 >= CCID_HOST_MAX_TIME_EXT)
			return rh.length != 0 ? TR_ERR_PROTOCOL : TR_ERR_TIMEOUT;
	}
	r->data = h->buf + CCID_HEADER_LEN;
	r->len = rh.length;
	r->status = rh.param[0];
	return TR_OK;
}

/* A command the reader refused: no card, or the card is not powered (someone powered it
 * off, or never on). */
static tr_status ccid_host_refused(uint8_t status)
{
	return (status & CCID_ICC_STATUS_MASK) == CCID_ICC_ABSENT ? TR_ERR_ABSENT : TR_ERR_IO;
}

static tr_status ccid_host_atr(const ccid_reply *r, uint8_t *atr, size_t cap, size_t *atr_len)
{
	if (r->status & CCID_CMD_FAILED)
		return ccid_host_refused(r->status);
	/* An ATR is at least TS and T0 (ISO 7816-3), at most 33 bytes. */
	if (r->len < 2 || r->len > 33 || (atr && r->len > cap) ||
	    (r->status & CCID_ICC_STATUS_MASK) != CCID_ICC_PRESENT_ACTIVE)
		return TR_ERR_PROTOCOL;
	if (atr) {
		memcpy(atr, r->data, r->len);
		*atr_len = r->len;
	}
	return TR_OK;
}

static tr_status ccid_host_response(const ccid_reply *r, uint8_t *resp, size_t cap,
                                    size_t *resp_len)
{
	if (r->status & CCID_CMD_FAILED)
		return ccid_host_refused(r->status);
	/* A response APDU has at least SW1 SW2. */
	if (r->len < 2 || r->len > cap)
		return TR_ERR_PROTOCOL;
	memcpy(resp, r->data, r->len);
	*resp_len = r->len;
	return TR_OK;
}

/* One command and its reply on the open channel; a failed exchange drops the channel (a
 * late reply must not be taken for the answer to the next command). */
static tr_status ccid_host_exchange(ccid_host *h, unsigned timeout_ms, uint8_t type,
                                    const uint8_t *data, size_t len, uint8_t reply_type,
                                    ccid_reply *r)
{
	tr_status st = h->ch->open(h->ctx);

	if (st != TR_OK)
		return st;
	if (CCID_HEADER_LEN + len > h->buf_used)
		h->buf_used = CCID_HEADER_LEN + len < CCID_HOST_BUF_LEN ? CCID_HEADER_LEN + len :
		                                                          CCID_HOST_BUF_LEN;
	st = ccid_host_command(h, type, data, len, reply_type, r, timeout_ms);
	if (st != TR_OK)
		h->ch->drop(h->ctx, st);
	return st;
}

tr_status ccid_host_power_on(ccid_host *h, unsigned timeout_ms, uint8_t *atr, size_t cap,
                             size_t *atr_len)
{
	ccid_reply r;
	tr_status st = ccid_host_exchange(h, timeout_ms, CCID_PC_TO_RDR_ICC_POWER_ON, NULL, 0,
	                                  CCID_RDR_TO_PC_DATA_BLOCK, &r);

	if (st != TR_OK)
		return st;
	st = ccid_host_atr(&r, atr, cap, atr_len);
	if (st == TR_ERR_PROTOCOL)
		h->ch->drop(h->ctx, st);
	return st;
}

tr_status ccid_host_transmit(ccid_host *h, unsigned timeout_ms, const uint8_t *apdu, size_t len,
                             uint8_t *resp, size_t cap, size_t *resp_len)
{
	ccid_reply r;
	tr_status st;

	if (!apdu || len == 0 || !resp || !resp_len)
		return TR_ERR_PROTOCOL;
	st = ccid_host_exchange(h, timeout_ms, CCID_PC_TO_RDR_XFR_BLOCK, apdu, len,
	                        CCID_RDR_TO_PC_DATA_BLOCK, &r);
	if (st != TR_OK)
		return st;
	st = ccid_host_response(&r, resp, cap, resp_len);
	if (st == TR_ERR_PROTOCOL) {
		h->ch->drop(h->ctx, st);
		return st;
	}
	/* The answer may hold the PIN-protected management key. */
	if (st == TR_OK)
		OPENSSL_cleanse(h->buf, CCID_HEADER_LEN + r.len);
	return st;
}

tr_status ccid_host_present(ccid_host *h, unsigned timeout_ms, bool *present)
{
	ccid_reply r;
	tr_status st = ccid_host_exchange(h, timeout_ms, CCID_PC_TO_RDR_GET_SLOT_STATUS, NULL, 0,
	                                  CCID_RDR_TO_PC_SLOT_STATUS, &r);

	*present = false;
	if (st == TR_ERR_ABSENT)
		return TR_OK;
	if (st != TR_OK)
		return st;
	if (r.status & CCID_CMD_FAILED)
		return TR_ERR_IO;
	*present = (r.status & CCID_ICC_STATUS_MASK) != CCID_ICC_ABSENT;
	return TR_OK;
}
