/* Slots and tokens through the module: slot and token information (before C_GetSlotList
 * too, the JDK's order), the two-call list pattern, the PIN flags the tries produce, the
 * factory token's must-change flag, presence, two tokens, the mechanism list. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "p11_test_util.h"
#include "time_test_util.h"

#define PIN "123456"
#define WRONG "654321"
#define SERIAL 4242421u

static int setup_1(void **state)
{
	static const char *const init[] = {"--serial", "4242421", NULL};

	return p11t_state_setup(state, 1, init, true);
}

static int setup_2(void **state)
{
	return p11t_state_setup(state, 2, NULL, true);
}

static int setup_must_change(void **state)
{
	static const char *const init[] = {"--pin-must-change", NULL};

	return p11t_state_setup(state, 1, init, true);
}

static int setup_uninitialized(void **state)
{
	return p11t_state_setup(state, 1, NULL, false);
}

static void assert_padded(const CK_UTF8CHAR *field, size_t len, const char *text)
{
	size_t n = strlen(text), i;

	assert_true(n <= len);
	assert_memory_equal(field, text, n);
	for (i = n; i < len; i++)
		assert_int_equal(field[i], ' ');
}

static CK_FLAGS token_flags(p11t *t, CK_SLOT_ID slot)
{
	CK_TOKEN_INFO ti;

	assert_int_equal(t->f->C_GetTokenInfo(slot, &ti), CKR_OK);
	return ti.flags;
}

#define PIN_FLAGS (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED)

/* The JDK asks C_GetSlotInfo and C_GetTokenInfo of slot 0 before any C_GetSlotList. */
static void slot_and_token_info_work_before_slot_list(void **state)
{
	p11t *t = *state;
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;

	assert_int_equal(t->f->C_Initialize(NULL), CKR_OK);
	assert_int_equal(t->f->C_GetSlotInfo(0, &si), CKR_OK);
	assert_int_equal(si.flags, CKF_REMOVABLE_DEVICE | CKF_HW_SLOT | CKF_TOKEN_PRESENT);
	assert_padded(si.manufacturerID, sizeof(si.manufacturerID), "kinko");
	assert_true(si.slotDescription[0] != ' ');
	assert_int_equal(t->f->C_GetTokenInfo(0, &ti), CKR_OK);
	assert_padded(ti.manufacturerID, sizeof(ti.manufacturerID), "kinko");
	assert_int_equal(t->f->C_GetSlotInfo(1, &si), CKR_SLOT_ID_INVALID);
	assert_int_equal(t->f->C_GetTokenInfo(1, &ti), CKR_SLOT_ID_INVALID);
	assert_int_equal(t->f->C_GetSlotInfo(0, NULL), CKR_ARGUMENTS_BAD);
	assert_int_equal(t->f->C_GetTokenInfo(0, NULL), CKR_ARGUMENTS_BAD);
}

static void slot_list_uses_the_two_call_pattern(void **state)
{
	p11t *t = *state;
	CK_SLOT_ID slots[4] = {99, 99, 99, 99};
	CK_ULONG n = 0;

	assert_int_equal(t->f->C_GetSlotList(CK_FALSE, NULL, &n), CKR_OK);
	assert_int_equal(n, 2);
	n = 1;
	assert_int_equal(t->f->C_GetSlotList(CK_FALSE, slots, &n), CKR_BUFFER_TOO_SMALL);
	assert_int_equal(n, 2);
	n = 4;
	assert_int_equal(t->f->C_GetSlotList(CK_TRUE, slots, &n), CKR_OK);
	assert_int_equal(n, 2);
	assert_int_equal(slots[0], 0);
	assert_int_equal(slots[1], 1);
	assert_int_equal(t->f->C_GetSlotList(CK_TRUE, slots, NULL), CKR_ARGUMENTS_BAD);
}

