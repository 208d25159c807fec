/* Admin operations. Issuing and revoking take the contract confirmation PIN (ロ) again, as the
 * manuals ask for issuing; a wrong one counts towards the contract's lockout. Each operation
 * fills a bankd_admin_result; the JSON answers are made from it here, the HTML screens' in
 * bankd_html_admin.c. */
#include "bankd_admin.h"
#include "bankd_est.h"
#include "bankd_logon.h"
#include "bankd_rules.h"
#include "bankd_secret.h"
#include "bankd_util.h"
#include "i18n.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#define PREFIX "/api/admin/users/"
#define REASON_UNSPECIFIED 0

static int failed(bankd_admin_result *res, int code, const char *error)
{
	res->code = code;
	snprintf(res->error, sizeof res->error, "%s", error);
	return -1;
}

int bankd_admin_session(bankd_req *r, bankd_session *s, bankd_contract *c, bankd_admin_result *res)
{
	int code;
	char why[128];

	memset(res, 0, sizeof *res);
	memset(c, 0, sizeof *c);
	if (bankd_logon_session(r, s, &code, why, sizeof why) != 0)
		return failed(res, code, why);
	if (s->user_id[0] != '\0')
		return failed(res, 403, N_("admin operations need the admin's session"));
	if (bankd_db_contract_get(r->srv->db, s->contract_id, c) != BANKD_DB_OK)
		return failed(res, 500, N_("internal error"));
	if (c->failures >= BANKD_SECRET_MAX_TRIES) {
		res->locked = 1;
		return failed(res, 403, BANKD_CONTRACT_LOCKED_MSG);
	}
	res->code = 200;
	return 0;
}

int bankd_admin_user_set(bankd_server *srv, const bankd_contract *c, const char *id,
                         const char *pin, const char *conf, int must_exist, bankd_admin_result *res)
{
	bankd_user u;
	int rc;

	memset(res, 0, sizeof *res);
	if (!bankd_rules_user_id_ok(id) || !bankd_secret_acceptable(pin) ||
	    !bankd_secret_acceptable(conf))
		return failed(res, 400, "");
	rc = bankd_db_user_get(srv->db, c->id, id, &u);
	OPENSSL_cleanse(&u, sizeof u);
	if (rc == BANKD_DB_ERR)
		return failed(res, 500, N_("internal error"));
	res->existed = rc == BANKD_DB_OK;
	if (must_exist && !res->existed)
		return failed(res, 404, N_("no such user in this contract"));
	snprintf(u.contract_id, sizeof u.contract_id, "%s", c->id);
	snprintf(u.user_id, sizeof u.user_id, "%s", id);
	rc = bankd_secret_hash(pin, &bankd_secret_default_cost, u.pin) != 0 ||
	                     bankd_secret_hash(conf, &bankd_secret_default_cost, u.conf_pin) != 0 ||
	                     bankd_db_user_put(srv->db, &u) != BANKD_DB_OK ?
	             -1 :
	             0;
	OPENSSL_cleanse(&u, sizeof u);
	if (rc != 0)
		return failed(res, 500, N_("internal error"));
	res->code = 200;
	return 0;
}

/* The contract confirmation PIN, checked with the lockout, then user id of the contract. */
static int confirmed_user(bankd_server *srv, const bankd_contract *c, const char *id,
                          const char *pin, bankd_user *u, bankd_admin_result *res)
{
	bankd_attempt a;
	bankd_attempt_state st;
	int v;
	bankd_attempt_outcome o;
	int rc;

	memset(res, 0, sizeof *res);
	if (pin == NULL)
		return failed(res, 400, "");
	st = bankd_attempt_begin(&a, srv->db, c->id, "");
	v = st == BANKD_ATTEMPT_GO ? bankd_secret_verify(pin, c->conf_pin, BANKD_SECRET_LEN) : -1;
	o = v == 1 ? BANKD_ATTEMPT_COMPLETE : v == 0 ? BANKD_ATTEMPT_WRONG : BANKD_ATTEMPT_PARTIAL;
	if (st == BANKD_ATTEMPT_LOCKED) {
		res->locked = 1;
		return failed(res, 403, BANKD_CONTRACT_LOCKED_MSG);
	}
	if (st == BANKD_ATTEMPT_ERROR || bankd_attempt_end(&a, o) != 0 || v < 0)
		return failed(res, 500, N_("internal error"));
	if (v == 0) {
		res->wrong.secrets = BANKD_WRONG_CONTRACT_CONF;
		res->wrong.failures = a.failures;
		return failed(res, bankd_wrong_tries_left(&res->wrong) == 0 ? 403 : 401, "");
	}
	rc = id != NULL && bankd_rules_user_id_ok(id) ? bankd_db_user_get(srv->db, c->id, id, u) :
	                                                BANKD_DB_NONE;
	if (rc == BANKD_DB_NONE)
		return failed(res, 404, N_("no such user in this contract"));
	if (rc != BANKD_DB_OK)
		return failed(res, 500, N_("internal error"));
	return 0;
}

