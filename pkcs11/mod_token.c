/* The token cache: what the module has learnt of the token in a slot, learnt lazily.
 *
 * First need: SELECT and one INVENTORY (kinko extension), which says which keys and
 * containers exist, the PIN state and the token's change counter. Certificates are read
 * (one GET DATA) only when something needs one, public keys (GET METADATA of the slot)
 * likewise. The cache is revalidated with one INVENTORY when it is older than
 * cfg.cache_ttl_ms or the card driver saw a reset by another process; a changed serial or
 * change counter throws the cached keys and certificates away.
 *
 * Tokens without INVENTORY (6A86 / 6D00) are learnt the long way: GET SERIAL, GET METADATA
 * of the PIN, PUK and every key slot, and a GET DATA per certificate container. Having no
 * counter, they are relearnt after a foreign reset and only checked by serial otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "mod_object.h"
#include "mod_parse.h"
#include "piv.h"
#include "mono.h"

#define MOD_PUBKEY_MAX 1024u

/* The cache's age: CLOCK_MONOTONIC in milliseconds. */
/* A cached value of the token (public key, certificate) is replaced or dropped. */
static void token_blob_set(uint8_t **p, size_t *len, uint8_t *value, size_t value_len)
{
	free(*p);
	*p = value;
	*len = value_len;
}

void mod_token_forget_key(mod_token *t, unsigned i)
{
	mod_keyslot *k = &t->keys[i];

	token_blob_set(&k->pubkey, &k->pubkey_len, NULL, 0);
	token_blob_set(&k->attest, &k->attest_len, NULL, 0);
	k->has_key = false;
	k->alg = k->pin_policy = k->origin = 0;
}

void mod_token_forget_cert(mod_token *t, unsigned i)
{
	mod_keyslot *k = &t->keys[i];

	token_blob_set(&k->cert, &k->cert_len, NULL, 0);
	k->has_cert = false;
}

static void token_forget_objects(mod_token *t)
{
	unsigned i;

	for (i = 0; i < PIV_KEY_SLOTS; i++) {
		mod_token_forget_key(t, i);
		mod_token_forget_cert(t, i);
	}
	mod_attest_forget(t);
}

void mod_token_free(mod_token *t)
{
	if (!t)
		return;
	token_forget_objects(t);
	OPENSSL_cleanse(t, sizeof(*t));
	free(t);
}

void mod_token_changed(mod_token *t)
{
	if (t->inventory_ok)
		t->change_counter++;
}

static bool token_set_pubkey(mod_keyslot *k, const uint8_t *pub, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);

	if (!copy)
		return false;
	memcpy(copy, pub, len);
	token_blob_set(&k->pubkey, &k->pubkey_len, copy, len);
	return true;
}

/* ---- learning with INVENTORY ---- */

static void token_apply_inventory(mod_token *t, const card_inventory *inv)
{
	unsigned i;

	/* Same token, same counter: what we read stays true. Otherwise start over. */
	if (!t->inventory_ok || t->serial != inv->serial ||
	    t->change_counter != inv->change_counter) {
		token_forget_objects(t);
		for (i = 0; i < PIV_KEY_SLOTS; i++) {
			mod_keyslot *k = &t->keys[i];
			const card_inv_key *ik = &inv->keys[i];

			k->has_key = ik->present;
			k->alg = ik->alg;
			k->pin_policy = ik->pin_policy;
			k->origin = ik->origin;
			k->has_cert = card_inventory_has(inv, piv_cert_tag(piv_key_slot_ref(i)));
		}
		mod_attest_f9_inventory(t, card_inventory_has(inv, PIV_TAG_ATTESTATION));
	}
	t->serial = inv->serial;
	t->change_counter = inv->change_counter;
	t->pin_tries_max = inv->pin_max;
	t->pin_tries_left = inv->pin_left;
	t->puk_tries_max = inv->puk_max;
	t->puk_tries_left = inv->puk_left;
	t->pin_is_default = inv->pin_is_default;
	t->inventory_ok = true;
}

/* ---- learning without it ---- */

