/* The statement helpers of bankd_db.c, shared by the bankd_db_*.c files and no one else. */
#ifndef KINKO_BANKD_DB_INTERNAL_H
#define KINKO_BANKD_DB_INTERNAL_H

#include <sqlite3.h>

#include "bankd_db.h"

/* Prepares sql and binds the values named by types ('s' text, 'i' int64, 'b' blob pointer and
 * size_t): NULL on failure, logged. */
sqlite3_stmt *bankd_db_query(bankd_db *db, const char *sql, const char *types, ...);
/* Runs a statement that returns no rows. BANKD_DB_NONE when it changed nothing or hit a
 * uniqueness constraint (the caller asked for something absent or already there). */
int bankd_db_run(bankd_db *db, const char *sql, const char *types, ...);

/* Copies the current row of st into out. */
typedef void (*bankd_db_row_fn)(sqlite3_stmt *st, void *out);
/* Steps st (NULL: a failed query): BANKD_DB_OK with the row read by row into out,
 * BANKD_DB_NONE at the end. */
int bankd_db_row(bankd_db *db, sqlite3_stmt *st, bankd_db_row_fn row, void *out);
/* The first row of st into out, then st finalized. */
int bankd_db_one(bankd_db *db, sqlite3_stmt *st, bankd_db_row_fn row, void *out);
/* Finalizes a loop's statement: BANKD_DB_ERR if its last step failed, BANKD_DB_OK otherwise. */
int bankd_db_end(sqlite3_stmt *st, int rc);

void bankd_db_col_text(sqlite3_stmt *st, int i, char *out, size_t len);
/* A wrong-sized record becomes all zeroes, which bankd_secret_verify rejects. */
void bankd_db_col_secret(sqlite3_stmt *st, int i, uint8_t out[BANKD_SECRET_LEN]);

#endif
