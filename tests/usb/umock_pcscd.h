/* An unmodified pcscd (with libccid) inside the umockdev testbed, as a child of the test
 * process that serves the emulated tokens' usbdevfs ioctls: libudev hot-plug, libusb,
 * libccid and pcsc-lite drive the firmware. Private everything: its drivers directory (a
 * copy of kinko's bundle mounted over the system's), an empty reader configuration
 * directory, its socket (socket activation: bound here, handed over as fd 3), its own
 * /run/pcscd for the pid file. The mounts (a private mount namespace) need root. */
#ifndef KINKO_UMOCK_PCSCD_H
#define KINKO_UMOCK_PCSCD_H

#include <stdbool.h>
#include <sys/types.h>

#define UMOCK_PCSCD "/usr/sbin/pcscd"
/* pcscd's drivers directory (configure: libpcsclite's usbdropdir). */
#ifndef UMOCK_PCSC_DROPDIR
#define UMOCK_PCSC_DROPDIR "/usr/lib/pcsc/drivers"
#endif

typedef struct {
	pid_t pid;
	char dir[128];  /* private directory: drivers/, conf/, the socket, the log */
	char sock[192]; /* exported as PCSCLITE_CSOCK_NAME for this process's children */
	char log[192];
} umock_pcscd;

/* Start it with the bundle made of plist and the installed libccid. 0, or -1 (with a line
 * on stderr; nothing left running). */
int umock_pcscd_start(umock_pcscd *p, const char *plist, const char *libccid);
/* SIGTERM, then SIGKILL after 5 s; the private directory is removed. Idempotent. */
void umock_pcscd_stop(umock_pcscd *p);
/* Run cmd (/bin/sh -c) with a 60 s bound, its output (stdout and stderr) into *out. Its
 * exit status, or -1. in_bed: inside the testbed (umockdev's preload, for a program that
 * must see the emulated USB devices); otherwise as a plain process, as PC/SC clients are
 * (umockdev's preload made OpenSC hang now and then). */
int umock_run(const char *cmd, bool in_bed, char **out);
/* Run cmd (outside the testbed) every 200 ms until its output contains want (or, with want_absent, no longer
 * does), for up to timeout_ms. */
bool umock_run_until(const char *cmd, const char *want, bool want_absent, int timeout_ms);

#endif
