/* Slots: one per configured reader (emulator socket), created without any I/O, then one
 * per PC/SC reader (mod_pcsc.c) and one per USB port a kinko token was seen in
 * (mod_usb.c), added by C_GetSlotList in that order. Presence is
 * asked with a CCID GetSlotStatus, never an APDU; a change of presence starts a new
 * generation of the slot (sessions of the old one are dead), drops what was learnt of the
 * token and the login. The PIN is held only while the user is logged in, to restore the
 * card's security state after another process reset it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "mod.h"
#include "mod_pcsc.h"
#include "mod_sobj.h"
#include "mod_usb.h"

static void mod_slot_wipe_login(mod_slot *s)
{
	OPENSSL_cleanse(s->pin, sizeof(s->pin));
	s->pin_len = 0;
	s->login_user = MOD_NOBODY;
	s->context_ok = false;
}

static void mod_slot_drop_token(mod_slot *s)
{
	if (s->token)
		mod_token_free(s->token);
	s->token = NULL;
}

/* A slot over tr (taken over, destroyed on failure). */
static mod_slot *mod_slot_make(CK_SLOT_ID id, tr_transport *tr, const char *description,
                               unsigned timeout_ms)
{
	mod_slot *s = tr ? calloc(1, sizeof(*s)) : NULL;

	if (!s || mod_mutex_new(&s->lock) != CKR_OK) {
		if (tr)
			tr->ops->destroy(tr);
		free(s);
		return NULL;
	}
	s->id = id;
	s->login_user = MOD_NOBODY;
	s->tr = tr;
	if (timeout_ms)
		s->tr->timeout_ms = timeout_ms;
	card_init(&s->card, s->tr);
	snprintf(s->description, sizeof(s->description), "%s", description);
	return s;
}

static mod_slot *mod_slot_new(CK_SLOT_ID id, const char *socket_path, unsigned timeout_ms)
{
	char description[65];

	snprintf(description, sizeof(description), "kinko token emulator %s", socket_path);
	return mod_slot_make(id, tr_socket_new(socket_path), description, timeout_ms);
}

static void mod_slot_free(mod_slot *s)
{
	if (!s)
		return;
	mod_slot_wipe_login(s);
	mod_slot_drop_token(s);
	card_cleanup(&s->card);
	if (s->tr)
		s->tr->ops->destroy(s->tr);
	mod_mutex_free(s->lock);
	free(s);
}

CK_RV mod_slot_create_all(void)
{
	size_t i, n = mod.cfg.n_emu_sockets;
	CK_RV rv;

	mod.slots = NULL;
	mod.n_slots = 0;
	/* USB slots come and go with the tokens: their room is reserved now, so slots[]
	 * never moves under a reader. */
	mod.cap_slots =
		n + (mod.cfg.usb ? MOD_USB_MAX_SLOTS : 0) + (mod.cfg.pcsc ? MOD_PCSC_MAX_SLOTS : 0);
	rv = mod_usb_start();
	if (rv == CKR_OK)
		rv = mod_pcsc_start();
	if (rv != CKR_OK || mod.cap_slots == 0)
		return rv;
	mod.slots = calloc(mod.cap_slots, sizeof(*mod.slots));
	if (!mod.slots)
		return CKR_HOST_MEMORY;
	for (i = 0; i < n; i++) {
		mod.slots[i] = mod_slot_new(i, mod.cfg.emu_sockets[i], mod.cfg.timeout_ms);
		if (!mod.slots[i]) {
			mod.n_slots = i;
			mod_slot_destroy_all();
			return CKR_HOST_MEMORY;
		}
	}
	mod.n_slots = n;
	return CKR_OK;
}

/* C_Finalize: sessions are gone already; a user still logged in is logged out on the card
 * (the card would otherwise stay verified for the next program). */
void mod_slot_destroy_all(void)
{
	size_t i;

	for (i = 0; i < mod.n_slots; i++) {
		mod_slot *s = mod.slots[i];

		if (s->login_user != MOD_NOBODY) {
			s->tr->ops->begin(s->tr);
			mod_slot_logout(s);
			s->tr->ops->end(s->tr);
		}
		mod_slot_free(s);
	}
	free(mod.slots);
	mod.slots = NULL;
	mod.n_slots = 0;
	mod.cap_slots = 0;
	mod_usb_finish();
	mod_pcsc_finish();
}

