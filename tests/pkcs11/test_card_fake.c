/* The card driver against a fake token that lies: broken CCID framing, silence, endless
 * time extensions, malformed response APDUs and TLVs, a card that cannot prove the
 * management key. Every case must end in a clean error (CARD_ERR_DEVICE, or
 * CARD_ERR_SECURITY for the liar) within a bounded time, never a crash or an over-read
 * (this program runs under ASan in the sanitizer build). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "card.h"
#include "ccid.h"
#include "ccid_fake.h"
#include "piv.h"
#include "time_test_util.h"
#include "tmpdir_test_util.h"
#include "transport.h"

typedef enum {
	/* framing */
	FAKE_WRONG_TYPE,
	FAKE_WRONG_SEQ,
	FAKE_HUGE_LENGTH,
	FAKE_OVERSIZED,
	FAKE_CUT_AND_CLOSE,
	FAKE_FAILED_WITH_DATA,
	FAKE_RESERVED_STATUS,
	FAKE_GARBAGE_HEADER,
	FAKE_NO_SW,
	FAKE_TIME_EXT_FOREVER,
	FAKE_SILENT,
	FAKE_UNPOWERED_ALWAYS,
	FAKE_ATR_EMPTY,
	/* response APDUs */
	FAKE_BAD_SELECT,
	FAKE_SELECT_NO_PIX,
	FAKE_BAD_TLV_LENGTH,
	FAKE_TRAILING,
	FAKE_META_DUP,
	FAKE_META_BADLEN,
	FAKE_META_RETRIES_INVERTED,
	FAKE_SIGN_OVERLONG,
	FAKE_SIGN_NOT_7C,
	FAKE_SERIAL_SHORT,
	FAKE_TOO_MUCH_DATA,
	FAKE_61_EMPTY,
	FAKE_61_FOREVER,
	FAKE_GEN_BAD_POINT,
	FAKE_RANDOM_SHORT,
	FAKE_ADMIN_GARBAGE,
	FAKE_WITNESS_SHORT,
	FAKE_ATTEST_TRAILING,
	FAKE_ATTEST_IMPORTED,
	/* behaviour */
	FAKE_MUTUAL_LIAR,
	FAKE_ALWAYS_6D00,
} fake_mode;

typedef struct {
	char dir[96];
	ccid_fake srv;
	fake_mode mode;
	tr_transport *tr;
	card c;
} fake_token;

/* ---- the fake token (a child process) ---- */

static int fake_block(int fd, uint8_t seq, const uint8_t *data, size_t n)
{
	return ccid_fake_reply(fd, CCID_RDR_TO_PC_DATA_BLOCK, (uint32_t)n, seq, 0, data, n);
}

#define BYTES(...) ((const uint8_t[]){__VA_ARGS__}), sizeof((const uint8_t[]){__VA_ARGS__})

