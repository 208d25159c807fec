/* The applet core: ATR, SELECT, CLA/INS/length checks, command chaining and response
 * chaining (61xx + GET RESPONSE, extended length). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "piv.h"
#include "piv_internal.h"
#include "piv_test_util.h"

static const char select_full[] = "00A40400 0B A0 00 00 03 08 00 00 10 00 01 00";
/* 61 { 4F PIX, 79 { 4F RID }, 50 "kinko PIV", AC { 80 x8, 06 00 } } */
static const char template_hex[] =
	"61 38"
	"  4F 06 000010000100"
	"  79 07 4F 05 A000000308"
	"  50 09 6B696E6B6F20504956"
	"  AC 1A 800103 800108 80010A 80010C 800107 800105 800111 800114 0600";

/* An object of n bytes stored directly in the state: response-size tests need long
 * answers without depending on PUT DATA. */
static void store_object(piv_fixture *f, uint32_t tag, size_t n)
{
	uint8_t *v = malloc(n);
	size_t i;

	assert_non_null(v);
	for (i = 0; i < n; i++)
		v[i] = (uint8_t)(i * 7 + 1);
	assert_int_equal(tok_object_put(&f->st, tag, v, n), 0);
	free(v);
}

static void assert_object_bytes(const uint8_t *p, size_t off, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		assert_int_equal(p[i], (uint8_t)((off + i) * 7 + 1));
}

/* ---- ATR ---- */

static void atr_interface_bytes_are_consistent_and_tck_checks(void **state)
{
	size_t len = 0, i, pos, hist;
	const uint8_t *atr = piv_applet_atr(&len);
	uint8_t x = 0, y;
	bool t1 = false;

	(void)state;
	assert_true(len >= 3);
	assert_int_equal(atr[0], 0x3B);
	hist = atr[1] & 0x0F;
	y = atr[1] >> 4;
	pos = 2;
	/* Walk TAi TBi TCi TDi as announced by each Y nibble. */
	for (;;) {
		unsigned td;

		pos += (unsigned)((y & 1) + ((y >> 1) & 1) + ((y >> 2) & 1));
		if (!(y & 8))
			break;
		assert_true(pos < len);
		td = atr[pos++];
		if ((td & 0x0F) == 1)
			t1 = true;
		y = (uint8_t)(td >> 4);
	}
	assert_true(t1);
	assert_memory_equal(atr + pos, "kinkoPIV", 8);
	assert_int_equal(hist, 8);
	/* Historical bytes, then TCK (present because T=1 is offered), then nothing. */
	assert_int_equal(pos + hist + 1, len);
	for (i = 1; i < len; i++)
		x ^= atr[i];
	assert_int_equal(x, 0);
}

/* ---- SELECT ---- */

static void select_full_aid_answers_property_template(void **state)
{
	piv_fixture *f = *state;
	uint8_t expect[64];
	size_t n = piv_hex_decode(template_hex, expect, sizeof(expect));

	assert_int_equal(piv_tx(f, select_full), SW_OK);
	assert_int_equal(f->resp_len, n);
	assert_memory_equal(f->resp, expect, n);
}

static void select_truncated_aid_selects(void **state)
{
	piv_fixture *f = *state;

	assert_int_equal(piv_tx(f, "00A40400 09 A00000030800001000"), SW_OK);
	assert_int_equal(f->resp[0], 0x61);
	assert_int_equal(piv_tx(f, "00CB3FFF 03 5C017E 00"), SW_OK);
	piv_applet_reset(f->applet);
	assert_int_equal(piv_tx(f, "00A40400 0A A0000003080000100001"), SW_OK);
	assert_int_equal(piv_tx(f, "00CB3FFF 03 5C017E 00"), SW_OK);
}

