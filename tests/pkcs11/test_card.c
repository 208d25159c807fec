/* The PIV card driver against the real emulator over its socket: selection, what the
 * token is, PINs, management key, keys and signatures verified with OpenSSL, APDU
 * economy, and the token being shared, removed or killed underneath. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "card_test_util.h"
#include "piv.h"

static const uint8_t pin[] = "123456";
static const uint8_t puk[] = "12345678";
#define PIN_LEN 6u
#define PUK_LEN 8u

static int setup_default(void **state)
{
	card_fixture *f = calloc(1, sizeof(*f));

	*state = f;
	return f && card_fixture_start(f, NULL) == 0 ? 0 : -1;
}

static int setup_serial(void **state)
{
	static const char *const args[] = {"--serial", "12345678", NULL};
	card_fixture *f = calloc(1, sizeof(*f));

	*state = f;
	return f && card_fixture_start(f, args) == 0 ? 0 : -1;
}

static int setup_protected(void **state)
{
	static const char *const args[] = {"--pin-protected-mgmt", NULL};
	card_fixture *f = calloc(1, sizeof(*f));

	*state = f;
	return f && card_fixture_start(f, args) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	card_fixture *f = *state;

	if (f) {
		card_fixture_stop(f);
		free(f);
	}
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Signals reach the emulator asynchronously: wait for the control socket to agree. */
static void wait_control_status(card_fixture *f, const char *want)
{
	char reply[64];
	int i;

	for (i = 0; i < 1000; i++) {
		if (emu_control(f->p.control, "status", reply, sizeof(reply)) == 0 &&
		    strcmp(reply, want) == 0)
			return;
		usleep(2000);
	}
	fail_msg("emulator never reported \"%s\"", want);
}

/* ---- selection and identity ---- */

static void connect_selects_once_and_is_free_afterwards(void **state)
{
	card_fixture *f = *state;

	assert_int_equal(card_connect(&f->c), CARD_OK);
	assert_true(f->c.powered);
	assert_true(f->c.selected);
	assert_true(f->c.atr_len >= 2);
	assert_int_equal(f->c.atr[0], 0x3B);
	assert_int_equal(f->c.ch.apdu_count, 1);   /* SELECT */
	assert_int_equal(card_connect(&f->c), CARD_OK);
	assert_int_equal(f->c.ch.apdu_count, 1);
}

static void serial_and_version_cost_one_apdu_each(void **state)
{
	card_fixture *f = *state;
	uint32_t serial = 0;
	uint8_t version[3] = {0};

	assert_int_equal(card_get_serial(&f->c, &serial), CARD_OK);
	assert_int_equal(serial, 12345678u);
	assert_int_equal(f->c.ch.apdu_count, 2);   /* SELECT + GET SERIAL */
	assert_int_equal(card_get_version(&f->c, version), CARD_OK);
	assert_int_equal(f->c.ch.apdu_count, 3);
	assert_true(version[0] || version[1] || version[2]);
}

static void pin_metadata_reports_default_and_tries(void **state)
{
	card_fixture *f = *state;
	card_metadata md;

	assert_int_equal(card_get_metadata(&f->c, PIV_REF_PIN, &md), CARD_OK);
	assert_true(md.has_retries);
	assert_int_equal(md.tries_max, 3);
	assert_int_equal(md.tries_left, 3);
	assert_true(md.has_default);
	assert_true(md.is_default);
	assert_false(md.has_pubkey);
}

static void empty_slot_metadata_is_not_found(void **state)
{
	card_fixture *f = *state;
	card_metadata md;

	assert_int_equal(card_get_metadata(&f->c, PIV_KEY_AUTH, &md), CARD_ERR_NOT_FOUND);
	assert_int_equal(f->c.last_sw, SW_FILE_NOT_FOUND);
	assert_false(md.has_pubkey);
}

