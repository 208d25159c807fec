/* The admin's screens of manual I-3: ご契約先管理情報変更 (/admin) → 利用者情報登録／変更
 * (/admin/users: the list, 利用者登録 at /admin/users/new) → 利用者選択 (/admin/users/ID) with
 * 変更 (the user's ト and チ) and the issuance of a certificate to the user (ロ). The operations
 * are bankd_admin.c's, the JSON API's own; these pages only read forms and word the results.
 * Every POST is checked for its CSRF value before the session or any secret is looked at. */
#include "bankd_admin.h"
#include "bankd_attest.h"
#include "bankd_html.h"
#include "bankd_html_page.h"
#include "bankd_logon.h"
#include "bankd_rules.h"
#include "i18n.h"

#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>

#define USERS_PREFIX "/admin/users/"
#define BAD_PINS N_("the PINs are 4-64 printable ASCII characters each")

/* A refused operation as a page: the wrong ロ's sentence with the tries left, the lock, or
 * the operation's reason; back: where the page's link leads. */
static void refusal(bankd_req *r, const bankd_admin_result *res, const char *back)
{
	char msg[640];

	if (res->wrong.secrets != 0)
		bankd_wrong_sentence(&res->wrong, msg, sizeof msg);
	else
		snprintf(msg, sizeof msg, "%s", res->error);
	bankd_html_message(r, res->code, _("Contract management"), msg, back, _("Back"));
}

/* The request's admin session and its contract, or the refusal answered (-1): no session is
 * the logon page, a user's session a 403 page. */
static int admin(bankd_req *r, bankd_contract *c)
{
	bankd_session s;
	bankd_admin_result res;

	if (bankd_admin_session(r, &s, c, &res) == 0)
		return 0;
	OPENSSL_cleanse(c, sizeof *c);
	if (res.code == 401)
		bankd_html_logon_page(r, 401, res.error);
	else
		refusal(r, &res, "/status");
	return -1;
}

/* The screens' foot: the way back and the logoff. 0, or -1 with b freed and 500 answered. */
static int foot(bankd_req *r, struct evbuffer *b, const char *href, const char *text)
{
	bankd_html_link(b, NULL, href, text);
	return bankd_html_logoff_form(r, b);
}

void bankd_html_admin(bankd_req *r)
{
	bankd_contract c;
	struct evbuffer *b;

	if (admin(r, &c) != 0)
		return;
	b = bankd_html_page_new(r);
	if (b != NULL) {
		bankd_html_head(b, r, _("Contract management"), "/admin");
		evbuffer_add_printf(b, "<dl>\n");
		bankd_html_dt(b, _("Company"));
		bankd_html_esc(b, c.company);
		evbuffer_add_printf(b, "</dd>\n");
		bankd_html_dt(b, _("Contract ID (A)"));
		bankd_html_esc(b, c.id);
		evbuffer_add_printf(b, "</dd>\n");
		bankd_html_dt(b, _("Key attestation"));
		bankd_html_esc(b, _(bankd_attest_policy_explain(c.attestation)));
		evbuffer_add_printf(b, "</dd>\n</dl>\n");
		bankd_html_link(b, "users-link", "/admin/users", _("User registration / change"));
		if (foot(r, b, "/status", _("Back to the status screen")) == 0)
			bankd_html_send(r, b, 200);
	}
	OPENSSL_cleanse(&c, sizeof c);
}

void bankd_html_admin_users(bankd_req *r)
{
	bankd_contract c;
	struct evbuffer *b;
	json_t *users;

	if (admin(r, &c) != 0)
		return;
	users = bankd_logon_users_json(r->srv, c.id, r->now);
	OPENSSL_cleanse(&c, sizeof c);
	b = bankd_html_page_for(r, users);
	if (b == NULL)
		return;
	bankd_html_head(b, r, _("User registration / change"), "/admin/users");
	evbuffer_add_printf(b, "<p>%s</p>\n",
	                    _("Select a user to change the user's PINs or to issue a certificate "
	                      "to the user."));
	bankd_html_users_table(b, users, 1);
	json_decref(users);
	bankd_html_link(b, "user-register", "/admin/users/new", _("Register user"));
	if (foot(r, b, "/admin", _("Contract management")) == 0)
		bankd_html_send(r, b, 200);
}

/* The user's two PINs (ト, チ). */
static void pin_inputs(struct evbuffer *b)
{
	bankd_html_secret_input(b, "user_pin", _("User PIN (ト)"));
	bankd_html_secret_input(b, "user_confirmation_pin", _("User confirmation PIN (チ)"));
}

