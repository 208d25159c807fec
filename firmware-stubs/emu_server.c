/* The emulator's socket loop: one thread, poll(), non-blocking sockets. Every client has
 * an input stage and an output queue, so a slow reader never blocks the others; each
 * complete CCID message is answered at once, which serialises the commands of all
 * clients on the one card. A client may hold the reader's lock for an exclusive batch
 * (emu_lock.h): the others' messages that would change the card then wait, parked, and
 * are served in arrival order once it is free. */
#include "emu_server.h"
#include "i18n.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ccid.h"
#include "emu_card.h"
#include "emu_listen.h"
#include "emu_lock.h"
#include "mono.h"

#define EMU_RX_CHUNK 16384u
/* Above this much unsent output a client's input is left unparsed until it reads. */
#define EMU_OUT_HIGH (256u * 1024u)
#define EMU_CTL_LINE 64u

typedef enum { EMU_PEER_CCID, EMU_PEER_CONTROL } emu_peer_kind;

typedef struct {
	int fd;
	emu_peer_kind kind;
	bool eof;  /* the client closed its side: flush, then close */
	bool dead; /* to be closed at the end of this loop turn */

	uint8_t rx[EMU_RX_CHUNK]; /* bytes read and not yet parsed */
	size_t rx_len, rx_off;

	/* CCID message being received */
	uint8_t hdr[CCID_HEADER_LEN];
	size_t hdr_have;
	ccid_header cur;
	uint8_t *data;
	size_t data_cap, data_have;
	bool discarding; /* oversized: dropping cur.length bytes as they arrive */
	uint32_t discard_left;
	bool parked;     /* cur waits for another client's lock; input stops here */
	uint64_t ticket; /* arrival order of parked messages */

	/* control line being received */
	char line[EMU_CTL_LINE];
	size_t line_len;
	bool line_long;

	uint8_t *out;
	size_t out_len, out_off, out_cap;
} emu_peer;

struct emu_server {
	emu_server_opts opts;
	int listen_fd, control_fd;
	bool own_socket, own_control; /* we bound the path, so we unlink it */
	emu_card card;
	bool card_ready;
	bool stop;
	emu_peer *peers[EMU_MAX_CLIENTS];
	size_t n_peers;
	emu_lock lock;
	size_t n_parked;
	uint64_t next_ticket;
};

/* ---- peers ---- */

static void emu_peer_free(emu_peer *p)
{
	if (p->fd >= 0)
		close(p->fd);
	free(p->data);
	free(p->out);
	free(p);
}

static int emu_out_reserve(emu_peer *p, size_t more)
{
	size_t need, cap;
	uint8_t *n;

	if (p->out_off > 0) {
		memmove(p->out, p->out + p->out_off, p->out_len - p->out_off);
		p->out_len -= p->out_off;
		p->out_off = 0;
	}
	need = p->out_len + more;
	if (need <= p->out_cap)
		return 0;
	cap = p->out_cap ? p->out_cap : 4096;
	while (cap < need)
		cap *= 2;
	n = realloc(p->out, cap);
	if (!n)
		return -1;
	p->out = n;
	p->out_cap = cap;
	return 0;
}

static size_t emu_out_pending(const emu_peer *p)
{
	return p->out_len - p->out_off;
}

static void emu_out_text(emu_peer *p, const char *text)
{
	size_t n = strlen(text);

	if (emu_out_reserve(p, n) != 0) {
		p->dead = true;
		return;
	}
	memcpy(p->out + p->out_len, text, n);
	p->out_len += n;
}

/* Send what the socket takes now; the rest waits for POLLOUT. */
static void emu_peer_flush(emu_peer *p)
{
	while (!p->dead && emu_out_pending(p) > 0) {
		ssize_t n = send(p->fd, p->out + p->out_off, emu_out_pending(p), MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				p->dead = true;
			return;
		}
		p->out_off += (size_t)n;
	}
	if (emu_out_pending(p) == 0) {
		p->out_off = 0;
		p->out_len = 0;
	}
}

/* ---- CCID framing ---- */

static void emu_out_append(emu_peer *p, const uint8_t *buf, size_t len)
{
	if (len == 0 || emu_out_reserve(p, len) != 0) {
		p->dead = true;
		return;
	}
	memcpy(p->out + p->out_len, buf, len);
	p->out_len += len;
}

