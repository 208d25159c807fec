/* kinko's PKCS#11 layer (tools/kinko/kinko_p11*.c) against a real module: key generation,
 * public keys, signatures verified by OpenSSL, certificate write / delete, key removal, and
 * "token full" on kinko's module. Run by test_cli_p11.sh once per module; prints one line per
 * step, "PASS name" or "FAIL name: why", and exits 1 when a step failed. On kinko's module,
 * "fill" also checks that the CLI's free key slots are the ones the module generates into.
 *   kinko-p11-check MODULE SECRETS-FILE [fill]
 * SECRETS-FILE holds token_pin=; "fill" also fills every free key slot (kinko's module). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "kinko_p11.h"
/* The module's contract for CKA_IDs, which the CLI reads too. */
#include "../../pkcs11/kinko-pkcs11.h"

static int failures;

static void step(bool pass, const char *name, const char *why)
{
	if (pass)
		printf("PASS %s\n", name);
	else
		printf("FAIL %s: %s\n", name, why);
	failures += !pass;
	fflush(stdout);
}

/* The entry of the token's list with k's CKA_ID (a copy; x509 not kept), false when absent. */
static bool find_id(kinko_ctx *ctx, const kinko_keyobj *k, kinko_keyobj *found, bool *cert_same,
                    X509 *cert)
{
	kinko_keyobj *objs = NULL;
	size_t n = 0, i;
	bool hit = false;

	if (kinko_p11_list(ctx, &objs, &n) != KINKO_EXIT_OK)
		return false;
	for (i = 0; i < n && !hit; i++) {
		if (objs[i].id_len != k->id_len || memcmp(objs[i].id, k->id, k->id_len) != 0)
			continue;
		hit = true;
		*found = objs[i];
		found->x509 = NULL;
		if (cert_same)
			*cert_same = cert && objs[i].x509 && X509_cmp(cert, objs[i].x509) == 0;
	}
	kinko_keyobj_free(objs, n);
	return hit;
}

static bool verify_sig(EVP_PKEY *pk, const unsigned char *sig, size_t sig_len)
{
	static const unsigned char msg[] = "kinko signs this on the token";
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	bool ok = md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pk) == 1 &&
	          EVP_DigestVerify(md, sig, sig_len, msg, sizeof(msg) - 1) == 1;

	EVP_MD_CTX_free(md);
	return ok;
}