static void select_other_aid_is_file_not_found_and_keeps_piv(void **state)
{
	piv_fixture *f = *state;

	piv_test_verify_pin(f, TOK_DEFAULT_PIN);
	assert_int_equal(piv_tx(f, "00A40400 07 A0000005272101"), SW_FILE_NOT_FOUND);
	assert_int_equal(f->resp_len, 0);
	PIV_SCRIPT(f, {"00CB3FFF 03 5C017E 00", SW_OK}, {"00200080", SW_OK});
}

static void select_aid_shorter_than_rid_or_longer_is_refused(void **state)
{
	piv_fixture *f = *state;

	PIV_EACH_ANSWERS(f, SW_FILE_NOT_FOUND, "00A40400 04 A0000003",
	                 "00A40400 0C A000000308000010000100 00", "00A40400 09 A00000030800001001",
	                 "00A40400");
}

static void select_with_bad_p1_p2_is_6a86(void **state)
{
	piv_fixture *f = *state;

	PIV_EACH_ANSWERS(f, SW_INCORRECT_P1P2, "00A40000 0B A0000003080000100001 00",
	                 "00A4040C 0B A0000003080000100001 00");
}

static void commands_before_select_answer_6d00(void **state)
{
	piv_fixture *f = *state;

	PIV_EACH_ANSWERS(f, SW_INS_NOT_SUPPORTED, "00200080", "00CB3FFF 03 5C017E 00",
	                 "00FD0000 00", "00C00000 00");
	assert_int_equal(piv_tx(f, select_full), SW_OK);
	assert_int_equal(piv_tx(f, "00CB3FFF 03 5C017E 00"), SW_OK);
}

static void select_again_clears_pin_verification(void **state)
{
	piv_fixture *f = *state;

	piv_test_verify_pin(f, TOK_DEFAULT_PIN);
	PIV_SCRIPT(f, {"00200080", SW_OK}, {select_full, SW_OK}, {"00200080", SW_VERIFY_FAIL(3)});
}

static void reset_forgets_selection_and_pin(void **state)
{
	piv_fixture *f = *state;

	piv_test_verify_pin(f, TOK_DEFAULT_PIN);
	piv_applet_reset(f->applet);
	PIV_SCRIPT(f, {"00200080", SW_INS_NOT_SUPPORTED}, {select_full, SW_OK},
	           {"00200080", SW_VERIFY_FAIL(3)});
}

/* ---- CLA, INS, lengths ---- */

static void cla_other_than_00_or_10_is_6e00(void **state)
{
	piv_fixture *f = *state;
	static const char *const bad[] = {
		"80CB3FFF 03 5C017E 00", "01CB3FFF 03 5C017E 00", "0CCB3FFF 03 5C017E 00",
		"90CB3FFF 03 5C017E 00", "FFCB3FFF 03 5C017E 00", NULL,
	};

	piv_test_each_answers(f, SW_CLA_NOT_SUPPORTED, bad);
}

static void cla_is_checked_before_selection(void **state)
{
	cla_other_than_00_or_10_is_6e00(state);
}

static void unknown_ins_is_6d00(void **state)
{
	piv_fixture *f = *state;

	PIV_EACH_ANSWERS(f, SW_INS_NOT_SUPPORTED, "00B00000 00", "00020000", "00FF0000 01 00");
}

static void malformed_apdu_lengths_are_6700(void **state)
{
	piv_fixture *f = *state;
	static const char *const bad[] = {
		"00", /* shorter than a header */
		"00A404",
		"00CB3FFF 05 5C017E",       /* Lc larger than the data */
		"00CB3FFF 02 5C017E 00 00", /* trailing bytes */
		"00CB3FFF 00 0003 5C01",    /* extended Lc larger than the data */
		"00CB3FFF 00 00",           /* truncated extended Le */
		NULL,
	};

	piv_test_each_answers(f, SW_WRONG_LENGTH, bad);
	/* Still selected and working afterwards. */
	assert_int_equal(piv_tx(f, "00CB3FFF 03 5C017E 00"), SW_OK);
}

/* ---- command chaining ---- */

