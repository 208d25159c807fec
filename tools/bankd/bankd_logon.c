/* Logon: certificate, then PIN (and, for the admin, two digits of the customer card). */
#include "bankd_logon.h"
#include "bankd_est.h"
#include "bankd_rules.h"
#include "bankd_secret.h"
#include "bankd_util.h"
#include "i18n.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#define REASON_SUPERSEDED 4

static void fail(bankd_logon_result *res, int code, const char *msg)
{
	res->code = code;
	snprintf(res->error, sizeof res->error, "%s", msg);
}

const char *bankd_logon_client_cert(bankd_req *r, bankd_cert *cert, bankd_contract *c)
{
	const char *why;
	char fp[65], key[65];
	char cn[BANKD_ID_MAX + 16], want[BANKD_ID_MAX + 16];
	X509_NAME *n;

	if (r->peer == NULL)
		return N_("a client certificate issued by this bank is required");
	why = bankd_ca_verify_client(&r->srv->ca, r->peer, r->now);
	if (why != NULL)
		return why;
	if (bankd_ca_fingerprints(r->peer, fp, key) != 0 ||
	    bankd_db_cert_by_fp(r->srv->db, fp, cert) != BANKD_DB_OK)
		return N_("this client certificate is not in the bank's records");
	if (strcmp(cert->status, "revoked") == 0)
		return N_("this client certificate has been revoked");
	if (bankd_db_contract_get(r->srv->db, cert->contract_id, c) != BANKD_DB_OK)
		return N_("this client certificate's contract does not exist");
	/* The CN the bank wrote must still name the contract (the manuals' check). */
	snprintf(want, sizeof want, "%s%s", c->id, r->srv->bank.code);
	n = X509_get_subject_name(r->peer);
	if (X509_NAME_get_text_by_NID(n, NID_commonName, cn, sizeof cn) < 0 ||
	    strcmp(cn, want) != 0)
		return N_("the certificate's common name is not contract ID + bank code");
	return NULL;
}

static int random_positions(char out[8], int idx[2])
{
	uint8_t b[32];
	int k = 0;
	while (k < 2) {
		size_t i;

		if (RAND_bytes(b, sizeof b) != 1)
			return -1;
		for (i = 0; i < sizeof b && k < 2; i++) {
			int v;

			if (b[i] >= 250)
				continue;
			v = b[i] % BANKD_CARD_LEN;
			if (k == 1 && v == idx[0])
				continue;
			idx[k++] = v;
		}
	}
	snprintf(out, 8, "%c%d,%c%d", 'A' + idx[0] / BANKD_CARD_COLS, idx[0] % BANKD_CARD_COLS,
	         'A' + idx[1] / BANKD_CARD_COLS, idx[1] % BANKD_CARD_COLS);
	return 0;
}

static int new_token(char token[33], char hash[65])
{
	return bankd_random_hex(16, token) == 0 &&
	                       bankd_sha256_hex((const uint8_t *)token, 32, hash) == 0 ?
	               0 :
	               -1;
}

/* The logon is complete: a renewal's predecessor is revoked now that the new certificate has
 * worked, and a session starts. */
static void complete(bankd_req *r, const bankd_cert *cert, bankd_logon_result *res)
{
	bankd_cert old;
	bankd_session s;

	if (cert->replaces[0] != '\0' &&
	    bankd_db_cert_by_serial(r->srv->db, cert->replaces, &old) == BANKD_DB_OK &&
	    strcmp(old.status, "superseded") == 0 &&
	    bankd_est_revoke(r->srv, old.serial, REASON_SUPERSEDED, r->now) != 0) {
		fail(res, 500, N_("internal error"));
		return;
	}
	memset(&s, 0, sizeof s);
	snprintf(s.contract_id, sizeof s.contract_id, "%s", cert->contract_id);
	snprintf(s.user_id, sizeof s.user_id, "%s", cert->user_id);
	snprintf(s.cert_sha256, sizeof s.cert_sha256, "%s", cert->cert_sha256);
	s.last_seen = (int64_t)r->now;
	if (new_token(res->session, s.id_hash) != 0 ||
	    bankd_db_session_add(r->srv->db, &s) != BANKD_DB_OK) {
		fail(res, 500, N_("internal error"));
		return;
	}
	res->code = 200;
}

