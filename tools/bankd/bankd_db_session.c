/* The logon sessions' rows (pending OTP or logged on), keyed by the hash of their ID. */
#include "bankd_db_internal.h"

int bankd_db_session_add(bankd_db *db, const bankd_session *s)
{
	return bankd_db_run(
		db,
		"INSERT INTO session (id_hash, contract_id, user_id, cert_sha256, last_seen,"
		" otp_pending, positions) VALUES (?, ?, ?, ?, ?, ?, ?)",
		"ssssiis", s->id_hash, s->contract_id, s->user_id, s->cert_sha256, s->last_seen,
		(int64_t)s->otp_pending, s->positions);
}

static void session_row(sqlite3_stmt *st, void *out)
{
	bankd_session *s = out;

	bankd_db_col_text(st, 0, s->id_hash, sizeof s->id_hash);
	bankd_db_col_text(st, 1, s->contract_id, sizeof s->contract_id);
	bankd_db_col_text(st, 2, s->user_id, sizeof s->user_id);
	bankd_db_col_text(st, 3, s->cert_sha256, sizeof s->cert_sha256);
	s->last_seen = sqlite3_column_int64(st, 4);
	s->otp_pending = sqlite3_column_int(st, 5);
	bankd_db_col_text(st, 6, s->positions, sizeof s->positions);
}

int bankd_db_session_get(bankd_db *db, const char *id_hash, bankd_session *s)
{
	return bankd_db_one(
		db,
		bankd_db_query(db,
	                       "SELECT id_hash, contract_id, user_id, cert_sha256, last_seen,"
	                       " otp_pending, positions FROM session WHERE id_hash = ?",
	                       "s", id_hash),
		session_row, s);
}

int bankd_db_session_touch(bankd_db *db, const char *id_hash, int64_t now)
{
	return bankd_db_run(db, "UPDATE session SET last_seen = ? WHERE id_hash = ?", "is", now,
	                    id_hash);
}

int bankd_db_session_delete(bankd_db *db, const char *id_hash)
{
	return bankd_db_run(db, "DELETE FROM session WHERE id_hash = ?", "s", id_hash);
}

int bankd_db_session_purge(bankd_db *db, int64_t before)
{
	int rc = bankd_db_run(db, "DELETE FROM session WHERE last_seen < ?", "i", before);

	return rc == BANKD_DB_ERR ? BANKD_DB_ERR : BANKD_DB_OK;
}

int bankd_db_session_delete_id(bankd_db *db, const char *contract_id, const char *user_id)
{
	return bankd_db_run(db, "DELETE FROM session WHERE contract_id = ? AND user_id = ?", "ss",
	                    contract_id, user_id);
}
