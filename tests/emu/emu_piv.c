/* Test helpers for the emulator, PIV side: APDUs over XfrBlock through the common
 * apdu_transceive, VERIFY, CHANGE REFERENCE, 9B mutual authentication (OpenSSL EVP). */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "emu_client.h"
#include "piv.h"
#include "tlv.h"

int emu_transmit(void *ctx, const uint8_t *cmd, size_t cmd_len, uint8_t *resp, size_t resp_cap,
                 size_t *resp_len)
{
	emu_conn *c = ctx;
	ccid_header h;

	if (emu_exchange(c, CCID_PC_TO_RDR_XFR_BLOCK, 0, cmd, cmd_len, &h, resp, resp_cap,
	                 resp_len) != 0)
		return -EIO;
	if (h.type != CCID_RDR_TO_PC_DATA_BLOCK || h.param[0] != 0)
		return -EIO;
	return 0;
}

uint16_t emu_apdu(emu_conn *c, uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *data, size_t lc,
                  bool ext, uint8_t *out, size_t cap, size_t *out_len)
{
	uint8_t scratch[APDU_SHORT_MAX_LE];
	apdu_cmd cmd;
	size_t n;
	uint16_t sw;

	memset(&cmd, 0, sizeof(cmd));
	cmd.ins = ins;
	cmd.p1 = p1;
	cmd.p2 = p2;
	cmd.data = lc ? data : NULL;
	cmd.lc = lc;
	cmd.extended = ext;
	/* Le only when the caller wants data back: a strict card may refuse Le elsewhere. */
	if (out && cap) {
		cmd.has_le = true;
		cmd.le = ext ? APDU_EXT_MAX_LE : APDU_SHORT_MAX_LE;
	} else {
		out = scratch;
		cap = sizeof(scratch);
	}
	c->ch.use_extended = ext;
	if (apdu_transceive(&c->ch, &cmd, out, cap, &n, &sw) != 0)
		return 0;
	if (out_len)
		*out_len = n;
	return sw;
}

uint16_t emu_select(emu_conn *c)
{
	uint8_t out[256];

	return emu_apdu(c, PIV_INS_SELECT, 0x04, 0x00, PIV_AID, sizeof(PIV_AID), false, out,
	                sizeof(out), NULL);
}

uint16_t emu_verify(emu_conn *c, const char *pin)
{
	uint8_t padded[PIV_PIN_MAX];
	size_t n;
	uint16_t sw;

	if (!pin)
		return emu_apdu(c, PIV_INS_VERIFY, 0x00, PIV_REF_PIN, NULL, 0, false, NULL, 0,
		                NULL);
	n = strlen(pin);
	if (n > PIV_PIN_MAX)
		return 0;
	memset(padded, PIV_PIN_PAD, sizeof(padded));
	memcpy(padded, pin, n);
	sw = emu_apdu(c, PIV_INS_VERIFY, 0x00, PIV_REF_PIN, padded, sizeof(padded), false, NULL, 0,
	              NULL);
	OPENSSL_cleanse(padded, sizeof(padded));
	return sw;
}

/* One block with the management key (ECB, no padding). */
static int emu_block(uint8_t alg, const uint8_t *key, size_t key_len, int enc, const uint8_t *in,
                     size_t len, uint8_t *out)
{
	const char *name = piv_alg_mgmt_cipher(alg);
	EVP_CIPHER *ciph = name ? EVP_CIPHER_fetch(NULL, name, NULL) : NULL;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, r = -1;

	if (ciph && ctx && (size_t)EVP_CIPHER_get_key_length(ciph) == key_len &&
	    EVP_CipherInit_ex2(ctx, ciph, key, NULL, enc, NULL) == 1 &&
	    EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
	    EVP_CipherUpdate(ctx, out, &n, in, (int)len) == 1 && (size_t)n == len)
		r = 0;
	EVP_CIPHER_CTX_free(ctx);
	EVP_CIPHER_free(ciph);
	return r;
}

