/* The bank's screens as server-rendered HTML (HTML-escaped), from the same data and the same
 * logon and admin code as the JSON API, so a browser can be the client. Every form is protected
 * against cross-site requests (bankd_html_csrf.c). */
#ifndef KINKO_BANKD_HTML_H
#define KINKO_BANKD_HTML_H

#include "bankd_http.h"

/* bankd_html_logon.c */
void bankd_html_logon(bankd_req *r);       /* GET /: certificate, PIN form */
void bankd_html_logon_post(bankd_req *r);  /* POST /logon: PIN, then the OTP form (admin) */
void bankd_html_otp_post(bankd_req *r);    /* POST /logon/otp */
void bankd_html_logoff_post(bankd_req *r); /* POST /logoff */
void bankd_html_certificate(bankd_req *r); /* GET /certificate: how to obtain one (kinko) */
/* bankd_html_csrf.c: the 403 page of a POST another site's page sent (bankd_http.c). */
void bankd_html_cross_site(bankd_req *r);
/* bankd_html_status.c */
void bankd_html_status(bankd_req *r); /* GET /status */
/* bankd_html_admin.c: the admin's session only */
void bankd_html_admin(bankd_req *r);               /* GET /admin */
void bankd_html_admin_users(bankd_req *r);         /* GET /admin/users */
void bankd_html_admin_register_post(bankd_req *r); /* POST /admin/users */
void bankd_html_admin_user(bankd_req *r);          /* GET /admin/users/new, /admin/users/ID */
void bankd_html_admin_user_post(bankd_req *r);     /* POST /admin/users/ID[/issue] */

#endif
