/* kinko enroll and kinko renew: what the two commands share (kinko_enroll.c,
 * kinko_enroll_key.c, kinko_renew.c). */
#ifndef KINKO_ENROLL_H
#define KINKO_ENROLL_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "kinko.h"
#include "kinko_est.h"
#include "kinko_p11.h"

typedef struct {
	const char *bank;
	const char *cacert_opt;  /* --cacert */
	const char *contract_id; /* enroll --contract-id */
	const char *user_id;     /* enroll --user */
	const char *cert_uri;    /* renew --cert */
	bool admin;              /* enroll --admin */
	kinko_key_type key;      /* --key; 0: enroll's default (P-256), renew's current type */
	long max_wait;           /* --max-wait, seconds */
	char cacert[4096];       /* the CA file in use: --cacert or the one pinned for the bank */
} kinko_enroll_opts;

/* Options of enroll (renew false) or renew, argv[0] being the subcommand. Exit code;
 * KINKO_EXIT_OK with *help set when --help was given (usage printed). */
int kinko_enroll_parse(kinko_ctx *ctx, int argc, char **argv, bool renew, kinko_enroll_opts *o,
                       bool *help);
/* o->cacert: --cacert, else the CA pinned for the bank; KINKO_EXIT_USAGE when there is none. */
int kinko_enroll_find_ca(kinko_ctx *ctx, kinko_enroll_opts *o);
/* After a successful enrollment with --cacert: keep that CA for later runs against the bank
 * (kinko_bank_ca_path). A failure is only a warning. */
void kinko_enroll_pin_ca(kinko_ctx *ctx, const kinko_enroll_opts *o);

/* kinko_p11_generate with "generating the key on the token…" and a spinner on a terminal. */
int kinko_enroll_generate(kinko_ctx *ctx, kinko_key_type type, const char *label, kinko_keyobj *k);
/* The certificate's key is pub, it chains to cafile's CA for client authentication, and its CN
 * is expect_cn or, when that is NULL, contract_id + 4 digits (the bank code). The CN into cn.
 * KINKO_EXIT_OK or KINKO_EXIT_VERIFY (printed). */
int kinko_enroll_verify(kinko_ctx *ctx, X509 *cert, EVP_PKEY *pub, const char *cafile,
                        const char *contract_id, const char *expect_cn, char *cn, size_t cn_cap);

/* The certificate's subject CN as UTF-8 in out; false when there is none or it does not fit. */
bool kinko_enroll_cert_cn(X509 *cert, char *out, size_t cap);

typedef struct {
	kinko_key_type type;
	const char *key_label;    /* CKA_LABEL of the new key pair */
	const char *csr_cn;       /* the request's CN (the bank sets its own) */
	const kinko_est_req *est; /* simpleenroll or simplereenroll */
	const char *contract_id;  /* CN check, when expect_cn is NULL */
	const char *expect_cn;    /* renew: the CN stays */
} kinko_enroll_job;

/* The whole token-and-bank round: key generated, request signed on the token, EST, the
 * certificate verified and written with the key's CKA_ID and label "kinko <CN>". On success
 * *out is the key pair with its certificate as found on the token (free out->x509 with
 * X509_free) and cn its CN. On any failure after the generation the new key pair (and
 * certificate) is destroyed. Exit code (printed). */
int kinko_enroll_issue(kinko_ctx *ctx, const kinko_enroll_job *job, kinko_keyobj *out, char *cn,
                       size_t cn_cap);

/* The result: the CN as the manual's check, key, CKA_ID, label, expiry, URI; or one JSON
 * object with --json. what: "enroll" or "renew". */
void kinko_enroll_summary(kinko_ctx *ctx, const char *what, const kinko_keyobj *k, const char *cn,
                          const char *contract_id);

#endif
