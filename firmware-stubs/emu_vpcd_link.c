/* The emulator's connection to vsmartcard-vpcd (emu_vpcd.h): vpcd listens, the card
 * connects. While the card is inserted the emulator stays connected, retrying with a
 * bounded backoff when vpcd is not up yet or goes away; removing the card closes the
 * connection, which is how vpcd (and pcscd behind it) sees a card removed. */
#include "emu_vpcd.h"
#include "emu_cli.h"
#include "emu_listen.h"
#include "emu_server.h"
#include "i18n.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mono.h"

#define EMU_VPCD_BACKOFF_MIN_MS 20
#define EMU_VPCD_BACKOFF_MAX_MS 500
/* A connection attempt vpcd's host never answers is given up after this long. */
#define EMU_VPCD_CONNECT_MS 5000
#define EMU_VPCD_CTL_PEERS 8u
#define EMU_VPCD_CTL_LINE 64u

typedef struct {
	int fd;
	char line[EMU_VPCD_CTL_LINE];
	size_t line_len;
	bool line_long;
} emu_vpcd_ctl;

typedef struct {
	const emu_vpcd_opts *opts;
	struct addrinfo *addr;
	emu_card card;
	emu_vpcd_rx rx;
	int fd;            /* -1: not connected */
	bool connecting;   /* a non-blocking connect in progress */
	bool waiting_told; /* "waiting for vpcd" printed since the last connection */
	int64_t next_try_ms;
	int64_t connect_deadline_ms; /* while connecting */
	int backoff_ms;
	size_t out_off; /* sent part of rx.out */
	int ctl_fd;
	bool own_ctl;
	emu_vpcd_ctl ctl[EMU_VPCD_CTL_PEERS];
	bool stop;
} emu_vpcd_link;

int emu_vpcd_addr_parse(const char *spec, char *host, size_t host_cap, char *port, size_t port_cap)
{
	const char *colon = strrchr(spec, ':'), *h = spec;
	size_t hlen;
	char *end;
	unsigned long p;

	if (!colon || colon == spec)
		return -1;
	hlen = (size_t)(colon - spec);
	if (spec[0] == '[') {
		if (hlen < 3 || spec[hlen - 1] != ']')
			return -1;
		h = spec + 1;
		hlen -= 2;
	}
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end != '\0' || errno != 0 || p < 1 || p > 65535 ||
	    hlen >= host_cap || port_cap < 6)
		return -1;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	snprintf(port, port_cap, "%lu", p);
	return 0;
}

/* ---- the connection to vpcd ---- */

static void emu_vpcd_close(emu_vpcd_link *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	l->connecting = false;
	l->out_off = 0;
	emu_vpcd_rx_restart(&l->rx);
	/* The card left the reader: its power and security state go. */
	if (l->card.powered)
		piv_applet_reset(l->card.applet);
	l->card.powered = false;
}

static void emu_vpcd_retry_later(emu_vpcd_link *l)
{
	l->next_try_ms = mono_now_ms() + l->backoff_ms;
	l->backoff_ms = l->backoff_ms * 2 > EMU_VPCD_BACKOFF_MAX_MS ? EMU_VPCD_BACKOFF_MAX_MS :
	                                                              l->backoff_ms * 2;
}

static void emu_vpcd_failed(emu_vpcd_link *l)
{
	emu_vpcd_close(l);
	if (!l->waiting_told) {
		emu_cli_error(_("waiting for vpcd at %s\n"), l->opts->vpcd);
		l->waiting_told = true;
	}
	emu_vpcd_retry_later(l);
}

static void emu_vpcd_connected(emu_vpcd_link *l)
{
	l->connecting = false;
	l->waiting_told = false;
	emu_cli_error(_("connected to vpcd at %s\n"), l->opts->vpcd);
}

static void emu_vpcd_connect(emu_vpcd_link *l)
{
	const struct addrinfo *ai = l->addr;

	l->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
	               ai->ai_protocol);
	if (l->fd < 0) {
		emu_vpcd_failed(l);
		return;
	}
	if (connect(l->fd, ai->ai_addr, ai->ai_addrlen) == 0)
		emu_vpcd_connected(l);
	else if (errno == EINPROGRESS) {
		l->connecting = true;
		l->connect_deadline_ms = mono_now_ms() + EMU_VPCD_CONNECT_MS;
	} else
		emu_vpcd_failed(l);
}

static void emu_vpcd_connect_done(emu_vpcd_link *l)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(l->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0)
		emu_vpcd_failed(l);
	else
		emu_vpcd_connected(l);
}

static void emu_vpcd_send(emu_vpcd_link *l)
{
	while (l->rx.out_len > l->out_off) {
		ssize_t n = send(l->fd, l->rx.out + l->out_off, l->rx.out_len - l->out_off,
		                 MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				emu_vpcd_failed(l);
			return;
		}
		l->out_off += (size_t)n;
	}
	l->rx.out_len = 0;
	l->out_off = 0;
}

