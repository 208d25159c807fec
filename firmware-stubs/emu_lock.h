/* The reader's lock for exclusive batches (kinko's CCID Escape, README "The emulator"):
 * one host at a time may hold it; while it is held, other hosts' commands that change the
 * card (IccPowerOn, IccPowerOff, XfrBlock) and their own requests for the lock wait. A
 * holder that disconnects loses it, and so does one silent for longer than the timeout,
 * so a crashed or stuck client never blocks the token. Pure state, no sockets: the clock
 * is passed in. Hosts are opaque pointers. */
#ifndef KINKO_EMU_LOCK_H
#define KINKO_EMU_LOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccid.h"

#define EMU_LOCK_DEFAULT_TIMEOUT_MS 3000u

typedef struct {
	const void *holder; /* NULL: free */
	uint64_t seen_ms;   /* the holder's last message ended then */
	unsigned timeout_ms;
} emu_lock;

void emu_lock_init(emu_lock *l, unsigned timeout_ms);

/* Is this a message that waits while another host holds the lock (a command that changes
 * the card, or a request for the lock)? GetSlotStatus never waits: presence is free. */
bool emu_lock_gates(const ccid_header *h, const uint8_t *data, size_t len);

/* Must host's message (header h, data) wait for the lock? */
bool emu_lock_must_wait(const emu_lock *l, const void *host, const ccid_header *h,
                        const uint8_t *data, size_t len);

/* Is this message one of the lock's Escape commands? */
bool emu_lock_is_escape(const ccid_header *h);

/* Run an Escape command of host's (it does not have to wait: emu_lock_must_wait said so).
 * Returns 0 (done), or the bError for a refused command (CCID_ERR_BAD_DATA, or
 * CCID_ERR_BAD_LENGTH). */
uint8_t emu_lock_escape(emu_lock *l, const void *host, const uint8_t *data, size_t len,
                        uint64_t now_ms);

/* host's message was answered at now_ms: a holder is not silent. */
void emu_lock_seen(emu_lock *l, const void *host, uint64_t now_ms);

/* host disconnected: it holds nothing any more. */
void emu_lock_gone(emu_lock *l, const void *host);

/* A holder silent for timeout_ms loses the lock. True when it was taken from it now. */
bool emu_lock_expire(emu_lock *l, uint64_t now_ms);

/* When the holder's silence runs out (0: the lock is free). */
uint64_t emu_lock_deadline(const emu_lock *l);

#endif
