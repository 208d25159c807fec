/* What PKCS#11's information functions report: the library (C_GetInfo), the slot list,
 * a slot, its token and the mechanism list. Presence is a CCID GetSlotStatus (no APDU),
 * C_GetSlotList(FALSE) does no I/O at all, and token information comes from the token
 * cache. Functions taking a slot run under its lock (p11_entry.h's P11_SLOT_CALL). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mod_mech.h"
#include "mod_object.h"
#include "mod_pcsc.h"
#include "mod_usb.h"
#include "piv.h"

#ifndef KINKO_VERSION
#define KINKO_VERSION "0.0"
#endif

/* manufacturerID of the library, its slots and its tokens. */
#define MOD_INFO_MANUFACTURER "kinko"

/* Blank-padded copy of a string into a fixed-size CK_UTF8CHAR field (truncated to fit). */
static void mod_info_pad(CK_UTF8CHAR *dst, size_t dst_len, const char *src)
{
	size_t n = strlen(src);

	if (n > dst_len)
		n = dst_len;
	memset(dst, ' ', dst_len);
	memcpy(dst, src, n);
}

/* The two-call pattern, filled item by item: a NULL list asks the count; a short one gets
 * CKR_BUFFER_TOO_SMALL and the count (its contents are then unspecified, as the standard
 * allows). */
typedef struct {
	CK_ULONG *out;
	CK_ULONG have, n;
} mod_info_list;

static void mod_info_list_start(mod_info_list *l, CK_ULONG *out, const CK_ULONG *count)
{
	l->out = out;
	l->have = out ? *count : 0;
	l->n = 0;
}

static void mod_info_list_add(mod_info_list *l, CK_ULONG item)
{
	if (l->out && l->n < l->have)
		l->out[l->n] = item;
	l->n++;
}

static CK_RV mod_info_list_end(const mod_info_list *l, CK_ULONG_PTR count)
{
	*count = l->n;
	return l->out && l->have < l->n ? CKR_BUFFER_TOO_SMALL : CKR_OK;
}

/* "0.1.0" -> 0.1 */
static CK_VERSION mod_info_library_version(void)
{
	CK_VERSION v = {0, 0};
	const char *p = KINKO_VERSION;
	unsigned long part[2] = {0, 0};
	size_t i;

	for (i = 0; i < 2 && *p; i++) {
		char *end;

		part[i] = strtoul(p, &end, 10);
		p = *end == '.' ? end + 1 : end;
	}
	v.major = (CK_BYTE)(part[0] > 255 ? 255 : part[0]);
	v.minor = (CK_BYTE)(part[1] > 255 ? 255 : part[1]);
	return v;
}

CK_RV mod_info_module(CK_INFO *info)
{
	if (!info)
		return CKR_ARGUMENTS_BAD;
	memset(info, 0, sizeof(*info));
	info->cryptokiVersion.major = 3;
	info->cryptokiVersion.minor = 0;
	mod_info_pad(info->manufacturerID, sizeof(info->manufacturerID), MOD_INFO_MANUFACTURER);
	mod_info_pad(info->libraryDescription, sizeof(info->libraryDescription),
	             "kinko PIV token module");
	info->libraryVersion = mod_info_library_version();
	return CKR_OK;
}

static CK_RV mod_info_present(mod_slot *s, bool *present)
{
	CK_RV rv;

	mod_slot_lock(s);
	rv = mod_slot_refresh(s);
	*present = s->present;
	mod_slot_unlock(s);
	return rv;
}

CK_RV mod_info_slot_list(bool token_present, CK_SLOT_ID *list, CK_ULONG *count)
{
	mod_info_list l;
	size_t i;

	if (!count)
		return CKR_ARGUMENTS_BAD;
	/* New PC/SC readers and USB tokens in new ports get their slots (no I/O to any
	 * token). */
	mod_pcsc_scan(false);
	mod_usb_scan(false);
	mod_info_list_start(&l, list, count);
	for (i = 0; i < mod_slot_count(); i++) {
		bool present = true;

		/* A reader that cannot be asked has no token we could use. */
		if (token_present && mod_info_present(mod.slots[i], &present) != CKR_OK)
			present = false;
		if (present)
			mod_info_list_add(&l, mod.slots[i]->id);
	}
	return mod_info_list_end(&l, count);
}

