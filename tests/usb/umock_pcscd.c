/* pcscd inside the umockdev testbed (umock_pcscd.h). */
#include "umock_pcscd.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "tmpdir_test_util.h"

static void umock_pcscd_sleep_ms(long ms)
{
	nanosleep(&(struct timespec){.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L}, NULL);
}

static int umock_pcscd_copy(const char *from, const char *to)
{
	gchar *text = NULL;
	gsize len = 0;
	bool ok = g_file_get_contents(from, &text, &len, NULL) &&
	          g_file_set_contents(to, text, (gssize)len, NULL);

	g_free(text);
	return ok ? 0 : -1;
}

/* libccid's own list (it opens only devices named there) with kinko's IDs added at the
 * head of its three arrays. */
static int umock_pcscd_libccid_list(const char *from, const char *to)
{
	static const char *const keys[][2] = {
		{"<key>ifdVendorID</key>", "0x1209"},
		{"<key>ifdProductID</key>", "0x6B6B"},
		{"<key>ifdFriendlyName</key>", "kinko PIV token"},
	};
	gchar *text = NULL;
	GString *out;
	size_t i;
	bool ok;

	if (!g_file_get_contents(from, &text, NULL, NULL))
		return -1;
	out = g_string_new(text);
	g_free(text);
	for (i = 0; i < G_N_ELEMENTS(keys); i++) {
		const char *k = strstr(out->str, keys[i][0]);
		const char *arr = k ? strstr(k, "<array>") : NULL;
		char *entry;

		if (!arr) {
			g_string_free(out, TRUE);
			return -1;
		}
		entry = g_strdup_printf("\n\t\t<string>%s</string>", keys[i][1]);
		g_string_insert(out, arr - out->str + (gssize)strlen("<array>"), entry);
		g_free(entry);
	}
	ok = g_file_set_contents(to, out->str, (gssize)out->len, NULL);
	g_string_free(out, TRUE);
	return ok ? 0 : -1;
}

/* The drivers directory pcscd will see: kinko's bundle (its Info.plist, libccid as
 * Contents/Linux/libccid.so) beside libccid's own Info.plist, which libccid reads for its
 * settings, as an installed system has them. Copies, not links: this directory is mounted
 * over the system's. */
