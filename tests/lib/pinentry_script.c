/* A scripted pinentry for the tests: speaks enough Assuan for the module's client, answers
 * GETPIN as its mode says, and appends to its log first the file descriptors it was started
 * with ("FD n target"), then every line it received.
 * PINENTRY_SCRIPT=MODE: "pin:TEXT" (D TEXT, sent as is: escapes included), "cancel" (ERR 99
 * as pinentry sends it), "timeout" (ERR 62, its own timeout), "long" (a 12-digit PIN), "die"
 * (exits at GETPIN without a word), "silent" (never answers GETPIN), "slow:MS:TEXT" (D TEXT
 * after MS milliseconds: a user taking their time).
 * PINENTRY_SCRIPT=file:PATH: PATH holds one MODE per line, and each conversation (its GETPIN
 * or MESSAGE) takes the next line, its position kept in PATH.pos under flock so that runs at
 * the same time never take the same line; past the last line the answer is "cancel". A
 * MESSAGE is answered OK unless its line is "die" or "silent".
 * The log is PINENTRY_SCRIPT_LOG, or PATH.log in file mode when that is unset. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#define SCRIPT_LINE_MAX 512

static void fds_log(FILE *log)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[300], target[512];
		ssize_t n;

		if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
			continue;
		snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
		n = readlink(path, target, sizeof target - 1);
		target[n < 0 ? 0 : n] = '\0';
		fprintf(log, "FD %s %s\n", e->d_name, target);
	}
	closedir(d);
}

/* Takes the next line number of PATH.pos (0 the first time) and counts it as taken; -1 when
 * the position file cannot be used. */
static long script_position_take(const char *path)
{
	char pos_path[4096], text[32] = "";
	long pos = -1;
	ssize_t n;
	int fd;

	if ((size_t)snprintf(pos_path, sizeof pos_path, "%s.pos", path) >= sizeof pos_path)
		return -1;
	fd = open(pos_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX) == 0) {
		n = read(fd, text, sizeof text - 1);
		text[n < 0 ? 0 : n] = '\0';
		pos = atol(text);
		n = snprintf(text, sizeof text, "%ld\n", pos + 1);
		if (lseek(fd, 0, SEEK_SET) != 0 || ftruncate(fd, 0) != 0 ||
		    write(fd, text, (size_t)n) != n)
			pos = -1;
	}
	close(fd); /* releases the lock */
	return pos;
}

/* Line pos (from 0) of PATH into mode, without its newline; "cancel" past the end. */
static void script_line_read(const char *path, long pos, char mode[SCRIPT_LINE_MAX])
{
	FILE *f = fopen(path, "re");
	long i;

	snprintf(mode, SCRIPT_LINE_MAX, "cancel");
	if (!f || pos < 0) {
		if (f)
			fclose(f);
		return;
	}
	for (i = 0; i <= pos; i++) {
		if (!fgets(mode, SCRIPT_LINE_MAX, f)) {
			snprintf(mode, SCRIPT_LINE_MAX, "cancel");
			break;
		}
	}
	fclose(f);
	mode[strcspn(mode, "\r\n")] = '\0';
}

/* The mode of this conversation: PINENTRY_SCRIPT itself, or in file mode the next line. */
static const char *script_mode(const char *env, char line[SCRIPT_LINE_MAX])
{
	if (strncmp(env, "file:", 5) != 0)
		return env;
	script_line_read(env + 5, script_position_take(env + 5), line);
	return line;
}

static void script_slow_answer(const char *ms_text)
{
	long ms = atol(ms_text);
	struct timespec pause_ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&pause_ts, &pause_ts) != 0 && errno == EINTR)
		;
	printf("D %s\nOK\n", strchr(ms_text, ':') + 1);
}

static void script_getpin_answer(const char *mode)
{
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
	else if (strncmp(mode, "slow:", 5) == 0 && strchr(mode + 5, ':'))
		script_slow_answer(mode + 5);
	else
		for (;;)
			pause();
}

static void script_message_answer(const char *mode)
{
	if (strcmp(mode, "die") == 0)
		_exit(1);
	if (strcmp(mode, "silent") == 0)
		for (;;)
			pause();
	printf("OK\n");
}

int main(void)
{
	const char *env = getenv("PINENTRY_SCRIPT");
	const char *log_env = getenv("PINENTRY_SCRIPT_LOG");
	char log_path[4096], fds[4096], mode_line[SCRIPT_LINE_MAX], line[2048];
	FILE *mem, *log;

	if (!env)
		return 2;
	if (log_env && *log_env)
		snprintf(log_path, sizeof log_path, "%s", log_env);
	else if (strncmp(env, "file:", 5) == 0)
		snprintf(log_path, sizeof log_path, "%s.log", env + 5);
	else
		return 2;
	/* The listing comes before the log is opened, so that it shows only what was inherited. */
	mem = fmemopen(fds, sizeof fds, "w");
	if (!mem)
		return 2;
	fds_log(mem);
	fclose(mem);
	log = fopen(log_path, "ae");
	if (!log)
		return 2;
	fputs(fds, log);
	fflush(log);
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("OK Pleased to meet you\n");
	while (fgets(line, sizeof line, stdin)) {
		fputs(line, log);
		fflush(log);
		if (strncmp(line, "BYE", 3) == 0) {
			printf("OK closing connection\n");
			return 0;
		}
		if (strncmp(line, "GETPIN", 6) == 0)
			script_getpin_answer(script_mode(env, mode_line));
		else if (strncmp(line, "MESSAGE", 7) == 0)
			script_message_answer(script_mode(env, mode_line));
		else
			printf("OK\n");
	}
	return 0;
}
