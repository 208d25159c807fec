/* The card driver's INVENTORY and key deletion against the emulator, the inventory parser
 * against hand-made garbage, and the reset detection the module's cache relies on. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "card_test_util.h"
#include "piv.h"

static const uint8_t pin[] = "123456";

static int setup_serial(void **state)
{
	static const char *const args[] = {"--serial", "7654321", "--pin-tries", "5", NULL};

	return card_fixture_setup(state, args);
}

static void auth_default(card_fixture *f)
{
	assert_int_equal(card_auth_mgmt(&f->c, PIV_ALG_3DES, test_default_mgmt_key,
	                                sizeof(test_default_mgmt_key)),
	                 CARD_OK);
}

static void inventory_of_a_fresh_token_costs_one_apdu(void **state)
{
	card_fixture *f = *state;
	card_inventory inv;
	size_t i;

	assert_int_equal(card_connect(&f->c), CARD_OK);
	assert_int_equal(card_get_inventory(&f->c, &inv), CARD_OK);
	assert_int_equal(f->c.ch.apdu_count, 2); /* SELECT, INVENTORY */
	assert_int_equal(inv.serial, 7654321u);
	assert_int_equal(inv.pin_max, 5);
	assert_int_equal(inv.pin_left, 5);
	assert_int_equal(inv.puk_max, 3);
	assert_int_equal(inv.puk_left, 3);
	assert_true(inv.pin_is_default);
	assert_int_equal(inv.change_counter, 0);
	for (i = 0; i < CARD_KEY_SLOTS; i++)
		assert_false(inv.keys[i].present);
	assert_true(card_inventory_has(&inv, PIV_TAG_CHUID));
	assert_true(card_inventory_has(&inv, PIV_TAG_DISCOVERY));
	assert_false(card_inventory_has(&inv, PIV_TAG_CERT_9A));
}

static void inventory_follows_generate_put_data_and_delete(void **state)
{
	card_fixture *f = *state;
	static const uint8_t cert[] = {0x70, 0x01, 0x30, 0x71, 0x01, 0x00, 0xFE, 0x00};
	uint8_t pub[256];
	size_t n = 0;
	card_inventory inv;
	const card_inv_key *k;

	auth_default(f);
	assert_int_equal(card_generate(&f->c, 0x9C, PIV_ALG_ECCP256, 0, pub, sizeof(pub), &n),
	                 CARD_OK);
	assert_int_equal(card_put_data(&f->c, PIV_TAG_CERT_9C, cert, sizeof(cert)), CARD_OK);
	assert_int_equal(card_get_inventory(&f->c, &inv), CARD_OK);
	assert_int_equal(inv.change_counter, 2);
	k = &inv.keys[piv_key_slot_index(0x9C)];
	assert_true(k->present);
	assert_int_equal(k->alg, PIV_ALG_ECCP256);
	assert_int_equal(k->origin, PIV_ORIGIN_GENERATED);
	assert_int_equal(k->pin_policy, PIV_PIN_POLICY_ALWAYS);
	assert_int_equal(k->touch_policy, PIV_TOUCH_POLICY_NEVER);
	assert_true(card_inventory_has(&inv, PIV_TAG_CERT_9C));

	assert_int_equal(card_delete_key(&f->c, 0x9C), CARD_OK);
	assert_int_equal(card_get_inventory(&f->c, &inv), CARD_OK);
	assert_int_equal(inv.change_counter, 3);
	assert_false(inv.keys[piv_key_slot_index(0x9C)].present);
	assert_true(card_inventory_has(&inv, PIV_TAG_CERT_9C));
	assert_int_equal(card_get_metadata(&f->c, 0x9C, &(card_metadata){0}), CARD_ERR_NOT_FOUND);
}

static void inventory_shows_wrong_pin_tries(void **state)
{
	card_fixture *f = *state;
	card_inventory inv;
	int tries = 0;

	assert_int_equal(card_verify_pin(&f->c, (const uint8_t *)"999999", 6, &tries),
	                 CARD_ERR_PIN_INCORRECT);
	assert_int_equal(card_get_inventory(&f->c, &inv), CARD_OK);
	assert_int_equal(inv.pin_left, 4);
	assert_int_equal(inv.pin_max, 5);
}