static void chained_command_sees_the_whole_data(void **state)
{
	piv_fixture *f = *state;

	PIV_SCRIPT(f, {"10200080 04 31323334", SW_OK}, {"10200080 02 3536", SW_OK},
	           {"00200080 02 FFFF", SW_OK}, {"00200080", SW_OK});
}

static void chain_ended_by_other_header_is_6883_and_dropped(void **state)
{
	piv_fixture *f = *state;

	assert_int_equal(piv_tx(f, "10200080 04 31323334"), SW_OK);
	assert_int_equal(piv_tx(f, "00240080 04 3536FFFF"), SW_LAST_CMD_EXPECTED);
	/* The first half is gone: the tail alone is a wrong length. */
	assert_int_equal(piv_tx(f, "00200080 04 3536FFFF"), SW_WRONG_LENGTH);
	/* Same with a different P2 and with a chained link of another command. */
	PIV_SCRIPT(f, {"10200080 04 31323334", SW_OK},
	           {"00200081 04 3536FFFF", SW_LAST_CMD_EXPECTED}, {"10200080 04 31323334", SW_OK},
	           {"10CB3FFF 02 5C01", SW_LAST_CMD_EXPECTED}, {"00CB3FFF 03 5C017E 00", SW_OK});
	/* Nothing was spent on the PIN. */
	assert_int_equal(piv_tx(f, "00200080"), SW_VERIFY_FAIL(3));
}

static void select_in_the_middle_of_a_chain_drops_it(void **state)
{
	piv_fixture *f = *state;

	PIV_SCRIPT(f, {"10200080 04 31323334", SW_OK}, {select_full, SW_OK},
	           {"00200080 04 3536FFFF", SW_WRONG_LENGTH});
}

static void chain_longer_than_limit_is_6700_and_dropped(void **state)
{
	piv_fixture *f = *state;
	uint8_t piece[255];
	size_t sent = 0;
	uint16_t sw = SW_OK;

	memset(piece, 0x31, sizeof(piece));
	while (sw == SW_OK) {
		sw = piv_send(f, APDU_CLA_CHAIN, PIV_INS_VERIFY, 0x00, PIV_REF_PIN, piece,
		              sizeof(piece), 0, false);
		sent += sizeof(piece);
		assert_true(sent <= PIV_CHAIN_MAX + sizeof(piece));
	}
	assert_int_equal(sw, SW_WRONG_LENGTH);
	assert_true(sent > PIV_CHAIN_MAX);
	/* The next command stands alone. */
	piv_test_verify_pin(f, TOK_DEFAULT_PIN);
}

static void chain_up_to_the_limit_is_accepted(void **state)
{
	piv_fixture *f = *state;
	uint8_t *data = malloc(PIV_CHAIN_MAX);
	size_t off = 0;

	assert_non_null(data);
	memset(data, 0x31, PIV_CHAIN_MAX);
	while (PIV_CHAIN_MAX - off > 255) {
		assert_int_equal(piv_send(f, APDU_CLA_CHAIN, PIV_INS_VERIFY, 0x00, PIV_REF_PIN,
		                          data + off, 255, 0, false),
		                 SW_OK);
		off += 255;
	}
	/* VERIFY sees 8192 bytes: a wrong length, not an overflow of the chain. */
	assert_int_equal(piv_send(f, 0x00, PIV_INS_VERIFY, 0x00, PIV_REF_PIN, data + off,
	                          PIV_CHAIN_MAX - off, 0, false),
	                 SW_WRONG_LENGTH);
	assert_int_equal(piv_tx(f, "00200080"), SW_VERIFY_FAIL(3));
	free(data);
}

/* ---- response chaining ---- */

