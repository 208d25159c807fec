/* Finding kinko USB tokens: which devices are ours (by VID/PID and by their interface,
 * so a device that merely reuses the IDs is not driven), and the port identity that
 * names a token's slot across re-plugs. Only cached descriptors are read: enumerating
 * sends nothing to any device. */
#include "usb_enum.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transport.h"

/* The interface of a token: class 0B (CCID), exactly one bulk endpoint each way (an
 * interrupt endpoint, which the token has not, would be ignored). */
static bool tr_usb_iface_match(const struct libusb_interface_descriptor *id, tr_usb_eps *eps)
{
	tr_usb_eps found = {.iface = id->bInterfaceNumber};
	int i;

	if (id->bInterfaceClass != TR_USB_IFACE_CLASS)
		return false;
	for (i = 0; i < id->bNumEndpoints; i++) {
		const struct libusb_endpoint_descriptor *ep = &id->endpoint[i];

		if ((ep->bmAttributes & 0x03) != LIBUSB_TRANSFER_TYPE_BULK)
			continue;
		if (ep->bEndpointAddress & LIBUSB_ENDPOINT_IN) {
			if (found.ep_in)
				return false;
			found.ep_in = ep->bEndpointAddress;
		} else {
			if (found.ep_out)
				return false;
			found.ep_out = ep->bEndpointAddress;
		}
	}
	if (!found.ep_in || !found.ep_out)
		return false;
	if (eps)
		*eps = found;
	return true;
}

bool tr_usb_match(libusb_device *dev, uint16_t vid, uint16_t pid, tr_usb_eps *eps)
{
	struct libusb_device_descriptor dd;
	struct libusb_config_descriptor *cfg;
	bool ok = false;
	int i;

	if (libusb_get_device_descriptor(dev, &dd) != 0 || dd.idVendor != vid ||
	    dd.idProduct != pid)
		return false;
	/* The token has one configuration; its first is the one the kernel set. */
	if (libusb_get_config_descriptor(dev, 0, &cfg) != 0)
		return false;
	for (i = 0; i < cfg->bNumInterfaces && !ok; i++) {
		if (cfg->interface[i].num_altsetting > 0)
			ok = tr_usb_iface_match(&cfg->interface[i].altsetting[0], eps);
	}
	libusb_free_config_descriptor(cfg);
	return ok;
}

int tr_usb_port_id(libusb_device *dev, char *id, size_t cap)
{
	uint8_t ports[7];
	int n, i, w;
	size_t used;

	if (!dev || !id)
		return -1;
	n = libusb_get_port_numbers(dev, ports, (int)sizeof(ports));
	if (n <= 0)
		return -1; /* a root hub, or the path is unknown: no stable identity */
	w = snprintf(id, cap, "usb:%u-", libusb_get_bus_number(dev));
	if (w < 0 || (size_t)w >= cap)
		return -1;
	used = (size_t)w;
	for (i = 0; i < n; i++) {
		w = snprintf(id + used, cap - used, i ? ".%u" : "%u", ports[i]);
		if (w < 0 || (size_t)w >= cap - used)
			return -1;
		used += (size_t)w;
	}
	return 0;
}

/* Port order, so slot numbering does not depend on the order the kernel listed them. */
static int tr_usb_port_cmp(const void *a, const void *b)
{
	char ia[TR_USB_ID_MAX] = "", ib[TR_USB_ID_MAX] = "";

	tr_usb_port_id(*(libusb_device *const *)a, ia, sizeof(ia));
	tr_usb_port_id(*(libusb_device *const *)b, ib, sizeof(ib));
	return strcmp(ia, ib);
}

int tr_usb_enumerate(libusb_context *ctx, uint16_t vid, uint16_t pid, libusb_device ***out)
{
	libusb_device **all, **found;
	ssize_t n, i;
	int k = 0;

	if (!out)
		return -1;
	*out = NULL;
	n = libusb_get_device_list(ctx, &all);
	if (n < 0)
		return -1;
	found = calloc((size_t)n + 1, sizeof(*found));
	if (!found) {
		libusb_free_device_list(all, 1);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (tr_usb_match(all[i], vid, pid, NULL))
			found[k++] = libusb_ref_device(all[i]);
	}
	libusb_free_device_list(all, 1);
	qsort(found, (size_t)k, sizeof(*found), tr_usb_port_cmp);
	*out = found;
	return k;
}

void tr_usb_list_free(libusb_device **list)
{
	size_t i;

	if (!list)
		return;
	for (i = 0; list[i]; i++)
		libusb_unref_device(list[i]);
	free(list);
}
