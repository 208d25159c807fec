/* Provisioning: a fresh token with its secrets and the standard PIV data objects.
 *
 * Factory defaults are YubiKey PIV's (PIN 123456, PUK 12345678, 3DES management key
 * 0102..08 x3, 3 tries each), so hosts and tools that know those defaults work unchanged.
 * The version reported is kinko firmware 1.0.0, not a YubiKey firmware version.
 */
#include "token_state.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "piv_crypto.h"
#include "tlv.h"

#define TOK_DEFAULT_TRIES 3u

/* FASC-N placeholder for a non-federal issuer (SP 800-73-4 allows any value outside the
 * federal agency codes): agency 9999, system 9999, credential 999999, series 1, issue 1,
 * person identifier 0000000000, organisational category 1, organisation 0000, association
 * 1, in the 5-bit BCD-with-parity encoding of TIG SCEPACS. */
static const uint8_t TOK_FASCN[25] = {
	0xD4, 0xE7, 0x39, 0xDA, 0x73, 0x9C, 0xED, 0x39, 0xCE, 0x73, 0x9D, 0xA1, 0x68,
	0x58, 0x21, 0x08, 0x42, 0x10, 0x84, 0x21, 0x80, 0x42, 0x10, 0xC3, 0xF3,
};

/* CCC card identifier prefix: GSC-RID A0 00 00 01 16, manufacturer FF, card type 02 (Java
 * card style); 14 random bytes follow. */
static const uint8_t TOK_CCC_PREFIX[7] = {0xA0, 0x00, 0x00, 0x01, 0x16, 0xFF, 0x02};

static int tok_pad_secret(const char *s, uint8_t padded[PIV_PIN_MAX])
{
	size_t len = strnlen(s, PIV_PIN_MAX + 1);

	if (len < PIV_PIN_MIN || len > PIV_PIN_MAX || memchr(s, PIV_PIN_PAD, len) != NULL)
		return -EINVAL;
	memset(padded, PIV_PIN_PAD, PIV_PIN_MAX);
	memcpy(padded, s, len);
	return 0;
}

static int tok_provision_secret(tok_secret *sec, const char *value, const char *def, uint8_t tries)
{
	uint8_t padded[PIV_PIN_MAX];
	int rc;

	if (tries == 0)
		tries = TOK_DEFAULT_TRIES;
	rc = tok_pad_secret(value != NULL ? value : def, padded);
	if (rc == 0)
		rc = tok_secret_set(sec, padded, tries);
	OPENSSL_cleanse(padded, sizeof(padded));
	if (rc == 0)
		sec->is_default = value == NULL;
	return rc;
}

/* The management key: given, the factory default (24-byte algorithms only), or random
 * when it is to be stored PIN-protected. */
static int tok_provision_mgmt(tok_state *st, const tok_provision_opts *o)
{
	uint8_t alg = o->mgmt_alg != 0 ? o->mgmt_alg : PIV_ALG_3DES;
	size_t klen = piv_alg_mgmt_key_len(alg);

	if (klen == 0)
		return -EINVAL;
	st->mgmt_alg = alg;
	st->mgmt_key_len = klen;
	if (o->mgmt_key != NULL) {
		if (o->mgmt_key_len != klen)
			return -EINVAL;
		memcpy(st->mgmt_key, o->mgmt_key, klen);
		/* A key equal to the factory one is still the factory key, however it came. */
		st->mgmt_is_default = klen == sizeof(TOK_DEFAULT_MGMT_KEY) &&
		                      CRYPTO_memcmp(o->mgmt_key, TOK_DEFAULT_MGMT_KEY, klen) == 0;
		return 0;
	}
	if (o->pin_protected_mgmt)
		return piv_crypto_random(st->mgmt_key, klen);
	if (klen != sizeof(TOK_DEFAULT_MGMT_KEY))
		return -EINVAL;
	memcpy(st->mgmt_key, TOK_DEFAULT_MGMT_KEY, klen);
	st->mgmt_is_default = true;
	return 0;
}

