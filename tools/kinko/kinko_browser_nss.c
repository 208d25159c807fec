/* The browsers' NSS databases through NSS's own tools (libnss3-tools' modutil and certutil):
 * never the sqlite files by hand, whose schema is NSS's business. Each tool runs without a
 * shell (posix_spawnp and an argv), its output captured, under a timeout: modutil -add loads
 * the module, and a module that hangs must not hang kinko. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "kinko_browser.h"

extern char **environ;

#define NSS_OUT_MAX (4u << 20)
#define NSS_TIMEOUT_S 30u

static long long nss_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Append what fd has to *buf (grown, at most max); 0 at EOF, 1 more to come, -1 error. */
static int nss_drain(int fd, char **buf, size_t *len, size_t *cap, size_t max)
{
	char chunk[4096], *grown;
	ssize_t n = read(fd, chunk, sizeof chunk);

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : -1;
	if (n == 0)
		return 0;
	if (*len + (size_t)n + 1 > *cap && *len + (size_t)n + 1 <= max) {
		size_t want = *cap ? *cap * 2 : 8192;

		while (want < *len + (size_t)n + 1)
			want *= 2;
		grown = realloc(*buf, want);
		if (!grown)
			return -1;
		*buf = grown;
		*cap = want;
	}
	if (*len + (size_t)n + 1 <= *cap) {
		memcpy(*buf + *len, chunk, (size_t)n);
		*len += (size_t)n;
		(*buf)[*len] = '\0';
	}
	return 1;
}

static int nss_spawn(const char *const argv[], int out_fd[2], int err_fd[2], pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	int r;

	if (posix_spawn_file_actions_init(&fa) != 0)
		return -1;
	r = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (r == 0)
		r = posix_spawn_file_actions_adddup2(&fa, out_fd[1], 1);
	if (r == 0)
		r = posix_spawn_file_actions_adddup2(&fa, err_fd[1], 2);
	if (r == 0)
		r = posix_spawnp(pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0)
		errno = r;
	return r == 0 ? 0 : -1;
}

/* Read both pipes until both end or the deadline passes. false at the deadline. */
static bool nss_collect(int o, int e, char **out, size_t *olen, char *err, size_t cap,
                        long long deadline)
{
	struct pollfd p[2] = {{o, POLLIN, 0}, {e, POLLIN, 0}};
	size_t ocap = 0, elen = 0, ecap = 0;
	char *ebuf = NULL;
	int i, left;

	while (p[0].fd >= 0 || p[1].fd >= 0) {
		left = (int)(deadline - nss_now_ms());
		if (left <= 0 || poll(p, 2, left) == 0)
			break;
		for (i = 0; i < 2; i++) {
			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if ((i == 0 ? nss_drain(p[i].fd, out, olen, &ocap, NSS_OUT_MAX) :
			              nss_drain(p[i].fd, &ebuf, &elen, &ecap, 65536)) <= 0)
				p[i].fd = -1;
		}
	}
	if (cap > 0) {
		/* The tool's last words on one line, for a message's detail. */
		snprintf(err, cap, "%s", ebuf ? ebuf : "");
		for (i = 0; err[i]; i++)
			if (err[i] == '\n' || err[i] == '\r' || err[i] == '\t')
				err[i] = ' ';
		while (i > 0 && err[i - 1] == ' ')
			err[--i] = '\0';
	}
	free(ebuf);
	return p[0].fd < 0 && p[1].fd < 0;
}

/* The child's end, by the deadline too: a tool that closed its output may still hang. */
static bool nss_reap(pid_t pid, int *status, long long deadline)
{
	const struct timespec nap = {0, 5 * 1000 * 1000};
	pid_t w;

	while ((w = waitpid(pid, status, WNOHANG)) == 0 || (w < 0 && errno == EINTR)) {
		if (nss_now_ms() >= deadline)
			return false;
		nanosleep(&nap, NULL);
	}
	return true;
}

