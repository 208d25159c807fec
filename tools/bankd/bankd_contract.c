/* contract add / list / show / unlock / approve / revoke. Secrets come from a file or a no-echo
 * prompt, never from argv; the customer card is printed once, at add. */
#include "bankd_contract.h"
#include "bankd_cli.h"
#include "bankd_db.h"
#include "bankd_est.h"
#include "bankd_rules.h"
#include "bankd_secret.h"
#include "bankd_util.h"
#include "i18n.h"
#include "prompt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

static const char *const secret_names[3] = {"confirmation_password", "contract_pin",
                                            "contract_confirmation_pin"};
/* The manuals' letters: B on the application form, イ and ロ on the contract sheet. Nouns
 * that the prompts and errors below take as their %s. */
static const char *const secret_words[3] = {
	/* TRANSLATORS: the secret B of the application form, in the prompt "Enter the %s: ". */
	N_("confirmation password (B)"),
	N_("contract PIN (イ)"),
	N_("contract confirmation PIN (ロ)"),
};
#define PROMPT_ROUNDS 3

int bankd_contract_open_db(const char *dir, bankd_db **db)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/bank.db", dir);
	if (access(path, F_OK) != 0) {
		bankd_cli_msg_print(_("%s: no bank here (run kinko-bankd init)"), path);
		return -1;
	}
	return bankd_db_open(path, 0, db);
}

static void chomp(char *s)
{
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

static int read_secrets_file(const char *path, char secrets[3][BANKD_SECRET_MAX_LEN + 2])
{
	FILE *f = fopen(path, "r");
	struct stat st;
	char line[256];
	int seen, ok;

	if (f == NULL) {
		bankd_cli_msg_print(_("%s: cannot open"), path);
		return -1;
	}
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077) != 0)
		bankd_cli_msg_print(_("warning: %s can be read by group or others (mode %04o); "
		                      "chmod 600 %s"),
		                    path, (unsigned)(st.st_mode & 07777), path);
	seen = 0;
	ok = 1;
	while (ok && fgets(line, sizeof line, f) != NULL) {
		char *eq;
		int k;
		int i;

		chomp(line);
		if (line[0] == '\0' || line[0] == '#')
			continue;
		eq = strchr(line, '=');
		k = -1;
		for (i = 0; eq != NULL && i < 3; i++)
			if ((size_t)(eq - line) == strlen(secret_names[i]) &&
			    strncmp(line, secret_names[i], (size_t)(eq - line)) == 0)
				k = i;
		if (k < 0 || strlen(eq + 1) > BANKD_SECRET_MAX_LEN) {
			bankd_cli_msg_print(
				_("%s: a line is not one of confirmation_password=, "
			          "contract_pin=, contract_confirmation_pin= (or is too long)"),
				path);
			ok = 0;
		} else {
			snprintf(secrets[k], BANKD_SECRET_MAX_LEN + 2, "%s", eq + 1);
			seen |= 1 << k;
		}
	}
	OPENSSL_cleanse(line, sizeof line);
	fclose(f);
	if (ok && seen != 7) {
		bankd_cli_msg_print(_("%s: needs confirmation_password=, contract_pin= and "
		                      "contract_confirmation_pin="),
		                    path);
		ok = 0;
	}
	return ok ? 0 : -1;
}

