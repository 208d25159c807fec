/* ISO 7816-4 command/response APDU codec and the host side of the T=1 style exchange
 * (command chaining, 61xx GET RESPONSE, 6Cxx resend). */
#include "apdu.h"

#include <stdlib.h>
#include <string.h>

#define APDU_HEADER_LEN 4u
#define APDU_INS_GET_RESPONSE 0xC0u

static size_t apdu_be16(const uint8_t *p)
{
	return ((size_t)p[0] << 8) | p[1];
}

static void apdu_parse_header(const uint8_t *buf, apdu_cmd *out)
{
	memset(out, 0, sizeof(*out));
	out->cla = buf[0];
	out->ins = buf[1];
	out->p1 = buf[2];
	out->p2 = buf[3];
}

/* Cases 2S, 3S, 4S: byte 4 is Le (len 5) or a non-zero Lc. */
static apdu_status apdu_parse_short(const uint8_t *buf, size_t len, apdu_cmd *out)
{
	size_t lc = buf[4];

	if (len == 5) {
		out->has_le = true;
		out->le = lc ? lc : APDU_SHORT_MAX_LE;
		return APDU_OK;
	}
	if (len == 5 + lc) {
		out->lc = lc;
		out->data = buf + 5;
		return APDU_OK;
	}
	if (len == 6 + lc) {
		out->lc = lc;
		out->data = buf + 5;
		out->has_le = true;
		out->le = buf[len - 1] ? buf[len - 1] : APDU_SHORT_MAX_LE;
		return APDU_OK;
	}
	return APDU_ERR_LENGTH;
}

/* Cases 2E, 3E, 4E: byte 4 is 00, then a 2-byte Le (len 7) or a non-zero 2-byte Lc. */
static apdu_status apdu_parse_extended(const uint8_t *buf, size_t len, apdu_cmd *out)
{
	size_t n;

	if (len < 7)
		return APDU_ERR_LENGTH;
	n = apdu_be16(buf + 5);
	out->extended = true;
	if (len == 7) {
		out->has_le = true;
		out->le = n ? n : APDU_EXT_MAX_LE;
		return APDU_OK;
	}
	/* An extended Lc of 0000 followed by anything is no valid case. */
	if (n == 0)
		return APDU_ERR_LENGTH;
	if (len == 7 + n) {
		out->lc = n;
		out->data = buf + 7;
		return APDU_OK;
	}
	if (len == 9 + n) {
		out->lc = n;
		out->data = buf + 7;
		out->has_le = true;
		n = apdu_be16(buf + len - 2);
		out->le = n ? n : APDU_EXT_MAX_LE;
		return APDU_OK;
	}
	return APDU_ERR_LENGTH;
}

apdu_status apdu_cmd_parse(const uint8_t *buf, size_t len, apdu_cmd *out)
{
	apdu_status st;

	if (!buf || !out || len < APDU_HEADER_LEN)
		return APDU_ERR_LENGTH;
	apdu_parse_header(buf, out);
	if (len == APDU_HEADER_LEN)
		return APDU_OK;
	if (len == 5 || buf[4] != 0)
		st = apdu_parse_short(buf, len, out);
	else
		st = apdu_parse_extended(buf, len, out);
	if (st != APDU_OK)
		apdu_parse_header(buf, out); /* leave no half-parsed body behind */
	return st;
}

static bool apdu_needs_extended(const apdu_cmd *cmd)
{
	return cmd->extended || cmd->lc > APDU_SHORT_MAX_LC ||
	       (cmd->has_le && cmd->le > APDU_SHORT_MAX_LE);
}

static size_t apdu_encoded_size(const apdu_cmd *cmd, bool ext)
{
	size_t n = APDU_HEADER_LEN;

	if (cmd->lc)
		n += (ext ? 3 : 1) + cmd->lc;
	if (cmd->has_le)
		n += ext ? (cmd->lc ? 2 : 3) : 1;
	return n;
}

