/* kinko renew (S6, the manuals' "migration"): a new key on the token, EST simplereenroll over
 * mutual TLS with the current certificate, the new certificate written, a logon with it, the
 * old key and certificate removed, and only then the new pair moved into the old one's CKA_ID
 * (on kinko's token: the logon slot 9A, where Windows' and macOS's PIV support look). */
#include "i18n.h"
#include "kinko_ask.h"
#include "kinko_enroll.h"
#include "kinko_signal.h"
#include "kinko_bank.h"
#include "kinko_tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/uri.h>

/* Does uri name k's certificate or k's key? The one matcher of kinko (kinko_p11_keys.c),
 * shared with logon's --cert. */
static bool renew_uri_matches(const char *uri, const kinko_keyobj *k)
{
	return kinko_p11_uri_matches(k, uri) == 1;
}

/* The certificate to renew: the one --cert names, else the only one with its key on the token. */
static int renew_pick(kinko_ctx *ctx, const char *cert_uri, kinko_keyobj *objs, size_t n,
                      kinko_keyobj **cur)
{
	P11KitUri *uri = NULL;
	size_t found = 0;
	*cur = NULL;
	if (cert_uri != NULL) {
		uri = p11_kit_uri_new();
		if (uri == NULL || p11_kit_uri_parse(cert_uri, P11_KIT_URI_FOR_OBJECT_ON_TOKEN,
		                                     uri) != P11_KIT_URI_OK) {
			p11_kit_uri_free(uri);
			kinko_err(ctx, "usage", NULL, _("%s is not a pkcs11: URI"), cert_uri);
			return KINKO_EXIT_USAGE;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (objs[i].x509 == NULL || objs[i].cert == 0 || objs[i].priv == 0)
			continue;
		if (uri != NULL && !renew_uri_matches(cert_uri, &objs[i]))
			continue;
		if (found++ == 0)
			*cur = &objs[i];
	}
	p11_kit_uri_free(uri);
	if (found == 1)
		return KINKO_EXIT_OK;
	if (found == 0) {
		if (cert_uri != NULL)
			kinko_err(ctx, "certificate_not_found", NULL,
			          _("no certificate with its key on the token matches %s"),
			          cert_uri);
		else
			kinko_err(ctx, "no_certificate", NULL,
			          _("no certificate with its key on the token: enroll first"));
		return KINKO_EXIT_TOKEN;
	}
	kinko_err(ctx, "certificate_choice_needed", NULL,
	          P_("%zu certificate on the token: choose one with --cert (see kinko certs)",
	             "%zu certificates on the token: choose one with --cert (see kinko certs)",
	             found),
	          found);
	for (size_t i = 0; i < n; i++)
		if (objs[i].x509 != NULL && objs[i].cert != 0 && objs[i].priv != 0)
			fprintf(stderr, "  %s\n", objs[i].uri);
	*cur = NULL;
	return KINKO_EXIT_USAGE;
}

/* Give object h the CKA_ID id unless it already has it, or went with its private key (kinko's
 * module moves the public key and the certificate with it: their old handles are gone). */
static CK_RV renew_set_id(kinko_ctx *ctx, CK_OBJECT_HANDLE h, const CK_BYTE *id, size_t id_len)
{
	CK_BYTE cur[sizeof(((kinko_keyobj *)0)->id)];
	CK_ATTRIBUTE get = {CKA_ID, cur, sizeof(cur)};
	CK_ATTRIBUTE set = {CKA_ID, (void *)id, id_len};
	CK_RV rv;

	if (h == 0)
		return CKR_OK;
	rv = ctx->p11->C_GetAttributeValue(ctx->session, h, &get, 1);
	if (rv == CKR_OBJECT_HANDLE_INVALID)
		return CKR_OK;
	if (rv == CKR_OK && get.ulValueLen == id_len && memcmp(cur, id, id_len) == 0)
		return CKR_OK;
	return ctx->p11->C_SetAttributeValue(ctx->session, h, &set, 1);
}

/* k's handles and URI after its CKA_ID changed: listed again, found by the new id. */
static void renew_refresh(kinko_ctx *ctx, kinko_keyobj *k)
{
	kinko_keyobj *objs = NULL;
	size_t n = 0;

	if (kinko_p11_list(ctx, &objs, &n) != KINKO_EXIT_OK)
		return;
	for (size_t i = 0; i < n; i++) {
		if (objs[i].id_len != k->id_len || memcmp(objs[i].id, k->id, k->id_len) != 0)
			continue;
		k->priv = objs[i].priv;
		k->pub = objs[i].pub;
		k->cert = objs[i].cert;
		memcpy(k->label, objs[i].label, sizeof(k->label));
		memcpy(k->uri, objs[i].uri, sizeof(k->uri));
	}
	kinko_keyobj_free(objs, n);
}

/* The new pair takes the removed one's CKA_ID: on kinko's module setting it on the private
 * key moves key and certificate (MOVE KEY); elsewhere it relabels each object. A failure is
 * said, and the new pair, which works, stays where it is. */
static void renew_take_id(kinko_ctx *ctx, kinko_keyobj *k, const kinko_keyobj *old)
{
	CK_ATTRIBUTE set = {CKA_ID, (void *)old->id, old->id_len};
	CK_RV rv;

	if (k->id_len == old->id_len && memcmp(k->id, old->id, old->id_len) == 0)
		return;
	rv = ctx->p11->C_SetAttributeValue(ctx->session, k->priv, &set, 1);
	if (rv == CKR_OK) {
		rv = renew_set_id(ctx, k->pub, old->id, old->id_len);
		if (rv == CKR_OK)
			rv = renew_set_id(ctx, k->cert, old->id, old->id_len);
		if (rv != CKR_OK) {
			/* Never a key apart from its certificate: the private key goes back. */
			CK_ATTRIBUTE back = {CKA_ID, k->id, k->id_len};

			(void)ctx->p11->C_SetAttributeValue(ctx->session, k->priv, &back, 1);
		}
	}
	if (rv != CKR_OK) {
		kinko_err(
			ctx, "renew_not_moved", kinko_ckr_name(rv),
			_("the new certificate works but could not take the old one's place on the token; it "
		          "stays as %s"),
			k->uri);
		return;
	}
	memcpy(k->id, old->id, old->id_len);
	k->id_len = old->id_len;
	renew_refresh(ctx, k);
	kinko_progress(ctx, "%s",
	               _("the new key and certificate took the old one's place on the token"));
}

/* From the bank's issuance to the removal of the old key. */
static int renew_with(kinko_ctx *ctx, const kinko_enroll_opts *o, kinko_keyobj *old)
{
	char old_cn[128], cn[128], contract_id[128];
	kinko_tls *tls = NULL;
	kinko_keyobj k;
	if (!kinko_enroll_cert_cn(old->x509, old_cn, sizeof old_cn) || strlen(old_cn) <= 4) {
		kinko_err(ctx, "certificate_cn_wrong", NULL,
		          _("the current certificate has no contract ID + bank code as its CN"));
		return KINKO_EXIT_VERIFY;
	}
	snprintf(contract_id, sizeof contract_id, "%.*s", (int)(strlen(old_cn) - 4), old_cn);
	int rc = kinko_tls_open(ctx, old, &tls);
	if (rc != KINKO_EXIT_OK)
		return rc;
	kinko_est_req est = {o->bank, o->cacert, o->max_wait, NULL, NULL, NULL, tls};
	kinko_enroll_job job = {o->key    ? o->key :
	                        old->type ? old->type :
	                                    KINKO_KEY_P256,
	                        old->label,
	                        old_cn,
	                        &est,
	                        contract_id,
	                        old_cn};
	rc = kinko_enroll_issue(ctx, &job, &k, cn, sizeof cn);
	kinko_tls_free(tls);
	if (rc != KINKO_EXIT_OK)
		return rc;
	kinko_progress(ctx, "%s", _("logging on with the new certificate…"));
	rc = kinko_bank_logon_check(ctx, o->bank, o->cacert, &k);
	if (rc != KINKO_EXIT_OK) {
		/* The bank has already marked the old certificate renewed: it would refuse to renew it
		 * again, so removing the new one would leave no way forward. Both stay. */
		kinko_err(
			ctx, "renew_logon_failed", NULL,
			_("the new certificate is on the token but logging on with it failed; the old one is "
		          "kept. Log on with the new one (kinko logon --cert '%s'), then the bank retires the "
		          "old one"),
			k.uri);
	} else if (kinko_p11_destroy(ctx, old) != KINKO_EXIT_OK) {
		kinko_err(
			ctx, "old_key_not_removed", NULL,
			_("the renewal worked but the old key could not be removed from the token (%s)"),
			old->uri);
		rc = KINKO_EXIT_TOKEN;
	} else {
		kinko_progress(ctx, "%s",
		               _("the old key and certificate were removed from the token"));
		renew_take_id(ctx, &k, old);
		kinko_enroll_summary(ctx, "renew", &k, cn, contract_id);
	}
	X509_free(k.x509);
	return rc;
}

int kinko_cmd_renew(kinko_ctx *ctx, int argc, char **argv)
{
	kinko_enroll_opts o;
	kinko_keyobj *objs = NULL, *cur;
	size_t n = 0;
	bool help;
	int rc = kinko_enroll_parse(ctx, argc, argv, true, &o, &help);
	if (rc != KINKO_EXIT_OK || help)
		return rc;
	rc = kinko_enroll_find_ca(ctx, &o);
	if (rc == KINKO_EXIT_OK)
		rc = kinko_ask_token(ctx); /* several tokens: chosen before any secret */
	if (rc == KINKO_EXIT_OK)
		rc = kinko_p11_login(ctx); /* opens the token first */
	if (rc == KINKO_EXIT_OK)
		rc = kinko_p11_list(ctx, &objs, &n);
	if (rc == KINKO_EXIT_OK)
		rc = renew_pick(ctx, o.cert_uri, objs, n, &cur);
	if (rc == KINKO_EXIT_OK)
		rc = renew_with(ctx, &o, cur);
	kinko_keyobj_free(objs, n);
	kinko_p11_close(ctx);
	return kinko_signal_exit_code(rc);
}