int emu_auth_mgmt_p1(emu_conn *c, uint8_t p1, uint8_t alg, const uint8_t *key, size_t key_len)
{
	static const uint8_t ask[] = {0x7C, 0x02, 0x80, 0x00};
	uint8_t out[64], cmd[64], plain[16], chal[16], expect[16];
	size_t bs = alg == PIV_ALG_3DES ? 8 : 16, n = 0;
	tlv_item outer, item;
	int r = -1;

	if (emu_apdu(c, PIV_INS_GENERAL_AUTH, p1, PIV_KEY_CARDMGMT, ask, sizeof(ask), false, out,
	             sizeof(out), &n) != SW_OK)
		return -1;
	if (tlv_parse(out, n, &outer) != TLV_OK || outer.tag != PIV_TLV_DYN_AUTH ||
	    tlv_find(outer.value, outer.len, PIV_TLV_WITNESS, &item) != TLV_OK || item.len != bs)
		return -1;
	if (emu_block(alg, key, key_len, 0, item.value, bs, plain) != 0 ||
	    RAND_bytes(chal, (int)bs) != 1 ||
	    emu_block(alg, key, key_len, 1, chal, bs, expect) != 0)
		goto out;
	cmd[0] = PIV_TLV_DYN_AUTH;
	cmd[1] = (uint8_t)(4 + 2 * bs);
	cmd[2] = PIV_TLV_WITNESS;
	cmd[3] = (uint8_t)bs;
	memcpy(cmd + 4, plain, bs);
	cmd[4 + bs] = PIV_TLV_CHALLENGE;
	cmd[5 + bs] = (uint8_t)bs;
	memcpy(cmd + 6 + bs, chal, bs);
	if (emu_apdu(c, PIV_INS_GENERAL_AUTH, p1, PIV_KEY_CARDMGMT, cmd, 6 + 2 * bs, false, out,
	             sizeof(out), &n) != SW_OK)
		goto out;
	if (tlv_parse(out, n, &outer) == TLV_OK && outer.tag == PIV_TLV_DYN_AUTH &&
	    tlv_find(outer.value, outer.len, PIV_TLV_RESPONSE, &item) == TLV_OK && item.len == bs &&
	    CRYPTO_memcmp(item.value, expect, bs) == 0)
		r = 0;
out:
	OPENSSL_cleanse(plain, sizeof(plain));
	OPENSSL_cleanse(cmd, sizeof(cmd));
	return r;
}

int emu_auth_mgmt(emu_conn *c, uint8_t alg, const uint8_t *key, size_t key_len)
{
	return emu_auth_mgmt_p1(c, alg, alg, key, key_len);
}

int emu_auth_default_mgmt(emu_conn *c)
{
	static const uint8_t key[24] = {1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4,
	                                5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8};

	return emu_auth_mgmt(c, PIV_ALG_3DES, key, sizeof(key));
}

int emu_pin_tries(emu_conn *c, unsigned *left, unsigned *total)
{
	uint8_t out[256];
	size_t n = 0;
	tlv_item item;

	if (emu_apdu(c, PIV_INS_GET_METADATA, 0x00, PIV_REF_PIN, NULL, 0, false, out, sizeof(out),
	             &n) != SW_OK)
		return -1;
	if (tlv_find(out, n, PIV_META_RETRIES, &item) != TLV_OK || item.len != 2)
		return -1;
	*total = item.value[0];
	*left = item.value[1];
	return 0;
}

uint16_t emu_change_pin(emu_conn *c, const char *old_pin, const char *new_pin)
{
	uint8_t data[2 * PIV_PIN_MAX];
	size_t lo = strlen(old_pin), ln = strlen(new_pin);
	uint16_t sw;

	if (lo > PIV_PIN_MAX || ln > PIV_PIN_MAX)
		return 0;
	memset(data, PIV_PIN_PAD, sizeof(data));
	memcpy(data, old_pin, lo);
	memcpy(data + PIV_PIN_MAX, new_pin, ln);
	sw = emu_apdu(c, PIV_INS_CHANGE_REFERENCE, 0x00, PIV_REF_PIN, data, sizeof(data), false,
	              NULL, 0, NULL);
	OPENSSL_cleanse(data, sizeof(data));
	return sw;
}
