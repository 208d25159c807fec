/* GENERAL AUTHENTICATE (SP 800-73-4 3.2.4): card management key (9B) authentication,
 * and signing / ECDH with the private keys of the asymmetric slots. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <openssl/crypto.h>

#include "piv_crypto.h"
#include "piv_internal.h"

/* The data objects of a dynamic authentication template we understand. */
enum { DA_WITNESS, DA_CHALLENGE, DA_RESPONSE, DA_EXPONENT, DA_COUNT };

typedef struct {
	bool present;
	const uint8_t *value;
	size_t len;
} da_item;

static int da_index(uint32_t tag)
{
	switch (tag) {
	case PIV_TLV_WITNESS: return DA_WITNESS;
	case PIV_TLV_CHALLENGE: return DA_CHALLENGE;
	case PIV_TLV_RESPONSE: return DA_RESPONSE;
	case PIV_TLV_EXPONENTIATION: return DA_EXPONENT;
	default: return -1;
	}
}

/* Exactly one 7C TLV filling the data field; inside, each known tag at most once and
 * nothing unknown. false means 6A80. */
static bool da_parse(const apdu_cmd *cmd, da_item items[DA_COUNT])
{
	tlv_item outer, it;
	tlv_iter iter;
	tlv_status s;

	memset(items, 0, sizeof(da_item) * DA_COUNT);
	if (!piv_applet_template(cmd, PIV_TLV_DYN_AUTH, &outer))
		return false;

	tlv_iter_init(&iter, outer.value, outer.len);
	while ((s = tlv_iter_next(&iter, &it)) == TLV_OK) {
		int i = da_index(it.tag);
		if (i < 0 || items[i].present)
			return false;
		items[i].present = true;
		items[i].value = it.value;
		items[i].len = it.len;
	}
	return s == TLV_END;
}

/* Shape tests: an item that is present and empty (a request), or present with data. */
static bool da_empty(const da_item *d)
{
	return d->present && d->len == 0;
}

static bool da_full(const da_item *d)
{
	return d->present && d->len > 0;
}

/* 7C { <tag> value } into the response. */
static uint16_t da_answer(piv_resp *resp, uint32_t tag, const uint8_t *value, size_t len)
{
	tlv_writer w;
	size_t mark;

	tlv_writer_init(&w, resp->buf, resp->cap);
	mark = tlv_begin(&w, PIV_TLV_DYN_AUTH);
	tlv_put(&w, tag, value, len);
	tlv_end(&w, mark);
	if (tlv_writer_status(&w) != TLV_OK) {
		resp->len = 0;
		return SW_UNKNOWN;
	}
	resp->len = w.len;
	return SW_OK;
}

/* ---- card management key ---------------------------------------------------------- */

static void mgmt_forget(piv_applet *a)
{
	OPENSSL_cleanse(a->mgmt_challenge, sizeof(a->mgmt_challenge));
	a->mgmt_challenge_len = 0;
	a->mgmt_challenge_kind = 0;
}

/* Take the pending witness/challenge of the given kind out of the applet: it is good for
 * one answer only, right or wrong. Returns its length, 0 if none of that kind. */
static size_t mgmt_take(piv_applet *a, uint8_t kind, uint8_t out[16])
{
	size_t n = 0;

	if (a->mgmt_challenge_len > 0 && a->mgmt_challenge_kind == kind) {
		n = a->mgmt_challenge_len;
		memcpy(out, a->mgmt_challenge, n);
	}
	mgmt_forget(a);
	return n;
}

/* Step 1 of both flavours: a fresh random block is remembered; the host gets it
 * encrypted (mutual: the witness) or in the clear (external: the challenge). */
static uint16_t mgmt_begin(piv_applet *a, uint8_t kind, piv_resp *resp)
{
	const tok_state *st = a->st;
	size_t bs = piv_alg_mgmt_block(st->mgmt_alg);
	uint8_t out[16];
	uint16_t sw;

	if (bs == 0 || bs > sizeof(a->mgmt_challenge))
		return SW_UNKNOWN;
	if (piv_crypto_random(a->mgmt_challenge, bs) != 0) {
		mgmt_forget(a);
		return SW_UNKNOWN;
	}
	a->mgmt_challenge_len = bs;
	a->mgmt_challenge_kind = kind;

	if (kind == PIV_TLV_CHALLENGE)
		return da_answer(resp, PIV_TLV_CHALLENGE, a->mgmt_challenge, bs);

	if (piv_crypto_block(st->mgmt_alg, st->mgmt_key, 1, a->mgmt_challenge, out) != 0) {
		mgmt_forget(a);
		return SW_UNKNOWN;
	}
	sw = da_answer(resp, PIV_TLV_WITNESS, out, bs);
	OPENSSL_cleanse(out, sizeof(out));
	return sw;
}

