/* Test helpers for the emulator: process control, a CCID client with timeouts (a test
 * never hangs on a silent emulator), cmocka fixtures. The PIV side is in emu_piv.c. */
#include "emu_client.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tmpdir_test_util.h"
#include "mono.h"

#define EMU_START_TIMEOUT_MS 5000
#define EMU_STOP_TIMEOUT_MS 10000
#define EMU_MAX_ARGS 40

static void emu_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

const char *emu_binary(void)
{
	static char path[EMU_PATH_MAX * 2];
	const char *dir = getenv("KINKO_BUILDDIR");

	snprintf(path, sizeof(path), "%s/kinko-token-emu", dir && *dir ? dir : ".");
	return path;
}

/* ---- processes ---- */

int emu_proc_setup(emu_proc *p)
{
	memset(p, 0, sizeof(*p));
	/* sun_path is 108 bytes: keep the directory short. */
	if (tkit_tmpdir_make(p->dir, 80u, "emu") != 0)
		return -1;
	snprintf(p->state, sizeof(p->state), "%s/token.state", p->dir);
	snprintf(p->sock, sizeof(p->sock), "%s/ccid.sock", p->dir);
	snprintf(p->control, sizeof(p->control), "%s/control.sock", p->dir);
	return 0;
}

int emu_proc_finish(emu_proc *p)
{
	int rc = 0;

	if (emu_running(p) && emu_stop(p) != 0)
		rc = -1;
	emu_proc_teardown(p);
	return rc;
}

void emu_proc_teardown(emu_proc *p)
{
	DIR *d;
	struct dirent *e;
	char path[EMU_PATH_MAX * 2];

	emu_kill(p);
	if (!p->dir[0])
		return;
	d = opendir(p->dir);
	if (d) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", p->dir, e->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(p->dir);
	p->dir[0] = '\0';
}

static int emu_status_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

/* argv[0] is the binary, then args. out_fd: where the child's stdout and stderr go. */
static pid_t emu_spawn(const char *const *args, int out_fd)
{
	const char *argv[EMU_MAX_ARGS + 2];
	size_t n = 0, i;
	pid_t pid;

	argv[n++] = emu_binary();
	for (i = 0; args && args[i] && n <= EMU_MAX_ARGS; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	pid = fork();
	if (pid == 0) {
		dup2(out_fd, STDOUT_FILENO);
		if (out_fd != STDERR_FILENO)
			dup2(out_fd, STDERR_FILENO);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

int emu_run(const char *const *args, char *out, size_t cap)
{
	int pfd[2], status;
	size_t used = 0;
	char sink[512];
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) != 0)
		return -1;
	pid = emu_spawn(args, pfd[1]);
	close(pfd[1]);
	if (pid < 0) {
		close(pfd[0]);
		return -1;
	}
	for (;;) {
		char *dst = out && used + 1 < cap ? out + used : sink;
		size_t room = out && used + 1 < cap ? cap - 1 - used : sizeof(sink);
		ssize_t n = read(pfd[0], dst, room);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (dst != sink)
			used += (size_t)n;
	}
	close(pfd[0]);
	if (out && cap)
		out[used] = '\0';
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return emu_status_code(status);
}

static size_t emu_args_join(const char **dst, size_t n, const char *const *extra)
{
	while (extra && *extra && n < EMU_MAX_ARGS)
		dst[n++] = *extra++;
	dst[n] = NULL;
	return n;
}

int emu_init(emu_proc *p, const char *const *extra, char *out, size_t cap)
{
	const char *args[EMU_MAX_ARGS + 1] = {"--state", p->state, "--init"};

	emu_args_join(args, 3, extra);
	return emu_run(args, out, cap);
}

static int emu_probe(const char *path)
{
	emu_conn c;

	if (emu_connect(&c, path) != 0)
		return -1;
	emu_disconnect(&c);
	return 0;
}

int emu_start(emu_proc *p, const char *const *extra)
{
	const char *args[EMU_MAX_ARGS + 1] = {"--state", p->state,    "--socket",
	                                      p->sock,   "--control", p->control};
	long long deadline = mono_now_ms() + EMU_START_TIMEOUT_MS;
	int status;

	emu_args_join(args, 6, extra);
	/* A socket file left by a killed emulator would answer the probe with a refusal, and
	 * the new emulator replaces it; the probe only counts once the new one listens. */
	p->pid = emu_spawn(args, STDERR_FILENO);
	if (p->pid < 0) {
		p->pid = 0;
		return -1;
	}
	while (mono_now_ms() < deadline) {
		if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
			p->pid = 0;
			return -1;
		}
		if (emu_probe(p->sock) == 0)
			return 0;
		emu_sleep_ms(2);
	}
	emu_kill(p);
	return -1;
}

