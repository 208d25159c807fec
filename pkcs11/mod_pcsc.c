/* PC/SC readers as slots. The contexts are established by the first scan (so
 * C_Initialize stays free of I/O) and kept until C_Finalize; each scan adds a slot for
 * every reader whose name has none yet. Readers coming and going and cards inserted and
 * removed end C_WaitForSlotEvent's sleep early (tr_pcsc_wait). */
#include "mod_pcsc.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct mod_pcsc {
	pthread_mutex_t lock; /* scans, start-up, stopping */
	tr_pcsc_ctx *ctx;     /* NULL until the first scan, or when pcscd is not there */
	bool stopping;
	bool failed; /* no pcscd: said once, not retried */
};

CK_RV mod_pcsc_start(void)
{
	struct mod_pcsc *p;

	if (!mod.cfg.pcsc)
		return CKR_OK;
	p = calloc(1, sizeof(*p));
	if (!p)
		return CKR_HOST_MEMORY;
	if (pthread_mutex_init(&p->lock, NULL) != 0) {
		free(p);
		return CKR_CANT_LOCK;
	}
	mod.pcsc = p;
	return CKR_OK;
}

/* Under p->lock. */
static bool mod_pcsc_ready(struct mod_pcsc *p)
{
	char why[128];

	if (p->ctx)
		return true;
	if (p->failed || p->stopping)
		return false;
	p->ctx = tr_pcsc_ctx_new(why, sizeof(why));
	if (!p->ctx) {
		p->failed = true;
		mod_trace_msg("pcsc: no PC/SC service (%s): no reader slots", why);
		return false;
	}
	return true;
}

static bool mod_pcsc_known(const char *id)
{
	size_t i, n = mod_slot_count();

	for (i = 0; i < n; i++) {
		mod_slot *s = mod_slot_get(i);

		if (s && strcmp(s->tr->ops->name, "pcsc") == 0 && strcmp(s->tr->id, id) == 0)
			return true;
	}
	return false;
}

static void mod_pcsc_add(struct mod_pcsc *p, const char *reader, bool event)
{
	tr_transport *tr = tr_pcsc_new(p->ctx, reader);
	CK_RV rv;

	if (!tr)
		return;
	if (mod_pcsc_known(tr->id)) {
		tr->ops->destroy(tr);
		return;
	}
	/* A reader is listed whether or not a card is in it: the slot's first presence
	 * answer says which. */
	rv = mod_slot_add_reader(tr, reader, event);
	if (rv != CKR_OK)
		mod_trace_msg("pcsc: no slot for reader '%s' (%s)", reader, mod_trace_rv_name(rv));
	else
		mod_trace_msg("pcsc: reader '%s' has a slot", reader);
}

void mod_pcsc_scan(bool events)
{
	struct mod_pcsc *p = mod.pcsc;
	char **names;
	int n, i;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	if (!p->ctx)
		events = false; /* what is there at the first look is the starting state */
	if (!mod_pcsc_ready(p)) {
		pthread_mutex_unlock(&p->lock);
		return;
	}
	n = tr_pcsc_readers(p->ctx, &names);
	for (i = 0; i < n; i++)
		mod_pcsc_add(p, names[i], events);
	if (n >= 0)
		tr_pcsc_readers_free(names);
	pthread_mutex_unlock(&p->lock);
}

bool mod_pcsc_active(void)
{
	struct mod_pcsc *p = mod.pcsc;
	bool active;

	if (!p)
		return false;
	pthread_mutex_lock(&p->lock);
	active = p->ctx != NULL && !p->stopping;
	pthread_mutex_unlock(&p->lock);
	return active;
}

bool mod_pcsc_sleep(unsigned ms)
{
	struct mod_pcsc *p = mod.pcsc;
	tr_pcsc_ctx *ctx;

	if (!p)
		return false;
	pthread_mutex_lock(&p->lock);
	ctx = p->stopping ? NULL : p->ctx;
	pthread_mutex_unlock(&p->lock);
	/* The contexts live until mod_pcsc_finish, after every sleeper left. */
	if (!ctx)
		return false;
	if (tr_pcsc_wait(ctx, ms) < 0) {
		bool stopping;

		pthread_mutex_lock(&p->lock);
		stopping = p->stopping;
		pthread_mutex_unlock(&p->lock);
		/* pcscd went away: the poll still runs, at its pace. */
		if (!stopping)
			nanosleep(&(struct timespec){.tv_nsec = (long)(ms % 1000) * 1000000L,
			                             .tv_sec = ms / 1000},
			          NULL);
		return !stopping;
	}
	return true;
}

void mod_pcsc_stop(void)
{
	struct mod_pcsc *p = mod.pcsc;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	if (p->ctx)
		tr_pcsc_cancel(p->ctx);
	pthread_mutex_unlock(&p->lock);
}

void mod_pcsc_finish(void)
{
	struct mod_pcsc *p = mod.pcsc;

	if (!p)
		return;
	tr_pcsc_ctx_free(p->ctx);
	pthread_mutex_destroy(&p->lock);
	free(p);
	mod.pcsc = NULL;
}
