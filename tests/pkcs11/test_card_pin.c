/* The PIV card driver's PIN, PUK and management key against the real emulator: tries
 * counted and given back, locking and unblocking, changes, malformed PINs refused without
 * an APDU, the management key given or PIN-protected. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "card_test_util.h"
#include "piv.h"

static const uint8_t pin[] = TEST_PIN;
static const uint8_t puk[] = TEST_PUK;
#define PIN_LEN (sizeof(pin) - 1)
#define PUK_LEN (sizeof(puk) - 1)

static int setup_protected(void **state)
{
	static const char *const args[] = {"--pin-protected-mgmt", NULL};

	return card_fixture_setup(state, args);
}

/* ---- PIN and PUK ---- */

static void verify_wrong_pin_decrements_and_reports_tries(void **state)
{
	card_fixture *f = *state;
	int tries = -1;

	assert_int_equal(card_verify_pin(&f->c, (const uint8_t *)"654321", 6, &tries),
	                 CARD_ERR_PIN_INCORRECT);
	assert_int_equal(tries, 2);
	assert_int_equal(card_pin_status(&f->c, &tries), CARD_ERR_PIN_INCORRECT);
	assert_int_equal(tries, 2);
	assert_int_equal(card_verify_pin(&f->c, pin, PIN_LEN, &tries), CARD_OK);
	assert_int_equal(card_pin_status(&f->c, &tries), CARD_OK);
	/* A right PIN gives the tries back. */
	assert_int_equal(card_logout(&f->c), CARD_OK);
	assert_int_equal(card_pin_status(&f->c, &tries), CARD_ERR_PIN_INCORRECT);
	assert_int_equal(tries, 3);
}

static void malformed_pin_is_refused_without_an_apdu(void **state)
{
	card_fixture *f = *state;
	static const uint8_t with_pad[] = {'1', '2', '3', 0xFF, '5', '6'};
	unsigned long before;
	int tries = -1;

	assert_int_equal(card_connect(&f->c), CARD_OK);
	before = f->c.ch.apdu_count;
	assert_int_equal(card_verify_pin(&f->c, pin, 5, &tries), CARD_ERR_BAD_INPUT);
	assert_int_equal(card_verify_pin(&f->c, (const uint8_t *)"123456789", 9, &tries),
	                 CARD_ERR_BAD_INPUT);
	assert_int_equal(card_verify_pin(&f->c, with_pad, sizeof(with_pad), &tries),
	                 CARD_ERR_BAD_INPUT);
	assert_int_equal(card_change_reference(&f->c, PIV_REF_PIN, pin, PIN_LEN, pin, 3, &tries),
	                 CARD_ERR_BAD_INPUT);
	assert_int_equal(f->c.ch.apdu_count, before);
	assert_int_equal(tries, -1);
}

static void pin_locks_after_last_try_even_for_the_right_pin(void **state)
{
	card_fixture *f = *state;
	int tries = -1, i;

	for (i = 2; i >= 0; i--) {
		assert_int_equal(card_verify_pin(&f->c, (const uint8_t *)"000000", 6, &tries),
		                 CARD_ERR_PIN_INCORRECT);
		assert_int_equal(tries, i);
	}
	tries = -1;
	assert_int_equal(card_verify_pin(&f->c, pin, PIN_LEN, &tries), CARD_ERR_PIN_LOCKED);
	assert_int_equal(tries, 0);
	assert_int_equal(card_pin_status(&f->c, &tries), CARD_ERR_PIN_LOCKED);
}

static void puk_unblocks_locked_pin_with_a_new_pin(void **state)
{
	card_fixture *f = *state;
	int tries = -1, i;

	for (i = 0; i < 3; i++)
		card_verify_pin(&f->c, (const uint8_t *)"000000", 6, &tries);
	assert_int_equal(card_verify_pin(&f->c, pin, PIN_LEN, &tries), CARD_ERR_PIN_LOCKED);
	assert_int_equal(card_unblock_pin(&f->c, (const uint8_t *)"87654321", 8,
	                                  (const uint8_t *)"11112222", 8, &tries),
	                 CARD_ERR_PIN_INCORRECT);
	assert_int_equal(tries, 2); /* the PUK's tries */
	assert_int_equal(card_unblock_pin(&f->c, puk, PUK_LEN, (const uint8_t *)"11112222", 8,
	                                  &tries),
	                 CARD_OK);
	assert_int_equal(card_verify_pin(&f->c, pin, PIN_LEN, &tries), CARD_ERR_PIN_INCORRECT);
	assert_int_equal(card_verify_pin(&f->c, (const uint8_t *)"11112222", 8, &tries), CARD_OK);
}