static void wrong(bankd_logon_result *res, unsigned secret, int is_user, const bankd_attempt *a)
{
	char msg[sizeof res->error];

	res->wrong.secrets = secret;
	res->wrong.is_user = is_user;
	res->wrong.failures = a->failures;
	bankd_wrong_sentence(&res->wrong, msg, sizeof msg);
	fail(res, bankd_wrong_tries_left(&res->wrong) == 0 ? 403 : 401, msg);
	res->locked = res->code == 403;
}

static void locked(bankd_logon_result *res, int is_user)
{
	fail(res, 403, is_user ? BANKD_USER_LOCKED_MSG : BANKD_CONTRACT_LOCKED_MSG);
	res->locked = 1;
	res->wrong.is_user = is_user;
}

/* The admin's PIN was right: name two card positions and wait for their digits. */
static void start_otp(bankd_req *r, const bankd_cert *cert, bankd_logon_result *res)
{
	bankd_session s;
	int idx[2];

	memset(&s, 0, sizeof s);
	snprintf(s.contract_id, sizeof s.contract_id, "%s", cert->contract_id);
	snprintf(s.cert_sha256, sizeof s.cert_sha256, "%s", cert->cert_sha256);
	s.last_seen = (int64_t)r->now;
	s.otp_pending = 1;
	if (random_positions(s.positions, idx) != 0 || new_token(res->logon_id, s.id_hash) != 0 ||
	    bankd_db_session_add(r->srv->db, &s) != BANKD_DB_OK) {
		fail(res, 500, N_("internal error"));
		return;
	}
	res->code = 200;
	res->otp = 1;
	snprintf(res->positions, sizeof res->positions, "%s", s.positions);
}

void bankd_logon_do_pin(bankd_req *r, const char *pin, bankd_logon_result *res)
{
	bankd_cert cert;
	bankd_contract c;
	bankd_user u;
	const char *why;
	int is_user;

	memset(res, 0, sizeof *res);
	/* Ended sessions and abandoned logons go here, at the start of every logon. */
	if (bankd_db_session_purge(r->srv->db, (int64_t)r->now - BANKD_SESSION_IDLE_SECONDS) !=
	    BANKD_DB_OK) {
		fail(res, 500, N_("internal error"));
		return;
	}
	memset(&u, 0, sizeof u);
	why = bankd_logon_client_cert(r, &cert, &c);
	is_user = why == NULL && cert.user_id[0] != '\0';
	if (why != NULL) {
		fail(res, 403, why);
	} else if (is_user &&
	           bankd_db_user_get(r->srv->db, c.id, cert.user_id, &u) != BANKD_DB_OK) {
		fail(res, 403, N_("this certificate's user is no longer registered"));
	} else if (pin == NULL) {
		fail(res, 400, N_("malformed request: send {\"pin\": \"...\"}"));
	} else {
		bankd_attempt a;
		bankd_attempt_state st = bankd_attempt_begin(&a, r->srv->db, c.id, cert.user_id);
		int v = st == BANKD_ATTEMPT_GO ? bankd_secret_verify(pin, is_user ? u.pin : c.pin,
		                                                     BANKD_SECRET_LEN) :
		                                 -1;
		/* The admin's right PIN is half the credential: the card digits decide the count. */
		bankd_attempt_outcome o = v == 0            ? BANKD_ATTEMPT_WRONG :
		                          v == 1 && is_user ? BANKD_ATTEMPT_COMPLETE :
		                                              BANKD_ATTEMPT_PARTIAL;
		if (st == BANKD_ATTEMPT_LOCKED)
			locked(res, is_user);
		else if (st == BANKD_ATTEMPT_ERROR || bankd_attempt_end(&a, o) != 0 || v < 0)
			fail(res, 500, N_("internal error"));
		else if (v == 0)
			wrong(res, is_user ? BANKD_WRONG_USER_PIN : BANKD_WRONG_CONTRACT_PIN,
			      is_user, &a);
		else if (is_user)
			complete(r, &cert, res);
		else
			start_otp(r, &cert, res);
	}
	OPENSSL_cleanse(&c, sizeof c);
	OPENSSL_cleanse(&u, sizeof u);
}

