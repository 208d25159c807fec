/* The commands that talk to the bank's JSON API: kinko logon, status, logoff and admin. A
 * logon keeps its session in a file, so later runs reuse it; the bank binds a session to the
 * certificate, so every run authenticates with the same token key again. */
#include "kinko_bank.h"
#include "i18n.h"
#include "kinko_ask.h"
#include "kinko_bank_int.h"
#include "kinko_text.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include <openssl/crypto.h>
#include <p11-kit/uri.h>

typedef struct {
	const char *bank;
	const char *cert;
	const char *cacert;
	int help;
	int npos;
	char **pos; /* the words after the subcommand */
} bank_opts;

static int opts_parse(kinko_ctx *ctx, int argc, char **argv, bank_opts *o)
{
	static const struct option longopts[] = {
		{"bank", required_argument, NULL, 'b'},
		{"cert", required_argument, NULL, 'c'},
		{"cacert", required_argument, NULL, 'a'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	memset(o, 0, sizeof *o);
	optind = 0;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'b': o->bank = optarg; break;
		case 'c': o->cert = optarg; break;
		case 'a': o->cacert = optarg; break;
		case 'h': o->help = 1; break;
		default:
			kinko_err(
				ctx, "usage", NULL,
				_("%s: unknown option or missing value: %s (see kinko %s --help)"),
				argv[0], argv[optind - 1], argv[0]);
			return KINKO_EXIT_USAGE;
		}
	}
	o->pos = argv + optind;
	o->npos = argc - optind;
	return KINKO_EXIT_OK;
}

static void day_of(const ASN1_TIME *t, char *out, size_t len)
{
	struct tm tm;
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1 || i18n_date_format(&tm, out, len) == 0)
		snprintf(out, len, "?");
}

static void name_cn(const X509_NAME *n, char *out, size_t len)
{
	if (X509_NAME_get_text_by_NID((X509_NAME *)n, NID_commonName, out, (int)len) < 0)
		snprintf(out, len, "%s", _("(no CN)"));
}

/* The terminal columns of s (a Japanese character takes two). */
static int col_width(const char *s)
{
	wchar_t w[256];
	size_t n = mbstowcs(w, s, sizeof w / sizeof w[0] - 1);
	int cols = n != (size_t)-1 ? wcswidth(w, n) : -1;
	return cols < 0 ? (int)strlen(s) : cols;
}

/* s, then blanks up to `width` terminal columns: printf's width counts bytes, and a Japanese
 * character is three bytes but two columns. At least one blank follows. */
static void col_print(const char *s, int width)
{
	int cols = col_width(s);
	fputs(s, stdout);
	for (int i = cols; i < width; i++)
		fputc(' ', stdout);
	if (cols >= width)
		fputc(' ', stdout);
}

/* Does k match the object URI u (kinko's or p11tool's; kinko_p11_uri_matches)? */
static int cert_matches(const kinko_keyobj *k, const char *u)
{
	return strcmp(k->uri, u) == 0 || kinko_p11_uri_matches(k, u) == 1;
}

/* "Choose the certificate" of a logon: --cert, the only one, or a numbered list on the
 * terminal. */
