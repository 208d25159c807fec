/* kinko-bankd: the reference bank. Commands: init, contract ..., serve. What the staff read is
 * in their language (bankd_cli.c); the server's log lines stay English for the operator. */
#include "bankd_attest.h"
#include "bankd_ca.h"
#include "bankd_cli.h"
#include "bankd_contract.h"
#include "bankd_db.h"
#include "bankd_http.h"
#include "bankd_rules.h"
#include "bankd_util.h"
#include "i18n.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_NAMES 16
#define O_MAXCONN 0x100   /* serve --max-connections */
#define O_AUTHLIMIT 0x101 /* serve --auth-fail-limit */
#define O_ATTROOT 0x102   /* init --attestation-root */
#define O_ATTEST 0x103    /* contract add --attestation */

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

enum {
	O_DIR = 1,
	O_CODE,
	O_NAME,
	O_CAKEY,
	O_SERVER,
	O_COMPANY,
	O_ID,
	O_APPLIED,
	O_SECRETS,
	O_APPROVAL,
	O_USER,
	O_LISTEN,
	O_PORTFILE,
	O_URL,
	O_REASON,
	O_CORE,
	O_HELP
};

static const struct option options[] = {
	{"dir", required_argument, NULL, O_DIR},
	{"bank-code", required_argument, NULL, O_CODE},
	{"bank-name", required_argument, NULL, O_NAME},
	{"ca-key", required_argument, NULL, O_CAKEY},
	{"server-name", required_argument, NULL, O_SERVER},
	{"company", required_argument, NULL, O_COMPANY},
	{"contract-id", required_argument, NULL, O_ID},
	{"applied", required_argument, NULL, O_APPLIED},
	{"secrets-file", required_argument, NULL, O_SECRETS},
	{"approval", required_argument, NULL, O_APPROVAL},
	{"user-id", required_argument, NULL, O_USER},
	{"listen", required_argument, NULL, O_LISTEN},
	{"port-file", required_argument, NULL, O_PORTFILE},
	{"public-url", required_argument, NULL, O_URL},
	{"reason", required_argument, NULL, O_REASON},
	{"allow-core-dumps", no_argument, NULL, O_CORE},
	{"max-connections", required_argument, NULL, O_MAXCONN},
	{"auth-fail-limit", required_argument, NULL, O_AUTHLIMIT},
	{"attestation-root", required_argument, NULL, O_ATTROOT},
	{"attestation", required_argument, NULL, O_ATTEST},
	{"help", no_argument, NULL, O_HELP},
	{NULL, 0, NULL, 0},
};

typedef struct main_args {
	const char *dir, *code, *name, *cakey, *company, *id, *applied, *secrets, *approval, *user,
		*listen, *port_file, *url, *reason;
	const char *names[MAX_NAMES];
	int allow_core_dumps;
	size_t n_names;
	const char *max_connections;
	const char *auth_fail_limit;
	const char *roots[BANKD_ATTEST_MAX_ROOTS];
	size_t n_roots;
	const char *attestation;
} main_args;

/* A repeatable option's value (optarg) appended to v: -1 when max are there already. */
static int arg_push(const char **v, size_t *n, size_t max)
{
	if (*n == max)
		return -1;
	v[(*n)++] = optarg;
	return 0;
}

static int parse(int argc, char **argv, main_args *a)
{
	int c;

	memset(a, 0, sizeof *a);
	optind = 1;
	/* getopt's own messages would be English (libc's catalogue is often not installed). */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case O_DIR: a->dir = optarg; break;
		case O_CODE: a->code = optarg; break;
		case O_NAME: a->name = optarg; break;
		case O_CAKEY: a->cakey = optarg; break;
		case O_SERVER:
			if (arg_push(a->names, &a->n_names, MAX_NAMES) != 0)
				return -1;
			break;
		case O_COMPANY: a->company = optarg; break;
		case O_ID: a->id = optarg; break;
		case O_APPLIED: a->applied = optarg; break;
		case O_SECRETS: a->secrets = optarg; break;
		case O_APPROVAL: a->approval = optarg; break;
		case O_USER: a->user = optarg; break;
		case O_LISTEN: a->listen = optarg; break;
		case O_PORTFILE: a->port_file = optarg; break;
		case O_URL: a->url = optarg; break;
		case O_REASON: a->reason = optarg; break;
		case O_CORE: a->allow_core_dumps = 1; break;
		case O_MAXCONN: a->max_connections = optarg; break;
		case O_AUTHLIMIT: a->auth_fail_limit = optarg; break;
		case O_ATTROOT:
			if (arg_push(a->roots, &a->n_roots, BANKD_ATTEST_MAX_ROOTS) != 0)
				return -1;
			break;
		case O_ATTEST: a->attestation = optarg; break;
		case O_HELP: bankd_cli_usage_print(stdout); return 1;
		default:
			bankd_cli_msg_print(_("unknown option or missing value: %s"),
			                    argv[optind - 1]);
			return -1;
		}
	}
	return optind == argc && a->dir != NULL ? 0 : -1;
}

