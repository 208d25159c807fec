/* kinko enroll (S1 admin, S4 user) and kinko renew (S6): a key generated on the token, a
 * request signed there, EST at the bank, the certificate checked and written next to its key.
 * The token ends as it began whenever a step after the key generation fails. */
#include "kinko_enroll.h"
#include "i18n.h"
#include "kinko_signal.h"
#include "kinko_ask.h"
#include "kinko_bank.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/x509_vfy.h>

#define ENROLL_MAX_WAIT_DEFAULT 300L
#define ENROLL_ID_MAX 64

/* The help, one message per paragraph and per option, so each is translated whole; the
 * options' keyword column stays as in English. */
static const char enroll_usage[] = N_(
	"usage: kinko enroll --bank URL (--admin | --user ID) [--contract-id A] [--key p256|rsa2048]\n"
	"                    [--cacert FILE] [--max-wait SECONDS]\n");
static const char *const enroll_help[] = {
	"\n",
	N_("Obtain a certificate (the manuals' S1 for the admin, S4 for a user): the key pair is\n"
           "generated on the token (sensitive, never extractable), the PKCS#10 request is signed on\n"
           "the token and sent to the bank by EST (/.well-known/est/simpleenroll), and the issued\n"
           "certificate is checked and written to the token next to its key (same CKA_ID, label\n"
           "\"kinko <CN>\"). On any failure after the key generation the new key is removed again:\n"
           "the token ends as it began.\n"),
	"\n",
	N_("  --bank URL          the bank, https://host[:port]/\n"),
	N_("  --admin             the admin's certificate: asks A, the contract PIN (イ) and the contract\n"
           "                      confirmation PIN (ロ)\n"),
	N_("  --user ID           user ID (ニ)'s certificate: asks A, the user PIN (ト) and the user\n"
           "                      confirmation PIN (チ); the admin must have issued one to the user\n"),
	N_("  --contract-id A     the contract ID (A); asked when not given\n"),
	N_("  --key TYPE          p256 (default) or rsa2048\n"),
	N_("  --cacert FILE       the bank's CA certificate (PEM) as the bank handed it out: the bank's\n"
           "                      TLS server and the issued certificate are verified against it. Kept\n"
           "                      after a successful enrollment in $KINKO_STATE_DIR/banks/HOST_PORT.pem\n"
           "                      (default ~/.config/kinko/banks/), so later runs need no --cacert.\n"
           "                      Never fetched from the bank itself: required on first use.\n"),
	N_("  --max-wait SECONDS  while the bank answers \"pending\" (202), ask again after its\n"
           "                      Retry-After, for at most this long in all (default 300)\n"),
	"\n",
	N_("Secrets: --secrets-file keys contract_pin and contract_confirmation_pin (admin), user_pin\n"
           "and user_confirmation_pin (user), token_pin; otherwise asked without echo on the terminal.\n"),
	"\n",
	N_("Checks of the certificate: its public key is the token key, it chains to the bank's CA for\n"
           "client authentication, and its CN is the contract ID followed by the 4-digit bank code (the\n"
           "manuals' check; printed). Exit status: 0 ok, 2 usage, 3 token (PIN, full, removed), 4 the\n"
           "bank refused (its reason is shown) or its answer is too long, 5 the bank could not be\n"
           "reached, 6 a check failed, 128 + N interrupted by signal N (SIGINT, SIGTERM, SIGHUP) after\n"
           "the new key was removed.\n"),
	NULL,
};
static const char renew_usage[] = N_(
	"usage: kinko renew --bank URL [--cert pkcs11:URI] [--key p256|rsa2048] [--cacert FILE]\n"
	"                   [--max-wait SECONDS]\n");
