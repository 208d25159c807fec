/* What the object layer makes of the token's answers, as pure functions (no card, no
 * PKCS#11 state), so fuzz/fuzz_module_parse.c can feed them anything: certificate
 * containers and the certificates in them, public keys (the contents of a 7F49 template,
 * as GENERATE and GET METADATA give them), and EC domain parameters. Every function
 * checks every length it is given and refuses what it does not fully understand. */
#ifndef KINKO_MOD_PARSE_H
#define KINKO_MOD_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "card.h"

typedef enum {
	MOD_PARSE_OK = 0,
	MOD_PARSE_MALFORMED = -1,   /* the token's answer is not what PIV says */
	MOD_PARSE_COMPRESSED = -2,  /* a gzip'd certificate: not readable without zlib */
	MOD_PARSE_UNSUPPORTED = -3, /* well formed, but a kind of key we do not do */
	MOD_PARSE_NO_MEMORY = -4,
} mod_parse_status;

/* ---- certificate containers: 53 contents = 70 cert, 71 certinfo, FE LRC ---- */

/* The certificate inside a container; *der points into buf. The certificate must be one
 * whole X.509 DER structure. */
mod_parse_status mod_parse_cert_container(const uint8_t *buf, size_t len, const uint8_t **der,
                                          size_t *der_len);
/* The container PUT DATA writes for a certificate: 70 cert, 71 01 00, FE 00. malloc'd. */
mod_parse_status mod_parse_cert_container_build(const uint8_t *der, size_t der_len, uint8_t **out,
                                                size_t *out_len);

/* What the PKCS#11 attributes of a certificate need, DER encodings malloc'd. */
typedef struct {
	uint8_t *subject, *issuer, *serial, *spki; /* Name, Name, INTEGER, SubjectPublicKeyInfo */
	size_t subject_len, issuer_len, serial_len, spki_len;
	char start_date[8], end_date[8]; /* CK_DATE: YYYYMMDD */
	char cn[65];                     /* subject CN (UTF-8), "" when none or long */
	uint8_t check_value[3];          /* first bytes of SHA-1 of the DER */
} mod_cert_info;

mod_parse_status mod_parse_cert(const uint8_t *der, size_t len, mod_cert_info *ci);
void mod_parse_cert_info_free(mod_cert_info *ci);

/* ---- public keys ---- */

/* Keys come from card_pubkey_parse (card.h), the one reader of 7F49 contents. */

/* A public key of OpenSSL's type ("RSA", "EC") from the parameters in bld, or NULL. */
EVP_PKEY *mod_parse_evp_fromdata(const char *type, OSSL_PARAM_BLD *bld);
/* A key for OpenSSL (checks that an EC point is on its curve). */
EVP_PKEY *mod_parse_pubkey_evp(const card_pubkey *pk);
/* SubjectPublicKeyInfo DER (CKA_PUBLIC_KEY_INFO), OPENSSL_malloc'd. */
mod_parse_status mod_parse_pubkey_spki(const card_pubkey *pk, uint8_t **der, size_t *len);
/* From a certificate's SubjectPublicKeyInfo back to 7F49 contents (for tokens without
 * GET METADATA): the algorithm and out (cap bytes). */
mod_parse_status mod_parse_spki_to_piv(const uint8_t *spki, size_t spki_len, uint8_t *alg,
                                       uint8_t *out, size_t cap, size_t *out_len);
/* Does the certificate carry this public key? */
bool mod_parse_cert_has_key(const uint8_t *der, size_t len, const card_pubkey *pk);

/* ---- EC domain parameters (CKA_EC_PARAMS) ---- */

/* The DER OID of a curve's namedCurve (P-256, P-384); NULL otherwise. */
const uint8_t *mod_parse_ec_params_der(uint8_t alg, size_t *len);
/* CKA_EC_PARAMS as a caller gives it: the OID, or (PKCS#11 3.0) a PrintableString of the
 * curve's name ("prime256v1", "secp256r1", "P-256", "secp384r1", "P-384", ...). *alg is
 * the PIV algorithm; MOD_PARSE_UNSUPPORTED for another curve. */
mod_parse_status mod_parse_ec_params(const uint8_t *der, size_t len, uint8_t *alg);
/* CKA_EC_POINT: DER OCTET STRING of the point, OPENSSL_malloc'd. */
mod_parse_status mod_parse_ec_point_der(const card_pubkey *pk, uint8_t **out, size_t *len);

#endif
