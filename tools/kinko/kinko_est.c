/* kinko: EST enrollment on libcurl. The bank's answer is kept only when it is a certs-only
 * CMS; anything else is shown to the user as the bank's reason, in its own words. */
#include "kinko_est.h"
#include "kinko_csr.h"
#include "kinko_refusal.h"
#include "kinko_signal.h"
#include "kinko_text.h"
#include "i18n.h"

#include <ctype.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pkcs7.h>

#define EST_BODY_MAX (256 * 1024) /* a certificate answer is a few KiB */
#define EST_TIMEOUT_SECONDS 60L
#define EST_CONNECT_TIMEOUT_SECONDS 10L

typedef struct {
	char *body;
	size_t len;
	bool too_big;
	long retry_after;      /* seconds, -1 when the answer has none */
	kinko_refusal refusal; /* which secret the bank refused, from its Kinko-* headers */
} est_answer;

static size_t est_on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	est_answer *a = arg;
	size_t n = size * nmemb;
	if (n > EST_BODY_MAX - a->len) {
		a->too_big = true;
		return 0;
	}
	char *grown = realloc(a->body, a->len + n + 1);
	if (grown == NULL)
		return 0;
	a->body = grown;
	memcpy(a->body + a->len, data, n);
	a->len += n;
	a->body[a->len] = '\0';
	return n;
}

long kinko_est_retry_after(const char *v, size_t n)
{
	char buf[64];
	while (n > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)v[n - 1]))
		n--;
	if (n == 0 || n >= sizeof buf)
		return -1;
	memcpy(buf, v, n);
	buf[n] = '\0';
	/* A negative delay is nonsense, not "now and again at once": the minimum wait. */
	if (buf[0] == '-' && n > 1 && strspn(buf + 1, "0123456789") == n - 1)
		return 0;
	if (strspn(buf, "0123456789") == n) {
		unsigned long s = n <= 9 ? strtoul(buf, NULL, 10) : 86400UL;
		return s > 86400UL ? 86400L : (long)s;
	}
	time_t when = curl_getdate(buf, NULL);
	if (when == -1)
		return -1;
	time_t now = time(NULL);
	return when <= now ? 0 : (when - now > 86400 ? 86400L : (long)(when - now));
}

static size_t est_on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	est_answer *a = arg;
	size_t n = size * nmemb;
	static const char name[] = "Retry-After:";
	if (n > sizeof name - 1 && strncasecmp(data, name, sizeof name - 1) == 0)
		a->retry_after =
			kinko_est_retry_after(data + sizeof name - 1, n - (sizeof name - 1));
	else
		kinko_refusal_header(&a->refusal, data, n);
	return n;
}

long kinko_est_next_wait(long retry_after, long remaining)
{
	/* A shorter Retry-After is honoured; a longer one is not waited out in one go, so an
	 * approval given meanwhile is seen within KINKO_EST_WAIT_MAX; and a last try at the
	 * deadline rather than none. */
	long wait = retry_after >= 0 && retry_after < KINKO_EST_WAIT_MAX ? retry_after :
	                                                                   KINKO_EST_WAIT_MAX;
	if (wait > remaining)
		wait = remaining;
	return wait < 1 ? 1 : wait;
}

STACK_OF(X509) * kinko_est_parse_certs(const char *b64, size_t len)
{
	if (len > EST_BODY_MAX || len > INT_MAX)
		return NULL;
	unsigned char *der = OPENSSL_malloc(len + 4); /* base64 decodes to less than its length */
	EVP_ENCODE_CTX *dec = EVP_ENCODE_CTX_new();
	STACK_OF(X509) *out = NULL;
	int n = 0, tail = 0;
	if (der == NULL || dec == NULL)
		goto done;
	EVP_DecodeInit(dec);
	if (EVP_DecodeUpdate(dec, der, &n, (const unsigned char *)b64, (int)len) < 0 ||
	    EVP_DecodeFinal(dec, der + n, &tail) != 1)
		goto done;
	n += tail;
	const unsigned char *p = der;
	PKCS7 *p7 = d2i_PKCS7(NULL, &p, n);
	if (p7 != NULL && p == der + n && PKCS7_type_is_signed(p7) && p7->d.sign != NULL &&
	    p7->d.sign->cert != NULL && sk_X509_num(p7->d.sign->cert) > 0) {
		out = sk_X509_new_null();
		for (int i = 0; out != NULL && i < sk_X509_num(p7->d.sign->cert); i++) {
			X509 *x = sk_X509_value(p7->d.sign->cert, i);
			if (!X509_up_ref(x))
				continue;
			if (!sk_X509_push(out, x))
				X509_free(x);
		}
	}
	PKCS7_free(p7);
done:
	EVP_ENCODE_CTX_free(dec);
	OPENSSL_free(der);
	return out;
}

