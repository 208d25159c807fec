/* The session object store on its own (pkcs11/mod_sobj.c, linked without the rest of the
 * module): derived secrets (mod_sobj_add_secret, which C_DeriveKey uses), their sensitive
 * and extractable rules, the keys and bytes the crypto layer takes from session objects,
 * and the objects' end at logout, at their session's close and at a removal. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "mod_sobj.h"

/* What the store asks of the rest of the module; the last KINKO_DEBUG=p11 line kept. */
static bool logged_in;
static char traced[512];

bool mod_slot_user_logged_in(const mod_slot *s)
{
	(void)s;
	return logged_in;
}

void mod_trace_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(traced, sizeof(traced), fmt, ap);
	va_end(ap);
}

typedef struct {
	mod_slot s;
	mod_session sess;
	uint8_t secret[32];
} fixture;

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof(*fx));
	size_t i;

	if (!fx)
		return -1;
	fx->s.generation = 1;
	fx->sess.handle = 7;
	for (i = 0; i < sizeof(fx->secret); i++)
		fx->secret[i] = (uint8_t)(0xA0 + i);
	logged_in = false;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;

	mod_sobj_slot_free(&fx->s);
	free(fx);
	return 0;
}

static CK_RV get(fixture *fx, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type, void *buf, CK_ULONG cap,
                 CK_ULONG *len)
{
	CK_ATTRIBUTE a = {type, buf, cap};
	CK_RV rv = mod_sobj_get_attributes(&fx->s, h, &a, 1);

	*len = a.ulValueLen;
	return rv;
}

static bool get_bool(fixture *fx, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type)
{
	CK_BBOOL b = CK_FALSE;
	CK_ULONG len = 0;

	assert_int_equal(get(fx, h, type, &b, sizeof(b), &len), CKR_OK);
	assert_int_equal(len, 1);
	return b != CK_FALSE;
}

static CK_ULONG get_ulong(fixture *fx, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type)
{
	CK_ULONG v = 0, len = 0;

	assert_int_equal(get(fx, h, type, &v, sizeof(v), &len), CKR_OK);
	assert_int_equal(len, sizeof(v));
	return v;
}

static void derived_secret_is_sensitive_unless_the_template_says_otherwise(void **state)
{
	fixture *fx = *state;
	CK_BBOOL no = CK_FALSE, yes = CK_TRUE;
	CK_ULONG sixteen = 16, len = 0;
	CK_ATTRIBUTE readable[] = {{CKA_SENSITIVE, &no, 1},
	                           {CKA_VALUE_LEN, &sixteen, sizeof(CK_ULONG)}};
	CK_ATTRIBUTE sensitive[] = {{CKA_SENSITIVE, &yes, 1}};
	CK_ATTRIBUTE insensitive[] = {{CKA_SENSITIVE, &no, 1}};
	CK_ATTRIBUTE unextractable[] = {{CKA_EXTRACTABLE, &no, 1}};
	CK_ATTRIBUTE extractable[] = {{CKA_EXTRACTABLE, &yes, 1}};
	CK_OBJECT_HANDLE h, r;
	uint8_t buf[64];

	assert_int_equal(mod_sobj_add_secret(&fx->s, &fx->sess, NULL, 0, fx->secret, 32, &h),
	                 CKR_OK);
	assert_true(mod_sobj_is_handle(h));
	assert_int_equal(get_ulong(fx, h, CKA_CLASS), CKO_SECRET_KEY);
	assert_int_equal(get_ulong(fx, h, CKA_KEY_TYPE), CKK_GENERIC_SECRET);
	assert_int_equal(get_ulong(fx, h, CKA_VALUE_LEN), 32);
	assert_true(get_bool(fx, h, CKA_SENSITIVE));
	assert_true(get_bool(fx, h, CKA_EXTRACTABLE));
	assert_true(get_bool(fx, h, CKA_ALWAYS_SENSITIVE));
	assert_false(get_bool(fx, h, CKA_NEVER_EXTRACTABLE));
	assert_false(get_bool(fx, h, CKA_LOCAL));
	assert_false(get_bool(fx, h, CKA_TOKEN));
	assert_int_equal(get(fx, h, CKA_VALUE, buf, sizeof(buf), &len), CKR_ATTRIBUTE_SENSITIVE);
	assert_int_equal(len, CK_UNAVAILABLE_INFORMATION);

	/* what the application asked for, cut to CKA_VALUE_LEN */
	assert_int_equal(mod_sobj_add_secret(&fx->s, &fx->sess, readable, 2, fx->secret, 32, &r),
	                 CKR_OK);
	assert_false(get_bool(fx, r, CKA_ALWAYS_SENSITIVE));
	assert_int_equal(get(fx, r, CKA_VALUE, buf, sizeof(buf), &len), CKR_OK);
	assert_int_equal(len, 16);
	assert_memory_equal(buf, fx->secret, 16);
	/* protections only grow */
	assert_int_equal(mod_sobj_set_attributes(&fx->s, &fx->sess, r, unextractable, 1), CKR_OK);
	assert_int_equal(get(fx, r, CKA_VALUE, buf, sizeof(buf), &len), CKR_ATTRIBUTE_SENSITIVE);
	assert_int_equal(mod_sobj_set_attributes(&fx->s, &fx->sess, r, extractable, 1),
	                 CKR_ATTRIBUTE_READ_ONLY);
	assert_int_equal(mod_sobj_set_attributes(&fx->s, &fx->sess, r, sensitive, 1), CKR_OK);
	assert_int_equal(mod_sobj_set_attributes(&fx->s, &fx->sess, r, insensitive, 1),
	                 CKR_ATTRIBUTE_READ_ONLY);
	/* a sensitive value is never matched by a search either */
	{
		CK_ATTRIBUTE by_value[] = {{CKA_VALUE, fx->secret, 16}};
		CK_OBJECT_HANDLE *found = NULL;
		size_t n_found = 0;

		assert_int_equal(mod_sobj_find(&fx->s, by_value, 1, &found, &n_found), CKR_OK);
		assert_int_equal(n_found, 0);
		free(found);
	}
}

