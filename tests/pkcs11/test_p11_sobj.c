/* Session objects through the module's function list: data objects, certificates and RSA/EC
 * public keys made with CKA_TOKEN FALSE in read-only and read-write sessions, found by the
 * slot's sessions, gone with their session (the private ones at logout, all at
 * C_Finalize), the rules of C_SetAttributeValue, C_CopyObject and C_DestroyObject, session
 * public keys verifying the token's signatures, and template errors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "p11_obj_test_util.h"

#define MOD_SOBJ_MAX_OBJECTS 4096u /* pkcs11/mod_sobj.h */

static const CK_BYTE oid_p256[] = {0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
static CK_OBJECT_CLASS cls_data = CKO_DATA, cls_cert = CKO_CERTIFICATE, cls_pub = CKO_PUBLIC_KEY;

static CK_RV make_data(p11t *t, CK_SESSION_HANDLE s, CK_BBOOL *priv, const char *label,
                       CK_OBJECT_HANDLE *h)
{
	CK_ATTRIBUTE tmpl[] = {
		{CKA_CLASS, &cls_data, sizeof(cls_data)},
		{CKA_LABEL, (void *)label, (CK_ULONG)strlen(label)},
		{CKA_APPLICATION, "app", 3},
		{CKA_VALUE, "payload", 7},
		{CKA_PRIVATE, priv, sizeof(*priv)},
	};

	*h = 0;
	return t->f->C_CreateObject(s, tmpl, sizeof(tmpl) / sizeof(tmpl[0]), h);
}

static CK_SESSION_HANDLE open_ro(p11t *t)
{
	CK_SESSION_HANDLE ro = 0;

	assert_int_equal(t->f->C_OpenSession(t->slots[0], CKF_SERIAL_SESSION, NULL, NULL, &ro),
	                 CKR_OK);
	return ro;
}

static size_t find_label(p11t *t, const char *label, CK_OBJECT_HANDLE *out, size_t cap)
{
	CK_ATTRIBUTE tmpl[] = {{CKA_LABEL, (void *)label, (CK_ULONG)strlen(label)}};

	return objt_find(t, tmpl, 1, out, cap);
}

static void assert_bytes(p11t *t, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type, const void *want,
                         size_t want_len)
{
	CK_ULONG len = 0;
	CK_BYTE *got = objt_bytes(t, h, type, &len);

	assert_int_equal(len, want_len);
	assert_memory_equal(got, want, want_len);
	free(got);
}

/* A public key object of the token as a session object's template values. */
typedef struct {
	CK_KEY_TYPE type;
	CK_BYTE *a, *b; /* modulus and exponent, or params and point */
	CK_ULONG a_len, b_len;
} key_parts;

static void key_parts_read(p11t *t, CK_OBJECT_HANDLE pub, key_parts *k)
{
	k->type = objt_ulong(t, pub, CKA_KEY_TYPE);
	k->a = objt_bytes(t, pub, k->type == CKK_RSA ? CKA_MODULUS : CKA_EC_PARAMS, &k->a_len);
	k->b = objt_bytes(t, pub, k->type == CKK_RSA ? CKA_PUBLIC_EXPONENT : CKA_EC_POINT,
	                  &k->b_len);
}

static CK_RV make_pub(p11t *t, CK_SESSION_HANDLE s, const key_parts *k, CK_BBOOL *verify,
                      CK_OBJECT_HANDLE *h)
{
	CK_KEY_TYPE type = k->type;
	CK_ATTRIBUTE tmpl[] = {
		{CKA_CLASS, &cls_pub, sizeof(cls_pub)},
		{CKA_KEY_TYPE, &type, sizeof(type)},
		{CKA_TOKEN, &no, sizeof(no)},
		{type == CKK_RSA ? CKA_MODULUS : CKA_EC_PARAMS, k->a, k->a_len},
		{type == CKK_RSA ? CKA_PUBLIC_EXPONENT : CKA_EC_POINT, k->b, k->b_len},
		{CKA_VERIFY, verify, sizeof(*verify)},
	};

	*h = 0;
	return t->f->C_CreateObject(s, tmpl, sizeof(tmpl) / sizeof(tmpl[0]) - (verify ? 0 : 1), h);
}

/* ---- creating ---- */

static void every_class_is_made_in_read_only_and_read_write_sessions(void **state)
{
	p11t *t = *state;
	CK_SESSION_HANDLE ro = open_ro(t);
	CK_CERTIFICATE_TYPE x509 = CKC_X_509;
	EVP_PKEY *key = objt_ec_key();
	X509 *x = objt_cert(key, "session cert", key);
	size_t der_len = 0;
	unsigned char *der = objt_cert_der(x, &der_len), *name = NULL;
	int name_len = i2d_X509_NAME(X509_get_subject_name(x), &name);
	CK_OBJECT_HANDLE data, cert, h[4];
	CK_ULONG len = 0;

	/* a public session is enough: no login, read-only */
	assert_int_equal(make_data(t, ro, &no, "notes", &data), CKR_OK);
	assert_int_equal(objt_ulong(t, data, CKA_CLASS), CKO_DATA);
	assert_false(objt_bool(t, data, CKA_TOKEN));
	assert_false(objt_bool(t, data, CKA_PRIVATE));
	assert_true(objt_bool(t, data, CKA_MODIFIABLE));
	assert_true(objt_bool(t, data, CKA_COPYABLE));
	assert_true(objt_bool(t, data, CKA_DESTROYABLE));
	assert_bytes(t, data, CKA_VALUE, "payload", 7);
	assert_bytes(t, data, CKA_APPLICATION, "app", 3);
	assert_int_equal(objt_attr(t, data, CKA_OBJECT_ID, NULL, 0, &len), CKR_OK);
	assert_int_equal(len, 0);
	assert_int_equal(objt_attr(t, data, CKA_MODULUS, NULL, 0, &len),
	                 CKR_ATTRIBUTE_TYPE_INVALID);
	assert_int_equal(len, CK_UNAVAILABLE_INFORMATION);
	{
		/* CKA_TOKEN absent: PKCS#11's default, a session object; names from the DER */
		CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls_cert, sizeof(cls_cert)},
		                       {CKA_CERTIFICATE_TYPE, &x509, sizeof(x509)},
		                       {CKA_LABEL, "cert", 4},
		                       {CKA_VALUE, der, (CK_ULONG)der_len}};

		assert_int_equal(t->f->C_CreateObject(ro, tmpl, 4, &cert), CKR_OK);
	}
	assert_false(objt_bool(t, cert, CKA_TOKEN));
	assert_false(objt_bool(t, cert, CKA_TRUSTED));
	assert_int_equal(objt_ulong(t, cert, CKA_CERTIFICATE_CATEGORY), 0);
	assert_bytes(t, cert, CKA_SUBJECT, name, (size_t)name_len);
	assert_bytes(t, cert, CKA_VALUE, der, der_len);
	assert_int_equal(objt_attr(t, cert, CKA_SERIAL_NUMBER, NULL, 0, &len), CKR_OK);
	assert_true(len > 2);
	/* the read-write session sees what the read-only one made, and the search for
	 * session objects finds only those */
	{
		CK_ATTRIBUTE session_only[] = {{CKA_TOKEN, &no, sizeof(no)}};

		assert_int_equal(objt_find(t, session_only, 1, h, 4), 2);
		assert_int_equal(h[0], data);
		assert_int_equal(h[1], cert);
	}
	assert_int_equal(t->f->C_CloseSession(ro), CKR_OK);
	OPENSSL_free(der);
	OPENSSL_free(name);
	X509_free(x);
	EVP_PKEY_free(key);
}

