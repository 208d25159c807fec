/* Attestation: CKA_KINKO_ATTESTATION of a key generated on the token (ATTEST 00 F9 <slot>
 * 00) and the token's F9 certificate (GET DATA 5FFF01) as a certificate object.
 *
 * An attestation is read from the token at each read, never kept across reads (each has a
 * fresh serial), except that a length query's answer is kept for the read that follows it:
 * the usual query-then-read pair costs one APDU, and the length it announced is the
 * length it gets. A token that refuses ATTEST as a whole (6985: no attestation key, 6D00:
 * no such command) is not asked again while its cache lives. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "mod_object.h"
#include "mod_parse.h"
#include "piv.h"

void mod_attest_forget(mod_token *t)
{
	unsigned i;

	for (i = 0; i < PIV_KEY_SLOTS; i++) {
		free(t->keys[i].attest);
		t->keys[i].attest = NULL;
		t->keys[i].attest_len = 0;
	}
	free(t->f9_cert);
	t->f9_cert = NULL;
	t->f9_cert_len = 0;
	t->f9 = MOD_F9_UNKNOWN;
}

void mod_attest_f9_inventory(mod_token *t, bool present)
{
	if (!present) {
		free(t->f9_cert);
		t->f9_cert = NULL;
		t->f9_cert_len = 0;
	}
	t->f9 = present ? MOD_F9_PRESENT : MOD_F9_ABSENT;
}

/* The token cannot attest anything: kinko's token without 5FFF01 has no attestation key
 * (the two are provisioned together), a plain PIV card or one that said so before. */
static bool attest_token_cannot(const mod_token *t)
{
	return t->attest_none || (t->kind == MOD_KIND_KINKO && t->f9 == MOD_F9_ABSENT);
}

static CK_RV attest_refused(mod_slot *s, mod_token *t, unsigned i, card_status st)
{
	uint8_t ref = piv_key_slot_ref(i);

	if (st == CARD_ERR_UNSUPPORTED ||
	    (st == CARD_ERR_FAILED && s->card.last_sw == SW_CONDITIONS_NOT_SATISFIED)) {
		t->attest_none = true;
		mod_trace_msg("slot %lu: the token cannot attest keys (%04X)", (unsigned long)s->id,
		              (unsigned)s->card.last_sw);
		return CKR_ATTRIBUTE_TYPE_INVALID;
	}
	if (st == CARD_ERR_BAD_INPUT) {
		mod_trace_msg("slot %lu: key %02X cannot be attested (%04X): imported?",
		              (unsigned long)s->id, ref, (unsigned)s->card.last_sw);
		return CKR_ATTRIBUTE_TYPE_INVALID;
	}
	if (st == CARD_ERR_NOT_FOUND) {
		/* deleted by someone else since the inventory */
		mod_token_forget_key(t, i);
		return CKR_OBJECT_HANDLE_INVALID;
	}
	if (st == CARD_ERR_DEVICE)
		mod_trace_msg("slot %lu: the attestation of key %02X is not a certificate",
		              (unsigned long)s->id, ref);
	return mod_slot_rv(s, st);
}

CK_RV mod_attest_key(mod_slot *s, mod_token *t, unsigned i, bool query, const uint8_t **der,
                     size_t *len, uint8_t **owned)
{
	mod_keyslot *k = &t->keys[i];
	uint8_t *value = NULL;
	size_t n = 0;
	card_status st;

	*der = NULL;
	*len = 0;
	*owned = NULL;
	if (k->attest) {
		*der = k->attest;
		*len = k->attest_len;
		if (!query) {
			*owned = k->attest;
			k->attest = NULL;
			k->attest_len = 0;
		}
		return CKR_OK;
	}
	/* Only a key generated on the token can be attested; a card that does not say where
	 * its key came from (origin 0) is asked. */
	if (attest_token_cannot(t) || (k->origin != 0 && k->origin != PIV_ORIGIN_GENERATED))
		return CKR_ATTRIBUTE_TYPE_INVALID;
	st = card_attest(&s->card, piv_key_slot_ref(i), &value, &n);
	if (st != CARD_OK)
		return attest_refused(s, t, i, st);
	if (query) {
		k->attest = value;
		k->attest_len = n;
	} else {
		*owned = value;
	}
	*der = value;
	*len = n;
	return CKR_OK;
}

/* One GET DATA of 5FFF01; its certificate kept in the cache. */
static CK_RV attest_f9_read(mod_slot *s, mod_token *t)
{
	const uint8_t *der = NULL;
	uint8_t *value = NULL;
	size_t len = 0, der_len = 0;
	mod_parse_status ps;
	card_status st = card_get_data(&s->card, PIV_TAG_ATTESTATION, &value, &len);

	if (st == CARD_ERR_NOT_FOUND || st == CARD_ERR_UNSUPPORTED || st == CARD_ERR_BAD_INPUT) {
		t->f9 = MOD_F9_ABSENT;
		return CKR_OBJECT_HANDLE_INVALID;
	}
	if (st != CARD_OK)
		return mod_slot_rv(s, st);
	ps = mod_parse_cert_container(value, len, &der, &der_len);
	if (ps == MOD_PARSE_OK) {
		t->f9_cert = malloc(der_len ? der_len : 1);
		if (t->f9_cert) {
			memcpy(t->f9_cert, der, der_len);
			t->f9_cert_len = der_len;
			t->f9 = MOD_F9_PRESENT;
		}
	}
	free(value);
	if (ps != MOD_PARSE_OK) {
		mod_trace_msg("slot %lu: the attestation certificate (5FFF01) is unreadable",
		              (unsigned long)s->id);
		t->f9 = MOD_F9_ABSENT;
		return CKR_OBJECT_HANDLE_INVALID;
	}
	return t->f9_cert ? CKR_OK : CKR_HOST_MEMORY;
}

CK_RV mod_attest_f9_cert(mod_slot *s, mod_token *t, const uint8_t **der, size_t *len)
{
	CK_RV rv = CKR_OK;

	*der = NULL;
	*len = 0;
	if (t->f9 == MOD_F9_ABSENT || t->kind == MOD_KIND_PIV)
		return CKR_OBJECT_HANDLE_INVALID;
	if (!t->f9_cert)
		rv = attest_f9_read(s, t);
	if (rv != CKR_OK)
		return rv;
	*der = t->f9_cert;
	*len = t->f9_cert_len;
	return CKR_OK;
}

/* Does the template name the F9 certificate by its CKA_ID? */
static bool attest_names_f9(const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	CK_ULONG i;

	for (i = 0; i < n; i++)
		if (tmpl[i].type == CKA_ID && tmpl[i].ulValueLen == 1 && tmpl[i].pValue &&
		    ((const CK_BYTE *)tmpl[i].pValue)[0] == PIV_KEY_ATTEST)
			return true;
	return false;
}

/* kinko's token lists 5FFF01 in its inventory (no APDU); a plain PIV card has no such
 * object (it is YubiKey's). A YubiKey-style card is asked (one GET DATA) only by a search
 * naming the certificate's CKA_ID: every other certificate search would cost each cold
 * logon an APDU. */
CK_RV mod_attest_f9_learn(mod_slot *s, mod_token *t, const CK_ATTRIBUTE *tmpl, CK_ULONG n)
{
	CK_RV rv;

	if (t->kind != MOD_KIND_YUBIKEY || t->f9 != MOD_F9_UNKNOWN || !attest_names_f9(tmpl, n))
		return CKR_OK;
	rv = attest_f9_read(s, t);
	return rv == CKR_OBJECT_HANDLE_INVALID ? CKR_OK : rv;
}
