/* kinko key delete URI: remove a key pair and its certificate from the token, after a
 * confirmation on a terminal (--yes otherwise). The key left by an interrupted enrollment is
 * removed this way (kinko certs lists such keys with their URI). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <p11-kit/uri.h>

#include "i18n.h"
#include "kinko_cmd.h"
#include "kinko_enroll.h"

/* TRANSLATORS: keep the command words, options and the JSON keys. */
static const char *const key_help = N_(
	"Usage: kinko [GLOBAL OPTIONS] key delete URI [--yes]\n"
	"\n"
	"key delete   removes from the token the key named by the pkcs11: URI (the URI that\n"
	"             'kinko certs' prints for a certificate or for a key without one): its\n"
	"             private key, its public key and its certificate, all with the same CKA_ID.\n"
	"             The URI must name the key with id= or object= (the label); its token\n"
	"             attributes, if any, choose the token (or give --token). Asks for the token\n"
	"             PIN, then, on a terminal, asks to confirm; without a terminal give --yes.\n"
	"             Says what it removed. A URI matching no key, or several, removes nothing.\n"
	"\n"
	"A removed key cannot be brought back: a certificate for it is useless afterwards.\n"
	"With --json: {\"removed\": [{\"id\", \"label\", \"objects\": [...], \"certificate\"?: CN}]}.\n"
	"Exit status: 0 removed, 1 not confirmed, 2 usage (no URI, no id=/object=, several\n"
	"keys match, no --yes without a terminal), 3 no key matches or the token refused.\n"
	"\n"
	"Example (a key left by an interrupted enrollment):\n"
	"  kinko certs\n"
	"  kinko key delete 'pkcs11:token=kinko%20PIV%20%23123456;id=%05;type=private'\n");

typedef struct {
	CK_ATTRIBUTE *id, *label; /* from the URI; NULL when absent */
} key_query;

/* Does any of k's objects carry the label? (A key's and its certificate's labels may differ.) */
static bool key_has_label(kinko_ctx *ctx, const kinko_keyobj *k, const CK_ATTRIBUTE *label)
{
	CK_OBJECT_HANDLE hs[3] = {k->priv, k->pub, k->cert};
	char buf[256];
	size_t i;

	for (i = 0; i < 3; i++) {
		CK_ATTRIBUTE a = {CKA_LABEL, buf, sizeof(buf)};

		if (hs[i] && ctx->p11->C_GetAttributeValue(ctx->session, hs[i], &a, 1) == CKR_OK &&
		    a.ulValueLen == label->ulValueLen &&
		    memcmp(buf, label->pValue, a.ulValueLen) == 0)
			return true;
	}
	return false;
}

static bool key_matches(kinko_ctx *ctx, const kinko_keyobj *k, const key_query *q)
{
	if (q->id &&
	    (q->id->ulValueLen != k->id_len || memcmp(q->id->pValue, k->id, k->id_len) != 0))
		return false;
	return !q->label || key_has_label(ctx, k, q->label);
}

/* "private key, public key, certificate \"CN\"": the objects, in the user's language. */
static void key_describe(const kinko_keyobj *k, char *out, size_t cap, char *cn, size_t cncap)
{
	char cert[300];
	const char *parts[3];
	size_t n = 0, i, len;

	cn[0] = '\0';
	if (k->x509 && !kinko_enroll_cert_cn(k->x509, cn, cncap))
		snprintf(cn, cncap, "%s", _("(no CN)"));
	kinko_p11_clean_text(cn);
	if (k->priv)
		parts[n++] = _("private key");
	if (k->pub)
		parts[n++] = _("public key");
	if (k->cert) {
		/* TRANSLATORS: a certificate object named by its CN. */
		snprintf(cert, sizeof(cert), _("certificate \"%s\""), cn);
		parts[n++] = cert;
	}
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		len = strlen(out);
		/* TRANSLATORS: the separator of a list of the key's objects (Japanese 「、」). */
		snprintf(out + len, cap - len, "%s%s", i > 0 ? _(", ") : "", parts[i]);
	}
}

static void key_hex(const kinko_keyobj *k, char *out, size_t cap)
{
	size_t i;

	out[0] = '\0';
	for (i = 0; i < k->id_len && 2 * i + 2 < cap; i++)
		snprintf(out + 2 * i, 3, "%02x", k->id[i]);
}

/* On the terminal: "remove ...? [y/N]". 1 yes, 0 no, -1 no terminal. */
static int key_confirm(const char *what)
{
	char line[16] = "";
	ssize_t n;
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -1;
	/* TRANSLATORS: the answer is still y or yes. */
	if (dprintf(fd, _("remove %s from the token? This cannot be undone. [y/N] "), what) < 0) {
		close(fd);
		return -1;
	}
	n = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	line[n] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	return strcmp(line, "y") == 0 || strcmp(line, "Y") == 0 || strcmp(line, "yes") == 0;
}

