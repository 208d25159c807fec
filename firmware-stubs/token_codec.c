/* The state file encoding of the token's persistent state, and its load/save.
 *
 * Layout (all TLVs written and parsed with the common BER-TLV codec):
 *
 *   "KINKOST" 0x04                      8-byte magic, the last byte is the format version
 *                                       (4: the attestation key 86 was added; 3, before
 *                                       it, loads as a token without attestation; 2,
 *                                       written before profiles, loads as a kinko token;
 *                                       1 is refused)
 *   80 04 serial (big-endian)
 *   81 03 version (major minor patch)
 *   82 10 CHUID GUID
 *   83 01 pin_must_change (00/01)
 *   84 04 object change counter (big-endian)
 *   85 01 profile (TOK_PROFILE_*)
 *   A9 { 80 alg 81 PKCS#8 }                  the attestation key F9, only when provisioned
 *   A4 { 80 salt(16) 81 hash(32) 82 tries_left 83 tries_max 84 is_default }     PIN
 *   A5 { same as A4 }                                                            PUK
 *   A6 { 80 alg 81 key(16/24/32) 82 is_default }                      management key
 *   A7 { 80 key ref 81 alg 82 origin 83 pin policy 84 touch policy 85 PKCS#8 }  per key
 *   A8 { 80 tag(4, big-endian) 81 value(1..TOK_MAX_OBJECT) }                 per object
 *   SHA-256 (32 bytes) of everything before it
 *
 * Every top-level field except A7/A8 (any number) and A9 (at most once) appears exactly once; inside a template each field
 * appears exactly once; anything else, or any value out of range, is -EBADMSG. The hash is
 * a torn-write and bit-rot check, not a MAC: the file's secrecy relies on its 0600 mode.
 */
#include "token_state.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "flash.h"
#include "piv_crypto.h"
#include "tlv.h"

static const uint8_t TOK_MAGIC[8] = {'K', 'I', 'N', 'K', 'O', 'S', 'T', 0x04};
#define TOK_FORMAT_BEFORE_ATTESTATION 0x03
#define TOK_FORMAT_BEFORE_PROFILES 0x02

enum {
	TOK_T_SERIAL = 0x80,
	TOK_T_VERSION = 0x81,
	TOK_T_GUID = 0x82,
	TOK_T_MUST_CHANGE = 0x83,
	TOK_T_COUNTER = 0x84,
	TOK_T_PROFILE = 0x85,
	TOK_T_PIN = 0xA4,
	TOK_T_PUK = 0xA5,
	TOK_T_MGMT = 0xA6,
	TOK_T_KEY = 0xA7,
	TOK_T_OBJECT = 0xA8,
	TOK_T_ATTEST = 0xA9,
};
#define TOK_F(n) (0x80u + (n)) /* n-th field inside a template */

/* ---- validation shared by encode and decode ---- */

static bool tok_secret_valid(const tok_secret *s)
{
	return s->tries_max >= 1 && s->tries_max <= TOK_TRIES_MAX && s->tries_left <= s->tries_max;
}

static bool tok_key_valid(const tok_key *k)
{
	return piv_alg_bytes(k->alg) != 0 &&
	       (k->origin == PIV_ORIGIN_GENERATED || k->origin == PIV_ORIGIN_IMPORTED) &&
	       k->pin_policy >= PIV_PIN_POLICY_NEVER && k->pin_policy <= PIV_PIN_POLICY_ALWAYS &&
	       k->touch_policy <= 3 && k->priv_der != NULL && k->priv_len > 0 &&
	       k->priv_len <= TOK_MAX_KEY_DER;
}

static bool tok_object_valid(const tok_object *o)
{
	return tok_object_tag_valid(o->tag) && o->value != NULL && o->len > 0 &&
	       o->len <= TOK_MAX_OBJECT;
}

/* The attestation key: generated on the token by provisioning, used by ATTEST only. */
static bool tok_attest_key_valid(const tok_key *k)
{
	return k->alg == 0 || (tok_key_valid(k) && k->origin == PIV_ORIGIN_GENERATED);
}

