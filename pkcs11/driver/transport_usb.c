/* The transport to the kinko USB token: CCID bulk messages over the bulk endpoints of its
 * CCID interface, through libusb-1.0, where pcscd does not drive the token.
 *
 * The interface is claimed only between open() and close() (one operation batch), so a
 * browser and `kinko` can take turns on one token. Every transfer has a timeout; an
 * unplugged token is TR_ERR_ABSENT at once (libusb reports LIBUSB_ERROR_NO_DEVICE), never
 * a hang. An interface pcscd holds (usb_holder.c) is the token being absent here: it is
 * reached through PC/SC, never waited for. The transport is bound to a port, not to one libusb_device: a token re-plugged
 * into the same port is found again, after the one that left was reported absent once. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libusb.h>
#include <openssl/crypto.h>

#include "ccid.h"
#include "ccid_host.h"
#include "usb_enum.h"
#include "mono.h"

/* As the socket transport: per message, and the CCID host honours time extensions for
 * slow operations (key generation). */
#define TR_USB_DEFAULT_TIMEOUT_MS 5000u
/* Another application holds the interface for its batch: ask again this often. */
#define TR_USB_CLAIM_RETRY_MS 10

typedef struct {
	tr_transport base;
	libusb_context *ctx;
	libusb_device *dev;      /* referenced; NULL once it left (found again by port) */
	libusb_device_handle *h; /* non-NULL while the interface is claimed */
	uint16_t vid, pid;
	tr_usb_eps eps;
	ccid_host host;
	uint8_t sent_seq; /* bSeq of the last command, to skip stale replies */
} tr_usb;

static tr_status tr_usb_status(int rc)
{
	switch (rc) {
	case LIBUSB_SUCCESS: return TR_OK;
	case LIBUSB_ERROR_NO_DEVICE:
	case LIBUSB_ERROR_NOT_FOUND: return TR_ERR_ABSENT;
	case LIBUSB_ERROR_TIMEOUT: return TR_ERR_TIMEOUT;
	case LIBUSB_ERROR_NO_MEM: return TR_ERR_NOMEM;
	case LIBUSB_ERROR_OVERFLOW:
		return TR_ERR_PROTOCOL; /* the device sent more than a message can hold */
	default: return TR_ERR_IO;
	}
}

static void tr_usb_forget_device(tr_usb *u)
{
	if (u->dev)
		libusb_unref_device(u->dev);
	u->dev = NULL;
}

static void tr_usb_close(tr_transport *t)
{
	tr_usb *u = (tr_usb *)t;

	if (u->h) {
		/* Fails harmlessly when the device is gone. */
		libusb_release_interface(u->h, u->eps.iface);
		libusb_close(u->h);
	}
	u->h = NULL;
	ccid_host_wipe(&u->host);
}

/* The token in our port now, referenced, into *found (NULL when none). TR_ERR_IO when the
 * devices cannot be listed: that says nothing about our token. */
static tr_status tr_usb_in_port(tr_usb *u, libusb_device **found)
{
	libusb_device **list;
	char id[TR_USB_ID_MAX];
	int n, i;

	*found = NULL;
	n = tr_usb_enumerate(u->ctx, u->vid, u->pid, &list);
	if (n < 0)
		return TR_ERR_IO;
	for (i = 0; i < n && !*found; i++) {
		if (tr_usb_port_id(list[i], id, sizeof(id)) == 0 && strcmp(id, u->base.id) == 0)
			*found = libusb_ref_device(list[i]);
	}
	tr_usb_list_free(list);
	return TR_OK;
}

/* Is the token we talk to still in our port? A re-plug makes a new libusb_device, maybe
 * another token: the one we knew is reported gone (TR_ERR_ABSENT) once, so the module
 * ends its sessions and login, and only the next call binds to the newcomer. Never a
 * silent switch to another token with the PIN of the old one. */
static tr_status tr_usb_locate(tr_usb *u)
{
	libusb_device *now;
	tr_status st = tr_usb_in_port(u, &now);

	if (st != TR_OK)
		return st;
	if (u->dev) {
		bool same = now == u->dev;

		if (now)
			libusb_unref_device(now);
		if (same)
			return TR_OK;
		tr_usb_forget_device(u);
		return TR_ERR_ABSENT;
	}
	if (!now)
		return TR_ERR_ABSENT;
	if (!tr_usb_match(now, u->vid, u->pid, &u->eps)) {
		libusb_unref_device(now);
		return TR_ERR_ABSENT;
	}
	u->dev = now;
	return TR_OK;
}

