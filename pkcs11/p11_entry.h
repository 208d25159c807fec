/* How every exported C_* function is written: a thin wrapper that checks initialisation,
 * looks the session or slot up (locking the slot), calls the layer below, unlocks and
 * traces. The core's checks come after these, in the standard's order of errors. */
#ifndef KINKO_P11_ENTRY_H
#define KINKO_P11_ENTRY_H

#include "mod.h"

/* Exported symbols: everything else in the module is hidden (-fvisibility=hidden). */
#define P11_EXPORT __attribute__((visibility("default")))

#define P11_RETURN(name, rv)                     \
	do {                                     \
		CK_RV p11_rv_ = (rv);            \
		mod_trace_call((name), p11_rv_); \
		return p11_rv_;                  \
	} while (0)

#define P11_REQUIRE_INIT(name)                                            \
	do {                                                              \
		if (!mod_module_initialized())                            \
			P11_RETURN((name), CKR_CRYPTOKI_NOT_INITIALIZED); \
	} while (0)

/* Body of a session function: `P11_SESSION_CALL("C_Sign", h, mod_sign_oneshot(sess, slot,
 * ...));` — sess and slot are in scope for the expression, the slot is locked during it. */
#define P11_SESSION_CALL(name, h, expr)                            \
	do {                                                       \
		mod_session *sess;                                 \
		mod_slot *slot;                                    \
		CK_RV p11_call_rv_;                                \
		P11_REQUIRE_INIT(name);                            \
		p11_call_rv_ = mod_session_get((h), &sess, &slot); \
		if (p11_call_rv_ == CKR_OK) {                      \
			p11_call_rv_ = (expr);                     \
			mod_session_release(slot);                 \
		}                                                  \
		P11_RETURN((name), p11_call_rv_);                  \
	} while (0)

/* Body of an *Init function (pMechanism in scope): P11_SESSION_CALL, except that a NULL
 * mechanism ends the session's active operation of kind use (CKF_SIGN, CKF_DIGEST, ...) and
 * answers CKR_OK, as PKCS#11 3.0 says of every *Init; with none active there is nothing to
 * end. */
#define P11_INIT_CALL(name, h, use, expr)  \
	P11_SESSION_CALL(name, h,          \
	                 (pMechanism ?     \
	                          (expr) : \
	                          ((void)slot, (void)mod_session_cancel(sess, (use)), CKR_OK)))

/* Body of a slot function: `P11_SLOT_CALL("C_GetSlotInfo", id, mod_info_slot(slot, p));`
 * — slot is in scope for the expression and locked during it; an unknown id is
 * CKR_SLOT_ID_INVALID before anything else is looked at. */
#define P11_SLOT_CALL(name, id, expr)                            \
	do {                                                     \
		mod_slot *slot;                                  \
		CK_RV p11_call_rv_;                              \
		P11_REQUIRE_INIT(name);                          \
		slot = mod_slot_get(id);                         \
		if (!slot)                                       \
			P11_RETURN((name), CKR_SLOT_ID_INVALID); \
		mod_slot_lock(slot);                             \
		p11_call_rv_ = (expr);                           \
		mod_slot_unlock(slot);                           \
		P11_RETURN((name), p11_call_rv_);                \
	} while (0)

#endif