static bool tok_state_valid(const tok_state *st)
{
	size_t i, j;

	if (!tok_attest_key_valid(&st->attest) || !tok_secret_valid(&st->pin) ||
	    !tok_secret_valid(&st->puk) || st->profile > TOK_PROFILE_PIV ||
	    piv_alg_mgmt_key_len(st->mgmt_alg) == 0 ||
	    st->mgmt_key_len != piv_alg_mgmt_key_len(st->mgmt_alg) ||
	    st->n_objects > TOK_MAX_OBJECTS)
		return false;
	for (i = 0; i < PIV_KEY_SLOTS; i++) {
		if (st->keys[i].alg != 0 && !tok_key_valid(&st->keys[i]))
			return false;
	}
	for (i = 0; i < st->n_objects; i++) {
		if (!tok_object_valid(&st->objects[i]))
			return false;
		for (j = 0; j < i; j++) {
			if (st->objects[j].tag == st->objects[i].tag)
				return false;
		}
	}
	return true;
}

/* ---- encoding ---- */

static void tok_put_secret(tlv_writer *w, uint32_t tag, const tok_secret *s)
{
	size_t mark = tlv_begin(w, tag);

	tlv_put(w, TOK_F(0), s->salt, TOK_SALT_LEN);
	tlv_put(w, TOK_F(1), s->hash, TOK_HASH_LEN);
	tlv_put_u8(w, TOK_F(2), s->tries_left);
	tlv_put_u8(w, TOK_F(3), s->tries_max);
	tlv_put_u8(w, TOK_F(4), s->is_default ? 1 : 0);
	tlv_end(w, mark);
}

static void tok_be32(uint32_t v, uint8_t out[4])
{
	out[0] = (uint8_t)(v >> 24);
	out[1] = (uint8_t)(v >> 16);
	out[2] = (uint8_t)(v >> 8);
	out[3] = (uint8_t)v;
}

static void tok_put_body(tlv_writer *w, const tok_state *st)
{
	uint8_t serial[4], counter[4];
	size_t i, mark;

	tok_be32(st->serial, serial);
	tok_be32(st->change_counter, counter);
	tlv_put(w, TOK_T_SERIAL, serial, sizeof(serial));
	tlv_put(w, TOK_T_VERSION, st->version, sizeof(st->version));
	tlv_put(w, TOK_T_GUID, st->guid, sizeof(st->guid));
	tlv_put_u8(w, TOK_T_MUST_CHANGE, st->pin_must_change ? 1 : 0);
	tlv_put(w, TOK_T_COUNTER, counter, sizeof(counter));
	tlv_put_u8(w, TOK_T_PROFILE, st->profile);
	tok_put_secret(w, TOK_T_PIN, &st->pin);
	tok_put_secret(w, TOK_T_PUK, &st->puk);

	mark = tlv_begin(w, TOK_T_MGMT);
	tlv_put_u8(w, TOK_F(0), st->mgmt_alg);
	tlv_put(w, TOK_F(1), st->mgmt_key, st->mgmt_key_len);
	tlv_put_u8(w, TOK_F(2), st->mgmt_is_default ? 1 : 0);
	tlv_end(w, mark);

	for (i = 0; i < PIV_KEY_SLOTS; i++) {
		const tok_key *k = &st->keys[i];

		if (k->alg == 0)
			continue;
		mark = tlv_begin(w, TOK_T_KEY);
		tlv_put_u8(w, TOK_F(0), piv_key_slot_ref((unsigned)i));
		tlv_put_u8(w, TOK_F(1), k->alg);
		tlv_put_u8(w, TOK_F(2), k->origin);
		tlv_put_u8(w, TOK_F(3), k->pin_policy);
		tlv_put_u8(w, TOK_F(4), k->touch_policy);
		tlv_put(w, TOK_F(5), k->priv_der, k->priv_len);
		tlv_end(w, mark);
	}
	if (st->attest.alg != 0) {
		mark = tlv_begin(w, TOK_T_ATTEST);
		tlv_put_u8(w, TOK_F(0), st->attest.alg);
		tlv_put(w, TOK_F(1), st->attest.priv_der, st->attest.priv_len);
		tlv_end(w, mark);
	}
	for (i = 0; i < st->n_objects; i++) {
		const tok_object *o = &st->objects[i];
		uint8_t tag[4];

		tok_be32(o->tag, tag);
		mark = tlv_begin(w, TOK_T_OBJECT);
		tlv_put(w, TOK_F(0), tag, sizeof(tag));
		tlv_put(w, TOK_F(1), o->value, o->len);
		tlv_end(w, mark);
	}
}

