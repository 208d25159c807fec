/* Keys on the card: card management key (9B) authentication, with a given key or the
 * PIN-protected one, key generation and deletion, signing and ECDH, and the card's random
 * numbers. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "card_internal.h"
#include "piv.h"

#define CARD_BLOCK_MAX 16u    /* AES block; 3DES has 8 */
#define CARD_MGMT_KEY_MAX 32u /* AES-256 */
#define CARD_SIGN_MAX 512u    /* RSA-4096 would still fit */
#define CARD_GA_RESP_MAX (CARD_SIGN_MAX + 16u)
#define CARD_GEN_RESP_MAX 1100u /* 7F49 of RSA-3072 with room to spare */
/* On-card RSA generation takes seconds (tens on a real token): the message timeout for
 * GENERATE is raised to this at least. */
#define CARD_GENERATE_TIMEOUT_MS 120000u

/* One block, ECB without padding. */
static card_status card_block(EVP_CIPHER *ciph, const uint8_t *key, int enc, const uint8_t *in,
                              size_t len, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	card_status st = CARD_ERR_NO_MEMORY;
	int n = 0;

	if (ctx) {
		st = CARD_ERR_FAILED;
		if (EVP_CipherInit_ex2(ctx, ciph, key, NULL, enc, NULL) == 1 &&
		    EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
		    EVP_CipherUpdate(ctx, out, &n, in, (int)len) == 1 && (size_t)n == len)
			st = CARD_OK;
	}
	EVP_CIPHER_CTX_free(ctx);
	return st;
}

/* 7C { tag value } as the whole response; *item is the value. */
static card_status card_dyn_auth_item(const uint8_t *buf, size_t len, uint32_t tag, tlv_item *item)
{
	tlv_item outer;

	if (card_tlv_whole(buf, len, PIV_TLV_DYN_AUTH, &outer) != CARD_OK ||
	    tlv_find(outer.value, outer.len, tag, item) != TLV_OK)
		return CARD_ERR_DEVICE;
	return CARD_OK;
}

typedef struct {
	uint8_t witness[CARD_BLOCK_MAX], challenge[CARD_BLOCK_MAX], expect[CARD_BLOCK_MAX];
	uint8_t cmd[4 + 4 * CARD_BLOCK_MAX], resp[64];
	size_t resp_len;
} card_mutual;

/* Mutual authentication (SP 800-73-4 appendix A.1 style): the card proves it knows the
 * key by encrypting our challenge, we prove it by decrypting its witness. */
static card_status card_mutual_run(card *c, uint8_t alg, EVP_CIPHER *ciph, const uint8_t *key,
                                   size_t bs, card_mutual *m)
{
	static const uint8_t ask[] = {PIV_TLV_DYN_AUTH, 0x02, PIV_TLV_WITNESS, 0x00};
	card_req rq = {.ins = PIV_INS_GENERAL_AUTH,
	               .p1 = alg,
	               .p2 = PIV_KEY_CARDMGMT,
	               .data = ask,
	               .lc = sizeof(ask),
	               .out = m->resp,
	               .cap = sizeof(m->resp)};
	tlv_writer w;
	tlv_item item;
	size_t mark;
	card_status st;

	st = card_run_ok(c, &rq, &m->resp_len);
	if (st == CARD_OK)
		st = card_dyn_auth_item(m->resp, m->resp_len, PIV_TLV_WITNESS, &item);
	if (st == CARD_OK && item.len != bs)
		st = CARD_ERR_DEVICE;
	if (st == CARD_OK)
		st = card_block(ciph, key, 0, item.value, bs, m->witness);
	if (st == CARD_OK && RAND_bytes(m->challenge, (int)bs) != 1)
		st = CARD_ERR_FAILED;
	if (st == CARD_OK)
		st = card_block(ciph, key, 1, m->challenge, bs, m->expect);
	if (st != CARD_OK)
		return st;

	tlv_writer_init(&w, m->cmd, sizeof(m->cmd));
	mark = tlv_begin(&w, PIV_TLV_DYN_AUTH);
	tlv_put(&w, PIV_TLV_WITNESS, m->witness, bs);
	tlv_put(&w, PIV_TLV_CHALLENGE, m->challenge, bs);
	tlv_end(&w, mark);
	if (tlv_writer_status(&w) != TLV_OK)
		return CARD_ERR_FAILED;
	rq.data = m->cmd;
	rq.lc = w.len;
	st = card_run_ok(c, &rq, &m->resp_len);
	if (st == CARD_OK)
		st = card_dyn_auth_item(m->resp, m->resp_len, PIV_TLV_RESPONSE, &item);
	if (st == CARD_OK && item.len != bs)
		st = CARD_ERR_DEVICE;
	/* A card that cannot encrypt our challenge is not the card it claims to be. */
	if (st == CARD_OK && CRYPTO_memcmp(item.value, m->expect, bs) != 0)
		st = CARD_ERR_SECURITY;
	return st;
}

