/* The one no-echo secret prompt of kinko and kinko-bankd: on /dev/tty, echo off while the line
 * is typed, the line wiped once copied, SIGINT/SIGTERM/SIGHUP during the wait giving the
 * terminal its echo back before they take their course. */
#ifndef KINKO_PROMPT_H
#define KINKO_PROMPT_H

#include <stddef.h>

enum prompt_result {
	PROMPT_OK,          /* out holds the typed line without its end (it may be empty) */
	PROMPT_NO_TERMINAL, /* no /dev/tty to ask on */
	PROMPT_TOO_LONG,    /* the line did not fit in cap bytes */
	PROMPT_INTERRUPTED, /* a signal ended the wait; it was raised again after the restore */
	PROMPT_FAILED,      /* end of file or a read error before a line */
};

/* The longest line a prompt reads, whatever cap: a longer one is PROMPT_TOO_LONG. */
#define PROMPT_LINE_MAX 1024

/* Write text on the terminal, read one line with echo off into out (cap bytes, NUL-terminated;
 * empty unless PROMPT_OK). The caller's signal dispositions and mask are given back. */
enum prompt_result prompt_secret_read(const char *text, char *out, size_t cap);

#endif
