/* Arrival and departure of kinko USB tokens, for C_WaitForSlotEvent: libusb hot-plug
 * callbacks where the platform has them, else a re-enumeration every
 * USB_HOTPLUG_POLL_MS. Callers keep the generation they last saw and wait for it to move;
 * what changed they learn by enumerating (tr_usb_enumerate). */
#ifndef KINKO_USB_HOTPLUG_H
#define KINKO_USB_HOTPLUG_H

#include <stdbool.h>
#include <stdint.h>

#include <libusb.h>

#define USB_HOTPLUG_POLL_MS 250

typedef struct usb_hotplug usb_hotplug;

/* Watch for tokens vid:pid on ctx (which must outlive the watcher). force_polling
 * ignores libusb hot-plug support (tests; platforms where it is unreliable). NULL on
 * failure. */
usb_hotplug *usb_hotplug_new(libusb_context *ctx, uint16_t vid, uint16_t pid,
                             bool force_polling);
void usb_hotplug_free(usb_hotplug *h);

/* Does this watcher use libusb hot-plug callbacks (true) or polling (false)? */
bool usb_hotplug_uses_callbacks(const usb_hotplug *h);

/* Counts arrivals and departures since the watcher was made. */
uint64_t usb_hotplug_generation(usb_hotplug *h);

/* Wait until the generation differs from *seen (then *seen is updated), timeout_ms
 * passes (< 0: no limit) or usb_hotplug_cancel is called. 1 on an event, 0 on timeout,
 * -1 when cancelled. Several threads may wait at once. */
int usb_hotplug_wait(usb_hotplug *h, uint64_t *seen, int timeout_ms);

/* Wake every waiter with -1, now and in future (C_Finalize). */
void usb_hotplug_cancel(usb_hotplug *h);

#endif
