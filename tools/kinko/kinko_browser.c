/* kinko browser setup [--bank URL] [--trust-bank-ca] [--remove] | browser status: the user's
 * browsers (Firefox profiles, Chromium) made to use kinko's module for the bank's logon, and
 * that undone. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "i18n.h"
#include "kinko_bank.h"
#include "kinko_browser.h"
#include "kinko_cmd.h"

/* TRANSLATORS: keep the command words, options, file names, "pin_source = pinentry", the
 * nickname "kinko bank CA host:port" and the package names as they are. */
static const char *const browser_help = N_(
	"Usage: kinko [GLOBAL OPTIONS] browser setup [--bank URL] [--trust-bank-ca]\n"
	"       kinko [GLOBAL OPTIONS] browser setup --remove\n"
	"       kinko [GLOBAL OPTIONS] browser status\n"
	"\n"
	"browser setup   makes Firefox and Chromium log on to the bank with the token:\n"
	"                - registers kinko's PKCS#11 module (the one of --module, KINKO_MODULE\n"
	"                  or the default) under the name \"kinko\" in the NSS database of each\n"
	"                  Firefox profile of ~/.mozilla/firefox/profiles.ini and in Chromium's\n"
	"                  ~/.pki/nssdb (created when missing);\n"
	"                - writes \"pin_source = pinentry\" into your kinko.conf\n"
	"                  ($XDG_CONFIG_HOME/kinko/kinko.conf, default ~/.config/kinko/kinko.conf):\n"
	"                  the module then asks for the token PIN itself, in a pinentry window,\n"
	"                  and the browser never sees it. Warns when no pinentry is installed\n"
	"                  (Debian: pinentry-gnome3 on a desktop, pinentry-curses otherwise).\n"
	"                Run again, it changes nothing already in place (a new module path\n"
	"                replaces the old one).\n"
	"  --bank URL    the bank (https://host[:port]/): printed as the page to open in the\n"
	"                browser (not stored).\n"
	"  --trust-bank-ca\n"
	"                also trusts the bank CA kinko pinned for --bank URL (at 'kinko enroll\n"
	"                --cacert FILE') for TLS servers only (trust \"C,,\"), under the name\n"
	"                \"kinko bank CA host:port\": needed for a bank whose server certificate\n"
	"                comes from its own CA. Never done without this option.\n"
	"  --remove      undoes setup: unregisters the module, removes the bank CAs kinko\n"
	"                added, removes a database setup created when it holds nothing else,\n"
	"                and puts back in kinko.conf the pin_source line setup replaced.\n"
	"browser status  each database: the module registered or not, its path, the bank CAs\n"
	"                kinko added; the pin_source in effect and the pinentry the module runs\n"
	"                (KINKO_PINENTRY, else the pinentry key of kinko.conf, else pinentry on\n"
	"                PATH) and whether it exists.\n"
	"\n"
	"A browser that is running sees the change after a restart; setup names it. The\n"
	"databases are changed with NSS's own modutil and certutil (package libnss3-tools).\n"
	"No PIN is asked. With --json: one object on stdout.\n"
	"\n"
	"Examples:\n"
	"  kinko browser setup --bank https://bank.example:8443/ --trust-bank-ca\n"
	"  kinko browser status\n"
	"  kinko browser setup --remove\n");

typedef struct {
	const char *bank;
	bool trust, remove, status;
	char module[PATH_MAX];
	char ca_file[PATH_MAX];
	char ca_nick[300];
} browser_opts;

static int browser_usage(const kinko_ctx *ctx, const char *what)
{
	kinko_err(ctx, "usage", NULL, _("browser: %s; see 'kinko help browser'"), what);
	return KINKO_EXIT_USAGE;
}

