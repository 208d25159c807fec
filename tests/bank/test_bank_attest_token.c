/* The bank's checks on what kinko's token really answers: ATTEST and the F9 certificate of
 * the firmware (in process, provisioned from a test manufacturer CA) in a bundle as a client
 * sends it pass bankd_attest_check with the token's serial, and fail at a date past the CA or
 * for a key of PIN policy never; a yubikey-profile attestation carries no kinko origin. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <openssl/x509.h>

#include "attest_asn1.h"
#include "bankd_attest.h"
#include "piv.h"
#include "piv_test_keys.h"
#include "piv_test_util.h"
#include "tlv.h"
#include "token_attest.h"

#define TOKEN_SERIAL 7654321

/* The test manufacturer CA, made by the first test that needs it. */
static X509 *ca_cert;
static EVP_PKEY *ca_key;

/* A token of the profile with serial TOKEN_SERIAL whose attestation key the CA certified. */
static int token_of(void **state, uint8_t profile)
{
	tok_provision_opts o = {0};

	if (ca_cert == NULL && tok_attest_ca_make(&ca_cert, &ca_key) != 0)
		return -1;
	o.serial = TOKEN_SERIAL;
	o.profile = profile;
	if (piv_fixture_setup_with(state, &o, true) != 0)
		return -1;
	return tok_attest_provision(&((piv_fixture *)*state)->st, ca_cert, ca_key);
}

static int kinko_token(void **state)
{
	return token_of(state, TOK_PROFILE_KINKO);
}

static int yubikey_token(void **state)
{
	return token_of(state, TOK_PROFILE_YUBIKEY);
}

/* GENERATE P-256 in 9A with a PIN policy; the public key of the answer. */
static EVP_PKEY *generate(piv_fixture *f, uint8_t pin_policy)
{
	const uint8_t tmpl[] = {PIV_TLV_GEN_TEMPLATE, 0x06, 0x80, 0x01,
	                        PIV_ALG_ECCP256,      0xAA, 0x01, pin_policy};

	piv_test_auth_default_mgmt(f);
	assert_int_equal(piv_send_all(f, PIV_INS_GENERATE_KEY, 0x00, 0x9A, tmpl, sizeof(tmpl),
	                              false),
	                 SW_OK);
	return piv_test_pubkey_from_template(PIV_ALG_ECCP256, f->resp, f->resp_len);
}

/* The evidence a client builds: ATTEST 9A and the F9 certificate (GET DATA 5FFF01's 70),
 * through the bundle's encoder and decoder. */
static void evidence_of_9a(piv_fixture *f, bankd_attest_evidence *ev)
{
	static const uint8_t get_f9[] = {0x5C, 0x03, 0x5F, 0xFF, 0x01};
	const unsigned char *p;
	tlv_item outer, cert;
	X509 *att, *f9;
	STACK_OF(X509) *chain = sk_X509_new_null();
	unsigned char *der = NULL;
	size_t n = 0;

	assert_int_equal(piv_send_all(f, PIV_INS_ATTEST, 0x9A, 0x00, NULL, 0, false), SW_OK);
	p = f->resp;
	att = d2i_X509(NULL, &p, (long)f->resp_len);
	assert_non_null(att);
	assert_int_equal(piv_send_all(f, PIV_INS_GET_DATA, 0x3F, 0xFF, get_f9, sizeof(get_f9),
	                              false),
	                 SW_OK);
	assert_int_equal(tlv_parse(f->resp, f->resp_len, &outer), TLV_OK);
	assert_int_equal(tlv_find(outer.value, outer.len, PIV_TLV_CERT, &cert), TLV_OK);
	p = cert.value;
	f9 = d2i_X509(NULL, &p, (long)cert.len);
	assert_non_null(f9);
	assert_true(sk_X509_push(chain, f9) > 0);
	assert_int_equal(attest_bundle_encode(att, chain, &der, &n), 0);
	assert_int_equal(bankd_attest_bundle_decode(der, n, ev), 0);
	OPENSSL_free(der);
	sk_X509_pop_free(chain, X509_free);
	X509_free(att);
}

static X509_STORE *roots(void)
{
	X509_STORE *s = X509_STORE_new();

	assert_non_null(s);
	assert_int_equal(X509_STORE_add_cert(s, ca_cert), 1);
	return s;
}

/* The rule the bank applies at now to the token's 9A key of pin_policy; serial gets the
 * recorded token serial. */
static bankd_attest_rule bank_rule(piv_fixture *f, uint8_t pin_policy, time_t now,
                                   char serial[BANKD_ATTEST_SERIAL_MAX])
{
	EVP_PKEY *pub = generate(f, pin_policy);
	bankd_attest_evidence ev;
	X509_STORE *s = roots();
	bankd_attest_rule r;

	assert_non_null(pub);
	evidence_of_9a(f, &ev);
	r = bankd_attest_check(&ev, s, pub, now, serial);
	bankd_attest_evidence_free(&ev);
	X509_STORE_free(s);
	EVP_PKEY_free(pub);
	return r;
}

static void token_attestation_passes_and_names_the_token_serial(void **state)
{
	char serial[BANKD_ATTEST_SERIAL_MAX];

	assert_int_equal(bank_rule(*state, PIV_PIN_POLICY_ONCE, time(NULL), serial),
	                 BANKD_ATTEST_OK);
	assert_string_equal(serial, "7654321");
}

static void token_attestation_is_refused_past_the_manufacturer_ca(void **state)
{
	char serial[BANKD_ATTEST_SERIAL_MAX];

	/* The test CA is valid for years, not for a century. */
	assert_int_equal(bank_rule(*state, PIV_PIN_POLICY_ONCE, time(NULL) + 100 * 366 * 86400L,
	                           serial),
	                 BANKD_ATTEST_EXPIRED);
}

static void key_of_pin_policy_never_is_refused(void **state)
{
	char serial[BANKD_ATTEST_SERIAL_MAX];

	assert_int_equal(bank_rule(*state, PIV_PIN_POLICY_NEVER, time(NULL), serial),
	                 BANKD_ATTEST_PIN_NEVER);
}

static void yubikey_profile_attestation_has_no_kinko_origin(void **state)
{
	char serial[BANKD_ATTEST_SERIAL_MAX];

	assert_int_equal(bank_rule(*state, PIV_PIN_POLICY_ONCE, time(NULL), serial),
	                 BANKD_ATTEST_IMPORTED);
}

#define K(name) cmocka_unit_test_setup_teardown(name, kinko_token, piv_fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		K(token_attestation_passes_and_names_the_token_serial),
		K(token_attestation_is_refused_past_the_manufacturer_ca),
		K(key_of_pin_policy_never_is_refused),
		cmocka_unit_test_setup_teardown(yubikey_profile_attestation_has_no_kinko_origin,
	                                        yubikey_token, piv_fixture_teardown),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	X509_free(ca_cert);
	EVP_PKEY_free(ca_key);
	return failed;
}