/* Bytes from vpcd: one request at a time, so what follows an unanswered one waits in the
 * socket. */
static void emu_vpcd_receive(emu_vpcd_link *l)
{
	uint8_t buf[4096];
	ssize_t n;
	size_t off = 0;

	n = recv(l->fd, buf, sizeof(buf), MSG_PEEK);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
		emu_cli_error(_("vpcd at %s closed the connection\n"), l->opts->vpcd);
		emu_vpcd_failed(l);
		return;
	}
	if (n < 0)
		return;
	off = emu_vpcd_rx_feed(&l->rx, buf, (size_t)n);
	/* Take from the socket only what the parser used. */
	n = recv(l->fd, buf, off, 0);
	(void)n;
	/* vpcd sends a length and its APDU in two writes, the second held (Nagle) until the
	 * first is acknowledged: acknowledge at once, not after the delayed ACK's 40 ms. Linux
	 * clears the flag by itself, so it is set again after every read. */
	(void)setsockopt(l->fd, IPPROTO_TCP, TCP_QUICKACK, &(int){1}, sizeof(int));
	l->backoff_ms = EMU_VPCD_BACKOFF_MIN_MS;
	if (l->rx.out_len > 0)
		emu_vpcd_send(l);
}

/* Inserted and not connected: connect now or at the next try; removed: disconnected. */
static void emu_vpcd_sync(emu_vpcd_link *l)
{
	if (!l->card.present && l->fd >= 0)
		emu_vpcd_close(l);
	if (l->card.present && l->fd < 0 && mono_now_ms() >= l->next_try_ms)
		emu_vpcd_connect(l);
}

/* ---- control socket and signals ---- */

static void emu_vpcd_ctl_line(emu_vpcd_link *l, emu_vpcd_ctl *c)
{
	const char *answer = "error line too long\n";
	bool was = l->card.present;
	ssize_t n;

	if (c->line_len > 0 && c->line[c->line_len - 1] == '\r')
		c->line_len--;
	c->line[c->line_len] = '\0';
	if (!c->line_long && c->line_len == 0)
		return;
	if (!c->line_long)
		answer = emu_card_control(&l->card, c->line);
	if (l->card.present && !was) {
		l->backoff_ms = EMU_VPCD_BACKOFF_MIN_MS;
		l->next_try_ms = 0;
	}
	emu_vpcd_sync(l);
	/* Answers are a few bytes: a client that does not read them is dropped. */
	n = send(c->fd, answer, strlen(answer), MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n != (ssize_t)strlen(answer)) {
		close(c->fd);
		c->fd = -1;
	}
}

static void emu_vpcd_ctl_read(emu_vpcd_link *l, emu_vpcd_ctl *c)
{
	char buf[256];
	ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
	ssize_t i;

	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			close(c->fd);
			c->fd = -1;
		}
		return;
	}
	for (i = 0; i < n && c->fd >= 0; i++) {
		if (buf[i] == '\n') {
			emu_vpcd_ctl_line(l, c);
			c->line_len = 0;
			c->line_long = false;
		} else if (c->line_len < EMU_VPCD_CTL_LINE - 1) {
			c->line[c->line_len++] = buf[i];
		} else {
			c->line_long = true;
		}
	}
}

