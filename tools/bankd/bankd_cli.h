/* What kinko-bankd's staff commands print: the usage, errors and dates, in the user's
 * language (gettext, po/ja.po). The server's operator log lines do not come through here. */
#ifndef KINKO_BANKD_CLI_H
#define KINKO_BANKD_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The help of every command (kinko-bankd --help). */
void bankd_cli_usage_print(FILE *f);

/* "kinko-bankd: " and the message (already translated by the caller's _()) on stderr, with a
 * line end. */
void bankd_cli_msg_print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A calendar day (days since 1970-01-01, UTC) in the user's language: 2027-12-07 or
 * 2027年12月7日. */
void bankd_cli_day_format(int64_t day, char *buf, size_t len);

#endif
