/* The socket transport's own traffic against a fake token: what its batches cost in
 * sends, and what its receive buffer keeps. The program is linked with --wrap for send,
 * sendmsg and recv, so every call of the transport passes through the counters below. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ccid.h"
#include "ccid_fake.h"
#include "tmpdir_test_util.h"
#include "transport.h"

/* ---- the calls of this process (the fake token is a child: its calls are its own) ---- */

#define RECV_MAX 64

static unsigned sends;
static struct {
	uint8_t *buf;
	size_t len;
} recvs[RECV_MAX];
static size_t n_recvs;

ssize_t __real_send(int fd, const void *buf, size_t len, int flags);
ssize_t __real_sendmsg(int fd, const struct msghdr *msg, int flags);
ssize_t __real_recv(int fd, void *buf, size_t len, int flags);
ssize_t __wrap_send(int fd, const void *buf, size_t len, int flags);
ssize_t __wrap_sendmsg(int fd, const struct msghdr *msg, int flags);
ssize_t __wrap_recv(int fd, void *buf, size_t len, int flags);

ssize_t __wrap_send(int fd, const void *buf, size_t len, int flags)
{
	sends++;
	return __real_send(fd, buf, len, flags);
}

ssize_t __wrap_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	sends++;
	return __real_sendmsg(fd, msg, flags);
}

/* Where each read put what it got. */
ssize_t __wrap_recv(int fd, void *buf, size_t len, int flags)
{
	ssize_t n = __real_recv(fd, buf, len, flags);

	if (n > 0 && n_recvs < RECV_MAX) {
		recvs[n_recvs].buf = buf;
		recvs[n_recvs].len = (size_t)n;
		n_recvs++;
	}
	return n;
}

/* ---- the fake token: grants the lock, answers every APDU with SECRET 90 00 ---- */

static const uint8_t secret[] = {'m', 'g', 'm', 't', '-', 'k', 'e', 'y',
                                 '-', 's', 'e', 'c', 'r', 'e', 't', '!'};

static int fake_answer(int fd, const ccid_header *h, const uint8_t *data, const void *arg)
{
	uint8_t resp[sizeof(secret) + 2];

	(void)data;
	(void)arg;
	switch (h->type) {
	case CCID_PC_TO_RDR_ICC_POWER_ON:
		return ccid_fake_reply(fd, CCID_RDR_TO_PC_DATA_BLOCK, 2, h->seq, 0,
		                       (const uint8_t *)"\x3B\x00", 2);
	case CCID_PC_TO_RDR_ESCAPE:
		return ccid_fake_reply(fd, CCID_RDR_TO_PC_ESCAPE, 0, h->seq, 0, NULL, 0);
	case CCID_PC_TO_RDR_XFR_BLOCK:
		memcpy(resp, secret, sizeof(secret));
		resp[sizeof(secret)] = 0x90;
		resp[sizeof(secret) + 1] = 0x00;
		return ccid_fake_reply(fd, CCID_RDR_TO_PC_DATA_BLOCK, sizeof(resp), h->seq, 0, resp,
		                       sizeof(resp));
	default: return ccid_fake_reply(fd, CCID_RDR_TO_PC_SLOT_STATUS, 0, h->seq, 0, NULL, 0);
	}
}

typedef struct {
	char dir[128];
	ccid_fake srv;
	tr_transport *tr;
} fixture;

static int setup(void **state)
{
	static fixture f;

	memset(&f, 0, sizeof(f));
	assert_int_equal(tkit_tmpdir_make(f.dir, sizeof(f.dir), "trsock"), 0);
	ccid_fake_start(&f.srv, f.dir, fake_answer, NULL);
	f.tr = tr_socket_new(f.srv.path);
	assert_non_null(f.tr);
	sends = 0;
	n_recvs = 0;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;

	f->tr->ops->destroy(f->tr);
	ccid_fake_stop(&f->srv);
	rmdir(f->dir);
	return 0;
}

static const uint8_t get_data[] = {0x00, 0xCB, 0x3F, 0xFF, 0x05, 0x5C, 0x03, 0x5F, 0xC1, 0x09};

/* ---- the cases ---- */

/* The lock request (Escape BEGIN) leaves with the command it precedes: one send wakes the
 * emulator once for both. */
static void a_batch_s_first_command_leaves_with_the_lock_request_in_one_send(void **state)
{
	fixture *f = *state;
	uint8_t atr[33], resp[64];
	size_t atr_len = 0, n = 0;

	f->tr->ops->begin(f->tr);
	assert_int_equal(f->tr->ops->power_on(f->tr, atr, sizeof(atr), &atr_len), TR_OK);
	assert_int_equal(sends, 1);
	assert_int_equal(f->tr->ops->transmit(f->tr, get_data, sizeof(get_data), resp, sizeof(resp),
	                                      &n),
	                 TR_OK);
	assert_int_equal(sends, 2);
	assert_memory_equal(resp, secret, sizeof(secret));
	f->tr->ops->end(f->tr);
	assert_int_equal(sends, 3); /* the END goes at once: another client may wait */
}

/* A response may hold the PIN-protected management key: once it is handed over, no buffer
 * the transport read it into still holds it. */
static void no_receive_buffer_keeps_a_response_after_it_is_handed_over(void **state)
{
	fixture *f = *state;
	uint8_t atr[33], resp[64];
	size_t atr_len = 0, n = 0, i;
	int round;

	/* Twice: the second batch's reads start behind what the first left unread. */
	for (round = 0; round < 2; round++) {
		f->tr->ops->begin(f->tr);
		if (round == 0)
			assert_int_equal(f->tr->ops->power_on(f->tr, atr, sizeof(atr), &atr_len),
			                 TR_OK);
		assert_int_equal(f->tr->ops->transmit(f->tr, get_data, sizeof(get_data), resp,
		                                      sizeof(resp), &n),
		                 TR_OK);
		assert_int_equal(n, sizeof(secret) + 2);
		assert_memory_equal(resp, secret, sizeof(secret));
		f->tr->ops->end(f->tr);
	}
	assert_true(n_recvs > 0);
	for (i = 0; i < n_recvs; i++)
		if (memmem(recvs[i].buf, recvs[i].len, secret, sizeof(secret)))
			fail_msg("read %zu still holds the response", i);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			a_batch_s_first_command_leaves_with_the_lock_request_in_one_send, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			no_receive_buffer_keeps_a_response_after_it_is_handed_over, setup,
			teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
