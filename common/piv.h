/* PIV (NIST SP 800-73-4) and YubiKey-compatible extension constants, shared by the
 * token firmware and the module. */
#ifndef KINKO_PIV_H
#define KINKO_PIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static const uint8_t PIV_AID[] = {0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00};
#define PIV_AID_PREFIX_LEN 9u /* A0 00 00 03 08 00 00 10 00 selects too */

/* Instructions */
#define PIV_INS_SELECT 0xA4
#define PIV_INS_GET_DATA 0xCB
#define PIV_INS_PUT_DATA 0xDB
#define PIV_INS_VERIFY 0x20
#define PIV_INS_CHANGE_REFERENCE 0x24
#define PIV_INS_RESET_RETRY 0x2C
#define PIV_INS_GENERAL_AUTH 0x87
#define PIV_INS_GENERATE_KEY 0x47
#define PIV_INS_GET_RESPONSE 0xC0
/* YubiKey-compatible extensions */
#define PIV_INS_GET_VERSION 0xFD
#define PIV_INS_GET_SERIAL 0xF8
#define PIV_INS_GET_METADATA 0xF7
#define PIV_INS_ATTEST 0xF9
#define PIV_INS_MOVE_KEY 0xF6 /* YubiKey 5.7: P1 destination (FF deletes), P2 source */
#define PIV_MOVE_KEY_DELETE 0xFF

/* Status words */
#define SW_OK 0x9000
#define SW_BYTES_REMAINING(n) (0x6100 | ((n)&0xFF))
#define SW_VERIFY_FAIL(tries) (0x63C0 | ((tries)&0x0F))
#define SW_MEMORY_FAILURE 0x6581
#define SW_WRONG_LENGTH 0x6700
#define SW_LAST_CMD_EXPECTED 0x6883
#define SW_SECURITY_NOT_SATISFIED 0x6982
#define SW_AUTH_BLOCKED 0x6983
#define SW_CONDITIONS_NOT_SATISFIED 0x6985
#define SW_WRONG_DATA 0x6A80
#define SW_FUNC_NOT_SUPPORTED 0x6A81
#define SW_FILE_NOT_FOUND 0x6A82
#define SW_NOT_ENOUGH_MEMORY 0x6A84
#define SW_INCORRECT_P1P2 0x6A86
#define SW_REF_NOT_FOUND 0x6A88
#define SW_WRONG_LE(n) (0x6C00 | ((n)&0xFF))
#define SW_INS_NOT_SUPPORTED 0x6D00
#define SW_CLA_NOT_SUPPORTED 0x6E00
#define SW_UNKNOWN 0x6F00

/* Key references */
#define PIV_KEY_AUTH 0x9A
#define PIV_KEY_CARDMGMT 0x9B
#define PIV_KEY_SIGN 0x9C
#define PIV_KEY_KEYMGMT 0x9D
#define PIV_KEY_CARDAUTH 0x9E
#define PIV_KEY_RETIRED1 0x82
#define PIV_KEY_RETIRED20 0x95
#define PIV_KEY_ATTEST 0xF9
#define PIV_REF_PIN 0x80
#define PIV_REF_PUK 0x81

/* Algorithm identifiers */
#define PIV_ALG_3DES 0x03
#define PIV_ALG_AES128 0x08
#define PIV_ALG_AES192 0x0A
#define PIV_ALG_AES256 0x0C
#define PIV_ALG_RSA2048 0x07
#define PIV_ALG_RSA3072 0x05
#define PIV_ALG_ECCP256 0x11
#define PIV_ALG_ECCP384 0x14

/* Data object tags (GET DATA tag list 5C) */
#define PIV_TAG_DISCOVERY 0x7Eu
#define PIV_TAG_CHUID 0x5FC102u
#define PIV_TAG_CCC 0x5FC107u
#define PIV_TAG_KEY_HISTORY 0x5FC10Cu
#define PIV_TAG_PRINTED 0x5FC109u
#define PIV_TAG_SECURITY 0x5FC106u
#define PIV_TAG_CERT_9A 0x5FC105u
#define PIV_TAG_CERT_9C 0x5FC10Au
#define PIV_TAG_CERT_9D 0x5FC10Bu
#define PIV_TAG_CERT_9E 0x5FC101u
#define PIV_TAG_CERT_82 0x5FC10Du /* 82..95 are 5FC10D..5FC120 */
#define PIV_TAG_CERT_95 0x5FC120u
#define PIV_TAG_ADMIN_DATA 0x5FFF00u  /* YubiKey: PIN-protected management key flags */
#define PIV_TAG_ATTESTATION 0x5FFF01u /* YubiKey: the F9 certificate, 70 cert 71 01 00 FE 00 */

