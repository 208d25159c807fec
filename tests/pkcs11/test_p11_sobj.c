/* Session objects through the module's function list: data objects and certificates made
 * with CKA_TOKEN FALSE in read-only and read-write sessions, found by the slot's sessions,
 * gone with their session (the private ones at logout, all at C_Finalize), never seen by
 * another slot or process, and the rules of C_SetAttributeValue, C_CopyObject and
 * C_DestroyObject. Keys and template errors: test_p11_sobj_keys.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "p11_sobj_test_util.h"

#define MOD_SOBJ_MAX_OBJECTS 4096u /* pkcs11/mod_sobj.h */

static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
static CK_OBJECT_CLASS cls_data = CKO_DATA, cls_cert = CKO_CERTIFICATE;

/* ---- creating ---- */

static void every_class_is_made_in_read_only_and_read_write_sessions(void **state)
{
	p11t *t = *state;
	CK_SESSION_HANDLE ro = sobjt_open_ro(t);
	CK_CERTIFICATE_TYPE x509 = CKC_X_509;
	EVP_PKEY *key = objt_ec_key();
	X509 *x = objt_cert(key, "session cert", key);
	size_t der_len = 0;
	unsigned char *der = objt_cert_der(x, &der_len), *name = NULL;
	int name_len = i2d_X509_NAME(X509_get_subject_name(x), &name);
	CK_OBJECT_HANDLE data, cert, h[4];
	CK_ULONG len = 0;

	/* a public session is enough: no login, read-only */
	assert_int_equal(sobjt_make_data(t, ro, &no, "notes", &data), CKR_OK);
	assert_int_equal(objt_ulong(t, data, CKA_CLASS), CKO_DATA);
	assert_false(objt_bool(t, data, CKA_TOKEN));
	assert_false(objt_bool(t, data, CKA_PRIVATE));
	assert_true(objt_bool(t, data, CKA_MODIFIABLE));
	assert_true(objt_bool(t, data, CKA_COPYABLE));
	assert_true(objt_bool(t, data, CKA_DESTROYABLE));
	sobjt_assert_bytes(t, data, CKA_VALUE, "payload", 7);
	sobjt_assert_bytes(t, data, CKA_APPLICATION, "app", 3);
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
	sobjt_assert_bytes(t, cert, CKA_SUBJECT, name, (size_t)name_len);
	sobjt_assert_bytes(t, cert, CKA_VALUE, der, der_len);
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

/* ---- lifetime ---- */

static void objects_go_with_their_session_and_private_ones_at_logout(void **state)
{
	p11t *t = *state;
	CK_SESSION_HANDLE ro = sobjt_open_ro(t);
	CK_OBJECT_HANDLE mine, priv, pub, h[4];
	CK_ULONG len = 0;

	assert_int_equal(sobjt_make_data(t, ro, &yes, "private", &priv), CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(sobjt_make_data(t, ro, &no, "of ro", &mine), CKR_OK);
	assert_int_equal(sobjt_find_label(t, "of ro", h, 4), 1);
	assert_int_equal(t->f->C_CloseSession(ro), CKR_OK);
	assert_int_equal(sobjt_find_label(t, "of ro", h, 4), 0);
	assert_int_equal(objt_attr(t, mine, CKA_CLASS, NULL, 0, &len), CKR_OBJECT_HANDLE_INVALID);

	p11t_login(t);
	assert_int_equal(sobjt_make_data(t, t->session, &yes, "private", &priv), CKR_OK);
	assert_int_equal(sobjt_make_data(t, t->session, &no, "public", &pub), CKR_OK);
	assert_true(objt_bool(t, priv, CKA_PRIVATE));
	assert_int_equal(t->f->C_Logout(t->session), CKR_OK);
	assert_int_equal(sobjt_find_label(t, "private", h, 4), 0);
	assert_int_equal(sobjt_find_label(t, "public", h, 4), 1);
	/* gone, not hidden: a new login does not bring it back */
	p11t_login(t);
	assert_int_equal(sobjt_find_label(t, "private", h, 4), 0);
	assert_int_equal(objt_attr(t, priv, CKA_CLASS, NULL, 0, &len), CKR_OBJECT_HANDLE_INVALID);
}

static void objects_vanish_with_c_finalize(void **state)
{
	p11t *t = *state;
	CK_OBJECT_HANDLE data, h[4];
	CK_ULONG len = 0;

	assert_int_equal(sobjt_make_data(t, t->session, &no, "kept?", &data), CKR_OK);
	assert_int_equal(t->f->C_Finalize(NULL), CKR_OK);
	p11t_initialize_open(t, CKF_RW_SESSION);
	assert_int_equal(sobjt_find_label(t, "kept?", h, 4), 0);
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

	assert_int_equal(sobjt_make_data(t, t->session, &no, "slot 0", &data), CKR_OK);
	assert_int_equal(t->f->C_OpenSession(t->slots[1], CKF_SERIAL_SESSION, NULL, NULL, &other),
	                 CKR_OK);
	assert_int_equal(t->f->C_FindObjectsInit(other, by_label, 1), CKR_OK);
	assert_int_equal(t->f->C_FindObjects(other, found, 2, &got), CKR_OK);
	assert_int_equal(got, 0);
	assert_int_equal(t->f->C_FindObjectsFinal(other), CKR_OK);
	assert_int_equal(t->f->C_GetAttributeValue(other, data, &cls, 1),
	                 CKR_OBJECT_HANDLE_INVALID);
	assert_int_equal(t->f->C_DestroyObject(other, data), CKR_OBJECT_HANDLE_INVALID);
	assert_int_equal(sobjt_find_label(t, "slot 0", found, 2), 1);
}

/* A forked child, once it has initialised the module itself, has none of its parent's
 * objects, neither by search nor by handle. */
static void another_process_never_sees_them(void **state)
{
	p11t *t = *state;
	CK_OBJECT_HANDLE data;
	pid_t pid;

	assert_int_equal(sobjt_make_data(t, t->session, &no, "parent's", &data), CKR_OK);
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
		assert_int_equal(sobjt_make_data(t, t->session, &no, "many", &h), CKR_OK);
		if (i == 0)
			first = h;
	}
	assert_int_equal(sobjt_make_data(t, t->session, &no, "one more", &h), CKR_DEVICE_MEMORY);
	assert_int_equal(t->f->C_DestroyObject(t->session, first), CKR_OK);
	assert_int_equal(sobjt_make_data(t, t->session, &no, "one more", &h), CKR_OK);
}

/* ---- changing, copying, destroying ---- */

static void set_changes_only_what_pkcs11_lets_change(void **state)
{
	p11t *t = *state;
	CK_SESSION_HANDLE ro = sobjt_open_ro(t);
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

	assert_int_equal(sobjt_make_data(t, t->session, &no, "label", &data), CKR_OK);
	/* session objects change in a read-only session too */
	assert_int_equal(t->f->C_SetAttributeValue(ro, data, relabel, 2), CKR_OK);
	sobjt_assert_bytes(t, data, CKA_LABEL, "renamed", 7);
	sobjt_assert_bytes(t, data, CKA_VALUE, "new value", 9);
	assert_int_equal(t->f->C_SetAttributeValue(ro, data, klass, 1), CKR_ATTRIBUTE_READ_ONLY);
	assert_int_equal(t->f->C_SetAttributeValue(ro, data, unknown, 1),
	                 CKR_ATTRIBUTE_TYPE_INVALID);
	/* all or nothing */
	assert_int_equal(t->f->C_SetAttributeValue(ro, data, half, 2), CKR_ATTRIBUTE_READ_ONLY);
	sobjt_assert_bytes(t, data, CKA_LABEL, "renamed", 7);
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

	assert_int_equal(sobjt_make_data(t, t->session, &no, "original", &data), CKR_OK);
	assert_int_equal(t->f->C_CopyObject(t->session, data, relabel, 1, &copy), CKR_OK);
	assert_true(copy != data);
	sobjt_assert_bytes(t, copy, CKA_LABEL, "copy", 4);
	sobjt_assert_bytes(t, copy, CKA_VALUE, "payload", 7);
	sobjt_assert_bytes(t, data, CKA_LABEL, "original", 8);
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

#define T(fn) cmocka_unit_test_setup_teardown(fn, objt_setup, objt_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(every_class_is_made_in_read_only_and_read_write_sessions),
		T(objects_go_with_their_session_and_private_ones_at_logout),
		T(objects_vanish_with_c_finalize),
		T(another_process_never_sees_them),
		cmocka_unit_test_setup_teardown(another_slots_sessions_never_see_them,
	                                        setup_two_tokens, objt_teardown),
		T(a_process_holds_at_most_the_cap_of_objects),
		T(set_changes_only_what_pkcs11_lets_change),
		T(copy_and_destroy_follow_the_objects_flags),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
