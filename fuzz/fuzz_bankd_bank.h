/* A small bank for the kinko-bankd fuzzers: a temporary bank directory (CA, server keys,
 * SQLite database) with one contract, one user and a recorded certificate and session for
 * each, so the fuzzers reach the handlers behind credentials, certificates and cookies.
 * The secrets are hashed with a cheap scrypt cost (the stored record carries its cost), so
 * a right guess costs microseconds; unknown IDs still pay the default cost, as in the bank.
 *
 * Every input starts from the same database: fuzz_bankd_bank_reset copies the snapshot taken
 * at setup back over bank.db (SQLite's backup API), so lockouts, issued certificates and
 * sessions of one input never change what the next one sees (nor does the per-address rate
 * limit of failed authentications: every input comes from the loopback). */
#ifndef KINKO_FUZZ_BANKD_BANK_H
#define KINKO_FUZZ_BANKD_BANK_H

#include <openssl/x509.h>

#include "bankd_http.h"

/* What the seeds use. */
#define FUZZ_BANK_CODE "0123"
#define FUZZ_CONTRACT "1234567890"        /* auto approval, applied today */
#define FUZZ_CONTRACT_MANUAL "5555"       /* manual approval, not approved yet */
#define FUZZ_CONTRACT_FRESH "7777"        /* auto approval, applied today, no certificate yet */
#define FUZZ_USER "alice"                 /* of FUZZ_CONTRACT, issued today, has a certificate */
#define FUZZ_USER_FRESH "bob"             /* of FUZZ_CONTRACT, issued today, no certificate yet */
#define FUZZ_CONF_PASSWORD "confirm-pass" /* B */
#define FUZZ_PIN "1111"                   /* イ */
#define FUZZ_CONF_PIN "2222"              /* ロ */
#define FUZZ_USER_PIN "3333"              /* ト */
#define FUZZ_USER_CONF_PIN "4444"         /* チ */
#define FUZZ_CARD "01234567890123456789012345678901234567890123456789"
/* Every contract has the same secrets, every user the same user secrets. */
/* Session cookies (kinko_session=...) recorded for the admin's and the user's certificates,
 * and an admin logon waiting for its card digits (logon_id). */
#define FUZZ_ADMIN_SESSION "0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a"
#define FUZZ_USER_SESSION "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"
#define FUZZ_OTP_LOGON "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c"
#define FUZZ_OTP_POSITIONS "A1,C3" /* digits "1" and "3" on FUZZ_CARD */

struct fuzz_bank {
	bankd_server srv;
	X509 *admin_cert; /* CN 12345678900123, OU admin, recorded active */
	X509 *user_cert;  /* CN 12345678900123, OU alice, recorded active */
};

/* Sets the bank up once (aborts on failure: the fuzzer cannot run without it). */
struct fuzz_bank *fuzz_bankd_bank_get(void);
/* Puts bank.db back to the snapshot taken at setup, and the failure rate limiter to empty. */
void fuzz_bankd_bank_reset(struct fuzz_bank *fb);

#endif
