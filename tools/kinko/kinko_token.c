/* kinko token list | token info. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "i18n.h"
#include "kinko_cmd.h"
#include "kinko_p11_where.h"

/* TRANSLATORS: keep the command words; name each PIN state as the listing shows it (its
 * translation) and as --json gives it (the English word). */
static const char *const token_help = N_(
	"Usage: kinko [GLOBAL OPTIONS] token list\n"
	"       kinko [GLOBAL OPTIONS] token info\n"
	"\n"
	"token list   every token the PKCS#11 module sees (those matching --token URI when\n"
	"             given): label, serial, manufacturer and model, PIN state, free key slots\n"
	"             and the token's pkcs11: URI, to be given to --token when several tokens\n"
	"             are present.\n"
	"token info   the chosen token in detail: the above, PIN lengths, PUK state, versions,\n"
	"             the module, and the key pairs and certificates it holds.\n"
	"\n"
	"PIN state, as the token's PKCS#11 flags tell it (PKCS#11 gives no exact count):\n"
	"  ok                the PIN works; no failed attempt is recorded\n"
	"  must be changed   the PIN is the factory PIN: the next login asks for a new one\n"
	"  wrong PIN entered before (fewer tries left)\n"
	"                    a wrong PIN was entered since the last successful login\n"
	"  1 try left        one more wrong PIN locks it\n"
	"  locked            unblock it with 'kinko pin unblock' (needs the PUK)\n"
	"Free key slots are shown for kinko's own module (PIV slots 9A and 82..95 without a\n"
	"key); other modules do not tell, and the line is left out.\n"
	"\n"
	"Neither command asks for the PIN. With --json: {\"tokens\": [...]} or {\"token\": {...}}.\n"
	"\n"
	"Examples:\n"
	"  kinko token list\n"
	"  kinko --module /usr/lib/softhsm/libsofthsm2.so token info --json\n"
	"  kinko --token 'pkcs11:serial=4242' token info\n");

bool kinko_wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	return false;
}

static int token_usage(const kinko_ctx *ctx)
{
	kinko_err(ctx, "usage", NULL, _("token: say 'list' or 'info'; see 'kinko help token'"));
	return KINKO_EXIT_USAGE;
}

void kinko_json_out(json_t *obj)
{
	if (obj) {
		json_dumpf(obj, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
	}
	json_decref(obj);
}

typedef struct {
	char label[40], manuf[40], model[20], serial[20], uri[512];
	char slot[80]; /* the slot's description: a PC/SC reader's name, where the token is */
	const char *pin;
	int free_slots;
} token_desc;

static void token_describe(kinko_ctx *ctx, CK_SLOT_ID slot, const CK_TOKEN_INFO *ti, token_desc *d)
{
	CK_SLOT_INFO si;

	d->slot[0] = '\0';
	if (ctx->p11->C_GetSlotInfo(slot, &si) == CKR_OK)
		kinko_p11_text(si.slotDescription, sizeof(si.slotDescription), d->slot,
		               sizeof(d->slot));
	kinko_p11_text(ti->label, sizeof(ti->label), d->label, sizeof(d->label));
	kinko_p11_text(ti->manufacturerID, sizeof(ti->manufacturerID), d->manuf, sizeof(d->manuf));
	kinko_p11_text(ti->model, sizeof(ti->model), d->model, sizeof(d->model));
	kinko_p11_text(ti->serialNumber, sizeof(ti->serialNumber), d->serial, sizeof(d->serial));
	if (!kinko_p11_token_uri(ti, d->uri, sizeof(d->uri)))
		d->uri[0] = '\0';
	d->pin = kinko_p11_pin_state(ti->flags, false);
	d->free_slots = kinko_p11_vendor_free_slots(ctx, slot);
}

static json_t *token_json(const token_desc *d)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "label", d->label, "serial",
	                      d->serial, "manufacturer", d->manuf, "model", d->model, "pin", d->pin,
	                      "slot", d->slot, "uri", d->uri);

	if (o && d->free_slots >= 0)
		json_object_set_new(o, "free_key_slots", json_integer(d->free_slots));
	return o;
}

/* Each line's label and value in one translated string; the token's data stay as they are. */
static void token_print(const token_desc *d)
{
	printf("%s\n", d->label);
	printf(_("  serial:          %s\n"), d->serial);
	printf(_("  manufacturer:    %s, model %s\n"), d->manuf, d->model);
	printf(_("  PIN:             %s\n"), _(d->pin));
	/* TRANSLATORS: where the token is: the PC/SC reader's name, or the emulator socket's or
	 * USB port's slot. */
	printf(_("  slot:            %s\n"), d->slot);
	if (d->free_slots >= 0)
		printf(_("  free key slots:  %d\n"), d->free_slots);
	printf(_("  URI:             %s\n"), d->uri);
}

