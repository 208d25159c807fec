/* Secrets for kinko: the token PIN from --pin-file / --pin-fd, any secret from a --secrets-file
 * of key=value lines, otherwise a no-echo prompt on the terminal. Never argv or environment.
 * Everything read is wiped (OPENSSL_cleanse) once used or at exit. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "i18n.h"
#include "kinko.h"
#include "prompt.h"

#define PIN_FILE_MAX 8192 /* a secrets file larger than this is not one */

/* --pin-fd can be read only once: its first line is kept here for the run. */
static char fd_pin[KINKO_SECRET_MAX];
static bool fd_pin_read;

/* Where the last token_pin came from when it was a file (for the note after a forced change). */
static const char *token_pin_file;

/* A secrets or PIN file others can read has leaked its secrets already: say so once per
 * file, naming it and the fix. A warning only: the run goes on. */
static void pin_check_mode(int fd, const char *path)
{
	static const char *warned[2];
	struct stat st;
	size_t i;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & (S_IRWXG | S_IRWXO)) == 0)
		return;
	for (i = 0; i < 2 && warned[i]; i++)
		if (strcmp(warned[i], path) == 0)
			return;
	if (i < 2)
		warned[i] = path;
	fprintf(stderr,
	        _("kinko: warning: %1$s can be read by other users (mode %2$03o): its "
	          "secrets are not safe; run: chmod 600 %1$s\n"),
	        path, (unsigned)(st.st_mode & 0777));
}

const char *kinko_secret_file_of_token_pin(void)
{
	return token_pin_file;
}

void kinko_secrets_wipe(void)
{
	OPENSSL_cleanse(fd_pin, sizeof(fd_pin));
	fd_pin_read = false;
}

/* Read up to cap-1 bytes of fd into buf (NUL-terminated). -1 on error or when it does not fit. */
static ssize_t pin_read_all(int fd, char *buf, size_t cap)
{
	size_t n = 0;

	for (;;) {
		ssize_t r = read(fd, buf + n, cap - 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == cap - 1) {
			char extra;

			/* Full: only acceptable when nothing follows. */
			r = read(fd, &extra, 1);
			if (r != 0)
				return -1;
			break;
		}
	}
	buf[n] = '\0';
	return (ssize_t)n;
}

/* The first line of text (up to CR or LF) into out; false when empty or too long. */
static bool pin_first_line(const char *text, char *out, size_t cap)
{
	size_t n = strcspn(text, "\r\n");

	if (n == 0 || n >= cap)
		return false;
	memcpy(out, text, n);
	out[n] = '\0';
	return true;
}

static int pin_from_file(const kinko_ctx *ctx, const char *path, char *buf, size_t cap)
{
	char text[PIN_FILE_MAX];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	bool ok;

	if (fd < 0) {
		kinko_err(ctx, "pin_file_unreadable", NULL, _("cannot read the PIN file %s: %s"),
		          path, strerror(errno));
		return KINKO_EXIT_USAGE;
	}
	pin_check_mode(fd, path);
	n = pin_read_all(fd, text, sizeof(text));
	close(fd);
	ok = n > 0 && pin_first_line(text, buf, cap);
	OPENSSL_cleanse(text, sizeof(text));
	if (!ok) {
		kinko_err(ctx, "pin_file_empty", NULL,
		          _("the PIN file %s holds no PIN on its first line"), path);
		return KINKO_EXIT_USAGE;
	}
	return KINKO_EXIT_OK;
}

/* The first line of fd, byte by byte: the writer may keep its end open after the line. */
static bool pin_read_line(int fd, char *out, size_t cap)
{
	size_t n = 0;
	char c;

	for (;;) {
		ssize_t r = read(fd, &c, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || c == '\n' || c == '\r')
			break;
		if (n + 1 >= cap) {
			OPENSSL_cleanse(out, cap);
			return false;
		}
		out[n++] = c;
	}
	out[n] = '\0';
	return n > 0;
}

static int pin_from_fd(const kinko_ctx *ctx, char *buf, size_t cap)
{
	if (!fd_pin_read) {
		if (!pin_read_line(ctx->pin_fd, fd_pin, sizeof(fd_pin))) {
			kinko_err(ctx, "pin_fd_unreadable", NULL,
			          _("no PIN could be read from file descriptor %d"), ctx->pin_fd);
			return KINKO_EXIT_USAGE;
		}
		fd_pin_read = true;
	}
	if (strlen(fd_pin) >= cap) {
		kinko_err(ctx, "secret_too_long", NULL,
		          _("the PIN from file descriptor %d is too long"), ctx->pin_fd);
		return KINKO_EXIT_USAGE;
	}
	strcpy(buf, fd_pin);
	return KINKO_EXIT_OK;
}

