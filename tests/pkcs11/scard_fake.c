/* The fake PC/SC service (scard_fake.h): pcsc-lite's API as the module uses it, with
 * pcsc-lite's answers for resets (SCARD_W_RESET_CARD to every other handle until it
 * reconnects), removals (SCARD_W_REMOVED_CARD), readers gone, transactions (one holder;
 * others wait), the PnP pseudo reader (reader count in the high word) and SCardCancel. */
#include "scard_fake.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <winscard.h>

#include "apdu.h"
#include "piv_applet.h"
#include "token_state.h"

#define SF_READERS 8
#define SF_HANDLES 64
#define SF_CONTEXTS 64
#define SF_PNP "\\\\?PnP?\\Notification"

const SCARD_IO_REQUEST g_rgSCardT0Pci = {SCARD_PROTOCOL_T0, sizeof(SCARD_IO_REQUEST)};
const SCARD_IO_REQUEST g_rgSCardT1Pci = {SCARD_PROTOCOL_T1, sizeof(SCARD_IO_REQUEST)};
const SCARD_IO_REQUEST g_rgSCardRawPci = {SCARD_PROTOCOL_RAW, sizeof(SCARD_IO_REQUEST)};

typedef struct {
	char name[64];
	bool exists, card;
	tok_state st;
	piv_applet *applet;
	unsigned long removals, resets, events;
	int tx_owner; /* the handle in a transaction, 0 when none */
} sf_reader;

typedef struct {
	bool used;
	unsigned epoch; /* handles of a pcscd that restarted are never valid again */
	int reader;
	unsigned long removals, resets;
} sf_handle;

