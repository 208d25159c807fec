/* kinko, the user's CLI: global options, subcommand dispatch, help, messages. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "i18n.h"
#include "kinko_p11.h"

#ifndef KINKO_DEFAULT_MODULE
#define KINKO_DEFAULT_MODULE "/usr/local/lib/pkcs11/libkinko-pkcs11.so"
#endif

typedef struct {
	const char *name;
	kinko_cmd_fn fn;
	const char *summary;
} main_cmd;

/* The summaries are translated where printed; the command words never are. */
static const main_cmd main_cmds[] = {
	{"token", kinko_cmd_token,
         N_("token list | token info: the tokens, PIN state, free key slots")},
	{"certs", kinko_cmd_certs,
         N_("the certificates on the token (\"choose the certificate\")")},
	{"pin", kinko_cmd_pin,
         N_("pin check | change [--puk] | unblock: the token PIN and the PUK")},
	{"key", kinko_cmd_key, N_("key delete URI: remove a key, its public key and certificate")},
	{"enroll", kinko_cmd_enroll,
         N_("obtain a certificate: key on the token, CSR, EST (S1, S4)")},
	{"renew", kinko_cmd_renew,
         N_("migration: a new key and certificate, then the old removed (S6)")},
	{"logon", kinko_cmd_logon, N_("log on to the bank with the token's certificate (S2, S5)")},
	{"status", kinko_cmd_status, N_("the bank session's status screen again (after logon)")},
	{"logoff", kinko_cmd_logoff, N_("end the bank session")},
	{"admin", kinko_cmd_admin,
         N_("users | user add|change | issue | revoke: contract management (S3)")},
	{"browser", kinko_cmd_browser,
         N_("browser setup | status: Firefox and Chromium log on with the token")},
};

#define MAIN_N_CMDS (sizeof(main_cmds) / sizeof(main_cmds[0]))

static void main_usage(FILE *f)
{
	size_t i;

	fputs(_("Usage: kinko [GLOBAL OPTIONS] SUBCOMMAND [ARGS]\n"
	        "\n"
	        "kinko: bank client certificates on a PIV USB token (or any PKCS#11 token): enroll a\n"
	        "certificate whose key is generated on the token and never leaves it, and log on to\n"
	        "the bank with it.\n"
	        "\n"
	        "Subcommands:\n"),
	      f);
	/* The English command word in a fixed column, its translated summary after it: no printf
	 * width on translated text (CJK characters are two columns wide). */
	for (i = 0; i < MAIN_N_CMDS; i++)
		fprintf(f, "  %-8s %s\n", main_cmds[i].name, _(main_cmds[i].summary));
	/* TRANSLATORS: keep the option names and the column of the option words; translate the
	 * descriptions. %s is the default module's path. */
	fprintf(f,
	        _("  help SUBCOMMAND   the subcommand's complete help (also: kinko SUBCOMMAND --help)\n"
	          "\n"
	          "Global options (anywhere on the line):\n"
	          "  --module PATH     PKCS#11 module (env KINKO_MODULE; default %s)\n"
	          "  --token URI       the token, as an RFC 7512 pkcs11: URI (see 'kinko token list');\n"
	          "                    needed only when several tokens are present\n"
	          "  --pin-file F      read the token PIN from the first line of file F\n"
	          "  --pin-fd N        read the token PIN from the first line of file descriptor N\n"
	          "  --secrets-file F  key=value lines for automation: token_pin, new_pin, puk, new_puk,\n"
	          "                    contract_id, contract_pin, contract_confirmation_pin,\n"
	          "                    user_pin, user_confirmation_pin, card_digits, card_file\n"
	          "  --json            one JSON object on stdout instead of text\n"
	          "  --verbose         add the PKCS#11 (CKR_...) or HTTP detail to messages\n"
	          "  --no-pin-change   do not ask for a new PIN when the token wants it changed\n"
	          "  --help, -h        this help;  --version  the version\n"
	          "\n"),
	        KINKO_DEFAULT_MODULE);
	fputs(_("Secrets (PINs, PUK, bank PINs) are never taken from the command line or the\n"
	        "environment: without --pin-file, --pin-fd or --secrets-file kinko asks for them on\n"
	        "the terminal without echo.\n"
	        "\n"),
	      f);
	fputs(_("Exit status:\n"
	        "  0  success\n"
	        "  1  general failure\n"
	        "  2  usage error (unknown option, several tokens without --token, no way to ask a PIN)\n"
	        "  3  token problem: absent or removed, PIN wrong or locked, token full\n"
	        "  4  the bank refused (wrong bank PIN, not allowed: HTTP 401/403), or its answer was\n"
	        "     too long\n"
	        "  5  the bank could not be reached (network, TLS)\n"
	        "  6  verification failed: the certificate does not match the key, the CA or the CN\n"
	        "  128+N  stopped by signal N (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP); an enrollment or\n"
	        "     renewal stopped before the bank issued the certificate removes its new key\n"
	        "\n"
	        "See kinko(1).\n"),
	      f);
}