apdu_status apdu_cmd_encode(const apdu_cmd *cmd, uint8_t *out, size_t cap, size_t *out_len)
{
	bool ext;
	size_t n, pos;

	if (!cmd || !out_len)
		return APDU_ERR_PARAM;
	if (cmd->lc > APDU_EXT_MAX_LC || (cmd->lc && !cmd->data))
		return APDU_ERR_PARAM;
	if (cmd->has_le && (cmd->le == 0 || cmd->le > APDU_EXT_MAX_LE))
		return APDU_ERR_PARAM;
	ext = apdu_needs_extended(cmd);
	n = apdu_encoded_size(cmd, ext);
	if (!out || cap < n)
		return APDU_ERR_BUFFER;

	out[0] = cmd->cla;
	out[1] = cmd->ins;
	out[2] = cmd->p1;
	out[3] = cmd->p2;
	pos = APDU_HEADER_LEN;
	if (cmd->lc) {
		if (ext) {
			out[pos++] = 0;
			out[pos++] = (uint8_t)(cmd->lc >> 8);
		}
		out[pos++] = (uint8_t)cmd->lc;
		memcpy(out + pos, cmd->data, cmd->lc);
		pos += cmd->lc;
	}
	if (cmd->has_le) {
		/* 256 (short) and 65536 (extended) encode as all-zero bytes: the casts do it. */
		if (ext) {
			if (!cmd->lc)
				out[pos++] = 0;
			out[pos++] = (uint8_t)(cmd->le >> 8);
		}
		out[pos++] = (uint8_t)cmd->le;
	}
	*out_len = pos;
	return APDU_OK;
}

apdu_status apdu_resp_split(const uint8_t *buf, size_t len, const uint8_t **data, size_t *data_len,
                            uint16_t *sw)
{
	if (!buf || len < 2)
		return APDU_ERR_LENGTH;
	if (data)
		*data = buf;
	if (data_len)
		*data_len = len - 2;
	if (sw)
		*sw = (uint16_t)((buf[len - 2] << 8) | buf[len - 1]);
	return APDU_OK;
}

/* Working state of one apdu_transceive call. The buffers live on the heap (64 KiB each
 * would be a lot of stack) and are private to the call, so channels may be used from
 * several threads. */
typedef struct {
	apdu_channel *ch;
	uint8_t *cmd_buf;           /* APDU_MAX_COMMAND bytes */
	uint8_t *resp_buf;          /* APDU_MAX_RESPONSE bytes */
	size_t cmd_used, resp_used; /* high-water marks, wiped at the end */
	const uint8_t *data;        /* data of the last response */
	size_t data_len;
	uint16_t sw;
	uint8_t *out;
	size_t cap, out_len;
} apdu_xfer;

/* Encode and send one command; on success x->data/x->data_len/x->sw describe the answer. */
static int apdu_xfer_send(apdu_xfer *x, const apdu_cmd *cmd)
{
	size_t cmd_len = 0, resp_len = 0;
	apdu_status st;
	int rc;

	st = apdu_cmd_encode(cmd, x->cmd_buf, APDU_MAX_COMMAND, &cmd_len);
	if (st != APDU_OK)
		return st;
	if (cmd_len > x->cmd_used)
		x->cmd_used = cmd_len;
	x->ch->apdu_count++;
	rc = x->ch->transmit(x->ch->ctx, x->cmd_buf, cmd_len, x->resp_buf, APDU_MAX_RESPONSE,
	                     &resp_len);
	if (rc < 0)
		return rc;
	/* A callback claiming more than the buffer holds is as malformed as a short answer. */
	if (resp_len > APDU_MAX_RESPONSE)
		return APDU_ERR_LENGTH;
	if (resp_len > x->resp_used)
		x->resp_used = resp_len;
	return apdu_resp_split(x->resp_buf, resp_len, &x->data, &x->data_len, &x->sw);
}

/* Send a command and resend it once with the card's Le if it answers 6Cxx. */
static int apdu_xfer_send_le(apdu_xfer *x, const apdu_cmd *cmd)
{
	apdu_cmd again;
	int rc;

	rc = apdu_xfer_send(x, cmd);
	if (rc != 0 || (x->sw >> 8) != 0x6C)
		return rc;
	again = *cmd;
	again.has_le = true;
	again.le = (x->sw & 0xFF) ? (size_t)(x->sw & 0xFF) : APDU_SHORT_MAX_LE;
	return apdu_xfer_send(x, &again);
}

static int apdu_xfer_append(apdu_xfer *x)
{
	if (x->data_len == 0)
		return 0;
	if (x->data_len > x->cap - x->out_len)
		return APDU_ERR_BUFFER;
	memcpy(x->out + x->out_len, x->data, x->data_len);
	x->out_len += x->data_len;
	return 0;
}

