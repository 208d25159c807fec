/* The emulator's server: USB CCID bulk messages over a UNIX stream socket, one card
 * (the PIV applet) shared by every client, hot-plug through signals or a control socket. */
#ifndef KINKO_EMU_SERVER_H
#define KINKO_EMU_SERVER_H

#include <stdbool.h>

#include "piv_applet.h"

#define EMU_MAX_CLIENTS 64u

/* Events the process's signal handlers pass to the loop (one byte each on event_fd). */
#define EMU_EVENT_TERMINATE 'T'
#define EMU_EVENT_REMOVE 'R'
#define EMU_EVENT_INSERT 'I'

typedef struct {
	const char *socket_path;
	const char *control_path; /* NULL: no control socket */
	bool start_absent;        /* the card starts removed */
	int event_fd;             /* non-blocking read end of the signal self-pipe */
	unsigned lock_timeout_ms; /* a lock holder silent this long loses it (0: default) */
} emu_server_opts;

typedef struct emu_server emu_server;

/* Bind the socket(s) (a stale socket file nobody listens on is replaced; mode 0600).
 * Returns NULL after printing why to stderr. The applet is borrowed. */
emu_server *emu_server_new(piv_applet *applet, const emu_server_opts *opts);

/* Serve until EMU_EVENT_TERMINATE. Returns 0, or -1 on a fatal poll error. */
int emu_server_run(emu_server *srv);

/* Close every client and unlink the socket files this server created. */
void emu_server_free(emu_server *srv);

#endif