/* A typo in a secret nobody sees would lock the customer out: each is typed twice. */
static int prompt_twice(const char *what, char *out, size_t len)
{
	char again[BANKD_SECRET_MAX_LEN + 2], p1[256], p2[256];
	int rc;
	int round;

	/* TRANSLATORS: %s names a secret, e.g. "contract PIN (イ)". */
	snprintf(p1, sizeof p1, _("Enter the %s: "), what);
	snprintf(p2, sizeof p2, _("Enter the %s again: "), what);
	rc = -1;
	for (round = 1; round <= PROMPT_ROUNDS && rc != 0; round++) {
		enum prompt_result r1 = prompt_secret_read(p1, out, len), r2 = PROMPT_FAILED;
		int too_long;

		if (r1 == PROMPT_OK || r1 == PROMPT_TOO_LONG)
			r2 = prompt_secret_read(p2, again, sizeof again);
		if (r2 != PROMPT_OK && r2 != PROMPT_TOO_LONG)
			break;
		/* A line too long for the buffer is a secret too long: the rule is said. */
		too_long = r1 == PROMPT_TOO_LONG || r2 == PROMPT_TOO_LONG;
		if (!too_long && strcmp(out, again) == 0 && bankd_secret_acceptable(out))
			rc = 0;
		else if (too_long || strcmp(out, again) == 0)
			bankd_cli_msg_print(
				round < PROMPT_ROUNDS ?
					_("the %s must be %d-%d printable ASCII characters; try again") :
					_("the %s must be %d-%d printable ASCII characters"),
				what, BANKD_SECRET_MIN_LEN, BANKD_SECRET_MAX_LEN);
		else if (round < PROMPT_ROUNDS)
			bankd_cli_msg_print(_("the two entries of the %s do not match; try again"),
			                    what);
		else
			bankd_cli_msg_print(_("the two entries of the %s do not match (%d tries); "
			                      "nothing was added"),
			                    what, PROMPT_ROUNDS);
	}
	OPENSSL_cleanse(again, sizeof again);
	if (rc != 0)
		OPENSSL_cleanse(out, len);
	return rc;
}

static int read_secrets(const char *file, char secrets[3][BANKD_SECRET_MAX_LEN + 2])
{
	int i;

	if (file != NULL)
		return read_secrets_file(file, secrets);
	if (!isatty(STDIN_FILENO)) {
		bankd_cli_msg_print(_("give --secrets-file F, or run on a terminal to be asked"));
		return -1;
	}
	for (i = 0; i < 3; i++)
		if (prompt_twice(_(secret_words[i]), secrets[i], BANKD_SECRET_MAX_LEN + 2) != 0)
			return -1;
	return 0;
}

static int make_card(char card[BANKD_CARD_LEN + 1])
{
	uint8_t b[128];
	size_t k = 0;
	while (k < BANKD_CARD_LEN) {
		size_t i;

		if (RAND_bytes(b, sizeof b) != 1)
			return -1;
		/* Rejection sampling: 250 is a multiple of 10, so each digit is uniform. */
		for (i = 0; i < sizeof b && k < BANKD_CARD_LEN; i++)
			if (b[i] < 250)
				card[k++] = (char)('0' + b[i] % 10);
	}
	card[k] = '\0';
	OPENSSL_cleanse(b, sizeof b);
	return 0;
}

static void print_card(const bankd_contract *c)
{
	int col;
	int row;

	/* TRANSLATORS: %s: the contract ID (A), then the company. The digits grid follows. */
	printf(_("Customer card of contract %s (%s). It is shown only now: print it and hand it over.\n"),
	       c->id, c->company);
	printf("   ");
	for (col = 0; col < BANKD_CARD_COLS; col++)
		printf(" %d", col);
	printf("\n");
	for (row = 0; row < BANKD_CARD_ROWS; row++) {
		printf("  %c", 'A' + row);
		for (col = 0; col < BANKD_CARD_COLS; col++)
			printf(" %c", c->card[row * BANKD_CARD_COLS + col]);
		printf("\n");
	}
}

/* Added anyway (the bank may have its reasons), but the admin can no longer enroll. */
static void warn_window(const bankd_contract *c)
{
	char applied[64], closed[64];

	if (bankd_rules_admin_window(c->applied_day, bankd_rules_day(bankd_now())) !=
	    BANKD_RULE_WINDOW_OVER)
		return;
	bankd_cli_day_format(c->applied_day, applied, sizeof applied);
	bankd_cli_day_format(bankd_rules_last_day(c->applied_day) + 1, closed, sizeof closed);
	bankd_cli_msg_print(
		_("warning: contract %s was added, but its admin window has closed: "
	          "the admin certificate can no longer be obtained since %s (day 81 after the application "
	          "date %s)"),
		c->id, closed, applied);
}

