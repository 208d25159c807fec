/* HTML screens, in the request's language (bankd_lang.h), named as the manuals name them:
 * ログオン, ご契約先ステータス / 利用者ステータス, ログオフ. Forms post
 * application/x-www-form-urlencoded (decoded by libevent); every value from the database or the
 * request is escaped before it reaches the page. */
#include "bankd_html.h"
#include "bankd_logon.h"
#include "bankd_util.h"
#include "i18n.h"

#include <stdarg.h>
#include <stdio.h>
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

/* The switch link: the other language's name, in that language, to the GET page that shows this
 * screen (a POST's answer has no address of its own). */
static void switch_link(struct evbuffer *b, bankd_req *r, const char *page)
{
	static const char *const names[2] = {"English", "日本語"};
	bankd_lang other = r->lang == BANKD_LANG_JA ? BANKD_LANG_EN : BANKD_LANG_JA;
	evbuffer_add_printf(b,
	                    "<nav><strong lang=\"%s\">%s</strong> / <a href=\"%s?lang=%s\" "
	                    "hreflang=\"%s\" lang=\"%s\">%s</a></nav>\n",
	                    bankd_lang_tag(r->lang), names[r->lang], page, bankd_lang_tag(other),
	                    bankd_lang_tag(other), bankd_lang_tag(other), names[other]);
}

/* title: already translated. page: where the switch link goes. */
static void head(struct evbuffer *b, bankd_req *r, const char *title, const char *page)
{
	evbuffer_add_printf(b,
	                    "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
	                    "<title>",
	                    bankd_lang_tag(r->lang));
	esc(b, r->srv->bank.name);
	evbuffer_add_printf(b, " - %s</title></head>\n<body>\n", title);
	switch_link(b, r, page);
	evbuffer_add_printf(b, "<h1>");
	esc(b, r->srv->bank.name);
	evbuffer_add_printf(b, "</h1>\n<h2>%s</h2>\n", title);
}

static void send_page(bankd_req *r, struct evbuffer *b, int code)
{
	size_t n;
	const unsigned char *p;

	evbuffer_add_printf(b, "</body></html>\n");
	bankd_http_add_header(r, "Content-Security-Policy",
	                      "default-src 'none'; form-action 'self'; frame-ancestors 'none'");
	/* The switch link's choice outlives the page: it outranks Accept-Language from now on. */
	if (r->lang_asked) {
		char c[96];
		snprintf(c, sizeof c,
		         BANKD_LANG_COOKIE "=%s; Path=/; Max-Age=31536000; Secure; SameSite=Lax",
		         bankd_lang_tag(r->lang));
		bankd_http_add_header(r, "Set-Cookie", c);
	}
	n = evbuffer_get_length(b);
	p = evbuffer_pullup(b, -1);
	bankd_http_reply(r, code, "text/html; charset=utf-8", p, n);
	evbuffer_free(b);
}

static struct evbuffer *page_new(bankd_req *r)
{
	struct evbuffer *b = evbuffer_new();
	if (b == NULL)
		bankd_http_text(r, 500, N_("internal error"));
	return b;
}

/* msg: English (marked N_) or a sentence composed in the request's language. */
static void error_line(struct evbuffer *b, const char *msg)
{
	if (msg == NULL || *msg == '\0')
		return;
	evbuffer_add_printf(b, "<p role=\"alert\"><strong>");
	esc(b, _(msg));
	evbuffer_add_printf(b, "</strong></p>\n");
}

static void dt(struct evbuffer *b, const char *label)
{
	evbuffer_add_printf(b, "<dt>%s</dt><dd>", label);
}

static void logon_page(bankd_req *r, int code, const char *error)
{
	struct evbuffer *b = page_new(r);
	bankd_cert cert;
	bankd_contract c;
	const char *why;

	if (b == NULL)
		return;
	head(b, r, _("Logon"), "/");
	error_line(b, error);
	why = bankd_logon_client_cert(r, &cert, &c);
	if (why != NULL) {
		error_line(b, why);
		evbuffer_add_printf(
			b, "<p>%s</p>\n<h3>%s</h3>\n<p>%s</p>\n",
			_("Choose the certificate the bank issued to you when the browser "
		          "asks, then reload this page."),
			_("Obtain certificate"),
			_("No certificate yet? Obtain one on the computer your token is "
		          "plugged into, with the command <code>kinko enroll</code>."));
	} else {
		evbuffer_add_printf(b, "<dl>\n");
		dt(b, _("Certificate"));
		evbuffer_add_printf(b, "<code>");
		esc(b, cert.subject);
		evbuffer_add_printf(b, "</code></dd>\n");
		dt(b, _("Company"));
		esc(b, c.company);
		evbuffer_add_printf(b, "</dd>\n");
		if (cert.user_id[0]) {
			dt(b, _("User ID (ニ)"));
			esc(b, cert.user_id);
		} else {
			dt(b, _("Logging on as"));
			evbuffer_add_printf(b, "%s", _("Admin"));
		}
		evbuffer_add_printf(b,
		                    "</dd>\n</dl>\n<form method=\"post\" action=\"/logon\">\n"
		                    "<label>%s <input type=\"password\" name=\"pin\" "
		                    "autocomplete=\"off\" required></label>\n"
		                    "<button type=\"submit\">%s</button>\n</form>\n",
		                    cert.user_id[0] ? _("User PIN (ト)") : _("Contract PIN (イ)"),
		                    _("Log on"));
	}
	OPENSSL_cleanse(&c, sizeof c);
	send_page(r, b, code);
}