/* One complete message (its data discarded when oversized): answer it now. The lock's
 * Escape commands are the reader's, everything else the card's. */
static void emu_ccid_dispatch(emu_server *s, emu_peer *p, bool oversized)
{
	size_t n;

	if (!oversized && emu_lock_is_escape(&p->cur)) {
		uint8_t err = p->cur.slot != 0 ? 0 :
		                                 emu_lock_escape(&s->lock, p, p->data, p->data_have,
		                                                 mono_now_ms());

		n = emu_card_escape_reply(&s->card, &p->cur, err);
	} else {
		n = emu_card_message(&s->card, &p->cur, oversized ? NULL : p->data,
		                     oversized ? 0 : p->data_have, oversized);
	}
	emu_out_append(p, s->card.reply, n);
	/* Silence is counted from the end of the holder's last command (key generation
	 * takes a while). */
	emu_lock_seen(&s->lock, p, mono_now_ms());
}

static void emu_ccid_next(emu_peer *p)
{
	p->hdr_have = 0;
	p->data_have = 0;
	p->discarding = false;
	p->discard_left = 0;
}

/* A complete message waits while another client holds the lock, and behind the messages
 * already waiting (first come, first served); otherwise it is answered now. */
static void emu_ccid_complete(emu_server *s, emu_peer *p, bool oversized)
{
	if (!oversized && s->lock.holder != p &&
	    (emu_lock_must_wait(&s->lock, p, &p->cur, p->data, p->data_have) ||
	     (s->n_parked > 0 && emu_lock_gates(&p->cur, p->data, p->data_have)))) {
		p->parked = true;
		p->ticket = s->next_ticket++;
		s->n_parked++;
		return;
	}
	emu_ccid_dispatch(s, p, oversized);
	emu_ccid_next(p);
}

/* The header is complete: decide where the data goes. */
static int emu_ccid_header_done(emu_peer *p)
{
	uint8_t *n;

	ccid_header_decode(p->hdr, &p->cur);
	if (p->cur.length > CCID_MAX_DATA) {
		/* Stream it away: never buffer what the client says it will send. */
		p->discarding = true;
		p->discard_left = p->cur.length;
		return 0;
	}
	if (p->cur.length > p->data_cap) {
		n = realloc(p->data, p->cur.length);
		if (!n)
			return -1;
		p->data = n;
		p->data_cap = p->cur.length;
	}
	return 0;
}

/* Feed bytes from the input stage to the CCID parser; returns how many were used. */
static size_t emu_ccid_feed(emu_server *s, emu_peer *p, const uint8_t *buf, size_t len)
{
	size_t n;

	if (p->hdr_have < CCID_HEADER_LEN) {
		n = CCID_HEADER_LEN - p->hdr_have;
		n = n < len ? n : len;
		memcpy(p->hdr + p->hdr_have, buf, n);
		p->hdr_have += n;
		if (p->hdr_have == CCID_HEADER_LEN) {
			if (emu_ccid_header_done(p) != 0) {
				p->dead = true;
				return n;
			}
			if (p->cur.length == 0)
				emu_ccid_complete(s, p, false);
		}
		return n;
	}
	if (p->discarding) {
		n = p->discard_left < len ? p->discard_left : len;
		p->discard_left -= (uint32_t)n;
		if (p->discard_left == 0)
			emu_ccid_complete(s, p, true);
		return n;
	}
	n = p->cur.length - p->data_have;
	n = n < len ? n : len;
	memcpy(p->data + p->data_have, buf, n);
	p->data_have += n;
	if (p->data_have == p->cur.length)
		emu_ccid_complete(s, p, false);
	return n;
}

/* ---- control socket ---- */

static void emu_control_line(emu_server *s, emu_peer *p)
{
	if (p->line_len > 0 && p->line[p->line_len - 1] == '\r')
		p->line_len--;
	p->line[p->line_len] = '\0';
	if (p->line_long)
		emu_out_text(p, "error line too long\n");
	else if (p->line_len > 0)
		emu_out_text(p, emu_card_control(&s->card, p->line));
}

