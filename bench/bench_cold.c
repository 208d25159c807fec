/* The APDU count of a cold logon, measured the way anyone can: a fresh process runs the
 * logon with KINKO_DEBUG=apdu and the trace lines ("kinko: apdu N > ...") are counted.
 * The logon is what a TLS client does: C_Initialize, C_GetSlotList, C_OpenSession, find
 * the certificate and read it, C_Login, find the private key by the certificate's CKA_ID,
 * C_SignInit + C_Sign. Then a second signature in the same session. */
#include "bench_cold.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#define COLD_MARK "bench: second signature"
#define COLD_END "bench: finalize"

static EVP_PKEY *cold_rsa_pub(bench_token *b)
{
	CK_BYTE n[512], e[8];
	CK_ATTRIBUTE a[] = {{CKA_MODULUS, n, sizeof(n)}, {CKA_PUBLIC_EXPONENT, e, sizeof(e)}};
	BIGNUM *bn = NULL, *be = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;

	if (!bench_ok("C_GetAttributeValue(public key)",
	              b->f->C_GetAttributeValue(b->session, b->rsa_pub, a, 2)))
		return NULL;
	bn = BN_bin2bn(n, (int)a[0].ulValueLen, NULL);
	be = BN_bin2bn(e, (int)a[1].ulValueLen, NULL);
	bld = OSSL_PARAM_BLD_new();
	if (bn && be && bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) == 1 &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) == 1 &&
	    (params = OSSL_PARAM_BLD_to_param(bld)) != NULL &&
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) != NULL &&
	    EVP_PKEY_fromdata_init(ctx) == 1)
		(void)EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	return pkey;
}

/* A certificate for the token's RSA key. Only its public key matters to the token, so a
 * throw-away software key signs it. */
static int cold_cert_der(EVP_PKEY *pub, unsigned char **der)
{
	EVP_PKEY *issuer = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	int len = -1;

	if (issuer && x && name && X509_set_version(x, X509_VERSION_3) == 1 &&
	    ASN1_INTEGER_set(X509_get_serialNumber(x), 1) == 1 &&
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"bench", -1,
	                               -1, 0) == 1 &&
	    X509_set_subject_name(x, name) == 1 && X509_set_issuer_name(x, name) == 1 &&
	    X509_gmtime_adj(X509_getm_notBefore(x), 0) &&
	    X509_gmtime_adj(X509_getm_notAfter(x), 86400) && X509_set_pubkey(x, pub) == 1 &&
	    X509_sign(x, issuer, EVP_sha256()) > 0)
		len = i2d_X509(x, der);
	X509_NAME_free(name);
	X509_free(x);
	EVP_PKEY_free(issuer);
	return len;
}

bool bench_cold_prepare(bench_token *b)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE ct = CKC_X_509;
	CK_BBOOL yes = CK_TRUE;
	CK_BYTE id = 0x01;
	CK_OBJECT_HANDLE h;
	unsigned char *der = NULL;
	EVP_PKEY *pub = cold_rsa_pub(b);
	int len = pub ? cold_cert_der(pub, &der) : -1;
	bool ok = false;

	if (len > 0) {
		CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof(cls)},
		                    {CKA_CERTIFICATE_TYPE, &ct, sizeof(ct)},
		                    {CKA_TOKEN, &yes, 1},
		                    {CKA_ID, &id, 1},
		                    {CKA_LABEL, "bench", 5},
		                    {CKA_VALUE, der, (CK_ULONG)len}};

		ok = bench_ok("C_CreateObject(certificate)",
		              b->f->C_CreateObject(b->session, t, 6, &h));
	}
	OPENSSL_free(der);
	EVP_PKEY_free(pub);
	return ok;
}

static bool cold_find(bench_token *b, CK_ATTRIBUTE *t, CK_ULONG n, CK_OBJECT_HANDLE *h)
{
	CK_ULONG got = 0;

	return bench_ok("C_FindObjectsInit", b->f->C_FindObjectsInit(b->session, t, n)) &&
	       bench_ok("C_FindObjects", b->f->C_FindObjects(b->session, h, 1, &got)) &&
	       bench_ok("C_FindObjectsFinal", b->f->C_FindObjectsFinal(b->session)) && got == 1;
}

