/* kinko: the bank's words on the user's terminal. A hostile or broken bank must not be able
 * to clear the screen, set the window title or hide text with escape sequences, so whatever
 * it sends is printed only after kinko_text_clean. */
#include "kinko_text.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "i18n.h"

/* The length of the UTF-8 character at s (at most n bytes) and its code point; 0 when the
 * bytes are not one (overlong forms and surrogates included). */
static size_t text_utf8(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len;
	uint32_t c, min;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2, c = s[0] & 0x1f, min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3, c = s[0] & 0x0f, min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4, c = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

static int text_is_control(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) ||
	       (c >= 0x2066 && c <= 0x2069);
}

size_t kinko_text_clean(const char *in, size_t n, char *out, size_t cap)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, j = 0;
	if (cap == 0)
		return 0;
	while (in != NULL && i < n) {
		uint32_t c = 0;
		size_t len = text_utf8(s + i, n - i, &c);
		const char *put = (const char *)s + i;
		size_t put_len = len;
		if (len == 0 || text_is_control(c)) {
			put = c == '\n' || c == '\r' || c == '\t' ? " " : "?";
			put_len = 1;
			if (len == 0)
				len = 1;
		}
		if (j + put_len >= cap)
			break;
		memcpy(out + j, put, put_len);
		j += put_len;
		i += len;
	}
	out[j] = '\0';
	return j;
}

void kinko_text_clean_json(json_t *j)
{
	const char *key;
	json_t *v;
	size_t i;
	if (json_is_object(j)) {
		json_object_foreach(j, key, v) kinko_text_clean_json(v);
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v) kinko_text_clean_json(v);
	} else if (json_is_string(j)) {
		size_t n = json_string_length(j);
		char *buf = malloc(n + 1);
		if (buf == NULL) {
			json_string_set(j, "?"); /* better nothing than the raw text */
			return;
		}
		kinko_text_clean(json_string_value(j), n, buf, n + 1);
		OPENSSL_cleanse((char *)json_string_value(j), n);
		json_string_set(j, buf);
		/* The session token passes through here too: no copy left behind. */
		OPENSSL_cleanse(buf, n + 1);
		free(buf);
	}
}

void kinko_text_date(const char *iso, char *out, size_t cap)
{
	struct tm tm = {0};
	int y, m, d, n = 0;

	if (cap == 0)
		return;
	out[0] = '\0';
	if (!iso)
		return;
	if (sscanf(iso, "%4d-%2d-%2d%n", &y, &m, &d, &n) == 3 && n == 10 &&
	    (iso[10] == '\0' || iso[10] == 'T' || iso[10] == ' ') && m >= 1 && m <= 12 && d >= 1 &&
	    d <= 31) {
		tm.tm_year = y - 1900;
		tm.tm_mon = m - 1;
		tm.tm_mday = d;
		if (i18n_date_format(&tm, out, cap) > 0)
			return;
	}
	kinko_text_clean(iso, strlen(iso), out, cap);
}
