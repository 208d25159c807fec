/* Helpers of the session object tests (test_p11_sobj.c, test_p11_sobj_keys.c): objects
 * made through the function list and the values of a token public key. Include after
 * cmocka.h. */
#ifndef KINKO_P11_SOBJ_TEST_UTIL_H
#define KINKO_P11_SOBJ_TEST_UTIL_H

#include "p11_obj_test_util.h"

/* A data object (CKA_LABEL label, CKA_APPLICATION "app", CKA_VALUE "payload", CKA_PRIVATE
 * *priv), CKA_TOKEN left to its default; C_CreateObject's CK_RV. */
CK_RV sobjt_make_data(p11t *t, CK_SESSION_HANDLE s, CK_BBOOL *priv, const char *label,
                      CK_OBJECT_HANDLE *h);
/* A read-only session on slots[0]. Asserts. */
CK_SESSION_HANDLE sobjt_open_ro(p11t *t);
/* Every object of t->session's search with this CKA_LABEL. */
size_t sobjt_find_label(p11t *t, const char *label, CK_OBJECT_HANDLE *out, size_t cap);
/* Asserts an attribute's bytes. */
void sobjt_assert_bytes(p11t *t, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type, const void *want,
                        size_t want_len);

/* A public key object of the token as a session object's template values (free a, b). */
typedef struct {
	CK_KEY_TYPE type;
	CK_BYTE *a, *b; /* modulus and exponent, or params and point */
	CK_ULONG a_len, b_len;
} sobjt_key_parts;

void sobjt_key_parts_read(p11t *t, CK_OBJECT_HANDLE pub, sobjt_key_parts *k);
/* A session public key of these values (CKA_VERIFY *verify unless NULL). */
CK_RV sobjt_make_pub(p11t *t, CK_SESSION_HANDLE s, const sobjt_key_parts *k, CK_BBOOL *verify,
                     CK_OBJECT_HANDLE *h);

#endif
