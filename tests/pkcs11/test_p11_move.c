/* The module's vendor path for MOVE KEY: C_SetAttributeValue(CKA_ID) on a private key moves
 * the key, and its certificate, to the slot of the new CKA_ID; key, public key and
 * certificate all end with the new CKA_ID; an occupied destination, a bad CKA_ID, a
 * read-only session and other attributes are refused and change nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "p11_obj_test_util.h"
#include "sig_test_util.h"

static const CK_BYTE id_9a = 0x01, id_82 = 0x05;

static CK_RV set_id(p11t *t, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h, const CK_BYTE *id,
                    CK_ULONG len)
{
	CK_ATTRIBUTE a = {CKA_ID, (void *)id, len};

	return t->f->C_SetAttributeValue(s, h, &a, 1);
}

/* A key pair in slot 82 (CKA_ID 05) with a certificate for it; DER returned. */
static unsigned char *pair_with_cert(p11t *t, CK_OBJECT_HANDLE *pub, CK_OBJECT_HANDLE *priv,
                                     size_t *der_len)
{
	unsigned char *der;
	CK_OBJECT_HANDLE cert;

	p11t_generate(t, 0, "P-256", &id_82, 1, pub, priv);
	der = objt_cert_for(t, *pub, "kinko-move", der_len, NULL);
	assert_int_equal(objt_write_cert(t, der, *der_len, id_82, &cert), CKR_OK);
	return der;
}

static void signs_with(p11t *t, CK_OBJECT_HANDLE priv, EVP_PKEY *pkey)
{
	CK_MECHANISM mech = {CKM_ECDSA_SHA256, NULL, 0};
	uint8_t sig[128];
	CK_ULONG sig_len = sizeof(sig);

	assert_int_equal(sigt_sign(t, t->session, &mech, priv, (const uint8_t *)"move", 4, sig,
	                           &sig_len),
	                 CKR_OK);
	assert_int_equal(sigt_verify(pkey, CKM_ECDSA_SHA256, NULL, (const uint8_t *)"move", 4, sig,
	                             sig_len),
	                 1);
}

static void set_id_on_a_private_key_moves_key_and_certificate(void **state)
{
	p11t *t = *state;
	CK_OBJECT_HANDLE pub, priv, npriv, npub, ncert;
	EVP_PKEY *before, *after;
	unsigned char *der;
	size_t der_len = 0;
	CK_ULONG n = 0;
	CK_BYTE *v;

	der = pair_with_cert(t, &pub, &priv, &der_len);
	before = sigt_pubkey(t, t->session, pub);
	assert_int_equal(set_id(t, t->session, priv, &id_9a, 1), CKR_OK);

	/* nothing is left under the old CKA_ID */
	assert_int_equal(p11t_find_one(t, CKO_PRIVATE_KEY, &id_82, 1), 0);
	assert_int_equal(p11t_find_one(t, CKO_PUBLIC_KEY, &id_82, 1), 0);
	assert_int_equal(p11t_find_one(t, CKO_CERTIFICATE, &id_82, 1), 0);
	/* key, public key and certificate are all under the new one */
	npriv = p11t_find_one(t, CKO_PRIVATE_KEY, &id_9a, 1);
	npub = p11t_find_one(t, CKO_PUBLIC_KEY, &id_9a, 1);
	ncert = p11t_find_one(t, CKO_CERTIFICATE, &id_9a, 1);
	assert_int_not_equal(npriv, 0);
	assert_int_not_equal(npub, 0);
	assert_int_not_equal(ncert, 0);
	v = objt_bytes(t, ncert, CKA_VALUE, &n);
	assert_int_equal(n, der_len);
	assert_memory_equal(v, der, der_len);
	free(v);
	after = sigt_pubkey(t, t->session, npub);
	assert_int_equal(EVP_PKEY_eq(before, after), 1);
	assert_false(objt_bool(t, npriv, CKA_EXTRACTABLE));
	signs_with(t, npriv, after);
	EVP_PKEY_free(before);
	EVP_PKEY_free(after);
	OPENSSL_free(der);
}

/* The move is on the token, not only in this module's cache: a fresh module sees it. */
static void moved_key_is_on_the_token_after_reinitialising(void **state)
{
	p11t *t = *state;
	CK_OBJECT_HANDLE pub, priv;
	unsigned char *der;
	size_t der_len = 0;

	der = pair_with_cert(t, &pub, &priv, &der_len);
	assert_int_equal(set_id(t, t->session, priv, &id_9a, 1), CKR_OK);
	assert_int_equal(t->f->C_Finalize(NULL), CKR_OK);
	assert_int_equal(t->f->C_Initialize(NULL), CKR_OK);
	assert_int_equal(t->f->C_OpenSession(t->slots[0], CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
	                                     NULL, &t->session),
	                 CKR_OK);
	p11t_login(t);
	assert_int_not_equal(p11t_find_one(t, CKO_PRIVATE_KEY, &id_9a, 1), 0);
	assert_int_not_equal(p11t_find_one(t, CKO_CERTIFICATE, &id_9a, 1), 0);
	assert_int_equal(p11t_find_one(t, CKO_PRIVATE_KEY, &id_82, 1), 0);
	assert_int_equal(p11t_find_one(t, CKO_CERTIFICATE, &id_82, 1), 0);
	OPENSSL_free(der);
}

