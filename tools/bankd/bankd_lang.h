/* The language of each answer: Japanese or English, from the request's Accept-Language, a
 * lang=ja|en query parameter or the kinko_lang cookie the pages' switch link sets. Messages are
 * translated per request by switching the calling thread's locale (uselocale), so the loop and
 * the worker thread each answer in their request's language. */
#ifndef KINKO_BANKD_LANG_H
#define KINKO_BANKD_LANG_H

#include <locale.h>

typedef enum { BANKD_LANG_EN = 0, BANKD_LANG_JA = 1 } bankd_lang;

#define BANKD_LANG_COOKIE "kinko_lang"

/* Once, before any thread: the locales and the catalogue. When Japanese cannot be shown (no
 * ja_JP.UTF-8 locale or no catalogue) it warns the operator once and every answer is English.
 * Called again it does nothing (the fuzzers call it lazily). */
void bankd_lang_init(void);
/* Whether Japanese answers are possible here. */
int bankd_lang_ja_available(void);

/* RFC 9110 Accept-Language: Japanese when a ja or ja-* range has q > 0, else English. */
bankd_lang bankd_lang_accept(const char *accept_language);
/* "ja" or "en" as a query parameter or cookie value: 0 and *out set, or -1. */
int bankd_lang_parse(const char *value, bankd_lang *out);
/* The value of lang= in a query string (NULL: none), or of the kinko_lang cookie in a Cookie
 * header: 0 and *out set, or -1 when absent or neither ja nor en. */
int bankd_lang_from_query(const char *query, bankd_lang *out);
int bankd_lang_from_cookie(const char *cookie, bankd_lang *out);
/* The request's language: query, then cookie, then Accept-Language; English when Japanese is
 * not available. */
bankd_lang bankd_lang_choose(const char *query, const char *cookie, const char *accept_language);

/* "ja" / "en": the pages' lang attribute and the cookie's value. */
const char *bankd_lang_tag(bankd_lang l);

/* Makes the calling thread's messages l's (uselocale); returns what to give back to
 * bankd_lang_leave. Pages are UTF-8 in both languages. */
locale_t bankd_lang_enter(bankd_lang l);
void bankd_lang_leave(locale_t previous);

#endif
