/* kinko-bankd serve: the TLS context, the listening socket, the limits and the event loop
 * that hands every request to bankd_http_dispatch, until SIGTERM or SIGINT. */
#include "bankd_http.h"
#include "bankd_attest.h"
#include "bankd_cli.h"
#include "bankd_contract.h"
#include "bankd_util.h"
#include "i18n.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <openssl/ssl.h>

static struct bufferevent *ssl_bev(struct event_base *base, void *arg)
{
	bankd_server *srv = arg;
	SSL *ssl = SSL_new(srv->ssl);
	struct bufferevent *bev;

	if (ssl == NULL)
		return NULL;
	bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
	                                     BEV_OPT_CLOSE_ON_FREE);
	if (bev != NULL && srv->conns != NULL)
		(void)bankd_conns_attach(srv->conns, bev, ssl);
	/* Clients (curl among them) often close without close_notify: that ends the connection like
	 * an EOF instead of an error. The server itself always sends one (close_notify()). */
	if (bev != NULL)
		bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

/* The chain is checked per request against the CA at the bank's clock (which tests move), and
 * a bad certificate then gets a refusal in words instead of a TLS alert. The handshake still
 * proves possession of the key (CertificateVerify). */
static int accept_chain(X509_STORE_CTX *ctx, void *arg)
{
	(void)ctx;
	(void)arg;
	return 1;
}

static SSL_CTX *tls_context(const char *dir)
{
	char crt[4096], key[4096], ca[4096];
	SSL_CTX *ctx;
	STACK_OF(X509_NAME) * names;
	int ok;

	snprintf(crt, sizeof crt, "%s/server.crt", dir);
	snprintf(key, sizeof key, "%s/server.key", dir);
	snprintf(ca, sizeof ca, "%s/ca.crt", dir);
	ctx = SSL_CTX_new(TLS_server_method());
	names = SSL_load_client_CA_file(ca);
	ok = ctx != NULL && names != NULL &&
	     SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1 &&
	     SSL_CTX_use_certificate_chain_file(ctx, crt) == 1 &&
	     SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) == 1 &&
	     SSL_CTX_check_private_key(ctx) == 1 &&
	     SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"kinko-bankd", 11) == 1;
	if (!ok) {
		bankd_cli_msg_print(_("cannot set up TLS from %s"), dir);
		sk_X509_NAME_pop_free(names, X509_NAME_free);
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_client_CA_list(ctx, names);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_cert_verify_callback(ctx, accept_chain, NULL);
	return ctx;
}

static int split_listen(const char *listen, char *host, size_t hlen, unsigned *port)
{
	const char *colon = strrchr(listen, ':');
	const char *h;
	size_t n;
	char *end;
	unsigned long p;

	if (colon == NULL || colon == listen)
		return -1;
	h = listen;
	n = (size_t)(colon - listen);
	if (*h == '[' && n >= 2 && h[n - 1] == ']') {
		h++;
		n -= 2;
	}
	p = strtoul(colon + 1, &end, 10);
	if (n == 0 || n >= hlen || *end != '\0' || colon[1] == '\0' || p > 65535)
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	*port = (unsigned)p;
	return 0;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	event_base_loopexit(arg, NULL);
}

