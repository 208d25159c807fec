/* The template readers shared by object creation and key generation (mod_tmpl.h). */
#include "mod_tmpl.h"

#include <string.h>

CK_RV mod_tmpl_ulong_read(const CK_ATTRIBUTE *a, CK_ULONG *v)
{
	if (!a->pValue || a->ulValueLen != sizeof(CK_ULONG))
		return CKR_ATTRIBUTE_VALUE_INVALID;
	memcpy(v, a->pValue, sizeof(*v));
	return CKR_OK;
}

CK_RV mod_tmpl_bool_read(const CK_ATTRIBUTE *a, bool *v)
{
	if (!a->pValue || a->ulValueLen != sizeof(CK_BBOOL))
		return CKR_ATTRIBUTE_VALUE_INVALID;
	*v = *(const CK_BBOOL *)a->pValue != CK_FALSE;
	return CKR_OK;
}

CK_RV mod_tmpl_bool_expect(const CK_ATTRIBUTE *a, bool want, CK_RV otherwise)
{
	bool v = false;
	CK_RV rv = mod_tmpl_bool_read(a, &v);

	return rv != CKR_OK ? rv : v == want ? CKR_OK : otherwise;
}