static int browser_args(const kinko_ctx *ctx, int argc, char **argv, browser_opts *o)
{
	int i;

	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--trust-bank-ca") == 0)
			o->trust = true;
		else if (strcmp(argv[i], "--remove") == 0)
			o->remove = true;
		else if (strncmp(argv[i], "--bank=", 7) == 0)
			o->bank = argv[i] + 7;
		else if (strcmp(argv[i], "--bank") == 0 && i + 1 < argc)
			o->bank = argv[++i];
		else
			return browser_usage(ctx, _("unknown option or a missing value"));
	}
	if (o->trust && !o->bank)
		return browser_usage(ctx, _("--trust-bank-ca needs --bank URL"));
	if (o->remove && (o->trust || o->bank))
		return browser_usage(ctx, _("--remove takes no other option"));
	return KINKO_EXIT_OK;
}

/* What setup needs before it changes anything: the tools, the module, the pinned CA. */
static int browser_ready(kinko_ctx *ctx, browser_opts *o)
{
	char hp[256];
	char *p;

	if (!kinko_browser_nss_tools_found()) {
		kinko_err(ctx, "nss_tools_missing", NULL,
		          _("modutil and certutil are not installed: install the package "
		            "libnss3-tools (sudo apt install libnss3-tools)"));
		return KINKO_EXIT_FAIL;
	}
	if (o->remove || o->status)
		return KINKO_EXIT_OK;
	if (o->bank && kinko_bank_host_port(o->bank, hp, sizeof hp) != 0) {
		kinko_err(ctx, "usage", NULL,
		          _("%s is not a bank URL of the form https://host[:port]/"), o->bank);
		return KINKO_EXIT_USAGE;
	}
	/* The browsers load the module by this path: absolute, and there. */
	p = realpath(ctx->module, NULL);
	if (!p || strlen(p) >= sizeof o->module) {
		kinko_err(ctx, "module_missing", strerror(errno),
		          _("the PKCS#11 module %s is not there: give its path with --module PATH "
		            "(or KINKO_MODULE)"),
		          ctx->module);
		free(p);
		return KINKO_EXIT_FAIL;
	}
	snprintf(o->module, sizeof o->module, "%s", p);
	free(p);
	if (!o->trust)
		return KINKO_EXIT_OK;
	/* host_port names the file; the nickname says host:port (the port after the last '_'). */
	p = strrchr(hp, '_');
	*p = ':';
	snprintf(o->ca_nick, sizeof o->ca_nick, "%s%s", KINKO_BROWSER_CA_PREFIX, hp);
	if (kinko_bank_ca_path(o->bank, o->ca_file, sizeof o->ca_file) != 0 ||
	    access(o->ca_file, R_OK) != 0) {
		kinko_err(
			ctx, "bank_ca_not_pinned", NULL,
			_("kinko has no CA pinned for %s (no %s): 'kinko enroll --bank %s --cacert "
		          "FILE' pins the CA the bank handed you; then run this again"),
			o->bank, o->ca_file, o->bank);
		return KINKO_EXIT_USAGE;
	}
	return KINKO_EXIT_OK;
}

/* "Firefox profile NAME (DIR)" or "Chromium (DIR)": the database in the user's terms. */
static void browser_db_label(const kinko_browser_db *db, char *out, size_t len)
{
	if (strcmp(db->browser, "firefox") == 0)
		snprintf(out, len, _("Firefox profile \"%s\" (%s)"), db->name, db->dir);
	else
		snprintf(out, len, _("Chromium (%s)"), db->dir);
}

static json_t *browser_db_json(const kinko_browser_db *db)
{
	json_t *o = json_pack("{s:s, s:s}", "browser", db->browser, "dir", db->dir);

	if (o && db->name[0])
		json_object_set_new(o, "profile", json_string(db->name));
	return o;
}

/* The directories of db->dir that do not exist, made 0700 (the parent first) and recorded,
 * so that --remove can take them away again. */
static int browser_dirs_make(const kinko_browser_db *db)
{
	char dir[PATH_MAX], c;
	const char *home = getenv("HOME");
	size_t skip = home ? strlen(home) : 0, len, i;

	snprintf(dir, sizeof dir, "%s", db->dir);
	len = strlen(dir);
	if (!home || strncmp(dir, home, skip) != 0 || dir[skip] != '/')
		skip = 0;
	for (i = skip + 1; i <= len; i++) {
		if (dir[i] != '/' && dir[i] != '\0')
			continue;
		c = dir[i];
		dir[i] = '\0';
		if (mkdir(dir, 0700) == 0) {
			if (kinko_browser_conf_record_add("dir_created", dir) != 0)
				return -1;
		} else if (errno != EEXIST) {
			return -1;
		}
		dir[i] = c;
	}
	return 0;
}

