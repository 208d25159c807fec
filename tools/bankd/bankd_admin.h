/* Admin operations inside an admin session: list users, register / change a user, issue a
 * certificate to a user (starts the user's 80-day window), revoke a user's certificate. The
 * operations are here once; the JSON API below and the HTML screens (bankd_html_admin.c) only
 * read their fields and word their answers. */
#ifndef KINKO_BANKD_ADMIN_H
#define KINKO_BANKD_ADMIN_H

#include "bankd_attempt.h"
#include "bankd_http.h"

/* What an admin operation came to. */
typedef struct bankd_admin_result {
	int code;          /* HTTP status: 200 done; 400 malformed input (the front end words it) */
	char error[128];   /* code not 200 or 400, neither wrong nor locked: English (N_) */
	bankd_wrong wrong; /* a wrong contract confirmation PIN (ロ); secrets 0 otherwise */
	int locked;        /* the contract is locked: nothing was compared */
	int existed;       /* user_set: the user was registered already (a change) */
	char issued[16];   /* issue: YYYY-MM-DD, the first day of the user's window */
	char window_last_day[16];
} bankd_admin_result;

/* The request's session, an admin's, and its contract, not locked. 0, or -1 with res filled
 * in (401 no session, 403 a user's session or locked). */
int bankd_admin_session(bankd_req *r, bankd_session *s, bankd_contract *c, bankd_admin_result *res);
/* Registers user id of contract c or changes its PINs (ト, チ), which clears the user's
 * lockout; with must_exist only a change (404 otherwise). 0, or -1 with res filled in. */
int bankd_admin_user_set(bankd_server *srv, const bankd_contract *c, const char *id,
                         const char *pin, const char *conf, int must_exist,
                         bankd_admin_result *res);
/* Issues a certificate to user id: ロ checked with the contract's lockout first (a wrong one
 * counts), then the user's 80-day window starts today. 0, or -1 with res filled in. */
int bankd_admin_issue(bankd_server *srv, const bankd_contract *c, const char *id,
                      const char *confirmation_pin, time_t now, bankd_admin_result *res);

/* JSON front end. */
void bankd_admin_list(bankd_req *r);
void bankd_admin_put(bankd_req *r);
/* POST /api/admin/users/<id>/issue and /api/admin/users/<id>/revoke. */
void bankd_admin_user_op(bankd_req *r);

#endif
