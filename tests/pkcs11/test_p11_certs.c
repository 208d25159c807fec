/* Certificates through the module: writing one for a token key with C_CreateObject and
 * reading its attributes back, refusing one that is not for the slot's key, destroying
 * certificates and keys, the management key those writes need, and seeing what another
 * process changed on the token. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kinko-pkcs11.h"
#include "p11_clock_test_util.h"
#include "p11_obj_test_util.h"
#include "tmpdir_test_util.h"

static const CK_BYTE id_9a = 0x01;

/* A certificate made for the public key of a token key, by a throwaway CA. */
static void assert_bytes(p11t *t, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type, const void *want,
                         size_t len)
{
	CK_ULONG n = 0;
	CK_BYTE *v = objt_bytes(t, h, type, &n);

	assert_int_equal(n, len);
	if (len)
		assert_memory_equal(v, want, len);
	free(v);
}

/* The attribute is the DER an OpenSSL i2d_* gave (n bytes at *enc), which is freed. */
static void assert_der(p11t *t, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type, unsigned char **enc,
                       int n)
{
	assert_true(n > 0);
	assert_bytes(t, h, type, *enc, (size_t)n);
	OPENSSL_free(*enc);
	*enc = NULL;
}

static void certificate_written_for_a_key_reads_back(void **state)
{
	p11t *t = *state;
	CK_OBJECT_HANDLE pub, priv, cert = 0;
	unsigned char *der, *enc = NULL, md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	size_t len = 0;
	int n;
	X509 *x;

	p11t_generate(t, 0, "P-256", &id_9a, 1, &pub, &priv);
	der = objt_cert_for(t, pub, "kinko test user", &len, &x);
	assert_int_equal(objt_write_cert(t, der, len, 0x01, &cert), CKR_OK);
	assert_true(cert != 0);
	assert_int_equal(p11t_find_one(t, CKO_CERTIFICATE, &id_9a, 1), cert);

	assert_int_equal(objt_ulong(t, cert, CKA_CLASS), CKO_CERTIFICATE);
	assert_int_equal(objt_ulong(t, cert, CKA_CERTIFICATE_TYPE), CKC_X_509);
	assert_int_equal(objt_ulong(t, cert, CKA_CERTIFICATE_CATEGORY), 1);
	assert_int_equal(objt_ulong(t, cert, CKA_JAVA_MIDP_SECURITY_DOMAIN), 0);
	assert_true(objt_bool(t, cert, CKA_TOKEN));
	assert_false(objt_bool(t, cert, CKA_PRIVATE));
	assert_false(objt_bool(t, cert, CKA_MODIFIABLE));
	assert_false(objt_bool(t, cert, CKA_TRUSTED));
	assert_bytes(t, cert, CKA_ID, &id_9a, 1);
	assert_bytes(t, cert, CKA_LABEL, "PIV Authentication", 18);
	assert_bytes(t, cert, CKA_VALUE, der, len);
	assert_bytes(t, cert, CKA_START_DATE, "20240102", 8);
	assert_bytes(t, cert, CKA_END_DATE, "20250203", 8);
	assert_bytes(t, cert, CKA_URL, NULL, 0);
	assert_bytes(t, cert, CKA_HASH_OF_SUBJECT_PUBLIC_KEY, NULL, 0);
	assert_true(EVP_Digest(der, len, md, &md_len, EVP_sha1(), NULL));
	assert_bytes(t, cert, CKA_CHECK_VALUE, md, 3);
	n = i2d_X509_NAME(X509_get_subject_name(x), &enc);
	assert_bytes(t, cert, CKA_SUBJECT, enc, (size_t)n);
	/* the keys of the slot now carry the certificate's subject */
	assert_bytes(t, priv, CKA_SUBJECT, enc, (size_t)n);
	assert_bytes(t, pub, CKA_SUBJECT, enc, (size_t)n);
	OPENSSL_free(enc);
	enc = NULL;
	n = i2d_X509_NAME(X509_get_issuer_name(x), &enc);
	assert_der(t, cert, CKA_ISSUER, &enc, n);
	n = i2d_ASN1_INTEGER(X509_get0_serialNumber(x), &enc);
	assert_der(t, cert, CKA_SERIAL_NUMBER, &enc, n);
	n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &enc);
	assert_der(t, cert, CKA_PUBLIC_KEY_INFO, &enc, n);
	X509_free(x);
	OPENSSL_free(der);
}