/* GET METADATA of a key slot. *none: the card has no GET METADATA at all. */
static CK_RV token_fallback_key(mod_slot *s, mod_token *t, unsigned i, bool *none)
{
	mod_keyslot *k = &t->keys[i];
	card_pubkey pk;
	card_metadata md;
	card_status st = card_get_metadata(&s->card, piv_key_slot_ref(i), &md);

	if (st == CARD_ERR_NOT_FOUND)
		return CKR_OK;
	if (st == CARD_ERR_UNSUPPORTED || st == CARD_ERR_BAD_INPUT) {
		*none = true;
		return CKR_OK;
	}
	if (st != CARD_OK)
		return mod_slot_rv(s, st);
	k->has_key = true;
	k->alg = md.algorithm;
	k->pin_policy = md.has_policy ? md.pin_policy : 0;
	k->origin = md.has_origin ? md.origin : 0;
	if (md.has_pubkey && mod_object_alg_supported(k->alg)) {
		if (!card_pubkey_parse(k->alg, md.pubkey, md.pubkey_len, &pk)) {
			mod_trace_msg("slot %lu: key %02X: malformed public key in GET METADATA",
			              (unsigned long)s->id, piv_key_slot_ref(i));
			return CKR_DEVICE_ERROR;
		}
		if (!token_set_pubkey(k, md.pubkey, md.pubkey_len))
			return CKR_HOST_MEMORY;
	}
	return CKR_OK;
}

/* A card without metadata: the certificate tells which key a slot holds. */
static CK_RV token_key_from_cert(mod_token *t, unsigned i)
{
	mod_keyslot *k = &t->keys[i];
	uint8_t pub[MOD_PUBKEY_MAX], alg = 0;
	size_t pub_len = 0;
	mod_cert_info ci;
	mod_parse_status ps;

	if (mod_parse_cert(k->cert, k->cert_len, &ci) != MOD_PARSE_OK)
		return CKR_DEVICE_ERROR;
	ps = mod_parse_spki_to_piv(ci.spki, ci.spki_len, &alg, pub, sizeof(pub), &pub_len);
	mod_parse_cert_info_free(&ci);
	if (ps == MOD_PARSE_UNSUPPORTED)
		return CKR_OK;
	if (ps != MOD_PARSE_OK)
		return CKR_DEVICE_ERROR;
	if (!token_set_pubkey(k, pub, pub_len))
		return CKR_HOST_MEMORY;
	k->has_key = true;
	k->alg = alg;
	return CKR_OK;
}

/* A certificate container read now (it exists or not); the card without metadata has its
 * key from it. */
static CK_RV token_cert_learn(mod_slot *s, mod_token *t, unsigned i, bool key_from_cert)
{
	CK_RV rv;

	t->keys[i].has_cert = true; /* so mod_token_cert asks */
	rv = mod_token_cert(s, t, i);
	if (rv == CKR_OBJECT_HANDLE_INVALID)
		return CKR_OK;
	if (rv == CKR_OK && key_from_cert)
		rv = token_key_from_cert(t, i);
	return rv;
}

/* The four standard key slots (9A 9C 9D 9E) come first in the cache. */
#define TOKEN_STD_SLOTS 4u

/* YubiKey-style: GET METADATA of each standard slot, the certificate of each key. Retired
 * slots are not walked (20 APDUs at every start); keygen checks one before using it. */
static CK_RV token_learn_yubikey(mod_slot *s, mod_token *t)
{
	bool none = false;
	unsigned i;
	CK_RV rv = CKR_OK;

	/* Any error may have dropped t with the slot's cache: return at once. */
	for (i = 1; i < TOKEN_STD_SLOTS && rv == CKR_OK; i++)
		rv = token_fallback_key(s, t, i, &none);
	for (i = 0; i < TOKEN_STD_SLOTS && rv == CKR_OK; i++)
		if (t->keys[i].has_key)
			rv = token_cert_learn(s, t, i, false);
	return rv;
}

/* SP 800-73-4 only: the keys are known by their certificates, those of the standard slots
 * and of the retired keys Key History says have theirs on the card (82 upwards). */
static CK_RV token_learn_piv(mod_slot *s, mod_token *t)
{
	unsigned i, retired = 0;
	card_status st;
	CK_RV rv = CKR_OK;

	for (i = 0; i < TOKEN_STD_SLOTS && rv == CKR_OK; i++)
		rv = token_cert_learn(s, t, i, true);
	if (rv != CKR_OK)
		return rv;
	st = card_get_key_history(&s->card, &retired);
	if (st == CARD_ERR_DEVICE) {
		mod_trace_msg(
			"slot %lu: the card's Key History is malformed: retired keys not shown",
			(unsigned long)s->id);
		st = CARD_OK;
	}
	if (st != CARD_OK)
		return mod_slot_rv(s, st);
	for (i = TOKEN_STD_SLOTS; i < TOKEN_STD_SLOTS + retired && rv == CKR_OK; i++)
		rv = token_cert_learn(s, t, i, true);
	return rv;
}