int bench_cold_child(const char *module)
{
	static const unsigned char msg[] = "cold logon";
	CK_OBJECT_CLASS cert = CKO_CERTIFICATE, priv = CKO_PRIVATE_KEY;
	CK_BYTE id[32], value[4096];
	CK_ATTRIBUTE find_cert[] = {{CKA_CLASS, &cert, sizeof(cert)}};
	CK_ATTRIBUTE read_cert[] = {{CKA_ID, id, sizeof(id)}, {CKA_VALUE, value, sizeof(value)}};
	CK_ATTRIBUTE find_key[] = {{CKA_CLASS, &priv, sizeof(priv)}, {CKA_ID, id, 0}};
	CK_OBJECT_HANDLE hcert, hkey;
	bench_token b;
	bool ok;

	ok = bench_load(&b, module) && bench_ok("C_Initialize", b.f->C_Initialize(NULL));
	if (ok) {
		CK_SLOT_ID slots[4];
		CK_ULONG n = 4;

		ok = bench_ok("C_GetSlotList", b.f->C_GetSlotList(CK_TRUE, slots, &n)) && n >= 1 &&
		     bench_ok("C_OpenSession", b.f->C_OpenSession(slots[0], CKF_SERIAL_SESSION,
		                                                  NULL, NULL, &b.session));
	}
	ok = ok && cold_find(&b, find_cert, 1, &hcert) &&
	     bench_ok("C_GetAttributeValue(certificate)",
	              b.f->C_GetAttributeValue(b.session, hcert, read_cert, 2)) &&
	     bench_ok("C_Login", b.f->C_Login(b.session, CKU_USER, (CK_UTF8CHAR_PTR)BENCH_PIN, 6));
	find_key[1].ulValueLen = read_cert[0].ulValueLen;
	ok = ok && cold_find(&b, find_key, 2, &hkey) &&
	     bench_ok("C_Sign", bench_sign_once(&b, CKM_SHA256_RSA_PKCS, hkey, msg, sizeof(msg)));
	fprintf(stderr, "%s\n", COLD_MARK);
	ok = ok &&
	     bench_ok("C_Sign", bench_sign_once(&b, CKM_SHA256_RSA_PKCS, hkey, msg, sizeof(msg)));
	fprintf(stderr, "%s\n", COLD_END); /* C_Finalize's logout is not the signature's */
	if (b.f)
		b.f->C_Finalize(NULL);
	bench_unload(&b);
	return ok ? 0 : 1;
}

/* Count "kinko: apdu N > " command lines before the first mark and between the two. */
static bool cold_count(FILE *trace, int *logon, int *second)
{
	char line[8192];
	int phase = 0;

	*logon = *second = 0;
	while (fgets(line, sizeof(line), trace)) {
		if (strncmp(line, COLD_MARK, strlen(COLD_MARK)) == 0)
			phase = 1;
		else if (strncmp(line, COLD_END, strlen(COLD_END)) == 0)
			phase = 2;
		else if (phase < 2 && strstr(line, "kinko: apdu ") && strstr(line, " > "))
			++*(phase == 0 ? logon : second);
	}
	return phase == 2;
}

bool bench_cold_logon(const char *self, const char *module, int *logon, int *second)
{
	char path[] = "/tmp/kinko-bench-trace-XXXXXX";
	int fd = mkstemp(path), status = -1;
	pid_t pid;
	FILE *trace;
	bool ok = false;

	if (fd < 0)
		return false;
	pid = fork();
	if (pid == 0) {
		dup2(fd, STDERR_FILENO);
		setenv("KINKO_DEBUG", "apdu", 1);
		execl(self, self, "--cold-logon", module, (char *)NULL);
		_exit(127);
	}
	if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0) {
		trace = fdopen(dup(fd), "r");
		if (trace) {
			rewind(trace);
			ok = cold_count(trace, logon, second);
			fclose(trace);
		}
	} else {
		fprintf(stderr, "bench: the cold logon failed; its trace is in %s\n", path);
		close(fd);
		return false;
	}
	close(fd);
	if (getenv("BENCH_KEEP_TRACE"))
		fprintf(stderr, "bench: the cold logon's APDU trace is in %s\n", path);
	else
		unlink(path);
	return ok;
}
