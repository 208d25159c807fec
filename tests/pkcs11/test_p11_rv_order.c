/* Return codes in the standard's order, for every exported function, from tables: before
 * C_Initialize CKR_CRYPTOKI_NOT_INITIALIZED; a session function on a handle that is no
 * session CKR_SESSION_HANDLE_INVALID, a slot function on an unknown slot CKR_SLOT_ID_INVALID;
 * a NULL where a pointer is required CKR_ARGUMENTS_BAD before anything the function itself
 * would answer; and in every *Init and key-making function CKR_MECHANISM_INVALID for a
 * mechanism the token does not list, or lists without that use, before the key is looked
 * at. Also the README's deliberate differences: C_InitToken, RSA-1024. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "p11_test_util.h"

/* PKCS#11 3.0's SHA3-256, which p11-kit's 2.40 header lacks: a mechanism not offered. */
#ifndef CKM_SHA3_256
#define CKM_SHA3_256 0x000002B0UL
#endif

#define BOGUS_KEY ((CK_OBJECT_HANDLE)0x7777)

/* What every call is given besides the handle: valid pointers, so that only the handle or
 * the one NULL a row names can be wrong. */
static CK_BYTE buf[512];
static CK_ULONG len;
static CK_ULONG count;
static CK_MECHANISM mech = {CKM_SHA256, NULL, 0};
static CK_ATTRIBUTE attr = {CKA_LABEL, buf, 8};
static CK_OBJECT_HANDLE oh, oh2;
static CK_SESSION_INFO sinfo;
static CK_SLOT_INFO slinfo;
static CK_TOKEN_INFO tinfo;
static CK_MECHANISM_INFO minfo;
static CK_MECHANISM_TYPE mlist[64];
static CK_SESSION_HANDLE sh;
static CK_SLOT_ID slot_out;
#define PIN ((CK_UTF8CHAR_PTR) "123456")

typedef CK_RV (*rv_call)(CK_FUNCTION_LIST_3_0 *f, CK_ULONG h);
typedef struct {
	const char *name;
	rv_call call;
} rv_row;

/* ---- every function taking a session ---- */
#define S(fn, ...)                                               \
	static CK_RV s_##fn(CK_FUNCTION_LIST_3_0 *f, CK_ULONG h) \
	{                                                        \
		len = sizeof(buf);                               \
		count = 1;                                       \
		return f->fn(h, __VA_ARGS__);                    \
	}
#define S0(fn)                                                   \
	static CK_RV s_##fn(CK_FUNCTION_LIST_3_0 *f, CK_ULONG h) \
	{                                                        \
		return f->fn(h);                                 \
	}
