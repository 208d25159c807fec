/* KINKO_DEBUG traces. An APDU trace lets anyone count what the module sends, so it must be
 * safe to paste into a bug report: the data of PIN commands, of management-key
 * authentication, of the object holding the PIN-protected management key and of ECDH
 * results are replaced by their length. */
#include "trace.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apdu.h"
#include "piv.h"
#include "tlv.h"

static unsigned trace_flags;
static pthread_once_t trace_once = PTHREAD_ONCE_INIT;

/* A GET RESPONSE continues the answer of the command before it, in the same thread (one
 * apdu_transceive runs in one thread), so it inherits that answer's masking. */
static _Thread_local bool trace_mask_carry;

static void trace_read_env(void)
{
	const char *env = getenv("KINKO_DEBUG");
	char *copy, *tok, *save = NULL;

	if (!env || !*env)
		return;
	copy = strdup(env);
	if (!copy)
		return;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(tok, "apdu") == 0)
			trace_flags |= TRACE_APDU;
		else if (strcmp(tok, "p11") == 0)
			trace_flags |= TRACE_P11;
		else if (strcmp(tok, "all") == 0)
			trace_flags = ~0u;
	}
	free(copy);
}

bool trace_enabled(unsigned what)
{
	pthread_once(&trace_once, trace_read_env);
	return (trace_flags & what) != 0;
}

/* ---- line building ---- */

typedef struct {
	char *buf;
	size_t cap, len;
} trace_line;

static void trace_puts(trace_line *l, const char *s)
{
	size_t n = strlen(s);

	if (n > l->cap - l->len)
		n = l->cap - l->len;
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

__attribute__((format(printf, 2, 3))) static void trace_printf(trace_line *l, const char *fmt, ...)
{
	char tmp[96];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	trace_puts(l, tmp);
}

static void trace_hex(trace_line *l, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n && l->cap - l->len >= 2; i++) {
		l->buf[l->len++] = digits[p[i] >> 4];
		l->buf[l->len++] = digits[p[i] & 0x0F];
	}
}

static void trace_masked(trace_line *l, size_t n)
{
	trace_printf(l, "** masked (%zu bytes) **", n);
}

/* Room for the fixed parts plus two hex digits per byte. */
static bool trace_line_init(trace_line *l, size_t bytes)
{
	l->len = 0;
	l->cap = 160 + 2 * bytes;
	l->buf = malloc(l->cap + 1);
	return l->buf != NULL;
}

static void trace_line_emit(trace_line *l)
{
	l->buf[l->len] = '\0';
	flockfile(stderr);
	fputs(l->buf, stderr);
	fputc('\n', stderr);
	funlockfile(stderr);
	free(l->buf);
	l->buf = NULL;
}

/* ---- what is secret ---- */

/* The data object named by a GET DATA / PUT DATA data field (5C tag ...), or 0. */
static uint32_t trace_object_tag(const apdu_cmd *cmd)
{
	tlv_item list;
	uint32_t tag = 0;
	size_t i;

	if (!cmd->data || tlv_parse(cmd->data, cmd->lc, &list) != TLV_OK ||
	    list.tag != PIV_TLV_TAG_LIST || list.len < 1 || list.len > 3)
		return 0;
	for (i = 0; i < list.len; i++)
		tag = tag << 8 | list.value[i];
	return tag;
}

/* A GENERAL AUTHENTICATE asking for ECDH answers with a shared secret. */
static bool trace_is_ecdh(const apdu_cmd *cmd)
{
	tlv_item outer, item;

	return cmd->data && tlv_parse(cmd->data, cmd->lc, &outer) == TLV_OK &&
	       outer.tag == PIV_TLV_DYN_AUTH &&
	       tlv_find(outer.value, outer.len, PIV_TLV_EXPONENTIATION, &item) == TLV_OK;
}

static void trace_classify(const apdu_cmd *cmd, bool *mask_cmd, bool *mask_resp)
{
	*mask_cmd = false;
	*mask_resp = false;
	switch (cmd->ins) {
	case PIV_INS_VERIFY:
	case PIV_INS_CHANGE_REFERENCE:
	case PIV_INS_RESET_RETRY: *mask_cmd = true; break;
	case PIV_INS_GENERAL_AUTH:
		if (cmd->p2 == PIV_KEY_CARDMGMT) {
			*mask_cmd = true;
			*mask_resp = true;
		} else {
			*mask_resp = trace_is_ecdh(cmd);
		}
		break;
	case PIV_INS_GET_DATA: *mask_resp = trace_object_tag(cmd) == PIV_TAG_PRINTED; break;
	case PIV_INS_PUT_DATA: *mask_cmd = trace_object_tag(cmd) == PIV_TAG_PRINTED; break;
	case PIV_INS_GET_RESPONSE: *mask_resp = trace_mask_carry; break;
	default: break;
	}
}

bool trace_apdu_command(unsigned long seq, const uint8_t *apdu, size_t len)
{
	bool mask_cmd, mask_resp;
	trace_line l;
	apdu_cmd cmd;

	if (!trace_enabled(TRACE_APDU) || !apdu || !trace_line_init(&l, len))
		return false;
	trace_printf(&l, "kinko: apdu %lu > ", seq);
	if (apdu_cmd_parse(apdu, len, &cmd) != APDU_OK) {
		/* Not ours to interpret: show the header only, since the body could be anything. */
		trace_hex(&l, apdu, len < 4 ? len : 4);
		trace_printf(&l, " ** unparsed (%zu bytes) **", len);
		trace_line_emit(&l);
		return true;
	}
	trace_classify(&cmd, &mask_cmd, &mask_resp);
	trace_hex(&l, apdu, 4);
	if (cmd.lc) {
		trace_printf(&l, " lc=%zu ", cmd.lc);
		if (mask_cmd)
			trace_masked(&l, cmd.lc);
		else
			trace_hex(&l, cmd.data, cmd.lc);
	}
	if (cmd.has_le)
		trace_printf(&l, " le=%zu", cmd.le);
	if (cmd.extended)
		trace_puts(&l, " (extended)");
	trace_line_emit(&l);
	return mask_resp;
}

void trace_apdu_response(unsigned long seq, const uint8_t *resp, size_t len, bool masked, int err)
{
	trace_line l;
	size_t data_len;
	uint16_t sw;

	if (!trace_enabled(TRACE_APDU))
		return;
	trace_mask_carry = false;
	if (!trace_line_init(&l, resp ? len : 0))
		return;
	trace_printf(&l, "kinko: apdu %lu < ", seq);
	if (!resp || len < 2) {
		trace_printf(&l, "transport error %d (%zu bytes)", err, resp ? len : 0);
		trace_line_emit(&l);
		return;
	}
	data_len = len - 2;
	sw = (uint16_t)(resp[len - 2] << 8 | resp[len - 1]);
	if (data_len) {
		if (masked)
			trace_masked(&l, data_len);
		else
			trace_hex(&l, resp, data_len);
		trace_puts(&l, " ");
	}
	trace_printf(&l, "sw=%04X (%zu bytes)", (unsigned)sw, data_len);
	trace_line_emit(&l);
	trace_mask_carry = masked && (sw >> 8) == 0x61;
}
