/* Doubles of the layers around kinko's parsers, for the programs that test the parsing and
 * not what kinko prints or sends (test_kinko_csr_est, test_kinko_refusal_ja,
 * fuzz_kinko_answers): the report (kinko_msg.c) prints and records nothing, so a fuzzer's
 * millions of inputs cost no memory, and TLS (kinko_tls.c) is never set up, so no transfer
 * starts. Linked before libkinkocli, these keep kinko_msg.o and kinko_tls.o out. */
#include <curl/curl.h>

#include "kinko.h"
#include "kinko_tls.h"

void kinko_err(const kinko_ctx *ctx, const char *code, const char *detail, const char *fmt, ...)
{
	(void)ctx, (void)code, (void)detail, (void)fmt;
}

void kinko_err_field_str(const kinko_ctx *ctx, const char *key, const char *val)
{
	(void)ctx, (void)key, (void)val;
}

void kinko_err_field_int(const kinko_ctx *ctx, const char *key, long long val)
{
	(void)ctx, (void)key, (void)val;
}

void kinko_progress(const kinko_ctx *ctx, const char *fmt, ...)
{
	(void)ctx, (void)fmt;
}

int kinko_tls_token_failure(kinko_ctx *ctx, const char *errbuf)
{
	(void)ctx, (void)errbuf;
	return KINKO_EXIT_OK;
}

int kinko_tls_setup(const kinko_ctx *ctx, kinko_tls *t, CURL *curl, const char *cacert)
{
	(void)ctx, (void)t, (void)curl, (void)cacert;
	return KINKO_EXIT_FAIL;
}