static void mgmt_metadata_names_3des_by_default(void **state)
{
	card_fixture *f = *state;
	card_metadata md;

	assert_int_equal(card_get_metadata(&f->c, PIV_KEY_CARDMGMT, &md), CARD_OK);
	assert_int_equal(md.algorithm, PIV_ALG_3DES);
	assert_true(md.has_default);
	assert_true(md.has_policy);
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
	assert_int_equal(tries, 2);   /* the PUK's tries */
	assert_int_equal(card_unblock_pin(&f->c, puk, PUK_LEN, (const uint8_t *)"11112222", 8,
	                                  &tries), CARD_OK);
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
	                                       (const uint8_t *)"2468013", 7, &tries), CARD_OK);
	assert_int_equal(card_verify_pin(&f->c, pin, PIN_LEN, &tries), CARD_ERR_PIN_INCORRECT);
	assert_int_equal(card_verify_pin(&f->c, (const uint8_t *)"2468013", 7, &tries), CARD_OK);
	/* The PUK too. */
	assert_int_equal(card_change_reference(&f->c, PIV_REF_PUK, puk, PUK_LEN,
	                                       (const uint8_t *)"abcdefgh", 8, &tries), CARD_OK);
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
	                                sizeof(test_default_mgmt_key)), CARD_OK);
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
	                               &n), CARD_OK);
	/* The factory key is not the one in use. */
	assert_int_equal(card_auth_mgmt(&f->c, PIV_ALG_3DES, test_default_mgmt_key,
	                                sizeof(test_default_mgmt_key)), CARD_ERR_SECURITY);
}

/* ---- keys ---- */

static void generate_then_sign_and_verify(card_fixture *f, uint8_t slot, uint8_t alg,
                                          size_t mod_len)
{
	uint8_t pub[1024], digest[32], block[512], sig[512];
	size_t pub_len = 0, sig_len = 0, in_len;
	card_metadata md;
	EVP_PKEY *pkey;

	assert_int_equal(card_generate(&f->c, slot, alg, 0, pub, sizeof(pub), &pub_len),
	                 CARD_ERR_SECURITY);
	assert_int_equal(card_auth_mgmt(&f->c, PIV_ALG_3DES, test_default_mgmt_key,
	                                sizeof(test_default_mgmt_key)), CARD_OK);
	assert_int_equal(card_generate(&f->c, slot, alg, 0, pub, sizeof(pub), &pub_len), CARD_OK);
	pkey = test_pubkey_from_7f49(alg, pub, pub_len);
	assert_non_null(pkey);

	/* The metadata tells the same key, generated on the card. */
	assert_int_equal(card_get_metadata(&f->c, slot, &md), CARD_OK);
	assert_int_equal(md.algorithm, alg);
	assert_true(md.has_origin);
	assert_int_equal(md.origin, PIV_ORIGIN_GENERATED);
	assert_true(md.has_pubkey);
	assert_int_equal(md.pubkey_len, pub_len);
	assert_memory_equal(md.pubkey, pub, pub_len);

	assert_int_equal(RAND_bytes(digest, sizeof(digest)), 1);
	if (mod_len) {
		assert_int_equal(test_pkcs1_sha256_block(digest, block, mod_len), 0);
		in_len = mod_len;
	} else {
		memcpy(block, digest, sizeof(digest));
		in_len = sizeof(digest);
	}
	assert_int_equal(card_sign(&f->c, slot, alg, block, in_len, sig, sizeof(sig), &sig_len),
	                 CARD_ERR_SECURITY);
	assert_int_equal(card_verify_pin(&f->c, pin, PIN_LEN, NULL), CARD_OK);
	assert_int_equal(card_sign(&f->c, slot, alg, block, in_len, sig, sizeof(sig), &sig_len),
	                 CARD_OK);
	assert_int_equal(test_verify_digest(pkey, digest, sig, sig_len), 1);
	/* And a signature of another digest does not verify: the check can fail. */
	digest[0] ^= 1;
	assert_int_equal(test_verify_digest(pkey, digest, sig, sig_len), 0);
	EVP_PKEY_free(pkey);
}

static void generate_rsa2048_signature_verifies_with_openssl(void **state)
{
	generate_then_sign_and_verify(*state, PIV_KEY_AUTH, PIV_ALG_RSA2048, 256);
}

static void generate_p256_signature_verifies_with_openssl(void **state)
{
	generate_then_sign_and_verify(*state, PIV_KEY_KEYMGMT, PIV_ALG_ECCP256, 0);
}

