/* The module over a real pcscd (run by tests/pkcs11/test_p11_pcsc_live.sh, which starts the
 * kit's private pcscd with two vsmartcard-vpcd readers and a kinko-token-emu --vpcd card in
 * each): the slot list names the readers; login, key generation, signature and certificate
 * write; PIN lockout and unblock; removal and re-insertion through the emulator's control
 * socket; two processes signing on one card at once; another application's transaction
 * delaying our signature. The environment names the readers
 * (P11_PCSC_READER_A/B, prefixes of the reader names), the tokens' serials
 * (P11_PCSC_SERIAL_A/B) and card A's control socket (P11_PCSC_CONTROL_A). The cases run in
 * order on the same two tokens: the signatures use the key the second case made. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <winscard.h>

#include "emu_client.h"
#include "p11_obj_test_util.h"
#include "p11_test_util.h"
#include "time_test_util.h"

#define LIVE_SIGNATURES 15

/* The slot whose description starts with the reader name in env var, into *id. */
static bool live_find(p11t *t, const char *var, CK_SLOT_ID *id)
{
	const char *want = getenv(var);
	CK_SLOT_ID ids[16];
	CK_ULONG n = 16, i;
	CK_SLOT_INFO si;

	if (!want || t->f->C_GetSlotList(CK_FALSE, ids, &n) != CKR_OK)
		return false;
	for (i = 0; i < n; i++) {
		if (t->f->C_GetSlotInfo(ids[i], &si) == CKR_OK &&
		    strncmp((const char *)si.slotDescription, want, strlen(want)) == 0) {
			*id = ids[i];
			return true;
		}
	}
	return false;
}

static CK_SLOT_ID live_slot(p11t *t, const char *var)
{
	CK_SLOT_ID id = 0;

	if (!live_find(t, var, &id))
		fail_msg("no slot named after the reader in %s", var);
	return id;
}

static int live_setup(void **state)
{
	p11t *t;

	if (p11t_state_setup(state, 0, NULL, false) != 0)
		return -1;
	t = *state;
	if (t->f->C_Initialize(NULL) != CKR_OK)
		return -1;
	return 0;
}

static void live_open(p11t *t, const char *var)
{
	t->slots[0] = live_slot(t, var);
	assert_int_equal(t->f->C_OpenSession(t->slots[0], CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
	                                     NULL, &t->session),
	                 CKR_OK);
}

static void the_slots_are_the_readers_with_their_tokens(void **state)
{
	p11t *t = *state;
	const char *vars[2] = {"P11_PCSC_READER_A", "P11_PCSC_READER_B"};
	const char *serials[2] = {"P11_PCSC_SERIAL_A", "P11_PCSC_SERIAL_B"};
	CK_TOKEN_INFO ti;
	char label[33];
	int i;

	for (i = 0; i < 2; i++) {
		assert_int_equal(t->f->C_GetTokenInfo(live_slot(t, vars[i]), &ti), CKR_OK);
		snprintf(label, sizeof(label), "kinko PIV #%s", getenv(serials[i]));
		assert_memory_equal(ti.label, label, strlen(label));
	}
}

static void login_keygen_sign_and_certificate_write(void **state)
{
	p11t *t = *state;
	CK_OBJECT_HANDLE pub, priv, cert;
	unsigned char *der;
	size_t len = 0;

	live_open(t, "P11_PCSC_READER_A");
	p11t_login(t);
	p11t_generate(t, 0, "P-256", (const CK_BYTE *)"\x01", 1, &pub, &priv);
	assert_int_equal(p11t_sign_once(t, priv), CKR_OK);
	der = objt_cert_for(t, pub, "kinko over PC/SC", &len, NULL);
	assert_non_null(der);
	assert_int_equal(objt_write_cert(t, der, len, 0x01, &cert), CKR_OK);
	OPENSSL_free(der);
	assert_int_equal(objt_count_class(t, CKO_CERTIFICATE), 1);
}

static CK_RV live_login(p11t *t, CK_USER_TYPE who, const char *pin)
{
	return t->f->C_Login(t->session, who, (CK_UTF8CHAR_PTR)pin, (CK_ULONG)strlen(pin));
}

static void pin_lockout_and_unblock(void **state)
{
	p11t *t = *state;
	int i;

	live_open(t, "P11_PCSC_READER_B");
	for (i = 0; i < 3; i++)
		assert_int_equal(live_login(t, CKU_USER, "999999"), CKR_PIN_INCORRECT);
	assert_int_equal(live_login(t, CKU_USER, "123456"), CKR_PIN_LOCKED);
	assert_int_equal(live_login(t, CKU_SO, "12345678"), CKR_OK);
	assert_int_equal(t->f->C_InitPIN(t->session, (CK_UTF8CHAR_PTR) "654321", 6), CKR_OK);
	assert_int_equal(t->f->C_Logout(t->session), CKR_OK);
	assert_int_equal(live_login(t, CKU_USER, "654321"), CKR_OK);
}

static void live_control(const char *cmd)
{
	char reply[64];

	assert_int_equal(emu_control(getenv("P11_PCSC_CONTROL_A"), cmd, reply, sizeof(reply)), 0);
}

