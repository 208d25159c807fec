/* kinko's PKCS#11 objects: key pairs and their certificates grouped by CKA_ID, on-token key
 * generation, public keys as EVP_PKEY, signatures, certificate write and removal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <p11-kit/uri.h>

#include "i18n.h"
#include "kinko_p11.h"

#define KEYS_MAX 256 /* objects of one class considered on a token */

/* DER OID of prime256v1 (1.2.840.10045.3.1.7), CKA_EC_PARAMS of P-256. */
static const CK_BYTE p256_oid[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};

/* An attribute's value, malloc'd; NULL when absent (or empty). Declared in kinko_p11.h. */
CK_BYTE *kinko_p11_attr(kinko_ctx *ctx, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type, size_t *len)
{
	CK_ATTRIBUTE a = {type, NULL, 0};
	CK_BYTE *v;

	*len = 0;
	if (ctx->p11->C_GetAttributeValue(ctx->session, h, &a, 1) != CKR_OK ||
	    a.ulValueLen == CK_UNAVAILABLE_INFORMATION || a.ulValueLen == 0)
		return NULL;
	v = malloc(a.ulValueLen);
	if (!v)
		return NULL;
	a.pValue = v;
	if (ctx->p11->C_GetAttributeValue(ctx->session, h, &a, 1) != CKR_OK) {
		free(v);
		return NULL;
	}
	*len = a.ulValueLen;
	return v;
}

static size_t keys_find(kinko_ctx *ctx, CK_OBJECT_CLASS cls, CK_OBJECT_HANDLE *out, size_t cap)
{
	CK_ATTRIBUTE q = {CKA_CLASS, &cls, sizeof(cls)};
	CK_ULONG got = 0;
	size_t n = 0;

	if (ctx->p11->C_FindObjectsInit(ctx->session, &q, 1) != CKR_OK)
		return 0;
	while (n < cap && ctx->p11->C_FindObjects(ctx->session, out + n, cap - n, &got) == CKR_OK &&
	       got > 0)
		n += got;
	ctx->p11->C_FindObjectsFinal(ctx->session);
	return n;
}

/* The entry of objs with this CKA_ID, appended when new. NULL when the id is unusable. */
static kinko_keyobj *keys_slot_for(kinko_keyobj *objs, size_t *n, const CK_BYTE *id, size_t id_len)
{
	size_t i;

	if (id_len > sizeof(objs[0].id))
		return NULL;
	for (i = 0; i < *n; i++)
		if (objs[i].id_len == id_len && memcmp(objs[i].id, id, id_len) == 0)
			return &objs[i];
	if (*n >= KEYS_MAX)
		return NULL;
	memset(&objs[*n], 0, sizeof(objs[*n]));
	memcpy(objs[*n].id, id, id_len);
	objs[*n].id_len = id_len;
	return &objs[(*n)++];
}

static void keys_fill_label(kinko_ctx *ctx, kinko_keyobj *k, CK_OBJECT_HANDLE h)
{
	size_t len = 0;
	CK_BYTE *v;

	if (k->label[0])
		return;
	v = kinko_p11_attr(ctx, h, CKA_LABEL, &len);
	if (v && len < sizeof(k->label)) {
		memcpy(k->label, v, len);
		k->label[len] = '\0';
		kinko_p11_clean_text(k->label);
	}
	free(v);
}

static void keys_fill_type(kinko_ctx *ctx, kinko_keyobj *k, CK_OBJECT_HANDLE h)
{
	CK_KEY_TYPE kt = 0;
	CK_ATTRIBUTE a = {CKA_KEY_TYPE, &kt, sizeof(kt)};

	if (k->type || ctx->p11->C_GetAttributeValue(ctx->session, h, &a, 1) != CKR_OK)
		return;
	if (kt == CKK_RSA)
		k->type = KINKO_KEY_RSA2048;
	else if (kt == CKK_EC)
		k->type = KINKO_KEY_P256;
}

/* An authority's certificate (CKA_CERTIFICATE_CATEGORY 2: the token's attestation F9 certificate,
 * a CA another tool stored) is never the user's own: no key pair of the user is made of it. */
