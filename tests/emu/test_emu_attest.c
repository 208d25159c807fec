/* Attestation through kinko-token-emu: --make-attestation-ca writes a manufacturer CA,
 * --init --attestation-ca-cert/-key gives the token an F9 key whose ATTEST answers verify
 * up to that CA over the real socket, the CA key never reaches the state file, a token
 * provisioned without them answers ATTEST 6985, and bad CA files are refused in words. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "emu_client.h"
#include "piv.h"
#include "tlv.h"

typedef emu_fixture fixture;

typedef struct {
	char cert[EMU_PATH_MAX + 32];
	char key[EMU_PATH_MAX + 32];
} ca_files;

static const uint8_t gen_p256[] = {0xAC, 0x03, 0x80, 0x01, PIV_ALG_ECCP256};
static const uint8_t get_f9_cert[] = {0x5C, 0x03, 0x5F, 0xFF, 0x01};

/* --make-attestation-ca into the fixture's directory. */
static void make_ca(fixture *f, ca_files *ca)
{
	const char *args[] = {"--make-attestation-ca", f->p.dir, NULL};
	char out[512];

	assert_int_equal(emu_run(args, out, sizeof(out)), 0);
	snprintf(ca->cert, sizeof(ca->cert), "%s/attestation-ca.pem", f->p.dir);
	snprintf(ca->key, sizeof(ca->key), "%s/attestation-ca.key", f->p.dir);
	assert_non_null(strstr(out, ca->cert));
}

static void *read_pem(const char *path, bool key)
{
	FILE *fp = fopen(path, "r");
	void *obj;

	assert_non_null(fp);
	obj = key ? (void *)PEM_read_PrivateKey(fp, NULL, NULL, NULL) :
	            (void *)PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	assert_non_null(obj);
	return obj;
}

static uint8_t *read_all(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf = malloc(256 * 1024);

	assert_non_null(fp);
	assert_non_null(buf);
	*len = fread(buf, 1, 256 * 1024, fp);
	fclose(fp);
	return buf;
}

