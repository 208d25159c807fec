/* Is a certificate revoked? Its CRL distribution point is fetched with libcurl and the CRL is
 * believed only when signed by the certificate's issuer among the bank CAs kinko pinned
 * (PEM files in ~/.config/kinko/banks, or $KINKO_STATE_DIR/banks). Any failure leaves the state
 * unknown, with the reason: a listing never fails for it. */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "kinko_crl.h"
#include "kinko_est.h"
#include "i18n.h"

#define CRL_MAX_BYTES (4L * 1024 * 1024) /* a bank's CRL is far smaller; refuse more */
#define CRL_CONNECT_SECONDS 3L
#define CRL_TOTAL_SECONDS 8L

/* One fetched CRL is kept for the run: every certificate of a bank names the same one. */
static struct {
	char url[1024];
	X509_CRL *crl; /* NULL when the last fetch failed */
	char why[512];
} crl_cache;

/* $KINKO_STATE_DIR/banks, else ~/.config/kinko/banks (as kinko_bank_ca_path). */
static bool crl_banks_dir(char *out, size_t cap)
{
	const char *state = getenv("KINKO_STATE_DIR"), *home = getenv("HOME");
	int n;

	if (state && state[0])
		n = snprintf(out, cap, "%s/banks", state);
	else if (home && home[0])
		n = snprintf(out, cap, "%s/.config/kinko/banks", home);
	else
		return false;
	return n > 0 && (size_t)n < cap;
}

/* The pinned CA that issued cert (name and signature); its file in path. */
static X509 *crl_find_ca(X509 *cert, char *path, size_t cap)
{
	char dir[3072];
	struct dirent *e;
	DIR *d;
	X509 *found = NULL;

	if (!crl_banks_dir(dir, sizeof(dir)) || !(d = opendir(dir)))
		return NULL;
	while (!found && (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		FILE *f;
		X509 *ca;

		if (len < 5 || strcmp(e->d_name + len - 4, ".pem") != 0 ||
		    snprintf(path, cap, "%s/%s", dir, e->d_name) >= (int)cap ||
		    !(f = fopen(path, "re")))
			continue;
		ca = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
		if (ca && X509_check_issued(ca, cert) == X509_V_OK &&
		    X509_verify(cert, X509_get0_pubkey(ca)) == 1)
			found = ca;
		else
			X509_free(ca);
	}
	closedir(d);
	return found;
}

/* The first URI of the certificate's CRL distribution points; false when it names none. */
static bool crl_url_of(X509 *cert, char *out, size_t cap)
{
	STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(cert, NID_crl_distribution_points, NULL, NULL);
	bool ok = false;
	int i, j;

	for (i = 0; !ok && i < sk_DIST_POINT_num(dps); i++) {
		DIST_POINT *dp = sk_DIST_POINT_value(dps, i);

		if (!dp->distpoint || dp->distpoint->type != 0)
			continue;
		for (j = 0; !ok && j < sk_GENERAL_NAME_num(dp->distpoint->name.fullname); j++) {
			GENERAL_NAME *gn = sk_GENERAL_NAME_value(dp->distpoint->name.fullname, j);
			const ASN1_IA5STRING *s =
				gn->type == GEN_URI ? gn->d.uniformResourceIdentifier : NULL;

			if (s && s->length > 0 && (size_t)s->length < cap &&
			    !memchr(s->data, '\0', (size_t)s->length)) {
				memcpy(out, s->data, (size_t)s->length);
				out[s->length] = '\0';
				ok = true;
			}
		}
	}
	sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
	return ok;
}

typedef struct {
	unsigned char *data;
	size_t len;
	bool too_big;
} crl_buf;

static size_t crl_write(char *p, size_t size, size_t n, void *arg)
{
	crl_buf *b = arg;
	size_t add = size * n;
	unsigned char *grown;

	if (add > (size_t)CRL_MAX_BYTES - b->len) {
		b->too_big = true;
		return 0; /* too large: the transfer fails */
	}
	grown = realloc(b->data, b->len + add);
	if (!grown)
		return 0;
	memcpy(grown + b->len, p, add);
	b->data = grown;
	b->len += add;
	return add;
}

/* GET url (http or https; TLS checked against the pinned CA file). NULL and why on failure. */
static X509_CRL *crl_fetch(const char *url, const char *ca_file, char *why, size_t cap)
{
	CURL *c = curl_easy_init();
	crl_buf b = {NULL, 0, false};
	struct curl_slist lang = {(char *)kinko_est_accept_language(), NULL};
	const unsigned char *p;
	X509_CRL *crl = NULL;
	long status = 0;
	CURLcode rc;

	if (!c) {
		snprintf(why, cap, "%s", _("out of memory"));
		return NULL;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, &lang);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_CAINFO, ca_file);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, CRL_CONNECT_SECONDS);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, CRL_TOTAL_SECONDS);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, crl_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK || status != 200) {
		if (b.too_big)
			snprintf(why, cap, _("the bank's CRL at %.300s is too long (over %ld KiB)"),
			         url, CRL_MAX_BYTES / 1024);
		else if (rc != CURLE_OK)
			snprintf(why, cap,
			         _("the bank's CRL could not be fetched from %.300s (%s)"), url,
			         curl_easy_strerror(rc));
		else
			snprintf(why, cap,
			         _("the bank's CRL could not be fetched from %.300s (HTTP %ld)"),
			         url, status);
		free(b.data);
		return NULL;
	}
	p = b.data;
	if (b.len > 0 && b.len <= (size_t)CRL_MAX_BYTES)
		crl = d2i_X509_CRL(NULL, &p, (long)b.len);
	if (!crl && b.len > 0) {
		BIO *bio = BIO_new_mem_buf(b.data, (int)b.len);

		crl = bio ? PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL) : NULL;
		BIO_free(bio);
	}
	free(b.data);
	if (!crl)
		snprintf(why, cap, _("the answer from %.300s is not a CRL"), url);
	return crl;
}

