/* kinko's benchmark (not a test): in one run, the time per signature for RSA-2048 and
 * P-256 through the PKCS#11 module and the emulated token, through SoftHSM2, with OpenSSL
 * in-process, and the round trip of a GENERAL AUTHENTICATE-sized message between two
 * processes; each figure is 5 samples taken in turn (kinko, SoftHSM2, OpenSSL, round trip,
 * kinko, ...) so that a busy neighbour hits them alike: median and min..max. kinko is put
 * against its limit, OpenSSL's sign + one round trip (each signature is one round trip to
 * the emulator process), with the CPU time per signature of module + emulator. Then the
 * APDU count of a cold logon and of a second signature, and C_Initialize + C_GetSlotList
 * with no token, in microseconds. Processes are never pinned to a core.
 *
 *   bench_sign [--seconds S] [--module PATH] [--softhsm PATH]
 *
 * S is the time per figure, split over its 5 samples. Needs KINKO_BUILDDIR (the emulator
 * binary and, by default, the module); bench/run.sh sets it. Single-threaded: one
 * signature at a time, as a TLS handshake makes them. */
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
#include "bench_limit.h"
#include "bench_p11.h"
#include "emu_client.h"

typedef struct {
	double seconds;
	const char *module;
	const char *softhsm;
	const char *self;
} bench_opts;

static const unsigned char bench_digest[32] = {0x5e, 0x88, 0x48, 0x98, 0xda, 0x28, 0x04, 0x71,
                                               0x51, 0xd0, 0xe5, 0x6f, 0x8d, 0xc6, 0x29, 0x27,
                                               0x73, 0x60, 0x3d, 0x0d, 0x6a, 0xab, 0xbd, 0xd6,
                                               0x2a, 0x11, 0xef, 0x72, 0x1d, 0x15, 0x42, 0xd8};

static double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Microseconds per call of one(), run for about `seconds` (at least 10 times, after 3
 * for warming up); -1 when a call failed. */
static double bench_us(bool (*one)(void *), void *arg, double seconds)
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
	return dt * 1e6 / (double)n;
}

/* ---- OpenSSL in-process ---- */

static bool bench_ossl_one(void *arg)
{
	unsigned char sig[512];
	size_t len = sizeof(sig);

	return EVP_PKEY_sign(arg, sig, &len, bench_digest, sizeof(bench_digest)) == 1;
}

/* A signing context with a fresh key (RSA-2048 PKCS#1 v1.5 over SHA-256, or P-256). */
static EVP_PKEY_CTX *bench_ossl_ctx(const char *type, const char *curve)
{
	EVP_PKEY *k = curve ? EVP_PKEY_Q_keygen(NULL, NULL, type, curve) :
	                      EVP_PKEY_Q_keygen(NULL, NULL, type, (size_t)2048);
	EVP_PKEY_CTX *ctx = k ? EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL) : NULL;

	EVP_PKEY_free(k); /* the context holds its own reference */
	if (ctx && EVP_PKEY_sign_init(ctx) == 1 &&
	    (curve || (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0 &&
	               EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) > 0)))
		return ctx;
	EVP_PKEY_CTX_free(ctx);
	return NULL;
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

static int bench_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* A fresh SoftHSM2 token in a private directory, left open for the samples. */
static bool bench_softhsm_open(const bench_opts *o, char *dir, bench_token *b)
{
	char conf[128], tokens[128], text[256];
	FILE *fp;
	bool ok = false;

	memset(b, 0, sizeof(*b));
	if (!mkdtemp(dir))
		return false;
	snprintf(conf, sizeof(conf), "%s/softhsm2.conf", dir);
	snprintf(tokens, sizeof(tokens), "%s/tokens", dir);
	snprintf(text, sizeof(text),
	         "directories.tokendir = %s\nobjectstore.backend = file\n"
	         "log.level = ERROR\n",
	         tokens);
	fp = fopen(conf, "w");
	if (fp && mkdir(tokens, 0700) == 0 && fputs(text, fp) >= 0 && fclose(fp) == 0) {
		fp = NULL;
		setenv("SOFTHSM2_CONF", conf, 1);
		ok = bench_load(b, o->softhsm) && bench_open(b, true) && bench_keys(b, false);
	}
	if (fp)
		fclose(fp);
	return ok;
}