static int cert_choose(kinko_bank *b, const bank_opts *o, kinko_keyobj *objs, size_t n,
                       const kinko_keyobj **k)
{
	size_t idx[64], m = 0;
	for (size_t i = 0; i < n && m < 64; i++)
		if (objs[i].x509 != NULL)
			idx[m++] = i;
	*k = NULL;
	for (size_t i = 0; i < m; i++) {
		const kinko_keyobj *c = &objs[idx[i]];
		if (o->cert != NULL && cert_matches(c, o->cert))
			*k = c;
	}
	if (*k != NULL)
		return KINKO_EXIT_OK;
	if (o->cert != NULL) {
		kinko_err(b->ctx, "certificate_not_found", NULL,
		          _("no certificate with its key matches %s (see kinko certs)"), o->cert);
		return KINKO_EXIT_TOKEN;
	}
	if (m == 0) {
		kinko_err(
			b->ctx, "no_certificate", NULL,
			_("no certificate on the token to log on with: enroll first (kinko enroll)"));
		return KINKO_EXIT_TOKEN;
	}
	if (m == 1) {
		*k = &objs[idx[0]];
		return KINKO_EXIT_OK;
	}
	FILE *tty = isatty(STDIN_FILENO) ? fopen("/dev/tty", "r+e") : NULL;
	if (tty == NULL) {
		kinko_err(
			b->ctx, "certificate_choice_needed", NULL,
			P_("%zu certificate on the token: choose one with --cert pkcs11:... (see kinko certs)",
		           "%zu certificates on the token: choose one with --cert pkcs11:... (see kinko certs)",
		           m),
			m);
		return KINKO_EXIT_USAGE;
	}
	fprintf(tty, "%s", _("Choose the certificate:\n"));
	for (size_t i = 0; i < m; i++) {
		const kinko_keyobj *c = &objs[idx[i]];
		char cn[128], issuer[128], until[32];
		name_cn(X509_get_subject_name(c->x509), cn, sizeof cn);
		name_cn(X509_get_issuer_name(c->x509), issuer, sizeof issuer);
		day_of(X509_get0_notAfter(c->x509), until, sizeof until);
		fprintf(tty, _("  %zu) %s, issued by %s, valid until %s\n"), i + 1, cn, issuer,
		        until);
	}
	fprintf(tty, "%s", _("number: "));
	fflush(tty);
	char line[32];
	unsigned long choice = 0;
	if (fgets(line, sizeof line, tty) != NULL)
		choice = strtoul(line, NULL, 10);
	fclose(tty);
	if (choice < 1 || choice > m) {
		kinko_err(b->ctx, "no_choice", NULL, _("no certificate chosen"));
		return KINKO_EXIT_USAGE;
	}
	*k = &objs[idx[choice - 1]];
	return KINKO_EXIT_OK;
}

/* Everything before a request: the bank, its CA, the session (when needed), the token, the
 * certificate, the token PIN, the TLS key. */
typedef struct {
	kinko_bank b;
	kinko_keyobj *objs;
	size_t n;
	const kinko_keyobj *k;
	char url[2048];
	char ca[4096];
	int p11_open;
} bank_run;

static int run_begin(kinko_ctx *ctx, const bank_opts *o, int need_session, bank_run *r)
{
	memset(r, 0, sizeof *r);
	r->b.ctx = ctx;
	int rc = KINKO_EXIT_OK;
	if (o->bank == NULL && !need_session) {
		kinko_err(ctx, "usage", NULL, _("which bank? give --bank https://host:port"));
		return KINKO_EXIT_USAGE;
	}
	char hp[256];
	if (o->bank != NULL && kinko_bank_host_port(o->bank, hp, sizeof hp) != 0) {
		kinko_err(ctx, "usage", NULL, _("%s is not a bank URL (https://host[:port])"),
		          o->bank);
		return KINKO_EXIT_USAGE;
	}
	r->p11_open = 1;
	if ((rc = kinko_ask_token(ctx)) != KINKO_EXIT_OK ||
	    (rc = kinko_p11_open(ctx)) != KINKO_EXIT_OK ||
	    (rc = kinko_p11_list(ctx, &r->objs, &r->n)) != KINKO_EXIT_OK)
		return rc;
	if (need_session) {
		/* The session of a certificate on this token (one per bank and certificate). */
		bank_session_ref s;
		rc = bank_session_choose(ctx, o->bank, o->cert, cert_matches, r->objs, r->n, &s,
		                         &r->k);
		if (rc != KINKO_EXIT_OK)
			return rc;
		snprintf(r->url, sizeof r->url, "%s", s.url);
		snprintf(r->b.session_path, sizeof r->b.session_path, "%s", s.path);
	} else {
		snprintf(r->url, sizeof r->url, "%s", o->bank);
		if ((rc = cert_choose(&r->b, o, r->objs, r->n, &r->k)) != KINKO_EXIT_OK)
			return rc;
	}
	r->b.url = r->url;
	if (bank_cert_sha(r->k->x509, r->b.cert_sha) != 0 ||
	    (!need_session && bank_session_path(r->url, r->b.cert_sha, r->b.session_path,
	                                        sizeof r->b.session_path) != 0) ||
	    kinko_bank_ca_path(r->url, r->ca, sizeof r->ca) != 0) {
		kinko_err(ctx, "usage", NULL, _("%s is not a bank URL (https://host[:port])"),
		          r->url);
		return KINKO_EXIT_USAGE;
	}
	bank_cert_name(r->k->x509, r->b.cert_name, sizeof r->b.cert_name);
	if (o->cacert != NULL)
		snprintf(r->ca, sizeof r->ca, "%s", o->cacert);
	if (access(r->ca, R_OK) != 0) {
		kinko_err(
			ctx, "cacert_missing", NULL,
			_("no CA certificate for %s: give --cacert FILE (kinko enroll keeps the bank's CA in %s)"),
			r->url, r->ca);
		return KINKO_EXIT_USAGE;
	}
	r->b.cacert = r->ca;
	if (need_session && bank_session_load(&r->b) != 0) {
		kinko_err(ctx, "not_logged_on", NULL,
		          _("not logged on to %s with %s: run kinko logon --bank %s"), r->url,
		          r->b.cert_name, r->url);
		return KINKO_EXIT_BANK;
	}
	if ((rc = kinko_p11_login(ctx)) != KINKO_EXIT_OK)
		return rc;
	return kinko_tls_open(ctx, r->k, &r->b.tls);
}

