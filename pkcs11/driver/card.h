/* The PIV card driver of the module: every APDU the module sends is built here, through the
 * shared codecs. One card per slot; callers hold the slot's lock. Nothing here reads more
 * than the operation needs (APDU economy). */
#ifndef KINKO_CARD_H
#define KINKO_CARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "apdu.h"
#include "transport.h"

typedef enum {
	CARD_OK = 0,
	CARD_ERR_ABSENT = -1,        /* token removed */
	CARD_ERR_DEVICE = -2,        /* transport failure or malformed answer */
	CARD_ERR_PIN_INCORRECT = -3, /* *tries_left says how many remain */
	CARD_ERR_PIN_LOCKED = -4,    /* 6983 */
	CARD_ERR_SECURITY = -5,      /* 6982: login / management key needed */
	CARD_ERR_NOT_FOUND = -6,     /* 6A82 / 6A88: no such object or key */
	CARD_ERR_BAD_INPUT = -7,     /* 6A80 / 6700 / 6A86: the card refused our data */
	CARD_ERR_NO_MEMORY = -8,     /* host allocation, or 6A84 on the card */
	CARD_ERR_UNSUPPORTED = -9,   /* 6D00 / 6A81 */
	CARD_ERR_FAILED = -10,       /* any other status word (see card->last_sw) */
	CARD_ERR_NOT_PIV = -11,      /* SELECT of the PIV applet refused: not a PIV card */
} card_status;

typedef struct {
	tr_transport *tr;
	apdu_channel ch;
	bool powered;
	bool selected;
	uint16_t last_sw;
	uint8_t atr[33];
	size_t atr_len;
	uint8_t mgmt_alg; /* 9B algorithm, 0 until learnt (GET METADATA 9B) */
	/* +1 each time the driver found the card reset underneath it (another process powered
	 * it on or off) and powered/selected it again: what was cached about it may be stale. */
	unsigned long resets;
	/* The PIN was verified since our last SELECT: a card that then says it is not, without
	 * our asking, was reset (and selected again) by someone else. */
	bool pin_verified;
	/* The last SELECT: the card refused the PIV applet (its status word in last_sw), or
	 * its application label is kinko's (the token answers INVENTORY). */
	bool not_piv;
	bool apt_kinko;
} card;

typedef struct {
	uint8_t algorithm;
	uint8_t pin_policy, touch_policy;
	uint8_t origin;
	bool is_default;
	uint8_t tries_max, tries_left;
	uint8_t pubkey[1024]; /* contents of 7F49 (81/82 or 86 TLVs) */
	size_t pubkey_len;
	bool has_policy, has_origin, has_pubkey, has_default, has_retries;
} card_metadata;

void card_init(card *c, tr_transport *tr);
void card_cleanup(card *c);

/* Power on (if needed) and SELECT the PIV applet. Re-selects after a reset. */
card_status card_connect(card *c);
/* Forget the channel state: next operation powers on and selects again. */
void card_reset(card *c);

card_status card_get_serial(card *c, uint32_t *serial);
card_status card_get_version(card *c, uint8_t version[3]);
card_status card_get_metadata(card *c, uint8_t ref, card_metadata *md);
/* The answer of GET METADATA (its TLVs), checked; for the fuzzer and card_get_metadata. */
card_status card_metadata_parse(const uint8_t *buf, size_t len, card_metadata *md);

/* INVENTORY (kinko extension, 00 F7 00 00; layout in piv.h): the token's serial, PIN and
 * PUK state, change counter, keys and data objects in one APDU. A token without it
 * answers CARD_ERR_BAD_INPUT (6A86) or CARD_ERR_UNSUPPORTED (6D00). */
#define CARD_KEY_SLOTS 24u /* PIV_KEY_SLOTS: 9A 9C 9D 9E 82..95 */
#define CARD_INV_MAX_OBJECTS 64u
typedef struct {
	bool present;
	uint8_t alg, pin_policy, touch_policy, origin;
} card_inv_key;

typedef struct {
	uint32_t serial;
	uint8_t pin_max, pin_left, puk_max, puk_left;
	bool pin_is_default;
	uint32_t change_counter;
	card_inv_key keys[CARD_KEY_SLOTS]; /* indexed by piv_key_slot_index() */
	uint32_t objects[CARD_INV_MAX_OBJECTS];
	size_t n_objects;
} card_inventory;

card_status card_get_inventory(card *c, card_inventory *inv);
/* The answer of INVENTORY, checked field by field; CARD_ERR_DEVICE when malformed. */
card_status card_inventory_parse(const uint8_t *buf, size_t len, card_inventory *inv);
/* Is this data object in the inventory? */
bool card_inventory_has(const card_inventory *inv, uint32_t tag);

/* CHUID (5FC102): the card's identity as hex digits in text (cap bytes with the NUL): its
 * GUID, or its FASC-N when the GUID is all zero. CARD_ERR_NOT_FOUND when it has neither. */
card_status card_get_chuid_id(card *c, char *text, size_t cap);
card_status card_chuid_id_parse(const uint8_t *buf, size_t len, char *text, size_t cap);
/* Key History (5FC10C): how many retired keys have their certificate on the card (they are
 * the first ones, 82 upwards); 0 when the card has no Key History. */
card_status card_get_key_history(card *c, unsigned *on_card);

