/* The PIN from a pinentry (kinko.conf pin_source = pinentry): the module asks the user
 * itself, for browsers that cannot (NSS has no dialog headless, and Chromium ignores
 * CKF_PROTECTED_AUTHENTICATION_PATH). One conversation per try: the pinentry asks, the card
 * VERIFYs, a wrong PIN asks again with the tries left, a locked PIN gets a message saying how
 * to unblock it. A cancel is remembered per token for pinentry_cancel_seconds, so that a
 * browser's repeated key searches do not prompt again. Everything under the slot lock. */
#ifndef KINKO_MOD_PINASK_H
#define KINKO_MOD_PINASK_H

#include <stdbool.h>
#include <stddef.h>

#include "mod.h"

/* What the PIN is for, as the dialog says it. */
typedef enum {
	MOD_PINASK_LOGIN,  /* C_Login(CKU_USER, NULL): "to log on with your certificate" */
	MOD_PINASK_USE,    /* a key's operation in a session not logged in */
	MOD_PINASK_ALWAYS, /* a PIN-always key (9C): before each of its signatures */
} mod_pinask_purpose;

/* Where a PIN-less path gets its PIN: pin_source = pinentry. */
bool mod_pinask_enabled(void);

/* Ask and VERIFY until the PIN is right (CKR_OK), the user cancels or the pinentry times out
 * (CKR_FUNCTION_CANCELED, remembered), the PIN is locked (CKR_PIN_LOCKED, after a message),
 * or the pinentry cannot run (CKR_FUNCTION_FAILED, the trace says why); a card error as the
 * card layer maps it. key_index: the key the PIN is for, or -1 (C_Login). The user is then
 * logged in as C_Login would do it (the PIN held, CKU_USER) unless already; with
 * MOD_PINASK_ALWAYS the VERIFY also counts for one signature (context_ok). A success forgets
 * a remembered cancel. */
CK_RV mod_pinask_verify(mod_slot *s, int key_index, mod_pinask_purpose purpose);

/* A private-key operation (C_SignInit, C_Sign, later C_DecryptInit) on key key_index of t
 * needs the user's PIN and the session is not logged in, or the key is PIN-always and its
 * one signature is not verified yet: with pin_source = pinentry, mod_pinask_verify with
 * the key's purpose; otherwise (or with the SO logged in) CKR_USER_NOT_LOGGED_IN. t may be
 * gone afterwards: get the token again. */
CK_RV mod_pinask_key_login(mod_slot *s, const mod_token *t, unsigned key_index);

/* A search for the private key key_index by its CKA_ID in a session not logged in (a
 * browser about to send that key's certificate): with pin_source = pinentry and a key that
 * needs the PIN, mod_pinask_verify now; CKR_OK when nothing needs asking. Anything else
 * (a cancel, also a remembered one): the search leaves the key out. */
CK_RV mod_pinask_key_search(mod_slot *s, unsigned key_index);

/* A successful login by any path forgets a remembered cancel. */
void mod_pinask_cancel_forget(mod_slot *s);

/* ---- the texts of the dialog (mod_pinask_text.c), translated (domain kinko) ---- */
typedef struct {
	char title[128];
	char desc[1024];
	char prompt[64];
	char error[256]; /* SETERROR on a retry, empty on the first try */
} mod_pinask_texts;

/* Title, description and prompt (error untouched) for the token t (label and serial), the
 * key key_index (or -1), the program that asks and the purpose; tries_left 1 adds the
 * warning that a wrong PIN locks the token. */
void mod_pinask_text_fill(mod_pinask_texts *x, const mod_token *t, int key_index,
                          mod_pinask_purpose purpose, int tries_left);
/* SETERROR after a wrong PIN (tries_left < 0: not known), or after a PIN of the wrong
 * length. */
void mod_pinask_text_wrong(mod_pinask_texts *x, int tries_left);
void mod_pinask_text_bad_length(mod_pinask_texts *x);
/* The message box of a locked PIN: how to unblock it. */
void mod_pinask_text_locked(mod_pinask_texts *x, const mod_token *t);

#endif
