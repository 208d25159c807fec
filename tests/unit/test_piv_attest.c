/* ATTEST (00 F9 <slot> 00): the certificate of every generated key type verifies with
 * OpenSSL up to the manufacturer CA through the F9 certificate (GET DATA 5FFF01), carries
 * the slot's public key and the extensions of the token's kind; imported keys, empty slots
 * and tokens without an attestation key get no certificate; the F9 key and certificate are
 * out of the host's reach. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <time.h>

#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "piv.h"
#include "piv_test_keys.h"
#include "piv_test_util.h"
#include "tlv.h"
#include "token_attest.h"

static X509 *ca_cert;
static EVP_PKEY *ca_key;

static int group_setup(void **state)
{
	(void)state;
	return tok_attest_ca_make(&ca_cert, &ca_key);
}

static int group_teardown(void **state)
{
	(void)state;
	X509_free(ca_cert);
	EVP_PKEY_free(ca_key);
	return 0;
}

/* A factory-default token of a profile with an attestation key from the test CA. */
static int setup_profile(void **state, uint8_t profile)
{
	tok_provision_opts o;
	piv_fixture *f;

	memset(&o, 0, sizeof(o));
	o.serial = 7654321;
	o.profile = profile;
	if (piv_fixture_setup_with(state, &o, true) != 0)
		return -1;
	f = *state;
	return tok_attest_provision(&f->st, ca_cert, ca_key);
}

static int setup_kinko(void **state)
{
	return setup_profile(state, TOK_PROFILE_KINKO);
}

static int setup_yubikey(void **state)
{
	return setup_profile(state, TOK_PROFILE_YUBIKEY);
}

/* GENERATE alg in ref; the public key of the answer. */
static EVP_PKEY *generate(piv_fixture *f, uint8_t ref, uint8_t alg)
{
	const uint8_t tmpl[5] = {PIV_TLV_GEN_TEMPLATE, 0x03, 0x80, 0x01, alg};

	assert_int_equal(piv_send_all(f, PIV_INS_GENERATE_KEY, 0x00, ref, tmpl, sizeof(tmpl),
	                              false),
	                 SW_OK);
	return piv_test_pubkey_from_template(alg, f->resp, f->resp_len);
}

static X509 *attest(piv_fixture *f, uint8_t ref)
{
	const unsigned char *p = f->resp;
	X509 *x;

	assert_int_equal(piv_send_all(f, PIV_INS_ATTEST, ref, 0x00, NULL, 0, false), SW_OK);
	x = d2i_X509(NULL, &p, (long)f->resp_len);
	assert_non_null(x);
	/* The answer is the plain certificate and nothing else, as a YubiKey's. */
	assert_ptr_equal(p, f->resp + f->resp_len);
	return x;
}

/* GET DATA 5FFF01: 53 { 70 cert, 71 01 00, FE 00 }, as a YubiKey stores it. */
static X509 *read_f9_cert(piv_fixture *f)
{
	static const uint8_t get[] = {0x5C, 0x03, 0x5F, 0xFF, 0x01};
	tlv_item outer, cert, info, lrc;
	tlv_iter it;
	const unsigned char *p;
	X509 *x;

	assert_int_equal(piv_send_all(f, PIV_INS_GET_DATA, 0x3F, 0xFF, get, sizeof(get), false),
	                 SW_OK);
	assert_int_equal(tlv_parse(f->resp, f->resp_len, &outer), TLV_OK);
	assert_int_equal(outer.tag, PIV_TLV_DATA);
	assert_int_equal(outer.header_len + outer.len, f->resp_len);
	tlv_iter_init(&it, outer.value, outer.len);
	assert_int_equal(tlv_iter_next(&it, &cert), TLV_OK);
	assert_int_equal(tlv_iter_next(&it, &info), TLV_OK);
	assert_int_equal(tlv_iter_next(&it, &lrc), TLV_OK);
	assert_int_equal(tlv_iter_next(&it, &lrc), TLV_END);
	assert_int_equal(cert.tag, PIV_TLV_CERT);
	assert_int_equal(info.tag, PIV_TLV_CERTINFO);
	assert_int_equal(info.len, 1);
	assert_int_equal(info.value[0], 0x00);
	p = cert.value;
	x = d2i_X509(NULL, &p, (long)cert.len);
	assert_non_null(x);
	return x;
}

