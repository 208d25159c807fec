/* EST enrollment. Credentials: Authorization: Basic base64(A ":" イ) for the admin,
 * base64(A "/" ニ ":" ト) for a user, and the confirmation PIN (ロ or チ) in the header
 * Kinko-Confirmation-PIN. Order of checks: credentials (401), request (400), policy (403),
 * approval (202), then issuance. */
#include "bankd_est.h"
#include "bankd_attest.h"
#include "bankd_logon.h"
#include "bankd_rules.h"
#include "bankd_secret.h"
#include "bankd_util.h"
#include "i18n.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>

#define CERTS_ONLY "application/pkcs7-mime; smime-type=certs-only"
#define CRL_REFRESH_SECONDS (12 * 3600)
#define RETRY_AFTER_SECONDS "60"

typedef struct est_enrollee {
	bankd_contract c;
	bankd_user u;
	int is_user;
} est_enrollee;

static void reply_certs(bankd_req *r, X509 *const *certs, size_t n)
{
	char *b64 = bankd_ca_certs_only(certs, n);
	if (b64 == NULL) {
		bankd_http_text(r, 500, N_("internal error"));
		return;
	}
	bankd_http_add_header(r, "Content-Transfer-Encoding", "base64");
	bankd_http_reply(r, 200, CERTS_ONLY, b64, strlen(b64));
	free(b64);
}

void bankd_est_cacerts(bankd_req *r)
{
	reply_certs(r, &r->srv->ca.cert, 1);
}

static void unauthorized(bankd_req *r, const char *why)
{
	bankd_http_add_header(r, "WWW-Authenticate", "Basic realm=\"kinko-bankd\"");
	bankd_http_text(r, 401, why);
}

/* "Basic <base64(user:password)>" into user and password; -1 if malformed. */
static int parse_basic(const char *h, char *user, size_t ulen, char *pass, size_t plen)
{
	uint8_t *raw;
	size_t n;
	uint8_t *colon;
	int ok;

	if (h == NULL || strncasecmp(h, "Basic ", 6) != 0)
		return -1;
	h += 6;
	while (*h == ' ')
		h++;
	if (bankd_b64_decode(h, strlen(h), &raw, &n) != 0)
		return -1;
	colon = memchr(raw, ':', n);
	ok = colon != NULL && memchr(raw, '\0', n) == NULL && (size_t)(colon - raw) < ulen &&
	     n - (size_t)(colon - raw) - 1 < plen;
	if (ok) {
		size_t u = (size_t)(colon - raw);
		memcpy(user, raw, u);
		user[u] = '\0';
		memcpy(pass, colon + 1, n - u - 1);
		pass[n - u - 1] = '\0';
	}
	OPENSSL_cleanse(raw, n);
	free(raw);
	return ok ? 0 : -1;
}