card_status card_auth_mgmt(card *c, uint8_t alg, const uint8_t *key, size_t key_len)
{
	size_t bs = piv_alg_mgmt_block(alg);
	const char *name = piv_alg_mgmt_cipher(alg);
	EVP_CIPHER *ciph;
	card_mutual m;
	card_status st;

	if (!name || !key)
		return CARD_ERR_BAD_INPUT;
	ciph = EVP_CIPHER_fetch(NULL, name, NULL);
	if (!ciph)
		return CARD_ERR_UNSUPPORTED;
	if ((size_t)EVP_CIPHER_get_key_length(ciph) != key_len ||
	    (size_t)EVP_CIPHER_get_block_size(ciph) != bs) {
		EVP_CIPHER_free(ciph);
		return CARD_ERR_BAD_INPUT;
	}
	memset(&m, 0, sizeof(m));
	st = card_mutual_run(c, alg, ciph, key, bs, &m);
	if (st == CARD_OK)
		c->mgmt_alg = alg;
	OPENSSL_cleanse(&m, sizeof(m));
	EVP_CIPHER_free(ciph);
	return st;
}

/* The data object tag read whole into *v (*n bytes; the caller frees it), and *item, the
 * TLV inner inside the TLV outer at its top. */
static card_status card_get_nested(card *c, uint32_t tag, uint32_t outer, uint32_t inner,
                                   uint8_t **v, size_t *n, tlv_item *item)
{
	tlv_item holder;
	card_status st = card_get_data(c, tag, v, n);

	if (st != CARD_OK)
		return st;
	if (tlv_find(*v, *n, outer, &holder) != TLV_OK ||
	    tlv_find(holder.value, holder.len, inner, item) != TLV_OK)
		return CARD_ERR_DEVICE;
	return CARD_OK;
}

/* ADMIN DATA: 80 { 81 bits, ... }; is the management key stored PIN-protected? */
static card_status card_admin_protected(card *c, bool *protected_key)
{
	uint8_t *v = NULL;
	size_t n = 0;
	tlv_item bits;
	card_status st = card_get_nested(c, PIV_TAG_ADMIN_DATA, PIV_TLV_ADMIN_FLAGS,
	                                 PIV_TLV_ADMIN_BITS, &v, &n, &bits);

	*protected_key = false;
	if (st == CARD_OK && bits.len != 1)
		st = CARD_ERR_DEVICE;
	if (st == CARD_OK)
		*protected_key = (bits.value[0] & PIV_ADMIN_MGMT_PROTECTED) != 0;
	free(v);
	return st;
}

/* PRINTED: 88 { 89 key }. Needs the PIN verified. */
static card_status card_protected_key(card *c, uint8_t key[CARD_MGMT_KEY_MAX], size_t *key_len)
{
	uint8_t *v = NULL;
	size_t n = 0;
	tlv_item item;
	card_status st = card_get_nested(c, PIV_TAG_PRINTED, PIV_TLV_PRINTED_MGMT,
	                                 PIV_TLV_PRINTED_MGMTKEY, &v, &n, &item);

	if (st == CARD_OK && (item.len == 0 || item.len > CARD_MGMT_KEY_MAX))
		st = CARD_ERR_DEVICE;
	if (st == CARD_OK) {
		memcpy(key, item.value, item.len);
		*key_len = item.len;
	}
	if (v)
		OPENSSL_cleanse(v, n);
	free(v);
	return st;
}