/* 利用者登録: the form alone, again after a refusal (error), never with what was sent. */
static void register_page(bankd_req *r, int code, const char *error)
{
	struct evbuffer *b = bankd_html_page_new(r);

	if (b == NULL)
		return;
	bankd_html_head(b, r, _("Register user"), "/admin/users/new");
	bankd_html_error(b, error);
	if (bankd_html_form_open(r, b, "user-form", "/admin/users", BANKD_CSRF_SESSION) != 0)
		return;
	evbuffer_add_printf(b,
	                    "<label>%s <input id=\"user_id\" name=\"user_id\" maxlength=\"32\" "
	                    "pattern=\"[A-Za-z0-9._\\-]{1,32}\" autocomplete=\"off\" required>"
	                    "</label>\n",
	                    _("User ID (ニ)"));
	pin_inputs(b);
	evbuffer_add_printf(b, "<button type=\"submit\" id=\"user-submit\">%s</button>\n</form>\n",
	                    _("Register"));
	if (foot(r, b, "/admin/users", _("User registration / change")) == 0)
		bankd_html_send(r, b, code);
}

/* The user's row of the contract's users (the list's data), or NULL. */
static json_t *user_row(json_t *users, const char *id)
{
	size_t i;
	json_t *u;

	json_array_foreach(users, i, u)
	{
		if (strcmp(bankd_html_str(u, "user_id"), id) == 0)
			return u;
	}
	return NULL;
}

/* A form of the user's screen, posting to /admin/users/ID and what follows. */
static int user_form(bankd_req *r, struct evbuffer *b, const char *form_id, const char *id,
                     const char *tail)
{
	char action[sizeof USERS_PREFIX + BANKD_ID_MAX + 8];

	snprintf(action, sizeof action, USERS_PREFIX "%s%s", id, tail);
	return bankd_html_form_open(r, b, form_id, action, BANKD_CSRF_SESSION);
}

/* 利用者選択: the user, 変更 and the issuance; again after a refusal (error). */
static void user_page(bankd_req *r, const bankd_contract *c, const char *id, int code,
                      const char *error)
{
	json_t *users = bankd_logon_users_json(r->srv, c->id, r->now);
	json_t *u = users != NULL ? user_row(users, id) : NULL;
	json_t *one = u != NULL ? json_pack("[O]", u) : NULL;
	struct evbuffer *b = one != NULL ? bankd_html_page_new(r) : NULL;
	char page[sizeof USERS_PREFIX + BANKD_ID_MAX];

	json_decref(users);
	if (b == NULL) {
		if (users != NULL && u == NULL)
			bankd_html_message(r, 404, _("User selection"),
			                   N_("no such user in this contract"), "/admin/users",
			                   _("User registration / change"));
		else if (one == NULL)
			bankd_http_text(r, 500, N_("internal error"));
		json_decref(one);
		return;
	}
	snprintf(page, sizeof page, USERS_PREFIX "%s", id);
	bankd_html_head(b, r, _("User selection"), page);
	bankd_html_error(b, error);
	bankd_html_users_table(b, one, 0);
	json_decref(one);
	evbuffer_add_printf(b, "<h3>%s</h3>\n<p>%s</p>\n", _("Change"),
	                    _("New PINs for the user; they also unlock the user."));
	if (user_form(r, b, "user-form", id, "") != 0)
		return;
	pin_inputs(b);
	evbuffer_add_printf(b,
	                    "<button type=\"submit\" id=\"user-submit\">%s</button>\n</form>\n"
	                    "<h3>%s</h3>\n<p>%s</p>\n",
	                    _("Change"), _("Issue certificate"),
	                    _("The user can then obtain a certificate within 80 days, with kinko "
	                      "enroll. Confirm with the contract confirmation PIN."));
	if (user_form(r, b, "issue-form", id, "/issue") != 0)
		return;
	bankd_html_secret_input(b, "confirmation_pin", _("Contract confirmation PIN (ロ)"));
	evbuffer_add_printf(b, "<button type=\"submit\" id=\"issue-submit\">%s</button>\n</form>\n",
	                    _("Issue"));
	if (foot(r, b, "/admin/users", _("User registration / change")) == 0)
		bankd_html_send(r, b, code);
}

/* An operation done: the sentence in #done and the ways on. */
static void done_page(bankd_req *r, const char *title, const char *msg)
{
	struct evbuffer *b = bankd_html_page_new(r);

	if (b == NULL)
		return;
	bankd_html_head(b, r, title, "/admin/users");
	bankd_html_done(b, msg);
	bankd_html_link(b, NULL, "/status", _("Back to the status screen"));
	if (foot(r, b, "/admin/users", _("User registration / change")) == 0)
		bankd_html_send(r, b, 200);
}

static void user_set_done(bankd_req *r, const bankd_admin_result *res, const char *id)
{
	char msg[256];

	if (res->existed)
		snprintf(msg, sizeof msg, _("The PINs of user %s are changed."), id);
	else
		snprintf(msg, sizeof msg, _("User %s is registered."), id);
	done_page(r, res->existed ? _("Change") : _("Register user"), msg);
}

static void issue_done(bankd_req *r, const bankd_admin_result *res, const char *id)
{
	char msg[512], from[64], until[64];

	bankd_html_day_text(res->issued, from, sizeof from);
	bankd_html_day_text(res->window_last_day, until, sizeof until);
	/* TRANSLATORS: a user ID, then the first and the last day of the user's window. */
	snprintf(msg, sizeof msg,
	         _("A certificate is issued to user %s: the user can obtain it from %s to %s."), id,
	         from, until);
	done_page(r, _("Issue certificate"), msg);
}

