/* The emulated kinko USB token: umockdev testbed devices (sysfs, /dev/bus/usb nodes,
 * udev events) for an unmodified libusb, each with the usbfs handler of umock_usbfs.c and
 * the real firmware (piv_applet, token state in RAM, emu_card) behind it. */
#include "umock_internal.h"

#include <errno.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "piv_applet.h"

/* The path of ASan's runtime when this program is sanitized (it is then loaded already). */
static int umock_find_asan(struct dl_phdr_info *info, size_t size, void *data)
{
	char **path = data;

	(void)size;
	if (info->dlpi_name && (strstr(info->dlpi_name, "libasan.so") ||
	                        strstr(info->dlpi_name, "libclang_rt.asan"))) {
		*path = g_strdup(info->dlpi_name);
		return 1;
	}
	return 0;
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UMOCK_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define UMOCK_ASAN 1
#endif

bool umock_asan_static(void)
{
#ifdef UMOCK_ASAN
	char *asan = NULL;
	bool shared;

	dl_iterate_phdr(umock_find_asan, &asan);
	shared = asan != NULL;
	g_free(asan);
	return !shared;
#else
	return false;
#endif
}

bool umock_skip_if_asan_static(void)
{
	if (!umock_asan_static())
		return false;
	printf("1..0 # SKIP sanitizer build with a static ASan runtime (clang): the sanitized "
	       "module cannot be loaded into pkcs11-tool\n");
	return true;
}

void umock_bed_reexec(char **argv)
{
	const char *pre = getenv("LD_PRELOAD");
	char *asan = NULL, *val;

	if (pre && strstr(pre, "libumockdev-preload"))
		return;
	/* ASan refuses to start unless its runtime is the first library loaded. */
	dl_iterate_phdr(umock_find_asan, &asan);
	val = g_strdup_printf("%s%s%s%s%s", asan ? asan : "", asan ? ":" : "",
	                      "libumockdev-preload.so.0", pre && *pre ? ":" : "", pre ? pre : "");
	g_free(asan);
	setenv("LD_PRELOAD", val, 1);
	g_free(val);
	execv("/proc/self/exe", argv);
	perror("umock_bed_reexec: execv");
	exit(99); /* the test harness's hard error: no test could run */
}

/* A USB 2.0 root hub, bus 1 (umockdev's description format). */
static const char umock_hub_description[] =
	"P: /devices/usb1\n"
	"N: bus/usb/001/001\n"
	"E: DEVNAME=/dev/bus/usb/001/001\nE: DEVTYPE=usb_device\nE: DRIVER=usb\n"
	"E: PRODUCT=1d6b/2/606\nE: TYPE=9/0/1\nE: BUSNUM=001\nE: DEVNUM=001\n"
	"E: MAJOR=189\nE: MINOR=0\nE: SUBSYSTEM=usb\n"
	"A: busnum=1\\n\nA: devnum=1\\n\nA: idVendor=1d6b\\n\nA: idProduct=0002\\n\n"
	"A: speed=480\\n\nA: bConfigurationValue=1\\n\nA: bNumConfigurations=1\\n\n"
	"A: bDeviceClass=09\\n\nA: devpath=0\\n\n"
	"H: descriptors=12010002090001406b1d020006060302010109021900010100e000090400000109"
	"0000000705810304000c\n";

umock_bed *umock_bed_new(void)
{
	umock_bed *b = g_new0(umock_bed, 1);

	b->tb = umockdev_testbed_new();
	if (!umockdev_in_mock_environment()) {
		fprintf(stderr, "umock_bed_new: not under umockdev-wrapper\n");
		g_object_unref(b->tb);
		g_free(b);
		return NULL;
	}
	g_mutex_init(&b->lock);
	b->tokens = g_ptr_array_new();
	b->devs = g_ptr_array_new_with_free_func(umock_dev_free);
	b->next_devnum = 2;
	/* The root hub: libusb learns port paths from the device's sysfs parent. */
	b->hub_syspath = g_strdup("/sys/devices/usb1");
	if (!umockdev_testbed_add_from_string(b->tb, umock_hub_description, NULL)) {
		umock_bed_free(b);
		return NULL;
	}
	return b;
}

/* Device descriptor; configuration (wTotalLength 86); interface 0: class 0B (CCID), subclass
 * and protocol 0, two endpoints; its CCID class descriptor (CCID 1.1 section 5.1):
 *   bLength 36 bDescriptorType 21 bcdCCID 0110 bMaxSlotIndex 00
 *   bVoltageSupport 07 (5 V, 3 V, 1.8 V: the token picks, see dwFeatures)
 *   dwProtocols 00000002 (T=1 only) dwDefaultClock = dwMaximumClock 00000FA0 (4 MHz)
 *   bNumClockSupported 00 dwDataRate = dwMaxDataRate 00002580 (9600 bps)
 *   bNumDataRatesSupported 00: with no clock or rate lists a host sends no GET_CLOCK_
 *     FREQUENCIES / GET_DATA_RATES class requests; the values above are nominal, no ISO
 *     7816-3 line exists behind them.
 *   dwMaxIFSD 000000FE dwSynchProtocols 0 dwMechanical 0
 *   dwFeatures 000400FA = 02 automatic parameter configuration from the ATR
 *                       + 08 automatic ICC voltage selection
 *                       + 10 automatic ICC clock frequency change
 *                       + 20 automatic baud rate change
 *                       + 40 automatic parameter negotiation by the CCID
 *                       + 80 automatic PPS by the CCID
 *                       + 00040000 short and extended APDU level exchange.
 *     Not 04 (automatic activation on insertion): the ICC stays inactive until
 *     IccPowerOn. With 40/80 the host sends no SetParameters, and at APDU level XfrBlock
 *     carries whole APDUs, as the emulator socket's messages do.
 *   dwMaxCCIDMessageLength 00010014 = 10 + 65546 (CCID_MAX_DATA: an extended APDU)
 *   bClassGetResponse FF bClassEnvelope FF (echo the APDU's class) wLcdLayout 0000
 *   bPINSupport 00 bMaxCCIDBusySlots 01;
 * then bulk OUT 0x01 and bulk IN 0x81 of UMOCK_TOKEN_MAX_PACKET bytes, full speed, and no
 * interrupt endpoint: the ICC is fixed (no insertion to announce). What README documents. */
#define UMOCK_TOKEN_DESCRIPTORS                        \
	"120100020000004009126b6b000101020301"         \
	"09025600010100803209040000020b000000"         \
	"36211001000702000000a00f0000a00f000000802500" \
	"008025000000fe0000000000000000000000fa000400" \
	"14000100ffff00000001"                         \
	"07050102400000"                               \
	"07058102400000"

/* One token in root-hub port `port`, device number devnum (umockdev's format). */
static char *umock_token_description(unsigned port, unsigned devnum, uint32_t serial)
{
	return g_strdup_printf(
		"P: /devices/usb1/1-%u\n"
		"N: bus/usb/001/%03u\n"
		"E: DEVNAME=/dev/bus/usb/001/%03u\nE: DEVTYPE=usb_device\nE: DRIVER=usb\n"
		"E: PRODUCT=1209/6b6b/100\nE: TYPE=0/0/0\nE: BUSNUM=001\nE: DEVNUM=%03u\n"
		"E: MAJOR=189\nE: MINOR=%u\nE: SUBSYSTEM=usb\n"
		"E: ID_VENDOR_ID=1209\nE: ID_MODEL_ID=6b6b\nE: ID_SERIAL_SHORT=%08x\n"
		"A: busnum=1\\n\nA: devnum=%u\\n\nA: idVendor=1209\\n\nA: idProduct=6b6b\\n\n"
		"A: speed=12\\n\nA: bConfigurationValue=1\\n\nA: bNumConfigurations=1\\n\n"
		"A: bNumInterfaces= 1\\n\nA: bDeviceClass=00\\n\nA: bMaxPacketSize0=64\\n\n"
		"A: devpath=%u\\n\nA: version= 2.00\\n\nA: manufacturer=kinko\\n\n"
		"A: product=kinko PIV token\\n\nA: serial=%08x\\n\n"
		"H: descriptors=" UMOCK_TOKEN_DESCRIPTORS "\n",
		port, devnum, devnum, devnum, devnum - 1, serial, devnum, port, serial);
}

/* Its interface 0, a child node: pcscd's udev scan and monitor act on interface nodes only
 * (libusb on device nodes). */
static char *umock_token_iface_description(unsigned port)
{
	return g_strdup_printf(
		"P: /devices/usb1/1-%u/1-%u:1.0\n"
		"E: DEVTYPE=usb_interface\nE: PRODUCT=1209/6b6b/100\nE: TYPE=0/0/0\n"
		"E: INTERFACE=11/0/0\nE: SUBSYSTEM=usb\n"
		"A: bInterfaceNumber=00\\n\nA: bAlternateSetting= 0\\n\nA: bNumEndpoints=02\\n\n"
		"A: bInterfaceClass=0b\\n\nA: bInterfaceSubClass=00\\n\n"
		"A: bInterfaceProtocol=00\\n\n",
		port, port);
}

/* The interface's uevent; its node goes with "remove" (removing the device would leave the
 * interface's /sys/bus link behind, and a re-plug could not add it again). */
static void umock_token_iface_uevent(umock_token *t, const char *action)
{
	char *path = g_strdup_printf("%s/1-%u:1.0", t->syspath, t->port);

	umockdev_testbed_uevent(t->bed->tb, path, action);
	if (strcmp(action, "remove") == 0)
		umockdev_testbed_remove_device(t->bed->tb, path);
	g_free(path);
}

/* Wait (up to 2 s) until umockdev's ioctl socket for devname takes connections: a program
 * that hears of the device (pcscd at once) must find its handler there. */
static void umock_token_ioctl_wait(const char *devname)
{
	const char *dir = getenv("UMOCKDEV_DIR");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int tries;

	if (!dir || snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/ioctl%s", dir, devname) >=
	                    (int)sizeof(sa.sun_path))
		return;
	for (tries = 0; tries < 200; tries++) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		bool up = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;

		if (fd >= 0)
			close(fd);
		if (up)
			return;
		g_usleep(10000);
	}
}

