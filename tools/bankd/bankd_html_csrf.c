/* CSRF protection of every form. Two layers: the session cookie is SameSite=Strict (a browser
 * does not send it with a POST another site makes), and every form carries a hidden csrf value
 * that another site cannot know:
 * - inside a session: HMAC-SHA256 of a fixed label keyed with the session's own secret (the
 *   kinko_session cookie, never stored but hashed), so nothing more is stored, another
 *   session's value does not fit, and the page does not give the cookie away;
 * - at the logon (no session yet): a double-submit cookie, kinko_csrf (128 random bits;
 *   HttpOnly, Secure, SameSite=Strict), set by the logon page, and the form value derived
 *   from it the same way. A forger can neither read the cookie nor set it for this host.
 * Compared in constant time; a missing or wrong value is a 403 page before anything is looked
 * at, so it changes nothing and counts as no wrong PIN. */
#include "bankd_html.h"
#include "bankd_html_page.h"
#include "bankd_logon.h"
#include "bankd_util.h"
#include "i18n.h"

#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#define CSRF_COOKIE "kinko_csrf"
#define CSRF_HEX 64

static const char *const labels[] = {"kinko-bankd csrf logon", "kinko-bankd csrf session"};

static int derive(const char secret[33], bankd_csrf_kind kind, char out[CSRF_HEX + 1])
{
	unsigned char mac[32];
	size_t n = 0;
	int rc = EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret, 32,
	                   (const unsigned char *)labels[kind], strlen(labels[kind]), mac,
	                   sizeof mac, &n) != NULL &&
	                         n == sizeof mac ?
	                 0 :
	                 -1;
	if (rc == 0)
		bankd_hex(mac, sizeof mac, out);
	OPENSSL_cleanse(mac, sizeof mac);
	return rc;
}

static int secret_of(bankd_req *r, bankd_csrf_kind kind, char secret[33])
{
	return bankd_logon_cookie(r, kind == BANKD_CSRF_LOGON ? CSRF_COOKIE : BANKD_SESSION_COOKIE,
	                          secret);
}

/* The logon's cookie: the request's, or a new one set with this answer. */
static int logon_secret(bankd_req *r, char secret[33])
{
	char set[128];

	if (secret_of(r, BANKD_CSRF_LOGON, secret) == 0)
		return 0;
	if (bankd_random_hex(16, secret) != 0)
		return -1;
	snprintf(set, sizeof set, CSRF_COOKIE "=%s; Path=/; Secure; HttpOnly; SameSite=Strict",
	         secret);
	bankd_http_add_header(r, "Set-Cookie", set);
	OPENSSL_cleanse(set, sizeof set);
	return 0;
}

int bankd_html_csrf_field(bankd_req *r, struct evbuffer *b, bankd_csrf_kind kind)
{
	char secret[33], token[CSRF_HEX + 1];
	int rc = (kind == BANKD_CSRF_LOGON ? logon_secret(r, secret) :
	                                     secret_of(r, kind, secret)) == 0 &&
	                         derive(secret, kind, token) == 0 ?
	                 0 :
	                 -1;
	if (rc == 0)
		evbuffer_add_printf(b, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">\n",
		                    token);
	OPENSSL_cleanse(secret, sizeof secret);
	OPENSSL_cleanse(token, sizeof token);
	if (rc != 0) {
		evbuffer_free(b);
		bankd_http_text(r, 500, N_("internal error"));
	}
	return rc;
}

int bankd_html_form_open(bankd_req *r, struct evbuffer *b, const char *id, const char *action,
                         bankd_csrf_kind kind)
{
	evbuffer_add_printf(b, "<form id=\"%s\" method=\"post\" action=\"", id);
	bankd_html_esc(b, action);
	evbuffer_add_printf(b, "\" autocomplete=\"off\">\n");
	return bankd_html_csrf_field(r, b, kind);
}

int bankd_html_logoff_form(bankd_req *r, struct evbuffer *b)
{
	if (bankd_html_form_open(r, b, "logoff-form", "/logoff", BANKD_CSRF_SESSION) != 0)
		return -1;
	evbuffer_add_printf(b, "<button type=\"submit\" id=\"logoff-submit\">%s</button></form>\n",
	                    _("Log off"));
	return 0;
}

int bankd_html_csrf_ok(bankd_req *r, struct evkeyvalq *form, bankd_csrf_kind kind)
{
	const char *given = evhttp_find_header(form, "csrf");
	char secret[33], want[CSRF_HEX + 1];
	int ok = given != NULL && strlen(given) == CSRF_HEX && secret_of(r, kind, secret) == 0 &&
	         derive(secret, kind, want) == 0 && CRYPTO_memcmp(given, want, CSRF_HEX) == 0;
	OPENSSL_cleanse(secret, sizeof secret);
	OPENSSL_cleanse(want, sizeof want);
	return ok;
}

void bankd_html_csrf_refuse(bankd_req *r, bankd_csrf_kind kind)
{
	int logon = kind == BANKD_CSRF_LOGON;
	bankd_html_message(r, 403, _("Form not accepted"),
	                   N_("this form did not come from the bank's page or has expired; open "
	                      "the page again and send the form from there"),
	                   logon ? "/" : "/status",
	                   logon ? _("Log on again") : _("Back to the status screen"));
}

void bankd_html_cross_site(bankd_req *r)
{
	bankd_html_message(r, 403, _("Form not accepted"),
	                   N_("refused: another site's page sent this request"), "/",
	                   _("Log on again"));
}