int kinko_browser_nss_run(const char *const argv[], char **out, char *err, size_t cap,
                          unsigned timeout_s)
{
	int o[2] = {-1, -1}, e[2] = {-1, -1}, status = 0, saved;
	long long deadline = nss_now_ms() + (long long)timeout_s * 1000;
	size_t olen = 0;
	pid_t pid;
	bool done;

	*out = NULL;
	if (cap > 0)
		err[0] = '\0';
	if (pipe2(o, O_CLOEXEC) != 0 || pipe2(e, O_CLOEXEC) != 0 || nss_spawn(argv, o, e, &pid)) {
		saved = errno;
		close(o[0]);
		close(o[1]);
		close(e[0]);
		close(e[1]);
		errno = saved;
		return -1;
	}
	close(o[1]);
	close(e[1]);
	done = nss_collect(o[0], e[0], out, &olen, err, cap, deadline);
	close(o[0]);
	close(e[0]);
	done = done && nss_reap(pid, &status, deadline);
	if (!done) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		return -2;
	}
	if (!*out && !(*out = strdup(""))) {
		errno = ENOMEM;
		return -1;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool kinko_browser_nss_tools_found(void)
{
	char path[PATH_MAX];

	return kinko_browser_conf_on_path("modutil", path, sizeof path) &&
	       kinko_browser_conf_on_path("certutil", path, sizeof path);
}

/* Run a tool; on failure err says which tool and why (its own last words). */
static int nss_tool(const char *const argv[], char **out, char *err, size_t cap)
{
	char why[512];
	int rc = kinko_browser_nss_run(argv, out, why, sizeof why, NSS_TIMEOUT_S);

	if (rc == 0)
		return 0;
	if (rc == -1)
		snprintf(err, cap, "%s: %s", argv[0], strerror(errno));
	else if (rc == -2)
		snprintf(err, cap, "%s: no answer within %u s", argv[0], NSS_TIMEOUT_S);
	else
		snprintf(err, cap, "%s exit %d: %s", argv[0], rc, why);
	return -1;
}

static void nss_sql(const kinko_browser_db *db, char *out, size_t len)
{
	snprintf(out, len, "sql:%s", db->dir);
}

/* library="PATH" of the rawlist line naming kinko (NSS escapes '"' and '\' with '\'). */
static bool nss_rawlist_module(const char *raw, char *path, size_t len)
{
	const char *line = raw, *p, *name = " name=\"" KINKO_BROWSER_NSS_NAME "\"";
	size_t n, i;

	for (; *line; line += n + (line[n] == '\n')) {
		n = strcspn(line, "\n");
		p = strstr(line, name);
		if (!p || p >= line + n || strncmp(line, "library=\"", 9) != 0)
			continue;
		for (p = line + 9, i = 0; p < line + n && *p != '"' && i + 1 < len; p++) {
			if (*p == '\\' && p + 1 < line + n)
				p++;
			path[i++] = *p;
		}
		path[i] = '\0';
		return true;
	}
	return false;
}

/* The nicknames of certutil -L's listing with kinko's prefix, kept whole: NSS 3.87 lists
 * them as "NSS Certificate DB:NICK" and finds them only by that name. The trust column is
 * the line's last word. */
static void nss_list_cas(kinko_browser_db *db, const char *list)
{
	const char *line = list, *p;
	size_t n, plen = strlen(KINKO_BROWSER_CA_PREFIX), k;

	db->n_cas = 0;
	for (; *line; line += n + (line[n] == '\n')) {
		n = strcspn(line, "\n");
		p = strstr(line, KINKO_BROWSER_CA_PREFIX);
		if (!p || p >= line + n || db->n_cas >= KINKO_BROWSER_MAX_CAS)
			continue;
		plen = strlen(KINKO_BROWSER_CA_PREFIX) + (size_t)(p - line);
		p = line;
		k = n;
		while (k > 0 && p[k - 1] == ' ')
			k--;
		while (k > plen && p[k - 1] != ' ')
			k--; /* the trust word */
		while (k > plen && p[k - 1] == ' ')
			k--;
		if (k <= plen || k >= sizeof db->cas[0])
			continue;
		memcpy(db->cas[db->n_cas], p, k);
		db->cas[db->n_cas++][k] = '\0';
	}
}

int kinko_browser_nss_db_read(kinko_browser_db *db, char *err, size_t cap)
{
	char sql[PATH_MAX + 8], file[PATH_MAX + 16], *out = NULL;
	const char *raw[] = {"modutil", "-rawlist", "-dbdir", sql, NULL};
	const char *list[] = {"certutil", "-L", "-d", sql, NULL};

	db->registered = false;
	db->module[0] = '\0';
	db->n_cas = 0;
	snprintf(file, sizeof file, "%s/cert9.db", db->dir);
	db->exists = access(file, F_OK) == 0;
	if (!db->exists)
		return 0;
	nss_sql(db, sql, sizeof sql);
	if (nss_tool(raw, &out, err, cap) != 0) {
		free(out);
		return -1;
	}
	db->registered = nss_rawlist_module(out, db->module, sizeof db->module);
	free(out);
	out = NULL;
	if (nss_tool(list, &out, err, cap) != 0) {
		free(out);
		return -1;
	}
	nss_list_cas(db, out);
	free(out);
	return 0;
}

int kinko_browser_nss_db_create(const kinko_browser_db *db, char *err, size_t cap)
{
	char sql[PATH_MAX + 8], *out = NULL;
	const char *argv[] = {"certutil", "-N", "-d", sql, "--empty-password", NULL};
	int rc;

	nss_sql(db, sql, sizeof sql);
	rc = nss_tool(argv, &out, err, cap);
	free(out);
	return rc;
}

int kinko_browser_nss_module_delete(const kinko_browser_db *db, char *err, size_t cap)
{
	char sql[PATH_MAX + 8], *out = NULL;
	const char *argv[] = {"modutil", "-force", "-dbdir", sql, "-delete", KINKO_BROWSER_NSS_NAME,
	                      NULL};
	int rc;

	nss_sql(db, sql, sizeof sql);
	rc = nss_tool(argv, &out, err, cap);
	free(out);
	return rc;
}

int kinko_browser_nss_module_add(const kinko_browser_db *db, const char *module, char *err,
                                 size_t cap)
{
	char sql[PATH_MAX + 8], *out = NULL;
	const char *argv[] = {"modutil",  "-force", "-dbdir", sql, "-add", KINKO_BROWSER_NSS_NAME,
	                      "-libfile", module,   NULL};
	int rc;

	/* modutil refuses a second module of the same name: a changed path replaces the old. */
	if (db->registered && kinko_browser_nss_module_delete(db, err, cap) != 0)
		return -1;
	nss_sql(db, sql, sizeof sql);
	rc = nss_tool(argv, &out, err, cap);
	free(out);
	return rc;
}

static X509 *nss_pem_cert(const char *pem, size_t len)
{
	BIO *b = BIO_new_mem_buf(pem, (int)len);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	return x;
}

/* The certificate under nick is the one of pem_file. */
static bool nss_ca_same(const char *sql, const char *nick, const char *pem_file)
{
	const char *argv[] = {"certutil", "-L", "-d", sql, "-n", nick, "-a", NULL};
	char why[256], *out = NULL;
	X509 *have = NULL, *want = NULL;
	FILE *f;
	bool same = false;

	if (kinko_browser_nss_run(argv, &out, why, sizeof why, NSS_TIMEOUT_S) == 0 && out)
		have = nss_pem_cert(out, strlen(out));
	f = fopen(pem_file, "re");
	if (f) {
		want = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
	}
	same = have && want && X509_cmp(have, want) == 0;
	X509_free(have);
	X509_free(want);
	free(out);
	return same;
}

int kinko_browser_nss_ca_add(const kinko_browser_db *db, const char *nick, const char *pem_file,
                             bool *added, char *err, size_t cap)
{
	char sql[PATH_MAX + 8], *out = NULL;
	const char *argv[] = {"certutil", "-A",  "-d", sql,      "-n", nick,
	                      "-t",       "C,,", "-i", pem_file, NULL};
	size_t i;
	int rc;

	nss_sql(db, sql, sizeof sql);
	*added = false;
	for (i = 0; i < db->n_cas; i++) {
		if (strcmp(kinko_browser_nss_ca_nick(db->cas[i]), nick) != 0)
			continue;
		if (nss_ca_same(sql, db->cas[i], pem_file))
			return 0;
		/* The bank's CA changed since: the old one goes. */
		if (kinko_browser_nss_ca_delete(db, db->cas[i], err, cap) != 0)
			return -1;
	}
	rc = nss_tool(argv, &out, err, cap);
	free(out);
	*added = rc == 0;
	return rc;
}

int kinko_browser_nss_ca_delete(const kinko_browser_db *db, const char *nick, char *err, size_t cap)
{
	char sql[PATH_MAX + 8], *out = NULL;
	const char *argv[] = {"certutil", "-D", "-d", sql, "-n", nick, NULL};
	int rc;

	nss_sql(db, sql, sizeof sql);
	rc = nss_tool(argv, &out, err, cap);
	free(out);
	return rc;
}

const char *kinko_browser_nss_ca_nick(const char *listed)
{
	const char *p = strstr(listed, KINKO_BROWSER_CA_PREFIX);

	return p ? p : listed;
}

bool kinko_browser_nss_db_empty(const kinko_browser_db *db)
{
	char sql[PATH_MAX + 8], why[256], *out = NULL;
	const char *raw[] = {"modutil", "-rawlist", "-dbdir", sql, NULL};
	const char *list[] = {"certutil", "-L", "-d", sql, NULL};
	const char *keys[] = {"certutil", "-K", "-d", sql, "-f", "/dev/null", NULL};
	const char *line;
	size_t n;
	bool empty = true;

	nss_sql(db, sql, sizeof sql);
	if (kinko_browser_nss_run(raw, &out, why, sizeof why, NSS_TIMEOUT_S) != 0)
		empty = false;
	/* Every module line but NSS's own internal one counts as content. */
	for (line = out ? out : ""; empty && *line; line += n + (line[n] == '\n')) {
		n = strcspn(line, "\n");
		if (n > 0 && strncmp(line, "library= ", 9) != 0)
			empty = false;
	}
	free(out);
	out = NULL;
	if (empty && kinko_browser_nss_run(list, &out, why, sizeof why, NSS_TIMEOUT_S) != 0)
		empty = false;
	/* The listing is its two header lines and blank lines when the database holds nothing. */
	for (line = out ? out : ""; empty && *line; line += n + (line[n] == '\n')) {
		n = strcspn(line, "\n");
		if (n > 0 && strncmp(line, "Certificate Nickname", 20) != 0 &&
		    strspn(line, " ") < n &&
		    strncmp(line + strspn(line, " "), "SSL,S/MIME", 10) != 0)
			empty = false;
	}
	free(out);
	out = NULL;
	/* A key without a certificate is content too (certutil -L does not show it). */
	if (empty && (kinko_browser_nss_run(keys, &out, why, sizeof why, NSS_TIMEOUT_S) == 0 ||
	              !out || !strstr(out, "no keys found")))
		empty = false;
	free(out);
	return empty;
}