static void long_response_with_short_le_continues_with_get_response(void **state)
{
	piv_fixture *f = *state;
	/* 53 82 02 58 + 600 bytes = 604 bytes of response */
	store_object(f, PIV_TAG_CERT_9A, 600);

	assert_int_equal(piv_tx(f, "00CB3FFF 05 5C035FC105 00"), 0x6100);
	assert_int_equal(f->resp_len, 256);
	assert_memory_equal(f->resp, "\x53\x82\x02\x58", 4);
	assert_object_bytes(f->resp + 4, 0, 252);

	assert_int_equal(piv_tx(f, "00C00000 00"), 0x615C);
	assert_int_equal(f->resp_len, 256);
	assert_object_bytes(f->resp, 252, 256);

	assert_int_equal(piv_tx(f, "00C00000 5C"), SW_OK);
	assert_int_equal(f->resp_len, 92);
	assert_object_bytes(f->resp, 508, 92);

	assert_int_equal(piv_tx(f, "00C00000 00"), SW_CONDITIONS_NOT_SATISFIED);
}

static void short_le_splits_small_responses_too(void **state)
{
	piv_fixture *f = *state;
	uint8_t expect[64];
	size_t n = piv_hex_decode(template_hex, expect, sizeof(expect));

	assert_int_equal(piv_tx(f, "00A40400 0B A0000003080000100001 00 10"),
	                 SW_BYTES_REMAINING(n - 16));
	assert_int_equal(f->resp_len, 16);
	assert_memory_equal(f->resp, expect, 16);
	assert_int_equal(piv_tx(f, "00C00000 10"), SW_BYTES_REMAINING(n - 32));
	assert_memory_equal(f->resp, expect + 16, 16);
	assert_int_equal(piv_tx(f, "00C00000 00"), SW_OK);
	assert_int_equal(f->resp_len, n - 32);
	assert_memory_equal(f->resp, expect + 32, n - 32);
}

static void command_without_le_gets_256_bytes_and_61xx(void **state)
{
	piv_fixture *f = *state;

	store_object(f, PIV_TAG_CERT_9C, 300);
	assert_int_equal(piv_tx(f, "00CB3FFF 05 5C035FC10A"), SW_BYTES_REMAINING(304 - 256));
	assert_int_equal(f->resp_len, 256);
	assert_int_equal(piv_tx(f, "00C00000 30"), SW_OK);
	assert_int_equal(f->resp_len, 48);
	assert_object_bytes(f->resp, 300 - 48, 48);
}

static void other_command_drops_pending_response(void **state)
{
	piv_fixture *f = *state;

	store_object(f, PIV_TAG_CERT_9A, 600);
	PIV_SCRIPT(f, {"00CB3FFF 05 5C035FC105 00", 0x6100}, {"00200080", SW_VERIFY_FAIL(3)},
	           {"00C00000 00", SW_CONDITIONS_NOT_SATISFIED});
}

static void get_response_errors(void **state)
{
	piv_fixture *f = *state;

	assert_int_equal(piv_tx(f, "00C00000 00"), SW_CONDITIONS_NOT_SATISFIED);
	store_object(f, PIV_TAG_CERT_9A, 600);
	assert_int_equal(piv_tx(f, "00CB3FFF 05 5C035FC105 00"), 0x6100);
	assert_int_equal(piv_tx(f, "00C00100 00"), SW_INCORRECT_P1P2);
	/* An error drops what was pending. */
	PIV_SCRIPT(f, {"00C00000 00", SW_CONDITIONS_NOT_SATISFIED},
	           {"00CB3FFF 05 5C035FC105 00", 0x6100}, {"10C00000 00", 0x6884});
}

static void extended_le_returns_whole_response_at_once(void **state)
{
	piv_fixture *f = *state;

	store_object(f, PIV_TAG_CERT_9D, TOK_MAX_OBJECT);
	/* Case 4E: Lc 0005, Le 0000 (65536) */
	assert_int_equal(piv_tx(f, "00CB3FFF 000005 5C035FC10B 0000"), SW_OK);
	assert_int_equal(f->resp_len, TOK_MAX_OBJECT + 4);
	assert_memory_equal(f->resp, "\x53\x82\x0C\x00", 4);
	assert_object_bytes(f->resp + 4, 0, TOK_MAX_OBJECT);
	/* An extended Le smaller than the answer still chains. */
	assert_int_equal(piv_tx(f, "00CB3FFF 000005 5C035FC10B 0400"), 0x6100);
	assert_int_equal(f->resp_len, 1024);
	/* Extended GET RESPONSE takes the rest in one. */
	assert_int_equal(piv_tx(f, "00C00000 00 0000"), SW_OK);
	assert_int_equal(f->resp_len, TOK_MAX_OBJECT + 4 - 1024);
}

