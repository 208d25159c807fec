/* stderr captured in a temporary file (capture_test_util.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture_test_util.h"
#include "tmpdir_test_util.h"

void tkit_capture_begin(tkit_capture *c)
{
	char path[256];

	assert_true(snprintf(path, sizeof(path), "%s/kinko-stderr-XXXXXX", tkit_tmp_root()) <
	            (int)sizeof(path));
	c->fd = mkstemp(path);
	assert_true(c->fd >= 0);
	unlink(path);
	fflush(stderr);
	c->saved = dup(STDERR_FILENO);
	assert_true(c->saved >= 0);
	assert_true(dup2(c->fd, STDERR_FILENO) == STDERR_FILENO);
}

void tkit_capture_abort(tkit_capture *c)
{
	if (c->saved < 0)
		return;
	fflush(stderr);
	dup2(c->saved, STDERR_FILENO);
	close(c->saved);
	close(c->fd);
	c->saved = c->fd = -1;
}

char *tkit_capture_end(tkit_capture *c)
{
	struct stat st;
	char *text;
	int fd;

	assert_true(c->saved >= 0);
	fflush(stderr);
	/* Keep the file open across the abort, which closes the capture's descriptors. */
	fd = dup(c->fd);
	assert_true(fd >= 0);
	tkit_capture_abort(c);
	assert_int_equal(fstat(fd, &st), 0);
	text = calloc(1, (size_t)st.st_size + 1);
	assert_non_null(text);
	assert_int_equal(pread(fd, text, (size_t)st.st_size, 0), st.st_size);
	close(fd);
	return text;
}

/* Each line of text to match; how many it accepted. */
static unsigned tkit_trace_count(const char *text, const char *prefix, bool apdus)
{
	const char *line, *next;
	unsigned n = 0, seq;

	for (line = text; *line; line = next) {
		char dir = 0;

		next = strchr(line, '\n');
		next = next ? next + 1 : line + strlen(line);
		if (apdus ? sscanf(line, "kinko: apdu %u %c", &seq, &dir) == 2 && dir == '>' :
		            strncmp(line, prefix, strlen(prefix)) == 0)
			n++;
	}
	return n;
}

unsigned tkit_trace_lines(const char *text, const char *prefix)
{
	return tkit_trace_count(text, prefix, false);
}

unsigned tkit_trace_apdus(const char *text)
{
	return tkit_trace_count(text, NULL, true);
}
