/* kinko browser status: where the module is registered, the bank CAs kinko added, the
 * pin_source in effect and the pinentry the module would run; and the browsers running now. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "kinko_browser.h"
#include "kinko_cmd.h"

#define STATUS_MAX_RUNNING 512

/* One line per browser (its first process), and in JSON every pid of it: another user's
 * session of the same browser name is not this one's, but all of this user's count. */
json_t *kinko_browser_running_report(const kinko_ctx *ctx)
{
	const char **names = calloc(STATUS_MAX_RUNNING, sizeof *names);
	pid_t *pids = calloc(STATUS_MAX_RUNNING, sizeof *pids);
	size_t n = names && pids ? kinko_browser_profiles_running(names, pids, STATUS_MAX_RUNNING) :
	                           0,
	       i, j;
	json_t *arr = json_array(), *list;

	for (i = 0; i < n; i++) {
		for (j = 0; j < i && names[j] != names[i]; j++)
			;
		if (j < i)
			continue;
		list = json_array();
		for (j = i; j < n; j++)
			if (names[j] == names[i])
				json_array_append_new(list, json_integer(pids[j]));
		json_array_append_new(arr,
		                      json_pack("{s:s, s:o}", "browser", names[i], "pids", list));
		if (!ctx->json)
			printf(_("%s is running (pid %d): it sees the change after a restart of %s\n"),
			       names[i], (int)pids[i], names[i]);
	}
	free(names);
	free(pids);
	return arr;
}

static void status_db_text(const kinko_browser_db *db, const char *mine)
{
	size_t i;

	if (strcmp(db->browser, "firefox") == 0)
		printf(_("Firefox profile \"%s\" (%s):\n"), db->name, db->dir);
	else
		printf(_("Chromium (%s):\n"), db->dir);
	if (!db->exists) {
		printf("  %s\n", _("no database yet"));
		return;
	}
	if (!db->registered)
		printf("  %s\n", _("kinko not registered"));
	else if (mine && strcmp(mine, db->module) != 0)
		printf(_("  kinko registered: %s (kinko itself uses %s)\n"), db->module, mine);
	else
		printf(_("  kinko registered: %s\n"), db->module);
	for (i = 0; i < db->n_cas; i++)
		printf(_("  bank CA trusted for TLS servers: %s\n"),
		       kinko_browser_nss_ca_nick(db->cas[i]));
}

static json_t *status_db_json(const kinko_browser_db *db)
{
	json_t *o = json_pack("{s:s, s:s, s:b, s:b}", "browser", db->browser, "dir", db->dir,
	                      "exists", db->exists, "registered", db->registered);
	json_t *cas = json_array();
	size_t i;

	if (!o)
		return NULL;
	if (db->name[0])
		json_object_set_new(o, "profile", json_string(db->name));
	if (db->registered)
		json_object_set_new(o, "module", json_string(db->module));
	for (i = 0; i < db->n_cas; i++)
		json_array_append_new(cas, json_string(kinko_browser_nss_ca_nick(db->cas[i])));
	json_object_set_new(o, "bank_cas", cas);
	return o;
}

int kinko_browser_status(kinko_ctx *ctx, kinko_browser_db *dbs, size_t n)
{
	char src[PATH_MAX], from[PATH_MAX], pe[PATH_MAX], pe_from[PATH_MAX];
	char *mine = realpath(ctx->module, NULL);
	json_t *out = json_object(), *arr = json_array();
	bool exists;
	size_t i;

	for (i = 0; i < n; i++) {
		json_array_append_new(arr, status_db_json(&dbs[i]));
		if (!ctx->json)
			status_db_text(&dbs[i], mine);
	}
	json_object_set_new(out, "databases", arr);
	free(mine);
	kinko_browser_conf_value("pin_source", src, sizeof src, from, sizeof from);
	kinko_browser_conf_pinentry(pe, sizeof pe, pe_from, sizeof pe_from, &exists);
	json_object_set_new(out, "pin_source", json_string(src[0] ? src : "application"));
	if (from[0])
		json_object_set_new(out, "pin_source_from", json_string(from));
	json_object_set_new(out, "pinentry",
	                    json_pack("{s:s, s:s, s:b}", "path", pe, "from", pe_from, "exists",
	                              exists));
	if (!ctx->json) {
		if (src[0])
			printf(_("pin_source: %s (%s)\n"), src, from);
		else
			printf(_("pin_source: application (the default: the browser asks for the "
			         "token PIN)\n"));
		if (exists)
			printf(_("pinentry: %s (from %s)\n"), pe, pe_from);
		else
			printf(_("pinentry: %s not found (from %s)\n"), pe[0] ? pe : "pinentry",
			       pe_from);
	}
	json_object_set_new(out, "running", kinko_browser_running_report(ctx));
	if (ctx->json)
		kinko_json_out(out);
	else
		json_decref(out);
	return KINKO_EXIT_OK;
}
