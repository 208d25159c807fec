/* kinko: internals shared by kinko_bank.c (requests, session file, logon) and kinko_bank_cmd.c
 * (the logon, logoff, status and admin commands). */
#ifndef KINKO_BANK_INT_H
#define KINKO_BANK_INT_H

#include <jansson.h>

#include "kinko.h"
#include "kinko_p11.h"
#include "kinko_tls.h"

/* One conversation with the bank. */
typedef struct {
	kinko_ctx *ctx;
	const char *url;     /* https://host[:port] */
	const char *cacert;  /* PEM file the bank's TLS certificate is verified against */
	kinko_tls *tls;      /* the token key of the chosen certificate */
	char session[33];    /* the session token ("" when none) */
	char cert_sha[65];   /* SHA-256 (hex) of the certificate the session is bound to */
	char cert_name[160]; /* that certificate in words: "CN (OU)" */
	char session_path[4096];
} kinko_bank;

/* $KINKO_STATE_DIR/sub, else $HOME/fallback/sub. 0 or -1. */
int bank_dir(const char *fallback, const char *sub, char *out, size_t len);

/* Sessions (kinko_bank_session.c): one per bank AND certificate, so two tokens (or two
 * certificates) logged on to the same bank keep their own. */
/* The certificate in words for messages, "12345678900123 (admin)": its CN and OU. */
void bank_cert_name(X509 *x, char *out, size_t len);
/* SHA-256 of the certificate's DER, lowercase hex. 0 or -1. */
int bank_cert_sha(X509 *x, char out[65]);
/* $KINKO_STATE_DIR/session-<host_port>-<16 hex of the certificate's SHA-256>, else under
 * ~/.cache/kinko. 0 or -1. */
int bank_session_path(const char *bank_url, const char *cert_sha, char *out, size_t len);
/* The session file: "bank=URL", "cert=SHA256", "name=CN (OU)", "session=TOKEN" lines, mode
 * 0600. 0 or -1. */
int bank_session_save(const kinko_bank *b);
/* Reads b->session from b->session_path; the file must be for b->cert_sha. 0 or -1. */
int bank_session_load(kinko_bank *b);
void bank_session_forget(kinko_bank *b);

/* A kept session as listed (no session token). */
typedef struct {
	char url[2048];
	char cert_sha[65];
	char name[160];
	char path[4096];
} bank_session_ref;

/* The session meant by a status, logoff or admin run: of bank_url's bank (NULL: any bank),
 * whose certificate is on the token (objs), and, with cert_uri, that certificate (match).
 * One: chosen, and said on stderr. Several: a numbered list on a terminal, else exit 2 naming
 * them. None: exit 4 (not logged on) or 3 (the sessions' certificates are not on this token).
 * On success *s and *k (into objs) are set. Exit code (printed). */
int bank_session_choose(kinko_ctx *ctx, const char *bank_url, const char *cert_uri,
                        int (*match)(const kinko_keyobj *k, const char *uri),
                        const kinko_keyobj *objs, size_t n, bank_session_ref *s,
                        const kinko_keyobj **k);

/* One JSON request (body NULL: none; secrets in body are wiped); *out is the JSON object
 * answered with HTTP *status. Transport failures are printed and returned as exit codes. */
int bank_call(kinko_bank *b, const char *method, const char *path, json_t *body, long *status,
              json_t **out);
/* Print the bank's refusal ({"error"}) and return its exit code; forgets a dead session. */
int bank_refused(kinko_bank *b, long status, json_t *reply);

/* What a bank PIN looks like, for the user (translated). */
const char *bank_pin_form(void);
/* A bank PIN (name in --secrets-file, else asked with prompt, in bank_pin_form's form) in a
 * fresh request body {field: PIN}; the PIN is wiped at once. Exit code; *body is the
 * caller's (NULL on failure). */
int bank_pin_body(kinko_ctx *ctx, const char *name, const char *prompt, const char *field,
                  json_t **body);

/* The customer card as kinko-bankd prints it: 5 rows A-E of 10 digits. 0, or -1. */
int bank_card_parse(const char *text, char grid[50]);

/* PIN (and the admin's card digits) over b->tls; on success b->session is set and
 * *status_out is the status screen's data (caller decrefs). Exit code. */
int bank_logon(kinko_bank *b, const kinko_keyobj *k, json_t **status_out);

/* The commands' help on stdout (kinko_bank_help.c); KINKO_EXIT_OK. cmd: "status" or "logoff". */
int bank_usage_logon(void);
int bank_usage_session(const char *cmd);
int bank_usage_admin(void);

#endif
