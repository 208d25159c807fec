/* The transport to a card in a PC/SC reader, through pcsc-lite: APDUs go to pcscd with
 * SCardTransmit (pcscd and the reader's driver do the framing), the card is shared with
 * other applications (SCARD_SHARE_SHARED), and a batch is a PC/SC transaction.
 *
 * The connection is kept from the first command to destroy(): while it is open, pcscd
 * tells this handle of every reset and removal in between, even when a card is back in
 * the reader by then, so the module never mistakes a new card for the old one.
 *
 * pcsc-lite's calls have no timeout of their own: pcscd bounds the card's answers (the
 * reader driver's timeouts), and SCardBeginTransaction waits while another application
 * holds the card, as every PC/SC application does. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <winscard.h>

#include "apdu.h"
#include "pcsc_watch.h"

#define TR_PCSC_PROTOCOLS (SCARD_PROTOCOL_T1 | SCARD_PROTOCOL_T0)

typedef struct {
	tr_transport base;
	tr_pcsc_ctx *ctx;
	const char *reader; /* base.id after "pcsc:" */
	SCARDHANDLE h;
	bool connected;
	DWORD proto;
	bool batch; /* between begin() and end() */
	bool in_tx; /* SCardBeginTransaction succeeded in this batch */
	/* Another application reset the card since our last command: the next APDU answers
	 * TR_ERR_IO once, the card layer's sign that it must SELECT (and the PKCS#11 layer
	 * VERIFY) again. A power-on clears it: the card layer starts afresh then anyway. */
	bool reset_seen;
} tr_pcsc;

static tr_status tr_pcsc_status(LONG rv)
{
	switch (rv) {
	case SCARD_S_SUCCESS: return TR_OK;
	case SCARD_W_REMOVED_CARD:
	case SCARD_E_NO_SMARTCARD:
	case SCARD_E_READER_UNAVAILABLE:
	case SCARD_E_UNKNOWN_READER:
	case SCARD_E_NO_READERS_AVAILABLE:
	case SCARD_E_INVALID_HANDLE: /* the reader left under the handle */
	case SCARD_E_NO_SERVICE:
	case SCARD_E_SERVICE_STOPPED: return TR_ERR_ABSENT;
	case SCARD_E_NO_MEMORY: return TR_ERR_NOMEM;
	case SCARD_E_TIMEOUT: return TR_ERR_TIMEOUT;
	case SCARD_E_INSUFFICIENT_BUFFER:
	case SCARD_E_PROTO_MISMATCH:
	case SCARD_E_INVALID_VALUE: return TR_ERR_PROTOCOL;
	default: return TR_ERR_IO;
	}
}

/* Forget the connection (the card left, the reader left, pcscd stopped). */
static void tr_pcsc_drop(tr_pcsc *p)
{
	if (p->connected)
		(void)SCardDisconnect(p->h, SCARD_LEAVE_CARD);
	p->connected = false;
	p->in_tx = false;
	p->reset_seen = false;
}

static tr_status tr_pcsc_open(tr_transport *t)
{
	tr_pcsc *p = (tr_pcsc *)t;
	LONG rv;

	if (p->connected)
		return TR_OK;
	rv = SCardConnect(pcsc_watch_io_context(p->ctx), p->reader, SCARD_SHARE_SHARED,
	                  TR_PCSC_PROTOCOLS, &p->h, &p->proto);
	if (rv != SCARD_S_SUCCESS)
		return tr_pcsc_status(rv);
	p->connected = true;
	p->reset_seen = false;
	return TR_OK;
}

/* The card was reset underneath us: reconnect without resetting it again. */
static tr_status tr_pcsc_after_reset(tr_pcsc *p)
{
	LONG rv = SCardReconnect(p->h, SCARD_SHARE_SHARED, TR_PCSC_PROTOCOLS, SCARD_LEAVE_CARD,
	                         &p->proto);
	tr_status st = tr_pcsc_status(rv);

	if (st != TR_OK) {
		tr_pcsc_drop(p);
		return st;
	}
	p->in_tx = false;
	p->reset_seen = true;
	return TR_OK;
}

/* Connected, and inside a batch the transaction held. */
static tr_status tr_pcsc_take(tr_pcsc *p)
{
	tr_status st = tr_pcsc_open(&p->base);
	int round;
	LONG rv;

	if (st != TR_OK || !p->batch || p->in_tx)
		return st;
	/* pcscd answers a begin on a handle whose card was reset with the reset first. */
	for (round = 0; round < 2; round++) {
		rv = SCardBeginTransaction(p->h);
		if (rv != SCARD_W_RESET_CARD)
			break;
		st = tr_pcsc_after_reset(p);
		if (st != TR_OK)
			return st;
	}
	st = tr_pcsc_status(rv);
	if (st == TR_OK)
		p->in_tx = true;
	else if (st == TR_ERR_ABSENT)
		tr_pcsc_drop(p);
	return st;
}

/* No power cycle: the card is shared, and the card layer SELECTs after this anyway. The
 * ATR is the one pcscd has. */
static tr_status tr_pcsc_power_on(tr_transport *t, uint8_t *atr, size_t cap, size_t *atr_len)
{
	tr_pcsc *p = (tr_pcsc *)t;
	BYTE buf[MAX_ATR_SIZE];
	DWORD len = sizeof(buf), state = 0, proto = 0, name_len = 0;
	tr_status st = tr_pcsc_take(p);
	LONG rv;

	if (st != TR_OK)
		return st;
	rv = SCardStatus(p->h, NULL, &name_len, &state, &proto, buf, &len);
	if (rv == SCARD_W_RESET_CARD) {
		st = tr_pcsc_after_reset(p);
		if (st != TR_OK)
			return st;
		len = sizeof(buf);
		name_len = 0;
		rv = SCardStatus(p->h, NULL, &name_len, &state, &proto, buf, &len);
	}
	st = tr_pcsc_status(rv);
	if (st == TR_ERR_ABSENT)
		tr_pcsc_drop(p);
	if (st != TR_OK)
		return st;
	if (len > cap)
		return TR_ERR_PROTOCOL;
	memcpy(atr, buf, len);
	*atr_len = len;
	p->reset_seen = false;
	return TR_OK;
}

