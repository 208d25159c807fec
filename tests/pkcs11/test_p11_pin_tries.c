/* kinko's vendor PIN counters (kinko-pkcs11.h): one hardware feature object, found only by
 * class, readable without a login, with the exact tries of the PIN and the PUK as the token
 * counts them after every wrong and right attempt. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "kinko-pkcs11.h"
#include "p11_obj_test_util.h"

static CK_OBJECT_HANDLE counters(p11t *t)
{
	CK_OBJECT_CLASS cls = CKO_HW_FEATURE;
	CK_HW_FEATURE_TYPE type = CKH_KINKO_PIN_COUNTERS;
	CK_ATTRIBUTE q[] = {{CKA_CLASS, &cls, sizeof(cls)},
	                    {CKA_HW_FEATURE_TYPE, &type, sizeof(type)}};
	CK_OBJECT_HANDLE h[2] = {0, 0};

	assert_int_equal(objt_find(t, q, 2, h, 2), 1);
	return h[0];
}

static void assert_tries(p11t *t, CK_ULONG pin_left, CK_ULONG pin_max, CK_ULONG puk_left,
                         CK_ULONG puk_max)
{
	CK_OBJECT_HANDLE h = counters(t);

	assert_int_equal(objt_ulong(t, h, CKA_KINKO_PIN_TRIES_LEFT), pin_left);
	assert_int_equal(objt_ulong(t, h, CKA_KINKO_PIN_TRIES_MAX), pin_max);
	assert_int_equal(objt_ulong(t, h, CKA_KINKO_PUK_TRIES_LEFT), puk_left);
	assert_int_equal(objt_ulong(t, h, CKA_KINKO_PUK_TRIES_MAX), puk_max);
}

static CK_RV login(p11t *t, CK_USER_TYPE user, const char *pin)
{
	return t->f->C_Login(t->session, user, (CK_UTF8CHAR_PTR)pin, strlen(pin));
}

static void counters_object_is_public_and_read_only(void **state)
{
	p11t *t = *state;
	CK_OBJECT_HANDLE h = counters(t);
	CK_ULONG v = 1;
	CK_ATTRIBUTE set = {CKA_KINKO_PIN_TRIES_LEFT, &v, sizeof(v)};

	assert_int_equal(objt_ulong(t, h, CKA_CLASS), CKO_HW_FEATURE);
	assert_int_equal(objt_ulong(t, h, CKA_HW_FEATURE_TYPE), CKH_KINKO_PIN_COUNTERS);
	assert_false(objt_bool(t, h, CKA_PRIVATE));
	assert_true(objt_bool(t, h, CKA_TOKEN));
	assert_false(objt_bool(t, h, CKA_MODIFIABLE));
	assert_int_equal(t->f->C_SetAttributeValue(t->session, h, &set, 1),
	                 CKR_ATTRIBUTE_READ_ONLY);
	assert_int_not_equal(t->f->C_DestroyObject(t->session, h), CKR_OK);
	assert_int_equal(objt_attr(t, h, CKA_ID, NULL, 0, NULL), CKR_ATTRIBUTE_TYPE_INVALID);
	assert_tries(t, 3, 3, 3, 3);
}

/* PKCS#11: a search finds hardware feature objects only when it asks for their class. */
static void counters_object_is_found_only_by_class(void **state)
{
	p11t *t = *state;
	CK_OBJECT_HANDLE h[4];

	assert_int_equal(objt_find(t, NULL, 0, h, 4), 0);
	assert_int_equal(login(t, CKU_USER, "123456"), CKR_OK);
	p11t_generate(t, 0, "P-256", NULL, 0, &h[0], &h[1]);
	assert_int_equal(objt_find(t, NULL, 0, h, 4), 2);
	assert_int_equal(objt_count_class(t, CKO_HW_FEATURE), 1);
}

static void counters_follow_wrong_and_right_pins(void **state)
{
	p11t *t = *state;

	assert_int_equal(login(t, CKU_USER, "000000"), CKR_PIN_INCORRECT);
	assert_tries(t, 2, 3, 3, 3);
	assert_int_equal(login(t, CKU_USER, "999999"), CKR_PIN_INCORRECT);
	assert_tries(t, 1, 3, 3, 3);
	assert_int_equal(login(t, CKU_USER, "123456"), CKR_OK);
	assert_tries(t, 3, 3, 3, 3);
}

static void counters_follow_a_wrong_puk(void **state)
{
	p11t *t = *state;

	assert_int_equal(login(t, CKU_SO, "00000000"), CKR_OK); /* PIV checks the PUK on use */
	assert_int_not_equal(t->f->C_InitPIN(t->session, (CK_UTF8CHAR_PTR) "654321", 6), CKR_OK);
	assert_tries(t, 3, 3, 2, 3);
}

/* Another program's wrong PIN: the counters come from the token, not from this module. */
static void counters_see_a_wrong_pin_of_another_session(void **state)
{
	p11t *t = *state;
	CK_SESSION_HANDLE other;

	assert_int_equal(t->f->C_OpenSession(t->slots[0], CKF_SERIAL_SESSION, NULL, NULL, &other),
	                 CKR_OK);
	assert_int_equal(t->f->C_Login(other, CKU_USER, (CK_UTF8CHAR_PTR) "111111", 6),
	                 CKR_PIN_INCORRECT);
	assert_int_equal(t->f->C_CloseSession(other), CKR_OK);
	assert_tries(t, 2, 3, 3, 3);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, objt_setup, objt_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(counters_object_is_public_and_read_only),
		T(counters_object_is_found_only_by_class),
		T(counters_follow_wrong_and_right_pins),
		T(counters_follow_a_wrong_puk),
		T(counters_see_a_wrong_pin_of_another_session),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
