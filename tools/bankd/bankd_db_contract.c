/* The contracts' rows, and the wrong-answer counters of contracts and of their users. */
#include "bankd_db_internal.h"

int bankd_db_contract_add(bankd_db *db, const bankd_contract *c)
{
	return bankd_db_run(
		db,
		"INSERT INTO contract (contract_id, company, applied_day, manual_approval, approved,"
		" card, conf_password, pin, conf_pin, failures, attestation)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
		"ssiiisbbbs", c->id, c->company, c->applied_day, (int64_t)c->manual_approval,
		(int64_t)c->approved, c->card, c->conf_password, (size_t)BANKD_SECRET_LEN, c->pin,
		(size_t)BANKD_SECRET_LEN, c->conf_pin, (size_t)BANKD_SECRET_LEN, c->attestation);
}

#define CONTRACT_COLS                                                                             \
	"contract_id, company, applied_day, manual_approval, approved, card, conf_password, pin," \
	" conf_pin, failures, attestation"

static void contract_row(sqlite3_stmt *st, void *out)
{
	bankd_contract *c = out;

	bankd_db_col_text(st, 0, c->id, sizeof c->id);
	bankd_db_col_text(st, 1, c->company, sizeof c->company);
	c->applied_day = sqlite3_column_int64(st, 2);
	c->manual_approval = sqlite3_column_int(st, 3);
	c->approved = sqlite3_column_int(st, 4);
	bankd_db_col_text(st, 5, c->card, sizeof c->card);
	bankd_db_col_secret(st, 6, c->conf_password);
	bankd_db_col_secret(st, 7, c->pin);
	bankd_db_col_secret(st, 8, c->conf_pin);
	c->failures = sqlite3_column_int(st, 9);
	bankd_db_col_text(st, 10, c->attestation, sizeof c->attestation);
}

int bankd_db_contract_get(bankd_db *db, const char *id, bankd_contract *c)
{
	return bankd_db_one(db,
	                    bankd_db_query(db,
	                                   "SELECT " CONTRACT_COLS
	                                   " FROM contract WHERE contract_id = ?",
	                                   "s", id),
	                    contract_row, c);
}

int bankd_db_contract_approve(bankd_db *db, const char *id)
{
	return bankd_db_run(db, "UPDATE contract SET approved = 1 WHERE contract_id = ?", "s", id);
}

int bankd_db_contract_each(bankd_db *db, bankd_db_contract_cb cb, void *arg)
{
	sqlite3_stmt *st =
		bankd_db_query(db, "SELECT " CONTRACT_COLS " FROM contract ORDER BY contract_id",
	                       "");
	bankd_contract c;
	int rc;

	while ((rc = bankd_db_row(db, st, contract_row, &c)) == BANKD_DB_OK && cb(&c, arg) == 0)
		;
	return bankd_db_end(st, rc);
}

static void failures_row(sqlite3_stmt *st, void *out)
{
	*(int *)out = sqlite3_column_int(st, 0);
}

/* The counter's statements, contract (user_id "") or user: the caller's value is never
 * written back, only added in SQL, so no stale read can be stored. */
int bankd_db_failures_get(bankd_db *db, const char *contract_id, const char *user_id, int *failures)
{
	sqlite3_stmt *st =
		user_id[0] == '\0' ?
			bankd_db_query(db, "SELECT failures FROM contract WHERE contract_id = ?",
	                               "s", contract_id) :
			bankd_db_query(
				db,
				"SELECT failures FROM user WHERE contract_id = ? AND user_id = ?",
				"ss", contract_id, user_id);

	return bankd_db_one(db, st, failures_row, failures);
}

int bankd_db_failures_add(bankd_db *db, const char *contract_id, const char *user_id, int delta)
{
	if (user_id[0] == '\0')
		return bankd_db_run(
			db,
			"UPDATE contract SET failures = max(failures + ?, 0) WHERE contract_id = ?",
			"is", (int64_t)delta, contract_id);
	return bankd_db_run(db,
	                    "UPDATE user SET failures = max(failures + ?, 0) WHERE contract_id = ?"
	                    " AND user_id = ?",
	                    "iss", (int64_t)delta, contract_id, user_id);
}

int bankd_db_failures_reset(bankd_db *db, const char *contract_id, const char *user_id)
{
	if (user_id[0] == '\0')
		return bankd_db_run(db, "UPDATE contract SET failures = 0 WHERE contract_id = ?",
		                    "s", contract_id);
	return bankd_db_run(db,
	                    "UPDATE user SET failures = 0 WHERE contract_id = ? AND user_id = ?",
	                    "ss", contract_id, user_id);
}
