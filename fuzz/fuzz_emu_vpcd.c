/* libFuzzer target for kinko-token-emu --vpcd: the bytes vpcd sends, through the emulator's
 * framing (emu_vpcd.c) to the PIV applet of a provisioned token.
 *
 * Input: one byte giving the chunk size the stream is fed in (1-256, so lengths are split at
 * every point), then the stream. Checked after every feed: progress (bytes are used unless a
 * reply waits), a reply frame's length field equals its payload, a payload never exceeds
 * a frame, an APDU's answer carries at least SW1 SW2. Any violation aborts. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "emu_card.h"
#include "emu_vpcd.h"
#include "piv_applet.h"
#include "token_state.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *template_buf;
static size_t template_len;

static void check(bool ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	tok_provision_opts o;
	tok_state st;

	(void)argc;
	(void)argv;
	memset(&o, 0, sizeof(o));
	o.mgmt_alg = PIV_ALG_3DES;
	o.mgmt_key = TOK_DEFAULT_MGMT_KEY;
	o.mgmt_key_len = sizeof(TOK_DEFAULT_MGMT_KEY);
	o.serial = 0x00C0FFEE;
	tok_state_init(&st);
	check(tok_state_provision(&st, &o) == 0);
	check(tok_state_encode(&st, &template_buf, &template_len) == 0);
	tok_state_free(&st);
	return 0;
}

static void check_reply(const emu_vpcd_rx *r)
{
	size_t n;

	if (r->out_len == 0)
		return;
	check(r->out_len >= 2 && r->out_len <= 2 + EMU_VPCD_MAX_FRAME);
	n = (size_t)r->out[0] << 8 | r->out[1];
	check(n == r->out_len - 2);
	check(n >= 2); /* an ATR or a response APDU: never empty */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tok_state st;
	piv_applet *a;
	emu_card card;
	emu_vpcd_rx rx;
	size_t chunk, off = 0;

	if (size < 1)
		return 0;
	chunk = (size_t)data[0] + 1;
	data++;
	size--;
	tok_state_init(&st);
	check(tok_state_decode(&st, template_buf, template_len) == 0);
	a = piv_applet_new(&st, NULL);
	check(a != NULL);
	check(emu_card_init(&card, a, true) == 0);
	check(emu_vpcd_rx_init(&rx, &card) == 0);
	while (off < size) {
		size_t len = size - off < chunk ? size - off : chunk;
		size_t used = emu_vpcd_rx_feed(&rx, data + off, len);

		check(used <= len);
		check(used > 0 || rx.out_len > 0);
		check_reply(&rx);
		rx.out_len = 0; /* sent */
		off += used;
	}
	emu_vpcd_rx_cleanup(&rx);
	emu_card_cleanup(&card);
	piv_applet_free(a);
	tok_state_free(&st);
	return 0;
}