/* An admin's form posted: parsed, its CSRF value checked, then the admin's session; op runs
 * with the form and the contract. */
typedef void (*admin_op)(bankd_req *r, const bankd_contract *c, struct evkeyvalq *form,
                         const char *id);

static void admin_post(bankd_req *r, admin_op op, const char *id)
{
	struct evkeyvalq form;
	bankd_contract c;

	if (bankd_html_form_parse(r, &form) != 0) {
		bankd_html_message(r, 400, _("Contract management"), N_("malformed form"),
		                   "/admin/users", _("User registration / change"));
		return;
	}
	if (!bankd_html_csrf_ok(r, &form, BANKD_CSRF_SESSION))
		bankd_html_csrf_refuse(r, BANKD_CSRF_SESSION);
	else if (admin(r, &c) == 0)
		op(r, &c, &form, id);
	bankd_html_form_wipe_free(&form);
	OPENSSL_cleanse(&c, sizeof c);
}

static void register_op(bankd_req *r, const bankd_contract *c, struct evkeyvalq *form,
                        const char *unused)
{
	bankd_admin_result res;
	const char *id = evhttp_find_header(form, "user_id");

	(void)unused;
	if (bankd_admin_user_set(r->srv, c, id, evhttp_find_header(form, "user_pin"),
	                         evhttp_find_header(form, "user_confirmation_pin"), 0, &res) == 0)
		user_set_done(r, &res, id);
	else if (res.code == 400)
		register_page(r, 400,
		              N_("the user ID is 1-32 of A-Z a-z 0-9 . _ - and the PINs are 4-64 "
		                 "printable ASCII characters each"));
	else
		refusal(r, &res, "/admin/users");
}

static void change_op(bankd_req *r, const bankd_contract *c, struct evkeyvalq *form, const char *id)
{
	bankd_admin_result res;

	if (bankd_admin_user_set(r->srv, c, id, evhttp_find_header(form, "user_pin"),
	                         evhttp_find_header(form, "user_confirmation_pin"), 1, &res) == 0)
		user_set_done(r, &res, id);
	else if (res.code == 400)
		user_page(r, c, id, 400, BAD_PINS);
	else
		refusal(r, &res, "/admin/users");
}

static void issue_op(bankd_req *r, const bankd_contract *c, struct evkeyvalq *form, const char *id)
{
	bankd_admin_result res;
	char msg[640];

	if (bankd_admin_issue(r->srv, c, id, evhttp_find_header(form, "confirmation_pin"), r->now,
	                      &res) == 0) {
		issue_done(r, &res, id);
	} else if (res.code == 400) {
		user_page(r, c, id, 400, N_("enter the contract confirmation PIN (ロ)"));
	} else if (res.wrong.secrets != 0 && bankd_wrong_tries_left(&res.wrong) > 0) {
		/* Another try: the same screen, saying how many are left. */
		bankd_wrong_sentence(&res.wrong, msg, sizeof msg);
		user_page(r, c, id, res.code, msg);
	} else {
		refusal(r, &res, "/admin/users");
	}
}

/* /admin/users/ID[tail]: the ID into id, 0; -1 when the path is not one (404 answered). */
static int user_path(bankd_req *r, const char *tail, char id[BANKD_ID_MAX + 1])
{
	const char *rest = r->path + strlen(USERS_PREFIX);
	size_t n = strcspn(rest, "/");

	if (n > 0 && n <= BANKD_ID_MAX && strcmp(rest + n, tail) == 0) {
		memcpy(id, rest, n);
		id[n] = '\0';
		if (bankd_rules_user_id_ok(id))
			return 0;
	}
	bankd_html_message(r, 404, _("User selection"), N_("not found"), "/admin/users",
	                   _("User registration / change"));
	return -1;
}

void bankd_html_admin_user(bankd_req *r)
{
	bankd_contract c;
	char id[BANKD_ID_MAX + 1];

	if (strcmp(r->path, USERS_PREFIX "new") == 0) {
		if (admin(r, &c) == 0)
			register_page(r, 200, NULL);
	} else if (user_path(r, "", id) == 0 && admin(r, &c) == 0) {
		user_page(r, &c, id, 200, NULL);
	}
	OPENSSL_cleanse(&c, sizeof c);
}

void bankd_html_admin_register_post(bankd_req *r)
{
	admin_post(r, register_op, NULL);
}

void bankd_html_admin_user_post(bankd_req *r)
{
	char id[BANKD_ID_MAX + 1];
	const char *issue = strstr(r->path + strlen(USERS_PREFIX), "/issue");

	if (issue == NULL && user_path(r, "", id) == 0)
		admin_post(r, change_op, id);
	else if (issue != NULL && user_path(r, "/issue", id) == 0)
		admin_post(r, issue_op, id);
}