static void second_signature_costs_one_apdu(void **state)
{
	card_fixture *f = *state;
	uint8_t pub[256], digest[32] = {1}, sig[128];
	size_t n = 0, sig_len = 0;
	unsigned long before;

	assert_int_equal(card_auth_mgmt(&f->c, PIV_ALG_3DES, test_default_mgmt_key,
	                                sizeof(test_default_mgmt_key)), CARD_OK);
	assert_int_equal(card_generate(&f->c, PIV_KEY_AUTH, PIV_ALG_ECCP256, 0, pub, sizeof(pub),
	                               &n), CARD_OK);
	assert_int_equal(card_verify_pin(&f->c, pin, PIN_LEN, NULL), CARD_OK);
	assert_int_equal(card_sign(&f->c, PIV_KEY_AUTH, PIV_ALG_ECCP256, digest, 32, sig,
	                           sizeof(sig), &sig_len), CARD_OK);
	before = f->c.ch.apdu_count;
	assert_int_equal(card_sign(&f->c, PIV_KEY_AUTH, PIV_ALG_ECCP256, digest, 32, sig,
	                           sizeof(sig), &sig_len), CARD_OK);
	assert_int_equal(f->c.ch.apdu_count - before, 1);
	/* An output buffer too small is the caller's error, not the card's. */
	assert_int_equal(card_sign(&f->c, PIV_KEY_AUTH, PIV_ALG_ECCP256, digest, 32, sig, 8,
	                           &sig_len), CARD_ERR_BAD_INPUT);
}

static void sign_with_empty_slot_is_not_found(void **state)
{
	card_fixture *f = *state;
	uint8_t digest[32] = {0}, sig[128];
	size_t n = 0;

	assert_int_equal(card_sign(&f->c, PIV_KEY_CARDAUTH, PIV_ALG_ECCP256, digest, 32, sig,
	                           sizeof(sig), &n), CARD_ERR_NOT_FOUND);
	assert_int_equal(card_sign(&f->c, 0x42, PIV_ALG_ECCP256, digest, 32, sig, sizeof(sig), &n),
	                 CARD_ERR_BAD_INPUT);
}

static void random_comes_in_blocks_and_differs(void **state)
{
	card_fixture *f = *state;
	uint8_t a[37], b[37], zero[37] = {0};
	unsigned long before;

	assert_int_equal(card_random(&f->c, a, sizeof(a)), CARD_OK);
	before = f->c.ch.apdu_count;
	assert_int_equal(card_random(&f->c, b, sizeof(b)), CARD_OK);
	/* 3DES: 8 bytes per challenge, the algorithm is cached. */
	assert_int_equal(f->c.ch.apdu_count - before, 5);
	assert_memory_not_equal(a, b, sizeof(a));
	assert_memory_not_equal(a, zero, sizeof(a));
}

/* ---- data objects ---- */

static void object_of_3000_bytes_reads_back_in_one_get_data(void **state)
{
	card_fixture *f = *state;
	uint8_t value[3000], *back = NULL;
	size_t n = 0;
	unsigned long before;

	memset(value, 0xA5, sizeof(value));
	value[0] = 0x70;   /* not that the token cares what is in a container */
	value[2999] = 0x5A;
	assert_int_equal(card_auth_mgmt(&f->c, PIV_ALG_3DES, test_default_mgmt_key,
	                                sizeof(test_default_mgmt_key)), CARD_OK);
	before = f->c.ch.apdu_count;
	assert_int_equal(card_put_data(&f->c, PIV_TAG_CERT_9A, value, sizeof(value)), CARD_OK);
	assert_int_equal(f->c.ch.apdu_count - before, 1);
	before = f->c.ch.apdu_count;
	assert_int_equal(card_get_data(&f->c, PIV_TAG_CERT_9A, &back, &n), CARD_OK);
	assert_int_equal(f->c.ch.apdu_count - before, 1);
	assert_int_equal(n, sizeof(value));
	assert_memory_equal(back, value, sizeof(value));
	free(back);

	/* Deleting it makes it not found. */
	assert_int_equal(card_put_data(&f->c, PIV_TAG_CERT_9A, NULL, 0), CARD_OK);
	assert_int_equal(card_get_data(&f->c, PIV_TAG_CERT_9A, &back, &n), CARD_ERR_NOT_FOUND);
	assert_null(back);
}

