/* A PKCS#10 request carrying a key attestation as the bank reads it (the attribute of
 * draft-ietf-lamps-csr-attestation, by common's attest_asn1 encoder): what a client on a token
 * with ATTEST sends, built here from files so the tests can forge each part.
 *   attest_csr KEY ATT CHAIN OUT
 * KEY: the request's private key (PEM); ATT: the attestation certificate (PEM), or "none" for
 * a request without the attribute, or "garbage" for an attribute that is not a bundle; CHAIN:
 * PEM certificates sent with it ("-": none); OUT: the request, base64 of its DER. */
#include "attest_asn1.h"
#include "bankd_attest.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

static X509 *read_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x = f != NULL ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;

	if (f != NULL)
		fclose(f);
	return x;
}

static STACK_OF(X509) * read_chain(const char *path)
{
	STACK_OF(X509) *s = sk_X509_new_null();
	FILE *f;
	X509 *x;

	if (s == NULL || strcmp(path, "-") == 0)
		return s;
	f = fopen(path, "r");
	while (f != NULL && (x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL)
		if (sk_X509_push(s, x) <= 0)
			X509_free(x);
	if (f != NULL)
		fclose(f);
	return s;
}

/* The attribute with ATT's bundle (or the garbage one): 0 or -1. */
static int add_attribute(X509_REQ *req, const char *att_path, const char *chain_path)
{
	static const unsigned char garbage[] = {0x30, 0x03, 0x02, 0x01, 0x00};
	X509 *att;
	STACK_OF(X509) * chain;
	int ok;

	if (strcmp(att_path, "garbage") == 0)
		return X509_REQ_add1_attr_by_txt(req, ATTEST_OID_ATTR, V_ASN1_SEQUENCE, garbage,
		                                 (int)sizeof garbage) == 1 ?
		               0 :
		               -1;
	att = read_cert(att_path);
	chain = read_chain(chain_path);
	ok = att != NULL && chain != NULL && attest_req_add(req, att, chain) == 0;
	X509_free(att);
	sk_X509_pop_free(chain, X509_free);
	return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	FILE *f;
	EVP_PKEY *key = NULL;
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = X509_NAME_new();
	unsigned char *der = NULL;
	int n = -1;
	BIO *b64, *out;
	int ok;

	if (argc != 5) {
		fprintf(stderr, "usage: attest_csr KEY ATT|none|garbage CHAIN|- OUT\n");
		return 2;
	}
	f = fopen(argv[1], "r");
	if (f != NULL) {
		key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
	}
	ok = key != NULL && req != NULL && name != NULL &&
	     X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"x", -1,
	                                -1, 0) == 1 &&
	     X509_REQ_set_subject_name(req, name) == 1 && X509_REQ_set_pubkey(req, key) == 1 &&
	     (strcmp(argv[2], "none") == 0 || add_attribute(req, argv[2], argv[3]) == 0) &&
	     X509_REQ_sign(req, key, EVP_sha256()) > 0 && (n = i2d_X509_REQ(req, &der)) > 0;
	if (ok) {
		b64 = BIO_new(BIO_f_base64());
		out = BIO_new_file(argv[4], "w");
		ok = b64 != NULL && out != NULL;
		if (ok) {
			out = BIO_push(b64, out);
			ok = BIO_write(out, der, n) == n && BIO_flush(out) == 1;
			BIO_free_all(out);
		} else {
			BIO_free(b64);
			BIO_free(out);
		}
	}
	OPENSSL_free(der);
	X509_NAME_free(name);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	if (!ok)
		fprintf(stderr, "attest_csr: cannot make the request\n");
	return ok ? 0 : 1;
}
