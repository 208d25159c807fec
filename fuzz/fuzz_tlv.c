/* libFuzzer target for the shared codecs.
 * - TLV: walk the input as a TLV level, descend into every value (bounded depth), check
 *   each item against the buffer, re-encode it with the writer and parse it back (tag,
 *   length and value must survive), check tlv_find against the walk, rebuild the level
 *   inside a constructed TLV with tlv_begin/tlv_end, and check that a writer one byte too
 *   small reports overflow without writing past its capacity.
 * - APDU: a command that parses must re-encode to the very same bytes; apdu_transceive fed
 *   with responses cut from the input must stay inside its output buffer.
 * Any inconsistency aborts. */
#include <stdlib.h>
#include <string.h>

#include "apdu.h"
#include "tlv.h"

#define FUZZ_MAX_DEPTH 8
#define FUZZ_GUARD 0xA5

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

/* Re-encode one item minimally and parse it back; a writer one byte short must fail. */
static void fuzz_tlv_reencode(const uint8_t *raw, const tlv_item *it)
{
	size_t need = tlv_tag_size(it->tag) + tlv_len_size(it->len) + it->len;
	uint8_t *buf = malloc(need + 1);
	tlv_writer w;
	tlv_item back;

	check(buf != NULL);
	check(tlv_len_size(it->len) != 0);
	/* The parsed tag bytes are exactly the significant bytes of the tag value. */
	for (size_t i = 0, n = tlv_tag_size(it->tag); i < n; i++)
		check(raw[i] == (uint8_t)(it->tag >> (8 * (n - 1 - i))));
	check(need <= it->header_len + it->len);

	buf[need] = FUZZ_GUARD;
	tlv_writer_init(&w, buf, need);
	tlv_put(&w, it->tag, it->value, it->len);
	check(tlv_writer_status(&w) == TLV_OK && w.len == need && buf[need] == FUZZ_GUARD);
	check(tlv_parse(buf, need, &back) == TLV_OK);
	check(back.tag == it->tag && back.len == it->len && back.header_len + back.len == need);
	check(it->len == 0 || memcmp(back.value, it->value, it->len) == 0);

	buf[need - 1] = FUZZ_GUARD;
	tlv_writer_init(&w, buf, need - 1);
	tlv_put(&w, it->tag, it->value, it->len);
	check(tlv_writer_status(&w) == TLV_ERR_BUFFER && buf[need - 1] == FUZZ_GUARD);
	free(buf);
}

/* Rebuild the n valid items of a level inside 70 { ... } and compare item by item. */
static void fuzz_tlv_rebuild(const uint8_t *level, size_t len, size_t n)
{
	size_t cap = len + 8;
	uint8_t *buf = malloc(cap);
	tlv_writer w;
	tlv_iter a, b;
	tlv_item x, y, outer;
	size_t mark;

	check(buf != NULL);
	tlv_writer_init(&w, buf, cap);
	mark = tlv_begin(&w, 0x70);
	tlv_iter_init(&a, level, len);
	for (size_t i = 0; i < n; i++) {
		check(tlv_iter_next(&a, &x) == TLV_OK);
		tlv_put(&w, x.tag, x.value, x.len);
	}
	tlv_end(&w, mark);
	check(tlv_writer_status(&w) == TLV_OK);
	check(tlv_parse(buf, w.len, &outer) == TLV_OK);
	check(outer.tag == 0x70 && outer.header_len + outer.len == w.len);

	tlv_iter_init(&a, level, len);
	tlv_iter_init(&b, outer.value, outer.len);
	for (size_t i = 0; i < n; i++) {
		check(tlv_iter_next(&a, &x) == TLV_OK);
		check(tlv_iter_next(&b, &y) == TLV_OK);
		check(x.tag == y.tag && x.len == y.len);
		check(x.len == 0 || memcmp(x.value, y.value, x.len) == 0);
	}
	check(tlv_iter_next(&b, &y) == TLV_END);
	free(buf);
}