/* Under no lock: the testbed is only touched from the test's thread. */
static int umock_token_attach(umock_token *t)
{
	umock_bed *b = t->bed;
	g_autoptr(GError) err = NULL;
	char devname[64], *desc;
	umock_dev *d;
	unsigned n;

	g_mutex_lock(&b->lock);
	n = b->next_devnum++;
	g_mutex_unlock(&b->lock);
	snprintf(devname, sizeof(devname), "/dev/bus/usb/001/%03u", n);
	desc = umock_token_description(t->port, n, t->st.serial);
	if (!umockdev_testbed_add_from_string(b->tb, desc, &err)) {
		fprintf(stderr, "umock: add token: %s\n", err->message);
		g_free(desc);
		return -1;
	}
	g_free(desc);
	desc = umock_token_iface_description(t->port);
	if (!umockdev_testbed_add_from_string(b->tb, desc, &err)) {
		fprintf(stderr, "umock: add token interface: %s\n", err->message);
		g_free(desc);
		return -1;
	}
	g_free(desc);
	t->syspath = g_strdup_printf("/sys/devices/usb1/1-%u", t->port);
	d = umock_dev_new(b, t, devname);
	if (!umockdev_testbed_attach_ioctl(b->tb, devname, d->handler, &err)) {
		fprintf(stderr, "umock: attach %s: %s\n", devname, err->message);
		umock_dev_free(d);
		return -1;
	}
	g_mutex_lock(&b->lock);
	g_ptr_array_add(b->devs, d);
	t->dev = d;
	g_mutex_unlock(&b->lock);
	umock_token_ioctl_wait(devname);
	/* What the kernel announces, the device first: libusb's hot-plug (udev monitor)
	 * learns of the device, pcscd of its interface. Only now, with the handler there:
	 * pcscd opens the device as soon as it hears. */
	umockdev_testbed_uevent(b->tb, t->syspath, "add");
	umock_token_iface_uevent(t, "add");
	return 0;
}

