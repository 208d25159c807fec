/* "No token found": where kinko looked and what to check. The module's own slot list says
 * where it looks (slot descriptions: "kinko token emulator PATH", "kinko USB token PORT"); only
 * the USB switch, which no slot shows while no token is plugged in, is read from kinko.conf. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "kinko_p11_where.h"

#ifndef KINKO_SYSCONFDIR
#define KINKO_SYSCONFDIR "/usr/local/etc"
#endif

#define WHERE_EMU "kinko token emulator "
#define WHERE_USB "kinko USB token "

/* kinko.conf as kinko's module finds it: KINKO_CONF, else $(sysconfdir)/kinko/kinko.conf. */
static const char *where_conf_path(void)
{
	const char *p = getenv("KINKO_CONF");

	return p && *p ? p : KINKO_SYSCONFDIR "/kinko/kinko.conf";
}

/* The module's `usb` key (off when absent or unreadable, as the module takes it). */
static bool where_usb_on(void)
{
	FILE *f = fopen(where_conf_path(), "re");
	char line[512];
	bool on = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char *k = line + strspn(line, " \t"), *eq = strchr(k, '='), *v, *end;
		size_t klen;

		if (!eq || *k == '#')
			continue;
		klen = (size_t)(eq - k);
		while (klen > 0 && (k[klen - 1] == ' ' || k[klen - 1] == '\t'))
			klen--;
		if (klen != 3 || strncmp(k, "usb", 3) != 0)
			continue;
		v = eq + 1 + strspn(eq + 1, " \t");
		end = v + strcspn(v, " \t\r\n#");
		*end = '\0';
		on = !strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1");
	}
	fclose(f);
	return on;
}

/* What the slot holds, in English words (JSON's value); the text shows _(state). */
static const char *where_slot_state(kinko_ctx *ctx, CK_SLOT_ID id, const CK_SLOT_INFO *si)
{
	CK_TOKEN_INFO ti;

	if (!(si->flags & CKF_TOKEN_PRESENT))
		return N_("no token");
	if (ctx->p11->C_GetTokenInfo(id, &ti) != CKR_OK)
		return N_("a token that does not answer");
	if (!(ti.flags & CKF_TOKEN_INITIALIZED))
		return N_("a token that is not initialised");
	return ctx->token_uri ? N_("a token that does not match --token") : N_("a token");
}

int kinko_p11_where(kinko_ctx *ctx, kinko_where *w)
{
	CK_SLOT_ID *ids = NULL;
	CK_ULONG n = 0, i;
	CK_RV rv;

	memset(w, 0, sizeof(*w));
	w->module = ctx->module;
	w->kinko_module = ctx->kinko_module;
	w->sockets_from = getenv("KINKO_EMU_SOCKETS") ? "KINKO_EMU_SOCKETS" : where_conf_path();
	w->conf = where_conf_path();
	w->usb_on = ctx->kinko_module && where_usb_on();
	rv = kinko_p11_slot_list(ctx, false, &ids, &n);
	if (rv != CKR_OK)
		return kinko_p11_fail(ctx, rv, _("cannot list the module's slots"));
	if (n > 0) {
		w->slots = calloc(n, sizeof(*w->slots));
		if (!w->slots) {
			free(ids);
			return KINKO_EXIT_FAIL;
		}
	}
	for (i = 0; i < n; i++) {
		CK_SLOT_INFO si;
		kinko_where_slot *s = &w->slots[w->n];

		if (ctx->p11->C_GetSlotInfo(ids[i], &si) != CKR_OK)
			continue;
		kinko_p11_text(si.slotDescription, sizeof(si.slotDescription), s->desc,
		               sizeof(s->desc));
		s->state = where_slot_state(ctx, ids[i], &si);
		if (ctx->kinko_module && strncmp(s->desc, WHERE_EMU, strlen(WHERE_EMU)) == 0) {
			s->kind = KINKO_WHERE_EMU;
			s->where = s->desc + strlen(WHERE_EMU);
			w->n_emu++;
		} else if (ctx->kinko_module &&
		           strncmp(s->desc, WHERE_USB, strlen(WHERE_USB)) == 0) {
			s->kind = KINKO_WHERE_USB;
			s->where = s->desc + strlen(WHERE_USB);
		} else {
			s->kind = KINKO_WHERE_OTHER;
			s->where = s->desc;
		}
		w->n++;
	}
	free(ids);
	return KINKO_EXIT_OK;
}

