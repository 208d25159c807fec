/* kinko-token-emu's command line (emu_cli.h): the options, the help, usage errors. */
#include "emu_cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu_vpcd.h"
#include "i18n.h"
#include "token_state.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

enum {
	OPT_STATE = 256,
	OPT_SOCKET,
	OPT_CONTROL,
	OPT_ABSENT,
	OPT_INIT,
	OPT_FORCE,
	/* The provisioning options, in one run: OPT_PIN_FILE to OPT_PIN_PROTECTED_MGMT. */
	OPT_PIN_FILE,
	OPT_PUK_FILE,
	OPT_MGMT_KEY_FILE,
	OPT_MGMT_ALG,
	OPT_PIN_TRIES,
	OPT_PUK_TRIES,
	OPT_SERIAL,
	OPT_PROFILE,
	OPT_ATTEST_CA_CERT,
	OPT_ATTEST_CA_KEY,
	OPT_PIN_MUST_CHANGE,
	OPT_PIN_PROTECTED_MGMT,
	OPT_HELP,
	OPT_VERSION,
	OPT_LOCK_TIMEOUT,
	OPT_VPCD,
	OPT_MAKE_ATTEST_CA,
};

static const struct option emu_cli_options[] = {
	{"state", required_argument, NULL, OPT_STATE},
	{"socket", required_argument, NULL, OPT_SOCKET},
	{"vpcd", required_argument, NULL, OPT_VPCD},
	{"control", required_argument, NULL, OPT_CONTROL},
	{"absent", no_argument, NULL, OPT_ABSENT},
	{"lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT},
	{"init", no_argument, NULL, OPT_INIT},
	{"force", no_argument, NULL, OPT_FORCE},
	{"pin-file", required_argument, NULL, OPT_PIN_FILE},
	{"puk-file", required_argument, NULL, OPT_PUK_FILE},
	{"mgmt-key-file", required_argument, NULL, OPT_MGMT_KEY_FILE},
	{"mgmt-alg", required_argument, NULL, OPT_MGMT_ALG},
	{"pin-tries", required_argument, NULL, OPT_PIN_TRIES},
	{"puk-tries", required_argument, NULL, OPT_PUK_TRIES},
	{"serial", required_argument, NULL, OPT_SERIAL},
	{"profile", required_argument, NULL, OPT_PROFILE},
	{"attestation-ca-cert", required_argument, NULL, OPT_ATTEST_CA_CERT},
	{"attestation-ca-key", required_argument, NULL, OPT_ATTEST_CA_KEY},
	{"make-attestation-ca", required_argument, NULL, OPT_MAKE_ATTEST_CA},
	{"pin-must-change", no_argument, NULL, OPT_PIN_MUST_CHANGE},
	{"pin-protected-mgmt", no_argument, NULL, OPT_PIN_PROTECTED_MGMT},
	{"help", no_argument, NULL, OPT_HELP},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0},
};

/* The help: an option in a fixed column (ASCII), its description after it, translated entry
 * by entry (CJK text is two columns wide, so printf widths never pad translated text). */
struct emu_cli_help_entry {
	const char *option;
	const char *text; /* N_(): translated when printed */
};

static const struct emu_cli_help_entry emu_cli_help_provisioning[] = {
	/* TRANSLATORS: the token's PIN. Continuation lines start with 23 spaces. */
	{"--pin-file F", N_("PIN, first line of F (6-8 characters); default 123456\n")},
	{"--puk-file F", N_("PUK, first line of F (6-8 characters); default 12345678\n")},
	{"--mgmt-key-file F",
         N_("management key, first line of F, in hex\n"
            "                       default 010203040506070801020304050607080102030405060708\n")},
	{"--mgmt-alg ALG", N_("3des (default), aes128, aes192, aes256; aes128 and aes256\n"
                              "                       need --mgmt-key-file\n")},
	{"--pin-tries N", N_("PIN retries, 1-15 (default 3)\n")},
	{"--puk-tries N", N_("PUK retries, 1-15 (default 3)\n")},
	{"--serial N", N_("serial number, 1-4294967295 (default random)\n")},
	{"--profile NAME", N_("the kind of token: kinko (default), yubikey (a YubiKey 5:\n"
                              "                       no INVENTORY) or piv (SP 800-73-4 only)\n")},
	{"--attestation-ca-cert F",
         N_("with --attestation-ca-key: the token gets an attestation key\n"
            "                       (F9) certified by this CA (PEM); without them it has none\n")},
	{"--attestation-ca-key F", N_("the attestation CA's private key (PEM, unencrypted); read\n"
                                      "                       once, never stored in the token\n")},
	{"--pin-must-change", N_("the PIN must be changed before use\n")},
	{"--pin-protected-mgmt",
         N_("random management key, stored PIN-protected (YubiKey style)\n")},
	{"--force", N_("replace an existing token in FILE\n")},
};

