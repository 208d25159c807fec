/* Where the tests put their files: $TMPDIR when set and not empty, else /tmp. */
#ifndef KINKO_TMPDIR_TEST_UTIL_H
#define KINKO_TMPDIR_TEST_UTIL_H

#include <stddef.h>

/* The directory for temporary files. */
const char *tkit_tmp_root(void);
/* A fresh private directory <root>/kinko-<name>-XXXXXX into buf. 0, or -1 (too long, or
 * mkdtemp failed). */
int tkit_tmpdir_make(char *buf, size_t size, const char *name);
/* A file <root>/kinko-<name>-<pid> holding text; its path into buf. 0, or -1. */
int tkit_file_write(char *buf, size_t size, const char *name, const char *text);

#endif