static int tok_provision_serial(tok_state *st, uint32_t serial)
{
	uint8_t r[4];
	int rc;

	if (serial != 0) {
		st->serial = serial;
		return 0;
	}
	rc = piv_crypto_random(r, sizeof(r));
	if (rc != 0)
		return rc;
	/* An 8-digit serial, as printed on tokens; never 0. */
	serial = (uint32_t)r[0] << 24 | (uint32_t)r[1] << 16 | (uint32_t)r[2] << 8 | r[3];
	st->serial = 10000000u + serial % 90000000u;
	return 0;
}

/* CHUID expiry: ten years from provisioning, YYYYMMDD. */
static void tok_chuid_expiry(char out[9])
{
	time_t now = time(NULL);
	struct tm tm;
	char tmp[32];

	if (gmtime_r(&now, &tm) == NULL) {
		memcpy(out, "20991231", 9);
		return;
	}
	tm.tm_year += 10;
	if (tm.tm_mon == 1 && tm.tm_mday == 29)
		tm.tm_mday = 28;
	if (strftime(tmp, sizeof(tmp), "%Y%m%d", &tm) != 8) {
		memcpy(out, "20991231", 9);
		return;
	}
	memcpy(out, tmp, 9);
}

static int tok_put_object(tok_state *st, uint32_t tag, const tlv_writer *w)
{
	if (tlv_writer_status(w) != TLV_OK)
		return -EIO;
	return tok_object_put(st, tag, w->buf, w->len);
}

static int tok_provision_chuid(tok_state *st)
{
	uint8_t buf[128];
	char expiry[9];
	tlv_writer w;

	tok_chuid_expiry(expiry);
	tlv_writer_init(&w, buf, sizeof(buf));
	tlv_put(&w, 0x30, TOK_FASCN, sizeof(TOK_FASCN));
	tlv_put(&w, 0x34, st->guid, sizeof(st->guid));
	tlv_put(&w, 0x35, (const uint8_t *)expiry, 8);
	tlv_put(&w, 0x3E, NULL, 0); /* issuer signature: none, the token is not federal */
	tlv_put(&w, PIV_TLV_LRC, NULL, 0);
	return tok_put_object(st, PIV_TAG_CHUID, &w);
}

static int tok_provision_ccc(tok_state *st)
{
	static const uint8_t empty_tags[] = {0xF6, 0xF7, 0xFA, 0xFB, 0xFC, 0xFD, PIV_TLV_LRC};
	uint8_t id[21], buf[128];
	tlv_writer w;
	size_t i;
	int rc;

	memcpy(id, TOK_CCC_PREFIX, sizeof(TOK_CCC_PREFIX));
	rc = piv_crypto_random(id + sizeof(TOK_CCC_PREFIX), sizeof(id) - sizeof(TOK_CCC_PREFIX));
	if (rc != 0)
		return rc;
	tlv_writer_init(&w, buf, sizeof(buf));
	tlv_put(&w, 0xF0, id, sizeof(id)); /* card identifier */
	tlv_put_u8(&w, 0xF1, 0x21);        /* capability container version */
	tlv_put_u8(&w, 0xF2, 0x21);        /* capability grammar version */
	tlv_put(&w, 0xF3, NULL, 0);        /* applications CardURL */
	tlv_put_u8(&w, 0xF4, 0x00);        /* PKCS#15: no */
	tlv_put_u8(&w, 0xF5, 0x10);        /* registered data model number */
	for (i = 0; i < sizeof(empty_tags); i++)
		tlv_put(&w, empty_tags[i], NULL, 0);
	return tok_put_object(st, PIV_TAG_CCC, &w);
}

static int tok_provision_discovery(tok_state *st)
{
	static const uint8_t pin_policy[2] = {0x40, 0x00}; /* PIV PIN only, no global PIN */
	uint8_t buf[32];
	tlv_writer w;

	tlv_writer_init(&w, buf, sizeof(buf));
	tlv_put(&w, 0x4F, PIV_AID, sizeof(PIV_AID));
	tlv_put(&w, 0x5F2F, pin_policy, sizeof(pin_policy));
	return tok_put_object(st, PIV_TAG_DISCOVERY, &w);
}