static const char *const renew_help[] = {
	"\n",
	N_("Migration (the manuals' 移行, S6): a new key pair on the token, EST simplereenroll over\n"
           "TLS client authentication with the current certificate and key, the new certificate\n"
           "checked (token key, bank CA, same CN) and written, then a logon with the new certificate\n"
           "(the bank PIN and, for the admin, the customer-card digits, as for kinko logon); only then\n"
           "are the old key and certificate removed. A failure before the new certificate is on the\n"
           "token removes the new key and keeps the old one. If the new certificate is on the token\n"
           "but the logon with it fails, both stay (the bank would not renew the old one again): log\n"
           "on with the new one (kinko logon --cert), after which the bank revokes the old one.\n"),
	"\n",
	N_("  --bank URL          the bank, https://host[:port]/\n"),
	N_("  --cert URI          the certificate to renew (pkcs11: URI, see kinko certs); needed when\n"
           "                      the token holds several\n"),
	N_("  --key TYPE          p256 or rsa2048 (default: the current key's type)\n"),
	N_("  --cacert FILE       the bank's CA (default: the one kept at enrollment)\n"),
	N_("  --max-wait SECONDS  as for enroll (default 300)\n"),
	"\n",
	N_("Exit status as for kinko enroll.\n"),
	NULL,
};

static int enroll_parse_key(const char *s, kinko_key_type *out)
{
	if (strcmp(s, "rsa2048") == 0)
		*out = KINKO_KEY_RSA2048;
	else if (strcmp(s, "p256") == 0)
		*out = KINKO_KEY_P256;
	else
		return -1;
	return 0;
}

static int enroll_parse_wait(const char *s, long *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < 0 || v > 86400)
		return -1;
	*out = v;
	return 0;
}

