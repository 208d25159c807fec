/* The PIN from a pinentry (see mod_pinask.h): ask, VERIFY, ask again on a wrong PIN.
 *
 * The conversation runs with the slot lock held, so other calls on this slot wait for it
 * (bounded by the pinentry's deadline): no other thread of this program may come between
 * the VERIFY and the operation it is for, nor start a second dialog for the same token. The
 * card itself is let go during the dialog (the call's batch ends and a new one starts): the
 * user may take a minute, other programs may use the token meanwhile (a USB token's
 * interface is not kept claimed, the emulator's lock not held past its timeout), and the
 * VERIFY and the operation are still one exclusive batch on the card.
 *
 * Retries stay here: NSS answers a CKR_PIN_INCORRECT on its PIN-less path by calling
 * C_Login again at once (it used up three tries in 130 ms), so a wrong PIN only ever
 * reaches the caller as the end of the tries. */
#include "mod_pinask.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "mono.h"
#include "mod_object.h"
#include "mod_pinentry.h"

/* The user has a minute (the pinentry's own timeout); the deadline, a little later, ends a
 * pinentry that does not honour it. */
#define PINASK_USER_TIMEOUT_S 60u
#define PINASK_DEADLINE_MS 65000u
/* Wrong PINs end with the tries; PINs of the wrong length cost none, so a bound ends a
 * dialog that keeps giving them. */
#define PINASK_ROUNDS_MAX 10

bool mod_pinask_enabled(void)
{
	return mod.cfg.pin_source == MOD_PIN_SOURCE_PINENTRY;
}

void mod_pinask_cancel_forget(mod_slot *s)
{
	s->pin_cancelled = false;
}

/* A cancel of this token (same generation: not removed since; same serial) within
 * pinentry_cancel_seconds. */
static bool pinask_cancel_remembered(const mod_slot *s, const mod_token *t)
{
	return s->pin_cancelled && s->pin_cancel_generation == s->generation &&
	       s->pin_cancel_serial == t->serial && mono_now_ms() < s->pin_cancel_until_ms;
}

static void pinask_cancel_remember(mod_slot *s, const mod_token *t)
{
	s->pin_cancelled = mod.cfg.pinentry_cancel_s > 0;
	s->pin_cancel_generation = s->generation;
	s->pin_cancel_serial = t->serial;
	s->pin_cancel_until_ms = mono_now_ms() + (int64_t)mod.cfg.pinentry_cancel_s * 1000;
}

static void pinask_trace_line(const char *line)
{
	mod_trace_msg("pinentry %s", line);
}

/* The program to run: the configured path, or a bare name looked up on PATH (libassuan
 * runs a path, never a search); the default is "pinentry", Debian's alternative. */
static bool pinask_program(char *buf, size_t len)
{
	const char *name = mod.cfg.pinentry ? mod.cfg.pinentry : "pinentry";
	const char *path = secure_getenv("PATH");
	const char *p;

	if (strchr(name, '/')) {
		snprintf(buf, len, "%s", name);
		return access(buf, X_OK) == 0;
	}
	for (p = path; p && *p;) {
		size_t n = strcspn(p, ":");

		if (n > 0 && (size_t)snprintf(buf, len, "%.*s/%s", (int)n, p, name) < len &&
		    access(buf, X_OK) == 0)
			return true;
		p += n;
		if (*p == ':')
			p++;
	}
	snprintf(buf, len, "%s", name);
	return false;
}

/* pinentry-tty and pinentry-curses (Debian's default "pinentry") show themselves only on a
 * terminal: without one (GPG_TTY unset, standard input not a terminal: a browser started
 * from a desktop) they answer GETPIN at once, pinentry-tty with a cancel that would pass for
 * the user's. */
static bool pinask_terminal_missing(const char *program)
{
	char real[PATH_MAX];
	const char *base, *tty = getenv("GPG_TTY");

	if ((tty && *tty) || isatty(STDIN_FILENO) || !realpath(program, real))
		return false;
	base = strrchr(real, '/');
	base = base ? base + 1 : real;
	return !strncmp(base, "pinentry-tty", 12) || !strncmp(base, "pinentry-curses", 15);
}

