/* Slot and token functions: C_GetSlotList, C_GetSlotInfo, C_GetTokenInfo, the mechanism
 * list, C_WaitForSlotEvent, C_InitToken. Presence is a CCID GetSlotStatus (no APDU) and
 * C_GetSlotList(FALSE) does no I/O at all; token information comes from the token cache. */
#include <stdio.h>
#include <string.h>

#include "mod_mech.h"
#include "mod_object.h"
#include "mod_usb.h"
#include "p11_entry.h"
#include "piv.h"

/* The two-call pattern, filled item by item: a NULL list asks the count; a short one gets
 * CKR_BUFFER_TOO_SMALL and the count (its contents are then unspecified, as the standard
 * allows). */
typedef struct {
	CK_ULONG *out;
	CK_ULONG have, n;
} mod_list;

static void mod_list_start(mod_list *l, CK_ULONG *out, const CK_ULONG *count)
{
	l->out = out;
	l->have = out ? *count : 0;
	l->n = 0;
}

static void mod_list_add(mod_list *l, CK_ULONG item)
{
	if (l->out && l->n < l->have)
		l->out[l->n] = item;
	l->n++;
}

static CK_RV mod_list_end(const mod_list *l, CK_ULONG_PTR count)
{
	*count = l->n;
	return l->out && l->have < l->n ? CKR_BUFFER_TOO_SMALL : CKR_OK;
}

static CK_RV mod_slot_present(mod_slot *s, bool *present)
{
	CK_RV rv;

	mod_slot_lock(s);
	rv = mod_slot_refresh(s);
	*present = s->present;
	mod_slot_unlock(s);
	return rv;
}

static CK_RV mod_get_slot_list(CK_BBOOL tokenPresent, CK_SLOT_ID_PTR pSlotList,
                               CK_ULONG_PTR pulCount)
{
	mod_list l;
	size_t i;

	if (!pulCount)
		return CKR_ARGUMENTS_BAD;
	/* USB tokens in new ports get their slots (no I/O to any token). */
	mod_usb_scan(false);
	mod_list_start(&l, pSlotList, pulCount);
	for (i = 0; i < mod_slot_count(); i++) {
		bool present = true;

		/* A reader that cannot be asked has no token we could use. */
		if (tokenPresent && mod_slot_present(mod.slots[i], &present) != CKR_OK)
			present = false;
		if (present)
			mod_list_add(&l, mod.slots[i]->id);
	}
	return mod_list_end(&l, pulCount);
}

P11_EXPORT CK_RV C_GetSlotList(CK_BBOOL tokenPresent, CK_SLOT_ID_PTR pSlotList,
                               CK_ULONG_PTR pulCount)
{
	P11_REQUIRE_INIT("C_GetSlotList");
	P11_RETURN("C_GetSlotList", mod_get_slot_list(tokenPresent, pSlotList, pulCount));
}

static void mod_fill_slot_info(const mod_slot *s, CK_SLOT_INFO *info)
{
	CK_VERSION v = {0, 0};

	memset(info, 0, sizeof(*info));
	mod_copy_padded(info->slotDescription, sizeof(info->slotDescription), s->description);
	mod_copy_padded(info->manufacturerID, sizeof(info->manufacturerID), "kinko");
	info->flags = CKF_REMOVABLE_DEVICE | CKF_HW_SLOT | (s->present ? CKF_TOKEN_PRESENT : 0);
	info->hardwareVersion = v;
	info->firmwareVersion = v;
}

/* Works before C_GetSlotList (the JDK's order): slots exist from C_Initialize on. */
P11_EXPORT CK_RV C_GetSlotInfo(CK_SLOT_ID slotID, CK_SLOT_INFO_PTR pInfo)
{
	mod_slot *s;
	CK_RV rv;

	P11_REQUIRE_INIT("C_GetSlotInfo");
	s = mod_slot_get(slotID);
	if (!s)
		P11_RETURN("C_GetSlotInfo", CKR_SLOT_ID_INVALID);
	if (!pInfo)
		P11_RETURN("C_GetSlotInfo", CKR_ARGUMENTS_BAD);
	mod_slot_lock(s);
	rv = mod_slot_refresh(s);
	if (rv == CKR_OK)
		mod_fill_slot_info(s, pInfo);
	mod_slot_unlock(s);
	P11_RETURN("C_GetSlotInfo", rv);
}

/* COUNT_LOW after a failure, FINAL_TRY with one left, LOCKED with none; nothing while the
 * count is unknown (max 0). */