int kinko_enroll_parse(kinko_ctx *ctx, int argc, char **argv, bool renew, kinko_enroll_opts *o,
                       bool *help)
{
	static const struct option longopts[] = {
		{"bank", required_argument, NULL, 'b'},
		{"admin", no_argument, NULL, 'a'},
		{"user", required_argument, NULL, 'u'},
		{"contract-id", required_argument, NULL, 'c'},
		{"key", required_argument, NULL, 'k'},
		{"cacert", required_argument, NULL, 'C'},
		{"max-wait", required_argument, NULL, 'w'},
		{"cert", required_argument, NULL, 'x'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *usage = renew ? renew_usage : enroll_usage;
	memset(o, 0, sizeof *o);
	o->max_wait = ENROLL_MAX_WAIT_DEFAULT;
	*help = false;
	optind = 0; /* glibc: start again for this subcommand's argv */
	opterr = 0;
	int c, li = -1;
	while ((c = getopt_long(argc, argv, "+", longopts, &li)) != -1) {
		bool bad = false,
		     foreign = false; /* a wrong value; an option of the other command */
		switch (c) {
		case 'b': o->bank = optarg; break;
		case 'a':
			o->admin = true;
			foreign = renew;
			break;
		case 'u':
			o->user_id = optarg;
			foreign = renew;
			break;
		case 'c':
			o->contract_id = optarg;
			foreign = renew;
			break;
		case 'k': bad = enroll_parse_key(optarg, &o->key) != 0; break;
		case 'C': o->cacert_opt = optarg; break;
		case 'w': bad = enroll_parse_wait(optarg, &o->max_wait) != 0; break;
		case 'x':
			o->cert_uri = optarg;
			foreign = !renew;
			break;
		case 'h':
			*help = true;
			fputs(_(usage), stdout);
			for (const char *const *p = renew ? renew_help : enroll_help; *p != NULL;
			     p++)
				fputs((*p)[0] == '\n' ? *p : _(*p), stdout);
			return KINKO_EXIT_OK;
		default: bad = true; break; /* '?' */
		}
		if (foreign)
			kinko_err(ctx, "usage", NULL, _("--%s is not an option of kinko %s"),
			          longopts[li].name, argv[0]);
		else if (c == '?')
			kinko_err(ctx, "usage", NULL, _("%s: unknown option or missing value"),
			          argv[optind - 1]);
		else if (bad)
			kinko_err(ctx, "usage", NULL, _("--%s %s: invalid value"),
			          longopts[li].name, optarg);
		if (foreign || bad) {
			fputs(_(usage), stderr);
			return KINKO_EXIT_USAGE;
		}
	}
	const char *why = NULL;
	if (optind != argc) {
		kinko_err(ctx, "usage", NULL, _("unexpected argument '%s'"), argv[optind]);
		fputs(_(usage), stderr);
		return KINKO_EXIT_USAGE;
	}
	if (o->bank == NULL)
		why = _("--bank URL is required");
	else if (!renew && o->admin == (o->user_id != NULL))
		why = _("give either --admin or --user ID");
	else if (o->user_id != NULL &&
	         (o->user_id[0] == '\0' || strlen(o->user_id) >= ENROLL_ID_MAX ||
	          strpbrk(o->user_id, ":/") != NULL))
		why = _("the user ID (ニ) must be 1-63 characters without ':' or '/'");
	if (why != NULL) {
		kinko_err(ctx, "usage", NULL, "%s", why);
		fputs(_(usage), stderr);
		return KINKO_EXIT_USAGE;
	}
	return KINKO_EXIT_OK;
}

/* Does file hold at least one PEM certificate OpenSSL can use as a trust anchor? */
static bool enroll_ca_usable(const char *file)
{
	X509_STORE *store = X509_STORE_new();
	bool ok = store != NULL && X509_STORE_load_file(store, file) == 1;
	X509_STORE_free(store);
	return ok;
}

/* The bank's CA: --cacert, else the one pinned at an earlier enrollment. Never fetched
 * unauthenticated: trusting whatever answers at the URL would defeat the TLS check. */
int kinko_enroll_find_ca(kinko_ctx *ctx, kinko_enroll_opts *o)
{
	char pinned[4096];
	if (kinko_bank_host_port(o->bank, pinned, sizeof pinned) != 0) {
		kinko_err(ctx, "usage", NULL,
		          _("%s is not a bank URL of the form https://host[:port]/"), o->bank);
		return KINKO_EXIT_USAGE;
	}
	if (o->cacert_opt != NULL) {
		if (access(o->cacert_opt, R_OK) != 0) {
			kinko_err(ctx, "cacert_unreadable", NULL,
			          _("cannot read the bank's CA certificate %s: %s"), o->cacert_opt,
			          strerror(errno));
			return KINKO_EXIT_USAGE;
		}
		snprintf(o->cacert, sizeof o->cacert, "%s", o->cacert_opt);
	} else if (kinko_bank_ca_path(o->bank, pinned, sizeof pinned) == 0 &&
	           access(pinned, R_OK) == 0) {
		snprintf(o->cacert, sizeof o->cacert, "%s", pinned);
	} else {
		kinko_err(
			ctx, "cacert_missing", NULL,
			_("no CA known for %s: give --cacert FILE, the bank's CA certificate as the bank "
		          "handed it to you (it is kept for later runs)"),
			o->bank);
		return KINKO_EXIT_USAGE;
	}
	if (!enroll_ca_usable(o->cacert)) {
		kinko_err(ctx, "cacert_unreadable", NULL,
		          _("%s holds no CA certificate (PEM expected)"), o->cacert);
		return KINKO_EXIT_USAGE;
	}
	return KINKO_EXIT_OK;
}

/* The bank credentials of the manual: A, イ, ロ (admin) or A, ニ, ト, チ (user). */
typedef struct {
	char contract_id[ENROLL_ID_MAX];
	char user[2 * ENROLL_ID_MAX];        /* Basic user: "A" or "A/ニ" */
	char pin[KINKO_SECRET_MAX];          /* イ or ト */
	char confirmation[KINKO_SECRET_MAX]; /* ロ or チ */
} enroll_creds;

static bool enroll_contract_id_ok(const char *s)
{
	size_t n = strlen(s);
	return n > 0 && n < ENROLL_ID_MAX - 1 && strpbrk(s, ":/") == NULL;
}

#define ENROLL_PIN_FORM _("a bank PIN has 4 to 64 letters, digits or symbols")

static int enroll_read_creds(kinko_ctx *ctx, const kinko_enroll_opts *o, enroll_creds *cr)
{
	int rc;
	if (o->contract_id != NULL && !enroll_contract_id_ok(o->contract_id)) {
		kinko_err(ctx, "usage", NULL,
		          _("the contract ID (A) must be 1-62 characters without ':' or '/'"));
		return KINKO_EXIT_USAGE;
	}
	if (o->contract_id != NULL) {
		snprintf(cr->contract_id, sizeof cr->contract_id, "%s", o->contract_id);
	} else {
		rc = kinko_ask_secret(ctx, "contract_id", _("Contract ID (A)"),
		                      enroll_contract_id_ok,
		                      _("a contract ID has 1-62 characters without ':' or '/'"),
		                      cr->contract_id, sizeof cr->contract_id);
		if (rc != KINKO_EXIT_OK)
			return rc;
	}
	if (o->admin) {
		snprintf(cr->user, sizeof cr->user, "%s", cr->contract_id);
		rc = kinko_ask_secret(ctx, "contract_pin", _("Contract PIN (イ)"),
		                      kinko_ask_bank_pin_ok, ENROLL_PIN_FORM, cr->pin,
		                      sizeof cr->pin);
		if (rc == KINKO_EXIT_OK)
			rc = kinko_ask_secret(ctx, "contract_confirmation_pin",
			                      _("Contract confirmation PIN (ロ)"),
			                      kinko_ask_bank_pin_ok, ENROLL_PIN_FORM,
			                      cr->confirmation, sizeof cr->confirmation);
	} else {
		snprintf(cr->user, sizeof cr->user, "%s/%s", cr->contract_id, o->user_id);
		rc = kinko_ask_secret(ctx, "user_pin", _("User PIN (ト)"), kinko_ask_bank_pin_ok,
		                      ENROLL_PIN_FORM, cr->pin, sizeof cr->pin);
		if (rc == KINKO_EXIT_OK)
			rc = kinko_ask_secret(ctx, "user_confirmation_pin",
			                      _("User confirmation PIN (チ)"),
			                      kinko_ask_bank_pin_ok, ENROLL_PIN_FORM,
			                      cr->confirmation, sizeof cr->confirmation);
	}
	return rc;
}

/* mkdir -p for the directories above path, private to the user. */
static int enroll_mkdirs(char *path)
{
	for (char *p = strchr(path + 1, '/'); p != NULL; p = strchr(p + 1, '/')) {
		*p = '\0';
		int r = mkdir(path, 0700);
		*p = '/';
		if (r != 0 && errno != EEXIST)
			return -1;
	}
	return 0;
}

static int enroll_copy_file(const char *from, const char *to)
{
	char tmp[4200], buf[8192];
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", to) >= sizeof tmp)
		return -1;
	FILE *in = fopen(from, "rb");
	if (in == NULL)
		return -1;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	FILE *out = fd >= 0 ? fdopen(fd, "wb") : NULL;
	if (out == NULL && fd >= 0)
		close(fd);
	int ok = out != NULL;
	size_t n;
	while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0)
		ok = fwrite(buf, 1, n, out) == n;
	ok = ok && !ferror(in);
	fclose(in);
	if (out != NULL) {
		/* fclose in every case: it must not be skipped by a failed flush. */
		bool flushed = fflush(out) == 0 && fsync(fileno(out)) == 0;
		bool closed = fclose(out) == 0;
		ok = ok && flushed && closed;
	}
	if (ok && rename(tmp, to) == 0)
		return 0;
	unlink(tmp);
	return -1;
}

void kinko_enroll_pin_ca(kinko_ctx *ctx, const kinko_enroll_opts *o)
{
	char path[4096];
	if (o->cacert_opt == NULL || kinko_bank_ca_path(o->bank, path, sizeof path) != 0)
		return;
	char *real_from = realpath(o->cacert_opt, NULL), *real_to = realpath(path, NULL);
	bool same = real_from != NULL && real_to != NULL && strcmp(real_from, real_to) == 0;
	free(real_from);
	free(real_to);
	if (same)
		return;
	if (enroll_mkdirs(path) != 0 || enroll_copy_file(o->cacert_opt, path) != 0)
		kinko_err(
			ctx, "cacert_not_kept", strerror(errno),
			_("warning: cannot keep the bank's CA in %s; give --cacert again next time"),
			path);
	else if (ctx->verbose)
		kinko_progress(ctx, _("the bank's CA is kept in %s for later runs"), path);
}

static void enroll_hex(const unsigned char *b, size_t n, char *out, size_t cap)
{
	size_t j = 0;
	for (size_t i = 0; i < n && j + 3 <= cap; i++)
		j += (size_t)snprintf(out + j, cap - j, "%02x", b[i]);
	out[j] = '\0';
}

void kinko_enroll_summary(kinko_ctx *ctx, const char *what, const kinko_keyobj *k, const char *cn,
                          const char *contract_id)
{
	char id[2 * sizeof k->id + 1], until[32] = "", day[64] = "?";
	struct tm tm;
	enroll_hex(k->id, k->id_len, id, sizeof id);
	if (k->x509 != NULL && ASN1_TIME_to_tm(X509_get0_notAfter(k->x509), &tm) == 1) {
		strftime(until, sizeof until, "%Y-%m-%dT%H:%M:%SZ", &tm); /* --json: ISO 8601 */
		if (i18n_date_format(&tm, day, sizeof day) == 0)
			snprintf(day, sizeof day, "%s", until);
	}
	const char *key = k->type == KINKO_KEY_RSA2048 ? "rsa2048" : "p256";
	size_t idn = strlen(contract_id);
	const char *code = strlen(cn) > idn ? cn + idn : "";
	if (ctx->json) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "command", what,
		                      "cn", cn, "contract_id", contract_id, "bank_code", code,
		                      "key", key, "id", id, "not_after", until, "uri", k->uri);
		if (o != NULL) {
			json_dumpf(o, stdout, JSON_COMPACT);
			fputc('\n', stdout);
			json_decref(o);
		}
		return;
	}
	/* TRANSLATORS: the enrollment's result; each line keeps its label column (12 columns; a
	 * Japanese character takes two). */
	printf("%s", strcmp(what, "renew") == 0 ? _("certificate renewed on the token\n") :
	                                          _("certificate obtained on the token\n"));
	printf(_("  CN          %s  (contract ID %s + bank code %s: check it as the manual says)\n"),
	       cn, contract_id, code);
	printf(_("  key         %s, generated on the token, not extractable\n"),
	       k->type == KINKO_KEY_RSA2048 ? "RSA-2048" : "P-256");
	printf(_("  label       %s\n"), k->label);
	printf(_("  CKA_ID      %s\n"), id);
	printf(_("  valid until %s\n"), day);
	printf(_("  URI         %s\n"), k->uri);
}

