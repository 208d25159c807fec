/* The CCID exchange over a message channel (socket or USB bulk endpoints), inside the
 * driver: the transports only move bytes and keep their channel; the CCID commands and
 * replies are here (ccid_host.c). */
#ifndef KINKO_CCID_HOST_H
#define KINKO_CCID_HOST_H

#include "driver_internal.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccid.h"
#include "transport.h"

/* One message: the header and the largest data block. */
#define CCID_HOST_BUF_LEN (CCID_HEADER_LEN + CCID_MAX_DATA)

/* What a transport lends the CCID host: its message channel. Each callback gets the
 * host's ctx (the transport). */
typedef struct {
	/* Send one whole message. */
	tr_status (*send)(void *ctx, const uint8_t *msg, size_t len, unsigned timeout_ms);
	/* Receive one whole message (header + dwLength bytes) into buf. */
	tr_status (*recv)(void *ctx, uint8_t *buf, size_t cap, size_t *len, unsigned timeout_ms);
	/* Open the channel before a command (connect, claim); TR_OK when it is open. */
	tr_status (*open)(void *ctx);
	/* A failed exchange leaves the stream out of step: drop the channel (st says why). */
	void (*drop)(void *ctx, tr_status st);
} ccid_channel;

typedef struct {
	const ccid_channel *ch;
	void *ctx;
	uint8_t *buf;    /* one message, CCID_HOST_BUF_LEN bytes */
	size_t buf_used; /* high-water mark: ccid_host_wipe wipes this much */
	uint8_t seq;
} ccid_host;

/* A transport's host: ch's callbacks, called with ctx, and a message buffer allocated
 * here. false when out of memory (ccid_host_free still applies). */
bool ccid_host_init(ccid_host *h, const ccid_channel *ch, void *ctx);
/* Wipe what the buffer held (a message may carry a PIN or a key): the channel's close. */
void ccid_host_wipe(ccid_host *h);
/* Wipe and free the buffer. */
void ccid_host_free(ccid_host *h);

/* IccPowerOn: the active card's ATR (2..33 bytes, ISO 7816-3), copied to atr when given.
 * XfrBlock: one APDU, its response (at least SW1 SW2, at most cap) copied to resp and
 * wiped from the buffer. A command the reader refused is TR_ERR_ABSENT (no card) or
 * TR_ERR_IO (card not powered: the caller powers on again); anything malformed is
 * TR_ERR_PROTOCOL and drops the channel. Replies honour time extensions. */
tr_status ccid_host_power_on(ccid_host *h, unsigned timeout_ms, uint8_t *atr, size_t cap,
                             size_t *atr_len);
tr_status ccid_host_transmit(ccid_host *h, unsigned timeout_ms, const uint8_t *apdu, size_t len,
                             uint8_t *resp, size_t cap, size_t *resp_len);
/* GetSlotStatus: is a card in the slot? A channel with nobody at the other end
 * (TR_ERR_ABSENT) is no card. */
tr_status ccid_host_present(ccid_host *h, unsigned timeout_ms, bool *present);

#endif