/* One label for the certificate and both halves of its key, so a pkcs11: URI with the
 * certificate's id and label (kinko's, p11tool's) names the key too in p11tool and libp11. */
static void certificate_and_its_keys_share_the_slot_label(void **state)
{
	static const struct {
		CK_BYTE id;
		const char *label;
	} slots[] = {
		{0x01, "PIV Authentication"},
		{0x05, "Retired Key 1"},
		{0x18, "Retired Key 20"},
	};
	p11t *t = *state;
	CK_OBJECT_HANDLE pub, priv, cert;
	unsigned char *der;
	size_t len = 0, i;

	for (i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
		size_t n = strlen(slots[i].label);

		p11t_generate(t, 0, "P-256", &slots[i].id, 1, &pub, &priv);
		der = objt_cert_for(t, pub, "kinko shared label", &len, NULL);
		assert_int_equal(objt_write_cert(t, der, len, slots[i].id, &cert), CKR_OK);
		assert_bytes(t, cert, CKA_LABEL, slots[i].label, n);
		assert_bytes(t, priv, CKA_LABEL, slots[i].label, n);
		assert_bytes(t, pub, CKA_LABEL, slots[i].label, n);
		OPENSSL_free(der);
	}
}

static void certificate_without_cn_is_named_for_its_slot(void **state)
{
	p11t *t = *state;
	CK_OBJECT_HANDLE pub, priv, cert;
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_ATTRIBUTE by_label[] = {{CKA_CLASS, &cls, sizeof(cls)},
	                           {CKA_LABEL, "Digital Signature", 17}};
	CK_OBJECT_HANDLE h[4];
	unsigned char *der;
	size_t len = 0;

	p11t_generate(t, 0, "P-256", (const CK_BYTE *)"\x02", 1, &pub, &priv);
	der = objt_cert_for(t, pub, NULL, &len, NULL);
	assert_int_equal(objt_write_cert(t, der, len, 0x02, &cert), CKR_OK);
	assert_bytes(t, cert, CKA_LABEL, "Digital Signature", 17);
	assert_int_equal(objt_find(t, by_label, 2, h, 4), 1);
	assert_int_equal(h[0], cert);
	OPENSSL_free(der);
}

static void certificate_not_for_the_slot_key_is_refused(void **state)
{
	p11t *t = *state;
	CK_OBJECT_HANDLE pub, priv, cert = 0;
	EVP_PKEY *other = objt_ec_key();
	X509 *x = objt_cert(other, "stranger", other);
	size_t len = 0, good_len = 0;
	unsigned char *der = objt_cert_der(x, &len), *good;

	p11t_generate(t, 0, "P-256", &id_9a, 1, &pub, &priv);
	assert_int_equal(objt_write_cert(t, der, len, 0x01, &cert), CKR_ATTRIBUTE_VALUE_INVALID);
	/* no key in 9C at all */
	good = objt_cert_for(t, pub, "user", &good_len, NULL);
	assert_int_equal(objt_write_cert(t, good, good_len, 0x02, &cert),
	                 CKR_ATTRIBUTE_VALUE_INVALID);
	/* not a certificate */
	assert_int_equal(objt_write_cert(t, good, good_len - 1, 0x01, &cert),
	                 CKR_ATTRIBUTE_VALUE_INVALID);
	assert_int_equal(objt_write_cert(t, good, good_len, 0x00, &cert),
	                 CKR_ATTRIBUTE_VALUE_INVALID);
	assert_int_equal(objt_count_class(t, CKO_CERTIFICATE), 0);
	/* the right one is taken once; a second one wants the first destroyed */
	assert_int_equal(objt_write_cert(t, good, good_len, 0x01, &cert), CKR_OK);
	assert_int_equal(objt_write_cert(t, good, good_len, 0x01, &cert),
	                 CKR_ATTRIBUTE_VALUE_INVALID);
	assert_int_equal(objt_count_class(t, CKO_CERTIFICATE), 1);
	OPENSSL_free(der);
	OPENSSL_free(good);
	X509_free(x);
	EVP_PKEY_free(other);
}