int kinko_cmd_enroll(kinko_ctx *ctx, int argc, char **argv)
{
	kinko_enroll_opts o;
	bool help;
	int rc = kinko_enroll_parse(ctx, argc, argv, false, &o, &help);
	if (rc != KINKO_EXIT_OK || help)
		return rc;
	rc = kinko_enroll_find_ca(ctx, &o);
	if (rc != KINKO_EXIT_OK)
		return rc;
	/* Cheapest first: the bank there and its TLS certificate right, then the token chosen and
	 * unlocked, and only then the bank secrets and the key generation. */
	rc = kinko_est_reach(ctx, o.bank, o.cacert);
	if (rc != KINKO_EXIT_OK)
		return rc;
	enroll_creds cr;
	memset(&cr, 0, sizeof cr);
	rc = kinko_ask_token(ctx);
	if (rc == KINKO_EXIT_OK)
		rc = kinko_p11_login(ctx); /* opens the token first */
	if (rc == KINKO_EXIT_OK)
		rc = enroll_read_creds(ctx, &o, &cr);
	if (rc == KINKO_EXIT_OK) {
		char key_label[160], cn[ENROLL_ID_MAX + 16];
		kinko_keyobj k;
		kinko_est_req est = {o.bank, o.cacert,        o.max_wait, cr.user,
		                     cr.pin, cr.confirmation, NULL};
		snprintf(key_label, sizeof key_label, "kinko %s%s%s", cr.contract_id,
		         o.admin ? "" : "/", o.admin ? "" : o.user_id);
		kinko_enroll_job job = {o.key ? o.key : KINKO_KEY_P256,
		                        key_label,
		                        cr.contract_id,
		                        &est,
		                        cr.contract_id,
		                        NULL};
		rc = kinko_enroll_issue(ctx, &job, &k, cn, sizeof cn);
		if (rc == KINKO_EXIT_OK) {
			kinko_enroll_pin_ca(ctx, &o);
			kinko_enroll_summary(ctx, "enroll", &k, cn, cr.contract_id);
			X509_free(k.x509);
		}
	}
	OPENSSL_cleanse(&cr, sizeof cr);
	kinko_p11_close(ctx);
	return kinko_signal_exit_code(rc);
}
