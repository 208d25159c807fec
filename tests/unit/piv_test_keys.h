/* Host-side cryptography for the applet's key tests, on OpenSSL EVP and independent of the
 * firmware's primitives: public keys from 7F49 templates, signature checks, padding done
 * the way a PKCS#11 module does it, and keys installed straight into a fixture's slots. */
#ifndef KINKO_PIV_TEST_KEYS_H
#define KINKO_PIV_TEST_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "piv_test_util.h"

/* A fresh key pair of a PIV algorithm. */
EVP_PKEY *piv_test_keygen(uint8_t alg);

/* Put a copy of pkey (PKCS#8) into slot ref of the fixture's state, as an imported key. */
void piv_test_install_key(piv_fixture *f, uint8_t ref, uint8_t alg, uint8_t pin_policy,
                          EVP_PKEY *pkey);

/* Public key from the contents of a 7F49 template (81 n 82 e, or 86 point). */
EVP_PKEY *piv_test_pubkey_from_contents(uint8_t alg, const uint8_t *buf, size_t len);
/* Public key from a whole 7F49 template filling buf exactly. */
EVP_PKEY *piv_test_pubkey_from_template(uint8_t alg, const uint8_t *buf, size_t len);

bool piv_test_same_public(EVP_PKEY *a, EVP_PKEY *b);

/* GENERAL AUTHENTICATE with a hex data field (short APDU, Le 256). */
uint16_t piv_test_ga(piv_fixture *f, uint8_t alg, uint8_t ref, const char *hex);
/* GENERAL AUTHENTICATE of each data field of the NULL-terminated list (hex) must be
 * answered sw, without data; a failure names the field. */
void piv_test_each_ga_answers(piv_fixture *f, uint8_t alg, uint8_t ref, uint16_t sw,
                              const char *const *fields);
/* GENERAL AUTHENTICATE with 7C { t1 v1 [, t2 v2] } (t2 0: absent), chaining as needed. */
uint16_t piv_test_ga_items(piv_fixture *f, uint8_t alg, uint8_t ref, uint8_t t1, const uint8_t *v1,
                           size_t n1, uint8_t t2, const uint8_t *v2, size_t n2);

/* GENERAL AUTHENTICATE signing: 7C { 82 00, 81 input } to slot ref; returns the SW, the
 * signature (the 82 value) in sig when 9000 and sig is not NULL. */
uint16_t piv_test_sign(piv_fixture *f, uint8_t alg, uint8_t ref, const uint8_t *in, size_t len,
                       uint8_t *sig, size_t cap, size_t *sig_len);
/* The same signing must answer sw. */
void piv_test_sign_answers(piv_fixture *f, uint8_t alg, uint8_t ref, const uint8_t *in, size_t len,
                           uint16_t sw);

/* Raw RSA with the public key: m == sig^e mod n. */
bool piv_test_rsa_raw_check(EVP_PKEY *pub, const uint8_t *sig, size_t sig_len, const uint8_t *m,
                            size_t m_len);
/* EMSA-PKCS1-v1_5 and EMSA-PSS (RFC 8017 9.2, 9.1.1; SHA-256, salt 32) of a digest into a
 * block of the modulus size, built by hand as a module does before a raw RSA operation. */
void piv_test_pkcs1_encode(const uint8_t digest[32], uint8_t *block, size_t k);
void piv_test_pss_encode(const uint8_t digest[32], uint8_t *block, size_t k, size_t mod_bits);
/* Standard verification of a SHA-256 digest: RSA PKCS#1 v1.5, RSA-PSS, or ECDSA (DER sig). */
bool piv_test_verify_pkcs1(EVP_PKEY *pub, const uint8_t *digest, const uint8_t *sig, size_t len);
bool piv_test_verify_pss(EVP_PKEY *pub, const uint8_t *digest, const uint8_t *sig, size_t len);
bool piv_test_verify_ecdsa(EVP_PKEY *pub, const uint8_t *digest, size_t dlen, const uint8_t *sig,
                           size_t len);

/* The EC key in slot ref signs the digest (32 bytes for P-256, 48 for P-384): the
 * signature verifies with pub, and not for another digest. */
void piv_test_ecdsa_signs(piv_fixture *f, uint8_t ref, uint8_t alg, EVP_PKEY *pub,
                          const uint8_t *digest);
/* The RSA key in slot ref signs the SHA-256 digest in a PKCS#1 v1.5 block (PSS when pss)
 * built as a module does: a modulus-sized signature that verifies with pub. */
void piv_test_rsa_signs(piv_fixture *f, uint8_t ref, uint8_t alg, EVP_PKEY *pub,
                        const uint8_t digest[32], bool pss);

#endif
