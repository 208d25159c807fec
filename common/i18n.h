/* kinko's messages: GNU gettext, one po/ja.po. Every part marks what a user reads with _(), a
 * message translated later (a table's entry) with N_(), a count with P_().
 * dgettext, not gettext: the same code runs in the programs and in the PKCS#11 module, where
 * the host program owns the default text domain.
 * The module and the CLI read "kinko"; kinko-bankd and kinko-token-emu each read a catalogue of
 * their own messages (the build derives it from po/ja.po), installed without libkinko-pkcs11. */
#ifndef KINKO_I18N_H
#define KINKO_I18N_H

#include <libintl.h>
#include <stddef.h>
#include <time.h>

/* The text domains, the catalogues' file names ($(localedir)/ja/LC_MESSAGES/<domain>.mo). */
#define KINKO_TEXTDOMAIN "kinko"
#define KINKO_BANKD_TEXTDOMAIN "kinko-bankd"
#define KINKO_EMU_TEXTDOMAIN "kinko-token-emu"

#define _(msgid) dgettext(i18n_domain_get(), (msgid))
#define N_(msgid) (msgid)
#define P_(one, many, n) dngettext(i18n_domain_get(), (one), (many), (unsigned long)(n))

/* A program's start: its text domain (one of the above), the user's locale (LANG, LC_ALL,
 * LC_MESSAGES, LANGUAGE) for messages, character set and dates, and the catalogues' directory.
 * Before any thread starts: the domain is read unlocked afterwards. */
void i18n_init(const char *domain);

/* The domain _() reads: the program's, KINKO_TEXTDOMAIN where nothing chose (the module). */
const char *i18n_domain_get(void);

/* Where the catalogues are: $KINKO_LOCALEDIR (a build tree's tests, a relocated install) or
 * the configured $(localedir). Binds the text domain there; no setlocale (for a library). */
const char *i18n_bind(void);

/* A protocol word (a JSON enum value, a secret's name) and what the user reads for it, marked
 * N_() in the table and translated when looked up. */
typedef struct {
	const char *key;
	const char *words;
} i18n_word;

/* The translated words of key (n bytes, not NUL-terminated) in the count entries of t; NULL
 * when t does not name it. */
const char *i18n_words_find(const i18n_word *t, size_t count, const char *key, size_t n);

/* A calendar date in the user's language ("2027-12-07", 「2027年12月7日」). */
size_t i18n_date_format(const struct tm *tm, char *buf, size_t len);

#endif