static tr_status tr_usb_claim(tr_usb *u, long long deadline)
{
	bool asked = false;

	for (;;) {
		int rc = libusb_claim_interface(u->h, u->eps.iface);

		if (rc != LIBUSB_ERROR_BUSY)
			return tr_usb_status(rc);
		/* Another kinko process ends its batch soon; pcscd never lets go. */
		if (!asked && tr_usb_pcscd_holds(u->dev) != 0)
			return TR_ERR_ABSENT;
		asked = true;
		if (mono_now_ms() + TR_USB_CLAIM_RETRY_MS > deadline)
			return TR_ERR_TIMEOUT;
		nanosleep(&(struct timespec){.tv_nsec = TR_USB_CLAIM_RETRY_MS * 1000000L}, NULL);
	}
}

static tr_status tr_usb_open(tr_transport *t)
{
	tr_usb *u = (tr_usb *)t;
	long long deadline = mono_now_ms() + t->timeout_ms;
	tr_status st;
	int rc;

	if (u->h)
		return TR_OK;
	if (!u->dev) {
		st = tr_usb_locate(u);
		if (st != TR_OK)
			return st;
	}
	rc = libusb_open(u->dev, &u->h);
	if (rc != LIBUSB_SUCCESS) {
		u->h = NULL;
		/* Unplugged since we last saw it: reported now, a newcomer is bound later. */
		if (rc == LIBUSB_ERROR_NO_DEVICE)
			tr_usb_forget_device(u);
		return tr_usb_status(rc);
	}
	st = tr_usb_claim(u, deadline);
	if (st != TR_OK) {
		libusb_close(u->h);
		u->h = NULL;
		if (st == TR_ERR_ABSENT)
			tr_usb_forget_device(u);
	}
	return st;
}

static tr_status tr_usb_send(void *ctx, const uint8_t *msg, size_t len, unsigned timeout_ms)
{
	tr_usb *u = ctx;
	int done = 0, rc;

	if (len < CCID_HEADER_LEN || len > CCID_HOST_BUF_LEN)
		return TR_ERR_PROTOCOL;
	/* CCID needs no zero-length packet: dwLength tells the token where the message ends. */
	rc = libusb_bulk_transfer(u->h, u->eps.ep_out, (unsigned char *)msg, (int)len, &done,
	                          timeout_ms);
	if (rc != LIBUSB_SUCCESS)
		return tr_usb_status(rc);
	if ((size_t)done != len)
		return TR_ERR_IO;
	u->sent_seq = msg[6];
	return TR_OK;
}

/* One message in one transfer of the largest message size: the token ends each message
 * with a short (or zero-length) packet. What arrived must be exactly header + dwLength.
 * A reply with another bSeq is a late answer to an exchange abandoned on a timeout: it is
 * dropped, not taken for this one. */
static tr_status tr_usb_recv(void *ctx, uint8_t *buf, size_t cap, size_t *len, unsigned timeout_ms)
{
	tr_usb *u = ctx;
	long long deadline = mono_now_ms() + timeout_ms;
	ccid_header h;

	if (cap > CCID_HOST_BUF_LEN)
		cap = CCID_HOST_BUF_LEN;
	for (;;) {
		long long left = deadline - mono_now_ms();
		int got = 0, rc;

		if (left <= 0)
			return TR_ERR_TIMEOUT;
		rc = libusb_bulk_transfer(u->h, u->eps.ep_in, buf, (int)cap, &got, (unsigned)left);
		if (got > 0 && (size_t)got > u->host.buf_used)
			u->host.buf_used = (size_t)got;
		if (rc != LIBUSB_SUCCESS)
			return tr_usb_status(rc);
		if (got == 0)
			continue; /* a stray zero-length packet ending an earlier message */
		if ((size_t)got < CCID_HEADER_LEN)
			return TR_ERR_PROTOCOL;
		ccid_header_decode(buf, &h);
		if (h.length > CCID_MAX_DATA || h.length != (size_t)got - CCID_HEADER_LEN)
			return TR_ERR_PROTOCOL;
		if (h.seq == u->sent_seq) {
			*len = (size_t)got;
			return TR_OK;
		}
		OPENSSL_cleanse(buf, (size_t)got);
	}
}