static int digits_ok(const char *d)
{
	return d != NULL && strlen(d) == 2 && d[0] >= '0' && d[0] <= '9' && d[1] >= '0' &&
	       d[1] <= '9';
}

void bankd_logon_do_otp(bankd_req *r, const char *logon_id, const char *digits,
                        bankd_logon_result *res)
{
	bankd_cert cert;
	bankd_contract c;
	bankd_session s;
	char hash[65];
	const char *why;
	bankd_attempt a;
	bankd_attempt_state st;
	char want[2];
	int i;
	int right;

	memset(res, 0, sizeof *res);
	why = bankd_logon_client_cert(r, &cert, &c);
	if (why != NULL) {
		fail(res, 403, why);
		return;
	}
	if (logon_id == NULL || strlen(logon_id) != 32 || !digits_ok(digits)) {
		fail(res, 400,
		     N_("malformed request: send {\"logon_id\": \"...\", \"digits\": \"NN\"}"));
		goto out;
	}
	/* One answer per logon: the pending logon is gone whatever the answer. */
	if (bankd_sha256_hex((const uint8_t *)logon_id, 32, hash) != 0 ||
	    bankd_db_session_get(r->srv->db, hash, &s) != BANKD_DB_OK || !s.otp_pending ||
	    bankd_db_session_delete(r->srv->db, hash) != BANKD_DB_OK ||
	    strcmp(s.cert_sha256, cert.cert_sha256) != 0 ||
	    (int64_t)r->now - s.last_seen > BANKD_OTP_SECONDS || (int64_t)r->now < s.last_seen) {
		fail(res, 401, N_("unknown or expired logon; log on again"));
		goto out;
	}
	st = bankd_attempt_begin(&a, r->srv->db, c.id, "");
	if (st != BANKD_ATTEMPT_GO) {
		if (st == BANKD_ATTEMPT_LOCKED)
			locked(res, 0);
		else
			fail(res, 500, N_("internal error"));
		goto out;
	}
	for (i = 0; i < 2; i++) {
		const char *p = s.positions + 3 * i;
		int idx = (p[0] - 'A') * BANKD_CARD_COLS + (p[1] - '0');
		want[i] = idx >= 0 && idx < BANKD_CARD_LEN ? c.card[idx] : 'x';
	}
	right = CRYPTO_memcmp(want, digits, 2) == 0;
	if (bankd_attempt_end(&a, right ? BANKD_ATTEMPT_COMPLETE : BANKD_ATTEMPT_WRONG) != 0)
		fail(res, 500, N_("internal error"));
	else if (!right)
		wrong(res, BANKD_WRONG_CARD, 0, &a);
	else
		complete(r, &cert, res);
	OPENSSL_cleanse(want, sizeof want);
out:
	OPENSSL_cleanse(&c, sizeof c);
}

int bankd_logon_cookie(bankd_req *r, const char *name, char token[33])
{
	const char *h = bankd_http_header(r, "Cookie");
	size_t klen = strlen(name);
	while (h != NULL && *h != '\0') {
		while (*h == ' ' || *h == ';')
			h++;
		if (strncmp(h, name, klen) == 0 && h[klen] == '=') {
			const char *v = h + klen + 1;
			size_t n = strcspn(v, "; ");
			if (n != 32)
				return -1;
			memcpy(token, v, 32);
			token[32] = '\0';
			return 0;
		}
		h = strchr(h, ';');
	}
	return -1;
}

