/* The PKCS#11 module over emulated kinko USB tokens (umockdev, the module's own libusb):
 * slots per token, the configuration keys, login, key generation, signatures verified with
 * OpenSSL, certificate write, C_WaitForSlotEvent across unplug, re-plug and a token in a
 * new port, unplug during a signature, two tokens at once, and the interface released
 * after every call. pkcs11-tool: test_usb_tool.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "p11_obj_test_util.h"
#include "piv.h"
#include "sig_test_util.h"
#include "time_test_util.h"
#include "usb_p11_fixture.h"

static int setup_one(void **state)
{
	return mfx_setup(state, 1, MFX_CONF_USB, 1);
}

static int setup_two(void **state)
{
	return mfx_setup(state, 2, MFX_CONF_USB, 2);
}

static int setup_other_ids(void **state)
{
	return mfx_setup(state, 1, "usb = yes\nusb_vid_pid = 1209:0001\n", 0);
}

static int setup_usb_off(void **state)
{
	return mfx_setup(state, 1, "usb = no\n", 0);
}

static int teardown(void **state)
{
	return mfx_teardown(state);
}

static void token_serial(mfx *m, CK_SLOT_ID slot, char out[17])
{
	CK_TOKEN_INFO ti;

	assert_int_equal(m->t.f->C_GetTokenInfo(slot, &ti), CKR_OK);
	memcpy(out, ti.serialNumber, 16);
	out[16] = '\0';
}

/* ---- slots ---- */

static void each_usb_token_is_a_slot_with_its_serial(void **state)
{
	mfx *m = *state;
	CK_SLOT_INFO si;
	char serial[17], want[17];

	assert_int_equal(m->t.f->C_GetSlotInfo(m->t.slots[0], &si), CKR_OK);
	assert_true(si.flags & CKF_TOKEN_PRESENT);
	assert_true(si.flags & CKF_REMOVABLE_DEVICE);
	assert_memory_equal(si.slotDescription, "kinko USB token usb:1-1",
	                    strlen("kinko USB token usb:1-1"));
	token_serial(m, m->t.slots[0], serial);
	snprintf(want, sizeof(want), "%u", MFX_SERIAL_A);
	assert_memory_equal(serial, want, strlen(want));
	token_serial(m, m->t.slots[1], serial);
	snprintf(want, sizeof(want), "%u", MFX_SERIAL_B);
	assert_memory_equal(serial, want, strlen(want));
}

/* The setups checked the slot count (none); C_GetSlotList(FALSE) agrees. */
static void no_slot_at_all(mfx *m)
{
	CK_ULONG n = 0;

	assert_int_equal(m->t.f->C_GetSlotList(CK_FALSE, NULL, &n), CKR_OK);
	assert_int_equal(n, 0);
}

static void other_vid_pid_in_the_config_finds_no_token(void **state)
{
	no_slot_at_all(*state);
}

static void usb_off_in_the_config_finds_no_token(void **state)
{
	no_slot_at_all(*state);
}

/* ---- login, keys, signatures, certificates ---- */

static void generate_sign_verify(mfx *m, CK_SESSION_HANDLE session, CK_BYTE id)
{
	sigt_keypair kp;
	CK_SESSION_HANDLE keep = m->t.session;

	m->t.session = session;
	sigt_keypair_make(&m->t, &kp, 0, "P-256", id);
	{
		CK_MECHANISM mech = {CKM_ECDSA_SHA256, NULL, 0};
		static const char msg[] = "kinko over USB";
		CK_BYTE sig[128];
		CK_ULONG sig_len = sizeof(sig);

		assert_int_equal(m->t.f->C_SignInit(session, &mech, kp.priv), CKR_OK);
		assert_int_equal(m->t.f->C_Sign(session, (CK_BYTE_PTR)msg, sizeof(msg) - 1, sig,
		                                &sig_len),
		                 CKR_OK);
		assert_int_equal(sigt_verify(kp.pkey, CKM_ECDSA_SHA256, NULL, (const uint8_t *)msg,
		                             sizeof(msg) - 1, sig, sig_len),
		                 1);
	}
	EVP_PKEY_free(kp.pkey);
	m->t.session = keep;
}

static void login_generate_sign_and_write_certificate(void **state)
{
	mfx *m = *state;
	CK_OBJECT_HANDLE cert = 0, pub;
	unsigned char *der;
	size_t der_len = 0;

	p11t_login(&m->t);
	generate_sign_verify(m, m->t.session, 0x01);
	pub = p11t_find_one(&m->t, CKO_PUBLIC_KEY, (const CK_BYTE[]){1}, 1);
	assert_int_not_equal(pub, 0);
	der = objt_cert_for(&m->t, pub, "kinko usb", &der_len, NULL);
	assert_non_null(der);
	assert_int_equal(objt_write_cert(&m->t, der, der_len, 0x01, &cert), CKR_OK);
	assert_int_not_equal(p11t_find_one(&m->t, CKO_CERTIFICATE, (const CK_BYTE[]){1}, 1), 0);
	OPENSSL_free(der);
}

