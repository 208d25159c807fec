/* kinko's messages: see i18n.h. */
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"

#ifndef LOCALEDIR
#error "LOCALEDIR must be defined (configure's $(localedir))"
#endif

static const char *domain = KINKO_TEXTDOMAIN;

const char *i18n_domain_get(void)
{
	return domain;
}

const char *i18n_bind(void)
{
	const char *dir = secure_getenv("KINKO_LOCALEDIR");

	if (!dir || !dir[0])
		dir = LOCALEDIR;
	bindtextdomain(domain, dir);
	return dir;
}

void i18n_init(const char *program_domain)
{
	domain = program_domain;
	/* A locale that is not installed leaves "C": English, never a failure. */
	setlocale(LC_ALL, "");
	i18n_bind();
	textdomain(domain);
}

size_t i18n_date_format(const struct tm *tm, char *buf, size_t len)
{
	size_t n;

	if (len == 0)
		return 0;
	/* TRANSLATORS: a calendar date, strftime(3) format: Japanese 「%Y年%-m月%-d日」. */
	n = strftime(buf, len, _("%Y-%m-%d"), tm);
	if (n == 0)
		n = strftime(buf, len, "%Y-%m-%d", tm);
	if (n == 0)
		buf[0] = '\0';
	return n;
}

const char *i18n_words_find(const i18n_word *t, size_t count, const char *key, size_t n)
{
	size_t i;

	for (i = 0; i < count; i++)
		if (strlen(t[i].key) == n && memcmp(t[i].key, key, n) == 0)
			return _(t[i].words);
	return NULL;
}
