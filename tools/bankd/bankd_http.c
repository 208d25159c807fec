/* HTTPS with libevent: every connection is an OpenSSL bufferevent; evhttp parses HTTP. */
#include "bankd_http.h"
#include "bankd_admin.h"
#include "bankd_cli.h"
#include "bankd_contract.h"
#include "bankd_est.h"
#include "bankd_html.h"
#include "bankd_logon.h"
#include "bankd_util.h"
#include "bankd_worker.h"
#include "i18n.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

typedef void (*handler_fn)(bankd_req *r);

typedef struct http_route {
	enum evhttp_cmd_type method;
	const char *path;
	int prefix; /* path is a prefix: the handler parses the rest */
	handler_fn fn;
} http_route;

static const http_route routes[] = {
	{EVHTTP_REQ_GET, "/.well-known/est/cacerts", 0, bankd_est_cacerts},
	{EVHTTP_REQ_POST, "/.well-known/est/simpleenroll", 0, bankd_est_simpleenroll},
	{EVHTTP_REQ_POST, "/.well-known/est/simplereenroll", 0, bankd_est_simplereenroll},
	{EVHTTP_REQ_GET, "/crl", 0, bankd_est_crl},
	{EVHTTP_REQ_POST, "/api/logon", 0, bankd_logon_start},
	{EVHTTP_REQ_POST, "/api/logon/otp", 0, bankd_logon_otp},
	{EVHTTP_REQ_GET, "/api/status", 0, bankd_logon_status},
	{EVHTTP_REQ_POST, "/api/logoff", 0, bankd_logon_logoff},
	{EVHTTP_REQ_GET, "/api/admin/users", 0, bankd_admin_list},
	{EVHTTP_REQ_POST, "/api/admin/users", 0, bankd_admin_put},
	{EVHTTP_REQ_POST, "/api/admin/users/", 1, bankd_admin_user_op},
	{EVHTTP_REQ_GET, "/", 0, bankd_html_logon},
	{EVHTTP_REQ_GET, "/status", 0, bankd_html_status},
	{EVHTTP_REQ_POST, "/logon", 0, bankd_html_logon_post},
	{EVHTTP_REQ_POST, "/logon/otp", 0, bankd_html_otp_post},
	{EVHTTP_REQ_POST, "/logoff", 0, bankd_html_logoff_post},
	{EVHTTP_REQ_GET, "/certificate", 0, bankd_html_certificate},
	{EVHTTP_REQ_GET, "/admin", 0, bankd_html_admin},
	{EVHTTP_REQ_GET, "/admin/users", 0, bankd_html_admin_users},
	{EVHTTP_REQ_POST, "/admin/users", 0, bankd_html_admin_register_post},
	{EVHTTP_REQ_GET, "/admin/users/", 1, bankd_html_admin_user},
	{EVHTTP_REQ_POST, "/admin/users/", 1, bankd_html_admin_user_post},
};

const char *bankd_http_header(bankd_req *r, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(r->req), name);
}

void bankd_http_add_header(bankd_req *r, const char *name, const char *value)
{
	evhttp_add_header(evhttp_request_get_output_headers(r->req), name, value);
}

static const char *method_name(enum evhttp_cmd_type m)
{
	switch (m) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_POST: return "POST";
	default: return "OTHER";
	}
}