/* A profile with only the dbm database of Firefox before 58. */
static bool browser_db_legacy(const kinko_browser_db *db)
{
	char path[PATH_MAX + 16];

	snprintf(path, sizeof path, "%s/cert8.db", db->dir);
	return access(path, F_OK) == 0;
}

/* One database set up; the outcome in text and in o. 0 or -1 (reported). */
static int browser_db_setup(kinko_ctx *ctx, const browser_opts *o, kinko_browser_db *db, json_t *jo)
{
	char err[1024], label[PATH_MAX + 160];
	const char *mod;
	bool created = false, added = false;

	browser_db_label(db, label, sizeof label);
	if (!db->exists && browser_db_legacy(db)) {
		/* A new cert9.db would hide the old one from Firefox, which converts it itself. */
		kinko_err(
			ctx, "nss_db_legacy", NULL,
			_("%s: an old database (cert8.db) that Firefox has not converted yet: start "
		          "Firefox once with this profile, then run 'kinko browser setup' again"),
			label);
		json_object_set_new(jo, "error", json_string("cert8.db"));
		return -1;
	}
	if (!db->exists) {
		if (browser_dirs_make(db) != 0) {
			snprintf(err, sizeof err, "%s: %s", db->dir, strerror(errno));
			goto fail;
		}
		if (kinko_browser_nss_db_create(db, err, sizeof err) != 0 ||
		    kinko_browser_conf_record_add("db_created", db->dir) != 0 ||
		    kinko_browser_nss_db_read(db, err, sizeof err) != 0)
			goto fail;
		created = true;
	}
	if (db->registered && strcmp(db->module, o->module) == 0) {
		mod = "already registered";
	} else {
		mod = db->registered ? "updated" : "registered";
		if (kinko_browser_nss_module_add(db, o->module, err, sizeof err) != 0)
			goto fail;
	}
	if (o->trust &&
	    kinko_browser_nss_ca_add(db, o->ca_nick, o->ca_file, &added, err, sizeof err) != 0)
		goto fail;
	json_object_set_new(jo, "created", json_boolean(created));
	json_object_set_new(jo, "module", json_string(mod));
	if (o->trust)
		json_object_set_new(jo, "bank_ca",
		                    json_string(added ? "added" : "already trusted"));
	if (ctx->json)
		return 0;
	printf("%s:\n", label);
	if (created)
		printf("  %s\n", _("database created"));
	printf("  %s\n", strcmp(mod, "registered") == 0 ? _("kinko registered") :
	                 strcmp(mod, "updated") == 0 ? _("kinko registered (module path updated)") :
	                                               _("kinko already registered"));
	if (o->trust)
		printf("  %s: %s\n", o->ca_nick,
		       added ? _("trusted for TLS servers (C,,)") : _("already trusted"));
	return 0;
fail:
	kinko_err(ctx, "nss_tool_failed", err, _("%s: could not be set up"), label);
	json_object_set_new(jo, "error", json_string(err));
	return -1;
}

/* The pinentry the module will run, or a warning naming the packages to install. */
static json_t *browser_pinentry_check(kinko_ctx *ctx)
{
	char path[PATH_MAX], from[PATH_MAX];
	bool exists;

	kinko_browser_conf_pinentry(path, sizeof path, from, sizeof from, &exists);
	if (!exists)
		kinko_err(
			ctx, "pinentry_missing", NULL,
			_("warning: no pinentry program found (%s): the module cannot ask for the "
		          "token PIN. Install one: sudo apt install pinentry-gnome3 (desktop) or "
		          "pinentry-curses (terminal)"),
			path[0] ? path : "pinentry");
	else if (!ctx->json)
		printf(_("pinentry: %s\n"), path);
	return json_pack("{s:s, s:s, s:b}", "path", path, "from", from, "exists", exists);
}