static void derive_templates_the_secret_cannot_honour_are_refused(void **state)
{
	fixture *fx = *state;
	CK_BBOOL yes = CK_TRUE;
	CK_ULONG too_long = 33;
	CK_OBJECT_CLASS data = CKO_DATA;
	CK_KEY_TYPE aes = CKK_AES;
	struct {
		CK_ATTRIBUTE a;
		CK_RV want;
	} cases[] = {
		{{CKA_VALUE_LEN, &too_long, sizeof(too_long)}, CKR_TEMPLATE_INCONSISTENT},
		{{CKA_TOKEN, &yes, 1}, CKR_TEMPLATE_INCONSISTENT},
		{{CKA_CLASS, &data, sizeof(data)}, CKR_TEMPLATE_INCONSISTENT},
		{{CKA_KEY_TYPE, &aes, sizeof(aes)}, CKR_TEMPLATE_INCONSISTENT},
		{{CKA_VALUE, "x", 1}, CKR_ATTRIBUTE_READ_ONLY},
		{{CKA_ALWAYS_SENSITIVE, &yes, 1}, CKR_ATTRIBUTE_READ_ONLY},
		{{CKA_MODULUS, "x", 1}, CKR_ATTRIBUTE_TYPE_INVALID},
		{{CKA_SENSITIVE, &yes, 2}, CKR_ATTRIBUTE_VALUE_INVALID},
	};
	CK_OBJECT_HANDLE h = 0;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CK_RV rv =
			mod_sobj_add_secret(&fx->s, &fx->sess, &cases[i].a, 1, fx->secret, 32, &h);

		if (rv != cases[i].want)
			fail_msg("case %zu: 0x%lx, want 0x%lx", i, (unsigned long)rv,
			         (unsigned long)cases[i].want);
	}
	assert_int_equal(mod_sobj_add_secret(&fx->s, &fx->sess, NULL, 0, fx->secret, 32, NULL),
	                 CKR_ARGUMENTS_BAD);
	assert_int_equal(mod_sobj_add_secret(&fx->s, &fx->sess, NULL, 0, NULL, 32, &h),
	                 CKR_ARGUMENTS_BAD);
	assert_null(fx->s.sobjs);
}

