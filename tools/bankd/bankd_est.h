/* EST (RFC 7030 with RFC 8951): cacerts, simpleenroll, simplereenroll; and the CRL. */
#ifndef KINKO_BANKD_EST_H
#define KINKO_BANKD_EST_H

#include "bankd_http.h"

void bankd_est_cacerts(bankd_req *r);
void bankd_est_simpleenroll(bankd_req *r);
void bankd_est_simplereenroll(bankd_req *r);
void bankd_est_crl(bankd_req *r);

/* Marks a certificate revoked (RFC 5280 reason code) and publishes a new CRL. */
int bankd_est_revoke(bankd_server *srv, const char *serial, int reason, time_t now);
/* Called with each certificate bankd_est_revoke_id revoked, after the commit. */
typedef void (*bankd_est_revoked_cb)(const bankd_cert *c, void *arg);
/* Revokes every valid certificate (active or superseded, not expired at now) of a contract's
 * admin (user_id "") or of one of its users with an RFC 5280 reason, publishes a new CRL and
 * ends the ID's sessions, in one transaction: the one path for the admin's revoke and the
 * staff's contract revoke. Returns how many were revoked (0: none was valid), or -1. */
int bankd_est_revoke_id(bankd_server *srv, const char *contract_id, const char *user_id, int reason,
                        time_t now, bankd_est_revoked_cb cb, void *arg);
/* Regenerates the CRL when forced, missing, or older than half its validity. */
int bankd_est_crl_refresh(bankd_server *srv, time_t now, int force);

#endif
