/* Session and login functions. Sessions are serial only (CKF_SERIAL_SESSION), uncapped,
 * and cost no I/O to open or inspect beyond a presence check. */
#include <stdlib.h>
#include <string.h>

#include "p11_entry.h"

static CK_RV mod_open_session(CK_SLOT_ID slotID, CK_FLAGS flags, CK_VOID_PTR pApplication,
                              CK_NOTIFY Notify, CK_SESSION_HANDLE_PTR phSession)
{
	mod_slot *s = mod_slot_get(slotID);
	CK_RV rv;

	if (!s)
		return CKR_SLOT_ID_INVALID;
	if (!phSession)
		return CKR_ARGUMENTS_BAD;
	if (!(flags & CKF_SERIAL_SESSION))
		return CKR_SESSION_PARALLEL_NOT_SUPPORTED;
	mod_slot_lock(s);
	rv = mod_slot_refresh(s);
	if (rv == CKR_OK && !s->present)
		rv = CKR_TOKEN_NOT_PRESENT;
	/* The SO state is R/W only: no read-only session beside it. */
	if (rv == CKR_OK && s->login_user == CKU_SO && !(flags & CKF_RW_SESSION))
		rv = CKR_SESSION_READ_WRITE_SO_EXISTS;
	if (rv == CKR_OK)
		rv = mod_session_open(s, flags, pApplication, Notify, phSession);
	mod_slot_unlock(s);
	return rv;
}

P11_EXPORT CK_RV C_OpenSession(CK_SLOT_ID slotID, CK_FLAGS flags, CK_VOID_PTR pApplication,
                               CK_NOTIFY Notify, CK_SESSION_HANDLE_PTR phSession)
{
	P11_REQUIRE_INIT("C_OpenSession");
	P11_RETURN("C_OpenSession",
	           mod_open_session(slotID, flags, pApplication, Notify, phSession));
}

static CK_RV mod_close_session(mod_slot *slot, mod_session *sess)
{
	mod_session_close(slot, sess);
	return CKR_OK;
}

P11_EXPORT CK_RV C_CloseSession(CK_SESSION_HANDLE hSession)
{
	P11_SESSION_CALL("C_CloseSession", hSession, mod_close_session(slot, sess));
}

P11_EXPORT CK_RV C_CloseAllSessions(CK_SLOT_ID slotID)
{
	mod_slot *s;

	P11_REQUIRE_INIT("C_CloseAllSessions");
	s = mod_slot_get(slotID);
	if (!s)
		P11_RETURN("C_CloseAllSessions", CKR_SLOT_ID_INVALID);
	mod_slot_lock(s);
	mod_session_close_all(s);
	mod_slot_unlock(s);
	P11_RETURN("C_CloseAllSessions", CKR_OK);
}

static CK_STATE mod_session_state(const mod_slot *s, const mod_session *sess)
{
	bool rw = (sess->flags & CKF_RW_SESSION) != 0;

	if (s->login_user == CKU_SO)
		return CKS_RW_SO_FUNCTIONS;
	if (s->login_user == CKU_USER)
		return rw ? CKS_RW_USER_FUNCTIONS : CKS_RO_USER_FUNCTIONS;
	return rw ? CKS_RW_PUBLIC_SESSION : CKS_RO_PUBLIC_SESSION;
}

/* Applications (NSS) poll this to notice a removal: a presence check, never an APDU. */
static CK_RV mod_session_info(mod_slot *slot, mod_session *sess, CK_SESSION_INFO_PTR pInfo)
{
	CK_RV rv;

	if (!pInfo)
		return CKR_ARGUMENTS_BAD;
	rv = mod_slot_refresh(slot);
	if (rv != CKR_OK)
		return rv;
	if (sess->generation != slot->generation) {
		rv = slot->present ? CKR_SESSION_HANDLE_INVALID : CKR_DEVICE_REMOVED;
		mod_session_close(slot, sess);
		return rv;
	}
	memset(pInfo, 0, sizeof(*pInfo));
	pInfo->slotID = slot->id;
	pInfo->state = mod_session_state(slot, sess);
	pInfo->flags = sess->flags;
	pInfo->ulDeviceError = 0;
	return CKR_OK;
}

P11_EXPORT CK_RV C_GetSessionInfo(CK_SESSION_HANDLE hSession, CK_SESSION_INFO_PTR pInfo)
{
	P11_SESSION_CALL("C_GetSessionInfo", hSession, mod_session_info(slot, sess, pInfo));
}

/* Operation state lives partly on the card (which key, whose PIN): it cannot be saved. */
P11_EXPORT CK_RV C_GetOperationState(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pOperationState,
                                     CK_ULONG_PTR pulOperationStateLen)
{
	(void)hSession;
	(void)pOperationState;
	(void)pulOperationStateLen;
	P11_REQUIRE_INIT("C_GetOperationState");
	P11_RETURN("C_GetOperationState", CKR_FUNCTION_NOT_SUPPORTED);
}

P11_EXPORT CK_RV C_SetOperationState(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pOperationState,
                                     CK_ULONG ulOperationStateLen,
                                     CK_OBJECT_HANDLE hEncryptionKey,
                                     CK_OBJECT_HANDLE hAuthenticationKey)
{
	(void)hSession;
	(void)pOperationState;
	(void)ulOperationStateLen;
	(void)hEncryptionKey;
	(void)hAuthenticationKey;
	P11_REQUIRE_INIT("C_SetOperationState");
	P11_RETURN("C_SetOperationState", CKR_FUNCTION_NOT_SUPPORTED);
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
	P11_SESSION_CALL("C_LoginUser", hSession, mod_login_as(slot, sess, userType, pPin, ulPinLen));
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

/* Ends the named active operations; flags naming an operation the module never runs have
 * nothing to end. */
static CK_RV mod_session_cancel(mod_session *sess, CK_FLAGS flags)
{
	if (flags & CKF_SIGN)
		mod_session_op_clear(&sess->sign);
	if (flags & CKF_VERIFY)
		mod_session_op_clear(&sess->verify);
	if (flags & CKF_FIND_OBJECTS) {
		free(sess->found);
		sess->found = NULL;
		sess->n_found = sess->find_pos = 0;
		sess->find_active = false;
	}
	return CKR_OK;
}

P11_EXPORT CK_RV C_SessionCancel(CK_SESSION_HANDLE hSession, CK_FLAGS flags)
{
	P11_SESSION_CALL("C_SessionCancel", hSession, ((void)slot, mod_session_cancel(sess, flags)));
}