static void secrets_made_while_logged_in_go_at_logout(void **state)
{
	fixture *fx = *state;
	CK_OBJECT_HANDLE priv, pub;
	CK_ULONG len = 0;

	logged_in = true;
	assert_int_equal(mod_sobj_add_secret(&fx->s, &fx->sess, NULL, 0, fx->secret, 32, &priv),
	                 CKR_OK);
	assert_true(get_bool(fx, priv, CKA_PRIVATE));
	logged_in = false;
	assert_int_equal(mod_sobj_add_secret(&fx->s, &fx->sess, NULL, 0, fx->secret, 32, &pub),
	                 CKR_OK);
	assert_false(get_bool(fx, pub, CKA_PRIVATE));
	mod_sobj_logout(&fx->s);
	logged_in = true;
	assert_int_equal(get(fx, priv, CKA_CLASS, NULL, 0, &len), CKR_OBJECT_HANDLE_INVALID);
	assert_int_equal(get(fx, pub, CKA_CLASS, NULL, 0, &len), CKR_OK);
	/* another session's close leaves it, its own takes it */
	mod_sobj_session_closed(&fx->s, fx->sess.handle + 1);
	assert_int_equal(get(fx, pub, CKA_CLASS, NULL, 0, &len), CKR_OK);
	mod_sobj_session_closed(&fx->s, fx->sess.handle);
	assert_int_equal(get(fx, pub, CKA_CLASS, NULL, 0, &len), CKR_OBJECT_HANDLE_INVALID);
}

static void a_removal_ends_the_objects_of_the_token_generation(void **state)
{
	fixture *fx = *state;
	CK_OBJECT_HANDLE h;
	CK_ULONG len = 0;

	assert_int_equal(mod_sobj_add_secret(&fx->s, &fx->sess, NULL, 0, fx->secret, 32, &h),
	                 CKR_OK);
	fx->s.generation++;
	assert_int_equal(get(fx, h, CKA_CLASS, NULL, 0, &len), CKR_OBJECT_HANDLE_INVALID);
	assert_null(fx->s.sobjs);
}

/* A session EC public key of a fresh P-256 key, made from its raw point. */
static CK_OBJECT_HANDLE make_ec_pub(fixture *fx, EVP_PKEY **key)
{
	static const CK_BYTE oid_p256[] = {0x06, 0x08, 0x2A, 0x86, 0x48,
	                                   0xCE, 0x3D, 0x03, 0x01, 0x07};
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_KEY_TYPE type = CKK_EC;
	uint8_t point[65];
	size_t point_len = 0;
	CK_OBJECT_HANDLE h = 0;

	*key = EVP_EC_gen("P-256");
	assert_non_null(*key);
	assert_int_equal(EVP_PKEY_get_octet_string_param(*key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
	                                                 point, sizeof(point), &point_len),
	                 1);
	{
		CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof(cls)},
		                       {CKA_KEY_TYPE, &type, sizeof(type)},
		                       {CKA_EC_PARAMS, (void *)oid_p256, sizeof(oid_p256)},
		                       {CKA_EC_POINT, point, (CK_ULONG)point_len}};

		assert_int_equal(mod_sobj_create(&fx->s, &fx->sess, tmpl, 4, &h), CKR_OK);
	}
	return h;
}

