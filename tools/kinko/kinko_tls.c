/* Mutual TLS for libcurl with the token key, through libp11's library API. This is the only
 * file that turns a token key into an OpenSSL key: an OpenSSL pkcs11 provider can replace it.
 *
 * libp11 loads the same module that kinko_p11.c loaded with p11-kit, so both share one module
 * instance: libp11's C_Initialize gets CKR_CRYPTOKI_ALREADY_INITIALIZED (libp11 accepts it),
 * the login is shared, and libp11's teardown calls C_Finalize and C_CloseAllSessions, which
 * would end kinko_p11's sessions too. So the libp11 context is loaded once per process and torn
 * down only at exit, after everything else. */
#include "kinko_tls.h"
#include "kinko_signal.h"
#include "i18n.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libp11.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

struct kinko_tls {
	X509 *cert;
	EVP_PKEY *pkey;
	int rsa_pkcs1_only; /* the module has no raw RSA: no RSA-PSS, so TLS 1.2 with PKCS#1 v1.5 */
};

/* The process's one libp11 context (see above). */
static struct {
	PKCS11_CTX *ctx;
	PKCS11_SLOT *slots;
	unsigned int nslots;
	char module[4096];
	int atexit_done;
} p11;

static void tls_p11_teardown(void)
{
	if (p11.ctx == NULL)
		return;
	if (p11.slots != NULL)
		PKCS11_release_all_slots(p11.ctx, p11.slots, p11.nslots);
	PKCS11_CTX_unload(p11.ctx);
	PKCS11_CTX_free(p11.ctx);
	p11.ctx = NULL;
	p11.slots = NULL;
	p11.nslots = 0;
}

static int tls_p11_load(kinko_ctx *ctx)
{
	if (p11.ctx != NULL && ctx->module != NULL && strcmp(p11.module, ctx->module) == 0)
		return 0;
	if (p11.ctx != NULL) {
		kinko_err(ctx, "internal", NULL,
		          _("internal error: a second PKCS#11 module for TLS"));
		return -1;
	}
	if (ctx->module == NULL || strlen(ctx->module) >= sizeof p11.module) {
		kinko_err(ctx, "module_unusable", NULL, _("no PKCS#11 module for TLS"));
		return -1;
	}
	p11.ctx = PKCS11_CTX_new();
	if (p11.ctx == NULL)
		return -1;
	if (PKCS11_CTX_load(p11.ctx, ctx->module) != 0) {
		PKCS11_CTX_free(p11.ctx);
		p11.ctx = NULL;
		kinko_err(ctx, "module_unusable", ctx->module,
		          _("cannot load the PKCS#11 module for TLS"));
		return -1;
	}
	snprintf(p11.module, sizeof p11.module, "%s", ctx->module);
	if (!p11.atexit_done && atexit(tls_p11_teardown) == 0)
		p11.atexit_done = 1;
	return 0;
}

/* ctx's token in libp11's slot list. The list is kept to the end (releasing it would free the
 * keys of open kinko_tls objects); libp11 looks for keys afresh at every enumeration, so keys
 * generated since (renewal) are found. */
static PKCS11_SLOT *tls_slot(kinko_ctx *ctx)
{
	if (p11.slots == NULL && PKCS11_enumerate_slots(p11.ctx, &p11.slots, &p11.nslots) != 0) {
		p11.slots = NULL;
		p11.nslots = 0;
		return NULL;
	}
	for (unsigned int i = 0; i < p11.nslots; i++)
		if (p11.slots[i].token != NULL &&
		    PKCS11_get_slotid_from_slot(&p11.slots[i]) == (unsigned long)ctx->slot)
			return &p11.slots[i];
	return NULL;
}

static EVP_PKEY *tls_find_key(PKCS11_TOKEN *tok, const kinko_keyobj *k)
{
	PKCS11_KEY *keys = NULL;
	unsigned int n = 0;
	if (PKCS11_enumerate_keys(tok, &keys, &n) != 0)
		return NULL;
	for (unsigned int i = 0; i < n; i++)
		if (keys[i].isPrivate && keys[i].id_len == k->id_len &&
		    (k->id_len == 0 || memcmp(keys[i].id, k->id, k->id_len) == 0))
			return PKCS11_get_private_key(&keys[i]);
	return NULL;
}

