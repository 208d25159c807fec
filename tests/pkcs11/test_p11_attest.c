/* Attestation through the module: CKA_KINKO_ATTESTATION of keys generated with
 * C_GenerateKeyPair verifies against the F9 certificate object and the manufacturer CA
 * (kinko-token-emu --make-attestation-ca) and holds the key's public key; a token without
 * attestation key answers as for an attribute the key does not have; the F9 certificate
 * object's attributes; what it costs in APDUs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "capture_test_util.h"
#include "kinko-pkcs11.h"
#include "p11_obj_test_util.h"
#include "tmpdir_test_util.h"

static const CK_BYTE id_9a = KINKO_CKA_ID_9A, id_82 = KINKO_CKA_ID_82;
static const CK_BYTE id_f9 = KINKO_CKA_ID_ATTESTATION;

typedef struct {
	p11t t; /* first: teardown frees the fixture */
	char dir[256];
	char ca_cert[320];
	X509 *ca;
	tkit_capture cap;
} attest_fixture;

static int fixture_setup(void **state, bool with_ca, const char *profile)
{
	attest_fixture *f = calloc(1, sizeof(*f));
	const char *make[] = {"--make-attestation-ca", f ? f->dir : NULL, NULL};
	char ca_key[320], out[512];
	const char *init[8];
	size_t n = 0;
	FILE *fp;

	if (!f || tkit_tmpdir_make(f->dir, sizeof(f->dir), "attest") != 0)
		return -1;
	f->cap = (tkit_capture)TKIT_CAPTURE_OFF;
	make[1] = f->dir;
	snprintf(f->ca_cert, sizeof(f->ca_cert), "%s/attestation-ca.pem", f->dir);
	snprintf(ca_key, sizeof(ca_key), "%s/attestation-ca.key", f->dir);
	if (with_ca) {
		if (emu_run(make, out, sizeof(out)) != 0)
			return -1;
		fp = fopen(f->ca_cert, "r");
		if (!fp)
			return -1;
		f->ca = PEM_read_X509(fp, NULL, NULL, NULL);
		fclose(fp);
		init[n++] = "--attestation-ca-cert";
		init[n++] = f->ca_cert;
		init[n++] = "--attestation-ca-key";
		init[n++] = ca_key;
	}
	init[n++] = "--profile";
	init[n++] = profile;
	init[n] = NULL;
	*state = f;
	return p11t_setup(&f->t, 1, init);
}

static int kinko_ca_setup(void **state)
{
	return fixture_setup(state, true, "kinko");
}

static int yubikey_ca_setup(void **state)
{
	return fixture_setup(state, true, "yubikey");
}

static int kinko_plain_setup(void **state)
{
	return fixture_setup(state, false, "kinko");
}

static int piv_setup(void **state)
{
	return fixture_setup(state, false, "piv");
}

static int fixture_teardown(void **state)
{
	attest_fixture *f = *state;
	char path[320];

	if (!f)
		return 0;
	tkit_capture_abort(&f->cap);
	p11t_teardown(&f->t);
	X509_free(f->ca);
	snprintf(path, sizeof(path), "%s/attestation-ca.key", f->dir);
	unlink(path);
	unlink(f->ca_cert);
	rmdir(f->dir);
	free(f);
	return 0;
}

static X509 *der_cert(const CK_BYTE *der, CK_ULONG len)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);

	assert_non_null(x);
	assert_ptr_equal(p, der + len);
	return x;
}

static CK_OBJECT_HANDLE find_f9(p11t *t)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof(cls)}, {CKA_ID, (void *)&id_f9, 1}};
	CK_OBJECT_HANDLE h[2];

	assert_int_equal(objt_find(t, tmpl, 2, h, 2), 1);
	return h[0];
}

/* attestation -> F9 certificate (untrusted, from the object) -> the CA (trusted). */
static void assert_chain(X509 *ca, X509 *att, X509 *f9)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *chain = sk_X509_new_null();

	assert_non_null(store);
	assert_non_null(ctx);
	assert_non_null(chain);
	assert_int_equal(X509_STORE_add_cert(store, ca), 1);
	assert_int_equal(sk_X509_push(chain, f9), 1);
	assert_int_equal(X509_STORE_CTX_init(ctx, store, att, chain), 1);
	if (X509_verify_cert(ctx) != 1)
		fail_msg("attestation does not verify: %s",
		         X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
	sk_X509_free(chain);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
}

