/* kinko's CSR and EST pieces without a token or a bank: the request signed through the
 * PKCS#11 layer (here a software key in its place) verifies, carries the right algorithm and
 * survives DER/base64; a wrong signature from the token is caught before the bank sees it;
 * certs-only answers parse and garbage does not; Retry-After in both forms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "kinko_csr.h"
#include "kinko_est.h"
#include "kinko_refusal.h"
#include "kinko_text.h"

/* --- the token, signing with a software key (the report and TLS: cli_doubles.c) --- */
static EVP_PKEY *token_key; /* the "token's" private key */
static EVP_PKEY *wrong_key; /* when set, the "token" signs with this one instead */
static int sign_result = KINKO_EXIT_OK;
static unsigned char last_sig_byte;

int kinko_p11_sign(kinko_ctx *ctx, const kinko_keyobj *k, const unsigned char *data, size_t len,
                   unsigned char **sig, size_t *sig_len)
{
	(void)ctx;
	(void)k;
	if (sign_result != KINKO_EXIT_OK)
		return sign_result;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t n = 0;
	int ok = md != NULL &&
	         EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL,
	                            wrong_key ? wrong_key : token_key) == 1 &&
	         EVP_DigestSign(md, NULL, &n, data, len) == 1 &&
	         (*sig = OPENSSL_malloc(n)) != NULL && EVP_DigestSign(md, *sig, &n, data, len) == 1;
	EVP_MD_CTX_free(md);
	if (!ok)
		return KINKO_EXIT_FAIL;
	*sig_len = n;
	last_sig_byte = (*sig)[n - 1];
	return KINKO_EXIT_OK;
}

/* No attestation: a software key has none (the module's attribute: test_cli_attest.sh). */
CK_BYTE *kinko_p11_attr(kinko_ctx *ctx, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE type, size_t *len)
{
	(void)ctx;
	(void)h;
	(void)type;
	*len = 0;
	return NULL;
}

/* --- helpers --- */
static EVP_PKEY *new_key(kinko_key_type type)
{
	return type == KINKO_KEY_RSA2048 ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048) :
	                                   EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

/* The public half only, as kinko_p11_public_key gives it. */
static EVP_PKEY *public_of(EVP_PKEY *k)
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(k, &der);
	const unsigned char *p = der;
	EVP_PKEY *pub = n > 0 ? d2i_PUBKEY(NULL, &p, n) : NULL;
	OPENSSL_free(der);
	return pub;
}

static X509_REQ *build(kinko_key_type type, const char *cn, int *rc)
{
	kinko_ctx ctx;
	kinko_keyobj k;
	memset(&ctx, 0, sizeof ctx);
	memset(&k, 0, sizeof k);
	k.type = type;
	EVP_PKEY *pub = public_of(token_key);
	assert_non_null(pub);
	X509_REQ *req = NULL;
	*rc = kinko_csr_build(&ctx, &k, pub, cn, &req);
	EVP_PKEY_free(pub);
	return req;
}

static int teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(token_key);
	EVP_PKEY_free(wrong_key);
	token_key = wrong_key = NULL;
	sign_result = KINKO_EXIT_OK;
	return 0;
}

static void assert_cn(X509_REQ *req, const char *cn)
{
	char buf[128];
	X509_NAME *name = X509_REQ_get_subject_name(req);
	assert_int_equal(X509_NAME_get_text_by_NID(name, NID_commonName, buf, sizeof buf),
	                 (int)strlen(cn));
	assert_string_equal(buf, cn);
}