static int umock_pcscd_bundle(const umock_pcscd *p, const char *plist, const char *libccid)
{
	char path[320], from[320];

	snprintf(path, sizeof(path), "%s/drivers/kinko-ccid.bundle/Contents/Linux", p->dir);
	if (g_mkdir_with_parents(path, 0755) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/drivers/kinko-ccid.bundle/Contents/Linux/libccid.so",
	         p->dir);
	if (umock_pcscd_copy(libccid, path) != 0 || chmod(path, 0755) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/drivers/kinko-ccid.bundle/Contents/Info.plist", p->dir);
	if (umock_pcscd_copy(plist, path) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/drivers/ifd-ccid.bundle/Contents", p->dir);
	if (g_mkdir_with_parents(path, 0755) != 0)
		return -1;
	snprintf(from, sizeof(from), "%s/ifd-ccid.bundle/Contents/Info.plist", UMOCK_PCSC_DROPDIR);
	snprintf(path, sizeof(path), "%s/drivers/ifd-ccid.bundle/Contents/Info.plist", p->dir);
	if (umock_pcscd_libccid_list(from, path) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/conf", p->dir);
	return mkdir(path, 0700) == 0 ? 0 : -1;
}

static int umock_pcscd_listen(const umock_pcscd *p)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(p->sock) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, p->sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 16) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* In the child, a mount namespace of its own: pcscd 1.9.9 reads drivers only from its
 * compiled-in directory (it has no PCSCLITE_HP_DROPDIR; libccid has), so the private one is
 * mounted there; and it writes its pid file into /run/pcscd even when socket-activated,
 * so that is private too: a system pcscd is neither seen nor disturbed. */
static int umock_pcscd_private_mounts(const umock_pcscd *p)
{
	char drivers[192];

	snprintf(drivers, sizeof(drivers), "%s/drivers", p->dir);
	if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return -1;
	if (mount(drivers, UMOCK_PCSC_DROPDIR, NULL, MS_BIND, NULL) != 0)
		return -1;
	mkdir("/run/pcscd", 0755);
	return mount("tmpfs", "/run/pcscd", "tmpfs", 0, "mode=0755");
}

/* The child's environment, made before the fork (the test process may have threads: the
 * child only fills in its pid before exec). *pid_slot: the digits to fill. */
static gchar **umock_pcscd_env(const umock_pcscd *p, char **pid_slot)
{
	gchar **envp = g_get_environ();
	char *drivers = g_strdup_printf("%s/drivers", p->dir);
	size_t n;

	envp = g_environ_setenv(envp, "PCSCLITE_HP_DROPDIR", drivers, TRUE);
	envp = g_environ_setenv(envp, "LISTEN_FDS", "1", TRUE);
	envp = g_environ_unsetenv(envp, "LISTEN_FDNAMES");
	/* ASan (first in LD_PRELOAD in sanitizer builds) reports pcscd's leaks, not ours. */
	envp = g_environ_setenv(envp, "ASAN_OPTIONS", "detect_leaks=0", TRUE);
	envp = g_environ_setenv(envp, "LISTEN_PID", "0000000000", TRUE);
	g_free(drivers);
	for (n = 0; envp[n]; n++) {
		if (strncmp(envp[n], "LISTEN_PID=", 11) == 0)
			*pid_slot = envp[n] + 11;
	}
	return envp;
}

static void umock_pcscd_exec(const umock_pcscd *p, int lfd, char **envp, char *pid_slot)
{
	char conf[192];
	char digits[20];
	long pid = (long)getpid(), rest;
	int log = open(p->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), i, n;

	if (log < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0 || dup2(lfd, 3) != 3)
		_exit(127);
	if (umock_pcscd_private_mounts(p) != 0)
		_exit(126);
	/* The pid's digits into the ten reserved (no leading zeros: systemd reads 0... as
	 * octal). */
	for (i = 0, rest = pid; rest > 0; rest /= 10)
		digits[i++] = (char)('0' + rest % 10);
	for (n = 0; n < i; n++)
		pid_slot[n] = digits[i - 1 - n];
	pid_slot[n] = '\0';
	memcpy(conf, p->dir, sizeof(p->dir));
	strncat(conf, "/conf", sizeof(conf) - strlen(conf) - 1);
	execle(UMOCK_PCSCD, "pcscd", "-f", "-d", "-c", conf, (char *)NULL, envp);
	_exit(127);
}

int umock_pcscd_start(umock_pcscd *p, const char *plist, const char *libccid)
{
	char *pid_slot = NULL;
	gchar **envp;
	int lfd;

	memset(p, 0, sizeof(*p));
	if (tkit_tmpdir_make(p->dir, sizeof(p->dir), "pcscd") != 0) {
		fprintf(stderr, "# umock_pcscd: no temporary directory\n");
		p->dir[0] = '\0';
		return -1;
	}
	snprintf(p->sock, sizeof(p->sock), "%s/pcscd.comm", p->dir);
	snprintf(p->log, sizeof(p->log), "%s/pcscd.log", p->dir);
	if (umock_pcscd_bundle(p, plist, libccid) != 0) {
		fprintf(stderr, "# umock_pcscd: cannot make the bundle from %s and %s\n", plist,
		        libccid);
		umock_pcscd_stop(p);
		return -1;
	}
	lfd = umock_pcscd_listen(p);
	if (lfd < 0) {
		fprintf(stderr, "# umock_pcscd: cannot listen on %s: %s\n", p->sock,
		        strerror(errno));
		umock_pcscd_stop(p);
		return -1;
	}
	envp = umock_pcscd_env(p, &pid_slot);
	p->pid = fork();
	if (p->pid == 0)
		umock_pcscd_exec(p, lfd, envp, pid_slot);
	g_strfreev(envp);
	close(lfd);
	if (p->pid < 0) {
		p->pid = 0;
		umock_pcscd_stop(p);
		return -1;
	}
	setenv("PCSCLITE_CSOCK_NAME", p->sock, 1);
	return 0;
}

static void umock_pcscd_rm(const char *path)
{
	GDir *d = g_dir_open(path, 0, NULL);
	const char *name;

	while (d && (name = g_dir_read_name(d)) != NULL) {
		char *child = g_build_filename(path, name, NULL);

		if (g_file_test(child, G_FILE_TEST_IS_DIR) &&
		    !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
			umock_pcscd_rm(child);
		else
			unlink(child);
		g_free(child);
	}
	if (d)
		g_dir_close(d);
	rmdir(path);
}

void umock_pcscd_stop(umock_pcscd *p)
{
	int i, status;

	if (p->pid > 0) {
		kill(p->pid, SIGTERM);
		for (i = 0; i < 50 && waitpid(p->pid, &status, WNOHANG) == 0; i++)
			umock_pcscd_sleep_ms(100);
		if (i == 50) {
			kill(p->pid, SIGKILL);
			waitpid(p->pid, &status, 0);
		}
		p->pid = 0;
	}
	unsetenv("PCSCLITE_CSOCK_NAME");
	if (p->dir[0]) {
		if (getenv("KINKO_KEEP_PCSCD_LOG")) {
			gchar *text = NULL;

			if (g_file_get_contents(p->log, &text, NULL, NULL))
				fprintf(stderr, "%s", text);
			g_free(text);
		}
		umock_pcscd_rm(p->dir);
		p->dir[0] = '\0';
	}
}

/* The environment without the testbed: umockdev's preload out of LD_PRELOAD (ASan's runtime
 * stays), UMOCKDEV_DIR unset. */
static gchar **umock_run_env_outside(gchar **envp)
{
	const char *pre = g_environ_getenv(envp, "LD_PRELOAD");
	GString *kept = g_string_new(NULL);
	char **parts;
	size_t i;

	parts = g_strsplit(pre ? pre : "", ":", -1);
	for (i = 0; parts[i]; i++) {
		if (!parts[i][0] || strstr(parts[i], "libumockdev-preload"))
			continue;
		if (kept->len)
			g_string_append_c(kept, ':');
		g_string_append(kept, parts[i]);
	}
	g_strfreev(parts);
	envp = kept->len ? g_environ_setenv(envp, "LD_PRELOAD", kept->str, TRUE) :
	                   g_environ_unsetenv(envp, "LD_PRELOAD");
	g_string_free(kept, TRUE);
	return g_environ_unsetenv(envp, "UMOCKDEV_DIR");
}

int umock_run(const char *cmd, bool in_bed, char **out)
{
	gint status = -1;
	char *bounded = g_strdup_printf("(%s) 2>&1", cmd);
	gchar *argv[] = {"timeout", "60", "/bin/sh", "-c", bounded, NULL};
	gchar **envp = g_environ_setenv(g_get_environ(), "ASAN_OPTIONS", "detect_leaks=0", TRUE);
	gboolean ok;

	if (!in_bed)
		envp = umock_run_env_outside(envp);
	ok = g_spawn_sync(NULL, argv, envp, G_SPAWN_SEARCH_PATH, NULL, NULL, out, NULL, &status,
	                  NULL);
	g_strfreev(envp);
	g_free(bounded);
	if (!ok)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool umock_run_until(const char *cmd, const char *want, bool want_absent, int timeout_ms)
{
	int waited;

	for (waited = 0; waited <= timeout_ms; waited += 200) {
		char *out = NULL;
		bool has;

		umock_run(cmd, false, &out);
		has = out && strstr(out, want) != NULL;
		g_free(out);
		if (has != want_absent)
			return true;
		umock_pcscd_sleep_ms(200);
	}
	return false;
}