int kinko_tls_open(kinko_ctx *ctx, const kinko_keyobj *k, kinko_tls **out)
{
	*out = NULL;
	if (k->x509 == NULL) {
		kinko_err(ctx, "no_certificate", NULL,
		          _("this key has no certificate to log on with"));
		return KINKO_EXIT_FAIL;
	}
	const char *pin = kinko_p11_pin(ctx);
	if (pin == NULL) {
		kinko_err(ctx, "internal", NULL, _("internal error: no token login before TLS"));
		return KINKO_EXIT_FAIL;
	}
	if (tls_p11_load(ctx) != 0)
		return KINKO_EXIT_TOKEN;
	PKCS11_SLOT *slot = tls_slot(ctx);
	if (slot == NULL) {
		kinko_err(ctx, "token_absent", NULL, _("the token is no longer there"));
		return KINKO_EXIT_TOKEN;
	}
	/* The login is shared with kinko_p11's (one module instance); log in only if libp11 does
	 * not see it yet. */
	int in = 0;
	if ((PKCS11_is_logged_in(slot, 0, &in) != 0 || !in) && PKCS11_login(slot, 0, pin) != 0) {
		unsigned long e = ERR_peek_last_error();
		kinko_err(ctx, "pin_incorrect", e != 0 ? ERR_reason_error_string(e) : NULL,
		          _("the token refused the PIN for the TLS key"));
		ERR_clear_error();
		return KINKO_EXIT_TOKEN;
	}
	kinko_tls *t = calloc(1, sizeof *t);
	if (t == NULL)
		return KINKO_EXIT_FAIL;
	t->pkey = tls_find_key(slot->token, k);
	if (t->pkey == NULL) {
		free(t);
		kinko_err(ctx, "key_not_found", NULL,
		          _("the token key of this certificate was not found"));
		ERR_clear_error();
		return KINKO_EXIT_TOKEN;
	}
	if (X509_up_ref(k->x509) != 1) {
		kinko_tls_free(t);
		return KINKO_EXIT_FAIL;
	}
	t->cert = k->x509;
	/* libp11's RSA key makes RSA-PSS signatures (which TLS 1.3 requires) by padding itself and
	 * asking the token for a raw RSA operation. Modules without CKM_RSA_X_509 (kinko's: PIV
	 * tokens pad on the host only for PKCS#1 v1.5 and PSS mechanisms) then get TLS 1.2 with
	 * PKCS#1 v1.5 signatures, which the bank accepts. */
	CK_MECHANISM_INFO mi;
	if (EVP_PKEY_get_base_id(t->pkey) == EVP_PKEY_RSA &&
	    (ctx->p11 == NULL ||
	     ctx->p11->C_GetMechanismInfo(ctx->slot, CKM_RSA_X_509, &mi) != CKR_OK))
		t->rsa_pkcs1_only = 1;
	/* A key that does not match its certificate would only fail inside the handshake. */
	if (X509_check_private_key(t->cert, t->pkey) != 1) {
		kinko_tls_free(t);
		ERR_clear_error();
		kinko_err(ctx, "certificate_key_mismatch", NULL,
		          _("the certificate does not belong to this token key"));
		return KINKO_EXIT_VERIFY;
	}
	*out = t;
	return KINKO_EXIT_OK;
}

static CURLcode tls_ssl_ctx_cb(CURL *curl, void *sslctx, void *arg)
{
	(void)curl;
	kinko_tls *t = arg;
	SSL_CTX *s = sslctx;
	if (SSL_CTX_use_certificate(s, t->cert) != 1 || SSL_CTX_use_PrivateKey(s, t->pkey) != 1 ||
	    SSL_CTX_check_private_key(s) != 1)
		return CURLE_SSL_CERTPROBLEM;
	if (t->rsa_pkcs1_only &&
	    (SSL_CTX_set_max_proto_version(s, TLS1_2_VERSION) != 1 ||
	     SSL_CTX_set1_client_sigalgs_list(s, "RSA+SHA256:RSA+SHA384:RSA+SHA512") != 1))
		return CURLE_SSL_CERTPROBLEM;
	return CURLE_OK;
}

