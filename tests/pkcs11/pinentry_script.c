/* A scripted pinentry for tests/pkcs11/test_mod_pinentry: speaks enough Assuan for the
 * module's client, answers GETPIN as PINENTRY_SCRIPT says, and appends to the file
 * PINENTRY_SCRIPT_LOG first the file descriptors it was started with ("FD n target"), then
 * every line it received.
 * PINENTRY_SCRIPT: "pin:TEXT" (D TEXT, sent as is: escapes included), "cancel" (ERR 99 as
 * pinentry sends it), "timeout" (ERR 62, its own timeout), "long" (a 12-digit PIN), "die"
 * (exits at GETPIN without a word), "silent" (never answers GETPIN). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void fds_log(FILE *log)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
			continue;
		char path[300], target[512];
		snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
		ssize_t n = readlink(path, target, sizeof target - 1);
		target[n < 0 ? 0 : n] = '\0';
		fprintf(log, "FD %s %s\n", e->d_name, target);
	}
	closedir(d);
}

int main(void)
{
	const char *mode = getenv("PINENTRY_SCRIPT");
	const char *log_path = getenv("PINENTRY_SCRIPT_LOG");
	if (!mode || !log_path)
		return 2;
	/* The listing comes before the log is opened, so that it shows only what was inherited. */
	char fds[4096];
	FILE *mem = fmemopen(fds, sizeof fds, "w");
	if (!mem)
		return 2;
	fds_log(mem);
	fclose(mem);
	FILE *log = fopen(log_path, "a");
	if (!log)
		return 2;
	fputs(fds, log);
	fflush(log);
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("OK Pleased to meet you\n");
	char line[2048];
	while (fgets(line, sizeof line, stdin)) {
		fputs(line, log);
		fflush(log);
		if (strncmp(line, "BYE", 3) == 0) {
			printf("OK closing connection\n");
			return 0;
		}
		if (strncmp(line, "GETPIN", 6) != 0) {
			printf("OK\n");
			continue;
		}
		if (strncmp(mode, "pin:", 4) == 0)
			printf("D %s\nOK\n", mode + 4);
		else if (strcmp(mode, "cancel") == 0)
			printf("ERR 83886179 Operation cancelled <Pinentry>\n");
		else if (strcmp(mode, "timeout") == 0)
			printf("ERR 83886142 Timeout <Pinentry>\n");
		else if (strcmp(mode, "long") == 0)
			printf("D 123456789012\nOK\n");
		else if (strcmp(mode, "die") == 0)
			_exit(1);
		else
			for (;;)
				pause();
	}
	return 0;
}