static void check_generated_key(attest_fixture *f, CK_ULONG bits, const char *curve,
                                const CK_BYTE *id)
{
	p11t *t = &f->t;
	CK_OBJECT_HANDLE pub, priv, f9h;
	CK_BYTE *att_der, *f9_der, *pub_att;
	CK_ULONG att_len = 0, f9_len = 0, len = 0;
	EVP_PKEY *key;
	X509 *att, *f9;

	p11t_generate(t, bits, curve, id, 1, &pub, &priv);
	att_der = objt_bytes(t, priv, CKA_KINKO_ATTESTATION, &att_len);
	f9h = find_f9(t);
	f9_der = objt_bytes(t, f9h, CKA_VALUE, &f9_len);
	att = der_cert(att_der, att_len);
	f9 = der_cert(f9_der, f9_len);
	assert_chain(f->ca, att, f9);
	key = objt_pubkey(t, pub);
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(att), key), 1);
	/* the public key object has it too */
	pub_att = objt_bytes(t, pub, CKA_KINKO_ATTESTATION, &len);
	X509_free(att);
	att = der_cert(pub_att, len);
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(att), key), 1);
	free(pub_att);
	EVP_PKEY_free(key);
	X509_free(att);
	X509_free(f9);
	free(att_der);
	free(f9_der);
}

static void generated_rsa_and_p256_keys_are_attested_by_f9_and_the_ca(void **state)
{
	attest_fixture *f = *state;

	p11t_login(&f->t);
	check_generated_key(f, 2048, NULL, &id_9a);
	check_generated_key(f, 0, "P-256", &id_82);
}

static void yubikey_profile_keys_are_attested_too(void **state)
{
	attest_fixture *f = *state;

	p11t_login(&f->t);
	check_generated_key(f, 0, "P-256", &id_9a);
}

/* PKCS#11 3.0, 5.7.5 (C_GetAttributeValue): an attribute the object does not possess is
 * ulValueLen CK_UNAVAILABLE_INFORMATION and CKR_ATTRIBUTE_TYPE_INVALID; the other
 * attributes of the same call are still answered. */
static void assert_no_attestation(p11t *t, CK_OBJECT_HANDLE h)
{
	CK_BBOOL local = CK_FALSE;
	CK_ATTRIBUTE tmpl[] = {{CKA_KINKO_ATTESTATION, NULL, 0},
	                       {CKA_LOCAL, &local, sizeof(local)}};
	CK_BYTE buf[2048];

	assert_int_equal(t->f->C_GetAttributeValue(t->session, h, tmpl, 2),
	                 CKR_ATTRIBUTE_TYPE_INVALID);
	assert_true(tmpl[0].ulValueLen == CK_UNAVAILABLE_INFORMATION);
	assert_int_equal(tmpl[1].ulValueLen, sizeof(local));
	assert_int_equal(local, CK_TRUE);
	tmpl[0].pValue = buf;
	tmpl[0].ulValueLen = sizeof(buf);
	assert_int_equal(t->f->C_GetAttributeValue(t->session, h, tmpl, 1),
	                 CKR_ATTRIBUTE_TYPE_INVALID);
	assert_true(tmpl[0].ulValueLen == CK_UNAVAILABLE_INFORMATION);
}

static void token_without_attestation_key_answers_attribute_type_invalid(void **state)
{
	attest_fixture *f = *state;
	p11t *t = &f->t;
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof(cls)}, {CKA_ID, (void *)&id_f9, 1}};
	CK_OBJECT_HANDLE pub, priv, h[2];
	char *text;

	p11t_login(t);
	p11t_generate(t, 0, "P-256", &id_9a, 1, &pub, &priv);
	assert_int_equal(objt_find(t, tmpl, 2, h, 2), 0);
	tkit_capture_begin(&f->cap);
	assert_no_attestation(t, priv);
	assert_no_attestation(t, pub);
	text = tkit_capture_end(&f->cap);
	/* kinko's inventory lists no 5FFF01: no ATTEST sent at all */
	assert_int_equal(tkit_trace_apdus(text), 0);
	free(text);
}

/* A plain PIV card has no ATTEST (6D00): asked once, never again while the cache lives. */
static void plain_piv_card_is_asked_to_attest_once(void **state)
{
	attest_fixture *f = *state;
	p11t *t = &f->t;
	CK_OBJECT_HANDLE pub, priv;
	char *text;

	p11t_login(t);
	p11t_generate(t, 0, "P-256", &id_9a, 1, &pub, &priv);
	tkit_capture_begin(&f->cap);
	assert_no_attestation(t, priv);
	text = tkit_capture_end(&f->cap);
	/* ATTEST, and the driver's VERIFY probe any 6D00 to a command beyond PIV's core gets
	 * (was the applet deselected underneath?) */
	assert_int_equal(tkit_trace_apdus(text), 2);
	free(text);
	tkit_capture_begin(&f->cap);
	assert_no_attestation(t, pub);
	assert_no_attestation(t, priv);
	text = tkit_capture_end(&f->cap);
	assert_int_equal(tkit_trace_apdus(text), 0);
	free(text);
}