static const main_cmd *main_find(const char *name)
{
	size_t i;

	for (i = 0; i < MAIN_N_CMDS; i++)
		if (strcmp(main_cmds[i].name, name) == 0)
			return &main_cmds[i];
	return NULL;
}

/* A global option with a value: "--opt V" or "--opt=V". 1 taken, 0 not this option, -1 error. */
static int main_value(const char *opt, char **argv, int argc, int *i, const char **val)
{
	size_t n = strlen(opt);

	if (strncmp(argv[*i], opt, n) != 0)
		return 0;
	if (argv[*i][n] == '=') {
		*val = argv[*i] + n + 1;
		return 1;
	}
	if (argv[*i][n] != '\0')
		return 0;
	if (*i + 1 >= argc) {
		kinko_err(NULL, "usage", NULL, _("%s needs a value"), opt);
		return -1;
	}
	*val = argv[++*i];
	return 1;
}

static bool main_flag(kinko_ctx *ctx, const char *arg)
{
	if (strcmp(arg, "--json") == 0)
		ctx->json = true;
	else if (strcmp(arg, "--verbose") == 0 || strcmp(arg, "-v") == 0)
		ctx->verbose = true;
	else if (strcmp(arg, "--no-pin-change") == 0)
		ctx->no_pin_change = true;
	else
		return false;
	return true;
}

static bool main_fd(const char *s, int *fd)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || v < 0 || v > INT_MAX)
		return false;
	*fd = (int)v;
	return true;
}

/* Options other tools take secrets with: refused before anything runs, naming only the option
 * (the value is a secret and is never repeated). */
static bool main_secret_option(const kinko_ctx *ctx, char **argv, int argc, int i)
{
	const char *arg = argv[i];
	static const char *const opts[] = {"--pin",      "--puk",          "--password",
	                                   "--passwd",   "--so-pin",       "--new-pin",
	                                   "--user-pin", "--contract-pin", "--secret"};
	size_t k, n;

	for (k = 0; k < sizeof(opts) / sizeof(opts[0]); k++) {
		n = strlen(opts[k]);
		if (strncmp(arg, opts[k], n) != 0 || (arg[n] != '\0' && arg[n] != '='))
			continue;
		/* "pin change --puk" is a flag (change the PUK); "--puk 12345678" is a secret. */
		if (strcmp(arg, "--puk") == 0 &&
		    (i + 1 >= argc || argv[i + 1][0] == '-' || main_find(argv[i + 1]) ||
		     strcmp(argv[i + 1], "change") == 0))
			return false;
		kinko_err(
			ctx, "secret_on_command_line", NULL,
			_("%s: PINs and passwords are never "
		          "taken on the command line (the process list and the shell history would show "
		          "them). kinko asks for them on the terminal without echo; for scripts, give the "
		          "token PIN with --pin-file F or --pin-fd N, or any secret with --secrets-file F "
		          "(lines key=value: token_pin=, puk=, new_pin=, contract_pin=, ...; the file "
		          "readable by you only). See 'kinko --help'"),
			opts[k]);
		return true;
	}
	return false;
}

/* Take the global options out of argv (kept in order in rest); 0 or an exit code. */
static int main_globals(kinko_ctx *ctx, int argc, char **argv, char **rest, int *nrest)
{
	const char *v = NULL, *fd = NULL;
	int i, r;

	*nrest = 0;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			while (i < argc)
				rest[(*nrest)++] = argv[i++];
			break;
		}
		if (main_flag(ctx, argv[i]))
			continue;
		if (main_secret_option(ctx, argv, argc, i))
			return KINKO_EXIT_USAGE;
		if ((r = main_value("--module", argv, argc, &i, &v)) != 0) {
			ctx->module = v;
		} else if ((r = main_value("--token", argv, argc, &i, &v)) != 0) {
			ctx->token_uri = v;
		} else if ((r = main_value("--pin-file", argv, argc, &i, &v)) != 0) {
			ctx->pin_file = v;
		} else if ((r = main_value("--pin-fd", argv, argc, &i, &fd)) != 0) {
			if (r > 0 && !main_fd(fd, &ctx->pin_fd)) {
				kinko_err(ctx, "usage", NULL,
				          _("--pin-fd needs a file descriptor number"));
				return KINKO_EXIT_USAGE;
			}
		} else if ((r = main_value("--secrets-file", argv, argc, &i, &v)) != 0) {
			ctx->secrets_file = v;
		} else {
			rest[(*nrest)++] = argv[i];
			continue;
		}
		if (r < 0)
			return KINKO_EXIT_USAGE;
	}
	rest[*nrest] = NULL;
	return KINKO_EXIT_OK;
}