/* An upper bound of the encoded size: every TLV header is at most 1 + 4 + 4 bytes. */
static size_t tok_encoded_bound(const tok_state *st)
{
	size_t i, n = sizeof(TOK_MAGIC) + TOK_HASH_LEN + 512;

	for (i = 0; i < PIV_KEY_SLOTS; i++) {
		if (st->keys[i].alg != 0)
			n += st->keys[i].priv_len + 64;
	}
	n += st->attest.priv_len + 64;
	for (i = 0; i < st->n_objects; i++)
		n += st->objects[i].len + 32;
	return n;
}

int tok_state_encode(const tok_state *st, uint8_t **buf, size_t *len)
{
	size_t bound, used;
	uint8_t *out;
	tlv_writer w;

	if (st == NULL || buf == NULL || len == NULL)
		return -EINVAL;
	*buf = NULL;
	*len = 0;
	if (!tok_state_valid(st))
		return -EINVAL;
	bound = tok_encoded_bound(st);
	out = malloc(bound);
	if (out == NULL)
		return -ENOMEM;
	memcpy(out, TOK_MAGIC, sizeof(TOK_MAGIC));
	tlv_writer_init(&w, out + sizeof(TOK_MAGIC), bound - sizeof(TOK_MAGIC) - TOK_HASH_LEN);
	tok_put_body(&w, st);
	used = sizeof(TOK_MAGIC) + w.len;
	if (tlv_writer_status(&w) != TLV_OK || used + TOK_HASH_LEN > TOK_STATE_MAX ||
	    !EVP_Digest(out, used, out + used, NULL, EVP_sha256(), NULL)) {
		tok_state_buffer_free(out, bound);
		return used + TOK_HASH_LEN > TOK_STATE_MAX ? -EFBIG : -EIO;
	}
	*buf = out;
	*len = used + TOK_HASH_LEN;
	return 0;
}

/* ---- decoding ---- */

/* Split a template into its fields 80..80+n-1, each exactly once and nothing else. */
static int tok_fields(const tlv_item *tmpl, tlv_item *f, size_t n)
{
	bool seen[8] = {false};
	tlv_iter it;
	tlv_item item;
	tlv_status rc;

	tlv_iter_init(&it, tmpl->value, tmpl->len);
	while ((rc = tlv_iter_next(&it, &item)) == TLV_OK) {
		size_t idx = item.tag - 0x80u;

		if (item.tag < 0x80u || idx >= n || seen[idx])
			return -EBADMSG;
		seen[idx] = true;
		f[idx] = item;
	}
	if (rc != TLV_END)
		return -EBADMSG;
	for (size_t i = 0; i < n; i++) {
		if (!seen[i])
			return -EBADMSG;
	}
	return 0;
}

static int tok_u8(const tlv_item *f, uint8_t *out)
{
	if (f->len != 1)
		return -EBADMSG;
	*out = f->value[0];
	return 0;
}

static int tok_bool(const tlv_item *f, bool *out)
{
	if (f->len != 1 || f->value[0] > 1)
		return -EBADMSG;
	*out = f->value[0] == 1;
	return 0;
}

static int tok_bytes(const tlv_item *f, uint8_t *out, size_t len)
{
	if (f->len != len)
		return -EBADMSG;
	memcpy(out, f->value, len);
	return 0;
}

static uint32_t tok_get_be32(const uint8_t b[4])
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static int tok_get_secret(const tlv_item *t, tok_secret *s)
{
	tlv_item f[5];

	if (tok_fields(t, f, 5) != 0 || tok_bytes(&f[0], s->salt, TOK_SALT_LEN) != 0 ||
	    tok_bytes(&f[1], s->hash, TOK_HASH_LEN) != 0 || tok_u8(&f[2], &s->tries_left) != 0 ||
	    tok_u8(&f[3], &s->tries_max) != 0 || tok_bool(&f[4], &s->is_default) != 0)
		return -EBADMSG;
	return 0;
}

static int tok_get_mgmt(const tlv_item *t, tok_state *st)
{
	tlv_item f[3];

	if (tok_fields(t, f, 3) != 0 || tok_u8(&f[0], &st->mgmt_alg) != 0 || f[1].len == 0 ||
	    f[1].len > TOK_MAX_MGMT_KEY || tok_bool(&f[2], &st->mgmt_is_default) != 0)
		return -EBADMSG;
	memcpy(st->mgmt_key, f[1].value, f[1].len);
	st->mgmt_key_len = f[1].len;
	return 0;
}