static void run_end(bank_run *r)
{
	kinko_tls_free(r->b.tls);
	kinko_keyobj_free(r->objs, r->n);
	if (r->p11_open)
		kinko_p11_close(r->b.ctx);
	OPENSSL_cleanse(r->b.session, sizeof r->b.session);
}

static void json_out(json_t *j)
{
	json_dumpf(j, stdout, JSON_COMPACT);
	fputc('\n', stdout);
}

static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s != NULL ? s : "-";
}

/* A certificate's state as the bank names it ("active", "superseded", …), in words; a state
 * kinko does not know stays the bank's. */
static const char *cert_state_words(const char *state)
{
	/* TRANSLATORS: a certificate's state on the status screen. */
	static const char *const known[][2] = {
		{"active", N_("active")},
		{"superseded", N_("superseded")},
		{"revoked", N_("revoked")},
		{"expired", N_("expired")},
	};
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (strcmp(state, known[i][0]) == 0)
			return _(known[i][1]);
	return state;
}

static void users_print(const json_t *users)
{
	size_t i;
	json_t *u;
	if (json_array_size(users) == 0) {
		printf("%s", _("  (no users registered)\n"));
		return;
	}
	/* One column per heading, padded by terminal columns (col_print). */
	fputs("  ", stdout);
	/* TRANSLATORS: column headings of the users table (user ID, issuance day, last day to
	 * enroll, locked, certificate). */
	col_print(_("user"), 17);
	col_print(_("issued"), 15);
	col_print(_("enroll by"), 15);
	col_print(_("locked"), 8);
	printf("%s\n", _("certificate"));
	json_array_foreach(users, i, u)
	{
		json_t *c = json_object_get(u, "certificate");
		char cert[160], issued[64], last[64], until[64];
		snprintf(cert, sizeof cert, "%s", _("none"));
		if (json_is_object(c)) {
			kinko_text_date(jstr(c, "not_after"), until, sizeof until);
			snprintf(cert, sizeof cert, _("%s, valid until %s"),
			         cert_state_words(jstr(c, "state")), until);
		}
		kinko_text_date(jstr(u, "issued"), issued, sizeof issued);
		kinko_text_date(jstr(u, "window_last_day"), last, sizeof last);
		fputs("  ", stdout);
		col_print(jstr(u, "user_id"), 17);
		col_print(issued, 15);
		col_print(last, 15);
		col_print(json_is_true(json_object_get(u, "locked")) ? _("yes") : _("no"), 8);
		printf("%s\n", cert);
	}
}

