/* Connection accounting: the cap on open connections and the pause after EMFILE. Each
 * connection's record hangs on its SSL object (ex_data), whose free is the one hook libevent 2.1
 * offers for every connection's end, requests or not. */
#include "bankd_conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <openssl/crypto.h>

/* After accept() fails for want of descriptors: retry after this long. */
#define PAUSE_MS 200
/* At most one log line of each kind per interval. */
#define LOG_INTERVAL 10

typedef enum { WAITING, HEADERS, BODY } conn_state;

typedef struct bankd_conn {
	bankd_conns *cs; /* NULL once the server is gone */
	struct bankd_conn *prev, *next;
	struct bufferevent *bev;
	struct event *deadline;
	conn_state state;
	int newline; /* the last byte other than CR was LF: a second one ends the headers */
	struct timeval body_start;
	size_t body_bytes;
} bankd_conn;

struct bankd_conns {
	struct event_base *base;
	struct evconnlistener *lev;
	struct event *resume;
	bankd_conn *list;
	size_t open, max;
	int paused;               /* accept() failed: waiting for resume */
	int listening;            /* the listener's state, as last set */
	unsigned long failures;   /* accept() failures not yet logged */
	time_t failures_logged;   /* when they were last logged */
	unsigned long full_waits; /* times the cap was reached, not yet logged */
	time_t full_logged;
};

static int ex_index = -1;
/* The listener's user data is evhttp's, so its error callback finds the record here: the
 * server has one listener. */
static bankd_conns *listener_conns;

static void stamp(char *when, size_t n)
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(when, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A time-stamped log line, unless the last of its kind (*logged) is less than LOG_INTERVAL
 * old: 1 when written, so that the caller restarts its count. */
static int log_limited(time_t *logged, time_t now, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int log_limited(time_t *logged, time_t now, const char *fmt, ...)
{
	char when[32], msg[512];
	va_list ap;

	if (now - *logged < LOG_INTERVAL)
		return 0;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	stamp(when, sizeof when);
	fprintf(stderr, "%s kinko-bankd: %s\n", when, msg);
	*logged = now;
	return 1;
}

/* Accepting is on exactly when no pause is running and the cap is not reached. */
static void update_listener(bankd_conns *cs)
{
	int want = !cs->paused && cs->open < cs->max;
	if (want == cs->listening)
		return;
	if (want ? evconnlistener_enable(cs->lev) : evconnlistener_disable(cs->lev))
		return;
	cs->listening = want;
	if (!want && !cs->paused) {
		time_t now = time(NULL);
		cs->full_waits++;
		if (log_limited(
			    &cs->full_logged, now,
			    "%zu connections open, the limit (--max-connections): new connections "
			    "wait (reached %lu times in the last %d s)",
			    cs->open, cs->full_waits, LOG_INTERVAL))
			cs->full_waits = 0;
	}
}

static void conn_unlink(bankd_conn *c)
{
	bankd_conns *cs = c->cs;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		cs->list = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	cs->open--;
	c->cs = NULL;
	event_free(c->deadline);
	c->deadline = NULL;
}

static void conn_ex_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
                         void *argp)
{
	bankd_conn *c;
	bankd_conns *cs;

	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	c = ptr;
	if (c == NULL)
		return;
	cs = c->cs;
	if (cs != NULL) {
		conn_unlink(c);
		update_listener(cs);
	}
	free(c);
}

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
	bankd_conns *cs;

	(void)fd;
	(void)what;
	cs = arg;
	cs->paused = 0;
	update_listener(cs);
}

/* Without this callback libevent logs every failed accept() and retries at once: with the
 * descriptors exhausted that is a busy loop writing a line per turn. */
static void on_accept_error(struct evconnlistener *lev, void *arg)
{
	bankd_conns *cs;
	int err;
	time_t now;
	struct timeval tv = {0, PAUSE_MS * 1000};

	(void)lev;
	(void)arg;
	cs = listener_conns;
	err = EVUTIL_SOCKET_ERROR();
	now = time(NULL);
	cs->failures++;
	if (log_limited(&cs->failures_logged, now,
	                "cannot accept connections: %s (%lu failed accepts in the last %d s); "
	                "pausing accepts for %d ms at a time",
	                evutil_socket_error_to_string(err), cs->failures, LOG_INTERVAL, PAUSE_MS))
		cs->failures = 0;
	cs->paused = 1;
	update_listener(cs);
	event_add(cs->resume, &tv);
}

static void peer_name(struct bufferevent *bev, char *out, size_t n)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	evutil_socket_t fd = bufferevent_getfd(bev);
	snprintf(out, n, "?");
	if (fd < 0 || getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
		return;
	if (ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, out, (socklen_t)n);
	else if (ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, out, (socklen_t)n);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	bankd_conn *c;
	bufferevent_event_cb eventcb;
	char peer[INET6_ADDRSTRLEN], when[32];

	(void)fd;
	(void)what;
	c = arg;
	eventcb = NULL;
	/* bufferevent_free() clears the callbacks before the SSL object (and c) goes: a connection
	 * that libevent is already closing is left to it. */
	bufferevent_getcb(c->bev, NULL, NULL, &eventcb, NULL);
	if (eventcb == NULL)
		return;
	peer_name(c->bev, peer, sizeof peer);
	stamp(when, sizeof when);
	if (c->state == BODY)
		fprintf(stderr,
		        "%s kinko-bankd: closed the connection from %s: request body not complete "
		        "within %d s + 1 s per 4 KiB\n",
		        when, peer, BANKD_HEADER_TIMEOUT);
	else
		fprintf(stderr,
		        "%s kinko-bankd: closed the connection from %s: request headers not "
		        "complete within %d s\n",
		        when, peer, BANKD_HEADER_TIMEOUT);
	/* The same path as libevent's own read timeout: evhttp drops the connection. c may be
	 * freed inside. */
	bufferevent_trigger_event(c->bev, BEV_EVENT_READING | BEV_EVENT_TIMEOUT, 0);
}

