/* Helpers of the object tests. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "p11_obj_test_util.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/x509v3.h>

int objt_setup(void **state)
{
	return p11t_group_setup_1(state);
}

int objt_setup_login(void **state)
{
	p11t *t;

	if (p11t_group_setup_1(state) != 0)
		return -1;
	t = *state;
	return t->f->C_Login(t->session, CKU_USER, (CK_UTF8CHAR_PTR) "123456", 6) == CKR_OK ? 0 :
	                                                                                      -1;
}

int objt_teardown(void **state)
{
	return p11t_group_teardown(state);
}

CK_RV objt_attr(p11t *t, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type, void *buf, CK_ULONG cap,
                CK_ULONG *len)
{
	CK_ATTRIBUTE a = {type, buf, cap};
	CK_RV rv = t->f->C_GetAttributeValue(t->session, h, &a, 1);

	if (len)
		*len = a.ulValueLen;
	return rv;
}

CK_ULONG objt_ulong(p11t *t, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type)
{
	CK_ULONG v = 0, len = 0;

	assert_int_equal(objt_attr(t, h, type, &v, sizeof(v), &len), CKR_OK);
	assert_int_equal(len, sizeof(v));
	return v;
}

bool objt_bool(p11t *t, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type)
{
	CK_BBOOL v = 2;
	CK_ULONG len = 0;

	assert_int_equal(objt_attr(t, h, type, &v, sizeof(v), &len), CKR_OK);
	assert_int_equal(len, sizeof(v));
	assert_true(v == CK_TRUE || v == CK_FALSE);
	return v == CK_TRUE;
}

void objt_assert_bools(p11t *t, CK_OBJECT_HANDLE h, const objt_bool_want *want, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (objt_bool(t, h, want[i].type) != want[i].value)
			fail_msg("attribute 0x%lx is not %s", (unsigned long)want[i].type,
			         want[i].value ? "CK_TRUE" : "CK_FALSE");
	}
}

CK_BYTE *objt_bytes(p11t *t, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type, CK_ULONG *len)
{
	CK_ULONG n = 0, n2 = 0;
	CK_BYTE *buf;

	assert_int_equal(objt_attr(t, h, type, NULL, 0, &n), CKR_OK);
	assert_true(n != CK_UNAVAILABLE_INFORMATION);
	buf = malloc(n + 1);
	assert_non_null(buf);
	assert_int_equal(objt_attr(t, h, type, buf, n, &n2), CKR_OK);
	assert_int_equal(n2, n);
	*len = n;
	return buf;
}

size_t objt_find(p11t *t, CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_OBJECT_HANDLE *out, size_t cap)
{
	CK_OBJECT_HANDLE h;
	CK_ULONG got = 0;
	size_t count = 0;

	assert_int_equal(t->f->C_FindObjectsInit(t->session, tmpl, n), CKR_OK);
	for (;;) {
		assert_int_equal(t->f->C_FindObjects(t->session, &h, 1, &got), CKR_OK);
		if (got == 0)
			break;
		assert_int_equal(got, 1);
		assert_true(count < cap);
		out[count++] = h;
	}
	assert_int_equal(t->f->C_FindObjectsFinal(t->session), CKR_OK);
	return count;
}

size_t objt_count_class(p11t *t, CK_OBJECT_CLASS cls)
{
	CK_ATTRIBUTE tmpl = {CKA_CLASS, &cls, sizeof(cls)};
	CK_OBJECT_HANDLE h[80];

	return objt_find(t, &tmpl, 1, h, 80);
}

EVP_PKEY *objt_pubkey(p11t *t, CK_OBJECT_HANDLE h)
{
	CK_ULONG len = 0;
	CK_BYTE *spki = objt_bytes(t, h, CKA_PUBLIC_KEY_INFO, &len);
	const unsigned char *p = spki;
	EVP_PKEY *k = d2i_PUBKEY(NULL, &p, (long)len);

	assert_non_null(k);
	assert_ptr_equal(p, spki + len);
	free(spki);
	return k;
}

EVP_PKEY *objt_ec_key(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	assert_non_null(k);
	return k;
}

X509 *objt_cert(EVP_PKEY *key, const char *cn, EVP_PKEY *ca)
{
	X509 *x = X509_new();
	X509_NAME *subj = X509_NAME_new(), *iss = X509_NAME_new();

	assert_non_null(x);
	assert_non_null(subj);
	assert_non_null(iss);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 0x12345678), 1);
	assert_int_equal(X509_NAME_add_entry_by_txt(subj, "O", MBSTRING_ASC,
	                                            (const unsigned char *)"kinko tests", -1, -1,
	                                            0),
	                 1);
	if (cn)
		assert_int_equal(X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_UTF8,
		                                            (const unsigned char *)cn, -1, -1, 0),
		                 1);
	assert_int_equal(X509_NAME_add_entry_by_txt(iss, "CN", MBSTRING_ASC,
	                                            (const unsigned char *)"kinko test CA", -1, -1,
	                                            0),
	                 1);
	assert_int_equal(X509_set_subject_name(x, subj), 1);
	assert_int_equal(X509_set_issuer_name(x, iss), 1);
	/* 2024-01-02 to 2025-02-03, fixed so the CK_DATE values are known */
	assert_int_equal(ASN1_TIME_set_string(X509_getm_notBefore(x), "20240102030405Z"), 1);
	assert_int_equal(ASN1_TIME_set_string(X509_getm_notAfter(x), "20250203040506Z"), 1);
	assert_int_equal(X509_set_pubkey(x, key), 1);
	assert_true(X509_sign(x, ca, EVP_sha256()) > 0);
	X509_NAME_free(subj);
	X509_NAME_free(iss);
	return x;
}

unsigned char *objt_cert_der(X509 *x, size_t *len)
{
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);

	assert_true(n > 0);
	*len = (size_t)n;
	return der;
}

CK_RV objt_write_cert(p11t *t, const unsigned char *der, size_t len, CK_BYTE id,
                      CK_OBJECT_HANDLE *h)
{
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE type = CKC_X_509;
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE tmpl[] = {
		{CKA_CLASS, &cls, sizeof(cls)}, {CKA_CERTIFICATE_TYPE, &type, sizeof(type)},
		{CKA_TOKEN, &yes, sizeof(yes)}, {CKA_ID, &id, 1},
		{CKA_LABEL, "ignored", 7},      {CKA_VALUE, (void *)der, len},
	};

	*h = 0;
	return t->f->C_CreateObject(t->session, tmpl, sizeof(tmpl) / sizeof(tmpl[0]), h);
}

unsigned char *objt_cert_for(p11t *t, CK_OBJECT_HANDLE pub, const char *cn, size_t *len, X509 **out)
{
	EVP_PKEY *key = objt_pubkey(t, pub), *ca = objt_ec_key();
	X509 *x = objt_cert(key, cn, ca);
	unsigned char *der = objt_cert_der(x, len);

	EVP_PKEY_free(key);
	EVP_PKEY_free(ca);
	if (out)
		*out = x;
	else
		X509_free(x);
	return der;
}
