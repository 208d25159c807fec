/* The bank's SQLite database: opening it (schema, version), transactions, the bank's own rows
 * (the bank and its CRL), and the statement helpers the other bankd_db_*.c files share.
 * Every statement is prepared and bound through bankd_db_query()/bankd_db_run(); the type
 * string names each bound value: 's' text, 'i' int64, 'b' blob (pointer, size_t). */
#include "bankd_db_internal.h"
#include "bankd_cli.h"
#include "i18n.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	" failures INTEGER NOT NULL DEFAULT 0, attestation TEXT NOT NULL DEFAULT 'optional')",
	"CREATE TABLE user (contract_id TEXT NOT NULL REFERENCES contract(contract_id),"
	" user_id TEXT NOT NULL, pin BLOB NOT NULL, conf_pin BLOB NOT NULL,"
	" issued_day INTEGER, failures INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (contract_id, user_id))",
	"CREATE TABLE cert (serial TEXT PRIMARY KEY, contract_id TEXT NOT NULL"
	" REFERENCES contract(contract_id), user_id TEXT NOT NULL, subject TEXT NOT NULL,"
	" key_sha256 TEXT NOT NULL, cert_sha256 TEXT NOT NULL UNIQUE, der BLOB NOT NULL,"
	" not_before INTEGER NOT NULL, not_after INTEGER NOT NULL, issued_at INTEGER NOT NULL,"
	" status TEXT NOT NULL CHECK (status IN ('active','superseded','revoked')),"
	" replaces TEXT REFERENCES cert(serial), revoked_at INTEGER, reason INTEGER,"
	" token_serial TEXT)",
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

sqlite3_stmt *bankd_db_query(bankd_db *db, const char *sql, const char *types, ...)
{
	va_list ap;
	sqlite3_stmt *st;

	va_start(ap, types);
	st = vquery(db, sql, types, ap);
	va_end(ap);
	return st;
}

int bankd_db_run(bankd_db *db, const char *sql, const char *types, ...)
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

int bankd_db_row(bankd_db *db, sqlite3_stmt *st, bankd_db_row_fn row, void *out)
{
	int rc;

	if (st == NULL)
		return BANKD_DB_ERR;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		row(st, out);
		return BANKD_DB_OK;
	}
	if (rc == SQLITE_DONE)
		return BANKD_DB_NONE;
	fprintf(stderr, "kinko-bankd: database: %s\n", sqlite3_errmsg(db->h));
	return BANKD_DB_ERR;
}

int bankd_db_one(bankd_db *db, sqlite3_stmt *st, bankd_db_row_fn row, void *out)
{
	int rc = bankd_db_row(db, st, row, out);

	sqlite3_finalize(st);
	return rc;
}

int bankd_db_end(sqlite3_stmt *st, int rc)
{
	sqlite3_finalize(st);
	return rc == BANKD_DB_ERR ? BANKD_DB_ERR : BANKD_DB_OK;
}

void bankd_db_col_text(sqlite3_stmt *st, int i, char *out, size_t len)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	snprintf(out, len, "%s", t != NULL ? (const char *)t : "");
}

void bankd_db_col_secret(sqlite3_stmt *st, int i, uint8_t out[BANKD_SECRET_LEN])
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
	sqlite3_stmt *st = bankd_db_query(db, sql, "");
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

static void version_row(sqlite3_stmt *st, void *out)
{
	*(int64_t *)out = sqlite3_column_int64(st, 0);
}

/* Version 1 to 2: contracts made before attestation read as optional; certificates issued
 * before it have no token serial. */
static const char *const migrate_1_2[] = {
	"ALTER TABLE contract ADD COLUMN attestation TEXT NOT NULL DEFAULT 'optional'",
	"ALTER TABLE cert ADD COLUMN token_serial TEXT",
	"UPDATE schema_version SET version = 2",
};

static int64_t read_version(bankd_db *db)
{
	sqlite3_stmt *st = bankd_db_query(db, "SELECT version FROM schema_version", "");
	int64_t v = -1;

	if (st != NULL)
		(void)bankd_db_one(db, st, version_row, &v);
	return v;
}

static int migrate(bankd_db *db)
{
	size_t i;
	int ok = bankd_db_begin(db) == 0;

	/* Read again inside the transaction: another process may have migrated meanwhile. */
	if (ok && read_version(db) == 1)
		for (i = 0; ok && i < sizeof migrate_1_2 / sizeof migrate_1_2[0]; i++)
			ok = exec_plain(db, migrate_1_2[i]) == 0;
	if (ok)
		ok = bankd_db_commit(db) == 0;
	else
		bankd_db_rollback(db);
	return ok ? 0 : -1;
}

static int check_version(bankd_db *db)
{
	int64_t v = read_version(db);

	if (v == 1 && migrate(db) == 0)
		v = read_version(db);
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
		ok = ok && bankd_db_run(db, "INSERT INTO schema_version (version) VALUES (?)", "i",
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
	return bankd_db_run(db,
	                    "INSERT INTO bank (id, code, name, server_name) VALUES (1, ?, ?, ?)",
	                    "sss", b->code, b->name, b->server_name);
}

static void bank_row(sqlite3_stmt *st, void *out)
{
	bankd_bank *b = out;

	bankd_db_col_text(st, 0, b->code, sizeof b->code);
	bankd_db_col_text(st, 1, b->name, sizeof b->name);
	bankd_db_col_text(st, 2, b->server_name, sizeof b->server_name);
}

int bankd_db_bank_get(bankd_db *db, bankd_bank *b)
{
	return bankd_db_one(db,
	                    bankd_db_query(db,
	                                   "SELECT code, name, server_name FROM bank WHERE id = 1",
	                                   ""),
	                    bank_row, b);
}

typedef struct {
	int64_t number, this_update;
	uint8_t *der;
	size_t n;
} db_crl;

static void crl_row(sqlite3_stmt *st, void *out)
{
	db_crl *c = out;
	const void *p = sqlite3_column_blob(st, 2);
	int len = sqlite3_column_bytes(st, 2);

	c->number = sqlite3_column_int64(st, 0);
	c->this_update = sqlite3_column_int64(st, 1);
	c->der = len > 0 ? malloc((size_t)len) : NULL;
	if (c->der != NULL) {
		memcpy(c->der, p, (size_t)len);
		c->n = (size_t)len;
	}
}

int bankd_db_crl_get(bankd_db *db, int64_t *number, int64_t *this_update, uint8_t **der, size_t *n)
{
	db_crl c = {0, 0, NULL, 0};
	int rc =
		bankd_db_one(db,
	                     bankd_db_query(db,
	                                    "SELECT number, this_update, der FROM crl WHERE id = 1",
	                                    ""),
	                     crl_row, &c);

	*der = c.der;
	if (rc != BANKD_DB_OK)
		return rc;
	*number = c.number;
	*this_update = c.this_update;
	if (c.der == NULL)
		return BANKD_DB_ERR;
	*n = c.n;
	return BANKD_DB_OK;
}

int bankd_db_crl_put(bankd_db *db, int64_t number, int64_t this_update, const uint8_t *der,
                     size_t n)
{
	return bankd_db_run(db,
	                    "INSERT INTO crl (id, number, this_update, der) VALUES (1, ?, ?, ?)"
	                    " ON CONFLICT (id) DO UPDATE SET number = excluded.number,"
	                    " this_update = excluded.this_update, der = excluded.der",
	                    "iib", number, this_update, der, n);
}
