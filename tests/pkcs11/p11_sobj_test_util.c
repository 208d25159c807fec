/* Helpers of the session object tests (p11_sobj_test_util.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "p11_sobj_test_util.h"

static CK_BBOOL no = CK_FALSE;
static CK_OBJECT_CLASS cls_data = CKO_DATA, cls_pub = CKO_PUBLIC_KEY;

CK_RV sobjt_make_data(p11t *t, CK_SESSION_HANDLE s, CK_BBOOL *priv, const char *label,
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

CK_SESSION_HANDLE sobjt_open_ro(p11t *t)
{
	CK_SESSION_HANDLE ro = 0;

	assert_int_equal(t->f->C_OpenSession(t->slots[0], CKF_SERIAL_SESSION, NULL, NULL, &ro),
	                 CKR_OK);
	return ro;
}

size_t sobjt_find_label(p11t *t, const char *label, CK_OBJECT_HANDLE *out, size_t cap)
{
	CK_ATTRIBUTE tmpl[] = {{CKA_LABEL, (void *)label, (CK_ULONG)strlen(label)}};

	return objt_find(t, tmpl, 1, out, cap);
}

void sobjt_assert_bytes(p11t *t, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type, const void *want,
                        size_t want_len)
{
	CK_ULONG len = 0;
	CK_BYTE *got = objt_bytes(t, h, type, &len);

	assert_int_equal(len, want_len);
	assert_memory_equal(got, want, want_len);
	free(got);
}

void sobjt_key_parts_read(p11t *t, CK_OBJECT_HANDLE pub, sobjt_key_parts *k)
{
	k->type = objt_ulong(t, pub, CKA_KEY_TYPE);
	k->a = objt_bytes(t, pub, k->type == CKK_RSA ? CKA_MODULUS : CKA_EC_PARAMS, &k->a_len);
	k->b = objt_bytes(t, pub, k->type == CKK_RSA ? CKA_PUBLIC_EXPONENT : CKA_EC_POINT,
	                  &k->b_len);
}

CK_RV sobjt_make_pub(p11t *t, CK_SESSION_HANDLE s, const sobjt_key_parts *k, CK_BBOOL *verify,
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