size_t mod_slot_count(void)
{
	return __atomic_load_n(&mod.n_slots, __ATOMIC_ACQUIRE);
}

mod_slot *mod_slot_get(CK_SLOT_ID id)
{
	if (id >= mod_slot_count())
		return NULL;
	return mod.slots[id];
}

static CK_RV mod_slot_append(tr_transport *tr, const char *description, bool event,
                             bool present_known)
{
	mod_slot *s;
	CK_RV rv = CKR_OK;

	mod_mutex_lock(mod.lock);
	if (mod.n_slots >= mod.cap_slots) {
		tr->ops->destroy(tr);
		rv = CKR_DEVICE_MEMORY;
	} else if (!(s = mod_slot_make(mod.n_slots, tr, description, mod.cfg.timeout_ms))) {
		rv = CKR_HOST_MEMORY;
	} else {
		/* Found plugged in: present (its first presence answer is no change). */
		s->probed = present_known;
		s->present = present_known;
		s->event = event;
		mod.slots[mod.n_slots] = s;
		__atomic_store_n(&mod.n_slots, mod.n_slots + 1, __ATOMIC_RELEASE);
	}
	mod_mutex_unlock(mod.lock);
	return rv;
}

CK_RV mod_slot_add(tr_transport *tr, const char *description, bool event)
{
	return mod_slot_append(tr, description, event, true);
}

CK_RV mod_slot_add_reader(tr_transport *tr, const char *description, bool event)
{
	return mod_slot_append(tr, description, event, false);
}

/* A new generation: sessions of the old one are dead, what we knew of the token too. */
static void mod_slot_new_generation(mod_slot *s, bool present)
{
	s->present = present;
	s->generation++;
	s->event = true;
	s->n_sessions = 0;
	s->n_rw_sessions = 0;
	mod_slot_drop_token(s);
	mod_slot_wipe_login(s);
	s->pin_cancelled = false; /* a cancel lasts until the token is removed */
	card_reset(&s->card);
}

void mod_slot_removed(mod_slot *s)
{
	if (s->probed && !s->present)
		return;
	s->probed = true;
	mod_slot_new_generation(s, false);
}

/* One C_* call's work on a slot is one exclusive batch on its card (the transport's
 * begin/end): another application's power-on or SELECT cannot fall between our VERIFY
 * and the signature it was for. A USB token's interface is claimed for the batch only,
 * so other applications can use the token between two of our calls. */
void mod_slot_lock(mod_slot *s)
{
	mod_mutex_lock(s->lock);
	s->tr->ops->begin(s->tr);
}

void mod_slot_unlock(mod_slot *s)
{
	s->tr->ops->end(s->tr);
	mod_mutex_unlock(s->lock);
}

void mod_slot_batch_restart(mod_slot *s)
{
	s->tr->ops->end(s->tr);
	s->tr->ops->begin(s->tr);
}

CK_RV mod_slot_refresh(mod_slot *s)
{
	bool present = false;
	tr_status st = s->tr->ops->present(s->tr, &present);

	/* A broken stream is closed by the transport: the retry reconnects. */
	if (st != TR_OK && st != TR_ERR_ABSENT)
		st = s->tr->ops->present(s->tr, &present);
	if (st == TR_ERR_ABSENT) {
		present = false;
		st = TR_OK;
	}
	if (st != TR_OK)
		return st == TR_ERR_NOMEM ? CKR_HOST_MEMORY : CKR_DEVICE_ERROR;
	if (!s->probed) {
		s->probed = true;
		s->present = present;
		return CKR_OK;
	}
	if (present != s->present)
		mod_slot_new_generation(s, present);
	return CKR_OK;
}

bool mod_slot_user_logged_in(const mod_slot *s)
{
	return s->login_user == CKU_USER;
}

bool mod_slot_private_visible(const mod_slot *s)
{
	return mod_slot_user_logged_in(s) || mod.cfg.pin_source == MOD_PIN_SOURCE_PINENTRY;
}