static bool keys_is_authority(kinko_ctx *ctx, CK_OBJECT_HANDLE h)
{
	CK_ULONG cat = 0;
	CK_ATTRIBUTE a = {CKA_CERTIFICATE_CATEGORY, &cat, sizeof(cat)};

	return ctx->p11->C_GetAttributeValue(ctx->session, h, &a, 1) == CKR_OK &&
	       a.ulValueLen == sizeof(cat) && cat == 2;
}

static void keys_add_class(kinko_ctx *ctx, CK_OBJECT_CLASS cls, kinko_keyobj *objs, size_t *n)
{
	CK_OBJECT_HANDLE h[KEYS_MAX];
	size_t found = keys_find(ctx, cls, h, KEYS_MAX), i, len;

	for (i = 0; i < found; i++) {
		if (cls == CKO_CERTIFICATE && keys_is_authority(ctx, h[i]))
			continue;
		CK_BYTE *id = kinko_p11_attr(ctx, h[i], CKA_ID, &len);
		kinko_keyobj *k = id ? keys_slot_for(objs, n, id, len) : NULL;

		free(id);
		if (!k)
			continue;
		if (cls == CKO_PRIVATE_KEY) {
			k->priv = h[i];
			keys_fill_type(ctx, k, h[i]);
		} else if (cls == CKO_PUBLIC_KEY) {
			k->pub = h[i];
			keys_fill_type(ctx, k, h[i]);
		} else if (!k->cert) {
			CK_BYTE *der = kinko_p11_attr(ctx, h[i], CKA_VALUE, &len);
			const unsigned char *p = der;

			k->cert = h[i];
			if (der)
				k->x509 = d2i_X509(NULL, &p, (long)len);
			free(der);
		}
		keys_fill_label(ctx, k, h[i]);
	}
}

/* Do the certificate and the private key (those present) carry the label k->label? */
static bool keys_one_label(kinko_ctx *ctx, const kinko_keyobj *k)
{
	CK_OBJECT_HANDLE hs[2] = {k->cert, k->priv};
	size_t i, len;
	bool same = true;

	for (i = 0; i < 2 && same; i++) {
		CK_BYTE *v = hs[i] ? kinko_p11_attr(ctx, hs[i], CKA_LABEL, &len) : NULL;

		if (hs[i])
			same = v && len == strlen(k->label) && memcmp(v, k->label, len) == 0;
		free(v);
	}
	return same;
}

/* The URI names the certificate (type=cert) with its id and, when the certificate and its
 * key share it (kinko's module, kinko's objects on SoftHSM2), its label: p11tool and libp11
 * then find the key with the same URI, since they look for a private key by id and label. */
void kinko_p11_object_uri(kinko_ctx *ctx, kinko_keyobj *k)
{
	CK_OBJECT_CLASS cls = k->cert ? CKO_CERTIFICATE : CKO_PRIVATE_KEY;
	CK_ATTRIBUTE a_cls = {CKA_CLASS, &cls, sizeof(cls)};
	CK_ATTRIBUTE a_id = {CKA_ID, k->id, k->id_len};
	CK_ATTRIBUTE a_label = {CKA_LABEL, k->label, strlen(k->label)};
	P11KitUri *uri = p11_kit_uri_new();
	char *s = NULL;

	k->uri[0] = '\0';
	if (!uri)
		return;
	if (ctx->p11->C_GetTokenInfo(ctx->slot, p11_kit_uri_get_token_info(uri)) == CKR_OK &&
	    p11_kit_uri_set_attribute(uri, &a_cls) == P11_KIT_URI_OK &&
	    p11_kit_uri_set_attribute(uri, &a_id) == P11_KIT_URI_OK &&
	    /* A label kinko_p11_clean_text changed ('?') would not match, nor one the key and
	     * the certificate do not share: id and type suffice then. */
	    (!k->label[0] || strchr(k->label, '?') || !keys_one_label(ctx, k) ||
	     p11_kit_uri_set_attribute(uri, &a_label) == P11_KIT_URI_OK) &&
	    p11_kit_uri_format(uri, P11_KIT_URI_FOR_OBJECT_ON_TOKEN, &s) == P11_KIT_URI_OK &&
	    strlen(s) < sizeof(k->uri))
		strcpy(k->uri, s);
	free(s);
	p11_kit_uri_free(uri);
}

