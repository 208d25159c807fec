/* SQLite storage. Every statement is prepared and bound through query()/run(); the type
 * string names each bound value: 's' text, 'i' int64, 'b' blob (pointer, size_t). */
#include "bankd_db.h"
#include "bankd_cli.h"
#include "i18n.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

struct bankd_db {
	sqlite3 *h;
};

static const char *const schema[] = {
	"CREATE TABLE schema_version (version INTEGER NOT NULL)",
	"CREATE TABLE bank (id INTEGER PRIMARY KEY CHECK (id = 1), code TEXT NOT NULL,"
	" name TEXT NOT NULL, server_name TEXT NOT NULL)",
	"CREATE TABLE contract (contract_id TEXT PRIMARY KEY, company TEXT NOT NULL,"
	" applied_day INTEGER NOT NULL, manual_approval INTEGER NOT NULL, approved INTEGER NOT NULL,"
	" card TEXT NOT NULL, conf_password BLOB NOT NULL, pin BLOB NOT NULL, conf_pin BLOB NOT NULL,"
	" failures INTEGER NOT NULL DEFAULT 0)",
	"CREATE TABLE user (contract_id TEXT NOT NULL REFERENCES contract(contract_id),"
	" user_id TEXT NOT NULL, pin BLOB NOT NULL, conf_pin BLOB NOT NULL,"
	" issued_day INTEGER, failures INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (contract_id, user_id))",
	"CREATE TABLE cert (serial TEXT PRIMARY KEY, contract_id TEXT NOT NULL"
	" REFERENCES contract(contract_id), user_id TEXT NOT NULL, subject TEXT NOT NULL,"
	" key_sha256 TEXT NOT NULL, cert_sha256 TEXT NOT NULL UNIQUE, der BLOB NOT NULL,"
	" not_before INTEGER NOT NULL, not_after INTEGER NOT NULL, issued_at INTEGER NOT NULL,"
	" status TEXT NOT NULL CHECK (status IN ('active','superseded','revoked')),"
	" replaces TEXT REFERENCES cert(serial), revoked_at INTEGER, reason INTEGER)",
	"CREATE TABLE session (id_hash TEXT PRIMARY KEY, contract_id TEXT NOT NULL"
	" REFERENCES contract(contract_id), user_id TEXT NOT NULL, cert_sha256 TEXT NOT NULL,"
	" last_seen INTEGER NOT NULL, otp_pending INTEGER NOT NULL, positions TEXT NOT NULL)",
	"CREATE TABLE crl (id INTEGER PRIMARY KEY CHECK (id = 1), number INTEGER NOT NULL,"
	" this_update INTEGER NOT NULL, der BLOB NOT NULL)",
};

static sqlite3_stmt *vquery(bankd_db *db, const char *sql, const char *types, va_list ap)
{
	sqlite3_stmt *st = NULL;
	int rc;
	int i;

	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "kinko-bankd: database: %s\n", sqlite3_errmsg(db->h));
		return NULL;
	}
	rc = SQLITE_OK;
	for (i = 1; types[i - 1] != '\0' && rc == SQLITE_OK; i++) {
		switch (types[i - 1]) {
		case 's':
			rc = sqlite3_bind_text(st, i, va_arg(ap, const char *), -1,
			                       SQLITE_TRANSIENT);
			break;
		case 'i': rc = sqlite3_bind_int64(st, i, va_arg(ap, int64_t)); break;
		case 'b': {
			const void *p = va_arg(ap, const void *);
			size_t n = va_arg(ap, size_t);
			rc = sqlite3_bind_blob(st, i, p, (int)n, SQLITE_TRANSIENT);
			break;
		}
		default: rc = SQLITE_MISUSE;
		}
	}
	if (rc != SQLITE_OK) {
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

static sqlite3_stmt *query(bankd_db *db, const char *sql, const char *types, ...)
{
	va_list ap;
	sqlite3_stmt *st;

	va_start(ap, types);
	st = vquery(db, sql, types, ap);
	va_end(ap);
	return st;
}

/* Runs a statement that returns no rows. BANKD_DB_NONE when it changed nothing or hit a
 * uniqueness constraint (the caller asked for something absent or already there). */
static int run(bankd_db *db, const char *sql, const char *types, ...)
{
	va_list ap;
	sqlite3_stmt *st;
	int rc;

	va_start(ap, types);
	st = vquery(db, sql, types, ap);
	va_end(ap);
	if (st == NULL)
		return BANKD_DB_ERR;
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return sqlite3_changes(db->h) > 0 ? BANKD_DB_OK : BANKD_DB_NONE;
	if (rc == SQLITE_CONSTRAINT &&
	    sqlite3_extended_errcode(db->h) != SQLITE_CONSTRAINT_FOREIGNKEY)
		return BANKD_DB_NONE;
	fprintf(stderr, "kinko-bankd: database: %s\n", sqlite3_errmsg(db->h));
	return BANKD_DB_ERR;
}

/* Steps a query: BANKD_DB_OK with a row, BANKD_DB_NONE at the end. */
static int next_row(bankd_db *db, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return BANKD_DB_OK;
	if (rc == SQLITE_DONE)
		return BANKD_DB_NONE;
	fprintf(stderr, "kinko-bankd: database: %s\n", sqlite3_errmsg(db->h));
	return BANKD_DB_ERR;
}

static void col_text(sqlite3_stmt *st, int i, char *out, size_t len)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	snprintf(out, len, "%s", t != NULL ? (const char *)t : "");
}

