/* Fixture for applet unit tests: a provisioned token in RAM and helpers that speak APDUs
 * to it. Host-side cryptography (the 9B handshake) uses OpenSSL EVP directly, never the
 * firmware's own primitives, so a bug there cannot hide itself. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <unistd.h>

#include "piv.h"
#include "tmpdir_test_util.h"
#include "tlv.h"
#include "piv_test_util.h"

static const char select_piv_hex[] = "00A40400 0B A0 00 00 03 08 00 00 10 00 01 00";

int piv_fixture_setup_with(void **state, const tok_provision_opts *opts, bool select)
{
	tok_provision_opts defaults;
	piv_fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	f->row = *state;
	memset(&defaults, 0, sizeof(defaults));
	tok_state_init(&f->st);
	if (tok_state_provision(&f->st, opts != NULL ? opts : &defaults) != 0)
		goto fail;
	f->applet = piv_applet_new(&f->st, NULL);
	if (f->applet == NULL)
		goto fail;
	if (select && piv_tx(f, select_piv_hex) != SW_OK)
		goto fail;
	*state = f;
	return 0;
fail:
	if (f->applet != NULL)
		piv_applet_free(f->applet);
	tok_state_free(&f->st);
	free(f);
	return -1;
}

int piv_fixture_setup(void **state)
{
	return piv_fixture_setup_with(state, NULL, true);
}

int piv_fixture_setup_unselected(void **state)
{
	return piv_fixture_setup_with(state, NULL, false);
}

int piv_fixture_teardown(void **state)
{
	piv_fixture *f = *state;

	if (f == NULL)
		return 0;
	piv_applet_free(f->applet);
	tok_state_free(&f->st);
	OPENSSL_cleanse(f->resp, sizeof(f->resp));
	free(f);
	*state = NULL;
	return 0;
}

void piv_tmp_state_make(piv_tmp_state *t)
{
	assert_int_equal(tkit_tmpdir_make(t->dir, sizeof(t->dir), "piv"), 0);
	snprintf(t->path, sizeof(t->path), "%s/token.state", t->dir);
}

void piv_tmp_state_remove(piv_tmp_state *t)
{
	char tmp[sizeof(t->path) + 8];

	snprintf(tmp, sizeof(tmp), "%s.tmp", t->path);
	(void)unlink(tmp);
	(void)unlink(t->path);
	assert_int_equal(rmdir(t->dir), 0);
}

void piv_fixture_save_to(piv_fixture *f, const char *path, bool mgmt)
{
	piv_applet_free(f->applet);
	f->applet = piv_applet_new(&f->st, path);
	assert_non_null(f->applet);
	assert_int_equal(piv_tx(f, select_piv_hex), SW_OK);
	if (mgmt)
		piv_test_auth_default_mgmt(f);
}

size_t piv_hex_decode(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *hex != '\0'; hex++) {
		int v;

		if (*hex == ' ' || *hex == '\n' || *hex == '\t')
			continue;
		v = OPENSSL_hexchar2int((unsigned char)*hex);
		if (v < 0)
			fail_msg("bad hex digit '%c' in test vector", *hex);
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= cap)
			fail_msg("hex test vector longer than %zu bytes", cap);
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0)
		fail_msg("odd number of hex digits in test vector");
	return n;
}

uint16_t piv_tx_bytes(piv_fixture *f, const uint8_t *apdu, size_t len)
{
	/* The applet writes data+SW straight into f->resp, then the SW is split off. */
	size_t n = piv_applet_process(f->applet, apdu, len, f->resp, sizeof(f->resp));

	assert_true(n >= 2 && n <= sizeof(f->resp));
	f->resp_len = n - 2;
	f->sw = (uint16_t)(f->resp[n - 2] << 8 | f->resp[n - 1]);
	return f->sw;
}

uint16_t piv_tx(piv_fixture *f, const char *hex)
{
	uint8_t *apdu = malloc(APDU_MAX_COMMAND);
	size_t len;
	uint16_t sw;

	assert_non_null(apdu);
	len = piv_hex_decode(hex, apdu, APDU_MAX_COMMAND);
	sw = piv_tx_bytes(f, apdu, len);
	free(apdu);
	return sw;
}