static void public_keys_take_a_der_or_raw_ec_point(void **state)
{
	p11t *t = *state;
	CK_BYTE id = 0x03;
	CK_OBJECT_HANDLE pub, priv, der_key, raw_key;
	key_parts k;
	CK_BYTE *spki;
	CK_ULONG spki_len = 0;

	p11t_generate(t, 0, "P-256", &id, 1, &pub, &priv);
	key_parts_read(t, pub, &k);
	assert_int_equal(k.b_len, 67); /* 04 41 04||X||Y */
	assert_int_equal(make_pub(t, t->session, &k, NULL, &der_key), CKR_OK);
	k.b_len -= 2; /* the raw point, as NSS and Java sometimes send it */
	memmove(k.b, k.b + 2, k.b_len);
	assert_int_equal(make_pub(t, t->session, &k, NULL, &raw_key), CKR_OK);
	k.b_len += 2;
	memmove(k.b + 2, k.b, k.b_len - 2);
	k.b[0] = 0x04;
	k.b[1] = 0x41;
	/* both kept in PKCS#11's form */
	assert_bytes(t, raw_key, CKA_EC_POINT, k.b, k.b_len);
	assert_bytes(t, der_key, CKA_EC_PARAMS, oid_p256, sizeof(oid_p256));
	assert_false(objt_bool(t, raw_key, CKA_LOCAL));
	assert_true(objt_bool(t, raw_key, CKA_VERIFY));
	assert_int_equal(objt_ulong(t, raw_key, CKA_KEY_GEN_MECHANISM), CK_UNAVAILABLE_INFORMATION);
	spki = objt_bytes(t, pub, CKA_PUBLIC_KEY_INFO, &spki_len);
	assert_bytes(t, raw_key, CKA_PUBLIC_KEY_INFO, spki, spki_len);
	free(spki);
	free(k.a);
	free(k.b);
}

