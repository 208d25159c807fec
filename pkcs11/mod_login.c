/* Login and PINs over PIV. CKU_USER is a VERIFY of the PIN (80). PIV has no SO login: the
 * PUK (81) only unblocks (RESET RETRY COUNTER) or is changed, so CKU_SO holds the PUK
 * without sending it, and C_InitPIN / C_SetPIN use it. CKU_CONTEXT_SPECIFIC is the VERIFY
 * a PIN-always key (9C) wants right before its operation. The secret held for the login
 * is wiped at logout, removal and finalize; the tries the card reports are kept in the
 * token cache so C_GetTokenInfo shows them without an APDU. */
#include <string.h>

#include <openssl/crypto.h>

#include "mod.h"
#include "mod_crypt.h"
#include "mod_mech.h"
#include "mod_pinask.h"
#include "mod_sig.h"
#include "piv.h"

static bool mod_login_pin_len_ok(CK_ULONG len)
{
	return len >= PIV_PIN_MIN && len <= PIV_PIN_MAX;
}

/* Keep the cached tries of the PIN or PUK right after an operation on it. */
static void mod_login_note_tries(mod_slot *s, uint8_t ref, card_status st, int tries)
{
	mod_token *t = s->token;
	uint8_t *left, max;

	if (!t)
		return;
	left = ref == PIV_REF_PIN ? &t->pin_tries_left : &t->puk_tries_left;
	max = ref == PIV_REF_PIN ? t->pin_tries_max : t->puk_tries_max;
	if (st == CARD_OK)
		*left = max;
	else if (st == CARD_ERR_PIN_LOCKED)
		*left = 0;
	else if (st == CARD_ERR_PIN_INCORRECT && tries >= 0)
		*left = (uint8_t)tries;
}

/* The card's answer to a PIN command as the CK_RV C_Login & co. report. */
static CK_RV mod_login_rv(mod_slot *s, card_status st)
{
	/* The driver refuses a PIN it cannot send (a padding byte inside): it cannot be right. */
	if (st == CARD_ERR_BAD_INPUT)
		return CKR_PIN_INCORRECT;
	return mod_slot_rv(s, st);
}

void mod_login_hold(mod_slot *s, CK_USER_TYPE user, const CK_UTF8CHAR *pin, CK_ULONG len)
{
	OPENSSL_cleanse(s->pin, sizeof(s->pin));
	memcpy(s->pin, pin, len);
	s->pin_len = len;
	s->login_user = user;
	s->context_ok = false;
}

CK_RV mod_login_verify(mod_slot *s, const CK_UTF8CHAR *pin, CK_ULONG len)
{
	int tries = -1;
	card_status st;

	if (!mod_login_pin_len_ok(len))
		return CKR_PIN_LEN_RANGE;
	st = card_verify_pin(&s->card, pin, len, &tries);
	mod_login_note_tries(s, PIV_REF_PIN, st, tries);
	return st == CARD_OK ? CKR_OK : mod_login_rv(s, st);
}

static CK_RV mod_login_user(mod_slot *s, const CK_UTF8CHAR *pin, CK_ULONG len)
{
	CK_RV rv;

	/* No PIN: the protected authentication path, the pinentry (pin_source = pinentry). */
	if (!pin)
		return mod_pinask_verify(s, -1, MOD_PINASK_LOGIN);
	rv = mod_login_verify(s, pin, len);
	if (rv == CKR_OK) {
		mod_login_hold(s, CKU_USER, pin, len);
		mod_pinask_cancel_forget(s);
	}
	return rv;
}

/* Nothing goes to the card: PIV cannot check a PUK without using it. A PUK known to be
 * blocked is refused at once. */
static CK_RV mod_login_so(mod_slot *s, const CK_UTF8CHAR *pin, CK_ULONG len)
{
	if (s->n_sessions > s->n_rw_sessions)
		return CKR_SESSION_READ_ONLY_EXISTS;
	if (!mod_login_pin_len_ok(len))
		return CKR_PIN_LEN_RANGE;
	if (s->token && s->token->puk_tries_max > 0 && s->token->puk_tries_left == 0)
		return CKR_PIN_LOCKED;
	mod_login_hold(s, CKU_SO, pin, len);
	return CKR_OK;
}

