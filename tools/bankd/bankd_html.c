/* What every HTML screen is made of: the frame in the request's language (bankd_lang.h), the
 * security headers, escaping, the #error and #done lines, forms (application/x-www-form-
 * urlencoded, decoded by libevent) and the users table. Every value from the database or the
 * request is escaped before it reaches a page; no page repeats what a form sent. */
#include "bankd_html_page.h"
#include "i18n.h"

#include <stdio.h>
#include <string.h>

#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>

void bankd_html_esc(struct evbuffer *b, const char *s)
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

int bankd_html_form_parse(bankd_req *r, struct evkeyvalq *form)
{
	TAILQ_INIT(form);
	if (evhttp_parse_query_str(r->body, form) == 0)
		return 0;
	bankd_html_form_wipe_free(form);
	return -1;
}

void bankd_html_form_wipe_free(struct evkeyvalq *form)
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
	evbuffer_add_printf(b, "<nav><strong lang=\"%s\">%s</strong> / <a href=\"",
	                    bankd_lang_tag(r->lang), names[r->lang]);
	bankd_html_esc(b, page);
	evbuffer_add_printf(b, "?lang=%s\" hreflang=\"%s\" lang=\"%s\">%s</a></nav>\n",
	                    bankd_lang_tag(other), bankd_lang_tag(other), bankd_lang_tag(other),
	                    names[other]);
}

void bankd_html_head(struct evbuffer *b, bankd_req *r, const char *title, const char *page)
{
	evbuffer_add_printf(b,
	                    "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
	                    "<title>",
	                    bankd_lang_tag(r->lang));
	bankd_html_esc(b, r->srv->bank.name);
	evbuffer_add_printf(b, " - %s</title></head>\n<body>\n", title);
	switch_link(b, r, page);
	evbuffer_add_printf(b, "<h1>");
	bankd_html_esc(b, r->srv->bank.name);
	evbuffer_add_printf(b, "</h1>\n<h2>%s</h2>\n", title);
}

void bankd_html_send(bankd_req *r, struct evbuffer *b, int code)
{
	size_t n;
	const unsigned char *p;

	evbuffer_add_printf(b, "</body></html>\n");
	/* Nothing but the page itself: no scripts, styles or frames, forms only to the bank.
	 * Cache-Control: no-store is on every answer (bankd_http.c). */
	bankd_http_add_header(r, "Content-Security-Policy",
	                      "default-src 'none'; form-action 'self'; frame-ancestors 'none'; "
	                      "base-uri 'none'");
	bankd_http_add_header(r, "X-Frame-Options", "DENY");
	bankd_http_add_header(r, "Referrer-Policy", "no-referrer");
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

struct evbuffer *bankd_html_page_new(bankd_req *r)
{
	struct evbuffer *b = evbuffer_new();
	if (b == NULL)
		bankd_http_text(r, 500, N_("internal error"));
	return b;
}

struct evbuffer *bankd_html_page_for(bankd_req *r, json_t *j)
{
	struct evbuffer *b;

	if (j == NULL) {
		bankd_http_text(r, 500, N_("internal error"));
		return NULL;
	}
	b = bankd_html_page_new(r);
	if (b == NULL)
		json_decref(j);
	return b;
}

void bankd_html_error(struct evbuffer *b, const char *msg)
{
	if (msg == NULL || *msg == '\0')
		return;
	evbuffer_add_printf(b, "<p id=\"error\" role=\"alert\"><strong>");
	bankd_html_esc(b, _(msg));
	evbuffer_add_printf(b, "</strong></p>\n");
}

void bankd_html_done(struct evbuffer *b, const char *msg)
{
	evbuffer_add_printf(b, "<p id=\"done\" role=\"status\"><strong>");
	bankd_html_esc(b, msg);
	evbuffer_add_printf(b, "</strong></p>\n");
}

void bankd_html_dt(struct evbuffer *b, const char *label)
{
	evbuffer_add_printf(b, "<dt>%s</dt><dd>", label);
}

void bankd_html_secret_input(struct evbuffer *b, const char *name, const char *label)
{
	evbuffer_add_printf(b,
	                    "<label>%s <input type=\"password\" id=\"%s\" name=\"%s\" "
	                    "maxlength=\"64\" autocomplete=\"off\" required></label>\n",
	                    label, name, name);
}

void bankd_html_link(struct evbuffer *b, const char *id, const char *href, const char *text)
{
	evbuffer_add_printf(b, "<p><a");
	if (id != NULL)
		evbuffer_add_printf(b, " id=\"%s\"", id);
	evbuffer_add_printf(b, " href=\"");
	bankd_html_esc(b, href);
	evbuffer_add_printf(b, "\">");
	bankd_html_esc(b, text);
	evbuffer_add_printf(b, "</a></p>\n");
}

void bankd_html_message(bankd_req *r, int code, const char *title, const char *msg,
                        const char *href, const char *link_text)
{
	struct evbuffer *b = bankd_html_page_new(r);

	if (b == NULL)
		return;
	bankd_html_head(b, r, title, href);
	bankd_html_error(b, msg);
	bankd_html_link(b, NULL, href, link_text);
	bankd_html_send(r, b, code);
}

const char *bankd_html_str(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : "-";
}

void bankd_html_day_text(const char *ymd, char *out, size_t len)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	if (sscanf(ymd, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) == 3 &&
	    strlen(ymd) == 10) {
		tm.tm_year -= 1900;
		tm.tm_mon -= 1;
		if (i18n_date_format(&tm, out, len) > 0)
			return;
	}
	snprintf(out, len, "%s", ymd);
}

