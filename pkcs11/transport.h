/* The module's view of a token reader: one small interface, so the PIV and PKCS#11 layers
 * cannot tell the emulator socket from the USB token (or, later, PC/SC). Both current
 * transports carry USB CCID bulk messages; ccid_host.c holds that logic once. */
#ifndef KINKO_TRANSPORT_H
#define KINKO_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
	TR_OK = 0,
	TR_ERR_ABSENT = -1,    /* no card / device gone */
	TR_ERR_IO = -2,        /* the channel failed (socket closed, USB error) */
	TR_ERR_PROTOCOL = -3,  /* the token answered something malformed */
	TR_ERR_TIMEOUT = -4,   /* no answer in time */
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
	char *id;              /* stable identity for slot bookkeeping (socket path, USB bus/port) */
	unsigned timeout_ms;   /* per message */
};

/* The CCID exchange over a message channel (socket or USB bulk endpoints): the transports
 * only move bytes and keep their channel; the CCID commands and replies are here. */
typedef struct {
	/* Send one whole message. */
	tr_status (*send)(void *ctx, const uint8_t *msg, size_t len, unsigned timeout_ms);
	/* Receive one whole message (header + dwLength bytes) into buf. */
	tr_status (*recv)(void *ctx, uint8_t *buf, size_t cap, size_t *len, unsigned timeout_ms);
	/* Open the channel before a command (connect, claim); TR_OK when it is open. */
	tr_status (*open)(void *ctx);
	/* A failed exchange leaves the stream out of step: drop the channel (st says why). */
	void (*drop)(void *ctx, tr_status st);
	void *ctx;
	uint8_t *buf;          /* one message, CCID_HEADER_LEN + CCID_MAX_DATA bytes */
	size_t buf_used;       /* high-water mark: the channel's close wipes this much */
	uint8_t seq;
} ccid_host;

/* IccPowerOn: the active card's ATR (2..33 bytes, ISO 7816-3), copied to atr when given.
 * XfrBlock: one APDU, its response (at least SW1 SW2, at most cap) copied to resp and
 * wiped from the buffer. A command the reader refused is TR_ERR_ABSENT (no card) or
 * TR_ERR_IO (card not powered: the caller powers on again); anything malformed is
 * TR_ERR_PROTOCOL and drops the channel. Replies honour time extensions. */
tr_status ccid_host_power_on(ccid_host *h, unsigned timeout_ms, uint8_t *atr, size_t cap,
                             size_t *atr_len);
tr_status ccid_host_transmit(ccid_host *h, unsigned timeout_ms, const uint8_t *apdu, size_t len,
                             uint8_t *resp, size_t cap, size_t *resp_len);
/* GetSlotStatus: is a card in the slot? A channel with nobody at the other end
 * (TR_ERR_ABSENT) is no card. */
tr_status ccid_host_present(ccid_host *h, unsigned timeout_ms, bool *present);

/* The UNIX-socket transport to kinko-token-emu. */
tr_transport *tr_socket_new(const char *path);

/* The kinko USB token (README "Hardware"): a vendor-class interface (class FF, so pcscd
 * leaves it alone) with one bulk OUT and one bulk IN endpoint carrying the same CCID bulk
 * messages as the emulator socket. VID/PID are a placeholder pair under pid.codes' open
 * VID; the module reads `usb_vid_pid = 1209:6b6b` from its configuration. */
#define TR_USB_DEFAULT_VID 0x1209u
#define TR_USB_DEFAULT_PID 0x6B6Bu
#define TR_USB_IFACE_CLASS 0xFFu
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

/* Matching devices: vid/pid with a class FF interface holding one bulk IN and one bulk
 * OUT endpoint. *out receives a NULL-terminated array of referenced devices (free it with
 * tr_usb_list_free) in port order. Returns the count, or -1 on failure. */
int tr_usb_enumerate(struct libusb_context *ctx, uint16_t vid, uint16_t pid,
                     struct libusb_device ***out);
void tr_usb_list_free(struct libusb_device **list);

/* dev's port identity into id (TR_USB_ID_MAX bytes). 0, or -1. */
int tr_usb_port_id(struct libusb_device *dev, char *id, size_t cap);

#endif