int kinko_tls_setup(const kinko_ctx *ctx, kinko_tls *t, CURL *curl, const char *cacert)
{
	CURLcode rc = CURLE_OK;
#define SET(opt, val)                                          \
	do {                                                   \
		if (rc == CURLE_OK)                            \
			rc = curl_easy_setopt(curl, opt, val); \
	} while (0)
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_PROTOCOLS_STR, "https");
	if (cacert != NULL)
		SET(CURLOPT_CAINFO, cacert);
	if (t != NULL) {
		SET(CURLOPT_SSL_CTX_FUNCTION, tls_ssl_ctx_cb);
		SET(CURLOPT_SSL_CTX_DATA, t);
		/* Each transfer must present the token key again: no TLS session resumption. */
		SET(CURLOPT_SSL_SESSIONID_CACHE, 0L);
	}
#undef SET
	/* Every transfer with the bank ends early on SIGINT/SIGTERM/SIGHUP once enroll or renew
	 * catches them (kinko_signal.c): the caller then cleans up as after any failure. */
	if (rc == CURLE_OK)
		kinko_signal_curl(curl);
	if (rc != CURLE_OK) {
		kinko_err(ctx, "internal", curl_easy_strerror(rc), _("cannot set up TLS"));
		return KINKO_EXIT_FAIL;
	}
	return KINKO_EXIT_OK;
}

/* Is there a PKCS#11 error (libp11's library) among OpenSSL's queued errors or in curl's text? */
static bool tls_pkcs11_error(const char *errbuf)
{
	bool found = errbuf != NULL &&
	             (strstr(errbuf, "PKCS11") != NULL || strstr(errbuf, "pkcs11") != NULL ||
	              strstr(errbuf, "CKR_") != NULL);
	const char *file, *func, *data;
	int line, flags;
	unsigned long e;
	while ((e = ERR_get_error_all(&file, &line, &func, &data, &flags)) != 0) {
		const char *lib = ERR_lib_error_string(e);
		if ((lib != NULL && strcasestr(lib, "pkcs11") != NULL) ||
		    (file != NULL && strstr(file, "p11_") != NULL))
			found = true;
	}
	return found;
}

int kinko_tls_token_failure(kinko_ctx *ctx, const char *errbuf)
{
	bool p11err = tls_pkcs11_error(errbuf);
	if (ctx->p11 == NULL)
		return KINKO_EXIT_OK;
	CK_SLOT_INFO si;
	CK_SESSION_INFO ss;
	CK_RV rv = ctx->p11->C_GetSlotInfo(ctx->slot, &si);
	CK_RV srv = ctx->session != 0 ? ctx->p11->C_GetSessionInfo(ctx->session, &ss) : CKR_OK;
	bool gone = rv != CKR_OK || !(si.flags & CKF_TOKEN_PRESENT) || srv == CKR_DEVICE_REMOVED ||
	            srv == CKR_SESSION_HANDLE_INVALID || srv == CKR_SESSION_CLOSED ||
	            srv == CKR_TOKEN_NOT_PRESENT;
	if (gone) {
		kinko_err(
			ctx, "token_removed", srv != CKR_OK ? kinko_ckr_name(srv) : errbuf,
			_("the token was removed while kinko was talking to the bank: put it back and run "
		          "the command again"));
		return KINKO_EXIT_TOKEN;
	}
	if (p11err) {
		kinko_err(ctx, "token_sign_failed", errbuf,
		          _("the token could not sign for the TLS connection to the bank"));
		return KINKO_EXIT_TOKEN;
	}
	return KINKO_EXIT_OK;
}

void kinko_tls_free(kinko_tls *t)
{
	if (t == NULL)
		return;
	EVP_PKEY_free(t->pkey);
	X509_free(t->cert);
	free(t);
}