/* The host's channel is the claimed interface. Any failure releases it: the next
 * operation starts on a fresh claim (and, after an unplug, finds the token again by its
 * port). */
static tr_status tr_usb_host_open(void *ctx)
{
	return tr_usb_open(&((tr_usb *)ctx)->base);
}

static void tr_usb_host_drop(void *ctx, tr_status st)
{
	tr_usb *u = ctx;

	tr_usb_close(&u->base);
	if (st == TR_ERR_ABSENT)
		tr_usb_forget_device(u);
}

static tr_status tr_usb_power_on(tr_transport *t, uint8_t *atr, size_t cap, size_t *atr_len)
{
	return ccid_host_power_on(&((tr_usb *)t)->host, t->timeout_ms, atr, cap, atr_len);
}

static tr_status tr_usb_transmit(tr_transport *t, const uint8_t *apdu, size_t len, uint8_t *resp,
                                 size_t cap, size_t *resp_len)
{
	return ccid_host_transmit(&((tr_usb *)t)->host, t->timeout_ms, apdu, len, resp, cap,
	                          resp_len);
}

/* With the interface claimed, ask the token (GetSlotStatus: an unplug shows at once).
 * Otherwise look for it in our port without claiming: another application may be in
 * the middle of a batch, and presence must not disturb it. A token pcscd holds is not
 * here: its PC/SC slot has it. */
static tr_status tr_usb_present(tr_transport *t, bool *present)
{
	tr_usb *u = (tr_usb *)t;
	tr_status st;

	if (!u->h) {
		st = tr_usb_locate(u);
		*present = st == TR_OK && tr_usb_pcscd_holds(u->dev) == 0;
		return st == TR_ERR_ABSENT ? TR_OK : st;
	}
	return ccid_host_present(&u->host, t->timeout_ms, present);
}

static void tr_usb_destroy(tr_transport *t)
{
	tr_usb *u = (tr_usb *)t;

	if (!u)
		return;
	tr_usb_close(t);
	tr_usb_forget_device(u);
	ccid_host_free(&u->host);
	free(u->base.id);
	free(u);
}

/* The batch's exclusivity is the interface claim: taken by its first command (open),
 * released at its end (close, also the end() hook). */
static void tr_usb_begin(tr_transport *t)
{
	(void)t;
}

static const ccid_channel tr_usb_channel = {
	.send = tr_usb_send,
	.recv = tr_usb_recv,
	.open = tr_usb_host_open,
	.drop = tr_usb_host_drop,
};

static const tr_ops tr_usb_ops = {
	.name = "usb",
	.id_is_port = true,
	.open = tr_usb_open,
	.power_on = tr_usb_power_on,
	.transmit = tr_usb_transmit,
	.present = tr_usb_present,
	.close = tr_usb_close,
	.begin = tr_usb_begin,
	.end = tr_usb_close,
	.destroy = tr_usb_destroy,
};

tr_transport *tr_usb_new(libusb_context *ctx, libusb_device *dev)
{
	struct libusb_device_descriptor dd;
	char id[TR_USB_ID_MAX];
	tr_usb *u;

	if (!dev || libusb_get_device_descriptor(dev, &dd) != 0 ||
	    tr_usb_port_id(dev, id, sizeof(id)) != 0)
		return NULL;
	u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	if (!tr_usb_match(dev, dd.idVendor, dd.idProduct, &u->eps)) {
		free(u);
		return NULL;
	}
	u->ctx = ctx;
	u->vid = dd.idVendor;
	u->pid = dd.idProduct;
	u->dev = libusb_ref_device(dev);
	u->base.id = strdup(id);
	if (!ccid_host_init(&u->host, &tr_usb_channel, u) || !u->base.id) {
		tr_usb_destroy(&u->base);
		return NULL;
	}
	u->base.ops = &tr_usb_ops;
	u->base.timeout_ms = TR_USB_DEFAULT_TIMEOUT_MS;
	return &u->base;
}