static void make_attestation_ca_writes_a_ca_and_a_private_key(void **state)
{
	fixture *f = *state;
	const char *again[] = {"--make-attestation-ca", f->p.dir, NULL};
	char out[512];
	struct stat sb;
	ca_files ca;
	X509 *cert;
	EVP_PKEY *key;
	uint8_t *before;
	size_t before_len, after_len;

	make_ca(f, &ca);
	assert_int_equal(stat(ca.key, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	cert = read_pem(ca.cert, false);
	key = read_pem(ca.key, true);
	assert_int_equal(X509_check_private_key(cert, key), 1);
	assert_int_not_equal(X509_check_ca(cert), 0);
	/* A second run never replaces a CA. */
	before = read_all(ca.key, &before_len);
	assert_int_equal(emu_run(again, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "already exists"));
	free(read_all(ca.key, &after_len));
	assert_int_equal(after_len, before_len);
	free(before);
	EVP_PKEY_free(key);
	X509_free(cert);
}

/* The raw private scalar of the CA's EC key. */
static size_t ca_private_scalar(const char *key_path, uint8_t *out, size_t cap)
{
	EVP_PKEY *key = read_pem(key_path, true);
	BIGNUM *d = NULL;
	int n;

	assert_int_equal(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &d), 1);
	n = BN_bn2binpad(d, out, (int)cap);
	assert_true(n > 0);
	BN_clear_free(d);
	EVP_PKEY_free(key);
	return (size_t)n;
}

static void attestation_over_the_socket_verifies_and_the_ca_key_stays_out(void **state)
{
	fixture *f = *state;
	uint8_t out[4096], scalar[32];
	size_t n = 0, f9_len = 0, state_len, scalar_len;
	const unsigned char *p;
	tlv_item outer, cert;
	X509 *ca, *f9, *leaf;
	X509_STORE *store;
	X509_STORE_CTX *ctx;
	STACK_OF(X509) * chain;
	uint8_t *state_bytes, *key_pem;
	ca_files ca_paths;

	make_ca(f, &ca_paths);
	{
		const char *init[] = {"--serial",
		                      "31337",
		                      "--attestation-ca-cert",
		                      ca_paths.cert,
		                      "--attestation-ca-key",
		                      ca_paths.key,
		                      NULL};

		assert_int_equal(emu_fixture_serve(f, init), 0);
	}
	assert_int_equal(emu_select(&f->c), SW_OK);
	assert_int_equal(emu_auth_default_mgmt(&f->c), 0);
	assert_int_equal(emu_apdu(&f->c, PIV_INS_GENERATE_KEY, 0x00, PIV_KEY_AUTH, gen_p256,
	                          sizeof(gen_p256), false, out, sizeof(out), &n),
	                 SW_OK);
	assert_int_equal(emu_apdu(&f->c, PIV_INS_GET_DATA, 0x3F, 0xFF, get_f9_cert,
	                          sizeof(get_f9_cert), false, out, sizeof(out), &f9_len),
	                 SW_OK);
	assert_int_equal(tlv_parse(out, f9_len, &outer), TLV_OK);
	assert_int_equal(tlv_parse(outer.value, outer.len, &cert), TLV_OK);
	assert_int_equal(cert.tag, PIV_TLV_CERT);
	p = cert.value;
	f9 = d2i_X509(NULL, &p, (long)cert.len);
	assert_non_null(f9);
	/* Short APDUs: the certificate comes back in 61xx pieces. */
	assert_int_equal(emu_apdu(&f->c, PIV_INS_ATTEST, PIV_KEY_AUTH, 0x00, NULL, 0, false, out,
	                          sizeof(out), &n),
	                 SW_OK);
	p = out;
	leaf = d2i_X509(NULL, &p, (long)n);
	assert_non_null(leaf);

	ca = read_pem(ca_paths.cert, false);
	store = X509_STORE_new();
	ctx = X509_STORE_CTX_new();
	chain = sk_X509_new_null();
	assert_int_equal(X509_STORE_add_cert(store, ca), 1);
	assert_int_equal(sk_X509_push(chain, f9), 1);
	assert_int_equal(X509_STORE_CTX_init(ctx, store, leaf, chain), 1);
	assert_int_equal(X509_verify_cert(ctx), 1);

	/* The state holds neither the CA key's PEM nor its private scalar. */
	state_bytes = read_all(f->p.state, &state_len);
	key_pem = read_all(ca_paths.key, &n);
	scalar_len = ca_private_scalar(ca_paths.key, scalar, sizeof(scalar));
	assert_null(memmem(state_bytes, state_len, scalar, scalar_len));
	assert_null(memmem(state_bytes, state_len, key_pem, n));
	free(key_pem);
	free(state_bytes);

	/* The attestation key survives a restart. */
	assert_int_equal(emu_fixture_restart(f), 0);
	assert_int_equal(emu_select(&f->c), SW_OK);
	assert_int_equal(emu_apdu(&f->c, PIV_INS_ATTEST, PIV_KEY_AUTH, 0x00, NULL, 0, false, out,
	                          sizeof(out), &n),
	                 SW_OK);

	X509_STORE_CTX_free(ctx);
	sk_X509_free(chain);
	X509_STORE_free(store);
	X509_free(ca);
	X509_free(leaf);
	X509_free(f9);
}

static void token_provisioned_without_a_ca_answers_attest_6985(void **state)
{
	fixture *f = *state;
	uint8_t out[512];
	size_t n = 0;

	assert_int_equal(emu_fixture_serve(f, NULL), 0);
	assert_int_equal(emu_select(&f->c), SW_OK);
	assert_int_equal(emu_auth_default_mgmt(&f->c), 0);
	assert_int_equal(emu_apdu(&f->c, PIV_INS_GENERATE_KEY, 0x00, PIV_KEY_AUTH, gen_p256,
	                          sizeof(gen_p256), false, out, sizeof(out), &n),
	                 SW_OK);
	assert_int_equal(emu_apdu(&f->c, PIV_INS_ATTEST, PIV_KEY_AUTH, 0x00, NULL, 0, false, out,
	                          sizeof(out), &n),
	                 SW_CONDITIONS_NOT_SATISFIED);
}

/* --init with CA files that cannot serve: the exit status, the message, and no token. */
static void assert_init_refused(fixture *f, const char *cert, const char *key, int status,
                                const char *words)
{
	const char *init[] = {"--attestation-ca-cert", cert, "--attestation-ca-key", key, NULL};
	char out[1024];

	assert_int_equal(emu_init(&f->p, init, out, sizeof(out)), status);
	if (strstr(out, words) == NULL)
		fail_msg("'%s' not in: %s", words, out);
	assert_int_not_equal(access(f->p.state, F_OK), 0);
}

static void init_refuses_bad_ca_files_in_words(void **state)
{
	fixture *f = *state;
	const char *one_only[] = {"--attestation-ca-cert", "x.pem", NULL};
	const char *piv[] =
		{"--profile", "piv", "--attestation-ca-cert", "x.pem", "--attestation-ca-key",
	         "x.key",     NULL};
	char out[1024], missing[EMU_PATH_MAX + 16];
	ca_files ca, other;
	fixture second;

	make_ca(f, &ca);
	memset(&second, 0, sizeof(second));
	assert_int_equal(emu_proc_setup(&second.p), 0);
	make_ca(&second, &other);
	snprintf(missing, sizeof(missing), "%s/none.pem", f->p.dir);

	assert_init_refused(f, missing, ca.key, 1, "cannot read the attestation CA certificate");
	assert_init_refused(f, ca.cert, missing, 1, "cannot read the attestation CA key");
	assert_init_refused(f, ca.key, ca.key, 1, "not a PEM certificate");
	assert_init_refused(f, ca.cert, ca.cert, 1, "not an unencrypted PEM private key");
	assert_init_refused(f, ca.cert, other.key, 1, "is not the key of");
	assert_int_equal(emu_init(&f->p, one_only, out, sizeof(out)), 2);
	assert_non_null(strstr(out, "go together"));
	assert_int_equal(emu_init(&f->p, piv, out, sizeof(out)), 2);
	assert_non_null(strstr(out, "not with --profile piv"));
	emu_proc_teardown(&second.p);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, emu_fixture_setup_dir, emu_fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(make_attestation_ca_writes_a_ca_and_a_private_key),
		T(attestation_over_the_socket_verifies_and_the_ca_key_stays_out),
		T(token_provisioned_without_a_ca_answers_attest_6985),
		T(init_refuses_bad_ca_files_in_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