/* YubiKey's PIN-protected management key: ADMIN DATA flags it, PRINTED holds it. */
static int tok_provision_protected_mgmt(tok_state *st)
{
	uint8_t buf[64];
	tlv_writer w;
	size_t mark;
	int rc;

	tlv_writer_init(&w, buf, sizeof(buf));
	mark = tlv_begin(&w, PIV_TLV_ADMIN_FLAGS);
	tlv_put_u8(&w, PIV_TLV_ADMIN_BITS, PIV_ADMIN_MGMT_PROTECTED);
	tlv_end(&w, mark);
	rc = tok_put_object(st, PIV_TAG_ADMIN_DATA, &w);
	if (rc != 0)
		return rc;

	tlv_writer_init(&w, buf, sizeof(buf));
	mark = tlv_begin(&w, PIV_TLV_PRINTED_MGMT);
	tlv_put(&w, PIV_TLV_PRINTED_MGMTKEY, st->mgmt_key, st->mgmt_key_len);
	tlv_end(&w, mark);
	rc = tok_put_object(st, PIV_TAG_PRINTED, &w);
	OPENSSL_cleanse(buf, sizeof(buf));
	return rc;
}

static int tok_provision_all(tok_state *st, const tok_provision_opts *o)
{
	int rc;

	if (o->pin_tries > TOK_TRIES_MAX || o->puk_tries > TOK_TRIES_MAX ||
	    o->profile > TOK_PROFILE_PIV ||
	    (o->profile == TOK_PROFILE_PIV && o->pin_protected_mgmt))
		return -EINVAL;
	st->profile = o->profile;
	rc = tok_provision_secret(&st->pin, o->pin, TOK_DEFAULT_PIN, o->pin_tries);
	if (rc == 0)
		rc = tok_provision_secret(&st->puk, o->puk, TOK_DEFAULT_PUK, o->puk_tries);
	if (rc == 0)
		rc = tok_provision_mgmt(st, o);
	if (rc == 0)
		rc = tok_provision_serial(st, o->serial);
	if (rc == 0)
		rc = piv_crypto_random(st->guid, sizeof(st->guid));
	if (rc != 0)
		return rc;
	/* RFC 4122 version 4 (random) GUID */
	st->guid[6] = (uint8_t)((st->guid[6] & 0x0F) | 0x40);
	st->guid[8] = (uint8_t)((st->guid[8] & 0x3F) | 0x80);
	st->version[0] = TOK_VERSION_MAJOR;
	st->version[1] = TOK_VERSION_MINOR;
	st->version[2] = TOK_VERSION_PATCH;
	st->pin_must_change = o->pin_must_change;

	rc = tok_provision_chuid(st);
	if (rc == 0)
		rc = tok_provision_ccc(st);
	if (rc == 0)
		rc = tok_provision_discovery(st);
	if (rc == 0 && o->pin_protected_mgmt)
		rc = tok_provision_protected_mgmt(st);
	return rc;
}

int tok_state_provision(tok_state *st, const tok_provision_opts *opts)
{
	static const tok_provision_opts defaults;
	int rc;

	if (st == NULL)
		return -EINVAL;
	tok_state_init(st);
	rc = tok_provision_all(st, opts != NULL ? opts : &defaults);
	if (rc != 0)
		tok_state_free(st);
	return rc;
}

static const char *const tok_profile_names[] = {
	[TOK_PROFILE_KINKO] = "kinko",
	[TOK_PROFILE_YUBIKEY] = "yubikey",
	[TOK_PROFILE_PIV] = "piv",
};

const char *tok_profile_name(uint8_t profile)
{
	if (profile >= sizeof(tok_profile_names) / sizeof(tok_profile_names[0]))
		return NULL;
	return tok_profile_names[profile];
}

int tok_profile_parse(const char *name, uint8_t *profile)
{
	size_t i;

	for (i = 0; name != NULL && i < sizeof(tok_profile_names) / sizeof(tok_profile_names[0]);
	     i++) {
		if (strcmp(name, tok_profile_names[i]) == 0) {
			*profile = (uint8_t)i;
			return 0;
		}
	}
	return -EINVAL;
}