/* The one key q names; exit code (nothing matched: 3, several: 2, listed). */
static int key_pick(kinko_ctx *ctx, kinko_keyobj *objs, size_t n, const key_query *q,
                    const char *uri, size_t *pick)
{
	size_t i, hits = 0;

	for (i = 0; i < n; i++)
		if (key_matches(ctx, &objs[i], q)) {
			*pick = i;
			hits++;
		}
	if (hits == 0) {
		kinko_err(ctx, "key_not_found", NULL,
		          _("no key on the token matches %s: nothing removed (see 'kinko certs')"),
		          uri);
		return KINKO_EXIT_TOKEN;
	}
	if (hits > 1) {
		kinko_err(ctx, "key_ambiguous", NULL,
		          P_("%zu key matches %s: name one with id= (see "
		             "'kinko certs'); nothing removed",
		             "%zu keys match %s: name one with id= (see "
		             "'kinko certs'); nothing removed",
		             hits),
		          hits, uri);
		for (i = 0; i < n; i++)
			if (key_matches(ctx, &objs[i], q))
				fprintf(stderr, "  %s\n", objs[i].uri);
		return KINKO_EXIT_USAGE;
	}
	return KINKO_EXIT_OK;
}

static int key_delete(kinko_ctx *ctx, const char *uri_text, bool yes)
{
	P11KitUri *uri = p11_kit_uri_new();
	kinko_keyobj *objs = NULL;
	size_t n = 0, pick = 0;
	key_query q;
	char what[512], cn[256], id[130], full[800];
	int r, c;

	if (!uri)
		return KINKO_EXIT_FAIL;
	if (p11_kit_uri_parse(uri_text, P11_KIT_URI_FOR_ANY, uri) != P11_KIT_URI_OK) {
		kinko_err(ctx, "usage", NULL, _("not a pkcs11: URI: %s"), uri_text);
		p11_kit_uri_free(uri);
		return KINKO_EXIT_USAGE;
	}
	q.id = p11_kit_uri_get_attribute(uri, CKA_ID);
	q.label = p11_kit_uri_get_attribute(uri, CKA_LABEL);
	if (!q.id && !q.label) {
		kinko_err(ctx, "usage", NULL,
		          _("the URI must name the key with id= or object= (see "
		            "'kinko certs'): %s"),
		          uri_text);
		p11_kit_uri_free(uri);
		return KINKO_EXIT_USAGE;
	}
	/* The URI's token attributes choose the token when --token does not. */
	if (!ctx->token_uri)
		ctx->token_uri = uri_text;
	r = kinko_p11_login(ctx);
	if (r == KINKO_EXIT_OK)
		r = kinko_p11_list(ctx, &objs, &n);
	if (r == KINKO_EXIT_OK)
		r = key_pick(ctx, objs, n, &q, uri_text, &pick);
	p11_kit_uri_free(uri);
	if (r != KINKO_EXIT_OK) {
		kinko_keyobj_free(objs, n);
		return r;
	}
	key_describe(&objs[pick], what, sizeof(what), cn, sizeof(cn));
	key_hex(&objs[pick], id, sizeof(id));
	if (objs[pick].label[0])
		snprintf(full, sizeof(full), _("%s (id %s, label %s)"), what, id, objs[pick].label);
	else
		snprintf(full, sizeof(full), _("%s (id %s)"), what, id);
	if (!yes) {
		c = key_confirm(full);
		if (c < 0) {
			kinko_err(ctx, "no_terminal", NULL,
			          _("no terminal to confirm the removal of %s: give --yes"), full);
			kinko_keyobj_free(objs, n);
			return KINKO_EXIT_USAGE;
		}
		if (c == 0) {
			kinko_err(ctx, "not_confirmed", NULL, _("not confirmed: nothing removed"));
			kinko_keyobj_free(objs, n);
			return KINKO_EXIT_FAIL;
		}
	}
	r = kinko_p11_destroy(ctx, &objs[pick]);
	if (r == KINKO_EXIT_OK && ctx->json) {
		json_t *list = json_array(), *o;

		if (objs[pick].priv)
			json_array_append_new(list, json_string("private key"));
		if (objs[pick].pub)
			json_array_append_new(list, json_string("public key"));
		if (objs[pick].cert)
			json_array_append_new(list, json_string("certificate"));
		o = json_pack("{s:s, s:s, s:o}", "id", id, "label", objs[pick].label, "objects",
		              list);
		if (o && objs[pick].cert)
			json_object_set_new(o, "certificate", json_string(cn));
		kinko_json_out(json_pack("{s:[o]}", "removed", o));
	} else if (r == KINKO_EXIT_OK) {
		printf(_("removed from the token: %s\n"), full);
	}
	kinko_keyobj_free(objs, n);
	return r;
}

int kinko_cmd_key(kinko_ctx *ctx, int argc, char **argv)
{
	const char *uri = NULL;
	bool yes = false;
	int i;

	if (kinko_wants_help(argc, argv)) {
		fputs(_(key_help), stdout);
		return KINKO_EXIT_OK;
	}
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--yes") == 0 || strcmp(argv[i], "-y") == 0)
			yes = true;
		else if (!uri && argv[i][0] != '-')
			uri = argv[i];
		else
			break;
	}
	if (argc < 2 || strcmp(argv[1], "delete") != 0 || !uri || i < argc) {
		kinko_err(ctx, "usage", NULL,
		          _("usage: kinko key delete URI [--yes]; see 'kinko help key'"));
		return KINKO_EXIT_USAGE;
	}
	return key_delete(ctx, uri, yes);
}