static void col_secret(sqlite3_stmt *st, int i, uint8_t out[BANKD_SECRET_LEN])
{
	const void *p = sqlite3_column_blob(st, i);
	int n = sqlite3_column_bytes(st, i);
	/* A wrong-sized record becomes all zeroes, which bankd_secret_verify rejects. */
	memset(out, 0, BANKD_SECRET_LEN);
	if (p != NULL && n == BANKD_SECRET_LEN)
		memcpy(out, p, BANKD_SECRET_LEN);
}

static int exec_plain(bankd_db *db, const char *sql)
{
	/* Fixed statements only (pragmas, schema, transactions): nothing from outside. */
	sqlite3_stmt *st = query(db, sql, "");
	int rc;

	if (st == NULL)
		return BANKD_DB_ERR;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		fprintf(stderr, "kinko-bankd: database: %s\n", sqlite3_errmsg(db->h));
		return BANKD_DB_ERR;
	}
	return BANKD_DB_OK;
}

static int check_version(bankd_db *db)
{
	sqlite3_stmt *st = query(db, "SELECT version FROM schema_version", "");
	int rc;
	int64_t v;

	if (st == NULL)
		return BANKD_DB_ERR;
	rc = next_row(db, st);
	v = rc == BANKD_DB_OK ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_finalize(st);
	if (v != BANKD_SCHEMA_VERSION) {
		bankd_cli_msg_print(_("database schema version %lld, this program needs %d"),
		                    (long long)v, BANKD_SCHEMA_VERSION);
		return BANKD_DB_ERR;
	}
	return BANKD_DB_OK;
}

int bankd_db_open(const char *path, int create, bankd_db **out)
{
	bankd_db *db;
	int flags;
	int ok;

	*out = NULL;
	db = calloc(1, sizeof *db);
	if (db == NULL)
		return BANKD_DB_ERR;
	flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
	if (sqlite3_open_v2(path, &db->h, flags, NULL) != SQLITE_OK) {
		fprintf(stderr, "kinko-bankd: %s: %s\n", path,
		        db->h ? sqlite3_errmsg(db->h) : "no memory");
		bankd_db_close(db);
		return BANKD_DB_ERR;
	}
	ok = sqlite3_busy_timeout(db->h, 5000) == SQLITE_OK &&
	     exec_plain(db, "PRAGMA journal_mode=WAL") == 0 &&
	     exec_plain(db, "PRAGMA foreign_keys=ON") == 0;
	if (ok && create) {
		size_t i;

		ok = bankd_db_begin(db) == 0;
		for (i = 0; ok && i < sizeof schema / sizeof schema[0]; i++)
			ok = exec_plain(db, schema[i]) == 0;
		ok = ok && run(db, "INSERT INTO schema_version (version) VALUES (?)", "i",
		               (int64_t)BANKD_SCHEMA_VERSION) == 0;
		ok = ok && bankd_db_commit(db) == 0;
	}
	ok = ok && check_version(db) == 0;
	if (!ok) {
		bankd_db_close(db);
		return BANKD_DB_ERR;
	}
	*out = db;
	return BANKD_DB_OK;
}

void bankd_db_close(bankd_db *db)
{
	if (db == NULL)
		return;
	sqlite3_close(db->h);
	free(db);
}

