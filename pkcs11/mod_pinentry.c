/* The pinentry client (see mod_pinentry.h): one Assuan conversation per call, through
 * libassuan with our own system hooks, so that every read waits at most until the deadline,
 * a dead pinentry cannot raise SIGPIPE in the host application, the pipes are close-on-exec
 * and the child is never waited for without a bound; and our own malloc hooks, so that
 * libassuan's line buffers (which hold the decoded D line) are wiped when freed. */
#include "mod_pinentry.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <assuan.h>
#include <openssl/crypto.h>

/* One conversation: its deadline and what went wrong, read by the hooks through the
 * context's pointer. */
typedef struct {
	struct timespec deadline; /* CLOCK_MONOTONIC */
	bool timed_out;
	bool io_failed; /* EOF or an error on a pipe: the program died or closed them */
	char *pin;      /* the caller's buffer, PIV_PIN_MAX + 1 bytes */
	size_t pin_len;
	bool too_long;
	bool text_too_long; /* a text does not fit an Assuan line */
	bool no_program;
	void (*trace)(const char *line);
} pe_conv;

/* One line to the caller's trace: dir ("-> " or "<- ") and the line as sent or received. */
static void pe_trace(const pe_conv *c, const char *dir, const char *line)
{
	char text[ASSUAN_LINELENGTH + 8];

	if (!c->trace)
		return;
	snprintf(text, sizeof text, "%s%s", dir, line);
	c->trace(text);
}

static long pe_ms_left(const pe_conv *c)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(c->deadline.tv_sec - now.tv_sec) * 1000 +
	       (c->deadline.tv_nsec - now.tv_nsec) / 1000000;
}

static ssize_t pe_hook_read(assuan_context_t ctx, assuan_fd_t fd, void *buf, size_t size)
{
	pe_conv *c = assuan_get_pointer(ctx);

	for (;;) {
		long left = pe_ms_left(c);
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t r;
		int n;

		if (left <= 0) {
			c->timed_out = true;
			errno = ETIMEDOUT;
			return -1;
		}
		n = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (n < 0 && errno != EINTR) {
			c->io_failed = true;
			return -1;
		}
		if (n <= 0)
			continue;
		r = read(fd, buf, size);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			c->io_failed = true;
		return r;
	}
}

/* A pinentry that died leaves a pipe without reader: the write fails with EPIPE, and the
 * SIGPIPE it raises is kept from the host application (blocked, then taken if it was not
 * already pending). */
static ssize_t pe_hook_write(assuan_context_t ctx, assuan_fd_t fd, const void *buf, size_t size)
{
	pe_conv *c = assuan_get_pointer(ctx);
	sigset_t pipe_set, old, pending;
	bool was_pending;
	ssize_t r;
	int err;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE);
	do
		r = write(fd, buf, size);
	while (r < 0 && errno == EINTR);
	err = errno;
	if (r < 0 && err == EPIPE && !was_pending) {
		const struct timespec zero = {0, 0};
		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0)
		c->io_failed = true;
	errno = err;
	return r;
}

/* Both ends close-on-exec (the spawn's dup2 onto the child's 0 and 1 clears the flag there),
 * and never on 0-2, where that dup2 would be a no-op. */
static int pe_hook_pipe(assuan_context_t ctx, assuan_fd_t fd[2], int inherit_idx)
{
	(void)ctx;
	(void)inherit_idx;
	if (pipe2(fd, O_CLOEXEC) != 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		int high, err;

		if (fd[i] > 2)
			continue;
		high = fcntl(fd[i], F_DUPFD_CLOEXEC, 3);
		err = errno;
		close(fd[i]);
		if (high < 0) {
			if (i == 0)
				close(fd[1]);
			errno = err;
			return -1;
		}
		fd[i] = high;
	}
	return 0;
}

/* Reaps the child without blocking past the deadline (at least half a second after BYE);
 * a program still running then is killed. */
static pid_t pe_hook_waitpid(assuan_context_t ctx, pid_t pid, int nowait, int *status, int options)
{
	static const struct timespec tick = {0, 5000000};
	pe_conv *c;
	long grace;
	int st = 0;

	if (nowait)
		return __assuan_waitpid(ctx, pid, nowait, status, options);
	c = assuan_get_pointer(ctx);
	grace = pe_ms_left(c);
	if (grace < 500)
		grace = 500;
	for (long waited = 0; waited <= grace; waited += 5) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid || (r < 0 && errno != EINTR))
			goto done;
		nanosleep(&tick, NULL);
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
done:
	if (status)
		*status = st;
	return pid;
}

