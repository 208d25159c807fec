/* Test helpers for the emulator: run the kinko-token-emu process, talk CCID to it over
 * its socket, send APDUs through the common host-side codec, authenticate as 9B. */
#ifndef KINKO_EMU_CLIENT_H
#define KINKO_EMU_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "apdu.h"
#include "ccid.h"

#define EMU_PATH_MAX 256u
#define EMU_DIR_MAX 96u            /* socket paths must fit sun_path (108) */
#define EMU_REPLY_TIMEOUT_MS 20000 /* RSA key generation under sanitizers is slow */

typedef struct {
	char dir[EMU_DIR_MAX];      /* private temporary directory */
	char state[EMU_PATH_MAX];   /* dir/token.state */
	char sock[EMU_PATH_MAX];    /* dir/ccid.sock */
	char control[EMU_PATH_MAX]; /* dir/control.sock */
	pid_t pid;                  /* serving process, 0 when none */
} emu_proc;

/* The emulator binary: $KINKO_BUILDDIR/kinko-token-emu (default ./). */
const char *emu_binary(void);

/* mkdtemp under $TMPDIR (or /tmp) and fill the paths. 0 or -1. */
int emu_proc_setup(emu_proc *p);
/* Stop a running emulator (SIGKILL) and remove the directory with its files. */
void emu_proc_teardown(emu_proc *p);
/* Stop a running emulator with SIGTERM, then as emu_proc_teardown; -1 when it did not exit
 * with 0. */
int emu_proc_finish(emu_proc *p);

/* Run the emulator with these arguments (NULL-terminated) and wait. Returns the exit
 * status (or 128+signal), -1 on failure to run. Its stdout+stderr go to out (may be
 * NULL), NUL-terminated and truncated to cap. */
int emu_run(const char *const *args, char *out, size_t cap);

/* --state p->state --init, plus extra arguments (may be NULL). Exit status as emu_run. */
int emu_init(emu_proc *p, const char *const *extra, char *out, size_t cap);

/* Start serving p->state on p->sock with the control socket, plus extra arguments;
 * returns once the socket accepts (0), or -1 (not up within 5 s or exited). */
int emu_start(emu_proc *p, const char *const *extra);
/* SIGTERM and wait; returns the exit status as emu_run (0 expected). */
int emu_stop(emu_proc *p);
/* SIGKILL and reap. */
void emu_kill(emu_proc *p);
/* Send a signal to the serving process. */
int emu_signal(emu_proc *p, int sig);
/* Is the serving process still running (not exited)? */
bool emu_running(emu_proc *p);

/* One client connection. */
typedef struct {
	int fd;
	uint8_t seq;
	int timeout_ms;
	uint8_t *buf; /* scratch of CCID_HEADER_LEN + CCID_MAX_DATA bytes */
	apdu_channel ch;
} emu_conn;

int emu_connect(emu_conn *c, const char *path); /* 0 or -1 */
void emu_disconnect(emu_conn *c);

/* Write all bytes (a raw message, or part of one). 0 or -1. */
int emu_send_raw(emu_conn *c, const uint8_t *buf, size_t len);
/* Read exactly one message: header into *h, data (up to cap) into data. 0, or -1 on
 * timeout, EOF, or data larger than cap. */
int emu_recv(emu_conn *c, ccid_header *h, uint8_t *data, size_t cap, size_t *len);
/* Send one message with the next bSeq (its reply is read with emu_recv). 0 or -1. */
int emu_send_msg(emu_conn *c, uint8_t type, uint8_t slot, const uint8_t *data, size_t len);
/* Wait up to timeout_us (microseconds) for input: 1 readable (or closed), 0 timeout,
 * -1 error. */
int emu_wait_readable(emu_conn *c, long long timeout_us);
/* Send one message with the next bSeq and read its reply. */
int emu_exchange(emu_conn *c, uint8_t type, uint8_t slot, const uint8_t *data, size_t len,
                 ccid_header *rh, uint8_t *rdata, size_t cap, size_t *rlen);
/* PowerOn; the ATR into atr (may be NULL). 0 when the reply is a successful DataBlock. */
int emu_power_on(emu_conn *c, uint8_t *atr, size_t cap, size_t *atr_len);

/* One control-socket command ("status", ...): connect, send the line, read the answer
 * line (without its newline) into reply. 0, or -1 on error or timeout. */
int emu_control(const char *path, const char *cmd, char *reply, size_t cap);

/* Write a whole small file (for secret files). 0 or -1. */
int emu_write_file(const char *path, const char *text);

/* cmocka fixtures (*state is an emu_fixture): a private directory only, or a served
 * factory-default token with one client that powered it on. Teardown stops the
 * emulator with SIGTERM and fails unless it exits 0 (under the sanitizers that also
 * checks it for leaks). */
typedef struct {
	emu_proc p;
	emu_conn c;
} emu_fixture;

/* A fresh token (--init with the extra options, NULL for none) served and a client that
 * powered it on; restart stops it (SIGTERM, exit 0), serves its state again and reconnects.
 * 0 or -1. */
int emu_fixture_serve(emu_fixture *f, const char *const *init);
int emu_fixture_restart(emu_fixture *f);
/* The same with the token provisioned afresh in between (--init with init, which needs
 * --force). */
int emu_fixture_reinit(emu_fixture *f, const char *const *init);

int emu_fixture_setup_dir(void **state);
int emu_fixture_setup_running(void **state);
int emu_fixture_teardown(void **state);

/* ---- PIV side (emu_piv.c) ---- */

/* apdu_transmit_fn over XfrBlock; ctx is an emu_conn. */
int emu_transmit(void *ctx, const uint8_t *cmd, size_t cmd_len, uint8_t *resp, size_t resp_cap,
                 size_t *resp_len);

/* One command through apdu_transceive (chaining / 61xx handled). ext selects extended
 * length APDUs. Returns the SW, or 0 on a transport or codec error. */
uint16_t emu_apdu(emu_conn *c, uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *data, size_t lc,
                  bool ext, uint8_t *out, size_t cap, size_t *out_len);

/* SELECT the PIV application. Returns the SW. */
uint16_t emu_select(emu_conn *c);
/* VERIFY the PIN (NULL: status query without data). Returns the SW. */
uint16_t emu_verify(emu_conn *c, const char *pin);
/* Mutual authentication as 9B (3DES or AES). 0 on success. */
int emu_auth_mgmt(emu_conn *c, uint8_t alg, const uint8_t *key, size_t key_len);
/* The same with p1 as the command's algorithm reference (00 also names 3-key TDEA). */
int emu_auth_mgmt_p1(emu_conn *c, uint8_t p1, uint8_t alg, const uint8_t *key, size_t key_len);
/* The factory 3DES key. */
int emu_auth_default_mgmt(emu_conn *c);
/* PIN tries (remaining, total) from GET METADATA 80. 0 or -1. */
int emu_pin_tries(emu_conn *c, unsigned *left, unsigned *total);
/* CHANGE REFERENCE DATA of the PIN. Returns the SW. */
uint16_t emu_change_pin(emu_conn *c, const char *old_pin, const char *new_pin);

#endif