/* ATTEST (00 F9 <slot> 00) answers an X.509 certificate of the slot's generated key, signed
 * by the token's attestation key F9. Its extensions (README, "Attestation"): on kinko's
 * token under kinko's arc, DER values (INTEGER serial, OCTET STRING of 3 version bytes,
 * ENUMERATED PIN policy, touch policy and origin, numbered as in GET METADATA); on the
 * yubikey profile Yubico's, raw bytes as a YubiKey 5 writes them. */
#define PIV_ATTEST_OID_KINKO_ARC "1.3.6.1.4.1.32473.1"
#define PIV_ATTEST_OID_KINKO_SERIAL "1.3.6.1.4.1.32473.1.1"
#define PIV_ATTEST_OID_KINKO_FIRMWARE "1.3.6.1.4.1.32473.1.2"
#define PIV_ATTEST_OID_KINKO_PIN_POLICY "1.3.6.1.4.1.32473.1.3"
#define PIV_ATTEST_OID_KINKO_TOUCH_POLICY "1.3.6.1.4.1.32473.1.4"
#define PIV_ATTEST_OID_KINKO_ORIGIN "1.3.6.1.4.1.32473.1.5"
#define PIV_ATTEST_OID_YUBICO_FIRMWARE "1.3.6.1.4.1.41482.3.3"
#define PIV_ATTEST_OID_YUBICO_SERIAL "1.3.6.1.4.1.41482.3.7"
#define PIV_ATTEST_OID_YUBICO_POLICY "1.3.6.1.4.1.41482.3.8"
#define PIV_ATTEST_OID_YUBICO_FORM_FACTOR "1.3.6.1.4.1.41482.3.9"

/* TLV tags inside commands and objects */
#define PIV_TLV_TAG_LIST 0x5C
#define PIV_TLV_DATA 0x53
#define PIV_TLV_CERT 0x70
#define PIV_TLV_CERTINFO 0x71
#define PIV_TLV_LRC 0xFE
#define PIV_TLV_DYN_AUTH 0x7C
#define PIV_TLV_WITNESS 0x80
#define PIV_TLV_CHALLENGE 0x81
#define PIV_TLV_RESPONSE 0x82
#define PIV_TLV_EXPONENTIATION 0x85
#define PIV_TLV_GEN_TEMPLATE 0xAC
#define PIV_TLV_PUBKEY 0x7F49
#define PIV_TLV_RSA_N 0x81
#define PIV_TLV_RSA_E 0x82
#define PIV_TLV_EC_POINT 0x86
#define PIV_TLV_ADMIN_FLAGS 0x80 /* in ADMIN DATA: 80 { 81 bitfield } */
#define PIV_TLV_ADMIN_BITS 0x81
#define PIV_ADMIN_MGMT_PROTECTED 0x02
#define PIV_TLV_PRINTED_MGMT 0x88 /* in PRINTED: 88 { 89 key } */
#define PIV_TLV_PRINTED_MGMTKEY 0x89

/* GET METADATA response tags */
#define PIV_META_ALGORITHM 0x01
#define PIV_META_POLICY 0x02 /* PIN policy, touch policy */
#define PIV_META_ORIGIN 0x03
#define PIV_META_PUBKEY 0x04
#define PIV_META_IS_DEFAULT 0x05
#define PIV_META_RETRIES 0x06 /* total, remaining */

/* INVENTORY, a kinko extension: GET METADATA of reference 00 (00 F7 00 00) answers what
 * the token holds in one short exchange (see README, "kinko extensions"):
 *   F8 04 serial | 06 02 PIN max, left | 07 02 PUK max, left | 05 01 PIN is default
 *   | C0 04 change counter | per key: E0 { 80 ref, 01 alg, 02 PIN+touch policy, 03 origin }
 *   | E1 { 5C tag ... one per data object present } */
#define PIV_REF_INVENTORY 0x00
#define PIV_INV_SERIAL 0xF8
#define PIV_INV_PIN_TRIES 0x06
#define PIV_INV_PUK_TRIES 0x07
#define PIV_INV_PIN_DEFAULT 0x05
#define PIV_INV_COUNTER 0xC0
#define PIV_INV_KEY 0xE0
#define PIV_INV_KEY_REF 0x80
#define PIV_INV_OBJECTS 0xE1