static void interface_is_released_after_every_call(void **state)
{
	mfx *m = *state;
	CK_SESSION_INFO info;

	CK_TOKEN_INFO ti;

	assert_int_equal(m->t.f->C_GetTokenInfo(m->t.slots[0], &ti), CKR_OK);
	assert_false(umock_token_claimed(m->tok[0]));
	p11t_login(&m->t);
	assert_false(umock_token_claimed(m->tok[0]));
	generate_sign_verify(m, m->t.session, 0x01);
	assert_false(umock_token_claimed(m->tok[0]));
	assert_int_not_equal(p11t_find_one(&m->t, CKO_PUBLIC_KEY, (const CK_BYTE[]){1}, 1), 0);
	assert_false(umock_token_claimed(m->tok[0]));
	assert_int_equal(m->t.f->C_Logout(m->t.session), CKR_OK);
	assert_false(umock_token_claimed(m->tok[0]));
	assert_int_equal(m->t.f->C_GetSessionInfo(m->t.session, &info), CKR_OK);
	assert_int_equal(info.state, CKS_RW_PUBLIC_SESSION);
}

/* Another application reset the token between two of our calls: our next signature
 * re-SELECTs, VERIFYs again and signs inside one claim of the interface, so nobody can
 * come between the VERIFY and the signature. */
static void restore_and_signature_are_one_claim(void **state)
{
	mfx *m = *state;
	sigt_keypair kp;
	CK_MECHANISM mech = {CKM_ECDSA_SHA256, NULL, 0};
	static const char msg[] = "one batch";
	CK_BYTE sig[128];
	CK_ULONG sig_len = sizeof(sig);
	unsigned long claims, messages;

	p11t_login(&m->t);
	sigt_keypair_make(&m->t, &kp, 0, "P-256", 0x01);
	umock_token_reset(m->tok[0]);
	claims = umock_token_claims(m->tok[0]);
	messages = umock_token_messages(m->tok[0]);
	assert_int_equal(m->t.f->C_SignInit(m->t.session, &mech, kp.priv), CKR_OK);
	assert_int_equal(m->t.f->C_Sign(m->t.session, (CK_BYTE_PTR)msg, sizeof(msg) - 1, sig,
	                                &sig_len),
	                 CKR_OK);
	assert_int_equal(sigt_verify(kp.pkey, CKM_ECDSA_SHA256, NULL, (const uint8_t *)msg,
	                             sizeof(msg) - 1, sig, sig_len),
	                 1);
	/* Refused, SELECT, refused, VERIFY, signed: five commands, one claim. */
	assert_true(umock_token_messages(m->tok[0]) - messages >= 5);
	assert_int_equal(umock_token_claims(m->tok[0]) - claims, 1);
	assert_false(umock_token_claimed(m->tok[0]));
	EVP_PKEY_free(kp.pkey);
}

static void two_tokens_sign_at_once(void **state)
{
	mfx *m = *state;
	CK_SESSION_HANDLE s2;

	assert_int_equal(m->t.f->C_OpenSession(m->t.slots[1], CKF_SERIAL_SESSION | CKF_RW_SESSION,
	                                       NULL, NULL, &s2),
	                 CKR_OK);
	p11t_login(&m->t);
	assert_int_equal(m->t.f->C_Login(s2, CKU_USER, (CK_UTF8CHAR_PTR) "123456", 6), CKR_OK);
	/* 9A on both (CKA_ID 01): 9C would want a context-specific login per signature. */
	generate_sign_verify(m, m->t.session, 0x01);
	generate_sign_verify(m, s2, 0x01);
}

/* ---- removal ---- */

static void wait_in_thread(mfx *m, void (*act)(umock_token *), umock_token *tok, CK_SLOT_ID want)
{
	p11t_waiter w;

	p11t_waiter_start(&w, m->t.f);
	tkit_sleep_ms(200);
	act(tok);
	p11t_waiter_join(&w);
	assert_int_equal(w.rv, CKR_OK);
	assert_int_equal(w.slot, want);
}

static void do_unplug(umock_token *t)
{
	umock_token_unplug(t);
}

static void do_replug(umock_token *t)
{
	assert_int_equal(umock_token_replug(t), 0);
}