int kinko_p11_uri_matches(const kinko_keyobj *k, const char *u)
{
	static const CK_OBJECT_CLASS classes[] = {CKO_CERTIFICATE, CKO_PRIVATE_KEY, CKO_PUBLIC_KEY};
	P11KitUri *uri = p11_kit_uri_new(), *own = p11_kit_uri_new();
	int r = -1;
	size_t i;

	if (!uri || !own)
		goto out;
	if (p11_kit_uri_parse(u, P11_KIT_URI_FOR_OBJECT_ON_TOKEN, uri) != P11_KIT_URI_OK)
		goto out;
	r = 0;
	/* A URI naming no object (only a token, or only a type) would pick any of them. */
	if (!p11_kit_uri_get_attribute(uri, CKA_ID) && !p11_kit_uri_get_attribute(uri, CKA_LABEL))
		goto out;
	/* token=, manufacturer=, model=, serial= (p11tool writes them all) must be those of k's
	 * token, which k's own URI (kinko_p11_object_uri) carries. */
	if (p11_kit_uri_parse(k->uri, P11_KIT_URI_FOR_OBJECT_ON_TOKEN, own) != P11_KIT_URI_OK ||
	    p11_kit_uri_match_token_info(uri, p11_kit_uri_get_token_info(own)) != 1)
		goto out;
	for (i = 0; i < sizeof(classes) / sizeof(classes[0]) && r == 0; i++) {
		CK_OBJECT_CLASS cls = classes[i];
		CK_ATTRIBUTE attrs[] = {
			{CKA_CLASS, &cls, sizeof(cls)},
			{CKA_ID, (void *)k->id, k->id_len},
			{CKA_LABEL, (void *)k->label, strlen(k->label)},
		};

		r = p11_kit_uri_match_attributes(uri, attrs, 3) == 1;
	}
out:
	p11_kit_uri_free(uri);
	p11_kit_uri_free(own);
	return r;
}

int kinko_p11_list(kinko_ctx *ctx, kinko_keyobj **objs, size_t *n)
{
	kinko_keyobj *all;
	size_t i;
	int r = kinko_p11_open(ctx);

	*objs = NULL;
	*n = 0;
	if (r != KINKO_EXIT_OK)
		return r;
	all = calloc(KEYS_MAX, sizeof(*all));
	if (!all)
		return KINKO_EXIT_FAIL;
	keys_add_class(ctx, CKO_PRIVATE_KEY, all, n);
	keys_add_class(ctx, CKO_PUBLIC_KEY, all, n);
	keys_add_class(ctx, CKO_CERTIFICATE, all, n);
	for (i = 0; i < *n; i++) {
		/* The key's type from its certificate when the key objects are hidden. */
		if (!all[i].type && all[i].x509) {
			int id = EVP_PKEY_get_base_id(X509_get0_pubkey(all[i].x509));

			all[i].type = id == EVP_PKEY_RSA ? KINKO_KEY_RSA2048 :
			              id == EVP_PKEY_EC  ? KINKO_KEY_P256 :
			                                   0;
		}
		kinko_p11_object_uri(ctx, &all[i]);
	}
	*objs = all;
	return KINKO_EXIT_OK;
}

void kinko_keyobj_free(kinko_keyobj *objs, size_t n)
{
	size_t i;

	if (!objs)
		return;
	for (i = 0; i < n; i++)
		X509_free(objs[i].x509);
	free(objs);
}

