/* The module's general functions through dlopen: interfaces and function lists, the
 * initialisation rules (arguments, twice, before), C_GetInfo, the cost of C_Initialize
 * without a token, and the call trace. Locking and fork() are in test_p11_locks.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture_test_util.h"
#include "p11_test_util.h"
#include "time_test_util.h"

#define PIN "123456"

static CK_FUNCTION_LIST_3_0 *fl(void **state)
{
	return ((p11t *)*state)->f;
}

static void interface_list_offers_3_0_and_2_40(void **state)
{
	CK_INTERFACE list[4];
	CK_ULONG n = 0;
	CK_VERSION *v0, *v1;

	(void)state;
	assert_int_equal(fl(state)->C_GetInterfaceList(NULL, &n), CKR_OK);
	assert_int_equal(n, 2);
	n = 1;
	assert_int_equal(fl(state)->C_GetInterfaceList(list, &n), CKR_BUFFER_TOO_SMALL);
	assert_int_equal(n, 2);
	n = 4;
	assert_int_equal(fl(state)->C_GetInterfaceList(list, &n), CKR_OK);
	assert_int_equal(n, 2);
	assert_string_equal((char *)list[0].pInterfaceName, "PKCS 11");
	assert_string_equal((char *)list[1].pInterfaceName, "PKCS 11");
	v0 = list[0].pFunctionList;
	v1 = list[1].pFunctionList;
	assert_int_equal(v0->major, 3);
	assert_int_equal(v0->minor, 0);
	assert_int_equal(v1->major, 2);
	assert_int_equal(v1->minor, 40);
	/* Not fork safe in the standard's sense: a child must initialise again. */
	assert_int_equal(list[0].flags, 0);
	assert_int_equal(list[1].flags, 0);
	assert_int_equal(fl(state)->C_GetInterfaceList(list, NULL), CKR_ARGUMENTS_BAD);
}

static void get_interface_selects_by_name_version_and_flags(void **state)
{
	CK_FUNCTION_LIST_3_0 *f = fl(state);
	CK_INTERFACE_PTR i = NULL;
	CK_VERSION v240 = {2, 40}, v30 = {3, 0}, v31 = {3, 1};
	CK_FUNCTION_LIST_PTR old = NULL;

	assert_int_equal(f->C_GetInterface(NULL, NULL, &i, 0), CKR_OK);
	assert_int_equal(((CK_VERSION *)i->pFunctionList)->major, 3);
	assert_int_equal(f->C_GetInterface((CK_UTF8CHAR_PTR) "PKCS 11", &v30, &i, 0), CKR_OK);
	assert_ptr_equal(i->pFunctionList, f);
	assert_int_equal(f->C_GetInterface((CK_UTF8CHAR_PTR) "PKCS 11", &v240, &i, 0), CKR_OK);
	assert_int_equal(f->C_GetFunctionList(&old), CKR_OK);
	assert_ptr_equal(i->pFunctionList, old);
	assert_int_equal(old->version.major, 2);
	assert_int_equal(old->version.minor, 40);
	assert_int_equal(f->C_GetInterface((CK_UTF8CHAR_PTR) "PKCS 11", &v31, &i, 0),
	                 CKR_ARGUMENTS_BAD);
	assert_int_equal(f->C_GetInterface((CK_UTF8CHAR_PTR) "Vendor kinko", NULL, &i, 0),
	                 CKR_ARGUMENTS_BAD);
	assert_int_equal(f->C_GetInterface(NULL, NULL, &i, CKF_INTERFACE_FORK_SAFE),
	                 CKR_ARGUMENTS_BAD);
	assert_int_equal(f->C_GetInterface(NULL, NULL, NULL, 0), CKR_ARGUMENTS_BAD);
	assert_int_equal(f->C_GetFunctionList(NULL), CKR_ARGUMENTS_BAD);
}

/* The lists are arrays of function pointers after the version. */
static void every_function_pointer_is_set(void **state)
{
	CK_FUNCTION_LIST_3_0 *f = fl(state);
	CK_FUNCTION_LIST_PTR old = NULL;
	size_t n30 = (sizeof(*f) - offsetof(CK_FUNCTION_LIST_3_0, C_Initialize)) / sizeof(void *);
	size_t n240 = (sizeof(*old) - offsetof(CK_FUNCTION_LIST, C_Initialize)) / sizeof(void *);
	void (*const *p30)(void) = (void (*const *)(void)) & f->C_Initialize;
	void (*const *p240)(void);
	size_t i;

	assert_int_equal(n30, 68 + 24);
	assert_int_equal(n240, 68);
	for (i = 0; i < n30; i++)
		assert_non_null(p30[i]);
	assert_int_equal(f->C_GetFunctionList(&old), CKR_OK);
	p240 = (void (*const *)(void)) & old->C_Initialize;
	/* Same functions, same order, in both lists. */
	for (i = 0; i < n240; i++)
		assert_true(p240[i] == p30[i]);
}