/* Mutual step 2: 7C { 80 witness, 81 challenge [, 82 00] }. */
static uint16_t mgmt_mutual_finish(piv_applet *a, const da_item *d, piv_resp *resp)
{
	const tok_state *st = a->st;
	size_t bs = piv_alg_mgmt_block(st->mgmt_alg);
	uint8_t expected[16], out[16];
	size_t n = mgmt_take(a, PIV_TLV_WITNESS, expected);
	uint16_t sw;

	if (n == 0)
		return SW_CONDITIONS_NOT_SATISFIED;
	if (d[DA_WITNESS].len != n || d[DA_CHALLENGE].len != bs) {
		sw = SW_WRONG_DATA;
	} else if (CRYPTO_memcmp(d[DA_WITNESS].value, expected, n) != 0) {
		sw = SW_SECURITY_NOT_SATISFIED;
	} else if (piv_crypto_block(st->mgmt_alg, st->mgmt_key, 1, d[DA_CHALLENGE].value, out) !=
	           0) {
		sw = SW_UNKNOWN;
	} else {
		sw = da_answer(resp, PIV_TLV_RESPONSE, out, bs);
		a->mgmt_authenticated = sw == SW_OK;
	}
	OPENSSL_cleanse(expected, sizeof(expected));
	OPENSSL_cleanse(out, sizeof(out));
	return sw;
}

/* External step 2: 7C { 82 E(K, challenge) }. */
static uint16_t mgmt_external_finish(piv_applet *a, const da_item *d)
{
	const tok_state *st = a->st;
	uint8_t challenge[16], expected[16];
	size_t n = mgmt_take(a, PIV_TLV_CHALLENGE, challenge);
	uint16_t sw;

	if (n == 0)
		return SW_CONDITIONS_NOT_SATISFIED;
	if (d[DA_RESPONSE].len != n) {
		sw = SW_WRONG_DATA;
	} else if (piv_crypto_block(st->mgmt_alg, st->mgmt_key, 1, challenge, expected) != 0) {
		sw = SW_UNKNOWN;
	} else if (CRYPTO_memcmp(d[DA_RESPONSE].value, expected, n) != 0) {
		sw = SW_SECURITY_NOT_SATISFIED;
	} else {
		a->mgmt_authenticated = true;
		sw = SW_OK;
	}
	OPENSSL_cleanse(challenge, sizeof(challenge));
	OPENSSL_cleanse(expected, sizeof(expected));
	return sw;
}

static uint16_t auth_mgmt(piv_applet *a, const apdu_cmd *cmd, piv_resp *resp)
{
	da_item d[DA_COUNT];
	bool w, c, r;

	/* SP 800-78-4 names 3-key TDEA both 03 and 00; OpenSC asks its challenge with 00. */
	if (cmd->p1 != a->st->mgmt_alg && !(cmd->p1 == 0x00 && a->st->mgmt_alg == PIV_ALG_3DES))
		return SW_INCORRECT_P1P2;
	if (!da_parse(cmd, d) || d[DA_EXPONENT].present)
		return SW_WRONG_DATA;

	/* Whatever happens below, a new attempt ends the previous authentication: a host
	 * never stays authenticated past a failed or abandoned try. */
	a->mgmt_authenticated = false;

	w = d[DA_WITNESS].present;
	c = d[DA_CHALLENGE].present;
	r = d[DA_RESPONSE].present;
	if (da_empty(&d[DA_WITNESS]) && !c && !r)
		return mgmt_begin(a, PIV_TLV_WITNESS, resp);
	if (da_empty(&d[DA_CHALLENGE]) && !w && !r)
		return mgmt_begin(a, PIV_TLV_CHALLENGE, resp);
	if (da_full(&d[DA_WITNESS]) && da_full(&d[DA_CHALLENGE]) &&
	    (!r || da_empty(&d[DA_RESPONSE])))
		return mgmt_mutual_finish(a, d, resp);
	if (da_full(&d[DA_RESPONSE]) && !w && !c)
		return mgmt_external_finish(a, d);

	/* Not a step of either protocol: a pending challenge dies with it. */
	mgmt_forget(a);
	return SW_WRONG_DATA;
}