/* ---- lifetime ---- */

static void objects_go_with_their_session_and_private_ones_at_logout(void **state)
{
	p11t *t = *state;
	CK_SESSION_HANDLE ro = open_ro(t);
	CK_OBJECT_HANDLE mine, priv, pub, h[4];
	CK_ULONG len = 0;

	assert_int_equal(make_data(t, ro, &yes, "private", &priv), CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(make_data(t, ro, &no, "of ro", &mine), CKR_OK);
	assert_int_equal(find_label(t, "of ro", h, 4), 1);
	assert_int_equal(t->f->C_CloseSession(ro), CKR_OK);
	assert_int_equal(find_label(t, "of ro", h, 4), 0);
	assert_int_equal(objt_attr(t, mine, CKA_CLASS, NULL, 0, &len), CKR_OBJECT_HANDLE_INVALID);

	p11t_login(t);
	assert_int_equal(make_data(t, t->session, &yes, "private", &priv), CKR_OK);
	assert_int_equal(make_data(t, t->session, &no, "public", &pub), CKR_OK);
	assert_true(objt_bool(t, priv, CKA_PRIVATE));
	assert_int_equal(t->f->C_Logout(t->session), CKR_OK);
	assert_int_equal(find_label(t, "private", h, 4), 0);
	assert_int_equal(find_label(t, "public", h, 4), 1);
	/* gone, not hidden: a new login does not bring it back */
	p11t_login(t);
	assert_int_equal(find_label(t, "private", h, 4), 0);
	assert_int_equal(objt_attr(t, priv, CKA_CLASS, NULL, 0, &len), CKR_OBJECT_HANDLE_INVALID);
}

static void objects_vanish_with_c_finalize(void **state)
{
	p11t *t = *state;
	CK_OBJECT_HANDLE data, h[4];
	CK_ULONG len = 0;

	assert_int_equal(make_data(t, t->session, &no, "kept?", &data), CKR_OK);
	assert_int_equal(t->f->C_Finalize(NULL), CKR_OK);
	p11t_initialize_open(t, CKF_RW_SESSION);
	assert_int_equal(find_label(t, "kept?", h, 4), 0);
	assert_int_equal(objt_attr(t, data, CKA_CLASS, NULL, 0, &len), CKR_OBJECT_HANDLE_INVALID);
}

static int setup_two_tokens(void **state)
{
	return p11t_state_setup(state, 2, NULL, true);
}

/* The store is per slot: another token's sessions neither find nor use them. */
static void another_slots_sessions_never_see_them(void **state)
{
	p11t *t = *state;
	CK_ATTRIBUTE by_label[] = {{CKA_LABEL, "slot 0", 6}};
	CK_ATTRIBUTE cls = {CKA_CLASS, NULL, 0};
	CK_OBJECT_HANDLE data, found[2];
	CK_SESSION_HANDLE other;
	CK_ULONG got = 0;

	assert_int_equal(make_data(t, t->session, &no, "slot 0", &data), CKR_OK);
	assert_int_equal(t->f->C_OpenSession(t->slots[1], CKF_SERIAL_SESSION, NULL, NULL, &other),
	                 CKR_OK);
	assert_int_equal(t->f->C_FindObjectsInit(other, by_label, 1), CKR_OK);
	assert_int_equal(t->f->C_FindObjects(other, found, 2, &got), CKR_OK);
	assert_int_equal(got, 0);
	assert_int_equal(t->f->C_FindObjectsFinal(other), CKR_OK);
	assert_int_equal(t->f->C_GetAttributeValue(other, data, &cls, 1),
	                 CKR_OBJECT_HANDLE_INVALID);
	assert_int_equal(t->f->C_DestroyObject(other, data), CKR_OBJECT_HANDLE_INVALID);
	assert_int_equal(find_label(t, "slot 0", found, 2), 1);
}

/* A forked child, once it has initialised the module itself, has none of its parent's
 * objects, neither by search nor by handle. */
static void another_process_never_sees_them(void **state)
{
	p11t *t = *state;
	CK_OBJECT_HANDLE data;
	pid_t pid;

	assert_int_equal(make_data(t, t->session, &no, "parent's", &data), CKR_OK);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		CK_ATTRIBUTE by_label[] = {{CKA_LABEL, "parent's", 8}};
		CK_ATTRIBUTE cls = {CKA_CLASS, NULL, 0};
		CK_OBJECT_HANDLE found[2];
		CK_SESSION_HANDLE s;
		CK_SLOT_ID slot;
		CK_ULONG n = 1, got = 0;

		P11T_CHILD_CHECK(t->f->C_Initialize(NULL) == CKR_OK, 2);
		P11T_CHILD_CHECK(t->f->C_GetSlotList(CK_TRUE, &slot, &n) == CKR_OK && n == 1, 3);
		P11T_CHILD_CHECK(t->f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s) ==
		                         CKR_OK,
		                 4);
		P11T_CHILD_CHECK(t->f->C_FindObjectsInit(s, by_label, 1) == CKR_OK, 5);
		P11T_CHILD_CHECK(t->f->C_FindObjects(s, found, 2, &got) == CKR_OK && got == 0, 6);
		P11T_CHILD_CHECK(t->f->C_GetAttributeValue(s, data, &cls, 1) ==
		                         CKR_OBJECT_HANDLE_INVALID,
		                 7);
		_exit(0);
	}
	p11t_child_wait_ok(pid);
	assert_int_equal(objt_ulong(t, data, CKA_CLASS), CKO_DATA);
}

