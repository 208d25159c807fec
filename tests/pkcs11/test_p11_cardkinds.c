/* The module over the kinds of card it meets: a card without the PIV applet is no token
 * of ours, said in one APDU and one trace line (KINKO_DEBUG=apdu,p11). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture_test_util.h"
#include "ccid_fake.h"
#include "p11_test_util.h"
#include "tmpdir_test_util.h"

/* Lines of the captured trace starting with prefix. */
static unsigned trace_count(const char *text, const char *prefix)
{
	const char *line, *next;
	unsigned n = 0;

	for (line = text; *line; line = next) {
		next = strchr(line, '\n');
		next = next ? next + 1 : line + strlen(line);
		if (strncmp(line, prefix, strlen(prefix)) == 0)
			n++;
	}
	return n;
}

static unsigned apdus_sent(const char *text)
{
	const char *line, *next;
	unsigned n = 0, seq;

	for (line = text; *line; line = next) {
		char dir = 0;

		next = strchr(line, '\n');
		next = next ? next + 1 : line + strlen(line);
		if (sscanf(line, "kinko: apdu %u %c", &seq, &dir) == 2 && dir == '>')
			n++;
	}
	return n;
}

/* ---- a card without PIV ---- */

/* 6A82 to every SELECT, 6D00 to anything else: a card of another application. */
static int not_piv_serve(int fd, const ccid_header *h, const uint8_t *data, const void *arg)
{
	static const uint8_t atr[] = {0x3B, 0x00};
	uint8_t sw[2] = {0x6D, 0x00};

	(void)arg;
	if (h->type == CCID_PC_TO_RDR_ICC_POWER_ON)
		return ccid_fake_reply(fd, CCID_RDR_TO_PC_DATA_BLOCK, sizeof(atr), h->seq, 0, atr,
		                       sizeof(atr));
	if (h->type == CCID_PC_TO_RDR_XFR_BLOCK) {
		if (h->length >= 2 && data[1] == 0xA4) {
			sw[0] = 0x6A;
			sw[1] = 0x82;
		}
		return ccid_fake_reply(fd, CCID_RDR_TO_PC_DATA_BLOCK, sizeof(sw), h->seq, 0, sw,
		                       sizeof(sw));
	}
	if (h->type == CCID_PC_TO_RDR_ESCAPE)
		return ccid_fake_reply(fd, CCID_RDR_TO_PC_SLOT_STATUS, 0, h->seq,
		                       CCID_CMD_FAILED | CCID_ICC_PRESENT_ACTIVE, NULL, 0);
	return ccid_fake_reply(fd, CCID_RDR_TO_PC_SLOT_STATUS, 0, h->seq, CCID_ICC_PRESENT_ACTIVE,
	                       NULL, 0);
}

static void card_without_piv_applet_is_no_token(void **state)
{
	char dir[128];
	ccid_fake srv;
	p11t t;
	tkit_capture cap = TKIT_CAPTURE_OFF;
	CK_SLOT_ID slots[4];
	CK_ULONG n = 4;
	CK_TOKEN_INFO ti;
	CK_SESSION_HANDLE h = 0;
	char *text;

	(void)state;
	assert_int_equal(tkit_tmpdir_make(dir, sizeof(dir), "notpiv"), 0);
	ccid_fake_start(&srv, dir, not_piv_serve, NULL);
	assert_int_equal(p11t_setup_uninitialized(&t, 0, NULL), 0);
	assert_int_equal(setenv("KINKO_EMU_SOCKETS", srv.path, 1), 0);
	assert_int_equal(t.f->C_Initialize(NULL), CKR_OK);
	assert_int_equal(t.f->C_GetSlotList(CK_FALSE, slots, &n), CKR_OK);
	assert_int_equal(n, 1);

	tkit_capture_begin(&cap);
	assert_int_equal(t.f->C_GetTokenInfo(slots[0], &ti), CKR_TOKEN_NOT_RECOGNIZED);
	assert_int_equal(t.f->C_OpenSession(slots[0], CKF_SERIAL_SESSION, NULL, NULL, &h),
	                 CKR_TOKEN_NOT_RECOGNIZED);
	text = tkit_capture_end(&cap);
	/* the trace says why: the SELECT was refused, and nothing else was asked */
	assert_int_equal(trace_count(text, "kinko p11: slot"), 1);
	assert_non_null(strstr(text, "refuses SELECT of the PIV applet (6A82)"));
	assert_int_equal(apdus_sent(text), 1);
	free(text);

	p11t_teardown(&t);
	ccid_fake_stop(&srv);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* budgets: kinko 6, yubikey 8, piv 10 APDUs */
		cmocka_unit_test(card_without_piv_applet_is_no_token),
	};

	/* read once per process by the module: before its first APDU */
	setenv("KINKO_DEBUG", "apdu,p11", 1);
	setenv("KINKO_CONF", "/dev/null", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
