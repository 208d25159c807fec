/* Bank staff's contract commands (kinko-bankd contract ...). Each returns a BANKD_EXIT_ code. */
#ifndef KINKO_BANKD_CONTRACT_H
#define KINKO_BANKD_CONTRACT_H

typedef struct bankd_db bankd_db;

/* Opens DIR/bank.db (which must exist). */
int bankd_contract_open_db(const char *dir, bankd_db **db);

int bankd_contract_add(const char *dir, const char *company, const char *id, const char *applied,
                       const char *secrets_file, int manual_approval, const char *attestation);
int bankd_contract_list(const char *dir);
int bankd_contract_show(const char *dir, const char *id);
/* Clears the wrong-PIN count of the contract (user_id NULL) or of one user. */
int bankd_contract_unlock(const char *dir, const char *id, const char *user_id);
int bankd_contract_approve(const char *dir, const char *id);
/* Revokes the valid certificates of the contract's admin (user_id NULL) or of one user with a
 * CRL reason (RFC 5280 name; NULL: cessationOfOperation), publishes the CRL, ends the holder's
 * sessions and says whether the holder may enroll again. */
int bankd_contract_revoke(const char *dir, const char *id, const char *user_id, const char *reason);

#endif
