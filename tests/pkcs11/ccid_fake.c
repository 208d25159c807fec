/* The fake CCID token of the tests (ccid_fake.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ccid_fake.h"

/* All n bytes sent (out) or received, across partial transfers and EINTR. 0 or -1. */
static int ccid_fake_xfer(int fd, uint8_t *p, size_t n, bool out)
{
	while (n > 0) {
		ssize_t k = out ? send(fd, p, n, MSG_NOSIGNAL) : recv(fd, p, n, 0);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

int ccid_fake_write(int fd, const uint8_t *p, size_t n)
{
	/* send() only reads the bytes. */
	return ccid_fake_xfer(fd, (uint8_t *)p, n, true);
}

int ccid_fake_read(int fd, uint8_t *p, size_t n)
{
	return ccid_fake_xfer(fd, p, n, false);
}

void ccid_fake_linger(int fd)
{
	uint8_t sink[256];

	while (recv(fd, sink, sizeof(sink), 0) > 0)
		;
}

int ccid_fake_reply(int fd, uint8_t type, uint32_t len, uint8_t seq, uint8_t status,
                    const uint8_t *data, size_t n)
{
	ccid_header h = {.type = type, .length = len, .seq = seq, .param = {status, 0, 0}};
	uint8_t hdr[CCID_HEADER_LEN];

	ccid_header_encode(&h, hdr);
	if (ccid_fake_write(fd, hdr, sizeof(hdr)) != 0)
		return -1;
	return n ? ccid_fake_write(fd, data, n) : 0;
}

static void ccid_fake_conn(int fd, ccid_fake_answer_fn answer, const void *arg)
{
	static uint8_t data[CCID_MAX_DATA];
	uint8_t hdr[CCID_HEADER_LEN];
	ccid_header h;

	for (;;) {
		if (ccid_fake_read(fd, hdr, sizeof(hdr)) != 0)
			return;
		ccid_header_decode(hdr, &h);
		if (h.length > sizeof(data) || ccid_fake_read(fd, data, h.length) != 0)
			return;
		if (answer(fd, &h, data, arg) != 0)
			return;
	}
}

static void ccid_fake_serve(int lfd, ccid_fake_answer_fn answer, const void *arg)
{
	/* A failed assertion skips ccid_fake_stop: the server must not outlive the test (it
	 * would hold the test's output open and hang the harness). */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() == 1)
		_exit(1);
	for (;;) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0 && errno == EINTR)
			continue;
		if (fd < 0)
			_exit(1);
		ccid_fake_conn(fd, answer, arg);
		close(fd);
	}
}

void ccid_fake_start(ccid_fake *f, const char *dir, ccid_fake_answer_fn answer, const void *arg)
{
	struct sockaddr_un sa;
	int lfd;

	memset(f, 0, sizeof(*f));
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	assert_true((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/fake.sock", dir) <
	            sizeof(sa.sun_path));
	snprintf(f->path, sizeof(f->path), "%s", sa.sun_path);
	unlink(f->path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 8), 0);
	f->pid = fork();
	assert_true(f->pid >= 0);
	if (f->pid == 0)
		ccid_fake_serve(lfd, answer, arg);
	close(lfd);
}

void ccid_fake_stop(ccid_fake *f)
{
	int status;

	if (f->pid > 0) {
		kill(f->pid, SIGKILL);
		while (waitpid(f->pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	f->pid = 0;
	if (f->path[0])
		unlink(f->path);
}
