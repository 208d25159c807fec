/* With the PIN from a pinentry, a search for a private key by its CKA_ID (how NSS looks for
 * the key of the certificate a browser is about to send) asks for the PIN: once given, the
 * key is found and signs without a second dialog; cancelled, the key is left out of such
 * searches while the cancel is remembered, so the browser goes on without a certificate
 * (a signature refused later would end its TLS handshake with an error page instead). A
 * search without CKA_ID still sees the key without asking, and the handle stays valid. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kinko-pkcs11.h"
#include "p11_clock_test_util.h"
#include "pinentry_test_util.h"

#define PIN "123456"

/* How many private keys a search finds: by CKA_ID when id is not 0, by class only else. */
static CK_ULONG private_keys_found(pet *x, CK_BYTE id)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE q[] = {{CKA_ID, &id, 1}, {CKA_CLASS, &cls, sizeof(cls)}};
	CK_OBJECT_HANDLE h[8];
	CK_ULONG n = 0;

	assert_int_equal(x->t.f->C_FindObjectsInit(x->t.session, id ? q : &q[1], id ? 2 : 1),
	                 CKR_OK);
	assert_int_equal(x->t.f->C_FindObjects(x->t.session, h, 8, &n), CKR_OK);
	assert_int_equal(x->t.f->C_FindObjectsFinal(x->t.session), CKR_OK);
	return n;
}

static size_t getpins(pet *x)
{
	char *log = pet_log(x);
	size_t n = pet_count(log, "GETPIN");

	free(log);
	return n;
}

static void search_by_id_asks_once_then_the_key_signs(void **state)
{
	pet *x = *state;
	CK_SESSION_INFO si;

	pet_script(x, "pin:" PIN "\n");
	assert_int_equal(private_keys_found(x, KINKO_CKA_ID_9A), 1);
	assert_int_equal(getpins(x), 1);
	assert_int_equal(x->t.f->C_GetSessionInfo(x->t.session, &si), CKR_OK);
	assert_int_equal(si.state, CKS_RW_USER_FUNCTIONS);
	assert_int_equal(private_keys_found(x, KINKO_CKA_ID_9A), 1);
	assert_int_equal(pet_sign(x, x->priv_9a), CKR_OK);
	assert_int_equal(getpins(x), 1);
}

static void search_without_id_asks_nothing(void **state)
{
	pet *x = *state;

	assert_int_equal(private_keys_found(x, 0), 2);
	assert_int_equal(getpins(x), 0);
}

static void cancel_at_the_search_leaves_the_key_out_while_remembered(void **state)
{
	pet *x = *state;

	pet_script(x, "cancel\npin:" PIN "\n");
	assert_int_equal(private_keys_found(x, KINKO_CKA_ID_9A), 0);
	/* The browser's next searches: no dialog, no key. */
	assert_int_equal(private_keys_found(x, KINKO_CKA_ID_9A), 0);
	assert_int_equal(private_keys_found(x, KINKO_CKA_ID_9C), 0);
	assert_int_equal(getpins(x), 1);
	/* Other programs still see the key, and its handle is still the key's. */
	assert_int_equal(private_keys_found(x, 0), 2);
	assert_int_equal(pet_sign(x, x->priv_9a), CKR_FUNCTION_CANCELED);
	assert_int_equal(getpins(x), 1);
	/* Once the window is over, the search asks again. */
	p11t_clock_advance_ms(30500);
	assert_int_equal(private_keys_found(x, KINKO_CKA_ID_9A), 1);
	assert_int_equal(getpins(x), 2);
}

static void application_mode_search_asks_nothing(void **state)
{
	pet *x = *state;

	pet_reinit(x, "pin_source = application\n");
	assert_int_equal(private_keys_found(x, KINKO_CKA_ID_9A), 0);
	assert_int_equal(getpins(x), 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, pet_setup, pet_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(search_by_id_asks_once_then_the_key_signs),
		T(search_without_id_asks_nothing),
		T(cancel_at_the_search_leaves_the_key_out_while_remembered),
		T(application_mode_search_asks_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