/* Answers to APDUs that are valid CCID but carry a lie. */
static int fake_apdu(int fd, fake_mode mode, uint8_t seq, const uint8_t *apdu, size_t len)
{
	uint8_t ins = len >= 2 ? apdu[1] : 0;
	static uint8_t big[402];

	if (ins == PIV_INS_SELECT) {
		if (mode == FAKE_BAD_SELECT)
			return fake_block(fd, seq, BYTES(0x6F, 0x00, 0x90, 0x00));
		if (mode == FAKE_SELECT_NO_PIX)
			return fake_block(fd, seq, BYTES(0x61, 0x03, 0x50, 0x01, 0x41, 0x90, 0x00));
		return fake_block(fd, seq,
		                  BYTES(0x61, 0x08, 0x4F, 0x06, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00,
		                        0x90, 0x00));
	}
	switch (mode) {
	case FAKE_BAD_TLV_LENGTH:
		return fake_block(fd, seq, BYTES(0x53, 0x82, 0xFF, 0xFF, 0x01, 0x02, 0x90, 0x00));
	case FAKE_TRAILING: return fake_block(fd, seq, BYTES(0x53, 0x01, 0xAA, 0xBB, 0x90, 0x00));
	case FAKE_META_DUP:
		return fake_block(fd, seq, BYTES(0x01, 0x01, 0x11, 0x01, 0x01, 0x11, 0x90, 0x00));
	case FAKE_META_BADLEN:
		return fake_block(fd, seq, BYTES(0x01, 0x01, 0xFF, 0x06, 0x01, 0x03, 0x90, 0x00));
	case FAKE_META_RETRIES_INVERTED:
		return fake_block(fd, seq,
		                  BYTES(0x01, 0x01, 0xFF, 0x06, 0x02, 0x03, 0x05, 0x90, 0x00));
	case FAKE_SIGN_OVERLONG:
		return fake_block(fd, seq,
		                  BYTES(0x7C, 0x05, 0x82, 0x10, 0x00, 0x00, 0x00, 0x90, 0x00));
	case FAKE_SIGN_NOT_7C:
		return fake_block(fd, seq, BYTES(0x7D, 0x03, 0x82, 0x01, 0x00, 0x90, 0x00));
	case FAKE_SERIAL_SHORT: return fake_block(fd, seq, BYTES(0x01, 0x02, 0x90, 0x00));
	case FAKE_TOO_MUCH_DATA:
		memset(big, 0x42, sizeof(big));
		big[400] = 0x90;
		big[401] = 0x00;
		return fake_block(fd, seq, big, sizeof(big));
	case FAKE_61_EMPTY: return fake_block(fd, seq, BYTES(0x61, 0x00));
	case FAKE_61_FOREVER:
		/* One byte and "more to come", for ever. */
		return fake_block(fd, seq, BYTES(0x42, 0x61, 0x01));
	case FAKE_GEN_BAD_POINT:
		return fake_block(fd, seq,
		                  BYTES(0x7F, 0x49, 0x05, 0x86, 0x03, 0x04, 0x01, 0x02, 0x90,
		                        0x00));
	case FAKE_RANDOM_SHORT:
		return fake_block(fd, seq, BYTES(0x7C, 0x04, 0x81, 0x02, 0xAA, 0xBB, 0x90, 0x00));
	case FAKE_ADMIN_GARBAGE:
		return fake_block(fd, seq, BYTES(0x53, 0x03, 0x80, 0x01, 0xFF, 0x90, 0x00));
	case FAKE_WITNESS_SHORT:
		return fake_block(fd, seq, BYTES(0x7C, 0x06, 0x80, 0x04, 1, 2, 3, 4, 0x90, 0x00));
	case FAKE_ATTEST_TRAILING: /* a certificate's SEQUENCE, then a stray byte */
		return fake_block(fd, seq, BYTES(0x30, 0x01, 0x00, 0xAA, 0x90, 0x00));
	case FAKE_ATTEST_IMPORTED: return fake_block(fd, seq, BYTES(0x6A, 0x80));
	case FAKE_MUTUAL_LIAR:
		/* A witness it cannot have made with any key we know, then a wrong answer. */
		if (len >= 9 && apdu[7] == 0x80 && apdu[8] == 0x00)
			return fake_block(fd, seq,
			                  BYTES(0x7C, 0x0A, 0x80, 0x08, 1, 2, 3, 4, 5, 6, 7, 8,
			                        0x90, 0x00));
		return fake_block(fd, seq,
		                  BYTES(0x7C, 0x0A, 0x82, 0x08, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
		                        0x11, 0x11, 0x90, 0x00));
	case FAKE_ALWAYS_6D00:
	default: return fake_block(fd, seq, BYTES(0x6D, 0x00));
	}
}

/* Lies in the CCID framing of the answer to an XfrBlock. Returns 1 when not a framing
 * mode, 0 to go on with the next message, -1 to drop the connection. */
