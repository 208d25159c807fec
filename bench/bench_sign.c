/* kinko's benchmark (not a test): in one run, signatures per second for RSA-2048 and P-256
 * through the PKCS#11 module and the emulated token, through SoftHSM2, and with OpenSSL
 * in-process, as ratios; the APDU count of a cold logon and of a second signature; and
 * C_Initialize + C_GetSlotList with no token, in microseconds.
 *
 *   bench_sign [--seconds S] [--module PATH] [--softhsm PATH]
 *
 * Needs KINKO_BUILDDIR (the emulator binary and, by default, the module); bench/run.sh
 * sets it. Single-threaded: one signature at a time, as a TLS handshake makes them. */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "bench_cold.h"
#include "bench_p11.h"
#include "emu_client.h"

typedef struct {
	double seconds;
	const char *module;
	const char *softhsm;
	const char *self;
} bench_opts;

typedef struct {
	double rsa, ec;             /* signatures per second, <= 0 when not measured */
} bench_rates;

static const unsigned char bench_digest[32] = {
	0x5e, 0x88, 0x48, 0x98, 0xda, 0x28, 0x04, 0x71, 0x51, 0xd0, 0xe5, 0x6f, 0x8d, 0xc6, 0x29, 0x27,
	0x73, 0x60, 0x3d, 0x0d, 0x6a, 0xab, 0xbd, 0xd6, 0x2a, 0x11, 0xef, 0x72, 0x1d, 0x15, 0x42, 0xd8};

static double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run one() for about `seconds` (at least 10 times, after 3 for warming up). */
static double bench_rate(bool (*one)(void *), void *arg, double seconds)
{
	double t0, dt;
	long n = 0;
	int i;

	for (i = 0; i < 3; i++)
		if (!one(arg))
			return -1;
	t0 = bench_now();
	do {
		if (!one(arg))
			return -1;
		n++;
		dt = bench_now() - t0;
	} while (dt < seconds || n < 10);
	return (double)n / dt;
}

/* ---- OpenSSL in-process ---- */

static bool bench_ossl_one(void *arg)
{
	unsigned char sig[512];
	size_t len = sizeof(sig);

	return EVP_PKEY_sign(arg, sig, &len, bench_digest, sizeof(bench_digest)) == 1;
}

static double bench_ossl(const char *type, const char *curve, double seconds)
{
	EVP_PKEY *k = curve ? EVP_PKEY_Q_keygen(NULL, NULL, type, curve)
	                    : EVP_PKEY_Q_keygen(NULL, NULL, type, (size_t)2048);
	EVP_PKEY_CTX *ctx = k ? EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL) : NULL;
	double r = -1;

	if (ctx && EVP_PKEY_sign_init(ctx) == 1 &&
	    (curve || (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0 &&
	               EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) > 0)))
		r = bench_rate(bench_ossl_one, ctx, seconds);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(k);
	return r;
}

/* ---- PKCS#11 modules ---- */

static bool bench_rsa_one(void *arg)
{
	bench_token *b = arg;

	return bench_ok("C_Sign(RSA)", bench_sign_once(b, CKM_SHA256_RSA_PKCS, b->rsa_priv,
	                                               bench_digest, sizeof(bench_digest)));
}

/* CKM_ECDSA over a digest: SoftHSM2 has no hash-and-sign ECDSA, and it is the same work. */
static bool bench_ec_one(void *arg)
{
	bench_token *b = arg;

	return bench_ok("C_Sign(EC)", bench_sign_once(b, CKM_ECDSA, b->ec_priv, bench_digest,
	                                              sizeof(bench_digest)));
}

static void bench_token_rates(bench_token *b, double seconds, bench_rates *r)
{
	r->rsa = bench_rate(bench_rsa_one, b, seconds);
	r->ec = bench_rate(bench_ec_one, b, seconds);
}

static int bench_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static bool bench_softhsm(const bench_opts *o, bench_rates *r)
{
	char dir[] = "/tmp/kinko-bench-softhsm-XXXXXX", conf[128], tokens[128], text[256];
	bench_token b;
	FILE *fp;
	bool ok = false;

	if (!mkdtemp(dir))
		return false;
	snprintf(conf, sizeof(conf), "%s/softhsm2.conf", dir);
	snprintf(tokens, sizeof(tokens), "%s/tokens", dir);
	snprintf(text, sizeof(text), "directories.tokendir = %s\nobjectstore.backend = file\n"
	         "log.level = ERROR\n", tokens);
	fp = fopen(conf, "w");
	if (fp && mkdir(tokens, 0700) == 0 && fputs(text, fp) >= 0 && fclose(fp) == 0) {
		fp = NULL;
		setenv("SOFTHSM2_CONF", conf, 1);
		ok = bench_load(&b, o->softhsm) && bench_open(&b, true) && bench_keys(&b, false);
		if (ok)
			bench_token_rates(&b, o->seconds, r);
		if (b.f)
			b.f->C_Finalize(NULL);
		bench_unload(&b);
	}
	if (fp)
		fclose(fp);
	nftw(dir, bench_rm, 16, FTW_DEPTH | FTW_PHYS);
	return ok;
}

