/* The emulated card in its reader: what each CCID bulk message does to it, and hot-plug.
 * Transport-free, so the socket loop only frames bytes. */
#ifndef KINKO_EMU_CARD_H
#define KINKO_EMU_CARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccid.h"
#include "piv_applet.h"

typedef struct {
	piv_applet *applet; /* borrowed */
	bool present;
	bool powered;
	uint8_t *resp;  /* APDU_MAX_RESPONSE scratch for the applet */
	uint8_t *reply; /* CCID_HEADER_LEN + CCID_MAX_DATA: the last reply */
} emu_card;

int emu_card_init(emu_card *c, piv_applet *applet, bool present); /* 0 or -ENOMEM */
void emu_card_cleanup(emu_card *c);

/* Removal cuts the power (the security state goes); a card inserted is present but
 * unpowered until a PowerOn. */
void emu_card_remove(emu_card *c);
void emu_card_insert(emu_card *c);

/* Answer one message from a host. data/len is its data; oversized means dwLength was
 * above CCID_MAX_DATA and the data was discarded. Returns the reply (header + data) in
 * c->reply and its size. */
size_t emu_card_message(emu_card *c, const ccid_header *h, const uint8_t *data, size_t len,
                        bool oversized);

/* The answer to an Escape command the reader (the server) carried out: RDR_to_PC_Escape
 * without data, failed with bError error unless error is 0. Returns its size (in
 * c->reply). emu_card_message itself answers Escape as not supported: the USB token has
 * its interface claim instead. */
size_t emu_card_escape_reply(emu_card *c, const ccid_header *h, uint8_t error);

/* One line of the control protocol (remove, insert, status; without the line end).
 * Returns the answer line with its newline. */
const char *emu_card_control(emu_card *c, const char *line);

#endif