static void create_object_refuses_what_a_piv_token_cannot_hold(void **state)
{
	p11t *t = *state;
	CK_OBJECT_CLASS data = CKO_DATA, cert_cls = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE x509 = CKC_X_509;
	CK_BBOOL no = CK_FALSE, yes = CK_TRUE;
	CK_BYTE id = 0x01;
	CK_ATTRIBUTE data_obj[] = {{CKA_CLASS, &data, sizeof(data)},
	                           {CKA_TOKEN, &yes, 1},
	                           {CKA_VALUE, "x", 1}};
	CK_ATTRIBUTE no_id[] = {{CKA_CLASS, &cert_cls, sizeof(cert_cls)},
	                        {CKA_CERTIFICATE_TYPE, &x509, sizeof(x509)},
	                        {CKA_TOKEN, &yes, 1},
	                        {CKA_VALUE, "x", 1}};
	CK_ATTRIBUTE session_obj[] = {{CKA_CLASS, &cert_cls, sizeof(cert_cls)},
	                              {CKA_CERTIFICATE_TYPE, &x509, sizeof(x509)},
	                              {CKA_TOKEN, &no, 1},
	                              {CKA_ID, &id, 1},
	                              {CKA_VALUE, "x", 1}};
	CK_ATTRIBUTE trusted[] = {{CKA_CLASS, &cert_cls, sizeof(cert_cls)},
	                          {CKA_CERTIFICATE_TYPE, &x509, sizeof(x509)},
	                          {CKA_TOKEN, &yes, 1},
	                          {CKA_TRUSTED, &yes, 1},
	                          {CKA_ID, &id, 1},
	                          {CKA_VALUE, "x", 1}};
	CK_OBJECT_HANDLE pub, priv, h = 0;
	CK_SESSION_HANDLE ro;
	unsigned char *der;
	size_t len = 0;

	/* the token stores certificates only; a session certificate must be one */
	assert_int_equal(t->f->C_CreateObject(t->session, data_obj, 3, &h),
	                 CKR_TEMPLATE_INCONSISTENT);
	assert_int_equal(t->f->C_CreateObject(t->session, no_id, 4, &h), CKR_TEMPLATE_INCOMPLETE);
	assert_int_equal(t->f->C_CreateObject(t->session, session_obj, 5, &h),
	                 CKR_ATTRIBUTE_VALUE_INVALID);
	assert_int_equal(t->f->C_CreateObject(t->session, trusted, 6, &h), CKR_ATTRIBUTE_READ_ONLY);

	p11t_login(t);
	p11t_generate(t, 0, "P-256", &id, 1, &pub, &priv);
	der = objt_cert_for(t, pub, "user", &len, NULL);
	assert_int_equal(t->f->C_OpenSession(t->slots[0], CKF_SERIAL_SESSION, NULL, NULL, &ro),
	                 CKR_OK);
	{
		CK_ATTRIBUTE ok[] = {{CKA_CLASS, &cert_cls, sizeof(cert_cls)},
		                     {CKA_CERTIFICATE_TYPE, &x509, sizeof(x509)},
		                     {CKA_TOKEN, &yes, 1},
		                     {CKA_ID, &id, 1},
		                     {CKA_VALUE, der, len}};

		assert_int_equal(t->f->C_CreateObject(ro, ok, 5, &h), CKR_SESSION_READ_ONLY);
		assert_int_equal(t->f->C_Logout(t->session), CKR_OK);
		assert_int_equal(t->f->C_CreateObject(t->session, ok, 5, &h),
		                 CKR_USER_NOT_LOGGED_IN);
		assert_int_equal(t->f->C_CreateObject(t->session, ok, 5, NULL), CKR_ARGUMENTS_BAD);
	}
	assert_int_equal(t->f->C_CloseSession(ro), CKR_OK);
	OPENSSL_free(der);
}

