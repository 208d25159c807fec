/* The module's view of a token reader: one small interface, so the PIV and PKCS#11 layers
 * cannot tell the emulator socket from the USB token or a PC/SC reader. Every transport
 * exchanges APDUs; the socket and USB ones carry them in CCID bulk messages (ccid_host.c
 * holds that logic once), the PC/SC one hands them to pcscd (SCardTransmit). */
#ifndef KINKO_TRANSPORT_H
#define KINKO_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
	TR_OK = 0,
	TR_ERR_ABSENT = -1,   /* no card / device gone */
	TR_ERR_IO = -2,       /* the channel failed (socket closed, USB error) */
	TR_ERR_PROTOCOL = -3, /* the token answered something malformed */
	TR_ERR_TIMEOUT = -4,  /* no answer in time */
	TR_ERR_NOMEM = -5,
} tr_status;

typedef struct tr_transport tr_transport;

typedef struct {
	const char *name;
	/* The id names a port tokens are plugged into and out of (USB), found by scanning the
	 * bus: the module keeps one slot per such port, beside the configured sockets' slots. */
	bool id_is_port;
	/* Open the channel (connect the socket, claim the USB interface). Idempotent. */
	tr_status (*open)(tr_transport *t);
	/* Power the card on (a USB reset for the card's security state); ATR out. */
	tr_status (*power_on)(tr_transport *t, uint8_t *atr, size_t cap, size_t *atr_len);
	/* One APDU exchange. resp must hold APDU_MAX_RESPONSE bytes. */
	tr_status (*transmit)(tr_transport *t, const uint8_t *apdu, size_t len, uint8_t *resp,
	                      size_t cap, size_t *resp_len);
	/* Is a card present? Opens the channel if needed; never changes the card's state. */
	tr_status (*present)(tr_transport *t, bool *present);
	/* Release the channel (close the socket, release the interface). */
	void (*close)(tr_transport *t);
	/* An exclusive batch, as PC/SC's SCardBeginTransaction/SCardEndTransaction: from
	 * begin() to end() no other application's command reaches the card, so what the
	 * batch set up (a SELECT, a PIN VERIFY) still holds for its next command. begin()
	 * costs nothing by itself: the batch's first power-on or APDU takes the exclusivity
	 * (the emulator's lock, the USB interface claim), so a batch without I/O does none.
	 * end() gives it back; both are idempotent. Presence is asked outside it. */
	void (*begin)(tr_transport *t);
	void (*end)(tr_transport *t);
	void (*destroy)(tr_transport *t);
} tr_ops;

struct tr_transport {
	const tr_ops *ops;
	char *id;            /* stable identity for slot bookkeeping (socket path, USB bus/port) */
	unsigned timeout_ms; /* per message */
};

/* The UNIX-socket transport to kinko-token-emu. */
tr_transport *tr_socket_new(const char *path);

/* The kinko USB token (README "Hardware"): a CCID-class interface (class 0B, CCID 1.1,
 * APDU level, bulk OUT and bulk IN only) carrying the same CCID bulk messages as the
 * emulator socket. pcscd + libccid drive it where they run (the token is then reached
 * through PC/SC and the libusb transport leaves it alone); this transport is the path
 * without pcscd. VID/PID are a placeholder pair under pid.codes' open VID; the module
 * reads `usb_vid_pid = 1209:6b6b` from its configuration. */
#define TR_USB_DEFAULT_VID 0x1209u
#define TR_USB_DEFAULT_PID 0x6B6Bu
#define TR_USB_IFACE_CLASS 0x0Bu /* USB-IF "Smart Card" (CCID) */
/* Stable identity of a USB port ("usb:BUS-PORT.PORT..."), the transport's id. */
#define TR_USB_ID_MAX 40u

struct libusb_context;
struct libusb_device;

/* The USB transport to the token on dev's port. It keeps the port, not the device: when
 * the token it talked to leaves, the next call says TR_ERR_ABSENT (present() says false)
 * once, even if a token is back in the port already; later calls use the token found
 * there (the module sees a removal, then an insertion). open() claims the
 * interface, close() releases it and closes the device, so another application can use
 * the token between two operation batches. NULL when dev is not a kinko token or on
 * allocation failure. ctx must outlive the transport. */
tr_transport *tr_usb_new(struct libusb_context *ctx, struct libusb_device *dev);

/* Matching devices: vid/pid with a CCID-class interface holding one bulk IN and one bulk
 * OUT endpoint. *out receives a NULL-terminated array of referenced devices (free it with
 * tr_usb_list_free) in port order. Returns the count, or -1 on failure. */