static void delete_key_needs_the_management_key(void **state)
{
	card_fixture *f = *state;
	uint8_t pub[256];
	size_t n = 0;
	unsigned long before;

	auth_default(f);
	assert_int_equal(card_generate(&f->c, 0x9A, PIV_ALG_ECCP256, 0, pub, sizeof(pub), &n),
	                 CARD_OK);
	card_reset(&f->c); /* a new power-on forgets the management key */
	assert_int_equal(card_verify_pin(&f->c, pin, 6, NULL), CARD_OK);
	assert_int_equal(card_delete_key(&f->c, 0x9A), CARD_ERR_SECURITY);
	auth_default(f);
	assert_int_equal(card_delete_key(&f->c, 0x9A), CARD_OK);
	assert_int_equal(card_delete_key(&f->c, 0x9A), CARD_ERR_NOT_FOUND);
	before = f->c.ch.apdu_count;
	assert_int_equal(card_delete_key(&f->c, 0x9B), CARD_ERR_BAD_INPUT);
	assert_int_equal(card_delete_key(&f->c, 0x00), CARD_ERR_BAD_INPUT);
	assert_int_equal(f->c.ch.apdu_count, before); /* refused without an APDU */
}

static void foreign_power_on_counts_as_a_reset(void **state)
{
	card_fixture *f = *state;
	tr_transport *other = tr_socket_new(f->p.sock);
	uint32_t serial = 0;

	assert_non_null(other);
	assert_int_equal(card_get_serial(&f->c, &serial), CARD_OK);
	assert_int_equal(f->c.resets, 0);
	assert_int_equal(other->ops->power_on(other, NULL, 0, NULL), TR_OK);
	assert_int_equal(card_get_serial(&f->c, &serial), CARD_OK);
	assert_int_equal(f->c.resets, 1);
	/* nothing happened since: no new reset */
	assert_int_equal(card_get_serial(&f->c, &serial), CARD_OK);
	assert_int_equal(f->c.resets, 1);
	other->ops->destroy(other);
}

/* A PIV command every applet has answered 6D00 can only mean "deselected": no probe. */
static void core_command_after_a_foreign_power_on_reselects_at_once(void **state)
{
	card_fixture *f = *state;
	tr_transport *other = tr_socket_new(f->p.sock);
	uint8_t *v = NULL;
	size_t n = 0;
	unsigned long before;

	assert_non_null(other);
	assert_int_equal(card_connect(&f->c), CARD_OK);
	assert_int_equal(other->ops->power_on(other, NULL, 0, NULL), TR_OK);
	before = f->c.ch.apdu_count;
	assert_int_equal(card_get_data(&f->c, PIV_TAG_CHUID, &v, &n), CARD_OK);
	/* GET DATA (6D00), SELECT, GET DATA */
	assert_int_equal(f->c.ch.apdu_count - before, 3);
	assert_int_equal(f->c.resets, 1);
	free(v);
	other->ops->destroy(other);
}

/* ---- the parser against garbage ---- */

#define HDR "F8 04 00 00 00 2A  06 02 03 03  07 02 03 02  05 01 00  C0 04 00 00 01 00 "

static size_t hex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	unsigned v;
	int used;

	while (sscanf(s, " %2x%n", &v, &used) == 1) {
		assert_true(n < cap);
		out[n++] = (uint8_t)v;
		s += used;
	}
	return n;
}

static card_status parse_hex(const char *s, card_inventory *inv)
{
	uint8_t buf[512];
	size_t n = hex(s, buf, sizeof(buf));
	uint8_t *exact = malloc(n ? n : 1);
	card_status st;

	/* an allocation of exactly n bytes, so ASan sees any over-read */
	assert_non_null(exact);
	memcpy(exact, buf, n);
	st = card_inventory_parse(exact, n, inv);
	free(exact);
	return st;
}

static void inventory_parser_takes_a_well_formed_answer(void **state)
{
	card_inventory inv;

	(void)state;
	assert_int_equal(parse_hex(HDR "E0 0D 80 01 9D 01 01 14 02 02 02 01 03 01 02"
	                               " E1 08 5C 01 7E 5C 03 5F C1 0B  99 01 00",
	                           &inv),
	                 CARD_OK);
	assert_int_equal(inv.serial, 42);
	assert_int_equal(inv.puk_left, 2);
	assert_false(inv.pin_is_default);
	assert_int_equal(inv.change_counter, 256);
	assert_true(inv.keys[2].present);
	assert_int_equal(inv.keys[2].alg, PIV_ALG_ECCP384);
	assert_int_equal(inv.keys[2].origin, PIV_ORIGIN_IMPORTED);
	assert_int_equal(inv.n_objects, 2);
	assert_true(card_inventory_has(&inv, PIV_TAG_CERT_9D));
}

