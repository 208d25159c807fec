/* The tests' temporary directory (tmpdir_test_util.h). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "emu_client.h"
#include "tmpdir_test_util.h"

const char *tkit_tmp_root(void)
{
	const char *tmp = getenv("TMPDIR");

	return tmp && *tmp ? tmp : "/tmp";
}

int tkit_tmpdir_make(char *buf, size_t size, const char *name)
{
	int n = snprintf(buf, size, "%s/kinko-%s-XXXXXX", tkit_tmp_root(), name);

	if (n < 0 || (size_t)n >= size)
		return -1;
	return mkdtemp(buf) ? 0 : -1;
}

int tkit_file_write(char *buf, size_t size, const char *name, const char *text)
{
	int n = snprintf(buf, size, "%s/kinko-%s-%ld", tkit_tmp_root(), name, (long)getpid());

	if (n < 0 || (size_t)n >= size)
		return -1;
	return emu_write_file(buf, text);
}
