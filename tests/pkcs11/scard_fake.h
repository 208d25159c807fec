/* A fake PC/SC service in the test process: the test program defines pcsc-lite's SCard*
 * functions itself and exports them (-export-dynamic), so the module it dlopens calls
 * these instead of libpcsclite's. Each reader may hold a card, which is kinko's applet
 * in RAM (a fresh token, default PIN). The test plays pcscd and the other applications:
 * readers come and go, cards are removed, inserted and reset by "someone else". */
#ifndef KINKO_SCARD_FAKE_H
#define KINKO_SCARD_FAKE_H

#include <stdbool.h>
#include <stdint.h>

/* Forget every reader and count; service up. */
void sf_reset_all(void);
/* pcscd running (true) or not: SCardEstablishContext says SCARD_E_NO_SERVICE. */
void sf_set_service(bool up);
/* pcscd restarted: every context and card handle made before is dead (SCARD_E_NO_SERVICE);
 * the readers and cards are as they were. */
void sf_restart_service(void);
/* A reader, with a fresh token of that serial in it (serial 0: empty reader). */
int sf_reader_add(const char *name, uint32_t serial);
void sf_reader_remove(const char *name);
/* The card leaves / comes back (the same token) / is reset by another application. */
void sf_card_remove(const char *name);
void sf_card_insert(const char *name);
void sf_card_reset(const char *name);

typedef struct {
	unsigned long establish, transmit, begin, end, cancel, connect, reconnect;
	unsigned long waits;      /* SCardGetStatusChange calls with a timeout */
	unsigned long outside_tx; /* APDUs sent by a handle without the transaction */
	unsigned long cancelled;  /* waits ended by SCardCancel */
} sf_counts;
sf_counts sf_counts_get(void);

#endif
