/* kinko-token-emu's command line: its options, help and usage errors, and the one way the
 * tool prints an error. */
#ifndef KINKO_EMU_CLI_H
#define KINKO_EMU_CLI_H

#include <stdbool.h>
#include <stdint.h>

#define EMU_EXIT_OK 0
#define EMU_EXIT_ERROR 1
#define EMU_EXIT_USAGE 2

typedef struct {
	const char *state;
	const char *socket;
	const char *vpcd; /* HOST:PORT of vsmartcard-vpcd, instead of socket */
	const char *control;
	bool absent;
	unsigned long lock_timeout_ms; /* 0: the default */
	bool init;
	bool force;
	const char *pin_file, *puk_file, *mgmt_key_file;
	const char *mgmt_alg_name;
	unsigned long pin_tries, puk_tries, serial;
	bool pin_must_change, pin_protected_mgmt;
	const char *attest_ca_cert, *attest_ca_key; /* the manufacturer attestation CA */
	const char *make_attest_ca;                 /* --make-attestation-ca DIR */
	uint8_t profile;                            /* TOK_PROFILE_*, from --profile */
	bool any_provisioning;                      /* a provisioning option was given */
} emu_cli_args;

/* Fill *a from argv. Returns -1 to go on, else the exit status: --help and --version are
 * answered, a usage error is printed. */
int emu_cli_parse(emu_cli_args *a, int argc, char **argv);

/* "kinko-token-emu: " and a message already translated by the caller's _(). */
void emu_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
