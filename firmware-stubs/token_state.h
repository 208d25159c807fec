/* The token's persistent state (what lives in its flash) and its on-disk encoding. */
#ifndef KINKO_TOKEN_STATE_H
#define KINKO_TOKEN_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "piv.h"

#define TOK_MAX_OBJECT 3072u /* largest data object value (the 53 contents), as YubiKey */
#define TOK_MAX_OBJECTS 40u
#define TOK_SALT_LEN 16u
#define TOK_HASH_LEN 32u
#define TOK_MAX_MGMT_KEY 32u
#define TOK_STATE_MAX (256u * 1024u)
#define TOK_TRIES_MAX 15u     /* PIN/PUK tries: what a 63Cx status word can report */
#define TOK_MAX_KEY_DER 4096u /* largest stored PKCS#8 key (RSA-3072 is about 1.8 KB) */

/* The version GET VERSION reports, in YubiKey's numbering, because Yubico's tools and
 * others gate features on it: 5.0 serial by GET SERIAL (below 5 they select the OTP applet),
 * 5.3 GET METADATA, 5.4 AES management keys, 5.4.3 VERIFY P1 FF, 5.7.0 MOVE KEY and
 * RSA-3072. 5.7.0 is the lowest version that opens every gate of what the firmware does
 * (README, "The version the token reports"). Recorded in the state at provisioning. */
#define TOK_VERSION_MAJOR 5u
#define TOK_VERSION_MINOR 7u
#define TOK_VERSION_PATCH 0u

/* The kind of token the firmware plays, recorded in its state (a token keeps its kind):
 * kinko's own applet; a YubiKey 5 (its extensions, no INVENTORY); a plain SP 800-73-4
 * card (no extension at all). The applet answers 6D00 to what the kind lacks. */
enum {
	TOK_PROFILE_KINKO = 0,
	TOK_PROFILE_YUBIKEY = 1,
	TOK_PROFILE_PIV = 2,
};

typedef struct {
	uint8_t alg;        /* PIV_ALG_*, 0 = empty slot */
	uint8_t origin;     /* PIV_ORIGIN_* */
	uint8_t pin_policy; /* PIV_PIN_POLICY_NEVER/ONCE/ALWAYS, never DEFAULT once stored */
	uint8_t touch_policy;
	uint8_t *priv_der; /* PKCS#8 DER private key: never leaves the firmware */
	size_t priv_len;
} tok_key;

typedef struct {
	uint32_t tag;
	uint8_t *value; /* contents of the 53 wrapper as written by PUT DATA */
	size_t len;
} tok_object;

typedef struct {
	uint8_t salt[TOK_SALT_LEN];
	uint8_t hash[TOK_HASH_LEN]; /* PBKDF2-HMAC-SHA256 of the FF-padded 8-byte value */
	uint8_t tries_left;
	uint8_t tries_max;
	bool is_default;
} tok_secret;

typedef struct {
	uint32_t serial;
	uint8_t version[3]; /* the firmware's version when provisioned (GET VERSION: today's) */
	uint8_t guid[16];   /* CHUID GUID */
	tok_secret pin;
	tok_secret puk;
	bool pin_must_change; /* provisioning flag: the PIN must be changed before use */
	uint8_t mgmt_alg;     /* PIV_ALG_3DES / AES128 / AES192 / AES256 */
	uint8_t mgmt_key[TOK_MAX_MGMT_KEY];
	size_t mgmt_key_len;
	bool mgmt_is_default;
	tok_key keys[PIV_KEY_SLOTS]; /* indexed by piv_key_slot_index() */
	/* The attestation key (F9), made at provisioning, alg 0 when the token has none; its
	 * certificate is the object 5FFF01. No host command reaches it but ATTEST. */
	tok_key attest;
	tok_object objects[TOK_MAX_OBJECTS];
	size_t n_objects;
	/* +1 on every change of a key or data object (PUT DATA, GENERATE, key delete), saved
	 * with the change: hosts compare it (INVENTORY) to tell whether their cache is stale. */
	uint32_t change_counter;
	uint8_t profile; /* TOK_PROFILE_* */
} tok_state;