static void inventory_parser_refuses_garbage(void **state)
{
	static const char *const bad[] = {
		"",                                                             /* nothing */
		HDR,                                                            /* no object list */
		"F8 04 00 00 00 2A  06 02 03 03  07 02 03 02  05 01 00  E1 00", /* no counter */
		HDR "E1 00 E1 00",             /* two object lists */
		HDR "F8 04 00 00 00 01 E1 00", /* two serials */
		"F8 03 00 00 2A  06 02 03 03  07 02 03 02  05 01 00  C0 04 00 00 01 00 E1 00",
		"F8 04 00 00 00 2A  06 02 03 04  07 02 03 02  05 01 00  C0 04 00 00 01 00 E1 00",
		"F8 04 00 00 00 2A  06 02 00 00  07 02 03 02  05 01 00  C0 04 00 00 01 00 E1 00",
		"F8 04 00 00 00 2A  06 02 03 03  07 02 03 02  05 01 02  C0 04 00 00 01 00 E1 00",
		HDR "E1 02 5C 00",                                        /* empty tag */
		HDR "E1 06 5C 04 5F C1 05 00",                            /* four-byte tag */
		HDR "E1 04 5C 02 00 7E",                                  /* tag not minimal */
		HDR "E1 03 5D 01 7E",                                     /* not a tag list */
		HDR "E1 05 5C 01 7E",                                     /* cut short */
		HDR "E1 00 E0 09 80 01 9B 01 01 11 02 02 01 01 03 01 01", /* truncated E0 */
		HDR "E1 00 E0 0D 80 01 9B 01 01 11 02 02 01 01 03 01 01", /* 9B is no key slot */
		HDR "E1 00 E0 0D 80 01 9A 01 01 00 02 02 01 01 03 01 01", /* alg 0 */
		HDR "E1 00 E0 0A 80 01 9A 01 01 11 02 02 01 01",          /* no origin */
		HDR "E1 00 E0 10 80 01 9A 01 01 11 02 02 01 01 03 01 01 04 01 00", /* extra */
		HDR "E1 00 E0 10 80 01 9A 80 01 9A 01 01 11 02 02 01 01 03 01 01", /* ref twice */
		HDR "E1 00 E0 0D 80 01 9A 01 01 11 02 02 01 01 03 01 01"
		    " E0 0D 80 01 9A 01 01 11 02 02 01 01 03 01 01",   /* slot twice */
		HDR "E1 00 E0 0C 80 01 9A 01 01 11 02 01 01 03 01 01", /* policy of 1 byte */
		HDR "E1 00 C0",                                        /* trailing half TLV */
	};
	card_inventory inv;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		card_status st = parse_hex(bad[i], &inv);

		if (st != CARD_ERR_DEVICE)
			fail_msg("case %zu: %s", i, card_status_name(st));
		assert_int_equal(inv.serial, 0);
		assert_int_equal(inv.n_objects, 0);
	}
	assert_int_equal(card_inventory_parse(NULL, 0, &inv), CARD_ERR_DEVICE);
	/* the key entries above differ from this good one only in their defect */
	assert_int_equal(parse_hex(HDR "E1 00 E0 0D 80 01 9A 01 01 11 02 02 01 01 03 01 01", &inv),
	                 CARD_OK);
	assert_true(inv.keys[0].present);
}

static void inventory_parser_refuses_too_many_objects(void **state)
{
	uint8_t buf[64 + 5 * (CARD_INV_MAX_OBJECTS + 1) + 8];
	card_inventory inv;
	size_t n, list, i;

	(void)state;
	n = hex(HDR, buf, sizeof(buf));
	buf[n++] = 0xE1;
	buf[n++] = 0x82;
	list = n;
	n += 2;
	for (i = 0; i < CARD_INV_MAX_OBJECTS + 1; i++) {
		buf[n++] = 0x5C;
		buf[n++] = 0x03;
		buf[n++] = 0x5F;
		buf[n++] = 0xC1;
		buf[n++] = (uint8_t)i;
	}
	buf[list] = (uint8_t)((n - list - 2) >> 8);
	buf[list + 1] = (uint8_t)(n - list - 2);
	assert_int_equal(card_inventory_parse(buf, n, &inv), CARD_ERR_DEVICE);
	/* one fewer is fine */
	buf[list + 1] = (uint8_t)(n - list - 2 - 5);
	assert_int_equal(card_inventory_parse(buf, n - 5, &inv), CARD_OK);
	assert_int_equal(inv.n_objects, CARD_INV_MAX_OBJECTS);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup_serial, card_fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(inventory_of_a_fresh_token_costs_one_apdu),
		T(inventory_follows_generate_put_data_and_delete),
		T(inventory_shows_wrong_pin_tries),
		T(delete_key_needs_the_management_key),
		T(foreign_power_on_counts_as_a_reset),
		T(core_command_after_a_foreign_power_on_reselects_at_once),
		cmocka_unit_test(inventory_parser_takes_a_well_formed_answer),
		cmocka_unit_test(inventory_parser_refuses_garbage),
		cmocka_unit_test(inventory_parser_refuses_too_many_objects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