/* Works before C_GetSlotList (the JDK's order): slots exist from C_Initialize on. */
CK_RV mod_info_slot(mod_slot *s, CK_SLOT_INFO *info)
{
	CK_VERSION v = {0, 0};
	CK_RV rv = info ? mod_slot_refresh(s) : CKR_ARGUMENTS_BAD;

	if (rv != CKR_OK)
		return rv;
	memset(info, 0, sizeof(*info));
	mod_info_pad(info->slotDescription, sizeof(info->slotDescription), s->description);
	mod_info_pad(info->manufacturerID, sizeof(info->manufacturerID), MOD_INFO_MANUFACTURER);
	info->flags = CKF_REMOVABLE_DEVICE | CKF_HW_SLOT | (s->present ? CKF_TOKEN_PRESENT : 0);
	info->hardwareVersion = v;
	info->firmwareVersion = v;
	return CKR_OK;
}

/* COUNT_LOW after a failure, FINAL_TRY with one left, LOCKED with none; nothing while the
 * count is unknown (max 0). */
static CK_FLAGS mod_info_tries_flags(uint8_t max, uint8_t left, CK_FLAGS low, CK_FLAGS final,
                                     CK_FLAGS locked)
{
	CK_FLAGS f = 0;

	if (max == 0)
		return 0;
	if (left == 0)
		return locked;
	if (left < max)
		f |= low;
	if (left == 1)
		f |= final;
	return f;
}

/* kinko's own token, a YubiKey-style card (its serial once C_GetTokenInfo learnt it), a
 * plain PIV card (its CHUID's GUID or FASC-N). */
void mod_info_token_label(const mod_token *t, char *buf, size_t len)
{
	char serial[24];

	mod_token_serial_text(t, serial, sizeof(serial));
	if (t->kind == MOD_KIND_YUBIKEY && t->serial == 0)
		snprintf(buf, len, "YubiKey PIV");
	else if (t->kind == MOD_KIND_YUBIKEY)
		snprintf(buf, len, "YubiKey PIV #%s", serial);
	else if (t->kind == MOD_KIND_PIV && !serial[0])
		snprintf(buf, len, "PIV card");
	else if (t->kind == MOD_KIND_PIV)
		snprintf(buf, len, "PIV #%s", serial);
	else
		snprintf(buf, len, "kinko PIV #%s", serial);
}

