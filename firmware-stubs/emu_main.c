/* kinko-token-emu: provisions a token state file and serves the token over a UNIX socket. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "emu_server.h"
#include "i18n.h"
#include "piv.h"
#include "piv_applet.h"
#include "token_state.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

#define EMU_EXIT_OK 0
#define EMU_EXIT_ERROR 1
#define EMU_EXIT_USAGE 2

#define EMU_SECRET_MAX 256u /* longest first line accepted from a secret file */

typedef struct {
	const char *state;
	const char *socket;
	const char *control;
	bool absent;
	unsigned long lock_timeout_ms; /* 0: the default */
	bool init;
	bool force;
	const char *pin_file, *puk_file, *mgmt_key_file;
	const char *mgmt_alg_name;
	unsigned long pin_tries, puk_tries, serial;
	bool pin_must_change, pin_protected_mgmt;
	bool any_provisioning; /* a provisioning option was given */
} emu_args;

enum {
	OPT_STATE = 256,
	OPT_SOCKET,
	OPT_CONTROL,
	OPT_ABSENT,
	OPT_INIT,
	OPT_FORCE,
	OPT_PIN_FILE,
	OPT_PUK_FILE,
	OPT_MGMT_KEY_FILE,
	OPT_MGMT_ALG,
	OPT_PIN_TRIES,
	OPT_PUK_TRIES,
	OPT_SERIAL,
	OPT_PIN_MUST_CHANGE,
	OPT_PIN_PROTECTED_MGMT,
	OPT_HELP,
	OPT_VERSION,
	OPT_LOCK_TIMEOUT,
};

static const struct option emu_options[] = {
	{"state", required_argument, NULL, OPT_STATE},
	{"socket", required_argument, NULL, OPT_SOCKET},
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
	{"pin-must-change", no_argument, NULL, OPT_PIN_MUST_CHANGE},
	{"pin-protected-mgmt", no_argument, NULL, OPT_PIN_PROTECTED_MGMT},
	{"help", no_argument, NULL, OPT_HELP},
	{"version", no_argument, NULL, OPT_VERSION},
	{NULL, 0, NULL, 0},
};

/* The help: an option in a fixed column (ASCII), its description after it, translated entry
 * by entry (CJK text is two columns wide, so printf widths never pad translated text). */
struct emu_help_entry {
	const char *option;
	const char *text; /* N_(): translated when printed */
};

static const struct emu_help_entry emu_help_provisioning[] = {
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
	{"--pin-must-change", N_("the PIN must be changed before use\n")},
	{"--pin-protected-mgmt",
         N_("random management key, stored PIN-protected (YubiKey style)\n")},
	{"--force", N_("replace an existing token in FILE\n")},
};

static const struct emu_help_entry emu_help_serving[] = {
	{"--socket PATH", N_("the CCID socket (mode 0600)\n")},
	{"--control PATH",
         N_("control socket: lines remove, insert, status;\n"
            "                       answers \"ok present\", \"ok absent\" or \"error ...\"\n")},
	{"--absent", N_("start with the card removed\n")},
	{"--lock-timeout MS",
         N_("a client holding the exclusive lock and silent this\n"
            "                       long loses it (100-600000, default 3000)\n")},
};

static void emu_help_entries(FILE *f, const struct emu_help_entry *e, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		fprintf(f, "  %-20s ", e[i].option);
		fputs(_(e[i].text), f);
	}
}