static void bench_softhsm_close(char *dir, bench_token *b)
{
	if (b->f)
		b->f->C_Finalize(NULL);
	bench_unload(b);
	if (dir[0] && strstr(dir, "XXXXXX") == NULL)
		nftw(dir, bench_rm, 16, FTW_DEPTH | FTW_PHYS);
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
	for (i = 1; i < 200; i++) /* insertion sort: 200 values */
		for (j = i; j > 0 && t[j - 1] > t[j]; j--) {
			double x = t[j];

			t[j] = t[j - 1];
			t[j - 1] = x;
		}
	return t[100];
}

typedef struct {
	int logon_apdus, second_apdus;
	double init_us;
} bench_kinko_result;

/* The emulator serving a fresh token, the module loaded with its two keys. */
static bool bench_kinko_open(const bench_opts *o, emu_proc *p, bench_token *b)
{
	memset(p, 0, sizeof(*p));
	memset(b, 0, sizeof(*b));
	if (emu_proc_setup(p) != 0 || emu_init(p, NULL, NULL, 0) != 0 || emu_start(p, NULL) != 0) {
		fprintf(stderr, "bench: the emulator did not start (KINKO_BUILDDIR?)\n");
		return false;
	}
	setenv("KINKO_EMU_SOCKETS", p->sock, 1);
	setenv("KINKO_CONF", "/dev/null", 1);
	return bench_load(b, o->module) && bench_open(b, false) && bench_keys(b, true);
}

/* After the samples: the cold logon, then C_Initialize with the token removed. */
static bool bench_kinko_close(const bench_opts *o, emu_proc *p, bench_token *b, bool ok,
                              bench_kinko_result *res)
{
	char reply[64];

	ok = ok && bench_cold_prepare(b);
	if (b->f)
		b->f->C_Finalize(NULL);
	bench_unload(b);
	ok = ok && bench_cold_logon(o->self, o->module, &res->logon_apdus, &res->second_apdus);
	ok = ok && emu_control(p->control, "remove", reply, sizeof(reply)) == 0;
	res->init_us = ok ? bench_init_us(o->module) : -1;
	emu_proc_teardown(p);
	return ok && res->init_us >= 0;
}

#define BENCH_ROUNDS 5

enum { BENCH_RSA, BENCH_EC, BENCH_ALGS };
enum { BENCH_KINKO, BENCH_SOFTHSM, BENCH_OSSL, BENCH_RTT, BENCH_FIGS };

/* What one sample runs, per algorithm and figure (NULL one: not measured). */
typedef struct {
	bool (*one[BENCH_ALGS][BENCH_FIGS])(void *);
	void *arg[BENCH_ALGS][BENCH_FIGS];
	pid_t emu_pid;
} bench_plan;

typedef struct {
	double us[BENCH_ALGS][BENCH_FIGS][BENCH_ROUNDS];       /* per signature, -1: none */
	double cpu_mod_us[BENCH_ALGS], cpu_emu_us[BENCH_ALGS]; /* summed over the samples */
	long sigs[BENCH_ALGS];
} bench_figures;

/* One kinko sample, with the CPU time of this process (the module) and the emulator. */
static double bench_kinko_sample(const bench_plan *pl, int alg, double seconds, bench_figures *f)
{
	double m0 = bench_cpu_self_us(), e0 = bench_cpu_pid_us(pl->emu_pid), t0 = bench_now();
	double us = bench_us(pl->one[alg][BENCH_KINKO], pl->arg[alg][BENCH_KINKO], seconds);
	double dt = bench_now() - t0, m1 = bench_cpu_self_us(), e1 = bench_cpu_pid_us(pl->emu_pid);

	if (us > 0 && m0 >= 0 && e0 >= 0 && m1 >= 0 && e1 >= 0) {
		/* the 3 warm-up signatures ran inside [t0, dt] too */
		f->sigs[alg] += (long)(dt * 1e6 / us + 0.5);
		f->cpu_mod_us[alg] += m1 - m0;
		f->cpu_emu_us[alg] += e1 - e0;
	}
	return us;
}

