/* Where kinko looked for a token (kinko_p11_where.c), for "no token found". */
#ifndef KINKO_P11_WHERE_H
#define KINKO_P11_WHERE_H

#include <jansson.h>

#include "kinko_p11.h"

typedef enum { KINKO_WHERE_OTHER = 0, KINKO_WHERE_EMU = 1, KINKO_WHERE_USB = 2 } kinko_where_kind;

typedef struct {
	char desc[72];     /* the slot description, trimmed */
	const char *where; /* socket path, USB port, or the whole description */
	const char *state; /* "no token", "a token that is not initialised", ... */
	kinko_where_kind kind;
} kinko_where_slot;

typedef struct {
	const char *module, *conf, *sockets_from;
	bool kinko_module, usb_on;
	kinko_where_slot *slots;
	size_t n, n_emu;
} kinko_where;

/* Every slot of the loaded module (C_GetSlotList(FALSE), C_GetSlotInfo), and for kinko's
 * module whether USB is on. Exit code; free with kinko_where_free. */
int kinko_p11_where(kinko_ctx *ctx, kinko_where *w);
void kinko_where_free(kinko_where *w);
/* Several lines: where kinko looked, then what to check. */
void kinko_where_text(const kinko_where *w, char *buf, size_t cap);
/* {"module", "slots": [{"kind", "where", "state"}], "usb"?, "pcsc"?, "config"?} */
json_t *kinko_where_json(const kinko_where *w);

#endif
