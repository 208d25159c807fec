/* Internals of the emulated USB token shared by umock_token.c (testbed, tokens) and
 * umock_usbfs.c (the usbdevfs side of one plugged-in device). */
#ifndef KINKO_UMOCK_INTERNAL_H
#define KINKO_UMOCK_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <umockdev.h>

#include "emu_card.h"
#include "umock_token.h"

#define UMOCK_BUS 1u

struct umock_bed {
	UMockdevTestbed *tb;
	char *hub_syspath;
	GMutex lock; /* every device's and token's state */
	unsigned next_devnum;
	GPtrArray *tokens; /* umock_token * */
	GPtrArray *devs;   /* every umock_dev ever plugged (clients may outlive a plug) */
};

/* One plug of a token: the USB device as the host sees it until it is pulled. */
typedef struct {
	umock_bed *bed;
	umock_token *tok;
	UMockdevIoctlBase *handler;
	char *devnode;
	bool gone;
	UMockdevIoctlClient *owner; /* the client holding the interface */
	GQueue pending;             /* urb_rec: IN URBs waiting for data */
	GQueue done;                /* urb_rec: completed, waiting to be reaped */
	GByteArray *rx;             /* OUT bytes of the message being received */
	GQueue tx;                  /* GByteArray: replies waiting for IN URBs */
	size_t tx_off;              /* bytes of the head reply already sent */
	bool zlp;                   /* a zero-length packet is owed */
	/* usbfs refuses continuation URBs of a transfer that ended early (EREMOTEIO) until
	 * the client starts a new transfer. */
	UMockdevIoctlClient *in_disabled;
} umock_dev;

struct umock_token {
	umock_bed *bed;
	unsigned port;
	char *syspath;
	umock_dev *dev; /* NULL while unplugged */
	tok_state st;
	piv_applet *applet;
	emu_card card;
	uint8_t fault_ins;
	umock_fault fault;
	GByteArray *held; /* a HOLD reply */
	GByteArray *override;
	long override_claimed;
	unsigned long messages;
	unsigned long claims; /* successful interface claims */
};

/* umock_usbfs.c, all under bed->lock except umock_dev_new/umock_dev_free. */
/* A device for token t at devnode, its ioctl handler ready to attach. */
umock_dev *umock_dev_new(umock_bed *b, umock_token *t, const char *devnode);
void umock_dev_free(gpointer d);
/* Queue a reply (header + data) for the IN endpoint and hand it to pending URBs. */
void umock_dev_queue_reply(umock_dev *d, const uint8_t *msg, size_t len);
void umock_dev_deliver(umock_dev *d);
/* Pulled out: pending URBs fail with ENODEV, queued replies are lost. */
void umock_dev_cut(umock_dev *d);

#endif
