/* Connection accounting of the HTTPS server: a cap on open connections, pausing accept() when
 * the process runs out of file descriptors, and a deadline for each request. */
#ifndef KINKO_BANKD_CONN_H
#define KINKO_BANKD_CONN_H

#include <stddef.h>

#include <openssl/ssl.h>

struct event_base;
struct evconnlistener;
struct bufferevent;
typedef struct bankd_conns bankd_conns;

/* Seconds a request has for its headers from its first byte (the first request: from the
 * connection), and again for its body, plus 1 s per 4 KiB of body received. */
#define BANKD_HEADER_TIMEOUT 10

/* File descriptors kept back from the connection cap: the database (with its WAL and shm),
 * the log, the listener, files read per request. */
#define BANKD_FD_RESERVE 32

/* RLIMIT_NOFILE minus BANKD_FD_RESERVE (half the limit when it is below twice the reserve). */
size_t bankd_conns_default_max(void);

/* Watches lev: stops accepting while max connections are open, and for a moment after
 * accept() fails for want of file descriptors (logged once per interval, with a count). */
bankd_conns *bankd_conns_new(struct event_base *base, struct evconnlistener *lev, size_t max);
/* Before the base is freed; connections still open are forgotten. */
void bankd_conns_free(bankd_conns *cs);

/* Counts a new connection (its bufferevent, over ssl) until ssl is freed, and watches the
 * deadlines of its requests. */
int bankd_conns_attach(bankd_conns *cs, struct bufferevent *bev, SSL *ssl);
/* A whole request was read (evhttp's request callback): its deadline ends. */
void bankd_conns_request_done(struct bufferevent *bev);

#endif
