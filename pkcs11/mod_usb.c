/* kinko USB tokens as slots. libusb is initialised by the first C_GetSlotList (so
 * C_Initialize stays free of I/O); each scan adds a slot for every token found in a port
 * that has none yet. A slot's transport is bound to its port, so a token re-plugged there
 * is found again by that slot's own presence checks. Arrivals and departures wake
 * C_WaitForSlotEvent early through usb_hotplug. */
#include "mod_usb.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libusb.h>

struct mod_usb {
	pthread_mutex_t lock; /* scans, libusb start-up, stopping */
	pthread_cond_t cv;    /* sleepers without a hot-plug watcher */
	libusb_context *ctx;  /* NULL until the first scan */
	usb_hotplug *hp;
	bool stopping;
	bool failed; /* libusb could not start: said once, not retried */
};

CK_RV mod_usb_start(void)
{
	struct mod_usb *u;

	if (!mod.cfg.usb)
		return CKR_OK;
	u = calloc(1, sizeof(*u));
	if (!u)
		return CKR_HOST_MEMORY;
	if (pthread_mutex_init(&u->lock, NULL) != 0) {
		free(u);
		return CKR_CANT_LOCK;
	}
	if (pthread_cond_init(&u->cv, NULL) != 0) {
		pthread_mutex_destroy(&u->lock);
		free(u);
		return CKR_CANT_LOCK;
	}
	mod.usb = u;
	return CKR_OK;
}

/* Under u->lock. */
static bool mod_usb_ready(struct mod_usb *u)
{
	int rc;

	if (u->ctx)
		return true;
	if (u->failed || u->stopping)
		return false;
	rc = libusb_init(&u->ctx);
	if (rc != LIBUSB_SUCCESS) {
		u->ctx = NULL;
		u->failed = true;
		mod_trace_msg("usb: libusb cannot start (%s): no USB tokens",
		              libusb_error_name(rc));
		return false;
	}
	/* Without a watcher C_WaitForSlotEvent still polls; only the early wake-up is lost. */
	u->hp = usb_hotplug_new(u->ctx, mod.cfg.usb_vid, mod.cfg.usb_pid, false);
	return true;
}

/* Is there a slot for this port already? */
static bool mod_usb_known(const char *port)
{
	size_t i, n = mod_slot_count();

	for (i = 0; i < n; i++) {
		mod_slot *s = mod_slot_get(i);

		if (s && mod_usb_slot(s) && strcmp(s->tr->id, port) == 0)
			return true;
	}
	return false;
}

static void mod_usb_add(struct mod_usb *u, libusb_device *dev, const char *port, bool event)
{
	char desc[65];
	tr_transport *tr = tr_usb_new(u->ctx, dev);
	CK_RV rv;

	if (!tr)
		return;
	tr->timeout_ms = mod.cfg.timeout_ms;
	snprintf(desc, sizeof(desc), "kinko USB token %s", port);
	rv = mod_slot_add(tr, desc, event);
	if (rv != CKR_OK)
		mod_trace_msg("usb: no slot for the token in %s (%s)", port, mod_trace_rv_name(rv));
	else
		mod_trace_msg("usb: token in %s has a slot", port);
}

void mod_usb_scan(bool events)
{
	struct mod_usb *u = mod.usb;
	libusb_device **list;
	int n, i;

	if (!u)
		return;
	pthread_mutex_lock(&u->lock);
	/* What is plugged in when we first look is the starting state, not news (as the
	 * first presence answer of any slot). */
	if (!u->ctx)
		events = false;
	if (!mod_usb_ready(u)) {
		pthread_mutex_unlock(&u->lock);
		return;
	}
	n = tr_usb_enumerate(u->ctx, mod.cfg.usb_vid, mod.cfg.usb_pid, &list);
	for (i = 0; i < n; i++) {
		char port[TR_USB_ID_MAX];

		if (tr_usb_port_id(list[i], port, sizeof(port)) != 0 || mod_usb_known(port))
			continue;
		/* One token, one slot: pcscd's is the PC/SC slot of its reader. */
		if (tr_usb_pcscd_holds(list[i]) != 0)
			mod_trace_msg("usb: token in %s is pcscd's: reached through PC/SC", port);
		else
			mod_usb_add(u, list[i], port, events);
	}
	if (n >= 0)
		tr_usb_list_free(list);
	pthread_mutex_unlock(&u->lock);
}

bool mod_usb_sleep(unsigned ms)
{
	struct mod_usb *u = mod.usb;
	uint64_t seen;
	struct timespec until;
	bool go_on;

	if (!u)
		return false;
	pthread_mutex_lock(&u->lock);
	if (u->stopping) {
		pthread_mutex_unlock(&u->lock);
		return false;
	}
	if (u->hp) {
		usb_hotplug *hp = u->hp;

		pthread_mutex_unlock(&u->lock);
		/* The watcher lives until mod_usb_finish, after every sleeper left. */
		seen = usb_hotplug_generation(hp);
		return usb_hotplug_wait(hp, &seen, (int)ms) >= 0;
	}
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while (!u->stopping && pthread_cond_timedwait(&u->cv, &u->lock, &until) == 0)
		;
	go_on = !u->stopping;
	pthread_mutex_unlock(&u->lock);
	return go_on;
}

void mod_usb_stop(void)
{
	struct mod_usb *u = mod.usb;

	if (!u)
		return;
	pthread_mutex_lock(&u->lock);
	u->stopping = true;
	if (u->hp)
		usb_hotplug_cancel(u->hp);
	pthread_cond_broadcast(&u->cv);
	pthread_mutex_unlock(&u->lock);
}

void mod_usb_finish(void)
{
	struct mod_usb *u = mod.usb;

	if (!u)
		return;
	usb_hotplug_free(u->hp);
	if (u->ctx)
		libusb_exit(u->ctx);
	pthread_cond_destroy(&u->cv);
	pthread_mutex_destroy(&u->lock);
	free(u);
	mod.usb = NULL;
}

bool mod_usb_slot(const mod_slot *s)
{
	return s->tr && s->tr->ops->id_is_port;
}
