/* The logon screens: ログオン (the certificate, the PIN), the customer card's one-time password,
 * ログオフ, and 電子証明書取得 (how to obtain a certificate with kinko). Each form carries its
 * CSRF value (bankd_html_csrf.c); PIN fields never carry a value. */
#include "bankd_html.h"
#include "bankd_html_page.h"
#include "bankd_logon.h"
#include "i18n.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>

/* Without a usable certificate: what is missing and where to get one. */
static void no_certificate(struct evbuffer *b, const char *why)
{
	evbuffer_add_printf(b, "<div id=\"no-certificate\">\n<p><strong>");
	bankd_html_esc(b, _(why));
	evbuffer_add_printf(
		b, "</strong></p>\n<p>%s</p>\n<h3>%s</h3>\n<p>%s</p>\n",
		_("Choose the certificate the bank issued to you when the browser asks, then reload "
	          "this page."),
		_("Obtain certificate"),
		_("No certificate yet? Obtain one on the computer your token is plugged into, with "
	          "the command <code>kinko enroll</code>."));
	bankd_html_link(b, "get-certificate", "/certificate", _("Obtain certificate"));
	evbuffer_add_printf(b, "</div>\n");
}

void bankd_html_logon_page(bankd_req *r, int code, const char *error)
{
	struct evbuffer *b = bankd_html_page_new(r);
	bankd_cert cert;
	bankd_contract c;
	const char *why;

	if (b == NULL)
		return;
	bankd_html_head(b, r, _("Logon"), "/");
	why = bankd_logon_client_cert(r, &cert, &c);
	/* Without any certificate the page explains; a refused one is an error as well. */
	bankd_html_error(b, error != NULL && *error ? error : r->peer != NULL ? why : NULL);
	if (why != NULL) {
		OPENSSL_cleanse(&c, sizeof c);
		no_certificate(b, why);
		bankd_html_send(r, b, code);
		return;
	}
	evbuffer_add_printf(b, "<dl>\n");
	bankd_html_dt(b, _("Certificate"));
	evbuffer_add_printf(b, "<code>");
	bankd_html_esc(b, cert.subject);
	evbuffer_add_printf(b, "</code></dd>\n");
	bankd_html_dt(b, _("Company"));
	bankd_html_esc(b, c.company);
	evbuffer_add_printf(b, "</dd>\n");
	if (cert.user_id[0]) {
		bankd_html_dt(b, _("User ID (ニ)"));
		bankd_html_esc(b, cert.user_id);
	} else {
		bankd_html_dt(b, _("Logging on as"));
		evbuffer_add_printf(b, "%s", _("Admin"));
	}
	OPENSSL_cleanse(&c, sizeof c);
	evbuffer_add_printf(b, "</dd>\n</dl>\n");
	if (bankd_html_form_open(r, b, "logon-form", "/logon", BANKD_CSRF_LOGON) != 0)
		return;
	bankd_html_secret_input(b, "pin",
	                        cert.user_id[0] ? _("User PIN (ト)") : _("Contract PIN (イ)"));
	evbuffer_add_printf(b, "<button type=\"submit\" id=\"logon-submit\">%s</button>\n</form>\n",
	                    _("Log on"));
	bankd_html_send(r, b, code);
}

void bankd_html_logon(bankd_req *r)
{
	bankd_html_logon_page(r, 200, NULL);
}

static void otp_page(bankd_req *r, const bankd_logon_result *res)
{
	struct evbuffer *b = bankd_html_page_new(r);
	char p1[32], p2[32];

	if (b == NULL)
		return;
	bankd_html_head(b, r, _("One-time password (customer card)"), "/");
	/* The positions are the bank's own ("C3,A7"): a letter and a digit each. */
	snprintf(p1, sizeof p1, "<strong>%.2s</strong>", res->positions);
	snprintf(p2, sizeof p2, "<strong>%.2s</strong>", res->positions + 3);
	evbuffer_add_printf(b, "<p id=\"otp-positions\" data-positions=\"");
	bankd_html_esc(b, res->positions);
	evbuffer_add_printf(b, "\">");
	/* TRANSLATORS: the two %s are positions on the customer card, e.g. C3 and A7. */
	evbuffer_add_printf(b, _("Enter the digits of your customer card at %s and %s."), p1, p2);
	evbuffer_add_printf(b, "</p>\n");
	if (bankd_html_form_open(r, b, "otp-form", "/logon/otp", BANKD_CSRF_LOGON) != 0)
		return;
	evbuffer_add_printf(b, "<input type=\"hidden\" name=\"logon_id\" value=\"");
	bankd_html_esc(b, res->logon_id);
	evbuffer_add_printf(b, "\">\n");
	evbuffer_add_printf(b,
	                    "<label>%s <input id=\"digits\" name=\"digits\" inputmode=\"numeric\" "
	                    "pattern=\"[0-9]{2}\" maxlength=\"2\" autocomplete=\"off\" required>"
	                    "</label>\n<button type=\"submit\" id=\"otp-submit\">%s</button>\n"
	                    "</form>\n",
	                    _("Digits"), _("Continue"));
	bankd_html_send(r, b, 200);
}

