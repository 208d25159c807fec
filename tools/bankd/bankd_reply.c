/* The answers' bodies: a line of text, JSON, JSON refusals. Texts are translated here, at the
 * last moment, into the request's language (the thread's locale, bankd_lang.h); a JSON refusal
 * keeps its English sentence in "error", which clients and scripts match, and carries the
 * translation in "message". */
#include "bankd_http.h"
#include "i18n.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

void bankd_http_text(bankd_req *r, int code, const char *text)
{
	size_t n;
	char *line;

	/* Callers give the English text (marked with N_) or a sentence already composed in the
	 * request's language; the latter has no entry and stays as it is. */
	text = *text != '\0' ? _(text) : text;
	n = strlen(text);
	line = malloc(n + 2);
	if (line == NULL) {
		bankd_http_reply(r, code, "text/plain; charset=utf-8", text, n);
		return;
	}
	memcpy(line, text, n);
	line[n] = '\n';
	bankd_http_reply(r, code, "text/plain; charset=utf-8", line, n + 1);
	free(line);
}

void bankd_http_json(bankd_req *r, int code, json_t *j)
{
	char *s = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	size_t n;

	json_decref(j);
	if (s == NULL) {
		bankd_http_text(r, 500, N_("internal error"));
		return;
	}
	n = strlen(s);
	bankd_http_reply(r, code, "application/json", s, n);
	OPENSSL_cleanse(s, n);
	free(s);
}

void bankd_http_json_error_msg(bankd_req *r, int code, const char *error, const char *message)
{
	bankd_http_json(r, code, json_pack("{s:s,s:s}", "error", error, "message", message));
}

void bankd_http_json_error(bankd_req *r, int code, const char *msg)
{
	bankd_http_json_error_msg(r, code, msg, *msg != '\0' ? _(msg) : msg);
}

json_t *bankd_http_json_body(bankd_req *r)
{
	json_t *j = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, NULL);
	if (j != NULL && !json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

const char *bankd_json_member(json_t *j, const char *name)
{
	json_t *v = json_is_object(j) ? json_object_get(j, name) : NULL;
	return json_is_string(v) ? json_string_value(v) : NULL;
}

void bankd_json_wipe_free(json_t *j)
{
	const char *key;
	json_t *v;
	if (json_is_object(j))
		json_object_foreach(j, key, v) if (json_is_string(v))
			OPENSSL_cleanse((char *)json_string_value(v), json_string_length(v));
	json_decref(j);
}
