/* BER-TLV codec (ISO 7816-4 / X.690 subset used by PIV), shared by firmware and module.
 * Tags of 1..4 bytes are carried as the big-endian integer of their bytes (0x5FC105).
 * Lengths: short form and 0x81/0x82/0x83 long forms; indefinite form is refused. */
#ifndef KINKO_TLV_H
#define KINKO_TLV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
	uint32_t tag;
	const uint8_t *value; /* points into the parsed buffer */
	size_t len;
	size_t header_len; /* tag + length bytes */
} tlv_item;

typedef enum {
	TLV_OK = 0,
	TLV_END = 1, /* iterator: nothing left */
	TLV_NOT_FOUND = 2,
	TLV_ERR_MALFORMED = -1, /* bad tag, bad or over-long length, value past the buffer */
	TLV_ERR_BUFFER = -2,    /* writer out of space */
} tlv_status;

/* Parse the one TLV at the start of buf. */
tlv_status tlv_parse(const uint8_t *buf, size_t len, tlv_item *out);

typedef struct {
	const uint8_t *p;
	size_t left;
} tlv_iter;

void tlv_iter_init(tlv_iter *it, const uint8_t *buf, size_t len);
/* TLV_OK with *out filled, TLV_END at the end, TLV_ERR_MALFORMED (sticky) on bad input.
 * 0x00 and 0xFF padding bytes between TLVs are NOT skipped: PIV never needs it. */
tlv_status tlv_iter_next(tlv_iter *it, tlv_item *out);

/* First TLV with this tag at this level; TLV_NOT_FOUND or TLV_ERR_MALFORMED otherwise.
 * The whole level is validated, so a later malformed TLV is an error too. */
tlv_status tlv_find(const uint8_t *buf, size_t len, uint32_t tag, tlv_item *out);

/* Encoded sizes. */
size_t tlv_tag_size(uint32_t tag);
size_t tlv_len_size(size_t len);

/* The tag's bytes as on the wire, big-endian (0x5FC105 -> 5F C1 05), into out, which has
 * room for tlv_tag_size(tag) of them (at most 4); returns that count. A data object's name
 * in a 5C tag list is written with it. */
size_t tlv_tag_bytes(uint32_t tag, uint8_t *out);

/* Writer into a caller buffer; errors are sticky and reported by tlv_writer_status. */
typedef struct {
	uint8_t *buf;
	size_t cap;
	size_t len;
	bool overflow;
} tlv_writer;

void tlv_writer_init(tlv_writer *w, uint8_t *buf, size_t cap);
void tlv_put(tlv_writer *w, uint32_t tag, const uint8_t *value, size_t len);
void tlv_put_u8(tlv_writer *w, uint32_t tag, uint8_t v);
void tlv_put_raw(tlv_writer *w, const uint8_t *bytes, size_t len);
/* Constructed TLVs: begin returns a mark, end writes the final length (moving the
 * contents if the length needs more than one byte). Marks nest. */
size_t tlv_begin(tlv_writer *w, uint32_t tag);
void tlv_end(tlv_writer *w, size_t mark);
tlv_status tlv_writer_status(const tlv_writer *w);

#endif