static mod_pinentry_req pinask_req(const char *program, const mod_pinask_texts *x)
{
	mod_pinentry_req r = {
		.program = program,
		.title = x->title,
		.desc = x->desc,
		.prompt = x->prompt,
		.error = x->error[0] ? x->error : NULL,
		.timeout_s = PINASK_USER_TIMEOUT_S,
		.deadline_ms = PINASK_DEADLINE_MS,
		.trace = mod_trace_enabled() ? pinask_trace_line : NULL,
	};

	return r;
}

/* The PIN is locked: say so and how to unblock it (the message's own outcome changes
 * nothing: the answer is CKR_PIN_LOCKED). */
static CK_RV pinask_locked(mod_slot *s, const mod_token *t, const char *program)
{
	mod_pinask_texts x;
	mod_pinentry_req r;
	const char *why = "";

	mod_pinask_text_locked(&x, t);
	r = pinask_req(program, &x);
	mod_slot_batch_restart(s);
	if (mod_pinentry_message_show(&r, &why) != MOD_PINENTRY_OK)
		mod_trace_msg("slot %lu: the message that the PIN is locked was not shown: %s",
		              (unsigned long)s->id, why);
	mod_trace_msg("slot %lu: the PIN is locked: unblock it with the PUK", (unsigned long)s->id);
	return CKR_PIN_LOCKED;
}

static CK_RV pinask_failed(mod_slot *s, const char *program, bool found, const char *why)
{
	if (found && !why)
		mod_trace_msg(
			"slot %lu: the pinentry %s shows itself only on a terminal, and this "
			"program has none (GPG_TTY unset, standard input not a terminal): "
			"pin_source = pinentry needs a pinentry that has a display or a "
			"terminal, such as pinentry-gnome3 or pinentry-qt (pinentry = PATH in "
			"kinko.conf)",
			(unsigned long)s->id, program);
	else if (!found)
		mod_trace_msg(
			"slot %lu: pin_source = pinentry, but the pinentry program '%s' cannot "
			"be run (not on PATH, or not executable): install one, or set "
			"pinentry = PATH in kinko.conf",
			(unsigned long)s->id, program);
	else
		mod_trace_msg("slot %lu: the pinentry %s failed: %s (pin_source = pinentry needs a "
		              "pinentry that has a display or a terminal)",
		              (unsigned long)s->id, program, why);
	return CKR_FUNCTION_FAILED;
}

/* The PIN verified: a login as C_Login's, and for a PIN-always key its one signature (a
 * login made for that key's operation is also the operation's VERIFY: one dialog, not two,
 * for the first signature). */
static void pinask_accept(mod_slot *s, const char *pin, size_t len, mod_pinask_purpose purpose)
{
	if (s->login_user != CKU_USER)
		mod_login_hold(s, CKU_USER, (const CK_UTF8CHAR *)pin, (CK_ULONG)len);
	if (purpose == MOD_PINASK_ALWAYS)
		s->context_ok = true;
	mod_pinask_cancel_forget(s);
}