static size_t emu_control_feed(emu_server *s, emu_peer *p, const uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (buf[i] == '\n') {
			emu_control_line(s, p);
			p->line_len = 0;
			p->line_long = false;
			return i + 1;
		}
		if (p->line_len < EMU_CTL_LINE - 1)
			p->line[p->line_len++] = (char)buf[i];
		else
			p->line_long = true;
	}
	return len;
}

/* ---- the loop ---- */

/* Parse staged input while the output backlog stays bounded. */
static void emu_peer_process(emu_server *s, emu_peer *p)
{
	while (!p->dead && !p->parked && p->rx_off < p->rx_len &&
	       emu_out_pending(p) < EMU_OUT_HIGH) {
		const uint8_t *b = p->rx + p->rx_off;
		size_t left = p->rx_len - p->rx_off;

		if (p->kind == EMU_PEER_CCID)
			p->rx_off += emu_ccid_feed(s, p, b, left);
		else
			p->rx_off += emu_control_feed(s, p, b, left);
	}
	if (p->rx_off == p->rx_len) {
		p->rx_off = 0;
		p->rx_len = 0;
	}
}

static void emu_peer_read(emu_server *s, emu_peer *p)
{
	ssize_t n;

	if (p->eof || p->rx_off != p->rx_len)
		return; /* the stage still holds unparsed input (or nothing more will come) */
	n = recv(p->fd, p->rx, sizeof(p->rx), 0);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			p->dead = true;
		return;
	}
	if (n == 0) {
		/* A message cut short by the disconnect is simply dropped. */
		p->eof = true;
		return;
	}
	p->rx_len = (size_t)n;
	p->rx_off = 0;
	emu_peer_process(s, p);
}

static void emu_accept(emu_server *s, int lfd, emu_peer_kind kind)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		emu_peer *p;

		if (fd < 0)
			return;
		if (s->n_peers >= EMU_MAX_CLIENTS) {
			close(fd); /* refused: the client sees EOF */
			continue;
		}
		p = calloc(1, sizeof(*p));
		if (!p) {
			close(fd);
			continue;
		}
		p->fd = fd;
		p->kind = kind;
		s->peers[s->n_peers++] = p;
	}
}

static void emu_events(emu_server *s)
{
	uint8_t ev[64];
	ssize_t n, i;

	while ((n = read(s->opts.event_fd, ev, sizeof(ev))) > 0) {
		for (i = 0; i < n; i++) {
			if (ev[i] == EMU_EVENT_TERMINATE)
				s->stop = true;
			else if (ev[i] == EMU_EVENT_REMOVE)
				emu_card_remove(&s->card);
			else if (ev[i] == EMU_EVENT_INSERT)
				emu_card_insert(&s->card);
		}
	}
}

/* Serve waiting messages in arrival order while the lock lets them go. */
static void emu_serve_parked(emu_server *s)
{
	while (s->n_parked > 0) {
		emu_peer *next = NULL;
		size_t i;

		for (i = 0; i < s->n_peers; i++) {
			emu_peer *p = s->peers[i];

			if (p->parked && (!next || p->ticket < next->ticket))
				next = p;
		}
		if (!next ||
		    emu_lock_must_wait(&s->lock, next, &next->cur, next->data, next->data_have))
			return;
		next->parked = false;
		s->n_parked--;
		emu_ccid_dispatch(s, next, false);
		emu_ccid_next(next);
		emu_peer_process(s, next); /* its input held back meanwhile */
		emu_peer_flush(next);
	}
}

/* A holder silent too long loses the lock: the clients waiting for it go on. */
static void emu_lock_check(emu_server *s)
{
	if (emu_lock_expire(&s->lock, mono_now_ms()))
		fprintf(stderr,
		        "kinko-token-emu: a client held the lock silently for %u ms: "
		        "released\n",
		        s->lock.timeout_ms);
}

/* poll()'s timeout: until the lock's holder has been silent too long, else forever. */
static int emu_poll_timeout(const emu_server *s)
{
	uint64_t deadline = emu_lock_deadline(&s->lock), now = mono_now_ms();

	if (deadline == 0)
		return -1;
	return deadline <= now ? 0 : (int)(deadline - now);
}

