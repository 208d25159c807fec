/* The emulator's listening sockets: bound mode 0600, a stale socket file replaced. */
#ifndef KINKO_EMU_LISTEN_H
#define KINKO_EMU_LISTEN_H

#include <stdbool.h>

/* A non-blocking listening UNIX socket on path; *owned when this call created the file
 * (the caller unlinks it). -1 after printing why to stderr. */
int emu_listen(const char *path, bool *owned);

#endif