/* The request as the bank receives it: base64 DER decoded and parsed again, verified. */
static void assert_round_trip_verifies(X509_REQ *req)
{
	char *b64 = kinko_csr_base64(req);
	assert_non_null(b64);
	assert_null(strchr(b64, '\n'));
	unsigned char der[8192];
	int n = EVP_DecodeBlock(der, (unsigned char *)b64, (int)strlen(b64));
	assert_true(n > 0);
	size_t pad = strlen(b64) >= 2 ?
	                     (b64[strlen(b64) - 1] == '=') + (b64[strlen(b64) - 2] == '=') :
	                     0;
	const unsigned char *p = der;
	X509_REQ *back = d2i_X509_REQ(NULL, &p, n - (int)pad);
	assert_non_null(back);
	assert_int_equal(X509_REQ_verify(back, X509_REQ_get0_pubkey(back)), 1);
	X509_REQ_free(back);
	OPENSSL_free(b64);
}

/* --- CSR --- */
/* A request for a token key of this type: signed by that key with sig_nid, for that key, the
 * CN as given, and whole again after base64 DER. */
static void assert_signed_request(kinko_key_type type, int sig_nid)
{
	int rc;
	token_key = new_key(type);
	X509_REQ *req = build(type, "1234567890", &rc);
	assert_int_equal(rc, KINKO_EXIT_OK);
	assert_non_null(req);
	assert_int_equal(X509_REQ_verify(req, token_key), 1);
	assert_int_equal(X509_REQ_get_signature_nid(req), sig_nid);
	assert_int_equal(EVP_PKEY_eq(X509_REQ_get0_pubkey(req), token_key), 1);
	assert_cn(req, "1234567890");
	assert_round_trip_verifies(req);
	X509_REQ_free(req);
}

static void csr_rsa_is_signed_by_the_token_key_with_sha256_rsa(void **state)
{
	(void)state;
	assert_signed_request(KINKO_KEY_RSA2048, NID_sha256WithRSAEncryption);
}

static void csr_p256_is_signed_with_ecdsa_sha256(void **state)
{
	(void)state;
	assert_signed_request(KINKO_KEY_P256, NID_ecdsa_with_SHA256);
}

/* A signature whose last byte ends in zero bits is still whole bytes in the BIT STRING (a
 * wrong "unused bits" count would break it): many signatures, every one verifies. */
static void csr_signature_ending_in_zero_bits_still_verifies(void **state)
{
	(void)state;
	int even_seen = 0;
	token_key = new_key(KINKO_KEY_P256);
	for (int i = 0; i < 64; i++) {
		int rc;
		X509_REQ *req = build(KINKO_KEY_P256, "1234567890", &rc);
		assert_int_equal(rc, KINKO_EXIT_OK);
		assert_round_trip_verifies(req);
		even_seen += (last_sig_byte & 1) == 0;
		X509_REQ_free(req);
	}
	assert_true(even_seen > 0);
}

static void csr_with_a_wrong_token_signature_is_refused_before_the_bank(void **state)
{
	(void)state;
	int rc;
	token_key = new_key(KINKO_KEY_P256);
	wrong_key = new_key(KINKO_KEY_P256);
	X509_REQ *req = build(KINKO_KEY_P256, "1234567890", &rc);
	assert_int_equal(rc, KINKO_EXIT_TOKEN);
	assert_null(req);
}

static void csr_passes_on_the_token_failure(void **state)
{
	(void)state;
	int rc;
	token_key = new_key(KINKO_KEY_P256);
	sign_result = KINKO_EXIT_TOKEN;
	X509_REQ *req = build(KINKO_KEY_P256, "1234567890", &rc);
	assert_int_equal(rc, KINKO_EXIT_TOKEN);
	assert_null(req);
}

/* --- EST answers --- */
static X509 *self_signed(EVP_PKEY *k)
{
	X509 *x = X509_new();
	assert_non_null(x);
	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	                           (const unsigned char *)"test CA", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, k);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	return x;
}