int bankd_db_begin(bankd_db *db)
{
	return exec_plain(db, "BEGIN IMMEDIATE");
}

int bankd_db_commit(bankd_db *db)
{
	return exec_plain(db, "COMMIT");
}

void bankd_db_rollback(bankd_db *db)
{
	(void)exec_plain(db, "ROLLBACK");
}

int bankd_db_bank_put(bankd_db *db, const bankd_bank *b)
{
	return run(db, "INSERT INTO bank (id, code, name, server_name) VALUES (1, ?, ?, ?)", "sss",
	           b->code, b->name, b->server_name);
}

int bankd_db_bank_get(bankd_db *db, bankd_bank *b)
{
	sqlite3_stmt *st = query(db, "SELECT code, name, server_name FROM bank WHERE id = 1", "");
	int rc;

	if (st == NULL)
		return BANKD_DB_ERR;
	rc = next_row(db, st);
	if (rc == BANKD_DB_OK) {
		col_text(st, 0, b->code, sizeof b->code);
		col_text(st, 1, b->name, sizeof b->name);
		col_text(st, 2, b->server_name, sizeof b->server_name);
	}
	sqlite3_finalize(st);
	return rc;
}

int bankd_db_contract_add(bankd_db *db, const bankd_contract *c)
{
	return run(
		db,
		"INSERT INTO contract (contract_id, company, applied_day, manual_approval, approved,"
		" card, conf_password, pin, conf_pin, failures) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
		"ssiiisbbb", c->id, c->company, c->applied_day, (int64_t)c->manual_approval,
		(int64_t)c->approved, c->card, c->conf_password, (size_t)BANKD_SECRET_LEN, c->pin,
		(size_t)BANKD_SECRET_LEN, c->conf_pin, (size_t)BANKD_SECRET_LEN);
}

#define CONTRACT_COLS                                                                             \
	"contract_id, company, applied_day, manual_approval, approved, card, conf_password, pin," \
	" conf_pin, failures"

static void contract_row(sqlite3_stmt *st, bankd_contract *c)
{
	col_text(st, 0, c->id, sizeof c->id);
	col_text(st, 1, c->company, sizeof c->company);
	c->applied_day = sqlite3_column_int64(st, 2);
	c->manual_approval = sqlite3_column_int(st, 3);
	c->approved = sqlite3_column_int(st, 4);
	col_text(st, 5, c->card, sizeof c->card);
	col_secret(st, 6, c->conf_password);
	col_secret(st, 7, c->pin);
	col_secret(st, 8, c->conf_pin);
	c->failures = sqlite3_column_int(st, 9);
}

int bankd_db_contract_get(bankd_db *db, const char *id, bankd_contract *c)
{
	sqlite3_stmt *st =
		query(db, "SELECT " CONTRACT_COLS " FROM contract WHERE contract_id = ?", "s", id);
	int rc;

	if (st == NULL)
		return BANKD_DB_ERR;
	rc = next_row(db, st);
	if (rc == BANKD_DB_OK)
		contract_row(st, c);
	sqlite3_finalize(st);
	return rc;
}

/* The counter's statements, contract (user_id "") or user: the caller's value is never
 * written back, only added in SQL, so no stale read can be stored. */
int bankd_db_failures_get(bankd_db *db, const char *contract_id, const char *user_id, int *failures)
{
	sqlite3_stmt *st =
		user_id[0] == '\0' ?
			query(db, "SELECT failures FROM contract WHERE contract_id = ?", "s",
	                      contract_id) :
			query(db, "SELECT failures FROM user WHERE contract_id = ? AND user_id = ?",
	                      "ss", contract_id, user_id);
	int rc;

	if (st == NULL)
		return BANKD_DB_ERR;
	rc = next_row(db, st);
	if (rc == BANKD_DB_OK)
		*failures = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc;
}

int bankd_db_failures_add(bankd_db *db, const char *contract_id, const char *user_id, int delta)
{
	if (user_id[0] == '\0')
		return run(
			db,
			"UPDATE contract SET failures = max(failures + ?, 0) WHERE contract_id = ?",
			"is", (int64_t)delta, contract_id);
	return run(db,
	           "UPDATE user SET failures = max(failures + ?, 0) WHERE contract_id = ?"
	           " AND user_id = ?",
	           "iss", (int64_t)delta, contract_id, user_id);
}

