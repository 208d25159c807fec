/* The PC/SC contexts of one C_Initialize, the reader list, and the wait for reader and card
 * changes that wakes C_WaitForSlotEvent: SCardGetStatusChange over every reader and
 * `\\?PnP?\Notification` on a context of its own, so a wait never holds up card I/O
 * (pcsc-lite lets one call at a time use a context), and SCardCancel ends it. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <winscard.h>

#include "pcsc_watch.h"

/* pcsc-lite's name for the pseudo reader whose state counts the readers. */
#define PCSC_WATCH_PNP "\\\\?PnP?\\Notification"
/* Readers watched at once: more are listed and served, only not waited on. */
#define PCSC_WATCH_MAX 32u

struct tr_pcsc_ctx {
	SCARDCONTEXT io;
	SCARDCONTEXT wait;
	pthread_mutex_t lock; /* one waiter asks pcscd at a time; states below */
	bool cancelled;       /* atomic: set without the lock */
	bool primed;          /* the states were learnt once */
	/* The last states seen, handed back to pcscd as dwCurrentState so only news wakes. */
	SCARD_READERSTATE states[PCSC_WATCH_MAX + 1];
	char *names[PCSC_WATCH_MAX];
	DWORD n_states;
};

SCARDCONTEXT pcsc_watch_io_context(const tr_pcsc_ctx *c)
{
	return __atomic_load_n(&c->io, __ATOMIC_ACQUIRE);
}

tr_pcsc_ctx *tr_pcsc_ctx_new(char *why, size_t why_cap)
{
	tr_pcsc_ctx *c = calloc(1, sizeof(*c));
	LONG rv;

	if (!c) {
		snprintf(why, why_cap, "out of memory");
		return NULL;
	}
	rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &c->io);
	if (rv == SCARD_S_SUCCESS) {
		rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &c->wait);
		if (rv != SCARD_S_SUCCESS)
			SCardReleaseContext(c->io);
	}
	if (rv != SCARD_S_SUCCESS || pthread_mutex_init(&c->lock, NULL) != 0) {
		if (rv == SCARD_S_SUCCESS) {
			SCardReleaseContext(c->io);
			SCardReleaseContext(c->wait);
		}
		snprintf(why, why_cap, "%s", pcsc_stringify_error(rv));
		free(c);
		return NULL;
	}
	/* The PnP pseudo reader is always watched, last. */
	c->states[0].szReader = PCSC_WATCH_PNP;
	c->n_states = 1;
	return c;
}

static void pcsc_watch_forget(tr_pcsc_ctx *c)
{
	DWORD i;

	for (i = 0; i + 1 < c->n_states; i++)
		free(c->names[i]);
	c->n_states = 0;
}

void tr_pcsc_ctx_free(tr_pcsc_ctx *c)
{
	if (!c)
		return;
	pcsc_watch_forget(c);
	SCardReleaseContext(c->wait);
	SCardReleaseContext(c->io);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void tr_pcsc_readers_free(char **names)
{
	size_t i;

	if (!names)
		return;
	for (i = 0; names[i]; i++)
		free(names[i]);
	free(names);
}

/* The readers of ctx as pcsc-lite lists them ("a\0b\0\0"). -1 on failure (*rv says why). */
static int pcsc_watch_list(SCARDCONTEXT ctx, char ***names, LONG *rv_out)
{
	DWORD len = SCARD_AUTOALLOCATE;
	LPSTR msz = NULL;
	LONG rv = SCardListReaders(ctx, NULL, (LPSTR)&msz, &len);
	size_t n = 0, i;
	const char *p;
	char **out;

	*names = NULL;
	*rv_out = rv;
	if (rv == SCARD_E_NO_READERS_AVAILABLE) {
		*names = calloc(1, sizeof(**names));
		return *names ? 0 : -1;
	}
	if (rv != SCARD_S_SUCCESS)
		return -1;
	for (p = msz; p < msz + len && *p; p += strlen(p) + 1)
		n++;
	out = calloc(n + 1, sizeof(*out));
	for (i = 0, p = msz; out && i < n; p += strlen(p) + 1, i++) {
		out[i] = strdup(p);
		if (!out[i]) {
			tr_pcsc_readers_free(out);
			out = NULL;
		}
	}
	SCardFreeMemory(ctx, msz);
	*names = out;
	return out ? (int)n : -1;
}

/* pcscd stopped (or restarted) under the contexts: they are dead for good. */
static bool pcsc_watch_gone(LONG rv)
{
	return rv == SCARD_E_NO_SERVICE || rv == SCARD_E_SERVICE_STOPPED ||
	       rv == SCARD_E_INVALID_HANDLE;
}

/* New contexts for dead ones, when pcscd is there (again). The card handles of the old
 * ones are dead too: their transports find that out (TR_ERR_ABSENT) and connect again. */
static bool pcsc_watch_renew(tr_pcsc_ctx *c)
{
	SCARDCONTEXT io, wait, old_io, old_wait;

	if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &io) != SCARD_S_SUCCESS)
		return false;
	if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &wait) != SCARD_S_SUCCESS) {
		SCardReleaseContext(io);
		return false;
	}
	pthread_mutex_lock(&c->lock);
	old_io = c->io;
	old_wait = c->wait;
	__atomic_store_n(&c->io, io, __ATOMIC_RELEASE);
	c->wait = wait;
	c->primed = false;
	pthread_mutex_unlock(&c->lock);
	SCardReleaseContext(old_io);
	SCardReleaseContext(old_wait);
	return true;
}

