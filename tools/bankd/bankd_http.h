/* The HTTPS server: libevent evhttp over OpenSSL bufferevents, routing, limits, logging. */
#ifndef KINKO_BANKD_HTTP_H
#define KINKO_BANKD_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>
#include <openssl/ssl.h>

#include "bankd_ca.h"
#include "bankd_conn.h"
#include "bankd_db.h"
#include "bankd_lang.h"
#include "bankd_ratelimit.h"
#include "bankd_worker.h"

#include <sys/socket.h>

#define BANKD_MAX_BODY 16384
#define BANKD_MAX_HEADERS 8192

struct evhttp_request;

typedef struct bankd_server {
	bankd_db *db;
	bankd_ca ca;
	bankd_bank bank;
	char crl_url[600];
	SSL_CTX *ssl;
	bankd_conns *conns;
	bankd_ratelimit *ratelimit;
	bankd_worker *worker;     /* NULL: handlers run on the loop (the fuzzers) */
	X509_STORE *attest_roots; /* the manufacturer CAs trusted (NULL: none configured) */
} bankd_server;

/* One request as the handlers see it. */
typedef struct bankd_req {
	struct evhttp_request *req;
	bankd_server *srv;
	X509 *peer;       /* the TLS client certificate, borrowed; NULL if none */
	char peer_cn[80]; /* printable form for the log */
	time_t now;       /* the bank's clock for this request */
	const char *path;
	char *body; /* NUL-terminated copy of the body, wiped after the handler */
	size_t body_len;
	int replied;
	struct sockaddr_storage addr; /* the client's address, for the failure rate limit */
	socklen_t addr_len;           /* 0 if unknown */
	bankd_lang lang;              /* the answer's language (bankd_lang_choose) */
	int lang_asked;               /* lang= in the query: the pages keep it in a cookie */
	/* On the worker thread the reply is kept here and sent from the loop. */
	int deferred;
	int out_code;
	char *out_ctype, *out_body;
	size_t out_len;
} bankd_req;

typedef struct bankd_serve_opts {
	const char *dir;
	const char *listen;     /* HOST:PORT; PORT 0 picks a free one */
	const char *port_file;  /* gets the port once listening */
	const char *public_url; /* base URL written into certificates (CRL distribution point) */
	size_t max_connections; /* 0: sized from RLIMIT_NOFILE */
	long auth_fail_limit;   /* failed authentications per address and minute; -1: default */
} bankd_serve_opts;

int bankd_http_serve(const bankd_serve_opts *o);
/* evhttp's callback for every request (arg: the bankd_server): routes it to its handler.
 * Public so fuzz/fuzz_bankd_request drives it over a plain socket. */
void bankd_http_dispatch(struct evhttp_request *req, void *arg);
/* Starts the worker thread that runs the handlers needing scrypt or SQLite (serve's, and the
 * request fuzzer's). 0 or -1. */
struct event_base;
int bankd_http_worker_start(bankd_server *srv, struct event_base *base);
/* Stops the worker: requests still queued are dropped unanswered. */
void bankd_http_worker_stop(bankd_server *srv);

const char *bankd_http_header(bankd_req *r, const char *name);
void bankd_http_add_header(bankd_req *r, const char *name, const char *value);
void bankd_http_reply(bankd_req *r, int code, const char *ctype, const void *body, size_t n);
/* bankd_reply.c. text/plain; charset=utf-8, a line: text in English (marked N_), translated
 * into the request's language here, or a sentence already composed in it. */
void bankd_http_text(bankd_req *r, int code, const char *text);
/* application/json; takes the reference to j. */
void bankd_http_json(bankd_req *r, int code, json_t *j);
/* {"error": msg, "message": msg in the request's language}: msg is English (marked N_). */
void bankd_http_json_error(bankd_req *r, int code, const char *msg);
/* The same with the two texts composed by the caller (a sentence with numbers or dates). */
void bankd_http_json_error_msg(bankd_req *r, int code, const char *error, const char *message);
/* The request body as a JSON object (NULL if it is not one). */
json_t *bankd_http_json_body(bankd_req *r);
/* A string member of a JSON object, or NULL. */
const char *bankd_json_member(json_t *j, const char *name);
/* Overwrites every string member (PINs) before the object is freed, and frees it. */
void bankd_json_wipe_free(json_t *j);

#endif
