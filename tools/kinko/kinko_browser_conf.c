/* The user's kinko.conf as `kinko browser setup` changes it (pin_source = pinentry, so that the
 * module asks for the token PIN itself: browsers cannot be trusted to), the values the module
 * would take from its two files, and setup's record of what it changed (browser-setup, beside
 * kinko.conf), which --remove puts back. Both files are replaced atomically, mode 0600. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kinko_browser.h"

#ifndef KINKO_SYSCONFDIR
#define KINKO_SYSCONFDIR "/usr/local/etc"
#endif

#define CONF_LINE "pin_source = pinentry"
#define CONF_MAX_LINES 1024

/* A text file as lines (without their '\n'). */
typedef struct {
	char *lines[CONF_MAX_LINES];
	size_t n;
} conf_text;

static void conf_text_free(conf_text *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->lines[i]);
	t->n = 0;
}

/* 1 read, 0 no such file, -1 error (errno): a file only partly read is never written back. */
static int conf_text_read(const char *path, conf_text *t)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int rc = 1;

	t->n = 0;
	if (!f)
		return errno == ENOENT ? 0 : -1;
	while (rc == 1 && (len = getline(&line, &cap, f)) >= 0) {
		if (len > 0 && line[len - 1] == '\n')
			line[len - 1] = '\0';
		if (t->n >= CONF_MAX_LINES) {
			errno = EFBIG;
			rc = -1;
		} else if (!(t->lines[t->n] = strdup(line))) {
			rc = -1;
		} else {
			t->n++;
		}
	}
	if (rc == 1 && ferror(f))
		rc = -1;
	free(line);
	fclose(f);
	if (rc < 0)
		conf_text_free(t);
	return rc;
}

/* Write t to path through a temporary file in the same directory and rename. */
static int conf_text_write(const char *path, const conf_text *t)
{
	char tmp[PATH_MAX + 16];
	FILE *f;
	size_t i;
	int fd, ok;

	if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", path) >= (int)sizeof tmp) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = mkstemp(tmp);
	if (fd < 0)
		return -1;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	ok = fchmod(fd, 0600) == 0;
	for (i = 0; ok && i < t->n; i++)
		ok = fprintf(f, "%s\n", t->lines[i]) >= 0;
	ok = fflush(f) == 0 && ok && fsync(fd) == 0;
	ok = fclose(f) == 0 && ok;
	if (ok && rename(tmp, path) == 0)
		return 0;
	unlink(tmp);
	return -1;
}

static int conf_text_add(conf_text *t, const char *s)
{
	if (t->n >= CONF_MAX_LINES || !(t->lines[t->n] = strdup(s))) {
		errno = t->n >= CONF_MAX_LINES ? EFBIG : ENOMEM;
		return -1;
	}
	t->n++;
	return 0;
}

/* The key of a `key = value` line (len 0 for comments and blank lines). */
static const char *conf_key(const char *line, size_t *len)
{
	const char *k = line + strspn(line, " \t"), *eq = strchr(k, '=');
	size_t n;

	*len = 0;
	if (*k == '#' || !eq)
		return k;
	n = (size_t)(eq - k);
	while (n > 0 && (k[n - 1] == ' ' || k[n - 1] == '\t'))
		n--;
	*len = n;
	return k;
}

static bool conf_is_key(const char *line, const char *key)
{
	size_t n;
	const char *k = conf_key(line, &n);

	return n == strlen(key) && strncmp(k, key, n) == 0;
}

static int conf_dir(char *out, size_t len)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	int n;

	/* The XDG rule: a relative XDG_CONFIG_HOME is ignored. */
	if (xdg && xdg[0] == '/')
		n = snprintf(out, len, "%s/kinko", xdg);
	else if (home && home[0] == '/')
		n = snprintf(out, len, "%s/.config/kinko", home);
	else
		return -1;
	return n > 0 && (size_t)n < len ? 0 : -1;
}

int kinko_browser_conf_path(char *out, size_t len)
{
	char dir[PATH_MAX];

	if (conf_dir(dir, sizeof dir) != 0)
		return -1;
	return snprintf(out, len, "%s/kinko.conf", dir) < (int)len ? 0 : -1;
}

static int conf_record_path(char *out, size_t len)
{
	char dir[PATH_MAX];

	if (conf_dir(dir, sizeof dir) != 0)
		return -1;
	return snprintf(out, len, "%s/browser-setup", dir) < (int)len ? 0 : -1;
}