static void emu_usage(FILE *f)
{
	fputs(_("Usage:\n"), f);
	fputs("  kinko-token-emu --state FILE --init [PROVISIONING OPTIONS] [--force] [--socket PATH ...]\n"
	      "  kinko-token-emu --state FILE --socket PATH [--control PATH] [--absent]\n\n",
	      f);
	fputs(_("An emulated PIV token (kinko's firmware) served as USB CCID bulk messages on a\n"
	        "UNIX stream socket. Its whole state lives in FILE, replaced atomically on every\n"
	        "change.\n"),
	      f);
	fputs("\n", f);
	fputs(_("Provisioning (--init creates a fresh token; an existing FILE needs --force):\n"),
	      f);
	emu_help_entries(f, emu_help_provisioning,
	                 sizeof(emu_help_provisioning) / sizeof(emu_help_provisioning[0]));
	fputs(_("  With --socket too, the new token is served right away.\n"), f);
	fputs("\n", f);
	fputs(_("Serving:\n"), f);
	emu_help_entries(f, emu_help_serving,
	                 sizeof(emu_help_serving) / sizeof(emu_help_serving[0]));
	fputs(_("  SIGUSR1 removes the card, SIGUSR2 inserts it; SIGTERM or SIGINT stops.\n"), f);
	fputs("\n  --help, --version\n\n", f);
	fputs(_("Exit status: 0 success, 1 error (state missing, corrupt or existing, socket\n"
	        "in use, I/O), 2 usage error. Secrets are never printed.\n"),
	      f);
}

/* "kinko-token-emu: " and a message already translated by the caller's _(). */
static void emu_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void emu_error(const char *fmt, ...)
{
	va_list ap;

	fputs("kinko-token-emu: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static int emu_usage_error(const char *msg)
{
	emu_error("%s\n", msg);
	fputs(_("Try 'kinko-token-emu --help'.\n"), stderr);
	return EMU_EXIT_USAGE;
}

static bool emu_parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out)
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

/* Returns -1 to go on, else the exit status. */
static int emu_parse_option(emu_args *a, int opt)
{
	switch (opt) {
	case OPT_STATE: a->state = optarg; break;
	case OPT_SOCKET: a->socket = optarg; break;
	case OPT_CONTROL: a->control = optarg; break;
	case OPT_ABSENT: a->absent = true; break;
	case OPT_LOCK_TIMEOUT:
		if (!emu_parse_ulong(optarg, 100, 600000, &a->lock_timeout_ms))
			return emu_usage_error(
				_("--lock-timeout takes milliseconds from 100 to 600000"));
		break;
	case OPT_INIT: a->init = true; break;
	case OPT_FORCE: a->force = true; break;
	case OPT_PIN_FILE:
		a->pin_file = optarg;
		a->any_provisioning = true;
		break;
	case OPT_PUK_FILE:
		a->puk_file = optarg;
		a->any_provisioning = true;
		break;
	case OPT_MGMT_KEY_FILE:
		a->mgmt_key_file = optarg;
		a->any_provisioning = true;
		break;
	case OPT_MGMT_ALG:
		a->mgmt_alg_name = optarg;
		a->any_provisioning = true;
		break;
	case OPT_PIN_TRIES:
		if (!emu_parse_ulong(optarg, 1, 15, &a->pin_tries))
			return emu_usage_error(_("--pin-tries takes a number from 1 to 15"));
		a->any_provisioning = true;
		break;
	case OPT_PUK_TRIES:
		if (!emu_parse_ulong(optarg, 1, 15, &a->puk_tries))
			return emu_usage_error(_("--puk-tries takes a number from 1 to 15"));
		a->any_provisioning = true;
		break;
	case OPT_SERIAL:
		if (!emu_parse_ulong(optarg, 1, 0xFFFFFFFFul, &a->serial))
			return emu_usage_error(_("--serial takes a number from 1 to 4294967295"));
		a->any_provisioning = true;
		break;
	case OPT_PIN_MUST_CHANGE:
		a->pin_must_change = true;
		a->any_provisioning = true;
		break;
	case OPT_PIN_PROTECTED_MGMT:
		a->pin_protected_mgmt = true;
		a->any_provisioning = true;
		break;
	case OPT_HELP: emu_usage(stdout); return EMU_EXIT_OK;
	case OPT_VERSION: printf("kinko-token-emu %s\n", PACKAGE_VERSION); return EMU_EXIT_OK;
	default: return emu_usage_error(_("unknown option"));
	}
	return -1;
}

static int emu_parse_args(emu_args *a, int argc, char **argv)
{
	int opt, r;

	memset(a, 0, sizeof(*a));
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", emu_options, NULL)) != -1) {
		if (opt == '?' || opt == ':') {
			emu_error(_("bad or incomplete option: %s\n"), argv[optind - 1]);
			return emu_usage_error(_("see the usage"));
		}
		r = emu_parse_option(a, opt);
		if (r >= 0)
			return r;
	}
	if (optind < argc)
		return emu_usage_error(_("unexpected argument"));
	if (!a->state)
		return emu_usage_error(_("--state FILE is required"));
	if (!a->init && !a->socket)
		return emu_usage_error(_("give --init (provision) and/or --socket PATH (serve)"));
	if (!a->init && (a->any_provisioning || a->force))
		return emu_usage_error(_("provisioning options need --init"));
	if (!a->socket && (a->control || a->absent || a->lock_timeout_ms))
		return emu_usage_error(_("--control, --absent and --lock-timeout need --socket"));
	if (a->pin_protected_mgmt && a->mgmt_key_file)
		return emu_usage_error(
			_("--pin-protected-mgmt makes a random key: no --mgmt-key-file"));
	return -1;
}

