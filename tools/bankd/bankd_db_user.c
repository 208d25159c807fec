/* The users' rows: their PINs and the day their certificate was first issued. */
#include "bankd_db_internal.h"

int bankd_db_user_put(bankd_db *db, const bankd_user *u)
{
	return bankd_db_run(
		db,
		"INSERT INTO user (contract_id, user_id, pin, conf_pin, issued_day, failures)"
		" VALUES (?, ?, ?, ?, NULL, 0) ON CONFLICT (contract_id, user_id) DO UPDATE SET"
		" pin = excluded.pin, conf_pin = excluded.conf_pin, failures = 0",
		"ssbb", u->contract_id, u->user_id, u->pin, (size_t)BANKD_SECRET_LEN, u->conf_pin,
		(size_t)BANKD_SECRET_LEN);
}

#define USER_SELECT "SELECT contract_id, user_id, pin, conf_pin, issued_day, failures FROM user"

static void user_row(sqlite3_stmt *st, void *out)
{
	bankd_user *u = out;

	bankd_db_col_text(st, 0, u->contract_id, sizeof u->contract_id);
	bankd_db_col_text(st, 1, u->user_id, sizeof u->user_id);
	bankd_db_col_secret(st, 2, u->pin);
	bankd_db_col_secret(st, 3, u->conf_pin);
	u->issued = sqlite3_column_type(st, 4) != SQLITE_NULL;
	u->issued_day = sqlite3_column_int64(st, 4);
	u->failures = sqlite3_column_int(st, 5);
}

int bankd_db_user_get(bankd_db *db, const char *contract_id, const char *user_id, bankd_user *u)
{
	return bankd_db_one(db,
	                    bankd_db_query(db, USER_SELECT " WHERE contract_id = ? AND user_id = ?",
	                                   "ss", contract_id, user_id),
	                    user_row, u);
}

int bankd_db_user_issue(bankd_db *db, const char *contract_id, const char *user_id, int64_t day)
{
	return bankd_db_run(db,
	                    "UPDATE user SET issued_day = ? WHERE contract_id = ? AND user_id = ?",
	                    "iss", day, contract_id, user_id);
}

int bankd_db_user_each(bankd_db *db, const char *contract_id, bankd_db_user_cb cb, void *arg)
{
	sqlite3_stmt *st = bankd_db_query(db, USER_SELECT " WHERE contract_id = ? ORDER BY user_id",
	                                  "s", contract_id);
	bankd_user u;
	int rc;

	while ((rc = bankd_db_row(db, st, user_row, &u)) == BANKD_DB_OK && cb(&u, arg) == 0)
		;
	return bankd_db_end(st, rc);
}