/* C_Initialize + C_GetSlotList(TRUE) with the reader empty: the median of 200 runs. */
static double bench_init_us(const char *module)
{
	double t[200], t0;
	bench_token b;
	CK_ULONG n = 0;
	int i, j;

	if (!bench_load(&b, module))
		return -1;
	for (i = 0; i < 200; i++) {
		t0 = bench_now();
		if (!bench_ok("C_Initialize", b.f->C_Initialize(NULL)) ||
		    !bench_ok("C_GetSlotList", b.f->C_GetSlotList(CK_TRUE, NULL, &n)) || n != 0) {
			bench_unload(&b);
			return -1;
		}
		t[i] = (bench_now() - t0) * 1e6;
		b.f->C_Finalize(NULL);
	}
	bench_unload(&b);
	for (i = 1; i < 200; i++)      /* insertion sort: 200 values */
		for (j = i; j > 0 && t[j - 1] > t[j]; j--) {
			double x = t[j];

			t[j] = t[j - 1];
			t[j - 1] = x;
		}
	return t[100];
}

typedef struct {
	bench_rates rates;
	int logon_apdus, second_apdus;
	double init_us;
} bench_kinko_result;

static bool bench_kinko(const bench_opts *o, bench_kinko_result *res)
{
	emu_proc p;
	bench_token b;
	char reply[64];
	bool ok;

	memset(&p, 0, sizeof(p));
	if (emu_proc_setup(&p) != 0 || emu_init(&p, NULL, NULL, 0) != 0 || emu_start(&p, NULL) != 0) {
		fprintf(stderr, "bench: the emulator did not start (KINKO_BUILDDIR?)\n");
		emu_proc_teardown(&p);
		return false;
	}
	setenv("KINKO_EMU_SOCKETS", p.sock, 1);
	setenv("KINKO_CONF", "/dev/null", 1);
	ok = bench_load(&b, o->module) && bench_open(&b, false) && bench_keys(&b, true);
	if (ok)
		bench_token_rates(&b, o->seconds, &res->rates);
	ok = ok && bench_cold_prepare(&b);
	if (b.f)
		b.f->C_Finalize(NULL);
	bench_unload(&b);
	ok = ok && bench_cold_logon(o->self, o->module, &res->logon_apdus, &res->second_apdus);
	ok = ok && emu_control(p.control, "remove", reply, sizeof(reply)) == 0;
	res->init_us = ok ? bench_init_us(o->module) : -1;
	emu_proc_teardown(&p);
	return ok && res->init_us >= 0;
}

static void bench_row(const char *what, double module, double softhsm, double ossl)
{
	printf("%-9s %14.0f %10.0f %10.0f %12.2f %14.2f\n", what, module, softhsm, ossl,
	       ossl > 0 ? module / ossl : 0.0, softhsm > 0 ? module / softhsm : 0.0);
}

static int bench_usage(void)
{
	fprintf(stderr, "usage: bench_sign [--seconds S] [--module PATH] [--softhsm PATH]\n");
	return 2;
}

int main(int argc, char **argv)
{
	static char module[512];
	const char *dir = getenv("KINKO_BUILDDIR");
	bench_opts o = {.seconds = 2.0, .softhsm = "/usr/lib/softhsm/libsofthsm2.so",
	                .self = "/proc/self/exe"};
	bench_kinko_result k = {{-1, -1}, -1, -1, -1};
	bench_rates soft = {-1, -1};
	double ossl_rsa, ossl_ec;
	int i;

	if (argc == 3 && strcmp(argv[1], "--cold-logon") == 0)
		return bench_cold_child(argv[2]);
	snprintf(module, sizeof(module), "%s/pkcs11/.libs/libkinko-pkcs11.so", dir ? dir : ".");
	o.module = module;
	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--seconds") == 0)
			o.seconds = strtod(argv[i + 1], NULL);
		else if (strcmp(argv[i], "--module") == 0)
			o.module = argv[i + 1];
		else if (strcmp(argv[i], "--softhsm") == 0)
			o.softhsm = argv[i + 1];
		else
			return bench_usage();
	}
	if (i != argc || !(o.seconds > 0))
		return bench_usage();

	ossl_rsa = bench_ossl("RSA", NULL, o.seconds);
	ossl_ec = bench_ossl("EC", "P-256", o.seconds);
	if (!bench_kinko(&o, &k))
		fprintf(stderr, "bench: the module run failed\n");
	if (!bench_softhsm(&o, &soft))
		fprintf(stderr, "bench: SoftHSM2 (%s) unavailable: its column shows 0\n", o.softhsm);

	printf("kinko benchmark: one signature at a time, %.1f s per figure\n", o.seconds);
	printf("%-9s %14s %10s %10s %12s %14s\n", "sign/s", "module+emu", "SoftHSM2", "OpenSSL",
	       "mod/OpenSSL", "mod/SoftHSM2");
	bench_row("RSA-2048", k.rates.rsa, soft.rsa, ossl_rsa);
	bench_row("P-256", k.rates.ec, soft.ec, ossl_ec);
	printf("cold logon (C_Initialize .. first C_Sign): %d APDUs (target <= 6)\n", k.logon_apdus);
	printf("second signature in the same session: %d APDU(s) (target 1)\n", k.second_apdus);
	printf("C_Initialize + C_GetSlotList(TRUE), no token: %.0f us median of 200 (target < 1000)\n",
	       k.init_us);
	return k.rates.rsa > 0 && k.rates.ec > 0 && k.logon_apdus > 0 ? 0 : 1;
}