static void emu_vpcd_ctl_accept(emu_vpcd_link *l)
{
	int fd;
	size_t i;

	while ((fd = accept4(l->ctl_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		for (i = 0; i < EMU_VPCD_CTL_PEERS && l->ctl[i].fd >= 0; i++)
			;
		if (i == EMU_VPCD_CTL_PEERS) {
			close(fd); /* refused: the client sees EOF */
			continue;
		}
		memset(&l->ctl[i], 0, sizeof(l->ctl[i]));
		l->ctl[i].fd = fd;
	}
}

static void emu_vpcd_events(emu_vpcd_link *l)
{
	uint8_t ev[64];
	ssize_t n, i;

	while ((n = read(l->opts->event_fd, ev, sizeof(ev))) > 0) {
		for (i = 0; i < n; i++) {
			if (ev[i] == EMU_EVENT_TERMINATE) {
				l->stop = true;
			} else if (ev[i] == EMU_EVENT_REMOVE) {
				emu_card_remove(&l->card);
			} else if (ev[i] == EMU_EVENT_INSERT && !l->card.present) {
				emu_card_insert(&l->card);
				l->backoff_ms = EMU_VPCD_BACKOFF_MIN_MS;
				l->next_try_ms = 0;
			}
		}
	}
}

/* ---- the loop ---- */

static int emu_vpcd_timeout(const emu_vpcd_link *l)
{
	int64_t now = mono_now_ms(), until;

	if (l->connecting)
		until = l->connect_deadline_ms;
	else if (l->card.present && l->fd < 0)
		until = l->next_try_ms;
	else
		return -1;
	return until <= now ? 0 : (int)(until - now);
}

static int emu_vpcd_loop(emu_vpcd_link *l)
{
	struct pollfd fds[3 + EMU_VPCD_CTL_PEERS];
	size_t i;

	while (!l->stop) {
		nfds_t nfds = 0, link_at = 0, ctl_at = 0;

		emu_vpcd_sync(l);
		fds[nfds++] = (struct pollfd){.fd = l->opts->event_fd, .events = POLLIN};
		if (l->fd >= 0) {
			link_at = nfds;
			fds[nfds++] =
				(struct pollfd){.fd = l->fd,
			                        .events = (short)(l->connecting || l->rx.out_len ?
			                                                  POLLOUT :
			                                                  POLLIN)};
		}
		if (l->ctl_fd >= 0) {
			ctl_at = nfds;
			fds[nfds++] = (struct pollfd){.fd = l->ctl_fd, .events = POLLIN};
		}
		for (i = 0; i < EMU_VPCD_CTL_PEERS; i++)
			fds[nfds++] = (struct pollfd){.fd = l->ctl[i].fd, .events = POLLIN};
		if (poll(fds, nfds, emu_vpcd_timeout(l)) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "kinko-token-emu: poll: %s\n", strerror(errno));
			return -1;
		}
		if (fds[0].revents)
			emu_vpcd_events(l);
		if (l->connecting && mono_now_ms() >= l->connect_deadline_ms)
			emu_vpcd_failed(l);
		if (link_at && fds[link_at].revents && l->fd >= 0) {
			if (l->connecting)
				emu_vpcd_connect_done(l);
			else if (l->rx.out_len)
				emu_vpcd_send(l);
			else
				emu_vpcd_receive(l);
		}
		for (i = 0; i < EMU_VPCD_CTL_PEERS; i++)
			if (l->ctl[i].fd >= 0 && fds[nfds - EMU_VPCD_CTL_PEERS + i].revents)
				emu_vpcd_ctl_read(l, &l->ctl[i]);
		if (ctl_at && (fds[ctl_at].revents & POLLIN))
			emu_vpcd_ctl_accept(l);
	}
	return 0;
}

static int emu_vpcd_resolve(emu_vpcd_link *l)
{
	struct addrinfo hints;
	char host[256], port[8];
	int r;

	if (emu_vpcd_addr_parse(l->opts->vpcd, host, sizeof(host), port, sizeof(port)) != 0) {
		emu_cli_error(_("--vpcd takes HOST:PORT\n"));
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	r = getaddrinfo(host, port, &hints, &l->addr);
	if (r != 0) {
		emu_cli_error(_("cannot resolve %s: %s\n"), l->opts->vpcd, gai_strerror(r));
		return -1;
	}
	return 0;
}

int emu_vpcd_run(piv_applet *applet, const emu_vpcd_opts *opts)
{
	emu_vpcd_link l;
	size_t i;
	int rc = -1;
	bool card_ready = false, rx_ready = false;

	memset(&l, 0, sizeof(l));
	l.opts = opts;
	l.fd = -1;
	l.ctl_fd = -1;
	l.backoff_ms = EMU_VPCD_BACKOFF_MIN_MS;
	for (i = 0; i < EMU_VPCD_CTL_PEERS; i++)
		l.ctl[i].fd = -1;
	if (emu_vpcd_resolve(&l) != 0)
		goto out;
	card_ready = emu_card_init(&l.card, applet, !opts->start_absent) == 0;
	rx_ready = card_ready && emu_vpcd_rx_init(&l.rx, &l.card) == 0;
	if (!rx_ready) {
		emu_cli_error(_("out of memory\n"));
		goto out;
	}
	if (opts->control_path) {
		l.ctl_fd = emu_listen(opts->control_path, &l.own_ctl);
		if (l.ctl_fd < 0)
			goto out;
	}
	rc = emu_vpcd_loop(&l);
out:
	if (l.fd >= 0)
		close(l.fd);
	for (i = 0; i < EMU_VPCD_CTL_PEERS; i++)
		if (l.ctl[i].fd >= 0)
			close(l.ctl[i].fd);
	if (l.ctl_fd >= 0)
		close(l.ctl_fd);
	if (l.own_ctl)
		unlink(opts->control_path);
	if (rx_ready)
		emu_vpcd_rx_cleanup(&l.rx);
	if (card_ready)
		emu_card_cleanup(&l.card);
	if (l.addr)
		freeaddrinfo(l.addr);
	return rc;
}
