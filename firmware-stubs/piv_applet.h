/* The PIV applet: one command APDU in, one response APDU out, as the card's firmware. */
#ifndef KINKO_PIV_APPLET_H
#define KINKO_PIV_APPLET_H

#include <stddef.h>
#include <stdint.h>

#include "token_state.h"

typedef struct piv_applet piv_applet;

/* The applet works on st (owned by the caller, outlives the applet). With a state_path
 * every change is persisted there atomically before it is acknowledged; with NULL the
 * state lives in RAM only (unit tests, fuzzing). */
piv_applet *piv_applet_new(tok_state *st, const char *state_path);
void piv_applet_free(piv_applet *a);

/* Power-on / USB reset: nothing selected, PIN not verified, management key not
 * authenticated, pending chains and responses dropped. */
void piv_applet_reset(piv_applet *a);

/* The answer-to-reset the token reports at power-on. */
const uint8_t *piv_applet_atr(size_t *len);

/* Process one command APDU. resp must hold at least APDU_MAX_RESPONSE bytes; the
 * response (data followed by SW1 SW2) length is returned, always >= 2. */
size_t piv_applet_process(piv_applet *a, const uint8_t *cmd, size_t cmd_len, uint8_t *resp,
                          size_t resp_cap);

#endif