static void bench_rounds(const bench_plan *pl, double seconds, bench_figures *f)
{
	int r, alg, fig;

	memset(f, 0, sizeof(*f));
	for (r = 0; r < BENCH_ROUNDS; r++)
		for (alg = 0; alg < BENCH_ALGS; alg++)
			for (fig = 0; fig < BENCH_FIGS; fig++) {
				if (!pl->one[alg][fig])
					f->us[alg][fig][r] = -1;
				else if (fig == BENCH_KINKO)
					f->us[alg][fig][r] =
						bench_kinko_sample(pl, alg, seconds, f);
				else
					f->us[alg][fig][r] = bench_us(pl->one[alg][fig],
					                              pl->arg[alg][fig], seconds);
			}
}

/* Median of a figure's samples (min and max beside it), -1 when any sample failed. */
static double bench_median(const bench_figures *f, int alg, int fig, double *min, double *max)
{
	double v[BENCH_ROUNDS], med;
	int r;

	for (r = 0; r < BENCH_ROUNDS; r++)
		v[r] = f->us[alg][fig][r];
	bench_stats(v, BENCH_ROUNDS, &med, min, max);
	return *min > 0 ? med : -1;
}

static void bench_report(const bench_figures *f, double seconds)
{
	static const char *const alg_names[BENCH_ALGS] = {"RSA-2048", "P-256"};
	double med[BENCH_FIGS], lo, hi, limit;
	int alg, fig;

	printf("kinko benchmark: one signature at a time, %d samples of %.2f s per figure, taken "
	       "in turn\n",
	       BENCH_ROUNDS, seconds);
	printf("%-9s %26s %26s %26s %26s\n", "us/op", "module+emu", "SoftHSM2", "OpenSSL",
	       "round trip");
	for (alg = 0; alg < BENCH_ALGS; alg++) {
		printf("%-9s", alg_names[alg]);
		for (fig = 0; fig < BENCH_FIGS; fig++) {
			char cell[64];

			med[fig] = bench_median(f, alg, fig, &lo, &hi);
			if (med[fig] > 0)
				snprintf(cell, sizeof(cell), "%.1f (%.1f..%.1f)", med[fig], lo, hi);
			else
				snprintf(cell, sizeof(cell), "-");
			printf(" %26s", cell);
		}
		printf("\n");
	}
	printf("%-9s %14s %10s %10s %12s %14s %12s %14s\n", "", "sign/s", "limit us", "kinko/limit",
	       "mod/OpenSSL", "mod/SoftHSM2", "CPU us/sig", "(module+emu)");
	for (alg = 0; alg < BENCH_ALGS; alg++) {
		char cpu[64] = "-";

		for (fig = 0; fig < BENCH_FIGS; fig++)
			med[fig] = bench_median(f, alg, fig, &lo, &hi);
		limit = med[BENCH_OSSL] > 0 && med[BENCH_RTT] > 0 ?
		                med[BENCH_OSSL] + med[BENCH_RTT] :
		                -1;
		if (f->sigs[alg] > 0)
			snprintf(cpu, sizeof(cpu), "%.1f+%.1f",
			         f->cpu_mod_us[alg] / (double)f->sigs[alg],
			         f->cpu_emu_us[alg] / (double)f->sigs[alg]);
		printf("%-9s %14.0f %10.1f %10.2fx %12.2f %14.2f %12.1f %14s\n", alg_names[alg],
		       med[BENCH_KINKO] > 0 ? 1e6 / med[BENCH_KINKO] : 0.0, limit,
		       limit > 0 && med[BENCH_KINKO] > 0 ? med[BENCH_KINKO] / limit : 0.0,
		       med[BENCH_OSSL] > 0 && med[BENCH_KINKO] > 0 ?
		               med[BENCH_OSSL] / med[BENCH_KINKO] :
		               0.0,
		       med[BENCH_SOFTHSM] > 0 && med[BENCH_KINKO] > 0 ?
		               med[BENCH_SOFTHSM] / med[BENCH_KINKO] :
		               0.0,
		       f->sigs[alg] > 0 ?
		               (f->cpu_mod_us[alg] + f->cpu_emu_us[alg]) / (double)f->sigs[alg] :
		               0.0,
		       cpu);
	}
	printf("limit = OpenSSL sign + round trip (median); mod/X = module's rate / X's rate\n");
}

