/* The module's core data model, shared by its layers:
 *   card driver (card.h) -> object mapping (mod_token.c, mod_object.c)
 *   -> PKCS#11 front end (p11_*.c, thin C_* wrappers).
 *
 * Locking: one module lock (mod_global.lock) guards the slot list and the session table and
 * is held only for short bookkeeping; each slot has its own lock, held for anything that
 * talks to its card or changes its token/login state. Order: slot lock first, module lock
 * inside it, never the other way round. Sessions are looked up under the module lock and
 * then used under their slot's lock; PKCS#11 forbids two threads using one session at once,
 * so a session's operation state needs no lock of its own. */
#ifndef KINKO_MOD_H
#define KINKO_MOD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "card.h"
#include "p11_compat.h"
#include "piv.h"

/* ---- locks (mod_mutex.c): the application's mutex callbacks or pthreads ---- */
typedef struct mod_mutex mod_mutex;
/* Chooses the implementation from C_Initialize's arguments (NULL = no threads promised:
 * pthreads anyway, harmless). CKR_OK, CKR_ARGUMENTS_BAD, CKR_CANT_LOCK. */
CK_RV mod_mutex_configure(const CK_C_INITIALIZE_ARGS *args);
CK_RV mod_mutex_new(mod_mutex **m);
void mod_mutex_free(mod_mutex *m);
void mod_mutex_lock(mod_mutex *m);
void mod_mutex_unlock(mod_mutex *m);

/* ---- configuration (mod_config.c) ---- */
/* Where the user's PIN comes from: the application's C_Login (PKCS#11's usual way), or a
 * pinentry program the module runs itself (browsers: a protected authentication path). */
typedef enum { MOD_PIN_SOURCE_APPLICATION = 0, MOD_PIN_SOURCE_PINENTRY } mod_pin_source;

typedef struct {
	char **emu_sockets; /* one slot per socket, in order */
	size_t n_emu_sockets;
	bool usb;                  /* enumerate USB tokens (usb = yes) */
	bool pcsc;                 /* a slot per PC/SC reader (pcsc = yes, the default) */
	uint16_t usb_vid, usb_pid; /* usb_vid_pid = 1209:6b6b (TR_USB_DEFAULT_*) */
	unsigned timeout_ms;       /* per CCID message, default 5000 */
	unsigned cache_ttl_ms;     /* inventory freshness, default 2000 */
	/* pin_source = application | pinentry; the program: KINKO_PINENTRY, else pinentry =
	 * PATH, else NULL ("pinentry" on PATH); pinentry_cancel_seconds (default 30): how long
	 * a cancel is remembered. */
	mod_pin_source pin_source;
	char *pinentry;
	unsigned pinentry_cancel_s;
} mod_config;
/* KINKO_CONF or $(sysconfdir)/kinko/kinko.conf, then the user's
 * $XDG_CONFIG_HOME/kinko/kinko.conf (default ~/.config/kinko/kinko.conf), whose keys win
 * (its emu_socket lines replace the list); a missing file = defaults. Then
 * KINKO_EMU_SOCKETS=path[:path...] replaces the socket list and KINKO_PINENTRY the program. */
CK_RV mod_config_load(mod_config *cfg);
void mod_config_free(mod_config *cfg);

/* ---- token cache: what the module has learnt of one token (mod_token.c) ---- */
typedef struct {
	bool has_key;
	uint8_t alg; /* PIV_ALG_* */
	uint8_t pin_policy;
	uint8_t origin;  /* PIV_ORIGIN_*: CKA_LOCAL */
	uint8_t *pubkey; /* contents of 7F49 (81/82 or 86), NULL until learnt */
	size_t pubkey_len;
	bool has_cert; /* container present on the token */
	uint8_t *cert; /* DER, NULL until read */
	size_t cert_len;
	/* The attestation a length query of CKA_KINKO_ATTESTATION read (mod_attest.c), for
	 * the read that follows it; that read takes it. */
	uint8_t *attest;
	size_t attest_len;
} mod_keyslot;

/* The token's F9 attestation certificate (GET DATA 5FFF01), learnt without an APDU of its
 * own where possible (mod_attest.c). */
typedef enum { MOD_F9_UNKNOWN = 0, MOD_F9_ABSENT, MOD_F9_PRESENT } mod_f9_state;

/* What the card is, learnt at first use: it decides how the rest is learnt. */
typedef enum {
	MOD_KIND_UNKNOWN = 0,
	MOD_KIND_KINKO,   /* INVENTORY */
	MOD_KIND_YUBIKEY, /* GET SERIAL, GET METADATA; no INVENTORY */
	MOD_KIND_PIV,     /* SP 800-73-4 only: certificates, CHUID, Key History */
} mod_card_kind;