int bankd_admin_issue(bankd_server *srv, const bankd_contract *c, const char *id,
                      const char *confirmation_pin, time_t now, bankd_admin_result *res)
{
	bankd_user u;
	int64_t today = bankd_rules_day(now);
	int rc;

	memset(&u, 0, sizeof u);
	rc = confirmed_user(srv, c, id, confirmation_pin, &u, res);
	if (rc == 0 && bankd_db_user_issue(srv->db, u.contract_id, u.user_id, today) != BANKD_DB_OK)
		rc = failed(res, 500, N_("internal error"));
	OPENSSL_cleanse(&u, sizeof u);
	if (rc != 0)
		return -1;
	bankd_rules_day_format(today, res->issued, sizeof res->issued);
	bankd_rules_day_format(bankd_rules_last_day(today), res->window_last_day,
	                       sizeof res->window_last_day);
	res->code = 200;
	return 0;
}

/* A failed operation as JSON; bad_input: the 400's text, naming the JSON members. */
static void reply_failure(bankd_req *r, const bankd_admin_result *res, const char *bad_input)
{
	if (res->wrong.secrets != 0)
		bankd_wrong_reply_json(r, &res->wrong);
	else if (res->locked)
		bankd_locked_reply_json(r, 0);
	else
		bankd_http_json_error(r, res->code, res->code == 400 ? bad_input : res->error);
}

void bankd_admin_list(bankd_req *r)
{
	bankd_session s;
	bankd_contract c;
	bankd_admin_result res;
	json_t *users;

	if (bankd_admin_session(r, &s, &c, &res) != 0) {
		reply_failure(r, &res, "");
	} else {
		users = bankd_logon_users_json(r->srv, c.id, r->now);
		if (users == NULL)
			bankd_http_json_error(r, 500, N_("internal error"));
		else
			bankd_http_json(r, 200, json_pack("{s:o}", "users", users));
	}
	OPENSSL_cleanse(&c, sizeof c);
}

void bankd_admin_put(bankd_req *r)
{
	bankd_session s;
	bankd_contract c;
	bankd_admin_result res;
	json_t *j = bankd_http_json_body(r);

	if (bankd_admin_session(r, &s, &c, &res) != 0 ||
	    bankd_admin_user_set(r->srv, &c, bankd_json_member(j, "user_id"),
	                         bankd_json_member(j, "user_pin"),
	                         bankd_json_member(j, "user_confirmation_pin"), 0, &res) != 0)
		reply_failure(r, &res,
		              N_("send {\"user_id\": 1-32 of A-Z a-z 0-9 . _ -, \"user_pin\" and "
		                 "\"user_confirmation_pin\": 4-64 printable ASCII characters}"));
	else
		bankd_http_json(r, 200,
		                json_pack("{s:s,s:b}", "user_id", bankd_json_member(j, "user_id"),
		                          "registered", 1));
	bankd_json_wipe_free(j);
	OPENSSL_cleanse(&c, sizeof c);
}

#define CONFIRM_400 N_("send {\"confirmation_pin\": the contract confirmation PIN}")

static void append_serial(const bankd_cert *c, void *serials)
{
	(void)json_array_append_new(serials, json_string(c->serial));
}

/* The same path as the staff's contract revoke: bankd_est_revoke_id. */
static void revoke_from(bankd_req *r, const bankd_user *u)
{
	json_t *serials = json_array();
	int n = serials == NULL ?
	                -1 :
	                bankd_est_revoke_id(r->srv, u->contract_id, u->user_id, REASON_UNSPECIFIED,
	                                    r->now, append_serial, serials);
	if (n <= 0) {
		json_decref(serials);
		if (n == 0)
			bankd_http_json_error(r, 409,
			                      N_("this user has no valid certificate to revoke"));
		else
			bankd_http_json_error(r, 500, N_("internal error"));
		return;
	}
	bankd_http_json(r, 200, json_pack("{s:s,s:o}", "user_id", u->user_id, "revoked", serials));
}

void bankd_admin_user_op(bankd_req *r)
{
	/* /api/admin/users/<id>/issue or /revoke */
	const char *rest = r->path + strlen(PREFIX);
	const char *slash = strchr(rest, '/');
	char id[BANKD_ID_MAX + 1];
	size_t n = slash != NULL ? (size_t)(slash - rest) : 0;
	int op = slash == NULL                 ? 0 :
	         strcmp(slash, "/issue") == 0  ? 1 :
	         strcmp(slash, "/revoke") == 0 ? 2 :
	                                         0;
	bankd_session s;
	bankd_contract c;
	bankd_admin_result res;
	bankd_user u;
	json_t *j;
	const char *pin;

	if (op == 0 || n == 0 || n >= sizeof id) {
		bankd_http_json_error(r, 404, N_("not found"));
		return;
	}
	memcpy(id, rest, n);
	id[n] = '\0';
	memset(&u, 0, sizeof u);
	j = bankd_http_json_body(r);
	pin = bankd_json_member(j, "confirmation_pin");
	if (bankd_admin_session(r, &s, &c, &res) != 0)
		reply_failure(r, &res, CONFIRM_400);
	else if (op == 1 && bankd_admin_issue(r->srv, &c, id, pin, r->now, &res) != 0)
		reply_failure(r, &res, CONFIRM_400);
	else if (op == 1)
		bankd_http_json(r, 200,
		                json_pack("{s:s,s:s,s:s}", "user_id", id, "issued", res.issued,
		                          "window_last_day", res.window_last_day));
	else if (confirmed_user(r->srv, &c, id, pin, &u, &res) != 0)
		reply_failure(r, &res, CONFIRM_400);
	else
		revoke_from(r, &u);
	bankd_json_wipe_free(j);
	OPENSSL_cleanse(&u, sizeof u);
	OPENSSL_cleanse(&c, sizeof c);
}
