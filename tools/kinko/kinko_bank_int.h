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
	const char *url;        /* https://host[:port] */
	const char *cacert;     /* PEM file the bank's TLS certificate is verified against */
	kinko_tls *tls;         /* the token key of the chosen certificate */
	char session[33];       /* the session token ("" when none) */
	unsigned char key_id[64]; /* CKA_ID of the certificate the session is bound to */
	size_t key_id_len;
	char session_path[4096];
} kinko_bank;

/* $KINKO_STATE_DIR/session-<host_port>, else ~/.cache/kinko/session-<host_port>. */
int bank_session_path(const char *bank_url, char *out, size_t len);
/* The session file: "bank=URL", "key_id=HEX", "session=TOKEN" lines, mode 0600. 0 or -1. */
int bank_session_save(const kinko_bank *b);
int bank_session_load(kinko_bank *b);
void bank_session_forget(kinko_bank *b);

/* One JSON request (body NULL: none; secrets in body are wiped); *out is the JSON object
 * answered with HTTP *status. Transport failures are printed and returned as exit codes. */
int bank_call(kinko_bank *b, const char *method, const char *path, json_t *body, long *status,
	      json_t **out);
/* Print the bank's refusal ({"error"}) and return its exit code; forgets a dead session. */
int bank_refused(kinko_bank *b, long status, json_t *reply);

/* The customer card as kinko-bankd prints it: 5 rows A-E of 10 digits. 0, or -1. */
int bank_card_parse(const char *text, char grid[50]);

/* PIN (and the admin's card digits) over b->tls; on success b->session is set and
 * *status_out is the status screen's data (caller decrefs). Exit code. */
int bank_logon(kinko_bank *b, const kinko_keyobj *k, json_t **status_out);

#endif