int kinko_p11_generate(kinko_ctx *ctx, kinko_key_type type, const char *label, kinko_keyobj *out)
{
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ULONG bits = 2048;
	CK_BYTE f4[] = {0x01, 0x00, 0x01};
	CK_BYTE id[8];
	CK_MECHANISM mech = {type == KINKO_KEY_RSA2048 ? CKM_RSA_PKCS_KEY_PAIR_GEN :
	                                                 CKM_EC_KEY_PAIR_GEN,
	                     NULL, 0};
	CK_ATTRIBUTE pub[8] = {
		{CKA_TOKEN, &yes, sizeof(yes)},
		{CKA_PRIVATE, &no, sizeof(no)},
		{CKA_VERIFY, &yes, sizeof(yes)},
		{CKA_LABEL, (void *)label, strlen(label)},
	};
	CK_ATTRIBUTE priv[8] = {
		{CKA_TOKEN, &yes, sizeof(yes)},     {CKA_PRIVATE, &yes, sizeof(yes)},
		{CKA_SENSITIVE, &yes, sizeof(yes)}, {CKA_EXTRACTABLE, &no, sizeof(no)},
		{CKA_SIGN, &yes, sizeof(yes)},      {CKA_LABEL, (void *)label, strlen(label)},
	};
	CK_ULONG n_pub = 4, n_priv = 6;
	CK_BYTE *got;
	size_t len = 0;
	CK_RV rv;
	int r;

	memset(out, 0, sizeof(*out));
	r = kinko_p11_login(ctx);
	if (r != KINKO_EXIT_OK)
		return r;
	if (type == KINKO_KEY_RSA2048) {
		pub[n_pub++] = (CK_ATTRIBUTE){CKA_MODULUS_BITS, &bits, sizeof(bits)};
		pub[n_pub++] = (CK_ATTRIBUTE){CKA_PUBLIC_EXPONENT, f4, sizeof(f4)};
	} else {
		pub[n_pub++] = (CK_ATTRIBUTE){CKA_EC_PARAMS, (void *)p256_oid, sizeof(p256_oid)};
	}
	/* kinko's module picks the PIV slot itself when no CKA_ID is given (kinko-pkcs11.h);
	 * others need an id. */
	if (!ctx->kinko_module) {
		if (RAND_bytes(id, sizeof(id)) != 1) {
			kinko_err(ctx, "random_failed", NULL,
			          _("no random numbers for the key's id"));
			return KINKO_EXIT_FAIL;
		}
		pub[n_pub++] = (CK_ATTRIBUTE){CKA_ID, id, sizeof(id)};
		priv[n_priv++] = (CK_ATTRIBUTE){CKA_ID, id, sizeof(id)};
	}
	rv = ctx->p11->C_GenerateKeyPair(ctx->session, &mech, pub, n_pub, priv, n_priv, &out->pub,
	                                 &out->priv);
	if (rv != CKR_OK) {
		out->pub = out->priv = 0;
		return kinko_p11_fail(ctx, rv, _("the token could not generate the key"));
	}
	out->type = type;
	snprintf(out->label, sizeof(out->label), "%s", label);
	got = kinko_p11_attr(ctx, out->priv, CKA_ID, &len);
	if (!got || len == 0 || len > sizeof(out->id)) {
		free(got);
		kinko_err(ctx, "key_id_unusable", NULL, _("the new key has no usable CKA_ID"));
		kinko_p11_destroy(ctx, out);
		memset(out, 0, sizeof(*out));
		return KINKO_EXIT_TOKEN;
	}
	memcpy(out->id, got, len);
	out->id_len = len;
	free(got);
	kinko_p11_object_uri(ctx, out);
	return KINKO_EXIT_OK;
}

/* Destroy one object; an object already gone (or a public half that goes with its private
 * key, as in kinko's module) is not an error. */
static CK_RV keys_destroy_one(kinko_ctx *ctx, CK_OBJECT_HANDLE h)
{
	CK_RV rv;

	if (!h)
		return CKR_OK;
	rv = ctx->p11->C_DestroyObject(ctx->session, h);
	return rv == CKR_OBJECT_HANDLE_INVALID || rv == CKR_ACTION_PROHIBITED ? CKR_OK : rv;
}

int kinko_p11_destroy(kinko_ctx *ctx, const kinko_keyobj *k)
{
	CK_RV rv;

	rv = keys_destroy_one(ctx, k->cert);
	if (rv == CKR_OK)
		rv = keys_destroy_one(ctx, k->priv);
	if (rv == CKR_OK)
		rv = keys_destroy_one(ctx, k->pub);
	if (rv != CKR_OK)
		return kinko_p11_fail(ctx, rv, _("cannot remove the key from the token"));
	return KINKO_EXIT_OK;
}

int kinko_p11_delete_cert(kinko_ctx *ctx, const kinko_keyobj *k)
{
	CK_RV rv;

	if (!k->cert)
		return KINKO_EXIT_OK;
	rv = ctx->p11->C_DestroyObject(ctx->session, k->cert);
	if (rv != CKR_OK && rv != CKR_OBJECT_HANDLE_INVALID)
		return kinko_p11_fail(ctx, rv, _("cannot remove the certificate from the token"));
	return KINKO_EXIT_OK;
}