/* Checks the credentials; replies and returns -1 when they do not let the caller in. */
static int authenticate(bankd_req *r, est_enrollee *e)
{
	char user[2 * BANKD_ID_MAX + 8], pin[BANKD_SECRET_MAX_LEN + 8];
	const char *confirm = bankd_http_header(r, "Kinko-Confirmation-PIN");
	int rc = -1;
	char *slash;
	const char *secrets[2];
	const uint8_t *stored[2];
	bankd_attempt a;
	bankd_attempt_state st;
	int v;
	bankd_attempt_outcome o;

	if (parse_basic(bankd_http_header(r, "Authorization"), user, sizeof user, pin,
	                sizeof pin) != 0) {
		unauthorized(
			r,
			N_("credentials required: HTTP Basic with the contract ID (or contract ID/user ID) "
		           "and the PIN, and the header Kinko-Confirmation-PIN"));
		goto out;
	}
	if (confirm == NULL) {
		unauthorized(
			r,
			N_("the confirmation PIN is missing: send it in the header Kinko-Confirmation-PIN"));
		goto out;
	}
	slash = strchr(user, '/');
	e->is_user = slash != NULL;
	if (slash != NULL)
		*slash = '\0';
	if (bankd_db_contract_get(r->srv->db, user, &e->c) != BANKD_DB_OK ||
	    (e->is_user && bankd_db_user_get(r->srv->db, user, slash + 1, &e->u) != BANKD_DB_OK)) {
		/* As slow as a known ID, so the answer's timing does not tell which IDs exist. */
		uint8_t dummy[BANKD_SECRET_LEN];
		if (bankd_secret_hash(pin, &bankd_secret_default_cost, dummy) == 0)
			(void)bankd_secret_verify(confirm, dummy, sizeof dummy);
		unauthorized(r, N_("wrong contract ID, user ID or PIN"));
		goto out;
	}
	secrets[0] = pin;
	secrets[1] = confirm;
	stored[0] = e->is_user ? e->u.pin : e->c.pin;
	stored[1] = e->is_user ? e->u.conf_pin : e->c.conf_pin;
	st = bankd_attempt_begin(&a, r->srv->db, e->c.id, e->is_user ? e->u.user_id : "");
	v = st == BANKD_ATTEMPT_GO ? bankd_secret_verify_all(secrets, stored, 2) : -1;
	o = v == 0 ? BANKD_ATTEMPT_COMPLETE : v > 0 ? BANKD_ATTEMPT_WRONG : BANKD_ATTEMPT_PARTIAL;
	if (st == BANKD_ATTEMPT_LOCKED) {
		bankd_locked_reply_est(r, e->is_user);
	} else if (st == BANKD_ATTEMPT_ERROR || bankd_attempt_end(&a, o) != 0 || v < 0) {
		bankd_http_text(r, 500, N_("internal error"));
	} else if (v > 0) {
		bankd_wrong w = {0, e->is_user, a.failures};
		if (v & 1)
			w.secrets |= e->is_user ? BANKD_WRONG_USER_PIN : BANKD_WRONG_CONTRACT_PIN;
		if (v & 2)
			w.secrets |= e->is_user ? BANKD_WRONG_USER_CONF : BANKD_WRONG_CONTRACT_CONF;
		bankd_wrong_reply_est(r, &w);
	} else {
		rc = 0;
	}
out:
	OPENSSL_cleanse(pin, sizeof pin);
	return rc;
}

/* What the key policy looks at. OpenSSL names the curve of explicit parameters that match
 * P-256 too, so the encoding is read separately. */
static void key_facts(EVP_PKEY *pub, bankd_key_facts *f, char *curve, size_t len)
{
	memset(f, 0, sizeof *f);
	curve[0] = '\0';
	f->base = EVP_PKEY_is_a(pub, "RSA") ? "RSA" : EVP_PKEY_is_a(pub, "EC") ? "EC" : "";
	f->bits = EVP_PKEY_get_bits(pub);
	if (strcmp(f->base, "EC") == 0) {
		char enc[32];
		if (EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_GROUP_NAME, curve, len,
		                                   NULL) == 1)
			f->curve = curve;
		f->named_curve = EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_EC_ENCODING,
		                                                enc, sizeof enc, NULL) == 1 &&
		                 strcmp(enc, OSSL_PKEY_EC_ENCODING_GROUP) == 0;
	} else if (strcmp(f->base, "RSA") == 0) {
		BIGNUM *e = NULL;
		f->rsa_e_65537 = EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_RSA_E, &e) == 1 &&
		                 BN_is_word(e, 65537);
		BN_free(e);
	}
}

/* The request body as a PKCS#10 whose signature verifies and whose key the bank accepts. */
static X509_REQ *read_csr(bankd_req *r)
{
	const char *ct = bankd_http_header(r, "Content-Type");
	uint8_t *der;
	size_t n;
	const unsigned char *p;
	X509_REQ *req;
	EVP_PKEY *pub;
	char curve[64];
	bankd_key_facts facts;
	bankd_key_rule k;

	if (ct == NULL || strncasecmp(ct, "application/pkcs10", 18) != 0) {
		bankd_http_text(r, 415, N_("the request must be Content-Type: application/pkcs10"));
		return NULL;
	}
	if (bankd_b64_decode(r->body, r->body_len, &der, &n) != 0) {
		bankd_http_text(r, 400, N_("malformed request: the body is not base64"));
		return NULL;
	}
	p = der;
	req = n <= LONG_MAX ? d2i_X509_REQ(NULL, &p, (long)n) : NULL;
	if (req == NULL || p != der + n) {
		free(der);
		X509_REQ_free(req);
		bankd_http_text(
			r, 400,
			N_("malformed request: the body is not one DER PKCS#10 certificate request"));
		return NULL;
	}
	free(der);
	pub = X509_REQ_get0_pubkey(req);
	if (pub == NULL || X509_REQ_verify(req, pub) != 1) {
		X509_REQ_free(req);
		bankd_http_text(r, 400,
		                N_("malformed request: the request's signature does not verify "
		                   "(no proof of possession of the key)"));
		return NULL;
	}
	key_facts(pub, &facts, curve, sizeof curve);
	k = bankd_rules_key(&facts);
	if (k != BANKD_KEY_OK) {
		X509_REQ_free(req);
		bankd_http_text(r, 403, bankd_rules_key_explain(k));
		return NULL;
	}
	return req;
}

