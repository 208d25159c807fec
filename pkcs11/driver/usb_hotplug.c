/* Token arrival/departure: a generation counter moved by libusb hot-plug callbacks, or by
 * comparing enumerations when the platform has no hot-plug support. No thread of our own:
 * waiters pump libusb's events themselves (libusb lets several threads do so), so an
 * application that never waits pays nothing. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libusb.h>

#include "transport.h"
#include "mono.h"

/* Without hot-plug callbacks, how often the tokens are enumerated again. */
#define USB_HOTPLUG_POLL_MS 250
/* Longest single libusb event wait: bounds how late a waiter notices a cancel. */
#define USB_HOTPLUG_SLICE_MS 250

struct usb_hotplug {
	libusb_context *ctx;
	uint16_t vid, pid;
	bool callbacks;
	libusb_hotplug_callback_handle cb;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* CLOCK_MONOTONIC; signalled on cancel and on events */
	uint64_t gen;
	bool cancelled;
	char *snapshot; /* polling: "port/address;" of each token, port order */
};

/* Runs inside whichever thread handles libusb events: only bookkeeping here. */
static int LIBUSB_CALL usb_hotplug_cb(libusb_context *ctx, libusb_device *dev,
                                      libusb_hotplug_event event, void *user)
{
	usb_hotplug *h = user;

	(void)ctx;
	(void)dev;
	(void)event;
	pthread_mutex_lock(&h->lock);
	h->gen++;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
	return 0; /* stay registered */
}

/* Who is plugged in where; the device address changes on every plug, so a quick
 * re-plug into the same port still reads as a change. NULL on failure. */
static char *usb_hotplug_snapshot(usb_hotplug *h)
{
	libusb_device **list;
	char *s;
	size_t cap, used = 0;
	int n, i;

	n = tr_usb_enumerate(h->ctx, h->vid, h->pid, &list);
	if (n < 0)
		return NULL;
	cap = (size_t)n * (TR_USB_ID_MAX + 6) + 1;
	s = malloc(cap);
	if (s) {
		s[0] = '\0';
		for (i = 0; i < n; i++) {
			char id[TR_USB_ID_MAX];

			if (tr_usb_port_id(list[i], id, sizeof(id)) != 0)
				continue;
			used += (size_t)snprintf(s + used, cap - used, "%s/%u;", id,
			                         libusb_get_device_address(list[i]));
		}
	}
	tr_usb_list_free(list);
	return s;
}

/* Polling: compare with the last enumeration; under h->lock. */
static void usb_hotplug_poll_locked(usb_hotplug *h)
{
	char *now = usb_hotplug_snapshot(h);

	if (!now)
		return; /* try again next round */
	if (!h->snapshot || strcmp(now, h->snapshot) != 0) {
		free(h->snapshot);
		h->snapshot = now;
		h->gen++;
		pthread_cond_broadcast(&h->cond);
		return;
	}
	free(now);
}

usb_hotplug *usb_hotplug_new(libusb_context *ctx, uint16_t vid, uint16_t pid, bool force_polling)
{
	usb_hotplug *h = calloc(1, sizeof(*h));
	pthread_condattr_t ca;

	if (!h)
		return NULL;
	h->ctx = ctx;
	h->vid = vid;
	h->pid = pid;
	pthread_mutex_init(&h->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (!force_polling && libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG) &&
	    libusb_hotplug_register_callback(ctx,
	                                     LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED |
	                                             LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT,
	                                     0, vid, pid, LIBUSB_HOTPLUG_MATCH_ANY, usb_hotplug_cb,
	                                     h, &h->cb) == LIBUSB_SUCCESS) {
		h->callbacks = true;
		return h;
	}
	/* The baseline: what is plugged in now is no event. */
	h->snapshot = usb_hotplug_snapshot(h);
	if (!h->snapshot) {
		usb_hotplug_free(h);
		return NULL;
	}
	return h;
}

void usb_hotplug_free(usb_hotplug *h)
{
	if (!h)
		return;
	if (h->callbacks)
		libusb_hotplug_deregister_callback(h->ctx, h->cb);
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->lock);
	free(h->snapshot);
	free(h);
}

bool usb_hotplug_uses_callbacks(const usb_hotplug *h)
{
	return h->callbacks;
}

uint64_t usb_hotplug_generation(usb_hotplug *h)
{
	uint64_t g;

	pthread_mutex_lock(&h->lock);
	g = h->gen;
	pthread_mutex_unlock(&h->lock);
	return g;
}

void usb_hotplug_cancel(usb_hotplug *h)
{
	pthread_mutex_lock(&h->lock);
	h->cancelled = true;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
	if (h->callbacks)
		libusb_interrupt_event_handler(h->ctx);
}

/* Under h->lock: 1 event, -1 cancelled, 0 nothing yet. */
static int usb_hotplug_check_locked(usb_hotplug *h, uint64_t *seen)
{
	if (h->cancelled)
		return -1;
	if (h->gen != *seen) {
		*seen = h->gen;
		return 1;
	}
	return 0;
}

static void usb_hotplug_sleep_locked(usb_hotplug *h, long long ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	while (pthread_cond_timedwait(&h->cond, &h->lock, &ts) == EINTR)
		;
}

int usb_hotplug_wait(usb_hotplug *h, uint64_t *seen, int timeout_ms)
{
	long long deadline = mono_now_ms() + timeout_ms;
	bool pumped = false;
	int r;

	for (;;) {
		long long slice = timeout_ms < 0 ? USB_HOTPLUG_SLICE_MS : deadline - mono_now_ms();

		pthread_mutex_lock(&h->lock);
		if (!h->callbacks)
			usb_hotplug_poll_locked(h);
		r = usb_hotplug_check_locked(h, seen);
		/* Callbacks are only delivered while someone handles libusb's events: even a
		 * look without waiting (CKF_DONT_BLOCK) handles the pending ones once. */
		if (r != 0 || (slice <= 0 && (pumped || !h->callbacks))) {
			pthread_mutex_unlock(&h->lock);
			return r;
		}
		if (slice > USB_HOTPLUG_SLICE_MS)
			slice = USB_HOTPLUG_SLICE_MS;
		if (slice < 0)
			slice = 0;
		if (!h->callbacks) {
			usb_hotplug_sleep_locked(h, slice < USB_HOTPLUG_POLL_MS ?
			                                    slice :
			                                    USB_HOTPLUG_POLL_MS);
			pthread_mutex_unlock(&h->lock);
			continue;
		}
		pthread_mutex_unlock(&h->lock);
		struct timeval tv = {.tv_sec = 0, .tv_usec = (suseconds_t)slice * 1000};
		libusb_handle_events_timeout_completed(h->ctx, &tv, NULL);
		pumped = true;
	}
}