/* P-256's group and point; CKA_EC_POINT is a DER OCTET STRING around the point (some modules
 * give the bare point). pt must outlive bld's use. */
static bool keys_push_p256(OSSL_PARAM_BLD *bld, const CK_BYTE *params, size_t pl, const CK_BYTE *pt,
                           size_t ql)
{
	if (ql == 67 && pt[0] == 0x04 && pt[1] == 65) {
		pt += 2;
		ql = 65;
	}
	return pl == sizeof(p256_oid) && memcmp(params, p256_oid, pl) == 0 && ql == 65 &&
	       OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) &&
	       OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, ql);
}

/* The public key of object h from its two attributes: CKA_MODULUS and CKA_PUBLIC_EXPONENT
 * (RSA), CKA_EC_PARAMS and CKA_EC_POINT (P-256). */
static EVP_PKEY *keys_pub(kinko_ctx *ctx, CK_OBJECT_HANDLE h, bool rsa)
{
	size_t l0 = 0, l1 = 0;
	CK_BYTE *v0 = kinko_p11_attr(ctx, h, rsa ? CKA_MODULUS : CKA_EC_PARAMS, &l0);
	CK_BYTE *v1 = kinko_p11_attr(ctx, h, rsa ? CKA_PUBLIC_EXPONENT : CKA_EC_POINT, &l1);
	BIGNUM *n = NULL, *e = NULL;
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, rsa ? "RSA" : "EC", NULL);
	EVP_PKEY *pk = NULL;
	bool ok = v0 && v1 && bld && pc;

	if (ok && rsa)
		ok = (n = BN_bin2bn(v0, (int)l0, NULL)) && (e = BN_bin2bn(v1, (int)l1, NULL)) &&
		     OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
		     OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e);
	else if (ok)
		ok = keys_push_p256(bld, v0, l0, v1, l1);
	if (ok && (params = OSSL_PARAM_BLD_to_param(bld)) && EVP_PKEY_fromdata_init(pc) == 1 &&
	    EVP_PKEY_fromdata(pc, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pk = NULL;
	OSSL_PARAM_free(params);
	EVP_PKEY_CTX_free(pc);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	free(v0);
	free(v1);
	return pk;
}

EVP_PKEY *kinko_p11_public_key(kinko_ctx *ctx, const kinko_keyobj *k)
{
	CK_OBJECT_HANDLE h = k->pub ? k->pub : k->priv;
	EVP_PKEY *pk = NULL;

	if (h)
		pk = keys_pub(ctx, h, k->type == KINKO_KEY_RSA2048);
	if (!pk)
		kinko_err(ctx, "public_key_unreadable", NULL,
		          _("cannot read the public key of the token key %s"), k->label);
	return pk;
}

/* r||s from CKM_ECDSA as the DER ECDSA-Sig-Value of X.509. */
static int keys_ecdsa_der(const CK_BYTE *rs, size_t len, unsigned char **sig, size_t *sig_len)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(rs, (int)(len / 2), NULL),
	       *s = BN_bin2bn(rs + len / 2, (int)(len / 2), NULL);
	unsigned char *der = NULL;
	int n;

	if (!es || !r || !s || ECDSA_SIG_set0(es, r, s) != 1) {
		ECDSA_SIG_free(es);
		BN_free(r);
		BN_free(s);
		return -1;
	}
	n = i2d_ECDSA_SIG(es, &der);
	ECDSA_SIG_free(es);
	if (n <= 0)
		return -1;
	*sig = OPENSSL_malloc((size_t)n);
	if (*sig)
		memcpy(*sig, der, (size_t)n);
	OPENSSL_free(der);
	*sig_len = (size_t)n;
	return *sig ? 0 : -1;
}

/* A key that wants the PIN before every signature (PIV 9C) gets it here. */
static CK_RV keys_context_login(kinko_ctx *ctx, CK_OBJECT_HANDLE h)
{
	CK_BBOOL always = CK_FALSE;
	CK_ATTRIBUTE a = {CKA_ALWAYS_AUTHENTICATE, &always, sizeof(always)};

	if (ctx->p11->C_GetAttributeValue(ctx->session, h, &a, 1) != CKR_OK || !always ||
	    !ctx->token_pin[0])
		return CKR_OK;
	return ctx->p11->C_Login(ctx->session, CKU_CONTEXT_SPECIFIC, (CK_UTF8CHAR *)ctx->token_pin,
	                         strlen(ctx->token_pin));
}