S0(C_CloseSession)
S(C_GetSessionInfo, &sinfo)
S(C_GetOperationState, buf, &len)
S(C_SetOperationState, buf, 4, 0, 0)
S(C_Login, CKU_USER, PIN, 6)
S(C_LoginUser, CKU_USER, PIN, 6, (CK_UTF8CHAR_PTR) "u", 1)
S0(C_Logout)
S(C_InitPIN, PIN, 6)
S(C_SetPIN, PIN, 6, PIN, 6)
S0(C_GetFunctionStatus)
S0(C_CancelFunction)
S(C_SessionCancel, CKF_SIGN)
S(C_CreateObject, &attr, 1, &oh)
S(C_CopyObject, 1, &attr, 1, &oh)
S(C_DestroyObject, 1)
S(C_GetObjectSize, 1, &len)
S(C_GetAttributeValue, 1, &attr, 1)
S(C_SetAttributeValue, 1, &attr, 1)
S(C_FindObjectsInit, &attr, 1)
S(C_FindObjects, &oh, 1, &count)
S0(C_FindObjectsFinal)
S(C_EncryptInit, &mech, 1)
S(C_Encrypt, buf, 4, buf, &len)
S(C_EncryptUpdate, buf, 4, buf, &len)
S(C_EncryptFinal, buf, &len)
S(C_DecryptInit, &mech, 1)
S(C_Decrypt, buf, 4, buf, &len)
S(C_DecryptUpdate, buf, 4, buf, &len)
S(C_DecryptFinal, buf, &len)
S(C_DigestInit, &mech)
S(C_Digest, buf, 4, buf, &len)
S(C_DigestUpdate, buf, 4)
S(C_DigestKey, 1)
S(C_DigestFinal, buf, &len)
S(C_SignInit, &mech, 1)
S(C_Sign, buf, 4, buf, &len)
S(C_SignUpdate, buf, 4)
S(C_SignFinal, buf, &len)
S(C_SignRecoverInit, &mech, 1)
S(C_SignRecover, buf, 4, buf, &len)
S(C_VerifyInit, &mech, 1)
S(C_Verify, buf, 4, buf, 4)
S(C_VerifyUpdate, buf, 4)
S(C_VerifyFinal, buf, 4)
S(C_VerifyRecoverInit, &mech, 1)
S(C_VerifyRecover, buf, 4, buf, &len)
S(C_DigestEncryptUpdate, buf, 4, buf, &len)
S(C_DecryptDigestUpdate, buf, 4, buf, &len)
S(C_SignEncryptUpdate, buf, 4, buf, &len)
S(C_DecryptVerifyUpdate, buf, 4, buf, &len)
S(C_GenerateKey, &mech, &attr, 1, &oh)
S(C_GenerateKeyPair, &mech, &attr, 1, &attr, 1, &oh, &oh2)
S(C_WrapKey, &mech, 1, 2, buf, &len)
S(C_UnwrapKey, &mech, 1, buf, 4, &attr, 1, &oh)
S(C_DeriveKey, &mech, 1, &attr, 1, &oh)
S(C_SeedRandom, buf, 4)
S(C_GenerateRandom, buf, 4)
S(C_MessageEncryptInit, &mech, 1)
S(C_EncryptMessage, buf, 4, buf, 4, buf, 4, buf, &len)
S(C_EncryptMessageBegin, buf, 4, buf, 4)
S(C_EncryptMessageNext, buf, 4, buf, 4, buf, &len, 0)
S0(C_MessageEncryptFinal)
S(C_MessageDecryptInit, &mech, 1)
S(C_DecryptMessage, buf, 4, buf, 4, buf, 4, buf, &len)
S(C_DecryptMessageBegin, buf, 4, buf, 4)
S(C_DecryptMessageNext, buf, 4, buf, 4, buf, &len, 0)
S0(C_MessageDecryptFinal)
S(C_MessageSignInit, &mech, 1)
S(C_SignMessage, buf, 4, buf, 4, buf, &len)
S(C_SignMessageBegin, buf, 4)
S(C_SignMessageNext, buf, 4, buf, 4, buf, &len)
S0(C_MessageSignFinal)
S(C_MessageVerifyInit, &mech, 1)
S(C_VerifyMessage, buf, 4, buf, 4, buf, 4)
S(C_VerifyMessageBegin, buf, 4)
S(C_VerifyMessageNext, buf, 4, buf, 4, buf, 4)
S0(C_MessageVerifyFinal)

#define ROW(fn)             \
	{                   \
#fn, s_##fn \
	}
static const rv_row session_rows[] = {
	ROW(C_CloseSession),
	ROW(C_GetSessionInfo),
	ROW(C_GetOperationState),
	ROW(C_SetOperationState),
	ROW(C_Login),
	ROW(C_LoginUser),
	ROW(C_Logout),
	ROW(C_InitPIN),
	ROW(C_SetPIN),
	ROW(C_GetFunctionStatus),
	ROW(C_CancelFunction),
	ROW(C_SessionCancel),
	ROW(C_CreateObject),
	ROW(C_CopyObject),
	ROW(C_DestroyObject),
	ROW(C_GetObjectSize),
	ROW(C_GetAttributeValue),
	ROW(C_SetAttributeValue),
	ROW(C_FindObjectsInit),
	ROW(C_FindObjects),
	ROW(C_FindObjectsFinal),
	ROW(C_EncryptInit),
	ROW(C_Encrypt),
	ROW(C_EncryptUpdate),
	ROW(C_EncryptFinal),
	ROW(C_DecryptInit),
	ROW(C_Decrypt),
	ROW(C_DecryptUpdate),
	ROW(C_DecryptFinal),
	ROW(C_DigestInit),
	ROW(C_Digest),
	ROW(C_DigestUpdate),
	ROW(C_DigestKey),
	ROW(C_DigestFinal),
	ROW(C_SignInit),
	ROW(C_Sign),
	ROW(C_SignUpdate),
	ROW(C_SignFinal),
	ROW(C_SignRecoverInit),
	ROW(C_SignRecover),
	ROW(C_VerifyInit),
	ROW(C_Verify),
	ROW(C_VerifyUpdate),
	ROW(C_VerifyFinal),
	ROW(C_VerifyRecoverInit),
	ROW(C_VerifyRecover),
	ROW(C_DigestEncryptUpdate),
	ROW(C_DecryptDigestUpdate),
	ROW(C_SignEncryptUpdate),
	ROW(C_DecryptVerifyUpdate),
	ROW(C_GenerateKey),
	ROW(C_GenerateKeyPair),
	ROW(C_WrapKey),
	ROW(C_UnwrapKey),
	ROW(C_DeriveKey),
	ROW(C_SeedRandom),
	ROW(C_GenerateRandom),
	ROW(C_MessageEncryptInit),
	ROW(C_EncryptMessage),
	ROW(C_EncryptMessageBegin),
	ROW(C_EncryptMessageNext),
	ROW(C_MessageEncryptFinal),
	ROW(C_MessageDecryptInit),
	ROW(C_DecryptMessage),
	ROW(C_DecryptMessageBegin),
	ROW(C_DecryptMessageNext),
	ROW(C_MessageDecryptFinal),
	ROW(C_MessageSignInit),
	ROW(C_SignMessage),
	ROW(C_SignMessageBegin),
	ROW(C_SignMessageNext),
	ROW(C_MessageSignFinal),
	ROW(C_MessageVerifyInit),
	ROW(C_VerifyMessage),
	ROW(C_VerifyMessageBegin),
	ROW(C_VerifyMessageNext),
	ROW(C_MessageVerifyFinal),
};
#undef ROW

