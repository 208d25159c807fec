/* libFuzzer target for kinko-bankd's handlers behind a TLS client certificate, which the
 * plain-TCP request fuzzer cannot present: JSON logon (PIN), the admin's card digits, status,
 * logoff, the admin API (users list and registration, issue, revoke), the HTML screens and
 * forms (application/x-www-form-urlencoded, their csrf values and cookies) and the session
 * cookie. The request is built as
 * bankd_http_dispatch builds it, with the client certificate the TLS layer would have given.
 *
 * Input: byte 0 picks the client certificate (none, the admin's, the user's) and byte 1 the
 * route; then text: the rest of the path after a prefix route (/api/admin/users/,
 * /admin/users/; a line, ignored for the other routes), header lines "Name: value" up to an
 * empty line, and the body. Sessions and logon IDs recorded in the bank are in fuzz_bankd_bank.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <openssl/crypto.h>

#include "bankd_admin.h"
#include "bankd_est.h"
#include "bankd_html.h"
#include "bankd_logon.h"
#include "bankd_util.h"
#include "fuzz_bankd_bank.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef void (*handler_fn)(bankd_req *r);

/* The routes of bankd_http.c's table that the TLS client certificate matters to. For a
 * prefix (ending in '/') the path line of the input is what follows it. */
static const struct {
	const char *path;
	handler_fn fn;
} routes[] = {
	{"/api/logon", bankd_logon_start},
	{"/api/logon/otp", bankd_logon_otp},
	{"/api/status", bankd_logon_status},
	{"/api/logoff", bankd_logon_logoff},
	{"/api/admin/users", bankd_admin_list},
	{"/api/admin/users", bankd_admin_put},
	{"/api/admin/users/", bankd_admin_user_op},
	{"/", bankd_html_logon},
	{"/status", bankd_html_status},
	{"/logon", bankd_html_logon_post},
	{"/logon/otp", bankd_html_otp_post},
	{"/logoff", bankd_html_logoff_post},
	{"/.well-known/est/simpleenroll", bankd_est_simpleenroll},
	{"/.well-known/est/simplereenroll", bankd_est_simplereenroll},
	{"/certificate", bankd_html_certificate},
	{"/admin", bankd_html_admin},
	{"/admin/users", bankd_html_admin_users},
	{"/admin/users", bankd_html_admin_register_post},
	{"/admin/users/", bankd_html_admin_user},
	{"/admin/users/", bankd_html_admin_user_post},
};
#define N_ROUTES (sizeof routes / sizeof routes[0])

/* Copies text up to the first '\n' (or the end) into a new NUL-terminated string. */
static char *take_line(const char **p, const char *end)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	const char *stop = nl != NULL ? nl : end;
	size_t n = (size_t)(stop - *p);
	char *s = malloc(n + 1);
	if (s == NULL)
		abort();
	memcpy(s, *p, n);
	s[n] = '\0';
	*p = nl != NULL ? nl + 1 : end;
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_bank *fb;
	if (fb == NULL)
		fb = fuzz_bankd_bank_get();
	if (size < 2 || size > BANKD_MAX_BODY + BANKD_MAX_HEADERS)
		return -1;
	fuzz_bankd_bank_reset(fb);
	X509 *const peers[] = {NULL, fb->admin_cert, fb->user_cert};
	bankd_req r;
	memset(&r, 0, sizeof r);
	r.srv = &fb->srv;
	r.now = bankd_now();
	r.peer = peers[data[0] % 3];
	snprintf(r.peer_cn, sizeof r.peer_cn, "%s",
	         r.peer != NULL ? FUZZ_CONTRACT FUZZ_BANK_CODE : "");
	size_t route = data[1] % N_ROUTES;
	const char *p = (const char *)data + 2, *end = (const char *)data + size;
	/* No connection: evhttp_send_reply frees the request, as a closed client's would be. */
	r.req = evhttp_request_new(NULL, NULL);
	if (r.req == NULL)
		abort();
	struct evkeyvalq *in = evhttp_request_get_input_headers(r.req);
	char *rest = take_line(&p, end);
	char *path = malloc(strlen(routes[route].path) + strlen(rest) + 1);
	if (path == NULL)
		abort();
	strcpy(path, routes[route].path);
	if (path[strlen(path) - 1] == '/' && strlen(path) > 1)
		strcat(path, rest);
	free(rest);
	r.path = path;
	for (;;) {
		char *line = take_line(&p, end);
		char *colon = strchr(line, ':');
		int last = line[0] == '\0' || p == end;
		if (colon != NULL) {
			*colon = '\0';
			const char *v = colon + 1;
			while (*v == ' ')
				v++;
			(void)evhttp_add_header(in, line, v);
		}
		free(line);
		if (last)
			break;
	}
	r.body_len = (size_t)(end - p);
	r.body = malloc(r.body_len + 1);
	if (r.body == NULL)
		abort();
	memcpy(r.body, p, r.body_len);
	r.body[r.body_len] = '\0';
	routes[route].fn(&r);
	if (!r.replied)
		evhttp_request_free(r.req); /* a handler that never answers: the router's 404 */
	OPENSSL_cleanse(r.body, r.body_len);
	free(r.body);
	free(path);
	return 0;
}