static void token_info_describes_the_token(void **state)
{
	p11t *t = *state;
	CK_TOKEN_INFO ti;
	CK_SESSION_HANDLE ro;
	char label[40], serial[20];
	size_t i;

	assert_int_equal(t->f->C_OpenSession(t->slots[0], CKF_SERIAL_SESSION, NULL, NULL, &ro),
	                 CKR_OK);
	assert_int_equal(t->f->C_GetTokenInfo(t->slots[0], &ti), CKR_OK);
	snprintf(label, sizeof(label), "kinko PIV #%u", SERIAL);
	snprintf(serial, sizeof(serial), "%u", SERIAL);
	assert_padded(ti.label, sizeof(ti.label), label);
	assert_padded(ti.manufacturerID, sizeof(ti.manufacturerID), "kinko");
	assert_padded(ti.model, sizeof(ti.model), "PIV");
	assert_padded(ti.serialNumber, sizeof(ti.serialNumber), serial);
	assert_int_equal(ti.flags & ~CKF_USER_PIN_TO_BE_CHANGED, CKF_RNG | CKF_LOGIN_REQUIRED |
	                                                                 CKF_USER_PIN_INITIALIZED |
	                                                                 CKF_TOKEN_INITIALIZED);
	assert_int_equal(ti.ulMaxSessionCount, CK_EFFECTIVELY_INFINITE);
	assert_int_equal(ti.ulMaxRwSessionCount, CK_EFFECTIVELY_INFINITE);
	assert_int_equal(ti.ulSessionCount, 2);
	assert_int_equal(ti.ulRwSessionCount, 1);
	assert_int_equal(ti.ulMinPinLen, 6);
	assert_int_equal(ti.ulMaxPinLen, 8);
	assert_int_equal(ti.ulTotalPublicMemory, CK_UNAVAILABLE_INFORMATION);
	assert_int_equal(ti.ulFreePublicMemory, CK_UNAVAILABLE_INFORMATION);
	assert_int_equal(ti.ulTotalPrivateMemory, CK_UNAVAILABLE_INFORMATION);
	assert_int_equal(ti.ulFreePrivateMemory, CK_UNAVAILABLE_INFORMATION);
	assert_true(ti.firmwareVersion.major != 0 || ti.firmwareVersion.minor != 0);
	for (i = 0; i < sizeof(ti.utcTime); i++)
		assert_int_equal(ti.utcTime[i], ' ');
	assert_int_equal(t->f->C_CloseSession(ro), CKR_OK);
	assert_int_equal(t->f->C_GetTokenInfo(t->slots[0], &ti), CKR_OK);
	assert_int_equal(ti.ulSessionCount, 1);
}

/* 3 tries: one wrong leaves 2 (COUNT_LOW), two leave 1 (FINAL_TRY), three lock. */
static void pin_flags_follow_wrong_pins_to_the_lock(void **state)
{
	p11t *t = *state;
	CK_SLOT_ID slot = t->slots[0];

	assert_int_equal(token_flags(t, slot) & PIN_FLAGS, 0);
	assert_int_equal(t->f->C_Login(t->session, CKU_USER, (CK_UTF8CHAR_PTR)WRONG, 6),
	                 CKR_PIN_INCORRECT);
	assert_int_equal(token_flags(t, slot) & PIN_FLAGS, CKF_USER_PIN_COUNT_LOW);
	assert_int_equal(t->f->C_Login(t->session, CKU_USER, (CK_UTF8CHAR_PTR)WRONG, 6),
	                 CKR_PIN_INCORRECT);
	assert_int_equal(token_flags(t, slot) & PIN_FLAGS,
	                 CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY);
	assert_int_equal(t->f->C_Login(t->session, CKU_USER, (CK_UTF8CHAR_PTR)WRONG, 6),
	                 CKR_PIN_INCORRECT);
	assert_int_equal(token_flags(t, slot) & PIN_FLAGS, CKF_USER_PIN_LOCKED);
	assert_int_equal(t->f->C_Login(t->session, CKU_USER, (CK_UTF8CHAR_PTR)PIN, 6),
	                 CKR_PIN_LOCKED);
	assert_int_equal(token_flags(t, slot) & PIN_FLAGS, CKF_USER_PIN_LOCKED);
}

/* A right PIN after a wrong one restores the count. */
static void right_pin_clears_count_low(void **state)
{
	p11t *t = *state;

	assert_int_equal(t->f->C_Login(t->session, CKU_USER, (CK_UTF8CHAR_PTR)WRONG, 6),
	                 CKR_PIN_INCORRECT);
	assert_int_equal(token_flags(t, t->slots[0]) & PIN_FLAGS, CKF_USER_PIN_COUNT_LOW);
	p11t_login(t);
	assert_int_equal(token_flags(t, t->slots[0]) & PIN_FLAGS, 0);
}

static void factory_pin_must_be_changed(void **state)
{
	p11t *t = *state;

	assert_true(token_flags(t, t->slots[0]) & CKF_USER_PIN_TO_BE_CHANGED);
	assert_int_equal(t->f->C_SetPIN(t->session, (CK_UTF8CHAR_PTR)PIN, 6,
	                                (CK_UTF8CHAR_PTR) "24681357", 8),
	                 CKR_OK);
	assert_false(token_flags(t, t->slots[0]) & CKF_USER_PIN_TO_BE_CHANGED);
}

static void two_emulators_are_two_slots(void **state)
{
	p11t *t = *state;
	CK_TOKEN_INFO a, b;
	CK_SLOT_INFO sa, sb;

	assert_int_equal(t->f->C_GetTokenInfo(t->slots[0], &a), CKR_OK);
	assert_int_equal(t->f->C_GetTokenInfo(t->slots[1], &b), CKR_OK);
	assert_memory_not_equal(a.serialNumber, b.serialNumber, sizeof(a.serialNumber));
	assert_memory_not_equal(a.label, b.label, sizeof(a.label));
	assert_int_equal(t->f->C_GetSlotInfo(t->slots[0], &sa), CKR_OK);
	assert_int_equal(t->f->C_GetSlotInfo(t->slots[1], &sb), CKR_OK);
	assert_memory_not_equal(sa.slotDescription, sb.slotDescription, sizeof(sa.slotDescription));
	/* A login on one slot is not a login on the other. */
	p11t_login(t);
	{
		CK_SESSION_HANDLE h;
		CK_SESSION_INFO si;

		assert_int_equal(t->f->C_OpenSession(t->slots[1], CKF_SERIAL_SESSION, NULL, NULL,
		                                     &h),
		                 CKR_OK);
		assert_int_equal(t->f->C_GetSessionInfo(h, &si), CKR_OK);
		assert_int_equal(si.state, CKS_RO_PUBLIC_SESSION);
		assert_int_equal(si.slotID, t->slots[1]);
	}
}

