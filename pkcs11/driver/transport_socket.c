/* The transport to kinko-token-emu: USB CCID bulk messages over a UNIX stream socket.
 * Every wait is bounded by poll() (the module never hangs on a silent token), SIGPIPE is
 * never raised in the host application (MSG_NOSIGNAL), and any failure of the stream
 * closes the socket, so the next operation reconnects to a clean stream.
 *
 * Exclusive batches: inside begin()..end(), the first power-on or APDU asks the emulator
 * for its lock (kinko's CCID Escape 01, granted one client at a time, README "The
 * emulator") and end() gives it back (Escape 02). A closed connection holds nothing. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "ccid.h"
#include "ccid_host.h"
#include "mono.h"

#define TR_SOCKET_DEFAULT_TIMEOUT_MS 5000u
/* Waiting for the emulator's lock: this many message timeouts (30 s by default). */
#define TR_SOCKET_LOCK_WAIT_FACTOR 6u
/* A listener with a full backlog refuses with EAGAIN; try again this often. */
#define TR_SOCKET_CONNECT_RETRY_MS 10

typedef struct {
	tr_transport base;
	char *path;
	int fd;
	ccid_host host;
	bool batch;    /* between begin() and end() */
	bool held;     /* the emulator granted this connection its lock */
	bool lockless; /* this emulator does not know the lock (older version) */
	/* The lock's Escapes are not waited for: their answers are read, in order, before the
	 * answer to the next command (the emulator serves that command only after them). */
	bool end_unread;   /* END sent by the previous batch */
	bool begin_unread; /* BEGIN sent ahead of this batch's first command */
	uint8_t end_seq, begin_seq;
	/* The BEGIN goes out in one send with the command it precedes, so the emulator wakes
	 * once for both. */
	uint8_t begin_msg[CCID_HEADER_LEN + 1];
	size_t begin_len; /* staged, not sent yet */
	/* What recv() read beyond the message asked for (the answers to a batch's Escapes
	 * and its command often arrive in one read): rx[rx_off .. rx_off + rx_have). */
	uint8_t *rx;
	size_t rx_off, rx_have, rx_used;
} tr_socket;

/* Wait for events until the deadline. TR_OK, TR_ERR_TIMEOUT or TR_ERR_IO. */
static tr_status tr_socket_wait(int fd, short events, long long deadline)
{
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = events};
		long long left = deadline - mono_now_ms();
		int r;

		if (left <= 0)
			return TR_ERR_TIMEOUT;
		r = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (r > 0)
			return TR_OK; /* POLLHUP/POLLERR too: the next call reports it */
		if (r < 0 && errno != EINTR)
			return TR_ERR_IO;
	}
}

static void tr_socket_close(tr_transport *t)
{
	tr_socket *s = (tr_socket *)t;

	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->held = false;
	s->lockless = false;
	s->end_unread = false;
	s->begin_unread = false;
	s->begin_len = 0;
	ccid_host_wipe(&s->host);
	if (s->rx && s->rx_used)
		OPENSSL_cleanse(s->rx, s->rx_used);
	s->rx_off = s->rx_have = s->rx_used = 0;
}

static tr_status tr_socket_connect_errno(int err)
{
	/* Nobody listens there: the token is not plugged in. */
	if (err == ENOENT || err == ECONNREFUSED || err == ENOTDIR)
		return TR_ERR_ABSENT;
	return TR_ERR_IO;
}