static int bench_usage(void)
{
	fprintf(stderr, "usage: bench_sign [--seconds S] [--module PATH] [--softhsm PATH]\n");
	return 2;
}

int main(int argc, char **argv)
{
	static char module[512];
	char soft_dir[] = "/tmp/kinko-bench-softhsm-XXXXXX";
	const char *dir = getenv("KINKO_BUILDDIR");
	bench_opts o = {.seconds = 2.0,
	                .softhsm = "/usr/lib/softhsm/libsofthsm2.so",
	                .self = "/proc/self/exe"};
	bench_kinko_result k = {-1, -1, -1};
	bench_plan pl;
	bench_figures fig;
	bench_token kb, sb;
	bench_pingpong pp_rsa, pp_ec;
	EVP_PKEY_CTX *ossl_rsa, *ossl_ec;
	emu_proc p;
	bool kinko_ok, soft_ok, pp_ok;
	int i, alg;

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

	memset(&pl, 0, sizeof(pl));
	/* forked first: the echo processes hold none of the modules' descriptors */
	pp_ok = bench_pingpong_start(&pp_rsa, BENCH_GA_REQ_RSA, BENCH_GA_REP_RSA);
	pp_ok = bench_pingpong_start(&pp_ec, BENCH_GA_REQ_EC, BENCH_GA_REP_EC) && pp_ok;
	if (!pp_ok)
		fprintf(stderr, "bench: the round-trip process did not start\n");
	ossl_rsa = bench_ossl_ctx("RSA", NULL);
	ossl_ec = bench_ossl_ctx("EC", "P-256");
	kinko_ok = bench_kinko_open(&o, &p, &kb);
	if (!kinko_ok)
		fprintf(stderr, "bench: the module run failed\n");
	soft_ok = bench_softhsm_open(&o, soft_dir, &sb);
	if (!soft_ok)
		fprintf(stderr, "bench: SoftHSM2 (%s) unavailable: its column shows -\n",
		        o.softhsm);
	for (alg = 0; alg < BENCH_ALGS; alg++) {
		bool (*sign)(void *) = alg == BENCH_RSA ? bench_rsa_one : bench_ec_one;

		pl.one[alg][BENCH_KINKO] = kinko_ok ? sign : NULL;
		pl.arg[alg][BENCH_KINKO] = &kb;
		pl.one[alg][BENCH_SOFTHSM] = soft_ok ? sign : NULL;
		pl.arg[alg][BENCH_SOFTHSM] = &sb;
		pl.arg[alg][BENCH_OSSL] = alg == BENCH_RSA ? ossl_rsa : ossl_ec;
		pl.one[alg][BENCH_OSSL] = pl.arg[alg][BENCH_OSSL] ? bench_ossl_one : NULL;
		pl.one[alg][BENCH_RTT] = pp_ok ? bench_pingpong_one : NULL;
		pl.arg[alg][BENCH_RTT] = alg == BENCH_RSA ? &pp_rsa : &pp_ec;
	}
	pl.emu_pid = p.pid;
	bench_rounds(&pl, o.seconds / BENCH_ROUNDS, &fig);
	bench_pingpong_stop(&pp_rsa);
	bench_pingpong_stop(&pp_ec);
	bench_softhsm_close(soft_dir, &sb);
	EVP_PKEY_CTX_free(ossl_rsa);
	EVP_PKEY_CTX_free(ossl_ec);
	kinko_ok = bench_kinko_close(&o, &p, &kb, kinko_ok, &k);

	bench_report(&fig, o.seconds / BENCH_ROUNDS);
	printf("cold logon (C_Initialize .. first C_Sign): %d APDUs (target <= 6)\n",
	       k.logon_apdus);
	printf("second signature in the same session: %d APDU(s) (target 1)\n", k.second_apdus);
	printf("C_Initialize + C_GetSlotList(TRUE), no token: %.0f us median of 200 (target < 1000)\n",
	       k.init_us);
	return kinko_ok && fig.us[BENCH_RSA][BENCH_KINKO][0] > 0 &&
	                       fig.us[BENCH_EC][BENCH_KINKO][0] > 0 ?
	               0 :
	               1;
}