/* Issues, records (and, for a renewal, marks the old certificate superseded), replies. */
static void issue(bankd_req *r, const bankd_contract *c, const char *user_id, EVP_PKEY *pub,
                  const char *replaces, const char *token_serial)
{
	bankd_server *srv = r->srv;
	char cn[BANKD_ID_MAX + 16];
	bankd_cert rec;
	X509 *x;
	uint8_t *der;
	int n;
	int ok;

	snprintf(cn, sizeof cn, "%s%s", c->id, srv->bank.code);
	memset(&rec, 0, sizeof rec);
	x = bankd_ca_issue(&srv->ca, pub, cn, c->company, user_id[0] ? user_id : "admin", r->now,
	                   srv->crl_url, rec.serial);
	der = NULL;
	n = x != NULL ? i2d_X509(x, &der) : -1;
	ok = n > 0 && bankd_ca_fingerprints(x, rec.cert_sha256, rec.key_sha256) == 0;
	if (ok) {
		snprintf(rec.contract_id, sizeof rec.contract_id, "%s", c->id);
		snprintf(rec.user_id, sizeof rec.user_id, "%s", user_id);
		bankd_ca_subject(x, rec.subject, sizeof rec.subject);
		snprintf(rec.status, sizeof rec.status, "active");
		snprintf(rec.replaces, sizeof rec.replaces, "%s", replaces != NULL ? replaces : "");
		snprintf(rec.token_serial, sizeof rec.token_serial, "%s", token_serial);
		rec.not_before = (int64_t)r->now;
		rec.not_after = (int64_t)r->now + 365 * 86400LL;
		rec.issued_at = (int64_t)r->now;
		ok = bankd_db_begin(srv->db) == 0;
		ok = ok && bankd_db_cert_add(srv->db, &rec, der, (size_t)n) == BANKD_DB_OK;
		ok = ok &&
		     (replaces == NULL ||
		      bankd_db_cert_status(srv->db, replaces, "superseded", 0, 0) == BANKD_DB_OK);
		if (ok)
			ok = bankd_db_commit(srv->db) == 0;
		else
			bankd_db_rollback(srv->db);
	}
	if (ok)
		reply_certs(r, &x, 1);
	else
		bankd_http_text(r, 500, N_("internal error: the certificate could not be issued"));
	OPENSSL_free(der);
	X509_free(x);
}

static int window_ok(bankd_req *r, const est_enrollee *e)
{
	int64_t today = bankd_rules_day(r->now);
	bankd_rule rule = e->is_user ?
	                          bankd_rules_user_window(e->u.issued, e->u.issued_day, today) :
	                          bankd_rules_admin_window(e->c.applied_day, today);
	char msg[256];

	if (rule == BANKD_RULE_OK)
		return 1;
	bankd_rules_explain(rule, !e->is_user, e->is_user ? e->u.issued_day : e->c.applied_day, msg,
	                    sizeof msg);
	bankd_http_text(r, 403, msg);
	return 0;
}

/* The contract's attestation demand on the request: 1 to go on (serial: the attested token's,
 * or "" when none was verified), 0 refused (403 naming the rule, and logged). */
static int attestation_ok(bankd_req *r, const bankd_contract *c, const char *user_id, X509_REQ *req,
                          char serial[BANKD_ATTEST_SERIAL_MAX])
{
	bankd_attest_policy policy;
	bankd_attest_evidence ev;
	bankd_attest_rule rule;
	int there;

	serial[0] = '\0';
	/* An unknown word in the database demands the most. */
	if (bankd_attest_policy_parse(c->attestation, &policy) != 0)
		policy = BANKD_ATTEST_REQUIRED;
	if (policy == BANKD_ATTEST_OFF)
		return 1;
	there = bankd_attest_decode(req, &ev);
	if (there == 0 && policy == BANKD_ATTEST_OPTIONAL)
		return 1;
	/* Optional still refuses an attestation that is there and fails: it is a forgery or a
	 * token the bank does not trust, never a reason to issue. */
	rule = there < 0 ? BANKD_ATTEST_MALFORMED :
	                   bankd_attest_check(&ev, r->srv->attest_roots, X509_REQ_get0_pubkey(req),
	                                      r->now, serial);
	bankd_attest_evidence_free(&ev);
	if (rule == BANKD_ATTEST_OK)
		return 1;
	fprintf(stderr, "kinko-bankd: enrollment refused (contract %s, %s): %s\n", c->id,
	        user_id[0] ? user_id : "admin", bankd_attest_rule_explain(rule));
	bankd_http_text(r, 403, bankd_attest_rule_explain(rule));
	return 0;
}