static struct assuan_system_hooks pe_sys = {
	ASSUAN_SYSTEM_HOOKS_VERSION,
	__assuan_usleep,
	pe_hook_pipe,
	__assuan_close,
	pe_hook_read,
	pe_hook_write,
	__assuan_recvmsg,
	__assuan_sendmsg,
	__assuan_spawn,
	pe_hook_waitpid,
	__assuan_socketpair,
	__assuan_socket,
	__assuan_connect,
};

static void pe_mem_free(void *p)
{
	if (!p)
		return;
	OPENSSL_cleanse(p, malloc_usable_size(p));
	free(p);
}

static void *pe_mem_malloc(size_t n)
{
	return malloc(n);
}

/* Moves the block rather than letting realloc leave the old one unwiped. */
static void *pe_mem_realloc(void *p, size_t n)
{
	void *q;
	size_t old;

	if (!p)
		return malloc(n);
	if (n == 0) {
		pe_mem_free(p);
		return NULL;
	}
	q = malloc(n);
	if (!q)
		return NULL;
	old = malloc_usable_size(p);
	memcpy(q, p, old < n ? old : n);
	pe_mem_free(p);
	return q;
}

static struct assuan_malloc_hooks pe_mem = {pe_mem_malloc, pe_mem_realloc, pe_mem_free};

/* libassuan logs nothing of ours: no line of the conversation may reach a log. */
static int pe_log(assuan_context_t ctx, void *hook, unsigned int cat, const char *msg)
{
	(void)ctx;
	(void)hook;
	(void)cat;
	(void)msg;
	return 0;
}

/* "VERB text" with %, CR, LF and other control characters percent-escaped; false when it
 * does not fit an Assuan line. */
static bool pe_line_build(char line[ASSUAN_LINELENGTH], const char *verb, const char *text)
{
	size_t n = (size_t)snprintf(line, ASSUAN_LINELENGTH, "%s", verb);
	if (!text)
		return true;
	if (n + 1 >= ASSUAN_LINELENGTH)
		return false;
	line[n++] = ' ';
	for (const unsigned char *s = (const unsigned char *)text; *s; s++) {
		bool esc = *s < 0x20 || *s == '%';
		if (n + (esc ? 3 : 1) >= ASSUAN_LINELENGTH)
			return false;
		if (esc)
			n += (size_t)snprintf(line + n, 4, "%%%02X", *s);
		else
			line[n++] = (char)*s;
	}
	line[n] = '\0';
	return true;
}

static gpg_error_t pe_pin_data(void *opaque, const void *buf, size_t len)
{
	pe_conv *c = opaque;

	pe_trace(c, "<- ", "D [hidden]");
	if (c->too_long || len > PIV_PIN_MAX - c->pin_len) {
		c->too_long = true;
		OPENSSL_cleanse(c->pin, PIV_PIN_MAX + 1);
		c->pin_len = 0;
		return gpg_error(GPG_ERR_TOO_LARGE);
	}
	memcpy(c->pin + c->pin_len, buf, len);
	c->pin_len += len;
	return 0;
}

static mod_pinentry_result pe_err_why(const pe_conv *c, gpg_error_t err, const char **why)
{
	if (!err) {
		*why = "";
		return MOD_PINENTRY_OK;
	}
	if (c->no_program) {
		*why = "no pinentry program to run";
		return MOD_PINENTRY_FAILED;
	}
	if (c->timed_out) {
		*why = "the pinentry did not answer by the deadline";
		return MOD_PINENTRY_TIMEOUT;
	}
	if (c->too_long) {
		*why = "the pinentry gave a PIN longer than a PIV PIN";
		return MOD_PINENTRY_FAILED;
	}
	if (c->text_too_long) {
		*why = "a text for the pinentry is longer than an Assuan line";
		return MOD_PINENTRY_FAILED;
	}
	if (c->io_failed) {
		*why = "the pinentry ended the conversation (it died or closed its pipes)";
		return MOD_PINENTRY_FAILED;
	}
	switch (gpg_err_code(err)) {
	case GPG_ERR_CANCELED:
	case GPG_ERR_FULLY_CANCELED:
		*why = "the user cancelled the pinentry";
		return MOD_PINENTRY_CANCELLED;
	case GPG_ERR_TIMEOUT: *why = "the pinentry timed out"; return MOD_PINENTRY_TIMEOUT;
	default: *why = "the pinentry refused a command"; return MOD_PINENTRY_FAILED;
	}
}

