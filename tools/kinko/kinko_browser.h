/* kinko browser setup | status: the browsers' NSS databases (kinko_browser_nss.c, through
 * NSS's own modutil and certutil), where they are (kinko_browser_profiles.c) and the user's
 * kinko.conf (kinko_browser_conf.c). */
#ifndef KINKO_BROWSER_H
#define KINKO_BROWSER_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#include "kinko.h"

/* The NSS module name kinko registers under (a contract: the browser tests look for it). */
#define KINKO_BROWSER_NSS_NAME "kinko"
/* The nickname prefix of the bank CAs kinko adds; the rest is the bank's host:port. */
#define KINKO_BROWSER_CA_PREFIX "kinko bank CA "
#define KINKO_BROWSER_MAX_DBS 32
#define KINKO_BROWSER_MAX_CAS 16

/* One NSS database of a browser. */
typedef struct {
	const char *browser;                  /* "firefox" or "chromium" (JSON's value) */
	char name[128];                       /* the Firefox profile's Name=, or "" */
	char dir[PATH_MAX];                   /* the database's directory (sql:DIR) */
	bool exists;                          /* cert9.db is there */
	bool registered;                      /* a module named kinko is in it */
	char module[PATH_MAX];                /* its library path */
	char cas[KINKO_BROWSER_MAX_CAS][320]; /* kinko's bank CAs in it, as certutil lists them */
	size_t n_cas;
} kinko_browser_db;

/* --- running NSS's tools (kinko_browser_nss.c) --- */
/* Run argv[0] (a program on PATH, no shell) with stdin /dev/null, stdout captured into *out
 * (NUL-terminated, malloc'd; up to 4 MiB) and stderr into err (cap bytes, trimmed); killed
 * after timeout_s seconds. Returns the exit status, -1 when it could not run (errno; ENOENT:
 * not installed) or -2 when it was killed at the timeout. */
int kinko_browser_nss_run(const char *const argv[], char **out, char *err, size_t cap,
                          unsigned timeout_s);
/* Both tools are installed (on PATH). */
bool kinko_browser_nss_tools_found(void);
/* db->registered, db->module, db->cas and db->exists from the database. 0, or -1 with err. */
int kinko_browser_nss_db_read(kinko_browser_db *db, char *err, size_t cap);
/* An empty database (certutil -N --empty-password) in db->dir. 0 or -1 with err. */
int kinko_browser_nss_db_create(const kinko_browser_db *db, char *err, size_t cap);
/* modutil -add kinko -libfile module (after -delete when another path is registered). */
int kinko_browser_nss_module_add(const kinko_browser_db *db, const char *module, char *err,
                                 size_t cap);
int kinko_browser_nss_module_delete(const kinko_browser_db *db, char *err, size_t cap);
/* The CA in pem_file under nickname nick with trust "C,,". *added: false when that very
 * certificate was there under nick already. 0 or -1 with err. */
int kinko_browser_nss_ca_add(const kinko_browser_db *db, const char *nick, const char *pem_file,
                             bool *added, char *err, size_t cap);
/* The nickname kinko gave (KINKO_BROWSER_CA_PREFIX host:port) of a listed name. */
const char *kinko_browser_nss_ca_nick(const char *listed);
/* listed: the name as db->cas holds it. */
int kinko_browser_nss_ca_delete(const kinko_browser_db *db, const char *nick, char *err,
                                size_t cap);
/* Nothing but NSS's own module and no certificate: a database no one has used. */
bool kinko_browser_nss_db_empty(const kinko_browser_db *db);

/* --- where the databases are (kinko_browser_profiles.c) --- */
/* Every Firefox profile of $HOME/.mozilla/firefox/profiles.ini whose directory exists, then
 * Chromium's $HOME/.pki/nssdb. Returns how many (at most max); -1 without HOME. */
int kinko_browser_profiles_find(kinko_browser_db *dbs, size_t max);
/* The processes of this user's browsers that run now: each one's name ("firefox-esr",
 * "chromium"; a static string) and pid. Returns how many (at most max). */
size_t kinko_browser_profiles_running(const char **names, pid_t *pids, size_t max);

/* --- the user's kinko.conf and what setup did (kinko_browser_conf.c) --- */
/* $XDG_CONFIG_HOME/kinko/kinko.conf, else $HOME/.config/kinko/kinko.conf. 0 or -1. */
int kinko_browser_conf_path(char *out, size_t len);
/* Writes pin_source = pinentry (dir 0700, file 0600, atomic; other lines kept; a pin_source
 * line replaced). *changed: the file changed. 0, or -1 with errno. */
int kinko_browser_conf_pin_source_set(bool *changed);
/* Puts back what setup found: the pin_source line setup replaced, or none; a file setup
 * created and that is empty again is removed. 0, or -1 with errno. */
int kinko_browser_conf_pin_source_restore(void);
/* The value in effect (the module's order: KINKO_CONF or the system file, then the user's
 * file; the later wins) of key, "" when unset; from: the file that set it. */
void kinko_browser_conf_value(const char *key, char *val, size_t len, char *from, size_t from_len);
/* The pinentry the module would run: KINKO_PINENTRY, else the pinentry key, else pinentry on
 * PATH. path "" when none was found; from: "KINKO_PINENTRY", the config file or "PATH". */
void kinko_browser_conf_pinentry(char *path, size_t len, char *from, size_t from_len, bool *exists);
/* prog searched on PATH as execvp would: its path in out; false when not found. */
bool kinko_browser_conf_on_path(const char *prog, char *out, size_t len);
/* Setup's record of the databases (and directories) it created, kept beside kinko.conf
 * (browser-setup): so that --remove can take away only what setup made. */
int kinko_browser_conf_record_add(const char *what, const char *dir);
bool kinko_browser_conf_record_has(const char *what, const char *dir);
int kinko_browser_conf_record_drop(void);

/* --- the subcommand's parts (kinko_browser.c, kinko_browser_status.c) --- */
int kinko_browser_status(kinko_ctx *ctx, kinko_browser_db *dbs, size_t n);
/* The running browsers in text (stdout) and as the JSON array "running". */
json_t *kinko_browser_running_report(const kinko_ctx *ctx);

#endif
