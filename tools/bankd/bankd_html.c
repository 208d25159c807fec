/* HTML screens. Forms post application/x-www-form-urlencoded (decoded by libevent); every
 * value from the database or the request is escaped before it reaches the page. */
#include "bankd_html.h"
#include "bankd_logon.h"
#include "bankd_util.h"

#include <stdarg.h>
#include <string.h>

#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>

static void esc(struct evbuffer *b, const char *s)
{
	for (; s != NULL && *s; s++) {
		switch (*s) {
		case '&': evbuffer_add(b, "&amp;", 5); break;
		case '<': evbuffer_add(b, "&lt;", 4); break;
		case '>': evbuffer_add(b, "&gt;", 4); break;
		case '"': evbuffer_add(b, "&quot;", 6); break;
		case '\'': evbuffer_add(b, "&#39;", 5); break;
		default: evbuffer_add(b, s, 1);
		}
	}
}

/* Overwrites the form's values (the PIN, the card digits), then frees the form. */
static void form_wipe_free(struct evkeyvalq *form)
{
	struct evkeyval *kv;
	TAILQ_FOREACH(kv, form, next)
		if (kv->value != NULL)
			OPENSSL_cleanse(kv->value, strlen(kv->value));
	evhttp_clear_headers(form);
}

static void head(struct evbuffer *b, struct bankd_req *r, const char *title)
{
	evbuffer_add_printf(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
			       "<title>");
	esc(b, r->srv->bank.name);
	evbuffer_add_printf(b, " - %s</title></head>\n<body>\n<h1>", title);
	esc(b, r->srv->bank.name);
	evbuffer_add_printf(b, "</h1>\n<h2>%s</h2>\n", title);
}

static void send_page(struct bankd_req *r, struct evbuffer *b, int code)
{
	evbuffer_add_printf(b, "</body></html>\n");
	bankd_http_add_header(r, "Content-Security-Policy",
			      "default-src 'none'; form-action 'self'; frame-ancestors 'none'");
	size_t n = evbuffer_get_length(b);
	const unsigned char *p = evbuffer_pullup(b, -1);
	bankd_http_reply(r, code, "text/html; charset=utf-8", p, n);
	evbuffer_free(b);
}

static void error_line(struct evbuffer *b, const char *msg)
{
	if (msg == NULL || *msg == '\0')
		return;
	evbuffer_add_printf(b, "<p role=\"alert\"><strong>");
	esc(b, msg);
	evbuffer_add_printf(b, "</strong></p>\n");
}

static void logon_page(struct bankd_req *r, int code, const char *error)
{
	struct evbuffer *b = evbuffer_new();
	if (b == NULL) {
		bankd_http_text(r, 500, "internal error");
		return;
	}
	head(b, r, "Logon (certificate method)");
	error_line(b, error);
	struct bankd_cert cert;
	struct bankd_contract c;
	const char *why = bankd_logon_client_cert(r, &cert, &c);
	if (why != NULL) {
		evbuffer_add_printf(b, "<p>Certificate: ");
		esc(b, why);
		evbuffer_add_printf(b, ".</p>\n<p>Choose the certificate the bank issued to you "
				       "when the browser asks, then reload this page.</p>\n");
	} else {
		evbuffer_add_printf(b, "<p>Certificate: <code>");
		esc(b, cert.subject);
		evbuffer_add_printf(b, "</code> (%s of ", cert.user_id[0] ? "user" : "admin");
		esc(b, c.company);
		evbuffer_add_printf(b, ")</p>\n<form method=\"post\" action=\"/logon\">\n"
				       "<label>%s <input type=\"password\" name=\"pin\" "
				       "autocomplete=\"off\" required></label>\n"
				       "<button type=\"submit\">Log on</button>\n</form>\n",
				    cert.user_id[0] ? "User PIN (ト)" : "Contract PIN (イ)");
	}
	OPENSSL_cleanse(&c, sizeof c);
	send_page(r, b, code);
}

void bankd_html_logon(struct bankd_req *r)
{
	logon_page(r, 200, NULL);
}

static void otp_page(struct bankd_req *r, const struct bankd_logon_result *res)
{
	struct evbuffer *b = evbuffer_new();
	if (b == NULL) {
		bankd_http_text(r, 500, "internal error");
		return;
	}
	head(b, r, "One-time password (customer card)");
	evbuffer_add_printf(b, "<p>Enter the digits of your customer card at <strong>%.2s</strong> and "
			       "<strong>%.2s</strong>.</p>\n<form method=\"post\" action=\"/logon/otp\">\n"
			       "<input type=\"hidden\" name=\"logon_id\" value=\"",
			    res->positions, res->positions + 3);
	esc(b, res->logon_id);
	evbuffer_add_printf(b, "\">\n<label>Digits <input name=\"digits\" inputmode=\"numeric\" "
			       "pattern=\"[0-9]{2}\" maxlength=\"2\" autocomplete=\"off\" required>"
			       "</label>\n<button type=\"submit\">Continue</button>\n</form>\n");
	send_page(r, b, 200);
}

