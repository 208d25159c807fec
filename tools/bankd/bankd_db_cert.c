/* The certificates the CA issued: their rows (with the DER), lookups and status changes. */
#include "bankd_db_internal.h"

int bankd_db_cert_add(bankd_db *db, const bankd_cert *c, const uint8_t *der, size_t n)
{
	/* An empty replaces is NULL in the table: it references another certificate. */
	return bankd_db_run(
		db,
		"INSERT INTO cert (serial, contract_id, user_id, subject, key_sha256, cert_sha256,"
		" der, not_before, not_after, issued_at, status, replaces, token_serial)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULLIF(?, ''), NULLIF(?, ''))",
		"ssssssbiiisss", c->serial, c->contract_id, c->user_id, c->subject, c->key_sha256,
		c->cert_sha256, der, n, c->not_before, c->not_after, c->issued_at, c->status,
		c->replaces, c->token_serial);
}

#define CERT_SELECT                                                                          \
	"SELECT serial, contract_id, user_id, subject, key_sha256, cert_sha256, not_before," \
	" not_after, issued_at, status, replaces, revoked_at, reason, token_serial FROM cert"

static void cert_row(sqlite3_stmt *st, void *out)
{
	bankd_cert *c = out;

	bankd_db_col_text(st, 0, c->serial, sizeof c->serial);
	bankd_db_col_text(st, 1, c->contract_id, sizeof c->contract_id);
	bankd_db_col_text(st, 2, c->user_id, sizeof c->user_id);
	bankd_db_col_text(st, 3, c->subject, sizeof c->subject);
	bankd_db_col_text(st, 4, c->key_sha256, sizeof c->key_sha256);
	bankd_db_col_text(st, 5, c->cert_sha256, sizeof c->cert_sha256);
	c->not_before = sqlite3_column_int64(st, 6);
	c->not_after = sqlite3_column_int64(st, 7);
	c->issued_at = sqlite3_column_int64(st, 8);
	bankd_db_col_text(st, 9, c->status, sizeof c->status);
	bankd_db_col_text(st, 10, c->replaces, sizeof c->replaces);
	c->revoked_at = sqlite3_column_int64(st, 11);
	c->reason = sqlite3_column_int(st, 12);
	bankd_db_col_text(st, 13, c->token_serial, sizeof c->token_serial);
}

int bankd_db_cert_by_fp(bankd_db *db, const char *cert_sha256, bankd_cert *c)
{
	return bankd_db_one(db,
	                    bankd_db_query(db, CERT_SELECT " WHERE cert_sha256 = ?", "s",
	                                   cert_sha256),
	                    cert_row, c);
}

int bankd_db_cert_by_serial(bankd_db *db, const char *serial, bankd_cert *c)
{
	return bankd_db_one(db, bankd_db_query(db, CERT_SELECT " WHERE serial = ?", "s", serial),
	                    cert_row, c);
}

int bankd_db_cert_current(bankd_db *db, const char *contract_id, const char *user_id, int64_t now,
                          bankd_cert *c)
{
	return bankd_db_one(db,
	                    bankd_db_query(db,
	                                   CERT_SELECT
	                                   " WHERE contract_id = ? AND user_id = ?"
	                                   " AND status IN ('active','superseded')"
	                                   " AND not_after > ?"
	                                   " ORDER BY issued_at DESC, rowid DESC LIMIT 1",
	                                   "ssi", contract_id, user_id, now),
	                    cert_row, c);
}

int bankd_db_cert_status(bankd_db *db, const char *serial, const char *status, int64_t revoked_at,
                         int reason)
{
	return bankd_db_run(
		db, "UPDATE cert SET status = ?, revoked_at = ?, reason = ? WHERE serial = ?",
		"siis", status, revoked_at, (int64_t)reason, serial);
}

static int cert_loop(bankd_db *db, sqlite3_stmt *st, bankd_db_cert_cb cb, void *arg)
{
	bankd_cert c;
	int rc;

	while ((rc = bankd_db_row(db, st, cert_row, &c)) == BANKD_DB_OK && cb(&c, arg) == 0)
		;
	return bankd_db_end(st, rc);
}

int bankd_db_cert_each(bankd_db *db, const char *contract_id, const char *user_id,
                       bankd_db_cert_cb cb, void *arg)
{
	if (user_id == NULL)
		return cert_loop(db,
		                 bankd_db_query(db,
		                                CERT_SELECT
		                                " WHERE contract_id = ? ORDER BY issued_at, rowid",
		                                "s", contract_id),
		                 cb, arg);
	return cert_loop(db,
	                 bankd_db_query(db,
	                                CERT_SELECT " WHERE contract_id = ? AND user_id = ?"
	                                            " ORDER BY issued_at, rowid",
	                                "ss", contract_id, user_id),
	                 cb, arg);
}

int bankd_db_cert_each_revoked(bankd_db *db, bankd_db_cert_cb cb, void *arg)
{
	return cert_loop(db,
	                 bankd_db_query(db,
	                                CERT_SELECT
	                                " WHERE status = 'revoked' ORDER BY revoked_at, rowid",
	                                ""),
	                 cb, arg);
}
