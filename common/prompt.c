/* The no-echo secret prompt shared by kinko and kinko-bankd (see prompt.h). */
#include "prompt.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

/* While the prompt waits, SIGINT/SIGTERM/SIGHUP end the wait so the terminal gets its echo back
 * before the signal takes its course: the caller's disposition is restored and the signal
 * raised again (the default ends the program; a caller's catcher unwinds it). The signals stay
 * blocked except inside ppoll, which unblocks them atomically: one landing between the
 * prompt's write and the wait is taken by ppoll, not lost before a read that would then wait
 * for a line forever. */
static const int prompt_sigs[] = {SIGINT, SIGTERM, SIGHUP};
static volatile sig_atomic_t prompt_sig;

static void prompt_on_signal(int sig)
{
	prompt_sig = sig;
}

/* *outer: the caller's signal mask, given back by prompt_signals_give_back. */
static void prompt_signals_take(struct sigaction old[3], sigset_t *outer)
{
	struct sigaction sa = {0};
	sigset_t block;

	prompt_sig = 0;
	sigemptyset(&block);
	for (size_t i = 0; i < 3; i++)
		sigaddset(&block, prompt_sigs[i]);
	(void)sigprocmask(SIG_BLOCK, &block, outer);
	sa.sa_handler = prompt_on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < 3; i++) {
		if (sigaction(prompt_sigs[i], NULL, &old[i]) == 0 && old[i].sa_handler != SIG_IGN)
			(void)sigaction(prompt_sigs[i], &sa, NULL);
	}
}

static void prompt_signals_give_back(const struct sigaction old[3], const sigset_t *outer)
{
	/* Unblocked while our handler is still in place: a signal that came during the read is
	 * recorded in prompt_sig, then raised again under the caller's disposition. */
	(void)sigprocmask(SIG_SETMASK, outer, NULL);
	for (size_t i = 0; i < 3; i++)
		(void)sigaction(prompt_sigs[i], &old[i], NULL);
	if (prompt_sig)
		raise(prompt_sig);
}

/* Wait for the typed line with the prompt's signals deliverable, then read it; -1 when a
 * signal (prompt_sig) or an error ended the wait. */
static ssize_t prompt_line_read(int fd, char *line, size_t cap, const sigset_t *outer)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	sigset_t waiting = *outer;
	int r;

	for (size_t i = 0; i < 3; i++)
		sigdelset(&waiting, prompt_sigs[i]);
	do
		r = ppoll(&p, 1, NULL, &waiting);
	while (r < 0 && errno == EINTR && !prompt_sig);
	if (r < 0 || prompt_sig)
		return -1;
	/* A whole line (canonical mode), end of file or hang-up is ready: read does not wait. */
	return read(fd, line, cap);
}

enum prompt_result prompt_secret_read(const char *text, char *out, size_t cap)
{
	struct termios old, quiet;
	struct sigaction sigs[3];
	sigset_t outer;
	char line[PROMPT_LINE_MAX + 2];
	ssize_t n;
	size_t len;
	int fd;
	bool restore = false;
	enum prompt_result res;

	if (cap == 0)
		return PROMPT_FAILED;
	out[0] = '\0';
	fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return PROMPT_NO_TERMINAL;
	prompt_signals_take(sigs,
	                    &outer); /* before echo goes off: a signal finds the tty restored */
	if (tcgetattr(fd, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
		quiet.c_lflag |= ICANON;
		restore = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
	}
	if (dprintf(fd, "%s", text) < 0)
		n = -1;
	else
		n = prompt_line_read(fd, line, sizeof(line) - 1, &outer);
	if (restore)
		tcsetattr(fd, TCSAFLUSH, &old);
	if (dprintf(fd, "\n") < 0)
		n = -1;
	close(fd);
	len = n > 0 ? (size_t)n : 0;
	line[len] = '\0';
	if (prompt_sig)
		res = PROMPT_INTERRUPTED;
	else if (n <= 0)
		res = PROMPT_FAILED;
	else if ((len = strcspn(line, "\r\n")) >= cap || len > PROMPT_LINE_MAX)
		res = PROMPT_TOO_LONG; /* longer than the caller's buffer or than ours */
	else {
		memcpy(out, line, len);
		out[len] = '\0';
		res = PROMPT_OK;
	}
	OPENSSL_cleanse(line, sizeof(line));
	prompt_signals_give_back(sigs, &outer);
	return res;
}