/* "  label  value": the labels translated (the manuals' terms, however long), the values in
 * one column after the widest. */
static void status_line(const char *label, const char *value, int width)
{
	fputs("  ", stdout);
	col_print(label, width);
	printf("%s\n", value);
}

/* The status screen. */
static void status_print(const kinko_ctx *ctx, const json_t *st)
{
	if (ctx->json) {
		json_out((json_t *)st);
		return;
	}
	const json_t *bank = json_object_get(st, "bank"), *who = json_object_get(st, "logged_on");
	const json_t *cert = json_object_get(st, "certificate");
	int admin = strcmp(jstr(who, "role"), "admin") == 0;
	char line[512];
	/* The manuals' screen names: the admin's ご契約先ステータス, a user's 利用者ステータス. */
	printf("%s\n", admin ? _("Contract status") : _("User status"));
	printf(_("%s (bank code %s): logged on\n"), jstr(bank, "name"), jstr(bank, "code"));
	/* TRANSLATORS: labels of the status screen. */
	const char *labels[] = {_("company"), _("contract ID"), _("logged on as"),
	                        _("certificate")};
	int width = 0;
	for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
		if (col_width(labels[i]) + 2 > width)
			width = col_width(labels[i]) + 2;
	status_line(labels[0], jstr(st, "company"), width);
	status_line(labels[1], jstr(st, "contract_id"), width);
	if (admin) {
		status_line(labels[2], _("admin"), width);
	} else {
		snprintf(line, sizeof line, _("user %s"), jstr(who, "user_id"));
		status_line(labels[2], line, width);
	}
	char from[64], until[64];
	kinko_text_date(jstr(cert, "not_before"), from, sizeof from);
	kinko_text_date(jstr(cert, "not_after"), until, sizeof until);
	snprintf(line, sizeof line, _("%s, %s, valid %s to %s"), jstr(cert, "subject"),
	         cert_state_words(jstr(cert, "state")), from, until);
	status_line(labels[3], line, width);
	if (admin) {
		printf("%s", _("Users:\n"));
		users_print(json_object_get(st, "users"));
	} else {
		printf("%s", _("Ready for transactions.\n"));
	}
}

int kinko_cmd_logon(kinko_ctx *ctx, int argc, char **argv)
{
	bank_opts o;
	int rc = opts_parse(ctx, argc, argv, &o);
	if (rc != KINKO_EXIT_OK || o.help)
		return rc != KINKO_EXIT_OK ? rc : bank_usage_logon();
	if (o.bank == NULL || o.npos != 0) {
		kinko_err(ctx, "usage", NULL,
		          _("usage: kinko logon --bank URL [--cert pkcs11:URI] [--cacert FILE]"));
		return KINKO_EXIT_USAGE;
	}
	bank_run r;
	json_t *st = NULL;
	rc = run_begin(ctx, &o, 0, &r);
	if (rc == KINKO_EXIT_OK)
		rc = bank_logon(&r.b, r.k, &st);
	if (rc == KINKO_EXIT_OK && bank_session_save(&r.b) != 0)
		kinko_err(
			ctx, "session_not_kept", NULL,
			_("logged on, but the session could not be kept in %s: later kinko commands must log "
		          "on again"),
			r.b.session_path);
	if (rc == KINKO_EXIT_OK)
		status_print(ctx, st);
	json_decref(st);
	run_end(&r);
	return rc;
}

/* A request inside the saved session; *reply is the answer of a 200. */
static int session_call(bank_run *r, const char *method, const char *path, json_t *body,
                        json_t **reply)
{
	long status;
	int rc = bank_call(&r->b, method, path, body, &status, reply);
	if (rc == KINKO_EXIT_OK && status != 200) {
		rc = bank_refused(&r->b, status, *reply);
		json_decref(*reply);
		*reply = NULL;
	}
	return rc;
}

