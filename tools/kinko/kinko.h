/* kinko, the user's CLI: shared declarations. */
#ifndef KINKO_CLI_H
#define KINKO_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include <p11-kit/pkcs11.h>

/* Exit codes (documented in --help and kinko(1)). */
enum {
	KINKO_EXIT_OK = 0,
	KINKO_EXIT_FAIL = 1,
	KINKO_EXIT_USAGE = 2,
	KINKO_EXIT_TOKEN = 3,   /* token absent, PIN wrong or locked, token full */
	KINKO_EXIT_BANK = 4,    /* the bank refused (401/403) */
	KINKO_EXIT_NETWORK = 5, /* the bank could not be reached */
	KINKO_EXIT_VERIFY = 6,  /* the certificate does not match key, CA or CN */
};

/* Global options and state of one run. */
typedef struct kinko_ctx {
	const char *module;       /* PKCS#11 module path (--module, KINKO_MODULE, or kinko's) */
	const char *token_uri;    /* --token pkcs11:… (NULL: the only / first token with a PIN) */
	const char *pin_file;     /* --pin-file */
	int pin_fd;               /* --pin-fd, -1 when not given */
	const char *secrets_file; /* --secrets-file: key=value lines */
	bool json;                /* --json */
	bool verbose;             /* --verbose: PKCS#11 / HTTP detail in messages */
	bool no_pin_change;       /* --no-pin-change: skip the forced first change */
	/* PKCS#11 (kinko_p11.c) */
	CK_FUNCTION_LIST *p11;
	CK_SLOT_ID slot;
	CK_SESSION_HANDLE session;
	bool logged_in;
	bool kinko_module;   /* the module is kinko's own (C_GetInfo manufacturer "kinko") */
	char token_pin[129]; /* the PIN of the login, wiped at kinko_p11_close */
} kinko_ctx;

/* Messages: kinko_err prints "kinko: <message>" to stderr, and with --verbose the detail.
 * fmt is the translated text (_("...")); code is stable snake_case naming the situation
 * ("pin_incorrect", "bank_unreachable"; kinko(1) lists them): the message follows the user's
 * language, the code and the exit code never do, so a script tests those. It also records
 * the error: with --json main prints at exit, on stdout, one object
 *   {"error": {"code": "...", "message": "...", "detail"?: "...", "ckr"?: "CKR_...", "http_status"?: N,
 *              "messages"?: [every message, in order, when there were several], fields...},
 *    "exit": N}
 * "message" is the last error; a detail "CKR_..." also gives "ckr", "HTTP N" "http_status".
 * kinko_err_field_* attach more fields to the run's error (before or after kinko_err), e.g.
 * kinko_err_field_str(ctx, "secret", "contract_pin"), kinko_err_field_int(ctx, "tries_left",
 * 2). Never a secret in a message or a field. */
void kinko_err(const kinko_ctx *ctx, const char *code, const char *detail, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void kinko_err_field_str(const kinko_ctx *ctx, const char *key, const char *val);
void kinko_err_field_int(const kinko_ctx *ctx, const char *key, long long val);
/* main, at exit: with --json and a failure (exit_code != 0), print the error object above on
 * stdout (a generic message from the exit code when nothing was recorded); frees the record. */
void kinko_err_finish(const kinko_ctx *ctx, int exit_code);
void kinko_progress(const kinko_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Secrets (kinko_pin.c). Never from argv or the environment. */
#define KINKO_SECRET_MAX 129 /* buffer size: 128 characters and the NUL */
/* Read the secret `key` (token_pin, new_pin, puk, contract_pin, contract_confirmation_pin,
 * user_pin, user_confirmation_pin): from --secrets-file when it has the key; for token_pin
 * also from --pin-file / --pin-fd; else a no-echo prompt "<prompt>: " on /dev/tty. NUL-terminated
 * in buf (cap >= 2). Returns an exit code (KINKO_EXIT_USAGE when there is no way to ask). */
int kinko_secret_read(const kinko_ctx *ctx, const char *key, const char *prompt, char *buf,
                      size_t cap);
/* A new secret: from --secrets-file `key`, else asked twice on the terminal ("<prompt>: ",
 * "<prompt> again: ") until both agree (3 attempts). Exit code. */
int kinko_secret_read_new(const kinko_ctx *ctx, const char *key, const char *prompt, char *buf,
                          size_t cap);
/* The file (--pin-file, or --secrets-file with token_pin) the last token PIN was read from;
 * NULL when it was typed or came from --pin-fd. After a PIN change that file is stale. */
const char *kinko_secret_file_of_token_pin(void);
/* Wipe every secret kinko_pin.c holds (the --pin-fd and --secrets-file contents). */
void kinko_secrets_wipe(void);

/* Output helpers (kinko_msg.c): the PKCS#11 return value's name (CKR_PIN_INCORRECT), for
 * --verbose details. */
const char *kinko_ckr_name(CK_RV rv);

/* Subcommands: argv[0] is the subcommand's first word after "kinko"; return an exit code.
 * kinko_main.c takes the global options out of argv wherever they stand (so argv holds only
 * the subcommand's own words and options) and calls the function. Help convention: each
 * kinko_cmd_* prints its COMPLETE help (usage, every option, what it asks for, examples) on
 * stdout and returns 0 when its arguments hold --help or -h; `kinko help SUB` calls it with
 * {"SUB", "--help"}. The help is complete enough to stand as the man page's section. */
typedef int (*kinko_cmd_fn)(kinko_ctx *ctx, int argc, char **argv);
int kinko_cmd_token(kinko_ctx *ctx, int argc, char **argv);  /* token list | token info */
int kinko_cmd_certs(kinko_ctx *ctx, int argc, char **argv);  /* certificates, keys, revocation */
int kinko_cmd_pin(kinko_ctx *ctx, int argc, char **argv);    /* pin check | change | unblock */
int kinko_cmd_key(kinko_ctx *ctx, int argc, char **argv);    /* key delete URI [--yes] */
int kinko_cmd_enroll(kinko_ctx *ctx, int argc, char **argv); /* a new key and its certificate */
int kinko_cmd_renew(kinko_ctx *ctx, int argc, char **argv);  /* a new key for the current one */
int kinko_cmd_logon(kinko_ctx *ctx, int argc, char **argv);  /* a bank session */
int kinko_cmd_logoff(kinko_ctx *ctx, int argc, char **argv); /* ends it */
int kinko_cmd_status(kinko_ctx *ctx, int argc, char **argv); /* the bank session's status screen */
int kinko_cmd_admin(kinko_ctx *ctx, int argc,
                    char **argv); /* users | user add|change | issue | revoke */
int kinko_cmd_browser(kinko_ctx *ctx, int argc, char **argv); /* browser setup | status */

#endif