static void after_logon(bankd_req *r, const bankd_logon_result *res)
{
	if (res->code != 200) {
		bankd_html_logon_page(r, res->code, res->error);
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

/* A logon form posted: parsed, its CSRF value checked before any secret, its step run and
 * answered, the secrets wiped. */
static void logon_form(bankd_req *r, html_logon_step step)
{
	struct evkeyvalq form;
	bankd_logon_result res;

	if (bankd_html_form_parse(r, &form) != 0) {
		bankd_html_logon_page(r, 400, N_("malformed form"));
		return;
	}
	if (!bankd_html_csrf_ok(r, &form, BANKD_CSRF_LOGON)) {
		bankd_html_csrf_refuse(r, BANKD_CSRF_LOGON);
	} else {
		step(r, &form, &res);
		after_logon(r, &res);
		OPENSSL_cleanse(&res, sizeof res);
	}
	bankd_html_form_wipe_free(&form);
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

void bankd_html_logoff_post(bankd_req *r)
{
	struct evkeyvalq form;
	bankd_session s;
	int code;
	char why[128], token[33];
	struct evbuffer *b;
	int has_session = bankd_logon_cookie(r, BANKD_SESSION_COOKIE, token) == 0;

	OPENSSL_cleanse(token, sizeof token);
	if (bankd_html_form_parse(r, &form) != 0) {
		bankd_html_message(r, 400, _("Logoff"), N_("malformed form"), "/status",
		                   _("Back to the status screen"));
		return;
	}
	/* Without a session cookie there is nothing to end: the page only says so. */
	if (has_session && !bankd_html_csrf_ok(r, &form, BANKD_CSRF_SESSION)) {
		bankd_html_form_wipe_free(&form);
		bankd_html_csrf_refuse(r, BANKD_CSRF_SESSION);
		return;
	}
	bankd_html_form_wipe_free(&form);
	if (bankd_logon_session(r, &s, &code, why, sizeof why) == 0)
		(void)bankd_db_session_delete(r->srv->db, s.id_hash);
	bankd_logon_clear_cookie(r);
	b = bankd_html_page_new(r);
	if (b == NULL)
		return;
	bankd_html_head(b, r, _("Logoff"), "/");
	bankd_html_done(b, _("You have logged off."));
	bankd_html_link(b, NULL, "/", _("Log on again"));
	bankd_html_send(r, b, 200);
}

/* The fingerprint as `openssl x509 -fingerprint -sha256` prints it: AB:CD:... */
static void fingerprint(struct evbuffer *b, X509 *cert)
{
	char fp[65], key[65];
	int i;

	if (bankd_ca_fingerprints(cert, fp, key) != 0)
		return;
	for (i = 0; i < 64; i += 2)
		evbuffer_add_printf(b, "%s%c%c", i > 0 ? ":" : "", toupper((unsigned char)fp[i]),
		                    toupper((unsigned char)fp[i + 1]));
}

/* The bank's URL as the server knows it (--public-url, else its server name and port): its
 * CRL's address without the /crl. */
static void bank_url(struct evbuffer *b, bankd_req *r)
{
	char url[sizeof r->srv->crl_url];
	size_t n = strlen(r->srv->crl_url);

	snprintf(url, sizeof url, "%s", r->srv->crl_url);
	if (n >= 4 && strcmp(url + n - 4, "/crl") == 0)
		url[n - 4] = '\0';
	bankd_html_esc(b, url);
}

void bankd_html_certificate(bankd_req *r)
{
	struct evbuffer *b = bankd_html_page_new(r);

	if (b == NULL)
		return;
	bankd_html_head(b, r, _("Obtain certificate"), "/certificate");
	evbuffer_add_printf(
		b, "<p>%s</p>\n<p>%s</p>\n<pre><code id=\"enroll-command\">kinko enroll --bank ",
		_("A certificate is obtained with kinko, on the computer your token is plugged "
	          "into: the token makes the key, which never leaves it, and the bank issues the "
	          "certificate for it."),
		_("The admin first obtains the contract's certificate, with the contract ID (A), "
	          "the contract PIN (イ) and the contract confirmation PIN (ロ):"));
	bank_url(b, r);
	evbuffer_add_printf(b,
	                    " --admin</code></pre>\n<p>%s</p>\n<pre><code "
	                    "id=\"enroll-command-user\">kinko enroll --bank ",
	                    _("A user, once the admin has issued a certificate to the user, with "
	                      "the user ID (ニ), the user PIN (ト) and the user confirmation PIN "
	                      "(チ):"));
	bank_url(b, r);
	evbuffer_add_printf(
		b, " --user <var>%s</var></code></pre>\n<p>%s</p>\n<p>%s <code>", _("USER-ID"),
		_("kinko asks for the contract ID and the PINs without showing them. The "
	          "first time, add <code>--cacert FILE</code>: the bank's CA "
	          "certificate as the bank handed it to you."),
		_("Its SHA-256 fingerprint:"));
	fingerprint(b, r->srv->ca.cert);
	evbuffer_add_printf(b, "</code></p>\n");
	bankd_html_link(b, NULL, "/", _("Log on"));
	bankd_html_send(r, b, 200);
}
