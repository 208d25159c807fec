/* kinko's PKCS#11 vendor extensions (libkinko-pkcs11.so). Include after a pkcs11.h.
 *
 * PIN counters: the token knows how many tries of its PIN and PUK are left; PKCS#11 only has
 * the CKF_*_PIN_COUNT_LOW / _FINAL_TRY / _LOCKED flags. kinko's module shows the exact counts
 * on one hardware feature object per token:
 *   CKA_CLASS CKO_HW_FEATURE, CKA_HW_FEATURE_TYPE CKH_KINKO_PIN_COUNTERS,
 *   CKA_KINKO_PIN_TRIES_LEFT, CKA_KINKO_PIN_TRIES_MAX, CKA_KINKO_PUK_TRIES_LEFT,
 *   CKA_KINKO_PUK_TRIES_MAX: CK_ULONG each.
 * It is readable without a login (CKA_PRIVATE FALSE), read-only, and, as PKCS#11 wants for
 * hardware feature objects, found only by a search whose template has CKA_CLASS
 * CKO_HW_FEATURE. Other modules have no such object: use the flags there.
 *
 * Key objects and PIV key slots: each key slot holding a key shows a private key, a public
 * key and, when its container holds one, a certificate, all with the slot's CKA_ID: one byte,
 * KINKO_CKA_ID_* below (README, "Key objects and PIV slots", has the table). C_GenerateKeyPair
 * puts the key in the slot of the template's CKA_ID, which must hold no key; without a CKA_ID
 * in the first free slot of 9A, then 82..95 in order (kinko_cka_id_generated says which);
 * CKR_DEVICE_MEMORY when none is free.
 *
 * Moving a key: C_SetAttributeValue of CKA_ID on a private key moves the key and its
 * certificate to the PIV slot of the new CKA_ID (see README, "The PKCS#11 module"). */
#ifndef KINKO_PKCS11_H
#define KINKO_PKCS11_H

/* 0x4B4E is "KN". */
#define CKH_KINKO_PIN_COUNTERS (0x80000000UL | 0x4B4E0001UL) /* CKH_VENDOR_DEFINED | … */

#define CKA_KINKO_PIN_TRIES_LEFT (0x80000000UL | 0x4B4E0001UL) /* CKA_VENDOR_DEFINED | … */
#define CKA_KINKO_PIN_TRIES_MAX (0x80000000UL | 0x4B4E0002UL)
#define CKA_KINKO_PUK_TRIES_LEFT (0x80000000UL | 0x4B4E0003UL)
#define CKA_KINKO_PUK_TRIES_MAX (0x80000000UL | 0x4B4E0004UL)

/* The attestation of a key generated on the token, on its private and its public key: the
 * DER X.509 certificate the token's ATTEST (00 F9 <slot> 00) answers, signed by the
 * token's attestation key, whose certificate is the CKO_CERTIFICATE object with CKA_ID
 * { KINKO_CKA_ID_ATTESTATION } (CKA_LABEL "PIV Attestation", CKA_CERTIFICATE_CATEGORY 2).
 * Read from the token at each read (a length query's answer is kept for the read after
 * it). A key the token cannot attest (imported, a token without attestation key or
 * without ATTEST): CKR_ATTRIBUTE_TYPE_INVALID and ulValueLen CK_UNAVAILABLE_INFORMATION,
 * as for an attribute the object does not have; SoftHSM2 and other modules answer the
 * same, so a caller reads either as "no attestation". */
#define CKA_KINKO_ATTESTATION (0x80000000UL | 0x4B4E0010UL)
/* CKA_ID of the token's attestation certificate (the PIV slot F9); no key object has it. */
#define KINKO_CKA_ID_ATTESTATION 0xF9

/* A change to the token (key generation, certificate write, deletion, move) needs the
 * card management key, and the token has neither a PIN-protected one (YubiKey ADMIN DATA
 * and PRINTED) nor the factory default: set a PIN-protected one with the token's admin
 * tool (e.g. ykman piv access change-management-key --protect). */
#define CKR_KINKO_MGMT_KEY_UNKNOWN (0x80000000UL | 0x4B4E0001UL) /* CKR_VENDOR_DEFINED | … */

/* CKA_ID of the key objects of each PIV key slot. */
#define KINKO_CKA_ID_9A 0x01 /* PIV Authentication */
#define KINKO_CKA_ID_9C 0x02 /* Digital Signature */
#define KINKO_CKA_ID_9D 0x03 /* Key Management */
#define KINKO_CKA_ID_9E 0x04 /* Card Authentication */
#define KINKO_CKA_ID_82 0x05 /* Retired Key 1; 83..94 follow in order */
#define KINKO_CKA_ID_95 0x18 /* Retired Key 20 */

/* Is id (one byte) a slot C_GenerateKeyPair without CKA_ID may choose: 9A or 82..95? */
static inline int kinko_cka_id_generated(unsigned char id)
{
	return id == KINKO_CKA_ID_9A || (id >= KINKO_CKA_ID_82 && id <= KINKO_CKA_ID_95);
}

#endif