int emu_stop(emu_proc *p)
{
	long long deadline = mono_now_ms() + EMU_STOP_TIMEOUT_MS;
	int status;
	pid_t r;

	if (p->pid <= 0)
		return -1;
	kill(p->pid, SIGTERM);
	while (mono_now_ms() < deadline) {
		r = waitpid(p->pid, &status, WNOHANG);
		if (r == p->pid) {
			p->pid = 0;
			return emu_status_code(status);
		}
		if (r < 0 && errno != EINTR)
			break;
		emu_sleep_ms(2);
	}
	emu_kill(p);
	return -1;
}

void emu_kill(emu_proc *p)
{
	int status;

	if (p->pid <= 0)
		return;
	kill(p->pid, SIGKILL);
	while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
		;
	p->pid = 0;
}

int emu_signal(emu_proc *p, int sig)
{
	return p->pid > 0 ? kill(p->pid, sig) : -1;
}

bool emu_running(emu_proc *p)
{
	int status;

	if (p->pid <= 0)
		return false;
	if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
		p->pid = 0;
		return false;
	}
	return true;
}

int emu_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int r;

	if (!f)
		return -1;
	r = fputs(text, f) < 0 ? -1 : 0;
	return fclose(f) != 0 ? -1 : r;
}

/* ---- the connection ---- */

int emu_connect(emu_conn *c, const char *path)
{
	struct sockaddr_un sa;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -1;
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	c->timeout_ms = EMU_REPLY_TIMEOUT_MS;
	c->ch.transmit = emu_transmit;
	c->ch.ctx = c;
	return 0;
}

void emu_disconnect(emu_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
}