static int tok_get_key(const tlv_item *t, tok_state *st)
{
	tlv_item f[6];
	uint8_t ref;
	int idx;
	tok_key *k;

	if (tok_fields(t, f, 6) != 0 || tok_u8(&f[0], &ref) != 0)
		return -EBADMSG;
	idx = piv_key_slot_index(ref);
	if (idx < 0 || st->keys[idx].alg != 0)
		return -EBADMSG;
	k = &st->keys[idx];
	if (tok_u8(&f[1], &k->alg) != 0 || tok_u8(&f[2], &k->origin) != 0 ||
	    tok_u8(&f[3], &k->pin_policy) != 0 || tok_u8(&f[4], &k->touch_policy) != 0 ||
	    f[5].len == 0 || f[5].len > TOK_MAX_KEY_DER)
		return -EBADMSG;
	k->priv_der = malloc(f[5].len);
	if (k->priv_der == NULL)
		return -ENOMEM;
	memcpy(k->priv_der, f[5].value, f[5].len);
	k->priv_len = f[5].len;
	return tok_key_valid(k) ? 0 : -EBADMSG;
}

/* The attestation key keeps its fixed policies: PIN never, touch never, generated. */
static int tok_get_attest(const tlv_item *t, tok_state *st)
{
	tlv_item f[2];
	uint8_t alg;
	uint8_t *der;

	if (tok_fields(t, f, 2) != 0 || tok_u8(&f[0], &alg) != 0 || f[1].len == 0 ||
	    f[1].len > TOK_MAX_KEY_DER)
		return -EBADMSG;
	der = malloc(f[1].len);
	if (der == NULL)
		return -ENOMEM;
	memcpy(der, f[1].value, f[1].len);
	tok_key_set(&st->attest, alg, PIV_ORIGIN_GENERATED, PIV_PIN_POLICY_NEVER, der, f[1].len);
	return tok_key_valid(&st->attest) ? 0 : -EBADMSG;
}

static int tok_get_object(const tlv_item *t, tok_state *st)
{
	tlv_item f[2];
	uint8_t b[4];
	uint32_t tag;

	if (tok_fields(t, f, 2) != 0 || tok_bytes(&f[0], b, sizeof(b)) != 0)
		return -EBADMSG;
	tag = tok_get_be32(b);
	if (!tok_object_tag_valid(tag) || f[1].len == 0 || f[1].len > TOK_MAX_OBJECT ||
	    tok_object_get(st, tag) != NULL)
		return -EBADMSG;
	if (st->n_objects >= TOK_MAX_OBJECTS)
		return -EBADMSG;
	return tok_object_put(st, tag, f[1].value, f[1].len);
}

/* Singleton top-level fields, as bits of the "seen" mask. */
static int tok_singleton_bit(uint32_t tag)
{
	switch (tag) {
	case TOK_T_SERIAL: return 0;
	case TOK_T_VERSION: return 1;
	case TOK_T_GUID: return 2;
	case TOK_T_MUST_CHANGE: return 3;
	case TOK_T_PIN: return 4;
	case TOK_T_PUK: return 5;
	case TOK_T_MGMT: return 6;
	case TOK_T_COUNTER: return 7;
	case TOK_T_PROFILE: return 8;
	case TOK_T_ATTEST: return 9;
	default: return -1;
	}
}
#define TOK_ALL_SINGLETONS 0x1FFu
#define TOK_SINGLETONS_BEFORE_PROFILES 0xFFu /* format 2: everything but the profile */
#define TOK_SINGLETON_ATTEST 0x200u          /* format 4: optional */

