/* The module's pinentry client: asks the user for the token PIN through a pinentry program
 * (GnuPG's Assuan protocol), for browsers that let the module obtain the PIN itself.
 * Self-contained: no slot, no lock, no configuration; the caller says which program to run,
 * what to show and how long to wait. Every read from the program is bounded by the caller's
 * deadline, the program gets only its two pipes (stderr is /dev/null), nothing of the PIN is
 * logged or traced and everything that held it (ours and libassuan's buffers) is wiped. */
#ifndef KINKO_MOD_PINENTRY_H
#define KINKO_MOD_PINENTRY_H

#include <stddef.h>

#include "piv.h"

typedef enum {
	MOD_PINENTRY_OK,        /* the PIN is in the caller's buffer */
	MOD_PINENTRY_CANCELLED, /* the user cancelled or closed the dialog */
	MOD_PINENTRY_TIMEOUT,   /* the pinentry's own timeout, or no answer by the deadline */
	MOD_PINENTRY_FAILED,    /* no program, it died, a protocol error, a PIN too long */
	MOD_PINENTRY_EMPTY,     /* the user confirmed an empty PIN */
} mod_pinentry_result;

typedef struct {
	const char *program;  /* path of the pinentry program */
	const char *title;    /* SETTITLE, or NULL */
	const char *desc;     /* SETDESC, or NULL: may hold newlines */
	const char *prompt;   /* SETPROMPT, or NULL */
	const char *error;    /* SETERROR on a retry, else NULL */
	unsigned timeout_s;   /* SETTIMEOUT: the pinentry's own timeout, 0 for none */
	unsigned deadline_ms; /* the whole conversation, from start to BYE */
	/* Each line of the conversation for a debug trace ("-> SETDESC ...", "<- OK"), the
	 * PIN's D line as "<- D [hidden]"; NULL for none. */
	void (*trace)(const char *line);
} mod_pinentry_req;

/* Asks for the PIN. On MOD_PINENTRY_OK, pin[0..*pin_len) holds it, NUL-terminated (the
 * caller wipes it with OPENSSL_cleanse); otherwise pin is wiped and *pin_len is 0. why, when
 * not NULL, gets a static sentence for a trace (never the PIN). */
mod_pinentry_result mod_pinentry_pin_get(const mod_pinentry_req *req, char pin[PIV_PIN_MAX + 1],
                                         size_t *pin_len, const char **why);
/* Shows a message box (Assuan MESSAGE) with req's title and desc; error and prompt unused. */
mod_pinentry_result mod_pinentry_message_show(const mod_pinentry_req *req, const char **why);

#endif
