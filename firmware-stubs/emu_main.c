/* kinko-token-emu: provisions a token state file and serves the token over a UNIX socket
 * or in a vsmartcard-vpcd reader;
 * emu_cli.c reads its command line. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "emu_attest.h"
#include "emu_cli.h"
#include "emu_server.h"
#include "emu_vpcd.h"
#include "i18n.h"
#include "piv.h"
#include "piv_applet.h"
#include "token_state.h"

#define EMU_SECRET_MAX 256u /* longest first line accepted from a secret file */

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
		emu_cli_error(what == EMU_SECRET_PIN ?
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
		emu_cli_error(
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
		emu_cli_error(_("management key file %s: expected %zu hex digits "
		                "for this algorithm\n"),
		              path, 2 * want);
		r = -1;
	}
	for (i = 0; r == 0 && i < want; i++) {
		int hi = OPENSSL_hexchar2int((unsigned char)hex[2 * i]);
		int lo = OPENSSL_hexchar2int((unsigned char)hex[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			emu_cli_error(_("management key file %s: not hex\n"), path);
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
		emu_cli_error(what == EMU_SECRET_PIN ? _("the PIN must be %u to %u characters\n") :
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

static int emu_gather(const emu_cli_args *a, emu_secrets *sec, tok_provision_opts *o)
{
	size_t key_len;

	memset(o, 0, sizeof(*o));
	if (emu_mgmt_alg(a->mgmt_alg_name, &o->mgmt_alg, &key_len) != 0) {
		emu_cli_error(_("--mgmt-alg is one of 3des, aes128, aes192, aes256\n"));
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
			emu_cli_error(_("--mgmt-alg %s needs --mgmt-key-file\n"), a->mgmt_alg_name);
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
	o->profile = a->profile;
	return EMU_EXIT_OK;
}

static int emu_provision(const emu_cli_args *a)
{
	emu_secrets sec;
	tok_provision_opts o;
	tok_state st;
	struct stat sb;
	int r, rc;

	if (!a->force && lstat(a->state, &sb) == 0) {
		emu_cli_error(_("%s already holds a token; use --force to "
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
			emu_cli_error(_("provisioning refused the parameters: %s\n"), strerror(-r));
			rc = EMU_EXIT_ERROR;
		}
	}
	if (rc == EMU_EXIT_OK && a->attest_ca_cert != NULL &&
	    emu_attest_provision(&st, a->attest_ca_cert, a->attest_ca_key) != 0)
		rc = EMU_EXIT_ERROR;
	if (rc == EMU_EXIT_OK) {
		r = tok_state_save(&st, a->state);
		if (r != 0) {
			emu_cli_error(_("cannot write %s: %s\n"), a->state, strerror(-r));
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
		emu_cli_error("pipe: %s\n", strerror(errno));
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

static int emu_serve_vpcd(const emu_cli_args *a, const tok_state *st, piv_applet *applet,
                          int event_rd)
{
	emu_vpcd_opts vo;

	memset(&vo, 0, sizeof(vo));
	vo.vpcd = a->vpcd;
	vo.control_path = a->control;
	vo.start_absent = a->absent;
	vo.event_fd = event_rd;
	/* TRANSLATORS: the start line in a vpcd reader: the token's serial, then HOST:PORT. */
	emu_cli_error(a->absent ? _("token %lu for vpcd at %s (card removed)\n") :
	                          _("token %lu for vpcd at %s (card inserted)\n"),
	              (unsigned long)st->serial, a->vpcd);
	return emu_vpcd_run(applet, &vo) == 0 ? EMU_EXIT_OK : EMU_EXIT_ERROR;
}

static int emu_serve(const emu_cli_args *a)
{
	tok_state st;
	piv_applet *applet = NULL;
	emu_server *srv = NULL;
	emu_server_opts so;
	int r, rc = EMU_EXIT_ERROR, event_rd = -1;

	tok_state_init(&st);
	r = tok_state_load(&st, a->state);
	if (r == -ENOENT) {
		emu_cli_error(_("no token state at %s (create one with --init)\n"), a->state);
		goto out;
	}
	if (r == -EBADMSG) {
		emu_cli_error(_("the token state %s is corrupt\n"), a->state);
		goto out;
	}
	if (r != 0) {
		emu_cli_error(_("cannot load %s: %s\n"), a->state, strerror(-r));
		goto out;
	}
	applet = piv_applet_new(&st, a->state);
	if (!applet) {
		emu_cli_error(_("out of memory\n"));
		goto out;
	}
	if (emu_signals_install(&event_rd) != 0)
		goto out;
	if (a->vpcd) {
		rc = emu_serve_vpcd(a, &st, applet, event_rd);
		goto out;
	}
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
	emu_cli_error(a->absent ? _("token %lu on %s (card removed)\n") :
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
	emu_cli_args a;
	int rc;

	i18n_init(KINKO_EMU_TEXTDOMAIN);
	rc = emu_cli_parse(&a, argc, argv);

	if (rc >= 0)
		return rc;
	if (a.make_attest_ca)
		return emu_attest_make_ca(a.make_attest_ca);
	if (a.init) {
		rc = emu_provision(&a);
		fflush(stdout);
		if (rc != EMU_EXIT_OK || (!a.socket && !a.vpcd))
			return rc;
	}
	return emu_serve(&a);
}