const char *kinko_est_accept_language(void)
{
	/* The language kinko's own messages are in: the bank's texts then match them. */
	const char *lc = setlocale(LC_MESSAGES, NULL);
	return lc != NULL && strncmp(lc, "ja", 2) == 0 ? "Accept-Language: ja, en;q=0.5" :
	                                                 "Accept-Language: en";
}

/* "https://bank:8443/" + "simpleenroll" -> "https://bank:8443/.well-known/est/simpleenroll". */
static char *est_url(const char *bank_url, const char *op)
{
	size_t n = strlen(bank_url);
	while (n > 0 && bank_url[n - 1] == '/')
		n--;
	char *url = NULL;
	if (asprintf(&url, "%.*s/.well-known/est/%s", (int)n, bank_url, op) < 0)
		return NULL;
	return url;
}

/* The secret headers are list nodes over our own buffers (curl only reads the list), so they
 * are wiped here rather than left in memory curl frees. */
typedef struct {
	struct curl_slist nodes[5];
	char auth[512];
	char confirm[KINKO_SECRET_MAX + 32];
} est_headers;

static int est_headers_build(const kinko_est_req *r, est_headers *h)
{
	static char ctype[] = "Content-Type: application/pkcs10";
	static char cte[] = "Content-Transfer-Encoding: base64";
	size_t n = 0;
	h->nodes[n++].data = ctype;
	h->nodes[n++].data = cte;
	h->nodes[n++].data = (char *)kinko_est_accept_language(); /* curl only reads it */
	if (r->user != NULL) {
		char creds[2 * KINKO_SECRET_MAX + 2];
		unsigned char b64[sizeof creds / 3 * 4 + 8];
		int len = snprintf(creds, sizeof creds, "%s:%s", r->user, r->password);
		int ok = len > 0 && (size_t)len < sizeof creds;
		if (ok) {
			EVP_EncodeBlock(b64, (unsigned char *)creds, len);
			ok = (size_t)snprintf(h->auth, sizeof h->auth, "Authorization: Basic %s",
			                      b64) < sizeof h->auth;
			ok = ok && (size_t)snprintf(h->confirm, sizeof h->confirm,
			                            "Kinko-Confirmation-PIN: %s",
			                            r->confirmation) < sizeof h->confirm;
		}
		OPENSSL_cleanse(creds, sizeof creds);
		OPENSSL_cleanse(b64, sizeof b64);
		if (!ok)
			return -1;
		h->nodes[n++].data = h->auth;
		h->nodes[n++].data = h->confirm;
	}
	for (size_t i = 0; i < n; i++)
		h->nodes[i].next = i + 1 < n ? &h->nodes[i + 1] : NULL;
	return 0;
}

/* One POST. Returns the HTTP status, or 0 with *cc set when the transfer failed. */
static long est_post(kinko_ctx *ctx, const kinko_est_req *r, const char *url, const char *body,
                     est_headers *h, est_answer *a, CURLcode *cc, char *errbuf)
{
	CURL *curl = curl_easy_init();
	long status = 0;
	*cc = CURLE_OUT_OF_MEMORY;
	if (curl == NULL)
		return 0;
	if (kinko_tls_setup(ctx, r->tls, curl, r->cacert) != KINKO_EXIT_OK) {
		curl_easy_cleanup(curl);
		*cc = CURLE_SSL_ENGINE_INITFAILED;
		return 0;
	}
	errbuf[0] = '\0';
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, &h->nodes[0]);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, est_on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, est_on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, a);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, EST_TIMEOUT_SECONDS);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, EST_CONNECT_TIMEOUT_SECONDS);
	*cc = curl_easy_perform(curl);
	if (*cc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(curl);
	return status;
}