static CK_FLAGS mod_tries_flags(uint8_t max, uint8_t left, CK_FLAGS low, CK_FLAGS final,
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

static void mod_fill_token_info(const mod_slot *s, const mod_token *t, CK_TOKEN_INFO *info)
{
	char text[40];

	memset(info, 0, sizeof(*info));
	snprintf(text, sizeof(text), "kinko PIV #%lu", (unsigned long)t->serial);
	mod_copy_padded(info->label, sizeof(info->label), text);
	mod_copy_padded(info->manufacturerID, sizeof(info->manufacturerID), "kinko");
	mod_copy_padded(info->model, sizeof(info->model), "PIV");
	snprintf(text, sizeof(text), "%lu", (unsigned long)t->serial);
	mod_copy_padded(info->serialNumber, sizeof(info->serialNumber), text);
	info->flags = CKF_RNG | CKF_LOGIN_REQUIRED | CKF_USER_PIN_INITIALIZED | CKF_TOKEN_INITIALIZED;
	info->flags |= mod_tries_flags(t->pin_tries_max, t->pin_tries_left, CKF_USER_PIN_COUNT_LOW,
	                               CKF_USER_PIN_FINAL_TRY, CKF_USER_PIN_LOCKED);
	info->flags |= mod_tries_flags(t->puk_tries_max, t->puk_tries_left, CKF_SO_PIN_COUNT_LOW,
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

P11_EXPORT CK_RV C_GetTokenInfo(CK_SLOT_ID slotID, CK_TOKEN_INFO_PTR pInfo)
{
	mod_slot *s;
	mod_token *t = NULL;
	CK_RV rv;

	P11_REQUIRE_INIT("C_GetTokenInfo");
	s = mod_slot_get(slotID);
	if (!s)
		P11_RETURN("C_GetTokenInfo", CKR_SLOT_ID_INVALID);
	if (!pInfo)
		P11_RETURN("C_GetTokenInfo", CKR_ARGUMENTS_BAD);
	mod_slot_lock(s);
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
		mod_fill_token_info(s, t, pInfo);
	mod_slot_unlock(s);
	P11_RETURN("C_GetTokenInfo", rv);
}

static CK_RV mod_mech_slot(CK_SLOT_ID slotID)
{
	mod_slot *s = mod_slot_get(slotID);
	bool present = false;
	CK_RV rv;

	if (!s)
		return CKR_SLOT_ID_INVALID;
	rv = mod_slot_present(s, &present);
	if (rv == CKR_OK && !present)
		rv = CKR_TOKEN_NOT_PRESENT;
	return rv;
}

static CK_RV mod_get_mechanism_list(CK_SLOT_ID slotID, CK_MECHANISM_TYPE_PTR pList,
                                    CK_ULONG_PTR pulCount)
{
	size_t i, n = 0;
	const mod_mech *table;
	mod_list l;
	CK_RV rv = mod_mech_slot(slotID);

	if (rv != CKR_OK)
		return rv;
	if (!pulCount)
		return CKR_ARGUMENTS_BAD;
	table = mod_mech_table(&n);
	mod_list_start(&l, pList, pulCount);
	for (i = 0; i < n; i++)
		mod_list_add(&l, table[i].type);
	return mod_list_end(&l, pulCount);
}

P11_EXPORT CK_RV C_GetMechanismList(CK_SLOT_ID slotID, CK_MECHANISM_TYPE_PTR pMechanismList,
                                    CK_ULONG_PTR pulCount)
{
	P11_REQUIRE_INIT("C_GetMechanismList");
	P11_RETURN("C_GetMechanismList", mod_get_mechanism_list(slotID, pMechanismList, pulCount));
}

P11_EXPORT CK_RV C_GetMechanismInfo(CK_SLOT_ID slotID, CK_MECHANISM_TYPE type,
                                    CK_MECHANISM_INFO_PTR pInfo)
{
	const mod_mech *m;
	CK_RV rv;

	P11_REQUIRE_INIT("C_GetMechanismInfo");
	rv = mod_mech_slot(slotID);
	if (rv != CKR_OK)
		P11_RETURN("C_GetMechanismInfo", rv);
	if (!pInfo)
		P11_RETURN("C_GetMechanismInfo", CKR_ARGUMENTS_BAD);
	m = mod_mech_find(type);
	if (!m)
		P11_RETURN("C_GetMechanismInfo", CKR_MECHANISM_INVALID);
	*pInfo = m->info;
	P11_RETURN("C_GetMechanismInfo", CKR_OK);
}

P11_EXPORT CK_RV C_WaitForSlotEvent(CK_FLAGS flags, CK_SLOT_ID_PTR pSlot, CK_VOID_PTR pReserved)
{
	P11_REQUIRE_INIT("C_WaitForSlotEvent");
	if (!pSlot || pReserved)
		P11_RETURN("C_WaitForSlotEvent", CKR_ARGUMENTS_BAD);
	P11_RETURN("C_WaitForSlotEvent", mod_event_wait(flags, pSlot));
}

/* Provisioning (keys, PIN, PUK, management key) is the issuer's job, done with the
 * issuer's tools; a PKCS#11 application cannot re-initialise a PIV token. */
P11_EXPORT CK_RV C_InitToken(CK_SLOT_ID slotID, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen,
                             CK_UTF8CHAR_PTR pLabel)
{
	(void)slotID;
	(void)pPin;
	(void)ulPinLen;
	(void)pLabel;
	P11_REQUIRE_INIT("C_InitToken");
	P11_RETURN("C_InitToken", CKR_FUNCTION_NOT_SUPPORTED);
}