/* The revocation reason in words ("superseded"); "" when the CRL gives none. */
static const char *crl_reason(const X509_REVOKED *rev)
{
	/* RFC 5280's names, untranslated: --json's "revocation_detail" carries them to scripts. */
	static const char *const names[] = {"unspecified",      "key compromise",
	                                    "CA compromise",    "affiliation changed",
	                                    "superseded",       "cessation of operation",
	                                    "certificate hold", "",
	                                    "removed from CRL", "privilege withdrawn",
	                                    "AA compromise"};
	ASN1_ENUMERATED *e = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, NULL, NULL);
	long r = e ? ASN1_ENUMERATED_get(e) : -1;

	ASN1_ENUMERATED_free(e);
	return r >= 0 && r < (long)(sizeof(names) / sizeof(names[0])) ? names[r] : "";
}

kinko_crl_state kinko_crl_check(X509 *cert, char *detail, size_t cap)
{
	char url[1024], ca_file[4096];
	X509_REVOKED *rev = NULL;
	X509 *ca;
	kinko_crl_state st;

	detail[0] = '\0';
	if (!crl_url_of(cert, url, sizeof(url))) {
		snprintf(detail, cap, "%s", _("the certificate names no CRL"));
		return KINKO_CRL_NOT_CHECKED;
	}
	ca = crl_find_ca(cert, ca_file, sizeof(ca_file));
	if (!ca) {
		snprintf(detail, cap, "%s",
		         _("its bank's CA is not pinned (enroll or log on with --cacert once)"));
		return KINKO_CRL_UNKNOWN;
	}
	if (strcmp(crl_cache.url, url) != 0) {
		X509_CRL_free(crl_cache.crl);
		crl_cache.crl = crl_fetch(url, ca_file, crl_cache.why, sizeof(crl_cache.why));
		snprintf(crl_cache.url, sizeof(crl_cache.url), "%s", url);
	}
	if (!crl_cache.crl) {
		snprintf(detail, cap, "%s", crl_cache.why);
		st = KINKO_CRL_UNKNOWN;
	} else if (X509_NAME_cmp(X509_CRL_get_issuer(crl_cache.crl), X509_get_subject_name(ca)) !=
	                   0 ||
	           X509_CRL_verify(crl_cache.crl, X509_get0_pubkey(ca)) != 1) {
		snprintf(detail, cap, _("the CRL from %.300s is not signed by the bank's CA"), url);
		st = KINKO_CRL_UNKNOWN;
	} else if (X509_CRL_get0_nextUpdate(crl_cache.crl) &&
	           X509_cmp_current_time(X509_CRL_get0_nextUpdate(crl_cache.crl)) < 0) {
		snprintf(detail, cap, _("the bank's CRL from %.300s is out of date"), url);
		st = KINKO_CRL_UNKNOWN;
	} else if (X509_CRL_get0_by_cert(crl_cache.crl, &rev, cert) == 1) {
		snprintf(detail, cap, "%s", crl_reason(rev));
		st = KINKO_CRL_REVOKED;
	} else {
		snprintf(detail, cap, "%s", _("checked with the bank's CRL"));
		st = KINKO_CRL_GOOD;
	}
	X509_free(ca);
	return st;
}

void kinko_crl_cleanup(void)
{
	X509_CRL_free(crl_cache.crl);
	memset(&crl_cache, 0, sizeof(crl_cache));
}