/* connect() on a non-blocking UNIX socket fails with EAGAIN while the backlog is full. */
static tr_status tr_socket_connect(tr_socket *s, const struct sockaddr_un *sa, long long deadline)
{
	for (;;) {
		if (connect(s->fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
			return TR_OK;
		if (errno == EINTR)
			continue;
		if (errno == EINPROGRESS) {
			int err = 0;
			socklen_t el = sizeof(err);
			tr_status st = tr_socket_wait(s->fd, POLLOUT, deadline);

			if (st != TR_OK)
				return st;
			if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0)
				return TR_ERR_IO;
			return err == 0 ? TR_OK : tr_socket_connect_errno(err);
		}
		if (errno != EAGAIN)
			return tr_socket_connect_errno(errno);
		if (mono_now_ms() + TR_SOCKET_CONNECT_RETRY_MS > deadline)
			return TR_ERR_TIMEOUT;
		poll(NULL, 0, TR_SOCKET_CONNECT_RETRY_MS);
	}
}

static tr_status tr_socket_open(tr_transport *t)
{
	tr_socket *s = (tr_socket *)t;
	struct sockaddr_un sa;
	size_t plen = strlen(s->path);
	tr_status st;

	if (s->fd >= 0)
		return TR_OK;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (plen == 0 || plen >= sizeof(sa.sun_path))
		return TR_ERR_ABSENT;
	memcpy(sa.sun_path, s->path, plen + 1);
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return errno == ENOMEM || errno == ENOBUFS ? TR_ERR_NOMEM : TR_ERR_IO;
	st = tr_socket_connect(s, &sa, mono_now_ms() + t->timeout_ms);
	if (st != TR_OK)
		tr_socket_close(t);
	return st;
}

/* Everything in iov[0..n) before the deadline, in as few send() calls as the socket takes. */
static tr_status tr_socket_sendv(tr_socket *s, struct iovec *iov, int n, long long deadline)
{
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)n};
	tr_status st;

	while (mh.msg_iovlen > 0) {
		ssize_t sent = sendmsg(s->fd, &mh, MSG_NOSIGNAL);

		if (sent < 0 && errno == EINTR)
			continue;
		if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			st = tr_socket_wait(s->fd, POLLOUT, deadline);
			if (st != TR_OK)
				return st;
			continue;
		}
		if (sent <= 0)
			return TR_ERR_IO; /* EPIPE, ECONNRESET: the emulator went away */
		while (mh.msg_iovlen > 0 && (size_t)sent >= mh.msg_iov->iov_len) {
			sent -= (ssize_t)mh.msg_iov->iov_len;
			mh.msg_iov++;
			mh.msg_iovlen--;
		}
		if (mh.msg_iovlen > 0) {
			mh.msg_iov->iov_base = (uint8_t *)mh.msg_iov->iov_base + sent;
			mh.msg_iov->iov_len -= (size_t)sent;
		}
	}
	return TR_OK;
}

/* One message, behind a staged BEGIN if there is one. */
static tr_status tr_socket_send(void *ctx, const uint8_t *msg, size_t len, unsigned timeout_ms)
{
	tr_socket *s = ctx;
	struct iovec iov[2];
	int n = 0;
	tr_status st;

	if (s->begin_len) {
		iov[n++] = (struct iovec){.iov_base = s->begin_msg, .iov_len = s->begin_len};
		s->begin_len = 0;
	}
	iov[n++] = (struct iovec){.iov_base = (void *)msg, .iov_len = len};
	st = tr_socket_sendv(s, iov, n, mono_now_ms() + timeout_ms);
	return st;
}

/* At least `want` bytes buffered in rx before the deadline; reads what the socket has. */
static tr_status tr_socket_fill(tr_socket *s, size_t want, long long deadline)
{
	tr_status st;

	if (s->rx_have >= want)
		return TR_OK;
	if (s->rx_off > 0) {
		memmove(s->rx, s->rx + s->rx_off, s->rx_have);
		/* What moved down is not left behind where it was. */
		OPENSSL_cleanse(s->rx + s->rx_have, s->rx_off);
		s->rx_off = 0;
	}
	while (s->rx_have < want) {
		ssize_t n = recv(s->fd, s->rx + s->rx_have, CCID_HOST_BUF_LEN - s->rx_have, 0);

		if (n > 0) {
			s->rx_have += (size_t)n;
			if (s->rx_have > s->rx_used)
				s->rx_used = s->rx_have;
			continue;
		}
		if (n == 0)
			return TR_ERR_IO; /* EOF: the peer closed */
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return TR_ERR_IO;
		st = tr_socket_wait(s->fd, POLLIN, deadline);
		if (st != TR_OK)
			return st;
	}
	return TR_OK;
}

/* One message: the 10-byte header, then exactly dwLength bytes, never more than fit. */
static tr_status tr_socket_recv(void *ctx, uint8_t *buf, size_t cap, size_t *len,
                                unsigned timeout_ms)
{
	tr_socket *s = ctx;
	long long deadline = mono_now_ms() + timeout_ms;
	ccid_header h;
	size_t total;
	tr_status st;

	if (cap < CCID_HEADER_LEN)
		return TR_ERR_PROTOCOL;
	st = tr_socket_fill(s, CCID_HEADER_LEN, deadline);
	if (st != TR_OK)
		return st;
	ccid_header_decode(s->rx + s->rx_off, &h);
	if (h.length > CCID_MAX_DATA || h.length > cap - CCID_HEADER_LEN)
		return TR_ERR_PROTOCOL;
	total = CCID_HEADER_LEN + h.length;
	st = tr_socket_fill(s, total, deadline);
	if (st != TR_OK)
		return st;
	memcpy(buf, s->rx + s->rx_off, total);
	/* A response may hold the PIN-protected management key: it stays only in the host's
	 * buffer, which wipes it once it is handed over. */
	OPENSSL_cleanse(s->rx + s->rx_off, total);
	s->rx_off += total;
	s->rx_have -= total;
	*len = total;
	if (*len > s->host.buf_used)
		s->host.buf_used = *len;
	return TR_OK;
}