typedef struct mod_token {
	mod_card_kind kind;
	bool identity_ok;     /* serial (or CHUID), version and PIN state learnt */
	char serial_text[17]; /* a plain PIV card: its CHUID GUID (or FASC-N), hex, cut to 16 */
	uint32_t serial;
	uint8_t version[3];
	uint32_t change_counter;   /* the token's object change counter (inventory) */
	uint64_t validated_ms;     /* monotonic time of the last inventory */
	unsigned long card_resets; /* s->card.resets then: a foreign reset since means stale */
	bool inventory_ok;         /* learnt by INVENTORY (else by the per-object fallback) */
	uint8_t pin_tries_max, pin_tries_left, puk_tries_max, puk_tries_left;
	bool pin_is_default;  /* factory PIN or "must change": CKF_USER_PIN_TO_BE_CHANGED */
	mod_keyslot keys[24]; /* PIV_KEY_SLOTS, indexed by piv_key_slot_index() */
	mod_f9_state f9;
	uint8_t *f9_cert; /* DER, NULL until read */
	size_t f9_cert_len;
	bool attest_none; /* ATTEST refused for the whole token (6985, 6D00): not sent again */
} mod_token;

/* ---- slots (mod_slot.c) ---- */
/* login_user of a slot nobody is logged in on. */
#define MOD_NOBODY ((CK_USER_TYPE)-1)

typedef struct mod_slot {
	CK_SLOT_ID id;
	mod_mutex *lock;
	tr_transport *tr;
	card card;
	char description[65];     /* CK_SLOT_INFO, blank padded when copied out */
	bool present;             /* last known presence */
	bool probed;              /* presence asked at least once: the first answer is no event */
	unsigned long generation; /* +1 at every insertion and removal: sessions remember it */
	bool event;               /* unreported insertion/removal, for C_WaitForSlotEvent */
	mod_token *token;         /* NULL: not learnt yet (or no token) */
	/* Login: the PIN is held only while logged in, to re-VERIFY after another process
	 * reset the card; wiped at logout, removal and finalize. */
	CK_USER_TYPE login_user;  /* MOD_NOBODY when nobody is logged in */
	uint8_t pin[PIV_PIN_MAX]; /* the PIN, or the PUK of an SO login (as long) */
	size_t pin_len;
	bool context_ok; /* CKU_CONTEXT_SPECIFIC done: one PIN-always operation */
	/* The user cancelled the pinentry (mod_pinask.c): not asked again for this token (this
	 * generation, this serial) until pin_cancel_until_ms. */
	bool pin_cancelled;
	unsigned long pin_cancel_generation;
	uint32_t pin_cancel_serial;
	int64_t pin_cancel_until_ms;
	unsigned long n_sessions, n_rw_sessions;
	struct mod_sobj *sobjs; /* session objects (mod_sobj.h), newest first */
} mod_slot;

/* ---- sessions (mod_session.c) ---- */
typedef enum { MOD_OP_NONE = 0, MOD_OP_FIND, MOD_OP_SIGN, MOD_OP_VERIFY } mod_op_kind;

typedef struct {
	CK_MECHANISM_TYPE mech;
	CK_OBJECT_HANDLE key;
	void *ctx; /* mechanism-specific (digest context, buffered data, PSS params) */
	void (*ctx_free)(void *ctx);
	bool multipart; /* Update was called: C_Sign is no longer allowed */
} mod_crypto_op;

typedef struct mod_session {
	CK_SESSION_HANDLE handle;
	CK_SLOT_ID slot_id;
	unsigned long generation; /* the slot's generation at open: a change means removed */
	CK_FLAGS flags;
	CK_NOTIFY notify;
	void *application;
	/* find */
	bool find_active;
	CK_OBJECT_HANDLE *found;
	size_t n_found, find_pos;
	mod_crypto_op sign;
	mod_crypto_op verify;
	mod_crypto_op digest;  /* in software (mod_digest.c) */
	mod_crypto_op encrypt; /* in software with a public key */
	mod_crypto_op decrypt; /* on the card with a private key */
} mod_session;

/* ---- the module ---- */
typedef struct {
	bool initialized;
	unsigned long fork_gen; /* fork counter value at C_Initialize */
	mod_mutex *lock;
	mod_config cfg;
	mod_slot **slots;
	size_t n_slots;         /* grows (USB tokens) under the module lock: read it with
	                           * mod_slot_count() where no lock is held */
	size_t cap_slots;       /* slots[] never moves: USB slots are reserved up front */
	struct mod_usb *usb;    /* USB tokens (mod_usb.c), NULL when cfg.usb is off */
	struct mod_pcsc *pcsc;  /* PC/SC readers (mod_pcsc.c), NULL when cfg.pcsc is off */
	mod_session **sessions; /* open sessions, unordered */
	size_t n_sessions, cap_sessions;
	CK_SESSION_HANDLE next_handle;
	bool finalizing; /* C_Finalize: C_WaitForSlotEvent returns CKR_CRYPTOKI_NOT_INITIALIZED */
	struct mod_events *events; /* C_WaitForSlotEvent's waiters (mod_event.c) */
} mod_global;