/* The directory of kinko.conf and its parent, made 0700 when missing. */
static int conf_dir_make(void)
{
	char dir[PATH_MAX], *slash;

	if (conf_dir(dir, sizeof dir) != 0) {
		errno = EINVAL;
		return -1;
	}
	slash = strrchr(dir, '/');
	*slash = '\0';
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return -1;
	*slash = '/';
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

int kinko_browser_conf_record_add(const char *what, const char *dir)
{
	char path[PATH_MAX], line[PATH_MAX + 64];
	conf_text t;
	size_t i;
	int rc;

	if (conf_record_path(path, sizeof path) != 0 || conf_dir_make() != 0 ||
	    conf_text_read(path, &t) < 0)
		return -1;
	snprintf(line, sizeof line, "%s %s", what, dir);
	for (i = 0; i < t.n && strcmp(t.lines[i], line) != 0; i++)
		;
	if (i < t.n) {
		conf_text_free(&t);
		return 0;
	}
	rc = t.n == 0 ? conf_text_add(&t, "# kinko browser setup: what it changed, for --remove") :
	                0;
	if (rc == 0)
		rc = conf_text_add(&t, line);
	if (rc == 0)
		rc = conf_text_write(path, &t);
	conf_text_free(&t);
	return rc;
}

bool kinko_browser_conf_record_has(const char *what, const char *dir)
{
	char path[PATH_MAX], line[PATH_MAX + 64];
	conf_text t;
	size_t i;
	bool has = false;

	if (conf_record_path(path, sizeof path) != 0 || conf_text_read(path, &t) <= 0)
		return false;
	snprintf(line, sizeof line, "%s %s", what, dir);
	for (i = 0; i < t.n && !has; i++)
		has = strcmp(t.lines[i], line) == 0;
	conf_text_free(&t);
	return has;
}

int kinko_browser_conf_record_drop(void)
{
	char path[PATH_MAX];

	if (conf_record_path(path, sizeof path) != 0)
		return -1;
	return unlink(path) == 0 || errno == ENOENT ? 0 : -1;
}

/* Setup's first run keeps what it found (the pin_source lines, or that there was no file);
 * later runs find their own line and must not record it as the user's. */
static int conf_record_before(const conf_text *t, bool existed)
{
	size_t i;
	int rc = 0;

	if (kinko_browser_conf_record_has("pin_source_recorded", "yes"))
		return 0;
	if (!existed)
		rc = kinko_browser_conf_record_add("conf_created", "yes");
	for (i = 0; rc == 0 && i < t->n; i++)
		if (conf_is_key(t->lines[i], "pin_source"))
			rc = kinko_browser_conf_record_add("pin_source_before", t->lines[i]);
	return rc == 0 ? kinko_browser_conf_record_add("pin_source_recorded", "yes") : rc;
}

int kinko_browser_conf_pin_source_set(bool *changed)
{
	char path[PATH_MAX];
	conf_text t;
	size_t i, found = 0;
	int existed, rc = 0;

	*changed = false;
	if (kinko_browser_conf_path(path, sizeof path) != 0) {
		errno = EINVAL;
		return -1;
	}
	if (conf_dir_make() != 0 || (existed = conf_text_read(path, &t)) < 0)
		return -1;
	rc = conf_record_before(&t, existed == 1);
	/* Every pin_source line says pinentry (the module takes the last one). */
	for (i = 0; rc == 0 && i < t.n; i++) {
		if (!conf_is_key(t.lines[i], "pin_source"))
			continue;
		found++;
		if (strcmp(t.lines[i], CONF_LINE) == 0)
			continue;
		free(t.lines[i]);
		t.lines[i] = strdup(CONF_LINE);
		if (!t.lines[i]) {
			t.n = i;
			rc = -1;
		}
		*changed = true;
	}
	if (rc == 0 && found == 0) {
		rc = conf_text_add(&t, CONF_LINE);
		*changed = true;
	}
	if (rc == 0 && *changed)
		rc = conf_text_write(path, &t);
	conf_text_free(&t);
	return rc;
}

/* The recorded pin_source lines, in order, into before (strdup'd). */
static size_t conf_befores(conf_text *before)
{
	char path[PATH_MAX];
	conf_text rec;
	size_t i, k = strlen("pin_source_before ");

	before->n = 0;
	if (conf_record_path(path, sizeof path) != 0 || conf_text_read(path, &rec) <= 0)
		return 0;
	for (i = 0; i < rec.n; i++)
		if (strncmp(rec.lines[i], "pin_source_before ", k) == 0)
			conf_text_add(before, rec.lines[i] + k);
	conf_text_free(&rec);
	return before->n;
}

int kinko_browser_conf_pin_source_restore(void)
{
	char path[PATH_MAX];
	conf_text t, before, out;
	size_t i, used = 0;
	int rc = 0, existed;

	if (!kinko_browser_conf_record_has("pin_source_recorded", "yes"))
		return 0;
	if (kinko_browser_conf_path(path, sizeof path) != 0 ||
	    (existed = conf_text_read(path, &t)) < 0)
		return -1;
	if (existed == 0)
		return 0;
	conf_befores(&before);
	out.n = 0;
	/* Only the lines setup wrote go; a pin_source the user changed since stays. */
	for (i = 0; rc == 0 && i < t.n; i++) {
		if (strcmp(t.lines[i], CONF_LINE) != 0)
			rc = conf_text_add(&out, t.lines[i]);
		else if (used < before.n)
			rc = conf_text_add(&out, before.lines[used++]);
	}
	if (rc == 0 && out.n == 0 && kinko_browser_conf_record_has("conf_created", "yes"))
		rc = unlink(path);
	else if (rc == 0)
		rc = conf_text_write(path, &out);
	conf_text_free(&t);
	conf_text_free(&before);
	conf_text_free(&out);
	return rc;
}

/* key's value in one file (the module's syntax: # starts a comment), when set there. */
static bool conf_file_value(const char *path, const char *key, char *val, size_t len)
{
	conf_text t;
	size_t i;
	char *v, *e;
	bool set = false;

	if (conf_text_read(path, &t) <= 0)
		return false;
	for (i = 0; i < t.n; i++) {
		t.lines[i][strcspn(t.lines[i], "#")] = '\0';
		if (!conf_is_key(t.lines[i], key))
			continue;
		v = strchr(t.lines[i], '=') + 1;
		v += strspn(v, " \t");
		e = v + strlen(v);
		while (e > v && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			*--e = '\0';
		snprintf(val, len, "%s", v);
		set = true;
	}
	conf_text_free(&t);
	return set;
}

void kinko_browser_conf_value(const char *key, char *val, size_t len, char *from, size_t from_len)
{
	const char *sys = getenv("KINKO_CONF");
	char user[PATH_MAX];

	val[0] = '\0';
	from[0] = '\0';
	if (!sys || !sys[0])
		sys = KINKO_SYSCONFDIR "/kinko/kinko.conf";
	if (conf_file_value(sys, key, val, len))
		snprintf(from, from_len, "%s", sys);
	if (kinko_browser_conf_path(user, sizeof user) == 0 && conf_file_value(user, key, val, len))
		snprintf(from, from_len, "%s", user);
}

bool kinko_browser_conf_on_path(const char *prog, char *out, size_t len)
{
	const char *p = getenv("PATH");
	size_t n;

	for (p = p ? p : "/usr/bin:/bin"; *p; p += n + (p[n] == ':')) {
		n = strcspn(p, ":");
		if (n > 0 && snprintf(out, len, "%.*s/%s", (int)n, p, prog) < (int)len &&
		    access(out, X_OK) == 0)
			return true;
		if (p[n] == '\0')
			break;
	}
	out[0] = '\0';
	return false;
}

void kinko_browser_conf_pinentry(char *path, size_t len, char *from, size_t from_len, bool *exists)
{
	const char *env = getenv("KINKO_PINENTRY");
	char val[PATH_MAX];

	if (env && env[0]) {
		snprintf(path, len, "%s", env);
		snprintf(from, from_len, "KINKO_PINENTRY");
	} else {
		kinko_browser_conf_value("pinentry", val, sizeof val, from, from_len);
		if (val[0]) {
			snprintf(path, len, "%s", val);
		} else {
			snprintf(from, from_len, "PATH");
			kinko_browser_conf_on_path("pinentry", path, len);
		}
	}
	if (path[0] && !strchr(path, '/')) {
		snprintf(val, sizeof val, "%s", path);
		kinko_browser_conf_on_path(val, path, len);
	}
	*exists = path[0] && access(path, X_OK) == 0;
}
