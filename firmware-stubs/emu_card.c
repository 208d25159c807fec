/* The emulated card in its reader: CCID 1.1 message semantics (section 6.1/6.2) for one
 * slot holding the PIV applet, and insertion/removal. */
#include "emu_card.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "apdu.h"

static const uint8_t emu_empty[1];

int emu_card_init(emu_card *c, piv_applet *applet, bool present)
{
	memset(c, 0, sizeof(*c));
	c->applet = applet;
	c->present = present;
	c->resp = malloc(APDU_MAX_RESPONSE);
	c->reply = malloc(CCID_HEADER_LEN + CCID_MAX_DATA);
	if (!c->resp || !c->reply) {
		emu_card_cleanup(c);
		return -ENOMEM;
	}
	return 0;
}

void emu_card_cleanup(emu_card *c)
{
	free(c->resp);
	free(c->reply);
	c->resp = NULL;
	c->reply = NULL;
}

void emu_card_remove(emu_card *c)
{
	if (!c->present)
		return;
	piv_applet_reset(c->applet);
	c->present = false;
	c->powered = false;
}

void emu_card_insert(emu_card *c)
{
	if (c->present)
		return;
	c->present = true;
	c->powered = false;
}

static uint8_t emu_card_icc_status(const emu_card *c)
{
	if (!c->present)
		return CCID_ICC_ABSENT;
	return c->powered ? CCID_ICC_PRESENT_ACTIVE : CCID_ICC_PRESENT_INACTIVE;
}

/* PowerOn and XfrBlock are answered by DataBlock, Escape by Escape, everything else
 * (unknown types too, CCID 1.1 section 6.2.6) by SlotStatus. */
static uint8_t emu_card_reply_type(uint8_t type)
{
	if (type == CCID_PC_TO_RDR_ICC_POWER_ON || type == CCID_PC_TO_RDR_XFR_BLOCK)
		return CCID_RDR_TO_PC_DATA_BLOCK;
	if (type == CCID_PC_TO_RDR_ESCAPE)
		return CCID_RDR_TO_PC_ESCAPE;
	return CCID_RDR_TO_PC_SLOT_STATUS;
}

/* The ICC status is the card's state after the command; cmd_status is 0 or
 * CCID_CMD_FAILED. bSlot and bSeq are echoed. */
static size_t emu_card_reply(emu_card *c, const ccid_header *h, uint8_t cmd_status, uint8_t error,
                             const uint8_t *data, size_t len)
{
	uint8_t type = emu_card_reply_type(h->type);
	uint8_t param[3];

	param[0] = (uint8_t)(cmd_status | emu_card_icc_status(c));
	param[1] = cmd_status ? error : 0;
	/* DataBlock: bChainParameter 0, the whole block. SlotStatus: bClockStatus, running
	 * while powered, else stopped in state L. */
	param[2] = (type == CCID_RDR_TO_PC_SLOT_STATUS && !c->powered) ? 0x01 : 0x00;
	return ccid_message_build(c->reply, CCID_HEADER_LEN + CCID_MAX_DATA, type, h->slot, h->seq,
	                          param, data ? data : emu_empty, len);
}

static size_t emu_card_power_on(emu_card *c, const ccid_header *h)
{
	const uint8_t *atr;
	size_t atr_len;

	if (!c->present)
		return emu_card_reply(c, h, CCID_CMD_FAILED, CCID_ERR_ICC_MUTE, NULL, 0);
	/* Like a USB reset: one card, so any host's PowerOn resets everyone's session. */
	piv_applet_reset(c->applet);
	c->powered = true;
	atr = piv_applet_atr(&atr_len);
	return emu_card_reply(c, h, 0, 0, atr, atr_len);
}

static size_t emu_card_power_off(emu_card *c, const ccid_header *h)
{
	if (c->powered) {
		piv_applet_reset(c->applet);
		c->powered = false;
	}
	return emu_card_reply(c, h, 0, 0, NULL, 0);
}

static size_t emu_card_xfr(emu_card *c, const ccid_header *h, const uint8_t *apdu, size_t len)
{
	size_t n;

	if (!c->present || !c->powered)
		return emu_card_reply(c, h, CCID_CMD_FAILED, CCID_ERR_ICC_MUTE, NULL, 0);
	/* The applet persists any change before it returns: the reply follows the write. */
	n = piv_applet_process(c->applet, len ? apdu : emu_empty, len, c->resp, APDU_MAX_RESPONSE);
	return emu_card_reply(c, h, 0, 0, c->resp, n);
}

static bool emu_card_known(uint8_t type)
{
	return type == CCID_PC_TO_RDR_ICC_POWER_ON || type == CCID_PC_TO_RDR_ICC_POWER_OFF ||
	       type == CCID_PC_TO_RDR_GET_SLOT_STATUS || type == CCID_PC_TO_RDR_XFR_BLOCK;
}

size_t emu_card_message(emu_card *c, const ccid_header *h, const uint8_t *data, size_t len,
                        bool oversized)
{
	/* Checked in the order of the header fields: dwLength (offset 1), then bSlot (5). */
	if (oversized)
		return emu_card_reply(c, h, CCID_CMD_FAILED, CCID_ERR_BAD_LENGTH, NULL, 0);
	if (!emu_card_known(h->type))
		return emu_card_reply(c, h, CCID_CMD_FAILED, CCID_ERR_CMD_NOT_SUPPORTED, NULL, 0);
	if (h->type != CCID_PC_TO_RDR_XFR_BLOCK && len != 0)
		return emu_card_reply(c, h, CCID_CMD_FAILED, CCID_ERR_BAD_LENGTH, NULL, 0);
	if (h->slot != 0)
		return emu_card_reply(c, h, CCID_CMD_FAILED, CCID_ERR_BAD_SLOT, NULL, 0);
	switch (h->type) {
	case CCID_PC_TO_RDR_ICC_POWER_ON: return emu_card_power_on(c, h);
	case CCID_PC_TO_RDR_ICC_POWER_OFF: return emu_card_power_off(c, h);
	case CCID_PC_TO_RDR_GET_SLOT_STATUS: return emu_card_reply(c, h, 0, 0, NULL, 0);
	default: return emu_card_xfr(c, h, data, len);
	}
}

size_t emu_card_escape_reply(emu_card *c, const ccid_header *h, uint8_t error)
{
	if (h->slot != 0)
		return emu_card_reply(c, h, CCID_CMD_FAILED, CCID_ERR_BAD_SLOT, NULL, 0);
	return emu_card_reply(c, h, error ? CCID_CMD_FAILED : 0, error, NULL, 0);
}

const char *emu_card_control(emu_card *c, const char *line)
{
	if (strcmp(line, "remove") == 0)
		emu_card_remove(c);
	else if (strcmp(line, "insert") == 0)
		emu_card_insert(c);
	else if (strcmp(line, "status") != 0)
		return "error unknown command (remove, insert, status)\n";
	return c->present ? "ok present\n" : "ok absent\n";
}