/* status and logoff: one request in the saved session; done shows its answer. */
static int session_cmd(kinko_ctx *ctx, int argc, char **argv, const char *name, const char *method,
                       const char *path, void (*done)(kinko_ctx *ctx, bank_run *r, json_t *reply))
{
	bank_opts o;
	int rc = opts_parse(ctx, argc, argv, &o);
	if (rc != KINKO_EXIT_OK || o.help)
		return rc != KINKO_EXIT_OK ? rc : bank_usage_session(name);
	bank_run r;
	json_t *reply = NULL;
	rc = run_begin(ctx, &o, 1, &r);
	if (rc == KINKO_EXIT_OK)
		rc = session_call(&r, method, path, NULL, &reply);
	if (rc == KINKO_EXIT_OK)
		done(ctx, &r, reply);
	json_decref(reply);
	run_end(&r);
	return rc;
}

static void status_done(kinko_ctx *ctx, bank_run *r, json_t *st)
{
	(void)r;
	status_print(ctx, st);
}

int kinko_cmd_status(kinko_ctx *ctx, int argc, char **argv)
{
	return session_cmd(ctx, argc, argv, "status", "GET", "/api/status", status_done);
}

static void logoff_done(kinko_ctx *ctx, bank_run *r, json_t *reply)
{
	bank_session_forget(&r->b);
	if (ctx->json)
		json_out(reply);
	else
		printf(_("Logged off from %s (certificate %s).\n"), r->url, r->b.cert_name);
}

int kinko_cmd_logoff(kinko_ctx *ctx, int argc, char **argv)
{
	return session_cmd(ctx, argc, argv, "logoff", "POST", "/api/logoff", logoff_done);
}

/* Is user_id registered? 1 yes, 0 no, or a negated exit code. */
static int user_known(bank_run *r, const char *user_id)
{
	json_t *reply = NULL, *u;
	size_t i;
	int rc = session_call(r, "GET", "/api/admin/users", NULL, &reply), found = 0;
	if (rc != KINKO_EXIT_OK)
		return -rc;
	json_array_foreach(json_object_get(reply, "users"), i,
	                   u) if (strcmp(jstr(u, "user_id"), user_id) == 0) found = 1;
	json_decref(reply);
	return found;
}

static int admin_user_put(kinko_ctx *ctx, bank_run *r, int add, const char *id)
{
	int known = user_known(r, id);
	if (known < 0)
		return -known;
	if (known == add) {
		if (add)
			kinko_err(
				ctx, "user_exists", NULL,
				_("user %s is already registered: use kinko admin user change %s"),
				id, id);
		else
			kinko_err(ctx, "user_unknown", NULL,
			          _("no user %s in this contract: use kinko admin user add %s"), id,
			          id);
		return KINKO_EXIT_USAGE;
	}
	char pin[KINKO_SECRET_MAX], conf[KINKO_SECRET_MAX], p1[256], p2[256];
	snprintf(p1, sizeof p1, _("user PIN (ト) for user %s"), id);
	snprintf(p2, sizeof p2, _("user confirmation PIN (チ) for user %s"), id);
	int rc = kinko_ask_new_secret(ctx, "user_pin", p1, kinko_ask_bank_pin_ok, bank_pin_form(),
	                              pin, sizeof pin);
	if (rc == KINKO_EXIT_OK)
		rc = kinko_ask_new_secret(ctx, "user_confirmation_pin", p2, kinko_ask_bank_pin_ok,
		                          bank_pin_form(), conf, sizeof conf);
	json_t *body = rc == KINKO_EXIT_OK ? json_pack("{s:s,s:s,s:s}", "user_id", id, "user_pin",
	                                               pin, "user_confirmation_pin", conf) :
	                                     NULL;
	OPENSSL_cleanse(pin, sizeof pin);
	OPENSSL_cleanse(conf, sizeof conf);
	if (rc != KINKO_EXIT_OK)
		return rc;
	if (body == NULL)
		return KINKO_EXIT_FAIL;
	json_t *reply = NULL;
	rc = session_call(r, "POST", "/api/admin/users", body, &reply);
	json_decref(body);
	if (rc == KINKO_EXIT_OK && ctx->json)
		json_out(reply);
	else if (rc == KINKO_EXIT_OK)
		printf(add ? _("User %s registered. Next: kinko admin issue %s\n") :
		             _("User %s changed. Next: kinko admin issue %s\n"),
		       id, id);
	json_decref(reply);
	return rc;
}

