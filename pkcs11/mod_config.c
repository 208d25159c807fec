/* The module's configuration: KINKO_CONF or $(sysconfdir)/kinko/kinko.conf, then the user's
 * $XDG_CONFIG_HOME/kinko/kinko.conf (browsers pass no KINKO_CONF: the user's file is how a
 * browser's module gets pin_source = pinentry), lines of `key = value` with # comments; then
 * KINKO_EMU_SOCKETS=path[:path...] replaces the list of emulator sockets (the tests' way in)
 * and KINKO_PINENTRY the pinentry program. A missing file is the defaults. A line that
 * cannot be understood is skipped with a KINKO_DEBUG=p11 note: a browser loading the module
 * must not lose every token over one typo. The environment is read with secure_getenv: a
 * set-user-ID program loading the module must not take its configuration, or a program to
 * run, from its caller. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mod.h"

#ifndef KINKO_SYSCONFDIR
#define KINKO_SYSCONFDIR "/etc"
#endif

#define MOD_CONFIG_DEFAULT_TIMEOUT_MS 5000u
#define MOD_CONFIG_DEFAULT_TTL_MS 2000u
#define MOD_CONFIG_MAX_SOCKETS 64u
#define MOD_CONFIG_DEFAULT_CANCEL_S 30u

/* One file being read: its name for the notes, and whether its emu_socket lines started
 * (the first one replaces the list an earlier file gave). */
typedef struct {
	const char *path;
	unsigned lineno;
	bool sockets_seen;
} mod_config_src;

static CK_RV mod_config_add_socket(mod_config *cfg, const char *path, size_t len)
{
	char **grown;

	if (len == 0)
		return CKR_OK;
	if (cfg->n_emu_sockets >= MOD_CONFIG_MAX_SOCKETS) {
		mod_trace_msg("config: more than %u emulator sockets, the rest ignored",
		              MOD_CONFIG_MAX_SOCKETS);
		return CKR_OK;
	}
	grown = realloc(cfg->emu_sockets, (cfg->n_emu_sockets + 1) * sizeof(*grown));
	if (!grown)
		return CKR_HOST_MEMORY;
	cfg->emu_sockets = grown;
	grown[cfg->n_emu_sockets] = strndup(path, len);
	if (!grown[cfg->n_emu_sockets])
		return CKR_HOST_MEMORY;
	cfg->n_emu_sockets++;
	return CKR_OK;
}

static void mod_config_clear_sockets(mod_config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->n_emu_sockets; i++)
		free(cfg->emu_sockets[i]);
	free(cfg->emu_sockets);
	cfg->emu_sockets = NULL;
	cfg->n_emu_sockets = 0;
}

static bool mod_config_uint(const char *v, unsigned min, unsigned max, unsigned *out)
{
	char *end;
	unsigned long n;

	if (!isdigit((unsigned char)*v))
		return false;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || *end || n < min || n > max)
		return false;
	*out = (unsigned)n;
	return true;
}

static bool mod_config_bool(const char *v, bool *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1"))
		*out = true;
	else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0"))
		*out = false;
	else
		return false;
	return true;
}

/* "1209:6b6b": two 4-digit hexadecimal USB IDs. */
static bool mod_config_vid_pid(const char *v, uint16_t *vid, uint16_t *pid)
{
	size_t i;

	if (strlen(v) != 9 || v[4] != ':')
		return false;
	for (i = 0; i < 9; i++) {
		if (i != 4 && !isxdigit((unsigned char)v[i]))
			return false;
	}
	*vid = (uint16_t)strtoul(v, NULL, 16); /* stops at the ':' */
	*pid = (uint16_t)strtoul(v + 5, NULL, 16);
	return true;
}

static char *mod_config_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static bool mod_config_pin_source(const char *v, mod_pin_source *out)
{
	if (!strcmp(v, "application"))
		*out = MOD_PIN_SOURCE_APPLICATION;
	else if (!strcmp(v, "pinentry"))
		*out = MOD_PIN_SOURCE_PINENTRY;
	else
		return false;
	return true;
}

/* A program's path: absolute, or a name looked up on PATH when it runs. */
static CK_RV mod_config_program(const char *v, char **out, bool *ok)
{
	char *copy;

	*ok = *v != '\0';
	if (!*ok)
		return CKR_OK;
	copy = strdup(v);
	if (!copy)
		return CKR_HOST_MEMORY;
	free(*out);
	*out = copy;
	return CKR_OK;
}

