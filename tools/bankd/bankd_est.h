/* EST (RFC 7030 with RFC 8951): cacerts, simpleenroll, simplereenroll; and the CRL. */
#ifndef KINKO_BANKD_EST_H
#define KINKO_BANKD_EST_H

#include "bankd_http.h"

void bankd_est_cacerts(struct bankd_req *r);
void bankd_est_simpleenroll(struct bankd_req *r);
void bankd_est_simplereenroll(struct bankd_req *r);
void bankd_est_crl(struct bankd_req *r);

/* Marks a certificate revoked (RFC 5280 reason code) and publishes a new CRL. */
int bankd_est_revoke(struct bankd_server *srv, const char *serial, int reason, time_t now);
/* Regenerates the CRL when forced, missing, or older than half its validity. */
int bankd_est_crl_refresh(struct bankd_server *srv, time_t now, int force);

#endif