static int file_exists(const char *dir, const char *name)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

static int cmd_init(const main_args *a)
{
	int rsa = a->cakey != NULL && strcmp(a->cakey, "rsa3072") == 0;
	const char *name = a->name != NULL ? a->name : "kinko reference bank";
	static const char *const defaults[] = {"localhost", "127.0.0.1"};
	const char *const *names;
	size_t n_names;
	static const char *const files[] = {"bank.db",    "ca.key",     "ca.crt",
	                                    "server.key", "server.crt", BANKD_ATTEST_ROOTS_FILE};
	size_t i;
	char path[4096];
	bankd_db *db;
	bankd_bank bank;
	int rc;

	if (a->code == NULL || strlen(a->code) != 4 || strspn(a->code, "0123456789") != 4 ||
	    (a->cakey != NULL && !rsa && strcmp(a->cakey, "p256") != 0) ||
	    !bankd_rules_name_ok(name)) {
		bankd_cli_msg_print(
			_("init needs --bank-code (4 digits); --ca-key is p256 or rsa3072"));
		return BANKD_EXIT_USAGE;
	}
	if (bankd_now_check() != 0) {
		bankd_cli_msg_print(_("KINKO_BANKD_NOW must be epoch seconds or YYYY-MM-DD"));
		return BANKD_EXIT_USAGE;
	}
	names = a->n_names > 0 ? a->names : defaults;
	n_names = a->n_names > 0 ? a->n_names : 2;
	if (mkdir(a->dir, 0700) != 0 && errno != EEXIST) {
		bankd_cli_msg_print(_("cannot create %s"), a->dir);
		return BANKD_EXIT_FAIL;
	}
	for (i = 0; i < sizeof files / sizeof files[0]; i++)
		if (file_exists(a->dir, files[i])) {
			bankd_cli_msg_print(_("%s/%s exists: a bank is already there"), a->dir,
			                    files[i]);
			return BANKD_EXIT_EXISTS;
		}
	/* The roots first: a file that is not one refuses the init before any key is made. */
	if (a->n_roots > 0 && bankd_attest_roots_write(a->dir, a->roots, a->n_roots) != 0)
		return BANKD_EXIT_FAIL;
	if (bankd_ca_create(a->dir, a->code, name, rsa, names, n_names, bankd_now()) != 0) {
		bankd_cli_msg_print(_("cannot create the CA and server keys in %s"), a->dir);
		return BANKD_EXIT_FAIL;
	}
	snprintf(path, sizeof path, "%s/bank.db", a->dir);
	memset(&bank, 0, sizeof bank);
	snprintf(bank.code, sizeof bank.code, "%s", a->code);
	snprintf(bank.name, sizeof bank.name, "%s", name);
	snprintf(bank.server_name, sizeof bank.server_name, "%s", names[0]);
	if (bankd_db_open(path, 1, &db) != 0)
		return BANKD_EXIT_FAIL;
	rc = bankd_db_bank_put(db, &bank);
	bankd_db_close(db);
	if (rc != BANKD_DB_OK)
		return BANKD_EXIT_FAIL;
	/* TRANSLATORS: the first %s is the 4-digit bank code, the second a directory. */
	printf(_("bank %s initialised in %s\n"), a->code, a->dir);
	return BANKD_EXIT_OK;
}

static int need_id(const main_args *a)
{
	if (a->id != NULL)
		return 0;
	bankd_cli_msg_print(_("--contract-id is required"));
	return -1;
}