/* ---- every function taking a slot ---- */
#define L(fn, ...)                                                \
	static CK_RV l_##fn(CK_FUNCTION_LIST_3_0 *f, CK_ULONG id) \
	{                                                         \
		count = sizeof(mlist) / sizeof(mlist[0]);         \
		return f->fn(id, __VA_ARGS__);                    \
	}
L(C_GetSlotInfo, &slinfo)
L(C_GetTokenInfo, &tinfo)
L(C_GetMechanismList, mlist, &count)
L(C_GetMechanismInfo, CKM_SHA256, &minfo)
L(C_InitToken, (CK_UTF8CHAR_PTR) "12345678", 8, (CK_UTF8CHAR_PTR) "label")
L(C_OpenSession, CKF_SERIAL_SESSION, NULL, NULL, &sh)
static CK_RV l_C_CloseAllSessions(CK_FUNCTION_LIST_3_0 *f, CK_ULONG id)
{
	return f->C_CloseAllSessions(id);
}
#define ROW(fn)             \
	{                   \
#fn, l_##fn \
	}
static const rv_row slot_rows[] = {
	ROW(C_GetSlotInfo), ROW(C_GetTokenInfo), ROW(C_GetMechanismList), ROW(C_GetMechanismInfo),
	ROW(C_InitToken),   ROW(C_OpenSession),  ROW(C_CloseAllSessions),
};
#undef ROW

/* ---- the module's own functions (the argument is unused) ---- */
static CK_RV g_C_GetInfo(CK_FUNCTION_LIST_3_0 *f, CK_ULONG unused)
{
	CK_INFO info;

	(void)unused;
	return f->C_GetInfo(&info);
}
static CK_RV g_C_GetSlotList(CK_FUNCTION_LIST_3_0 *f, CK_ULONG unused)
{
	(void)unused;
	count = 4;
	return f->C_GetSlotList(CK_FALSE, mlist, &count);
}
static CK_RV g_C_WaitForSlotEvent(CK_FUNCTION_LIST_3_0 *f, CK_ULONG unused)
{
	(void)unused;
	return f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot_out, NULL);
}
static CK_RV g_C_Finalize(CK_FUNCTION_LIST_3_0 *f, CK_ULONG unused)
{
	(void)unused;
	return f->C_Finalize(NULL);
}
static const rv_row module_rows[] = {
	{"C_GetInfo", g_C_GetInfo},
	{"C_GetSlotList", g_C_GetSlotList},
	{"C_WaitForSlotEvent", g_C_WaitForSlotEvent},
	{"C_Finalize", g_C_Finalize},
};

#define N(rows) (sizeof(rows) / sizeof((rows)[0]))