card_status card_auth_mgmt_with_pin(card *c)
{
	uint8_t key[CARD_MGMT_KEY_MAX];
	size_t key_len = 0;
	bool protected_key = false;
	uint8_t alg = 0;
	card_status st;

	st = card_admin_protected(c, &protected_key);
	/* A plain PIV card refuses YubiKey's object (6A80) or does not know it (6D00). */
	if ((st == CARD_OK && !protected_key) || st == CARD_ERR_BAD_INPUT ||
	    st == CARD_ERR_UNSUPPORTED)
		return CARD_ERR_NOT_FOUND;
	if (st != CARD_OK)
		return st;
	st = card_protected_key(c, key, &key_len);
	if (st == CARD_OK)
		st = card_mgmt_alg(c, &alg);
	if (st == CARD_OK)
		st = card_auth_mgmt(c, alg, key, key_len);
	OPENSSL_cleanse(key, sizeof(key));
	return st;
}

/* ---- asymmetric keys ---- */

/* An unsigned big-endian integer without its leading zero bytes. */
static void card_int_strip(const uint8_t **p, size_t *len)
{
	while (*len > 0 && (*p)[0] == 0) {
		(*p)++;
		(*len)--;
	}
}

bool card_pubkey_parse(uint8_t alg, const uint8_t *buf, size_t len, card_pubkey *pk)
{
	bool rsa = piv_alg_is_rsa(alg);
	size_t kb = piv_alg_bytes(alg);
	tlv_iter it;
	tlv_item item;
	tlv_status s;

	memset(pk, 0, sizeof(*pk));
	if (kb == 0)
		return false;
	tlv_iter_init(&it, buf, buf ? len : 0);
	while ((s = tlv_iter_next(&it, &item)) == TLV_OK) {
		if (rsa && item.tag == PIV_TLV_RSA_N && !pk->n) {
			pk->n = item.value;
			pk->n_len = item.len;
		} else if (rsa && item.tag == PIV_TLV_RSA_E && !pk->e) {
			pk->e = item.value;
			pk->e_len = item.len;
		} else if (!rsa && item.tag == PIV_TLV_EC_POINT && !pk->point) {
			pk->point = item.value;
			pk->point_len = item.len;
		} else {
			break; /* a repeated or foreign tag: not a template we understand */
		}
	}
	if (s != TLV_END)
		goto bad;
	if (rsa) {
		if (!pk->n || !pk->e)
			goto bad;
		card_int_strip(&pk->n, &pk->n_len);
		card_int_strip(&pk->e, &pk->e_len);
		if (pk->n_len != kb || !(pk->n[0] & 0x80) || pk->e_len == 0 || pk->e_len > 8 ||
		    !(pk->e[pk->e_len - 1] & 1))
			goto bad;
	} else if (!pk->point || pk->point_len != 1 + 2 * kb || pk->point[0] != 0x04) {
		goto bad;
	}
	pk->alg = alg;
	return true;
bad:
	memset(pk, 0, sizeof(*pk));
	return false;
}

