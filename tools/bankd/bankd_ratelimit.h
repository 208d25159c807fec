/* Failed authentications per client address: after too many in a minute, the address's POST
 * requests get 429 with Retry-After until the minute is over. */
#ifndef KINKO_BANKD_RATELIMIT_H
#define KINKO_BANKD_RATELIMIT_H

#include <sys/socket.h>

/* Failures per address and minute before 429, unless serve --auth-fail-limit says otherwise. */
#define BANKD_AUTH_FAIL_LIMIT 10
#define BANKD_AUTH_FAIL_WINDOW 60

typedef struct bankd_ratelimit bankd_ratelimit;

/* limit failures per BANKD_AUTH_FAIL_WINDOW seconds; NULL when out of memory. */
bankd_ratelimit *bankd_ratelimit_new(unsigned limit);
void bankd_ratelimit_free(bankd_ratelimit *rl);

/* 0 when the address may try; else the seconds until it may (for Retry-After). */
unsigned bankd_ratelimit_wait(bankd_ratelimit *rl, const struct sockaddr *sa, socklen_t len);
/* Counts one failed authentication from the address. */
void bankd_ratelimit_failed(bankd_ratelimit *rl, const struct sockaddr *sa, socklen_t len);

#endif