/* A card without INVENTORY. GET METADATA of 9A tells a YubiKey-style card (a key or 6A88)
 * from a plain PIV one (6D00) and is the first of its slots learnt. */
static CK_RV token_learn_card(mod_slot *s, mod_token *t)
{
	bool none = false;
	unsigned i;
	CK_RV rv;

	if (t->kind != MOD_KIND_PIV)
		token_forget_objects(t);
	/* A plain PIV card shows a key only by its certificate: one this module generated
	 * keeps its place until its certificate is there. */
	for (i = 0; i < PIV_KEY_SLOTS && t->kind == MOD_KIND_PIV; i++) {
		mod_token_forget_cert(t, i);
		if (t->keys[i].origin != PIV_ORIGIN_GENERATED)
			mod_token_forget_key(t, i);
	}
	t->inventory_ok = false;
	if (t->kind != MOD_KIND_PIV) {
		rv = token_fallback_key(s, t, 0, &none);
		if (rv != CKR_OK)
			return rv;
		t->kind = none ? MOD_KIND_PIV : MOD_KIND_YUBIKEY;
	}
	return t->kind == MOD_KIND_YUBIKEY ? token_learn_yubikey(s, t) : token_learn_piv(s, t);
}

/* Learnt before, no reset since: a YubiKey-style card is checked by serial (learnt here
 * the first time), a plain PIV card, which has none, is taken as the same card. */
static CK_RV token_recheck(mod_slot *s, mod_token *t, bool *same)
{
	uint32_t serial = 0;
	card_status st;

	*same = true;
	if (t->kind != MOD_KIND_YUBIKEY)
		return CKR_OK;
	st = card_get_serial(&s->card, &serial);
	if (st != CARD_OK)
		return mod_slot_rv(s, st);
	if (t->serial == 0)
		t->serial = serial;
	*same = serial == t->serial;
	return CKR_OK;
}

/* ---- the cache ---- */

static CK_RV token_learn_inventory(mod_slot *s, mod_token *t, bool *none)
{
	card_inventory inv;
	card_status st = card_get_inventory(&s->card, &inv);

	*none = false;
	/* A token that answered INVENTORY before and now says "no such command" was caught
	 * between another program's power-on and its SELECT: ask once more. */
	if ((st == CARD_ERR_UNSUPPORTED || st == CARD_ERR_BAD_INPUT) && t->inventory_ok)
		st = card_get_inventory(&s->card, &inv);
	if (st == CARD_OK) {
		t->kind = MOD_KIND_KINKO;
		token_apply_inventory(t, &inv);
		return CKR_OK;
	}
	if (st == CARD_ERR_DEVICE)
		mod_trace_msg("slot %lu: the token's INVENTORY answer is malformed",
		              (unsigned long)s->id);
	if (st != CARD_ERR_BAD_INPUT && st != CARD_ERR_UNSUPPORTED && st != CARD_ERR_NOT_FOUND)
		return mod_slot_rv(s, st);
	*none = true;
	return CKR_OK;
}

static CK_RV token_learn(mod_slot *s, mod_token *t)
{
	bool none = true, same = false;
	card_status st = card_connect(&s->card);
	CK_RV rv;

	if (st == CARD_ERR_NOT_PIV) {
		mod_trace_msg(
			"slot %lu: the card refuses SELECT of the PIV applet (%04X): no token",
			(unsigned long)s->id, (unsigned)s->card.last_sw);
		return CKR_TOKEN_NOT_RECOGNIZED;
	}
	if (st != CARD_OK)
		return mod_slot_rv(s, st);
	/* Only a card that says it is kinko's is asked for INVENTORY. */
	if (t->kind == MOD_KIND_KINKO || (t->kind == MOD_KIND_UNKNOWN && s->card.apt_kinko)) {
		rv = token_learn_inventory(s, t, &none);
		if (rv != CKR_OK || !none)
			return rv;
		t->kind = MOD_KIND_UNKNOWN;
	}
	if (t->kind != MOD_KIND_UNKNOWN && t->validated_ms != 0 &&
	    t->card_resets == s->card.resets) {
		rv = token_recheck(s, t, &same);
		if (rv != CKR_OK || same)
			return rv;
	}
	return token_learn_card(s, t);
}

