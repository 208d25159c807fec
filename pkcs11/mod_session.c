/* The session table: every open session of every slot, kept sorted by handle (handles only
 * grow, so opening appends) for a binary search; no cap but memory. The table is guarded by
 * the module lock; a session is used under its slot's lock (mod.h explains the order).
 * Sessions are serial only (CKF_SERIAL_SESSION) and cost no I/O to open or inspect beyond
 * a presence check. */
#include <stdlib.h>
#include <string.h>

#include "mod.h"
#include "mod_sobj.h"

void mod_session_op_clear(mod_crypto_op *op)
{
	if (op->ctx && op->ctx_free)
		op->ctx_free(op->ctx);
	memset(op, 0, sizeof(*op));
}

void mod_session_find_clear(mod_session *sess)
{
	free(sess->found);
	sess->found = NULL;
	sess->n_found = sess->find_pos = 0;
	sess->find_active = false;
}

static void mod_session_free(mod_session *sess)
{
	mod_session_op_clear(&sess->sign);
	mod_session_op_clear(&sess->verify);
	mod_session_op_clear(&sess->digest);
	mod_session_op_clear(&sess->encrypt);
	mod_session_op_clear(&sess->decrypt);
	mod_session_find_clear(sess);
	free(sess);
}

/* Under the module lock: the index of h, or the index where it would go. */
static size_t mod_session_index(CK_SESSION_HANDLE h, bool *found)
{
	size_t lo = 0, hi = mod.n_sessions;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (mod.sessions[mid]->handle < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < mod.n_sessions && mod.sessions[lo]->handle == h;
	return lo;
}

static mod_session *mod_session_lookup(CK_SESSION_HANDLE h)
{
	bool found;
	size_t i;
	mod_session *sess;

	mod_mutex_lock(mod.lock);
	i = mod_session_index(h, &found);
	sess = found ? mod.sessions[i] : NULL;
	mod_mutex_unlock(mod.lock);
	return sess;
}

static CK_RV mod_session_add(mod_slot *s, CK_FLAGS flags, void *application, CK_NOTIFY notify,
                             CK_SESSION_HANDLE *h)
{
	mod_session *sess = calloc(1, sizeof(*sess));

	if (!sess)
		return CKR_HOST_MEMORY;
	sess->slot_id = s->id;
	sess->generation = s->generation;
	sess->flags = flags;
	sess->notify = notify;
	sess->application = application;
	mod_mutex_lock(mod.lock);
	if (mod.n_sessions == mod.cap_sessions) {
		size_t cap = mod.cap_sessions ? mod.cap_sessions * 2 : 16;
		mod_session **grown = realloc(mod.sessions, cap * sizeof(*grown));

		if (!grown) {
			mod_mutex_unlock(mod.lock);
			free(sess);
			return CKR_HOST_MEMORY;
		}
		mod.sessions = grown;
		mod.cap_sessions = cap;
	}
	sess->handle = ++mod.next_handle;
	mod.sessions[mod.n_sessions++] = sess;
	mod_mutex_unlock(mod.lock);
	s->n_sessions++;
	if (flags & CKF_RW_SESSION)
		s->n_rw_sessions++;
	*h = sess->handle;
	return CKR_OK;
}

CK_RV mod_session_open(mod_slot *s, CK_FLAGS flags, void *application, CK_NOTIFY notify,
                       CK_SESSION_HANDLE *h)
{
	CK_RV rv;

	if (!h)
		return CKR_ARGUMENTS_BAD;
	if (!(flags & CKF_SERIAL_SESSION))
		return CKR_SESSION_PARALLEL_NOT_SUPPORTED;
	rv = mod_slot_refresh(s);
	if (rv == CKR_OK && !s->present)
		rv = CKR_TOKEN_NOT_PRESENT;
	/* A card found without a PIV applet (mod_token_get) is no token of ours. */
	if (rv == CKR_OK && s->card.not_piv)
		rv = CKR_TOKEN_NOT_RECOGNIZED;
	/* The SO state is R/W only: no read-only session beside it. */
	if (rv == CKR_OK && s->login_user == CKU_SO && !(flags & CKF_RW_SESSION))
		rv = CKR_SESSION_READ_WRITE_SO_EXISTS;
	if (rv == CKR_OK)
		rv = mod_session_add(s, flags, application, notify, h);
	return rv;
}

/* Under the slot lock: out of the table and freed. */
static void mod_session_drop(mod_slot *s, mod_session *sess)
{
	bool found;
	size_t i;

	mod_mutex_lock(mod.lock);
	i = mod_session_index(sess->handle, &found);
	if (found) {
		memmove(&mod.sessions[i], &mod.sessions[i + 1],
		        (mod.n_sessions - i - 1) * sizeof(*mod.sessions));
		mod.n_sessions--;
	}
	mod_mutex_unlock(mod.lock);
	mod_sobj_session_closed(s, sess->handle);
	/* Sessions of an older generation were uncounted when it ended. */
	if (sess->generation == s->generation) {
		s->n_sessions--;
		if (sess->flags & CKF_RW_SESSION)
			s->n_rw_sessions--;
	}
	mod_session_free(sess);
}

void mod_session_close(mod_slot *s, mod_session *sess)
{
	mod_session_drop(s, sess);
	if (s->n_sessions == 0 && s->login_user != MOD_NOBODY)
		mod_slot_logout(s);
}

void mod_session_close_all(mod_slot *s)
{
	size_t i = 0;

	for (;;) {
		mod_session *victim = NULL;

		mod_mutex_lock(mod.lock);
		for (; i < mod.n_sessions; i++) {
			if (mod.sessions[i]->slot_id == s->id) {
				victim = mod.sessions[i];
				break;
			}
		}
		mod_mutex_unlock(mod.lock);
		if (!victim)
			break;
		/* The slot lock is held: nobody else removes sessions of this slot, so the
		 * ones before i stay unrelated and the victim's index stays i. */
		mod_session_drop(s, victim);
	}
	if (s->login_user != MOD_NOBODY)
		mod_slot_logout(s);
}

void mod_session_destroy_all(void)
{
	size_t i;

	for (i = 0; i < mod.n_sessions; i++)
		mod_session_free(mod.sessions[i]);
	free(mod.sessions);
	mod.sessions = NULL;
	mod.n_sessions = mod.cap_sessions = 0;
}

CK_RV mod_session_get(CK_SESSION_HANDLE h, mod_session **sess, mod_slot **slot)
{
	mod_session *found = mod_session_lookup(h);
	mod_slot *s;
	CK_RV rv;

	*sess = NULL;
	*slot = NULL;
	if (!found)
		return CKR_SESSION_HANDLE_INVALID;
	s = mod_slot_get(found->slot_id);
	if (!s)
		return CKR_GENERAL_ERROR;
	mod_slot_lock(s);
	/* Another thread may have closed it (C_CloseAllSessions) before we held the slot. */
	if (mod_session_lookup(h) != found) {
		mod_slot_unlock(s);
		return CKR_SESSION_HANDLE_INVALID;
	}
	if (found->generation != s->generation) {
		/* The token was removed since: say so once, then the handle is gone. */
		rv = s->present ? CKR_SESSION_HANDLE_INVALID : CKR_DEVICE_REMOVED;
		mod_session_drop(s, found);
		mod_slot_unlock(s);
		return rv;
	}
	*sess = found;
	*slot = s;
	return CKR_OK;
}

void mod_session_release(mod_slot *slot)
{
	if (slot)
		mod_slot_unlock(slot);
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
CK_RV mod_session_info(mod_slot *s, mod_session *sess, CK_SESSION_INFO *info)
{
	CK_RV rv;

	if (!info)
		return CKR_ARGUMENTS_BAD;
	rv = mod_slot_refresh(s);
	if (rv != CKR_OK)
		return rv;
	if (sess->generation != s->generation) {
		rv = s->present ? CKR_SESSION_HANDLE_INVALID : CKR_DEVICE_REMOVED;
		mod_session_close(s, sess);
		return rv;
	}
	memset(info, 0, sizeof(*info));
	info->slotID = s->id;
	info->state = mod_session_state(s, sess);
	info->flags = sess->flags;
	info->ulDeviceError = 0;
	return CKR_OK;
}

/* Ends the named active operations; flags naming an operation the module never runs have
 * nothing to end. */
CK_RV mod_session_cancel(mod_session *sess, CK_FLAGS flags)
{
	if (flags & CKF_SIGN)
		mod_session_op_clear(&sess->sign);
	if (flags & CKF_VERIFY)
		mod_session_op_clear(&sess->verify);
	if (flags & CKF_DIGEST)
		mod_session_op_clear(&sess->digest);
	if (flags & CKF_ENCRYPT)
		mod_session_op_clear(&sess->encrypt);
	if (flags & CKF_DECRYPT)
		mod_session_op_clear(&sess->decrypt);
	if (flags & CKF_FIND_OBJECTS)
		mod_session_find_clear(sess);
	return CKR_OK;
}