static int fake_framing(int fd, fake_mode mode, uint8_t seq, bool select)
{
	static uint8_t huge[CCID_MAX_DATA + 1];
	int i;

	if (select && mode != FAKE_UNPOWERED_ALWAYS)
		return 1; /* SELECT goes through, so the lie hits the command after it */
	switch (mode) {
	case FAKE_WRONG_TYPE:
		return ccid_fake_reply(fd, CCID_RDR_TO_PC_SLOT_STATUS, 2, seq, 0,
		                       BYTES(0x90, 0x00));
	case FAKE_WRONG_SEQ:
		return ccid_fake_reply(fd, CCID_RDR_TO_PC_DATA_BLOCK, 2, (uint8_t)(seq + 1), 0,
		                       BYTES(0x90, 0x00));
	case FAKE_HUGE_LENGTH:
		ccid_fake_reply(fd, CCID_RDR_TO_PC_DATA_BLOCK, 0xFFFFFFF0u, seq, 0, NULL, 0);
		ccid_fake_linger(fd);
		return -1;
	case FAKE_OVERSIZED:
		ccid_fake_reply(fd, CCID_RDR_TO_PC_DATA_BLOCK, sizeof(huge), seq, 0, huge,
		                sizeof(huge));
		ccid_fake_linger(fd);
		return -1;
	case FAKE_CUT_AND_CLOSE:
		ccid_fake_reply(fd, CCID_RDR_TO_PC_DATA_BLOCK, 100, seq, 0,
		                BYTES(0x01, 0x02, 0x03));
		return -1;
	case FAKE_FAILED_WITH_DATA:
		return ccid_fake_reply(fd, CCID_RDR_TO_PC_DATA_BLOCK, 2, seq, CCID_CMD_FAILED,
		                       BYTES(0x90, 0x00));
	case FAKE_RESERVED_STATUS:
		return ccid_fake_reply(fd, CCID_RDR_TO_PC_DATA_BLOCK, 2, seq, 0xC0,
		                       BYTES(0x90, 0x00));
	case FAKE_GARBAGE_HEADER:
		ccid_fake_write(fd,
		                BYTES(0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF));
		ccid_fake_linger(fd);
		return -1;
	case FAKE_NO_SW: return fake_block(fd, seq, BYTES(0x90));
	case FAKE_TIME_EXT_FOREVER:
		for (i = 0; i < 1000; i++)
			if (ccid_fake_reply(fd, CCID_RDR_TO_PC_DATA_BLOCK, 0, seq,
			                    CCID_CMD_TIME_EXTENSION, NULL, 0) != 0)
				break;
		ccid_fake_linger(fd);
		return -1;
	case FAKE_SILENT:
		ccid_fake_write(fd, BYTES(CCID_RDR_TO_PC_DATA_BLOCK, 0x02, 0x00));
		ccid_fake_linger(fd);
		return -1;
	case FAKE_UNPOWERED_ALWAYS:
		return ccid_fake_reply(fd, CCID_RDR_TO_PC_DATA_BLOCK, 0, seq,
		                       CCID_CMD_FAILED | CCID_ICC_PRESENT_INACTIVE, NULL, 0);
	default: return 1;
	}
}

/* One host message against the mode (ccid_fake_answer_fn). */
static int fake_answer(int fd, const ccid_header *h, const uint8_t *data, const void *arg)
{
	fake_mode mode = *(const fake_mode *)arg;
	int r;

	switch (h->type) {
	case CCID_PC_TO_RDR_ICC_POWER_ON:
		return mode == FAKE_ATR_EMPTY ? fake_block(fd, h->seq, NULL, 0) :
		                                fake_block(fd, h->seq, BYTES(0x3B, 0x00));
	case CCID_PC_TO_RDR_XFR_BLOCK:
		r = fake_framing(fd, mode, h->seq, h->length >= 2 && data[1] == PIV_INS_SELECT);
		return r == 1 ? fake_apdu(fd, mode, h->seq, data, h->length) : r;
	default: return ccid_fake_reply(fd, CCID_RDR_TO_PC_SLOT_STATUS, 0, h->seq, 0, NULL, 0);
	}
}

static void fake_start(fake_token *ft, fake_mode mode)
{
	ft->mode = mode;
	ccid_fake_start(&ft->srv, ft->dir, fake_answer, &ft->mode);
	ft->tr = tr_socket_new(ft->srv.path);
	assert_non_null(ft->tr);
	ft->tr->timeout_ms = 300;
	card_init(&ft->c, ft->tr);
}

static void fake_stop(fake_token *ft)
{
	card_cleanup(&ft->c);
	if (ft->tr)
		ft->tr->ops->destroy(ft->tr);
	ft->tr = NULL;
	ccid_fake_stop(&ft->srv);
}

static int setup(void **state)
{
	fake_token *ft = calloc(1, sizeof(*ft));

	if (!ft)
		return -1;
	if (tkit_tmpdir_make(ft->dir, sizeof(ft->dir), "fake") != 0)
		return -1;
	*state = ft;
	return 0;
}