static void cold_read_of_serial_and_certificate_takes_three_apdus(void **state)
{
	card_fixture *f = *state;
	uint8_t cert[1200], *back = NULL;
	uint32_t serial = 0;
	size_t n = 0;
	card c2;

	memset(cert, 0x30, sizeof(cert));
	assert_int_equal(card_auth_mgmt(&f->c, PIV_ALG_3DES, test_default_mgmt_key,
	                                sizeof(test_default_mgmt_key)), CARD_OK);
	assert_int_equal(card_put_data(&f->c, PIV_TAG_CERT_9A, cert, sizeof(cert)), CARD_OK);

	/* A new card struct on the same transport: SELECT, GET SERIAL, GET DATA. */
	card_init(&c2, f->tr);
	assert_int_equal(card_get_serial(&c2, &serial), CARD_OK);
	assert_int_equal(card_get_data(&c2, PIV_TAG_CERT_9A, &back, &n), CARD_OK);
	assert_int_equal(c2.ch.apdu_count, 3);
	assert_int_equal(n, sizeof(cert));
	free(back);
	card_cleanup(&c2);
}

static void get_data_of_missing_object_is_not_found(void **state)
{
	card_fixture *f = *state;
	uint8_t *v = (uint8_t *)"x";
	size_t n = 7;

	assert_int_equal(card_get_data(&f->c, PIV_TAG_CERT_9C, &v, &n), CARD_ERR_NOT_FOUND);
	assert_null(v);
	assert_int_equal(n, 0);
	assert_int_equal(card_get_data(&f->c, 0, &v, &n), CARD_ERR_BAD_INPUT);
	assert_int_equal(card_get_data(&f->c, 0x1234567, &v, &n), CARD_ERR_BAD_INPUT);
	/* CHUID exists on every token. */
	assert_int_equal(card_get_data(&f->c, PIV_TAG_CHUID, &v, &n), CARD_OK);
	assert_true(n > 0);
	free(v);
}

/* ---- sharing, removal, death ---- */

static void foreign_power_on_is_followed_by_reselect(void **state)
{
	card_fixture *f = *state;
	tr_transport *other = tr_socket_new(f->p.sock);
	uint32_t serial = 0;
	unsigned long before;
	int tries = -1;

	assert_non_null(other);
	assert_int_equal(card_verify_pin(&f->c, pin, PIN_LEN, NULL), CARD_OK);
	assert_int_equal(other->ops->power_on(other, NULL, 0, NULL), TR_OK);

	before = f->c.ch.apdu_count;
	assert_int_equal(card_get_serial(&f->c, &serial), CARD_OK);
	/* GET SERIAL (6D00), VERIFY probe (6D00), SELECT, GET SERIAL. */
	assert_int_equal(f->c.ch.apdu_count - before, 4);
	/* The reset took the PIN's verification with it; the card layer says so. */
	assert_int_equal(card_pin_status(&f->c, &tries), CARD_ERR_PIN_INCORRECT);
	assert_int_equal(tries, 3);
	other->ops->destroy(other);
}

static void foreign_power_off_is_followed_by_power_on(void **state)
{
	card_fixture *f = *state;
	emu_conn other;
	ccid_header h;
	uint8_t buf[64];
	size_t n = 0;
	uint32_t serial = 0;

	assert_int_equal(card_connect(&f->c), CARD_OK);
	assert_int_equal(emu_connect(&other, f->p.sock), 0);
	assert_int_equal(emu_exchange(&other, CCID_PC_TO_RDR_ICC_POWER_OFF, 0, NULL, 0, &h, buf,
	                              sizeof(buf), &n), 0);
	emu_disconnect(&other);
	assert_int_equal(card_get_serial(&f->c, &serial), CARD_OK);
	assert_true(f->c.powered && f->c.selected);
}

