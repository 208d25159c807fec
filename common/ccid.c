/* USB CCID bulk message headers: 10 bytes, dwLength little-endian (CCID 1.1 section 6). */
#include "ccid.h"

#include <string.h>

void ccid_header_encode(const ccid_header *h, uint8_t out[CCID_HEADER_LEN])
{
	out[0] = h->type;
	out[1] = (uint8_t)h->length;
	out[2] = (uint8_t)(h->length >> 8);
	out[3] = (uint8_t)(h->length >> 16);
	out[4] = (uint8_t)(h->length >> 24);
	out[5] = h->slot;
	out[6] = h->seq;
	out[7] = h->param[0];
	out[8] = h->param[1];
	out[9] = h->param[2];
}

void ccid_header_decode(const uint8_t in[CCID_HEADER_LEN], ccid_header *h)
{
	h->type = in[0];
	h->length = (uint32_t)in[1] | ((uint32_t)in[2] << 8) | ((uint32_t)in[3] << 16) |
	            ((uint32_t)in[4] << 24);
	h->slot = in[5];
	h->seq = in[6];
	h->param[0] = in[7];
	h->param[1] = in[8];
	h->param[2] = in[9];
}

size_t ccid_message_build(uint8_t *out, size_t cap, uint8_t type, uint8_t slot, uint8_t seq,
                          const uint8_t param[3], const uint8_t *data, size_t len)
{
	ccid_header h;

	if (!out || len > CCID_MAX_DATA || cap < CCID_HEADER_LEN + len || (len && !data))
		return 0;
	memset(&h, 0, sizeof(h));
	h.type = type;
	h.length = (uint32_t)len;
	h.slot = slot;
	h.seq = seq;
	if (param)
		memcpy(h.param, param, sizeof(h.param));
	ccid_header_encode(&h, out);
	/* memmove: callers may build in place over a buffer that already holds the data. */
	if (len)
		memmove(out + CCID_HEADER_LEN, data, len);
	return CCID_HEADER_LEN + len;
}
