/* The bank's issuance rules as pure functions, so unit tests pin every boundary. */
#ifndef KINKO_BANKD_RULES_H
#define KINKO_BANKD_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Days of the window, counted inclusively: the start day is day 1, day 80 the last. */
#define BANKD_WINDOW_DAYS 80

typedef enum {
	BANKD_RULE_OK = 0,
	BANKD_RULE_NOT_YET,     /* today is before the start day */
	BANKD_RULE_WINDOW_OVER, /* today is after day 80 */
	BANKD_RULE_NOT_ISSUED   /* user: the admin has not issued a certificate to this user */
} bankd_rule;

typedef enum {
	BANKD_KEY_OK = 0,
	BANKD_KEY_WEAK,           /* RSA < 2048, other curve, other algorithm */
	BANKD_KEY_TOO_LARGE,      /* RSA above 8192 bits: refused to bound the work per request */
	BANKD_KEY_EXPLICIT_CURVE, /* EC parameters spelled out: its certificate would not verify */
	BANKD_KEY_RSA_EXPONENT    /* RSA public exponent other than 65537 */
} bankd_key_rule;

/* What the caller read from a request's public key; bankd_rules_key judges it. */
typedef struct bankd_key_facts {
	const char *base;  /* "RSA", "EC", or anything else */
	int bits;          /* RSA: the modulus size */
	const char *curve; /* EC: OpenSSL's short name ("prime256v1", "secp384r1"), or NULL */
	bool named_curve;  /* EC: the key names its curve (no explicit parameters) */
	bool rsa_e_65537;  /* RSA: the public exponent is 65537 */
} bankd_key_facts;

/* Days since 1970-01-01 (UTC) of a time. */
int64_t bankd_rules_day(time_t t);
/* "YYYY-MM-DD" (a real calendar date) to days since the epoch; -1 if malformed. */
int bankd_rules_day_parse(const char *s, int64_t *day);
/* Days since the epoch to "YYYY-MM-DD" (buf of at least 11 bytes). */
void bankd_rules_day_format(int64_t day, char *buf, size_t len);
/* The last day a certificate can be obtained in a window starting on start_day. */
int64_t bankd_rules_last_day(int64_t start_day);

/* Admin certificate: today must lie in [applied, applied + 79]. */
bankd_rule bankd_rules_admin_window(int64_t applied_day, int64_t today);
/* User certificate: the admin issued one to the user, and today lies in [issued, issued + 79]. */
bankd_rule bankd_rules_user_window(bool issued, int64_t issued_day, int64_t today);
/* The refusal in plain words (nothing for BANKD_RULE_OK). */
void bankd_rules_explain(bankd_rule r, bool admin, int64_t start_day, char *buf, size_t len);

/* Key policy: RSA 2048-8192 bits with e = 65537, or ECDSA on the named curve P-256 or P-384. */
bankd_key_rule bankd_rules_key(const bankd_key_facts *k);
const char *bankd_rules_key_explain(bankd_key_rule r);

/* Identifiers: a contract ID is 1-20 digits; a user ID 1-32 of [A-Za-z0-9._-]; a company or
 * bank name 1-200 bytes without control characters. */
bool bankd_rules_contract_id_ok(const char *s);
bool bankd_rules_user_id_ok(const char *s);
bool bankd_rules_name_ok(const char *s);

#endif
