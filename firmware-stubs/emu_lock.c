/* The reader's lock for exclusive batches: see emu_lock.h. */
#include "emu_lock.h"

void emu_lock_init(emu_lock *l, unsigned timeout_ms)
{
	l->holder = NULL;
	l->seen_ms = 0;
	l->timeout_ms = timeout_ms ? timeout_ms : EMU_LOCK_DEFAULT_TIMEOUT_MS;
}

bool emu_lock_is_escape(const ccid_header *h)
{
	return h->type == CCID_PC_TO_RDR_ESCAPE;
}

bool emu_lock_gates(const ccid_header *h, const uint8_t *data, size_t len)
{
	switch (h->type) {
	case CCID_PC_TO_RDR_ICC_POWER_ON:
	case CCID_PC_TO_RDR_ICC_POWER_OFF:
	case CCID_PC_TO_RDR_XFR_BLOCK: return true;
	case CCID_PC_TO_RDR_ESCAPE:
		/* Asking for the lock waits for it; releasing what one does not hold does not. */
		return len == 1 && data[0] == CCID_ESCAPE_BEGIN_EXCLUSIVE;
	default: return false; /* GetSlotStatus: presence never waits */
	}
}

bool emu_lock_must_wait(const emu_lock *l, const void *host, const ccid_header *h,
                        const uint8_t *data, size_t len)
{
	return l->holder && l->holder != host && emu_lock_gates(h, data, len);
}

uint8_t emu_lock_escape(emu_lock *l, const void *host, const uint8_t *data, size_t len,
                        uint64_t now_ms)
{
	if (len != 1)
		return CCID_ERR_BAD_LENGTH;
	switch (data[0]) {
	case CCID_ESCAPE_BEGIN_EXCLUSIVE:
		if (l->holder && l->holder != host)
			return CCID_ERR_CMD_SLOT_BUSY; /* the caller should have waited */
		l->holder = host;
		l->seen_ms = now_ms;
		return 0;
	case CCID_ESCAPE_END_EXCLUSIVE:
		/* Idempotent: a holder whose lock ran out may still say it is done. */
		if (l->holder == host)
			l->holder = NULL;
		return 0;
	default: return CCID_ERR_BAD_DATA;
	}
}

void emu_lock_seen(emu_lock *l, const void *host, uint64_t now_ms)
{
	if (l->holder == host)
		l->seen_ms = now_ms;
}

void emu_lock_gone(emu_lock *l, const void *host)
{
	if (l->holder == host)
		l->holder = NULL;
}

bool emu_lock_expire(emu_lock *l, uint64_t now_ms)
{
	if (!l->holder || now_ms < l->seen_ms + l->timeout_ms)
		return false;
	l->holder = NULL;
	return true;
}

uint64_t emu_lock_deadline(const emu_lock *l)
{
	return l->holder ? l->seen_ms + l->timeout_ms : 0;
}