/* ---- asymmetric slots ------------------------------------------------------------- */

static bool alg_is_ec(uint8_t alg)
{
	return alg == PIV_ALG_ECCP256 || alg == PIV_ALG_ECCP384;
}

/* The key's PIN policy against the security state. PIN-always is spent by the attempt,
 * so a second operation needs a second VERIFY whether the first one worked or not. */
static bool key_pin_ok(piv_applet *a, const tok_key *k)
{
	bool ok;

	switch (k->pin_policy) {
	case PIV_PIN_POLICY_NEVER: return true;
	case PIV_PIN_POLICY_ALWAYS:
		ok = a->pin_always_ok;
		a->pin_always_ok = false;
		return ok;
	case PIV_PIN_POLICY_ONCE:
	default: return a->pin_verified;
	}
}

static uint16_t crypto_sw(int rc)
{
	return rc == -EINVAL ? SW_WRONG_DATA : SW_UNKNOWN;
}

static uint16_t auth_private(piv_applet *a, const apdu_cmd *cmd, int idx, piv_resp *resp)
{
	const tok_key *k = &a->st->keys[idx];
	size_t kb = piv_alg_bytes(k->alg);
	da_item d[DA_COUNT];
	uint8_t out[512];
	size_t out_len = 0;
	bool sign, ecdh;
	int rc;
	uint16_t sw;

	if (!da_parse(cmd, d))
		return SW_WRONG_DATA;
	sign = da_empty(&d[DA_RESPONSE]) && da_full(&d[DA_CHALLENGE]) && !d[DA_WITNESS].present &&
	       !d[DA_EXPONENT].present;
	ecdh = da_empty(&d[DA_RESPONSE]) && da_full(&d[DA_EXPONENT]) && !d[DA_WITNESS].present &&
	       !d[DA_CHALLENGE].present;
	if (!sign && !ecdh)
		return SW_WRONG_DATA;

	/* YubiKey answers 6A82 for an empty slot; hosts rely on it to probe slots. */
	if (k->alg == 0 || k->priv_der == NULL)
		return SW_FILE_NOT_FOUND;
	if (cmd->p1 != k->alg)
		return SW_INCORRECT_P1P2;
	if (!key_pin_ok(a, k))
		return SW_SECURITY_NOT_SATISFIED;

	if (sign) {
		/* Raw RSA takes a block of the modulus size; ECDSA a digest already cut or
		 * padded by the host to the field size. */
		if (kb == 0 || d[DA_CHALLENGE].len != kb)
			return SW_WRONG_DATA;
		rc = piv_crypto_sign_cached(&a->key_cache[idx], k->alg, k->priv_der, k->priv_len,
		                            d[DA_CHALLENGE].value, d[DA_CHALLENGE].len, out,
		                            sizeof(out), &out_len);
	} else {
		/* Uncompressed point only (04 || X || Y), as YubiKey. */
		if (!alg_is_ec(k->alg) || d[DA_EXPONENT].len != 1 + 2 * kb)
			return SW_WRONG_DATA;
		rc = piv_crypto_ecdh_cached(&a->key_cache[idx], k->alg, k->priv_der, k->priv_len,
		                            d[DA_EXPONENT].value, d[DA_EXPONENT].len, out,
		                            sizeof(out), &out_len);
	}
	if (rc != 0)
		sw = crypto_sw(rc);
	else
		sw = da_answer(resp, PIV_TLV_RESPONSE, out, out_len);
	/* An ECDH secret is key material of the caller's: no copy lingers here. */
	OPENSSL_cleanse(out, sizeof(out));
	return sw;
}

uint16_t piv_cmd_general_auth(piv_applet *a, const apdu_cmd *cmd, piv_resp *resp)
{
	int idx;

	resp->len = 0;
	if (cmd->p2 == PIV_KEY_CARDMGMT)
		return auth_mgmt(a, cmd, resp);
	idx = piv_key_slot_index(cmd->p2);
	if (idx < 0)
		return SW_INCORRECT_P1P2;
	return auth_private(a, cmd, idx, resp);
}
