/* Fixture of the module tests over emulated USB tokens: a umockdev testbed with tokens in
 * root-hub ports, a kinko.conf turning USB on, and the built module loaded with dlopen
 * (its own libusb sees the emulated tokens). */
#ifndef KINKO_USB_P11_FIXTURE_H
#define KINKO_USB_P11_FIXTURE_H

#include <stddef.h>

#include "p11_test_util.h"
#include "umock_token.h"

#define MFX_SERIAL_A 0x00A0A0A0u /* the token in port 1 */
#define MFX_SERIAL_B 0x00B0B0B0u /* the second token, port 3 */
#define MFX_CONF_USB "usb = yes\nusb_vid_pid = 1209:6b6b\n"

typedef struct {
	umock_bed *bed;
	umock_token *tok[2];
	p11t t;        /* t.f, t.slots[], t.session (R/W on slots[0]) */
	char dir[128]; /* a private temporary directory */
	char conf[160];
} mfx;

/* Plug tokens (1 or 2), write conf (kinko.conf lines) and load + C_Initialize the module;
 * C_GetSlotList(TRUE) must list want_slots slots; with any, a session is opened on the
 * first. *state = the fixture; on failure everything is undone and -1 returned. */
int mfx_setup(void **state, size_t tokens, const char *conf, CK_ULONG want_slots);
int mfx_teardown(void **state);

/* C_GetSlotList(TRUE) into m->t.slots; the count (0 on error). */
CK_ULONG mfx_slots(mfx *m);

#endif