/* The result of a call, and why in a sentence for the caller's trace when it wants one. */
static mod_pinentry_result pe_err_map(const pe_conv *c, gpg_error_t err, const char **why)
{
	const char *ignored;
	return pe_err_why(c, err, why ? why : &ignored);
}

/* One command and its answer, both traced (a D line only as pe_pin_data says). */
static gpg_error_t pe_transact(assuan_context_t ctx, pe_conv *c, const char *line,
                               gpg_error_t (*data_cb)(void *, const void *, size_t))
{
	char answer[160];
	gpg_error_t err;

	pe_trace(c, "-> ", line);
	err = assuan_transact(ctx, line, data_cb, data_cb ? c : NULL, NULL, NULL, NULL, NULL);
	if (err)
		snprintf(answer, sizeof answer, "ERR %u (code %u)", (unsigned)err,
		         (unsigned)gpg_err_code(err));
	else
		snprintf(answer, sizeof answer, "OK");
	pe_trace(c, "<- ", answer);
	return err;
}

static gpg_error_t pe_send(assuan_context_t ctx, pe_conv *c, const char *verb, const char *text)
{
	char line[ASSUAN_LINELENGTH];
	if (!pe_line_build(line, verb, text)) {
		c->text_too_long = true;
		return gpg_error(GPG_ERR_LINE_TOO_LONG);
	}
	return pe_transact(ctx, c, line, NULL);
}

/* The locale categories as the C library reads them from the environment. */
static const char *pe_env_locale(const char *category)
{
	const char *names[] = {"LC_ALL", category, "LANG"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		const char *v = getenv(names[i]);
		if (v && *v)
			return v;
	}
	return NULL;
}

/* OPTIONs from the environment, as GnuPG passes them; a pinentry that does not know one
 * answers ERR, which is no reason to stop (only a broken pipe or the deadline is). */
static gpg_error_t pe_options_send(assuan_context_t ctx, pe_conv *c)
{
	char tty[256] = "";
	const char *gpg_tty = getenv("GPG_TTY");
	struct {
		const char *name;
		const char *value;
	} opts[] = {
		{"ttyname", NULL},
		{"ttytype", getenv("TERM")},
		{"display", getenv("DISPLAY")},
		{"lc-ctype", pe_env_locale("LC_CTYPE")},
		{"lc-messages", pe_env_locale("LC_MESSAGES")},
	};
	if (gpg_tty && *gpg_tty)
		snprintf(tty, sizeof tty, "%s", gpg_tty);
	else if (isatty(STDIN_FILENO) && ttyname_r(STDIN_FILENO, tty, sizeof tty) != 0)
		tty[0] = '\0';
	opts[0].value = tty[0] ? tty : NULL;
	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
		char text[ASSUAN_LINELENGTH];
		gpg_error_t err;

		if (!opts[i].value || !*opts[i].value)
			continue;
		if ((size_t)snprintf(text, sizeof text, "%s=%s", opts[i].name, opts[i].value) >=
		    sizeof text)
			continue;
		err = pe_send(ctx, c, "OPTION", text);
		if (err && (c->timed_out || c->io_failed))
			return err;
		c->text_too_long = false;
	}
	return 0;
}

static void pe_conv_init(pe_conv *c, const mod_pinentry_req *req, char *pin)
{
	memset(c, 0, sizeof *c);
	clock_gettime(CLOCK_MONOTONIC, &c->deadline);
	c->deadline.tv_sec += req->deadline_ms / 1000;
	c->deadline.tv_nsec += (long)(req->deadline_ms % 1000) * 1000000;
	if (c->deadline.tv_nsec >= 1000000000) {
		c->deadline.tv_sec++;
		c->deadline.tv_nsec -= 1000000000;
	}
	c->pin = pin;
	c->trace = req->trace;
}