/* A certificate for pub, issued by a throwaway P-256 CA made here. */
static X509 *make_cert(EVP_PKEY *pub, const char *cn)
{
	EVP_PKEY *ca = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	X509_NAME *subj = X509_NAME_new(), *iss = X509_NAME_new();
	bool ok = ca && x && subj && iss &&
	          X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_UTF8, (const unsigned char *)cn,
	                                     -1, -1, 0) &&
	          X509_NAME_add_entry_by_txt(iss, "CN", MBSTRING_UTF8,
	                                     (const unsigned char *)"check CA", -1, -1, 0) &&
	          X509_set_version(x, 2) && ASN1_INTEGER_set(X509_get_serialNumber(x), 4711) &&
	          X509_set_subject_name(x, subj) && X509_set_issuer_name(x, iss) &&
	          X509_gmtime_adj(X509_getm_notBefore(x), 0) &&
	          X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 40) && X509_set_pubkey(x, pub) &&
	          X509_sign(x, ca, EVP_sha256()) > 0;

	X509_NAME_free(subj);
	X509_NAME_free(iss);
	EVP_PKEY_free(ca);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static void check_type(kinko_ctx *ctx, kinko_key_type type, const char *tag)
{
	static const unsigned char msg[] = "kinko signs this on the token";
	char name[96], label[64];
	kinko_keyobj k, found;
	EVP_PKEY *pk = NULL;
	X509 *cert = NULL;
	unsigned char *sig = NULL;
	size_t sig_len = 0;
	bool same = false;

	snprintf(label, sizeof(label), "kinko check %s", tag);
	snprintf(name, sizeof(name), "%s: generate a key pair on the token", tag);
	if (kinko_p11_generate(ctx, type, label, &k) != KINKO_EXIT_OK || k.id_len == 0) {
		step(false, name, "kinko_p11_generate failed");
		return;
	}
	step(true, name, NULL);
	snprintf(name, sizeof(name), "%s: CKA_ID chosen by the module (kinko) or 8 random bytes",
	         tag);
	step(ctx->kinko_module ? k.id_len == 1 : k.id_len == 8, name, "unexpected CKA_ID length");
	pk = kinko_p11_public_key(ctx, &k);
	snprintf(name, sizeof(name), "%s: the public key as an EVP_PKEY", tag);
	step(pk && (type == KINKO_KEY_RSA2048 ? EVP_PKEY_get_bits(pk) == 2048 :
	                                        EVP_PKEY_get_bits(pk) == 256),
	     name, "no key or wrong size");
	snprintf(name, sizeof(name), "%s: a signature made on the token verifies in OpenSSL", tag);
	step(pk && kinko_p11_sign(ctx, &k, msg, sizeof(msg) - 1, &sig, &sig_len) == KINKO_EXIT_OK &&
	             verify_sig(pk, sig, sig_len),
	     name, "signing or verification failed");
	OPENSSL_free(sig);
	cert = pk ? make_cert(pk, label) : NULL;
	snprintf(name, sizeof(name), "%s: the certificate is written with the key's CKA_ID", tag);
	step(cert && kinko_p11_write_cert(ctx, &k, cert, label) == KINKO_EXIT_OK &&
	             find_id(ctx, &k, &found, &same, cert) && same && found.cert &&
	             strstr(found.uri, "type=cert"),
	     name, "not written, or not found back with its key");
	snprintf(name, sizeof(name), "%s: delete_cert removes only the certificate", tag);
	if (find_id(ctx, &k, &found, NULL, NULL) &&
	    kinko_p11_delete_cert(ctx, &found) == KINKO_EXIT_OK)
		step(find_id(ctx, &k, &found, NULL, NULL) && !found.cert &&
		             (found.priv || found.pub),
		     name, "the key went too, or the certificate stayed");
	else
		step(false, name, "kinko_p11_delete_cert failed");
	snprintf(name, sizeof(name), "%s: destroy removes the key pair", tag);
	if (find_id(ctx, &k, &found, NULL, NULL) && kinko_p11_destroy(ctx, &found) == KINKO_EXIT_OK)
		step(!find_id(ctx, &k, &found, NULL, NULL), name, "the key is still listed");
	else
		step(false, name, "kinko_p11_destroy failed");
	X509_free(cert);
	EVP_PKEY_free(pk);
}

/* A P-256 key pair made directly through the module, at CKA_ID id; the module's answer. */
static CK_RV generate_at(kinko_ctx *ctx, CK_BYTE id, kinko_keyobj *k)
{
	static const CK_BYTE p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
	CK_MECHANISM mech = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE pub[] = {{CKA_TOKEN, &yes, sizeof(yes)},
	                      {CKA_ID, &id, 1},
	                      {CKA_EC_PARAMS, (void *)p256, sizeof(p256)}};
	CK_ATTRIBUTE priv[] = {{CKA_TOKEN, &yes, sizeof(yes)},
	                       {CKA_ID, &id, 1},
	                       {CKA_SIGN, &yes, sizeof(yes)}};

	memset(k, 0, sizeof(*k));
	k->id[0] = id;
	k->id_len = 1;
	k->type = KINKO_KEY_P256;
	return ctx->p11->C_GenerateKeyPair(ctx->session, &mech, pub, 3, priv, 3, &k->pub, &k->priv);
}