/* GET DATA: the object's value without its 53 (or 7E) wrapper, malloc'd. */
card_status card_get_data(card *c, uint32_t tag, uint8_t **value, size_t *len);
/* PUT DATA: value is wrapped in 53 (7E for Discovery); len 0 deletes. */
card_status card_put_data(card *c, uint32_t tag, const uint8_t *value, size_t len);

/* PIN/PUK: values are 6..8 bytes (padded here). tries_left is set on CARD_ERR_PIN_INCORRECT
 * and, when known, on success of card_pin_status. */
card_status card_verify_pin(card *c, const uint8_t *pin, size_t pin_len, int *tries_left);
/* Query without a PIN: CARD_OK when verified, CARD_ERR_PIN_INCORRECT with tries otherwise. */
card_status card_pin_status(card *c, int *tries_left);
card_status card_logout(card *c);
card_status card_change_reference(card *c, uint8_t ref, const uint8_t *old, size_t old_len,
                                  const uint8_t *new_value, size_t new_len, int *tries_left);
card_status card_unblock_pin(card *c, const uint8_t *puk, size_t puk_len, const uint8_t *new_pin,
                             size_t new_len, int *tries_left);

/* Card management key (9B) mutual authentication. */
card_status card_auth_mgmt(card *c, uint8_t alg, const uint8_t *key, size_t key_len);
/* With the PIN verified: read the PIN-protected management key (ADMIN DATA + Printed)
 * and authenticate with it. CARD_ERR_NOT_FOUND when the token has none. */
card_status card_auth_mgmt_with_pin(card *c);

/* A public key as the card states it in a 7F49 template (SP 800-73-4 part 2, GENERATE
 * ASYMMETRIC KEY PAIR): RSA 81 modulus and 82 exponent, EC 86 point; pointers into the
 * template. */
typedef struct {
	uint8_t alg;          /* PIV_ALG_RSA2048/3072, PIV_ALG_ECCP256/384 */
	const uint8_t *n, *e; /* RSA, big-endian without leading zero bytes */
	size_t n_len, e_len;
	const uint8_t *point; /* EC: 04 || X || Y */
	size_t point_len;
} card_pubkey;

/* The one reader of 7F49 contents, for GENERATE, GET METADATA and C_Verify alike: only
 * 81 then 82, or 86; integers may carry leading zero bytes, which are dropped; then the
 * modulus has exactly the algorithm's size (top bit set) and the exponent is odd and at
 * most 8 bytes; the point is uncompressed and of the field's size. false (pk zeroed)
 * otherwise, and for an algorithm that is not a key slot's. */
bool card_pubkey_parse(uint8_t alg, const uint8_t *buf, size_t len, card_pubkey *pk);

/* GENERATE: pubkey receives the contents of 7F49, checked by card_pubkey_parse. */
card_status card_generate(card *c, uint8_t slot, uint8_t alg, uint8_t pin_policy, uint8_t *pubkey,
                          size_t cap, size_t *pubkey_len);
/* Delete the key in a slot (YubiKey 5.7 MOVE KEY to FF: 00 F6 FF <slot>). Needs the
 * management key (CARD_ERR_SECURITY); an empty slot is CARD_ERR_NOT_FOUND. The slot's
 * certificate container is left alone. */
card_status card_delete_key(card *c, uint8_t slot);
/* Move the key in slot from to the empty slot to (MOVE KEY 00 F6 <to> <from>). Needs the
 * management key; an empty source is CARD_ERR_NOT_FOUND, a destination holding a key is
 * CARD_ERR_FAILED with last_sw 6985. Certificate containers are left alone. */
card_status card_move_key(card *c, uint8_t to, uint8_t from);
/* ATTEST (YubiKey's 00 F9 <slot> 00): the token's certificate of the key in slot, signed
 * by its attestation key F9; *der (malloc'd) is one DER SEQUENCE. The card's refusals:
 * CARD_ERR_FAILED with last_sw 6985 (no attestation key), CARD_ERR_BAD_INPUT (6A80 an
 * imported key, 6A86 a slot it does not attest), CARD_ERR_NOT_FOUND (6A88 no key),
 * CARD_ERR_UNSUPPORTED (6D00 no ATTEST at all). */
card_status card_attest(card *c, uint8_t slot, uint8_t **der, size_t *len);
/* GENERAL AUTHENTICATE signing/decipher: in is the padded block (RSA) or digest (ECDSA). */
card_status card_sign(card *c, uint8_t slot, uint8_t alg, const uint8_t *in, size_t in_len,
                      uint8_t *out, size_t cap, size_t *out_len);
/* GENERAL AUTHENTICATE ECDH (SP 800-73-4 part 2, 3.2.4: tag 85) with the EC key in slot:
 * point is the peer's uncompressed point 04 || X || Y on the key's curve; out receives the
 * shared secret, the X coordinate (field size). The caller wipes it. */
card_status card_ecdh(card *c, uint8_t slot, uint8_t alg, const uint8_t *point, size_t point_len,
                      uint8_t *out, size_t cap, size_t *out_len);
/* Random bytes from the card (9B external-authentication challenges). */
card_status card_random(card *c, uint8_t *out, size_t len);

/* Human-readable name of a status, for traces. */
const char *card_status_name(card_status s);

#endif