static void unplug_and_replug_are_slot_events_and_the_slot_works_again(void **state)
{
	mfx *m = *state;
	CK_SLOT_ID slot = m->t.slots[0];
	CK_SESSION_INFO info;
	CK_SLOT_INFO si;
	CK_SLOT_ID ev;

	/* Nothing pending at first. */
	assert_int_equal(m->t.f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &ev, NULL), CKR_NO_EVENT);
	p11t_login(&m->t);
	wait_in_thread(m, do_unplug, m->tok[0], slot);
	assert_int_equal(m->t.f->C_GetSessionInfo(m->t.session, &info), CKR_DEVICE_REMOVED);
	assert_int_equal(m->t.f->C_GetSlotInfo(slot, &si), CKR_OK);
	assert_false(si.flags & CKF_TOKEN_PRESENT);

	wait_in_thread(m, do_replug, m->tok[0], slot);
	assert_int_equal(m->t.f->C_GetSlotInfo(slot, &si), CKR_OK);
	assert_true(si.flags & CKF_TOKEN_PRESENT);
	/* Same slot id, a new session, and the token works. */
	assert_int_equal(m->t.f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
	                                       NULL, &m->t.session),
	                 CKR_OK);
	p11t_login(&m->t);
	generate_sign_verify(m, m->t.session, 0x01);
}

static void token_in_a_new_port_is_a_new_slot_and_an_event(void **state)
{
	mfx *m = *state;
	p11t_waiter w;
	char serial[17], want[17];

	p11t_waiter_start(&w, m->t.f);
	tkit_sleep_ms(200);
	m->tok[1] = umock_token_plug(m->bed, 2, &(tok_provision_opts){.serial = MFX_SERIAL_B});
	assert_non_null(m->tok[1]);
	p11t_waiter_join(&w);
	assert_int_equal(w.rv, CKR_OK);
	assert_int_equal(w.slot, m->t.slots[0] + 1);
	assert_int_equal(mfx_slots(m), 2);
	assert_int_equal(m->t.slots[1], w.slot);
	token_serial(m, w.slot, serial);
	snprintf(want, sizeof(want), "%u", MFX_SERIAL_B);
	assert_memory_equal(serial, want, strlen(want));
}

static void unplug_during_signature_is_device_removed_without_hanging(void **state)
{
	mfx *m = *state;
	sigt_keypair kp;
	CK_MECHANISM mech = {CKM_ECDSA_SHA256, NULL, 0};
	CK_BYTE sig[128];
	CK_ULONG sig_len = sizeof(sig);
	CK_SESSION_INFO info;
	double t0;

	p11t_login(&m->t);
	sigt_keypair_make(&m->t, &kp, 0, "P-256", 0x01);
	assert_int_equal(m->t.f->C_SignInit(m->t.session, &mech, kp.priv), CKR_OK);
	umock_token_fault(m->tok[0], PIV_INS_GENERAL_AUTH, UMOCK_FAULT_UNPLUG);
	t0 = tkit_now_ms();
	assert_int_equal(m->t.f->C_Sign(m->t.session, (CK_BYTE_PTR) "x", 1, sig, &sig_len),
	                 CKR_DEVICE_REMOVED);
	assert_true(tkit_now_ms() - t0 < 3000);
	umock_token_unplug(m->tok[0]);
	/* Said once, then the handle is gone. */
	assert_int_equal(m->t.f->C_GetSessionInfo(m->t.session, &info), CKR_DEVICE_REMOVED);
	assert_int_equal(m->t.f->C_GetSessionInfo(m->t.session, &info), CKR_SESSION_HANDLE_INVALID);
	EVP_PKEY_free(kp.pkey);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(each_usb_token_is_a_slot_with_its_serial, setup_two,
	                                        teardown),
		cmocka_unit_test_setup_teardown(other_vid_pid_in_the_config_finds_no_token,
	                                        setup_other_ids, teardown),
		cmocka_unit_test_setup_teardown(usb_off_in_the_config_finds_no_token, setup_usb_off,
	                                        teardown),
		cmocka_unit_test_setup_teardown(login_generate_sign_and_write_certificate,
	                                        setup_one, teardown),
		cmocka_unit_test_setup_teardown(interface_is_released_after_every_call, setup_one,
	                                        teardown),
		cmocka_unit_test_setup_teardown(restore_and_signature_are_one_claim, setup_one,
	                                        teardown),
		cmocka_unit_test_setup_teardown(two_tokens_sign_at_once, setup_two, teardown),
		cmocka_unit_test_setup_teardown(
			unplug_and_replug_are_slot_events_and_the_slot_works_again, setup_one,
			teardown),
		cmocka_unit_test_setup_teardown(token_in_a_new_port_is_a_new_slot_and_an_event,
	                                        setup_one, teardown),
		cmocka_unit_test_setup_teardown(
			unplug_during_signature_is_device_removed_without_hanging, setup_one,
			teardown),
	};

	(void)argc;
	umock_bed_reexec(argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