static int main_help(kinko_ctx *ctx, int n, char **rest)
{
	const main_cmd *c;
	char *args[3];

	if (n < 2) {
		main_usage(stdout);
		return KINKO_EXIT_OK;
	}
	c = main_find(rest[1]);
	if (!c) {
		kinko_err(ctx, "usage", NULL, _("no subcommand '%s'; see 'kinko --help'"), rest[1]);
		return KINKO_EXIT_USAGE;
	}
	args[0] = rest[1];
	args[1] = (char *)"--help";
	args[2] = NULL;
	return c->fn(ctx, 2, args);
}

/* --json anywhere before "--", known before any option is parsed, so that even an error in
 * the options is answered in JSON. */
static bool main_wants_json(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--json") == 0)
			return true;
	return false;
}

static int main_run(kinko_ctx *ctx, int n, char **rest)
{
	const main_cmd *c;

	if (ctx->pin_file && ctx->pin_fd >= 0) {
		kinko_err(ctx, "usage", NULL, _("--pin-file and --pin-fd: give one of them"));
		return KINKO_EXIT_USAGE;
	}
	if (n == 0 || strcmp(rest[0], "--help") == 0 || strcmp(rest[0], "-h") == 0) {
		main_usage(n == 0 ? stderr : stdout);
		if (n == 0)
			kinko_err(ctx, "usage", NULL, _("no subcommand given; see 'kinko --help'"));
		return n == 0 ? KINKO_EXIT_USAGE : KINKO_EXIT_OK;
	}
	if (strcmp(rest[0], "--version") == 0) {
		printf("kinko %s\n", PACKAGE_VERSION);
		return KINKO_EXIT_OK;
	}
	if (strcmp(rest[0], "help") == 0)
		return main_help(ctx, n, rest);
	if ((c = main_find(rest[0])) != NULL)
		return c->fn(ctx, n, rest);
	if (rest[0][0] == '-')
		kinko_err(ctx, "usage", NULL, _("unknown option '%s'; see 'kinko --help'"),
		          rest[0]);
	else
		kinko_err(ctx, "usage", NULL, _("no subcommand '%s'; see 'kinko --help'"), rest[0]);
	return KINKO_EXIT_USAGE;
}

/* kinko holds the token PIN and the bank's secrets in memory: no core file may write them to
 * disk, and non-dumpable keeps other processes of the user out of /proc/PID/mem and ptrace. */
static int kinko_core_dumps_disable(void)
{
	const struct rlimit none = {0, 0};

	if (setrlimit(RLIMIT_CORE, &none) != 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
		fprintf(stderr,
		        _("kinko: cannot disable core dumps (%s); stopping before any secret "
		          "is read\n"),
		        strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	kinko_ctx ctx;
	char **rest;
	const char *env;
	int n = 0, r;

	i18n_init(KINKO_TEXTDOMAIN);
	if (kinko_core_dumps_disable() != 0)
		return KINKO_EXIT_FAIL;
	memset(&ctx, 0, sizeof(ctx));
	ctx.pin_fd = -1;
	ctx.json = main_wants_json(argc, argv);
	env = getenv("KINKO_MODULE");
	ctx.module = env && env[0] ? env : KINKO_DEFAULT_MODULE;
	rest = calloc((size_t)argc + 1, sizeof(*rest));
	if (!rest)
		return KINKO_EXIT_FAIL;
	r = main_globals(&ctx, argc, argv, rest, &n);
	if (r == KINKO_EXIT_OK)
		r = main_run(&ctx, n, rest);
	kinko_p11_close(&ctx);
	kinko_secrets_wipe();
	kinko_err_finish(&ctx, r);
	fflush(stdout);
	free(rest);
	return r;
}