static void a_process_holds_at_most_the_cap_of_objects(void **state)
{
	p11t *t = *state;
	CK_OBJECT_HANDLE h = 0, first = 0;
	unsigned i;

	for (i = 0; i < MOD_SOBJ_MAX_OBJECTS; i++) {
		assert_int_equal(make_data(t, t->session, &no, "many", &h), CKR_OK);
		if (i == 0)
			first = h;
	}
	assert_int_equal(make_data(t, t->session, &no, "one more", &h), CKR_DEVICE_MEMORY);
	assert_int_equal(t->f->C_DestroyObject(t->session, first), CKR_OK);
	assert_int_equal(make_data(t, t->session, &no, "one more", &h), CKR_OK);
}

/* ---- changing, copying, destroying ---- */

static void set_changes_only_what_pkcs11_lets_change(void **state)
{
	p11t *t = *state;
	CK_SESSION_HANDLE ro = open_ro(t);
	CK_OBJECT_HANDLE data, fixed;
	CK_OBJECT_CLASS other = CKO_CERTIFICATE;
	CK_ATTRIBUTE relabel[] = {{CKA_LABEL, "renamed", 7}, {CKA_VALUE, "new value", 9}};
	CK_ATTRIBUTE klass[] = {{CKA_CLASS, &other, sizeof(other)}};
	CK_ATTRIBUTE unknown[] = {{CKA_MODULUS, "x", 1}};
	CK_ATTRIBUTE half[] = {{CKA_LABEL, "half", 4}, {CKA_TOKEN, &yes, 1}};
	CK_ATTRIBUTE uncopyable[] = {{CKA_COPYABLE, &no, 1}};
	CK_ATTRIBUTE copyable[] = {{CKA_COPYABLE, &yes, 1}};
	CK_ATTRIBUTE ro_tmpl[] = {{CKA_CLASS, &cls_data, sizeof(cls_data)},
	                          {CKA_MODIFIABLE, &no, 1},
	                          {CKA_LABEL, "fixed", 5}};

	assert_int_equal(make_data(t, t->session, &no, "label", &data), CKR_OK);
	/* session objects change in a read-only session too */
	assert_int_equal(t->f->C_SetAttributeValue(ro, data, relabel, 2), CKR_OK);
	assert_bytes(t, data, CKA_LABEL, "renamed", 7);
	assert_bytes(t, data, CKA_VALUE, "new value", 9);
	assert_int_equal(t->f->C_SetAttributeValue(ro, data, klass, 1), CKR_ATTRIBUTE_READ_ONLY);
	assert_int_equal(t->f->C_SetAttributeValue(ro, data, unknown, 1),
	                 CKR_ATTRIBUTE_TYPE_INVALID);
	/* all or nothing */
	assert_int_equal(t->f->C_SetAttributeValue(ro, data, half, 2), CKR_ATTRIBUTE_READ_ONLY);
	assert_bytes(t, data, CKA_LABEL, "renamed", 7);
	assert_int_equal(t->f->C_SetAttributeValue(ro, data, uncopyable, 1), CKR_OK);
	assert_int_equal(t->f->C_SetAttributeValue(ro, data, copyable, 1), CKR_ATTRIBUTE_READ_ONLY);

	assert_int_equal(t->f->C_CreateObject(ro, ro_tmpl, 3, &fixed), CKR_OK);
	assert_int_equal(t->f->C_SetAttributeValue(ro, fixed, relabel, 1), CKR_ACTION_PROHIBITED);
	assert_int_equal(t->f->C_CloseSession(ro), CKR_OK);
}