/* ---- provisioning ---- */

/* The first line of a secret file, without its line end. Error messages name the file,
 * never its content. */
enum emu_secret { EMU_SECRET_PIN, EMU_SECRET_PUK, EMU_SECRET_MGMT_KEY };

static int emu_read_secret(const char *path, enum emu_secret what, char *out, size_t cap)
{
	char buf[EMU_SECRET_MAX + 1];
	size_t n, len;
	char *nl;
	bool bad;
	FILE *f = fopen(path, "r");

	if (!f) {
		int err = errno;
		emu_error(what == EMU_SECRET_PIN ?
		                  _("cannot open the PIN file %s: %s\n") :
		          what == EMU_SECRET_PUK ?
		                  _("cannot open the PUK file %s: %s\n") :
		                  _("cannot open the management key file %s: %s\n"),
		          path, strerror(err));
		return -1;
	}
	n = fread(buf, 1, EMU_SECRET_MAX, f);
	fclose(f);
	buf[n] = '\0';
	nl = memchr(buf, '\n', n);
	len = nl ? (size_t)(nl - buf) : n;
	/* No line end within the limit: the line is longer than any secret. */
	bad = !nl && n == EMU_SECRET_MAX;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	bad = bad || len == 0 || len >= cap || memchr(buf, '\0', len) != NULL;
	if (!bad) {
		memcpy(out, buf, len);
		out[len] = '\0';
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	if (bad) {
		emu_error(
			what == EMU_SECRET_PIN ?
				_("PIN file %s: the first line is empty, too long or not text\n") :
			what == EMU_SECRET_PUK ?
				_("PUK file %s: the first line is empty, too long or not text\n") :
				_("management key file %s: the first line is empty, too long or not text\n"),
			path);
		return -1;
	}
	return 0;
}

static int emu_read_mgmt_key(const char *path, size_t want, uint8_t *key)
{
	char hex[2 * TOK_MAX_MGMT_KEY + 2];
	size_t i;
	int r = 0;

	if (emu_read_secret(path, EMU_SECRET_MGMT_KEY, hex, sizeof(hex)) != 0)
		return -1;
	if (strlen(hex) != 2 * want) {
		emu_error(_("management key file %s: expected %zu hex digits "
		            "for this algorithm\n"),
		          path, 2 * want);
		r = -1;
	}
	for (i = 0; r == 0 && i < want; i++) {
		int hi = OPENSSL_hexchar2int((unsigned char)hex[2 * i]);
		int lo = OPENSSL_hexchar2int((unsigned char)hex[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			emu_error(_("management key file %s: not hex\n"), path);
			r = -1;
			break;
		}
		key[i] = (uint8_t)(hi << 4 | lo);
	}
	OPENSSL_cleanse(hex, sizeof(hex));
	return r;
}

static int emu_mgmt_alg(const char *name, uint8_t *alg, size_t *key_len)
{
	static const struct {
		const char *name;
		uint8_t alg;
	} algs[] = {
		{"3des", PIV_ALG_3DES},
		{"aes128", PIV_ALG_AES128},
		{"aes192", PIV_ALG_AES192},
		{"aes256", PIV_ALG_AES256},
	};
	size_t i;

	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		if (strcmp(name ? name : "3des", algs[i].name) == 0) {
			*alg = algs[i].alg;
			*key_len = piv_alg_mgmt_key_len(algs[i].alg);
			return 0;
		}
	}
	return -1;
}

static int emu_check_pin(const char *pin, enum emu_secret what)
{
	size_t n = strlen(pin);

	if (n < PIV_PIN_MIN || n > PIV_PIN_MAX) {
		emu_error(what == EMU_SECRET_PIN ? _("the PIN must be %u to %u characters\n") :
		                                   _("the PUK must be %u to %u characters\n"),
		          PIV_PIN_MIN, PIV_PIN_MAX);
		return -1;
	}
	return 0;
}

typedef struct {
	char pin[PIV_PIN_MAX + 2];
	char puk[PIV_PIN_MAX + 2];
	uint8_t key[TOK_MAX_MGMT_KEY];
} emu_secrets;

static int emu_gather(const emu_args *a, emu_secrets *sec, tok_provision_opts *o)
{
	size_t key_len;

	memset(o, 0, sizeof(*o));
	if (emu_mgmt_alg(a->mgmt_alg_name, &o->mgmt_alg, &key_len) != 0) {
		emu_error(_("--mgmt-alg is one of 3des, aes128, aes192, aes256\n"));
		return EMU_EXIT_USAGE;
	}
	if (a->pin_file) {
		if (emu_read_secret(a->pin_file, EMU_SECRET_PIN, sec->pin, sizeof(sec->pin)) != 0 ||
		    emu_check_pin(sec->pin, EMU_SECRET_PIN) != 0)
			return EMU_EXIT_ERROR;
		o->pin = sec->pin;
	}
	if (a->puk_file) {
		if (emu_read_secret(a->puk_file, EMU_SECRET_PUK, sec->puk, sizeof(sec->puk)) != 0 ||
		    emu_check_pin(sec->puk, EMU_SECRET_PUK) != 0)
			return EMU_EXIT_ERROR;
		o->puk = sec->puk;
	}
	if (a->mgmt_key_file) {
		if (emu_read_mgmt_key(a->mgmt_key_file, key_len, sec->key) != 0)
			return EMU_EXIT_ERROR;
		o->mgmt_key = sec->key;
		o->mgmt_key_len = key_len;
	} else if (!a->pin_protected_mgmt) {
		/* The factory key is 24 bytes: it fits 3DES and AES-192 (as YubiKey 5.7). */
		if (key_len != sizeof(TOK_DEFAULT_MGMT_KEY)) {
			emu_error(_("--mgmt-alg %s needs --mgmt-key-file\n"), a->mgmt_alg_name);
			return EMU_EXIT_USAGE;
		}
		o->mgmt_key = TOK_DEFAULT_MGMT_KEY;
		o->mgmt_key_len = key_len;
	}
	o->pin_tries = (uint8_t)a->pin_tries;
	o->puk_tries = (uint8_t)a->puk_tries;
	o->serial = (uint32_t)a->serial;
	o->pin_must_change = a->pin_must_change;
	o->pin_protected_mgmt = a->pin_protected_mgmt;
	return EMU_EXIT_OK;
}

static int emu_provision(const emu_args *a)
{
	emu_secrets sec;
	tok_provision_opts o;
	tok_state st;
	struct stat sb;
	int r, rc;

	if (!a->force && lstat(a->state, &sb) == 0) {
		emu_error(_("%s already holds a token; use --force to "
		            "replace it\n"),
		          a->state);
		return EMU_EXIT_ERROR;
	}
	memset(&sec, 0, sizeof(sec));
	tok_state_init(&st);
	rc = emu_gather(a, &sec, &o);
	if (rc == EMU_EXIT_OK) {
		r = tok_state_provision(&st, &o);
		if (r != 0) {
			emu_error(_("provisioning refused the parameters: %s\n"), strerror(-r));
			rc = EMU_EXIT_ERROR;
		}
	}
	if (rc == EMU_EXIT_OK) {
		r = tok_state_save(&st, a->state);
		if (r != 0) {
			emu_error(_("cannot write %s: %s\n"), a->state, strerror(-r));
			rc = EMU_EXIT_ERROR;
		}
	}
	if (rc == EMU_EXIT_OK)
		/* TRANSLATORS: what --init made: the new token's serial number. */
		printf(_("serial %lu\n"), (unsigned long)st.serial);
	OPENSSL_cleanse(&sec, sizeof(sec));
	tok_state_free(&st);
	return rc;
}

/* ---- serving ---- */

static int emu_event_wr = -1;

/* Handlers only pass the event on through the self-pipe; the loop does the work. */
static void emu_on_signal(int sig)
{
	int saved = errno;
	char ev = EMU_EVENT_TERMINATE;
	ssize_t r;

	if (sig == SIGUSR1)
		ev = EMU_EVENT_REMOVE;
	else if (sig == SIGUSR2)
		ev = EMU_EVENT_INSERT;
	r = write(emu_event_wr, &ev, 1);
	(void)r;
	errno = saved;
}

static int emu_signals_install(int *event_rd)
{
	static const int sigs[] = {SIGTERM, SIGINT, SIGUSR1, SIGUSR2};
	struct sigaction sa;
	int p[2];
	size_t i;

	if (pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0) {
		emu_error("pipe: %s\n", strerror(errno));
		return -1;
	}
	emu_event_wr = p[1];
	*event_rd = p[0];
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = emu_on_signal;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	return 0;
}

static int emu_serve(const emu_args *a)
{
	tok_state st;
	piv_applet *applet = NULL;
	emu_server *srv = NULL;
	emu_server_opts so;
	int r, rc = EMU_EXIT_ERROR, event_rd = -1;

	tok_state_init(&st);
	r = tok_state_load(&st, a->state);
	if (r == -ENOENT) {
		emu_error(_("no token state at %s (create one with --init)\n"), a->state);
		goto out;
	}
	if (r == -EBADMSG) {
		emu_error(_("the token state %s is corrupt\n"), a->state);
		goto out;
	}
	if (r != 0) {
		emu_error(_("cannot load %s: %s\n"), a->state, strerror(-r));
		goto out;
	}
	applet = piv_applet_new(&st, a->state);
	if (!applet) {
		emu_error(_("out of memory\n"));
		goto out;
	}
	if (emu_signals_install(&event_rd) != 0)
		goto out;
	memset(&so, 0, sizeof(so));
	so.socket_path = a->socket;
	so.control_path = a->control;
	so.start_absent = a->absent;
	so.lock_timeout_ms = (unsigned)a->lock_timeout_ms;
	so.event_fd = event_rd;
	srv = emu_server_new(applet, &so);
	if (!srv)
		goto out;
	/* TRANSLATORS: the start line: the token's serial, then the socket's path. */
	emu_error(a->absent ? _("token %lu on %s (card removed)\n") :
	                      _("token %lu on %s (card inserted)\n"),
	          (unsigned long)st.serial, a->socket);
	if (emu_server_run(srv) == 0)
		rc = EMU_EXIT_OK;
out:
	emu_server_free(srv);
	if (applet)
		piv_applet_free(applet);
	tok_state_free(&st);
	return rc;
}

int main(int argc, char **argv)
{
	emu_args a;
	int rc;

	i18n_init();
	rc = emu_parse_args(&a, argc, argv);

	if (rc >= 0)
		return rc;
	if (a.init) {
		rc = emu_provision(&a);
		fflush(stdout);
		if (rc != EMU_EXIT_OK || !a.socket)
			return rc;
	}
	return emu_serve(&a);
}
