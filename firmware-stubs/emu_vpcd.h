/* The emulator as a card in a vsmartcard-vpcd reader: vpcd's framing (emu_vpcd.c,
 * transport-free) and the TCP connection to vpcd with its control socket (emu_vpcd_link.c). */
#ifndef KINKO_EMU_VPCD_H
#define KINKO_EMU_VPCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu_card.h"
#include "piv_applet.h"

/* vpcd frames: a 2-byte big-endian length, then that many bytes. A 1-byte payload from
 * vpcd is a control code; every other payload is a command APDU, answered by a frame
 * holding the response APDU. */
#define EMU_VPCD_MAX_FRAME 0xFFFFu
#define EMU_VPCD_CTRL_OFF 0x00
#define EMU_VPCD_CTRL_ON 0x01
#define EMU_VPCD_CTRL_RESET 0x02
#define EMU_VPCD_CTRL_ATR 0x04

typedef struct {
	emu_card *card; /* borrowed */
	uint8_t hdr[2];
	size_t hdr_have;
	size_t len, have; /* the payload being received */
	uint8_t *payload; /* EMU_VPCD_MAX_FRAME */
	uint8_t *out;     /* 2 + EMU_VPCD_MAX_FRAME: the reply frame */
	size_t out_len;   /* 0: no reply waiting */
} emu_vpcd_rx;

int emu_vpcd_rx_init(emu_vpcd_rx *r, emu_card *card); /* 0 or -ENOMEM */
void emu_vpcd_rx_cleanup(emu_vpcd_rx *r);

/* A new connection: a frame cut short by the last one is dropped. */
void emu_vpcd_rx_restart(emu_vpcd_rx *r);

/* Feed bytes received from vpcd; returns how many were used. Stops after a frame that
 * needs a reply (r->out, r->out_len), which the caller sends and clears before feeding on:
 * vpcd sends one request and waits for its answer. */
size_t emu_vpcd_rx_feed(emu_vpcd_rx *r, const uint8_t *buf, size_t len);

typedef struct {
	const char *vpcd;         /* HOST:PORT */
	const char *control_path; /* NULL: no control socket */
	bool start_absent;        /* the card starts removed: not connected */
	int event_fd;             /* non-blocking read end of the signal self-pipe */
} emu_vpcd_opts;

/* Split HOST:PORT ([HOST]:PORT for IPv6) into host and port (1-65535). -1 if malformed. */
int emu_vpcd_addr_parse(const char *spec, char *host, size_t host_cap, char *port, size_t port_cap);

/* Serve the applet to vpcd until EMU_EVENT_TERMINATE, connecting while the card is inserted
 * and retrying with a bounded backoff. Returns 0, or -1 after printing why. */
int emu_vpcd_run(piv_applet *applet, const emu_vpcd_opts *opts);

#endif