/* One line (comments already cut). CKR_OK unless memory ran out. */
static CK_RV mod_config_line(mod_config *cfg, mod_config_src *src, char *line)
{
	char *eq = strchr(line, '=');
	char *key, *val;
	bool ok;
	CK_RV rv = CKR_OK;

	line = mod_config_trim(line);
	if (!*line)
		return CKR_OK;
	if (!eq) {
		mod_trace_msg("config %s line %u: no '=', ignored", src->path, src->lineno);
		return CKR_OK;
	}
	*eq = '\0';
	key = mod_config_trim(line);
	val = mod_config_trim(eq + 1);
	if (!strcmp(key, "emu_socket")) {
		if (!src->sockets_seen)
			mod_config_clear_sockets(cfg);
		src->sockets_seen = true;
		return mod_config_add_socket(cfg, val, strlen(val));
	}
	if (!strcmp(key, "usb"))
		ok = mod_config_bool(val, &cfg->usb);
	else if (!strcmp(key, "pcsc"))
		ok = mod_config_bool(val, &cfg->pcsc);
	else if (!strcmp(key, "usb_vid_pid"))
		ok = mod_config_vid_pid(val, &cfg->usb_vid, &cfg->usb_pid);
	else if (!strcmp(key, "timeout_ms"))
		ok = mod_config_uint(val, 100, 600000, &cfg->timeout_ms);
	else if (!strcmp(key, "cache_ttl_ms"))
		ok = mod_config_uint(val, 0, 3600000, &cfg->cache_ttl_ms);
	else if (!strcmp(key, "pin_source"))
		ok = mod_config_pin_source(val, &cfg->pin_source);
	else if (!strcmp(key, "pinentry"))
		rv = mod_config_program(val, &cfg->pinentry, &ok);
	else if (!strcmp(key, "pinentry_cancel_seconds"))
		ok = mod_config_uint(val, 0, 86400, &cfg->pinentry_cancel_s);
	else {
		mod_trace_msg("config %s line %u: unknown key '%s', ignored", src->path,
		              src->lineno, key);
		return CKR_OK;
	}
	if (rv == CKR_OK && !ok)
		mod_trace_msg("config %s line %u: bad value for '%s', ignored", src->path,
		              src->lineno, key);
	return rv;
}

static CK_RV mod_config_file(mod_config *cfg, const char *path)
{
	FILE *f = fopen(path, "re");
	char *line = NULL, *hash;
	size_t cap = 0;
	mod_config_src src = {path, 0, false};
	CK_RV rv = CKR_OK;

	if (!f) {
		if (errno != ENOENT)
			mod_trace_msg("config %s: cannot be read, using the defaults", path);
		return CKR_OK;
	}
	while (rv == CKR_OK && getline(&line, &cap, f) >= 0) {
		src.lineno++;
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		rv = mod_config_line(cfg, &src, line);
	}
	free(line);
	fclose(f);
	return rv;
}

static CK_RV mod_config_env_sockets(mod_config *cfg, const char *list)
{
	const char *p = list;
	CK_RV rv = CKR_OK;

	mod_config_clear_sockets(cfg);
	while (rv == CKR_OK && *p) {
		const char *colon = strchr(p, ':');
		size_t len = colon ? (size_t)(colon - p) : strlen(p);

		rv = mod_config_add_socket(cfg, p, len);
		p += len;
		if (*p == ':')
			p++;
	}
	return rv;
}

/* $XDG_CONFIG_HOME/kinko/kinko.conf, or ~/.config/kinko/kinko.conf; NULL when neither
 * variable is usable (the XDG base directory rules: a relative XDG_CONFIG_HOME is ignored). */
static char *mod_config_user_path(void)
{
	const char *xdg = secure_getenv("XDG_CONFIG_HOME");
	const char *home = secure_getenv("HOME");
	char *path = NULL;
	int n;

	if (xdg && xdg[0] == '/')
		n = asprintf(&path, "%s/kinko/kinko.conf", xdg);
	else if (home && home[0] == '/')
		n = asprintf(&path, "%s/.config/kinko/kinko.conf", home);
	else
		return NULL;
	return n < 0 ? NULL : path;
}

CK_RV mod_config_load(mod_config *cfg)
{
	const char *path = secure_getenv("KINKO_CONF");
	const char *sockets = secure_getenv("KINKO_EMU_SOCKETS");
	const char *program = secure_getenv("KINKO_PINENTRY");
	char *user;
	bool ok;
	CK_RV rv;

	memset(cfg, 0, sizeof(*cfg));
	cfg->timeout_ms = MOD_CONFIG_DEFAULT_TIMEOUT_MS;
	cfg->cache_ttl_ms = MOD_CONFIG_DEFAULT_TTL_MS;
	cfg->usb_vid = TR_USB_DEFAULT_VID;
	cfg->usb_pid = TR_USB_DEFAULT_PID;
	cfg->pcsc = true;
	cfg->pin_source = MOD_PIN_SOURCE_APPLICATION;
	cfg->pinentry_cancel_s = MOD_CONFIG_DEFAULT_CANCEL_S;
	rv = mod_config_file(cfg, path && *path ? path : KINKO_SYSCONFDIR "/kinko/kinko.conf");
	user = mod_config_user_path();
	if (rv == CKR_OK && user)
		rv = mod_config_file(cfg, user);
	free(user);
	if (rv == CKR_OK && sockets)
		rv = mod_config_env_sockets(cfg, sockets);
	if (rv == CKR_OK && program && *program)
		rv = mod_config_program(program, &cfg->pinentry, &ok);
	if (rv != CKR_OK)
		mod_config_free(cfg);
	return rv;
}

void mod_config_free(mod_config *cfg)
{
	mod_config_clear_sockets(cfg);
	free(cfg->pinentry);
	memset(cfg, 0, sizeof(*cfg));
}