/* X509_verify_cert with the test CA as the only trust anchor and F9 as intermediate. */
static int verify_chain(X509 *leaf, X509 *f9)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	int ok;

	assert_non_null(store);
	assert_non_null(ctx);
	assert_non_null(untrusted);
	assert_int_equal(X509_STORE_add_cert(store, ca_cert), 1);
	if (f9 != NULL)
		assert_int_equal(sk_X509_push(untrusted, f9), 1);
	assert_int_equal(X509_STORE_CTX_init(ctx, store, leaf, untrusted), 1);
	ok = X509_verify_cert(ctx);
	if (ok != 1 && f9 != NULL)
		print_message("verify: %s\n",
		              X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
	X509_STORE_CTX_free(ctx);
	sk_X509_free(untrusted);
	X509_STORE_free(store);
	return ok;
}

/* The extnValue bytes of the extension oid, which must be there exactly once. */
static const ASN1_OCTET_STRING *ext_value(X509 *x, const char *oid)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	int i = X509_get_ext_by_OBJ(x, obj, -1);

	assert_true(i >= 0);
	assert_int_equal(X509_get_ext_by_OBJ(x, obj, i), -1);
	ASN1_OBJECT_free(obj);
	assert_false(X509_EXTENSION_get_critical(X509_get_ext(x, i)));
	return X509_EXTENSION_get_data(X509_get_ext(x, i));
}

static void assert_ext_bytes(X509 *x, const char *oid, const uint8_t *want, size_t len)
{
	const ASN1_OCTET_STRING *v = ext_value(x, oid);

	assert_int_equal(ASN1_STRING_length(v), len);
	assert_memory_equal(ASN1_STRING_get0_data(v), want, len);
}

static void assert_cn(const X509_NAME *name, const char *want)
{
	char cn[128];

	assert_true(X509_NAME_get_text_by_NID((X509_NAME *)name, NID_commonName, cn, sizeof(cn)) >
	            0);
	assert_string_equal(cn, want);
}

typedef struct {
	uint8_t ref, alg, pin_policy;
	const char *cn;
} attest_row;
static attest_row rsa2048_in_9a = {0x9A, PIV_ALG_RSA2048, PIV_PIN_POLICY_ONCE,
                                   "kinko PIV Attestation 9A"};
static attest_row rsa3072_in_9c = {0x9C, PIV_ALG_RSA3072, PIV_PIN_POLICY_ALWAYS,
                                   "kinko PIV Attestation 9C"};
static attest_row p256_in_9d = {0x9D, PIV_ALG_ECCP256, PIV_PIN_POLICY_ONCE,
                                "kinko PIV Attestation 9D"};
static attest_row p384_in_9e = {0x9E, PIV_ALG_ECCP384, PIV_PIN_POLICY_NEVER,
                                "kinko PIV Attestation 9E"};

