/* ご契約先ステータス / 利用者ステータス: the status screen from the JSON API's data, the logoff
 * form, and for the admin the way to ご契約先管理情報変更. */
#include "bankd_html.h"
#include "bankd_html_page.h"
#include "bankd_logon.h"
#include "i18n.h"

#include <string.h>

#include <event2/buffer.h>

static void users_section(struct evbuffer *b, json_t *users)
{
	evbuffer_add_printf(
		b, "<h3>%s</h3>\n<p>%s</p>\n", _("Issue user certificate"),
		_("Issue a certificate to a user with the command <code>kinko admin issue "
	          "USER-ID</code>; the user can then obtain it within 80 days."));
	bankd_html_users_table(b, users, 0);
}

/* The facts of the screen: company, contract, who, the certificate. */
static void facts(struct evbuffer *b, json_t *j, int admin)
{
	json_t *who = json_object_get(j, "logged_on");
	json_t *cert = json_object_get(j, "certificate");

	evbuffer_add_printf(b, "<dl>\n");
	bankd_html_dt(b, _("Company"));
	bankd_html_esc(b, bankd_html_str(j, "company"));
	evbuffer_add_printf(b, "</dd>\n");
	bankd_html_dt(b, _("Contract ID (A)"));
	bankd_html_esc(b, bankd_html_str(j, "contract_id"));
	evbuffer_add_printf(b, "</dd>\n");
	if (admin) {
		bankd_html_dt(b, _("Logged on as"));
		evbuffer_add_printf(b, "%s", _("Admin"));
	} else {
		bankd_html_dt(b, _("User ID (ニ)"));
		bankd_html_esc(b, bankd_html_str(who, "user_id"));
	}
	evbuffer_add_printf(b, "</dd>\n");
	bankd_html_dt(b, _("Certificate"));
	evbuffer_add_printf(b, "<code>");
	bankd_html_esc(b, bankd_html_str(cert, "subject"));
	evbuffer_add_printf(b, "</code></dd>\n");
	bankd_html_dt(b, _("Expires"));
	bankd_html_day(b, bankd_html_str(cert, "not_after"));
	evbuffer_add_printf(b, "</dd>\n</dl>\n");
}

void bankd_html_status(bankd_req *r)
{
	bankd_session s;
	int code;
	char why[128];
	json_t *j;
	struct evbuffer *b;
	int admin;
	json_t *users;

	if (bankd_logon_session(r, &s, &code, why, sizeof why) != 0) {
		bankd_html_logon_page(r, code, why);
		return;
	}
	j = bankd_logon_status_json(r->srv, &s, r->now);
	b = bankd_html_page_for(r, j);
	if (b == NULL)
		return;
	admin = strcmp(bankd_html_str(json_object_get(j, "logged_on"), "role"), "admin") == 0;
	bankd_html_head(b, r, admin ? _("Contract status") : _("User status"), "/status");
	evbuffer_add_printf(b, "<section id=\"status\" data-role=\"%s\">\n",
	                    admin ? "admin" : "user");
	facts(b, j, admin);
	evbuffer_add_printf(b, "</section>\n");
	if (admin)
		bankd_html_link(b, "contract-admin", "/admin", _("Contract management"));
	users = json_object_get(j, "users");
	if (json_is_array(users))
		users_section(b, users);
	json_decref(j);
	if (bankd_html_logoff_form(r, b) != 0)
		return;
	bankd_html_send(r, b, 200);
}
