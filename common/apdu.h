/* ISO 7816-4 command/response APDU codec, shared by the token firmware and the module. */
#ifndef KINKO_APDU_H
#define KINKO_APDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define APDU_SHORT_MAX_LC 255u
#define APDU_SHORT_MAX_LE 256u
#define APDU_EXT_MAX_LC 65535u
#define APDU_EXT_MAX_LE 65536u
/* Largest encoded command: case 4E, header + 3 + 65535 + 2. */
#define APDU_MAX_COMMAND (4u + 3u + APDU_EXT_MAX_LC + 2u)
/* Largest response: 65536 data bytes and SW1 SW2. */
#define APDU_MAX_RESPONSE (APDU_EXT_MAX_LE + 2u)

#define APDU_CLA_CHAIN 0x10u

typedef struct {
	uint8_t cla, ins, p1, p2;
	const uint8_t *data; /* points into the parsed buffer; NULL when lc == 0 */
	size_t lc;
	size_t le; /* 1..65536 when has_le; Le byte 00 means 256 (short) / 65536 (ext) */
	bool has_le;
	bool extended; /* extended-length encoding (parsed or requested) */
} apdu_cmd;

typedef enum {
	APDU_OK = 0,
	APDU_ERR_LENGTH = -1, /* lengths inconsistent with the buffer */
	APDU_ERR_BUFFER = -2, /* output buffer too small */
	APDU_ERR_PARAM = -3,  /* caller asked for something unencodable */
} apdu_status;

/* Parse a command APDU strictly (ISO 7816-3 cases 1, 2S, 3S, 4S, 2E, 3E, 4E).
 * Any byte count that does not match one of the cases exactly is APDU_ERR_LENGTH. */
apdu_status apdu_cmd_parse(const uint8_t *buf, size_t len, apdu_cmd *out);

/* Encode a command. Short form unless cmd->extended is set or lc/le need extended.
 * On success *out_len is the encoded size. */
apdu_status apdu_cmd_encode(const apdu_cmd *cmd, uint8_t *out, size_t cap, size_t *out_len);

/* Split a response APDU into data and status word. */
apdu_status apdu_resp_split(const uint8_t *buf, size_t len, const uint8_t **data, size_t *data_len,
                            uint16_t *sw);

/* Host side: send a command through a transmit callback, handling everything ISO 7816-4
 * asks of the host: command chaining (CLA|0x10) when the data exceeds a short APDU and
 * extended length is not used, 61xx GET RESPONSE, and 6Cxx (resend with the right Le).
 * The transmit callback returns 0 and fills resp/resp_len (including SW), or < 0 on a
 * transport error which is returned as is. */
typedef int (*apdu_transmit_fn)(void *ctx, const uint8_t *cmd, size_t cmd_len, uint8_t *resp,
                                size_t resp_cap, size_t *resp_len);

typedef struct {
	apdu_transmit_fn transmit;
	void *ctx;
	bool use_extended;        /* token accepts extended-length APDUs */
	unsigned long apdu_count; /* incremented per APDU actually transmitted */
} apdu_channel;

/* Returns 0 with the full response data in out (up to cap) and the final SW in *sw,
 * APDU_ERR_BUFFER when the data would not fit, APDU_ERR_LENGTH on a malformed response,
 * or the transport's negative error. */
int apdu_transceive(apdu_channel *ch, const apdu_cmd *cmd, uint8_t *out, size_t cap,
                    size_t *out_len, uint16_t *sw);

#endif
