/* The answer's language. glibc's dgettext follows the calling thread's locale, so a request is
 * translated by uselocale() of a locale made once at startup: no setlocale (process-wide) while
 * the worker thread and the loop answer different languages at once. */
#include "bankd_lang.h"
#include "i18n.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static locale_t loc_en = (locale_t)0, loc_ja = (locale_t)0;

static void init_once(void)
{
	locale_t old;
	int translated;

	(void)i18n_bind();
	/* LANGUAGE (the operator's) would outrank every request's choice in dgettext. */
	unsetenv("LANGUAGE");
	/* "C": dgettext gives the msgids, the English texts, as they are (UTF-8 bytes included). */
	loc_en = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	loc_ja = newlocale(LC_ALL_MASK, "ja_JP.UTF-8", (locale_t)0);
	if (loc_ja == (locale_t)0) {
		fprintf(stderr, "kinko-bankd: warning: the locale ja_JP.UTF-8 is not installed; "
		                "pages and messages are in English only\n");
		return;
	}
	/* The catalogue must be there too, or Japanese pages would say English in lang="ja". */
	old = uselocale(loc_ja);
	translated = strcmp(_("Logon"), "Logon") != 0;
	uselocale(old);
	if (!translated) {
		fprintf(stderr,
		        "kinko-bankd: warning: no Japanese message catalogue for the text domain "
		        "%s; pages and messages are in English only\n",
		        i18n_domain_get());
		freelocale(loc_ja);
		loc_ja = (locale_t)0;
	}
}

void bankd_lang_init(void)
{
	pthread_once(&once, init_once);
}

int bankd_lang_ja_available(void)
{
	bankd_lang_init();
	return loc_ja != (locale_t)0;
}

/* RFC 9110 qvalue: "0" ["." 0*3DIGIT] / "1" ["." 0*3"0"]. 1 when valid and above 0, 0 when
 * valid and 0, -1 when malformed. p..end is the value without surrounding spaces. */
static int qvalue_positive(const char *p, const char *end)
{
	int one, nonzero;

	if (p == end || (*p != '0' && *p != '1'))
		return -1;
	one = *p == '1';
	nonzero = one;
	p++;
	if (p < end) {
		if (*p != '.' || end - p > 4)
			return -1;
		for (p++; p < end; p++) {
			if (*p < '0' || *p > '9' || (one && *p != '0'))
				return -1;
			nonzero |= *p != '0';
		}
	}
	return nonzero;
}

static int is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* One list member's weight: q>0 (1), q=0 (0), malformed (-1). params..end follows the range. */
static int weight_positive(const char *p, const char *end)
{
	int w = 1;
	while (p < end) {
		const char *name;
		size_t nlen;
		const char *v;
		const char *vend;

		while (p < end && (is_ows(*p) || *p == ';'))
			p++;
		name = p;
		while (p < end && *p != '=' && *p != ';' && !is_ows(*p))
			p++;
		nlen = (size_t)(p - name);
		while (p < end && is_ows(*p))
			p++;
		if (p >= end || *p != '=')
			return nlen == 0 ? w : -1;
		p++;
		while (p < end && is_ows(*p))
			p++;
		v = p;
		while (p < end && *p != ';')
			p++;
		vend = p;
		while (vend > v && is_ows(vend[-1]))
			vend--;
		if (nlen == 1 && (*name == 'q' || *name == 'Q'))
			w = qvalue_positive(v, vend);
		if (w < 0)
			return -1;
	}
	return w;
}

bankd_lang bankd_lang_accept(const char *h)
{
	while (h != NULL && *h != '\0') {
		const char *member, *end;
		const char *range_end;
		size_t n;
		int ja;

		while (*h == ',' || is_ows(*h))
			h++;
		member = h;
		end = h + strcspn(h, ",");
		range_end = member;
		while (range_end < end && *range_end != ';' && !is_ows(*range_end))
			range_end++;
		n = (size_t)(range_end - member);
		ja = (n == 2 || (n > 2 && member[2] == '-')) && strncasecmp(member, "ja", 2) == 0;
		if (ja && weight_positive(range_end, end) == 1)
			return BANKD_LANG_JA;
		h = end;
	}
	return BANKD_LANG_EN;
}

int bankd_lang_parse(const char *v, bankd_lang *out)
{
	if (v != NULL && strcmp(v, "ja") == 0)
		*out = BANKD_LANG_JA;
	else if (v != NULL && strcmp(v, "en") == 0)
		*out = BANKD_LANG_EN;
	else
		return -1;
	return 0;
}

/* The value of name in a list of name=value separated by sep (a query's '&', a cookie's ';'),
 * if it is exactly ja or en. */
static int find_lang(const char *s, const char *name, char sep, bankd_lang *out)
{
	size_t nlen = strlen(name);
	while (s != NULL && *s != '\0') {
		const char *end;
		size_t len;

		while (*s == sep || *s == ' ')
			s++;
		end = strchr(s, sep);
		len = end != NULL ? (size_t)(end - s) : strlen(s);
		if (len == nlen + 3 && strncmp(s, name, nlen) == 0 && s[nlen] == '=') {
			char v[3] = {s[nlen + 1], s[nlen + 2], '\0'};
			return bankd_lang_parse(v, out);
		}
		s = end;
	}
	return -1;
}

int bankd_lang_from_query(const char *query, bankd_lang *out)
{
	return find_lang(query, "lang", '&', out);
}

int bankd_lang_from_cookie(const char *cookie, bankd_lang *out)
{
	return find_lang(cookie, BANKD_LANG_COOKIE, ';', out);
}

bankd_lang bankd_lang_choose(const char *query, const char *cookie, const char *accept_language)
{
	bankd_lang l;
	if (bankd_lang_from_query(query, &l) != 0 && bankd_lang_from_cookie(cookie, &l) != 0)
		l = bankd_lang_accept(accept_language);
	return l == BANKD_LANG_JA && bankd_lang_ja_available() ? BANKD_LANG_JA : BANKD_LANG_EN;
}

const char *bankd_lang_tag(bankd_lang l)
{
	return l == BANKD_LANG_JA ? "ja" : "en";
}

locale_t bankd_lang_enter(bankd_lang l)
{
	locale_t want;

	bankd_lang_init();
	want = l == BANKD_LANG_JA && loc_ja != (locale_t)0 ? loc_ja : loc_en;
	return want != (locale_t)0 ? uselocale(want) : (locale_t)0;
}

void bankd_lang_leave(locale_t previous)
{
	if (previous != (locale_t)0)
		uselocale(previous);
}
