/* The usbdevfs side of an emulated kinko USB token: an ioctl handler (running in
 * umockdev's own thread) that behaves like the kernel's usbfs in front of the token's
 * bulk endpoints, with the firmware's CCID handling (emu_card) behind them.
 *
 * What libusb does that the handler must follow: it splits a large IN transfer into
 * several URBs (16 KiB each here: we do not offer USBDEVFS_CAP_NO_PACKET_SIZE_LIM) and,
 * when one completes short, discards the rest and reaps them (-ENOENT); it polls with
 * REAPURBNDELAY. The device side ends every IN message with a short packet, or with a
 * zero-length packet when the message fills whole packets. After an unplug every call
 * fails with ENODEV once the completed URBs are reaped, as usbfs does. */
#include "umock_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/usbdevice_fs.h>

#include "ccid.h"
#include "piv_applet.h"

typedef struct {
	UMockdevIoctlClient *client;
	gulong addr;
	int buffer_length;
	unsigned flags; /* USBDEVFS_URB_SHORT_NOT_OK, _BULK_CONTINUATION */
	uint8_t ep;
	int status;
	uint8_t *data; /* IN data written to the client at reap */
	int len;
} urb_rec;

static void urb_free(gpointer p)
{
	urb_rec *u = p;

	if (u)
		g_free(u->data);
	g_free(u);
}

static void umock_dev_complete(umock_dev *d, urb_rec *u, int status)
{
	u->status = status;
	g_queue_push_tail(&d->done, u);
}

/* A URB ended short: as usbfs does, the URBs queued after it that continue the same
 * transfer (BULK_CONTINUATION) are cancelled, so the next message waits for the next
 * transfer instead of landing in the tail of this one. */
static void umock_dev_complete_short(umock_dev *d, urb_rec *u)
{
	umock_dev_complete(d, u, (u->flags & USBDEVFS_URB_SHORT_NOT_OK) ? -EREMOTEIO : 0);
	d->in_disabled = u->client;
	while (!g_queue_is_empty(&d->pending)) {
		urb_rec *next = g_queue_peek_head(&d->pending);

		if (next->client != u->client || !(next->flags & USBDEVFS_URB_BULK_CONTINUATION))
			break;
		g_queue_pop_head(&d->pending);
		next->len = 0;
		umock_dev_complete(d, next, -ECONNRESET);
	}
}

/* Hand queued reply bytes to the pending IN URBs, in submission order. */
void umock_dev_deliver(umock_dev *d)
{
	while (!g_queue_is_empty(&d->pending) && (d->zlp || !g_queue_is_empty(&d->tx))) {
		urb_rec *u = g_queue_pop_head(&d->pending);
		GByteArray *m;
		size_t left, n;

		if (d->zlp) {
			d->zlp = false;
			u->len = 0;
			umock_dev_complete_short(d, u);
			continue;
		}
		m = g_queue_peek_head(&d->tx);
		left = m->len - d->tx_off;
		n = left < (size_t)u->buffer_length ? left : (size_t)u->buffer_length;
		u->data = g_memdup2(m->data + d->tx_off, n ? n : 1);
		u->len = (int)n;
		d->tx_off += n;
		if (d->tx_off == m->len) {
			/* A message of whole packets that filled this URB is ended by a ZLP. */
			if (n == (size_t)u->buffer_length && m->len % UMOCK_TOKEN_MAX_PACKET == 0)
				d->zlp = true;
			g_byte_array_unref(g_queue_pop_head(&d->tx));
			d->tx_off = 0;
			if (n < (size_t)u->buffer_length)
				umock_dev_complete_short(d, u);
			else
				umock_dev_complete(d, u, 0);
		} else if (u->buffer_length % UMOCK_TOKEN_MAX_PACKET != 0) {
			/* More data than a URB of partial packets can take: babble. */
			g_byte_array_unref(g_queue_pop_head(&d->tx));
			d->tx_off = 0;
			umock_dev_complete(d, u, -EOVERFLOW);
		} else {
			umock_dev_complete(d, u, 0);
		}
	}
}

void umock_dev_queue_reply(umock_dev *d, const uint8_t *msg, size_t len)
{
	GByteArray *m = g_byte_array_sized_new((guint)len);

	g_byte_array_append(m, msg, (guint)len);
	g_queue_push_tail(&d->tx, m);
}

