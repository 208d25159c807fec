/* libFuzzer target for the PIV applet: a sequence of APDUs against a provisioned token.
 *
 * Input: one flags byte, then APDUs, each as a 2-byte big-endian length and its bytes
 * (a length of 0 is a power cycle, piv_applet_reset). Flags: bit 0 skips the SELECT
 * prelude (to reach the unselected paths), bit 1 starts with the PIN verified, bit 2
 * with the management key authenticated: states a host reaches with secrets the fuzzer
 * cannot guess (the handshake is randomised), set as VERIFY and GENERAL AUTHENTICATE
 * would set them.
 *
 * The token is provisioned once (PIN hashing and RSA key generation are slow), with a
 * random management key, keys in four slots and an attestation key (so ATTEST answers
 * certificates), and kept encoded; every run decodes its
 * own copy, so runs are independent. After every response: 2 <= length <=
 * APDU_MAX_RESPONSE, and the response holds neither the management key nor a PIN/PUK
 * hash nor any stored private key. Any violation aborts. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "apdu.h"
#include "piv.h"
#include "piv_applet.h"
#include "piv_crypto.h"
#include "piv_internal.h"
#include "token_attest.h"
#include "token_state.h"

#define FLAG_NO_SELECT 0x01
#define FLAG_PIN_VERIFIED 0x02
#define FLAG_MGMT_AUTH 0x04

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *template_buf;
static size_t template_len;
static uint8_t resp[APDU_MAX_RESPONSE];

static const uint8_t select_apdu[] = {0x00, 0xA4, 0x04, 0x00, 0x0B, 0xA0, 0x00, 0x00,
                                      0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00};

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void provision_key(tok_state *st, uint8_t ref, uint8_t alg, uint8_t policy)
{
	uint8_t pub[1024];
	tlv_writer w;
	uint8_t *der = NULL;
	size_t der_len = 0;

	tlv_writer_init(&w, pub, sizeof(pub));
	check(piv_crypto_generate(alg, &der, &der_len, &w) == 0);
	tok_key_set(&st->keys[piv_key_slot_index(ref)], alg, PIV_ORIGIN_GENERATED, policy, der,
	            der_len);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const uint8_t cert[] = {0x70, 0x03, 0x30, 0x01, 0x00, 0x71, 0x01, 0x00, 0xFE, 0x00};
	uint8_t key[24];
	tok_provision_opts o;
	tok_state st;
	X509 *ca;
	EVP_PKEY *ca_key;

	(void)argc;
	(void)argv;
	/* A random management key: the fuzzer cannot write it into an object and read it
	 * back, so finding it in a response means the applet leaked it. */
	check(RAND_bytes(key, sizeof(key)) == 1);
	memset(&o, 0, sizeof(o));
	o.mgmt_alg = PIV_ALG_3DES;
	o.mgmt_key = key;
	o.mgmt_key_len = sizeof(key);
	o.serial = 0x00C0FFEE;

	tok_state_init(&st);
	check(tok_state_provision(&st, &o) == 0);
	provision_key(&st, PIV_KEY_AUTH, PIV_ALG_ECCP256, PIV_PIN_POLICY_ONCE);
	provision_key(&st, PIV_KEY_SIGN, PIV_ALG_RSA2048, PIV_PIN_POLICY_ALWAYS);
	provision_key(&st, PIV_KEY_CARDAUTH, PIV_ALG_ECCP384, PIV_PIN_POLICY_NEVER);
	provision_key(&st, PIV_KEY_RETIRED1, PIV_ALG_ECCP256, PIV_PIN_POLICY_NEVER);
	check(tok_object_put(&st, PIV_TAG_CERT_9A, cert, sizeof(cert)) == 0);
	check(tok_attest_ca_make(&ca, &ca_key) == 0);
	check(tok_attest_provision(&st, ca, ca_key) == 0);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	check(tok_state_encode(&st, &template_buf, &template_len) == 0);
	tok_state_free(&st);
	return 0;
}

static void check_secret_absent(const uint8_t *r, size_t n, const uint8_t *secret, size_t len)
{
	if (len > 0 && secret != NULL)
		check(memmem(r, n, secret, len) == NULL);
}

static void check_response(const tok_state *st, size_t n)
{
	size_t i;

	check(n >= 2 && n <= sizeof(resp));
	/* Each 8-byte third of the 3DES key on its own too. */
	for (i = 0; i + 8 <= st->mgmt_key_len; i += 8)
		check_secret_absent(resp, n, st->mgmt_key + i, 8);
	check_secret_absent(resp, n, st->pin.hash, sizeof(st->pin.hash));
	check_secret_absent(resp, n, st->puk.hash, sizeof(st->puk.hash));
	for (i = 0; i < PIV_KEY_SLOTS; i++)
		check_secret_absent(resp, n, st->keys[i].priv_der, st->keys[i].priv_len);
	check_secret_absent(resp, n, st->attest.priv_der, st->attest.priv_len);
}

static void run(piv_applet *a, const tok_state *st, const uint8_t *apdu, size_t len)
{
	check_response(st, piv_applet_process(a, apdu, len, resp, sizeof(resp)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tok_state st;
	piv_applet *a;
	uint8_t flags;

	if (size < 1)
		return 0;
	flags = data[0];
	data++;
	size--;

	tok_state_init(&st);
	check(tok_state_decode(&st, template_buf, template_len) == 0);
	a = piv_applet_new(&st, NULL);
	check(a != NULL);

	if (!(flags & FLAG_NO_SELECT))
		run(a, &st, select_apdu, sizeof(select_apdu));
	if (flags & FLAG_PIN_VERIFIED) {
		a->pin_verified = true;
		a->pin_always_ok = true;
	}
	if (flags & FLAG_MGMT_AUTH)
		a->mgmt_authenticated = true;

	while (size >= 2) {
		size_t len = (size_t)data[0] << 8 | data[1];

		data += 2;
		size -= 2;
		if (len == 0) {
			piv_applet_reset(a);
			continue;
		}
		if (len > size)
			len = size;
		run(a, &st, data, len);
		data += len;
		size -= len;
	}

	piv_applet_free(a);
	tok_state_free(&st);
	return 0;
}
