/* libFuzzer target for kinko-bankd's request handling as it comes off the network: the input
 * is the raw bytes a client sends (request line, headers, body; several requests on one
 * keep-alive connection if it likes). libevent's evhttp parses them with the server's limits
 * and hands each request to the server's router and handlers (bankd_http_dispatch) over a
 * temporary bank (fuzz_bankd_bank.h): EST with Basic credentials and the confirmation PIN,
 * base64 DER PKCS#10 and the key policy, the JSON API and HTML forms, cookies. Plain TCP on
 * the loopback, no TLS: so no client certificate here (fuzz_bankd_api covers the handlers
 * behind one).
 *
 * An input ends when the server has closed the connection after our end of input and its
 * worker thread has finished every request of it; ASan/UBSan and the leak checker report what
 * goes wrong in between. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/http.h>

#include "bankd_worker.h"
#include "fuzz_bankd_bank.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct event_base *base;
static struct sockaddr_in addr;

/* The requests handed to the server's worker thread whose reply the loop has not sent yet
 * (linked with --wrap=bankd_worker_new,--wrap=bankd_worker_push). The client's end of input
 * can close the connection before the worker is done: an input ends only when both are, so
 * its handler never runs into the next input's database reset. Both change on the loop's
 * thread only. */
static unsigned pending;
static bankd_job_fn real_done;

bankd_worker *__real_bankd_worker_new(struct event_base *b, bankd_job_fn run, bankd_job_fn done);
bankd_worker *__wrap_bankd_worker_new(struct event_base *b, bankd_job_fn run, bankd_job_fn done);
int __real_bankd_worker_push(bankd_worker *w, void *job);
int __wrap_bankd_worker_push(bankd_worker *w, void *job);

static void counted_done(void *job)
{
	real_done(job);
	pending--;
}

bankd_worker *__wrap_bankd_worker_new(struct event_base *b, bankd_job_fn run, bankd_job_fn done)
{
	real_done = done;
	return __real_bankd_worker_new(b, run, counted_done);
}

int __wrap_bankd_worker_push(bankd_worker *w, void *job)
{
	int rc = __real_bankd_worker_push(w, job);
	if (rc == 0)
		pending++;
	return rc;
}

static void need(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_bankd_request: cannot %s\n", what);
		abort();
	}
}

/* The server as bankd_http_serve's run_loop sets it up (limits, methods, the worker thread),
 * less TLS and the connection deadlines. */
static void start_server(struct fuzz_bank *fb)
{
	base = event_base_new();
	struct evhttp *http = base != NULL ? evhttp_new(base) : NULL;
	need(http != NULL, "start libevent");
	evhttp_set_gencb(http, bankd_http_dispatch, &fb->srv);
	evhttp_set_max_body_size(http, BANKD_MAX_BODY);
	evhttp_set_max_headers_size(http, BANKD_MAX_HEADERS);
	evhttp_set_timeout(http, 30);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	struct evhttp_bound_socket *b = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
	socklen_t len = sizeof addr;
	need(bankd_http_worker_start(&fb->srv, base) == 0, "start the worker");
	need(b != NULL && getsockname(evhttp_bound_socket_get_fd(b), (struct sockaddr *)&addr,
	                              &len) == 0,
	     "listen on the loopback");
}

struct client {
	int fd;
	int done;
};

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct client *c = arg;
	char buf[65536];
	ssize_t n = read(fd, buf, sizeof buf);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		c->done = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_bank *fb;
	if (fb == NULL) {
		fb = fuzz_bankd_bank_get();
		start_server(fb);
	}
	/* Within the server's limits (16 KiB body, 8 KiB headers) and a little over them. */
	if (size > 32768)
		return -1;
	fuzz_bankd_bank_reset(fb);
	struct client c = {socket(AF_INET, SOCK_STREAM, 0), 0};
	need(c.fd >= 0 && connect(c.fd, (struct sockaddr *)&addr, sizeof addr) == 0, "connect");
	/* A reset at close, not TIME_WAIT: thousands of connections a second would use up the
	 * loopback's ports. */
	struct linger lg = {1, 0};
	int one = 1;
	(void)setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	(void)setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	/* The loopback's buffers take the whole input before the server reads it. */
	size_t off = 0;
	while (off < size) {
		ssize_t n = write(c.fd, data + off, size - off);
		need(n > 0, "send");
		off += (size_t)n;
	}
	need(shutdown(c.fd, SHUT_WR) == 0 && fcntl(c.fd, F_SETFL, O_NONBLOCK) == 0,
	     "end the input");
	struct event *ev = event_new(base, c.fd, EV_READ | EV_PERSIST, on_readable, &c);
	need(ev != NULL && event_add(ev, NULL) == 0, "watch the connection");
	while (!c.done || pending > 0)
		need(event_base_loop(base, EVLOOP_ONCE) >= 0, "run the event loop");
	event_free(ev);
	close(c.fd);
	/* Let the server finish closing its side before the next input. */
	event_base_loop(base, EVLOOP_NONBLOCK);
	return 0;
}