card_status card_generate(card *c, uint8_t slot, uint8_t alg, uint8_t pin_policy, uint8_t *pubkey,
                          size_t cap, size_t *pubkey_len)
{
	uint8_t tmpl[16], *out;
	card_req rq = {.ins = PIV_INS_GENERATE_KEY, .p1 = 0x00, .p2 = slot, .data = tmpl};
	tlv_writer w;
	tlv_item pk;
	card_pubkey key;
	size_t mark, n = 0;
	unsigned saved;
	card_status st;

	if (!c || !c->tr || piv_key_slot_index(slot) < 0 || piv_alg_bytes(alg) == 0 || !pubkey ||
	    !pubkey_len || pin_policy > PIV_PIN_POLICY_ALWAYS)
		return CARD_ERR_BAD_INPUT;
	tlv_writer_init(&w, tmpl, sizeof(tmpl));
	mark = tlv_begin(&w, PIV_TLV_GEN_TEMPLATE);
	tlv_put_u8(&w, 0x80, alg);
	if (pin_policy != PIV_PIN_POLICY_DEFAULT)
		tlv_put_u8(&w, 0xAA, pin_policy);
	tlv_end(&w, mark);
	if (tlv_writer_status(&w) != TLV_OK)
		return CARD_ERR_FAILED;
	rq.lc = w.len;
	out = malloc(CARD_GEN_RESP_MAX);
	if (!out)
		return CARD_ERR_NO_MEMORY;
	rq.out = out;
	rq.cap = CARD_GEN_RESP_MAX;

	saved = c->tr->timeout_ms;
	if (c->tr->timeout_ms < CARD_GENERATE_TIMEOUT_MS)
		c->tr->timeout_ms = CARD_GENERATE_TIMEOUT_MS;
	st = card_run_ok(c, &rq, &n);
	c->tr->timeout_ms = saved;

	if (st == CARD_OK && (card_tlv_whole(out, n, PIV_TLV_PUBKEY, &pk) != CARD_OK ||
	                      !card_pubkey_parse(alg, pk.value, pk.len, &key)))
		st = CARD_ERR_DEVICE;
	if (st == CARD_OK && pk.len > cap)
		st = CARD_ERR_BAD_INPUT; /* the caller's buffer: not the card's fault */
	if (st == CARD_OK) {
		memcpy(pubkey, pk.value, pk.len);
		*pubkey_len = pk.len;
	}
	free(out);
	return st;
}

card_status card_delete_key(card *c, uint8_t slot)
{
	card_req rq = {.ins = PIV_INS_MOVE_KEY, .p1 = PIV_MOVE_KEY_DELETE, .p2 = slot};

	if (!c || piv_key_slot_index(slot) < 0)
		return CARD_ERR_BAD_INPUT;
	return card_run_ok(c, &rq, NULL);
}

card_status card_move_key(card *c, uint8_t to, uint8_t from)
{
	card_req rq = {.ins = PIV_INS_MOVE_KEY, .p1 = to, .p2 = from};

	if (!c || piv_key_slot_index(to) < 0 || piv_key_slot_index(from) < 0 || to == from)
		return CARD_ERR_BAD_INPUT;
	return card_run_ok(c, &rq, NULL);
}

/* GENERAL AUTHENTICATE with a private key: 7C { 82 (empty), <tag> in }, the answer's 82
 * into out. The response buffer is wiped: for ECDH it holds the shared secret. */
static card_status card_private_op(card *c, uint8_t slot, uint8_t alg, uint32_t tag,
                                   const uint8_t *in, size_t in_len, uint8_t *out, size_t cap,
                                   size_t *out_len)
{
	uint8_t cmd[CARD_SIGN_MAX + 16], resp[CARD_GA_RESP_MAX];
	card_req rq = {.ins = PIV_INS_GENERAL_AUTH,
	               .p1 = alg,
	               .p2 = slot,
	               .data = cmd,
	               .out = resp,
	               .cap = sizeof(resp)};
	tlv_writer w;
	tlv_item res;
	size_t mark, n = 0;
	card_status st;

	if (piv_key_slot_index(slot) < 0 || piv_alg_bytes(alg) == 0 || !in || in_len == 0 ||
	    in_len > CARD_SIGN_MAX || !out || !out_len)
		return CARD_ERR_BAD_INPUT;
	tlv_writer_init(&w, cmd, sizeof(cmd));
	mark = tlv_begin(&w, PIV_TLV_DYN_AUTH);
	tlv_put(&w, PIV_TLV_RESPONSE, NULL, 0);
	tlv_put(&w, tag, in, in_len);
	tlv_end(&w, mark);
	if (tlv_writer_status(&w) != TLV_OK)
		return CARD_ERR_BAD_INPUT;
	rq.lc = w.len;
	st = card_run_ok(c, &rq, &n);
	if (st == CARD_OK)
		st = card_dyn_auth_item(resp, n, PIV_TLV_RESPONSE, &res);
	if (st == CARD_OK && res.len == 0)
		st = CARD_ERR_DEVICE;
	if (st == CARD_OK && res.len > cap)
		st = CARD_ERR_BAD_INPUT;
	if (st == CARD_OK) {
		memcpy(out, res.value, res.len);
		*out_len = res.len;
	}
	OPENSSL_cleanse(resp, sizeof(resp));
	return st;
}