static void copy_and_destroy_follow_the_objects_flags(void **state)
{
	p11t *t = *state;
	CK_OBJECT_HANDLE data, copy, pub, priv, undead, h[4];
	CK_BYTE id = 0x01;
	CK_ATTRIBUTE relabel[] = {{CKA_LABEL, "copy", 4}};
	CK_ATTRIBUTE to_token[] = {{CKA_TOKEN, &yes, 1}};
	CK_ATTRIBUTE make_private[] = {{CKA_PRIVATE, &yes, 1}};
	CK_ATTRIBUTE uncopyable[] = {{CKA_COPYABLE, &no, 1}};
	CK_ATTRIBUTE undestroyable[] = {{CKA_CLASS, &cls_data, sizeof(cls_data)},
	                                {CKA_DESTROYABLE, &no, 1}};
	CK_ULONG len = 0;

	assert_int_equal(make_data(t, t->session, &no, "original", &data), CKR_OK);
	assert_int_equal(t->f->C_CopyObject(t->session, data, relabel, 1, &copy), CKR_OK);
	assert_true(copy != data);
	assert_bytes(t, copy, CKA_LABEL, "copy", 4);
	assert_bytes(t, copy, CKA_VALUE, "payload", 7);
	assert_bytes(t, data, CKA_LABEL, "original", 8);
	assert_int_equal(t->f->C_CopyObject(t->session, data, to_token, 1, &h[0]),
	                 CKR_TEMPLATE_INCONSISTENT);
	assert_int_equal(t->f->C_CopyObject(t->session, data, make_private, 1, &h[0]),
	                 CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(t->f->C_CopyObject(t->session, data, relabel, 1, NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(t->f->C_SetAttributeValue(t->session, data, uncopyable, 1), CKR_OK);
	assert_int_equal(t->f->C_CopyObject(t->session, data, NULL, 0, &h[0]),
	                 CKR_ACTION_PROHIBITED);

	assert_int_equal(t->f->C_DestroyObject(t->session, copy), CKR_OK);
	assert_int_equal(objt_attr(t, copy, CKA_CLASS, NULL, 0, &len), CKR_OBJECT_HANDLE_INVALID);
	assert_int_equal(t->f->C_DestroyObject(t->session, copy), CKR_OBJECT_HANDLE_INVALID);
	assert_int_equal(t->f->C_CreateObject(t->session, undestroyable, 2, &undead), CKR_OK);
	assert_int_equal(t->f->C_DestroyObject(t->session, undead), CKR_ACTION_PROHIBITED);

	/* the token's objects keep their answers */
	p11t_login(t);
	p11t_generate(t, 0, "P-256", &id, 1, &pub, &priv);
	assert_int_equal(t->f->C_CopyObject(t->session, pub, NULL, 0, &h[0]),
	                 CKR_ACTION_PROHIBITED);
	assert_int_equal(t->f->C_DestroyObject(t->session, pub), CKR_ACTION_PROHIBITED);
}

/* ---- verifying ---- */

static void verify_one(p11t *t, CK_OBJECT_HANDLE priv, CK_OBJECT_HANDLE session_pub,
                       CK_MECHANISM_TYPE mech)
{
	CK_MECHANISM m = {mech, NULL, 0};
	CK_BYTE sig[512];
	CK_ULONG sig_len = sizeof(sig);
	static const CK_BYTE msg[] = "signed on the token, verified with a session key";

	assert_int_equal(t->f->C_SignInit(t->session, &m, priv), CKR_OK);
	assert_int_equal(t->f->C_Sign(t->session, (CK_BYTE_PTR)msg, sizeof(msg), sig, &sig_len),
	                 CKR_OK);
	assert_int_equal(t->f->C_VerifyInit(t->session, &m, session_pub), CKR_OK);
	assert_int_equal(t->f->C_Verify(t->session, (CK_BYTE_PTR)msg, sizeof(msg), sig, sig_len),
	                 CKR_OK);
	sig[sig_len / 2] ^= 0x01;
	assert_int_equal(t->f->C_VerifyInit(t->session, &m, session_pub), CKR_OK);
	assert_int_equal(t->f->C_Verify(t->session, (CK_BYTE_PTR)msg, sizeof(msg), sig, sig_len),
	                 CKR_SIGNATURE_INVALID);
}

static void session_public_keys_verify_the_tokens_signatures(void **state)
{
	p11t *t = *state;
	CK_BYTE rsa_id = 0x01, ec_id = 0x05; /* 9A and retired 82: no PIN each time */
	CK_OBJECT_HANDLE rsa_pub, rsa_priv, ec_pub, ec_priv, s_rsa, s_ec, s_noverify, data;
	CK_MECHANISM sha256_rsa = {CKM_SHA256_RSA_PKCS, NULL, 0};
	key_parts rsa, ec;

	p11t_generate(t, 2048, NULL, &rsa_id, 1, &rsa_pub, &rsa_priv);
	p11t_generate(t, 0, "P-256", &ec_id, 1, &ec_pub, &ec_priv);
	key_parts_read(t, rsa_pub, &rsa);
	key_parts_read(t, ec_pub, &ec);
	assert_int_equal(make_pub(t, t->session, &rsa, NULL, &s_rsa), CKR_OK);
	assert_int_equal(make_pub(t, t->session, &ec, NULL, &s_ec), CKR_OK);
	assert_int_equal(objt_ulong(t, s_rsa, CKA_MODULUS_BITS), 2048);
	verify_one(t, rsa_priv, s_rsa, CKM_SHA256_RSA_PKCS);
	verify_one(t, ec_priv, s_ec, CKM_ECDSA_SHA256);

	assert_int_equal(make_pub(t, t->session, &rsa, &no, &s_noverify), CKR_OK);
	assert_int_equal(t->f->C_VerifyInit(t->session, &sha256_rsa, s_noverify),
	                 CKR_KEY_FUNCTION_NOT_PERMITTED);
	assert_int_equal(make_data(t, t->session, &no, "no key", &data), CKR_OK);
	assert_int_equal(t->f->C_VerifyInit(t->session, &sha256_rsa, data), CKR_KEY_HANDLE_INVALID);
	/* the mechanism is looked at before the key */
	sha256_rsa.mechanism = CKM_VENDOR_DEFINED + 0x777;
	assert_int_equal(t->f->C_VerifyInit(t->session, &sha256_rsa, s_rsa), CKR_MECHANISM_INVALID);
	free(rsa.a);
	free(rsa.b);
	free(ec.a);
	free(ec.b);
}

/* ---- template errors ---- */

static void template_errors_come_in_the_standards_order(void **state)
{
	p11t *t = *state;
	CK_CERTIFICATE_TYPE x509 = CKC_X_509;
	CK_KEY_TYPE rsa = CKK_RSA, ec = CKK_EC;
	CK_OBJECT_CLASS priv_cls = CKO_PRIVATE_KEY;
	CK_ULONG bits = 1024, big_len = 65537;
	static const CK_BYTE secp256k1[] = {0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x0A};
	CK_BYTE off_curve[67] = {0x04, 0x41, 0x04, 0x01};
	CK_BYTE *big = calloc(1, big_len);
	CK_OBJECT_HANDLE h;
	struct {
		CK_ATTRIBUTE tmpl[4];
		CK_ULONG n;
		CK_RV want;
	} cases[] = {
		/* an unknown attribute before anything missing */
		{{{CKA_MODULUS_BITS, &bits, sizeof(bits)}}, 1, CKR_ATTRIBUTE_TYPE_INVALID},
		{{{CKA_CLASS, &cls_data, sizeof(cls_data)}, {CKA_MODULUS, "x", 1}},
	         2,
	         CKR_ATTRIBUTE_TYPE_INVALID},
		{{{CKA_LABEL, "no class", 8}}, 1, CKR_TEMPLATE_INCOMPLETE},
		{{{CKA_CLASS, &cls_data, 3}}, 1, CKR_ATTRIBUTE_VALUE_INVALID},
		{{{CKA_CLASS, &cls_data, sizeof(cls_data)}, {CKA_PRIVATE, &no, 4}},
	         2,
	         CKR_ATTRIBUTE_VALUE_INVALID},
		{{{CKA_CLASS, &cls_data, sizeof(cls_data)}, {CKA_VALUE, big, big_len}},
	         2,
	         CKR_ATTRIBUTE_VALUE_INVALID},
		{{{CKA_CLASS, &cls_data, sizeof(cls_data)},
	          {CKA_LABEL, "a", 1},
	          {CKA_LABEL, "b", 1}},
	         3,
	         CKR_TEMPLATE_INCONSISTENT},
		{{{CKA_CLASS, &priv_cls, sizeof(priv_cls)}}, 1, CKR_ATTRIBUTE_VALUE_INVALID},
		{{{CKA_CLASS, &cls_cert, sizeof(cls_cert)},
	          {CKA_CERTIFICATE_TYPE, &x509, sizeof(x509)}},
	         2,
	         CKR_TEMPLATE_INCOMPLETE},
		{{{CKA_CLASS, &cls_cert, sizeof(cls_cert)},
	          {CKA_CERTIFICATE_TYPE, &x509, sizeof(x509)},
	          {CKA_VALUE, "not DER", 7}},
	         3,
	         CKR_ATTRIBUTE_VALUE_INVALID},
		{{{CKA_CLASS, &cls_cert, sizeof(cls_cert)},
	          {CKA_CERTIFICATE_TYPE, &x509, sizeof(x509)},
	          {CKA_TRUSTED, &yes, 1}},
	         3,
	         CKR_ATTRIBUTE_READ_ONLY},
		{{{CKA_CLASS, &cls_pub, sizeof(cls_pub)}, {CKA_KEY_TYPE, &rsa, sizeof(rsa)}},
	         2,
	         CKR_TEMPLATE_INCOMPLETE},
		{{{CKA_CLASS, &cls_pub, sizeof(cls_pub)},
	          {CKA_KEY_TYPE, &rsa, sizeof(rsa)},
	          {CKA_LOCAL, &yes, 1}},
	         3,
	         CKR_ATTRIBUTE_READ_ONLY},
		{{{CKA_CLASS, &cls_pub, sizeof(cls_pub)},
	          {CKA_KEY_TYPE, &ec, sizeof(ec)},
	          {CKA_EC_PARAMS, (void *)secp256k1, sizeof(secp256k1)},
	          {CKA_EC_POINT, off_curve, sizeof(off_curve)}},
	         4,
	         CKR_CURVE_NOT_SUPPORTED},
		{{{CKA_CLASS, &cls_pub, sizeof(cls_pub)},
	          {CKA_KEY_TYPE, &ec, sizeof(ec)},
	          {CKA_EC_PARAMS, (void *)oid_p256, sizeof(oid_p256)},
	          {CKA_EC_POINT, off_curve, sizeof(off_curve)}},
	         4,
	         CKR_ATTRIBUTE_VALUE_INVALID},
		/* the token stores certificates only */
		{{{CKA_CLASS, &cls_data, sizeof(cls_data)}, {CKA_TOKEN, &yes, 1}},
	         2,
	         CKR_TEMPLATE_INCONSISTENT},
		{{{CKA_CLASS, &cls_data, sizeof(cls_data)}, {CKA_TOKEN, &yes, 2}},
	         2,
	         CKR_ATTRIBUTE_VALUE_INVALID},
	};
	size_t i;

	assert_non_null(big);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CK_RV rv = t->f->C_CreateObject(t->session, cases[i].tmpl, cases[i].n, &h);

		if (rv != cases[i].want)
			fail_msg("case %zu: 0x%lx, want 0x%lx", i, (unsigned long)rv,
			         (unsigned long)cases[i].want);
	}
	assert_int_equal(t->f->C_CreateObject(t->session, NULL, 1, &h), CKR_ARGUMENTS_BAD);
	assert_int_equal(objt_count_class(t, CKO_DATA), 0);
	free(big);
}

static void a_modulus_bits_that_disagrees_is_inconsistent(void **state)
{
	p11t *t = *state;
	CK_BYTE id = 0x01;
	CK_OBJECT_HANDLE pub, priv, h;
	CK_KEY_TYPE rsa = CKK_RSA;
	CK_ULONG bits = 3072;
	key_parts k;

	p11t_generate(t, 2048, NULL, &id, 1, &pub, &priv);
	key_parts_read(t, pub, &k);
	{
		CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls_pub, sizeof(cls_pub)},
		                       {CKA_KEY_TYPE, &rsa, sizeof(rsa)},
		                       {CKA_MODULUS, k.a, k.a_len},
		                       {CKA_PUBLIC_EXPONENT, k.b, k.b_len},
		                       {CKA_MODULUS_BITS, &bits, sizeof(bits)}};

		assert_int_equal(t->f->C_CreateObject(t->session, tmpl, 5, &h),
		                 CKR_TEMPLATE_INCONSISTENT);
		bits = 2048;
		assert_int_equal(t->f->C_CreateObject(t->session, tmpl, 5, &h), CKR_OK);
		/* an even exponent is no RSA key */
		k.b[k.b_len - 1] ^= 0x01;
		assert_int_equal(t->f->C_CreateObject(t->session, tmpl, 4, &h),
		                 CKR_ATTRIBUTE_VALUE_INVALID);
	}
	free(k.a);
	free(k.b);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, objt_setup, objt_teardown)
#define TL(fn) cmocka_unit_test_setup_teardown(fn, objt_setup_login, objt_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(every_class_is_made_in_read_only_and_read_write_sessions),
		TL(public_keys_take_a_der_or_raw_ec_point),
		T(objects_go_with_their_session_and_private_ones_at_logout),
		T(objects_vanish_with_c_finalize),
		T(another_process_never_sees_them),
		cmocka_unit_test_setup_teardown(another_slots_sessions_never_see_them,
	                                        setup_two_tokens, objt_teardown),
		T(a_process_holds_at_most_the_cap_of_objects),
		T(set_changes_only_what_pkcs11_lets_change),
		T(copy_and_destroy_follow_the_objects_flags),
		TL(session_public_keys_verify_the_tokens_signatures),
		T(template_errors_come_in_the_standards_order),
		TL(a_modulus_bits_that_disagrees_is_inconsistent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
