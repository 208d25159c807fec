/* What signing (mod_sign.c) and verification (mod_verify.c) share: the operation context
 * kept in a session's mod_crypto_op, the schemes a mechanism row names (mod_sig_scheme.c:
 * what differs between paddings), and the signature encodings done in the module
 * (mod_pad.c: EMSA-PKCS1-v1_5, EMSA-PSS, ECDSA digest fitting and signature formats). */
#ifndef KINKO_MOD_SIG_H
#define KINKO_MOD_SIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "mod_mech.h"

#define MOD_SIG_MAX_KEY_BYTES 384u /* RSA-3072 modulus */
#define MOD_SIG_MAX_DIGEST 64u     /* SHA-512 */
#define MOD_PAD_PKCS1_MIN 11u      /* EMSA-PKCS1-v1_5: 00 01, at least eight FF, 00 */

/* One signature or verification operation (mod_crypto_op.ctx). */
typedef struct {
	const mod_mech *mm; /* the mechanism's row: scheme, hash */
	uint8_t alg;        /* PIV algorithm of the key */
	uint8_t key_ref;    /* PIV key reference: 9A, 9C, ... */
	size_t key_bytes;   /* RSA modulus / EC field size in bytes */
	size_t key_bits;
	const EVP_MD *md;     /* the data's hash, or (raw PSS) the hash of the input */
	const EVP_MD *mgf_md; /* PSS: MGF1's hash */
	size_t salt_len;      /* PSS */
	EVP_MD_CTX *mdctx;    /* running hash of a multi-part operation, NULL before */
	bool needs_login;     /* the key's PIN policy is not "never" */
	bool always_auth;     /* PIN policy "always" (9C): CKU_CONTEXT_SPECIFIC each time */
	EVP_PKEY *pkey;       /* verification: the public key */
} mod_sig_op;

/* ---- the schemes (mod_sig_scheme.c) ----
 * Everything that differs between the paddings, so that the operation, signing and
 * verification are the same code for every mechanism and a mechanism row names its
 * scheme. */
/* The two hooks whose parameter lists do not fit one line (clang-format would split them
 * differently on every pass). */
typedef CK_RV mod_sig_input_fn(const mod_sig_op *op, const uint8_t *src, size_t len, uint8_t *in,
                               size_t cap, size_t *in_len);
typedef CK_RV mod_sig_encode_fn(const mod_sig_op *op, const uint8_t *in, size_t in_len,
                                uint8_t *block, size_t *block_len);

struct mod_sig_scheme {
	/* C_*Init: the mechanism's parameters and the digests they choose (op->md, op->mgf_md,
	 * op->salt_len); CKR_MECHANISM_PARAM_INVALID when they do not fit the key. */
	CK_RV (*params)(mod_sig_op *op, const CK_MECHANISM *mech);
	/* A single-part mechanism's input, of len bytes, as the caller gives it:
	 * CKR_DATA_LEN_RANGE when the mechanism does not take that length. */
	CK_RV (*check)(const mod_sig_op *op, size_t len);
	/* The input of the signature primitive from the digest (or the caller's input) into
	 * in[cap]: what signing encodes and what verification checks the signature against. */
	mod_sig_input_fn *input;
	/* Signing: the block the card signs, into block[MOD_SIG_MAX_KEY_BYTES]. */
	mod_sig_encode_fn *encode;
	/* Signing: the card's answer as PKCS#11's signature (mod_sig_op_sig_len bytes).
	 * CKR_DEVICE_ERROR when the answer is malformed. */
	CK_RV (*from_card)(const mod_sig_op *op, const uint8_t *out, size_t out_len, uint8_t *sig);
	/* Verification: PKCS#11's signature as OpenSSL verifies it, OPENSSL_malloc'd into *der,
	 * or *der NULL when it is that already. */
	CK_RV (*to_openssl)(const uint8_t *sig, size_t len, uint8_t **der, size_t *der_len);
	/* Verification: OpenSSL's verifier set up with the padding and the digests. */
	bool (*verify_setup)(const mod_sig_op *op, EVP_PKEY_CTX *ctx);
	/* The signature's length in key sizes: 1 for RSA, 2 for ECDSA's r||s. */
	size_t sig_parts;
};