static int est_transfer_error(kinko_ctx *ctx, const kinko_est_req *r, CURLcode cc,
                              const char *errbuf, const est_answer *a)
{
	const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(cc);
	if (cc == CURLE_ABORTED_BY_CALLBACK && kinko_signal_caught())
		return kinko_signal_report(ctx);
	if (a->too_big) {
		kinko_err(ctx, "answer_too_long", detail,
		          _("the bank's answer is too long (over %d KiB)"), EST_BODY_MAX / 1024);
		return KINKO_EXIT_BANK;
	}
	/* By cause: a token pulled out under the TLS handshake is the token's failure. */
	int why = r->tls != NULL && cc != CURLE_PEER_FAILED_VERIFICATION &&
	                          cc != CURLE_SSL_CACERT_BADFILE &&
	                          cc != CURLE_SSL_ENGINE_INITFAILED ?
	                  kinko_tls_token_failure(ctx, detail) :
	                  KINKO_EXIT_OK;
	if (why != KINKO_EXIT_OK)
		return why;
	switch (cc) {
	case CURLE_SSL_ENGINE_INITFAILED: return KINKO_EXIT_FAIL; /* kinko_tls_setup said why */
	case CURLE_PEER_FAILED_VERIFICATION:
		kinko_err(
			ctx, "bank_not_authentic", detail,
			_("the bank's TLS certificate is not from the CA in %s: is %s the right bank?"),
			r->cacert, r->bank_url);
		return KINKO_EXIT_VERIFY;
	case CURLE_SSL_CACERT_BADFILE:
		kinko_err(ctx, "cacert_unreadable", detail,
		          _("cannot use %s as the bank's CA certificate (PEM expected)"),
		          r->cacert);
		return KINKO_EXIT_FAIL;
	case CURLE_OUT_OF_MEMORY:
		kinko_err(ctx, "out_of_memory", detail, _("out of memory"));
		return KINKO_EXIT_FAIL;
	case CURLE_WRITE_ERROR:
		kinko_err(ctx, "answer_not_stored", detail,
		          _("the bank's answer could not be stored"));
		return KINKO_EXIT_FAIL;
	default:
		kinko_err(ctx, "bank_unreachable", detail, _("cannot reach the bank at %s"),
		          r->bank_url);
		return KINKO_EXIT_NETWORK;
	}
}

int kinko_est_reach(kinko_ctx *ctx, const char *bank_url, const char *cacert)
{
	kinko_est_req r = {bank_url, cacert, 0, NULL, NULL, NULL, NULL};
	char *url = est_url(bank_url, "cacerts"), errbuf[CURL_ERROR_SIZE] = "";
	CURL *curl = url != NULL ? curl_easy_init() : NULL;
	est_answer a = {NULL, 0, false, -1, {"", -1, ""}};
	struct curl_slist lang = {(char *)kinko_est_accept_language(), NULL};
	int rc = KINKO_EXIT_FAIL;
	if (curl == NULL) {
		kinko_err(ctx, "out_of_memory", NULL, _("out of memory"));
		free(url);
		return rc;
	}
	if (kinko_tls_setup(ctx, NULL, curl, cacert) == KINKO_EXIT_OK) {
		/* Only that the bank answers over TLS with a certificate from its CA matters here: any
		 * HTTP answer will do, and the (small) body is dropped. */
		curl_easy_setopt(curl, CURLOPT_URL, url);
		curl_easy_setopt(curl, CURLOPT_HTTPHEADER, &lang);
		curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, est_on_body);
		curl_easy_setopt(curl, CURLOPT_WRITEDATA, &a);
		curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
		curl_easy_setopt(curl, CURLOPT_TIMEOUT, EST_CONNECT_TIMEOUT_SECONDS);
		curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, EST_CONNECT_TIMEOUT_SECONDS);
		CURLcode cc = curl_easy_perform(curl);
		rc = cc == CURLE_OK ? KINKO_EXIT_OK : est_transfer_error(ctx, &r, cc, errbuf, &a);
	}
	curl_easy_cleanup(curl);
	free(a.body);
	free(url);
	return rc;
}