static const struct emu_cli_help_entry emu_cli_help_serving[] = {
	{"--socket PATH", N_("the CCID socket (mode 0600)\n")},
	{"--vpcd HOST:PORT",
         N_("instead of --socket: the card in a vsmartcard-vpcd reader;\n"
            "                       removal closes the connection, insertion reconnects\n")},
	{"--control PATH",
         N_("control socket: lines remove, insert, status;\n"
            "                       answers \"ok present\", \"ok absent\" or \"error ...\"\n")},
	{"--absent", N_("start with the card removed\n")},
	{"--lock-timeout MS",
         N_("a client holding the exclusive lock and silent this\n"
            "                       long loses it (100-600000, default 3000)\n")},
};

static void emu_cli_help_print(FILE *f, const struct emu_cli_help_entry *e, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		fprintf(f, "  %-20s ", e[i].option);
		fputs(_(e[i].text), f);
	}
}

static void emu_cli_usage_print(FILE *f)
{
	fputs(_("Usage:\n"), f);
	fputs("  kinko-token-emu --state FILE --init [PROVISIONING OPTIONS] [--force] [--socket PATH ...]\n"
	      "  kinko-token-emu --state FILE --socket PATH [--control PATH] [--absent]\n"
	      "  kinko-token-emu --state FILE --vpcd HOST:PORT [--control PATH] [--absent]\n"
	      "  kinko-token-emu --make-attestation-ca DIR\n\n",
	      f);
	fputs(_("An emulated PIV token (kinko's firmware) served as USB CCID bulk messages on a\n"
	        "UNIX stream socket. Its whole state lives in FILE, replaced atomically on every\n"
	        "change.\n"),
	      f);
	fputs("\n", f);
	fputs(_("Provisioning (--init creates a fresh token; an existing FILE needs --force):\n"),
	      f);
	emu_cli_help_print(f, emu_cli_help_provisioning,
	                   sizeof(emu_cli_help_provisioning) /
	                           sizeof(emu_cli_help_provisioning[0]));
	fputs(_("  With --socket too, the new token is served right away.\n"), f);
	fputs("\n", f);
	fputs(_("Serving:\n"), f);
	emu_cli_help_print(f, emu_cli_help_serving,
	                   sizeof(emu_cli_help_serving) / sizeof(emu_cli_help_serving[0]));
	fputs(_("  SIGUSR1 removes the card, SIGUSR2 inserts it; SIGTERM or SIGINT stops.\n"), f);
	fputs("\n", f);
	fputs(_("  --make-attestation-ca DIR  write a new manufacturer attestation CA for tests\n"
	        "                       and demos: DIR/attestation-ca.pem, DIR/attestation-ca.key\n"
	        "                       (mode 0600); existing files are not replaced\n"),
	      f);
	fputs("\n  --help, --version\n\n", f);
	fputs(_("Exit status: 0 success, 1 error (state missing, corrupt or existing, socket\n"
	        "in use, I/O), 2 usage error. Secrets are never printed.\n"),
	      f);
}