static void removal_and_insertion_wake_the_waiter(void **state)
{
	p11t *t = *state;
	CK_SESSION_INFO si;

	live_open(t, "P11_PCSC_READER_A");
	p11t_login(t);
	p11t_event_during_wait(t, live_control, "remove", t->slots[0]);
	assert_int_equal(t->f->C_GetSessionInfo(t->session, &si), CKR_DEVICE_REMOVED);
	p11t_event_during_wait(t, live_control, "insert", t->slots[0]);
	assert_int_equal(t->f->C_OpenSession(t->slots[0], CKF_SERIAL_SESSION, NULL, NULL,
	                                     &t->session),
	                 CKR_OK);
	p11t_login(t);
}

/* LIVE_SIGNATURES signatures with the key of CKA_ID 01 on a fresh login to reader A:
 * 0, or which step failed (a forked child reports it by its exit code). */
static int live_sign_loop(p11t *t)
{
	CK_OBJECT_HANDLE priv;
	int i;

	if (t->f->C_Initialize(NULL) != CKR_OK)
		return 2;
	if (!live_find(t, "P11_PCSC_READER_A", &t->slots[0]) ||
	    t->f->C_OpenSession(t->slots[0], CKF_SERIAL_SESSION, NULL, NULL, &t->session) !=
	            CKR_OK ||
	    live_login(t, CKU_USER, "123456") != CKR_OK)
		return 3;
	priv = p11t_find_one(t, CKO_PRIVATE_KEY, (const CK_BYTE *)"\x01", 1);
	if (!priv)
		return 4;
	for (i = 0; i < LIVE_SIGNATURES; i++) {
		if (p11t_sign_once(t, priv) != CKR_OK)
			return 5;
	}
	return 0;
}

/* Each process's SELECT undoes the other's VERIFY: inside a transaction, our VERIFY (again)
 * and our signature stay together, so every signature of both succeeds. */
static void two_processes_sign_on_one_card(void **state)
{
	p11t *t = *state;
	pid_t pid;

	assert_int_equal(t->f->C_Finalize(NULL), CKR_OK);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(live_sign_loop(t));
	assert_int_equal(live_sign_loop(t), 0);
	p11t_child_wait_ok(pid);
}

/* Another application holds reader A's card in a transaction for HOLD_MS: our signature
 * waits for it (pcscd answers SCARD_E_SHARING_VIOLATION meanwhile, which pcsc-lite retries)
 * and then succeeds, never an error. That the module's own batches are transactions is
 * pinned by test_p11_pcsc (every_apdu_is_inside_a_transaction). */
#define HOLD_MS 600u

typedef struct {
	p11t *t;
	CK_OBJECT_HANDLE key;
	CK_RV rv;
	double returned_ms;
} live_signer;

static void *live_signer_run(void *arg)
{
	live_signer *s = arg;

	s->rv = p11t_sign_once(s->t, s->key);
	s->returned_ms = tkit_now_ms();
	return NULL;
}

static void another_applications_transaction_delays_our_signature_which_then_succeeds(void **state)
{
	p11t *t = *state;
	live_signer s = {.t = t, .rv = CKR_GENERAL_ERROR};
	SCARDCONTEXT ctx;
	SCARDHANDLE h;
	DWORD proto;
	pthread_t th;
	char reader[128];
	double t0;

	live_open(t, "P11_PCSC_READER_A");
	p11t_login(t);
	s.key = p11t_find_one(t, CKO_PRIVATE_KEY, (const CK_BYTE *)"\x01", 1);
	assert_int_not_equal(s.key, 0);
	snprintf(reader, sizeof(reader), "%s 00 00", getenv("P11_PCSC_READER_A"));
	assert_int_equal(SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx),
	                 SCARD_S_SUCCESS);
	assert_int_equal(SCardConnect(ctx, reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1, &h,
	                              &proto),
	                 SCARD_S_SUCCESS);
	assert_int_equal(SCardBeginTransaction(h), SCARD_S_SUCCESS);
	t0 = tkit_now_ms();
	assert_int_equal(pthread_create(&th, NULL, live_signer_run, &s), 0);
	tkit_sleep_ms(HOLD_MS);
	assert_int_equal(SCardEndTransaction(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(s.rv, CKR_OK);
	assert_true(s.returned_ms - t0 >= HOLD_MS * 0.9);
	SCardDisconnect(h, SCARD_LEAVE_CARD);
	SCardReleaseContext(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(the_slots_are_the_readers_with_their_tokens,
	                                        live_setup, p11t_group_teardown),
		cmocka_unit_test_setup_teardown(login_keygen_sign_and_certificate_write, live_setup,
	                                        p11t_group_teardown),
		cmocka_unit_test_setup_teardown(pin_lockout_and_unblock, live_setup,
	                                        p11t_group_teardown),
		cmocka_unit_test_setup_teardown(removal_and_insertion_wake_the_waiter, live_setup,
	                                        p11t_group_teardown),
		cmocka_unit_test_setup_teardown(two_processes_sign_on_one_card, live_setup,
	                                        p11t_group_teardown),
		cmocka_unit_test_setup_teardown(
			another_applications_transaction_delays_our_signature_which_then_succeeds,
			live_setup, p11t_group_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