/* The bank's own words (text/plain), on one line and without control characters. */
static void est_reason(const est_answer *a, char *out, size_t cap)
{
	size_t j = kinko_text_clean(a->body, a->body != NULL ? a->len : 0, out, cap);
	while (j > 0 && out[j - 1] == ' ')
		j--;
	out[j] = '\0';
	if (j == 0)
		snprintf(out, cap, "%s", _("no reason given"));
}

static int est_answer_ok(kinko_ctx *ctx, const est_answer *a, X509 **cert)
{
	STACK_OF(X509) *certs = kinko_est_parse_certs(a->body, a->len);
	if (certs == NULL) {
		kinko_err(ctx, "bank_answer_invalid", NULL,
		          _("the bank's answer is not a certificate (certs-only PKCS#7)"));
		return KINKO_EXIT_VERIFY;
	}
	*cert = sk_X509_shift(certs);
	sk_X509_pop_free(certs, X509_free);
	return KINKO_EXIT_OK;
}

static void est_answer_reset(est_answer *a)
{
	free(a->body);
	a->body = NULL;
	a->len = 0;
	a->too_big = false;
	a->retry_after = -1;
	kinko_refusal_init(&a->refusal);
}

int kinko_est_enroll(kinko_ctx *ctx, const kinko_est_req *r, X509_REQ *req, X509 **cert)
{
	*cert = NULL;
	char *url = est_url(r->bank_url, r->tls != NULL ? "simplereenroll" : "simpleenroll");
	char *body = kinko_csr_base64(req);
	est_headers *h = OPENSSL_zalloc(sizeof *h);
	est_answer a = {NULL, 0, false, -1, {"", -1, ""}};
	char errbuf[CURL_ERROR_SIZE], reason[512];
	int rc = KINKO_EXIT_FAIL;
	if (url == NULL || body == NULL || h == NULL || est_headers_build(r, h) != 0) {
		kinko_err(ctx, "internal", NULL, _("cannot prepare the enrollment request"));
		goto out;
	}
	time_t deadline = time(NULL) + (r->max_wait > 0 ? r->max_wait : 0);
	for (;;) {
		CURLcode cc;
		if (kinko_signal_caught()) {
			rc = kinko_signal_report(ctx);
			break;
		}
		est_answer_reset(&a);
		long status = est_post(ctx, r, url, body, h, &a, &cc, errbuf);
		if (status == 0) {
			rc = est_transfer_error(ctx, r, cc, errbuf, &a);
			break;
		}
		est_reason(&a, reason, sizeof reason);
		char detail[32];
		snprintf(detail, sizeof detail, "HTTP %ld", status);
		if (status == 200) {
			rc = est_answer_ok(ctx, &a, cert);
			break;
		}
		if (status == 401 || status == 403) {
			kinko_refusal_report(ctx, &a.refusal, reason, status);
			rc = KINKO_EXIT_BANK;
			break;
		}
		if (status != 202) {
			kinko_err(ctx, "enroll_failed", detail, _("the bank could not enroll: %s"),
			          reason);
			rc = KINKO_EXIT_FAIL;
			break;
		}
		time_t now = time(NULL);
		if (now >= deadline) {
			kinko_err(
				ctx, "enroll_pending", detail,
				_("the bank refused: %s (still pending after %ld s; run the same command "
			          "again later)"),
				reason, r->max_wait);
			rc = KINKO_EXIT_BANK;
			break;
		}
		long wait = kinko_est_next_wait(a.retry_after, (long)(deadline - now));
		kinko_progress(ctx,
		               _("waiting for the bank's approval (%s); asking again in %ld s\n"),
		               reason, wait);
		(void)kinko_signal_sleep(wait); /* a signal is seen at the top of the loop */
	}
out:
	if (h != NULL)
		OPENSSL_clear_free(h, sizeof *h);
	est_answer_reset(&a);
	OPENSSL_free(body);
	free(url);
	return rc;
}