/* Waits (up to 5 s) until C_GetSlotList(TRUE) counts want tokens. */
static void wait_present_count(p11t *t, CK_ULONG want)
{
	CK_ULONG n = 0;
	int i;

	for (i = 0; i < 500; i++) {
		n = 0;
		assert_int_equal(t->f->C_GetSlotList(CK_TRUE, NULL, &n), CKR_OK);
		if (n == want)
			return;
		tkit_sleep_ms(10);
	}
	assert_int_equal(n, want);
}

static void removed_token_leaves_present_list_and_returns(void **state)
{
	p11t *t = *state;
	CK_SLOT_ID slots[2];
	CK_ULONG n = 2;
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;
	CK_SESSION_HANDLE h;

	assert_int_equal(emu_signal(&t->emu[1], SIGUSR1), 0);
	wait_present_count(t, 1);
	assert_int_equal(t->f->C_GetSlotList(CK_TRUE, slots, &n), CKR_OK);
	assert_int_equal(slots[0], t->slots[0]);
	n = 2;
	assert_int_equal(t->f->C_GetSlotList(CK_FALSE, slots, &n), CKR_OK);
	assert_int_equal(n, 2);
	assert_int_equal(t->f->C_GetSlotInfo(t->slots[1], &si), CKR_OK);
	assert_int_equal(si.flags, CKF_REMOVABLE_DEVICE | CKF_HW_SLOT);
	assert_int_equal(t->f->C_GetTokenInfo(t->slots[1], &ti), CKR_TOKEN_NOT_PRESENT);
	assert_int_equal(t->f->C_OpenSession(t->slots[1], CKF_SERIAL_SESSION, NULL, NULL, &h),
	                 CKR_TOKEN_NOT_PRESENT);
	assert_int_equal(emu_signal(&t->emu[1], SIGUSR2), 0);
	wait_present_count(t, 2);
	assert_int_equal(t->f->C_GetTokenInfo(t->slots[1], &ti), CKR_OK);
}

static void mechanism_list_uses_the_two_call_pattern(void **state)
{
	p11t *t = *state;
	CK_MECHANISM_TYPE *mechs;
	CK_MECHANISM_INFO info;
	CK_ULONG n = 0, i, small;

	assert_int_equal(t->f->C_GetMechanismList(t->slots[0], NULL, &n), CKR_OK);
	assert_true(n > 0);
	mechs = calloc(n, sizeof(*mechs));
	assert_non_null(mechs);
	small = n - 1;
	assert_int_equal(t->f->C_GetMechanismList(t->slots[0], mechs, &small),
	                 CKR_BUFFER_TOO_SMALL);
	assert_int_equal(small, n);
	assert_int_equal(t->f->C_GetMechanismList(t->slots[0], mechs, &n), CKR_OK);
	for (i = 0; i < n; i++) {
		assert_int_equal(t->f->C_GetMechanismInfo(t->slots[0], mechs[i], &info), CKR_OK);
		assert_true(info.flags != 0);
	}
	free(mechs);
	assert_int_equal(t->f->C_GetMechanismInfo(t->slots[0], CKM_VENDOR_DEFINED + 77, &info),
	                 CKR_MECHANISM_INVALID);
	assert_int_equal(t->f->C_GetMechanismList(42, NULL, &n), CKR_SLOT_ID_INVALID);
	assert_int_equal(t->f->C_GetMechanismList(t->slots[0], NULL, NULL), CKR_ARGUMENTS_BAD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(slot_and_token_info_work_before_slot_list,
	                                        setup_uninitialized, p11t_group_teardown),
		cmocka_unit_test_setup_teardown(slot_list_uses_the_two_call_pattern, setup_2,
	                                        p11t_group_teardown),
		cmocka_unit_test_setup_teardown(token_info_describes_the_token, setup_1,
	                                        p11t_group_teardown),
		cmocka_unit_test_setup_teardown(pin_flags_follow_wrong_pins_to_the_lock, setup_1,
	                                        p11t_group_teardown),
		cmocka_unit_test_setup_teardown(right_pin_clears_count_low, setup_1,
	                                        p11t_group_teardown),
		cmocka_unit_test_setup_teardown(factory_pin_must_be_changed, setup_must_change,
	                                        p11t_group_teardown),
		cmocka_unit_test_setup_teardown(two_emulators_are_two_slots, setup_2,
	                                        p11t_group_teardown),
		cmocka_unit_test_setup_teardown(removed_token_leaves_present_list_and_returns,
	                                        setup_2, p11t_group_teardown),
		cmocka_unit_test_setup_teardown(mechanism_list_uses_the_two_call_pattern, setup_1,
	                                        p11t_group_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
