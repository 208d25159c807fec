/* kinko: the enrollment's token side, shared by enroll and renew: the key generated with
 * progress shown, the request signed on the token, the bank's certificate checked against the
 * key, the CA and the manual's CN rule, written next to its key, and every failure after the
 * generation undone so the token ends as it began. */
#include "kinko_enroll.h"
#include "i18n.h"
#include "kinko_signal.h"
#include "kinko_csr.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

/* Progress while the token generates: a spinner on a terminal, nothing in a log. */
typedef struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done;
} enroll_spinner;

static void *enroll_spin(void *arg)
{
	static const char wheel[] = "|/-\\";
	enroll_spinner *s = arg;
	unsigned i = 0;
	/* The progress line above has ended: the wheel turns alone at the start of the next
	 * line, and is erased (carriage return, clear to end of line) so the next message starts
	 * on a clean line. */
	pthread_mutex_lock(&s->mu);
	while (!s->done) {
		fprintf(stderr, "\r%c", wheel[i++ % 4]);
		fflush(stderr);
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 200 * 1000 * 1000;
		if (until.tv_nsec >= 1000 * 1000 * 1000) {
			until.tv_sec++;
			until.tv_nsec -= 1000 * 1000 * 1000;
		}
		pthread_cond_timedwait(&s->cv, &s->mu, &until);
	}
	pthread_mutex_unlock(&s->mu);
	fputs("\r\033[K", stderr);
	fflush(stderr);
	return NULL;
}

int kinko_enroll_generate(kinko_ctx *ctx, kinko_key_type type, const char *label, kinko_keyobj *k)
{
	/* TRANSLATORS: %s is the key type, RSA-2048 or P-256. */
	kinko_progress(ctx, _("generating the %s key on the token…"),
	               type == KINKO_KEY_RSA2048 ? "RSA-2048" : "P-256");
	enroll_spinner s = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false};
	pthread_t th;
	bool spinning = !ctx->json && isatty(STDERR_FILENO) &&
	                pthread_create(&th, NULL, enroll_spin, &s) == 0;
	int rc = kinko_p11_generate(ctx, type, label, k);
	if (spinning) {
		pthread_mutex_lock(&s.mu);
		s.done = true;
		pthread_cond_signal(&s.cv);
		pthread_mutex_unlock(&s.mu);
		pthread_join(th, NULL);
	}
	return rc;
}

bool kinko_enroll_cert_cn(X509 *cert, char *out, size_t cap)
{
	X509_NAME *name = X509_get_subject_name(cert);
	int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	unsigned char *utf8 = NULL;
	int n = i >= 0 ? ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(
							    X509_NAME_get_entry(name, i))) :
	                 -1;
	bool ok = n >= 0 && (size_t)n < cap && memchr(utf8, '\0', (size_t)n) == NULL;
	if (ok) {
		memcpy(out, utf8, (size_t)n);
		out[n] = '\0';
	}
	OPENSSL_free(utf8);
	return ok;
}

/* The manual's check: CN = contract ID + the bank's 4-digit code. */
static bool enroll_cn_is_contract(const char *cn, const char *contract_id)
{
	size_t n = strlen(contract_id);
	return strncmp(cn, contract_id, n) == 0 && strlen(cn + n) == 4 &&
	       strspn(cn + n, "0123456789") == 4;
}

int kinko_enroll_verify(kinko_ctx *ctx, X509 *cert, EVP_PKEY *pub, const char *cafile,
                        const char *contract_id, const char *expect_cn, char *cn, size_t cn_cap)
{
	if (EVP_PKEY_eq(X509_get0_pubkey(cert), pub) != 1) {
		kinko_err(ctx, "certificate_key_mismatch", NULL,
		          _("the bank's certificate is not for the key on the token"));
		return KINKO_EXIT_VERIFY;
	}
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *sctx = X509_STORE_CTX_new();
	int ok = store != NULL && sctx != NULL && X509_STORE_load_file(store, cafile) == 1 &&
	         X509_STORE_CTX_init(sctx, store, cert, NULL) == 1 &&
	         X509_STORE_CTX_set_purpose(sctx, X509_PURPOSE_SSL_CLIENT) == 1;
	if (!ok) {
		kinko_err(ctx, "cacert_unreadable", NULL,
		          _("cannot read the bank's CA certificate from %s"), cafile);
	} else if (X509_verify_cert(sctx) != 1) {
		kinko_err(
			ctx, "certificate_not_from_ca",
			X509_verify_cert_error_string(X509_STORE_CTX_get_error(sctx)),
			_("the certificate was not issued by the bank's CA (%s) for client authentication"),
			cafile);
		ok = 0;
	}
	X509_STORE_CTX_free(sctx);
	X509_STORE_free(store);
	if (!ok)
		return KINKO_EXIT_VERIFY;
	if (!kinko_enroll_cert_cn(cert, cn, cn_cap)) {
		kinko_err(ctx, "certificate_cn_wrong", NULL,
		          _("the certificate has no readable common name (CN)"));
		return KINKO_EXIT_VERIFY;
	}
	if (expect_cn != NULL ? strcmp(cn, expect_cn) != 0 :
	                        !enroll_cn_is_contract(cn, contract_id)) {
		if (expect_cn != NULL)
			kinko_err(ctx, "certificate_cn_wrong", NULL,
			          _("the certificate's CN is %s, not %s as before"), cn, expect_cn);
		else
			kinko_err(
				ctx, "certificate_cn_wrong", NULL,
				_("the certificate's CN is %s, not the contract ID %s followed by the 4-digit "
			          "bank code"),
				cn, contract_id);
		return KINKO_EXIT_VERIFY;
	}
	return KINKO_EXIT_OK;
}