static tr_status tr_pcsc_transmit(tr_transport *t, const uint8_t *apdu, size_t len, uint8_t *resp,
                                  size_t cap, size_t *resp_len)
{
	tr_pcsc *p = (tr_pcsc *)t;
	const SCARD_IO_REQUEST *pci;
	DWORD got;
	tr_status st;
	LONG rv;

	if (len == 0 || len > MAX_BUFFER_SIZE_EXTENDED || cap < 2)
		return TR_ERR_PROTOCOL;
	st = tr_pcsc_take(p);
	if (st != TR_OK)
		return st;
	if (p->reset_seen) {
		p->reset_seen = false;
		return TR_ERR_IO;
	}
	pci = p->proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
	got = cap > MAX_BUFFER_SIZE_EXTENDED ? MAX_BUFFER_SIZE_EXTENDED : (DWORD)cap;
	rv = SCardTransmit(p->h, pci, apdu, (DWORD)len, NULL, resp, &got);
	if (rv == SCARD_W_RESET_CARD) {
		st = tr_pcsc_after_reset(p);
		if (st != TR_OK)
			return st;
		/* The command never reached the applet we had selected: say so now. */
		p->reset_seen = false;
		return TR_ERR_IO;
	}
	st = tr_pcsc_status(rv);
	if (st == TR_ERR_ABSENT)
		tr_pcsc_drop(p);
	if (st != TR_OK)
		return st;
	if (got < 2 || got > cap) {
		OPENSSL_cleanse(resp, cap);
		return TR_ERR_PROTOCOL;
	}
	*resp_len = got;
	return TR_OK;
}

/* With a connection, its status (a removal since shows even if a card is back); else the
 * reader's state, which does not touch the card. */
static tr_status tr_pcsc_present(tr_transport *t, bool *present)
{
	tr_pcsc *p = (tr_pcsc *)t;
	SCARD_READERSTATE rs;
	DWORD len = 0, state = 0, proto = 0, name_len = 0;
	LONG rv;

	*present = false;
	if (p->connected) {
		rv = SCardStatus(p->h, NULL, &name_len, &state, &proto, NULL, &len);
		/* Reset, still there; a failed reconnect is a card gone. */
		if (rv == SCARD_W_RESET_CARD) {
			*present = tr_pcsc_after_reset(p) == TR_OK;
			return TR_OK;
		}
		if (rv == SCARD_S_SUCCESS) {
			*present = true;
			return TR_OK;
		}
		if (tr_pcsc_status(rv) != TR_ERR_ABSENT)
			return tr_pcsc_status(rv);
		tr_pcsc_drop(p);
		return TR_OK;
	}
	memset(&rs, 0, sizeof(rs));
	rs.szReader = p->reader;
	rs.dwCurrentState = SCARD_STATE_UNAWARE;
	rv = SCardGetStatusChange(pcsc_watch_io_context(p->ctx), 0, &rs, 1);
	if (rv == SCARD_S_SUCCESS || rv == SCARD_E_TIMEOUT) {
		*present = (rs.dwEventState & SCARD_STATE_PRESENT) &&
		           !(rs.dwEventState & SCARD_STATE_MUTE);
		return TR_OK;
	}
	return tr_pcsc_status(rv) == TR_ERR_ABSENT ? TR_OK : tr_pcsc_status(rv);
}

static void tr_pcsc_begin(tr_transport *t)
{
	((tr_pcsc *)t)->batch = true;
}

static void tr_pcsc_end(tr_transport *t)
{
	tr_pcsc *p = (tr_pcsc *)t;

	if (p->in_tx)
		(void)SCardEndTransaction(p->h, SCARD_LEAVE_CARD);
	p->in_tx = false;
	p->batch = false;
}

static void tr_pcsc_close(tr_transport *t)
{
	tr_pcsc_end(t);
	tr_pcsc_drop((tr_pcsc *)t);
}

static void tr_pcsc_destroy(tr_transport *t)
{
	if (!t)
		return;
	tr_pcsc_close(t);
	free(t->id);
	free(t);
}

static const tr_ops tr_pcsc_ops = {
	.name = "pcsc",
	.open = tr_pcsc_open,
	.power_on = tr_pcsc_power_on,
	.transmit = tr_pcsc_transmit,
	.present = tr_pcsc_present,
	.close = tr_pcsc_close,
	.begin = tr_pcsc_begin,
	.end = tr_pcsc_end,
	.destroy = tr_pcsc_destroy,
};

tr_transport *tr_pcsc_new(tr_pcsc_ctx *c, const char *reader)
{
	tr_pcsc *p;
	size_t n;

	if (!c || !reader)
		return NULL;
	p = calloc(1, sizeof(*p));
	n = strlen(reader);
	if (p)
		p->base.id = malloc(n + sizeof("pcsc:"));
	if (!p || !p->base.id) {
		free(p);
		return NULL;
	}
	memcpy(p->base.id, "pcsc:", 5);
	memcpy(p->base.id + 5, reader, n + 1);
	p->reader = p->base.id + 5;
	p->ctx = c;
	p->base.ops = &tr_pcsc_ops;
	p->base.timeout_ms = 5000;
	return &p->base;
}