CK_RV mod_token_get(mod_slot *s, mod_token **out)
{
	mod_token *t = s->token;
	CK_RV rv;

	*out = NULL;
	/* validated_ms 0: marked stale (mod_token_fresh, a failed write) */
	if (t && t->validated_ms != 0 && t->card_resets == s->card.resets &&
	    mono_now_ms() - t->validated_ms < mod.cfg.cache_ttl_ms) {
		*out = t;
		return CKR_OK;
	}
	if (!t) {
		t = calloc(1, sizeof(*t));
		if (!t)
			return CKR_HOST_MEMORY;
		s->token = t;
	}
	rv = token_learn(s, t);
	/* A removal seen on the way has already dropped the cache (mod_slot_removed). */
	if (s->token != t)
		return rv == CKR_OK ? CKR_DEVICE_REMOVED : rv;
	if (rv != CKR_OK) {
		mod_token_free(t);
		s->token = NULL;
		return rv;
	}
	/* Stamped after the exchange: a reset it ran into is accounted for. */
	t->card_resets = s->card.resets;
	t->validated_ms = mono_now_ms();
	if (t->validated_ms == 0)
		t->validated_ms = 1;
	*out = t;
	return CKR_OK;
}

CK_RV mod_token_fresh(mod_slot *s, mod_token **t)
{
	if (s->token)
		s->token->validated_ms = 0;
	return mod_token_get(s, t);
}

/* The PIN and PUK state from GET METADATA; unknown (0) on a card without it. */
static card_status token_secret_state(mod_slot *s, uint8_t ref, uint8_t *max, uint8_t *left,
                                      bool *is_default)
{
	card_metadata md;
	card_status st = card_get_metadata(&s->card, ref, &md);

	if (st == CARD_ERR_UNSUPPORTED || st == CARD_ERR_BAD_INPUT || st == CARD_ERR_NOT_FOUND)
		return CARD_OK;
	if (st == CARD_OK && md.has_retries) {
		*max = md.tries_max;
		*left = md.tries_left;
	}
	if (st == CARD_OK && is_default && md.has_default)
		*is_default = md.is_default;
	return st;
}

/* What only C_GetTokenInfo shows, learnt the first time it is asked: the version, and for
 * a card without INVENTORY its serial (or CHUID) and PIN state. */
static card_status token_identity(mod_slot *s, mod_token *t)
{
	card_status st = CARD_OK;

	if (t->kind != MOD_KIND_PIV && !(t->version[0] || t->version[1] || t->version[2])) {
		st = card_get_version(&s->card, t->version);
		if (st == CARD_ERR_UNSUPPORTED || st == CARD_ERR_BAD_INPUT)
			st = CARD_OK; /* version unknown, 0.0.0 */
	}
	if (st == CARD_OK && t->kind == MOD_KIND_YUBIKEY) {
		st = card_get_serial(&s->card, &t->serial);
		if (st == CARD_ERR_UNSUPPORTED || st == CARD_ERR_BAD_INPUT) {
			t->serial = 0;
			st = CARD_OK;
		}
		if (st == CARD_OK)
			st = token_secret_state(s, PIV_REF_PIN, &t->pin_tries_max,
			                        &t->pin_tries_left, &t->pin_is_default);
		if (st == CARD_OK)
			st = token_secret_state(s, PIV_REF_PUK, &t->puk_tries_max,
			                        &t->puk_tries_left, NULL);
	}
	if (st == CARD_OK && t->kind == MOD_KIND_PIV) {
		st = card_get_chuid_id(&s->card, t->serial_text, sizeof(t->serial_text));
		if (st == CARD_ERR_NOT_FOUND || st == CARD_ERR_DEVICE) {
			if (st == CARD_ERR_DEVICE)
				mod_trace_msg("slot %lu: the card's CHUID is malformed",
				              (unsigned long)s->id);
			t->serial_text[0] = '\0';
			st = CARD_OK;
		}
	}
	return st;
}

CK_RV mod_token_version(mod_slot *s, mod_token *t)
{
	card_status st;

	if (t->identity_ok)
		return CKR_OK;
	st = token_identity(s, t);
	if (st != CARD_OK)
		return mod_slot_rv(s, st);
	t->identity_ok = true;
	return CKR_OK;
}

void mod_token_serial_text(const mod_token *t, char *buf, size_t len)
{
	if (t->kind == MOD_KIND_PIV)
		snprintf(buf, len, "%s", t->serial_text);
	else
		snprintf(buf, len, "%lu", (unsigned long)t->serial);
}

/* ---- lazy reads ---- */