extern const mod_sig_scheme mod_sig_scheme_pkcs1; /* EMSA-PKCS1-v1_5 */
extern const mod_sig_scheme mod_sig_scheme_pss;   /* EMSA-PSS */
extern const mod_sig_scheme mod_sig_scheme_x509;  /* raw RSA: CKM_RSA_X_509 */
extern const mod_sig_scheme mod_sig_scheme_ecdsa; /* ECDSA, r||s */

/* ---- the operation (mod_sig_op.c) ---- */
/* A new context for a key of this PIV algorithm and reference: CKR_KEY_TYPE_INCONSISTENT
 * when the mechanism is for the other key type, CKR_MECHANISM_PARAM_INVALID when its
 * parameters do not fit; the digests chosen. */
CK_RV mod_sig_op_new(const mod_mech *mm, const CK_MECHANISM *mech, uint8_t alg, uint8_t key_ref,
                     mod_sig_op **out);
void mod_sig_op_free(void *op);
/* Start an operation in a session's slot for it (sess->sign or sess->verify). */
void mod_sig_op_start(mod_crypto_op *cop, CK_MECHANISM_TYPE mech, CK_OBJECT_HANDLE key,
                      mod_sig_op *op);
/* Feed a part of a multi-part operation into its hash; CKR_OPERATION_NOT_INITIALIZED for
 * the single-part mechanisms (the operation then ends, as for any C_*Update error). */
CK_RV mod_sig_op_update(mod_crypto_op *cop, const CK_BYTE *part, CK_ULONG len);
/* May this call end the operation in cop: is there one, are the call's arguments right
 * (args_ok, else CKR_ARGUMENTS_BAD), and is it C_Sign/C_Verify (parts false) on one that has
 * had no C_*Update or C_*Final (parts true) on one of a hash mechanism? Else
 * CKR_OPERATION_NOT_INITIALIZED. The caller ends the operation on any error. */
CK_RV mod_sig_op_can_end(const mod_crypto_op *cop, bool parts, bool args_ok);
/* The input of the signature primitive: the digest of the data (hash mechanisms: of
 * data, or with parts of the running hash) or the caller's input checked against the
 * mechanism (CKR_DATA_LEN_RANGE); for ECDSA fitted to the field size. */
CK_RV mod_sig_op_input(mod_sig_op *op, bool parts, const CK_BYTE *data, CK_ULONG len, uint8_t *in,
                       size_t cap, size_t *in_len);
/* Signature length of the operation: RSA modulus, or r||s for ECDSA. */
size_t mod_sig_op_sig_len(const mod_sig_op *op);
/* Does sig verify with op->pkey over in (what mod_sig_op_input made)? CKR_OK,
 * CKR_SIGNATURE_INVALID or CKR_SIGNATURE_LEN_RANGE; no OpenSSL error left queued. */
CK_RV mod_sig_op_verify(const mod_sig_op *op, const uint8_t *in, size_t in_len, const CK_BYTE *sig,
                        CK_ULONG sig_len);

/* ---- what signing and verification share in a session (mod_sig_session.c, the
 * module's side: not in libkinkosig) ---- */
/* C_SignInit (use CKF_SIGN) and C_VerifyInit (CKF_VERIFY) up to their own work, in the
 * standard's order: the arguments, no operation active in cop, a mechanism of the table
 * for use, the key (a private key to sign, with the login it needs; either key of a pair
 * to verify), then a new operation for the key's token and index. */
CK_RV mod_sig_session_init(mod_slot *slot, const mod_crypto_op *cop, const CK_MECHANISM *mech,
                           CK_OBJECT_HANDLE key, CK_FLAGS use, mod_sig_op **op, mod_token **t,
                           unsigned *index);
/* C_VerifyInit with a session public key (mod_sobj.h), in the same order; the new
 * operation holds the key. CKR_KEY_SIZE_RANGE for a key of a size or curve the token's
 * keys do not have. */
CK_RV mod_sig_session_init_sobj(mod_slot *slot, mod_session *sess, const CK_MECHANISM *mech,
                                CK_OBJECT_HANDLE key, mod_sig_op **op);