static void attestation_of_a_generated_key_verifies_to_the_manufacturer_ca(void **state)
{
	piv_fixture *f = *state;
	const attest_row *r = f->row;
	const uint8_t serial[] = {0x02, 0x03, 0x74, 0xCB, 0xB1}; /* INTEGER 7654321 */
	const uint8_t fw[] = {0x04, 0x03, TOK_VERSION_MAJOR, TOK_VERSION_MINOR, TOK_VERSION_PATCH};
	const uint8_t pin[] = {0x0A, 0x01, r->pin_policy};
	const uint8_t touch[] = {0x0A, 0x01, PIV_TOUCH_POLICY_NEVER};
	const uint8_t origin[] = {0x0A, 0x01, PIV_ORIGIN_GENERATED};
	const ASN1_INTEGER *sn;
	EVP_PKEY *pub, *attested;
	X509 *x, *f9;

	piv_test_auth_default_mgmt(f);
	pub = generate(f, r->ref, r->alg);
	assert_non_null(pub);
	x = attest(f, r->ref);
	f9 = read_f9_cert(f);

	assert_int_equal(verify_chain(x, f9), 1);
	/* Without F9 the chain does not reach the CA: the token's key signed it. */
	assert_int_not_equal(verify_chain(x, NULL), 1);
	attested = X509_get0_pubkey(x);
	assert_non_null(attested);
	assert_true(piv_test_same_public(attested, pub));
	assert_cn(X509_get_subject_name(x), r->cn);
	assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(f9)), 0);
	assert_int_equal(ASN1_TIME_compare(X509_get0_notBefore(x), X509_get0_notBefore(f9)), 0);
	assert_int_equal(ASN1_TIME_compare(X509_get0_notAfter(x), X509_get0_notAfter(f9)), 0);
	sn = X509_get0_serialNumber(x);
	assert_int_equal(ASN1_STRING_type(sn), V_ASN1_INTEGER);
	assert_int_equal(ASN1_STRING_length(sn), 16);

	assert_ext_bytes(x, PIV_ATTEST_OID_KINKO_SERIAL, serial, sizeof(serial));
	assert_ext_bytes(x, PIV_ATTEST_OID_KINKO_FIRMWARE, fw, sizeof(fw));
	assert_ext_bytes(x, PIV_ATTEST_OID_KINKO_PIN_POLICY, pin, sizeof(pin));
	assert_ext_bytes(x, PIV_ATTEST_OID_KINKO_TOUCH_POLICY, touch, sizeof(touch));
	assert_ext_bytes(x, PIV_ATTEST_OID_KINKO_ORIGIN, origin, sizeof(origin));
	X509_free(f9);
	X509_free(x);
	EVP_PKEY_free(pub);
}

static void two_attestations_have_different_serials(void **state)
{
	piv_fixture *f = *state;
	EVP_PKEY *pub;
	X509 *a, *b;

	piv_test_auth_default_mgmt(f);
	pub = generate(f, 0x9A, PIV_ALG_ECCP256);
	a = attest(f, 0x9A);
	b = attest(f, 0x9A);
	assert_int_not_equal(ASN1_INTEGER_cmp(X509_get0_serialNumber(a), X509_get0_serialNumber(b)),
	                     0);
	X509_free(a);
	X509_free(b);
	EVP_PKEY_free(pub);
}

static void yubikey_profile_attests_with_yubicos_extensions(void **state)
{
	piv_fixture *f = *state;
	const uint8_t serial[] = {0x02, 0x03, 0x74, 0xCB, 0xB1};
	const uint8_t fw[] = {TOK_VERSION_MAJOR, TOK_VERSION_MINOR, TOK_VERSION_PATCH};
	const uint8_t policy[] = {PIV_PIN_POLICY_ALWAYS, PIV_TOUCH_POLICY_NEVER};
	const uint8_t form[] = {0x01};
	EVP_PKEY *pub;
	X509 *x, *f9;

	piv_test_auth_default_mgmt(f);
	pub = generate(f, 0x9C, PIV_ALG_ECCP256);
	x = attest(f, 0x9C);
	f9 = read_f9_cert(f);
	assert_int_equal(verify_chain(x, f9), 1);
	assert_true(piv_test_same_public(X509_get0_pubkey(x), pub));
	assert_cn(X509_get_subject_name(x), "YubiKey PIV Attestation 9c");
	assert_ext_bytes(x, PIV_ATTEST_OID_YUBICO_FIRMWARE, fw, sizeof(fw));
	assert_ext_bytes(x, PIV_ATTEST_OID_YUBICO_SERIAL, serial, sizeof(serial));
	assert_ext_bytes(x, PIV_ATTEST_OID_YUBICO_POLICY, policy, sizeof(policy));
	assert_ext_bytes(x, PIV_ATTEST_OID_YUBICO_FORM_FACTOR, form, sizeof(form));
	X509_free(f9);
	X509_free(x);
	EVP_PKEY_free(pub);
}

