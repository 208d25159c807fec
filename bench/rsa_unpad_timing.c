/* How long removing RSA encryption padding takes for good and for bad blocks (mod_unpad.c):
 * the median of many timed batches per kind of block, and the ratio of the slowest kind to
 * the fastest. A figure, not a test: a timing assertion would fail on a busy machine.
 *   bench/rsa_unpad_timing [--runs N]      (default 301 batches of 200 calls) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "mod_crypt.h"

#define K 256u /* RSA-2048 */
#define BATCH 200

typedef struct {
	const char *name;
	uint8_t em[K];
	bool oaep;
	const char *label;
} kind;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void pkcs1_block(uint8_t *em, size_t mlen)
{
	size_t ps = K - 3 - mlen, i;

	em[0] = 0;
	em[1] = 2;
	for (i = 0; i < ps; i++)
		em[2 + i] = (uint8_t)(1 + i % 250);
	em[2 + ps] = 0;
	memset(em + 3 + ps, 0x61, mlen);
}

static void mgf1_xor(const uint8_t *seed, size_t seed_len, uint8_t *out, size_t len)
{
	uint8_t c[4] = {0}, block[32];
	size_t done = 0, i;

	for (c[3] = 0; done < len; c[3]++) {
		EVP_MD_CTX *ctx = EVP_MD_CTX_new();

		EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
		EVP_DigestUpdate(ctx, seed, seed_len);
		EVP_DigestUpdate(ctx, c, 4);
		EVP_DigestFinal_ex(ctx, block, NULL);
		EVP_MD_CTX_free(ctx);
		for (i = 0; i < 32 && done < len; i++)
			out[done++] ^= block[i];
	}
}

/* EME-OAEP with SHA-256 and an empty label, of a 32-byte message. */
static void oaep_block(uint8_t *em)
{
	uint8_t *seed = em + 1, *db = em + 33;
	size_t db_len = K - 33;

	memset(em, 0, K);
	EVP_Digest("", 0, db, NULL, EVP_sha256(), NULL);
	db[db_len - 33] = 1;
	memset(db + db_len - 32, 0x61, 32);
	RAND_bytes(seed, 32);
	mgf1_xor(seed, 32, db, db_len);
	mgf1_xor(db, db_len, seed, 32);
}

/* One batch of calls on a kind of block: ns per call. */
static double batch_ns(const kind *k)
{
	uint8_t em[K], out[K];
	size_t out_len;
	double t0 = now_ns();
	int i;

	for (i = 0; i < BATCH; i++) {
		memcpy(em, k->em, K);
		if (k->oaep)
			mod_unpad_oaep(EVP_sha256(), EVP_sha256(), (const uint8_t *)k->label,
			               strlen(k->label), em, K, out, &out_len);
		else
			mod_unpad_pkcs1(em, K, out, &out_len);
	}
	return (now_ns() - t0) / BATCH;
}

/* The kinds take turns batch by batch, so a busy moment of the machine weighs on all of
 * them alike; then the median of each. */
static void medians_ns(const kind *kinds, size_t n, int runs, double *med)
{
	double *t = calloc(n * (size_t)runs, sizeof(double));
	size_t i;
	int r;

	if (!t)
		exit(1);
	for (r = 0; r < runs; r++)
		for (i = 0; i < n; i++)
			t[i * (size_t)runs + (size_t)r] = batch_ns(&kinds[i]);
	for (i = 0; i < n; i++) {
		qsort(t + i * (size_t)runs, (size_t)runs, sizeof(double), cmp_double);
		med[i] = t[i * (size_t)runs + (size_t)runs / 2];
	}
	free(t);
}

int main(int argc, char **argv)
{
	static kind kinds[] = {
		{"pkcs1 good, 32-byte message", {0}, false, ""},
		{"pkcs1 good, empty message", {0}, false, ""},
		{"pkcs1 good, longest message", {0}, false, ""},
		{"pkcs1 bad: first byte", {0}, false, ""},
		{"pkcs1 bad: block type 1", {0}, false, ""},
		{"pkcs1 bad: no separator", {0}, false, ""},
		{"pkcs1 bad: padding too short", {0}, false, ""},
		{"oaep good", {0}, true, ""},
		{"oaep bad: wrong label", {0}, true, "x"},
		{"oaep bad: first byte", {0}, true, ""},
	};
	size_t n = sizeof(kinds) / sizeof(kinds[0]), i;
	double lo = 0, hi = 0, pk_lo = 0, pk_hi = 0, med[sizeof(kinds) / sizeof(kinds[0])];
	int runs = 301;

	if (argc == 3 && strcmp(argv[1], "--runs") == 0)
		runs = atoi(argv[2]);
	if (runs < 1 || (argc != 1 && argc != 3)) {
		fprintf(stderr, "usage: rsa_unpad_timing [--runs N]\n");
		return 2;
	}
	pkcs1_block(kinds[0].em, 32);
	pkcs1_block(kinds[1].em, 0);
	pkcs1_block(kinds[2].em, K - 11);
	pkcs1_block(kinds[3].em, 32);
	kinds[3].em[0] = 1;
	pkcs1_block(kinds[4].em, 32);
	kinds[4].em[1] = 1;
	pkcs1_block(kinds[5].em, 32);
	kinds[5].em[K - 33] = 0x22;
	pkcs1_block(kinds[6].em, 32);
	kinds[6].em[5] = 0;
	oaep_block(kinds[7].em);
	memcpy(kinds[8].em, kinds[7].em, K);
	memcpy(kinds[9].em, kinds[7].em, K);
	kinds[9].em[0] = 0x80;
	medians_ns(kinds, n, runs, med);
	printf("median ns per call (%d batches of %d, RSA-2048 blocks)\n", runs, BATCH);
	for (i = 0; i < n; i++) {
		double m = med[i];

		printf("  %-32s %9.0f\n", kinds[i].name, m);
		if (!kinds[i].oaep) {
			pk_lo = pk_lo == 0 || m < pk_lo ? m : pk_lo;
			pk_hi = m > pk_hi ? m : pk_hi;
		} else {
			lo = lo == 0 || m < lo ? m : lo;
			hi = m > hi ? m : hi;
		}
	}
	printf("slowest / fastest: pkcs1 %.3f, oaep %.3f\n", pk_hi / pk_lo, hi / lo);
	return 0;
}