static int admin_issue_revoke(kinko_ctx *ctx, bank_run *r, int issue, const char *id)
{
	char path[256];
	if (snprintf(path, sizeof path, "/api/admin/users/%s/%s", id, issue ? "issue" : "revoke") >=
	            (int)sizeof path ||
	    strpbrk(id, "/?#%") != NULL) {
		kinko_err(ctx, "user_id_invalid", NULL, _("%s is not a user ID"), id);
		return KINKO_EXIT_USAGE;
	}
	json_t *body = NULL, *reply = NULL;
	int rc = bank_pin_body(ctx, "contract_confirmation_pin",
	                       _("contract confirmation PIN (ロ)"), "confirmation_pin", &body);
	if (rc != KINKO_EXIT_OK)
		return rc;
	rc = session_call(r, "POST", path, body, &reply);
	json_decref(body);
	if (rc == KINKO_EXIT_OK && ctx->json) {
		json_out(reply);
	} else if (rc == KINKO_EXIT_OK && issue) {
		char from[64], until[64];
		kinko_text_date(jstr(reply, "issued"), from, sizeof from);
		kinko_text_date(jstr(reply, "window_last_day"), until, sizeof until);
		printf(_("Certificate issued to user %s: the user can enroll from %s until %s.\n"),
		       id, from, until);
	} else if (rc == KINKO_EXIT_OK) {
		size_t i;
		json_t *s;
		printf(_("Revoked the certificates of user %s:"), id);
		json_array_foreach(json_object_get(reply, "revoked"), i, s)
			printf(" %s", json_is_string(s) ? json_string_value(s) : "-");
		printf("\n");
	}
	json_decref(reply);
	return rc;
}

int kinko_cmd_admin(kinko_ctx *ctx, int argc, char **argv)
{
	bank_opts o;
	int rc = opts_parse(ctx, argc, argv, &o);
	if (rc != KINKO_EXIT_OK || o.help)
		return rc != KINKO_EXIT_OK ? rc : bank_usage_admin();
	const char *w0 = o.npos > 0 ? o.pos[0] : "", *w1 = o.npos > 1 ? o.pos[1] : NULL;
	int op = strcmp(w0, "users") == 0 && o.npos == 1                             ? 1 :
	         strcmp(w0, "user") == 0 && o.npos == 3 && strcmp(w1, "add") == 0    ? 2 :
	         strcmp(w0, "user") == 0 && o.npos == 3 && strcmp(w1, "change") == 0 ? 3 :
	         strcmp(w0, "issue") == 0 && o.npos == 2                             ? 4 :
	         strcmp(w0, "revoke") == 0 && o.npos == 2                            ? 5 :
	                                                                               0;
	if (op == 0) {
		kinko_err(
			ctx, "usage", NULL,
			_("usage: kinko admin users | user add|change ID | issue ID | revoke ID (see kinko "
		          "admin --help)"));
		return KINKO_EXIT_USAGE;
	}
	bank_run r;
	rc = run_begin(ctx, &o, 1, &r);
	json_t *reply = NULL;
	if (rc == KINKO_EXIT_OK && op == 1) {
		rc = session_call(&r, "GET", "/api/admin/users", NULL, &reply);
		if (rc == KINKO_EXIT_OK && ctx->json)
			json_out(reply);
		else if (rc == KINKO_EXIT_OK)
			users_print(json_object_get(reply, "users"));
	} else if (rc == KINKO_EXIT_OK && (op == 2 || op == 3)) {
		rc = admin_user_put(ctx, &r, op == 2, o.pos[2]);
	} else if (rc == KINKO_EXIT_OK) {
		rc = admin_issue_revoke(ctx, &r, op == 4, o.pos[1]);
	}
	json_decref(reply);
	run_end(&r);
	return rc;
}
