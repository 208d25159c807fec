/* kinko's PKCS#11 session layer: the module loaded with p11-kit, the token chosen by RFC 7512
 * URI, the session, the login with the forced first PIN change, and failures in user terms.
 * Objects (keys, certificates, signatures) are in kinko_p11_keys.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <p11-kit/p11-kit.h>
#include <p11-kit/uri.h>

#include "../../pkcs11/kinko-pkcs11.h"
#include "i18n.h"
#include "kinko_p11.h"
#include "kinko_p11_where.h"

/* Length of the valid UTF-8 sequence at s (1..4), 0 when invalid. */
static size_t p11_utf8_len(const unsigned char *s)
{
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
			return 0;
	return n;
}

void kinko_p11_clean_text(char *s)
{
	unsigned char *p = (unsigned char *)s;

	while (*p) {
		size_t n = p11_utf8_len(p);

		if (n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7f))) {
			*p++ = '?';
			continue;
		}
		p += n;
	}
}

void kinko_p11_text(const CK_UTF8CHAR *field, size_t len, char *out, size_t cap)
{
	while (len > 0 && (field[len - 1] == ' ' || field[len - 1] == '\0'))
		len--;
	if (cap == 0)
		return;
	if (len >= cap)
		len = cap - 1;
	memcpy(out, field, len);
	out[len] = '\0';
	kinko_p11_clean_text(out);
}

int kinko_p11_load(kinko_ctx *ctx)
{
	CK_FUNCTION_LIST *m;
	CK_INFO info;
	CK_RV rv;
	char manuf[40];

	if (ctx->p11)
		return KINKO_EXIT_OK;
	m = p11_kit_module_load(ctx->module, 0);
	if (!m) {
		kinko_err(ctx, "module_unloadable", p11_kit_message(),
		          _("cannot load the PKCS#11 module %s"), ctx->module);
		return KINKO_EXIT_TOKEN;
	}
	rv = p11_kit_module_initialize(m);
	if (rv != CKR_OK) {
		kinko_err(ctx, "module_failed", kinko_ckr_name(rv),
		          _("the PKCS#11 module %s does not start"), ctx->module);
		p11_kit_module_release(m);
		return KINKO_EXIT_TOKEN;
	}
	ctx->p11 = m;
	/* kinko's own module chooses the PIV slot of a new key and has a known number of slots. */
	if (m->C_GetInfo(&info) == CKR_OK) {
		kinko_p11_text(info.manufacturerID, sizeof(info.manufacturerID), manuf,
		               sizeof(manuf));
		ctx->kinko_module = strcmp(manuf, "kinko") == 0;
	}
	return KINKO_EXIT_OK;
}

void kinko_p11_close(kinko_ctx *ctx)
{
	OPENSSL_cleanse(ctx->token_pin, sizeof(ctx->token_pin));
	if (!ctx->p11)
		return;
	if (ctx->session) {
		if (ctx->logged_in)
			ctx->p11->C_Logout(ctx->session);
		ctx->p11->C_CloseSession(ctx->session);
	}
	p11_kit_module_finalize(ctx->p11);
	p11_kit_module_release(ctx->p11);
	ctx->p11 = NULL;
	ctx->session = 0;
	ctx->logged_in = false;
}

bool kinko_p11_token_uri(const CK_TOKEN_INFO *ti, char *buf, size_t cap)
{
	P11KitUri *uri = p11_kit_uri_new();
	char *s = NULL;
	bool ok = false;

	if (!uri)
		return false;
	memcpy(p11_kit_uri_get_token_info(uri), ti, sizeof(*ti));
	if (p11_kit_uri_format(uri, P11_KIT_URI_FOR_TOKEN, &s) == P11_KIT_URI_OK &&
	    strlen(s) < cap) {
		strcpy(buf, s);
		ok = true;
	}
	free(s);
	p11_kit_uri_free(uri);
	return ok;
}

/* Is the token in slot usable (initialised: SoftHSM2 keeps an empty token in a spare slot) and
 * does it match the --token URI? */
static bool p11_slot_matches(kinko_ctx *ctx, P11KitUri *uri, CK_SLOT_ID slot)
{
	CK_TOKEN_INFO ti;
	CK_INFO mi;

	if (ctx->p11->C_GetTokenInfo(slot, &ti) != CKR_OK || !(ti.flags & CKF_TOKEN_INITIALIZED))
		return false;
	if (!uri)
		return true;
	if (ctx->p11->C_GetInfo(&mi) == CKR_OK && !p11_kit_uri_match_module_info(uri, &mi))
		return false;
	return p11_kit_uri_match_token_info(uri, &ti) != 0;
}