/* The host's channel: opened before each command, closed after a failed exchange (the
 * next operation reconnects to a clean stream). */
static tr_status tr_socket_host_open(void *ctx)
{
	return tr_socket_open(&((tr_socket *)ctx)->base);
}

static void tr_socket_host_drop(void *ctx, tr_status st)
{
	(void)st;
	tr_socket_close(&((tr_socket *)ctx)->base);
}

/* One of the lock's Escapes, its answer not waited for; *seq is its bSeq. The END is sent
 * at once (the next client may be waiting for the lock); the BEGIN is staged, to go out in
 * one send with the command it precedes. */
static tr_status tr_socket_post_escape(tr_socket *s, uint8_t code, uint8_t *seq)
{
	static const uint8_t no_param[3];
	uint8_t msg[CCID_HEADER_LEN + 1];
	size_t n;

	*seq = s->host.seq++;
	n = ccid_message_build(msg, sizeof(msg), CCID_PC_TO_RDR_ESCAPE, 0, *seq, no_param, &code,
	                       1);
	if (!n)
		return TR_ERR_PROTOCOL;
	if (code == CCID_ESCAPE_BEGIN_EXCLUSIVE) {
		memcpy(s->begin_msg, msg, n);
		s->begin_len = n;
		return TR_OK;
	}
	return tr_socket_send(s, msg, n, s->base.timeout_ms);
}

/* One answer to an Escape of ours: an Escape answer, or the failed SlotStatus of an
 * emulator without the lock. *granted: it did not fail; *unknown: not supported. */
static tr_status tr_socket_read_escape(tr_socket *s, uint8_t seq, unsigned timeout_ms,
                                       bool *granted, bool *unknown)
{
	ccid_header h;
	size_t len = 0;
	tr_status st = tr_socket_recv(s, s->host.buf, CCID_HOST_BUF_LEN, &len, timeout_ms);

	if (st != TR_OK)
		return st;
	ccid_header_decode(s->host.buf, &h);
	if (h.seq != seq || h.length != 0 ||
	    (h.type != CCID_RDR_TO_PC_ESCAPE && h.type != CCID_RDR_TO_PC_SLOT_STATUS))
		return TR_ERR_PROTOCOL;
	*granted = h.type == CCID_RDR_TO_PC_ESCAPE && !(h.param[0] & CCID_CMD_FAILED);
	*unknown = (h.param[0] & CCID_CMD_FAILED) && h.param[1] == CCID_ERR_CMD_NOT_SUPPORTED;
	return TR_OK;
}

/* The host's receive: first the answers to the Escapes sent ahead, in the order sent. */
static tr_status tr_socket_recv_reply(void *ctx, uint8_t *buf, size_t cap, size_t *len,
                                      unsigned timeout_ms)
{
	tr_socket *s = ctx;
	bool granted = false, unknown = false;
	tr_status st;

	if (s->end_unread) {
		s->end_unread = false;
		st = tr_socket_read_escape(s, s->end_seq, s->base.timeout_ms, &granted, &unknown);
		if (st != TR_OK)
			return st;
	}
	if (s->begin_unread) {
		s->begin_unread = false;
		/* The holder's whole batch may outlast one message's timeout (a key
		 * generation); the emulator takes the lock from a holder silent too long, so
		 * this wait stays bounded. */
		st = tr_socket_read_escape(s, s->begin_seq,
		                           s->base.timeout_ms * TR_SOCKET_LOCK_WAIT_FACTOR,
		                           &granted, &unknown);
		if (st != TR_OK)
			return st;
		/* An emulator without the lock served our command anyway: work as before it,
		 * unprotected. */
		if (unknown)
			s->lockless = true;
		else if (granted)
			s->held = true;
		else
			return TR_ERR_PROTOCOL;
	}
	return tr_socket_recv(ctx, buf, cap, len, timeout_ms);
}