extern mod_global mod;
/* A forked child's C_Initialize moves the parent's state here, unfreed (it may be
 * half-updated, its locks held by threads the child does not have). */
extern mod_global mod_abandoned;

/* ---- the module's life (mod_module.c) ----
 * C_Initialize and C_Finalize are serialised by an init lock. Fork safety the p11-kit way:
 * pthread_atfork counts forks; a child sees a different count and behaves as not
 * initialised until it calls C_Initialize itself. */
CK_RV mod_module_initialize(const CK_C_INITIALIZE_ARGS *args);
CK_RV mod_module_finalize(void);
bool mod_module_initialized(void);

/* ---- what the information functions report (mod_info.c) ----
 * The slot list takes the slot locks itself; the others run under the slot's lock. */
CK_RV mod_info_module(CK_INFO *info);
CK_RV mod_info_slot_list(bool token_present, CK_SLOT_ID *list, CK_ULONG *count);
CK_RV mod_info_slot(mod_slot *s, CK_SLOT_INFO *info);
CK_RV mod_info_token(mod_slot *s, CK_TOKEN_INFO *info);
/* The token's CKA_LABEL as C_GetTokenInfo reports it, unpadded ("kinko PIV #12345"). */
void mod_info_token_label(const mod_token *t, char *buf, size_t len);
CK_RV mod_info_mechanisms(mod_slot *s, CK_MECHANISM_TYPE *list, CK_ULONG *count);
CK_RV mod_info_mechanism(mod_slot *s, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO *info);

/* ---- slots: lookup, locking, presence, the login held (mod_slot.c) ---- */
CK_RV mod_slot_create_all(void); /* from mod.cfg; no APDU, no connection */
void mod_slot_destroy_all(void);
/* Lookup by id: NULL when no such slot. */
mod_slot *mod_slot_get(CK_SLOT_ID id);
/* Number of slots (acquire: every slot counted is fully built). */
size_t mod_slot_count(void);
/* A new slot (the next id) for a transport it takes over, present; event: its arrival is
 * news for C_WaitForSlotEvent. CKR_HOST_MEMORY; CKR_DEVICE_MEMORY when no slot is left
 * (cap_slots). */
CK_RV mod_slot_add(tr_transport *tr, const char *description, bool event);
/* The same for a reader, whose card may or may not be in it: the slot's first presence
 * answer is its starting state, no event (event: the reader's own arrival is news). */
CK_RV mod_slot_add_reader(tr_transport *tr, const char *description, bool event);
/* Take the slot lock for a call; the call's card I/O is then one exclusive batch on the
 * card (tr_ops begin/end). Release it at the end of the call: the batch ends (a USB
 * token's interface is released: claimed per call, so other applications can use the
 * token in between). */
void mod_slot_lock(mod_slot *s);
void mod_slot_unlock(mod_slot *s);
/* Under the slot lock: end the call's card batch and start a new one, which takes the card
 * again at its first command. For a wait on the user (a pinentry dialog): other
 * applications may use the token meanwhile, and what follows (the VERIFY and its
 * operation) is still one batch. */
void mod_slot_batch_restart(mod_slot *s);
/* Under the slot lock: refresh presence (a CCID GetSlotStatus, no APDU); on a change bump
 * the generation, drop the token cache and login, set the event flag. */
CK_RV mod_slot_refresh(mod_slot *s);
/* Under the slot lock. The token was found gone (a card operation answered
 * CARD_ERR_ABSENT): mark the slot absent, bump the generation, set the event, drop the
 * token cache, wipe the login. No I/O. Idempotent while absent. */
void mod_slot_removed(mod_slot *s);
/* Under the slot lock: the card status as a CK_RV (the module's one mapping), and
 * CARD_ERR_ABSENT also runs mod_slot_removed.
 * Every caller of a card_* function should map its status through this. */
CK_RV mod_slot_rv(mod_slot *s, card_status st);
/* Under the slot lock: run op(&s->card, arg) for an operation that needs the user's PIN
 * verified. When the card answers CARD_ERR_SECURITY while the user is logged in (another
 * process reset the card between two of our calls), VERIFY again with the held PIN and
 * retry op (the same exclusive batch: nobody can reset it in between; a few rounds where
 * the reader has no lock);
 * if that VERIFY fails, log out and answer CKR_USER_NOT_LOGGED_IN. Other statuses go
 * through mod_slot_rv (callers needing another mapping keep op's status in arg). */