/* The device is pulled out: nothing more reaches the host. */
void umock_dev_cut(umock_dev *d)
{
	urb_rec *u;

	d->gone = true;
	while ((u = g_queue_pop_head(&d->pending)))
		umock_dev_complete(d, u, -ENODEV);
	while (!g_queue_is_empty(&d->tx))
		g_byte_array_unref(g_queue_pop_head(&d->tx));
	d->tx_off = 0;
	d->zlp = false;
}

/* One whole CCID message from the host: the firmware answers it (faults aside). */
static void umock_dev_message(umock_dev *d, const uint8_t *msg, size_t len, bool oversized)
{
	umock_token *t = d->tok;
	ccid_header h;
	size_t n;

	ccid_header_decode(msg, &h);
	if (h.type == CCID_PC_TO_RDR_XFR_BLOCK && len > CCID_HEADER_LEN + 1 && t->fault &&
	    msg[CCID_HEADER_LEN + 1] == t->fault_ins) {
		umock_fault f = t->fault;

		t->fault = UMOCK_FAULT_NONE;
		if (f == UMOCK_FAULT_UNPLUG) {
			umock_dev_cut(d);
			return;
		}
		n = emu_card_message(&t->card, &h, msg + CCID_HEADER_LEN, len - CCID_HEADER_LEN,
		                     oversized);
		t->held = g_byte_array_sized_new((guint)n);
		g_byte_array_append(t->held, t->card.reply, (guint)n);
		t->messages++;
		return;
	}
	if (h.type == CCID_PC_TO_RDR_XFR_BLOCK && t->override) {
		uint8_t param[3] = {0, 0, 0};
		GByteArray *m = g_byte_array_sized_new(CCID_HEADER_LEN + t->override->len);

		g_byte_array_set_size(m, CCID_HEADER_LEN + t->override->len);
		ccid_message_build(m->data, m->len, CCID_RDR_TO_PC_DATA_BLOCK, h.slot, h.seq, param,
		                   t->override->data, t->override->len);
		if (t->override_claimed >= 0) {
			uint32_t c = (uint32_t)t->override_claimed;

			m->data[1] = (uint8_t)c;
			m->data[2] = (uint8_t)(c >> 8);
			m->data[3] = (uint8_t)(c >> 16);
			m->data[4] = (uint8_t)(c >> 24);
		}
		g_queue_push_tail(&d->tx, m);
		g_byte_array_unref(t->override);
		t->override = NULL;
		t->messages++;
		return;
	}
	n = emu_card_message(&t->card, &h, msg + CCID_HEADER_LEN, len - CCID_HEADER_LEN, oversized);
	umock_dev_queue_reply(d, t->card.reply, n);
	t->messages++;
}

/* OUT bytes: messages are framed by their dwLength, whatever the URB boundaries. */
static void umock_dev_out(umock_dev *d, const uint8_t *p, size_t len)
{
	g_byte_array_append(d->rx, p, (guint)len);
	while (d->rx->len >= CCID_HEADER_LEN) {
		ccid_header h;
		size_t total;

		ccid_header_decode(d->rx->data, &h);
		if (h.length > CCID_MAX_DATA) {
			/* The token cannot hold it: answer at once, drop what came. */
			umock_dev_message(d, d->rx->data, CCID_HEADER_LEN, true);
			g_byte_array_set_size(d->rx, 0);
			return;
		}
		total = CCID_HEADER_LEN + h.length;
		if (d->rx->len < total)
			return;
		umock_dev_message(d, d->rx->data, total, false);
		g_byte_array_remove_range(d->rx, 0, (guint)total);
	}
}