static struct {
	pthread_mutex_t m;
	pthread_cond_t cv;
	bool down;
	sf_reader r[SF_READERS];
	sf_handle h[SF_HANDLES];
	bool cancel[SF_CONTEXTS];
	unsigned ctx_epoch[SF_CONTEXTS];
	unsigned next_ctx, epoch;
	sf_counts n;
} sf = {.m = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static sf_reader *sf_find(const char *name)
{
	int i;

	for (i = 0; i < SF_READERS; i++)
		if (sf.r[i].exists && strcmp(sf.r[i].name, name) == 0)
			return &sf.r[i];
	return NULL;
}

static void sf_reader_clear(sf_reader *r)
{
	if (r->applet)
		piv_applet_free(r->applet);
	if (r->applet)
		tok_state_free(&r->st);
	memset(r, 0, sizeof(*r));
}

void sf_reset_all(void)
{
	int i;

	pthread_mutex_lock(&sf.m);
	for (i = 0; i < SF_READERS; i++)
		sf_reader_clear(&sf.r[i]);
	memset(sf.h, 0, sizeof(sf.h));
	memset(&sf.n, 0, sizeof(sf.n));
	sf.down = false;
	pthread_mutex_unlock(&sf.m);
}

void sf_restart_service(void)
{
	int i;

	pthread_mutex_lock(&sf.m);
	sf.epoch++;
	memset(sf.h, 0, sizeof(sf.h));
	for (i = 0; i < SF_READERS; i++)
		sf.r[i].tx_owner = 0;
	pthread_cond_broadcast(&sf.cv);
	pthread_mutex_unlock(&sf.m);
}

/* Under sf.m: a context of a pcscd that is gone. */
static bool sf_ctx_dead(SCARDCONTEXT ctx)
{
	return sf.down || ctx >= SF_CONTEXTS || sf.ctx_epoch[ctx] != sf.epoch;
}

void sf_set_service(bool up)
{
	pthread_mutex_lock(&sf.m);
	sf.down = !up;
	pthread_mutex_unlock(&sf.m);
}

int sf_reader_add(const char *name, uint32_t serial)
{
	tok_provision_opts o = {.serial = serial};
	int i, rc = -1;

	pthread_mutex_lock(&sf.m);
	for (i = 0; i < SF_READERS && rc != 0; i++) {
		sf_reader *r = &sf.r[i];

		if (r->exists)
			continue;
		sf_reader_clear(r);
		snprintf(r->name, sizeof(r->name), "%s", name);
		r->exists = true;
		r->tx_owner = 0;
		rc = 0;
		if (serial) {
			tok_state_init(&r->st);
			r->card = tok_state_provision(&r->st, &o) == 0 &&
			          (r->applet = piv_applet_new(&r->st, NULL)) != NULL;
			rc = r->card ? 0 : -1;
		}
	}
	pthread_cond_broadcast(&sf.cv);
	pthread_mutex_unlock(&sf.m);
	return rc;
}

/* Under sf.m: a change every waiter and handle sees. */
static void sf_change(sf_reader *r, bool removal, bool reset)
{
	if (removal)
		r->removals++;
	if (reset)
		r->resets++;
	r->events++;
	r->tx_owner = 0;
	if (r->applet)
		piv_applet_reset(r->applet);
	pthread_cond_broadcast(&sf.cv);
}

void sf_reader_remove(const char *name)
{
	sf_reader *r;

	pthread_mutex_lock(&sf.m);
	r = sf_find(name);
	if (r) {
		sf_change(r, true, false);
		r->exists = false;
	}
	pthread_mutex_unlock(&sf.m);
}

void sf_card_remove(const char *name)
{
	sf_reader *r;

	pthread_mutex_lock(&sf.m);
	r = sf_find(name);
	if (r && r->card) {
		r->card = false;
		sf_change(r, true, false);
	}
	pthread_mutex_unlock(&sf.m);
}

void sf_card_insert(const char *name)
{
	sf_reader *r;

	pthread_mutex_lock(&sf.m);
	r = sf_find(name);
	if (r && !r->card && r->applet) {
		r->card = true;
		sf_change(r, false, false);
	}
	pthread_mutex_unlock(&sf.m);
}

void sf_card_reset(const char *name)
{
	sf_reader *r;

	pthread_mutex_lock(&sf.m);
	r = sf_find(name);
	if (r && r->card)
		sf_change(r, false, true);
	pthread_mutex_unlock(&sf.m);
}

sf_counts sf_counts_get(void)
{
	sf_counts c;

	pthread_mutex_lock(&sf.m);
	c = sf.n;
	pthread_mutex_unlock(&sf.m);
	return c;
}

/* ---- pcsc-lite's API ---- */

LONG SCardEstablishContext(DWORD scope, LPCVOID r1, LPCVOID r2, LPSCARDCONTEXT ctx)
{
	LONG rv = SCARD_S_SUCCESS;

	(void)scope, (void)r1, (void)r2;
	pthread_mutex_lock(&sf.m);
	sf.n.establish++;
	if (sf.down || sf.next_ctx + 1 >= SF_CONTEXTS) {
		rv = SCARD_E_NO_SERVICE;
	} else {
		*ctx = (SCARDCONTEXT)++sf.next_ctx;
		sf.cancel[*ctx] = false;
		sf.ctx_epoch[*ctx] = sf.epoch;
	}
	pthread_mutex_unlock(&sf.m);
	return rv;
}

LONG SCardReleaseContext(SCARDCONTEXT ctx)
{
	(void)ctx;
	return SCARD_S_SUCCESS;
}

LONG SCardFreeMemory(SCARDCONTEXT ctx, LPCVOID mem)
{
	(void)ctx;
	free((void *)mem);
	return SCARD_S_SUCCESS;
}

const char *pcsc_stringify_error(const LONG rv)
{
	return rv == SCARD_E_NO_SERVICE ? "Service not available." : "fake error";
}

LONG SCardListReaders(SCARDCONTEXT ctx, LPCSTR groups, LPSTR out, LPDWORD len)
{
	char buf[SF_READERS * 65 + 1];
	size_t used = 0;
	char *copy;
	int i;

	(void)groups;
	pthread_mutex_lock(&sf.m);
	if (sf_ctx_dead(ctx)) {
		pthread_mutex_unlock(&sf.m);
		return SCARD_E_NO_SERVICE;
	}
	for (i = 0; i < SF_READERS; i++) {
		if (sf.r[i].exists) {
			memcpy(buf + used, sf.r[i].name, strlen(sf.r[i].name) + 1);
			used += strlen(sf.r[i].name) + 1;
		}
	}
	pthread_mutex_unlock(&sf.m);
	if (used == 0)
		return SCARD_E_NO_READERS_AVAILABLE;
	buf[used++] = '\0';
	if (*len != SCARD_AUTOALLOCATE)
		return SCARD_E_INVALID_PARAMETER; /* the module always lets pcsc-lite allocate */
	copy = malloc(used);
	if (!copy)
		return SCARD_E_NO_MEMORY;
	memcpy(copy, buf, used);
	*(char **)out = copy;
	*len = (DWORD)used;
	return SCARD_S_SUCCESS;
}

LONG SCardConnect(SCARDCONTEXT ctx, LPCSTR reader, DWORD share, DWORD protos, LPSCARDHANDLE h,
                  LPDWORD active)
{
	sf_reader *r;
	LONG rv = SCARD_E_NO_MEMORY;
	int i;

	pthread_mutex_lock(&sf.m);
	sf.n.connect++;
	r = sf_find(reader);
	if (sf_ctx_dead(ctx))
		rv = SCARD_E_NO_SERVICE;
	else if (!r)
		rv = SCARD_E_UNKNOWN_READER;
	else if (!r->card)
		rv = SCARD_E_NO_SMARTCARD;
	else if (share != SCARD_SHARE_SHARED || !(protos & SCARD_PROTOCOL_T1))
		rv = SCARD_E_INVALID_VALUE; /* the module must share the card */
	for (i = 0; rv == SCARD_E_NO_MEMORY && r && r->card && i < SF_HANDLES; i++) {
		if (sf.h[i].used)
			continue;
		sf.h[i] = (sf_handle){.used = true,
		                      .epoch = sf.epoch,
		                      .reader = (int)(r - sf.r),
		                      .removals = r->removals,
		                      .resets = r->resets};
		*h = (SCARDHANDLE)(sf.epoch << 8 | (unsigned)(i + 1));
		*active = SCARD_PROTOCOL_T1;
		rv = SCARD_S_SUCCESS;
	}
	pthread_mutex_unlock(&sf.m);
	return rv;
}

/* Under sf.m: the handle's entry, NULL when it is not a live handle. */
static sf_handle *sf_handle_of(SCARDHANDLE h)
{
	unsigned i = (unsigned)(h & 0xFF);

	if (i < 1 || i > SF_HANDLES || !sf.h[i - 1].used || sf.h[i - 1].epoch != (unsigned)(h >> 8))
		return NULL;
	return &sf.h[i - 1];
}

/* Under sf.m: the handle's reader, or pcsc-lite's complaint about it. */
static LONG sf_check(SCARDHANDLE h, sf_reader **out)
{
	sf_handle *hd = sf_handle_of(h);
	sf_reader *r;

	if (!hd)
		return sf.down || (unsigned)(h >> 8) != sf.epoch ? SCARD_E_NO_SERVICE :
		                                                   SCARD_E_INVALID_HANDLE;
	r = &sf.r[hd->reader];
	*out = r;
	if (!r->exists)
		return SCARD_E_READER_UNAVAILABLE;
	if (hd->removals != r->removals)
		return SCARD_W_REMOVED_CARD;
	if (hd->resets != r->resets)
		return SCARD_W_RESET_CARD;
	return SCARD_S_SUCCESS;
}

LONG SCardReconnect(SCARDHANDLE h, DWORD share, DWORD protos, DWORD init, LPDWORD active)
{
	sf_reader *r = NULL;
	LONG rv;

	(void)share, (void)protos;
	pthread_mutex_lock(&sf.m);
	sf.n.reconnect++;
	rv = sf_check(h, &r);
	if (rv == SCARD_W_RESET_CARD || rv == SCARD_S_SUCCESS) {
		if (init != SCARD_LEAVE_CARD)
			sf_change(r, false, true);
		sf_handle_of(h)->resets = r->resets;
		*active = SCARD_PROTOCOL_T1;
		rv = SCARD_S_SUCCESS;
	}
	pthread_mutex_unlock(&sf.m);
	return rv;
}

LONG SCardDisconnect(SCARDHANDLE h, DWORD disposition)
{
	(void)disposition;
	pthread_mutex_lock(&sf.m);
	if (sf_handle_of(h)) {
		sf_reader *r = &sf.r[sf_handle_of(h)->reader];

		if (r->tx_owner == (int)h)
			r->tx_owner = 0;
		sf_handle_of(h)->used = false;
		pthread_cond_broadcast(&sf.cv);
	}
	pthread_mutex_unlock(&sf.m);
	return SCARD_S_SUCCESS;
}

LONG SCardBeginTransaction(SCARDHANDLE h)
{
	sf_reader *r = NULL;
	LONG rv;

	pthread_mutex_lock(&sf.m);
	sf.n.begin++;
	while ((rv = sf_check(h, &r)) == SCARD_S_SUCCESS && r->tx_owner && r->tx_owner != (int)h)
		pthread_cond_wait(&sf.cv, &sf.m);
	if (rv == SCARD_S_SUCCESS)
		r->tx_owner = (int)h;
	pthread_mutex_unlock(&sf.m);
	return rv;
}

LONG SCardEndTransaction(SCARDHANDLE h, DWORD disposition)
{
	sf_reader *r = NULL;
	LONG rv;

	(void)disposition;
	pthread_mutex_lock(&sf.m);
	sf.n.end++;
	rv = sf_check(h, &r);
	if (r && r->tx_owner == (int)h)
		r->tx_owner = 0;
	pthread_cond_broadcast(&sf.cv);
	pthread_mutex_unlock(&sf.m);
	return rv;
}

LONG SCardTransmit(SCARDHANDLE h, const SCARD_IO_REQUEST *send_pci, LPCBYTE cmd, DWORD cmd_len,
                   SCARD_IO_REQUEST *recv_pci, LPBYTE resp, LPDWORD resp_len)
{
	static uint8_t out[APDU_MAX_RESPONSE];
	sf_reader *r = NULL;
	LONG rv;
	size_t n;

	(void)send_pci, (void)recv_pci;
	pthread_mutex_lock(&sf.m);
	sf.n.transmit++;
	rv = sf_check(h, &r);
	if (rv == SCARD_S_SUCCESS) {
		if (r->tx_owner != (int)h)
			sf.n.outside_tx++;
		n = piv_applet_process(r->applet, cmd, cmd_len, out, sizeof(out));
		if (n > *resp_len) {
			rv = SCARD_E_INSUFFICIENT_BUFFER;
		} else {
			memcpy(resp, out, n);
			*resp_len = (DWORD)n;
		}
	}
	pthread_mutex_unlock(&sf.m);
	return rv;
}

LONG SCardStatus(SCARDHANDLE h, LPSTR name, LPDWORD name_len, LPDWORD state, LPDWORD proto,
                 LPBYTE atr, LPDWORD atr_len)
{
	sf_reader *r = NULL;
	const uint8_t *a;
	size_t n;
	LONG rv;

	(void)name, (void)name_len;
	pthread_mutex_lock(&sf.m);
	rv = sf_check(h, &r);
	if (rv == SCARD_S_SUCCESS) {
		a = piv_applet_atr(&n);
		*state = SCARD_SPECIFIC;
		*proto = SCARD_PROTOCOL_T1;
		if (atr && *atr_len >= n)
			memcpy(atr, a, n);
		*atr_len = (DWORD)n;
	}
	pthread_mutex_unlock(&sf.m);
	return rv;
}

/* Under sf.m: the state pcsc-lite would report for one reader state entry. */
static LONG sf_state_of(SCARD_READERSTATE *rs, DWORD *now)
{
	sf_reader *r;
	DWORD count = 0;
	int i;

	if (strcmp(rs->szReader, SF_PNP) == 0) {
		for (i = 0; i < SF_READERS; i++)
			count += sf.r[i].exists;
		*now = count << 16;
		return SCARD_S_SUCCESS;
	}
	r = sf_find(rs->szReader);
	if (!r)
		return SCARD_E_UNKNOWN_READER;
	*now = (DWORD)(r->events & 0xFFFF) << 16 |
	       (r->card ? SCARD_STATE_PRESENT : SCARD_STATE_EMPTY);
	return SCARD_S_SUCCESS;
}

LONG SCardGetStatusChange(SCARDCONTEXT ctx, DWORD timeout, SCARD_READERSTATE *rs, DWORD n)
{
	struct timespec until;
	bool changed = false;
	DWORD i, now = 0;
	LONG rv = SCARD_S_SUCCESS;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout / 1000;
	until.tv_nsec += (long)(timeout % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&sf.m);
	if (timeout)
		sf.n.waits++;
	if (sf_ctx_dead(ctx)) {
		pthread_mutex_unlock(&sf.m);
		return SCARD_E_NO_SERVICE;
	}
	for (;;) {
		for (i = 0; i < n && rv == SCARD_S_SUCCESS; i++) {
			rv = sf_state_of(&rs[i], &now);
			rs[i].dwEventState = now;
			if (now != (rs[i].dwCurrentState & ~(DWORD)SCARD_STATE_CHANGED)) {
				rs[i].dwEventState |= SCARD_STATE_CHANGED;
				changed = true;
			}
		}
		if (rv != SCARD_S_SUCCESS || changed)
			break;
		if (ctx < SF_CONTEXTS && sf.cancel[ctx]) {
			sf.cancel[ctx] = false;
			sf.n.cancelled++;
			rv = SCARD_E_CANCELLED;
			break;
		}
		if (timeout == 0 ||
		    (timeout != INFINITE && pthread_cond_timedwait(&sf.cv, &sf.m, &until) != 0)) {
			rv = SCARD_E_TIMEOUT;
			break;
		}
		if (timeout == INFINITE)
			pthread_cond_wait(&sf.cv, &sf.m);
	}
	pthread_mutex_unlock(&sf.m);
	return rv;
}

LONG SCardCancel(SCARDCONTEXT ctx)
{
	pthread_mutex_lock(&sf.m);
	sf.n.cancel++;
	if (ctx < SF_CONTEXTS)
		sf.cancel[ctx] = true;
	pthread_cond_broadcast(&sf.cv);
	pthread_mutex_unlock(&sf.m);
	return SCARD_S_SUCCESS;
}
