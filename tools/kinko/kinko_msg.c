/* kinko's messages: errors in the user's terms on stderr (the PKCS#11 or HTTP detail with
 * --verbose), progress on stderr, PKCS#11 return values by name. */
#include <stdarg.h>
#include <stdio.h>

#include "kinko.h"

void kinko_err(const kinko_ctx *ctx, const char *detail, const char *fmt, ...)
{
	va_list ap;

	fputs("kinko: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (ctx && ctx->verbose && detail && detail[0])
		fprintf(stderr, " (%s)", detail);
	fputc('\n', stderr);
}

void kinko_progress(const kinko_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	(void)ctx;
	/* stderr: stdout stays the command's result (one JSON object with --json). */
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fflush(stderr);
}

const char *kinko_ckr_name(CK_RV rv)
{
	static const struct { CK_RV rv; const char *name; } names[] = {
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
