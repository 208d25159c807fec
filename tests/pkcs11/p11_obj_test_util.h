/* Helpers of the object tests (test_p11_objects.c, test_p11_certs.c): attributes read
 * through the function list, searches, and certificates made with OpenSSL for a key of
 * the token. Include after cmocka.h. */
#ifndef KINKO_P11_OBJ_TEST_UTIL_H
#define KINKO_P11_OBJ_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "p11_test_util.h"

/* cmocka test fixtures: a fresh token per test (p11t in *state), logged in or not. */
int objt_setup(void **state);
int objt_setup_login(void **state);
int objt_teardown(void **state);

/* One attribute: its CK_RV from C_GetAttributeValue, value into buf (cap bytes). */
CK_RV objt_attr(p11t *t, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type, void *buf, CK_ULONG cap,
                CK_ULONG *len);
/* Asserting forms. */
CK_ULONG objt_ulong(p11t *t, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type);
bool objt_bool(p11t *t, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type);
/* A CK_BBOOL attribute and the value a test expects of it. */
typedef struct {
	CK_ATTRIBUTE_TYPE type;
	bool value;
} objt_bool_want;
/* Asserts each of n expectations; a failure names the attribute. */
void objt_assert_bools(p11t *t, CK_OBJECT_HANDLE h, const objt_bool_want *want, size_t n);
/* malloc'd value (length query first, then the value). */
CK_BYTE *objt_bytes(p11t *t, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type, CK_ULONG *len);

/* Every match of a template, in C_FindObjects chunks of one. */
size_t objt_find(p11t *t, CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_OBJECT_HANDLE *out, size_t cap);
size_t objt_count_class(p11t *t, CK_OBJECT_CLASS cls);

/* An object's public key (CKA_PUBLIC_KEY_INFO) for OpenSSL. */
EVP_PKEY *objt_pubkey(p11t *t, CK_OBJECT_HANDLE h);
/* A throwaway P-256 key. */
EVP_PKEY *objt_ec_key(void);
/* An X.509 certificate for key, subject CN cn (NULL: an O only), signed by ca. */
X509 *objt_cert(EVP_PKEY *key, const char *cn, EVP_PKEY *ca);
/* DER of a certificate, malloc'd (OPENSSL_free). */
unsigned char *objt_cert_der(X509 *x, size_t *len);
/* DER (OPENSSL_free) of a certificate for the key of the public key object pub, subject
 * CN cn, signed by a throwaway CA; the certificate itself into *out unless out is NULL. */
unsigned char *objt_cert_for(p11t *t, CK_OBJECT_HANDLE pub, const char *cn, size_t *len,
                             X509 **out);
/* C_CreateObject of a certificate with this CKA_ID. */
CK_RV objt_write_cert(p11t *t, const unsigned char *der, size_t len, CK_BYTE id,
                      CK_OBJECT_HANDLE *h);

#endif
