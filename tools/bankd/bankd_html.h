/* The logon and status screens as server-rendered HTML (HTML-escaped), from the same data and
 * the same logon code as the JSON API, so a browser can be the client. */
#ifndef KINKO_BANKD_HTML_H
#define KINKO_BANKD_HTML_H

#include "bankd_http.h"

void bankd_html_logon(bankd_req *r);       /* GET /: certificate, PIN form */
void bankd_html_logon_post(bankd_req *r);  /* POST /logon: PIN, then the OTP form (admin) */
void bankd_html_otp_post(bankd_req *r);    /* POST /logon/otp */
void bankd_html_status(bankd_req *r);      /* GET /status */
void bankd_html_logoff_post(bankd_req *r); /* POST /logoff */

#endif
