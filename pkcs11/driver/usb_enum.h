/* Recognising a kinko USB token among a host's USB devices (usb_enum.c). */
#ifndef KINKO_USB_ENUM_H
#define KINKO_USB_ENUM_H

#include "driver_internal.h"

#include <stdbool.h>
#include <stdint.h>

#include <libusb.h>

typedef struct {
	uint8_t iface;  /* bInterfaceNumber of the CCID interface */
	uint8_t ep_out; /* bulk OUT endpoint address */
	uint8_t ep_in;  /* bulk IN endpoint address */
} tr_usb_eps;

/* Is dev a kinko token (vid/pid, a CCID-class interface with one bulk OUT and one bulk
 * IN endpoint)? Its endpoints into *eps (may be NULL). Reads cached descriptors only. */
bool tr_usb_match(libusb_device *dev, uint16_t vid, uint16_t pid, tr_usb_eps *eps);

#endif