static void host_transceive_reassembles_long_answers(void **state)
{
	piv_fixture *f = *state;
	static const uint8_t list[] = {0x5C, 0x03, 0x5F, 0xC1, 0x01};

	store_object(f, PIV_TAG_CERT_9E, 2000);
	assert_int_equal(piv_send_all(f, PIV_INS_GET_DATA, 0x3F, 0xFF, list, sizeof(list), false),
	                 SW_OK);
	assert_int_equal(f->resp_len, 2004);
	assert_object_bytes(f->resp + 4, 0, 2000);
	assert_int_equal(piv_send_all(f, PIV_INS_GET_DATA, 0x3F, 0xFF, list, sizeof(list), true),
	                 SW_OK);
	assert_int_equal(f->resp_len, 2004);
	assert_object_bytes(f->resp + 4, 0, 2000);
}

static void resp_buffer_contract_is_respected(void **state)
{
	piv_fixture *f = *state;
	uint8_t resp[2];
	uint8_t cmd[] = {0x00, 0xCB, 0x3F, 0xFF, 0x03, 0x5C, 0x01, 0x7E, 0x00};

	/* A caller with room for the SW only gets 61xx, never an overflow. */
	assert_int_equal(piv_applet_process(f->applet, cmd, sizeof(cmd), resp, sizeof(resp)), 2);
	assert_int_equal(resp[0], 0x61);
	assert_int_equal(piv_applet_process(f->applet, cmd, sizeof(cmd), resp, 1), 0);
	assert_int_equal(piv_applet_process(f->applet, NULL, 0, f->resp, sizeof(f->resp)), 2);
	assert_memory_equal(f->resp, "\x67\x00", 2);
}

#define SEL(t) cmocka_unit_test_setup_teardown(t, piv_fixture_setup, piv_fixture_teardown)
#define UNSEL(t) \
	cmocka_unit_test_setup_teardown(t, piv_fixture_setup_unselected, piv_fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(atr_interface_bytes_are_consistent_and_tck_checks),
		UNSEL(select_full_aid_answers_property_template),
		UNSEL(select_truncated_aid_selects),
		SEL(select_other_aid_is_file_not_found_and_keeps_piv),
		UNSEL(select_aid_shorter_than_rid_or_longer_is_refused),
		UNSEL(select_with_bad_p1_p2_is_6a86),
		UNSEL(commands_before_select_answer_6d00),
		SEL(select_again_clears_pin_verification),
		SEL(reset_forgets_selection_and_pin),
		UNSEL(cla_is_checked_before_selection),
		SEL(cla_other_than_00_or_10_is_6e00),
		SEL(unknown_ins_is_6d00),
		SEL(malformed_apdu_lengths_are_6700),
		SEL(chained_command_sees_the_whole_data),
		SEL(chain_ended_by_other_header_is_6883_and_dropped),
		SEL(select_in_the_middle_of_a_chain_drops_it),
		SEL(chain_longer_than_limit_is_6700_and_dropped),
		SEL(chain_up_to_the_limit_is_accepted),
		SEL(long_response_with_short_le_continues_with_get_response),
		SEL(short_le_splits_small_responses_too),
		SEL(command_without_le_gets_256_bytes_and_61xx),
		SEL(other_command_drops_pending_response),
		SEL(get_response_errors),
		SEL(extended_le_returns_whole_response_at_once),
		SEL(host_transceive_reassembles_long_answers),
		SEL(resp_buffer_contract_is_respected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