umock_token *umock_token_plug(umock_bed *b, unsigned port, const tok_provision_opts *opts)
{
	umock_token *t = g_new0(umock_token, 1);

	t->bed = b;
	t->port = port;
	tok_state_init(&t->st);
	if (tok_state_provision(&t->st, opts) != 0)
		goto fail;
	t->applet = piv_applet_new(&t->st, NULL);
	if (!t->applet || emu_card_init(&t->card, t->applet, true) != 0)
		goto fail;
	g_ptr_array_add(b->tokens, t);
	if (umock_token_attach(t) != 0)
		return NULL; /* freed with the bed */
	return t;
fail:
	if (t->applet)
		piv_applet_free(t->applet);
	tok_state_free(&t->st);
	g_free(t);
	return NULL;
}

void umock_token_unplug(umock_token *t)
{
	umock_bed *b = t->bed;

	g_mutex_lock(&b->lock);
	if (t->dev)
		umock_dev_cut(t->dev);
	t->dev = NULL;
	/* The card loses power with the device. */
	emu_card_remove(&t->card);
	emu_card_insert(&t->card);
	if (t->held) {
		g_byte_array_unref(t->held);
		t->held = NULL;
	}
	g_mutex_unlock(&b->lock);
	if (t->syspath) {
		umock_token_iface_uevent(t, "remove");
		umockdev_testbed_uevent(b->tb, t->syspath, "remove");
		umockdev_testbed_remove_device(b->tb, t->syspath);
		g_free(t->syspath);
		t->syspath = NULL;
	}
}