card_status card_sign(card *c, uint8_t slot, uint8_t alg, const uint8_t *in, size_t in_len,
                      uint8_t *out, size_t cap, size_t *out_len)
{
	return card_private_op(c, slot, alg, PIV_TLV_CHALLENGE, in, in_len, out, cap, out_len);
}

card_status card_ecdh(card *c, uint8_t slot, uint8_t alg, const uint8_t *point, size_t point_len,
                      uint8_t *out, size_t cap, size_t *out_len)
{
	size_t field = piv_alg_bytes(alg);
	card_status st;

	/* What YubiKeys and SP 800-73-4 take: the uncompressed point of the key's curve. */
	if (!piv_alg_is_ec(alg) || !point || point_len != 1 + 2 * field || point[0] != 0x04)
		return CARD_ERR_BAD_INPUT;
	st = card_private_op(c, slot, alg, PIV_TLV_EXPONENTIATION, point, point_len, out, cap,
	                     out_len);
	/* The secret is the X coordinate, as long as the field: anything else is no ECDH. */
	if (st == CARD_OK && *out_len != field) {
		OPENSSL_cleanse(out, *out_len);
		*out_len = 0;
		st = CARD_ERR_DEVICE;
	}
	return st;
}

/* Each 9B external-authentication request hands out a fresh random challenge of one
 * cipher block. Side effect (of the applet, as on YubiKey): a 9B request ends any
 * management-key authentication, so callers draw random numbers before they
 * authenticate, not between authenticating and using it. */
card_status card_random(card *c, uint8_t *out, size_t len)
{
	static const uint8_t ask[] = {PIV_TLV_DYN_AUTH, 0x02, PIV_TLV_CHALLENGE, 0x00};
	uint8_t resp[64];
	card_req rq = {.ins = PIV_INS_GENERAL_AUTH,
	               .p2 = PIV_KEY_CARDMGMT,
	               .data = ask,
	               .lc = sizeof(ask),
	               .out = resp,
	               .cap = sizeof(resp)};
	size_t bs = 0, n = 0, take;
	tlv_item item;
	uint8_t alg = 0;
	card_status st;

	if (!out && len)
		return CARD_ERR_BAD_INPUT;
	if (len == 0)
		return CARD_OK;
	st = card_mgmt_alg(c, &alg);
	if (st != CARD_OK)
		return st;
	bs = piv_alg_mgmt_block(alg);
	rq.p1 = alg;
	while (len > 0 && st == CARD_OK) {
		st = card_run_ok(c, &rq, &n);
		if (st == CARD_OK)
			st = card_dyn_auth_item(resp, n, PIV_TLV_CHALLENGE, &item);
		if (st == CARD_OK && item.len != bs)
			st = CARD_ERR_DEVICE;
		if (st == CARD_OK) {
			take = len < bs ? len : bs;
			memcpy(out, item.value, take);
			out += take;
			len -= take;
		}
	}
	OPENSSL_cleanse(resp, sizeof(resp));
	return st;
}

card_status card_attest(card *c, uint8_t slot, uint8_t **der, size_t *len)
{
	card_req rq = {.ins = PIV_INS_ATTEST, .p1 = slot, .p2 = 0x00};
	tlv_item cert;
	size_t n = 0;
	uint8_t *out;
	card_status st;

	if (!c || !der || !len || piv_key_slot_index(slot) < 0)
		return CARD_ERR_BAD_INPUT;
	*der = NULL;
	*len = 0;
	st = card_run_long(c, &rq, &out, &n);
	/* the answer is the bare certificate: one SEQUENCE, nothing after it */
	if (st == CARD_OK)
		st = card_tlv_whole(out, n, 0x30, &cert);
	if (st == CARD_OK)
		st = card_dup(out, n, der, len);
	free(out);
	return st;
}
