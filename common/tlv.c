/* BER-TLV codec: the subset of X.690 / ISO 7816-4 that PIV uses.
 *
 * Parser rules (strict about lengths, lenient only where BER itself is):
 * - Tags are 1..4 bytes. A first byte with low five bits 11111 is followed by bytes with
 *   the high bit set and a final byte with it clear. A first subsequent byte of 0x80 (a
 *   leading zero group, never minimal) and tags longer than 4 bytes are malformed.
 * - Lengths: short form (< 0x80), 0x81 xx, 0x82 xxxx, 0x83 xxxxxx. The indefinite form
 *   (0x80) and 0x84+ are malformed. Non-minimal long forms (81 05) are accepted, as BER
 *   allows; the writer always emits the minimal form.
 * - The value must lie entirely inside the buffer.
 */
#include "tlv.h"

#include <string.h>

#define TLV_MAX_TAG_BYTES 4u
#define TLV_MAX_LEN 0xFFFFFFu /* what 0x83 can carry */
#define TLV_PLACEHOLDER 1u    /* one length byte reserved by tlv_begin */

static tlv_status tlv_parse_tag(const uint8_t *buf, size_t len, uint32_t *tag, size_t *used)
{
	uint32_t t = buf[0];
	size_t i = 1;

	if ((buf[0] & 0x1F) == 0x1F) {
		if (len < 2 || buf[1] == 0x80)
			return TLV_ERR_MALFORMED;
		do {
			if (i >= len || i >= TLV_MAX_TAG_BYTES)
				return TLV_ERR_MALFORMED;
			t = (t << 8) | buf[i];
		} while (buf[i++] & 0x80);
	}
	*tag = t;
	*used = i;
	return TLV_OK;
}

static tlv_status tlv_parse_len(const uint8_t *buf, size_t len, size_t *value_len, size_t *used)
{
	size_t n, i, v = 0;

	if (len < 1)
		return TLV_ERR_MALFORMED;
	if (buf[0] < 0x80) {
		*value_len = buf[0];
		*used = 1;
		return TLV_OK;
	}
	n = buf[0] & 0x7F;
	if (n == 0 || n > 3 || len < 1 + n)
		return TLV_ERR_MALFORMED;
	for (i = 1; i <= n; i++)
		v = (v << 8) | buf[i];
	*value_len = v;
	*used = 1 + n;
	return TLV_OK;
}

tlv_status tlv_parse(const uint8_t *buf, size_t len, tlv_item *out)
{
	uint32_t tag;
	size_t tag_len, len_len, value_len;
	tlv_status st;

	if (!buf || !out || len == 0)
		return TLV_ERR_MALFORMED;
	st = tlv_parse_tag(buf, len, &tag, &tag_len);
	if (st != TLV_OK)
		return st;
	st = tlv_parse_len(buf + tag_len, len - tag_len, &value_len, &len_len);
	if (st != TLV_OK)
		return st;
	if (value_len > len - tag_len - len_len)
		return TLV_ERR_MALFORMED;
	out->tag = tag;
	out->header_len = tag_len + len_len;
	out->value = buf + out->header_len;
	out->len = value_len;
	return TLV_OK;
}

void tlv_iter_init(tlv_iter *it, const uint8_t *buf, size_t len)
{
	it->p = buf;
	it->left = len;
}

/* A failed iterator is p == NULL with bytes "left": distinct from an empty one. */
static void tlv_iter_fail(tlv_iter *it)
{
	it->p = NULL;
	it->left = 1;
}

tlv_status tlv_iter_next(tlv_iter *it, tlv_item *out)
{
	tlv_item item;
	size_t total;

	if (it->left == 0)
		return TLV_END;
	if (!it->p || tlv_parse(it->p, it->left, &item) != TLV_OK) {
		tlv_iter_fail(it);
		return TLV_ERR_MALFORMED;
	}
	total = item.header_len + item.len;
	it->p += total;
	it->left -= total;
	if (out)
		*out = item;
	return TLV_OK;
}

tlv_status tlv_find(const uint8_t *buf, size_t len, uint32_t tag, tlv_item *out)
{
	tlv_iter it;
	tlv_item item, found;
	bool have = false;
	tlv_status st;

	tlv_iter_init(&it, buf, len);
	while ((st = tlv_iter_next(&it, &item)) == TLV_OK) {
		if (!have && item.tag == tag) {
			found = item;
			have = true;
		}
	}
	if (st != TLV_END)
		return st;
	if (!have)
		return TLV_NOT_FOUND;
	if (out)
		*out = found;
	return TLV_OK;
}

