/* Admin operations inside an admin session: list users, register / change a user, issue a
 * certificate to a user (starts the user's 80-day window), revoke a user's certificate. */
#ifndef KINKO_BANKD_ADMIN_H
#define KINKO_BANKD_ADMIN_H

#include "bankd_http.h"

void bankd_admin_list(bankd_req *r);
void bankd_admin_put(bankd_req *r);
/* POST /api/admin/users/<id>/issue and /api/admin/users/<id>/revoke. */
void bankd_admin_user_op(bankd_req *r);

#endif
