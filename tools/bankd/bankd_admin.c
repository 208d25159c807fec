/* Admin operations. Issuing and revoking take the contract confirmation PIN (ロ) again, as the
 * manuals ask for issuing; a wrong one counts towards the contract's lockout. */
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

/* The request's admin session and its contract; replies and returns -1 otherwise. */
static int admin_session(bankd_req *r, bankd_session *s, bankd_contract *c)
{
	int code;
	char why[128];
	if (bankd_logon_session(r, s, &code, why, sizeof why) != 0) {
		bankd_http_json_error(r, code, why);
		return -1;
	}
	if (s->user_id[0] != '\0') {
		bankd_http_json_error(r, 403, N_("admin operations need the admin's session"));
		return -1;
	}
	if (bankd_db_contract_get(r->srv->db, s->contract_id, c) != BANKD_DB_OK) {
		bankd_http_json_error(r, 500, N_("internal error"));
		return -1;
	}
	if (c->failures >= BANKD_SECRET_MAX_TRIES) {
		bankd_locked_reply_json(r, 0);
		return -1;
	}
	return 0;
}

void bankd_admin_list(bankd_req *r)
{
	bankd_session s;
	bankd_contract c;
	if (admin_session(r, &s, &c) == 0) {
		json_t *users = bankd_logon_users_json(r->srv, c.id, r->now);
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
	bankd_user u;
	json_t *j;
	const char *id, *pin, *conf;

	memset(&u, 0, sizeof u);
	j = bankd_http_json_body(r);
	if (admin_session(r, &s, &c) != 0)
		goto out;
	id = bankd_json_member(j, "user_id");
	pin = bankd_json_member(j, "user_pin");
	conf = bankd_json_member(j, "user_confirmation_pin");
	if (!bankd_rules_user_id_ok(id) || !bankd_secret_acceptable(pin) ||
	    !bankd_secret_acceptable(conf)) {
		bankd_http_json_error(
			r, 400,
			N_("send {\"user_id\": 1-32 of A-Z a-z 0-9 . _ -, \"user_pin\" and "
		           "\"user_confirmation_pin\": 4-64 printable ASCII characters}"));
		goto out;
	}
	snprintf(u.contract_id, sizeof u.contract_id, "%s", c.id);
	snprintf(u.user_id, sizeof u.user_id, "%s", id);
	if (bankd_secret_hash(pin, &bankd_secret_default_cost, u.pin) != 0 ||
	    bankd_secret_hash(conf, &bankd_secret_default_cost, u.conf_pin) != 0 ||
	    bankd_db_user_put(r->srv->db, &u) != BANKD_DB_OK) {
		bankd_http_json_error(r, 500, N_("internal error"));
		goto out;
	}
	bankd_http_json(r, 200, json_pack("{s:s,s:b}", "user_id", u.user_id, "registered", 1));
out:
	bankd_json_wipe_free(j);
	OPENSSL_cleanse(&u, sizeof u);
	OPENSSL_cleanse(&c, sizeof c);
}

/* The contract confirmation PIN from the body, checked with the lockout. */
static int confirm(bankd_req *r, bankd_contract *c, json_t *j)
{
	const char *pin = bankd_json_member(j, "confirmation_pin");
	bankd_attempt a;
	bankd_attempt_state st;
	int v;
	bankd_attempt_outcome o;

	if (pin == NULL) {
		bankd_http_json_error(
			r, 400, N_("send {\"confirmation_pin\": the contract confirmation PIN}"));
		return -1;
	}
	st = bankd_attempt_begin(&a, r->srv->db, c->id, "");
	v = st == BANKD_ATTEMPT_GO ? bankd_secret_verify(pin, c->conf_pin, BANKD_SECRET_LEN) : -1;
	o = v == 1 ? BANKD_ATTEMPT_COMPLETE : v == 0 ? BANKD_ATTEMPT_WRONG : BANKD_ATTEMPT_PARTIAL;
	if (st == BANKD_ATTEMPT_LOCKED) {
		bankd_locked_reply_json(r, 0);
		return -1;
	}
	if (st == BANKD_ATTEMPT_ERROR || bankd_attempt_end(&a, o) != 0 || v < 0) {
		bankd_http_json_error(r, 500, N_("internal error"));
		return -1;
	}
	if (v == 0) {
		bankd_wrong w = {BANKD_WRONG_CONTRACT_CONF, 0, a.failures};
		bankd_wrong_reply_json(r, &w);
		return -1;
	}
	return 0;
}

static void issue_to(bankd_req *r, const bankd_user *u)
{
	int64_t today = bankd_rules_day(r->now);
	char day[16], last[16];
	if (bankd_db_user_issue(r->srv->db, u->contract_id, u->user_id, today) != BANKD_DB_OK) {
		bankd_http_json_error(r, 500, N_("internal error"));
		return;
	}
	bankd_rules_day_format(today, day, sizeof day);
	bankd_rules_day_format(bankd_rules_last_day(today), last, sizeof last);
	bankd_http_json(r, 200,
	                json_pack("{s:s,s:s,s:s}", "user_id", u->user_id, "issued", day,
	                          "window_last_day", last));
}

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
	bankd_user u;
	json_t *j;
	int rc;

	if (op == 0 || n == 0 || n >= sizeof id) {
		bankd_http_json_error(r, 404, N_("not found"));
		return;
	}
	memcpy(id, rest, n);
	id[n] = '\0';
	memset(&u, 0, sizeof u);
	j = bankd_http_json_body(r);
	if (admin_session(r, &s, &c) != 0 || confirm(r, &c, j) != 0)
		goto out;
	rc = bankd_rules_user_id_ok(id) ? bankd_db_user_get(r->srv->db, c.id, id, &u) :
	                                  BANKD_DB_NONE;
	if (rc == BANKD_DB_NONE)
		bankd_http_json_error(r, 404, N_("no such user in this contract"));
	else if (rc != BANKD_DB_OK)
		bankd_http_json_error(r, 500, N_("internal error"));
	else if (op == 1)
		issue_to(r, &u);
	else
		revoke_from(r, &u);
out:
	bankd_json_wipe_free(j);
	OPENSSL_cleanse(&u, sizeof u);
	OPENSSL_cleanse(&c, sizeof c);
}
