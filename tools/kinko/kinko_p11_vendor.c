/* What kinko's own module tells beyond PKCS#11, through its public header kinko-pkcs11.h
 * (the module's contract, so the CLI keeps no copy of the module's rules): the exact tries
 * left of the PIN and the PUK, and the key slots a new key can still go to. Other modules
 * have neither: the callers fall back to PKCS#11's flags, or leave the figure out. */
#include <stdbool.h>

#include "kinko_p11.h"
/* By path: the CLI is built apart from the module and needs none of its other headers. */
#include "../../pkcs11/kinko-pkcs11.h"

long kinko_p11_vendor_tries_left(kinko_ctx *ctx, bool so)
{
	CK_OBJECT_CLASS cls = CKO_HW_FEATURE;
	CK_HW_FEATURE_TYPE type = CKH_KINKO_PIN_COUNTERS;
	CK_ATTRIBUTE q[] = {{CKA_CLASS, &cls, sizeof(cls)},
	                    {CKA_HW_FEATURE_TYPE, &type, sizeof(type)}};
	CK_ULONG left = 0, n = 0;
	CK_ATTRIBUTE a = {so ? CKA_KINKO_PUK_TRIES_LEFT : CKA_KINKO_PIN_TRIES_LEFT, &left,
	                  sizeof(left)};
	CK_OBJECT_HANDLE h = 0;
	CK_RV rv;

	if (ctx->session == 0 || ctx->p11->C_FindObjectsInit(ctx->session, q, 2) != CKR_OK)
		return -1;
	rv = ctx->p11->C_FindObjects(ctx->session, &h, 1, &n);
	ctx->p11->C_FindObjectsFinal(ctx->session);
	if (rv != CKR_OK || n != 1 ||
	    ctx->p11->C_GetAttributeValue(ctx->session, h, &a, 1) != CKR_OK ||
	    a.ulValueLen != sizeof(left) || left > 255)
		return -1;
	return (long)left;
}

int kinko_p11_vendor_free_slots(kinko_ctx *ctx, CK_SLOT_ID slot)
{
	/* The CKA_IDs of the keys on the token, by their one byte (kinko-pkcs11.h). */
	bool used[256] = {false};
	CK_OBJECT_CLASS classes[2] = {CKO_PUBLIC_KEY, CKO_PRIVATE_KEY};
	CK_SESSION_HANDLE s;
	int c, free_slots = 0;
	unsigned id;

	if (!ctx->kinko_module ||
	    ctx->p11->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s) != CKR_OK)
		return -1;
	for (c = 0; c < 2; c++) {
		CK_ATTRIBUTE q = {CKA_CLASS, &classes[c], sizeof(classes[c])};
		CK_OBJECT_HANDLE h[32];
		CK_ULONG got = 0, i;

		if (ctx->p11->C_FindObjectsInit(s, &q, 1) != CKR_OK)
			continue;
		while (ctx->p11->C_FindObjects(s, h, 32, &got) == CKR_OK && got > 0) {
			for (i = 0; i < got; i++) {
				CK_BYTE idb[4];
				CK_ATTRIBUTE a = {CKA_ID, idb, sizeof(idb)};

				if (ctx->p11->C_GetAttributeValue(s, h[i], &a, 1) == CKR_OK &&
				    a.ulValueLen == 1)
					used[idb[0]] = true;
			}
		}
		ctx->p11->C_FindObjectsFinal(s);
	}
	ctx->p11->C_CloseSession(s);
	for (id = 0; id < sizeof(used); id++)
		if (kinko_cka_id_generated((unsigned char)id) && !used[id])
			free_slots++;
	return free_slots;
}