static int add_checked(const char *dir, bankd_contract *c,
                       char secrets[3][BANKD_SECRET_MAX_LEN + 2])
{
	int i;
	const bankd_secret_cost *cost;
	bankd_db *db;
	int rc;

	for (i = 0; i < 3; i++)
		if (!bankd_secret_acceptable(secrets[i])) {
			bankd_cli_msg_print(_("%s must be %d-%d printable ASCII characters"),
			                    secret_names[i], BANKD_SECRET_MIN_LEN,
			                    BANKD_SECRET_MAX_LEN);
			return BANKD_EXIT_USAGE;
		}
	cost = &bankd_secret_default_cost;
	if (bankd_secret_hash(secrets[0], cost, c->conf_password) != 0 ||
	    bankd_secret_hash(secrets[1], cost, c->pin) != 0 ||
	    bankd_secret_hash(secrets[2], cost, c->conf_pin) != 0 || make_card(c->card) != 0)
		return BANKD_EXIT_FAIL;
	if (bankd_contract_open_db(dir, &db) != 0)
		return BANKD_EXIT_FAIL;
	rc = bankd_db_contract_add(db, c);
	bankd_db_close(db);
	if (rc == BANKD_DB_NONE) {
		bankd_cli_msg_print(_("contract %s already exists"), c->id);
		return BANKD_EXIT_EXISTS;
	}
	if (rc != BANKD_DB_OK)
		return BANKD_EXIT_FAIL;
	print_card(c);
	warn_window(c);
	return BANKD_EXIT_OK;
}

int bankd_contract_add(const char *dir, const char *company, const char *id, const char *applied,
                       const char *secrets_file, int manual_approval, const char *attestation)
{
	bankd_contract c;
	char secrets[3][BANKD_SECRET_MAX_LEN + 2];
	int rc;

	memset(&c, 0, sizeof c);
	if (!bankd_rules_contract_id_ok(id) || !bankd_rules_name_ok(company) ||
	    bankd_rules_day_parse(applied, &c.applied_day) != 0) {
		bankd_cli_msg_print(_("contract add needs --contract-id (1-20 digits), --company "
		                      "(1-200 bytes) and --applied YYYY-MM-DD"));
		return BANKD_EXIT_USAGE;
	}
	snprintf(c.id, sizeof c.id, "%s", id);
	snprintf(c.company, sizeof c.company, "%s", company);
	c.manual_approval = manual_approval;
	snprintf(c.attestation, sizeof c.attestation, "%s", attestation);
	memset(secrets, 0, sizeof secrets);
	rc = read_secrets(secrets_file, secrets) == 0 ? add_checked(dir, &c, secrets) :
	                                                BANKD_EXIT_USAGE;
	OPENSSL_cleanse(secrets, sizeof secrets);
	OPENSSL_cleanse(&c, sizeof c);
	return rc;
}

static int list_one(const bankd_contract *c, void *arg)
{
	char day[64];

	(void)arg;
	bankd_cli_day_format(c->applied_day, day, sizeof day);
	/* TRANSLATORS: contract list, tab-separated: contract ID, company, application date. */
	if (c->failures >= BANKD_SECRET_MAX_TRIES)
		printf(_("%s\t%s\tapplied %s\tlocked"), c->id, c->company, day);
	else
		printf(_("%s\t%s\tapplied %s\topen"), c->id, c->company, day);
	/* TRANSLATORS: contract list's last column: the attestation demand (required, optional,
	 * off: kept as they are, the words of contract add --attestation). */
	printf(_("\tattestation %s\n"), c->attestation);
	return 0;
}

int bankd_contract_list(const char *dir)
{
	bankd_db *db;
	int rc;

	if (bankd_contract_open_db(dir, &db) != 0)
		return BANKD_EXIT_FAIL;
	rc = bankd_db_contract_each(db, list_one, NULL);
	bankd_db_close(db);
	return rc == BANKD_DB_OK ? BANKD_EXIT_OK : BANKD_EXIT_FAIL;
}