void bankd_html_day(struct evbuffer *b, const char *ymd)
{
	char out[64];
	bankd_html_day_text(ymd, out, sizeof out);
	bankd_html_esc(b, out);
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
		evbuffer_add_printf(b, "<td>%s</td><td>-</td><td>-</td>", _("none"));
		return;
	}
	evbuffer_add_printf(b, "<td>");
	bankd_html_esc(b, state_words(bankd_html_str(cert, "state")));
	evbuffer_add_printf(b, "</td><td>");
	bankd_html_day(b, bankd_html_str(cert, "not_after"));
	/* The serial of the token whose attestation the bank verified at issuance. */
	evbuffer_add_printf(b, "</td><td class=\"token-serial\">");
	bankd_html_esc(b, json_is_string(json_object_get(cert, "token_serial")) ?
	                          bankd_html_str(cert, "token_serial") :
	                          "-");
	evbuffer_add_printf(b, "</td>");
}

void bankd_html_users_table(struct evbuffer *b, json_t *users, int select)
{
	size_t i;
	json_t *u;
	const char *id;

	evbuffer_add_printf(b,
	                    "<table%s>\n<tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
	                    "<th>%s</th><th>%s</th><th>%s</th></tr>\n",
	                    select ? " id=\"users\"" : "", _("User ID (ニ)"), _("Issued"),
	                    _("Obtainable until"), _("Locked"), _("Certificate"), _("Expires"),
	                    _("Token serial"));
	json_array_foreach(users, i, u)
	{
		id = bankd_html_str(u, "user_id");
		if (select) {
			/* User IDs are [A-Za-z0-9._-] (bankd_rules): a path segment as they are. */
			evbuffer_add_printf(b, "<tr data-user-id=\"");
			bankd_html_esc(b, id);
			evbuffer_add_printf(b,
			                    "\"><td><a class=\"user-select\" href=\"/admin/users/");
			bankd_html_esc(b, id);
			evbuffer_add_printf(b, "\">");
			bankd_html_esc(b, id);
			evbuffer_add_printf(b, "</a></td><td>");
		} else {
			evbuffer_add_printf(b, "<tr><td>");
			bankd_html_esc(b, id);
			evbuffer_add_printf(b, "</td><td>");
		}
		bankd_html_day(b, bankd_html_str(u, "issued"));
		evbuffer_add_printf(b, "</td><td>");
		bankd_html_day(b, bankd_html_str(u, "window_last_day"));
		evbuffer_add_printf(b, "</td><td>%s</td>",
		                    json_is_true(json_object_get(u, "locked")) ? _("yes") :
		                                                                 _("no"));
		cert_cells(b, json_object_get(u, "certificate"));
		evbuffer_add_printf(b, "</tr>\n");
	}
	evbuffer_add_printf(b, "</table>\n");
}
