/* What the test's own process writes to stderr (the module's and the driver's traces),
 * captured in a private temporary file while a test runs the calls it is about. */
#ifndef KINKO_CAPTURE_TEST_UTIL_H
#define KINKO_CAPTURE_TEST_UTIL_H

typedef struct {
	int saved; /* the real stderr while capturing, else -1 */
	int fd;    /* the (unlinked) file */
} tkit_capture;
#define TKIT_CAPTURE_OFF \
	{                \
		-1, -1   \
	}

/* From now on stderr goes to a fresh file. Asserts (cmocka). */
void tkit_capture_begin(tkit_capture *c);
/* stderr back; what was written meanwhile, NUL-terminated (free it). Asserts. */
char *tkit_capture_end(tkit_capture *c);
/* stderr back if a capture is still on: for a teardown after a failed test. */
void tkit_capture_abort(tkit_capture *c);

/* In a captured trace: the lines starting with prefix, and the commands sent (the
 * "kinko: apdu N >" lines of KINKO_DEBUG=apdu). */
unsigned tkit_trace_lines(const char *text, const char *prefix);
unsigned tkit_trace_apdus(const char *text);

#endif