/* The key pair with CKA_ID id as the token lists it now, with its certificate. */
static int enroll_find_on_token(kinko_ctx *ctx, const kinko_keyobj *k, X509 *cert,
                                kinko_keyobj *out)
{
	kinko_keyobj *objs;
	size_t n;
	int rc = kinko_p11_list(ctx, &objs, &n);
	if (rc != KINKO_EXIT_OK)
		return rc;
	rc = KINKO_EXIT_TOKEN;
	for (size_t i = 0; i < n; i++) {
		if (objs[i].id_len != k->id_len || memcmp(objs[i].id, k->id, k->id_len) != 0)
			continue;
		*out = objs[i];
		objs[i].x509 = NULL; /* now out's */
		if (out->cert != 0 && out->x509 != NULL && X509_cmp(out->x509, cert) == 0)
			rc = KINKO_EXIT_OK;
		break;
	}
	kinko_keyobj_free(objs, n);
	return rc;
}

#define ENROLL_REINSERT_WAIT_MS 30000
#define ENROLL_POLL_MS 100

/* The CKA_IDs on the token before the generation: after a removal the handles of the new key
 * are gone (or were never returned), and the new objects are the ones with other IDs. */
typedef struct {
	kinko_keyobj *objs;
	size_t n;
} enroll_before;

static bool enroll_was_there(const enroll_before *b, const kinko_keyobj *o)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->objs[i].id_len == o->id_len && memcmp(b->objs[i].id, o->id, o->id_len) == 0)
			return true;
	return false;
}

/* Has the session died with the token (removed, or removed and inserted again)? */
static bool enroll_token_lost(kinko_ctx *ctx)
{
	CK_SESSION_INFO si;
	CK_RV rv = ctx->p11->C_GetSessionInfo(ctx->session, &si);
	return rv == CKR_DEVICE_REMOVED || rv == CKR_SESSION_HANDLE_INVALID ||
	       rv == CKR_SESSION_CLOSED || rv == CKR_TOKEN_NOT_PRESENT;
}

static bool enroll_wait_for_token(kinko_ctx *ctx)
{
	for (int waited = 0; waited <= ENROLL_REINSERT_WAIT_MS; waited += ENROLL_POLL_MS) {
		CK_SLOT_INFO si;
		CK_TOKEN_INFO ti;
		/* Present and answering: a token just put back may not answer at once. */
		if (ctx->p11->C_GetSlotInfo(ctx->slot, &si) == CKR_OK &&
		    (si.flags & CKF_TOKEN_PRESENT) &&
		    ctx->p11->C_GetTokenInfo(ctx->slot, &ti) == CKR_OK)
			return true;
		struct timespec ts = {0, ENROLL_POLL_MS * 1000L * 1000L};
		nanosleep(&ts, NULL);
	}
	return false;
}

/* After a removal: wait for the token, open a new session, log in again, and remove every key
 * pair that was not there before the generation. */
static int enroll_rollback_reinserted(kinko_ctx *ctx, const enroll_before *before)
{
	kinko_err(
		ctx, "token_removed", NULL,
		_("the token was removed: insert it again to remove the unfinished key (waiting %d s)"),
		ENROLL_REINSERT_WAIT_MS / 1000);
	if (!enroll_wait_for_token(ctx))
		return KINKO_EXIT_TOKEN;
	(void)ctx->p11->C_CloseSession(ctx->session);
	ctx->session = 0;
	ctx->logged_in = false;
	kinko_keyobj *objs = NULL;
	size_t n = 0;
	int rc = kinko_p11_login(ctx);
	if (rc == KINKO_EXIT_OK)
		rc = kinko_p11_list(ctx, &objs, &n);
	for (size_t i = 0; rc == KINKO_EXIT_OK && i < n; i++)
		if (!enroll_was_there(before, &objs[i]))
			rc = kinko_p11_destroy(ctx, &objs[i]);
	kinko_keyobj_free(objs, n);
	return rc;
}

