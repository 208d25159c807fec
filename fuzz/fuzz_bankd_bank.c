/* The fuzzers' bank: see fuzz_bankd_bank.h. */
#include "fuzz_bankd_bank.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sqlite3.h>

#include "bankd_ca.h"
#include "bankd_contract.h"
#include "bankd_db.h"
#include "bankd_ratelimit.h"
#include "bankd_rules.h"
#include "bankd_secret.h"
#include "bankd_util.h"

/* The cost the bank's unit tests use: cheap, and still real scrypt. */
static const bankd_secret_cost cheap = {10, 1, 1};

static struct fuzz_bank bank;
static sqlite3 *live;     /* a second connection to bank.db, for the reset */
static sqlite3 *snapshot; /* bank.db as set up, in memory */

static void need(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_bankd_bank: cannot %s\n", what);
		abort();
	}
}

static void add_contract(bankd_db *db, const char *id, int manual, int64_t today)
{
	bankd_contract c;
	memset(&c, 0, sizeof c);
	snprintf(c.id, sizeof c.id, "%s", id);
	snprintf(c.company, sizeof c.company, "Fuzz Trading %s", id);
	c.applied_day = today;
	c.manual_approval = manual;
	snprintf(c.card, sizeof c.card, "%s", FUZZ_CARD);
	need(bankd_secret_hash(FUZZ_CONF_PASSWORD, &cheap, c.conf_password) == 0 &&
	             bankd_secret_hash(FUZZ_PIN, &cheap, c.pin) == 0 &&
	             bankd_secret_hash(FUZZ_CONF_PIN, &cheap, c.conf_pin) == 0 &&
	             bankd_db_contract_add(db, &c) == BANKD_DB_OK,
	     "add a contract");
}

static void add_user(bankd_db *db, const char *id, int64_t today)
{
	bankd_user u;
	memset(&u, 0, sizeof u);
	snprintf(u.contract_id, sizeof u.contract_id, "%s", FUZZ_CONTRACT);
	snprintf(u.user_id, sizeof u.user_id, "%s", id);
	need(bankd_secret_hash(FUZZ_USER_PIN, &cheap, u.pin) == 0 &&
	             bankd_secret_hash(FUZZ_USER_CONF_PIN, &cheap, u.conf_pin) == 0 &&
	             bankd_db_user_put(db, &u) == BANKD_DB_OK &&
	             bankd_db_user_issue(db, FUZZ_CONTRACT, id, today) == BANKD_DB_OK,
	     "add a user");
}

/* A certificate as EST would issue it, recorded active. */
static X509 *add_cert(bankd_server *srv, const char *user_id, time_t now)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	bankd_cert rec;
	memset(&rec, 0, sizeof rec);
	need(key != NULL, "make a key");
	X509 *x = bankd_ca_issue(&srv->ca, key, FUZZ_CONTRACT FUZZ_BANK_CODE, "Fuzz Trading",
	                         user_id[0] ? user_id : "admin", now, srv->crl_url, rec.serial);
	EVP_PKEY_free(key);
	uint8_t *der = NULL;
	int n = x != NULL ? i2d_X509(x, &der) : -1;
	need(n > 0 && bankd_ca_fingerprints(x, rec.cert_sha256, rec.key_sha256) == 0, "issue");
	snprintf(rec.contract_id, sizeof rec.contract_id, "%s", FUZZ_CONTRACT);
	snprintf(rec.user_id, sizeof rec.user_id, "%s", user_id);
	bankd_ca_subject(x, rec.subject, sizeof rec.subject);
	snprintf(rec.status, sizeof rec.status, "active");
	rec.not_before = rec.issued_at = (int64_t)now;
	rec.not_after = (int64_t)now + 365 * 86400;
	need(bankd_db_cert_add(srv->db, &rec, der, (size_t)n) == BANKD_DB_OK,
	     "record a certificate");
	OPENSSL_free(der);
	return x;
}

static void add_session(bankd_db *db, const char *token, const char *user_id, X509 *cert,
                        const char *positions, time_t now)
{
	bankd_session s;
	char key_fp[65];
	memset(&s, 0, sizeof s);
	need(bankd_sha256_hex((const uint8_t *)token, strlen(token), s.id_hash) == 0 &&
	             bankd_ca_fingerprints(cert, s.cert_sha256, key_fp) == 0,
	     "hash a session");
	snprintf(s.contract_id, sizeof s.contract_id, "%s", FUZZ_CONTRACT);
	snprintf(s.user_id, sizeof s.user_id, "%s", user_id);
	s.last_seen = (int64_t)now;
	s.otp_pending = positions != NULL;
	snprintf(s.positions, sizeof s.positions, "%s", positions != NULL ? positions : "");
	need(bankd_db_session_add(db, &s) == BANKD_DB_OK, "record a session");
}