/* Each row's answer for argument a must be want; a failure names the function. */
static void rows_answer(CK_FUNCTION_LIST_3_0 *f, const rv_row *rows, size_t n, CK_ULONG a,
                        CK_RV want)
{
	size_t i;

	for (i = 0; i < n; i++) {
		CK_RV rv = rows[i].call(f, a);

		if (rv != want)
			fail_msg("%s: 0x%lx, want 0x%lx", rows[i].name, (unsigned long)rv,
			         (unsigned long)want);
	}
}

static void every_function_but_the_interfaces_needs_c_initialize(void **state)
{
	p11t *t = *state;
	CK_FUNCTION_LIST_PTR list = NULL;
	CK_ULONG n = 0;

	assert_int_equal(t->f->C_Finalize(NULL), CKR_OK);
	t->session = 0;
	rows_answer(t->f, session_rows, N(session_rows), 1, CKR_CRYPTOKI_NOT_INITIALIZED);
	rows_answer(t->f, slot_rows, N(slot_rows), 0, CKR_CRYPTOKI_NOT_INITIALIZED);
	rows_answer(t->f, module_rows, N(module_rows), 0, CKR_CRYPTOKI_NOT_INITIALIZED);
	/* what an application calls to find the others */
	assert_int_equal(t->f->C_GetFunctionList(&list), CKR_OK);
	assert_int_equal(t->f->C_GetInterfaceList(NULL, &n), CKR_OK);
	p11t_initialize_open(t, CKF_RW_SESSION);
}

static void every_session_function_checks_the_handle_first(void **state)
{
	p11t *t = *state;

	rows_answer(t->f, session_rows, N(session_rows), t->session + 1000,
	            CKR_SESSION_HANDLE_INVALID);
	rows_answer(t->f, session_rows, N(session_rows), CK_INVALID_HANDLE,
	            CKR_SESSION_HANDLE_INVALID);
}

static void every_slot_function_checks_the_slot_first(void **state)
{
	p11t *t = *state;

	rows_answer(t->f, slot_rows, N(slot_rows), t->slots[0] + 1000, CKR_SLOT_ID_INVALID);
}

/* ---- NULL where a pointer is required ---- */
typedef struct {
	const char *what;
	CK_RV rv;
} null_case;

static void null_is_arguments_bad(null_case *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (c[i].rv != CKR_ARGUMENTS_BAD)
			fail_msg("%s: 0x%lx, want CKR_ARGUMENTS_BAD", c[i].what,
			         (unsigned long)c[i].rv);
}

#define NC(call)            \
	{                   \
#call, call \
	}
static void a_null_required_pointer_is_arguments_bad_first(void **state)
{
	p11t *t = *state;
	CK_FUNCTION_LIST_3_0 *f = t->f;
	CK_SESSION_HANDLE s = t->session;
	CK_SLOT_ID id = t->slots[0];
	CK_MECHANISM none = {CKM_SHA3_256, NULL, 0};
	null_case c[] = {
		NC(f->C_GetInfo(NULL)),
		NC(f->C_GetSlotList(CK_TRUE, NULL, NULL)),
		NC(f->C_GetSlotInfo(id, NULL)),
		NC(f->C_GetTokenInfo(id, NULL)),
		NC(f->C_GetMechanismList(id, NULL, NULL)),
		NC(f->C_GetMechanismInfo(id, CKM_SHA256, NULL)),
		NC(f->C_WaitForSlotEvent(CKF_DONT_BLOCK, NULL, NULL)),
		NC(f->C_OpenSession(id, CKF_SERIAL_SESSION, NULL, NULL, NULL)),
		NC(f->C_GetSessionInfo(s, NULL)),
		NC(f->C_CreateObject(s, NULL, 1, &oh)),
		NC(f->C_GetObjectSize(s, 1, NULL)),
		NC(f->C_GetAttributeValue(s, 1, NULL, 1)),
		NC(f->C_SetAttributeValue(s, 1, NULL, 1)),
		NC(f->C_FindObjectsInit(s, NULL, 1)),
		NC(f->C_FindObjects(s, NULL, 1, &count)),
		/* key-making functions: the handle's place, the template, before the mechanism */
		NC(f->C_GenerateKey(s, &none, NULL, 0, NULL)),
		NC(f->C_GenerateKey(s, &none, NULL, 1, &oh)),
		NC(f->C_GenerateKeyPair(s, &none, NULL, 0, NULL, 0, &oh, NULL)),
		NC(f->C_UnwrapKey(s, &none, BOGUS_KEY, NULL, 4, NULL, 0, &oh)),
		NC(f->C_UnwrapKey(s, &none, BOGUS_KEY, buf, 4, NULL, 0, NULL)),
		NC(f->C_DeriveKey(s, &none, BOGUS_KEY, NULL, 0, NULL)),
		NC(f->C_DeriveKey(s, &none, BOGUS_KEY, NULL, 1, &oh)),
		NC(f->C_WrapKey(s, NULL, BOGUS_KEY, BOGUS_KEY, buf, &len)),
		/* random numbers: the arguments before the answer */
		NC(f->C_SeedRandom(s, NULL, 0)),
		NC(f->C_SeedRandom(s, NULL, 8)),
		NC(f->C_GenerateRandom(s, NULL, 8)),
	};

	null_is_arguments_bad(c, N(c));
}