static void change_pin_replaces_it(void **state)
{
	card_fixture *f = *state;
	int tries = -1;

	assert_int_equal(card_change_reference(&f->c, PIV_REF_PIN, (const uint8_t *)"999999", 6,
	                                       (const uint8_t *)"2468013", 7, &tries),
	                 CARD_ERR_PIN_INCORRECT);
	assert_int_equal(tries, 2);
	assert_int_equal(card_change_reference(&f->c, PIV_REF_PIN, pin, PIN_LEN,
	                                       (const uint8_t *)"2468013", 7, &tries),
	                 CARD_OK);
	assert_int_equal(card_verify_pin(&f->c, pin, PIN_LEN, &tries), CARD_ERR_PIN_INCORRECT);
	assert_int_equal(card_verify_pin(&f->c, (const uint8_t *)"2468013", 7, &tries), CARD_OK);
	/* The PUK too. */
	assert_int_equal(card_change_reference(&f->c, PIV_REF_PUK, puk, PUK_LEN,
	                                       (const uint8_t *)"abcdefgh", 8, &tries),
	                 CARD_OK);
	assert_int_equal(card_change_reference(&f->c, 0x9A, puk, PUK_LEN, puk, PUK_LEN, &tries),
	                 CARD_ERR_BAD_INPUT);
}

/* ---- management key ---- */

static void mgmt_auth_with_default_key_allows_put_data(void **state)
{
	card_fixture *f = *state;
	static const uint8_t value[] = {0x01, 0x02, 0x03};

	assert_int_equal(card_put_data(&f->c, PIV_TAG_CERT_9E, value, sizeof(value)),
	                 CARD_ERR_SECURITY);
	assert_int_equal(card_auth_mgmt(&f->c, PIV_ALG_3DES, test_default_mgmt_key,
	                                sizeof(test_default_mgmt_key)),
	                 CARD_OK);
	assert_int_equal(card_put_data(&f->c, PIV_TAG_CERT_9E, value, sizeof(value)), CARD_OK);
}

static void mgmt_auth_with_wrong_key_is_security_error(void **state)
{
	card_fixture *f = *state;
	uint8_t key[24];
	static const uint8_t value[] = {0x01};

	memcpy(key, test_default_mgmt_key, sizeof(key));
	key[23] ^= 0x55;
	assert_int_equal(card_auth_mgmt(&f->c, PIV_ALG_3DES, key, sizeof(key)), CARD_ERR_SECURITY);
	assert_int_equal(card_put_data(&f->c, PIV_TAG_CERT_9E, value, sizeof(value)),
	                 CARD_ERR_SECURITY);
	/* Wrong shapes never reach the card. */
	assert_int_equal(card_auth_mgmt(&f->c, PIV_ALG_3DES, key, 16), CARD_ERR_BAD_INPUT);
	assert_int_equal(card_auth_mgmt(&f->c, PIV_ALG_RSA2048, key, 24), CARD_ERR_BAD_INPUT);
	/* The card checks the algorithm too. */
	assert_int_equal(card_auth_mgmt(&f->c, PIV_ALG_AES128, key, 16), CARD_ERR_BAD_INPUT);
}

static void auth_mgmt_with_pin_without_protected_key_is_not_found(void **state)
{
	card_fixture *f = *state;

	assert_int_equal(card_verify_pin(&f->c, pin, PIN_LEN, NULL), CARD_OK);
	assert_int_equal(card_auth_mgmt_with_pin(&f->c), CARD_ERR_NOT_FOUND);
}

static void pin_protected_mgmt_key_authenticates_after_verify(void **state)
{
	card_fixture *f = *state;
	uint8_t pub[1024];
	size_t n = 0;
	unsigned long before;

	assert_int_equal(card_auth_mgmt_with_pin(&f->c), CARD_ERR_SECURITY);
	assert_int_equal(card_verify_pin(&f->c, pin, PIN_LEN, NULL), CARD_OK);
	before = f->c.ch.apdu_count;
	assert_int_equal(card_auth_mgmt_with_pin(&f->c), CARD_OK);
	/* ADMIN DATA, PRINTED, METADATA 9B, two GENERAL AUTHENTICATE. */
	assert_int_equal(f->c.ch.apdu_count - before, 5);
	assert_int_equal(card_generate(&f->c, PIV_KEY_KEYMGMT, PIV_ALG_ECCP256, 0, pub, sizeof(pub),
	                               &n),
	                 CARD_OK);
	/* The factory key is not the one in use. */
	assert_int_equal(card_auth_mgmt(&f->c, PIV_ALG_3DES, test_default_mgmt_key,
	                                sizeof(test_default_mgmt_key)),
	                 CARD_ERR_SECURITY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		CARD_FIXTURE_TEST(verify_wrong_pin_decrements_and_reports_tries),
		CARD_FIXTURE_TEST(malformed_pin_is_refused_without_an_apdu),
		CARD_FIXTURE_TEST(pin_locks_after_last_try_even_for_the_right_pin),
		CARD_FIXTURE_TEST(puk_unblocks_locked_pin_with_a_new_pin),
		CARD_FIXTURE_TEST(change_pin_replaces_it),
		CARD_FIXTURE_TEST(mgmt_auth_with_default_key_allows_put_data),
		CARD_FIXTURE_TEST(mgmt_auth_with_wrong_key_is_security_error),
		CARD_FIXTURE_TEST(auth_mgmt_with_pin_without_protected_key_is_not_found),
		cmocka_unit_test_setup_teardown(pin_protected_mgmt_key_authenticates_after_verify,
	                                        setup_protected, card_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
