/* Two processes on one token (a browser and `kinko` at once). The token has one security
 * state: the other process powering it on forgets this one's PIN verification. The module
 * restores it with the PIN it holds while logged in (re-SELECT, re-VERIFY, retry); if
 * the PIN was changed meanwhile, it logs out and answers CKR_USER_NOT_LOGGED_IN.
 *
 * The other process's power-on and its SELECT are two commands, and ours may fall between
 * them. A CCID proxy between the module and the emulator plays that other process at
 * chosen points of our command stream, so the interleaving is tested deterministically. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ccid.h"
#include "p11_test_util.h"
#include "piv.h"

#define PIN ((CK_UTF8CHAR_PTR) "123456")
#define NEW_PIN ((CK_UTF8CHAR_PTR) "11223344")
#define ROUNDS 20

static const CK_BYTE id_9a[] = {0x01};

typedef enum { CHILD_LOGIN, CHILD_SIGN, CHILD_CHANGE_PIN } child_job;

/* A separate module instance: the child initialises its own (the parent's is dead to it),
 * opens its own connection, logs in, works, logs out. */
static void child_run(CK_FUNCTION_LIST_3_0 *f, child_job job)
{
	CK_SLOT_ID slot;
	CK_ULONG n = 1;
	CK_SESSION_HANDLE h;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE tmpl[2] = {{CKA_CLASS, &cls, sizeof(cls)},
	                        {CKA_ID, (void *)id_9a, sizeof(id_9a)}};
	CK_OBJECT_HANDLE key = 0;
	CK_MECHANISM mech = {CKM_ECDSA, NULL, 0};
	CK_BYTE digest[32] = {9}, sig[128];
	CK_ULONG sig_len;
	int i;

	P11T_CHILD_CHECK(f->C_Initialize(NULL) == CKR_OK, 10);
	P11T_CHILD_CHECK(f->C_GetSlotList(CK_TRUE, &slot, &n) == CKR_OK && n == 1, 11);
	P11T_CHILD_CHECK(f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
	                                  &h) == CKR_OK,
	                 12);
	P11T_CHILD_CHECK(f->C_Login(h, CKU_USER, PIN, 6) == CKR_OK, 13);
	if (job == CHILD_SIGN) {
		P11T_CHILD_CHECK(f->C_FindObjectsInit(h, tmpl, 2) == CKR_OK, 14);
		P11T_CHILD_CHECK(f->C_FindObjects(h, &key, 1, &n) == CKR_OK && n == 1, 15);
		P11T_CHILD_CHECK(f->C_FindObjectsFinal(h) == CKR_OK, 16);
		for (i = 0; i < ROUNDS; i++) {
			sig_len = sizeof(sig);
			P11T_CHILD_CHECK(f->C_SignInit(h, &mech, key) == CKR_OK, 17);
			P11T_CHILD_CHECK(f->C_Sign(h, digest, sizeof(digest), sig, &sig_len) ==
			                         CKR_OK,
			                 18);
		}
	}
	if (job == CHILD_CHANGE_PIN)
		P11T_CHILD_CHECK(f->C_SetPIN(h, PIN, 6, NEW_PIN, 8) == CKR_OK, 19);
	P11T_CHILD_CHECK(f->C_Finalize(NULL) == CKR_OK, 20);
	_exit(0);
}

static pid_t child_start(p11t *t, child_job job)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		child_run(t->f, job);
	return pid;
}

static CK_STATE session_state(p11t *t)
{
	CK_SESSION_INFO si;

	assert_int_equal(t->f->C_GetSessionInfo(t->session, &si), CKR_OK);
	return si.state;
}

/* The login state is the module's: another process logging in and out does not end it,
 * and the token stays readable. */
static void parent_login_survives_a_child_login(void **state)
{
	p11t *t = *state;
	CK_TOKEN_INFO ti;

	p11t_login(t);
	p11t_child_wait_ok(child_start(t, CHILD_LOGIN));
	assert_int_equal(session_state(t), CKS_RW_USER_FUNCTIONS);
	assert_int_equal(t->f->C_GetTokenInfo(t->slots[0], &ti), CKR_OK);
	assert_int_equal(t->f->C_Login(t->session, CKU_USER, PIN, 6), CKR_USER_ALREADY_LOGGED_IN);
}

/* The child's power-on and logout reset the card under the parent: the parent's next
 * signature still works (restored with the held PIN). */
static void signature_after_another_process_used_the_token(void **state)
{
	p11t *t = *state;
	CK_OBJECT_HANDLE pub, priv;

	p11t_login(t);
	p11t_generate(t, 0, "P-256", id_9a, sizeof(id_9a), &pub, &priv);
	assert_int_equal(p11t_sign_once(t, priv), CKR_OK);
	p11t_child_wait_ok(child_start(t, CHILD_SIGN));
	assert_int_equal(p11t_sign_once(t, priv), CKR_OK);
	assert_int_equal(session_state(t), CKS_RW_USER_FUNCTIONS);
}