int bankd_logon_session(bankd_req *r, bankd_session *s, int *code, char *why, size_t len)
{
	char token[33], hash[65], fp[65], key[65];
	bankd_cert cert;
	bankd_contract c;
	const char *bad;

	*code = 401;
	if (bankd_logon_cookie(r, BANKD_SESSION_COOKIE, token) != 0 ||
	    bankd_sha256_hex((const uint8_t *)token, 32, hash) != 0 ||
	    bankd_db_session_get(r->srv->db, hash, s) != BANKD_DB_OK || s->otp_pending) {
		snprintf(why, len, "%s", N_("not logged on"));
		return -1;
	}
	if (r->peer == NULL || bankd_ca_fingerprints(r->peer, fp, key) != 0 ||
	    strcmp(fp, s->cert_sha256) != 0) {
		*code = 403;
		snprintf(why, len, "%s", N_("this session belongs to another certificate"));
		return -1;
	}
	/* The certificate may have been revoked (or replaced) since the logon. */
	bad = bankd_logon_client_cert(r, &cert, &c);
	OPENSSL_cleanse(&c, sizeof c);
	if (bad != NULL) {
		(void)bankd_db_session_delete(r->srv->db, hash);
		*code = 403;
		snprintf(why, len, "%s", bad);
		return -1;
	}
	if ((int64_t)r->now - s->last_seen > BANKD_SESSION_IDLE_SECONDS) {
		(void)bankd_db_session_delete(r->srv->db, hash);
		snprintf(why, len, "%s", N_("session expired after 10 minutes idle; log on again"));
		return -1;
	}
	if (bankd_db_session_touch(r->srv->db, hash, (int64_t)r->now) != BANKD_DB_OK) {
		*code = 500;
		snprintf(why, len, "%s", N_("internal error"));
		return -1;
	}
	return 0;
}

void bankd_logon_set_cookie(bankd_req *r, const char *token)
{
	char v[128];
	snprintf(v, sizeof v, BANKD_SESSION_COOKIE "=%s; Path=/; Secure; HttpOnly; SameSite=Strict",
	         token);
	bankd_http_add_header(r, "Set-Cookie", v);
}

void bankd_logon_clear_cookie(bankd_req *r)
{
	bankd_http_add_header(r, "Set-Cookie",
	                      BANKD_SESSION_COOKIE
	                      "=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Strict");
}

static json_t *day_json(int64_t t)
{
	char d[16];
	bankd_rules_day_format(bankd_rules_day((time_t)t), d, sizeof d);
	return json_string(d);
}

static json_t *cert_json(const bankd_cert *c, time_t now)
{
	const char *state = c->status;
	if (strcmp(state, "revoked") != 0 && c->not_after <= (int64_t)now)
		state = "expired";
	return json_pack("{s:s,s:s,s:o,s:o,s:s,s:o}", "serial", c->serial, "subject", c->subject,
	                 "not_before", day_json(c->not_before), "not_after", day_json(c->not_after),
	                 "state", state, "token_serial",
	                 c->token_serial[0] ? json_string(c->token_serial) : json_null());
}

typedef struct logon_users_ctx {
	bankd_server *srv;
	json_t *list;
	time_t now;
} logon_users_ctx;

static int user_json(const bankd_user *u, void *arg)
{
	logon_users_ctx *x = arg;
	bankd_cert c;
	json_t *cert = json_null();
	char issued[16] = "", last[16] = "";
	json_t *o;

	if (bankd_db_cert_current(x->srv->db, u->contract_id, u->user_id, (int64_t)x->now, &c) ==
	    BANKD_DB_OK)
		cert = cert_json(&c, x->now);
	if (u->issued) {
		bankd_rules_day_format(u->issued_day, issued, sizeof issued);
		bankd_rules_day_format(bankd_rules_last_day(u->issued_day), last, sizeof last);
	}
	o = json_pack("{s:s,s:o,s:o,s:b,s:o}", "user_id", u->user_id, "issued",
	              u->issued ? json_string(issued) : json_null(), "window_last_day",
	              u->issued ? json_string(last) : json_null(), "locked",
	              u->failures >= BANKD_SECRET_MAX_TRIES, "certificate", cert);
	return o != NULL && json_array_append_new(x->list, o) == 0 ? 0 : -1;
}

json_t *bankd_logon_users_json(bankd_server *srv, const char *contract_id, time_t now)
{
	logon_users_ctx x = {srv, json_array(), now};
	if (x.list == NULL ||
	    bankd_db_user_each(srv->db, contract_id, user_json, &x) != BANKD_DB_OK) {
		json_decref(x.list);
		return NULL;
	}
	return x.list;
}

