/* p11-pin-tries MODULE [WRONG-PIN]: load a PKCS#11 module the way an application does
 * (dlopen + C_GetFunctionList, e.g. p11-kit-proxy.so), optionally log in once with a wrong
 * PIN, then print kinko's vendor PIN counters (kinko-pkcs11.h) of the first kinko token:
 * "pin L/M puk L/M". Exit 0 when printed, 1 otherwise. A test PIN only. */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

#include "kinko-pkcs11.h"

static int tries(CK_FUNCTION_LIST *f, CK_SESSION_HANDLE s)
{
	CK_OBJECT_CLASS cls = CKO_HW_FEATURE;
	CK_HW_FEATURE_TYPE type = CKH_KINKO_PIN_COUNTERS;
	CK_ATTRIBUTE q[] = {{CKA_CLASS, &cls, sizeof(cls)},
	                    {CKA_HW_FEATURE_TYPE, &type, sizeof(type)}};
	CK_ULONG v[4] = {0, 0, 0, 0}, n = 0;
	CK_ATTRIBUTE a[] = {
		{CKA_KINKO_PIN_TRIES_LEFT, &v[0], sizeof(v[0])},
		{CKA_KINKO_PIN_TRIES_MAX, &v[1], sizeof(v[1])},
		{CKA_KINKO_PUK_TRIES_LEFT, &v[2], sizeof(v[2])},
		{CKA_KINKO_PUK_TRIES_MAX, &v[3], sizeof(v[3])},
	};
	CK_OBJECT_HANDLE h = 0;
	CK_RV rv;

	if (f->C_FindObjectsInit(s, q, 2) != CKR_OK)
		return 1;
	rv = f->C_FindObjects(s, &h, 1, &n);
	f->C_FindObjectsFinal(s);
	if (rv != CKR_OK || n != 1) {
		fprintf(stderr, "no PIN counters object\n");
		return 1;
	}
	rv = f->C_GetAttributeValue(s, h, a, 4);
	if (rv != CKR_OK) {
		fprintf(stderr, "C_GetAttributeValue: 0x%lx\n", (unsigned long)rv);
		return 1;
	}
	printf("pin %lu/%lu puk %lu/%lu\n", (unsigned long)v[0], (unsigned long)v[1],
	       (unsigned long)v[2], (unsigned long)v[3]);
	return 0;
}

int main(int argc, char **argv)
{
	CK_C_GetFunctionList get;
	CK_FUNCTION_LIST *f = NULL;
	CK_SLOT_ID slots[32], slot = 0;
	CK_ULONG n = 32, i;
	CK_TOKEN_INFO ti;
	CK_SESSION_HANDLE s;
	bool found = false;
	void *dl;
	int r = 1;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: p11-pin-tries MODULE [WRONG-PIN]\n");
		return 2;
	}
	dl = dlopen(argv[1], RTLD_NOW);
	get = dl ? (CK_C_GetFunctionList)dlsym(dl, "C_GetFunctionList") : NULL;
	if (!get || get(&f) != CKR_OK || f->C_Initialize(NULL) != CKR_OK) {
		fprintf(stderr, "cannot load %s\n", argv[1]);
		return 1;
	}
	/* The proxy also offers other modules' tokens (p11-kit-trust): take kinko's. */
	if (f->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK)
		n = 0;
	for (i = 0; i < n && !found; i++) {
		found = f->C_GetTokenInfo(slots[i], &ti) == CKR_OK &&
		        memcmp(ti.manufacturerID, "kinko ", 6) == 0;
		slot = slots[i];
	}
	if (found && f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s) == CKR_OK) {
		if (argc == 3)
			printf("login: 0x%lx\n",
			       (unsigned long)f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)argv[2],
			                                 strlen(argv[2])));
		r = tries(f, s);
		f->C_CloseSession(s);
	}
	f->C_Finalize(NULL);
	return r;
}