static void crypto_layer_gets_keys_and_digest_bytes_of_session_keys(void **state)
{
	fixture *fx = *state;
	CK_BBOOL no = CK_FALSE;
	CK_ATTRIBUTE no_encrypt[] = {{CKA_ENCRYPT, &no, 1}};
	CK_OBJECT_CLASS data_cls = CKO_DATA;
	CK_ATTRIBUTE data[] = {{CKA_CLASS, &data_cls, sizeof(data_cls)}};
	CK_OBJECT_HANDLE pub, secret, obj;
	EVP_PKEY *key = NULL, *got = NULL;
	unsigned char *spki = NULL;
	uint8_t *bytes = NULL;
	size_t len = 0;
	int spki_len;

	pub = make_ec_pub(fx, &key);
	assert_int_equal(mod_sobj_pubkey(&fx->s, &fx->sess, pub, CKA_VERIFY, &got), CKR_OK);
	assert_int_equal(EVP_PKEY_eq(got, key), 1);
	assert_int_equal(mod_sobj_piv_alg(got), 0x11); /* PIV_ALG_ECCP256 */
	EVP_PKEY_free(got);
	assert_int_equal(mod_sobj_set_attributes(&fx->s, &fx->sess, pub, no_encrypt, 1), CKR_OK);
	assert_int_equal(mod_sobj_pubkey(&fx->s, &fx->sess, pub, CKA_ENCRYPT, &got),
	                 CKR_KEY_FUNCTION_NOT_PERMITTED);
	assert_null(got);

	spki_len = i2d_PUBKEY(key, &spki);
	assert_true(spki_len > 0);
	assert_int_equal(mod_sobj_digest_bytes(&fx->s, &fx->sess, pub, &bytes, &len), CKR_OK);
	assert_int_equal(len, (size_t)spki_len);
	assert_memory_equal(bytes, spki, len);
	free(bytes);

	/* a secret gives its value, sensitive or not: it never leaves the module */
	assert_int_equal(mod_sobj_add_secret(&fx->s, &fx->sess, NULL, 0, fx->secret, 32, &secret),
	                 CKR_OK);
	assert_int_equal(mod_sobj_digest_bytes(&fx->s, &fx->sess, secret, &bytes, &len), CKR_OK);
	assert_int_equal(len, 32);
	assert_memory_equal(bytes, fx->secret, 32);
	free(bytes);
	assert_int_equal(mod_sobj_pubkey(&fx->s, &fx->sess, secret, 0, &got),
	                 CKR_KEY_HANDLE_INVALID);

	assert_int_equal(mod_sobj_create(&fx->s, &fx->sess, data, 1, &obj), CKR_OK);
	assert_int_equal(mod_sobj_digest_bytes(&fx->s, &fx->sess, obj, &bytes, &len),
	                 CKR_KEY_HANDLE_INVALID);
	assert_int_equal(mod_sobj_digest_bytes(&fx->s, &fx->sess, 0x10101, &bytes, &len),
	                 CKR_KEY_HANDLE_INVALID);
	OPENSSL_free(spki);
	EVP_PKEY_free(key);
}

/* C_CreateObject's choice: a token object the token cannot store is refused, and the
 * trace says why; a certificate, or no class at all, goes on to the token's path. */
static void token_objects_other_than_certificates_are_refused_with_the_reason(void **state)
{
	fixture *fx = *state;
	CK_OBJECT_CLASS data = CKO_DATA, pub = CKO_PUBLIC_KEY, cert = CKO_CERTIFICATE;
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &data, sizeof(data)}, {CKA_TOKEN, &yes, 1}};
	bool token = false;

	assert_int_equal(mod_sobj_wants_token(tmpl, 2, &token), CKR_OK);
	assert_true(token);
	assert_int_equal(mod_sobj_wants_token(tmpl, 1, &token), CKR_OK);
	assert_false(token);
	tmpl[1].ulValueLen = 4;
	assert_int_equal(mod_sobj_wants_token(tmpl, 2, &token), CKR_ATTRIBUTE_VALUE_INVALID);

	traced[0] = '\0';
	assert_int_equal(mod_sobj_token_storable(&fx->s, tmpl, 2), CKR_TEMPLATE_INCONSISTENT);
	assert_non_null(strstr(traced, "stores certificates"));
	assert_non_null(strstr(traced, "CKA_TOKEN FALSE makes a session object"));
	tmpl[0].pValue = &pub;
	assert_int_equal(mod_sobj_token_storable(&fx->s, tmpl, 2), CKR_TEMPLATE_INCONSISTENT);
	tmpl[0].pValue = &cert;
	assert_int_equal(mod_sobj_token_storable(&fx->s, tmpl, 2), CKR_OK);
	assert_int_equal(mod_sobj_token_storable(&fx->s, tmpl + 1, 1), CKR_OK);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(derived_secret_is_sensitive_unless_the_template_says_otherwise),
		T(derive_templates_the_secret_cannot_honour_are_refused),
		T(secrets_made_while_logged_in_go_at_logout),
		T(a_removal_ends_the_objects_of_the_token_generation),
		T(crypto_layer_gets_keys_and_digest_bytes_of_session_keys),
		T(token_objects_other_than_certificates_are_refused_with_the_reason),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
