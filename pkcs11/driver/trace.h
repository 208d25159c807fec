/* Debug traces of the module, switched on by KINKO_DEBUG (a comma-separated list, read
 * once per process, here only): "apdu" prints every APDU and its response to stderr, with
 * the data that can carry a secret masked; "p11" names every C_* call and its CK_RV
 * (mod_trace.c); "all" switches on every trace. */
#ifndef KINKO_TRACE_H
#define KINKO_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRACE_APDU 0x01u
#define TRACE_P11 0x02u

/* Is this trace switched on? */
bool trace_enabled(unsigned what);

/* One command APDU about to be transmitted; seq numbers the line (the channel's count).
 * Returns whether the response must be masked too; pass that to trace_apdu_response. */
bool trace_apdu_command(unsigned long seq, const uint8_t *apdu, size_t len);
/* Its response (data and SW), or a transport failure when resp is NULL (err says which). */
void trace_apdu_response(unsigned long seq, const uint8_t *resp, size_t len, bool masked, int err);

#endif