static void log_line(bankd_req *r, int code)
{
	/* Method, path, status and client CN only: never headers, bodies or query strings. */
	char when[32];
	time_t t = time(NULL);
	struct tm tm;
	char path[128];
	size_t i;
	const char *p;

	gmtime_r(&t, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	i = 0;
	for (p = r->path; *p && i < sizeof path - 1; p++)
		path[i++] = (*p > 0x20 && *p < 0x7f) ? *p : '?';
	path[i] = '\0';
	fprintf(stderr, "%s %s %s %d %s\n", when, method_name(evhttp_request_get_command(r->req)),
	        path, code, r->peer_cn[0] ? r->peer_cn : "-");
}

static void send_now(bankd_req *r, int code, const char *ctype, const void *body, size_t n)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
	char len[24];
	struct evbuffer *b;
	struct evhttp_connection *c;
	struct bufferevent *bev;

	evhttp_add_header(h, "Content-Type", ctype);
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Strict-Transport-Security", "max-age=31536000");
	/* Texts follow the request's language (bankd_lang.h); certificates and CRLs do not. */
	if (strncmp(ctype, "text/", 5) == 0 || strcmp(ctype, "application/json") == 0)
		evhttp_add_header(h, "Vary", "Accept-Language, Cookie");
	/* libevent leaves Content-Length out of HTTP/1.0 replies that close the connection; a 1.0
	 * client could then not tell a truncated reply from a whole one. */
	snprintf(len, sizeof len, "%zu", n);
	evhttp_add_header(h, "Content-Length", len);
	b = evbuffer_new();
	if (b != NULL && n > 0)
		evbuffer_add(b, body, n);
	log_line(r, code);
	/* A 401 to a POST is a wrong secret, credential or OTP: counted against the address. */
	if (code == 401 && r->addr_len > 0 && evhttp_request_get_command(r->req) == EVHTTP_REQ_POST)
		bankd_ratelimit_failed(r->srv->ratelimit, (struct sockaddr *)&r->addr, r->addr_len);
	c = evhttp_request_get_connection(r->req);
	bev = c != NULL ? evhttp_connection_get_bufferevent(c) : NULL;
	evhttp_send_reply(r->req, code, NULL, b);
	evbuffer_free(b);
	/* Headers and body sit in separate chains and would go out as two TLS records, the second
	 * held back by Nagle until the client's delayed ACK (~40 ms per keep-alive request): one
	 * contiguous chain is one SSL_write, one record. */
	if (bev != NULL)
		evbuffer_pullup(bufferevent_get_output(bev), -1);
}

void bankd_http_reply(bankd_req *r, int code, const char *ctype, const void *body, size_t n)
{
	if (r->replied)
		return;
	r->replied = 1;
	if (!r->deferred) {
		send_now(r, code, ctype, body, n);
		return;
	}
	/* libevent is the loop's: the worker leaves the reply for it (job_done). */
	r->out_code = code;
	r->out_ctype = strdup(ctype);
	r->out_body = malloc(n > 0 ? n : 1);
	if (r->out_ctype == NULL || r->out_body == NULL) {
		r->out_code = 500;
		r->out_len = 0;
		return;
	}
	memcpy(r->out_body, body, n);
	r->out_len = n;
}

/* Replies are small and whole: nothing gains from Nagle's wait. Idempotent, so it is set at
 * each request rather than tracked per connection (libevent 2.1 gives no accept hook). */
static void no_delay(struct evhttp_request *req)
{
	struct evhttp_connection *c = evhttp_request_get_connection(req);
	struct bufferevent *bev = c != NULL ? evhttp_connection_get_bufferevent(c) : NULL;
	evutil_socket_t fd = bev != NULL ? bufferevent_getfd(bev) : -1;
	int one = 1;
	if (fd >= 0)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void peer_of(bankd_req *r)
{
	struct evhttp_connection *c = evhttp_request_get_connection(r->req);
	struct bufferevent *bev = c != NULL ? evhttp_connection_get_bufferevent(c) : NULL;
	SSL *ssl = bev != NULL ? bufferevent_openssl_get_ssl(bev) : NULL;
	X509_NAME *n;
	int i;
	ASN1_STRING *s;
	const unsigned char *d;
	int len;
	size_t o;
	int k;

	r->peer = ssl != NULL ? SSL_get0_peer_certificate(ssl) : NULL;
	if (r->peer == NULL)
		return;
	n = X509_get_subject_name(r->peer);
	i = X509_NAME_get_index_by_NID(n, NID_commonName, -1);
	s = i >= 0 ? X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i)) : NULL;
	d = s != NULL ? ASN1_STRING_get0_data(s) : NULL;
	len = s != NULL ? ASN1_STRING_length(s) : 0;
	o = 0;
	for (k = 0; d != NULL && k < len && o < sizeof r->peer_cn - 1; k++)
		r->peer_cn[o++] = (d[k] > 0x20 && d[k] < 0x7f) ? (char)d[k] : '?';
	r->peer_cn[o] = '\0';
	if (o == 0)
		snprintf(r->peer_cn, sizeof r->peer_cn, "?");
}

/* libevent closes without a TLS close_notify, so a client cannot tell the end of a reply from a
 * cut connection. The close callback runs before the bufferevent (and socket) is freed. */
