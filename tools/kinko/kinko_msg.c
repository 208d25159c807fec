/* kinko's messages: errors in the user's terms on stderr (the PKCS#11 or HTTP detail with
 * --verbose), progress on stderr, PKCS#11 return values by name. With --json every error is
 * also recorded here, and main prints it at exit as one object on stdout, so a script reading
 * stdout gets JSON whatever happened. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "i18n.h"
#include "kinko_p11.h"
#include "kinko_text.h"

/* The run's error record: {"message", "code"?, "messages"?, "detail"?, "ckr"?, "http_status"?, fields}.
 * One run, one thread printing errors: a static is enough. */
static json_t *msg_error;

/* A JSON string of text; invalid UTF-8 (a file name, a token label) becomes '?' first. */
static json_t *msg_string(const char *text)
{
	json_t *s = json_string(text);
	char *copy;

	if (s || !text)
		return s;
	copy = strdup(text);
	if (!copy)
		return NULL;
	kinko_p11_clean_text(copy);
	s = json_string(copy);
	free(copy);
	return s;
}

static json_t *msg_record(void)
{
	if (!msg_error)
		msg_error = json_object();
	return msg_error;
}

/* The expert detail as fields a script can test: "CKR_PIN_INCORRECT" → "ckr", "HTTP 403" →
 * "http_status"; any detail is kept whole in "detail". */
static void msg_detail_fields(json_t *e, const char *detail)
{
	char *end;
	long status;

	json_object_set_new(e, "detail", msg_string(detail));
	if (strncmp(detail, "CKR_", 4) == 0 || strncmp(detail, "CKR 0x", 6) == 0) {
		json_object_set_new(e, "ckr", json_stringn(detail, strcspn(detail, " ,;)")));
	} else if (strncmp(detail, "HTTP ", 5) == 0) {
		status = strtol(detail + 5, &end, 10);
		if (end != detail + 5 && status >= 100 && status <= 599)
			json_object_set_new(e, "http_status", json_integer(status));
	}
}

static void msg_record_message(const char *text, const char *detail)
{
	json_t *e = msg_record(), *all;

	if (!e)
		return;
	/* The last message is the conclusion ("the new PIN was not confirmed"); earlier ones stay
	 * in "messages", in order. */
	all = json_object_get(e, "messages");
	if (!all) {
		all = json_array();
		json_object_set_new(e, "messages", all);
	}
	json_array_append_new(all, msg_string(text));
	json_object_set_new(e, "message", msg_string(text));
	if (detail && detail[0])
		msg_detail_fields(e, detail);
}

static void msg_print(const kinko_ctx *ctx, const char *code, const char *detail, const char *fmt,
                      va_list ap) __attribute__((format(printf, 4, 0)));

static void msg_print(const kinko_ctx *ctx, const char *code, const char *detail, const char *fmt,
                      va_list ap)
{
	char text[1024];
	json_t *e;

	vsnprintf(text, sizeof(text), fmt, ap);
	fprintf(stderr, "kinko: %s", text);
	if (ctx && ctx->verbose && detail && detail[0]) {
		/* curl's texts quote the server (a certificate's subject name): the bank's words. */
		char clean[512];
		kinko_text_clean(detail, strlen(detail), clean, sizeof clean);
		fprintf(stderr, " (%s)", clean);
	}
	fputc('\n', stderr);
	msg_record_message(text, detail);
	/* The code goes with the last message, as "message" does. */
	e = msg_record();
	if (e && code)
		json_object_set_new(e, "code", json_string(code));
	else if (e)
		json_object_del(e, "code");
}

void kinko_err(const kinko_ctx *ctx, const char *code, const char *detail, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_print(ctx, code, detail, fmt, ap);
	va_end(ap);
}

void kinko_err_field_str(const kinko_ctx *ctx, const char *key, const char *val)
{
	json_t *e = msg_record();

	(void)ctx;
	if (e && key && val)
		json_object_set_new(e, key, msg_string(val));
}

void kinko_err_field_int(const kinko_ctx *ctx, const char *key, long long val)
{
	json_t *e = msg_record();

	(void)ctx;
	if (e && key)
		json_object_set_new(e, key, json_integer((json_int_t)val));
}

/* When a failing command recorded no message (it should), say at least what the exit code
 * means; the code names the exit code's class. */
static const char *msg_exit_meaning(int code, const char **stable)
{
	switch (code) {
	case KINKO_EXIT_USAGE: *stable = "usage"; return _("usage error; see 'kinko --help'");
	case KINKO_EXIT_TOKEN: *stable = "token"; return _("token problem");
	case KINKO_EXIT_BANK: *stable = "bank_refused"; return _("the bank refused");
	case KINKO_EXIT_NETWORK:
		*stable = "bank_unreachable";
		return _("the bank could not be reached");
	case KINKO_EXIT_VERIFY: *stable = "verify_failed"; return _("verification failed");
	default: *stable = "failed"; return _("failed");
	}
}