int bankd_db_failures_reset(bankd_db *db, const char *contract_id, const char *user_id)
{
	if (user_id[0] == '\0')
		return run(db, "UPDATE contract SET failures = 0 WHERE contract_id = ?", "s",
		           contract_id);
	return run(db, "UPDATE user SET failures = 0 WHERE contract_id = ? AND user_id = ?", "ss",
	           contract_id, user_id);
}

int bankd_db_contract_approve(bankd_db *db, const char *id)
{
	return run(db, "UPDATE contract SET approved = 1 WHERE contract_id = ?", "s", id);
}

int bankd_db_contract_each(bankd_db *db, bankd_db_contract_cb cb, void *arg)
{
	sqlite3_stmt *st =
		query(db, "SELECT " CONTRACT_COLS " FROM contract ORDER BY contract_id", "");
	int rc;
	bankd_contract c;

	if (st == NULL)
		return BANKD_DB_ERR;
	while ((rc = next_row(db, st)) == BANKD_DB_OK) {
		contract_row(st, &c);
		if (cb(&c, arg) != 0)
			break;
	}
	sqlite3_finalize(st);
	return rc == BANKD_DB_ERR ? BANKD_DB_ERR : BANKD_DB_OK;
}

int bankd_db_user_put(bankd_db *db, const bankd_user *u)
{
	return run(db,
	           "INSERT INTO user (contract_id, user_id, pin, conf_pin, issued_day, failures)"
	           " VALUES (?, ?, ?, ?, NULL, 0) ON CONFLICT (contract_id, user_id) DO UPDATE SET"
	           " pin = excluded.pin, conf_pin = excluded.conf_pin, failures = 0",
	           "ssbb", u->contract_id, u->user_id, u->pin, (size_t)BANKD_SECRET_LEN,
	           u->conf_pin, (size_t)BANKD_SECRET_LEN);
}

static void user_row(sqlite3_stmt *st, bankd_user *u)
{
	col_text(st, 0, u->contract_id, sizeof u->contract_id);
	col_text(st, 1, u->user_id, sizeof u->user_id);
	col_secret(st, 2, u->pin);
	col_secret(st, 3, u->conf_pin);
	u->issued = sqlite3_column_type(st, 4) != SQLITE_NULL;
	u->issued_day = sqlite3_column_int64(st, 4);
	u->failures = sqlite3_column_int(st, 5);
}

int bankd_db_user_get(bankd_db *db, const char *contract_id, const char *user_id, bankd_user *u)
{
	sqlite3_stmt *st = query(db,
	                         "SELECT contract_id, user_id, pin, conf_pin, issued_day, failures"
	                         " FROM user WHERE contract_id = ? AND user_id = ?",
	                         "ss", contract_id, user_id);
	int rc;

	if (st == NULL)
		return BANKD_DB_ERR;
	rc = next_row(db, st);
	if (rc == BANKD_DB_OK)
		user_row(st, u);
	sqlite3_finalize(st);
	return rc;
}

int bankd_db_user_issue(bankd_db *db, const char *contract_id, const char *user_id, int64_t day)
{
	return run(db, "UPDATE user SET issued_day = ? WHERE contract_id = ? AND user_id = ?",
	           "iss", day, contract_id, user_id);
}

int bankd_db_user_each(bankd_db *db, const char *contract_id, bankd_db_user_cb cb, void *arg)
{
	sqlite3_stmt *st = query(db,
	                         "SELECT contract_id, user_id, pin, conf_pin, issued_day, failures"
	                         " FROM user WHERE contract_id = ? ORDER BY user_id",
	                         "s", contract_id);
	int rc;
	bankd_user u;

	if (st == NULL)
		return BANKD_DB_ERR;
	while ((rc = next_row(db, st)) == BANKD_DB_OK) {
		user_row(st, &u);
		if (cb(&u, arg) != 0)
			break;
	}
	sqlite3_finalize(st);
	return rc == BANKD_DB_ERR ? BANKD_DB_ERR : BANKD_DB_OK;
}