/* Both processes sign at the same time: every signature of both succeeds. */
static void two_processes_sign_at_the_same_time(void **state)
{
	p11t *t = *state;
	CK_OBJECT_HANDLE pub, priv;
	pid_t pid;
	int i;

	p11t_login(t);
	p11t_generate(t, 0, "P-256", id_9a, sizeof(id_9a), &pub, &priv);
	pid = child_start(t, CHILD_SIGN);
	for (i = 0; i < ROUNDS; i++)
		assert_int_equal(p11t_sign_once(t, priv), CKR_OK);
	p11t_child_wait_ok(pid);
	assert_int_equal(p11t_sign_once(t, priv), CKR_OK);
}

/* The PIN was changed by the other process: restoring fails, the module logs out. */
static void pin_changed_elsewhere_logs_out(void **state)
{
	p11t *t = *state;
	CK_OBJECT_HANDLE pub, priv;

	p11t_login(t);
	p11t_generate(t, 0, "P-256", id_9a, sizeof(id_9a), &pub, &priv);
	p11t_child_wait_ok(child_start(t, CHILD_CHANGE_PIN));
	assert_int_equal(p11t_sign_once(t, priv), CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(session_state(t), CKS_RW_PUBLIC_SESSION);
	assert_int_equal(t->f->C_Login(t->session, CKU_USER, NEW_PIN, 8), CKR_OK);
	assert_int_equal(p11t_sign_once(t, priv), CKR_OK);
}

/* ---- the other process, scripted: a CCID proxy in a child process ---- */

typedef enum { OTHER_NOTHING, OTHER_POWER_ON, OTHER_SELECT } other_act;

#define SCRIPT_MAX 8

typedef struct {
	p11t t;
	char sock[EMU_PATH_MAX + 16]; /* the proxy's socket, what the module connects to */
	pid_t pid;
	int lfd; /* its listening socket */
	/* What the other process does just before our n-th signature command (GENERAL
	 * AUTHENTICATE of slot 9A) reaches the token, n = 1.. */
	other_act script[SCRIPT_MAX];
} proxied;

static int io_full(int fd, uint8_t *buf, size_t len, bool wr)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n =
			wr ? write(fd, buf + done, len - done) : read(fd, buf + done, len - done);

		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

/* One whole CCID message (header + dwLength bytes) into buf. Its length, or 0. */
static size_t ccid_read_msg(int fd, uint8_t *buf, size_t cap)
{
	size_t len;

	if (io_full(fd, buf, CCID_HEADER_LEN, false) != 0)
		return 0;
	len = (size_t)buf[1] | (size_t)buf[2] << 8 | (size_t)buf[3] << 16 | (size_t)buf[4] << 24;
	if (len > cap - CCID_HEADER_LEN || io_full(fd, buf + CCID_HEADER_LEN, len, false) != 0)
		return 0;
	return CCID_HEADER_LEN + len;
}

static bool is_signature(const uint8_t *msg, size_t len)
{
	const uint8_t *apdu = msg + CCID_HEADER_LEN;

	return msg[0] == CCID_PC_TO_RDR_XFR_BLOCK && len >= CCID_HEADER_LEN + 4 &&
	       apdu[1] == PIV_INS_GENERAL_AUTH && apdu[3] == PIV_KEY_AUTH;
}

/* The proxy: one module connection at a time, each with its own upstream connection;
 * the other process has a third connection to the emulator. Runs until killed. */
static void proxy_run(proxied *px, int lfd)
{
	static uint8_t buf[CCID_HEADER_LEN + CCID_MAX_DATA];
	emu_conn other;
	size_t n_sig = 0, len;
	int cfd, ufd;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	memcpy(sa.sun_path, px->t.emu[0].sock, strlen(px->t.emu[0].sock) + 1);
	if (emu_connect(&other, px->t.emu[0].sock) != 0)
		_exit(30);
	for (;;) {
		cfd = accept(lfd, NULL, NULL);
		ufd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (cfd < 0 || ufd < 0 || connect(ufd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
			_exit(31);
		while ((len = ccid_read_msg(cfd, buf, sizeof(buf))) != 0) {
			/* The proxy is a reader without the emulator's lock (it answers the
			 * Escape as not supported), so the other process can still come between
			 * our commands: what the module does without exclusive batches. */
			if (buf[0] == CCID_PC_TO_RDR_ESCAPE) {
				uint8_t no[CCID_HEADER_LEN] = {CCID_RDR_TO_PC_SLOT_STATUS,
				                               0,
				                               0,
				                               0,
				                               0,
				                               0,
				                               buf[6],
				                               CCID_CMD_FAILED,
				                               0,
				                               0};

				if (io_full(cfd, no, sizeof(no), true) != 0)
					break;
				continue;
			}
			if (is_signature(buf, len) && n_sig < SCRIPT_MAX) {
				other_act act = px->script[n_sig++];

				if (act == OTHER_POWER_ON &&
				    emu_power_on(&other, NULL, 0, NULL) != 0)
					_exit(32);
				if (act == OTHER_SELECT && emu_select(&other) != SW_OK)
					_exit(33);
			}
			if (io_full(ufd, buf, len, true) != 0 ||
			    (len = ccid_read_msg(ufd, buf, sizeof(buf))) == 0 ||
			    io_full(cfd, buf, len, true) != 0)
				break;
		}
		close(cfd);
		close(ufd);
	}
}

/* One token behind the proxy's socket (listening; the proxy starts with its script). */
static int proxied_setup(void **state)
{
	proxied *px = calloc(1, sizeof(*px));
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	if (!px)
		return -1;
	px->lfd = -1;
	*state = px;
	if (p11t_setup_uninitialized(&px->t, 1, NULL) != 0)
		return -1;
	snprintf(px->sock, sizeof(px->sock), "%s/proxy.sock", px->t.emu[0].dir);
	if (strlen(px->sock) >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, px->sock, strlen(px->sock) + 1);
	px->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (px->lfd < 0 || bind(px->lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(px->lfd, 4) != 0)
		return -1;
	return setenv("KINKO_EMU_SOCKETS", px->sock, 1);
}

static int proxied_teardown(void **state)
{
	proxied *px = *state;

	if (px->pid > 0) {
		kill(px->pid, SIGKILL);
		waitpid(px->pid, NULL, 0);
	}
	if (px->lfd >= 0)
		close(px->lfd);
	p11t_teardown(&px->t);
	free(px);
	return 0;
}

/* Start the proxy with the script, then the module through it: logged in, with a P-256
 * key in 9A (its private key handle in *priv). */
static void proxied_start(proxied *px, CK_OBJECT_HANDLE *priv)
{
	p11t *t = &px->t;
	CK_ULONG n = 1;
	CK_OBJECT_HANDLE pub;

	fflush(NULL);
	px->pid = fork();
	assert_true(px->pid >= 0);
	if (px->pid == 0)
		proxy_run(px, px->lfd);
	assert_int_equal(t->f->C_Initialize(NULL), CKR_OK);
	assert_int_equal(t->f->C_GetSlotList(CK_TRUE, t->slots, &n), CKR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(t->f->C_OpenSession(t->slots[0], CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
	                                     NULL, &t->session),
	                 CKR_OK);
	p11t_login(t);
	p11t_generate(t, 0, "P-256", id_9a, sizeof(id_9a), &pub, priv);
}

static CK_FLAGS pin_count_flags(p11t *t)
{
	CK_TOKEN_INFO ti;

	assert_int_equal(t->f->C_GetTokenInfo(t->slots[0], &ti), CKR_OK);
	return ti.flags & (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED);
}

/* The other process powers the card on just before our signature and SELECTs just after
 * we verified the PIN again: our signature still succeeds, and no PIN try was spent. */
static void signature_survives_a_select_after_the_restoring_verify(void **state)
{
	proxied *px = *state;
	CK_OBJECT_HANDLE priv;

	/* Our signature commands: 1 refused (nothing selected), re-SELECT; 2 refused (PIN),
	 * re-VERIFY; 3 refused again (the other SELECTed in between), re-VERIFY; 4 signs. */
	px->script[0] = OTHER_POWER_ON;
	px->script[2] = OTHER_SELECT;
	proxied_start(px, &priv);
	assert_int_equal(p11t_sign_once(&px->t, priv), CKR_OK);
	assert_int_equal(session_state(&px->t), CKS_RW_USER_FUNCTIONS);
	assert_int_equal(pin_count_flags(&px->t), 0);
	assert_int_equal(p11t_sign_once(&px->t, priv), CKR_OK);
}

/* A card reset before each of our commands without end is not sharing: the module gives
 * up after a few restores (each costing no PIN try) rather than loop. */
static void endless_resets_end_in_an_error_not_a_loop(void **state)
{
	proxied *px = *state;
	CK_OBJECT_HANDLE priv;
	size_t i;

	for (i = 0; i < SCRIPT_MAX; i++)
		px->script[i] = OTHER_SELECT;
	proxied_start(px, &priv);
	assert_int_equal(p11t_sign_once(&px->t, priv), CKR_USER_NOT_LOGGED_IN);
	assert_int_equal(pin_count_flags(&px->t), 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, p11t_group_setup_1, p11t_group_teardown)
#define TP(fn) cmocka_unit_test_setup_teardown(fn, proxied_setup, proxied_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(parent_login_survives_a_child_login),
		T(signature_after_another_process_used_the_token),
		T(two_processes_sign_at_the_same_time),
		T(pin_changed_elsewhere_logs_out),
		TP(signature_survives_a_select_after_the_restoring_verify),
		TP(endless_resets_end_in_an_error_not_a_loop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