typedef card_status (*mod_card_op)(card *c, void *arg);
CK_RV mod_slot_with_pin(mod_slot *s, mod_card_op op, void *arg);
/* The user (CKU_USER) is logged in on this slot. */
bool mod_slot_user_logged_in(const mod_slot *s);
/* Private key objects are visible: the user is logged in, or the module logs in by itself
 * when one is used (pin_source = pinentry). */
bool mod_slot_private_visible(const mod_slot *s);
void mod_slot_logout(mod_slot *s); /* wipe the held PIN, card_logout if reachable */

/* ---- the token cache (mod_token.c; what reads it is in mod_object.h) ---- */
/* Its owner frees it: every pointer inside, then t. */
void mod_token_free(mod_token *t);

/* ---- sessions (mod_session.c) ---- */
/* mod_session_get checks the handle and that the slot generation still matches
 * (CKR_SESSION_HANDLE_INVALID / CKR_DEVICE_REMOVED); returns with the SLOT LOCKED on CKR_OK. */
CK_RV mod_session_get(CK_SESSION_HANDLE h, mod_session **sess, mod_slot **slot);
void mod_session_release(mod_slot *slot); /* unlocks the slot */
/* The rest under the slot lock. C_OpenSession: the flags' checks, the token's presence,
 * then a new session of s. */
CK_RV mod_session_open(mod_slot *s, CK_FLAGS flags, void *application, CK_NOTIFY notify,
                       CK_SESSION_HANDLE *h);
/* C_GetSessionInfo (a session of a removed token is closed: CKR_DEVICE_REMOVED). */
CK_RV mod_session_info(mod_slot *s, mod_session *sess, CK_SESSION_INFO *info);
/* C_SessionCancel: end the operations flags names. */
CK_RV mod_session_cancel(mod_session *sess, CK_FLAGS flags);
/* End a signing or verifying operation, freeing its state. */
void mod_session_op_clear(mod_crypto_op *op);
/* End the session's search (C_FindObjectsFinal), freeing what it found. */
void mod_session_find_clear(mod_session *sess);
/* Close one session (sess from mod_session_get; it is freed). Closing the slot's last
 * session logs out, as the standard asks. */
void mod_session_close(mod_slot *s, mod_session *sess);
void mod_session_close_all(mod_slot *s);
/* C_Finalize: free every session (no card I/O). */
void mod_session_destroy_all(void);

/* ---- login and PINs (mod_login.c), under the slot lock; sess is the calling session ---- */
CK_RV mod_login_as(mod_slot *s, mod_session *sess, CK_USER_TYPE user, const CK_UTF8CHAR *pin,
                   CK_ULONG pin_len);
CK_RV mod_login_end(mod_slot *s);
/* VERIFY the PIN, keeping the tries the card reports: CKR_PIN_LEN_RANGE, CKR_PIN_INCORRECT,
 * CKR_PIN_LOCKED or the card's error. */
CK_RV mod_login_verify(mod_slot *s, const CK_UTF8CHAR *pin, CK_ULONG len);
/* Hold a verified secret as user's login (the PIN is copied; the caller wipes its own). */
void mod_login_hold(mod_slot *s, CK_USER_TYPE user, const CK_UTF8CHAR *pin, CK_ULONG len);
CK_RV mod_login_init_pin(mod_slot *s, mod_session *sess, const CK_UTF8CHAR *pin, CK_ULONG pin_len);
CK_RV mod_login_set_pin(mod_slot *s, mod_session *sess, const CK_UTF8CHAR *old_pin,
                        CK_ULONG old_len, const CK_UTF8CHAR *new_pin, CK_ULONG new_len);

/* ---- C_WaitForSlotEvent (mod_event.c) ---- */
CK_RV mod_event_init(void);
/* Wake the waiters (they answer CKR_CRYPTOKI_NOT_INITIALIZED) and wait until they left. */
void mod_event_stop(void);
CK_RV mod_event_wait(CK_FLAGS flags, CK_SLOT_ID *slot);

/* ---- debug output (mod_trace.c) ----
 * KINKO_DEBUG=p11 (or all): mod_trace_call prints every C_* call and its CK_RV to stderr;
 * mod_trace_msg prints one explanatory line (never a secret: say what was refused and
 * why). */
bool mod_trace_enabled(void);
void mod_trace_call(const char *fn, CK_RV rv);
void mod_trace_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *mod_trace_rv_name(CK_RV rv);

#endif