static void set_id_moves_a_key_without_certificate(void **state)
{
	p11t *t = *state;
	CK_OBJECT_HANDLE pub, priv;

	p11t_generate(t, 0, "P-256", &id_82, 1, &pub, &priv);
	assert_int_equal(set_id(t, t->session, priv, &id_9a, 1), CKR_OK);
	assert_int_not_equal(p11t_find_one(t, CKO_PRIVATE_KEY, &id_9a, 1), 0);
	assert_int_equal(p11t_find_one(t, CKO_PRIVATE_KEY, &id_82, 1), 0);
	assert_int_equal(objt_count_class(t, CKO_CERTIFICATE), 0);
}

static void set_id_onto_a_key_is_invalid_and_changes_nothing(void **state)
{
	p11t *t = *state;
	CK_OBJECT_HANDLE pub, priv, pub9a, priv9a;
	unsigned char *der;
	size_t der_len = 0;

	der = pair_with_cert(t, &pub, &priv, &der_len);
	p11t_generate(t, 0, "P-256", &id_9a, 1, &pub9a, &priv9a);
	assert_int_equal(set_id(t, t->session, priv, &id_9a, 1), CKR_ATTRIBUTE_VALUE_INVALID);
	assert_int_equal(p11t_find_one(t, CKO_PRIVATE_KEY, &id_82, 1), priv);
	assert_int_equal(p11t_find_one(t, CKO_CERTIFICATE, &id_82, 1) != 0, 1);
	assert_int_equal(p11t_find_one(t, CKO_PRIVATE_KEY, &id_9a, 1), priv9a);
	assert_int_equal(p11t_find_one(t, CKO_CERTIFICATE, &id_9a, 1), 0);
	OPENSSL_free(der);
}

static void set_id_to_no_key_slot_is_invalid(void **state)
{
	static const CK_BYTE bad[][2] = {{0x00, 0}, {0x19, 0}, {0xFF, 0}};
	static const CK_BYTE two[2] = {0x00, 0x01};
	p11t *t = *state;
	CK_OBJECT_HANDLE pub, priv;
	size_t i;

	p11t_generate(t, 0, "P-256", &id_82, 1, &pub, &priv);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(set_id(t, t->session, priv, bad[i], 1),
		                 CKR_ATTRIBUTE_VALUE_INVALID);
	assert_int_equal(set_id(t, t->session, priv, two, 2), CKR_ATTRIBUTE_VALUE_INVALID);
	assert_int_equal(set_id(t, t->session, priv, NULL, 0), CKR_ATTRIBUTE_VALUE_INVALID);
	/* its own CKA_ID: nothing to do */
	assert_int_equal(set_id(t, t->session, priv, &id_82, 1), CKR_OK);
	assert_int_equal(p11t_find_one(t, CKO_PRIVATE_KEY, &id_82, 1), priv);
}

static void set_id_needs_a_read_write_session(void **state)
{
	p11t *t = *state;
	CK_OBJECT_HANDLE pub, priv;
	CK_SESSION_HANDLE ro;

	p11t_generate(t, 0, "P-256", &id_82, 1, &pub, &priv);
	assert_int_equal(t->f->C_OpenSession(t->slots[0], CKF_SERIAL_SESSION, NULL, NULL, &ro),
	                 CKR_OK);
	assert_int_equal(set_id(t, ro, priv, &id_9a, 1), CKR_SESSION_READ_ONLY);
	assert_int_equal(t->f->C_CloseSession(ro), CKR_OK);
	assert_int_equal(p11t_find_one(t, CKO_PRIVATE_KEY, &id_82, 1), priv);
}

/* The public key and the certificate follow their private key: changing their CKA_ID
 * alone is refused, their own value is accepted (a caller setting all three still works). */
static void set_id_on_public_key_or_certificate_is_read_only(void **state)
{
	p11t *t = *state;
	CK_OBJECT_HANDLE pub, priv, cert;
	CK_ATTRIBUTE label = {CKA_LABEL, "x", 1};
	unsigned char *der;
	size_t der_len = 0;

	der = pair_with_cert(t, &pub, &priv, &der_len);
	cert = p11t_find_one(t, CKO_CERTIFICATE, &id_82, 1);
	assert_int_equal(set_id(t, t->session, pub, &id_9a, 1), CKR_ATTRIBUTE_READ_ONLY);
	assert_int_equal(set_id(t, t->session, cert, &id_9a, 1), CKR_ATTRIBUTE_READ_ONLY);
	assert_int_equal(set_id(t, t->session, pub, &id_82, 1), CKR_OK);
	assert_int_equal(set_id(t, t->session, cert, &id_82, 1), CKR_OK);
	assert_int_equal(t->f->C_SetAttributeValue(t->session, priv, &label, 1),
	                 CKR_ATTRIBUTE_READ_ONLY);
	assert_int_equal(p11t_find_one(t, CKO_PRIVATE_KEY, &id_82, 1), priv);
	OPENSSL_free(der);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, objt_setup_login, objt_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(set_id_on_a_private_key_moves_key_and_certificate),
		T(moved_key_is_on_the_token_after_reinitialising),
		T(set_id_moves_a_key_without_certificate),
		T(set_id_onto_a_key_is_invalid_and_changes_nothing),
		T(set_id_to_no_key_slot_is_invalid),
		T(set_id_needs_a_read_write_session),
		T(set_id_on_public_key_or_certificate_is_read_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