/* key=value in the secrets file: 1 found, 0 absent, an exit code (>1) negated on error. */
static int pin_from_secrets(const kinko_ctx *ctx, const char *key, char *buf, size_t cap)
{
	char text[PIN_FILE_MAX];
	size_t klen = strlen(key);
	int fd, found = 0;
	ssize_t n;
	char *line, *save = NULL;

	fd = open(ctx->secrets_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		kinko_err(ctx, "secrets_file_unreadable", NULL,
		          _("cannot read the secrets file %s: %s"), ctx->secrets_file,
		          strerror(errno));
		return -KINKO_EXIT_USAGE;
	}
	pin_check_mode(fd, ctx->secrets_file);
	n = pin_read_all(fd, text, sizeof(text));
	close(fd);
	if (n < 0) {
		OPENSSL_cleanse(text, sizeof(text));
		kinko_err(ctx, "secrets_file_unreadable", NULL,
		          _("the secrets file %s cannot be read or is too large"),
		          ctx->secrets_file);
		return -KINKO_EXIT_USAGE;
	}
	for (line = strtok_r(text, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
		if (strncmp(line, key, klen) != 0 || line[klen] != '=')
			continue;
		if (line[klen + 1] == '\0' || strlen(line + klen + 1) >= cap) {
			found = -KINKO_EXIT_USAGE;
			kinko_err(ctx, "secret_invalid", NULL,
			          _("%s in the secrets file %s is empty or too long"), key,
			          ctx->secrets_file);
		} else {
			strcpy(buf, line + klen + 1);
			found = 1;
		}
		break;
	}
	OPENSSL_cleanse(text, sizeof(text));
	return found;
}

/* A no-echo prompt on the terminal (common/prompt.c). */
static int pin_prompt(const kinko_ctx *ctx, bool token_pin, const char *prompt, char *buf,
                      size_t cap)
{
	char text[200];

	/* TRANSLATORS: a no-echo prompt, %s the secret's name: "token PIN: ". */
	snprintf(text, sizeof(text), _("%s: "), prompt);
	switch (prompt_secret_read(text, buf, cap)) {
	case PROMPT_OK:
		if (buf[0] != '\0')
			return KINKO_EXIT_OK;
		break;
	case PROMPT_NO_TERMINAL:
		/* prompt is the secret's translated name ("token PIN", "contract PIN (イ)"). */
		if (token_pin)
			kinko_err(ctx, "no_terminal", NULL,
			          _("no terminal to ask for the %s: give it "
			            "with --secrets-file, --pin-file or --pin-fd"),
			          prompt);
		else
			kinko_err(ctx, "no_terminal", NULL,
			          _("no terminal to ask for the %s: give it "
			            "with --secrets-file"),
			          prompt);
		return KINKO_EXIT_USAGE;
	case PROMPT_INTERRUPTED:
		kinko_err(ctx, "interrupted", NULL, _("interrupted at the %s prompt"), prompt);
		return KINKO_EXIT_FAIL;
	case PROMPT_TOO_LONG:
	case PROMPT_FAILED: break;
	}
	kinko_err(ctx, "secret_missing", NULL, _("no %s entered (or longer than %zu characters)"),
	          prompt, cap - 1);
	return KINKO_EXIT_USAGE;
}

int kinko_secret_read(const kinko_ctx *ctx, const char *key, const char *prompt, char *buf,
                      size_t cap)
{
	bool token_pin = strcmp(key, "token_pin") == 0;

	if (cap < 2)
		return KINKO_EXIT_FAIL;
	buf[0] = '\0';
	if (token_pin)
		token_pin_file = NULL;
	if (token_pin && ctx->pin_file) {
		token_pin_file = ctx->pin_file;
		return pin_from_file(ctx, ctx->pin_file, buf, cap);
	}
	if (token_pin && ctx->pin_fd >= 0)
		return pin_from_fd(ctx, buf, cap);
	if (ctx->secrets_file) {
		int r = pin_from_secrets(ctx, key, buf, cap);

		if (r == 1 && token_pin)
			token_pin_file = ctx->secrets_file;
		if (r == 1)
			return KINKO_EXIT_OK;
		if (r < 0)
			return -r;
	}
	return pin_prompt(ctx, token_pin, prompt, buf, cap);
}

int kinko_secret_read_new(const kinko_ctx *ctx, const char *key, const char *prompt, char *buf,
                          size_t cap)
{
	char again[KINKO_SECRET_MAX], prompt2[160];
	int attempt, r;

	if (cap < 2)
		return KINKO_EXIT_FAIL;
	if (ctx->secrets_file) {
		r = pin_from_secrets(ctx, key, buf, cap);
		if (r == 1)
			return KINKO_EXIT_OK;
		if (r < 0)
			return -r;
	}
	/* TRANSLATORS: the prompt asking a new secret the second time: "new token PIN again". */
	snprintf(prompt2, sizeof(prompt2), _("%s again"), prompt);
	for (attempt = 0; attempt < 3; attempt++) {
		r = pin_prompt(ctx, false, prompt, buf, cap);
		if (r != KINKO_EXIT_OK)
			return r;
		r = pin_prompt(ctx, false, prompt2, again, sizeof(again));
		if (r != KINKO_EXIT_OK) {
			OPENSSL_cleanse(buf, cap);
			return r;
		}
		if (strlen(buf) == strlen(again) && CRYPTO_memcmp(buf, again, strlen(buf)) == 0) {
			OPENSSL_cleanse(again, sizeof(again));
			return KINKO_EXIT_OK;
		}
		OPENSSL_cleanse(again, sizeof(again));
		OPENSSL_cleanse(buf, cap);
		kinko_err(ctx, "secret_mismatch", NULL, _("the two entries differ; try again"));
	}
	kinko_err(ctx, "secret_not_confirmed", NULL, _("the %s was not confirmed"), prompt);
	return KINKO_EXIT_USAGE;
}