static char bank_dir[512];

/* The bank directory goes when the fuzzer exits (a crash leaves it behind, in /dev/shm). */
static void remove_dir(void)
{
	static const char *const files[] = {"bank.db", "bank.db-wal", "bank.db-shm", "ca.key",
	                                    "ca.crt",  "server.key",  "server.crt"};
	char path[700];
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", bank_dir, files[i]);
		(void)unlink(path);
	}
	(void)rmdir(bank_dir);
}

static void copy_db(sqlite3 *to, sqlite3 *from)
{
	sqlite3_backup *b = sqlite3_backup_init(to, "main", from, "main");
	need(b != NULL && sqlite3_backup_step(b, -1) == SQLITE_DONE, "copy the database");
	need(sqlite3_backup_finish(b) == SQLITE_OK, "finish the copy");
}

static void setup(void)
{
	/* tmpfs when there is one: the reset writes the database for every input. */
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
	static char dir[512], path[600];
	snprintf(dir, sizeof dir, "%s/kinko-fuzz-bank.XXXXXX", base != NULL ? base : "/tmp");
	need(mkdtemp(dir) != NULL, "make a temporary directory");
	time_t now = bankd_now();
	int64_t today = bankd_rules_day(now);
	static const char *const names[] = {"localhost"};
	need(bankd_ca_create(dir, FUZZ_BANK_CODE, "Fuzz Bank", 0, names, 1, now) == 0,
	     "create the CA");
	snprintf(path, sizeof path, "%s/bank.db", dir);
	bankd_db *db;
	need(bankd_db_open(path, 1, &db) == BANKD_DB_OK, "create the database");
	bankd_bank b;
	memset(&b, 0, sizeof b);
	snprintf(b.code, sizeof b.code, FUZZ_BANK_CODE);
	snprintf(b.name, sizeof b.name, "Fuzz Bank");
	snprintf(b.server_name, sizeof b.server_name, "localhost");
	need(bankd_db_bank_put(db, &b) == BANKD_DB_OK, "record the bank");
	add_contract(db, FUZZ_CONTRACT, 0, today);
	add_contract(db, FUZZ_CONTRACT_MANUAL, 1, today);
	add_contract(db, FUZZ_CONTRACT_FRESH, 0, today);
	add_user(db, FUZZ_USER, today);
	add_user(db, FUZZ_USER_FRESH, today);
	bankd_db_close(db);

	bankd_server *srv = &bank.srv;
	need(bankd_contract_open_db(dir, &srv->db) == 0 &&
	             bankd_db_bank_get(srv->db, &srv->bank) == 0 &&
	             bankd_ca_load(dir, &srv->ca) == 0,
	     "open the bank");
	snprintf(srv->crl_url, sizeof srv->crl_url, "https://localhost:8443/crl");
	bank.admin_cert = add_cert(srv, "", now);
	bank.user_cert = add_cert(srv, FUZZ_USER, now);
	add_session(srv->db, FUZZ_ADMIN_SESSION, "", bank.admin_cert, NULL, now);
	add_session(srv->db, FUZZ_USER_SESSION, FUZZ_USER, bank.user_cert, NULL, now);
	add_session(srv->db, FUZZ_OTP_LOGON, "", bank.admin_cert, FUZZ_OTP_POSITIONS, now);

	need(sqlite3_open(path, &live) == SQLITE_OK &&
	             sqlite3_busy_timeout(live, 5000) == SQLITE_OK &&
	             sqlite3_open(":memory:", &snapshot) == SQLITE_OK,
	     "open the snapshot");
	copy_db(snapshot, live);
	snprintf(bank_dir, sizeof bank_dir, "%s", dir);
	atexit(remove_dir);
}

struct fuzz_bank *fuzz_bankd_bank_get(void)
{
	if (live == NULL)
		setup();
	return &bank;
}

void fuzz_bankd_bank_reset(struct fuzz_bank *fb)
{
	copy_db(live, snapshot);
	/* Every input comes from 127.0.0.1: a limiter kept across inputs would answer 429 to all
	 * of them after the tenth failure. */
	bankd_ratelimit_free(fb->srv.ratelimit);
	fb->srv.ratelimit = bankd_ratelimit_new(BANKD_AUTH_FAIL_LIMIT);
	need(fb->srv.ratelimit != NULL, "make the rate limiter");
}