static CK_RV mod_login_context(mod_slot *s, mod_session *sess, const CK_UTF8CHAR *pin, CK_ULONG len)
{
	const mod_sig_op *op = sess->sign.ctx;
	const mod_crypt_op *dop = sess->decrypt.ctx;
	int key = op  ? piv_key_slot_index(op->key_ref) :
	          dop ? piv_key_slot_index(dop->key_ref) :
	                -1;
	CK_RV rv;

	/* Only an operation waiting for it (a PIN-always signature or decryption) can use this
	 * login. */
	if (sess->sign.mech == 0 && !dop)
		return CKR_OPERATION_NOT_INITIALIZED;
	if (!mod_slot_user_logged_in(s))
		return CKR_USER_NOT_LOGGED_IN;
	if (!pin)
		return mod_pinask_verify(s, key, MOD_PINASK_ALWAYS);
	rv = mod_login_verify(s, pin, len);
	if (rv == CKR_OK)
		s->context_ok = true;
	return rv;
}

CK_RV mod_login_as(mod_slot *s, mod_session *sess, CK_USER_TYPE user, const CK_UTF8CHAR *pin,
                   CK_ULONG pin_len)
{
	/* A protected authentication path only with the PIN from a pinentry, and only for the
	 * PIN: the PUK is never asked for this way. */
	if (!pin && (!mod_pinask_enabled() || user == CKU_SO))
		return CKR_ARGUMENTS_BAD;
	switch (user) {
	case CKU_USER:
	case CKU_SO:
		if (s->login_user == user)
			return CKR_USER_ALREADY_LOGGED_IN;
		if (s->login_user != MOD_NOBODY)
			return CKR_USER_ANOTHER_ALREADY_LOGGED_IN;
		return user == CKU_USER ? mod_login_user(s, pin, pin_len) :
		                          mod_login_so(s, pin, pin_len);
	case CKU_CONTEXT_SPECIFIC: return mod_login_context(s, sess, pin, pin_len);
	default: return CKR_USER_TYPE_INVALID;
	}
}

CK_RV mod_login_end(mod_slot *s)
{
	if (s->login_user == MOD_NOBODY)
		return CKR_USER_NOT_LOGGED_IN;
	mod_slot_logout(s);
	return CKR_OK;
}

CK_RV mod_login_init_pin(mod_slot *s, mod_session *sess, const CK_UTF8CHAR *pin, CK_ULONG pin_len)
{
	int tries = -1;
	card_status st;

	if (s->login_user != CKU_SO)
		return CKR_USER_NOT_LOGGED_IN;
	if (!(sess->flags & CKF_RW_SESSION))
		return CKR_SESSION_READ_ONLY;
	if (!pin)
		return CKR_ARGUMENTS_BAD;
	if (!mod_login_pin_len_ok(pin_len))
		return CKR_PIN_LEN_RANGE;
	st = card_unblock_pin(&s->card, s->pin, s->pin_len, pin, pin_len, &tries);
	mod_login_note_tries(s, PIV_REF_PUK, st, tries);
	if (st == CARD_OK) {
		mod_login_note_tries(s, PIV_REF_PIN, CARD_OK, -1);
		if (s->token)
			s->token->pin_is_default = false;
		return CKR_OK;
	}
	if (st == CARD_ERR_PIN_INCORRECT || st == CARD_ERR_PIN_LOCKED) {
		/* A PUK known to be wrong would only burn the next try: the SO logs in again. */
		mod_trace_msg(
			"slot %lu: the PUK held since C_Login(CKU_SO) was refused: logged out",
			(unsigned long)s->id);
		mod_slot_logout(s);
	}
	return mod_login_rv(s, st);
}

CK_RV mod_login_set_pin(mod_slot *s, mod_session *sess, const CK_UTF8CHAR *old_pin,
                        CK_ULONG old_len, const CK_UTF8CHAR *new_pin, CK_ULONG new_len)
{
	/* In an SO session the SO's secret, the PUK, changes; otherwise the user's PIN. */
	uint8_t ref = s->login_user == CKU_SO ? PIV_REF_PUK : PIV_REF_PIN;
	int tries = -1;
	card_status st;

	if (!(sess->flags & CKF_RW_SESSION))
		return CKR_SESSION_READ_ONLY;
	if (!old_pin || !new_pin)
		return CKR_ARGUMENTS_BAD;
	if (!mod_login_pin_len_ok(old_len) || !mod_login_pin_len_ok(new_len))
		return CKR_PIN_LEN_RANGE;
	st = card_change_reference(&s->card, ref, old_pin, old_len, new_pin, new_len, &tries);
	mod_login_note_tries(s, ref, st, tries);
	if (st != CARD_OK)
		return mod_login_rv(s, st);
	if (ref == PIV_REF_PIN && s->token)
		s->token->pin_is_default = false;
	/* The held secret follows the change, or a later restore would verify the old one. */
	if (s->login_user == (ref == PIV_REF_PIN ? CKU_USER : CKU_SO))
		mod_login_hold(s, s->login_user, new_pin, new_len);
	return CKR_OK;
}