uint16_t piv_send(piv_fixture *f, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2,
                  const uint8_t *data, size_t lc, size_t le, bool ext)
{
	apdu_cmd cmd = {
		.cla = cla,
		.ins = ins,
		.p1 = p1,
		.p2 = p2,
		.data = lc > 0 ? data : NULL,
		.lc = lc,
		.le = le,
		.has_le = le > 0,
		.extended = ext,
	};
	uint8_t *apdu = malloc(APDU_MAX_COMMAND);
	size_t len = 0;
	uint16_t sw;

	assert_non_null(apdu);
	assert_int_equal(apdu_cmd_encode(&cmd, apdu, APDU_MAX_COMMAND, &len), APDU_OK);
	sw = piv_tx_bytes(f, apdu, len);
	OPENSSL_cleanse(apdu, len);
	free(apdu);
	return sw;
}

/* apdu_transceive's transport: straight into the applet. The applet wants a full-size
 * response buffer, so answer into a scratch one and copy. */
static int fixture_transmit(void *ctx, const uint8_t *cmd, size_t cmd_len, uint8_t *resp,
                            size_t resp_cap, size_t *resp_len)
{
	piv_fixture *f = ctx;
	uint8_t *scratch = malloc(APDU_MAX_RESPONSE);
	size_t n;

	if (scratch == NULL)
		return -1;
	n = piv_applet_process(f->applet, cmd, cmd_len, scratch, APDU_MAX_RESPONSE);
	if (n < 2 || n > resp_cap) {
		free(scratch);
		return -1;
	}
	memcpy(resp, scratch, n);
	*resp_len = n;
	OPENSSL_cleanse(scratch, n);
	free(scratch);
	return 0;
}

uint16_t piv_send_all(piv_fixture *f, uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *data,
                      size_t lc, bool ext)
{
	apdu_channel ch = {.transmit = fixture_transmit, .ctx = f, .use_extended = ext};
	apdu_cmd cmd = {
		.cla = 0x00,
		.ins = ins,
		.p1 = p1,
		.p2 = p2,
		.data = lc > 0 ? data : NULL,
		.lc = lc,
		.le = ext ? APDU_EXT_MAX_LE : APDU_SHORT_MAX_LE,
		.has_le = true,
		.extended = ext,
	};
	size_t out_len = 0;
	uint16_t sw = 0;

	assert_int_equal(apdu_transceive(&ch, &cmd, f->resp, sizeof(f->resp), &out_len, &sw), 0);
	f->resp_len = out_len;
	f->sw = sw;
	return sw;
}

void piv_test_each_answers(piv_fixture *f, uint16_t sw, const char *const *apdus)
{
	for (; *apdus != NULL; apdus++) {
		uint16_t got = piv_tx(f, *apdus);

		if (got != sw || f->resp_len != 0)
			fail_msg("'%s' gave %04x with %zu bytes, not %04x alone", *apdus, got,
			         f->resp_len, sw);
	}
}

void piv_test_script(piv_fixture *f, const piv_exchange *steps, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint16_t got = piv_tx(f, steps[i].apdu);

		if (got != steps[i].sw)
			fail_msg("step %zu, '%s', gave %04x, not %04x", i + 1, steps[i].apdu, got,
			         steps[i].sw);
	}
}

void piv_test_each_unsaved(piv_fixture *f, const char *const *apdus)
{
	uint32_t counter = f->st.change_counter;

	piv_fixture_save_to(f, PIV_TEST_UNSAVABLE, true);
	piv_test_each_answers(f, SW_MEMORY_FAILURE, apdus);
	assert_int_equal(f->st.change_counter, counter);
}

void piv_test_verify_pin(piv_fixture *f, const char *pin)
{
	uint8_t padded[PIV_PIN_MAX];
	size_t n = strlen(pin);

	assert_true(n <= PIV_PIN_MAX);
	memset(padded, PIV_PIN_PAD, sizeof(padded));
	memcpy(padded, pin, n);
	assert_int_equal(piv_send(f, 0x00, PIV_INS_VERIFY, 0x00, PIV_REF_PIN, padded,
	                          sizeof(padded), 0, false),
	                 SW_OK);
	OPENSSL_cleanse(padded, sizeof(padded));
}

/* One ECB block of the management key cipher through EVP, no padding; returns the block
 * size. */