/* Undo: the new key pair and its certificate off the token again. k may be empty when the
 * generation itself failed with the token removed. */
static void enroll_rollback(kinko_ctx *ctx, const kinko_keyobj *k, const enroll_before *before)
{
	int rc;
	if (enroll_token_lost(ctx))
		rc = enroll_rollback_reinserted(ctx, before);
	else if (k->priv != 0 || k->pub != 0 || k->cert != 0)
		rc = kinko_p11_destroy(ctx, k);
	else
		return; /* nothing was created */
	if (rc == KINKO_EXIT_OK)
		kinko_progress(ctx, "%s",
		               _("the new key was removed from the token: it is as it was before"));
	else if (k->uri[0] != '\0')
		kinko_err(ctx, "rollback_failed", NULL,
		          _("the new key could not be removed from the token; it is %s"), k->uri);
	else
		kinko_err(ctx, "rollback_failed", NULL,
		          _("the new key could not be removed from the token"));
}

/* The bank round for a key already on the token: the certificate, verified. */
static int enroll_certify(kinko_ctx *ctx, const kinko_enroll_job *job, const kinko_keyobj *k,
                          X509 **cert, char *cn, size_t cn_cap)
{
	X509_REQ *req = NULL;
	EVP_PKEY *pub = kinko_p11_public_key(ctx, k);
	if (pub == NULL)
		return KINKO_EXIT_TOKEN;
	int rc = kinko_csr_build(ctx, k, pub, job->csr_cn, &req);
	if (rc == KINKO_EXIT_OK) {
		kinko_progress(ctx, "%s", _("sending the certificate request to the bank…"));
		rc = kinko_est_enroll(ctx, job->est, req, cert);
	}
	if (rc == KINKO_EXIT_OK) {
		rc = kinko_enroll_verify(ctx, *cert, pub, job->est->cacert, job->contract_id,
		                         job->expect_cn, cn, cn_cap);
		if (rc != KINKO_EXIT_OK) {
			X509_free(*cert);
			*cert = NULL;
		}
	}
	X509_REQ_free(req);
	EVP_PKEY_free(pub);
	return rc;
}

int kinko_enroll_issue(kinko_ctx *ctx, const kinko_enroll_job *job, kinko_keyobj *out, char *cn,
                       size_t cn_cap)
{
	kinko_keyobj k;
	X509 *cert = NULL;
	char label[160];
	enroll_before before = {NULL, 0};
	memset(&k, 0, sizeof k);
	memset(out, 0, sizeof *out);
	/* From here a signal unwinds like any failure, removing the new key; the command then
	 * exits 128 + the signal. Once the bank has issued the certificate it is kept with its
	 * key (a second enrollment would be refused), so an interrupted run never leaves a key
	 * without its certificate. */
	kinko_signal_catch();
	/* A key costs the token seconds: not for a bank that is not there or not the bank (enroll
	 * asked before the secrets too; a second look costs a few milliseconds). */
	int rc = kinko_est_reach(ctx, job->est->bank_url, job->est->cacert);
	if (rc != KINKO_EXIT_OK)
		return rc;
	rc = kinko_p11_list(ctx, &before.objs, &before.n);
	if (rc != KINKO_EXIT_OK)
		return rc;
	rc = kinko_enroll_generate(ctx, job->type, job->key_label, &k);
	if (rc != KINKO_EXIT_OK) {
		enroll_rollback(ctx, &k,
		                &before); /* a key the token made before it was pulled out */
		kinko_keyobj_free(before.objs, before.n);
		return rc;
	}
	rc = kinko_signal_caught() ? kinko_signal_report(ctx) :
	                             enroll_certify(ctx, job, &k, &cert, cn, cn_cap);
	if (rc == KINKO_EXIT_OK) {
		snprintf(label, sizeof label, "kinko %s", cn);
		rc = kinko_p11_write_cert(ctx, &k, cert, label);
	}
	if (rc == KINKO_EXIT_OK) {
		/* Read back: the certificate must be found next to its key, same CKA_ID. */
		rc = enroll_find_on_token(ctx, &k, cert, out);
		if (rc != KINKO_EXIT_OK && rc != KINKO_EXIT_FAIL)
			kinko_err(
				ctx, "certificate_not_stored", NULL,
				_("the certificate written to the token is not found next to its key"));
		if (out->cert != 0)
			k.cert = out->cert; /* so the rollback removes it too */
	}
	if (rc != KINKO_EXIT_OK) {
		enroll_rollback(ctx, &k, &before);
		X509_free(out->x509);
		memset(out, 0, sizeof *out);
	}
	kinko_keyobj_free(before.objs, before.n);
	X509_free(cert);
	return rc;
}