static int teardown(void **state)
{
	fake_token *ft = *state;

	fake_stop(ft);
	rmdir(ft->dir);
	free(ft);
	return 0;
}

/* ---- the operations a lie can hit ---- */

typedef enum {
	OP_SERIAL,
	OP_GET_DATA,
	OP_METADATA,
	OP_SIGN,
	OP_GENERATE,
	OP_RANDOM,
	OP_AUTH_MGMT,
	OP_AUTH_WITH_PIN,
	OP_ATTEST,
	OP_CONNECT
} fake_op;

static card_status fake_run_op(card *c, fake_op op)
{
	static const uint8_t key[24] = {1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4,
	                                5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8};
	uint8_t buf[1024], *v = NULL, digest[32] = {0};
	card_metadata md;
	uint32_t serial;
	size_t n = 0;
	card_status st;

	switch (op) {
	case OP_SERIAL: return card_get_serial(c, &serial);
	case OP_GET_DATA:
		st = card_get_data(c, PIV_TAG_CERT_9A, &v, &n);
		assert_null(v);
		return st;
	case OP_METADATA: return card_get_metadata(c, PIV_REF_PIN, &md);
	case OP_SIGN:
		return card_sign(c, PIV_KEY_AUTH, PIV_ALG_ECCP256, digest, sizeof(digest), buf,
		                 sizeof(buf), &n);
	case OP_GENERATE:
		return card_generate(c, PIV_KEY_AUTH, PIV_ALG_ECCP256, 0, buf, sizeof(buf), &n);
	case OP_RANDOM: return card_random(c, buf, 16);
	case OP_AUTH_MGMT: return card_auth_mgmt(c, PIV_ALG_3DES, key, sizeof(key));
	case OP_AUTH_WITH_PIN: return card_auth_mgmt_with_pin(c);
	case OP_ATTEST:
		st = card_attest(c, PIV_KEY_AUTH, &v, &n);
		assert_null(v);
		return st;
	default: return card_connect(c);
	}
}

typedef struct {
	fake_mode mode;
	fake_op op;
	card_status want;
} fake_case;

static void run_cases(fake_token *ft, const fake_case *cases, size_t n, long long max_ms)
{
	size_t i;

	for (i = 0; i < n; i++) {
		double t0;
		card_status st;

		fake_start(ft, cases[i].mode);
		t0 = tkit_now_ms();
		st = fake_run_op(&ft->c, cases[i].op);
		if (st != cases[i].want)
			fail_msg("case %zu (mode %d): %s, expected %s", i, (int)cases[i].mode,
			         card_status_name(st), card_status_name(cases[i].want));
		if (tkit_now_ms() - t0 > max_ms)
			fail_msg("case %zu (mode %d) took %.0f ms", i, (int)cases[i].mode,
			         tkit_now_ms() - t0);
		fake_stop(ft);
	}
}

static void broken_ccid_framing_is_device_error(void **state)
{
	static const fake_case cases[] = {
		{FAKE_WRONG_TYPE, OP_SERIAL, CARD_ERR_DEVICE},
		{FAKE_WRONG_SEQ, OP_SERIAL, CARD_ERR_DEVICE},
		{FAKE_HUGE_LENGTH, OP_SERIAL, CARD_ERR_DEVICE},
		{FAKE_OVERSIZED, OP_SERIAL, CARD_ERR_DEVICE},
		{FAKE_CUT_AND_CLOSE, OP_SERIAL, CARD_ERR_DEVICE},
		{FAKE_FAILED_WITH_DATA, OP_SERIAL, CARD_ERR_DEVICE},
		{FAKE_RESERVED_STATUS, OP_SERIAL, CARD_ERR_DEVICE},
		{FAKE_GARBAGE_HEADER, OP_SERIAL, CARD_ERR_DEVICE},
		{FAKE_NO_SW, OP_SERIAL, CARD_ERR_DEVICE},
		{FAKE_ATR_EMPTY, OP_CONNECT, CARD_ERR_DEVICE},
	};

	run_cases(*state, cases, sizeof(cases) / sizeof(cases[0]), 2000);
}

