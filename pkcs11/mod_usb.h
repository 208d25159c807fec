/* kinko USB tokens as slots of the module: one slot per USB port a token was
 * seen in, after the emulator sockets' slots. A slot keeps its id for the life of the
 * module: a token re-plugged into the same port is in the same slot again (absent in
 * between). libusb is initialised at the first scan, never at C_Initialize. */
#ifndef KINKO_MOD_USB_H
#define KINKO_MOD_USB_H

#include <stdbool.h>

#include "mod.h"

/* At most this many USB slots per module instance (ports ever seen). */
#define MOD_USB_MAX_SLOTS 32u

/* C_Initialize (from mod_slot_create_all), when cfg.usb: bookkeeping only, no I/O. */
CK_RV mod_usb_start(void);
/* Under no slot lock: add a slot for each token in a port that has none yet. Each new
 * slot is present; events: its arrival is news for C_WaitForSlotEvent (a slot that
 * C_GetSlotList shows first is not). Failures to enumerate leave the slots alone. */
void mod_usb_scan(bool events);
/* C_WaitForSlotEvent between polls: sleep up to ms, less when a USB token arrives or
 * leaves. false when mod_usb_stop was called. */
bool mod_usb_sleep(unsigned ms);
/* Wake every sleeper for good (C_Finalize). */
void mod_usb_stop(void);
/* C_Finalize, after the slots (and their transports) are gone. */
void mod_usb_finish(void);
/* Is this slot a USB one? Its interface is then released after every card operation. */
bool mod_usb_slot(const mod_slot *s);

#endif