static int umock_dev_submit(umock_dev *d, UMockdevIoctlClient *c, UMockdevIoctlData *arg)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(UMockdevIoctlData) ud = NULL;
	g_autoptr(UMockdevIoctlData) bd = NULL;
	struct usbdevfs_urb *urb;
	urb_rec *u;

	if (d->gone)
		return ENODEV;
	ud = umockdev_ioctl_data_resolve(arg, 0, sizeof(struct usbdevfs_urb), &err);
	if (!ud)
		return EFAULT;
	urb = (struct usbdevfs_urb *)ud->data;
	if (urb->buffer_length < 0)
		return EINVAL;
	u = g_new0(urb_rec, 1);
	u->client = c;
	u->addr = ud->client_addr;
	u->buffer_length = urb->buffer_length;
	u->flags = urb->flags;
	u->ep = urb->endpoint;
	if (urb->type != USBDEVFS_URB_TYPE_BULK) {
		umock_dev_complete(d, u, -EPIPE); /* the token stalls anything but bulk */
		return 0;
	}
	if (urb->endpoint & 0x80) {
		if (!(u->flags & USBDEVFS_URB_BULK_CONTINUATION)) {
			if (d->in_disabled == c)
				d->in_disabled = NULL;
		} else if (d->in_disabled == c) {
			urb_free(u);
			return EREMOTEIO;
		}
		g_queue_push_tail(&d->pending, u);
	} else {
		if (urb->buffer_length > 0) {
			bd = umockdev_ioctl_data_resolve(ud, offsetof(struct usbdevfs_urb, buffer),
			                                 (gsize)urb->buffer_length, &err);
			if (!bd) {
				urb_free(u);
				return EFAULT;
			}
			umock_dev_out(d, bd->data, (size_t)urb->buffer_length);
		}
		u->len = urb->buffer_length;
		umock_dev_complete(d, u, 0);
	}
	umock_dev_deliver(d);
	return 0;
}

static int umock_dev_discard(umock_dev *d, UMockdevIoctlClient *c, UMockdevIoctlData *arg)
{
	gulong addr;
	GList *l;

	/* The argument is the URB's address itself. */
	if ((size_t)arg->data_len < sizeof(addr))
		return EFAULT;
	memcpy(&addr, arg->data, sizeof(addr));
	for (l = d->pending.head; l; l = l->next) {
		urb_rec *u = l->data;

		if (u->client == c && u->addr == addr) {
			g_queue_delete_link(&d->pending, l);
			u->len = 0;
			umock_dev_complete(d, u, -ENOENT);
			return 0;
		}
	}
	return EINVAL; /* already completed: usbfs says the same */
}

/* Write a completed URB back into the client's memory. */
static int umock_dev_reap(umock_dev *d, UMockdevIoctlClient *c, UMockdevIoctlData *arg)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(UMockdevIoctlData) pd = NULL;
	g_autoptr(UMockdevIoctlData) ud = NULL;
	struct usbdevfs_urb *urb;
	urb_rec *u = NULL;
	GList *l;

	for (l = d->done.head; l; l = l->next) {
		if (((urb_rec *)l->data)->client == c) {
			u = l->data;
			g_queue_delete_link(&d->done, l);
			break;
		}
	}
	if (!u)
		return d->gone ? ENODEV : EAGAIN;
	pd = umockdev_ioctl_data_resolve(arg, 0, sizeof(gulong), &err);
	if (!pd) {
		urb_free(u);
		return EFAULT;
	}
	memcpy(pd->data, &u->addr, sizeof(u->addr));
	ud = umockdev_ioctl_data_resolve(pd, 0, sizeof(struct usbdevfs_urb), &err);
	if (!ud) {
		urb_free(u);
		return EFAULT;
	}
	urb = (struct usbdevfs_urb *)ud->data;
	urb->status = u->status;
	urb->actual_length = u->len;
	if ((u->ep & 0x80) && u->len > 0) {
		g_autoptr(UMockdevIoctlData) bd =
			umockdev_ioctl_data_resolve(ud, offsetof(struct usbdevfs_urb, buffer),
		                                    (gsize)u->len, &err);

		if (!bd) {
			urb_free(u);
			return EFAULT;
		}
		memcpy(bd->data, u->data, (size_t)u->len);
	}
	urb_free(u);
	return 0;
}

static int umock_dev_claim(umock_dev *d, UMockdevIoctlClient *c, UMockdevIoctlData *arg, bool claim)
{
	g_autoptr(GError) err = NULL;
	g_autoptr(UMockdevIoctlData) id = NULL;
	unsigned iface;

	if (d->gone)
		return ENODEV;
	/* The argument points to the interface number. */
	id = umockdev_ioctl_data_resolve(arg, 0, sizeof(iface), &err);
	if (!id)
		return EFAULT;
	memcpy(&iface, id->data, sizeof(iface));
	if (iface != 0)
		return EINVAL;
	if (claim) {
		if (d->owner && d->owner != c)
			return EBUSY;
		if (d->owner != c)
			d->tok->claims++;
		d->owner = c;
	} else {
		if (d->owner != c)
			return EINVAL;
		d->owner = NULL;
	}
	return 0;
}

