/* Slot and token functions: C_GetSlotList, C_GetSlotInfo, C_GetTokenInfo, the mechanism
 * list, C_WaitForSlotEvent, C_InitToken. Thin wrappers (p11_entry.h) over mod_info.c and
 * mod_event.c. */
#include "p11_entry.h"

P11_EXPORT CK_RV C_GetSlotList(CK_BBOOL tokenPresent, CK_SLOT_ID_PTR pSlotList,
                               CK_ULONG_PTR pulCount)
{
	P11_REQUIRE_INIT("C_GetSlotList");
	P11_RETURN("C_GetSlotList", mod_info_slot_list(tokenPresent, pSlotList, pulCount));
}

P11_EXPORT CK_RV C_GetSlotInfo(CK_SLOT_ID slotID, CK_SLOT_INFO_PTR pInfo)
{
	P11_SLOT_CALL("C_GetSlotInfo", slotID, mod_info_slot(slot, pInfo));
}

P11_EXPORT CK_RV C_GetTokenInfo(CK_SLOT_ID slotID, CK_TOKEN_INFO_PTR pInfo)
{
	P11_SLOT_CALL("C_GetTokenInfo", slotID, mod_info_token(slot, pInfo));
}

P11_EXPORT CK_RV C_GetMechanismList(CK_SLOT_ID slotID, CK_MECHANISM_TYPE_PTR pMechanismList,
                                    CK_ULONG_PTR pulCount)
{
	P11_SLOT_CALL("C_GetMechanismList", slotID,
	              mod_info_mechanisms(slot, pMechanismList, pulCount));
}

P11_EXPORT CK_RV C_GetMechanismInfo(CK_SLOT_ID slotID, CK_MECHANISM_TYPE type,
                                    CK_MECHANISM_INFO_PTR pInfo)
{
	P11_SLOT_CALL("C_GetMechanismInfo", slotID, mod_info_mechanism(slot, type, pInfo));
}

P11_EXPORT CK_RV C_WaitForSlotEvent(CK_FLAGS flags, CK_SLOT_ID_PTR pSlot, CK_VOID_PTR pReserved)
{
	P11_REQUIRE_INIT("C_WaitForSlotEvent");
	if (!pSlot || pReserved)
		P11_RETURN("C_WaitForSlotEvent", CKR_ARGUMENTS_BAD);
	P11_RETURN("C_WaitForSlotEvent", mod_event_wait(flags, pSlot));
}

/* Provisioning (keys, PIN, PUK, management key) is the issuer's job, done with the
 * issuer's tools; a PKCS#11 application cannot re-initialise a PIV token. */
P11_EXPORT CK_RV C_InitToken(CK_SLOT_ID slotID, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen,
                             CK_UTF8CHAR_PTR pLabel)
{
	(void)pPin;
	(void)ulPinLen;
	(void)pLabel;
	/* An unknown slot is still CKR_SLOT_ID_INVALID, as in every slot function. */
	P11_SLOT_CALL("C_InitToken", slotID, ((void)slot, CKR_FUNCTION_NOT_SUPPORTED));
}
