/* Helpers shared by the token subcommands (token, certs, pin, key): help detection and
 * JSON output. Implemented in kinko_token.c. */
#ifndef KINKO_CMD_H
#define KINKO_CMD_H

#include <stdbool.h>

#include <jansson.h>

#include "kinko_p11.h"

/* --help or -h among the subcommand's words. */
bool kinko_wants_help(int argc, char **argv);
/* Print obj (indented, in insertion order) and a newline on stdout; takes the reference. */
void kinko_json_out(json_t *obj);

#endif