static void f9_certificate_object_is_an_authority_without_keys_and_read_only(void **state)
{
	attest_fixture *f = *state;
	p11t *t = &f->t;
	static const objt_bool_want want[] = {
		{CKA_TOKEN, true},        {CKA_PRIVATE, false}, {CKA_MODIFIABLE, false},
		{CKA_DESTROYABLE, false}, {CKA_TRUSTED, false}, {CKA_COPYABLE, false},
	};
	CK_OBJECT_CLASS key_cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE keys[] = {{CKA_CLASS, &key_cls, sizeof(key_cls)}, {CKA_ID, (void *)&id_f9, 1}};
	CK_ATTRIBUTE by_id[] = {{CKA_ID, (void *)&id_f9, 1}};
	CK_ATTRIBUTE set[] = {{CKA_ID, (void *)&id_9a, 1}};
	CK_OBJECT_HANDLE h, found[4];
	CK_BYTE *label, *der;
	CK_ULONG len = 0;
	X509 *f9;

	p11t_login(t);
	h = find_f9(t);
	assert_int_equal(objt_ulong(t, h, CKA_CLASS), CKO_CERTIFICATE);
	assert_int_equal(objt_ulong(t, h, CKA_CERTIFICATE_TYPE), CKC_X_509);
	assert_int_equal(objt_ulong(t, h, CKA_CERTIFICATE_CATEGORY), 2);
	objt_assert_bools(t, h, want, sizeof(want) / sizeof(want[0]));
	label = objt_bytes(t, h, CKA_LABEL, &len);
	assert_int_equal(len, strlen("PIV Attestation"));
	assert_memory_equal(label, "PIV Attestation", len);
	free(label);
	/* it is the token's F9 certificate: issued by the CA */
	der = objt_bytes(t, h, CKA_VALUE, &len);
	f9 = der_cert(der, len);
	assert_int_equal(X509_verify(f9, X509_get0_pubkey(f->ca)), 1);
	X509_free(f9);
	free(der);
	/* no key has its CKA_ID: nothing pairs it with a private key */
	assert_int_equal(objt_find(t, keys, 2, found, 4), 0);
	key_cls = CKO_PUBLIC_KEY;
	assert_int_equal(objt_find(t, keys, 2, found, 4), 0);
	assert_int_equal(objt_find(t, by_id, 1, found, 4), 1);
	/* listed among the certificates */
	assert_int_equal(objt_count_class(t, CKO_CERTIFICATE), 1);
	assert_int_equal(t->f->C_DestroyObject(t->session, h), CKR_ACTION_PROHIBITED);
	assert_int_equal(t->f->C_SetAttributeValue(t->session, h, set, 1), CKR_ATTRIBUTE_READ_ONLY);
	assert_int_equal(find_f9(t), h);
}

/* A length query then the read: one ATTEST, and the length announced is the length read;
 * the next read is a new ATTEST (a new certificate). */
static void attestation_costs_one_apdu_per_query_and_read(void **state)
{
	attest_fixture *f = *state;
	p11t *t = &f->t;
	CK_OBJECT_HANDLE pub, priv;
	CK_BYTE *first, *second;
	CK_ULONG len1 = 0, len2 = 0;
	X509 *a, *b;
	char *text;

	p11t_login(t);
	p11t_generate(t, 0, "P-256", &id_9a, 1, &pub, &priv);
	tkit_capture_begin(&f->cap);
	first = objt_bytes(t, priv, CKA_KINKO_ATTESTATION, &len1);
	text = tkit_capture_end(&f->cap);
	assert_int_equal(tkit_trace_apdus(text), 1);
	free(text);
	tkit_capture_begin(&f->cap);
	second = objt_bytes(t, priv, CKA_KINKO_ATTESTATION, &len2);
	text = tkit_capture_end(&f->cap);
	assert_int_equal(tkit_trace_apdus(text), 1);
	free(text);
	a = der_cert(first, len1);
	b = der_cert(second, len2);
	assert_int_not_equal(ASN1_INTEGER_cmp(X509_get0_serialNumber(a), X509_get0_serialNumber(b)),
	                     0);
	X509_free(a);
	X509_free(b);
	free(first);
	free(second);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			generated_rsa_and_p256_keys_are_attested_by_f9_and_the_ca, kinko_ca_setup,
			fixture_teardown),
		cmocka_unit_test_setup_teardown(yubikey_profile_keys_are_attested_too,
	                                        yubikey_ca_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(
			token_without_attestation_key_answers_attribute_type_invalid,
			kinko_plain_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(plain_piv_card_is_asked_to_attest_once, piv_setup,
	                                        fixture_teardown),
		cmocka_unit_test_setup_teardown(
			f9_certificate_object_is_an_authority_without_keys_and_read_only,
			kinko_ca_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(attestation_costs_one_apdu_per_query_and_read,
	                                        kinko_ca_setup, fixture_teardown),
	};

	/* read once per process by the module: before its first APDU */
	setenv("KINKO_DEBUG", "apdu", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