/* ---- destroying ---- */

static void destroying_a_certificate_keeps_the_key(void **state)
{
	p11t *t = *state;
	CK_OBJECT_HANDLE pub, priv, cert;
	unsigned char *der;
	size_t len = 0;
	CK_ULONG n = 0;

	p11t_generate(t, 0, "P-384", &id_9a, 1, &pub, &priv);
	der = objt_cert_for(t, pub, "user", &len, NULL);
	assert_int_equal(objt_write_cert(t, der, len, 0x01, &cert), CKR_OK);
	assert_int_equal(t->f->C_DestroyObject(t->session, cert), CKR_OK);
	assert_int_equal(objt_count_class(t, CKO_CERTIFICATE), 0);
	assert_int_equal(objt_attr(t, cert, CKA_CLASS, NULL, 0, &n), CKR_OBJECT_HANDLE_INVALID);
	assert_int_equal(t->f->C_DestroyObject(t->session, cert), CKR_OBJECT_HANDLE_INVALID);
	assert_int_equal(p11t_find_one(t, CKO_PRIVATE_KEY, &id_9a, 1), priv);
	/* and the slot takes a certificate again */
	assert_int_equal(objt_write_cert(t, der, len, 0x01, &cert), CKR_OK);
	OPENSSL_free(der);
}

static void destroying_a_private_key_empties_the_slot(void **state)
{
	p11t *t = *state;
	CK_OBJECT_HANDLE pub, priv, cert, pub2, priv2;
	CK_SESSION_HANDLE ro;
	unsigned char *der;
	size_t len = 0;

	p11t_generate(t, 0, "P-256", &id_9a, 1, &pub, &priv);
	der = objt_cert_for(t, pub, "user", &len, NULL);
	assert_int_equal(objt_write_cert(t, der, len, 0x01, &cert), CKR_OK);
	/* the public key goes with its private key, not alone */
	assert_int_equal(t->f->C_DestroyObject(t->session, pub), CKR_ACTION_PROHIBITED);
	assert_int_equal(t->f->C_OpenSession(t->slots[0], CKF_SERIAL_SESSION, NULL, NULL, &ro),
	                 CKR_OK);
	assert_int_equal(t->f->C_DestroyObject(ro, priv), CKR_SESSION_READ_ONLY);
	assert_int_equal(t->f->C_CloseSession(ro), CKR_OK);

	assert_int_equal(t->f->C_DestroyObject(t->session, priv), CKR_OK);
	assert_int_equal(objt_count_class(t, CKO_PRIVATE_KEY), 0);
	assert_int_equal(objt_count_class(t, CKO_PUBLIC_KEY), 0);
	assert_int_equal(objt_count_class(t, CKO_CERTIFICATE), 0);
	/* a new key fits the emptied slot */
	p11t_generate(t, 0, "P-256", NULL, 0, &pub2, &priv2);
	assert_int_equal(p11t_find_one(t, CKO_PRIVATE_KEY, &id_9a, 1), priv2);
	OPENSSL_free(der);
}

/* ---- another process changes the token ---- */