void bankd_html_logon(bankd_req *r)
{
	logon_page(r, 200, NULL);
}

static void otp_page(bankd_req *r, const bankd_logon_result *res)
{
	struct evbuffer *b = page_new(r);
	char p1[32], p2[32];

	if (b == NULL)
		return;
	head(b, r, _("One-time password (customer card)"), "/");
	/* The positions are the bank's own ("C3,A7"): a letter and a digit each. */
	snprintf(p1, sizeof p1, "<strong>%.2s</strong>", res->positions);
	snprintf(p2, sizeof p2, "<strong>%.2s</strong>", res->positions + 3);
	evbuffer_add_printf(b, "<p>");
	/* TRANSLATORS: the two %s are positions on the customer card, e.g. C3 and A7. */
	evbuffer_add_printf(b, _("Enter the digits of your customer card at %s and %s."), p1, p2);
	evbuffer_add_printf(b, "</p>\n<form method=\"post\" action=\"/logon/otp\">\n"
	                       "<input type=\"hidden\" name=\"logon_id\" value=\"");
	esc(b, res->logon_id);
	evbuffer_add_printf(b,
	                    "\">\n<label>%s <input name=\"digits\" inputmode=\"numeric\" "
	                    "pattern=\"[0-9]{2}\" maxlength=\"2\" autocomplete=\"off\" required>"
	                    "</label>\n<button type=\"submit\">%s</button>\n</form>\n",
	                    _("Digits"), _("Continue"));
	send_page(r, b, 200);
}

static void after_logon(bankd_req *r, const bankd_logon_result *res)
{
	if (res->code != 200) {
		logon_page(r, res->code, res->error);
	} else if (res->otp) {
		otp_page(r, res);
	} else {
		bankd_logon_set_cookie(r, res->session);
		bankd_http_add_header(r, "Location", "/status");
		bankd_http_text(r, 303, N_("logged on; see /status"));
	}
}

/* One step of the logon (the PIN, the OTP) with the fields of its form. */
typedef void (*html_logon_step)(bankd_req *r, struct evkeyvalq *form, bankd_logon_result *res);

/* A logon form posted: parsed, its step run and answered, the secrets wiped. */
static void logon_form(bankd_req *r, html_logon_step step)
{
	struct evkeyvalq form;
	bankd_logon_result res;

	TAILQ_INIT(&form);
	if (evhttp_parse_query_str(r->body, &form) != 0) {
		logon_page(r, 400, N_("malformed form"));
	} else {
		step(r, &form, &res);
		after_logon(r, &res);
		OPENSSL_cleanse(&res, sizeof res);
	}
	form_wipe_free(&form);
}

static void pin_step(bankd_req *r, struct evkeyvalq *form, bankd_logon_result *res)
{
	bankd_logon_do_pin(r, evhttp_find_header(form, "pin"), res);
}

static void otp_step(bankd_req *r, struct evkeyvalq *form, bankd_logon_result *res)
{
	bankd_logon_do_otp(r, evhttp_find_header(form, "logon_id"),
	                   evhttp_find_header(form, "digits"), res);
}

void bankd_html_logon_post(bankd_req *r)
{
	logon_form(r, pin_step);
}

void bankd_html_otp_post(bankd_req *r)
{
	logon_form(r, otp_step);
}

static const char *str(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : "-";
}

/* A YYYY-MM-DD day of the status data in the reader's style (2027年12月7日). */
static void day(struct evbuffer *b, const char *ymd)
{
	struct tm tm;
	char out[64];
	memset(&tm, 0, sizeof tm);
	if (sscanf(ymd, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) == 3 &&
	    strlen(ymd) == 10) {
		tm.tm_year -= 1900;
		tm.tm_mon -= 1;
		if (i18n_date_format(&tm, out, sizeof out) > 0) {
			esc(b, out);
			return;
		}
	}
	esc(b, ymd);
}

/* The certificate states of the status data (JSON enum values), in words. */
static const char *state_words(const char *state)
{
	static const i18n_word states[] = {
		{"active", N_("valid")},
		{"superseded", N_("renewed (still valid until the new one is used)")},
		{"revoked", N_("revoked")},
		{"expired", N_("expired")},
	};
	const char *words =
		i18n_words_find(states, sizeof states / sizeof states[0], state, strlen(state));

	return words != NULL ? words : state;
}