static void close_notify(struct evhttp_connection *c, void *arg)
{
	struct bufferevent *bev;
	SSL *ssl;

	(void)arg;
	bev = evhttp_connection_get_bufferevent(c);
	ssl = bev != NULL ? bufferevent_openssl_get_ssl(bev) : NULL;
	if (ssl != NULL && SSL_is_init_finished(ssl) &&
	    !(SSL_get_shutdown(ssl) & SSL_SENT_SHUTDOWN))
		(void)SSL_shutdown(ssl);
	ERR_clear_error();
}

/* Every secret-checking endpoint is a POST: from an address with too many failures in the
 * last minute they are refused before any secret is looked at (or any scrypt run). */
static int refuse_rate_limited(bankd_req *r)
{
	struct evhttp_connection *c = evhttp_request_get_connection(r->req);
	struct bufferevent *bev = c != NULL ? evhttp_connection_get_bufferevent(c) : NULL;
	evutil_socket_t fd = bev != NULL ? bufferevent_getfd(bev) : -1;
	unsigned wait;
	char secs[16], en[160], msg[320];
	int pass;

	r->addr_len = sizeof r->addr;
	if (fd < 0 || getpeername(fd, (struct sockaddr *)&r->addr, &r->addr_len) != 0)
		r->addr_len = 0;
	if (r->addr_len == 0 || evhttp_request_get_command(r->req) != EVHTTP_REQ_POST)
		return 0;
	wait = bankd_ratelimit_wait(r->srv->ratelimit, (struct sockaddr *)&r->addr, r->addr_len);
	if (wait == 0)
		return 0;
	snprintf(secs, sizeof secs, "%u", wait);
	/* The same sentence in English ("error") and in the request's language ("message"). */
	for (pass = 0; pass < 2; pass++) {
		locale_t old = pass == 0 ? bankd_lang_enter(BANKD_LANG_EN) : (locale_t)0;
		snprintf(
			pass == 0 ? en : msg, pass == 0 ? sizeof en : sizeof msg,
			_("too many failed logons or enrollments from this address; try again in %u s"),
			wait);
		bankd_lang_leave(old);
	}
	bankd_http_add_header(r, "Retry-After", secs);
	if (strncmp(r->path, "/api/", 5) == 0)
		bankd_http_json_error_msg(r, 429, en, msg);
	else
		bankd_http_text(r, 429, msg);
	return 1;
}

/* A POST that a browser says another site's page sent (Fetch Metadata, sent by every current
 * browser): refused before anything is looked at. The forms have their csrf values; this also
 * covers the JSON API and EST, which take none, where a foreign page could otherwise make the
 * browser post wrong PINs under the user's client certificate (TLS client authentication is
 * not bound by SameSite) and lock the contract. Programs (kinko, curl) send no such header. */
static int refuse_cross_site(bankd_req *r)
{
	const char *site = bankd_http_header(r, "Sec-Fetch-Site");

	if (evhttp_request_get_command(r->req) != EVHTTP_REQ_POST || site == NULL ||
	    strcmp(site, "same-origin") == 0 || strcmp(site, "none") == 0)
		return 0;
	if (strncmp(r->path, "/api/", 5) == 0)
		bankd_http_json_error(r, 403, N_("refused: another site's page sent this request"));
	else if (strncmp(r->path, "/.well-known/", 13) == 0)
		bankd_http_text(r, 403, N_("refused: another site's page sent this request"));
	else
		bankd_html_cross_site(r);
	return 1;
}

/* A request handed to the worker: the request as the handler sees it, and the handler. */
typedef struct http_job {
	bankd_req r;
	handler_fn fn;
} http_job;

static void job_free(http_job *j)
{
	OPENSSL_cleanse(j->r.body, j->r.body_len);
	free(j->r.body);
	if (j->r.out_body != NULL)
		OPENSSL_cleanse(j->r.out_body, j->r.out_len);
	free(j->r.out_body);
	free(j->r.out_ctype);
	X509_free(j->r.peer);
	free(j);
}

static void job_run(void *arg)
{
	http_job *j = arg;
	locale_t old = bankd_lang_enter(j->r.lang);
	j->fn(&j->r);
	if (!j->r.replied)
		bankd_http_text(&j->r, 405, N_("method not allowed"));
	bankd_lang_leave(old);
}

static void job_done(void *arg)
{
	http_job *j = arg;
	send_now(&j->r, j->r.out_code,
	         j->r.out_ctype != NULL ? j->r.out_ctype : "text/plain; charset=utf-8",
	         j->r.out_body != NULL ? j->r.out_body : "",
	         j->r.out_body != NULL ? j->r.out_len : 0);
	job_free(j);
}