/* Inside a batch, before the card's first command: ask for the emulator's lock. The
 * command follows at once; the emulator serves it only once we hold the lock. */
static tr_status tr_socket_exclusive(tr_socket *s)
{
	tr_status st;

	if (!s->batch || s->held || s->begin_unread)
		return TR_OK;
	/* Connected first: a fresh connection may reach a newer emulator. */
	st = tr_socket_open(&s->base);
	if (st != TR_OK || s->lockless)
		return st;
	st = tr_socket_post_escape(s, CCID_ESCAPE_BEGIN_EXCLUSIVE, &s->begin_seq);
	if (st != TR_OK) {
		tr_socket_close(&s->base);
		return st;
	}
	s->begin_unread = true;
	return TR_OK;
}

static void tr_socket_begin(tr_transport *t)
{
	((tr_socket *)t)->batch = true;
}

static void tr_socket_end(tr_transport *t)
{
	tr_socket *s = (tr_socket *)t;

	s->batch = false;
	/* A BEGIN no command followed: never sent, nothing to undo. */
	if (s->begin_unread && s->begin_len) {
		s->begin_len = 0;
		s->begin_unread = false;
		return;
	}
	/* Sent but its answer unread (the exchange failed): the connection's state is ours
	 * to drop. */
	if (s->begin_unread) {
		tr_socket_close(t);
		return;
	}
	if (!s->held)
		return;
	s->held = false;
	/* Not waited for: the emulator gives the lock to the next client as it reads the END,
	 * and its answer is read before our next exchange's. A failed send closes the
	 * connection, which gives the lock back as well. */
	if (tr_socket_post_escape(s, CCID_ESCAPE_END_EXCLUSIVE, &s->end_seq) != TR_OK) {
		tr_socket_close(t);
		return;
	}
	s->end_unread = true;
}

static tr_status tr_socket_power_on(tr_transport *t, uint8_t *atr, size_t cap, size_t *atr_len)
{
	tr_socket *s = (tr_socket *)t;
	tr_status st = tr_socket_exclusive(s);

	if (st != TR_OK)
		return st;
	return ccid_host_power_on(&s->host, t->timeout_ms, atr, cap, atr_len);
}

static tr_status tr_socket_transmit(tr_transport *t, const uint8_t *apdu, size_t len, uint8_t *resp,
                                    size_t cap, size_t *resp_len)
{
	tr_socket *s = (tr_socket *)t;
	tr_status st;

	if (!apdu || len == 0 || !resp || !resp_len)
		return TR_ERR_PROTOCOL;
	st = tr_socket_exclusive(s);
	if (st != TR_OK)
		return st;
	return ccid_host_transmit(&s->host, t->timeout_ms, apdu, len, resp, cap, resp_len);
}

static tr_status tr_socket_present(tr_transport *t, bool *present)
{
	return ccid_host_present(&((tr_socket *)t)->host, t->timeout_ms, present);
}

static void tr_socket_destroy(tr_transport *t)
{
	tr_socket *s = (tr_socket *)t;

	if (!s)
		return;
	tr_socket_close(t);
	free(s->rx);
	ccid_host_free(&s->host);
	free(s->path);
	free(s->base.id);
	free(s);
}

static const ccid_channel tr_socket_channel = {
	.send = tr_socket_send,
	.recv = tr_socket_recv_reply,
	.open = tr_socket_host_open,
	.drop = tr_socket_host_drop,
};

static const tr_ops tr_socket_ops = {
	.name = "socket",
	.id_is_port = false,
	.open = tr_socket_open,
	.power_on = tr_socket_power_on,
	.transmit = tr_socket_transmit,
	.present = tr_socket_present,
	.close = tr_socket_close,
	.begin = tr_socket_begin,
	.end = tr_socket_end,
	.destroy = tr_socket_destroy,
};

tr_transport *tr_socket_new(const char *path)
{
	tr_socket *s;

	if (!path)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->fd = -1;
	s->path = strdup(path);
	s->base.id = strdup(path);
	s->rx = malloc(CCID_HOST_BUF_LEN);
	if (!ccid_host_init(&s->host, &tr_socket_channel, s) || !s->path || !s->base.id || !s->rx) {
		tr_socket_destroy(&s->base);
		return NULL;
	}
	s->base.ops = &tr_socket_ops;
	s->base.timeout_ms = TR_SOCKET_DEFAULT_TIMEOUT_MS;
	return &s->base;
}