json_t *bankd_logon_status_json(bankd_server *srv, const bankd_session *s, time_t now)
{
	bankd_contract c;
	bankd_cert cert;
	int admin;
	json_t *who;
	json_t *j;

	if (bankd_db_contract_get(srv->db, s->contract_id, &c) != BANKD_DB_OK ||
	    bankd_db_cert_by_fp(srv->db, s->cert_sha256, &cert) != BANKD_DB_OK)
		return NULL;
	admin = s->user_id[0] == '\0';
	who = admin ? json_pack("{s:s}", "role", "admin") :
	              json_pack("{s:s,s:s}", "role", "user", "user_id", s->user_id);
	j = json_pack("{s:{s:s,s:s},s:s,s:s,s:o,s:o}", "bank", "code", srv->bank.code, "name",
	              srv->bank.name, "company", c.company, "contract_id", c.id, "logged_on", who,
	              "certificate", cert_json(&cert, now));
	if (j != NULL && admin) {
		json_t *users = bankd_logon_users_json(srv, c.id, now);
		if (users == NULL || json_object_set_new(j, "users", users) != 0) {
			json_decref(j);
			j = NULL;
		}
	}
	OPENSSL_cleanse(&c, sizeof c);
	return j;
}

static void reply_result(bankd_req *r, const bankd_logon_result *res)
{
	bankd_session s;
	char hash[65];
	json_t *status;

	if (res->wrong.secrets != 0) {
		bankd_wrong_reply_json(r, &res->wrong);
		return;
	}
	if (res->locked) {
		bankd_locked_reply_json(r, res->wrong.is_user);
		return;
	}
	if (res->code != 200) {
		bankd_http_json_error(r, res->code, res->error);
		return;
	}
	if (res->otp) {
		char p[2][3] = {{res->positions[0], res->positions[1], 0},
		                {res->positions[3], res->positions[4], 0}};
		bankd_http_json(r, 200,
		                json_pack("{s:{s:[s,s]},s:s}", "otp", "positions", p[0], p[1],
		                          "logon_id", res->logon_id));
		return;
	}
	status = NULL;
	if (bankd_sha256_hex((const uint8_t *)res->session, 32, hash) == 0 &&
	    bankd_db_session_get(r->srv->db, hash, &s) == BANKD_DB_OK)
		status = bankd_logon_status_json(r->srv, &s, r->now);
	if (status == NULL) {
		bankd_http_json_error(r, 500, N_("internal error"));
		return;
	}
	bankd_logon_set_cookie(r, res->session);
	bankd_http_json(r, 200, json_pack("{s:s,s:o}", "session", res->session, "status", status));
}

void bankd_logon_start(bankd_req *r)
{
	json_t *j = bankd_http_json_body(r);
	bankd_logon_result res;
	bankd_logon_do_pin(r, bankd_json_member(j, "pin"), &res);
	reply_result(r, &res);
	OPENSSL_cleanse(&res, sizeof res);
	bankd_json_wipe_free(j);
}

void bankd_logon_otp(bankd_req *r)
{
	json_t *j = bankd_http_json_body(r);
	bankd_logon_result res;
	bankd_logon_do_otp(r, bankd_json_member(j, "logon_id"), bankd_json_member(j, "digits"),
	                   &res);
	reply_result(r, &res);
	OPENSSL_cleanse(&res, sizeof res);
	bankd_json_wipe_free(j);
}

void bankd_logon_status(bankd_req *r)
{
	bankd_session s;
	int code;
	char why[128];
	json_t *j;

	if (bankd_logon_session(r, &s, &code, why, sizeof why) != 0) {
		bankd_http_json_error(r, code, why);
		return;
	}
	j = bankd_logon_status_json(r->srv, &s, r->now);
	if (j == NULL)
		bankd_http_json_error(r, 500, N_("internal error"));
	else
		bankd_http_json(r, 200, j);
}

void bankd_logon_logoff(bankd_req *r)
{
	bankd_session s;
	int code;
	char why[128];
	if (bankd_logon_session(r, &s, &code, why, sizeof why) != 0) {
		bankd_http_json_error(r, code, why);
		return;
	}
	if (bankd_db_session_delete(r->srv->db, s.id_hash) != BANKD_DB_OK) {
		bankd_http_json_error(r, 500, N_("internal error"));
		return;
	}
	bankd_logon_clear_cookie(r);
	bankd_http_json(r, 200, json_pack("{s:b}", "logged_off", 1));
}