static int show_user(const bankd_user *u, void *arg)
{
	int locked;
	char day[64];

	(void)arg;
	locked = u->failures >= BANKD_SECRET_MAX_TRIES;
	if (!u->issued) {
		printf(locked ? _("user %s: not issued, locked\n") :
		                _("user %s: not issued, open\n"),
		       u->user_id);
		return 0;
	}
	bankd_cli_day_format(u->issued_day, day, sizeof day);
	/* TRANSLATORS: user ID (ニ), then the day the admin issued a certificate to the user. */
	printf(locked ? _("user %s: issued %s, locked\n") : _("user %s: issued %s, open\n"),
	       u->user_id, day);
	return 0;
}

/* The database's certificate states (active, superseded, revoked) in the staff's words. */
static const char *cert_status_word(const char *status)
{
	if (strcmp(status, "active") == 0)
		/* TRANSLATORS: a certificate's state in contract show. */
		return _("active");
	if (strcmp(status, "superseded") == 0)
		/* TRANSLATORS: a certificate's state in contract show: replaced by its renewal. */
		return _("superseded");
	if (strcmp(status, "revoked") == 0)
		/* TRANSLATORS: a certificate's state in contract show. */
		return _("revoked");
	return status;
}

static int show_cert(const bankd_cert *c, void *arg)
{
	char from[64], to[64];

	(void)arg;
	bankd_cli_day_format(bankd_rules_day((time_t)c->not_before), from, sizeof from);
	bankd_cli_day_format(bankd_rules_day((time_t)c->not_after), to, sizeof to);
	if (c->user_id[0] != '\0')
		/* TRANSLATORS: serial, user ID, subject, valid from, valid to, state. */
		printf(_("certificate %s: user %s, %s, %s to %s, %s"), c->serial, c->user_id,
		       c->subject, from, to, cert_status_word(c->status));
	else
		/* TRANSLATORS: serial, subject, valid from, valid to, state. */
		printf(_("certificate %s: admin, %s, %s to %s, %s"), c->serial, c->subject, from,
		       to, cert_status_word(c->status));
	if (c->token_serial[0] != '\0')
		/* TRANSLATORS: the serial number of the token whose attestation the bank verified. */
		printf(_(", token %s"), c->token_serial);
	printf("\n");
	return 0;
}

static void show_contract(const bankd_contract *c)
{
	char day[64], last[64];
	bankd_cli_day_format(c->applied_day, day, sizeof day);
	bankd_cli_day_format(bankd_rules_last_day(c->applied_day), last, sizeof last);
	printf(_("contract %s\n"), c->id);
	printf(_("company %s\n"), c->company);
	/* TRANSLATORS: the application date, then the admin's last day to obtain a certificate. */
	printf(_("applied %s (admin certificate until %s)\n"), day, last);
	if (!c->manual_approval)
		printf(_("approval auto\n"));
	else if (c->approved)
		printf(_("approval manual, approved\n"));
	else
		printf(_("approval manual, pending\n"));
	/* TRANSLATORS: required, optional or off, as contract add --attestation takes them. */
	printf(_("attestation %s\n"), c->attestation);
	if (c->failures >= BANKD_SECRET_MAX_TRIES)
		printf(P_("state locked (%d wrong PIN)\n", "state locked (%d wrong PINs)\n",
		          c->failures),
		       c->failures);
	else
		printf(P_("state open (%d wrong PIN)\n", "state open (%d wrong PINs)\n",
		          c->failures),
		       c->failures);
}