int bankd_db_cert_add(bankd_db *db, const bankd_cert *c, const uint8_t *der, size_t n)
{
	if (c->replaces[0] != '\0')
		return run(
			db,
			"INSERT INTO cert (serial, contract_id, user_id, subject, key_sha256, cert_sha256,"
			" der, not_before, not_after, issued_at, status, replaces)"
			" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			"ssssssbiiiss", c->serial, c->contract_id, c->user_id, c->subject,
			c->key_sha256, c->cert_sha256, der, n, c->not_before, c->not_after,
			c->issued_at, c->status, c->replaces);
	return run(
		db,
		"INSERT INTO cert (serial, contract_id, user_id, subject, key_sha256, cert_sha256,"
		" der, not_before, not_after, issued_at, status, replaces)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
		"ssssssbiiis", c->serial, c->contract_id, c->user_id, c->subject, c->key_sha256,
		c->cert_sha256, der, n, c->not_before, c->not_after, c->issued_at, c->status);
}

#define CERT_COLS                                                                                \
	"serial, contract_id, user_id, subject, key_sha256, cert_sha256, not_before, not_after," \
	" issued_at, status, replaces, revoked_at, reason"

static void cert_row(sqlite3_stmt *st, bankd_cert *c)
{
	col_text(st, 0, c->serial, sizeof c->serial);
	col_text(st, 1, c->contract_id, sizeof c->contract_id);
	col_text(st, 2, c->user_id, sizeof c->user_id);
	col_text(st, 3, c->subject, sizeof c->subject);
	col_text(st, 4, c->key_sha256, sizeof c->key_sha256);
	col_text(st, 5, c->cert_sha256, sizeof c->cert_sha256);
	c->not_before = sqlite3_column_int64(st, 6);
	c->not_after = sqlite3_column_int64(st, 7);
	c->issued_at = sqlite3_column_int64(st, 8);
	col_text(st, 9, c->status, sizeof c->status);
	col_text(st, 10, c->replaces, sizeof c->replaces);
	c->revoked_at = sqlite3_column_int64(st, 11);
	c->reason = sqlite3_column_int(st, 12);
}

static int cert_one(bankd_db *db, sqlite3_stmt *st, bankd_cert *c)
{
	int rc;

	if (st == NULL)
		return BANKD_DB_ERR;
	rc = next_row(db, st);
	if (rc == BANKD_DB_OK)
		cert_row(st, c);
	sqlite3_finalize(st);
	return rc;
}

int bankd_db_cert_by_fp(bankd_db *db, const char *cert_sha256, bankd_cert *c)
{
	return cert_one(db,
	                query(db, "SELECT " CERT_COLS " FROM cert WHERE cert_sha256 = ?", "s",
	                      cert_sha256),
	                c);
}

int bankd_db_cert_by_serial(bankd_db *db, const char *serial, bankd_cert *c)
{
	return cert_one(db,
	                query(db, "SELECT " CERT_COLS " FROM cert WHERE serial = ?", "s", serial),
	                c);
}

int bankd_db_cert_current(bankd_db *db, const char *contract_id, const char *user_id, int64_t now,
                          bankd_cert *c)
{
	return cert_one(db,
	                query(db,
	                      "SELECT " CERT_COLS " FROM cert WHERE contract_id = ? AND user_id = ?"
	                      " AND status IN ('active','superseded') AND not_after > ?"
	                      " ORDER BY issued_at DESC, rowid DESC LIMIT 1",
	                      "ssi", contract_id, user_id, now),
	                c);
}

int bankd_db_cert_status(bankd_db *db, const char *serial, const char *status, int64_t revoked_at,
                         int reason)
{
	return run(db, "UPDATE cert SET status = ?, revoked_at = ?, reason = ? WHERE serial = ?",
	           "siis", status, revoked_at, (int64_t)reason, serial);
}

static int cert_loop(bankd_db *db, sqlite3_stmt *st, bankd_db_cert_cb cb, void *arg)
{
	int rc;
	bankd_cert c;

	if (st == NULL)
		return BANKD_DB_ERR;
	while ((rc = next_row(db, st)) == BANKD_DB_OK) {
		cert_row(st, &c);
		if (cb(&c, arg) != 0)
			break;
	}
	sqlite3_finalize(st);
	return rc == BANKD_DB_ERR ? BANKD_DB_ERR : BANKD_DB_OK;
}

int bankd_db_cert_each(bankd_db *db, const char *contract_id, const char *user_id,
                       bankd_db_cert_cb cb, void *arg)
{
	if (user_id == NULL)
		return cert_loop(db,
		                 query(db,
		                       "SELECT " CERT_COLS " FROM cert WHERE contract_id = ?"
		                       " ORDER BY issued_at, rowid",
		                       "s", contract_id),
		                 cb, arg);
	return cert_loop(db,
	                 query(db,
	                       "SELECT " CERT_COLS " FROM cert WHERE contract_id = ?"
	                       " AND user_id = ? ORDER BY issued_at, rowid",
	                       "ss", contract_id, user_id),
	                 cb, arg);
}