size_t piv_test_mgmt_block(uint8_t alg, const uint8_t *key, size_t key_len, int enc,
                           const uint8_t *in, uint8_t *out)
{
	const char *name = piv_alg_mgmt_cipher(alg);
	size_t block = piv_alg_mgmt_block(alg);
	EVP_CIPHER *c;
	EVP_CIPHER_CTX *ctx;
	int n = 0, fin = 0;

	if (name == NULL || key_len != piv_alg_mgmt_key_len(alg))
		fail_msg("unsupported management key algorithm %02x / length %zu", alg, key_len);
	c = EVP_CIPHER_fetch(NULL, name, NULL);
	ctx = EVP_CIPHER_CTX_new();
	assert_non_null(c);
	assert_non_null(ctx);
	assert_int_equal(EVP_CipherInit_ex2(ctx, c, key, NULL, enc, NULL), 1);
	assert_int_equal(EVP_CIPHER_CTX_set_padding(ctx, 0), 1);
	assert_int_equal(EVP_CipherUpdate(ctx, out, &n, in, (int)block), 1);
	assert_int_equal(EVP_CipherFinal_ex(ctx, out + n, &fin), 1);
	assert_int_equal((size_t)(n + fin), block);
	EVP_CIPHER_CTX_free(ctx);
	EVP_CIPHER_free(c);
	return block;
}

void piv_test_dyn_auth_item(const piv_fixture *f, uint32_t tag, const uint8_t **value, size_t *len)
{
	tlv_item outer, item;

	assert_int_equal(tlv_parse(f->resp, f->resp_len, &outer), TLV_OK);
	assert_int_equal(outer.tag, PIV_TLV_DYN_AUTH);
	assert_int_equal(outer.header_len + outer.len, f->resp_len);
	assert_int_equal(tlv_parse(outer.value, outer.len, &item), TLV_OK);
	assert_int_equal(item.tag, tag);
	assert_int_equal(item.header_len + item.len, outer.len);
	*value = item.value;
	*len = item.len;
}

void piv_test_auth_mgmt(piv_fixture *f, uint8_t alg, const uint8_t *key, size_t key_len)
{
	static const uint8_t ask_witness[] = {PIV_TLV_DYN_AUTH, 0x02, PIV_TLV_WITNESS, 0x00};
	uint8_t witness[16], challenge[16], expect[16], req[4 + 2 * 18];
	tlv_writer w;
	const uint8_t *v;
	size_t mark, vlen, block;

	assert_int_equal(piv_send(f, 0x00, PIV_INS_GENERAL_AUTH, alg, PIV_KEY_CARDMGMT, ask_witness,
	                          sizeof(ask_witness), 256, false),
	                 SW_OK);
	piv_test_dyn_auth_item(f, PIV_TLV_WITNESS, &v, &vlen);
	block = piv_test_mgmt_block(alg, key, key_len, 0, v, witness);
	assert_int_equal(vlen, block);

	assert_int_equal(RAND_bytes(challenge, (int)block), 1);
	tlv_writer_init(&w, req, sizeof(req));
	mark = tlv_begin(&w, PIV_TLV_DYN_AUTH);
	tlv_put(&w, PIV_TLV_WITNESS, witness, block);
	tlv_put(&w, PIV_TLV_CHALLENGE, challenge, block);
	tlv_end(&w, mark);
	assert_int_equal(tlv_writer_status(&w), TLV_OK);
	assert_int_equal(piv_send(f, 0x00, PIV_INS_GENERAL_AUTH, alg, PIV_KEY_CARDMGMT, req, w.len,
	                          256, false),
	                 SW_OK);

	piv_test_dyn_auth_item(f, PIV_TLV_RESPONSE, &v, &vlen);
	assert_int_equal(vlen, block);
	piv_test_mgmt_block(alg, key, key_len, 1, challenge, expect);
	assert_memory_equal(v, expect, block);

	OPENSSL_cleanse(witness, sizeof(witness));
	OPENSSL_cleanse(req, sizeof(req));
}

void piv_test_auth_default_mgmt(piv_fixture *f)
{
	piv_test_auth_mgmt(f, PIV_ALG_3DES, TOK_DEFAULT_MGMT_KEY, sizeof(TOK_DEFAULT_MGMT_KEY));
}