static gboolean umock_dev_ioctl(UMockdevIoctlBase *h, UMockdevIoctlClient *c, gpointer data)
{
	umock_dev *d = data;
	gulong req = umockdev_ioctl_client_get_request(c);
	UMockdevIoctlData *arg = umockdev_ioctl_client_get_arg(c);
	g_autoptr(GError) err = NULL;
	int e = 0;

	(void)h;
	g_mutex_lock(&d->bed->lock);
	switch (req) {
	case USBDEVFS_GET_CAPABILITIES: {
		g_autoptr(UMockdevIoctlData) cd =
			umockdev_ioctl_data_resolve(arg, 0, sizeof(guint32), &err);
		if (!cd)
			e = EFAULT;
		else if (d->gone)
			e = ENODEV;
		else
			*(guint32 *)cd->data =
				USBDEVFS_CAP_BULK_CONTINUATION | USBDEVFS_CAP_ZERO_PACKET;
		break;
	}
	case USBDEVFS_CLAIMINTERFACE: e = umock_dev_claim(d, c, arg, true); break;
	case USBDEVFS_RELEASEINTERFACE: e = umock_dev_claim(d, c, arg, false); break;
	case USBDEVFS_SETINTERFACE:
	case USBDEVFS_CLEAR_HALT: e = d->gone ? ENODEV : 0; break;
	case USBDEVFS_SUBMITURB: e = umock_dev_submit(d, c, arg); break;
	case USBDEVFS_DISCARDURB: e = umock_dev_discard(d, c, arg); break;
	case USBDEVFS_REAPURB:
	case USBDEVFS_REAPURBNDELAY: e = umock_dev_reap(d, c, arg); break;
	case USBDEVFS_GETDRIVER:
		e = ENODATA; /* no kernel driver for CCID: only usbfs users claim it */
		break;
	default: e = ENOTTY;
	}
	g_mutex_unlock(&d->bed->lock);
	umockdev_ioctl_client_complete(c, e ? -1 : 0, e);
	return TRUE;
}

/* A closed file gives up its claim and its URBs, as usbfs does. */
static void umock_dev_vanished(UMockdevIoctlBase *h, UMockdevIoctlClient *c, gpointer data)
{
	umock_dev *d = data;
	GQueue *qs[2] = {&d->pending, &d->done};
	int i;

	(void)h;
	g_mutex_lock(&d->bed->lock);
	if (d->owner == c)
		d->owner = NULL;
	if (d->in_disabled == c)
		d->in_disabled = NULL;
	for (i = 0; i < 2; i++) {
		GList *l = qs[i]->head;

		while (l) {
			GList *next = l->next;

			if (((urb_rec *)l->data)->client == c) {
				urb_free(l->data);
				g_queue_delete_link(qs[i], l);
			}
			l = next;
		}
	}
	g_mutex_unlock(&d->bed->lock);
}

void umock_dev_free(gpointer p)
{
	umock_dev *d = p;

	g_queue_clear_full(&d->pending, urb_free);
	g_queue_clear_full(&d->done, urb_free);
	g_queue_clear_full(&d->tx, (GDestroyNotify)g_byte_array_unref);
	g_byte_array_unref(d->rx);
	if (d->handler)
		g_object_unref(d->handler);
	g_free(d->devnode);
	g_free(d);
}

umock_dev *umock_dev_new(umock_bed *b, umock_token *t, const char *devnode)
{
	umock_dev *d = g_new0(umock_dev, 1);

	d->bed = b;
	d->tok = t;
	d->devnode = g_strdup(devnode);
	d->rx = g_byte_array_new();
	g_queue_init(&d->pending);
	g_queue_init(&d->done);
	g_queue_init(&d->tx);
	d->handler = umockdev_ioctl_base_new();
	g_signal_connect(d->handler, "handle-ioctl", G_CALLBACK(umock_dev_ioctl), d);
	g_signal_connect(d->handler, "client-vanished", G_CALLBACK(umock_dev_vanished), d);
	return d;
}
