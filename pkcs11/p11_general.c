/* C_Initialize, C_Finalize and C_GetInfo: thin wrappers (p11_entry.h) over the module's
 * life (mod_module.c) and its information (mod_info.c). */
#include "p11_entry.h"

P11_EXPORT CK_RV C_Initialize(CK_VOID_PTR pInitArgs)
{
	P11_RETURN("C_Initialize", mod_module_initialize(pInitArgs));
}

P11_EXPORT CK_RV C_Finalize(CK_VOID_PTR pReserved)
{
	P11_REQUIRE_INIT("C_Finalize");
	if (pReserved)
		P11_RETURN("C_Finalize", CKR_ARGUMENTS_BAD);
	P11_RETURN("C_Finalize", mod_module_finalize());
}

P11_EXPORT CK_RV C_GetInfo(CK_INFO_PTR pInfo)
{
	P11_REQUIRE_INIT("C_GetInfo");
	P11_RETURN("C_GetInfo", mod_info_module(pInfo));
}
