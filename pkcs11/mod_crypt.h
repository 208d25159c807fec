/* RSA encryption and decryption: decryption with the token's private key (the card's raw
 * RSA, the padding removed in the module in constant time: mod_unpad.c), encryption in
 * software with a public key. The mechanism rows name the padding (mod_mech.enc). */
#ifndef KINKO_MOD_CRYPT_H
#define KINKO_MOD_CRYPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "mod_sig.h"

/* One encryption or decryption operation (mod_crypto_op.ctx). */
typedef struct {
	const mod_mech *mm;   /* the row: its padding (mm->enc) */
	size_t key_bytes;     /* RSA modulus length k */
	const EVP_MD *md;     /* OAEP: the label's hash */
	const EVP_MD *mgf_md; /* OAEP: MGF1's hash */
	uint8_t *label;       /* OAEP: the label (pSourceData), NULL when empty */
	size_t label_len;
	uint8_t key_ref;  /* decryption: PIV key reference */
	uint8_t alg;      /* decryption: PIV algorithm */
	bool needs_login; /* decryption: the key's PIN policy is not "never" */
	bool always_auth; /* decryption: CKU_CONTEXT_SPECIFIC before each use */
	/* Decryption: a plaintext the caller's buffer was too small for, kept (and wiped at
	 * the end) so the retry does not go to the card and ask for a PIN again. */
	uint8_t plain[MOD_SIG_MAX_KEY_BYTES];
	size_t plain_len;
	bool have_plain;
	EVP_PKEY *pkey; /* encryption: the public key */
} mod_crypt_op;

/* ---- the operation (mod_crypt_op.c, libkinkosig) ---- */
/* A new context for mechanism row mm (with an enc padding) and an RSA key of key_bytes:
 * CKR_MECHANISM_PARAM_INVALID for parameters the mechanism does not take (OAEP: a hash or
 * MGF1 not offered, a source other than CKZ_DATA_SPECIFIED, a label pointer missing, a
 * modulus too short for the hash). */
CK_RV mod_crypt_op_new(const mod_mech *mm, const CK_MECHANISM *mech, size_t key_bytes,
                       mod_crypt_op **out);
/* Frees and wipes (the label and any plaintext kept). */
void mod_crypt_op_free(void *op);
void mod_crypt_op_start(mod_crypto_op *cop, CK_MECHANISM_TYPE mech, CK_OBJECT_HANDLE key,
                        mod_crypt_op *op);
/* The longest message of the padding, what a decryption's length query answers and the
 * most an encryption takes: k for raw RSA, k - 11 for PKCS#1 v1.5, k - 2 hLen - 2 for
 * OAEP. */
size_t mod_crypt_op_msg_max(const mod_crypt_op *op);
/* Encryption with op->pkey: out[k]. CKR_DATA_LEN_RANGE for an input too long (raw: not k
 * bytes). */
CK_RV mod_crypt_op_encrypt(const mod_crypt_op *op, const uint8_t *in, size_t in_len, uint8_t *out,
                           size_t *out_len);
/* The plaintext in a decrypted block em[k] (the card's answer; em is scratch), into
 * out[k]: CKR_ENCRYPTED_DATA_INVALID for any padding failure, found in constant time. */
CK_RV mod_crypt_op_unpad(const mod_crypt_op *op, uint8_t *em, uint8_t *out, size_t *out_len);

/* ---- padding removal in constant time (mod_unpad.c, libkinkosig) ----
 * Each takes the k-byte block em (overwritten: it is scratch) and writes the message to
 * out[k] and its length to *out_len. Every malformed block gives the same answer,
 * CKR_ENCRYPTED_DATA_INVALID, after the same work: no branch and no memory access depends
 * on the block's contents. */
/* RSAES-PKCS1-v1_5 (RFC 8017 7.2.2): 00 02 PS(>= 8 non-zero) 00 M. */
CK_RV mod_unpad_pkcs1(uint8_t *em, size_t k, uint8_t *out, size_t *out_len);
/* RSAES-OAEP (RFC 8017 7.1.2) with label L, MGF1 over mgf_md. */
CK_RV mod_unpad_oaep(const EVP_MD *md, const EVP_MD *mgf_md, const uint8_t *label, size_t label_len,
                     uint8_t *em, size_t k, uint8_t *out, size_t *out_len);

/* ---- in a session (mod_decrypt.c, mod_encrypt.c), under the slot lock ----
 * Single-part only (RSA): C_*Update answers CKR_FUNCTION_NOT_SUPPORTED and C_*Final
 * CKR_OPERATION_NOT_INITIALIZED, both ending the operation, as signing does for its
 * single-part mechanisms. A length query and CKR_BUFFER_TOO_SMALL keep it. */
CK_RV mod_decrypt_init(mod_session *sess, mod_slot *slot, const CK_MECHANISM *mech,
                       CK_OBJECT_HANDLE key);
CK_RV mod_decrypt_oneshot(mod_session *sess, mod_slot *slot, const CK_BYTE *in, CK_ULONG in_len,
                          CK_BYTE *out, CK_ULONG *out_len);
CK_RV mod_encrypt_init(mod_session *sess, mod_slot *slot, const CK_MECHANISM *mech,
                       CK_OBJECT_HANDLE key);
CK_RV mod_encrypt_oneshot(mod_session *sess, const CK_BYTE *in, CK_ULONG in_len, CK_BYTE *out,
                          CK_ULONG *out_len);
/* C_EncryptUpdate / C_DecryptUpdate (part, its length) and C_*Final (args_ok: the output
 * length pointer given) on cop: the answers for single-part mechanisms. */
CK_RV mod_crypt_session_update(mod_crypto_op *cop, bool args_ok);
CK_RV mod_crypt_session_final(mod_crypto_op *cop, bool args_ok);

#endif