CK_RV kinko_p11_slot_list(kinko_ctx *ctx, bool present, CK_SLOT_ID **slots, CK_ULONG *n)
{
	CK_SLOT_ID *all = NULL;
	CK_ULONG count = 0;
	CK_RV rv = ctx->p11->C_GetSlotList(present, NULL, &count);

	if (rv == CKR_OK && count > 0) {
		all = calloc(count, sizeof(*all));
		rv = all ? ctx->p11->C_GetSlotList(present, all, &count) : CKR_HOST_MEMORY;
	}
	if (rv != CKR_OK) {
		free(all);
		all = NULL;
		count = 0;
	}
	*slots = all;
	*n = count;
	return rv;
}

int kinko_p11_tokens(kinko_ctx *ctx, CK_SLOT_ID **slots, size_t *n)
{
	CK_SLOT_ID *all = NULL;
	CK_ULONG count = 0, i;
	P11KitUri *uri = NULL;
	size_t kept = 0;
	CK_RV rv;

	*slots = NULL;
	*n = 0;
	if (ctx->token_uri) {
		uri = p11_kit_uri_new();
		if (!uri)
			return KINKO_EXIT_FAIL;
		if (p11_kit_uri_parse(ctx->token_uri, P11_KIT_URI_FOR_ANY, uri) != P11_KIT_URI_OK) {
			kinko_err(ctx, "usage", NULL, _("--token: not a pkcs11: URI: %s"),
			          ctx->token_uri);
			p11_kit_uri_free(uri);
			return KINKO_EXIT_USAGE;
		}
	}
	rv = kinko_p11_slot_list(ctx, true, &all, &count);
	if (rv != CKR_OK) {
		p11_kit_uri_free(uri);
		return kinko_p11_fail(ctx, rv, _("cannot list the tokens"));
	}
	for (i = 0; i < count; i++)
		if (p11_slot_matches(ctx, uri, all[i]))
			all[kept++] = all[i];
	p11_kit_uri_free(uri);
	*slots = all;
	*n = kept;
	return KINKO_EXIT_OK;
}

