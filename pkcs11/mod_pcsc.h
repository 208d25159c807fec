/* PC/SC readers as slots of the module (pcsc = yes, the default): one slot per reader name
 * ever seen, after the emulator sockets' slots and before the USB ones found later, named
 * after the reader. A slot keeps its id for the life of the module: a reader that leaves
 * leaves its slot without a token, and one back under the same name is in the same slot.
 * pcsc-lite is reached at the first scan, never at C_Initialize; no pcscd is no slot. */
#ifndef KINKO_MOD_PCSC_H
#define KINKO_MOD_PCSC_H

#include <stdbool.h>

#include "mod.h"

/* At most this many PC/SC slots per module instance (reader names ever seen). */
#define MOD_PCSC_MAX_SLOTS 16u

/* C_Initialize (from mod_slot_create_all), when cfg.pcsc: bookkeeping only, no I/O. */
CK_RV mod_pcsc_start(void);
/* Under no slot lock: a slot for each reader that has none yet. events: as mod_usb_scan. */
void mod_pcsc_scan(bool events);
/* Is pcscd there (after a scan)? Then mod_pcsc_sleep is the wait between polls. */
bool mod_pcsc_active(void);
/* C_WaitForSlotEvent between polls: sleep up to ms, less when a reader comes or goes or a
 * card is inserted or removed. false when mod_pcsc_stop was called. */
bool mod_pcsc_sleep(unsigned ms);
/* Wake every sleeper for good, a blocked SCardGetStatusChange too (C_Finalize). */
void mod_pcsc_stop(void);
/* C_Finalize, after the slots (and their transports) are gone. */
void mod_pcsc_finish(void);

#endif