int tr_usb_enumerate(struct libusb_context *ctx, uint16_t vid, uint16_t pid,
                     struct libusb_device ***out);
void tr_usb_list_free(struct libusb_device **list);

/* Is dev's interface pcscd's (usb_holder.c)? 1: a process named pcscd has the device
 * node open; -1: a pcscd runs whose open files cannot be seen (another user's), which,
 * set up for the token, holds every token; 0: no pcscd holds it. */
int tr_usb_pcscd_holds(struct libusb_device *dev);

/* dev's port identity into id (TR_USB_ID_MAX bytes). 0, or -1. */
int tr_usb_port_id(struct libusb_device *dev, char *id, size_t cap);

/* Arrival and departure of kinko USB tokens, for C_WaitForSlotEvent: libusb hot-plug
 * callbacks where the platform has them, else a re-enumeration every few hundred
 * milliseconds (usb_hotplug.c). Callers keep the generation they last saw and wait for it
 * to move; what changed they learn by enumerating (tr_usb_enumerate). */
typedef struct usb_hotplug usb_hotplug;

/* Watch for tokens vid:pid on ctx (which must outlive the watcher). force_polling
 * ignores libusb hot-plug support (tests; platforms where it is unreliable). NULL on
 * failure. */
usb_hotplug *usb_hotplug_new(struct libusb_context *ctx, uint16_t vid, uint16_t pid,
                             bool force_polling);
void usb_hotplug_free(usb_hotplug *h);

/* Does this watcher use libusb hot-plug callbacks (true) or polling (false)? */
bool usb_hotplug_uses_callbacks(const usb_hotplug *h);

/* Counts arrivals and departures since the watcher was made. */
uint64_t usb_hotplug_generation(usb_hotplug *h);

/* Wait until the generation differs from *seen (then *seen is updated), timeout_ms
 * passes (< 0: no limit) or usb_hotplug_cancel is called. 1 on an event, 0 on timeout,
 * -1 when cancelled. Several threads may wait at once. */
int usb_hotplug_wait(usb_hotplug *h, uint64_t *seen, int timeout_ms);

/* Wake every waiter with -1, now and in future (C_Finalize). */
void usb_hotplug_cancel(usb_hotplug *h);

/* PC/SC readers through pcsc-lite (transport_pcsc.c, pcsc_watch.c). One tr_pcsc_ctx per
 * C_Initialize: the context card I/O uses and a second one for waiting on reader and card
 * changes (pcsc-lite serialises the calls of one context, and a wait must not hold up an
 * APDU). */
typedef struct tr_pcsc_ctx tr_pcsc_ctx;

/* Establish both contexts. NULL when pcscd cannot be reached (or out of memory): why gets
 * pcsc-lite's reason. Costs one connection attempt, no wait, when pcscd is not running. */
tr_pcsc_ctx *tr_pcsc_ctx_new(char *why, size_t why_cap);
void tr_pcsc_ctx_free(tr_pcsc_ctx *c);

/* The readers now, as a NULL-terminated array of names (free with tr_pcsc_readers_free).
 * No reader is an empty array. -1 when pcscd cannot be asked, else the count. When pcscd
 * stopped under the contexts, new ones are made here (a pcscd that is back is reached). */
int tr_pcsc_readers(tr_pcsc_ctx *c, char ***names);
void tr_pcsc_readers_free(char **names);

/* Wait until a reader appears or leaves (`\\?PnP?\Notification`) or a card is inserted or
 * removed in one, at most timeout_ms. 1 on a change, 0 on timeout, -1 when cancelled or
 * pcscd failed. One waiter at a time asks pcscd; others wait their turn (bounded by the
 * waiter's timeout). */
int tr_pcsc_wait(tr_pcsc_ctx *c, unsigned timeout_ms);
/* End a wait in progress and every later one at once (C_Finalize: SCardCancel). */
void tr_pcsc_cancel(tr_pcsc_ctx *c);

/* The transport to the card in reader (SCARD_SHARE_SHARED, T=1 or T=0): begin/end are
 * SCardBeginTransaction/SCardEndTransaction, taken by the batch's first command. A card
 * reset by another application (SCARD_W_RESET_CARD) is reconnected without a reset and
 * the next APDU says TR_ERR_IO once, the card layer's sign of a reset (it re-SELECTs);
 * a removed card (SCARD_W_REMOVED_CARD, SCARD_E_NO_SMARTCARD) or a reader gone is
 * TR_ERR_ABSENT. The id is "pcsc:" and the reader's name. c must outlive it. */
tr_transport *tr_pcsc_new(tr_pcsc_ctx *c, const char *reader);

#endif
