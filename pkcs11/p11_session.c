/* Session and login functions: thin wrappers (p11_entry.h) over mod_session.c and
 * mod_login.c. */
#include "p11_entry.h"

P11_EXPORT CK_RV C_OpenSession(CK_SLOT_ID slotID, CK_FLAGS flags, CK_VOID_PTR pApplication,
                               CK_NOTIFY Notify, CK_SESSION_HANDLE_PTR phSession)
{
	P11_SLOT_CALL("C_OpenSession", slotID,
	              mod_session_open(slot, flags, pApplication, Notify, phSession));
}

P11_EXPORT CK_RV C_CloseSession(CK_SESSION_HANDLE hSession)
{
	P11_SESSION_CALL("C_CloseSession", hSession, (mod_session_close(slot, sess), CKR_OK));
}

P11_EXPORT CK_RV C_CloseAllSessions(CK_SLOT_ID slotID)
{
	P11_SLOT_CALL("C_CloseAllSessions", slotID, (mod_session_close_all(slot), CKR_OK));
}

P11_EXPORT CK_RV C_GetSessionInfo(CK_SESSION_HANDLE hSession, CK_SESSION_INFO_PTR pInfo)
{
	P11_SESSION_CALL("C_GetSessionInfo", hSession, mod_session_info(slot, sess, pInfo));
}

P11_EXPORT CK_RV C_GetOperationState(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pOperationState,
                                     CK_ULONG_PTR pulOperationStateLen)
{
	(void)pOperationState;
	(void)pulOperationStateLen;
	P11_SESSION_CALL("C_GetOperationState", hSession,
	                 ((void)sess, (void)slot, CKR_FUNCTION_NOT_SUPPORTED));
}

P11_EXPORT CK_RV C_SetOperationState(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pOperationState,
                                     CK_ULONG ulOperationStateLen, CK_OBJECT_HANDLE hEncryptionKey,
                                     CK_OBJECT_HANDLE hAuthenticationKey)
{
	(void)pOperationState;
	(void)ulOperationStateLen;
	(void)hEncryptionKey;
	(void)hAuthenticationKey;
	P11_SESSION_CALL("C_SetOperationState", hSession,
	                 ((void)sess, (void)slot, CKR_FUNCTION_NOT_SUPPORTED));
}

P11_EXPORT CK_RV C_Login(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pPin,
                         CK_ULONG ulPinLen)
{
	P11_SESSION_CALL("C_Login", hSession, mod_login_as(slot, sess, userType, pPin, ulPinLen));
}

/* PIV has one user and one SO: the user name has nothing to select. */
P11_EXPORT CK_RV C_LoginUser(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType,
                             CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen, CK_UTF8CHAR_PTR pUsername,
                             CK_ULONG ulUsernameLen)
{
	(void)pUsername;
	(void)ulUsernameLen;
	P11_SESSION_CALL("C_LoginUser", hSession,
	                 mod_login_as(slot, sess, userType, pPin, ulPinLen));
}

P11_EXPORT CK_RV C_Logout(CK_SESSION_HANDLE hSession)
{
	P11_SESSION_CALL("C_Logout", hSession, ((void)sess, mod_login_end(slot)));
}

P11_EXPORT CK_RV C_InitPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen)
{
	P11_SESSION_CALL("C_InitPIN", hSession, mod_login_init_pin(slot, sess, pPin, ulPinLen));
}

P11_EXPORT CK_RV C_SetPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pOldPin, CK_ULONG ulOldLen,
                          CK_UTF8CHAR_PTR pNewPin, CK_ULONG ulNewLen)
{
	P11_SESSION_CALL("C_SetPIN", hSession,
	                 mod_login_set_pin(slot, sess, pOldPin, ulOldLen, pNewPin, ulNewLen));
}

/* Legacy parallel-session functions. */
P11_EXPORT CK_RV C_GetFunctionStatus(CK_SESSION_HANDLE hSession)
{
	P11_SESSION_CALL("C_GetFunctionStatus", hSession,
	                 ((void)sess, (void)slot, CKR_FUNCTION_NOT_PARALLEL));
}

P11_EXPORT CK_RV C_CancelFunction(CK_SESSION_HANDLE hSession)
{
	P11_SESSION_CALL("C_CancelFunction", hSession,
	                 ((void)sess, (void)slot, CKR_FUNCTION_NOT_PARALLEL));
}

P11_EXPORT CK_RV C_SessionCancel(CK_SESSION_HANDLE hSession, CK_FLAGS flags)
{
	P11_SESSION_CALL("C_SessionCancel", hSession,
	                 ((void)slot, mod_session_cancel(sess, flags)));
}
