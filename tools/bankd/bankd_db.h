/* The bank's state in SQLite: prepared statements only, every result checked. */
#ifndef KINKO_BANKD_DB_H
#define KINKO_BANKD_DB_H

#include <stddef.h>
#include <stdint.h>

#include "bankd_secret.h"

#define BANKD_SCHEMA_VERSION 2
#define BANKD_ID_MAX 32
#define BANKD_NAME_MAX 200
#define BANKD_CARD_ROWS 5
#define BANKD_CARD_COLS 10
#define BANKD_CARD_LEN (BANKD_CARD_ROWS * BANKD_CARD_COLS)

/* 0 success / found, 1 not found (or, for an insert, already there), -1 database error. */
enum { BANKD_DB_OK = 0, BANKD_DB_NONE = 1, BANKD_DB_ERR = -1 };

typedef struct bankd_db bankd_db;

typedef struct bankd_bank {
	char code[8];
	char name[BANKD_NAME_MAX + 1];
	char server_name[256];
} bankd_bank;

typedef struct bankd_contract {
	char id[BANKD_ID_MAX + 1];
	char company[BANKD_NAME_MAX + 1];
	int64_t applied_day;
	int manual_approval;
	int approved;
	char card[BANKD_CARD_LEN + 1];
	uint8_t conf_password[BANKD_SECRET_LEN]; /* B */
	uint8_t pin[BANKD_SECRET_LEN];           /* イ */
	uint8_t conf_pin[BANKD_SECRET_LEN];      /* ロ */
	int failures;
	char attestation[12]; /* required, optional, off (bankd_attest_policy's words) */
} bankd_contract;

typedef struct bankd_user {
	char contract_id[BANKD_ID_MAX + 1];
	char user_id[BANKD_ID_MAX + 1];
	uint8_t pin[BANKD_SECRET_LEN];      /* ト */
	uint8_t conf_pin[BANKD_SECRET_LEN]; /* チ */
	int issued;
	int64_t issued_day;
	int failures;
} bankd_user;

typedef struct bankd_cert {
	char serial[48];
	char contract_id[BANKD_ID_MAX + 1];
	char user_id[BANKD_ID_MAX + 1]; /* "" for the admin */
	char subject[512];
	char key_sha256[65];
	char cert_sha256[65];
	int64_t not_before, not_after, issued_at;
	char status[16]; /* active, superseded, revoked */
	char replaces[48];
	int64_t revoked_at;
	int reason;
	char token_serial[24]; /* from the key's attestation; "" when none was verified */
} bankd_cert;

typedef struct bankd_session {
	char id_hash[65];
	char contract_id[BANKD_ID_MAX + 1];
	char user_id[BANKD_ID_MAX + 1];
	char cert_sha256[65];
	int64_t last_seen;
	int otp_pending; /* an admin logon waiting for its one-time password */
	char positions[8];
} bankd_session;

int bankd_db_open(const char *path, int create, bankd_db **db);
void bankd_db_close(bankd_db *db);
int bankd_db_begin(bankd_db *db);
int bankd_db_commit(bankd_db *db);
void bankd_db_rollback(bankd_db *db);

int bankd_db_bank_put(bankd_db *db, const bankd_bank *b);
int bankd_db_bank_get(bankd_db *db, bankd_bank *b);

int bankd_db_contract_add(bankd_db *db, const bankd_contract *c);
int bankd_db_contract_get(bankd_db *db, const char *id, bankd_contract *c);
int bankd_db_contract_approve(bankd_db *db, const char *id);
typedef int (*bankd_db_contract_cb)(const bankd_contract *c, void *arg);
int bankd_db_contract_each(bankd_db *db, bankd_db_contract_cb cb, void *arg);

/* The wrong-answer counter of a contract (user_id "") or of one of its users. _add adds delta
 * in SQL (never below 0); see bankd_attempt.h for the transactions around them. */
int bankd_db_failures_get(bankd_db *db, const char *contract_id, const char *user_id,
                          int *failures);
int bankd_db_failures_add(bankd_db *db, const char *contract_id, const char *user_id, int delta);
int bankd_db_failures_reset(bankd_db *db, const char *contract_id, const char *user_id);

/* Registers a user or changes its PINs (keeps the issuance; resets the failure count). */
int bankd_db_user_put(bankd_db *db, const bankd_user *u);
int bankd_db_user_get(bankd_db *db, const char *contract_id, const char *user_id, bankd_user *u);
int bankd_db_user_issue(bankd_db *db, const char *contract_id, const char *user_id, int64_t day);
typedef int (*bankd_db_user_cb)(const bankd_user *u, void *arg);
int bankd_db_user_each(bankd_db *db, const char *contract_id, bankd_db_user_cb cb, void *arg);

int bankd_db_cert_add(bankd_db *db, const bankd_cert *c, const uint8_t *der, size_t n);
int bankd_db_cert_by_fp(bankd_db *db, const char *cert_sha256, bankd_cert *c);
int bankd_db_cert_by_serial(bankd_db *db, const char *serial, bankd_cert *c);
/* The newest certificate of an ID that is active or superseded and not expired at now. */
int bankd_db_cert_current(bankd_db *db, const char *contract_id, const char *user_id, int64_t now,
                          bankd_cert *c);
int bankd_db_cert_status(bankd_db *db, const char *serial, const char *status, int64_t revoked_at,
                         int reason);
typedef int (*bankd_db_cert_cb)(const bankd_cert *c, void *arg);
/* All certificates of a contract (user_id NULL) or of one ID, oldest first. */
int bankd_db_cert_each(bankd_db *db, const char *contract_id, const char *user_id,
                       bankd_db_cert_cb cb, void *arg);
int bankd_db_cert_each_revoked(bankd_db *db, bankd_db_cert_cb cb, void *arg);

int bankd_db_session_add(bankd_db *db, const bankd_session *s);
int bankd_db_session_get(bankd_db *db, const char *id_hash, bankd_session *s);
int bankd_db_session_touch(bankd_db *db, const char *id_hash, int64_t now);
int bankd_db_session_delete(bankd_db *db, const char *id_hash);
/* Forgets sessions and pending logons last seen before a time. */
int bankd_db_session_purge(bankd_db *db, int64_t before);
int bankd_db_session_delete_id(bankd_db *db, const char *contract_id, const char *user_id);

/* The CRL last generated: its number, when, and the DER (malloc'ed). */
int bankd_db_crl_get(bankd_db *db, int64_t *number, int64_t *this_update, uint8_t **der, size_t *n);
int bankd_db_crl_put(bankd_db *db, int64_t number, int64_t this_update, const uint8_t *der,
                     size_t n);

#endif