/* F9's certificate: issued by the CA to the token's serial, a CA for end entities only. */
static void f9_certificate_names_the_token_and_signs_only_end_entities(void **state)
{
	piv_fixture *f = *state;
	BASIC_CONSTRAINTS *bc;
	char sn[32];
	X509 *f9 = read_f9_cert(f);

	assert_int_equal(verify_chain(f9, NULL), 1);
	assert_cn(X509_get_subject_name(f9), "kinko PIV Attestation");
	assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(f9), NID_serialNumber, sn,
	                                      sizeof(sn)) > 0);
	assert_string_equal(sn, "7654321");
	assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(f9), X509_get_subject_name(ca_cert)),
	                 0);
	assert_int_equal(ASN1_TIME_compare(X509_get0_notAfter(f9), X509_get0_notAfter(ca_cert)), 0);
	bc = X509_get_ext_d2i(f9, NID_basic_constraints, NULL, NULL);
	assert_non_null(bc);
	assert_true(bc->ca);
	assert_int_equal(ASN1_INTEGER_get(bc->pathlen), 0);
	BASIC_CONSTRAINTS_free(bc);
	assert_int_equal(X509_get_key_usage(f9), KU_KEY_CERT_SIGN);
	X509_free(f9);
}

static void imported_key_is_not_attested_6a80(void **state)
{
	piv_fixture *f = *state;
	EVP_PKEY *k = piv_test_keygen(PIV_ALG_ECCP256);

	piv_test_install_key(f, 0x9A, PIV_ALG_ECCP256, PIV_PIN_POLICY_ONCE, k);
	assert_int_equal(piv_send_all(f, PIV_INS_ATTEST, 0x9A, 0x00, NULL, 0, false),
	                 SW_WRONG_DATA);
	assert_int_equal(f->resp_len, 0);
	EVP_PKEY_free(k);
}

static void empty_slot_is_not_attested_6a88(void **state)
{
	piv_fixture *f = *state;

	PIV_EACH_ANSWERS(f, SW_REF_NOT_FOUND, "00 F9 9A 00", "00 F9 9E 00", "00 F9 82 00",
	                 "00 F9 95 00 00");
}

static void attest_of_other_references_refused_6a86(void **state)
{
	piv_fixture *f = *state;

	piv_test_auth_default_mgmt(f);
	EVP_PKEY_free(generate(f, 0x9A, PIV_ALG_ECCP256));
	PIV_EACH_ANSWERS(f, SW_INCORRECT_P1P2, "00 F9 F9 00", "00 F9 9B 00", "00 F9 00 00",
	                 "00 F9 80 00", "00 F9 96 00", "00 F9 9A 01");
	PIV_EACH_ANSWERS(f, SW_WRONG_LENGTH, "00 F9 9A 00 01 00");
}

/* Without --attestation-ca-*: no key, so nothing is attested, and the answer says so. */
static void token_without_attestation_key_answers_6985(void **state)
{
	piv_fixture *f = *state;

	piv_test_auth_default_mgmt(f);
	EVP_PKEY_free(generate(f, 0x9A, PIV_ALG_ECCP256));
	PIV_EACH_ANSWERS(f, SW_CONDITIONS_NOT_SATISFIED, "00 F9 9A 00");
	PIV_EACH_ANSWERS(f, SW_FILE_NOT_FOUND, "00 CB 3F FF 05 5C 03 5F FF 01 00");
}

static void attestation_key_is_out_of_the_hosts_reach(void **state)
{
	piv_fixture *f = *state;
	uint8_t in[32] = {0};
	X509 *before = read_f9_cert(f), *after;

	piv_test_verify_pin(f, TOK_DEFAULT_PIN);
	piv_test_auth_default_mgmt(f);
	/* No signature, no ECDH, no generation over it, no move, no deletion. */
	piv_test_sign_answers(f, PIV_ALG_ECCP256, PIV_KEY_ATTEST, in, sizeof(in),
	                      SW_INCORRECT_P1P2);
	PIV_EACH_ANSWERS(f, SW_INCORRECT_P1P2,
	                 "00 87 11 F9 26 7C 24 82 00 85 20 " /* ECDH */
	                 "0000000000000000000000000000000000000000000000000000000000000000",
	                 "00 47 00 F9 05 AC 03 80 01 11", "00 F6 9A F9", "00 F6 F9 9A",
	                 "00 F6 FF F9");
	/* Its certificate is neither replaced nor deleted. */
	PIV_EACH_ANSWERS(f, SW_CONDITIONS_NOT_SATISFIED,
	                 "00 DB 3F FF 0B 5C 03 5F FF 01 53 04 70 02 30 00",
	                 "00 DB 3F FF 07 5C 03 5F FF 01 53 00");
	after = read_f9_cert(f);
	assert_int_equal(X509_cmp(before, after), 0);
	assert_int_equal(f->st.attest.alg, TOK_ATTEST_ALG);
	X509_free(before);
	X509_free(after);
}