static void token_removal_reports_absent_and_reinsertion_works(void **state)
{
	card_fixture *f = *state;
	uint32_t serial = 0;
	bool present = true;

	assert_int_equal(card_get_serial(&f->c, &serial), CARD_OK);
	assert_int_equal(f->tr->ops->present(f->tr, &present), TR_OK);
	assert_true(present);

	assert_int_equal(emu_signal(&f->p, SIGUSR1), 0);
	wait_control_status(f, "ok absent");
	assert_int_equal(card_get_serial(&f->c, &serial), CARD_ERR_ABSENT);
	assert_false(f->c.powered);
	assert_int_equal(card_connect(&f->c), CARD_ERR_ABSENT);
	assert_int_equal(f->tr->ops->present(f->tr, &present), TR_OK);
	assert_false(present);

	assert_int_equal(emu_signal(&f->p, SIGUSR2), 0);
	wait_control_status(f, "ok present");
	assert_int_equal(f->tr->ops->present(f->tr, &present), TR_OK);
	assert_true(present);
	serial = 0;
	assert_int_equal(card_get_serial(&f->c, &serial), CARD_OK);
	assert_true(serial != 0);
}

static void killed_emulator_is_absent_without_hang(void **state)
{
	card_fixture *f = *state;
	uint32_t serial = 0;
	bool present = true;
	long long t0;
	card_status st;

	assert_int_equal(card_get_serial(&f->c, &serial), CARD_OK);
	emu_kill(&f->p);
	t0 = now_ms();
	st = card_get_serial(&f->c, &serial);
	assert_true(st == CARD_ERR_ABSENT || st == CARD_ERR_DEVICE);
	assert_int_equal(card_connect(&f->c), CARD_ERR_ABSENT);
	assert_int_equal(f->tr->ops->present(f->tr, &present), TR_OK);
	assert_false(present);
	assert_true(now_ms() - t0 < 2000);

	/* A new emulator on the same socket (the same token state) is found again. */
	assert_int_equal(emu_start(&f->p, NULL), 0);
	assert_int_equal(card_get_serial(&f->c, &serial), CARD_OK);
}

static void transport_to_nowhere_is_absent(void **state)
{
	tr_transport *tr = tr_socket_new("/nonexistent/kinko/ccid.sock");
	bool present = true;
	card c;

	(void)state;
	assert_non_null(tr);
	assert_false(tr->ops->id_is_port);
	assert_int_equal(tr->ops->open(tr), TR_ERR_ABSENT);
	assert_int_equal(tr->ops->present(tr, &present), TR_OK);
	assert_false(present);
	card_init(&c, tr);
	assert_int_equal(card_connect(&c), CARD_ERR_ABSENT);
	assert_int_equal(card_status_name(CARD_ERR_ABSENT)[0] != '\0', 1);
	card_cleanup(&c);
	tr->ops->destroy(tr);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup_default, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(connect_selects_once_and_is_free_afterwards),
		cmocka_unit_test_setup_teardown(serial_and_version_cost_one_apdu_each, setup_serial,
		                                teardown),
		T(pin_metadata_reports_default_and_tries),
		T(empty_slot_metadata_is_not_found),
		T(mgmt_metadata_names_3des_by_default),
		T(verify_wrong_pin_decrements_and_reports_tries),
		T(malformed_pin_is_refused_without_an_apdu),
		T(pin_locks_after_last_try_even_for_the_right_pin),
		T(puk_unblocks_locked_pin_with_a_new_pin),
		T(change_pin_replaces_it),
		T(mgmt_auth_with_default_key_allows_put_data),
		T(mgmt_auth_with_wrong_key_is_security_error),
		T(auth_mgmt_with_pin_without_protected_key_is_not_found),
		cmocka_unit_test_setup_teardown(pin_protected_mgmt_key_authenticates_after_verify,
		                                setup_protected, teardown),
		T(generate_rsa2048_signature_verifies_with_openssl),
		T(generate_p256_signature_verifies_with_openssl),
		T(second_signature_costs_one_apdu),
		T(sign_with_empty_slot_is_not_found),
		T(random_comes_in_blocks_and_differs),
		T(object_of_3000_bytes_reads_back_in_one_get_data),
		T(cold_read_of_serial_and_certificate_takes_three_apdus),
		T(get_data_of_missing_object_is_not_found),
		T(foreign_power_on_is_followed_by_reselect),
		T(foreign_power_off_is_followed_by_power_on),
		T(token_removal_reports_absent_and_reinsertion_works),
		T(killed_emulator_is_absent_without_hang),
		cmocka_unit_test(transport_to_nowhere_is_absent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
