/* What transport_pcsc.c needs of the PC/SC contexts kept by pcsc_watch.c. */
#ifndef KINKO_PCSC_WATCH_H
#define KINKO_PCSC_WATCH_H

#include "driver_internal.h"

#include <winscard.h>

#include "transport.h"

/* The context card I/O uses (connect, transmit, status). */
SCARDCONTEXT pcsc_watch_io_context(const tr_pcsc_ctx *c);

#endif