void kinko_where_free(kinko_where *w)
{
	free(w->slots);
	w->slots = NULL;
	w->n = 0;
}

/* Append to buf (always NUL-terminated; cut when full). */
static void where_add(char *buf, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void where_add(char *buf, size_t cap, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;

	if (len + 1 >= cap)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + len, cap - len, fmt, ap);
	va_end(ap);
}

void kinko_where_text(const kinko_where *w, char *buf, size_t cap)
{
	size_t i;

	if (cap == 0)
		return;
	buf[0] = '\0';
	where_add(buf, cap, _("kinko looked through the PKCS#11 module %s:\n"), w->module);
	for (i = 0; i < w->n; i++) {
		const kinko_where_slot *s = &w->slots[i];

		if (s->kind == KINKO_WHERE_EMU)
			where_add(buf, cap, _("  emulator socket %s: %s\n"), s->where, _(s->state));
		else if (s->kind == KINKO_WHERE_USB)
			where_add(buf, cap, _("  USB port %s: %s\n"), s->where, _(s->state));
		else
			where_add(buf, cap, _("  slot \"%s\": %s\n"), s->where, _(s->state));
	}
	if (w->kinko_module) {
		if (w->n_emu == 0)
			where_add(buf, cap,
			          _("  no emulator socket configured (KINKO_EMU_SOCKETS, or "
			            "emu_socket in %s)\n"),
			          w->conf);
		else
			where_add(buf, cap, _("  (the emulator sockets come from %s)\n"),
			          w->sockets_from);
		if (w->usb_on)
			where_add(buf, cap,
			          _("  USB tokens: on (usb = yes in %s), none plugged in\n"),
			          w->conf);
		else
			where_add(buf, cap, _("  USB tokens: off (%s does not say usb = yes)\n"),
			          w->conf);
		where_add(buf, cap,
		          _("  PC/SC card readers: each reader pcscd serves is a slot above "
		            "(pcsc = no in %s turns them off)\n"),
		          w->conf);
	} else if (w->n == 0) {
		where_add(buf, cap, "%s", _("  the module shows no slot at all\n"));
	}
	where_add(buf, cap, "%s", _("Check that:\n"));
	if (w->kinko_module)
		where_add(buf, cap, "%s",
		          _("  - the token is plugged in, or its emulator is running "
		            "(kinko-token-emu --socket PATH)\n"));
	else
		where_add(buf, cap, "%s", _("  - the token is plugged in\n"));
	if (w->kinko_module)
		where_add(
			buf, cap,
			_("  - for a USB token: usb = yes in %s, the udev rule "
		          "70-kinko-token.rules is installed and you may use the device (a console "
		          "login, or the plugdev group)\n"),
			w->conf);
	else
		where_add(
			buf, cap, "%s",
			_("  - you may use the device (udev rule, group membership) "
		          "and the module's own setup is done (e.g. its token is initialised)\n"));
	where_add(buf, cap, "%s",
	          _("  - KINKO_MODULE or --module names the module of your token\n"));
}

json_t *kinko_where_json(const kinko_where *w)
{
	json_t *slots = json_array(), *o;
	size_t i;
	static const char *const kinds[] = {"other", "emulator", "usb"};

	for (i = 0; i < w->n; i++)
		json_array_append_new(slots,
		                      json_pack("{s:s, s:s, s:s}", "kind", kinds[w->slots[i].kind],
		                                "where", w->slots[i].where, "state",
		                                w->slots[i].state));
	o = json_pack("{s:s, s:o}", "module", w->module, "slots", slots);
	if (o && w->kinko_module) {
		json_object_set_new(o, "usb", json_boolean(w->usb_on));
		json_object_set_new(o, "pcsc", json_string("not supported yet"));
		json_object_set_new(o, "config", json_string(w->conf));
	}
	return o;
}
