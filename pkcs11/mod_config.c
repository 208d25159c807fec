/* The module's configuration: KINKO_CONF or $(sysconfdir)/kinko/kinko.conf, lines of
 * `key = value` with # comments; then KINKO_EMU_SOCKETS=path[:path...] replaces the list of
 * emulator sockets (the tests' way in). A missing file is the defaults. A line that cannot
 * be understood is skipped with a KINKO_DEBUG=p11 note: a browser loading the module must
 * not lose every token over one typo. */
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

/* One line (comments already cut). CKR_OK unless memory ran out. */
static CK_RV mod_config_line(mod_config *cfg, char *line, unsigned lineno)
{
	char *eq = strchr(line, '=');
	char *key, *val;
	bool ok;

	line = mod_config_trim(line);
	if (!*line)
		return CKR_OK;
	if (!eq) {
		mod_trace_msg("config line %u: no '=', ignored", lineno);
		return CKR_OK;
	}
	*eq = '\0';
	key = mod_config_trim(line);
	val = mod_config_trim(eq + 1);
	if (!strcmp(key, "emu_socket"))
		return mod_config_add_socket(cfg, val, strlen(val));
	if (!strcmp(key, "usb"))
		ok = mod_config_bool(val, &cfg->usb);
	else if (!strcmp(key, "usb_vid_pid"))
		ok = mod_config_vid_pid(val, &cfg->usb_vid, &cfg->usb_pid);
	else if (!strcmp(key, "timeout_ms"))
		ok = mod_config_uint(val, 100, 600000, &cfg->timeout_ms);
	else if (!strcmp(key, "cache_ttl_ms"))
		ok = mod_config_uint(val, 0, 3600000, &cfg->cache_ttl_ms);
	else {
		mod_trace_msg("config line %u: unknown key '%s', ignored", lineno, key);
		return CKR_OK;
	}
	if (!ok)
		mod_trace_msg("config line %u: bad value for '%s', ignored", lineno, key);
	return CKR_OK;
}

static CK_RV mod_config_file(mod_config *cfg, const char *path)
{
	FILE *f = fopen(path, "re");
	char *line = NULL, *hash;
	size_t cap = 0;
	unsigned lineno = 0;
	CK_RV rv = CKR_OK;

	if (!f) {
		if (errno != ENOENT)
			mod_trace_msg("config %s: cannot be read, using the defaults", path);
		return CKR_OK;
	}
	while (rv == CKR_OK && getline(&line, &cap, f) >= 0) {
		lineno++;
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		rv = mod_config_line(cfg, line, lineno);
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

CK_RV mod_config_load(mod_config *cfg)
{
	const char *path = getenv("KINKO_CONF");
	const char *sockets = getenv("KINKO_EMU_SOCKETS");
	CK_RV rv;

	memset(cfg, 0, sizeof(*cfg));
	cfg->timeout_ms = MOD_CONFIG_DEFAULT_TIMEOUT_MS;
	cfg->cache_ttl_ms = MOD_CONFIG_DEFAULT_TTL_MS;
	cfg->usb_vid = TR_USB_DEFAULT_VID;
	cfg->usb_pid = TR_USB_DEFAULT_PID;
	rv = mod_config_file(cfg, path && *path ? path : KINKO_SYSCONFDIR "/kinko/kinko.conf");
	if (rv == CKR_OK && sockets)
		rv = mod_config_env_sockets(cfg, sockets);
	if (rv != CKR_OK)
		mod_config_free(cfg);
	return rv;
}

void mod_config_free(mod_config *cfg)
{
	mod_config_clear_sockets(cfg);
	memset(cfg, 0, sizeof(*cfg));
}