/* Provisioning parameters: NULL secrets mean the factory defaults (YubiKey PIV's). */
typedef struct {
	const char *pin;         /* 6..8 bytes */
	const char *puk;         /* 6..8 bytes */
	const uint8_t *mgmt_key; /* raw key bytes */
	size_t mgmt_key_len;
	uint8_t mgmt_alg;  /* 0 = 3DES */
	uint8_t pin_tries; /* 0 = 3 */
	uint8_t puk_tries; /* 0 = 3 */
	uint32_t serial;   /* 0 = random */
	bool pin_must_change;
	bool pin_protected_mgmt; /* random management key stored PIN-protected (5FFF00) */
	uint8_t profile;         /* TOK_PROFILE_*; a piv token has no 5FFF00 */
} tok_provision_opts;

#define TOK_DEFAULT_PIN "123456"
#define TOK_DEFAULT_PUK "12345678"
extern const uint8_t TOK_DEFAULT_MGMT_KEY[24];

/* A profile's name (kinko, yubikey, piv) and back: 0, or -EINVAL for another name. */
const char *tok_profile_name(uint8_t profile);
int tok_profile_parse(const char *name, uint8_t *profile);

void tok_state_init(tok_state *st);
void tok_state_free(tok_state *st); /* wipes keys and secrets */

/* Fresh token (st is initialised first; opts may be NULL for all defaults). Returns 0, or
 * -EINVAL on a bad parameter (PIN length, key length/alg, tries above 15, profile, a
 * PIN-protected management key on a piv token). */
int tok_state_provision(tok_state *st, const tok_provision_opts *opts);

/* Secrets: hash an 8-byte padded value (fresh salt, tries_left = tries_max = tries, 1..15,
 * is_default cleared: the caller sets it); check in constant time. */
int tok_secret_set(tok_secret *s, const uint8_t padded[PIV_PIN_MAX], uint8_t tries);
bool tok_secret_matches(const tok_secret *s, const uint8_t padded[PIV_PIN_MAX]);

/* Objects */
/* Tags a token stores: Discovery 7E, BIT group 7F61, the PIV range 5FC101..5FC123 and
 * the YubiKey vendor range 5FFF00..5FFF15 (admin data, attestation, MS roots). */
bool tok_object_tag_valid(uint32_t tag);
const tok_object *tok_object_get(const tok_state *st, uint32_t tag);
/* Replace (or with len 0 and value NULL, delete) an object. 0, -ENOSPC, -ENOMEM.
 * -EINVAL for a tag tok_object_tag_valid refuses, len > TOK_MAX_OBJECT, or NULL value
 * with len > 0. Any len 0 deletes (an empty object is no object). */
int tok_object_put(tok_state *st, uint32_t tag, const uint8_t *value, size_t len);

/* Keys */
void tok_key_clear(tok_key *k);
/* Takes ownership of der (it is wiped and freed later); touch policy is set to NEVER. */
void tok_key_set(tok_key *k, uint8_t alg, uint8_t origin, uint8_t pin_policy, uint8_t *der,
                 size_t len);

/* Encoding (TLV with the common codec, trailed by a SHA-256 over everything before). */
/* encode: -EINVAL when st holds a value decode would refuse (so a save never writes a file
 * that cannot be loaded). The buffer holds secrets: free it with tok_state_buffer_free. */
int tok_state_encode(const tok_state *st, uint8_t **buf, size_t *len);
/* decode: st is initialised first (previous contents are not freed); on error it is left
 * empty, never half-filled. */
int tok_state_decode(tok_state *st, const uint8_t *buf, size_t len); /* -EBADMSG when corrupt */
void tok_state_buffer_free(uint8_t *buf, size_t len);                /* wipe and free */

/* Load/save through the emulated flash; save is atomic. load initialises st like decode
 * and returns flash_read's -errno (-ENOENT: no such token) or -EBADMSG. */
int tok_state_load(tok_state *st, const char *path);
int tok_state_save(const tok_state *st, const char *path);

#endif
