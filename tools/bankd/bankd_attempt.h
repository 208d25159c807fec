/* The lockout of every secret the bank checks (contract PIN イ, confirmation PINs ロ/チ, user
 * PIN ト, card digits): one counter per contract and per user, counted before comparing, and
 * the answers that name the wrong secret and the tries left. */
#ifndef KINKO_BANKD_ATTEMPT_H
#define KINKO_BANKD_ATTEMPT_H

#include <stddef.h>

#include "bankd_db.h"
#include "bankd_http.h"

/* The secrets, as bits of a mask; their wire names are contract_pin,
 * contract_confirmation_pin, user_pin, user_confirmation_pin, card_digits. */
#define BANKD_CONTRACT_LOCKED_MSG "contract locked after 5 wrong PINs; the bank must unlock it"
#define BANKD_USER_LOCKED_MSG \
	"user locked after 5 wrong PINs; the admin must register the user's PINs again or the bank must unlock it"

enum {
	BANKD_WRONG_CONTRACT_PIN = 1 << 0,  /* イ */
	BANKD_WRONG_CONTRACT_CONF = 1 << 1, /* ロ */
	BANKD_WRONG_USER_PIN = 1 << 2,      /* ト */
	BANKD_WRONG_USER_CONF = 1 << 3,     /* チ */
	BANKD_WRONG_CARD = 1 << 4
};

typedef struct bankd_attempt {
	bankd_db *db;
	char contract_id[BANKD_ID_MAX + 1];
	char user_id[BANKD_ID_MAX + 1]; /* "" for the contract's counter */
	int failures;                   /* the count with this attempt included */
} bankd_attempt;

typedef enum {
	BANKD_ATTEMPT_GO = 0,
	BANKD_ATTEMPT_LOCKED,
	BANKD_ATTEMPT_ERROR
} bankd_attempt_state;

typedef enum {
	BANKD_ATTEMPT_WRONG,   /* the increment stays */
	BANKD_ATTEMPT_PARTIAL, /* right, but the credential needs another step: undo this attempt */
	BANKD_ATTEMPT_COMPLETE /* right, and the credential is complete: the counter goes to 0 */
} bankd_attempt_outcome;

/* In one BEGIN IMMEDIATE transaction: reads the counter; when it is locked
 * (BANKD_SECRET_MAX_TRIES) nothing changes and nothing may be compared; otherwise adds one and
 * commits before the caller compares, so no crash or parallel request gets a free guess. */
bankd_attempt_state bankd_attempt_begin(bankd_attempt *a, bankd_db *db, const char *contract_id,
                                        const char *user_id);
/* After comparing. 0, or -1 on a database error. */
int bankd_attempt_end(bankd_attempt *a, bankd_attempt_outcome o);

/* What a wrong answer tells: which secrets (mask), for whom, the count after it. */
typedef struct bankd_wrong {
	unsigned secrets;
	int is_user;
	int failures;
} bankd_wrong;

int bankd_wrong_tries_left(const bankd_wrong *w);
/* "contract_pin,contract_confirmation_pin" */
void bankd_wrong_names(unsigned secrets, char *buf, size_t len);
/* "wrong contract PIN (イ); 4 tries left", "wrong card digits; log on again (1 try left)", or
 * the lock when this answer locked the credential; in the calling thread's language. */
void bankd_wrong_sentence(const bankd_wrong *w, char *buf, size_t len);

/* JSON API: 401 {"error","message","secret","tries_left"} ("error" the English sentence,
 * "message" the request's language), or 403 with "locked": true too when the answer locked
 * the credential. */
void bankd_wrong_reply_json(bankd_req *r, const bankd_wrong *w);
/* EST: the text/plain sentence with Kinko-Wrong-Secret and Kinko-Tries-Left (401, or 403 with
 * Kinko-Locked when the answer locked the credential). */
void bankd_wrong_reply_est(bankd_req *r, const bankd_wrong *w);
/* Refused without comparing: 403 {"error", "message", "locked": true} / text and Kinko-Locked. */
void bankd_locked_reply_json(bankd_req *r, int is_user);
void bankd_locked_reply_est(bankd_req *r, int is_user);

#endif