void bankd_est_simpleenroll(bankd_req *r)
{
	char serial[BANKD_ATTEST_SERIAL_MAX];
	est_enrollee e;
	X509_REQ *req;
	const char *uid;
	bankd_cert cur;
	int rc;

	memset(&e, 0, sizeof e);
	req = NULL;
	if (authenticate(r, &e) != 0 || (req = read_csr(r)) == NULL || !window_ok(r, &e))
		goto out;
	uid = e.is_user ? e.u.user_id : "";
	rc = bankd_db_cert_current(r->srv->db, e.c.id, uid, (int64_t)r->now, &cur);
	if (rc == BANKD_DB_OK) {
		bankd_http_text(
			r, 403,
			N_("a certificate is already active for this ID; renew it instead"));
		goto out;
	}
	if (rc != BANKD_DB_NONE) {
		bankd_http_text(r, 500, N_("internal error"));
		goto out;
	}
	if (!e.is_user && e.c.manual_approval && !e.c.approved) {
		bankd_http_add_header(r, "Retry-After", RETRY_AFTER_SECONDS);
		bankd_http_text(r, 202,
		                N_("enrollment pending: the bank must approve this contract's "
		                   "admin certificate; send the same request again later"));
		goto out;
	}
	if (!attestation_ok(r, &e.c, uid, req, serial))
		goto out;
	issue(r, &e.c, uid, X509_REQ_get0_pubkey(req), NULL, serial);
out:
	X509_REQ_free(req);
	OPENSSL_cleanse(&e, sizeof e);
}

void bankd_est_simplereenroll(bankd_req *r)
{
	bankd_cert cur;
	bankd_contract c;
	X509_REQ *req = NULL;
	const char *why = bankd_logon_client_cert(r, &cur, &c);
	char key_fp[65];
	int same;
	char serial[BANKD_ATTEST_SERIAL_MAX];

	if (why != NULL) {
		bankd_http_text(r, 403, why);
		goto out;
	}
	if (strcmp(cur.status, "active") != 0) {
		bankd_http_text(r, 403,
		                N_("this certificate was already renewed; renew with the new one"));
		goto out;
	}
	if (c.failures >= BANKD_SECRET_MAX_TRIES) {
		bankd_locked_reply_est(r, 0);
		goto out;
	}
	if ((req = read_csr(r)) == NULL)
		goto out;
	if (bankd_ca_key_fingerprint(X509_REQ_get0_pubkey(req), key_fp) != 0) {
		bankd_http_text(r, 500, N_("internal error"));
		goto out;
	}
	same = strcmp(key_fp, cur.key_sha256) == 0;
	if (same) {
		bankd_http_text(
			r, 403,
			N_("renewal needs a new key: this key is the current certificate's"));
		goto out;
	}
	if (!attestation_ok(r, &c, cur.user_id, req, serial))
		goto out;
	issue(r, &c, cur.user_id, X509_REQ_get0_pubkey(req), cur.serial, serial);
out:
	X509_REQ_free(req);
	OPENSSL_cleanse(&c, sizeof c);
}

/* Room for one more element of elem bytes after the n in v (cap allocated; first: the first
 * allocation): v itself, a larger copy, or NULL out of memory (v is left as it was). */
static void *est_list_room(void *v, size_t *cap, size_t n, size_t elem, size_t first)
{
	size_t more = *cap ? *cap * 2 : first;

	if (n < *cap)
		return v;
	if (more > SIZE_MAX / elem)
		return NULL;
	v = realloc(v, more * elem);
	if (v != NULL)
		*cap = more;
	return v;
}

typedef struct est_revoked_list {
	bankd_revoked *v;
	size_t n, cap;
} est_revoked_list;