/* base64 (64-column lines) of the DER of a certs-only PKCS#7 with cert (or none). */
static char *certs_only_b64(X509 *cert, size_t *len)
{
	PKCS7 *p7 = PKCS7_new();
	assert_non_null(p7);
	assert_int_equal(PKCS7_set_type(p7, NID_pkcs7_signed), 1);
	assert_int_equal(PKCS7_content_new(p7, NID_pkcs7_data), 1);
	if (cert != NULL)
		assert_int_equal(PKCS7_add_certificate(p7, cert), 1);
	BIO *mem = BIO_new(BIO_s_mem()), *b64 = BIO_new(BIO_f_base64());
	BIO_push(b64, mem);
	assert_true(i2d_PKCS7_bio(b64, p7) == 1);
	(void)BIO_flush(b64);
	char *data;
	long n = BIO_get_mem_data(mem, &data);
	char *out = malloc((size_t)n + 1);
	assert_non_null(out);
	memcpy(out, data, (size_t)n);
	out[n] = '\0';
	*len = (size_t)n;
	BIO_free_all(b64);
	PKCS7_free(p7);
	return out;
}

static void est_certs_only_answer_with_line_breaks_gives_the_certificate(void **state)
{
	(void)state;
	token_key = new_key(KINKO_KEY_P256);
	X509 *x = self_signed(token_key);
	size_t n;
	char *b64 = certs_only_b64(x, &n);
	assert_non_null(strchr(b64, '\n'));
	STACK_OF(X509) *certs = kinko_est_parse_certs(b64, n);
	assert_non_null(certs);
	assert_int_equal(sk_X509_num(certs), 1);
	assert_int_equal(X509_cmp(sk_X509_value(certs, 0), x), 0);
	sk_X509_pop_free(certs, X509_free);
	free(b64);
	X509_free(x);
}

static void est_answers_that_are_not_certs_only_are_refused(void **state)
{
	(void)state;
	static const char not_b64[] = "the bank refused: not base64 at all!";
	static const char junk_b64[] = "AAECAwQFBgcICQoLDA0ODw==";
	assert_null(kinko_est_parse_certs(not_b64, strlen(not_b64)));
	assert_null(kinko_est_parse_certs(junk_b64, strlen(junk_b64)));
	assert_null(kinko_est_parse_certs("", 0));
	size_t n;
	char *empty = certs_only_b64(NULL, &n); /* signed-data without certificates */
	assert_null(kinko_est_parse_certs(empty, n));
	free(empty);
	/* One PKCS#7 followed by more bytes is not one PKCS#7. */
	token_key = new_key(KINKO_KEY_P256);
	X509 *x = self_signed(token_key);
	PKCS7 *p7 = PKCS7_new();
	assert_non_null(p7);
	assert_int_equal(PKCS7_set_type(p7, NID_pkcs7_signed), 1);
	assert_int_equal(PKCS7_content_new(p7, NID_pkcs7_data), 1);
	assert_int_equal(PKCS7_add_certificate(p7, x), 1);
	unsigned char der[8192], b64[8192 / 3 * 4 + 8];
	unsigned char *p = der;
	int dn = i2d_PKCS7(p7, NULL);
	assert_true(dn > 0 && dn + 3 <= (int)sizeof der);
	i2d_PKCS7(p7, &p);
	int bn = EVP_EncodeBlock(b64, der, dn);
	STACK_OF(X509) *ok = kinko_est_parse_certs((char *)b64, (size_t)bn);
	assert_non_null(ok); /* the same bytes without the tail are fine */
	sk_X509_pop_free(ok, X509_free);
	memset(der + dn, 0, 3);
	bn = EVP_EncodeBlock(b64, der, dn + 3);
	assert_null(kinko_est_parse_certs((char *)b64, (size_t)bn));
	PKCS7_free(p7);
	X509_free(x);
}

