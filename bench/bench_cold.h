/* Cold logon APDU count: a fresh process with KINKO_DEBUG=apdu, its trace counted. */
#ifndef KINKO_BENCH_COLD_H
#define KINKO_BENCH_COLD_H

#include <stdbool.h>

#include "bench_p11.h"

/* Put a certificate for the RSA key (CKA_ID 01) on the token: the logon finds it. */
bool bench_cold_prepare(bench_token *b);
/* Run `self --cold-logon module` with the trace on; count the APDUs of the logon (up to
 * and including the first C_Sign) and of a second signature. */
bool bench_cold_logon(const char *self, const char *module, int *logon, int *second);
/* The child's side (main of `--cold-logon`): exit status 0 when every call succeeded. */
int bench_cold_child(const char *module);

#endif