/* kinko's module: fill every free slot; the next generation is "token full" (exit 3). The
 * CLI counts free slots from the module's public header (kinko-pkcs11.h) and the module
 * chooses them itself: each key must land on an id the header lets it have, each once, and
 * the count must come out even. A full token still takes a key asked for at 9C's CKA_ID (not
 * a slot for keys without one); an id past 95's is refused. */
static void check_full(kinko_ctx *ctx)
{
	kinko_keyobj made[32], extra;
	bool seen[256] = {false}, where_counted = true;
	int free_slots = kinko_p11_vendor_free_slots(ctx, ctx->slot), i, got = 0, r = KINKO_EXIT_OK;

	step(free_slots == 21, "fill: an empty kinko token has 21 free key slots", "another count");
	for (i = 0; i < free_slots && i < 31; i++) {
		r = kinko_p11_generate(ctx, KINKO_KEY_P256, "kinko fill", &made[got]);
		if (r != KINKO_EXIT_OK)
			break;
		if (made[got].id_len != 1 || !kinko_cka_id_generated(made[got].id[0]) ||
		    seen[made[got].id[0]])
			where_counted = false;
		else
			seen[made[got].id[0]] = true;
		got++;
	}
	step(got == free_slots && kinko_p11_vendor_free_slots(ctx, ctx->slot) == 0,
	     "fill: a key in every free slot", "generation stopped early");
	step(got > 0 && where_counted,
	     "fill: the module put each key in a slot the CLI counted free (kinko-pkcs11.h)",
	     "a key went to a CKA_ID the header does not give keys without one, or twice");
	step(kinko_p11_generate(ctx, KINKO_KEY_P256, "kinko one too many", &made[31]) ==
	             KINKO_EXIT_TOKEN,
	     "fill: one more key is refused with the token-full exit code", "not refused");
	step(generate_at(ctx, KINKO_CKA_ID_9C, &extra) == CKR_OK &&
	             kinko_p11_vendor_free_slots(ctx, ctx->slot) == 0 &&
	             kinko_p11_destroy(ctx, &extra) == KINKO_EXIT_OK,
	     "fill: the full token takes a key at 9C's CKA_ID, which the free count leaves out",
	     "refused, or counted");
	step(generate_at(ctx, KINKO_CKA_ID_95 + 1, &extra) == CKR_ATTRIBUTE_VALUE_INVALID,
	     "fill: a CKA_ID past 95's names no key slot", "not refused as invalid");
	for (i = 0; i < got; i++)
		r |= kinko_p11_destroy(ctx, &made[i]);
	step(r == KINKO_EXIT_OK && kinko_p11_vendor_free_slots(ctx, ctx->slot) == free_slots,
	     "fill: all removed again", "keys left");
}

int main(int argc, char **argv)
{
	kinko_ctx ctx;
	int r;

	if (argc < 3) {
		fprintf(stderr, "usage: kinko-p11-check MODULE SECRETS-FILE [fill]\n");
		return 2;
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.module = argv[1];
	ctx.secrets_file = argv[2];
	ctx.pin_fd = -1;
	ctx.verbose = true;
	r = kinko_p11_login(&ctx);
	step(r == KINKO_EXIT_OK, "open the token and log in", "kinko_p11_login failed");
	if (r == KINKO_EXIT_OK) {
		step(kinko_p11_pin(&ctx) != NULL, "the PIN is kept for libp11",
		     "kinko_p11_pin is NULL");
		check_type(&ctx, KINKO_KEY_RSA2048, "RSA-2048");
		check_type(&ctx, KINKO_KEY_P256, "P-256");
		if (argc > 3 && strcmp(argv[3], "fill") == 0)
			check_full(&ctx);
	}
	kinko_p11_close(&ctx);
	step(kinko_p11_pin(&ctx) == NULL && ctx.token_pin[0] == '\0', "close wipes the PIN",
	     "PIN kept");
	kinko_secrets_wipe();
	return failures ? 1 : 0;
}
