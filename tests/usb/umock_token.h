/* An emulated kinko USB token for tests, in this process: umockdev presents the device
 * (sysfs, /dev/bus/usb node, udev events) to an unmodified libusb, and a usbdevfs ioctl
 * handler plays the device, with the real firmware (piv_applet, token state in RAM and
 * emu_card's CCID message handling) behind its bulk endpoints.
 *
 * Programs using it must run with libumockdev-preload.so in LD_PRELOAD (umockdev-wrapper);
 * umock_bed_reexec does that for a test program started directly. */
#ifndef KINKO_UMOCK_TOKEN_H
#define KINKO_UMOCK_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "token_state.h"

/* The emulated device's descriptors (README "Hardware: the kinko USB token"). */
#define UMOCK_TOKEN_VID 0x1209u
#define UMOCK_TOKEN_PID 0x6B6Bu
#define UMOCK_TOKEN_MAX_PACKET 64u

typedef struct umock_bed umock_bed;
typedef struct umock_token umock_token;

/* Run the program again under the umockdev preload (ASan's runtime first when the
 * program is sanitized) unless it already is. Returns only when already preloaded; when
 * the re-exec fails the program exits 99. */
void umock_bed_reexec(char **argv);
/* Is this program built with ASan linked in statically (clang's default)? Then another
 * program (pkcs11-tool) cannot load sanitized code such as the module: no shared ASan
 * runtime exists to preload for it. */
bool umock_asan_static(void);
/* When umock_asan_static(): print the whole-program TAP skip for a test that loads the
 * module into another program (pkcs11-tool) and return true. */
bool umock_skip_if_asan_static(void);

/* A testbed with a USB root hub (bus 1). NULL on failure. */
umock_bed *umock_bed_new(void);
void umock_bed_free(umock_bed *b); /* tokens too */

/* Plug a fresh token (provisioned with opts, NULL for factory defaults) into root-hub
 * port `port` (1..). NULL on failure. */
umock_token *umock_token_plug(umock_bed *b, unsigned port, const tok_provision_opts *opts);
/* Pull it out: transfers in flight fail with ENODEV, the device leaves sysfs (a udev
 * "remove" event). The firmware state stays. */
void umock_token_unplug(umock_token *t);
/* Plug it in again in the same port (a new device address, as the kernel gives). 0/-1. */
int umock_token_replug(umock_token *t);

/* Faults, for the next XfrBlock whose APDU has instruction byte ins:
 * UNPLUG pulls the device out (electrically) instead of answering: in-flight and later
 * transfers fail with ENODEV; call umock_token_unplug afterwards to finish the removal.
 * HOLD answers only when umock_token_release is called (a late reply). */
typedef enum { UMOCK_FAULT_NONE, UMOCK_FAULT_UNPLUG, UMOCK_FAULT_HOLD } umock_fault;
void umock_token_fault(umock_token *t, uint8_t ins, umock_fault f);
void umock_token_release(umock_token *t);
/* The next XfrBlock is answered with a DataBlock carrying payload (len bytes) and
 * claiming dwLength = claimed_len (the real length when claimed_len < 0). */
void umock_token_override(umock_token *t, const uint8_t *payload, size_t len, long claimed_len);

/* Observations. */
bool umock_token_claimed(umock_token *t);         /* is the interface claimed now? */
unsigned long umock_token_claims(umock_token *t); /* interface claims so far */
/* Another application's power-on, as between two of our calls: the applet is deselected
 * and the PIN verification forgotten. */
void umock_token_reset(umock_token *t);
unsigned long umock_token_messages(umock_token *t); /* CCID messages answered */
tok_state *umock_token_state(umock_token *t);

#endif