void kinko_err_finish(const kinko_ctx *ctx, int exit_code)
{
	json_t *e = msg_record(), *out;
	json_t *all = e ? json_object_get(e, "messages") : NULL;

	if (ctx && ctx->json && exit_code != KINKO_EXIT_OK && e) {
		const char *stable = NULL, *meaning = msg_exit_meaning(exit_code, &stable);

		if (!json_object_get(e, "message"))
			json_object_set_new(e, "message", msg_string(meaning));
		if (!json_object_get(e, "code"))
			json_object_set_new(e, "code", json_string(stable));
		if (json_array_size(all) < 2)
			json_object_del(e, "messages");
		out = json_pack("{s:O, s:i}", "error", e, "exit", exit_code);
		if (out) {
			json_dumpf(out, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
			fputc('\n', stdout);
		}
		json_decref(out);
	}
	json_decref(msg_error);
	msg_error = NULL;
}
void kinko_progress(const kinko_ctx *ctx, const char *fmt, ...)
{
	char text[1024];
	size_t n;
	va_list ap;

	(void)ctx;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	/* Every progress line is a whole line, on a terminal and in a log: a line left open ran
	 * into the next message ("…to the bank…certificate obtained"). stderr: stdout stays the
	 * command's result (one JSON object with --json). */
	n = strlen(text);
	while (n > 0 && text[n - 1] == '\n')
		text[--n] = '\0';
	fprintf(stderr, "%s\n", text);
	fflush(stderr);
}

const char *kinko_ckr_name(CK_RV rv)
{
	static const struct {
		CK_RV rv;
		const char *name;
	} names[] = {
		{CKR_OK, "CKR_OK"},
		{CKR_HOST_MEMORY, "CKR_HOST_MEMORY"},
		{CKR_SLOT_ID_INVALID, "CKR_SLOT_ID_INVALID"},
		{CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR"},
		{CKR_FUNCTION_FAILED, "CKR_FUNCTION_FAILED"},
		{CKR_ARGUMENTS_BAD, "CKR_ARGUMENTS_BAD"},
		{CKR_ATTRIBUTE_TYPE_INVALID, "CKR_ATTRIBUTE_TYPE_INVALID"},
		{CKR_ATTRIBUTE_VALUE_INVALID, "CKR_ATTRIBUTE_VALUE_INVALID"},
		{CKR_ACTION_PROHIBITED, "CKR_ACTION_PROHIBITED"},
		{CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR"},
		{CKR_DEVICE_MEMORY, "CKR_DEVICE_MEMORY"},
		{CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED"},
		{CKR_FUNCTION_NOT_SUPPORTED, "CKR_FUNCTION_NOT_SUPPORTED"},
		{CKR_KEY_HANDLE_INVALID, "CKR_KEY_HANDLE_INVALID"},
		{CKR_KEY_SIZE_RANGE, "CKR_KEY_SIZE_RANGE"},
		{CKR_KEY_TYPE_INCONSISTENT, "CKR_KEY_TYPE_INCONSISTENT"},
		{CKR_MECHANISM_INVALID, "CKR_MECHANISM_INVALID"},
		{CKR_MECHANISM_PARAM_INVALID, "CKR_MECHANISM_PARAM_INVALID"},
		{CKR_OBJECT_HANDLE_INVALID, "CKR_OBJECT_HANDLE_INVALID"},
		{CKR_OPERATION_ACTIVE, "CKR_OPERATION_ACTIVE"},
		{CKR_PIN_INCORRECT, "CKR_PIN_INCORRECT"},
		{CKR_PIN_INVALID, "CKR_PIN_INVALID"},
		{CKR_PIN_LEN_RANGE, "CKR_PIN_LEN_RANGE"},
		{CKR_PIN_EXPIRED, "CKR_PIN_EXPIRED"},
		{CKR_PIN_LOCKED, "CKR_PIN_LOCKED"},
		{CKR_SESSION_CLOSED, "CKR_SESSION_CLOSED"},
		{CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID"},
		{CKR_SESSION_READ_ONLY, "CKR_SESSION_READ_ONLY"},
		{CKR_TEMPLATE_INCOMPLETE, "CKR_TEMPLATE_INCOMPLETE"},
		{CKR_TEMPLATE_INCONSISTENT, "CKR_TEMPLATE_INCONSISTENT"},
		{CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT"},
		{CKR_TOKEN_NOT_RECOGNIZED, "CKR_TOKEN_NOT_RECOGNIZED"},
		{CKR_TOKEN_WRITE_PROTECTED, "CKR_TOKEN_WRITE_PROTECTED"},
		{CKR_USER_ALREADY_LOGGED_IN, "CKR_USER_ALREADY_LOGGED_IN"},
		{CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN"},
		{CKR_USER_PIN_NOT_INITIALIZED, "CKR_USER_PIN_NOT_INITIALIZED"},
		{CKR_USER_TYPE_INVALID, "CKR_USER_TYPE_INVALID"},
		{CKR_CURVE_NOT_SUPPORTED, "CKR_CURVE_NOT_SUPPORTED"},
		{CKR_CRYPTOKI_NOT_INITIALIZED, "CKR_CRYPTOKI_NOT_INITIALIZED"},
		{CKR_CRYPTOKI_ALREADY_INITIALIZED, "CKR_CRYPTOKI_ALREADY_INITIALIZED"},
	};
	static char other[32];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].rv == rv)
			return names[i].name;
	snprintf(other, sizeof(other), "CKR 0x%lx", (unsigned long)rv);
	return other;
}