static int collect_revoked(const bankd_cert *c, void *arg)
{
	est_revoked_list *l = arg;
	bankd_revoked *v = est_list_room(l->v, &l->cap, l->n, sizeof *v, 16);
	bankd_revoked *e;

	if (v == NULL)
		return -1;
	l->v = v;
	e = &l->v[l->n++];
	snprintf(e->serial, sizeof e->serial, "%s", c->serial);
	e->revoked_at = c->revoked_at;
	e->reason = c->reason;
	return 0;
}

int bankd_est_crl_refresh(bankd_server *srv, time_t now, int force)
{
	int64_t number = 0, this_update = 0;
	uint8_t *old = NULL;
	size_t old_len = 0;
	int rc = bankd_db_crl_get(srv->db, &number, &this_update, &old, &old_len);
	est_revoked_list l = {NULL, 0, 0};
	uint8_t *der;
	size_t n;
	int ok;

	free(old);
	if (rc == BANKD_DB_ERR)
		return -1;
	if (rc == BANKD_DB_OK && !force && (int64_t)now >= this_update &&
	    (int64_t)now - this_update < CRL_REFRESH_SECONDS)
		return 0;
	der = NULL;
	n = 0;
	ok = bankd_db_cert_each_revoked(srv->db, collect_revoked, &l) == BANKD_DB_OK &&
	     bankd_ca_crl(&srv->ca, l.v, l.n, number + 1, now, &der, &n) == 0 &&
	     bankd_db_crl_put(srv->db, number + 1, (int64_t)now, der, n) == BANKD_DB_OK;
	free(l.v);
	OPENSSL_free(der);
	return ok ? 0 : -1;
}

int bankd_est_revoke(bankd_server *srv, const char *serial, int reason, time_t now)
{
	if (bankd_db_cert_status(srv->db, serial, "revoked", (int64_t)now, reason) != BANKD_DB_OK)
		return -1;
	return bankd_est_crl_refresh(srv, now, 1);
}

typedef struct est_valid_list {
	bankd_cert *v;
	size_t n, cap;
	int64_t now;
} est_valid_list;

static int collect_valid(const bankd_cert *c, void *arg)
{
	est_valid_list *l = arg;
	bankd_cert *v;

	if (strcmp(c->status, "revoked") == 0 || c->not_after <= l->now)
		return 0;
	v = est_list_room(l->v, &l->cap, l->n, sizeof *v, 4);
	if (v == NULL)
		return -1;
	l->v = v;
	l->v[l->n++] = *c;
	return 0;
}

int bankd_est_revoke_id(bankd_server *srv, const char *contract_id, const char *user_id, int reason,
                        time_t now, bankd_est_revoked_cb cb, void *arg)
{
	est_valid_list l = {NULL, 0, 0, (int64_t)now};
	int ok;
	size_t i;
	size_t n;

	if (bankd_db_begin(srv->db) != 0)
		return -1;
	/* Collected first: no writes while the query is open. */
	ok = bankd_db_cert_each(srv->db, contract_id, user_id, collect_valid, &l) == BANKD_DB_OK;
	for (i = 0; ok && i < l.n; i++)
		ok = bankd_db_cert_status(srv->db, l.v[i].serial, "revoked", (int64_t)now,
		                          reason) == BANKD_DB_OK;
	if (ok && l.n > 0)
		ok = bankd_est_crl_refresh(srv, now, 1) == 0 &&
		     bankd_db_session_delete_id(srv->db, contract_id, user_id) != BANKD_DB_ERR;
	if (ok)
		ok = bankd_db_commit(srv->db) == 0;
	if (!ok)
		bankd_db_rollback(srv->db);
	for (i = 0; ok && cb != NULL && i < l.n; i++)
		cb(&l.v[i], arg);
	n = l.n;
	free(l.v);
	return ok ? (int)n : -1;
}

void bankd_est_crl(bankd_req *r)
{
	int64_t number, this_update;
	uint8_t *der = NULL;
	size_t n = 0;
	if (bankd_est_crl_refresh(r->srv, r->now, 0) != 0 ||
	    bankd_db_crl_get(r->srv->db, &number, &this_update, &der, &n) != BANKD_DB_OK) {
		free(der);
		bankd_http_text(r, 500, N_("internal error: no CRL"));
		return;
	}
	bankd_http_reply(r, 200, "application/pkix-crl", der, n);
	free(der);
}