static int browser_setup(kinko_ctx *ctx, const browser_opts *o, kinko_browser_db *dbs, size_t n)
{
	char conf[PATH_MAX];
	json_t *out = json_object(), *arr = json_array(), *jo;
	bool changed;
	int rc = KINKO_EXIT_OK;
	size_t i;

	for (i = 0; i < n; i++) {
		jo = browser_db_json(&dbs[i]);
		if (browser_db_setup(ctx, o, &dbs[i], jo) != 0)
			rc = KINKO_EXIT_FAIL;
		json_array_append_new(arr, jo);
	}
	json_object_set_new(out, "command", json_string("browser setup"));
	json_object_set_new(out, "module_path", json_string(o->module));
	json_object_set_new(out, "databases", arr);
	if (kinko_browser_conf_path(conf, sizeof conf) != 0 ||
	    kinko_browser_conf_pin_source_set(&changed) != 0) {
		kinko_err(ctx, "config_write_failed", strerror(errno),
		          _("cannot write pin_source = pinentry into %s"), conf);
		rc = KINKO_EXIT_FAIL;
	} else if (!ctx->json) {
		printf(changed ? _("%s: pin_source = pinentry written\n") :
		                 _("%s: pin_source = pinentry already there\n"),
		       conf);
	}
	json_object_set_new(out, "config", json_string(conf));
	json_object_set_new(out, "pinentry", browser_pinentry_check(ctx));
	json_object_set_new(out, "running", kinko_browser_running_report(ctx));
	if (o->bank) {
		json_object_set_new(out, "bank", json_string(o->bank));
		if (!ctx->json)
			printf(_("Open %s in the browser to log on to the bank.\n"), o->bank);
	}
	if (ctx->json && rc == KINKO_EXIT_OK)
		kinko_json_out(out);
	else
		json_decref(out);
	return rc;
}

/* A database setup created goes again when nothing else came into it since. */
static bool browser_db_drop(const kinko_browser_db *db)
{
	static const char *const files[] = {"cert9.db", "key4.db", "pkcs11.txt"};
	char path[PATH_MAX + 16];
	size_t i;

	if (!kinko_browser_conf_record_has("db_created", db->dir) ||
	    !kinko_browser_nss_db_empty(db))
		return false;
	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", db->dir, files[i]);
		unlink(path);
	}
	/* The directories setup made, the deepest first; one with other files stays. */
	snprintf(path, sizeof path, "%s", db->dir);
	while (kinko_browser_conf_record_has("dir_created", path) && rmdir(path) == 0 &&
	       strrchr(path, '/') != path)
		*strrchr(path, '/') = '\0';
	return true;
}

static int browser_db_remove(kinko_ctx *ctx, kinko_browser_db *db, json_t *jo)
{
	char err[1024], label[PATH_MAX + 160];
	json_t *cas = json_array();
	bool was = db->registered, dropped;
	size_t i;

	browser_db_label(db, label, sizeof label);
	json_object_set_new(jo, "bank_cas_removed", cas);
	/* The module first: while it is loaded certutil names certificates by token. */
	if (db->registered && kinko_browser_nss_module_delete(db, err, sizeof err) != 0)
		goto fail;
	for (i = 0; i < db->n_cas; i++) {
		if (kinko_browser_nss_ca_delete(db, db->cas[i], err, sizeof err) != 0)
			goto fail;
		json_array_append_new(cas, json_string(kinko_browser_nss_ca_nick(db->cas[i])));
	}
	dropped = browser_db_drop(db);
	json_object_set_new(jo, "module", json_string(was ? "removed" : "not registered"));
	json_object_set_new(jo, "database_removed", json_boolean(dropped));
	if (ctx->json)
		return 0;
	printf("%s:\n  %s\n", label, was ? _("kinko unregistered") : _("kinko was not registered"));
	for (i = 0; i < db->n_cas; i++)
		printf(_("  %s: removed\n"), kinko_browser_nss_ca_nick(db->cas[i]));
	if (dropped)
		printf("  %s\n", _("database removed (setup had created it)"));
	return 0;
fail:
	kinko_err(ctx, "nss_tool_failed", err, _("%s: could not be undone"), label);
	return -1;
}

