/* One fake CCID token for the tests that need a token which lies: a child process serving
 * CCID messages on a Unix socket, each message answered by the test's own function. */
#ifndef KINKO_CCID_FAKE_H
#define KINKO_CCID_FAKE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ccid.h"

/* Answer one host message (h, its h->length bytes of data) on fd. 0 keeps the connection,
 * anything else closes it. */
typedef int (*ccid_fake_answer_fn)(int fd, const ccid_header *h, const uint8_t *data,
                                   const void *arg);

typedef struct {
	char path[192]; /* the socket, for tr_socket_new or KINKO_EMU_SOCKETS */
	pid_t pid;
} ccid_fake;

/* Serve answer(arg) on dir/fake.sock from a child process (killed with the test process).
 * Asserts. */
void ccid_fake_start(ccid_fake *f, const char *dir, ccid_fake_answer_fn answer, const void *arg);
/* Kill the server and remove its socket. */
void ccid_fake_stop(ccid_fake *f);

/* All n bytes, or -1 (peer gone). */
int ccid_fake_write(int fd, const uint8_t *p, size_t n);
int ccid_fake_read(int fd, uint8_t *p, size_t n);
/* A reply header saying len (which may lie) and then n bytes of data. */
int ccid_fake_reply(int fd, uint8_t type, uint32_t len, uint8_t seq, uint8_t status,
                    const uint8_t *data, size_t n);
/* Wait for the host to hang up. */
void ccid_fake_linger(int fd);

#endif