/* A private key for an operation on the card, as mod_sig_session_private_key found it. */
typedef struct {
	mod_token *t;
	unsigned index;
	bool needs_login; /* the key's PIN policy is not "never" */
	bool always_auth; /* PIN policy "always": CKU_CONTEXT_SPECIFIC before each use */
} mod_sig_key;
/* The private key behind a handle for use (CKF_SIGN, CKF_DECRYPT, CKF_DERIVE) with a
 * mechanism for keys of key_type, what C_SignInit, C_DecryptInit and C_DeriveKey share:
 * CKR_KEY_HANDLE_INVALID (no such key; a public key: CKR_KEY_FUNCTION_NOT_PERMITTED), then
 * CKR_KEY_TYPE_INCONSISTENT, then CKR_KEY_FUNCTION_NOT_PERMITTED when the key's slot does not
 * allow use (mod_object_key_usage), then the login its PIN policy needs (with the PIN from
 * a pinentry, asked now). */
CK_RV mod_sig_session_private_key(mod_slot *slot, CK_OBJECT_HANDLE key, CK_KEY_TYPE key_type,
                                  CK_FLAGS use, mod_sig_key *k);
/* Right before the card's private-key operation, when the login ended since the *Init or
 * the key wants CKU_CONTEXT_SPECIFIC: the pinentry's login, or CKR_USER_NOT_LOGGED_IN (a
 * trace says a context-specific login is missing before each `what`). */
CK_RV mod_sig_session_login(mod_slot *slot, uint8_t key_ref, bool always_auth, const char *what);
/* The card's private-key operation (card_sign: raw RSA, ECDSA; card_ecdh) with a key that
 * mod_sig_session_private_key found, what signing, decryption and key agreement share: the
 * login first when needed (mod_sig_session_login; a context-specific login covers this one
 * operation, whatever its outcome), then in to the card, its answer in out[cap]. */
typedef struct {
	uint8_t key_ref, alg;
	bool needs_login, always_auth;
	const char *what; /* "signature", "decryption", "key derivation": the trace's word */
	bool ecdh;        /* key agreement: card_ecdh with in the peer's point */
	const uint8_t *in;
	size_t in_len;
	uint8_t *out;
	size_t cap, out_len;
	card_status st; /* the card's status, CARD_OK when it never ran */
} mod_sig_card_req;
CK_RV mod_sig_session_card(mod_slot *slot, mod_sig_card_req *rq);
/* C_SignUpdate / C_VerifyUpdate on sess->sign or sess->verify; an error ends the
 * operation. */
CK_RV mod_sig_session_update(mod_crypto_op *cop, const CK_BYTE *part, CK_ULONG len);

/* ---- encodings (mod_pad.c) ---- */
/* EVP digest of a PKCS#11 hash mechanism (CKM_SHA_1, CKM_SHA224..CKM_SHA512), of a MGF1
 * generator (CKG_MGF1_*); NULL for anything else. */
const EVP_MD *mod_pad_md(CK_MECHANISM_TYPE hash);
const EVP_MD *mod_pad_mgf_md(CK_RSA_PKCS_MGF_TYPE mgf);
/* EMSA-PKCS1-v1_5 (RFC 8017 9.2) into em[k]: with md, in is that digest and the DigestInfo
 * prefix is added; without, in is the DigestInfo itself (CKM_RSA_PKCS), at most k-11
 * bytes. CKR_DATA_LEN_RANGE when it does not fit. */
CK_RV mod_pad_pkcs1(const EVP_MD *md, const uint8_t *in, size_t in_len, uint8_t *em, size_t k);
/* EMSA-PSS-ENCODE (RFC 8017 9.1.1) of the digest mhash with a random salt, for a modulus
 * of mod_bits bits, into em[k] (left-padded with a zero byte when emLen < k). */
CK_RV mod_pad_pss(const EVP_MD *md, const EVP_MD *mgf_md, size_t salt_len, const uint8_t *mhash,
                  size_t mhash_len, size_t mod_bits, uint8_t *em, size_t k);
/* The ECDSA input for a field of field bytes: the digest's leftmost bytes, or the digest
 * left-padded with zeros (the same integer). */
void mod_pad_ecdsa_fit(const uint8_t *dg, size_t len, uint8_t *out, size_t field);
/* DER ECDSA-Sig-Value -> r||s (field bytes each). CKR_DEVICE_ERROR when malformed. */
CK_RV mod_pad_ecdsa_raw(const uint8_t *der, size_t der_len, uint8_t *raw, size_t field);
/* r||s -> DER (OPENSSL_malloc'd). CKR_SIGNATURE_LEN_RANGE when raw_len is odd or 0. */
CK_RV mod_pad_ecdsa_der(const uint8_t *raw, size_t raw_len, uint8_t **der, size_t *der_len);

#endif
