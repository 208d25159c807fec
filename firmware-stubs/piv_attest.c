/* ATTEST (00 F9 <slot> 00, YubiKey's): an X.509 certificate of a key generated on the
 * token, signed by the attestation key F9, in the response data as plain DER. The
 * extensions say what a verifier needs: the token, its firmware, the key's policies and
 * that the key was generated here (kinko's arc; Yubico's on the yubikey profile). */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/x509v3.h>

#include "piv_internal.h"
#include "token_attest.h"

#define ATTEST_EXT_MAX 8u
#define ATTEST_ENUM 0x0A /* DER ENUMERATED */

/* YubiKey 5's form factor byte: 01, USB-A keychain (the emulator plays a YubiKey 5 NFC). */
#define ATTEST_YUBICO_FORM_FACTOR 0x01

/* DER INTEGER of a 32-bit unsigned value, minimal: at most 7 bytes. */
static size_t attest_der_uint(uint32_t v, uint8_t out[7])
{
	uint8_t be[5] = {0, (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	size_t skip = 0;

	/* Drop leading zero bytes while the next byte keeps the value positive. */
	while (skip < 4 && be[skip] == 0 && !(be[skip + 1] & 0x80))
		skip++;
	out[0] = 0x02;
	out[1] = (uint8_t)(5 - skip);
	memcpy(out + 2, be + skip, 5 - skip);
	return 2 + 5 - skip;
}

static int attest_ext_enum(X509 *x, const char *oid, uint8_t v)
{
	const uint8_t der[3] = {ATTEST_ENUM, 0x01, v};

	return tok_attest_ext_raw(x, oid, der, sizeof(der));
}

static uint8_t attest_touch(const tok_key *k)
{
	return k->touch_policy != 0 ? k->touch_policy : PIV_TOUCH_POLICY_NEVER;
}

/* kinko's extensions: DER values, so any ASN.1 decoder reads them. */
static int attest_ext_kinko(X509 *x, const tok_state *st, const tok_key *k, X509 *f9)
{
	static const uint8_t fw[5] = {0x04, 0x03, TOK_VERSION_MAJOR, TOK_VERSION_MINOR,
	                              TOK_VERSION_PATCH};
	uint8_t serial[7];
	size_t n = attest_der_uint(st->serial, serial);

	if (tok_attest_ext_conf(x, f9, NID_authority_key_identifier, "keyid:always") != 0 ||
	    tok_attest_ext_raw(x, PIV_ATTEST_OID_KINKO_SERIAL, serial, n) != 0 ||
	    tok_attest_ext_raw(x, PIV_ATTEST_OID_KINKO_FIRMWARE, fw, sizeof(fw)) != 0 ||
	    attest_ext_enum(x, PIV_ATTEST_OID_KINKO_PIN_POLICY, k->pin_policy) != 0 ||
	    attest_ext_enum(x, PIV_ATTEST_OID_KINKO_TOUCH_POLICY, attest_touch(k)) != 0 ||
	    attest_ext_enum(x, PIV_ATTEST_OID_KINKO_ORIGIN, k->origin) != 0)
		return -1;
	return 0;
}

/* Yubico's extensions as a YubiKey 5 writes them: raw bytes, but the serial, a DER
 * INTEGER. */
static int attest_ext_yubico(X509 *x, const tok_state *st, const tok_key *k)
{
	static const uint8_t fw[3] = {TOK_VERSION_MAJOR, TOK_VERSION_MINOR, TOK_VERSION_PATCH};
	static const uint8_t form = ATTEST_YUBICO_FORM_FACTOR;
	const uint8_t policy[2] = {k->pin_policy, attest_touch(k)};
	uint8_t serial[7];
	size_t n = attest_der_uint(st->serial, serial);

	if (tok_attest_ext_raw(x, PIV_ATTEST_OID_YUBICO_FIRMWARE, fw, sizeof(fw)) != 0 ||
	    tok_attest_ext_raw(x, PIV_ATTEST_OID_YUBICO_SERIAL, serial, n) != 0 ||
	    tok_attest_ext_raw(x, PIV_ATTEST_OID_YUBICO_POLICY, policy, sizeof(policy)) != 0 ||
	    tok_attest_ext_raw(x, PIV_ATTEST_OID_YUBICO_FORM_FACTOR, &form, 1) != 0)
		return -1;
	return 0;
}

/* "CN=kinko PIV Attestation 9A"; a YubiKey writes "CN=YubiKey PIV Attestation 9a". */
static X509_NAME *attest_subject(uint8_t profile, uint8_t ref)
{
	X509_NAME *n = X509_NAME_new();
	char cn[40];

	if (profile == TOK_PROFILE_YUBIKEY)
		snprintf(cn, sizeof(cn), "YubiKey PIV Attestation %02x", ref);
	else
		snprintf(cn, sizeof(cn), "kinko PIV Attestation %02X", ref);
	if (n == NULL || !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
	                                             (const unsigned char *)cn, -1, -1, 0)) {
		X509_NAME_free(n);
		return NULL;
	}
	return n;
}

static EVP_PKEY *attest_load(const tok_key *k)
{
	const unsigned char *p = k->priv_der;

	return d2i_AutoPrivateKey_ex(NULL, &p, (long)k->priv_len, NULL, NULL);
}

/* The certificate of slot ref's key k, DER into resp. */
static uint16_t attest_build(const tok_state *st, uint8_t ref, const tok_key *k, piv_resp *resp)
{
	X509 *f9 = tok_attest_cert_get(st);
	EVP_PKEY *f9_key = attest_load(&st->attest);
	EVP_PKEY *pub = attest_load(k);
	X509_NAME *subject = attest_subject(st->profile, ref);
	X509 *x = NULL;
	unsigned char *out = resp->buf;
	int ok, len = 0;

	ok = f9 != NULL && f9_key != NULL && pub != NULL && subject != NULL;
	if (ok)
		x = tok_attest_cert_new(X509_get_subject_name(f9), subject, pub,
		                        X509_get0_notBefore(f9), X509_get0_notAfter(f9));
	ok = ok && x != NULL &&
	     (st->profile == TOK_PROFILE_YUBIKEY ? attest_ext_yubico(x, st, k) :
	                                           attest_ext_kinko(x, st, k, f9)) == 0 &&
	     X509_sign(x, f9_key, EVP_sha256()) > 0;
	if (ok) {
		len = i2d_X509(x, NULL);
		ok = len > 0 && (size_t)len <= resp->cap && i2d_X509(x, &out) == len;
	}
	X509_free(x);
	X509_NAME_free(subject);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(f9_key);
	X509_free(f9);
	if (!ok)
		return SW_UNKNOWN;
	resp->len = (size_t)len;
	return SW_OK;
}

/* Free to ask, like a YubiKey: the answer holds only public facts. Without an attestation
 * key the token cannot attest anything (6985); an empty slot is 6A88 and an imported key
 * 6A80, never a certificate. F9 itself and other references are not slots (6A86). */
uint16_t piv_cmd_attest(piv_applet *a, const apdu_cmd *cmd, piv_resp *resp)
{
	int idx = piv_key_slot_index(cmd->p1);
	const tok_key *k;

	resp->len = 0;
	if (idx < 0 || cmd->p2 != 0x00)
		return SW_INCORRECT_P1P2;
	if (cmd->lc != 0)
		return SW_WRONG_LENGTH;
	if (a->st->attest.alg == 0)
		return SW_CONDITIONS_NOT_SATISFIED;
	k = &a->st->keys[idx];
	if (k->alg == 0 || k->priv_der == NULL)
		return SW_REF_NOT_FOUND;
	if (k->origin != PIV_ORIGIN_GENERATED)
		return SW_WRONG_DATA;
	return attest_build(a->st, cmd->p1, k, resp);
}