static void mod_info_token_fill(const mod_slot *s, const mod_token *t, CK_TOKEN_INFO *info)
{
	char text[40];

	memset(info, 0, sizeof(*info));
	mod_info_token_label(t, text, sizeof(text));
	mod_info_pad(info->label, sizeof(info->label), text);
	mod_info_pad(info->manufacturerID, sizeof(info->manufacturerID), MOD_INFO_MANUFACTURER);
	mod_info_pad(info->model, sizeof(info->model), "PIV");
	mod_token_serial_text(t, text, sizeof(text));
	mod_info_pad(info->serialNumber, sizeof(info->serialNumber), text);
	info->flags = CKF_RNG | CKF_USER_PIN_INITIALIZED | CKF_TOKEN_INITIALIZED;
	/* With the PIN from a pinentry the module logs in by itself when a key needs it:
	 * Firefox then calls C_Login without a PIN, and Chromium, which ignores the protected
	 * path, shows no dialog of its own only for a token that needs no login. */
	if (mod.cfg.pin_source == MOD_PIN_SOURCE_PINENTRY)
		info->flags |= CKF_PROTECTED_AUTHENTICATION_PATH;
	else
		info->flags |= CKF_LOGIN_REQUIRED;
	info->flags |=
		mod_info_tries_flags(t->pin_tries_max, t->pin_tries_left, CKF_USER_PIN_COUNT_LOW,
	                             CKF_USER_PIN_FINAL_TRY, CKF_USER_PIN_LOCKED);
	info->flags |=
		mod_info_tries_flags(t->puk_tries_max, t->puk_tries_left, CKF_SO_PIN_COUNT_LOW,
	                             CKF_SO_PIN_FINAL_TRY, CKF_SO_PIN_LOCKED);
	if (t->pin_is_default)
		info->flags |= CKF_USER_PIN_TO_BE_CHANGED;
	info->ulMaxSessionCount = CK_EFFECTIVELY_INFINITE;
	info->ulSessionCount = s->n_sessions;
	info->ulMaxRwSessionCount = CK_EFFECTIVELY_INFINITE;
	info->ulRwSessionCount = s->n_rw_sessions;
	info->ulMaxPinLen = PIV_PIN_MAX;
	info->ulMinPinLen = PIV_PIN_MIN;
	info->ulTotalPublicMemory = CK_UNAVAILABLE_INFORMATION;
	info->ulFreePublicMemory = CK_UNAVAILABLE_INFORMATION;
	info->ulTotalPrivateMemory = CK_UNAVAILABLE_INFORMATION;
	info->ulFreePrivateMemory = CK_UNAVAILABLE_INFORMATION;
	info->hardwareVersion.major = t->version[0];
	info->hardwareVersion.minor = t->version[1];
	info->firmwareVersion = info->hardwareVersion;
	/* No clock on the token (CKF_CLOCK_ON_TOKEN unset): blank. */
	memset(info->utcTime, ' ', sizeof(info->utcTime));
}

CK_RV mod_info_token(mod_slot *s, CK_TOKEN_INFO *info)
{
	mod_token *t = NULL;
	CK_RV rv;

	if (!info)
		return CKR_ARGUMENTS_BAD;
	rv = mod_slot_refresh(s);
	if (rv == CKR_OK && !s->present)
		rv = CKR_TOKEN_NOT_PRESENT;
	if (rv == CKR_OK)
		rv = mod_token_get(s, &t);
	/* One GET VERSION the first time (the inventory does not carry it). */
	if (rv == CKR_OK)
		rv = mod_token_version(s, t);
	/* Found gone while learning it. */
	if (rv == CKR_DEVICE_REMOVED)
		rv = CKR_TOKEN_NOT_PRESENT;
	if (rv == CKR_OK)
		mod_info_token_fill(s, t, info);
	return rv;
}

/* Mechanisms are the module's, but asked of a slot: it must hold a token. */
static CK_RV mod_info_token_present(mod_slot *s)
{
	CK_RV rv = mod_slot_refresh(s);

	return rv == CKR_OK && !s->present ? CKR_TOKEN_NOT_PRESENT : rv;
}

CK_RV mod_info_mechanisms(mod_slot *s, CK_MECHANISM_TYPE *list, CK_ULONG *count)
{
	size_t i, n = 0;
	const mod_mech *table;
	mod_info_list l;
	CK_RV rv = mod_info_token_present(s);

	if (rv != CKR_OK)
		return rv;
	if (!count)
		return CKR_ARGUMENTS_BAD;
	table = mod_mech_table(&n);
	mod_info_list_start(&l, list, count);
	for (i = 0; i < n; i++)
		mod_info_list_add(&l, table[i].type);
	return mod_info_list_end(&l, count);
}

CK_RV mod_info_mechanism(mod_slot *s, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO *info)
{
	const mod_mech *m;
	CK_RV rv = mod_info_token_present(s);

	if (rv != CKR_OK)
		return rv;
	if (!info)
		return CKR_ARGUMENTS_BAD;
	m = mod_mech_find(type);
	if (!m)
		return CKR_MECHANISM_INVALID;
	*info = m->info;
	return CKR_OK;
}