#define PIV_ORIGIN_GENERATED 0x01
#define PIV_ORIGIN_IMPORTED 0x02
#define PIV_PIN_POLICY_DEFAULT 0x00
#define PIV_PIN_POLICY_NEVER 0x01
#define PIV_PIN_POLICY_ONCE 0x02
#define PIV_PIN_POLICY_ALWAYS 0x03
#define PIV_TOUCH_POLICY_NEVER 0x01

#define PIV_PIN_MIN 6u
#define PIV_PIN_MAX 8u
#define PIV_PIN_PAD 0xFF

/* The 24 asymmetric key slots in a fixed order: 9A 9C 9D 9E 82..95. */
#define PIV_KEY_SLOTS 24u

/* Index of a key reference in that order, or -1. */
static inline int piv_key_slot_index(uint8_t ref)
{
	switch (ref) {
	case PIV_KEY_AUTH: return 0;
	case PIV_KEY_SIGN: return 1;
	case PIV_KEY_KEYMGMT: return 2;
	case PIV_KEY_CARDAUTH: return 3;
	default:
		if (ref >= PIV_KEY_RETIRED1 && ref <= PIV_KEY_RETIRED20)
			return 4 + (ref - PIV_KEY_RETIRED1);
		return -1;
	}
}

static inline uint8_t piv_key_slot_ref(unsigned idx)
{
	static const uint8_t first[4] = {PIV_KEY_AUTH, PIV_KEY_SIGN, PIV_KEY_KEYMGMT,
	                                 PIV_KEY_CARDAUTH};
	if (idx < 4)
		return first[idx];
	return idx < PIV_KEY_SLOTS ? (uint8_t)(PIV_KEY_RETIRED1 + (idx - 4)) : 0;
}

/* The asymmetric algorithms a key slot can hold, and their sizes: the module, the CLI's
 * checks and the firmware all read them from here. */
static inline bool piv_alg_is_rsa(uint8_t alg)
{
	return alg == PIV_ALG_RSA2048 || alg == PIV_ALG_RSA3072;
}

static inline bool piv_alg_is_ec(uint8_t alg)
{
	return alg == PIV_ALG_ECCP256 || alg == PIV_ALG_ECCP384;
}

/* RSA modulus or EC field size in bytes; 0 for anything that is not a slot's key. */
static inline size_t piv_alg_bytes(uint8_t alg)
{
	switch (alg) {
	case PIV_ALG_RSA2048: return 256;
	case PIV_ALG_RSA3072: return 384;
	case PIV_ALG_ECCP256: return 32;
	case PIV_ALG_ECCP384: return 48;
	default: return 0;
	}
}

/* OpenSSL's group name of an EC algorithm, or NULL. */
static inline const char *piv_alg_curve(uint8_t alg)
{
	switch (alg) {
	case PIV_ALG_ECCP256: return "P-256";
	case PIV_ALG_ECCP384: return "P-384";
	default: return NULL;
	}
}

/* The management key (9B) algorithms: OpenSSL's name of the cipher in ECB mode, its block
 * size and its key length; NULL or 0 for any other algorithm. */
static inline const char *piv_alg_mgmt_cipher(uint8_t alg)
{
	switch (alg) {
	case PIV_ALG_3DES: return "DES-EDE3-ECB";
	case PIV_ALG_AES128: return "AES-128-ECB";
	case PIV_ALG_AES192: return "AES-192-ECB";
	case PIV_ALG_AES256: return "AES-256-ECB";
	default: return NULL;
	}
}

static inline size_t piv_alg_mgmt_block(uint8_t alg)
{
	if (alg == PIV_ALG_3DES)
		return 8;
	return piv_alg_mgmt_cipher(alg) != NULL ? 16 : 0;
}

static inline size_t piv_alg_mgmt_key_len(uint8_t alg)
{
	switch (alg) {
	case PIV_ALG_3DES: return 24;
	case PIV_ALG_AES128: return 16;
	case PIV_ALG_AES192: return 24;
	case PIV_ALG_AES256: return 32;
	default: return 0;
	}
}

/* Certificate container tag for a key reference, or 0. */
static inline uint32_t piv_cert_tag(uint8_t ref)
{
	switch (ref) {
	case PIV_KEY_AUTH: return PIV_TAG_CERT_9A;
	case PIV_KEY_SIGN: return PIV_TAG_CERT_9C;
	case PIV_KEY_KEYMGMT: return PIV_TAG_CERT_9D;
	case PIV_KEY_CARDAUTH: return PIV_TAG_CERT_9E;
	default:
		if (ref >= PIV_KEY_RETIRED1 && ref <= PIV_KEY_RETIRED20)
			return PIV_TAG_CERT_82 + (uint32_t)(ref - PIV_KEY_RETIRED1);
		return 0;
	}
}

#endif