/* A second module instance, in a child process, generates a P-256 key with this id. */
static void child_generates(p11t *t, CK_BYTE id)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		CK_SESSION_HANDLE s;
		CK_SLOT_ID slot;
		CK_ULONG n = 1;
		CK_MECHANISM m = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
		static const CK_BYTE p256[] = {0x06, 0x08, 0x2A, 0x86, 0x48,
		                               0xCE, 0x3D, 0x03, 0x01, 0x07};
		CK_ATTRIBUTE pub[] = {{CKA_EC_PARAMS, (void *)p256, sizeof(p256)},
		                      {CKA_ID, &id, 1}};
		CK_OBJECT_HANDLE a, b;
		int ok = t->f->C_Initialize(NULL) == CKR_OK &&
		         t->f->C_GetSlotList(CK_TRUE, &slot, &n) == CKR_OK && n == 1 &&
		         t->f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
		                             &s) == CKR_OK &&
		         t->f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR) "123456", 6) == CKR_OK &&
		         t->f->C_GenerateKeyPair(s, &m, pub, 2, NULL, 0, &a, &b) == CKR_OK;

		_exit(ok ? 0 : 1);
	}
	p11t_child_wait_ok(pid);
}

/* A fresh token, logged in, and a module whose cache lives ttl_ms. */
static int setup_ttl(void **state, const char *ttl_ms)
{
	static char conf[256];
	char text[64];

	snprintf(text, sizeof(text), "cache_ttl_ms = %s\n", ttl_ms);
	if (tkit_file_write(conf, sizeof(conf), "ttl.conf", text) != 0)
		return -1;
	setenv("KINKO_CONF", conf, 1);
	return objt_setup_login(state);
}

/* A lifetime no test outlives by itself: it ends when the test moves the module's clock. */
#define LONG_TTL_MS 600000ul

static int setup_long_ttl(void **state)
{
	return setup_ttl(state, "600000");
}

static int teardown_ttl(void **state)
{
	const char *conf = getenv("KINKO_CONF");
	int rc = objt_teardown(state);

	if (conf)
		unlink(conf);
	setenv("KINKO_CONF", "/dev/null", 1);
	return rc;
}

static void other_process_key_is_seen_after_the_cache_ttl(void **state)
{
	static const CK_BYTE id = 0x04;
	p11t *t = *state;

	assert_int_equal(objt_count_class(t, CKO_PRIVATE_KEY), 0);
	child_generates(t, id);
	/* Within the lifetime the cache is trusted, past it the token is asked again. */
	assert_int_equal(objt_count_class(t, CKO_PRIVATE_KEY), 0);
	p11t_clock_advance_ms(LONG_TTL_MS);
	assert_true(p11t_find_one(t, CKO_PRIVATE_KEY, &id, 1) != 0);
	assert_true(p11t_find_one(t, CKO_PUBLIC_KEY, &id, 1) != 0);
}

static void other_process_key_is_seen_after_a_reset(void **state)
{
	static const CK_BYTE id = 0x04;
	p11t *t = *state;
	CK_BYTE rnd[8];

	emu_conn other;

	assert_int_equal(objt_count_class(t, CKO_PRIVATE_KEY), 0);
	child_generates(t, id);
	/* within its (long) lifetime the cache is trusted... */
	assert_int_equal(objt_count_class(t, CKO_PRIVATE_KEY), 0);
	/* ...until the card driver finds the card reset underneath: a third program powers
	 * it on and leaves it so (the child selected PIV again after its own power-on, which
	 * no APDU of ours could tell), and our next APDU runs into that */
	assert_int_equal(emu_connect(&other, t->emu[0].sock), 0);
	assert_int_equal(emu_power_on(&other, NULL, 0, NULL), 0);
	emu_disconnect(&other);
	assert_int_equal(t->f->C_GenerateRandom(t->session, rnd, sizeof(rnd)), CKR_OK);
	assert_true(p11t_find_one(t, CKO_PRIVATE_KEY, &id, 1) != 0);
}

/* ---- the management key every write needs ---- */

/* A fresh token made with extra emulator arguments, logged in. */
static int setup_with(void **state, const char *const *args)
{
	p11t *t = calloc(1, sizeof(*t));

	*state = t;
	if (!t || p11t_setup(t, 1, args) != 0)
		return -1;
	return t->f->C_Login(t->session, CKU_USER, (CK_UTF8CHAR_PTR) "123456", 6) == CKR_OK ? 0 :
	                                                                                      -1;
}

static int setup_protected_mgmt(void **state)
{
	static const char *const args[] = {"--pin-protected-mgmt", NULL};

	return setup_with(state, args);
}