static void calls_before_initialize_answer_not_initialized(void **state)
{
	CK_FUNCTION_LIST_3_0 *f = fl(state);
	CK_INFO info;
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;
	CK_SESSION_HANDLE h = 0;
	CK_SLOT_ID slot = 0;
	CK_ULONG n = 0;
	CK_BYTE buf[16];
	CK_MECHANISM mech = {CKM_ECDSA, NULL, 0};

	assert_int_equal(f->C_GetInfo(&info), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(f->C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(f->C_GetSlotList(CK_FALSE, NULL, &n), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(f->C_GetSlotInfo(0, &si), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(f->C_GetTokenInfo(0, &ti), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(f->C_GetMechanismList(0, NULL, &n), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &slot, NULL),
	                 CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(f->C_InitToken(0, NULL, 0, NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(f->C_OpenSession(0, CKF_SERIAL_SESSION, NULL, NULL, &h),
	                 CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(f->C_CloseAllSessions(0), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(f->C_Login(1, CKU_USER, (CK_UTF8CHAR_PTR)PIN, 6),
	                 CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(f->C_LoginUser(1, CKU_USER, (CK_UTF8CHAR_PTR)PIN, 6, NULL, 0),
	                 CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(f->C_Logout(1), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(f->C_GetOperationState(1, NULL, &n), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(f->C_SessionCancel(1, CKF_SIGN), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(f->C_FindObjectsInit(1, NULL, 0), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(f->C_SignInit(1, &mech, 1), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(f->C_GenerateRandom(1, buf, sizeof(buf)), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(f->C_MessageSignInit(1, &mech, 1), CKR_CRYPTOKI_NOT_INITIALIZED);
}

static void initialize_twice_answers_already_initialized(void **state)
{
	CK_FUNCTION_LIST_3_0 *f = fl(state);

	assert_int_equal(f->C_Initialize(NULL), CKR_OK);
	assert_int_equal(f->C_Initialize(NULL), CKR_CRYPTOKI_ALREADY_INITIALIZED);
	assert_int_equal(f->C_Finalize(NULL), CKR_OK);
	assert_int_equal(f->C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
	assert_int_equal(f->C_Initialize(NULL), CKR_OK);
}

static CK_RV dummy_create(CK_VOID_PTR_PTR m)
{
	*m = NULL;
	return CKR_OK;
}

static void initialize_rejects_bad_arguments(void **state)
{
	CK_FUNCTION_LIST_3_0 *f = fl(state);
	CK_C_INITIALIZE_ARGS args;
	int reserved = 0;

	memset(&args, 0, sizeof(args));
	args.pReserved = &reserved;
	assert_int_equal(f->C_Initialize(&args), CKR_ARGUMENTS_BAD);
	/* Some callbacks but not all four. */
	memset(&args, 0, sizeof(args));
	args.CreateMutex = dummy_create;
	args.flags = CKF_OS_LOCKING_OK;
	assert_int_equal(f->C_Initialize(&args), CKR_ARGUMENTS_BAD);
	assert_int_equal(f->C_GetInfo(&(CK_INFO){0}), CKR_CRYPTOKI_NOT_INITIALIZED);
	/* None given, OS locking allowed: fine. */
	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	assert_int_equal(f->C_Initialize(&args), CKR_OK);
	assert_int_equal(f->C_Finalize(&reserved), CKR_ARGUMENTS_BAD);
	assert_int_equal(f->C_Finalize(NULL), CKR_OK);
}
static void assert_padded(const CK_UTF8CHAR *field, size_t len, const char *text)
{
	size_t n = strlen(text), i;

	assert_memory_equal(field, text, n);
	for (i = n; i < len; i++)
		assert_int_equal(field[i], ' ');
}

static void get_info_reports_version_3_0_and_the_library(void **state)
{
	CK_FUNCTION_LIST_3_0 *f = fl(state);
	CK_INFO info;
	unsigned major = 0, minor = 0;

	assert_int_equal(f->C_Initialize(NULL), CKR_OK);
	assert_int_equal(f->C_GetInfo(NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(f->C_GetInfo(&info), CKR_OK);
	assert_int_equal(info.cryptokiVersion.major, 3);
	assert_int_equal(info.cryptokiVersion.minor, 0);
	assert_padded(info.manufacturerID, sizeof(info.manufacturerID), "kinko");
	assert_int_equal(info.flags, 0);
	assert_true(info.libraryDescription[0] != ' ');
	assert_int_equal(sscanf(PACKAGE_VERSION, "%u.%u", &major, &minor), 2);
	assert_int_equal(info.libraryVersion.major, major);
	assert_int_equal(info.libraryVersion.minor, minor);
}

static void unsupported_functions_answer_not_supported(void **state)
{
	p11t *t = *state;
	CK_FUNCTION_LIST_3_0 *f = t->f;
	CK_SESSION_HANDLE h;
	CK_MECHANISM mech = {CKM_ECDSA, NULL, 0};
	CK_BYTE buf[64];
	CK_ULONG len = sizeof(buf);

	p11t_initialize_open(t, CKF_RW_SESSION);
	h = t->session;
	assert_int_equal(f->C_InitToken(t->slots[0], (CK_UTF8CHAR_PTR) "12345678", 8,
	                                (CK_UTF8CHAR_PTR) "label"),
	                 CKR_FUNCTION_NOT_SUPPORTED);
	assert_int_equal(f->C_GetOperationState(h, buf, &len), CKR_FUNCTION_NOT_SUPPORTED);
	assert_int_equal(f->C_SetOperationState(h, buf, len, 0, 0), CKR_FUNCTION_NOT_SUPPORTED);
	assert_int_equal(f->C_GetFunctionStatus(h), CKR_FUNCTION_NOT_PARALLEL);
	assert_int_equal(f->C_CancelFunction(h), CKR_FUNCTION_NOT_PARALLEL);
	/* message-based: no mechanism offers it, so no such operation is ever active */
	assert_int_equal(f->C_MessageSignInit(h, &mech, 1), CKR_MECHANISM_INVALID);
	assert_int_equal(f->C_MessageEncryptInit(h, &mech, 1), CKR_MECHANISM_INVALID);
	assert_int_equal(f->C_VerifyMessageBegin(h, NULL, 0), CKR_OPERATION_NOT_INITIALIZED);
	/* Nothing active: cancelling succeeds and changes nothing. */
	assert_int_equal(f->C_SessionCancel(h, CKF_SIGN | CKF_VERIFY | CKF_FIND_OBJECTS), CKR_OK);
	assert_int_equal(f->C_SessionCancel(h + 1000, CKF_SIGN), CKR_SESSION_HANDLE_INVALID);
}

/* No token anywhere: C_Initialize and C_GetSlotList must not wait for anything. The
 * target is 1 ms; the bound is generous so a loaded CI machine does not fail it. */
static void initialize_and_slot_list_without_token_are_instant(void **state)
{
	CK_FUNCTION_LIST_3_0 *f = fl(state);
	char *saved = strdup(getenv("KINKO_EMU_SOCKETS"));
	double t0, t1, t2;
	CK_SLOT_ID slots[2];
	CK_ULONG n_all = 2, n_present = 2;
	CK_RV rv_init, rv_all, rv_present;

	assert_non_null(saved);
	setenv("KINKO_EMU_SOCKETS", "/nonexistent-kinko/ccid.sock", 1);
	t0 = tkit_now_ms();
	rv_init = f->C_Initialize(NULL);
	rv_all = f->C_GetSlotList(CK_FALSE, slots, &n_all);
	t1 = tkit_now_ms();
	rv_present = f->C_GetSlotList(CK_TRUE, slots, &n_present);
	t2 = tkit_now_ms();
	setenv("KINKO_EMU_SOCKETS", saved, 1);
	free(saved);
	printf("# C_Initialize + C_GetSlotList(FALSE): %.3f ms; C_GetSlotList(TRUE): %.3f ms\n",
	       t1 - t0, t2 - t1);
	assert_int_equal(rv_init, CKR_OK);
	assert_int_equal(rv_all, CKR_OK);
	assert_int_equal(n_all, 1);
	assert_int_equal(rv_present, CKR_OK);
	assert_int_equal(n_present, 0);
	assert_true(t1 - t0 < 50.0);
	assert_true(t2 - t1 < 50.0);
}
/* KINKO_DEBUG=p11 (set in main) names each call and its result, and never a PIN. */
static void p11_trace_names_calls_and_results_but_no_pin(void **state)
{
	p11t *t = *state;
	CK_FUNCTION_LIST_3_0 *f = t->f;
	tkit_capture cap;
	char *text;
	CK_SLOT_ID slot;
	CK_ULONG n = 1;
	CK_SESSION_HANDLE h;

	tkit_capture_begin(&cap);
	(void)f->C_GetInfo(&(CK_INFO){0});
	(void)f->C_Initialize(NULL);
	(void)f->C_GetSlotList(CK_TRUE, &slot, &n);
	(void)f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &h);
	(void)f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR) "654321", 6);
	text = tkit_capture_end(&cap);
	assert_non_null(strstr(text, "C_GetInfo -> CKR_CRYPTOKI_NOT_INITIALIZED"));
	assert_non_null(strstr(text, "C_Initialize -> CKR_OK"));
	assert_non_null(strstr(text, "C_Login -> CKR_PIN_INCORRECT"));
	assert_null(strstr(text, "654321"));
	free(text);
	assert_int_equal(f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)PIN, 6), CKR_OK);
}

#define T(name) cmocka_unit_test_teardown(name, p11t_finalize_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(interface_list_offers_3_0_and_2_40),
		T(get_interface_selects_by_name_version_and_flags),
		T(every_function_pointer_is_set),
		T(calls_before_initialize_answer_not_initialized),
		T(initialize_twice_answers_already_initialized),
		T(initialize_rejects_bad_arguments),
		T(get_info_reports_version_3_0_and_the_library),
		T(unsupported_functions_answer_not_supported),
		T(initialize_and_slot_list_without_token_are_instant),
		T(p11_trace_names_calls_and_results_but_no_pin),
	};

	/* Read once, at the module's first call: before any. */
	setenv("KINKO_DEBUG", "p11", 1);

	return cmocka_run_group_tests(tests, p11t_group_setup_uninitialized_1, p11t_group_teardown);
}