static int bound_port(struct evhttp_bound_socket *h, unsigned *port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	if (getsockname(evhttp_bound_socket_get_fd(h), (struct sockaddr *)&ss, &len) != 0)
		return -1;
	if (ss.ss_family == AF_INET)
		*port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	else
		*port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

/* KINKO_BANKD_AUTH_FAIL_LIMIT (tests only) replaces the default of --auth-fail-limit: the test
 * suite's clients all come from 127.0.0.1 and fail on purpose. */
static unsigned auth_fail_default(void)
{
	const char *e = getenv("KINKO_BANKD_AUTH_FAIL_LIMIT");
	unsigned long n;

	if (e == NULL || bankd_count_parse(e, '0', 1000000, &n) != 0)
		return BANKD_AUTH_FAIL_LIMIT;
	return (unsigned)n;
}

static int run_loop(bankd_server *srv, const bankd_serve_opts *o)
{
	char host[256];
	unsigned port;
	struct event_base *base;
	struct evhttp *http;
	struct event *term;
	struct event *intr;
	struct evhttp_bound_socket *bound;
	int rc;
	size_t max;
	unsigned limit;
	char url[512];

	if (split_listen(o->listen, host, sizeof host, &port) != 0) {
		bankd_cli_msg_print(_("--listen wants HOST:PORT"));
		return BANKD_EXIT_USAGE;
	}
	base = event_base_new();
	http = base != NULL ? evhttp_new(base) : NULL;
	term = base != NULL ? evsignal_new(base, SIGTERM, on_signal, base) : NULL;
	intr = base != NULL ? evsignal_new(base, SIGINT, on_signal, base) : NULL;
	bound = NULL;
	rc = BANKD_EXIT_FAIL;
	if (http == NULL || term == NULL || intr == NULL || event_add(term, NULL) != 0 ||
	    event_add(intr, NULL) != 0)
		goto out;
	evhttp_set_bevcb(http, ssl_bev, srv);
	evhttp_set_gencb(http, bankd_http_dispatch, srv);
	evhttp_set_max_body_size(http, BANKD_MAX_BODY);
	evhttp_set_max_headers_size(http, BANKD_MAX_HEADERS);
	evhttp_set_timeout(http, 30);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	bound = evhttp_bind_socket_with_handle(http, host, (ev_uint16_t)port);
	if (bound == NULL || bound_port(bound, &port) != 0) {
		bankd_cli_msg_print(_("cannot listen on %s"), o->listen);
		goto out;
	}
	max = o->max_connections > 0 ? o->max_connections : bankd_conns_default_max();
	srv->conns = bankd_conns_new(base, evhttp_bound_socket_get_listener(bound), max);
	limit = o->auth_fail_limit >= 0 ? (unsigned)o->auth_fail_limit : auth_fail_default();
	srv->ratelimit = bankd_ratelimit_new(limit);
	(void)bankd_http_worker_start(srv, base);
	if (srv->conns == NULL || srv->ratelimit == NULL || srv->worker == NULL)
		goto out;
	if (o->public_url != NULL)
		snprintf(url, sizeof url, "%s", o->public_url);
	else
		snprintf(url, sizeof url, "https://%s:%u", srv->bank.server_name, port);
	snprintf(srv->crl_url, sizeof srv->crl_url, "%s/crl", url);
	if (o->port_file != NULL) {
		FILE *f = fopen(o->port_file, "w");
		if (f == NULL || fprintf(f, "%u\n", port) < 0 || fclose(f) != 0) {
			bankd_cli_msg_print(_("cannot write %s"), o->port_file);
			goto out;
		}
	}
	/* TRANSLATORS: bank code, host, port, the CRL's URL, the connection limit. */
	bankd_cli_msg_print(_("bank %s serving on %s port %u (CRL at %s; at most %zu connections)"),
	                    srv->bank.code, host, port, srv->crl_url, max);
	rc = event_base_dispatch(base) == 0 ? BANKD_EXIT_OK : BANKD_EXIT_FAIL;
	bankd_cli_msg_print(_("stopped"));
out:
	if (term != NULL)
		event_free(term);
	if (intr != NULL)
		event_free(intr);
	/* Before evhttp_free: no handler runs on a request it frees. */
	bankd_http_worker_stop(srv);
	/* Before evhttp_free: the connections it frees then no longer touch the listener it frees. */
	bankd_conns_free(srv->conns);
	srv->conns = NULL;
	if (http != NULL)
		evhttp_free(http);
	if (base != NULL)
		event_base_free(base);
	return rc;
}

int bankd_http_serve(const bankd_serve_opts *o)
{
	bankd_server srv;
	int rc;

	if (bankd_now_check() != 0) {
		fprintf(stderr,
		        "kinko-bankd: KINKO_BANKD_NOW must be epoch seconds or YYYY-MM-DD\n");
		return BANKD_EXIT_USAGE;
	}
	memset(&srv, 0, sizeof srv);
	rc = BANKD_EXIT_FAIL;
	bankd_lang_init(); /* before the worker thread: it may warn, and it changes the environment */
	if (bankd_contract_open_db(o->dir, &srv.db) != 0 ||
	    bankd_db_bank_get(srv.db, &srv.bank) != 0 || bankd_ca_load(o->dir, &srv.ca) != 0 ||
	    bankd_attest_roots_load(o->dir, &srv.attest_roots) < 0 ||
	    (srv.ssl = tls_context(o->dir)) == NULL)
		goto out;
	signal(SIGPIPE, SIG_IGN);
	rc = run_loop(&srv, o);
out:
	bankd_ratelimit_free(srv.ratelimit);
	SSL_CTX_free(srv.ssl);
	bankd_ca_free(&srv.ca);
	X509_STORE_free(srv.attest_roots);
	bankd_db_close(srv.db);
	return rc;
}