void emu_cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("kinko-token-emu: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static int emu_cli_usage_error(const char *msg)
{
	emu_cli_error("%s\n", msg);
	fputs(_("Try 'kinko-token-emu --help'.\n"), stderr);
	return EMU_EXIT_USAGE;
}

static bool emu_cli_ulong_parse(const char *s, unsigned long min, unsigned long max,
                                unsigned long *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return false;
	*out = (unsigned long)v;
	return true;
}

/* A number option: -1 to go on, else the usage error `msg`. */
static int emu_cli_number_parse(const char *s, unsigned long min, unsigned long max,
                                unsigned long *out, const char *msg)
{
	return emu_cli_ulong_parse(s, min, max, out) ? -1 : emu_cli_usage_error(msg);
}

/* Returns -1 to go on, else the exit status. */
static int emu_cli_option_parse(emu_cli_args *a, int opt)
{
	/* Every option of the provisioning run of the enum counts as provisioning. */
	if (opt >= OPT_PIN_FILE && opt <= OPT_PIN_PROTECTED_MGMT)
		a->any_provisioning = true;
	switch (opt) {
	case OPT_STATE: a->state = optarg; break;
	case OPT_SOCKET: a->socket = optarg; break;
	case OPT_VPCD: a->vpcd = optarg; break;
	case OPT_CONTROL: a->control = optarg; break;
	case OPT_ABSENT: a->absent = true; break;
	case OPT_LOCK_TIMEOUT:
		return emu_cli_number_parse(
			optarg, 100, 600000, &a->lock_timeout_ms,
			_("--lock-timeout takes milliseconds from 100 to 600000"));
	case OPT_INIT: a->init = true; break;
	case OPT_FORCE: a->force = true; break;
	case OPT_PIN_FILE: a->pin_file = optarg; break;
	case OPT_PUK_FILE: a->puk_file = optarg; break;
	case OPT_MGMT_KEY_FILE: a->mgmt_key_file = optarg; break;
	case OPT_MGMT_ALG: a->mgmt_alg_name = optarg; break;
	case OPT_PIN_TRIES:
		return emu_cli_number_parse(optarg, 1, 15, &a->pin_tries,
		                            _("--pin-tries takes a number from 1 to 15"));
	case OPT_PUK_TRIES:
		return emu_cli_number_parse(optarg, 1, 15, &a->puk_tries,
		                            _("--puk-tries takes a number from 1 to 15"));
	case OPT_SERIAL:
		return emu_cli_number_parse(optarg, 1, 0xFFFFFFFFul, &a->serial,
		                            _("--serial takes a number from 1 to 4294967295"));
	case OPT_PROFILE:
		if (tok_profile_parse(optarg, &a->profile) != 0)
			return emu_cli_usage_error(_("--profile is one of kinko, yubikey, piv"));
		break;
	case OPT_ATTEST_CA_CERT: a->attest_ca_cert = optarg; break;
	case OPT_ATTEST_CA_KEY: a->attest_ca_key = optarg; break;
	case OPT_MAKE_ATTEST_CA: a->make_attest_ca = optarg; break;
	case OPT_PIN_MUST_CHANGE: a->pin_must_change = true; break;
	case OPT_PIN_PROTECTED_MGMT: a->pin_protected_mgmt = true; break;
	case OPT_HELP: emu_cli_usage_print(stdout); return EMU_EXIT_OK;
	case OPT_VERSION: printf("kinko-token-emu %s\n", PACKAGE_VERSION); return EMU_EXIT_OK;
	default: return emu_cli_usage_error(_("unknown option"));
	}
	return -1;
}

int emu_cli_parse(emu_cli_args *a, int argc, char **argv)
{
	char host[256], port[8];
	int opt, r;

	memset(a, 0, sizeof(*a));
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", emu_cli_options, NULL)) != -1) {
		if (opt == '?' || opt == ':') {
			emu_cli_error(_("bad or incomplete option: %s\n"), argv[optind - 1]);
			return emu_cli_usage_error(_("see the usage"));
		}
		r = emu_cli_option_parse(a, opt);
		if (r >= 0)
			return r;
	}
	if (optind < argc)
		return emu_cli_usage_error(_("unexpected argument"));
	if (a->make_attest_ca) {
		if (a->state || a->init || a->socket || a->vpcd || a->control || a->absent ||
		    a->lock_timeout_ms || a->force || a->any_provisioning)
			return emu_cli_usage_error(
				_("--make-attestation-ca DIR takes no other option"));
		return -1;
	}
	if (!a->state)
		return emu_cli_usage_error(_("--state FILE is required"));
	if (a->socket && a->vpcd)
		return emu_cli_usage_error(_("--socket and --vpcd exclude each other"));
	if (a->vpcd && emu_vpcd_addr_parse(a->vpcd, host, sizeof(host), port, sizeof(port)) != 0)
		return emu_cli_usage_error(_("--vpcd takes HOST:PORT, the port from 1 to 65535"));
	if (a->vpcd && a->lock_timeout_ms)
		return emu_cli_usage_error(_("--lock-timeout needs --socket"));
	if (!a->init && !a->socket && !a->vpcd)
		return emu_cli_usage_error(_(
			"give --init (provision) and/or --socket PATH or --vpcd HOST:PORT (serve)"));
	if (!a->init && (a->any_provisioning || a->force))
		return emu_cli_usage_error(_("provisioning options need --init"));
	if (!a->socket && !a->vpcd && (a->control || a->absent || a->lock_timeout_ms))
		return emu_cli_usage_error(
			_("--control, --absent and --lock-timeout need --socket"));
	if (a->pin_protected_mgmt && a->mgmt_key_file)
		return emu_cli_usage_error(
			_("--pin-protected-mgmt makes a random key: no --mgmt-key-file"));
	if ((a->attest_ca_cert != NULL) != (a->attest_ca_key != NULL))
		return emu_cli_usage_error(
			_("--attestation-ca-cert and --attestation-ca-key go together"));
	if (a->attest_ca_cert && a->profile == TOK_PROFILE_PIV)
		return emu_cli_usage_error(_("attestation is a YubiKey extension: "
		                             "not with --profile piv"));
	if (a->pin_protected_mgmt && a->profile == TOK_PROFILE_PIV)
		return emu_cli_usage_error(_("--pin-protected-mgmt is a YubiKey extension: "
		                             "not with --profile piv"));
	return -1;
}
