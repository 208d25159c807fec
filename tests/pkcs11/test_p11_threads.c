/* Load: 8 threads, each with its own session on the same slot, 200 signatures each
 * (RSA-2048 and P-256 alternating), all in parallel. No call may fail, and every
 * signature must verify with OpenSSL afterwards. Prints the rate. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sig_test_util.h"
#include "time_test_util.h"

#define N_THREADS 8
#define N_SIGS 200

typedef struct {
	p11t t; /* first: p11t_group_teardown frees the fixture through it */
	CK_OBJECT_HANDLE rsa_pub, rsa_priv, ec_pub, ec_priv;
} fixture;

typedef struct {
	fixture *fx;
	int index;
	CK_RV first_error;
	int failures;
	uint8_t (*sigs)[256]; /* N_SIGS signatures */
	CK_ULONG lens[N_SIGS];
	char msgs[N_SIGS][32];
} worker;

/* Only the emulator and the module here (cmocka runs no teardown after a failed group
 * setup); the keys are made in the test, where a failed assertion is reported. */
static int group_setup(void **state)
{
	return p11t_fixture_setup_1(state, sizeof(fixture));
}

static bool use_rsa(int worker_index, int i)
{
	return ((worker_index + i) & 1) == 0;
}

static void record(worker *w, CK_RV rv)
{
	if (rv != CKR_OK) {
		if (w->failures++ == 0)
			w->first_error = rv;
	}
}

static void *worker_run(void *arg)
{
	worker *w = arg;
	CK_FUNCTION_LIST_3_0 *f = w->fx->t.f;
	CK_SESSION_HANDLE s = 0;
	CK_MECHANISM rsa = {CKM_SHA256_RSA_PKCS, NULL, 0}, ec = {CKM_ECDSA_SHA256, NULL, 0};
	int i;

	record(w, f->C_OpenSession(w->fx->t.slots[0], CKF_SERIAL_SESSION, NULL, NULL, &s));
	for (i = 0; i < N_SIGS && w->failures == 0; i++) {
		bool r = use_rsa(w->index, i);
		CK_RV rv;

		snprintf(w->msgs[i], sizeof(w->msgs[i]), "thread %d signature %d", w->index, i);
		w->lens[i] = sizeof(w->sigs[i]);
		rv = f->C_SignInit(s, r ? &rsa : &ec, r ? w->fx->rsa_priv : w->fx->ec_priv);
		if (rv == CKR_OK)
			rv = f->C_Sign(s, (CK_BYTE_PTR)w->msgs[i], (CK_ULONG)strlen(w->msgs[i]),
			               w->sigs[i], &w->lens[i]);
		record(w, rv);
	}
	record(w, f->C_CloseSession(s));
	return NULL;
}

static void eight_threads_sign_in_parallel_without_error(void **state)
{
	static const CK_BYTE rsa_id = 0x01, ec_id = 0x07;
	fixture *fx = *state;
	worker *w = calloc(N_THREADS, sizeof(*w));
	pthread_t th[N_THREADS];
	EVP_PKEY *rsa, *ec;
	double t0, dt;
	int i, j, bad = 0;

	assert_non_null(w);
	p11t_login(&fx->t);
	p11t_generate(&fx->t, 2048, NULL, &rsa_id, 1, &fx->rsa_pub, &fx->rsa_priv);
	p11t_generate(&fx->t, 0, "P-256", &ec_id, 1, &fx->ec_pub, &fx->ec_priv);
	rsa = sigt_pubkey(&fx->t, fx->t.session, fx->rsa_pub);
	ec = sigt_pubkey(&fx->t, fx->t.session, fx->ec_pub);
	t0 = tkit_now_ms();
	for (i = 0; i < N_THREADS; i++) {
		w[i].fx = fx;
		w[i].index = i;
		w[i].sigs = calloc(N_SIGS, sizeof(*w[i].sigs));
		assert_non_null(w[i].sigs);
		assert_int_equal(pthread_create(&th[i], NULL, worker_run, &w[i]), 0);
	}
	for (i = 0; i < N_THREADS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	dt = (tkit_now_ms() - t0) / 1e3;
	printf("# %d signatures (RSA-2048 and P-256) in %d threads: %.2f s, %.0f signatures/s\n",
	       N_THREADS * N_SIGS, N_THREADS, dt, N_THREADS * N_SIGS / dt);

	for (i = 0; i < N_THREADS; i++) {
		if (w[i].failures)
			printf("# thread %d: %d failures, first 0x%lx\n", i, w[i].failures,
			       (unsigned long)w[i].first_error);
		assert_int_equal(w[i].failures, 0);
		for (j = 0; j < N_SIGS; j++) {
			bool r = use_rsa(i, j);

			if (!sigt_verify(r ? rsa : ec, r ? CKM_SHA256_RSA_PKCS : CKM_ECDSA_SHA256,
			                 NULL, (const uint8_t *)w[i].msgs[j], strlen(w[i].msgs[j]),
			                 w[i].sigs[j], w[i].lens[j]))
				bad++;
		}
		free(w[i].sigs);
	}
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
	free(w);
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(eight_threads_sign_in_parallel_without_error),
	};

	return cmocka_run_group_tests(tests, group_setup, p11t_group_teardown);
}