static void after_logon(struct bankd_req *r, const struct bankd_logon_result *res)
{
	if (res->code != 200) {
		logon_page(r, res->code, res->error);
	} else if (res->otp) {
		otp_page(r, res);
	} else {
		bankd_logon_set_cookie(r, res->session);
		bankd_http_add_header(r, "Location", "/status");
		bankd_http_text(r, 303, "logged on; see /status");
	}
}

void bankd_html_logon_post(struct bankd_req *r)
{
	struct evkeyvalq form;
	TAILQ_INIT(&form);
	struct bankd_logon_result res;
	if (evhttp_parse_query_str(r->body, &form) != 0) {
		logon_page(r, 400, "malformed form");
	} else {
		bankd_logon_do_pin(r, evhttp_find_header(&form, "pin"), &res);
		after_logon(r, &res);
		OPENSSL_cleanse(&res, sizeof res);
	}
	form_wipe_free(&form);
}

void bankd_html_otp_post(struct bankd_req *r)
{
	struct evkeyvalq form;
	TAILQ_INIT(&form);
	struct bankd_logon_result res;
	if (evhttp_parse_query_str(r->body, &form) != 0) {
		logon_page(r, 400, "malformed form");
	} else {
		bankd_logon_do_otp(r, evhttp_find_header(&form, "logon_id"),
				   evhttp_find_header(&form, "digits"), &res);
		after_logon(r, &res);
		OPENSSL_cleanse(&res, sizeof res);
	}
	form_wipe_free(&form);
}

static const char *str(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : "-";
}

static void cert_cells(struct evbuffer *b, json_t *cert)
{
	if (!json_is_object(cert)) {
		evbuffer_add_printf(b, "<td>none</td><td>-</td>");
		return;
	}
	evbuffer_add_printf(b, "<td>");
	esc(b, str(cert, "state"));
	evbuffer_add_printf(b, "</td><td>");
	esc(b, str(cert, "not_after"));
	evbuffer_add_printf(b, "</td>");
}

static void users_table(struct evbuffer *b, json_t *users)
{
	evbuffer_add_printf(b, "<h3>Users</h3>\n<table>\n<tr><th>User ID</th><th>Issued</th>"
			       "<th>Window until</th><th>Locked</th><th>Certificate</th>"
			       "<th>Expires</th></tr>\n");
	size_t i;
	json_t *u;
	json_array_foreach(users, i, u) {
		evbuffer_add_printf(b, "<tr><td>");
		esc(b, str(u, "user_id"));
		evbuffer_add_printf(b, "</td><td>");
		esc(b, str(u, "issued"));
		evbuffer_add_printf(b, "</td><td>");
		esc(b, str(u, "window_last_day"));
		evbuffer_add_printf(b, "</td><td>%s</td>",
				    json_is_true(json_object_get(u, "locked")) ? "yes" : "no");
		cert_cells(b, json_object_get(u, "certificate"));
		evbuffer_add_printf(b, "</tr>\n");
	}
	evbuffer_add_printf(b, "</table>\n");
}

void bankd_html_status(struct bankd_req *r)
{
	struct bankd_session s;
	int code;
	char why[128];
	if (bankd_logon_session(r, &s, &code, why, sizeof why) != 0) {
		logon_page(r, code, why);
		return;
	}
	json_t *j = bankd_logon_status_json(r->srv, &s, r->now);
	struct evbuffer *b = j != NULL ? evbuffer_new() : NULL;
	if (b == NULL) {
		json_decref(j);
		bankd_http_text(r, 500, "internal error");
		return;
	}
	json_t *who = json_object_get(j, "logged_on"), *cert = json_object_get(j, "certificate");
	head(b, r, "Contract status");
	evbuffer_add_printf(b, "<dl>\n<dt>Company</dt><dd>");
	esc(b, str(j, "company"));
	evbuffer_add_printf(b, "</dd>\n<dt>Contract ID</dt><dd>");
	esc(b, str(j, "contract_id"));
	evbuffer_add_printf(b, "</dd>\n<dt>Logged on</dt><dd>");
	esc(b, str(who, "role"));
	if (json_object_get(who, "user_id") != NULL) {
		evbuffer_add_printf(b, " ");
		esc(b, str(who, "user_id"));
	}
	evbuffer_add_printf(b, "</dd>\n<dt>Certificate</dt><dd><code>");
	esc(b, str(cert, "subject"));
	evbuffer_add_printf(b, "</code>, expires ");
	esc(b, str(cert, "not_after"));
	evbuffer_add_printf(b, "</dd>\n</dl>\n");
	json_t *users = json_object_get(j, "users");
	if (json_is_array(users))
		users_table(b, users);
	evbuffer_add_printf(b, "<form method=\"post\" action=\"/logoff\"><button type=\"submit\">"
			       "Log off</button></form>\n");
	json_decref(j);
	send_page(r, b, 200);
}

void bankd_html_logoff_post(struct bankd_req *r)
{
	struct bankd_session s;
	int code;
	char why[128];
	if (bankd_logon_session(r, &s, &code, why, sizeof why) == 0)
		(void)bankd_db_session_delete(r->srv->db, s.id_hash);
	bankd_logon_clear_cookie(r);
	bankd_http_add_header(r, "Location", "/");
	bankd_http_text(r, 303, "logged off");
}