int bankd_db_cert_each_revoked(bankd_db *db, bankd_db_cert_cb cb, void *arg)
{
	return cert_loop(db,
	                 query(db,
	                       "SELECT " CERT_COLS " FROM cert WHERE status = 'revoked'"
	                       " ORDER BY revoked_at, rowid",
	                       ""),
	                 cb, arg);
}

int bankd_db_session_add(bankd_db *db, const bankd_session *s)
{
	return run(db,
	           "INSERT INTO session (id_hash, contract_id, user_id, cert_sha256, last_seen,"
	           " otp_pending, positions) VALUES (?, ?, ?, ?, ?, ?, ?)",
	           "ssssiis", s->id_hash, s->contract_id, s->user_id, s->cert_sha256, s->last_seen,
	           (int64_t)s->otp_pending, s->positions);
}

int bankd_db_session_get(bankd_db *db, const char *id_hash, bankd_session *s)
{
	sqlite3_stmt *st = query(db,
	                         "SELECT id_hash, contract_id, user_id, cert_sha256, last_seen,"
	                         " otp_pending, positions FROM session WHERE id_hash = ?",
	                         "s", id_hash);
	int rc;

	if (st == NULL)
		return BANKD_DB_ERR;
	rc = next_row(db, st);
	if (rc == BANKD_DB_OK) {
		col_text(st, 0, s->id_hash, sizeof s->id_hash);
		col_text(st, 1, s->contract_id, sizeof s->contract_id);
		col_text(st, 2, s->user_id, sizeof s->user_id);
		col_text(st, 3, s->cert_sha256, sizeof s->cert_sha256);
		s->last_seen = sqlite3_column_int64(st, 4);
		s->otp_pending = sqlite3_column_int(st, 5);
		col_text(st, 6, s->positions, sizeof s->positions);
	}
	sqlite3_finalize(st);
	return rc;
}

int bankd_db_session_touch(bankd_db *db, const char *id_hash, int64_t now)
{
	return run(db, "UPDATE session SET last_seen = ? WHERE id_hash = ?", "is", now, id_hash);
}

int bankd_db_session_delete(bankd_db *db, const char *id_hash)
{
	return run(db, "DELETE FROM session WHERE id_hash = ?", "s", id_hash);
}

int bankd_db_session_purge(bankd_db *db, int64_t before)
{
	int rc = run(db, "DELETE FROM session WHERE last_seen < ?", "i", before);
	return rc == BANKD_DB_ERR ? BANKD_DB_ERR : BANKD_DB_OK;
}

int bankd_db_session_delete_id(bankd_db *db, const char *contract_id, const char *user_id)
{
	return run(db, "DELETE FROM session WHERE contract_id = ? AND user_id = ?", "ss",
	           contract_id, user_id);
}

int bankd_db_crl_get(bankd_db *db, int64_t *number, int64_t *this_update, uint8_t **der, size_t *n)
{
	sqlite3_stmt *st;
	int rc;

	*der = NULL;
	st = query(db, "SELECT number, this_update, der FROM crl WHERE id = 1", "");
	if (st == NULL)
		return BANKD_DB_ERR;
	rc = next_row(db, st);
	if (rc == BANKD_DB_OK) {
		const void *p;
		int len;

		*number = sqlite3_column_int64(st, 0);
		*this_update = sqlite3_column_int64(st, 1);
		p = sqlite3_column_blob(st, 2);
		len = sqlite3_column_bytes(st, 2);
		*der = len > 0 ? malloc((size_t)len) : NULL;
		if (*der == NULL) {
			rc = BANKD_DB_ERR;
		} else {
			memcpy(*der, p, (size_t)len);
			*n = (size_t)len;
		}
	}
	sqlite3_finalize(st);
	return rc;
}

int bankd_db_crl_put(bankd_db *db, int64_t number, int64_t this_update, const uint8_t *der,
                     size_t n)
{
	return run(db,
	           "INSERT INTO crl (id, number, this_update, der) VALUES (1, ?, ?, ?)"
	           " ON CONFLICT (id) DO UPDATE SET number = excluded.number,"
	           " this_update = excluded.this_update, der = excluded.der",
	           "iib", number, this_update, der, n);
}