/* With an operation active, its calls check their own pointers. */
static void an_active_digest_checks_its_pointers(void **state)
{
	p11t *t = *state;
	CK_FUNCTION_LIST_3_0 *f = t->f;
	CK_SESSION_HANDLE s = t->session;

	assert_int_equal(f->C_DigestInit(s, &mech), CKR_OK);
	assert_int_equal(f->C_Digest(s, buf, 4, buf, NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(f->C_DigestInit(s, &mech), CKR_OK);
	assert_int_equal(f->C_Digest(s, NULL, 4, buf, &len), CKR_ARGUMENTS_BAD);
	assert_int_equal(f->C_DigestInit(s, &mech), CKR_OK);
	assert_int_equal(f->C_DigestUpdate(s, NULL, 4), CKR_ARGUMENTS_BAD);
	assert_int_equal(f->C_DigestInit(s, &mech), CKR_OK);
	assert_int_equal(f->C_DigestFinal(s, buf, NULL), CKR_ARGUMENTS_BAD);
}
#undef NC

/* PKCS#11 3.0 (C_EncryptInit and every other *Init): "can be called with pMechanism set to
 * NULL_PTR to terminate an active ... operation". So a NULL mechanism is no bad argument:
 * it ends what is active (CKR_OK), and with nothing active there is nothing to end. */
static void an_init_without_mechanism_ends_the_active_operation(void **state)
{
	p11t *t = *state;
	CK_FUNCTION_LIST_3_0 *f = t->f;
	CK_SESSION_HANDLE s = t->session;

	assert_int_equal(f->C_DigestInit(s, &mech), CKR_OK);
	assert_int_equal(f->C_DigestInit(s, &mech), CKR_OPERATION_ACTIVE);
	assert_int_equal(f->C_DigestInit(s, NULL), CKR_OK);
	assert_int_equal(f->C_DigestUpdate(s, buf, 4), CKR_OPERATION_NOT_INITIALIZED);
	assert_int_equal(f->C_DigestInit(s, &mech), CKR_OK);
	assert_int_equal(f->C_DigestInit(s, NULL), CKR_OK);
	assert_int_equal(f->C_DigestInit(s, NULL), CKR_OK);
	assert_int_equal(f->C_EncryptInit(s, NULL, BOGUS_KEY), CKR_OK);
	assert_int_equal(f->C_DecryptInit(s, NULL, BOGUS_KEY), CKR_OK);
	assert_int_equal(f->C_SignInit(s, NULL, BOGUS_KEY), CKR_OK);
	assert_int_equal(f->C_VerifyInit(s, NULL, BOGUS_KEY), CKR_OK);
	assert_int_equal(f->C_SignRecoverInit(s, NULL, BOGUS_KEY), CKR_OK);
	assert_int_equal(f->C_VerifyRecoverInit(s, NULL, BOGUS_KEY), CKR_OK);
	assert_int_equal(f->C_MessageEncryptInit(s, NULL, BOGUS_KEY), CKR_OK);
	assert_int_equal(f->C_MessageDecryptInit(s, NULL, BOGUS_KEY), CKR_OK);
	assert_int_equal(f->C_MessageSignInit(s, NULL, BOGUS_KEY), CKR_OK);
	assert_int_equal(f->C_MessageVerifyInit(s, NULL, BOGUS_KEY), CKR_OK);
	/* the session is still usable: the digest starts anew */
	assert_int_equal(f->C_DigestInit(s, &mech), CKR_OK);
	len = sizeof(buf);
	assert_int_equal(f->C_Digest(s, buf, 4, buf, &len), CKR_OK);
}

/* ---- mechanisms ---- */
/* An *Init or key-making function with a mechanism and a key that does not exist: the
 * mechanism is judged first. */
typedef CK_RV (*mech_call)(CK_FUNCTION_LIST_3_0 *f, CK_SESSION_HANDLE s, CK_MECHANISM *m);
#define M(fn, ...)                                                                         \
	static CK_RV m_##fn(CK_FUNCTION_LIST_3_0 *f, CK_SESSION_HANDLE s, CK_MECHANISM *m) \
	{                                                                                  \
		return f->fn(s, m, __VA_ARGS__);                                           \
	}
M(C_EncryptInit, BOGUS_KEY)
M(C_DecryptInit, BOGUS_KEY)
static CK_RV m_C_DigestInit(CK_FUNCTION_LIST_3_0 *f, CK_SESSION_HANDLE s, CK_MECHANISM *m)
{
	return f->C_DigestInit(s, m);
}
M(C_SignInit, BOGUS_KEY)
M(C_SignRecoverInit, BOGUS_KEY)
M(C_VerifyInit, BOGUS_KEY)
M(C_VerifyRecoverInit, BOGUS_KEY)
M(C_MessageEncryptInit, BOGUS_KEY)
M(C_MessageDecryptInit, BOGUS_KEY)
M(C_MessageSignInit, BOGUS_KEY)
M(C_MessageVerifyInit, BOGUS_KEY)
M(C_GenerateKey, NULL, 0, &oh)
M(C_GenerateKeyPair, NULL, 0, NULL, 0, &oh, &oh2)
M(C_UnwrapKey, BOGUS_KEY, buf, 4, NULL, 0, &oh)
M(C_DeriveKey, BOGUS_KEY, NULL, 0, &oh)

static const struct {
	const char *name;
	mech_call call;
	CK_FLAGS use; /* the mechanism flag a row needs for it */
} mech_rows[] = {
#define ROW(fn, use)             \
	{                        \
#fn, m_##fn, use \
	}
	ROW(C_EncryptInit, CKF_ENCRYPT),
	ROW(C_DecryptInit, CKF_DECRYPT),
	ROW(C_DigestInit, CKF_DIGEST),
	ROW(C_SignInit, CKF_SIGN),
	ROW(C_SignRecoverInit, CKF_SIGN_RECOVER),
	ROW(C_VerifyInit, CKF_VERIFY),
	ROW(C_VerifyRecoverInit, CKF_VERIFY_RECOVER),
	ROW(C_MessageEncryptInit, CKF_MESSAGE_ENCRYPT),
	ROW(C_MessageDecryptInit, CKF_MESSAGE_DECRYPT),
	ROW(C_MessageSignInit, CKF_MESSAGE_SIGN),
	ROW(C_MessageVerifyInit, CKF_MESSAGE_VERIFY),
	ROW(C_GenerateKey, CKF_GENERATE),
	ROW(C_GenerateKeyPair, CKF_GENERATE_KEY_PAIR),
	ROW(C_UnwrapKey, CKF_UNWRAP),
	ROW(C_DeriveKey, CKF_DERIVE),
#undef ROW
};

static void expect_mechanism_invalid(p11t *t, CK_MECHANISM_TYPE type)
{
	CK_MECHANISM m = {type, NULL, 0};
	size_t i;

	for (i = 0; i < N(mech_rows); i++) {
		CK_RV rv = mech_rows[i].call(t->f, t->session, &m);

		if (rv != CKR_MECHANISM_INVALID)
			fail_msg("%s(0x%lx): 0x%lx, want CKR_MECHANISM_INVALID", mech_rows[i].name,
			         (unsigned long)type, (unsigned long)rv);
	}
}

static void a_mechanism_not_listed_is_invalid_everywhere(void **state)
{
	p11t *t = *state;

	expect_mechanism_invalid(t, CKM_AES_CBC);
	expect_mechanism_invalid(t, CKM_SHA3_256);
	expect_mechanism_invalid(t, CKM_SHA1_RSA_PKCS);
	expect_mechanism_invalid(t, CKM_VENDOR_DEFINED | 0x1234);
}

/* Every listed mechanism in every function whose use its flags lack. */
static void a_listed_mechanism_is_invalid_where_its_flags_say_so(void **state)
{
	p11t *t = *state;
	CK_ULONG n = sizeof(mlist) / sizeof(mlist[0]), j;
	size_t i, tried = 0;

	assert_int_equal(t->f->C_GetMechanismList(t->slots[0], mlist, &n), CKR_OK);
	for (j = 0; j < n; j++) {
		CK_MECHANISM m = {mlist[j], NULL, 0};
		CK_MECHANISM_INFO info;

		assert_int_equal(t->f->C_GetMechanismInfo(t->slots[0], mlist[j], &info), CKR_OK);
		for (i = 0; i < N(mech_rows); i++) {
			CK_RV rv;

			if (info.flags & mech_rows[i].use)
				continue;
			rv = mech_rows[i].call(t->f, t->session, &m);
			tried++;
			if (rv != CKR_MECHANISM_INVALID)
				fail_msg("%s(0x%lx): 0x%lx, want CKR_MECHANISM_INVALID",
				         mech_rows[i].name, (unsigned long)mlist[j],
				         (unsigned long)rv);
		}
	}
	assert_true(tried > n);
}

/* ---- where kinko differs on purpose (the README's list) ---- */

/* A session RSA-1024 public key made from OpenSSL's key: its modulus and exponent. */
static CK_RV session_rsa1024(p11t *t, CK_OBJECT_HANDLE *h)
{
	EVP_PKEY *pkey = EVP_RSA_gen(1024);
	BIGNUM *n = NULL, *e = NULL;
	CK_BYTE mod[128], exp[8];
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_KEY_TYPE type = CKK_RSA;
	CK_BBOOL no = CK_FALSE;
	CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof(cls)},
	                       {CKA_KEY_TYPE, &type, sizeof(type)},
	                       {CKA_TOKEN, &no, sizeof(no)},
	                       {CKA_MODULUS, mod, sizeof(mod)},
	                       {CKA_PUBLIC_EXPONENT, exp, 0}};
	CK_RV rv;

	assert_non_null(pkey);
	assert_int_equal(EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n), 1);
	assert_int_equal(EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e), 1);
	assert_int_equal(BN_bn2binpad(n, mod, sizeof(mod)), sizeof(mod));
	tmpl[4].ulValueLen = (CK_ULONG)BN_bn2bin(e, exp);
	rv = t->f->C_CreateObject(t->session, tmpl, 5, h);
	BN_free(n);
	BN_free(e);
	EVP_PKEY_free(pkey);
	return rv;
}

