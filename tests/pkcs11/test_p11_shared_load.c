/* Two processes on one token under load: one signs in a loop while the other
 * logs in and out without pause, each round a fresh C_Initialize (a new connection and a
 * power-on, which resets the card's security state) and a C_Finalize. The signer's
 * re-VERIFY and its signature must run in one exclusive batch on the card, so not one of
 * its signatures fails. Before the batches were exclusive, such a run lost 12 to 26 of
 * 1000 signatures to CKR_USER_NOT_LOGGED_IN. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "p11_test_util.h"
#include "time_test_util.h"
#include "piv.h"

#define PIN ((CK_UTF8CHAR_PTR) "123456")
#define SIGNATURES 1000
/* A loaded machine signs fewer in this time; enough still make the point. */
#define TIME_LIMIT_S 15.0
#define MIN_SIGNATURES 200
/* The other process must really have been at work during the run. */
#define MIN_OTHER_ROUNDS 20
/* Logins and logouts between two power-ons (C_Initialize ... C_Finalize). */
#define LOGINS_PER_ROUND 4

static const CK_BYTE id_9a[] = {0x01};

/* The other process: rounds of C_Initialize, C_OpenSession, LOGINS_PER_ROUND times
 * C_Login and C_Logout, C_Finalize until stop_fd reads EOF; one byte on progress_fd per
 * round. Writes its round count and error count to report_fd. No cmocka here (the TAP
 * stream is the parent's). */
static void other_run(CK_FUNCTION_LIST_3_0 *f, int stop_fd, int progress_fd, int report_fd)
{
	unsigned long rounds = 0, errors = 0;
	struct pollfd pfd = {.fd = stop_fd, .events = POLLIN};
	ssize_t w;

	while (poll(&pfd, 1, 0) == 0) {
		CK_SLOT_ID slot;
		CK_ULONG n = 1;
		CK_SESSION_HANDLE h;
		CK_RV rv = f->C_Initialize(NULL);
		int i;

		if (rv == CKR_OK)
			rv = f->C_GetSlotList(CK_TRUE, &slot, &n);
		if (rv == CKR_OK && n != 1)
			rv = CKR_TOKEN_NOT_PRESENT;
		if (rv == CKR_OK)
			rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
			                      &h);
		for (i = 0; rv == CKR_OK && i < LOGINS_PER_ROUND; i++) {
			rv = f->C_Login(h, CKU_USER, PIN, 6);
			if (rv == CKR_OK)
				rv = f->C_Logout(h);
		}
		if (rv != CKR_OK) {
			if (errors++ < 5)
				fprintf(stderr, "# other process: round %lu: 0x%lx\n", rounds,
				        (unsigned long)rv);
		}
		f->C_Finalize(NULL);
		rounds++;
		/* Non-blocking: a full pipe only means the signer has seen enough. */
		w = write(progress_fd, "r", 1);
		(void)w;
	}
	if (write(report_fd, &rounds, sizeof(rounds)) != sizeof(rounds) ||
	    write(report_fd, &errors, sizeof(errors)) != sizeof(errors))
		_exit(2);
	_exit(0);
}

/* The other process's rounds so far: seen plus the bytes waiting on fd (non-blocking). */
static unsigned long rounds_seen(int fd, unsigned long seen)
{
	char buf[256];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		seen += (unsigned long)n;
	return seen;
}