/* Several tokens and no --token: name them so the user can pick one. */
static void p11_list_choices(kinko_ctx *ctx, const CK_SLOT_ID *slots, size_t n)
{
	CK_TOKEN_INFO ti;
	char label[40], uri[512];
	size_t i;

	kinko_err(ctx, "token_ambiguous", NULL,
	          P_("%zu token is present: choose one with --token URI",
	             "%zu tokens are present: choose one with --token URI", n),
	          n);
	for (i = 0; i < n; i++) {
		if (ctx->p11->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
			continue;
		kinko_p11_text(ti.label, sizeof(ti.label), label, sizeof(label));
		if (!kinko_p11_token_uri(&ti, uri, sizeof(uri)))
			snprintf(uri, sizeof(uri), "%s", _("(no URI)"));
		fprintf(stderr, "  %s\t%s\n", label, uri);
	}
}

/* No token: say where kinko looked and what to check (kinko_p11_where.c). */
static void p11_none_found(kinko_ctx *ctx)
{
	char text[2048];
	kinko_where w;
	size_t len;

	if (kinko_p11_where(ctx, &w) != KINKO_EXIT_OK) {
		kinko_err(ctx, "token_absent", NULL, _("no token found: plug in your token"));
		return;
	}
	kinko_where_text(&w, text, sizeof(text));
	len = strlen(text);
	if (len > 0 && text[len - 1] == '\n')
		text[len - 1] = '\0'; /* kinko_err ends the line */
	kinko_err_field_str(ctx, "module", ctx->module);
	/* TRANSLATORS: followed by several lines: where kinko looked, what to check. */
	kinko_err(ctx, "token_absent", NULL, _("no token found\n%s"), text);
	kinko_where_free(&w);
}

int kinko_p11_open(kinko_ctx *ctx)
{
	CK_SLOT_ID *slots = NULL;
	size_t n = 0;
	CK_RV rv;
	int r;

	if (ctx->session)
		return KINKO_EXIT_OK;
	r = kinko_p11_load(ctx);
	if (r == KINKO_EXIT_OK)
		r = kinko_p11_tokens(ctx, &slots, &n);
	if (r != KINKO_EXIT_OK)
		return r;
	if (n == 0) {
		if (ctx->token_uri)
			kinko_err(ctx, "token_absent", NULL,
			          _("no token matches %s: see 'kinko token list'"), ctx->token_uri);
		else
			p11_none_found(ctx);
		free(slots);
		return KINKO_EXIT_TOKEN;
	}
	if (n > 1) {
		p11_list_choices(ctx, slots, n);
		free(slots);
		return KINKO_EXIT_USAGE;
	}
	ctx->slot = slots[0];
	free(slots);
	rv = ctx->p11->C_OpenSession(ctx->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
	                             &ctx->session);
	if (rv != CKR_OK) {
		ctx->session = 0;
		return kinko_p11_fail(ctx, rv, _("cannot open a session with the token"));
	}
	return KINKO_EXIT_OK;
}

const char *kinko_p11_pin_state(CK_FLAGS flags, bool so)
{
	/* English: JSON's value; the text listing shows _(state). */
	if (flags & (so ? CKF_SO_PIN_LOCKED : CKF_USER_PIN_LOCKED))
		return N_("locked");
	if (flags & (so ? CKF_SO_PIN_FINAL_TRY : CKF_USER_PIN_FINAL_TRY))
		return N_("1 try left");
	if (flags & (so ? CKF_SO_PIN_COUNT_LOW : CKF_USER_PIN_COUNT_LOW))
		return so ? N_("wrong PUK entered before (fewer tries left)") :
		            N_("wrong PIN entered before (fewer tries left)");
	/* A PUK that must be changed is no state kinko shows. */
	if (!so && (flags & CKF_USER_PIN_TO_BE_CHANGED))
		return N_("must be changed");
	return N_("ok");
}

/* A failed call's stable code and its cause in the user's terms; anything else is
 * "token_refused", and exit 3 unless the row says otherwise. */
static const struct {
	CK_RV rv;
	const char *code, *why;
	int exit_code;
} p11_failures[] = {
	{CKR_TOKEN_NOT_PRESENT, "token_removed", N_("the token was removed"), KINKO_EXIT_TOKEN},
	{CKR_DEVICE_REMOVED, "token_removed", N_("the token was removed"), KINKO_EXIT_TOKEN},
	{CKR_SESSION_HANDLE_INVALID, "token_removed", N_("the token was removed"),
         KINKO_EXIT_TOKEN},
	{CKR_SESSION_CLOSED, "token_removed", N_("the token was removed"), KINKO_EXIT_TOKEN},
	{CKR_DEVICE_MEMORY, "token_full", N_("the token is full: no free key slot"),
         KINKO_EXIT_TOKEN},
	{CKR_PIN_LOCKED, "pin_locked",
         N_("the token PIN is locked: unblock it with 'kinko pin unblock' (needs the PUK)"),
         KINKO_EXIT_TOKEN},
	{CKR_USER_NOT_LOGGED_IN, "token_not_unlocked",
         N_("the token is not unlocked (PIN changed elsewhere?)"), KINKO_EXIT_TOKEN},
	{CKR_TOKEN_WRITE_PROTECTED, "token_write_protected", N_("the token is write-protected"),
         KINKO_EXIT_TOKEN},
	{CKR_KINKO_MGMT_KEY_UNKNOWN, "mgmt_key_unknown",
         N_("the token's card management key is neither PIN-protected nor the factory "
            "default: set a PIN-protected one with the token's admin tool"),
         KINKO_EXIT_TOKEN},
	{CKR_DEVICE_ERROR, "token_error", N_("the token reported an error"), KINKO_EXIT_TOKEN},
	{CKR_FUNCTION_FAILED, "token_error", N_("the token reported an error"), KINKO_EXIT_TOKEN},
	{CKR_HOST_MEMORY, "out_of_memory", N_("out of memory"), KINKO_EXIT_FAIL},
};

int kinko_p11_fail(const kinko_ctx *ctx, CK_RV rv, const char *what)
{
	const char *code = "token_refused", *why = N_("the token refused");
	int exit_code = KINKO_EXIT_TOKEN;
	size_t i;

	for (i = 0; i < sizeof(p11_failures) / sizeof(p11_failures[0]); i++)
		if (p11_failures[i].rv == rv) {
			code = p11_failures[i].code;
			why = p11_failures[i].why;
			exit_code = p11_failures[i].exit_code;
			break;
		}
	/* what comes translated (_()) or marked (N_()) from the caller: a translated text is no
	 * msgid, and dgettext gives it back unchanged. */
	/* TRANSLATORS: "<what failed>: <why>", two whole sentences, e.g. "cannot remove the key
	 * from the token: the token was removed". */
	kinko_err(ctx, code, kinko_ckr_name(rv), _("%s: %s"), _(what), _(why));
	return exit_code;
}

int kinko_p11_pin_refused(kinko_ctx *ctx, CK_RV rv, bool so)
{
	CK_FLAGS locked = so ? CKF_SO_PIN_LOCKED : CKF_USER_PIN_LOCKED;
	CK_FLAGS final = so ? CKF_SO_PIN_FINAL_TRY : CKF_USER_PIN_FINAL_TRY;
	CK_FLAGS low = so ? CKF_SO_PIN_COUNT_LOW : CKF_USER_PIN_COUNT_LOW;
	const char *ckr = kinko_ckr_name(rv);
	const char *wrong = so ? "puk_incorrect" : "pin_incorrect";
	CK_TOKEN_INFO ti;
	CK_FLAGS f = 0;
	long left = rv == CKR_PIN_INCORRECT ? kinko_p11_vendor_tries_left(ctx, so) : -1;

	kinko_err_field_str(ctx, "secret", so ? "puk" : "token_pin");
	/* The token's flags after the failure tell what is left; PKCS#11 has no exact count,
	 * kinko's module has (above). Each case of the PIN and of the PUK is its own sentence:
	 * Japanese puts the verb last. */
	if (ctx->p11->C_GetTokenInfo(ctx->slot, &ti) == CKR_OK)
		f = ti.flags;
	else
		memset(&ti, 0, sizeof(ti));
	if (rv == CKR_PIN_LEN_RANGE) {
		if (so)
			kinko_err(ctx, "pin_length", ckr,
			          _("the PUK must have %lu to %lu characters"),
			          (unsigned long)ti.ulMinPinLen, (unsigned long)ti.ulMaxPinLen);
		else
			kinko_err(ctx, "pin_length", ckr,
			          _("the token PIN must have %lu to %lu characters"),
			          (unsigned long)ti.ulMinPinLen, (unsigned long)ti.ulMaxPinLen);
		return KINKO_EXIT_TOKEN;
	}
	if (rv == CKR_PIN_LOCKED || (f & locked)) {
		if (so)
			kinko_err(ctx, "puk_locked", ckr,
			          _("the PUK is locked: the token cannot be "
			            "unblocked any more; ask the bank for a new token"));
		else
			kinko_err(ctx, "pin_locked", ckr,
			          _("the token PIN is locked: unblock it with "
			            "'kinko pin unblock' (needs the PUK)"));
	} else if (left > 0) {
		kinko_err_field_int(ctx, "tries_left", left);
		if (so)
			kinko_err(ctx, wrong, ckr,
			          P_("wrong PUK; %ld try left before it locks",
			             "wrong PUK; %ld tries left before it locks", left),
			          left);
		else
			kinko_err(ctx, wrong, ckr,
			          P_("wrong token PIN; %ld try left before it locks",
			             "wrong token PIN; %ld tries left before it locks", left),
			          left);
	} else if (f & final) {
		kinko_err_field_int(ctx, "tries_left", 1);
		if (so)
			kinko_err(ctx, wrong, ckr, _("wrong PUK; 1 try left before it locks"));
		else
			kinko_err(ctx, wrong, ckr,
			          _("wrong token PIN; 1 try left before it locks"));
	} else if (f & low) {
		if (so)
			kinko_err(ctx, wrong, ckr,
			          _("wrong PUK: more than 1 try left (the token does "
			            "not say how many)"));
		else
			kinko_err(ctx, wrong, ckr,
			          _("wrong token PIN: more than 1 try left (the token "
			            "does not say how many)"));
	} else if (so) {
		kinko_err(ctx, wrong, ckr,
		          _("wrong PUK (this token does not report the tries left)"));
	} else {
		kinko_err(ctx, wrong, ckr,
		          _("wrong token PIN (this token does not report the tries left)"));
	}
	return KINKO_EXIT_TOKEN;
}

static bool p11_is_pin_refusal(CK_RV rv)
{
	return rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED || rv == CKR_PIN_LEN_RANGE;
}

void kinko_p11_note_stale_pin_file(const kinko_ctx *ctx)
{
	const char *f = kinko_secret_file_of_token_pin();

	if (!f)
		return;
	if (f == ctx->secrets_file)
		fprintf(stderr,
		        _("kinko: note: %s still holds the old PIN (token_pin=): put the new "
		          "PIN there, or the next run is refused (and costs a PIN try)\n"),
		        f);
	else
		fprintf(stderr,
		        _("kinko: note: %s still holds the old PIN: put the new PIN there, or "
		          "the next run is refused (and costs a PIN try)\n"),
		        f);
}

/* The token asks for a new PIN before first use (a factory PIN): ask and set it. */
static int p11_forced_change(kinko_ctx *ctx)
{
	char fresh[KINKO_SECRET_MAX];
	CK_RV rv;
	int r;

	fputs(_("kinko: the token PIN must be changed before first use\n"), stderr);
	r = kinko_secret_read_new(ctx, "new_pin", _("new token PIN"), fresh, sizeof(fresh));
	if (r != KINKO_EXIT_OK) {
		fputs(_("kinko: (to keep the PIN for now, use --no-pin-change)\n"), stderr);
		return r;
	}
	rv = ctx->p11->C_SetPIN(ctx->session, (CK_UTF8CHAR *)ctx->token_pin, strlen(ctx->token_pin),
	                        (CK_UTF8CHAR *)fresh, strlen(fresh));
	if (rv != CKR_OK) {
		OPENSSL_cleanse(fresh, sizeof(fresh));
		if (rv == CKR_PIN_LEN_RANGE || rv == CKR_PIN_INVALID)
			return kinko_p11_fail(ctx, rv,
			                      _("the new token PIN is not acceptable (length "
			                        "or characters)"));
		return kinko_p11_fail(ctx, rv, _("cannot change the token PIN"));
	}
	OPENSSL_cleanse(ctx->token_pin, sizeof(ctx->token_pin));
	strcpy(ctx->token_pin, fresh);
	OPENSSL_cleanse(fresh, sizeof(fresh));
	fputs(_("kinko: token PIN changed\n"), stderr);
	kinko_p11_note_stale_pin_file(ctx);
	return KINKO_EXIT_OK;
}

int kinko_p11_token_info(kinko_ctx *ctx, CK_TOKEN_INFO *ti)
{
	CK_RV rv;
	int r = kinko_p11_open(ctx);

	if (r != KINKO_EXIT_OK)
		return r;
	rv = ctx->p11->C_GetTokenInfo(ctx->slot, ti);
	if (rv != CKR_OK)
		return kinko_p11_fail(ctx, rv, _("cannot read the token"));
	return KINKO_EXIT_OK;
}

int kinko_p11_login(kinko_ctx *ctx)
{
	CK_TOKEN_INFO ti;
	CK_RV rv;
	int r;

	if (ctx->logged_in)
		return KINKO_EXIT_OK;
	r = kinko_p11_token_info(ctx, &ti);
	if (r != KINKO_EXIT_OK)
		return r;
	if (ti.flags & CKF_USER_PIN_LOCKED)
		return kinko_p11_pin_refused(ctx, CKR_PIN_LOCKED, false);
	r = kinko_secret_read(ctx, "token_pin", _("token PIN"), ctx->token_pin,
	                      sizeof(ctx->token_pin));
	if (r != KINKO_EXIT_OK)
		return r;
	rv = ctx->p11->C_Login(ctx->session, CKU_USER, (CK_UTF8CHAR *)ctx->token_pin,
	                       strlen(ctx->token_pin));
	if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
		OPENSSL_cleanse(ctx->token_pin, sizeof(ctx->token_pin));
		if (p11_is_pin_refusal(rv))
			return kinko_p11_pin_refused(ctx, rv, false);
		return kinko_p11_fail(ctx, rv, _("cannot unlock the token"));
	}
	ctx->logged_in = true;
	rv = ctx->p11->C_GetTokenInfo(ctx->slot, &ti);
	if (rv != CKR_OK || !(ti.flags & CKF_USER_PIN_TO_BE_CHANGED))
		return KINKO_EXIT_OK;
	if (ctx->no_pin_change) {
		fputs(_("kinko: the token PIN must be changed; kept for now (--no-pin-change)\n"),
		      stderr);
		return KINKO_EXIT_OK;
	}
	return p11_forced_change(ctx);
}

const char *kinko_p11_pin(const kinko_ctx *ctx)
{
	return ctx->logged_in && ctx->token_pin[0] ? ctx->token_pin : NULL;
}