static void silent_or_stalling_token_times_out(void **state)
{
	static const fake_case cases[] = {
		{FAKE_SILENT, OP_SERIAL, CARD_ERR_DEVICE},
		{FAKE_TIME_EXT_FOREVER, OP_SERIAL, CARD_ERR_DEVICE},
	};

	/* 300 ms per message; time extensions are bounded in number. */
	run_cases(*state, cases, sizeof(cases) / sizeof(cases[0]), 3000);
}

static void malformed_response_data_is_device_error(void **state)
{
	static const fake_case cases[] = {
		{FAKE_BAD_SELECT, OP_CONNECT, CARD_ERR_DEVICE},
		{FAKE_SELECT_NO_PIX, OP_CONNECT, CARD_ERR_DEVICE},
		{FAKE_BAD_TLV_LENGTH, OP_GET_DATA, CARD_ERR_DEVICE},
		{FAKE_TRAILING, OP_GET_DATA, CARD_ERR_DEVICE},
		{FAKE_META_DUP, OP_METADATA, CARD_ERR_DEVICE},
		{FAKE_META_BADLEN, OP_METADATA, CARD_ERR_DEVICE},
		{FAKE_META_RETRIES_INVERTED, OP_METADATA, CARD_ERR_DEVICE},
		{FAKE_SIGN_OVERLONG, OP_SIGN, CARD_ERR_DEVICE},
		{FAKE_SIGN_NOT_7C, OP_SIGN, CARD_ERR_DEVICE},
		{FAKE_SERIAL_SHORT, OP_SERIAL, CARD_ERR_DEVICE},
		{FAKE_TOO_MUCH_DATA, OP_SERIAL, CARD_ERR_DEVICE},
		{FAKE_61_EMPTY, OP_SERIAL, CARD_ERR_DEVICE},
		{FAKE_61_FOREVER, OP_SERIAL, CARD_ERR_DEVICE},
		{FAKE_GEN_BAD_POINT, OP_GENERATE, CARD_ERR_DEVICE},
		{FAKE_RANDOM_SHORT, OP_RANDOM, CARD_ERR_DEVICE},
		{FAKE_ADMIN_GARBAGE, OP_AUTH_WITH_PIN, CARD_ERR_DEVICE},
		{FAKE_WITNESS_SHORT, OP_AUTH_MGMT, CARD_ERR_DEVICE},
		{FAKE_ATTEST_TRAILING, OP_ATTEST, CARD_ERR_DEVICE},
	};

	run_cases(*state, cases, sizeof(cases) / sizeof(cases[0]), 2000);
}

static void card_that_cannot_prove_the_key_is_security_error(void **state)
{
	static const fake_case cases[] = {
		{FAKE_MUTUAL_LIAR, OP_AUTH_MGMT, CARD_ERR_SECURITY},
	};

	run_cases(*state, cases, sizeof(cases) / sizeof(cases[0]), 2000);
}

/* A YubiKey's answer for a key it did not generate (the emulator cannot import one). */
static void attest_of_an_imported_key_is_bad_input(void **state)
{
	static const fake_case cases[] = {
		{FAKE_ATTEST_IMPORTED, OP_ATTEST, CARD_ERR_BAD_INPUT},
	};

	run_cases(*state, cases, sizeof(cases) / sizeof(cases[0]), 2000);
}

static void endless_6d00_is_retried_once_only(void **state)
{
	fake_token *ft = *state;
	uint32_t serial = 0;

	fake_start(ft, FAKE_ALWAYS_6D00);
	assert_int_equal(card_get_serial(&ft->c, &serial), CARD_ERR_UNSUPPORTED);
	/* SELECT, GET SERIAL, probe, SELECT, GET SERIAL. */
	assert_int_equal(ft->c.ch.apdu_count, 5);
}

static void card_that_never_powers_gives_up(void **state)
{
	fake_token *ft = *state;
	uint32_t serial = 0;

	fake_start(ft, FAKE_UNPOWERED_ALWAYS);
	assert_int_equal(card_get_serial(&ft->c, &serial), CARD_ERR_DEVICE);
	assert_true(ft->c.ch.apdu_count <= 4);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(broken_ccid_framing_is_device_error),
		T(silent_or_stalling_token_times_out),
		T(malformed_response_data_is_device_error),
		T(card_that_cannot_prove_the_key_is_security_error),
		T(attest_of_an_imported_key_is_bad_input),
		T(endless_6d00_is_retried_once_only),
		T(card_that_never_powers_gives_up),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
