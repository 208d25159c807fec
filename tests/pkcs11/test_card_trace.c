/* KINKO_DEBUG=apdu: every APDU is printed with its response, and no secret is: PIN, PUK,
 * management key (given or PIN-protected) are masked. stderr is captured into a file per
 * test. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "capture_test_util.h"
#include "card_test_util.h"
#include "piv.h"
#include "tlv.h"

typedef struct {
	card_fixture f;
	tkit_capture cap;
	char *text;
} trace_fixture;

static int setup_with(void **state, const char *const *args)
{
	trace_fixture *t = calloc(1, sizeof(*t));

	*state = t;
	if (!t)
		return -1;
	t->cap = (tkit_capture)TKIT_CAPTURE_OFF;
	return card_fixture_start(&t->f, args);
}

static int setup_default(void **state)
{
	return setup_with(state, NULL);
}

static int setup_protected(void **state)
{
	static const char *const args[] = {"--pin-protected-mgmt", NULL};

	return setup_with(state, args);
}

static void capture_end(trace_fixture *t)
{
	free(t->text);
	t->text = tkit_capture_end(&t->cap);
}

static int teardown(void **state)
{
	trace_fixture *t = *state;

	if (t) {
		tkit_capture_abort(&t->cap);
		card_fixture_stop(&t->f);
		free(t->text);
		free(t);
	}
	return 0;
}

static size_t count(const char *text, const char *needle)
{
	size_t n = 0;
	const char *p = text;

	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	return n;
}

static void trace_masks_pin_puk_and_management_key(void **state)
{
	trace_fixture *t = *state;
	card *c = &t->f.c;
	uint8_t rnd[8];
	int tries;

	tkit_capture_begin(&t->cap);
	assert_int_equal(card_verify_pin(c, (const uint8_t *)"123456", 6, &tries), CARD_OK);
	assert_int_equal(card_change_reference(c, PIV_REF_PIN, (const uint8_t *)"123456", 6,
	                                       (const uint8_t *)"87654321", 8, &tries),
	                 CARD_OK);
	assert_int_equal(card_unblock_pin(c, (const uint8_t *)"12345678", 8,
	                                  (const uint8_t *)"24681357", 8, &tries),
	                 CARD_OK);
	assert_int_equal(card_auth_mgmt(c, PIV_ALG_3DES, test_default_mgmt_key,
	                                sizeof(test_default_mgmt_key)),
	                 CARD_OK);
	assert_int_equal(card_random(c, rnd, sizeof(rnd)), CARD_OK);
	capture_end(t);

	/* Not one secret, in the hex the trace uses. */
	assert_null(strstr(t->text, "313233343536"));     /* PIN, and the PUK's start */
	assert_null(strstr(t->text, "3837363534333231")); /* new PIN */
	assert_null(strstr(t->text, "3234363831333537")); /* PIN from the unblock */
	assert_null(strstr(t->text, "0102030405060708")); /* management key */
	/* VERIFY, CHANGE, RESET RETRY; two 9B mutual steps and one 9B challenge, both ways. */
	assert_int_equal(count(t->text, "** masked ("), 3 + 2 * 2 + 2);
	/* What is not secret is shown: the AID of the SELECT, the status words. */
	assert_non_null(strstr(t->text, "A000000308000010000100"));
	assert_non_null(strstr(t->text, "sw=9000"));
}

static void trace_masks_pin_protected_management_key(void **state)
{
	trace_fixture *t = *state;
	card *c = &t->f.c;
	uint8_t *printed = NULL;
	size_t n = 0;
	tlv_item holder, key;
	char key_hex[2 * 32 + 1];

	assert_int_equal(card_verify_pin(c, (const uint8_t *)"123456", 6, NULL), CARD_OK);
	tkit_capture_begin(&t->cap);
	assert_int_equal(card_auth_mgmt_with_pin(c), CARD_OK);
	assert_int_equal(card_get_data(c, PIV_TAG_PRINTED, &printed, &n), CARD_OK);
	capture_end(t);

	assert_int_equal(tlv_find(printed, n, PIV_TLV_PRINTED_MGMT, &holder), TLV_OK);
	assert_int_equal(tlv_find(holder.value, holder.len, PIV_TLV_PRINTED_MGMTKEY, &key), TLV_OK);
	assert_true(key.len >= 16 && key.len <= 32);
	/* even a part of it (the trace prints hex in capitals, as OpenSSL does) */
	assert_int_equal(OPENSSL_buf2hexstr_ex(key_hex, sizeof(key_hex), NULL, key.value, 8, '\0'),
	                 1);
	assert_null(strstr(t->text, key_hex));
	assert_int_equal(OPENSSL_buf2hexstr_ex(key_hex, sizeof(key_hex), NULL,
	                                       key.value + key.len - 8, 8, '\0'),
	                 1);
	assert_null(strstr(t->text, key_hex));
	OPENSSL_cleanse(printed, n);
	free(printed);
	/* Two reads of Printed, two 9B steps in each direction. */
	assert_int_equal(count(t->text, "** masked ("), 2 + 2 * 2);
	/* ADMIN DATA is no secret and shows. */
	assert_non_null(strstr(t->text, "5C035FFF00"));
}

static void trace_prints_every_apdu_once_with_its_answer(void **state)
{
	trace_fixture *t = *state;
	card *c = &t->f.c;
	uint32_t serial;
	uint8_t version[3];
	card_metadata md;

	tkit_capture_begin(&t->cap);
	assert_int_equal(card_get_serial(c, &serial), CARD_OK);
	assert_int_equal(card_get_version(c, version), CARD_OK);
	assert_int_equal(card_get_metadata(c, PIV_REF_PIN, &md), CARD_OK);
	assert_int_equal(card_get_metadata(c, PIV_KEY_AUTH, &md), CARD_ERR_NOT_FOUND);
	capture_end(t);

	assert_int_equal(c->ch.apdu_count, 5);
	assert_int_equal(count(t->text, "kinko: apdu "), 2 * c->ch.apdu_count);
	assert_int_equal(count(t->text, " > "), c->ch.apdu_count);
	assert_int_equal(count(t->text, " < "), c->ch.apdu_count);
	assert_non_null(strstr(t->text, "kinko: apdu 5 < sw=6A82"));
	assert_non_null(strstr(t->text, "00F80000"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(trace_masks_pin_puk_and_management_key,
	                                        setup_default, teardown),
		cmocka_unit_test_setup_teardown(trace_masks_pin_protected_management_key,
	                                        setup_protected, teardown),
		cmocka_unit_test_setup_teardown(trace_prints_every_apdu_once_with_its_answer,
	                                        setup_default, teardown),
	};

	/* Read once per process, before the first APDU. */
	setenv("KINKO_DEBUG", "card,apdu", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