static void arm(bankd_conn *c, const struct timeval *from, long extra_s)
{
	struct timeval now, at = {from->tv_sec + BANKD_HEADER_TIMEOUT + extra_s, from->tv_usec},
			    left;
	event_base_gettimeofday_cached(c->cs->base, &now);
	if (evutil_timercmp(&at, &now, <))
		evutil_timerclear(&left);
	else
		evutil_timersub(&at, &now, &left);
	event_add(c->deadline, &left);
}

/* Sees every byte of the request as the TLS layer delivers it, before evhttp parses it: a
 * request's headers must end (an empty line) within BANKD_HEADER_TIMEOUT of its first byte
 * (of the connection, for the first request), its body within as long again plus 1 s per
 * 4 KiB received. evhttp's own timeout measures inactivity only: a byte now and then kept
 * a connection forever. */
static void on_input(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	bankd_conn *c = arg;
	struct timeval now;
	size_t len;
	size_t n;
	struct evbuffer_ptr pos;
	struct evbuffer_iovec v[8];
	int nv;
	size_t seen;
	int i;

	if (info->n_added == 0 || c->cs == NULL)
		return;
	event_base_gettimeofday_cached(c->cs->base, &now);
	if (c->state == WAITING) {
		c->state = HEADERS;
		c->newline = 0;
		arm(c, &now, 0);
	}
	if (c->state == BODY) {
		c->body_bytes += info->n_added;
		arm(c, &c->body_start, (long)(c->body_bytes / 4096));
		return;
	}
	len = evbuffer_get_length(buf);
	n = info->n_added <= len ? info->n_added : len;
	if (evbuffer_ptr_set(buf, &pos, len - n, EVBUFFER_PTR_SET) != 0)
		return;
	nv = evbuffer_peek(buf, (ev_ssize_t)n, &pos, v, 8);
	seen = 0;
	for (i = 0; i < nv && i < 8 && c->state == HEADERS; i++) {
		const unsigned char *p = v[i].iov_base;
		size_t k;

		for (k = 0; k < v[i].iov_len && seen < n; k++, seen++) {
			if (p[k] == '\n') {
				if (c->newline) {
					c->state = BODY;
					c->body_start = now;
					c->body_bytes = n - seen - 1;
					arm(c, &now, (long)(c->body_bytes / 4096));
					break;
				}
				c->newline = 1;
			} else if (p[k] != '\r') {
				c->newline = 0;
			}
		}
	}
}

void bankd_conns_request_done(struct bufferevent *bev)
{
	SSL *ssl = bev != NULL ? bufferevent_openssl_get_ssl(bev) : NULL;
	bankd_conn *c = ssl != NULL && ex_index >= 0 ? SSL_get_ex_data(ssl, ex_index) : NULL;
	if (c == NULL || c->cs == NULL)
		return;
	c->state = WAITING;
	event_del(c->deadline);
}

size_t bankd_conns_default_max(void)
{
	struct rlimit rl;
	size_t lim;
	size_t max;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur > 1048576)
		return 1048576 - BANKD_FD_RESERVE;
	lim = (size_t)rl.rlim_cur;
	max = lim >= 2 * BANKD_FD_RESERVE ? lim - BANKD_FD_RESERVE : lim / 2;
	return max > 0 ? max : 1;
}

bankd_conns *bankd_conns_new(struct event_base *base, struct evconnlistener *lev, size_t max)
{
	bankd_conns *cs;

	if (ex_index < 0)
		ex_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, conn_ex_free);
	cs = calloc(1, sizeof *cs);
	if (cs == NULL || ex_index < 0 || max == 0)
		goto fail;
	cs->base = base;
	cs->lev = lev;
	cs->max = max;
	cs->listening = 1;
	cs->resume = evtimer_new(base, on_resume, cs);
	if (cs->resume == NULL)
		goto fail;
	listener_conns = cs;
	evconnlistener_set_error_cb(lev, on_accept_error);
	return cs;
fail:
	free(cs);
	return NULL;
}

void bankd_conns_free(bankd_conns *cs)
{
	if (cs == NULL)
		return;
	evconnlistener_set_error_cb(cs->lev, NULL);
	listener_conns = NULL;
	while (cs->list != NULL)
		conn_unlink(cs->list);
	event_free(cs->resume);
	free(cs);
}

int bankd_conns_attach(bankd_conns *cs, struct bufferevent *bev, SSL *ssl)
{
	bankd_conn *c = calloc(1, sizeof *c);
	struct timeval now;

	if (c == NULL)
		return -1;
	c->bev = bev;
	c->deadline = evtimer_new(cs->base, on_deadline, c);
	if (c->deadline == NULL ||
	    evbuffer_add_cb(bufferevent_get_input(bev), on_input, c) == NULL ||
	    SSL_set_ex_data(ssl, ex_index, c) != 1) {
		if (c->deadline != NULL)
			event_free(c->deadline);
		free(c);
		return -1;
	}
	c->cs = cs;
	c->next = cs->list;
	if (cs->list != NULL)
		cs->list->prev = c;
	cs->list = c;
	cs->open++;
	update_listener(cs);
	/* The TLS handshake and the first request's headers share the first deadline. */
	c->state = HEADERS;
	event_base_gettimeofday_cached(cs->base, &now);
	arm(c, &now, 0);
	return 0;
}