static void cert_cells(struct evbuffer *b, json_t *cert)
{
	if (!json_is_object(cert)) {
		evbuffer_add_printf(b, "<td>%s</td><td>-</td>", _("none"));
		return;
	}
	evbuffer_add_printf(b, "<td>");
	esc(b, state_words(str(cert, "state")));
	evbuffer_add_printf(b, "</td><td>");
	day(b, str(cert, "not_after"));
	evbuffer_add_printf(b, "</td>");
}

static void users_table(struct evbuffer *b, json_t *users)
{
	size_t i;
	json_t *u;

	evbuffer_add_printf(
		b, "<h3>%s</h3>\n<p>%s</p>\n", _("Issue user certificate"),
		_("Issue a certificate to a user with the command <code>kinko admin issue "
	          "USER-ID</code>; the user can then obtain it within 80 days."));
	evbuffer_add_printf(b,
	                    "<table>\n<tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
	                    "<th>%s</th></tr>\n",
	                    _("User ID (ニ)"), _("Issued"), _("Obtainable until"), _("Locked"),
	                    _("Certificate"), _("Expires"));
	json_array_foreach(users, i, u)
	{
		evbuffer_add_printf(b, "<tr><td>");
		esc(b, str(u, "user_id"));
		evbuffer_add_printf(b, "</td><td>");
		day(b, str(u, "issued"));
		evbuffer_add_printf(b, "</td><td>");
		day(b, str(u, "window_last_day"));
		evbuffer_add_printf(b, "</td><td>%s</td>",
		                    json_is_true(json_object_get(u, "locked")) ? _("yes") :
		                                                                 _("no"));
		cert_cells(b, json_object_get(u, "certificate"));
		evbuffer_add_printf(b, "</tr>\n");
	}
	evbuffer_add_printf(b, "</table>\n");
}

void bankd_html_status(bankd_req *r)
{
	bankd_session s;
	int code;
	char why[128];
	json_t *j;
	struct evbuffer *b;
	json_t *who, *cert;
	int admin;
	json_t *users;

	if (bankd_logon_session(r, &s, &code, why, sizeof why) != 0) {
		logon_page(r, code, why);
		return;
	}
	j = bankd_logon_status_json(r->srv, &s, r->now);
	b = j != NULL ? page_new(r) : NULL;
	if (b == NULL) {
		if (j == NULL)
			bankd_http_text(r, 500, N_("internal error"));
		json_decref(j);
		return;
	}
	who = json_object_get(j, "logged_on");
	cert = json_object_get(j, "certificate");
	admin = strcmp(str(who, "role"), "admin") == 0;
	head(b, r, admin ? _("Contract status") : _("User status"), "/status");
	evbuffer_add_printf(b, "<dl>\n");
	dt(b, _("Company"));
	esc(b, str(j, "company"));
	evbuffer_add_printf(b, "</dd>\n");
	dt(b, _("Contract ID (A)"));
	esc(b, str(j, "contract_id"));
	evbuffer_add_printf(b, "</dd>\n");
	if (admin) {
		dt(b, _("Logged on as"));
		evbuffer_add_printf(b, "%s", _("Admin"));
	} else {
		dt(b, _("User ID (ニ)"));
		esc(b, str(who, "user_id"));
	}
	evbuffer_add_printf(b, "</dd>\n");
	dt(b, _("Certificate"));
	evbuffer_add_printf(b, "<code>");
	esc(b, str(cert, "subject"));
	evbuffer_add_printf(b, "</code></dd>\n");
	dt(b, _("Expires"));
	day(b, str(cert, "not_after"));
	evbuffer_add_printf(b, "</dd>\n</dl>\n");
	users = json_object_get(j, "users");
	if (json_is_array(users))
		users_table(b, users);
	evbuffer_add_printf(b,
	                    "<form method=\"post\" action=\"/logoff\"><button type=\"submit\">"
	                    "%s</button></form>\n",
	                    _("Log off"));
	json_decref(j);
	send_page(r, b, 200);
}

void bankd_html_logoff_post(bankd_req *r)
{
	bankd_session s;
	int code;
	char why[128];
	struct evbuffer *b;

	if (bankd_logon_session(r, &s, &code, why, sizeof why) == 0)
		(void)bankd_db_session_delete(r->srv->db, s.id_hash);
	bankd_logon_clear_cookie(r);
	b = page_new(r);
	if (b == NULL)
		return;
	head(b, r, _("Logoff"), "/");
	evbuffer_add_printf(b, "<p>%s</p>\n<p><a href=\"/\">%s</a></p>\n",
	                    _("You have logged off."), _("Log on again"));
	send_page(r, b, 200);
}