int bankd_contract_show(const char *dir, const char *id)
{
	bankd_db *db;
	bankd_contract c;
	int rc;

	if (bankd_contract_open_db(dir, &db) != 0)
		return BANKD_EXIT_FAIL;
	rc = bankd_db_contract_get(db, id, &c);
	if (rc == BANKD_DB_OK) {
		show_contract(&c);
		rc = bankd_db_user_each(db, id, show_user, NULL);
		rc = rc == BANKD_DB_OK ? bankd_db_cert_each(db, id, NULL, show_cert, NULL) : rc;
	}
	OPENSSL_cleanse(&c, sizeof c);
	bankd_db_close(db);
	if (rc == BANKD_DB_NONE)
		bankd_cli_msg_print(_("no contract %s"), id);
	return rc == BANKD_DB_OK   ? BANKD_EXIT_OK :
	       rc == BANKD_DB_NONE ? BANKD_EXIT_NOTFOUND :
	                             BANKD_EXIT_FAIL;
}

/* What unlock did, one whole sentence for each case (the contract's or a user's counter). */
static void unlock_say(const char *id, const char *user_id, int was)
{
	if (user_id == NULL && was >= BANKD_SECRET_MAX_TRIES)
		printf(_("contract %s unlocked: failure counter was %d, now 0\n"), id, was);
	else if (user_id == NULL && was > 0)
		printf(_("contract %s was not locked: failure counter was %d, now 0\n"), id, was);
	else if (user_id == NULL)
		printf(_("contract %s was not locked: failure counter was 0\n"), id);
	else if (was >= BANKD_SECRET_MAX_TRIES)
		/* TRANSLATORS: the user ID (ニ), then the contract ID (A). */
		printf(_("user %s of contract %s unlocked: failure counter was %d, now 0\n"),
		       user_id, id, was);
	else if (was > 0)
		printf(_("user %s of contract %s was not locked: failure counter was %d, now 0\n"),
		       user_id, id, was);
	else
		printf(_("user %s of contract %s was not locked: failure counter was 0\n"), user_id,
		       id);
}

int bankd_contract_unlock(const char *dir, const char *id, const char *user_id)
{
	bankd_db *db;
	const char *uid;
	int was;
	int rc;

	if (bankd_contract_open_db(dir, &db) != 0)
		return BANKD_EXIT_FAIL;
	uid = user_id != NULL ? user_id : "";
	was = 0;
	/* One transaction, so the count reported is the one reset. */
	rc = bankd_db_begin(db) == 0 ? bankd_db_failures_get(db, id, uid, &was) : BANKD_DB_ERR;
	if (rc == BANKD_DB_OK && was != 0)
		rc = bankd_db_failures_reset(db, id, uid) == BANKD_DB_ERR ? BANKD_DB_ERR :
		                                                            BANKD_DB_OK;
	if (rc == BANKD_DB_OK && bankd_db_commit(db) != 0)
		rc = BANKD_DB_ERR;
	if (rc != BANKD_DB_OK)
		bankd_db_rollback(db);
	bankd_db_close(db);
	if (rc == BANKD_DB_NONE && user_id != NULL)
		bankd_cli_msg_print(_("no user %s of contract %s"), user_id, id);
	else if (rc == BANKD_DB_NONE)
		bankd_cli_msg_print(_("no contract %s"), id);
	else if (rc == BANKD_DB_OK)
		unlock_say(id, user_id, was);
	return rc == BANKD_DB_OK   ? BANKD_EXIT_OK :
	       rc == BANKD_DB_NONE ? BANKD_EXIT_NOTFOUND :
	                             BANKD_EXIT_FAIL;
}

int bankd_contract_approve(const char *dir, const char *id)
{
	bankd_db *db;
	int rc;

	if (bankd_contract_open_db(dir, &db) != 0)
		return BANKD_EXIT_FAIL;
	rc = bankd_db_contract_approve(db, id);
	bankd_db_close(db);
	if (rc == BANKD_DB_NONE)
		bankd_cli_msg_print(_("no contract %s"), id);
	else if (rc == BANKD_DB_OK)
		/* TRANSLATORS: the admin's enrollment of a contract added with --approval manual. */
		printf(_("contract %s approved: its admin may obtain the certificate\n"), id);
	return rc == BANKD_DB_OK   ? BANKD_EXIT_OK :
	       rc == BANKD_DB_NONE ? BANKD_EXIT_NOTFOUND :
	                             BANKD_EXIT_FAIL;
}
