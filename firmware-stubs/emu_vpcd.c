/* vpcd's framing (emu_vpcd.h) over the emulated card: power control, the ATR, APDUs. */
#include "emu_vpcd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "apdu.h"

static const uint8_t emu_vpcd_empty[1];

int emu_vpcd_rx_init(emu_vpcd_rx *r, emu_card *card)
{
	memset(r, 0, sizeof(*r));
	r->card = card;
	r->payload = malloc(EMU_VPCD_MAX_FRAME);
	r->out = malloc(2 + EMU_VPCD_MAX_FRAME);
	if (!r->payload || !r->out) {
		emu_vpcd_rx_cleanup(r);
		return -ENOMEM;
	}
	return 0;
}

void emu_vpcd_rx_cleanup(emu_vpcd_rx *r)
{
	free(r->payload);
	free(r->out);
	r->payload = NULL;
	r->out = NULL;
}

void emu_vpcd_rx_restart(emu_vpcd_rx *r)
{
	r->hdr_have = 0;
	r->len = 0;
	r->have = 0;
	r->out_len = 0;
}

static void emu_vpcd_reply(emu_vpcd_rx *r, const uint8_t *data, size_t len)
{
	r->out[0] = (uint8_t)(len >> 8);
	r->out[1] = (uint8_t)len;
	memcpy(r->out + 2, data, len);
	r->out_len = 2 + len;
}

/* Power on and reset are a card reset of the security state, as a CCID PowerOn is. */
static void emu_vpcd_control(emu_vpcd_rx *r, uint8_t code)
{
	const uint8_t *atr;
	size_t atr_len;

	switch (code) {
	case EMU_VPCD_CTRL_OFF:
		if (r->card->powered)
			piv_applet_reset(r->card->applet);
		r->card->powered = false;
		break;
	case EMU_VPCD_CTRL_ON:
	case EMU_VPCD_CTRL_RESET:
		piv_applet_reset(r->card->applet);
		r->card->powered = true;
		break;
	default: /* EMU_VPCD_CTRL_ATR */
		atr = piv_applet_atr(&atr_len);
		emu_vpcd_reply(r, atr, atr_len);
		break;
	}
}

static bool emu_vpcd_is_control(const uint8_t *p, size_t len)
{
	return len == 1 && (p[0] == EMU_VPCD_CTRL_OFF || p[0] == EMU_VPCD_CTRL_ON ||
	                    p[0] == EMU_VPCD_CTRL_RESET || p[0] == EMU_VPCD_CTRL_ATR);
}

/* vpcd waits for an answer to every APDU and has no way to carry "card mute", so an APDU
 * is answered whatever the power state (pcscd powers the card before it sends any). */
static void emu_vpcd_apdu(emu_vpcd_rx *r)
{
	static const uint8_t too_long[2] = {0x6F, 0x00};
	size_t n;

	n = piv_applet_process(r->card->applet, r->len ? r->payload : emu_vpcd_empty, r->len,
	                       r->card->resp, APDU_MAX_RESPONSE);
	/* An extended Le of 65536 could ask for one byte more than a frame carries. */
	if (n > EMU_VPCD_MAX_FRAME)
		emu_vpcd_reply(r, too_long, sizeof(too_long));
	else
		emu_vpcd_reply(r, r->card->resp, n);
}

static void emu_vpcd_frame(emu_vpcd_rx *r)
{
	if (emu_vpcd_is_control(r->payload, r->len))
		emu_vpcd_control(r, r->payload[0]);
	else
		emu_vpcd_apdu(r);
	r->hdr_have = 0;
	r->len = 0;
	r->have = 0;
}

size_t emu_vpcd_rx_feed(emu_vpcd_rx *r, const uint8_t *buf, size_t len)
{
	size_t used = 0, n;

	while (used < len && r->out_len == 0) {
		if (r->hdr_have < 2) {
			r->hdr[r->hdr_have++] = buf[used++];
			if (r->hdr_have < 2)
				continue;
			/* Two bytes cannot say more than EMU_VPCD_MAX_FRAME: the buffer holds any. */
			r->len = (size_t)r->hdr[0] << 8 | r->hdr[1];
			r->have = 0;
		} else {
			n = r->len - r->have;
			n = n < len - used ? n : len - used;
			memcpy(r->payload + r->have, buf + used, n);
			r->have += n;
			used += n;
		}
		if (r->hdr_have == 2 && r->have == r->len)
			emu_vpcd_frame(r);
	}
	return used;
}