/* Send cmd's data in 255-byte pieces with CLA|0x10, the last piece with the original CLA
 * and Le. Leaves the last answer in x. An intermediate answer other than 9000 ends the
 * chain and becomes the final answer. */
static int apdu_xfer_chain(apdu_xfer *x, const apdu_cmd *cmd)
{
	apdu_cmd piece = *cmd;
	size_t off = 0;
	int rc;

	piece.extended = false;
	while (cmd->lc - off > APDU_SHORT_MAX_LC) {
		piece.cla = (uint8_t)(cmd->cla | APDU_CLA_CHAIN);
		piece.data = cmd->data + off;
		piece.lc = APDU_SHORT_MAX_LC;
		piece.has_le = false;
		piece.le = 0;
		rc = apdu_xfer_send(x, &piece);
		if (rc != 0)
			return rc;
		if (x->sw != 0x9000)
			return 0;
		off += APDU_SHORT_MAX_LC;
	}
	piece = *cmd;
	piece.extended = false;
	piece.data = cmd->data + off;
	piece.lc = cmd->lc - off;
	return apdu_xfer_send_le(x, &piece);
}

/* Collect 61xx answers with GET RESPONSE until a final status word. */
static int apdu_xfer_collect(apdu_xfer *x)
{
	apdu_cmd get = {.ins = APDU_INS_GET_RESPONSE, .has_le = true};
	int rc;

	while ((x->sw >> 8) == 0x61) {
		rc = apdu_xfer_append(x);
		if (rc != 0)
			return rc;
		get.le = (x->sw & 0xFF) ? (size_t)(x->sw & 0xFF) : APDU_SHORT_MAX_LE;
		rc = apdu_xfer_send_le(x, &get);
		if (rc != 0)
			return rc;
		/* A card that keeps saying 61xx without giving data would loop forever. */
		if ((x->sw >> 8) == 0x61 && x->data_len == 0)
			return APDU_ERR_LENGTH;
	}
	return apdu_xfer_append(x);
}

static int apdu_xfer_run(apdu_xfer *x, const apdu_cmd *cmd)
{
	apdu_cmd first = *cmd;
	int rc;

	if (x->ch->use_extended) {
		first.extended = apdu_needs_extended(cmd);
		rc = apdu_xfer_send_le(x, &first);
	} else {
		/* Without extended length, ask for at most 256 bytes; the card sends the rest
		 * through 61xx. */
		first.extended = false;
		if (first.has_le && first.le > APDU_SHORT_MAX_LE)
			first.le = APDU_SHORT_MAX_LE;
		if (first.lc > APDU_SHORT_MAX_LC)
			rc = apdu_xfer_chain(x, &first);
		else
			rc = apdu_xfer_send_le(x, &first);
	}
	if (rc != 0)
		return rc;
	return apdu_xfer_collect(x);
}

int apdu_transceive(apdu_channel *ch, const apdu_cmd *cmd, uint8_t *out, size_t cap,
                    size_t *out_len, uint16_t *sw)
{
	apdu_xfer x;
	int rc;

	if (!ch || !ch->transmit || !cmd || !out_len || !sw || (!out && cap))
		return APDU_ERR_PARAM;
	if (cmd->lc > APDU_EXT_MAX_LC || (cmd->lc && !cmd->data) ||
	    (cmd->has_le && (cmd->le == 0 || cmd->le > APDU_EXT_MAX_LE)))
		return APDU_ERR_PARAM;

	memset(&x, 0, sizeof(x));
	x.ch = ch;
	x.out = out;
	x.cap = cap;
	/* One allocation for both buffers; failure is reported as lack of buffer space. */
	x.cmd_buf = malloc(APDU_MAX_COMMAND + APDU_MAX_RESPONSE);
	if (!x.cmd_buf)
		return APDU_ERR_BUFFER;
	x.resp_buf = x.cmd_buf + APDU_MAX_COMMAND;

	rc = apdu_xfer_run(&x, cmd);
	if (rc == 0) {
		*out_len = x.out_len;
		*sw = x.sw;
	}
	/* Commands carry PINs and keys: do not leave them in freed memory. */
	explicit_bzero(x.cmd_buf, x.cmd_used);
	explicit_bzero(x.resp_buf, x.resp_used);
	free(x.cmd_buf);
	return rc;
}