int emu_send_raw(emu_conn *c, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Exactly len bytes before the deadline (buf NULL: read and drop them). */
static int emu_read_exact(emu_conn *c, uint8_t *buf, size_t len, long long deadline)
{
	uint8_t sink[4096];

	while (len > 0) {
		struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
		long long left = deadline - mono_now_ms();
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return -1;
		n = recv(c->fd, buf ? buf : sink, buf || len < sizeof(sink) ? len : sizeof(sink),
		         0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		if (buf)
			buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int emu_recv(emu_conn *c, ccid_header *h, uint8_t *data, size_t cap, size_t *len)
{
	long long deadline = mono_now_ms() + c->timeout_ms;
	uint8_t hdr[CCID_HEADER_LEN];

	if (emu_read_exact(c, hdr, sizeof(hdr), deadline) != 0)
		return -1;
	ccid_header_decode(hdr, h);
	if (h->length > cap || h->length > CCID_MAX_DATA) {
		emu_read_exact(c, NULL, h->length, deadline);
		return -1;
	}
	if (emu_read_exact(c, data, h->length, deadline) != 0)
		return -1;
	if (len)
		*len = h->length;
	return 0;
}

int emu_send_msg(emu_conn *c, uint8_t type, uint8_t slot, const uint8_t *data, size_t len)
{
	static const uint8_t no_param[3];
	size_t n;

	if (!c->buf) {
		c->buf = malloc(CCID_HEADER_LEN + CCID_MAX_DATA);
		if (!c->buf)
			return -1;
	}
	n = ccid_message_build(c->buf, CCID_HEADER_LEN + CCID_MAX_DATA, type, slot, ++c->seq,
	                       no_param, data, len);
	if (n == 0)
		return -1;
	return emu_send_raw(c, c->buf, n);
}

int emu_wait_readable(emu_conn *c, long long timeout_us)
{
	struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
	struct timespec ts;
	int r;

	if (timeout_us < 0)
		timeout_us = 0;
	ts.tv_sec = (time_t)(timeout_us / 1000000);
	ts.tv_nsec = (long)(timeout_us % 1000000) * 1000;
	/* ppoll: the crash test times its kills to the microsecond, poll only to the ms. */
	do
		r = ppoll(&pfd, 1, &ts, NULL);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -1 : r > 0;
}

int emu_exchange(emu_conn *c, uint8_t type, uint8_t slot, const uint8_t *data, size_t len,
                 ccid_header *rh, uint8_t *rdata, size_t cap, size_t *rlen)
{
	if (emu_send_msg(c, type, slot, data, len) != 0)
		return -1;
	if (emu_recv(c, rh, rdata, cap, rlen) != 0)
		return -1;
	/* A reply to some other message means the stream is out of step. */
	return rh->seq == c->seq ? 0 : -1;
}

int emu_power_on(emu_conn *c, uint8_t *atr, size_t cap, size_t *atr_len)
{
	uint8_t buf[64];
	ccid_header h;
	size_t n;

	if (emu_exchange(c, CCID_PC_TO_RDR_ICC_POWER_ON, 0, NULL, 0, &h, buf, sizeof(buf), &n) != 0)
		return -1;
	if (h.type != CCID_RDR_TO_PC_DATA_BLOCK || h.param[0] != 0 || n == 0)
		return -1;
	if (atr) {
		if (n > cap)
			return -1;
		memcpy(atr, buf, n);
		*atr_len = n;
	}
	return 0;
}

int emu_control(const char *path, const char *cmd, char *reply, size_t cap)
{
	long long deadline = mono_now_ms() + 5000;
	emu_conn c;
	size_t used = 0;
	int r = -1;

	if (cap == 0 || emu_connect(&c, path) != 0)
		return -1;
	if (emu_send_raw(&c, (const uint8_t *)cmd, strlen(cmd)) != 0 ||
	    emu_send_raw(&c, (const uint8_t *)"\n", 1) != 0)
		goto out;
	while (used + 1 < cap) {
		uint8_t ch;

		if (emu_read_exact(&c, &ch, 1, deadline) != 0)
			goto out;
		if (ch == '\n') {
			r = 0;
			break;
		}
		reply[used++] = (char)ch;
	}
out:
	reply[used] = '\0';
	emu_disconnect(&c);
	return r;
}

/* ---- cmocka fixtures ---- */

int emu_fixture_setup_dir(void **state)
{
	emu_fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->c.fd = -1;
	*state = f;
	return emu_proc_setup(&f->p);
}

static int emu_fixture_connect(emu_fixture *f)
{
	if (emu_start(&f->p, NULL) != 0 || emu_connect(&f->c, f->p.sock) != 0 ||
	    emu_power_on(&f->c, NULL, 0, NULL) != 0)
		return -1;
	return 0;
}

int emu_fixture_serve(emu_fixture *f, const char *const *init)
{
	if (emu_init(&f->p, init, NULL, 0) != 0)
		return -1;
	return emu_fixture_connect(f);
}

int emu_fixture_restart(emu_fixture *f)
{
	return emu_fixture_reinit(f, NULL);
}

int emu_fixture_reinit(emu_fixture *f, const char *const *init)
{
	emu_disconnect(&f->c);
	if (emu_stop(&f->p) != 0 || (init != NULL && emu_init(&f->p, init, NULL, 0) != 0))
		return -1;
	return emu_fixture_connect(f);
}

int emu_fixture_setup_running(void **state)
{
	if (emu_fixture_setup_dir(state) != 0)
		return -1;
	return emu_fixture_serve(*state, NULL);
}

int emu_fixture_teardown(void **state)
{
	emu_fixture *f = *state;
	int rc;

	if (!f)
		return 0;
	emu_disconnect(&f->c);
	rc = emu_proc_finish(&f->p);
	free(f);
	return rc;
}