int tr_pcsc_readers(tr_pcsc_ctx *c, char ***names)
{
	LONG rv = SCARD_S_SUCCESS;
	int n = pcsc_watch_list(pcsc_watch_io_context(c), names, &rv);

	if (n < 0 && pcsc_watch_gone(rv) && pcsc_watch_renew(c))
		n = pcsc_watch_list(pcsc_watch_io_context(c), names, &rv);
	return n;
}

/* The watched readers are the ones listed now (under c->lock); a reader still listed keeps
 * its last state, a new one starts unaware (its first answer is not news: the slot
 * learns its state by asking). */
static bool pcsc_watch_relist(tr_pcsc_ctx *c)
{
	SCARD_READERSTATE next[PCSC_WATCH_MAX + 1];
	char **names;
	DWORD i, j, n = 0;
	LONG rv = SCARD_S_SUCCESS;
	int count = pcsc_watch_list(c->wait, &names, &rv);

	if (count < 0)
		return false;
	memset(next, 0, sizeof(next));
	for (i = 0; names[i] && n < PCSC_WATCH_MAX; i++) {
		next[n].szReader = names[i];
		next[n].dwCurrentState = SCARD_STATE_UNAWARE;
		for (j = 0; j + 1 < c->n_states; j++) {
			if (strcmp(c->states[j].szReader, names[i]) == 0)
				next[n].dwCurrentState = c->states[j].dwCurrentState;
		}
		n++;
	}
	for (; names[i]; i++)
		free(names[i]);
	free(names);                          /* the first n names are next[]'s now */
	next[n] = c->states[c->n_states - 1]; /* the PnP pseudo reader */
	pcsc_watch_forget(c);
	memcpy(c->states, next, sizeof(next));
	for (i = 0; i < n; i++)
		c->names[i] = (char *)next[i].szReader;
	c->n_states = n + 1;
	return true;
}

int tr_pcsc_wait(tr_pcsc_ctx *c, unsigned timeout_ms)
{
	bool changed = false;
	DWORD i;
	LONG rv;
	int ret;

	pthread_mutex_lock(&c->lock);
	if (__atomic_load_n(&c->cancelled, __ATOMIC_ACQUIRE)) {
		pthread_mutex_unlock(&c->lock);
		return -1;
	}
	if (!c->primed) {
		/* First wait: learn the readers and their states without waiting. */
		if (!pcsc_watch_relist(c)) {
			pthread_mutex_unlock(&c->lock);
			return -1;
		}
		(void)SCardGetStatusChange(c->wait, 0, c->states, c->n_states);
		for (i = 0; i < c->n_states; i++)
			c->states[i].dwCurrentState =
				c->states[i].dwEventState & ~SCARD_STATE_CHANGED;
		c->primed = true;
	}
	rv = SCardGetStatusChange(c->wait, timeout_ms, c->states, c->n_states);
	if (rv == SCARD_S_SUCCESS) {
		for (i = 0; i < c->n_states; i++) {
			if (c->states[i].dwEventState & SCARD_STATE_CHANGED)
				changed = true;
			c->states[i].dwCurrentState =
				c->states[i].dwEventState & ~SCARD_STATE_CHANGED;
		}
		/* The PnP reader's count moved: watch the readers there are now. */
		if (c->states[c->n_states - 1].dwEventState & SCARD_STATE_CHANGED)
			(void)pcsc_watch_relist(c);
		ret = changed ? 1 : 0;
	} else if (rv == SCARD_E_TIMEOUT) {
		ret = 0;
	} else if (rv == SCARD_E_UNKNOWN_READER || rv == SCARD_E_READER_UNAVAILABLE) {
		/* A reader left between the listing and the wait: that is news too. */
		ret = pcsc_watch_relist(c) ? 1 : -1;
	} else {
		ret = -1;
	}
	if (__atomic_load_n(&c->cancelled, __ATOMIC_ACQUIRE))
		ret = -1;
	pthread_mutex_unlock(&c->lock);
	return ret;
}

void tr_pcsc_cancel(tr_pcsc_ctx *c)
{
	/* Without the lock: the waiter holds it. SCardCancel is meant to be called from
	 * another thread while the context waits. */
	__atomic_store_n(&c->cancelled, true, __ATOMIC_RELEASE);
	(void)SCardCancel(c->wait);
}