static int browser_remove(kinko_ctx *ctx, kinko_browser_db *dbs, size_t n)
{
	char conf[PATH_MAX] = "";
	json_t *out = json_object(), *arr = json_array(), *jo;
	int rc = KINKO_EXIT_OK;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!dbs[i].exists)
			continue;
		jo = browser_db_json(&dbs[i]);
		if (browser_db_remove(ctx, &dbs[i], jo) != 0)
			rc = KINKO_EXIT_FAIL;
		json_array_append_new(arr, jo);
	}
	json_object_set_new(out, "command", json_string("browser setup --remove"));
	json_object_set_new(out, "databases", arr);
	if (kinko_browser_conf_path(conf, sizeof conf) != 0 ||
	    kinko_browser_conf_pin_source_restore() != 0) {
		kinko_err(ctx, "config_write_failed", strerror(errno),
		          _("cannot take pin_source = pinentry out of %s"), conf);
		rc = KINKO_EXIT_FAIL;
	} else if (!ctx->json) {
		printf(_("%s: as it was before setup\n"), conf);
	}
	json_object_set_new(out, "config", json_string(conf));
	json_object_set_new(out, "running", kinko_browser_running_report(ctx));
	if (rc == KINKO_EXIT_OK)
		kinko_browser_conf_record_drop();
	if (ctx->json && rc == KINKO_EXIT_OK)
		kinko_json_out(out);
	else
		json_decref(out);
	return rc;
}

/* Every database as it is now; 0 or an exit code (printed). */
static int browser_dbs(kinko_ctx *ctx, kinko_browser_db *dbs, size_t *n)
{
	char err[1024], label[PATH_MAX + 160];
	int found = kinko_browser_profiles_find(dbs, KINKO_BROWSER_MAX_DBS);
	size_t i;

	if (found < 0) {
		kinko_err(ctx, "usage", NULL, _("HOME is not set: no browser profile to look in"));
		return KINKO_EXIT_USAGE;
	}
	*n = (size_t)found;
	for (i = 0; i < *n; i++) {
		if (kinko_browser_nss_db_read(&dbs[i], err, sizeof err) != 0) {
			browser_db_label(&dbs[i], label, sizeof label);
			kinko_err(ctx, "nss_tool_failed", err, _("%s: cannot be read"), label);
			return KINKO_EXIT_FAIL;
		}
	}
	return KINKO_EXIT_OK;
}

int kinko_cmd_browser(kinko_ctx *ctx, int argc, char **argv)
{
	browser_opts o;
	kinko_browser_db *dbs;
	size_t n = 0;
	int rc;

	if (kinko_wants_help(argc, argv)) {
		fputs(_(browser_help), stdout);
		return KINKO_EXIT_OK;
	}
	memset(&o, 0, sizeof o);
	if (argc < 2 || (strcmp(argv[1], "setup") != 0 && strcmp(argv[1], "status") != 0))
		return browser_usage(ctx, _("say 'setup' or 'status'"));
	if (strcmp(argv[1], "status") == 0 && argc > 2)
		return browser_usage(ctx, _("status takes no option"));
	o.status = strcmp(argv[1], "status") == 0;
	rc = browser_args(ctx, argc, argv, &o);
	if (rc == KINKO_EXIT_OK)
		rc = browser_ready(ctx, &o);
	if (rc != KINKO_EXIT_OK)
		return rc;
	dbs = calloc(KINKO_BROWSER_MAX_DBS, sizeof *dbs);
	if (!dbs)
		return KINKO_EXIT_FAIL;
	rc = browser_dbs(ctx, dbs, &n);
	if (rc == KINKO_EXIT_OK && o.status)
		rc = kinko_browser_status(ctx, dbs, n);
	else if (rc == KINKO_EXIT_OK && o.remove)
		rc = browser_remove(ctx, dbs, n);
	else if (rc == KINKO_EXIT_OK)
		rc = browser_setup(ctx, &o, dbs, n);
	free(dbs);
	return rc;
}