int umock_token_replug(umock_token *t)
{
	if (t->syspath)
		return -1;
	return umock_token_attach(t);
}

void umock_token_fault(umock_token *t, uint8_t ins, umock_fault f)
{
	g_mutex_lock(&t->bed->lock);
	t->fault_ins = ins;
	t->fault = f;
	g_mutex_unlock(&t->bed->lock);
}

void umock_token_release(umock_token *t)
{
	g_mutex_lock(&t->bed->lock);
	if (t->held && t->dev && !t->dev->gone) {
		umock_dev_queue_reply(t->dev, t->held->data, t->held->len);
		umock_dev_deliver(t->dev);
	}
	if (t->held)
		g_byte_array_unref(t->held);
	t->held = NULL;
	g_mutex_unlock(&t->bed->lock);
}

void umock_token_override(umock_token *t, const uint8_t *payload, size_t len, long claimed_len)
{
	g_mutex_lock(&t->bed->lock);
	if (t->override)
		g_byte_array_unref(t->override);
	t->override = g_byte_array_sized_new((guint)len);
	g_byte_array_append(t->override, payload, (guint)len);
	t->override_claimed = claimed_len;
	g_mutex_unlock(&t->bed->lock);
}

bool umock_token_claimed(umock_token *t)
{
	bool r;

	g_mutex_lock(&t->bed->lock);
	r = t->dev && t->dev->owner;
	g_mutex_unlock(&t->bed->lock);
	return r;
}

/* One of the token's counters, read under the testbed's lock (the handler thread writes). */
static unsigned long umock_token_counter(umock_token *t, const unsigned long *counter)
{
	unsigned long n;

	g_mutex_lock(&t->bed->lock);
	n = *counter;
	g_mutex_unlock(&t->bed->lock);
	return n;
}

unsigned long umock_token_claims(umock_token *t)
{
	return umock_token_counter(t, &t->claims);
}

void umock_token_reset(umock_token *t)
{
	g_mutex_lock(&t->bed->lock);
	piv_applet_reset(t->applet);
	g_mutex_unlock(&t->bed->lock);
}

unsigned long umock_token_messages(umock_token *t)
{
	return umock_token_counter(t, &t->messages);
}

tok_state *umock_token_state(umock_token *t)
{
	return &t->st;
}

static void umock_token_free(umock_token *t)
{
	if (t->held)
		g_byte_array_unref(t->held);
	if (t->override)
		g_byte_array_unref(t->override);
	emu_card_cleanup(&t->card);
	piv_applet_free(t->applet);
	tok_state_free(&t->st);
	g_free(t->syspath);
	g_free(t);
}

void umock_bed_free(umock_bed *b)
{
	guint i;

	if (!b)
		return;
	for (i = 0; b->devs && i < b->devs->len; i++) {
		umock_dev *d = g_ptr_array_index(b->devs, i);

		umockdev_testbed_detach_ioctl(b->tb, d->devnode, NULL);
	}
	for (i = 0; b->tokens && i < b->tokens->len; i++)
		umock_token_free(g_ptr_array_index(b->tokens, i));
	if (b->tokens)
		g_ptr_array_free(b->tokens, TRUE);
	if (b->devs)
		g_ptr_array_free(b->devs, TRUE);
	g_free(b->hub_syspath);
	g_object_unref(b->tb);
	g_mutex_clear(&b->lock);
	g_free(b);
}