static void signing_loop_survives_another_process_logging_in_and_out(void **state)
{
	p11t *t = *state;
	CK_OBJECT_HANDLE pub, priv;
	unsigned long other_rounds = 0, other_errors = 0, failed = 0, not_logged_in = 0;
	unsigned long seen = 0;
	int stop[2], progress[2], report[2], status = -1, i = 0;
	double t0;
	pid_t pid;

	p11t_login(t);
	p11t_generate(t, 0, "P-256", id_9a, sizeof(id_9a), &pub, &priv);
	assert_int_equal(pipe(stop), 0);
	assert_int_equal(pipe(report), 0);
	assert_int_equal(pipe2(progress, O_NONBLOCK), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(stop[1]);
		close(progress[0]);
		close(report[0]);
		other_run(t->f, stop[0], progress[1], report[1]);
	}
	close(stop[0]);
	close(progress[1]);
	close(report[1]);
	t0 = tkit_now_ms();
	/* A fast signer goes on until the other process has really been at work. */
	for (i = 0;
	     (i < SIGNATURES || seen < MIN_OTHER_ROUNDS) && tkit_now_ms() - t0 < TIME_LIMIT_S * 1e3;
	     i++) {
		CK_RV rv = p11t_sign_once(t, priv);

		seen = rounds_seen(progress[0], seen);

		if (rv == CKR_OK)
			continue;
		if (failed++ < 5)
			fprintf(stderr, "# signature %d: 0x%lx\n", i, (unsigned long)rv);
		if (rv == CKR_USER_NOT_LOGGED_IN) {
			/* Go on measuring (the module may or may not have ended the login). */
			not_logged_in++;
			rv = t->f->C_Login(t->session, CKU_USER, PIN, 6);
			assert_true(rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN);
		}
	}
	close(stop[1]);
	assert_int_equal(read(report[0], &other_rounds, sizeof(other_rounds)),
	                 sizeof(other_rounds));
	assert_int_equal(read(report[0], &other_errors, sizeof(other_errors)),
	                 sizeof(other_errors));
	close(report[0]);
	close(progress[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	printf("# %d signatures in %.2f s: %lu failed (%lu CKR_USER_NOT_LOGGED_IN); the other "
	       "process: %lu login rounds, %lu failed\n",
	       i, (tkit_now_ms() - t0) / 1e3, failed, not_logged_in, other_rounds, other_errors);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_true(i >= MIN_SIGNATURES);
	assert_true(other_rounds >= MIN_OTHER_ROUNDS);
	assert_int_equal(failed, 0);
	assert_int_equal(other_errors, 0);
}

/* ---- a holder busy for longer than one message's timeout ---- */

#define SHORT_TIMEOUT_MS "300"
#define BUSY_ROUNDS 10 /* a SELECT every 100 ms: 1 s in all */

typedef struct {
	const char *sock;
	int granted[2]; /* the holder writes one byte once it holds the lock */
	int ok;
} holder;

static int holder_escape(emu_conn *c, uint8_t code)
{
	ccid_header h;
	uint8_t data[16];
	size_t n;

	if (emu_send_msg(c, CCID_PC_TO_RDR_ESCAPE, 0, &code, 1) != 0 ||
	    emu_recv(c, &h, data, sizeof(data), &n) != 0)
		return -1;
	return h.type == CCID_RDR_TO_PC_ESCAPE && !(h.param[0] & CCID_CMD_FAILED) ? 0 : -1;
}

/* Another program's long batch: it holds the lock and keeps talking to the card. */
static void *holder_run(void *arg)
{
	holder *hd = arg;
	emu_conn c;
	int i;

	if (emu_connect(&c, hd->sock) != 0)
		return NULL;
	if (holder_escape(&c, CCID_ESCAPE_BEGIN_EXCLUSIVE) == 0 &&
	    emu_power_on(&c, NULL, 0, NULL) == 0 && write(hd->granted[1], "g", 1) == 1) {
		hd->ok = 1;
		for (i = 0; i < BUSY_ROUNDS && hd->ok; i++) {
			if (emu_select(&c) != SW_OK)
				hd->ok = 0;
			poll(NULL, 0, 100);
		}
		if (holder_escape(&c, CCID_ESCAPE_END_EXCLUSIVE) != 0)
			hd->ok = 0;
	}
	emu_disconnect(&c);
	return NULL;
}

/* The module waits for the lock as long as its holder is busy (bounded by the emulator,
 * which takes it from a silent holder), not just one message's timeout (300 ms here). */
static void waiting_for_a_busy_holder_outlasts_the_message_timeout(void **state)
{
	p11t *t = *state;
	char conf[EMU_PATH_MAX + 16], g;
	holder hd = {.sock = t->emu[0].sock};
	pthread_t th;
	CK_ULONG n = 1;
	double t0;

	snprintf(conf, sizeof(conf), "%s/kinko.conf", t->emu[0].dir);
	assert_int_equal(emu_write_file(conf, "timeout_ms = " SHORT_TIMEOUT_MS "\n"), 0);
	assert_int_equal(setenv("KINKO_CONF", conf, 1), 0);
	assert_int_equal(t->f->C_Initialize(NULL), CKR_OK);
	assert_int_equal(setenv("KINKO_CONF", "/dev/null", 1), 0);
	assert_int_equal(t->f->C_GetSlotList(CK_TRUE, t->slots, &n), CKR_OK);
	assert_int_equal(t->f->C_OpenSession(t->slots[0], CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
	                                     NULL, &t->session),
	                 CKR_OK);
	assert_int_equal(pipe(hd.granted), 0);
	assert_int_equal(pthread_create(&th, NULL, holder_run, &hd), 0);
	assert_int_equal(read(hd.granted[0], &g, 1), 1);
	t0 = tkit_now_ms();
	assert_int_equal(t->f->C_Login(t->session, CKU_USER, PIN, 6), CKR_OK);
	assert_true(tkit_now_ms() - t0 > 500.0); /* it did wait for the holder */
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_true(hd.ok);
	close(hd.granted[0]);
	close(hd.granted[1]);
}

static int setup_uninitialized(void **state)
{
	return p11t_state_setup(state, 1, NULL, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			signing_loop_survives_another_process_logging_in_and_out,
			p11t_group_setup_1, p11t_group_teardown),
		cmocka_unit_test_setup_teardown(
			waiting_for_a_busy_holder_outlasts_the_message_timeout, setup_uninitialized,
			p11t_group_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