size_t tlv_tag_size(uint32_t tag)
{
	if (tag > 0xFFFFFF)
		return 4;
	if (tag > 0xFFFF)
		return 3;
	if (tag > 0xFF)
		return 2;
	return 1;
}

/* 0 when the length cannot be encoded (more than 0x83 carries). */
size_t tlv_len_size(size_t len)
{
	if (len < 0x80)
		return 1;
	if (len <= 0xFF)
		return 2;
	if (len <= 0xFFFF)
		return 3;
	if (len <= TLV_MAX_LEN)
		return 4;
	return 0;
}

size_t tlv_tag_bytes(uint32_t tag, uint8_t *out)
{
	size_t n = tlv_tag_size(tag), i;

	for (i = 0; i < n; i++)
		out[i] = (uint8_t)(tag >> (8 * (n - 1 - i)));
	return n;
}

/* Writes the length in the minimal form; the caller checked tlv_len_size(len) != 0. */
static void tlv_write_len(uint8_t *p, size_t len)
{
	size_t n = tlv_len_size(len), i;

	if (n == 1) {
		p[0] = (uint8_t)len;
		return;
	}
	p[0] = (uint8_t)(0x80 | (n - 1));
	for (i = 1; i < n; i++)
		p[i] = (uint8_t)(len >> (8 * (n - 1 - i)));
}

void tlv_writer_init(tlv_writer *w, uint8_t *buf, size_t cap)
{
	w->buf = buf;
	w->cap = buf ? cap : 0;
	w->len = 0;
	w->overflow = false;
}

/* Reserve n bytes at the end; false (and sticky overflow) if they do not fit. */
static bool tlv_writer_room(tlv_writer *w, size_t n)
{
	if (w->overflow || n > w->cap - w->len) {
		w->overflow = true;
		return false;
	}
	return true;
}

void tlv_put(tlv_writer *w, uint32_t tag, const uint8_t *value, size_t len)
{
	size_t ts = tlv_tag_size(tag), ls = tlv_len_size(len);

	if (ls == 0 || (len && !value)) {
		w->overflow = true;
		return;
	}
	/* ts + ls <= 8 and len <= TLV_MAX_LEN: the sum cannot wrap. */
	if (!tlv_writer_room(w, ts + ls + len))
		return;
	tlv_tag_bytes(tag, w->buf + w->len);
	tlv_write_len(w->buf + w->len + ts, len);
	/* memmove: the value may come from the writer's own buffer. */
	if (len)
		memmove(w->buf + w->len + ts + ls, value, len);
	w->len += ts + ls + len;
}

void tlv_put_u8(tlv_writer *w, uint32_t tag, uint8_t v)
{
	tlv_put(w, tag, &v, 1);
}

void tlv_put_raw(tlv_writer *w, const uint8_t *bytes, size_t len)
{
	if (len && !bytes) {
		w->overflow = true;
		return;
	}
	if (!tlv_writer_room(w, len))
		return;
	if (len)
		memmove(w->buf + w->len, bytes, len);
	w->len += len;
}

/* The mark is the offset of the one-byte length placeholder that follows the tag. */
size_t tlv_begin(tlv_writer *w, uint32_t tag)
{
	size_t ts = tlv_tag_size(tag);

	if (!tlv_writer_room(w, ts + TLV_PLACEHOLDER))
		return w->len;
	tlv_tag_bytes(tag, w->buf + w->len);
	w->len += ts;
	w->buf[w->len] = 0;
	w->len += TLV_PLACEHOLDER;
	return w->len - TLV_PLACEHOLDER;
}

void tlv_end(tlv_writer *w, size_t mark)
{
	size_t start, content, ls, extra;

	if (w->overflow)
		return;
	/* A mark past the written bytes was not returned by tlv_begin on this writer. */
	if (mark >= w->len) {
		w->overflow = true;
		return;
	}
	start = mark + TLV_PLACEHOLDER;
	content = w->len - start;
	ls = tlv_len_size(content);
	if (ls == 0) {
		w->overflow = true;
		return;
	}
	extra = ls - TLV_PLACEHOLDER;
	if (extra && !tlv_writer_room(w, extra))
		return;
	if (extra)
		memmove(w->buf + start + extra, w->buf + start, content);
	tlv_write_len(w->buf + mark, content);
	w->len += extra;
}

tlv_status tlv_writer_status(const tlv_writer *w)
{
	return w->overflow ? TLV_ERR_BUFFER : TLV_OK;
}
