/* Fixture of the module tests with the PIN from a pinentry: a fresh emulated token with an
 * EC key in 9A and one in 9C (PIN always), the module configured with pin_source = pinentry
 * and KINKO_PINENTRY the scripted pinentry (tests/lib/pinentry_script) in its file mode: each
 * conversation takes the next line of the test's script, and its log tells what the module
 * sent. Include after cmocka.h. */
#ifndef KINKO_PINENTRY_TEST_UTIL_H
#define KINKO_PINENTRY_TEST_UTIL_H

#include <limits.h>
#include <stddef.h>

#include "p11_test_util.h"

typedef struct {
	p11t t; /* first: the p11t helpers take the fixture */
	char dir[PATH_MAX];
	char conf[PATH_MAX + 16];   /* KINKO_CONF */
	char script[PATH_MAX + 16]; /* PINENTRY_SCRIPT=file:script; its log script.log */
	CK_OBJECT_HANDLE priv_9a, priv_9c;
} pet;

/* The configuration of the fixture: the PIN from the pinentry. */
#define PET_CONF_PINENTRY "pin_source = pinentry\n"

/* cmocka: *state = a fixture as above, nobody logged in, an R/W session open. */
int pet_setup(void **state);
int pet_teardown(void **state);

/* The script of the next conversations, one mode a line (see tests/lib/pinentry_script.c);
 * the position and the log start afresh. */
void pet_script(pet *x, const char *lines);
/* The script's log so far (the lines the pinentry received), malloc'd; "" before any. */
char *pet_log(const pet *x);
/* Lines of text starting with prefix. */
size_t pet_count(const char *text, const char *prefix);
/* C_Finalize, this configuration (KINKO_CONF), C_Initialize and a new R/W session. */
void pet_reinit(pet *x, const char *conf);
/* The same without KINKO_PINENTRY: the program is the configuration's. */
void pet_reinit_conf_program(pet *x, const char *conf);
/* One CKM_ECDSA signature with key on the fixture's session: the first error. */
CK_RV pet_sign(pet *x, CK_OBJECT_HANDLE key);
/* The same, timed (ms), with what the process wrote to stderr meanwhile (the module's
 * KINKO_DEBUG trace) into *trace, malloc'd. */
CK_RV pet_sign_traced(pet *x, CK_OBJECT_HANDLE key, double *ms, char **trace);
/* How many times what occurs in text. */
size_t pet_occurrences(const char *text, const char *what);
/* C_GetTokenInfo's flags of the fixture's slot. */
CK_FLAGS pet_token_flags(pet *x);

#endif