static int tok_get_field(const tlv_item *t, tok_state *st)
{
	uint8_t be[4];

	switch (t->tag) {
	case TOK_T_SERIAL:
		if (tok_bytes(t, be, sizeof(be)) != 0)
			return -EBADMSG;
		st->serial = tok_get_be32(be);
		return 0;
	case TOK_T_COUNTER:
		if (tok_bytes(t, be, sizeof(be)) != 0)
			return -EBADMSG;
		st->change_counter = tok_get_be32(be);
		return 0;
	case TOK_T_VERSION: return tok_bytes(t, st->version, sizeof(st->version));
	case TOK_T_GUID: return tok_bytes(t, st->guid, sizeof(st->guid));
	case TOK_T_MUST_CHANGE: return tok_bool(t, &st->pin_must_change);
	case TOK_T_PROFILE: return tok_u8(t, &st->profile);
	case TOK_T_PIN: return tok_get_secret(t, &st->pin);
	case TOK_T_PUK: return tok_get_secret(t, &st->puk);
	case TOK_T_MGMT: return tok_get_mgmt(t, st);
	case TOK_T_KEY: return tok_get_key(t, st);
	case TOK_T_OBJECT: return tok_get_object(t, st);
	case TOK_T_ATTEST: return tok_get_attest(t, st);
	default: return -EBADMSG;
	}
}

/* Format 2 has every field but the profile, and its tokens are kinko's (tok_state_init's
 * 0); format 3 has them all; format 4 may add the attestation key. */
static int tok_decode_body(tok_state *st, const uint8_t *body, size_t len, unsigned expected,
                           bool attest_allowed)
{
	unsigned seen = 0;
	tlv_iter it;
	tlv_item item;
	tlv_status trc;
	int rc;

	tlv_iter_init(&it, body, len);
	while ((trc = tlv_iter_next(&it, &item)) == TLV_OK) {
		int bit = tok_singleton_bit(item.tag);

		if (bit >= 0) {
			if (seen & (1u << bit))
				return -EBADMSG;
			seen |= 1u << bit;
		}
		rc = tok_get_field(&item, st);
		if (rc != 0)
			return rc;
	}
	if (!attest_allowed && (seen & TOK_SINGLETON_ATTEST))
		return -EBADMSG;
	if (trc != TLV_END || (seen & ~TOK_SINGLETON_ATTEST) != expected)
		return -EBADMSG;
	return tok_state_valid(st) ? 0 : -EBADMSG;
}

int tok_state_decode(tok_state *st, const uint8_t *buf, size_t len)
{
	uint8_t md[TOK_HASH_LEN];
	unsigned expected;
	uint8_t format;
	size_t body_len;
	int rc;

	if (st == NULL)
		return -EINVAL;
	tok_state_init(st);
	if (buf == NULL || len < sizeof(TOK_MAGIC) + TOK_HASH_LEN ||
	    memcmp(buf, TOK_MAGIC, sizeof(TOK_MAGIC) - 1) != 0)
		return -EBADMSG;
	format = buf[sizeof(TOK_MAGIC) - 1];
	if (format == TOK_MAGIC[sizeof(TOK_MAGIC) - 1] || format == TOK_FORMAT_BEFORE_ATTESTATION)
		expected = TOK_ALL_SINGLETONS;
	else if (format == TOK_FORMAT_BEFORE_PROFILES)
		expected = TOK_SINGLETONS_BEFORE_PROFILES;
	else
		return -EBADMSG;
	body_len = len - sizeof(TOK_MAGIC) - TOK_HASH_LEN;
	if (!EVP_Digest(buf, len - TOK_HASH_LEN, md, NULL, EVP_sha256(), NULL))
		return -EIO;
	if (CRYPTO_memcmp(md, buf + len - TOK_HASH_LEN, TOK_HASH_LEN) != 0)
		return -EBADMSG;
	rc = tok_decode_body(st, buf + sizeof(TOK_MAGIC), body_len, expected,
	                     format == TOK_MAGIC[sizeof(TOK_MAGIC) - 1]);
	if (rc != 0)
		tok_state_free(st);
	return rc;
}

int tok_state_load(tok_state *st, const char *path)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	if (st == NULL || path == NULL)
		return -EINVAL;
	tok_state_init(st);
	rc = flash_read(path, TOK_STATE_MAX, &buf, &len);
	if (rc != 0)
		return rc;
	rc = tok_state_decode(st, buf, len);
	tok_state_buffer_free(buf, len);
	return rc;
}

int tok_state_save(const tok_state *st, const char *path)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	if (st == NULL || path == NULL)
		return -EINVAL;
	rc = tok_state_encode(st, &buf, &len);
	if (rc != 0)
		return rc;
	rc = flash_write_atomic(path, buf, len);
	tok_state_buffer_free(buf, len);
	return rc;
}
