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
 * Moving a key: C_SetAttributeValue of CKA_ID on a private key moves the key and its
 * certificate to the PIV slot of the new CKA_ID (see README, "The PKCS#11 module"). */
#ifndef KINKO_PKCS11_H
#define KINKO_PKCS11_H

/* 0x4B4E is "KN". */
#define CKH_KINKO_PIN_COUNTERS   (0x80000000UL | 0x4B4E0001UL)   /* CKH_VENDOR_DEFINED | … */

#define CKA_KINKO_PIN_TRIES_LEFT (0x80000000UL | 0x4B4E0001UL)   /* CKA_VENDOR_DEFINED | … */
#define CKA_KINKO_PIN_TRIES_MAX  (0x80000000UL | 0x4B4E0002UL)
#define CKA_KINKO_PUK_TRIES_LEFT (0x80000000UL | 0x4B4E0003UL)
#define CKA_KINKO_PUK_TRIES_MAX  (0x80000000UL | 0x4B4E0004UL)

#endif