static void est_retry_after_takes_seconds_or_an_http_date(void **state)
{
	(void)state;
	assert_int_equal(kinko_est_retry_after(" 60\r\n", 5), 60);
	assert_int_equal(kinko_est_retry_after("0", 1), 0);
	assert_int_equal(kinko_est_retry_after("99999999999", 11), 86400);
	assert_int_equal(kinko_est_retry_after("-5", 2), 0); /* the minimum wait, below */
	assert_int_equal(kinko_est_retry_after("soon", 4), -1);
	assert_int_equal(kinko_est_retry_after(" \r\n", 3), -1);
	char date[64];
	time_t later = time(NULL) + 120;
	struct tm tm;
	gmtime_r(&later, &tm);
	size_t n = strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	long s = kinko_est_retry_after(date, n);
	assert_true(s >= 115 && s <= 120);
	assert_int_equal(kinko_est_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 29), 0);
}

/* A hostile or broken bank's Retry-After never makes kinko ask again at once nor wait
 * forever: negative and past values are the minimum wait (1 s), absurd ones the maximum. */
static void est_retry_after_negative_absurd_or_past_waits_between_1_and_10_s(void **state)
{
	(void)state;
	static const char *minimum[] = {"-5",
	                                " -1 ",
	                                "-0",
	                                "-99999999999999999999",
	                                "0",
	                                "Sun, 06 Nov 1994 08:49:37 GMT",
	                                "Thu, 01 Jan 1970 00:00:00 GMT"};
	for (size_t i = 0; i < sizeof minimum / sizeof minimum[0]; i++) {
		long ra = kinko_est_retry_after(minimum[i], strlen(minimum[i]));
		assert_int_equal(ra, 0);
		assert_int_equal(kinko_est_next_wait(ra, 3600), 1);
	}
	static const char *absurd[] = {"999999999", "99999999999999999999999999999999",
	                               "Fri, 31 Dec 9999 23:59:59 GMT"};
	for (size_t i = 0; i < sizeof absurd / sizeof absurd[0]; i++) {
		long ra = kinko_est_retry_after(absurd[i], strlen(absurd[i]));
		assert_int_equal(ra, 86400);
		assert_int_equal(kinko_est_next_wait(ra, 3600), KINKO_EST_WAIT_MAX);
	}
	/* Neither a number nor a date: as if there were none, the usual wait. */
	static const char *junk[] = {"+5", "1e9", "- 5", "--5", "5s", "\x1b[2J"};
	for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
		long ra = kinko_est_retry_after(junk[i], strlen(junk[i]));
		assert_true(ra == -1 || (ra >= 0 && ra <= 86400));
		long w = kinko_est_next_wait(ra, 3600);
		assert_true(w >= 1 && w <= KINKO_EST_WAIT_MAX);
	}
	/* Never past the deadline, never zero. */
	assert_int_equal(kinko_est_next_wait(86400, 3), 3);
	assert_int_equal(kinko_est_next_wait(0, 0), 1);
	assert_int_equal(kinko_est_next_wait(-1, -5), 1);
}

/* One cleaner for every bank text: escapes and C1/bidi controls become '?', line breaks a
 * blank, Japanese stays, a cut never splits a character. */
static void bank_text_controls_become_question_marks_and_utf8_stays(void **state)
{
	(void)state;
	char out[64];
	static const char evil[] = "a\x1b[2J\x1b]0;t\x07\xc2\x9b"
				   "1m\xe2\x80\xae\r\nb\x7f\xff\xc0\xaf";
	kinko_text_clean(evil, sizeof evil - 1, out, sizeof out);
	assert_string_equal(out, "a?[2J?]0;t??1m?  b????");
	static const char jp[] = "\xe5\xa5\x91\xe7\xb4\x84 PIN (\xe3\x82\xa4)"; /* 契約 PIN (イ) */
	kinko_text_clean(jp, sizeof jp - 1, out, sizeof out);
	assert_string_equal(out, jp);
	assert_int_equal(kinko_text_clean(jp, sizeof jp - 1, out, 5),
	                 3); /* 契 only: 約 does not fit */
	assert_int_equal(kinko_text_clean("x\0y", 3, out, sizeof out), 3);
	assert_string_equal(out, "x?y");
	assert_int_equal(kinko_text_clean(NULL, 0, out, sizeof out), 0);
	assert_string_equal(out, "");
}