static void fuzz_tlv_level(const uint8_t *buf, size_t len, int depth)
{
	tlv_iter it;
	tlv_item item, found;
	tlv_status st;
	const uint8_t *p = buf;
	uint32_t first_tag = 0;
	const uint8_t *first_value = NULL;
	size_t n = 0;

	tlv_iter_init(&it, buf, len);
	while ((st = tlv_iter_next(&it, &item)) == TLV_OK) {
		/* The item lies where the walk is, inside the buffer. */
		check(item.value == p + item.header_len);
		check(item.header_len >= 2 && item.header_len <= 8);
		check(item.len <= len - (size_t)(p - buf) - item.header_len);
		check(tlv_parse(p, len - (size_t)(p - buf), &found) == TLV_OK);
		check(found.tag == item.tag && found.len == item.len && found.value == item.value);
		if (n == 0) {
			first_tag = item.tag;
			first_value = item.value;
		}
		fuzz_tlv_reencode(p, &item);
		if (depth < FUZZ_MAX_DEPTH && item.len)
			fuzz_tlv_level(item.value, item.len, depth + 1);
		p = item.value + item.len;
		n++;
	}
	check(st == TLV_END || st == TLV_ERR_MALFORMED);
	if (st == TLV_ERR_MALFORMED) {
		check(tlv_iter_next(&it, &item) == TLV_ERR_MALFORMED); /* sticky */
		check(tlv_find(buf, len, first_tag, &found) == TLV_ERR_MALFORMED);
		return;
	}
	check(p == buf + len);
	if (n) {
		check(tlv_find(buf, len, first_tag, &found) == TLV_OK);
		check(found.value == first_value);
	}
	if (depth < 2)
		fuzz_tlv_rebuild(buf, len, n);
}

/* A command that parses re-encodes to exactly the same bytes. */
static void fuzz_apdu_parse(const uint8_t *data, size_t size)
{
	apdu_cmd cmd;
	uint8_t *out;
	size_t n = 0;

	if (apdu_cmd_parse(data, size, &cmd) != APDU_OK)
		return;
	check(cmd.lc <= APDU_EXT_MAX_LC);
	check(!cmd.has_le || (cmd.le >= 1 && cmd.le <= APDU_EXT_MAX_LE));
	check((cmd.lc == 0) == (cmd.data == NULL));
	out = malloc(size + 1);
	check(out != NULL);
	out[size] = FUZZ_GUARD;
	check(apdu_cmd_encode(&cmd, out, size, &n) == APDU_OK);
	check(n == size && memcmp(out, data, size) == 0 && out[size] == FUZZ_GUARD);
	if (size > 4)
		check(apdu_cmd_encode(&cmd, out, size - 1, &n) == APDU_ERR_BUFFER);
	free(out);
}

/* Fake card: answers are cut from the input, each a 1-byte length then that many bytes. */
typedef struct {
	const uint8_t *p;
	size_t left;
} fuzz_card;

static int fuzz_transmit(void *ctx, const uint8_t *cmd, size_t cmd_len, uint8_t *resp,
                         size_t resp_cap, size_t *resp_len)
{
	fuzz_card *c = ctx;
	size_t n;
	apdu_cmd parsed;

	/* Whatever the host sends must be a well-formed command. */
	check(apdu_cmd_parse(cmd, cmd_len, &parsed) == APDU_OK);
	if (c->left == 0)
		return -100;
	n = c->p[0];
	c->p++;
	c->left--;
	if (n > c->left)
		n = c->left;
	check(n <= resp_cap);
	memcpy(resp, c->p, n);
	c->p += n;
	c->left -= n;
	*resp_len = n;
	return 0;
}

static void fuzz_apdu_transceive(const uint8_t *data, size_t size)
{
	static const uint8_t body[600];
	fuzz_card card;
	apdu_channel ch = {.transmit = fuzz_transmit, .ctx = &card};
	apdu_cmd cmd = {.ins = 0xCB, .has_le = true, .le = 256};
	uint8_t out[300];
	size_t cap, n = 0;
	uint16_t sw = 0;
	int rc;

	if (size < 2)
		return;
	ch.use_extended = data[0] & 1;
	cmd.lc = (data[0] & 2) ? sizeof(body) : (data[0] & 4) ? 10 : 0;
	cmd.data = cmd.lc ? body : NULL;
	cap = data[1] % sizeof(out);
	card.p = data + 2;
	card.left = size - 2;
	memset(out, FUZZ_GUARD, sizeof(out));
	rc = apdu_transceive(&ch, &cmd, out, cap, &n, &sw);
	check(rc == 0 || rc == APDU_ERR_BUFFER || rc == APDU_ERR_LENGTH || rc == -100);
	check(rc != 0 || n <= cap);
	for (size_t i = cap; i < sizeof(out); i++)
		check(out[i] == FUZZ_GUARD);
	check(ch.apdu_count >= 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_tlv_level(data, size, 0);
	fuzz_apdu_parse(data, size);
	fuzz_apdu_transceive(data, size);
	return 0;
}