int kinko_p11_sign(kinko_ctx *ctx, const kinko_keyobj *k, const unsigned char *data, size_t len,
                   unsigned char **sig, size_t *sig_len)
{
	bool rsa = k->type == KINKO_KEY_RSA2048;
	CK_MECHANISM mech = {rsa ? CKM_SHA256_RSA_PKCS : CKM_ECDSA, NULL, 0};
	unsigned char digest[32], out[512];
	unsigned int dlen = 0;
	CK_ULONG olen = sizeof(out);
	CK_RV rv;
	int r = kinko_p11_login(ctx);

	*sig = NULL;
	*sig_len = 0;
	if (r != KINKO_EXIT_OK)
		return r;
	if (!rsa && EVP_Digest(data, len, digest, &dlen, EVP_sha256(), NULL) != 1)
		return KINKO_EXIT_FAIL;
	rv = ctx->p11->C_SignInit(ctx->session, &mech, k->priv);
	if (rv == CKR_OK)
		rv = keys_context_login(ctx, k->priv);
	if (rv == CKR_OK)
		rv = ctx->p11->C_Sign(ctx->session, rsa ? (CK_BYTE *)data : digest,
		                      rsa ? len : dlen, out, &olen);
	if (rv != CKR_OK)
		return kinko_p11_fail(ctx, rv, _("the token could not sign"));
	if (rsa) {
		*sig = OPENSSL_malloc(olen);
		if (!*sig)
			return KINKO_EXIT_FAIL;
		memcpy(*sig, out, olen);
		*sig_len = olen;
		return KINKO_EXIT_OK;
	}
	if (olen != 64 || keys_ecdsa_der(out, olen, sig, sig_len) != 0) {
		kinko_err(ctx, "signature_malformed", NULL,
		          _("the token's ECDSA signature is malformed"));
		return KINKO_EXIT_TOKEN;
	}
	return KINKO_EXIT_OK;
}

int kinko_p11_write_cert(kinko_ctx *ctx, const kinko_keyobj *k, X509 *cert, const char *label)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE ct = CKC_X_509;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	unsigned char *der = NULL, *subj = NULL, *iss = NULL, *ser = NULL;
	int dl = i2d_X509(cert, &der);
	int sl = i2d_X509_NAME(X509_get_subject_name(cert), &subj);
	int il = i2d_X509_NAME(X509_get_issuer_name(cert), &iss);
	int nl = i2d_ASN1_INTEGER(X509_get0_serialNumber(cert), &ser);
	CK_OBJECT_HANDLE h = 0;
	CK_RV rv;
	int r = KINKO_EXIT_OK;

	if (dl <= 0 || sl <= 0 || il <= 0 || nl <= 0) {
		kinko_err(ctx, "certificate_unencodable", NULL, _("cannot encode the certificate"));
		r = KINKO_EXIT_FAIL;
	} else {
		CK_ATTRIBUTE t[] = {
			{CKA_CLASS, &cls, sizeof(cls)},
			{CKA_CERTIFICATE_TYPE, &ct, sizeof(ct)},
			{CKA_TOKEN, &yes, sizeof(yes)},
			{CKA_PRIVATE, &no, sizeof(no)},
			{CKA_ID, (void *)k->id, k->id_len},
			{CKA_LABEL, (void *)label, strlen(label)},
			{CKA_SUBJECT, subj, (CK_ULONG)sl},
			{CKA_ISSUER, iss, (CK_ULONG)il},
			{CKA_SERIAL_NUMBER, ser, (CK_ULONG)nl},
			{CKA_VALUE, der, (CK_ULONG)dl},
		};

		r = kinko_p11_login(ctx);
		if (r == KINKO_EXIT_OK) {
			rv = ctx->p11->C_CreateObject(ctx->session, t, sizeof(t) / sizeof(t[0]),
			                              &h);
			if (rv != CKR_OK)
				r = kinko_p11_fail(ctx, rv,
				                   _("cannot write the certificate to the token"));
		}
	}
	OPENSSL_free(der);
	OPENSSL_free(subj);
	OPENSSL_free(iss);
	OPENSSL_free(ser);
	return r;
}
