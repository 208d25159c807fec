/* libFuzzer target for the module's parsing of what a token answers: the INVENTORY
 * (card_inventory_parse) and the CHUID (card_chuid_id_parse) alike, GET METADATA
 * (card_metadata_parse), certificate containers and
 * the certificates in them, public keys (7F49 contents), SubjectPublicKeyInfo and EC
 * parameters (mod_parse.h); public keys go through card_pubkey_parse (card.h), the one
 * reader of 7F49 contents that GENERATE, the attributes and C_Verify share. No card is
 * involved: these are the pure functions the card driver and the object layer call on
 * the bytes they receive.
 *
 * Input: one selector byte, then the bytes to parse (for public keys, one more byte first:
 * the PIV algorithm). Every parser must return an answer without crashing or reading
 * outside its buffer, and a successful parse must describe only bytes of its input;
 * violations abort. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "card.h"
#include "mod_parse.h"
#include "piv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		abort();
}

static bool inside(const uint8_t *p, size_t len, const uint8_t *buf, size_t size)
{
	return p >= buf && len <= size && p + len <= buf + size;
}

/* What a parsed public key leads to: OpenSSL's view, SPKI, CKA_EC_POINT. */
static void use_pubkey(const card_pubkey *pk, const uint8_t *buf, size_t size)
{
	uint8_t *der = NULL;
	size_t len = 0;
	EVP_PKEY *pkey;

	if (pk->n)
		check(inside(pk->n, pk->n_len, buf, size) && inside(pk->e, pk->e_len, buf, size));
	if (pk->point)
		check(inside(pk->point, pk->point_len, buf, size));
	pkey = mod_parse_pubkey_evp(pk);
	EVP_PKEY_free(pkey);
	if (mod_parse_pubkey_spki(pk, &der, &len) == MOD_PARSE_OK) {
		uint8_t alg = 0, back[1024];
		size_t back_len = 0;

		/* the SPKI we make is one we can read back, to the same key */
		check(mod_parse_spki_to_piv(der, len, &alg, back, sizeof(back), &back_len) ==
		      MOD_PARSE_OK);
		check(alg == pk->alg);
		OPENSSL_free(der);
	}
	if (piv_alg_is_ec(pk->alg) && mod_parse_ec_point_der(pk, &der, &len) == MOD_PARSE_OK) {
		check(len == pk->point_len + 2);
		OPENSSL_free(der);
	}
}

static void fuzz_inventory(const uint8_t *buf, size_t size)
{
	card_inventory inv;
	size_t i;

	if (card_inventory_parse(buf, size, &inv) != CARD_OK)
		return;
	check(inv.n_objects <= CARD_INV_MAX_OBJECTS);
	check(inv.pin_left <= inv.pin_max && inv.puk_left <= inv.puk_max);
	for (i = 0; i < inv.n_objects; i++)
		check(inv.objects[i] != 0 && inv.objects[i] <= 0xFFFFFFu);
}

/* The same bytes as a CHUID: the card's identity is hex digits, cut to what text holds. */
static void fuzz_chuid(const uint8_t *buf, size_t size)
{
	char text[17];
	size_t i;

	if (card_chuid_id_parse(buf, size, text, sizeof(text)) != CARD_OK)
		return;
	check(strlen(text) > 0 && strlen(text) < sizeof(text) && strlen(text) % 2 == 0);
	for (i = 0; text[i]; i++)
		check((text[i] >= '0' && text[i] <= '9') || (text[i] >= 'A' && text[i] <= 'F'));
}

static void fuzz_metadata(const uint8_t *buf, size_t size)
{
	card_metadata md;
	card_pubkey pk;

	if (card_metadata_parse(buf, size, &md) != CARD_OK || !md.has_pubkey)
		return;
	check(md.pubkey_len <= sizeof(md.pubkey));
	if (card_pubkey_parse(md.algorithm, md.pubkey, md.pubkey_len, &pk))
		use_pubkey(&pk, md.pubkey, md.pubkey_len);
}

static void fuzz_container(const uint8_t *buf, size_t size)
{
	const uint8_t *der = NULL;
	size_t der_len = 0, spki_pub_len = 0;
	uint8_t *rebuilt = NULL, spki_pub[1024], alg = 0;
	size_t rebuilt_len = 0;
	mod_cert_info ci;

	if (mod_parse_cert_container(buf, size, &der, &der_len) != MOD_PARSE_OK)
		return;
	check(inside(der, der_len, buf, size));
	if (mod_parse_cert(der, der_len, &ci) == MOD_PARSE_OK) {
		check(strlen(ci.cn) <= 64);
		(void)mod_parse_spki_to_piv(ci.spki, ci.spki_len, &alg, spki_pub, sizeof(spki_pub),
		                            &spki_pub_len);
		mod_parse_cert_info_free(&ci);
	}
	/* what the module would write for it reads back as the same certificate */
	if (der_len > 65535)
		return;
	check(mod_parse_cert_container_build(der, der_len, &rebuilt, &rebuilt_len) == MOD_PARSE_OK);
	{
		const uint8_t *again = NULL;
		size_t again_len = 0;

		check(mod_parse_cert_container(rebuilt, rebuilt_len, &again, &again_len) ==
		      MOD_PARSE_OK);
		check(again_len == der_len && memcmp(again, der, der_len) == 0);
	}
	free(rebuilt);
}

static void fuzz_pubkey(const uint8_t *buf, size_t size)
{
	card_pubkey pk;

	if (size < 1)
		return;
	if (card_pubkey_parse(buf[0], buf + 1, size - 1, &pk))
		use_pubkey(&pk, buf + 1, size - 1);
}

static void fuzz_spki_and_params(const uint8_t *buf, size_t size)
{
	uint8_t out[1024], alg = 0;
	size_t out_len = 0, oid_len = 0;
	card_pubkey pk;

	if (mod_parse_spki_to_piv(buf, size, &alg, out, sizeof(out), &out_len) == MOD_PARSE_OK) {
		check(out_len <= sizeof(out));
		check(card_pubkey_parse(alg, out, out_len, &pk));
	}
	if (mod_parse_ec_params(buf, size, &alg) == MOD_PARSE_OK)
		check(mod_parse_ec_params_der(alg, &oid_len) != NULL && oid_len > 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *buf;
	uint8_t *copy;

	if (size < 1)
		return 0;
	/* an exact-size copy, so ASan sees a read one byte past the end */
	copy = malloc(size - 1 ? size - 1 : 1);
	check(copy != NULL);
	memcpy(copy, data + 1, size - 1);
	buf = copy;
	switch (data[0] % 5) {
	case 0:
		fuzz_inventory(buf, size - 1);
		fuzz_chuid(buf, size - 1);
		break;
	case 1: fuzz_metadata(buf, size - 1); break;
	case 2: fuzz_container(buf, size - 1); break;
	case 3: fuzz_pubkey(buf, size - 1); break;
	default: fuzz_spki_and_params(buf, size - 1); break;
	}
	free(copy);
	return 0;
}