static int cmd_contract(const char *sub, const main_args *a)
{
	if (strcmp(sub, "add") == 0) {
		int manual = a->approval != NULL && strcmp(a->approval, "manual") == 0;
		bankd_attest_policy att;

		if (a->approval != NULL && !manual && strcmp(a->approval, "auto") != 0) {
			bankd_cli_msg_print(_("--approval is auto or manual"));
			return BANKD_EXIT_USAGE;
		}
		/* Required by default once the bank trusts a token maker: new contracts then
		 * get certificates only for keys made on a genuine token. */
		att = file_exists(a->dir, BANKD_ATTEST_ROOTS_FILE) ? BANKD_ATTEST_REQUIRED :
		                                                     BANKD_ATTEST_OPTIONAL;
		if (a->attestation != NULL &&
		    bankd_attest_policy_parse(a->attestation, &att) != 0) {
			bankd_cli_msg_print(_("--attestation is required, optional or off"));
			return BANKD_EXIT_USAGE;
		}
		if (att == BANKD_ATTEST_REQUIRED && !file_exists(a->dir, BANKD_ATTEST_ROOTS_FILE)) {
			bankd_cli_msg_print(
				_("--attestation required needs a bank that trusts a token "
			          "maker: kinko-bankd init --attestation-root FILE"));
			return BANKD_EXIT_USAGE;
		}
		return bankd_contract_add(a->dir, a->company, a->id, a->applied, a->secrets, manual,
		                          bankd_attest_policy_word(att));
	}
	if (strcmp(sub, "list") == 0)
		return bankd_contract_list(a->dir);
	if (need_id(a) != 0)
		return BANKD_EXIT_USAGE;
	if (strcmp(sub, "show") == 0)
		return bankd_contract_show(a->dir, a->id);
	if (strcmp(sub, "unlock") == 0)
		return bankd_contract_unlock(a->dir, a->id, a->user);
	if (strcmp(sub, "approve") == 0)
		return bankd_contract_approve(a->dir, a->id);
	if (strcmp(sub, "revoke") == 0)
		return bankd_contract_revoke(a->dir, a->id, a->user, a->reason);
	bankd_cli_msg_print(_("unknown contract command %s"), sub);
	return BANKD_EXIT_USAGE;
}

/* Every command may hold PINs, Basic credentials or the CA key in memory: a core dump would
 * write them to disk. Non-dumpable also closes /proc/PID/mem and ptrace to the same user. */
static int bankd_core_dumps_disable(void)
{
	const struct rlimit none = {0, 0};
	if (setrlimit(RLIMIT_CORE, &none) != 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
		bankd_cli_msg_print(_("cannot disable core dumps: %s"), strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int allow_core_dumps;
	const char *cmd;
	int is_contract;
	int skip;
	main_args a;
	int p;

	i18n_init(KINKO_BANKD_TEXTDOMAIN);
	allow_core_dumps = 0;
	/* The global form, before the command: kinko-bankd --allow-core-dumps serve ... */
	while (argc > 1 && strcmp(argv[1], "--allow-core-dumps") == 0) {
		allow_core_dumps = 1;
		argv++;
		argc--;
	}
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		bankd_cli_usage_print(argc < 2 ? stderr : stdout);
		return argc < 2 ? BANKD_EXIT_USAGE : BANKD_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("kinko-bankd %s\n", PACKAGE_VERSION);
		return BANKD_EXIT_OK;
	}
	/* The database holds PIN hashes and customer cards: nobody else may read it. */
	umask(077);
	cmd = argv[1];
	is_contract = strcmp(cmd, "contract") == 0;
	if (is_contract && argc < 3) {
		bankd_cli_usage_print(stderr);
		return BANKD_EXIT_USAGE;
	}
	skip = is_contract ? 2 : 1;
	p = parse(argc - skip, argv + skip, &a);
	if (p > 0)
		return BANKD_EXIT_OK;
	if (p < 0) {
		bankd_cli_usage_print(stderr);
		return BANKD_EXIT_USAGE;
	}
	if (!allow_core_dumps && !a.allow_core_dumps && bankd_core_dumps_disable() != 0)
		return BANKD_EXIT_FAIL;
	if (strcmp(cmd, "init") == 0)
		return cmd_init(&a);
	if (is_contract)
		return cmd_contract(argv[2], &a);
	if (strcmp(cmd, "serve") == 0) {
		bankd_serve_opts o;
		unsigned long n;

		if (a.listen == NULL) {
			bankd_cli_msg_print(_("serve needs --listen HOST:PORT"));
			return BANKD_EXIT_USAGE;
		}
		o = (bankd_serve_opts){a.dir, a.listen, a.port_file, a.url, 0, -1};
		if (a.auth_fail_limit != NULL) {
			if (bankd_count_parse(a.auth_fail_limit, '0', 1000000, &n) != 0) {
				bankd_cli_msg_print(_("--auth-fail-limit wants 0 to 1000000"));
				return BANKD_EXIT_USAGE;
			}
			o.auth_fail_limit = (long)n;
		}
		if (a.max_connections != NULL) {
			if (bankd_count_parse(a.max_connections, '1', 1048576, &n) != 0) {
				bankd_cli_msg_print(_("--max-connections wants 1 to 1048576"));
				return BANKD_EXIT_USAGE;
			}
			o.max_connections = n;
		}
		return bankd_http_serve(&o);
	}
	bankd_cli_usage_print(stderr);
	return BANKD_EXIT_USAGE;
}
