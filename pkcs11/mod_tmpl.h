/* Reading one attribute of a caller's template (C_CreateObject, C_GenerateKeyPair): a
 * value of the wrong size or without a buffer is CKR_ATTRIBUTE_VALUE_INVALID, before any
 * byte of it is read. */
#ifndef KINKO_MOD_TMPL_H
#define KINKO_MOD_TMPL_H

#include <stdbool.h>

#include "p11_compat.h"

CK_RV mod_tmpl_ulong_read(const CK_ATTRIBUTE *a, CK_ULONG *v);
CK_RV mod_tmpl_bool_read(const CK_ATTRIBUTE *a, bool *v);

/* A boolean the token fixes: the value `want` is CKR_OK, the other one `otherwise`. */
CK_RV mod_tmpl_bool_expect(const CK_ATTRIBUTE *a, bool want, CK_RV otherwise);

#endif