/* One dialog and its VERIFY. *done when the loop ends with *rv. */
static void pinask_round(mod_slot *s, const char *program, bool found, mod_pinask_texts *x,
                         mod_pinask_purpose purpose, CK_RV *rv, bool *done)
{
	char pin[PIV_PIN_MAX + 1];
	size_t len = 0;
	const char *why = "";
	mod_pinentry_req r = pinask_req(program, x);
	mod_pinentry_result res;

	mod_slot_batch_restart(s);
	res = mod_pinentry_pin_get(&r, pin, &len, &why);

	*done = true;
	if (res == MOD_PINENTRY_CANCELLED || res == MOD_PINENTRY_TIMEOUT) {
		mod_trace_msg("slot %lu: no PIN: %s", (unsigned long)s->id, why);
		*rv = CKR_FUNCTION_CANCELED;
		return;
	}
	if (res == MOD_PINENTRY_EMPTY) {
		*rv = CKR_PIN_LEN_RANGE;
		*done = false;
		mod_pinask_text_bad_length(x);
		return;
	}
	if (res != MOD_PINENTRY_OK) {
		*rv = pinask_failed(s, program, found, why);
		return;
	}
	*rv = mod_login_verify(s, (const CK_UTF8CHAR *)pin, (CK_ULONG)len);
	if (*rv == CKR_OK)
		pinask_accept(s, pin, len, purpose);
	OPENSSL_cleanse(pin, sizeof(pin));
	if (*rv == CKR_PIN_INCORRECT) {
		mod_pinask_text_wrong(x, s->token ? s->token->pin_tries_left : -1);
		*done = s->token && s->token->pin_tries_max > 0 && s->token->pin_tries_left == 0;
		if (*done)
			*rv = CKR_PIN_LOCKED;
	} else if (*rv == CKR_PIN_LEN_RANGE) {
		mod_pinask_text_bad_length(x);
		*done = false;
	}
}

CK_RV mod_pinask_verify(mod_slot *s, int key_index, mod_pinask_purpose purpose)
{
	char program[4096];
	bool found = pinask_program(program, sizeof(program));
	mod_pinask_texts x;
	mod_token *t = NULL;
	bool done = false, usable;
	int round;
	CK_RV rv = mod_token_get(s, &t);

	if (rv != CKR_OK)
		return rv;
	if (pinask_cancel_remembered(s, t)) {
		mod_trace_msg("slot %lu: the pinentry was cancelled less than %u s ago: not asking "
		              "again",
		              (unsigned long)s->id, mod.cfg.pinentry_cancel_s);
		return CKR_FUNCTION_CANCELED;
	}
	usable = found && !pinask_terminal_missing(program);
	if (t->pin_tries_max > 0 && t->pin_tries_left == 0)
		return usable ? pinask_locked(s, t, program) : CKR_PIN_LOCKED;
	if (!usable)
		return pinask_failed(s, program, found, NULL);
	x.error[0] = '\0';
	for (round = 0; round < PINASK_ROUNDS_MAX && !done; round++) {
		mod_pinask_text_fill(&x, t, key_index, purpose, t->pin_tries_left);
		pinask_round(s, program, found, &x, purpose, &rv, &done);
		/* A VERIFY's error may have dropped the token cache (removed): learn it again
		 * before the texts of the next round read it. */
		t = s->token;
		if (!done && !t && (rv = mod_token_get(s, &t)) != CKR_OK)
			return rv;
	}
	if (rv == CKR_FUNCTION_CANCELED && mod_token_get(s, &t) == CKR_OK)
		pinask_cancel_remember(s, t);
	if (rv == CKR_PIN_LOCKED && mod_token_get(s, &t) == CKR_OK)
		return pinask_locked(s, t, program);
	return rv;
}

CK_RV mod_pinask_key_login(mod_slot *s, const mod_token *t, unsigned key_index)
{
	bool always = mod_object_always_authenticate(t, key_index);

	if (!mod_pinask_enabled() || s->login_user == CKU_SO)
		return CKR_USER_NOT_LOGGED_IN;
	return mod_pinask_verify(s, (int)key_index, always ? MOD_PINASK_ALWAYS : MOD_PINASK_USE);
}

CK_RV mod_pinask_key_search(mod_slot *s, unsigned key_index)
{
	mod_token *t;
	CK_RV rv;

	if (!mod_pinask_enabled() || s->login_user == CKU_USER || s->login_user == CKU_SO)
		return CKR_OK;
	rv = mod_token_get(s, &t);
	if (rv != CKR_OK)
		return rv;
	if (!mod_object_exists(t, key_index, MOD_OBJ_PRIVATE, true) ||
	    !mod_object_needs_login(t, key_index))
		return CKR_OK;
	return mod_pinask_verify(s, (int)key_index, MOD_PINASK_USE);
}