static void rsa_1024_and_c_inittoken_are_refused_on_purpose(void **state)
{
	p11t *t = *state;
	CK_MECHANISM gen = {CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0};
	CK_MECHANISM sha256_rsa = {CKM_SHA256_RSA_PKCS, NULL, 0};
	CK_ULONG bits = 1024;
	CK_ATTRIBUTE pub[] = {{CKA_MODULUS_BITS, &bits, sizeof(bits)}};
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;

	p11t_login(t);
	assert_int_equal(t->f->C_GenerateKeyPair(t->session, &gen, pub, 1, NULL, 0, &oh, &oh2),
	                 CKR_KEY_SIZE_RANGE);
	/* stored, as Java imports such keys, but no verification with it */
	assert_int_equal(session_rsa1024(t, &h), CKR_OK);
	assert_int_equal(t->f->C_VerifyInit(t->session, &sha256_rsa, h), CKR_KEY_SIZE_RANGE);
	assert_int_equal(t->f->C_DestroyObject(t->session, h), CKR_OK);
	assert_int_equal(t->f->C_Logout(t->session), CKR_OK);
	assert_int_equal(t->f->C_InitToken(t->slots[0], (CK_UTF8CHAR_PTR) "12345678", 8,
	                                   (CK_UTF8CHAR_PTR) "label"),
	                 CKR_FUNCTION_NOT_SUPPORTED);
}

int main(void)
{
#define T(fn) cmocka_unit_test(fn)
	const struct CMUnitTest tests[] = {
		T(every_session_function_checks_the_handle_first),
		T(every_slot_function_checks_the_slot_first),
		T(a_null_required_pointer_is_arguments_bad_first),
		T(an_active_digest_checks_its_pointers),
		T(an_init_without_mechanism_ends_the_active_operation),
		T(a_mechanism_not_listed_is_invalid_everywhere),
		T(a_listed_mechanism_is_invalid_where_its_flags_say_so),
		T(rsa_1024_and_c_inittoken_are_refused_on_purpose),
		T(every_function_but_the_interfaces_needs_c_initialize),
	};
#undef T

	return cmocka_run_group_tests(tests, p11t_group_setup_1, p11t_group_teardown);
}