static void emu_sweep(emu_server *s)
{
	size_t i = 0;

	while (i < s->n_peers) {
		emu_peer *p = s->peers[i];

		if (p->eof && emu_out_pending(p) == 0 && p->rx_off == p->rx_len)
			p->dead = true;
		if (p->dead) {
			/* A client gone holds nothing, and what it left waiting is dropped. */
			emu_lock_gone(&s->lock, p);
			if (p->parked)
				s->n_parked--;
			emu_peer_free(p);
			s->peers[i] = s->peers[--s->n_peers];
			s->peers[s->n_peers] = NULL;
		} else {
			i++;
		}
	}
}

int emu_server_run(emu_server *s)
{
	struct pollfd fds[3 + EMU_MAX_CLIENTS];
	emu_peer *polled[EMU_MAX_CLIENTS];

	while (!s->stop) {
		nfds_t nfds = 0, base, i;
		size_t np = 0;

		fds[nfds++] = (struct pollfd){.fd = s->opts.event_fd, .events = POLLIN};
		fds[nfds++] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
		if (s->control_fd >= 0)
			fds[nfds++] = (struct pollfd){.fd = s->control_fd, .events = POLLIN};
		base = nfds;
		for (i = 0; i < s->n_peers; i++) {
			emu_peer *p = s->peers[i];
			short ev = 0;

			/* Read only when the stage is empty: that bounds what a client can queue. */
			if (!p->eof && p->rx_off == p->rx_len)
				ev |= POLLIN;
			if (emu_out_pending(p) > 0)
				ev |= POLLOUT;
			fds[nfds++] = (struct pollfd){.fd = p->fd, .events = ev};
			polled[np++] = p;
		}
		if (poll(fds, nfds, emu_poll_timeout(s)) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "kinko-token-emu: poll: %s\n", strerror(errno));
			return -1;
		}
		if (fds[0].revents)
			emu_events(s);
		for (i = 0; i < np; i++) {
			emu_peer *p = polled[i];
			short re = fds[base + i].revents;

			if (re & POLLOUT) {
				emu_peer_flush(p);
				emu_peer_process(s, p); /* resume input held back by the backlog */
			}
			/* Hung up while waiting: nobody will read the answer (and POLLHUP would
			 * keep poll() busy while the stage holds the parked message). */
			if (p->parked && (re & (POLLHUP | POLLERR)))
				p->dead = true;
			if (re & (POLLIN | POLLHUP | POLLERR))
				emu_peer_read(s, p);
			emu_peer_flush(p);
		}
		emu_sweep(s);
		emu_lock_check(s);
		emu_serve_parked(s);
		if (fds[1].revents & POLLIN)
			emu_accept(s, s->listen_fd, EMU_PEER_CCID);
		if (s->control_fd >= 0 && (fds[2].revents & POLLIN))
			emu_accept(s, s->control_fd, EMU_PEER_CONTROL);
	}
	return 0;
}

emu_server *emu_server_new(piv_applet *applet, const emu_server_opts *opts)
{
	emu_server *s = calloc(1, sizeof(*s));

	if (!s) {
		fprintf(stderr, _("kinko-token-emu: out of memory\n"));
		return NULL;
	}
	s->opts = *opts;
	emu_lock_init(&s->lock, opts->lock_timeout_ms);
	s->listen_fd = -1;
	s->control_fd = -1;
	if (emu_card_init(&s->card, applet, !opts->start_absent) != 0) {
		fprintf(stderr, _("kinko-token-emu: out of memory\n"));
		emu_server_free(s);
		return NULL;
	}
	s->card_ready = true;
	s->listen_fd = emu_listen(opts->socket_path, &s->own_socket);
	if (s->listen_fd < 0) {
		emu_server_free(s);
		return NULL;
	}
	if (opts->control_path) {
		s->control_fd = emu_listen(opts->control_path, &s->own_control);
		if (s->control_fd < 0) {
			emu_server_free(s);
			return NULL;
		}
	}
	return s;
}

void emu_server_free(emu_server *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n_peers; i++)
		emu_peer_free(s->peers[i]);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	if (s->control_fd >= 0)
		close(s->control_fd);
	if (s->own_socket)
		unlink(s->opts.socket_path);
	if (s->own_control)
		unlink(s->opts.control_path);
	if (s->card_ready)
		emu_card_cleanup(&s->card);
	free(s);
}