static char mgmt_file[256];

static int setup_custom_mgmt(void **state)
{
	static const char *const args[] = {"--mgmt-key-file", mgmt_file, NULL};

	if (tkit_file_write(mgmt_file, sizeof(mgmt_file), "mgmt",
	                    "8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f\n") != 0)
		return -1;
	return setup_with(state, args);
}

static int teardown_custom_mgmt(void **state)
{
	unlink(mgmt_file);
	return objt_teardown(state);
}

static void pin_protected_management_key_is_used_even_after_a_reset(void **state)
{
	p11t *t = *state;
	CK_OBJECT_HANDLE pub, priv, cert;
	unsigned char *der;
	size_t len = 0;
	emu_conn other;

	p11t_generate(t, 0, "P-256", &id_9a, 1, &pub, &priv);
	/* another program resets the card: the PIN's verification is gone, the module
	 * verifies again with the PIN it holds for the login and goes on */
	assert_int_equal(emu_connect(&other, t->emu[0].sock), 0);
	assert_int_equal(emu_power_on(&other, NULL, 0, NULL), 0);
	emu_disconnect(&other);
	der = objt_cert_for(t, pub, "user", &len, NULL);
	assert_int_equal(objt_write_cert(t, der, len, 0x01, &cert), CKR_OK);
	assert_int_equal(t->f->C_DestroyObject(t->session, priv), CKR_OK);
	assert_int_equal(objt_count_class(t, CKO_CERTIFICATE), 0);
	OPENSSL_free(der);
}

static void changes_without_a_usable_management_key_are_refused(void **state)
{
	static const CK_BYTE p256[] = {0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
	CK_ATTRIBUTE pub_tmpl[] = {{CKA_EC_PARAMS, (void *)p256, sizeof(p256)}};
	CK_MECHANISM m = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
	p11t *t = *state;
	CK_OBJECT_HANDLE pub = 0, priv = 0;

	/* neither PIN-protected nor the factory key: the token's admin must do it, and the
	 * answer names the management key (the user is logged in: not CKR_USER_NOT_LOGGED_IN) */
	assert_int_equal(t->f->C_GenerateKeyPair(t->session, &m, pub_tmpl, 1, NULL, 0, &pub, &priv),
	                 CKR_KINKO_MGMT_KEY_UNKNOWN);
	assert_int_equal(objt_count_class(t, CKO_PUBLIC_KEY), 0);
	/* the refusal left the login alone */
	assert_int_equal(objt_count_class(t, CKO_PRIVATE_KEY), 0);
	{
		CK_SESSION_INFO info;

		assert_int_equal(t->f->C_GetSessionInfo(t->session, &info), CKR_OK);
		assert_int_equal(info.state, CKS_RW_USER_FUNCTIONS);
	}
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, objt_setup_login, objt_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(certificate_written_for_a_key_reads_back),
		T(certificate_and_its_keys_share_the_slot_label),
		T(certificate_without_cn_is_named_for_its_slot),
		T(certificate_not_for_the_slot_key_is_refused),
		cmocka_unit_test_setup_teardown(create_object_refuses_what_a_piv_token_cannot_hold,
	                                        objt_setup, objt_teardown),
		T(destroying_a_certificate_keeps_the_key),
		T(destroying_a_private_key_empties_the_slot),
		cmocka_unit_test_setup_teardown(other_process_key_is_seen_after_the_cache_ttl,
	                                        setup_long_ttl, teardown_ttl),
		cmocka_unit_test_setup_teardown(other_process_key_is_seen_after_a_reset,
	                                        setup_long_ttl, teardown_ttl),
		cmocka_unit_test_setup_teardown(
			pin_protected_management_key_is_used_even_after_a_reset,
			setup_protected_mgmt, objt_teardown),
		cmocka_unit_test_setup_teardown(changes_without_a_usable_management_key_are_refused,
	                                        setup_custom_mgmt, teardown_custom_mgmt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