/* No token to list: where kinko looked and what to check (text), or *searched (JSON). */
static void token_none(kinko_ctx *ctx, json_t **searched)
{
	char text[2048];
	kinko_where w;

	if (kinko_p11_where(ctx, &w) != KINKO_EXIT_OK)
		return;
	if (ctx->json) {
		*searched = kinko_where_json(&w);
	} else {
		kinko_where_text(&w, text, sizeof(text));
		fputs(text, stdout);
	}
	kinko_where_free(&w);
}

static int token_list(kinko_ctx *ctx)
{
	CK_SLOT_ID *slots = NULL;
	size_t n = 0, i;
	json_t *arr = NULL, *searched = NULL;
	int r = kinko_p11_load(ctx);

	if (r == KINKO_EXIT_OK)
		r = kinko_p11_tokens(ctx, &slots, &n);
	if (r != KINKO_EXIT_OK)
		return r;
	if (ctx->json)
		arr = json_array();
	else if (n == 0)
		puts(ctx->token_uri ? _("no token found matching --token") : _("no token found"));
	if (n == 0)
		token_none(ctx, &searched);
	for (i = 0; i < n; i++) {
		CK_TOKEN_INFO ti;
		token_desc d;
		CK_RV rv = ctx->p11->C_GetTokenInfo(slots[i], &ti);

		if (rv != CKR_OK)
			continue; /* removed meanwhile */
		token_describe(ctx, slots[i], &ti, &d);
		if (arr)
			json_array_append_new(arr, token_json(&d));
		else {
			if (i > 0)
				putchar('\n');
			token_print(&d);
		}
	}
	free(slots);
	if (arr && searched)
		kinko_json_out(json_pack("{s:o, s:o}", "tokens", arr, "searched", searched));
	else if (arr)
		kinko_json_out(json_pack("{s:o}", "tokens", arr));
	return KINKO_EXIT_OK;
}

static int token_info(kinko_ctx *ctx)
{
	CK_TOKEN_INFO ti;
	CK_INFO mi;
	kinko_keyobj *objs = NULL;
	size_t n = 0, i, keys = 0, certs = 0;
	char lib[40];
	token_desc d;
	int r = kinko_p11_token_info(ctx, &ti);

	if (r != KINKO_EXIT_OK)
		return r;
	token_describe(ctx, ctx->slot, &ti, &d);
	if (ctx->p11->C_GetInfo(&mi) != CKR_OK)
		memset(&mi, 0, sizeof(mi));
	kinko_p11_text(mi.libraryDescription, sizeof(mi.libraryDescription), lib, sizeof(lib));
	r = kinko_p11_list(ctx, &objs, &n);
	if (r != KINKO_EXIT_OK)
		return r;
	for (i = 0; i < n; i++) {
		keys += objs[i].priv || objs[i].pub;
		certs += objs[i].cert != 0;
	}
	kinko_keyobj_free(objs, n);
	if (ctx->json) {
		json_t *o = token_json(&d);

		json_object_set_new(o, "pin_length",
		                    json_pack("{s:I, s:I}", "min", (json_int_t)ti.ulMinPinLen,
		                              "max", (json_int_t)ti.ulMaxPinLen));
		json_object_set_new(o, "pin_must_change",
		                    json_boolean(ti.flags & CKF_USER_PIN_TO_BE_CHANGED));
		json_object_set_new(o, "puk", json_string(kinko_p11_pin_state(ti.flags, true)));
		json_object_set_new(o, "key_pairs", json_integer((json_int_t)keys));
		json_object_set_new(o, "certificates", json_integer((json_int_t)certs));
		json_object_set_new(o, "module", json_string(ctx->module));
		kinko_json_out(json_pack("{s:o}", "token", o));
		return KINKO_EXIT_OK;
	}
	token_print(&d);
	printf(_("  PIN length:      %lu to %lu characters\n"), (unsigned long)ti.ulMinPinLen,
	       (unsigned long)ti.ulMaxPinLen);
	printf(_("  PUK (SO PIN):    %s\n"), _(kinko_p11_pin_state(ti.flags, true)));
	printf(_("  versions:        hardware %u.%u, firmware %u.%u\n"), ti.hardwareVersion.major,
	       ti.hardwareVersion.minor, ti.firmwareVersion.major, ti.firmwareVersion.minor);
	printf(_("  key pairs:       %zu (visible without login)\n"), keys);
	printf(_("  certificates:    %zu\n"), certs);
	printf(_("  module:          %s (%s)\n"), ctx->module, lib);
	return KINKO_EXIT_OK;
}

int kinko_cmd_token(kinko_ctx *ctx, int argc, char **argv)
{
	if (kinko_wants_help(argc, argv)) {
		fputs(_(token_help), stdout);
		return KINKO_EXIT_OK;
	}
	if (argc != 2)
		return token_usage(ctx);
	if (strcmp(argv[1], "list") == 0)
		return token_list(ctx);
	if (strcmp(argv[1], "info") == 0)
		return token_info(ctx);
	return token_usage(ctx);
}
