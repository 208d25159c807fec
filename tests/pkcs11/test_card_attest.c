/* ATTEST through the card driver (card_attest) against the emulator: a generated key's
 * attestation is a certificate of that key, and the card's refusals come back as the
 * statuses card.h names (6A88 an empty slot, 6985 a token without attestation key, 6D00 a
 * card without ATTEST); a slot that is no key slot never reaches the card. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "card_test_util.h"
#include "piv.h"
#include "tmpdir_test_util.h"

/* The CA --make-attestation-ca wrote for the running test (one at a time). */
static char ca_dir[256];

/* A token whose F9 key was issued by that CA. */
static int setup_with_ca(void **state)
{
	char cert[320], key[320];
	const char *make[] = {"--make-attestation-ca", ca_dir, NULL};
	const char *init[] = {"--attestation-ca-cert", cert, "--attestation-ca-key", key, NULL};

	if (tkit_tmpdir_make(ca_dir, sizeof(ca_dir), "card-attest") != 0 ||
	    emu_run(make, NULL, 0) != 0)
		return -1;
	snprintf(cert, sizeof(cert), "%s/attestation-ca.pem", ca_dir);
	snprintf(key, sizeof(key), "%s/attestation-ca.key", ca_dir);
	return card_fixture_setup(state, init);
}

static int teardown_with_ca(void **state)
{
	char path[320];

	snprintf(path, sizeof(path), "%s/attestation-ca.pem", ca_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/attestation-ca.key", ca_dir);
	unlink(path);
	rmdir(ca_dir);
	return card_fixture_teardown(state);
}

static int setup_piv(void **state)
{
	static const char *const args[] = {"--profile", "piv", NULL};

	return card_fixture_setup(state, args);
}

static EVP_PKEY *generate_p256(card_fixture *f, uint8_t slot)
{
	uint8_t pub[256];
	size_t pub_len = 0;

	assert_int_equal(card_auth_mgmt(&f->c, PIV_ALG_3DES, test_default_mgmt_key,
	                                sizeof(test_default_mgmt_key)),
	                 CARD_OK);
	assert_int_equal(card_generate(&f->c, slot, PIV_ALG_ECCP256, 0, pub, sizeof(pub), &pub_len),
	                 CARD_OK);
	return test_pubkey_from_7f49(PIV_ALG_ECCP256, pub, pub_len);
}

static void attestation_of_a_generated_key_is_a_certificate_of_it(void **state)
{
	card_fixture *f = *state;
	EVP_PKEY *key = generate_p256(f, PIV_KEY_AUTH);
	uint8_t *der = NULL;
	const uint8_t *p;
	size_t len = 0;
	X509 *x;

	assert_non_null(key);
	assert_int_equal(card_attest(&f->c, PIV_KEY_AUTH, &der, &len), CARD_OK);
	p = der;
	x = d2i_X509(NULL, &p, (long)len);
	assert_non_null(x);
	assert_ptr_equal(p, der + len);
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(x), key), 1);
	X509_free(x);
	EVP_PKEY_free(key);
	free(der);
}

static void empty_slot_is_not_found_and_f9_never_leaves(void **state)
{
	card_fixture *f = *state;
	uint8_t *der = (uint8_t *)"x";
	size_t len = 5;
	uint16_t sw;

	assert_int_equal(card_attest(&f->c, PIV_KEY_SIGN, &der, &len), CARD_ERR_NOT_FOUND);
	assert_null(der);
	assert_int_equal(len, 0);
	sw = f->c.last_sw;
	assert_int_equal(sw, SW_REF_NOT_FOUND);
	/* F9 is no key slot: refused here, the card's last status word is still the one above */
	f->c.last_sw = 0;
	assert_int_equal(card_attest(&f->c, PIV_KEY_ATTEST, &der, &len), CARD_ERR_BAD_INPUT);
	assert_int_equal(f->c.last_sw, 0);
}

/* A generated key the card will not attest: the status and the card's word (0: not
 * looked at). */
static void assert_attest_refused(card_fixture *f, card_status want, uint16_t sw)
{
	EVP_PKEY *key = generate_p256(f, PIV_KEY_AUTH);
	uint8_t *der = NULL;
	size_t len = 0;

	assert_int_equal(card_attest(&f->c, PIV_KEY_AUTH, &der, &len), want);
	if (sw)
		assert_int_equal(f->c.last_sw, sw);
	assert_null(der);
	EVP_PKEY_free(key);
}

static void token_without_attestation_key_answers_6985(void **state)
{
	assert_attest_refused(*state, CARD_ERR_FAILED, SW_CONDITIONS_NOT_SATISFIED);
}

static void card_without_attest_is_unsupported(void **state)
{
	/* last_sw is the answer to the driver's probe after the 6D00, not the 6D00 */
	assert_attest_refused(*state, CARD_ERR_UNSUPPORTED, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			attestation_of_a_generated_key_is_a_certificate_of_it, setup_with_ca,
			card_fixture_teardown),
		cmocka_unit_test_setup_teardown(empty_slot_is_not_found_and_f9_never_leaves,
	                                        setup_with_ca, teardown_with_ca),
		CARD_FIXTURE_TEST(token_without_attestation_key_answers_6985),
		cmocka_unit_test_setup_teardown(card_without_attest_is_unsupported, setup_piv,
	                                        card_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
