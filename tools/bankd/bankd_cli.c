/* kinko-bankd's help, errors and dates for the staff (bankd_cli.h). The help is one message
 * per paragraph, so a translator never meets a fragment; the synopsis is commands and options
 * only, the same in every language. */
#include "bankd_cli.h"

#include "i18n.h"

#include <stdarg.h>
#include <time.h>

static const char synopsis[] =
	"  kinko-bankd init --dir DIR --bank-code NNNN [--bank-name NAME] [--ca-key p256|rsa3072]\n"
	"                   [--server-name NAME ...] [--attestation-root FILE ...]\n"
	"  kinko-bankd contract add --dir DIR --company NAME --contract-id A --applied YYYY-MM-DD\n"
	"                   [--secrets-file F] [--approval auto|manual]\n"
	"                   [--attestation required|optional|off]\n"
	"  kinko-bankd contract list --dir DIR\n"
	"  kinko-bankd contract show --dir DIR --contract-id A\n"
	"  kinko-bankd contract unlock --dir DIR --contract-id A [--user-id N]\n"
	"  kinko-bankd contract approve --dir DIR --contract-id A\n"
	"  kinko-bankd contract revoke --dir DIR --contract-id A [--user-id N] [--reason R]\n"
	"  kinko-bankd serve --dir DIR --listen HOST:PORT [--port-file F] [--public-url URL]\n"
	"                    [--max-connections N] [--auth-fail-limit N]\n"
	"  kinko-bankd --version\n";

/* Paragraphs of the help, each followed by an empty line. */
static const char *const paragraphs[] = {
	N_("init creates DIR/ca.key, ca.crt (the bank's CA, P-256 by default), server.key, server.crt\n"
           "(HTTPS; SAN localhost and 127.0.0.1 unless --server-name is given) and bank.db (SQLite, WAL).\n"),
	N_("init --attestation-root FILE (repeatable) trusts the token makers' attestation CAs in\n"
           "FILE (PEM), kept in DIR/attestation-roots.pem. contract add --attestation required: the\n"
           "contract's keys need a verified attestation (a key generated on a token of a trusted\n"
           "maker, with a PIN); optional (checked when sent); off. Default: required when the bank\n"
           "has roots, else optional; contracts older than this read as optional.\n"),
	N_("contract add reads the secrets from F (lines confirmation_password=..., contract_pin=...,\n"
           "contract_confirmation_pin=...; warned about when group or others can read F) or asks for\n"
           "them twice without echo on a terminal; never from the command line. It prints the\n"
           "customer card (rows A-E, columns 0-9) once, and warns when the application date is\n"
           "already past day 80 (the admin can no longer enroll).\n"
           "contract unlock sets the failure counter of the contract (or of --user-id) to 0 and\n"
           "says what it was.\n"
           "--approval manual: the admin's first enrollment answers 202 until `contract approve`.\n"
           "contract revoke revokes the valid certificates of the admin (or of --user-id) with the\n"
           "CRL reason R (cessationOfOperation by default, or keyCompromise, superseded,\n"
           "unspecified), publishes the CRL, ends their sessions and says whether they may enroll\n"
           "again: the 80-day windows still apply. For a certificate the holder cannot use.\n"),
	N_("serve: HTTPS by libevent 2.1 evhttp over OpenSSL (TLS 1.2+ only; libevent parses HTTP),\n"
           "state in DIR/bank.db (SQLite, WAL), PINs as scrypt hashes (N=16384, r=8, p=1, salted).\n"
           "serve runs in the foreground (one log line per request on stderr, no secrets; SIGTERM or\n"
           "SIGINT stop it). --listen HOST:0 picks a free port; --port-file writes the port used.\n"
           "--max-connections N caps open connections (default: the open-file limit minus 32);\n"
           "more wait in the kernel's queue. Out of file descriptors, accepting pauses 200 ms.\n"
           "--auth-fail-limit N: after N failed authentications (401 to a POST) from one address\n"
           "(IPv6: one /64) in a minute, its POSTs get 429 with Retry-After (default 10; 0: off).\n"
           "Certificates name the CRL at PUBLIC-URL/crl (default https://SERVER-NAME:PORT/crl).\n"),
	N_("Endpoints: GET /.well-known/est/cacerts; POST /.well-known/est/simpleenroll (base64 DER\n"
           "PKCS#10, application/pkcs10); POST /.well-known/est/simplereenroll (mTLS with the current\n"
           "certificate); GET /crl; POST /api/logon {\"pin\"}; POST /api/logon/otp {\"logon_id\",\n"
           "\"digits\"}; GET /api/status; POST /api/logoff; GET|POST /api/admin/users;\n"
           "POST /api/admin/users/ID/issue|revoke {\"confirmation_pin\"}; HTML: GET / and /status.\n"),
	N_("EST credentials: admin = Authorization: Basic base64(A \":\" contract PIN (イ)) and the\n"
           "header Kinko-Confirmation-PIN: contract confirmation PIN (ロ); user = Basic base64(A \"/\"\n"
           "user ID (ニ) \":\" user PIN (ト)) and Kinko-Confirmation-PIN: user confirmation PIN (チ).\n"),
	N_("Rules: the admin certificate only from the application date (day 1) to day 80 inclusive\n"
           "(application date + 79 days, UTC); a user's only after the admin issued one to the user,\n"
           "from that day (day 1) to day 80 the same way; one valid certificate per ID; CN = contract\n"
           "ID + bank code, O = company, OU = admin or the user ID; RSA >= 2048 with e = 65537 or\n"
           "ECDSA on the named curve P-256 or P-384 (explicit curve parameters are refused);\n"
           "5 wrong PINs lock the credential (contract unlock).\n"),
	N_("KINKO_BANKD_NOW=epoch-seconds|YYYY-MM-DD (TESTS ONLY) replaces the bank's clock.\n"),
};

void bankd_cli_usage_print(FILE *f)
{
	size_t i;

	fputs(_("Usage:\n"), f);
	fputs(synopsis, f);
	fputs(_("Global option, before the command or among its options:\n"), f);
	/* The option in a fixed column, its description after it (CJK text is two columns wide). */
	fputs("  --allow-core-dumps  ", f);
	/* TRANSLATORS: continuation lines start with 22 spaces, under the first line's text. */
	fputs(_("leave core dumps enabled (debugging only): by default every\n"
	        "                      command sets RLIMIT_CORE to 0 and makes itself non-dumpable, as its\n"
	        "                      memory holds PINs, credentials and the CA key\n"),
	      f);
	for (i = 0; i < sizeof paragraphs / sizeof paragraphs[0]; i++) {
		fputs("\n", f);
		fputs(_(paragraphs[i]), f);
	}
	fputs("\n", f);
	fputs(_("Exit codes: 0 success; 1 failure (I/O, database, crypto, cannot listen); 2 usage;\n"
	        "3 no such contract or user (revoke: or no valid certificate); 4 the bank or the contract\n"
	        "already exists.\n"),
	      f);
}

void bankd_cli_msg_print(const char *fmt, ...)
{
	va_list ap;
	fputs("kinko-bankd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void bankd_cli_day_format(int64_t day, char *buf, size_t len)
{
	time_t t = (time_t)(day * 86400);
	struct tm tm;
	if (gmtime_r(&t, &tm) == NULL || i18n_date_format(&tm, buf, len) == 0)
		snprintf(buf, len, "?");
}
