/* The benchmark's PKCS#11 side, the same calls for kinko's module and SoftHSM2. */
#include "bench_p11.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

bool bench_ok(const char *what, CK_RV rv)
{
	if (rv != CKR_OK)
		fprintf(stderr, "bench: %s: CKR 0x%lx\n", what, (unsigned long)rv);
	return rv == CKR_OK;
}

bool bench_load(bench_token *b, const char *path)
{
	CK_RV (*get_list)(CK_FUNCTION_LIST_PTR_PTR);

	memset(b, 0, sizeof(*b));
	b->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!b->dl) {
		fprintf(stderr, "bench: dlopen %s: %s\n", path, dlerror());
		return false;
	}
	*(void **)&get_list = dlsym(b->dl, "C_GetFunctionList");
	return get_list && bench_ok("C_GetFunctionList", get_list(&b->f));
}

void bench_unload(bench_token *b)
{
	if (b->dl)
		dlclose(b->dl);
	memset(b, 0, sizeof(*b));
}

static bool bench_first_slot(bench_token *b, CK_FLAGS need)
{
	CK_SLOT_ID slots[16];
	CK_ULONG n = 16, i;
	CK_TOKEN_INFO ti;

	if (!bench_ok("C_GetSlotList", b->f->C_GetSlotList(CK_TRUE, slots, &n)))
		return false;
	for (i = 0; i < n; i++) {
		if (b->f->C_GetTokenInfo(slots[i], &ti) == CKR_OK && (ti.flags & need) == need) {
			b->slot = slots[i];
			return true;
		}
	}
	fprintf(stderr, "bench: no suitable token\n");
	return false;
}

/* SoftHSM2: a fresh token with the SO PIN, then the user PIN set by the SO. */
static bool bench_init_softhsm(bench_token *b)
{
	CK_UTF8CHAR label[32];
	CK_SESSION_HANDLE s;

	if (!bench_first_slot(b, 0))
		return false;
	memset(label, ' ', sizeof(label));
	memcpy(label, "kinko-bench", 11);
	if (!bench_ok("C_InitToken",
	              b->f->C_InitToken(b->slot, (CK_UTF8CHAR_PTR)BENCH_SO_PIN, 8, label)) ||
	    !bench_first_slot(b, CKF_TOKEN_INITIALIZED) ||
	    !bench_ok("C_OpenSession",
	              b->f->C_OpenSession(b->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
	                                  &s)))
		return false;
	if (!bench_ok("C_Login(SO)", b->f->C_Login(s, CKU_SO, (CK_UTF8CHAR_PTR)BENCH_SO_PIN, 8)) ||
	    !bench_ok("C_InitPIN", b->f->C_InitPIN(s, (CK_UTF8CHAR_PTR)BENCH_PIN, 6)))
		return false;
	return bench_ok("C_CloseSession", b->f->C_CloseSession(s));
}

bool bench_open(bench_token *b, bool init_softhsm)
{
	if (!bench_ok("C_Initialize", b->f->C_Initialize(NULL)))
		return false;
	if (init_softhsm ? !bench_init_softhsm(b) : !bench_first_slot(b, 0))
		return false;
	return bench_ok("C_OpenSession",
	                b->f->C_OpenSession(b->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
	                                    NULL, &b->session)) &&
	       bench_ok("C_Login",
	                b->f->C_Login(b->session, CKU_USER, (CK_UTF8CHAR_PTR)BENCH_PIN, 6));
}

static bool bench_keypair(bench_token *b, bool on_token, bool ec, CK_BYTE id, CK_OBJECT_HANDLE *pub,
                          CK_OBJECT_HANDLE *priv)
{
	static CK_BYTE p256[] = {0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
	static CK_BYTE e65537[] = {0x01, 0x00, 0x01};
	CK_BBOOL yes = CK_TRUE, tok = on_token ? CK_TRUE : CK_FALSE;
	CK_ULONG bits = 2048;
	CK_MECHANISM mech = {ec ? CKM_EC_KEY_PAIR_GEN : CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0};
	CK_ATTRIBUTE pub_rsa[] = {{CKA_TOKEN, &tok, 1},
	                          {CKA_VERIFY, &yes, 1},
	                          {CKA_ID, &id, 1},
	                          {CKA_MODULUS_BITS, &bits, sizeof(bits)},
	                          {CKA_PUBLIC_EXPONENT, e65537, sizeof(e65537)}};
	CK_ATTRIBUTE pub_ec[] = {{CKA_TOKEN, &tok, 1},
	                         {CKA_VERIFY, &yes, 1},
	                         {CKA_ID, &id, 1},
	                         {CKA_EC_PARAMS, p256, sizeof(p256)}};
	CK_ATTRIBUTE prv[] = {{CKA_TOKEN, &tok, 1},
	                      {CKA_PRIVATE, &yes, 1},
	                      {CKA_SIGN, &yes, 1},
	                      {CKA_ID, &id, 1}};

	return bench_ok(ec ? "C_GenerateKeyPair(EC)" : "C_GenerateKeyPair(RSA)",
	                b->f->C_GenerateKeyPair(b->session, &mech, ec ? pub_ec : pub_rsa,
	                                        ec ? 4 : 5, prv, 4, pub, priv));
}

bool bench_keys(bench_token *b, bool on_token)
{
	return bench_keypair(b, on_token, false, 0x01, &b->rsa_pub, &b->rsa_priv) &&
	       bench_keypair(b, on_token, true, 0x03, &b->ec_pub, &b->ec_priv);
}

CK_RV bench_sign_once(bench_token *b, CK_MECHANISM_TYPE mech, CK_OBJECT_HANDLE key,
                      const unsigned char *data, CK_ULONG len)
{
	CK_MECHANISM m = {mech, NULL, 0};
	CK_BYTE sig[512];
	CK_ULONG sig_len = sizeof(sig);
	CK_RV rv = b->f->C_SignInit(b->session, &m, key);

	if (rv == CKR_OK)
		rv = b->f->C_Sign(b->session, (CK_BYTE_PTR)data, len, sig, &sig_len);
	return rv;
}
