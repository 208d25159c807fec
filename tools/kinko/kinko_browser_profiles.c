/* Where the browsers keep their NSS databases: each Firefox profile of profiles.ini (Debian's
 * firefox-esr uses ~/.mozilla/firefox too) and Chromium's ~/.pki/nssdb; and which of those
 * browsers run now (a running browser sees a new module only after a restart). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kinko_browser.h"

/* The profile section being read: its keys arrive in any order. */
typedef struct {
	bool in_profile;
	char name[128];
	char path[PATH_MAX];
	bool relative;
} profiles_section;

static bool profiles_is_dir(const char *dir)
{
	struct stat st;

	return stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
}

/* A finished [ProfileN] section becomes a database when its directory exists. */
static void profiles_section_end(const profiles_section *s, const char *base, kinko_browser_db *dbs,
                                 size_t max, size_t *n)
{
	kinko_browser_db *db;
	int len;

	if (!s->in_profile || !s->path[0] || *n >= max)
		return;
	db = &dbs[*n];
	memset(db, 0, sizeof *db);
	if (s->relative)
		len = snprintf(db->dir, sizeof db->dir, "%s/%s", base, s->path);
	else
		len = snprintf(db->dir, sizeof db->dir, "%s", s->path);
	if (len <= 0 || (size_t)len >= sizeof db->dir || !profiles_is_dir(db->dir))
		return;
	db->browser = "firefox";
	/* A name too long for the listing is cut: it only labels the profile. */
	if (snprintf(db->name, sizeof db->name, "%s", s->name[0] ? s->name : s->path) < 0)
		db->name[0] = '\0';
	(*n)++;
}

/* Spaces around a key or value, and the line's end (a file edited on Windows has "\r\n"). */
static char *profiles_trim(char *s)
{
	size_t n;

	s += strspn(s, " \t");
	n = strcspn(s, "\r\n");
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	s[n] = '\0';
	return s;
}

static void profiles_line(profiles_section *s, char *line, const char *base, kinko_browser_db *dbs,
                          size_t max, size_t *n)
{
	char *eq, *key, *val;

	line = profiles_trim(line);
	if (line[0] == '[') {
		profiles_section_end(s, base, dbs, max, n);
		memset(s, 0, sizeof *s);
		s->relative = true;
		s->in_profile = strncmp(line, "[Profile", 8) == 0;
		return;
	}
	eq = strchr(line, '=');
	if (!s->in_profile || !eq || line[0] == ';' || line[0] == '#')
		return;
	*eq = '\0';
	key = profiles_trim(line);
	val = profiles_trim(eq + 1);
	if (strcmp(key, "Name") == 0)
		snprintf(s->name, sizeof s->name, "%s", val);
	else if (strcmp(key, "Path") == 0 && strlen(val) < sizeof s->path)
		snprintf(s->path, sizeof s->path, "%s", val);
	else if (strcmp(key, "IsRelative") == 0)
		s->relative = strcmp(val, "0") != 0;
}

static size_t profiles_firefox(const char *home, kinko_browser_db *dbs, size_t max)
{
	char base[PATH_MAX], ini[PATH_MAX + 16], line[PATH_MAX + 64];
	profiles_section s;
	size_t n = 0;
	FILE *f;

	if (snprintf(base, sizeof base, "%s/.mozilla/firefox", home) >= (int)sizeof base)
		return 0;
	snprintf(ini, sizeof ini, "%s/profiles.ini", base);
	f = fopen(ini, "re");
	if (!f)
		return 0;
	memset(&s, 0, sizeof s);
	while (fgets(line, sizeof line, f))
		profiles_line(&s, line, base, dbs, max, &n);
	profiles_section_end(&s, base, dbs, max, &n);
	fclose(f);
	return n;
}

int kinko_browser_profiles_find(kinko_browser_db *dbs, size_t max)
{
	const char *home = getenv("HOME");
	size_t n;
	kinko_browser_db *db;

	if (!home || home[0] != '/' || max == 0)
		return -1;
	n = profiles_firefox(home, dbs, max - 1);
	db = &dbs[n];
	memset(db, 0, sizeof *db);
	db->browser = "chromium";
	if (snprintf(db->dir, sizeof db->dir, "%s/.pki/nssdb", home) >= (int)sizeof db->dir)
		return (int)n;
	return (int)n + 1;
}

/* The browsers' process names as /proc/PID/comm shows them (15 characters at most). */
static const char *const profiles_browsers[] = {
	"firefox", "firefox-esr", "firefox-bin", "chromium", "chrome", "chromium-browse",
};

static const char *profiles_browser_of(const char *comm)
{
	size_t i;

	for (i = 0; i < sizeof profiles_browsers / sizeof profiles_browsers[0]; i++)
		if (strcmp(comm, profiles_browsers[i]) == 0)
			return profiles_browsers[i];
	return NULL;
}

/* The process's name, when it is this user's. */
static bool profiles_proc_comm(const char *pid, char *comm, size_t len)
{
	char path[300];
	struct stat st;
	FILE *f;
	bool ok;

	snprintf(path, sizeof path, "/proc/%s", pid);
	if (stat(path, &st) != 0 || st.st_uid != getuid())
		return false;
	snprintf(path, sizeof path, "/proc/%s/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	ok = fgets(comm, (int)len, f) != NULL;
	fclose(f);
	if (ok)
		comm[strcspn(comm, "\n")] = '\0';
	return ok;
}

size_t kinko_browser_profiles_running(const char **names, pid_t *pids, size_t max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	char comm[64];
	const char *b;
	size_t n = 0;

	if (!d)
		return 0;
	while (n < max && (e = readdir(d)) != NULL) {
		if (strspn(e->d_name, "0123456789") != strlen(e->d_name) ||
		    !profiles_proc_comm(e->d_name, comm, sizeof comm))
			continue;
		b = profiles_browser_of(comm);
		if (!b)
			continue;
		names[n] = b;
		pids[n++] = (pid_t)atol(e->d_name);
	}
	closedir(d);
	return n;
}