bool mod_token_keep_cert(mod_token *t, unsigned i, const uint8_t *der, size_t len)
{
	mod_keyslot *k = &t->keys[i];
	uint8_t *copy = malloc(len ? len : 1);

	if (copy)
		memcpy(copy, der, len);
	token_blob_set(&k->cert, &k->cert_len, copy, copy ? len : 0);
	k->has_cert = true;
	/* a plain PIV card's key not known before (generated by an earlier process) shows by
	 * its certificate, as when learnt from the card */
	if (copy && t->kind == MOD_KIND_PIV && !k->has_key)
		return token_key_from_cert(t, i) == CKR_OK;
	return copy != NULL;
}

CK_RV mod_token_cert(mod_slot *s, mod_token *t, unsigned i)
{
	mod_keyslot *k = &t->keys[i];
	uint8_t ref = piv_key_slot_ref(i);
	const uint8_t *der = NULL;
	uint8_t *value = NULL;
	size_t len = 0, der_len = 0;
	mod_parse_status ps;
	card_status st;

	if (i >= PIV_KEY_SLOTS || !k->has_cert)
		return CKR_OBJECT_HANDLE_INVALID;
	if (k->cert)
		return CKR_OK;
	st = card_get_data(&s->card, piv_cert_tag(ref), &value, &len);
	if (st == CARD_ERR_NOT_FOUND) {
		k->has_cert = false;
		return CKR_OBJECT_HANDLE_INVALID;
	}
	if (st != CARD_OK)
		return mod_slot_rv(s, st);
	ps = mod_parse_cert_container(value, len, &der, &der_len);
	if (ps == MOD_PARSE_OK && !mod_token_keep_cert(t, i, der, der_len))
		ps = MOD_PARSE_NO_MEMORY;
	free(value);
	switch (ps) {
	case MOD_PARSE_OK: return CKR_OK;
	case MOD_PARSE_COMPRESSED:
		mod_trace_msg("slot %lu: the certificate of key %02X is compressed; it is not "
		              "shown (this module has no gzip)",
		              (unsigned long)s->id, ref);
		k->has_cert = false;
		return CKR_OBJECT_HANDLE_INVALID;
	case MOD_PARSE_NO_MEMORY: return CKR_HOST_MEMORY;
	default:
		mod_trace_msg("slot %lu: the certificate container of key %02X is malformed",
		              (unsigned long)s->id, ref);
		return CKR_DEVICE_ERROR;
	}
}

/* The key's public part from GET METADATA; a card without it has it from the certificate
 * (learnt with the fallback already). */
CK_RV mod_token_pubkey(mod_slot *s, mod_token *t, unsigned i, const uint8_t **pub, size_t *pub_len)
{
	mod_keyslot *k = &t->keys[i];
	card_metadata md;
	card_pubkey pk;
	card_status st;

	*pub = NULL;
	*pub_len = 0;
	if (i >= PIV_KEY_SLOTS || !k->has_key || !mod_object_alg_supported(k->alg))
		return CKR_OBJECT_HANDLE_INVALID;
	if (!k->pubkey) {
		st = card_get_metadata(&s->card, piv_key_slot_ref(i), &md);
		if (st == CARD_ERR_NOT_FOUND) {
			/* Deleted by someone else since the inventory. */
			mod_token_forget_key(t, i);
			return CKR_OBJECT_HANDLE_INVALID;
		}
		if (st != CARD_OK)
			return mod_slot_rv(s, st);
		if (!md.has_pubkey || md.algorithm != k->alg ||
		    !card_pubkey_parse(k->alg, md.pubkey, md.pubkey_len, &pk)) {
			mod_trace_msg(
				"slot %lu: GET METADATA of key %02X does not describe the key "
				"the inventory named",
				(unsigned long)s->id, piv_key_slot_ref(i));
			return CKR_DEVICE_ERROR;
		}
		if (!token_set_pubkey(k, md.pubkey, md.pubkey_len))
			return CKR_HOST_MEMORY;
	}
	*pub = k->pubkey;
	*pub_len = k->pubkey_len;
	return CKR_OK;
}

CK_RV mod_token_pubkey_evp(mod_slot *s, mod_token *t, unsigned key_index, EVP_PKEY **pkey)
{
	const uint8_t *pub = NULL;
	size_t pub_len = 0;
	card_pubkey pk;
	CK_RV rv = mod_token_pubkey(s, t, key_index, &pub, &pub_len);

	*pkey = NULL;
	if (rv != CKR_OK)
		return rv;
	if (card_pubkey_parse(t->keys[key_index].alg, pub, pub_len, &pk))
		*pkey = mod_parse_pubkey_evp(&pk);
	ERR_clear_error();
	return *pkey ? CKR_OK : CKR_DEVICE_ERROR;
}