/* The manufacturer CA must be a CA, hold its key and be valid. */
static void provisioning_refuses_a_bad_manufacturer_ca(void **state)
{
	piv_fixture *f = *state;
	X509_NAME *name = X509_NAME_new();
	ASN1_TIME *past = ASN1_TIME_set(NULL, time(NULL) - 7200);
	ASN1_TIME *recent = ASN1_TIME_set(NULL, time(NULL) - 3600);
	X509 *other_ca, *leaf, *expired;
	EVP_PKEY *other_key;

	assert_int_equal(tok_attest_ca_make(&other_ca, &other_key), 0);
	assert_int_equal(tok_attest_provision(&f->st, other_ca, ca_key), -EKEYREJECTED);
	assert_true(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	                                       (const unsigned char *)"leaf", -1, -1, 0));
	leaf = tok_attest_cert_new(name, name, ca_key, X509_get0_notBefore(ca_cert),
	                           X509_get0_notAfter(ca_cert));
	assert_non_null(leaf);
	assert_true(X509_sign(leaf, ca_key, EVP_sha256()) > 0);
	assert_int_equal(tok_attest_provision(&f->st, leaf, ca_key), -EINVAL);
	expired = tok_attest_cert_new(name, name, ca_key, past, recent);
	assert_non_null(expired);
	assert_int_equal(tok_attest_ext_conf(expired, NULL, NID_basic_constraints,
	                                     "critical,CA:TRUE"),
	                 0);
	assert_true(X509_sign(expired, ca_key, EVP_sha256()) > 0);
	assert_int_equal(tok_attest_provision(&f->st, expired, ca_key), -EKEYEXPIRED);
	/* The token still has no attestation key. */
	assert_int_equal(f->st.attest.alg, 0);
	assert_null(tok_object_get(&f->st, PIV_TAG_ATTESTATION));
	X509_free(expired);
	X509_free(leaf);
	X509_free(other_ca);
	EVP_PKEY_free(other_key);
	ASN1_TIME_free(past);
	ASN1_TIME_free(recent);
	X509_NAME_free(name);
}

#define ATTEST_ROW(name, row)                                                          \
	{                                                                              \
#name, attestation_of_a_generated_key_verifies_to_the_manufacturer_ca, \
			setup_kinko, piv_fixture_teardown, &row                        \
	}
#define K(fn) cmocka_unit_test_setup_teardown(fn, setup_kinko, piv_fixture_teardown)
#define Y(fn) cmocka_unit_test_setup_teardown(fn, setup_yubikey, piv_fixture_teardown)
#define PLAIN(fn) cmocka_unit_test_setup_teardown(fn, piv_fixture_setup, piv_fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		ATTEST_ROW(attestation_of_rsa2048_in_9a_verifies_to_the_manufacturer_ca,
	                   rsa2048_in_9a),
		ATTEST_ROW(attestation_of_rsa3072_in_9c_verifies_to_the_manufacturer_ca,
	                   rsa3072_in_9c),
		ATTEST_ROW(attestation_of_p256_in_9d_verifies_to_the_manufacturer_ca, p256_in_9d),
		ATTEST_ROW(attestation_of_p384_in_9e_verifies_to_the_manufacturer_ca, p384_in_9e),
		K(two_attestations_have_different_serials),
		Y(yubikey_profile_attests_with_yubicos_extensions),
		K(f9_certificate_names_the_token_and_signs_only_end_entities),
		K(imported_key_is_not_attested_6a80),
		K(empty_slot_is_not_attested_6a88),
		K(attest_of_other_references_refused_6a86),
		PLAIN(token_without_attestation_key_answers_6985),
		K(attestation_key_is_out_of_the_hosts_reach),
		PLAIN(provisioning_refuses_a_bad_manufacturer_ca),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