static void refusal_headers_name_the_secret_and_the_tries_left(void **state)
{
	(void)state;
	kinko_refusal r;
	kinko_refusal_init(&r);
	static const char *lines[] =
		{"Content-Type: text/plain\r\n",
	         "kinko-wrong-secret:  contract_pin,contract_confirmation_pin \r\n",
	         "Kinko-Tries-Left: 1\r\n", "Kinko-Locked: contract\r\n"};
	kinko_refusal_header(&r, lines[0], strlen(lines[0]));
	assert_string_equal(r.secret, "");
	assert_int_equal(r.tries_left, -1);
	for (size_t i = 1; i < 4; i++)
		kinko_refusal_header(&r, lines[i], strlen(lines[i]));
	assert_string_equal(r.secret, "contract_pin,contract_confirmation_pin");
	assert_int_equal(r.tries_left, 1);
	assert_string_equal(r.locked, "contract");
	/* Values that are not names or numbers are not kept. */
	kinko_refusal_init(&r);
	static const char *bad[] = {"Kinko-Wrong-Secret: <script>\r\n", "Kinko-Tries-Left: -3\r\n",
	                            "Kinko-Tries-Left: 99999999999\r\n",
	                            "Kinko-Locked: everyone\r\n", "Kinko-Tries-Left-Extra: 2\r\n"};
	for (size_t i = 0; i < 5; i++)
		kinko_refusal_header(&r, bad[i], strlen(bad[i]));
	assert_string_equal(r.secret, "");
	assert_int_equal(r.tries_left, -1);
	assert_string_equal(r.locked, "");
}

static void est_wait_honours_a_shorter_retry_after_and_is_capped_at_10_s(void **state)
{
	(void)state;
	assert_int_equal(kinko_est_next_wait(3, 300), 3);   /* shorter: as the bank asks */
	assert_int_equal(kinko_est_next_wait(60, 300), 10); /* kinko-bankd's 60 s: capped */
	assert_int_equal(kinko_est_next_wait(-1, 300), 10); /* none given */
	assert_int_equal(kinko_est_next_wait(60, 4), 4);    /* not past --max-wait */
	assert_int_equal(kinko_est_next_wait(0, 300), 1);   /* never a busy loop */
	assert_int_equal(kinko_est_next_wait(60, 0), 1);    /* a last try at the deadline */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(csr_rsa_is_signed_by_the_token_key_with_sha256_rsa,
	                                  teardown),
		cmocka_unit_test_teardown(csr_p256_is_signed_with_ecdsa_sha256, teardown),
		cmocka_unit_test_teardown(csr_signature_ending_in_zero_bits_still_verifies,
	                                  teardown),
		cmocka_unit_test_teardown(
			csr_with_a_wrong_token_signature_is_refused_before_the_bank, teardown),
		cmocka_unit_test_teardown(csr_passes_on_the_token_failure, teardown),
		cmocka_unit_test_teardown(
			est_certs_only_answer_with_line_breaks_gives_the_certificate, teardown),
		cmocka_unit_test_teardown(est_answers_that_are_not_certs_only_are_refused,
	                                  teardown),
		cmocka_unit_test_teardown(est_retry_after_takes_seconds_or_an_http_date, teardown),
		cmocka_unit_test_teardown(
			est_wait_honours_a_shorter_retry_after_and_is_capped_at_10_s, teardown),
		cmocka_unit_test_teardown(
			est_retry_after_negative_absurd_or_past_waits_between_1_and_10_s, teardown),
		cmocka_unit_test_teardown(bank_text_controls_become_question_marks_and_utf8_stays,
	                                  teardown),
		cmocka_unit_test_teardown(refusal_headers_name_the_secret_and_the_tries_left,
	                                  teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