/* At shutdown: never answered. A request whose connection has gone is no longer evhttp's. */
static void job_drop(void *arg)
{
	http_job *j = arg;
	if (evhttp_request_get_connection(j->r.req) == NULL)
		evhttp_request_free(j->r.req);
	job_free(j);
}

int bankd_http_worker_start(bankd_server *srv, struct event_base *base)
{
	srv->worker = bankd_worker_new(base, job_run, job_done);
	return srv->worker != NULL ? 0 : -1;
}

void bankd_http_worker_stop(bankd_server *srv)
{
	bankd_worker_free(srv->worker, job_drop);
	srv->worker = NULL;
}

/* Handlers that run scrypt or SQLite go to the worker, so the loop never waits on them. The
 * request stays alive meanwhile: evhttp frees an incoming request only once it is answered,
 * and the client certificate is held by a reference of our own. */
static int defer(bankd_req *r, handler_fn fn)
{
	http_job *j;

	if (r->srv->worker == NULL)
		return -1;
	j = calloc(1, sizeof *j);
	if (j == NULL)
		return -1;
	j->r = *r;
	j->r.deferred = 1;
	j->fn = fn;
	if (j->r.peer != NULL)
		X509_up_ref(j->r.peer);
	if (bankd_worker_push(r->srv->worker, j) != 0) {
		X509_free(j->r.peer);
		free(j);
		return -1;
	}
	return 0;
}

/* Routes a request whose language is chosen and in force. */
static void route(bankd_req *r)
{
	struct evbuffer *in;
	size_t n;
	enum evhttp_cmd_type m;
	int path_known;
	size_t i;

	peer_of(r);
	if (refuse_rate_limited(r) || refuse_cross_site(r))
		return;
	in = evhttp_request_get_input_buffer(r->req);
	n = evbuffer_get_length(in);
	if (n > BANKD_MAX_BODY) {
		bankd_http_text(r, 413, N_("request body too large (16 KiB at most)"));
		return;
	}
	r->body = malloc(n + 1);
	if (r->body == NULL) {
		bankd_http_text(r, 500, N_("internal error"));
		return;
	}
	r->body_len = n;
	evbuffer_remove(in, r->body, n);
	r->body[n] = '\0';
	m = evhttp_request_get_command(r->req);
	path_known = 0;
	for (i = 0; i < sizeof routes / sizeof routes[0] && !r->replied; i++) {
		const http_route *rt = &routes[i];
		int match = rt->prefix ? strncmp(r->path, rt->path, strlen(rt->path)) == 0 :
		                         strcmp(r->path, rt->path) == 0;
		if (!match)
			continue;
		path_known = 1;
		if (rt->method == m && rt->fn != bankd_est_cacerts && defer(r, rt->fn) == 0)
			return; /* the job owns the body now */
		if (rt->method == m)
			rt->fn(r);
	}
	if (!r->replied)
		bankd_http_text(r, path_known ? 405 : 404,
		                path_known ? N_("method not allowed") : N_("not found"));
	OPENSSL_cleanse(r->body, r->body_len);
	free(r->body);
}

void bankd_http_dispatch(struct evhttp_request *req, void *arg)
{
	bankd_req r;
	const struct evhttp_uri *uri;
	const char *query;
	bankd_lang asked;
	locale_t old;

	memset(&r, 0, sizeof r);
	r.req = req;
	r.srv = arg;
	r.now = bankd_now();
	no_delay(req);
	if (evhttp_request_get_connection(req) != NULL)
		bankd_conns_request_done(
			evhttp_connection_get_bufferevent(evhttp_request_get_connection(req)));
	if (evhttp_request_get_connection(req) != NULL)
		evhttp_connection_set_closecb(evhttp_request_get_connection(req), close_notify,
		                              NULL);
	uri = evhttp_request_get_evhttp_uri(req);
	r.path = uri != NULL && evhttp_uri_get_path(uri) != NULL ? evhttp_uri_get_path(uri) : "/";
	query = uri != NULL ? evhttp_uri_get_query(uri) : NULL;
	r.lang_asked = bankd_lang_from_query(query, &asked) == 0;
	r.lang = bankd_lang_choose(query, bankd_http_header(&r, "Cookie"),
	                           bankd_http_header(&r, "Accept-Language"));
	old = bankd_lang_enter(r.lang);
	route(&r);
	bankd_lang_leave(old);
}
