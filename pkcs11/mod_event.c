/* C_WaitForSlotEvent: presence is polled (a CCID GetSlotStatus per slot, no APDU) every
 * MOD_EVENT_POLL_MS, sooner when libusb reports a USB token arriving or leaving; between
 * polls a waiter holds no module or slot lock, only sleeps on a condition that C_Finalize
 * signals (or in mod_pcsc_sleep / mod_usb_sleep, which C_Finalize wakes too), so finalising
 * wakes it at once. The condition uses
 * pthreads whatever the application's locking: waiting needs a condition variable, which
 * the standard's mutex callbacks cannot provide. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "mod.h"
#include "mod_pcsc.h"
#include "mod_usb.h"

#define MOD_EVENT_POLL_MS 100

struct mod_events {
	pthread_mutex_t m;
	pthread_cond_t cv; /* CLOCK_MONOTONIC; stop wakes waiters, waiters wake stop */
	unsigned waiters;
	bool stopping;
};

CK_RV mod_event_init(void)
{
	struct mod_events *ev = calloc(1, sizeof(*ev));
	pthread_condattr_t attr;
	bool ok;

	if (!ev)
		return CKR_HOST_MEMORY;
	if (pthread_condattr_init(&attr) != 0) {
		free(ev);
		return CKR_HOST_MEMORY;
	}
	ok = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 &&
	     pthread_cond_init(&ev->cv, &attr) == 0;
	pthread_condattr_destroy(&attr);
	if (ok && pthread_mutex_init(&ev->m, NULL) != 0) {
		pthread_cond_destroy(&ev->cv);
		ok = false;
	}
	if (!ok) {
		free(ev);
		return CKR_CANT_LOCK;
	}
	mod.events = ev;
	return CKR_OK;
}

void mod_event_stop(void)
{
	struct mod_events *ev = mod.events;

	if (!ev)
		return;
	mod_usb_stop();
	mod_pcsc_stop();
	pthread_mutex_lock(&ev->m);
	ev->stopping = true;
	pthread_cond_broadcast(&ev->cv);
	while (ev->waiters > 0)
		pthread_cond_wait(&ev->cv, &ev->m);
	pthread_mutex_unlock(&ev->m);
	pthread_cond_destroy(&ev->cv);
	pthread_mutex_destroy(&ev->m);
	free(ev);
	mod.events = NULL;
}

/* Poll every slot once; the first with an unreported change is the answer. */
static bool mod_event_poll(CK_SLOT_ID *slot)
{
	bool found = false;
	size_t i;

	/* A new PC/SC reader or a USB token in a new port gets its slot now (and that is an
	 * event). */
	mod_pcsc_scan(true);
	mod_usb_scan(true);
	for (i = 0; i < mod_slot_count() && !found; i++) {
		mod_slot *s = mod.slots[i];

		mod_slot_lock(s);
		/* A reader that cannot be asked now keeps its last known state. */
		(void)mod_slot_refresh(s);
		if (s->event) {
			s->event = false;
			*slot = s->id;
			found = true;
		}
		mod_slot_unlock(s);
	}
	return found;
}

/* Sleep until the next poll is due or C_Finalize; false when finalising. */
static bool mod_event_sleep(struct mod_events *ev)
{
	struct timespec until;
	bool go_on;

	/* With PC/SC, a reader or card change ends the sleep early (USB tokens are then
	 * found by the next poll); else with USB tokens, a hot-plug event does. */
	if (mod_pcsc_active() || mod.usb) {
		go_on = mod_pcsc_active() ? mod_pcsc_sleep(MOD_EVENT_POLL_MS) :
		                            mod_usb_sleep(MOD_EVENT_POLL_MS);
		pthread_mutex_lock(&ev->m);
		go_on = go_on && !ev->stopping;
		pthread_mutex_unlock(&ev->m);
		return go_on;
	}
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += MOD_EVENT_POLL_MS * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&ev->m);
	while (!ev->stopping && pthread_cond_timedwait(&ev->cv, &ev->m, &until) != ETIMEDOUT)
		;
	go_on = !ev->stopping;
	pthread_mutex_unlock(&ev->m);
	return go_on;
}

CK_RV mod_event_wait(CK_FLAGS flags, CK_SLOT_ID *slot)
{
	struct mod_events *ev = mod.events;
	CK_RV rv = CKR_OK;

	pthread_mutex_lock(&ev->m);
	if (ev->stopping) {
		pthread_mutex_unlock(&ev->m);
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	}
	ev->waiters++;
	pthread_mutex_unlock(&ev->m);

	while (!mod_event_poll(slot)) {
		if (flags & CKF_DONT_BLOCK) {
			rv = CKR_NO_EVENT;
			break;
		}
		if (!mod_event_sleep(ev)) {
			rv = CKR_CRYPTOKI_NOT_INITIALIZED;
			break;
		}
	}

	pthread_mutex_lock(&ev->m);
	ev->waiters--;
	if (ev->stopping)
		pthread_cond_broadcast(&ev->cv);
	pthread_mutex_unlock(&ev->m);
	return rv;
}