void mod_slot_logout(mod_slot *s)
{
	/* Only a PIN verification lives on the card; the PUK of an SO login never went there.
	 * A card we never talked to has nothing to forget. */
	if (s->login_user == CKU_USER && s->present && s->card.selected) {
		card_status st = card_logout(&s->card);

		if (st == CARD_ERR_ABSENT)
			mod_slot_removed(s);
	}
	mod_slot_wipe_login(s);
	mod_sobj_logout(s);
}

/* Card status -> CK_RV, the one mapping of the module. */
static CK_RV mod_slot_card_rv(card_status st)
{
	switch (st) {
	case CARD_OK: return CKR_OK;
	case CARD_ERR_ABSENT: return CKR_DEVICE_REMOVED;
	case CARD_ERR_DEVICE: return CKR_DEVICE_ERROR;
	case CARD_ERR_PIN_INCORRECT: return CKR_PIN_INCORRECT;
	case CARD_ERR_PIN_LOCKED: return CKR_PIN_LOCKED;
	case CARD_ERR_SECURITY: return CKR_USER_NOT_LOGGED_IN;
	case CARD_ERR_NOT_FOUND: return CKR_OBJECT_HANDLE_INVALID;
	case CARD_ERR_BAD_INPUT: return CKR_ARGUMENTS_BAD;
	case CARD_ERR_NO_MEMORY: return CKR_DEVICE_MEMORY;
	case CARD_ERR_UNSUPPORTED: return CKR_FUNCTION_NOT_SUPPORTED;
	case CARD_ERR_FAILED: return CKR_FUNCTION_FAILED;
	case CARD_ERR_NOT_PIV: return CKR_TOKEN_NOT_RECOGNIZED;
	}
	return CKR_GENERAL_ERROR;
}

CK_RV mod_slot_rv(mod_slot *s, card_status st)
{
	if (st == CARD_ERR_ABSENT)
		mod_slot_removed(s);
	return mod_slot_card_rv(st);
}

/* The PIN verification is lost (another process powered the card on): VERIFY with the
 * held PIN. When that fails the login is over: CKR_USER_NOT_LOGGED_IN. */
static CK_RV mod_slot_restore(mod_slot *s)
{
	int tries = -1;
	card_status st = card_verify_pin(&s->card, s->pin, s->pin_len, &tries);

	if (st == CARD_OK)
		return CKR_OK;
	if (st == CARD_ERR_PIN_INCORRECT || st == CARD_ERR_PIN_LOCKED) {
		if (s->token && tries >= 0)
			s->token->pin_tries_left = (uint8_t)tries;
		mod_trace_msg("slot %lu: the PIN held since C_Login no longer verifies (changed "
		              "elsewhere?): logged out",
		              (unsigned long)s->id);
		mod_slot_logout(s);
		return CKR_USER_NOT_LOGGED_IN;
	}
	return mod_slot_rv(s, st);
}

/* Inside the call's exclusive batch nothing comes between our re-VERIFY and the retry:
 * one round does. A reader without a lock (an older emulator) lets another process's
 * power-on and its SELECT, two commands, fall around ours, undoing the re-VERIFY once
 * more. A VERIFY that succeeds costs no try, so a few rounds are safe; a bound keeps a
 * process that resets the card without end from holding us in a loop. */
#define MOD_SLOT_RESTORE_MAX 3

CK_RV mod_slot_with_pin(mod_slot *s, mod_card_op op, void *arg)
{
	card_status st = op(&s->card, arg);
	CK_RV rv;
	int round;

	for (round = 0; round < MOD_SLOT_RESTORE_MAX && st == CARD_ERR_SECURITY &&
	                mod_slot_user_logged_in(s) && s->pin_len;
	     round++) {
		mod_trace_msg("slot %lu: the card forgot the PIN verification (reset by another "
		              "process?): verifying again",
		              (unsigned long)s->id);
		rv = mod_slot_restore(s);
		if (rv != CKR_OK)
			return rv;
		st = op(&s->card, arg);
	}
	return mod_slot_rv(s, st);
}