/* Starts the program and reads its greeting; then the options and the texts. */
static gpg_error_t pe_open(assuan_context_t *ctx, pe_conv *c, const mod_pinentry_req *req,
                           char *pin)
{
	const char *slash;
	const char *argv[2] = {NULL, NULL};
	assuan_fd_t no_fds[] = {ASSUAN_INVALID_FD};
	gpg_error_t err;

	pe_conv_init(c, req, pin);
	if (!req->program || !*req->program || access(req->program, X_OK) != 0) {
		c->no_program = true;
		return gpg_error(GPG_ERR_ENOENT);
	}
	err = assuan_new_ext(ctx, GPG_ERR_SOURCE_DEFAULT, &pe_mem, pe_log, NULL);
	if (err)
		return err;
	assuan_set_flag(*ctx, ASSUAN_NO_LOGGING, 1);
	assuan_ctx_set_system_hooks(*ctx, &pe_sys);
	assuan_set_pointer(*ctx, c);
	slash = strrchr(req->program, '/');
	argv[0] = slash ? slash + 1 : req->program;
	pe_trace(c, "-- run ", req->program);
	err = assuan_pipe_connect(*ctx, req->program, argv, no_fds, NULL, NULL, 0);
	if (err)
		return err;
	pe_trace(c, "<- ", "OK (greeting)");
	err = pe_options_send(*ctx, c);
	if (!err && req->title)
		err = pe_send(*ctx, c, "SETTITLE", req->title);
	if (!err && req->desc)
		err = pe_send(*ctx, c, "SETDESC", req->desc);
	return err;
}

/* BYE when the conversation is still sound; a program that may be stuck is killed so that
 * releasing the context (which waits for it) cannot block. */
static void pe_close(assuan_context_t ctx, pe_conv *c, bool sound)
{
	pid_t pid;

	if (!ctx)
		return;
	pid = assuan_get_pid(ctx);
	if (sound)
		pe_transact(ctx, c, "BYE", NULL);
	else if (pid > 0 && pid != (pid_t)ASSUAN_INVALID_PID)
		kill(pid, SIGKILL);
	assuan_release(ctx);
}

mod_pinentry_result mod_pinentry_pin_get(const mod_pinentry_req *req, char pin[PIV_PIN_MAX + 1],
                                         size_t *pin_len, const char **why)
{
	pe_conv c;
	assuan_context_t ctx = NULL;
	mod_pinentry_result res;
	gpg_error_t err;

	*pin_len = 0;
	OPENSSL_cleanse(pin, PIV_PIN_MAX + 1);
	err = pe_open(&ctx, &c, req, pin);
	if (!err && req->prompt)
		err = pe_send(ctx, &c, "SETPROMPT", req->prompt);
	if (!err && req->timeout_s) {
		char secs[16];
		snprintf(secs, sizeof secs, "%u", req->timeout_s);
		err = pe_send(ctx, &c, "SETTIMEOUT", secs);
	}
	if (!err && req->error)
		err = pe_send(ctx, &c, "SETERROR", req->error);
	if (!err) {
		assuan_begin_confidential(ctx);
		err = pe_transact(ctx, &c, "GETPIN", pe_pin_data);
		assuan_end_confidential(ctx);
	}
	res = pe_err_map(&c, err, why);
	if (!err && c.pin_len == 0) {
		/* GETPIN answered OK with no D line: the user confirmed an empty PIN. */
		if (why)
			*why = "the pinentry gave an empty PIN";
		res = MOD_PINENTRY_EMPTY;
	}
	pe_close(ctx, &c, res != MOD_PINENTRY_TIMEOUT && !c.io_failed && !c.too_long);
	if (res != MOD_PINENTRY_OK) {
		OPENSSL_cleanse(pin, PIV_PIN_MAX + 1);
		c.pin_len = 0;
	}
	*pin_len = c.pin_len;
	return res;
}

mod_pinentry_result mod_pinentry_message_show(const mod_pinentry_req *req, const char **why)
{
	pe_conv c;
	assuan_context_t ctx = NULL;
	mod_pinentry_result res;
	gpg_error_t err = pe_open(&ctx, &c, req, NULL);

	if (!err)
		err = pe_send(ctx, &c, "MESSAGE", NULL);
	res = pe_err_map(&c, err, why);
	pe_close(ctx, &c, res != MOD_PINENTRY_TIMEOUT && !c.io_failed);
	return res;
}
