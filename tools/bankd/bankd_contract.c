/* contract add / list / show / unlock / approve / revoke. Secrets come from a file or a no-echo
 * prompt, never from argv; the customer card is printed once, at add. */
#include "bankd_contract.h"
#include "bankd_db.h"
#include "bankd_est.h"
#include "bankd_rules.h"
#include "bankd_secret.h"
#include "bankd_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

static const char *const secret_names[3] = { "confirmation_password", "contract_pin",
					     "contract_confirmation_pin" };
/* The manuals' letters: B on the application form, イ and ロ on the contract sheet. */
static const char *const secret_words[3] = { "confirmation password (B)", "contract PIN (イ)",
					     "contract confirmation PIN (ロ)" };
#define PROMPT_ROUNDS 3

int bankd_contract_open_db(const char *dir, struct bankd_db **db)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/bank.db", dir);
	if (access(path, F_OK) != 0) {
		fprintf(stderr, "kinko-bankd: %s: no bank here (run kinko-bankd init)\n", path);
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
	if (f == NULL) {
		fprintf(stderr, "kinko-bankd: %s: cannot open\n", path);
		return -1;
	}
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077) != 0)
		fprintf(stderr, "kinko-bankd: warning: %s can be read by group or others (mode %04o); "
			"chmod 600 %s\n", path, (unsigned)(st.st_mode & 07777), path);
	char line[256];
	int seen = 0, ok = 1;
	while (ok && fgets(line, sizeof line, f) != NULL) {
		chomp(line);
		if (line[0] == '\0' || line[0] == '#')
			continue;
		char *eq = strchr(line, '=');
		int k = -1;
		for (int i = 0; eq != NULL && i < 3; i++)
			if ((size_t)(eq - line) == strlen(secret_names[i]) &&
			    strncmp(line, secret_names[i], (size_t)(eq - line)) == 0)
				k = i;
		if (k < 0 || strlen(eq + 1) > BANKD_SECRET_MAX_LEN) {
			fprintf(stderr, "kinko-bankd: %s: a line is not one of confirmation_password=, "
				"contract_pin=, contract_confirmation_pin= (or is too long)\n", path);
			ok = 0;
		} else {
			snprintf(secrets[k], BANKD_SECRET_MAX_LEN + 2, "%s", eq + 1);
			seen |= 1 << k;
		}
	}
	OPENSSL_cleanse(line, sizeof line);
	fclose(f);
	if (ok && seen != 7) {
		fprintf(stderr, "kinko-bankd: %s: needs confirmation_password=, contract_pin= and "
			"contract_confirmation_pin=\n", path);
		ok = 0;
	}
	return ok ? 0 : -1;
}

static int prompt_secret(const char *prompt, char *out, size_t len)
{
	FILE *tty = fopen("/dev/tty", "r+");
	if (tty == NULL)
		return -1;
	struct termios old, quiet;
	int fd = fileno(tty);
	int ok = tcgetattr(fd, &old) == 0;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	ok = ok && tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
	if (ok) {
		fputs(prompt, tty);
		fflush(tty);
		ok = fgets(out, (int)len, tty) != NULL;
		tcsetattr(fd, TCSAFLUSH, &old);
		fputs("\n", tty);
	}
	fclose(tty);
	if (ok)
		chomp(out);
	return ok ? 0 : -1;
}

/* A typo in a secret nobody sees would lock the customer out: each is typed twice. */
static int prompt_twice(const char *what, char *out, size_t len)
{
	char again[BANKD_SECRET_MAX_LEN + 2], p1[128], p2[128];
	snprintf(p1, sizeof p1, "Enter the %s: ", what);
	snprintf(p2, sizeof p2, "Enter the %s again: ", what);
	int rc = -1;
	for (int round = 1; round <= PROMPT_ROUNDS && rc != 0; round++) {
		if (prompt_secret(p1, out, len) != 0 || prompt_secret(p2, again, sizeof again) != 0)
			break;
		if (strcmp(out, again) == 0 && bankd_secret_acceptable(out))
			rc = 0;
		else if (strcmp(out, again) == 0)
			fprintf(stderr, "kinko-bankd: the %s must be %d-%d printable ASCII characters%s\n",
				what, BANKD_SECRET_MIN_LEN, BANKD_SECRET_MAX_LEN,
				round < PROMPT_ROUNDS ? "; try again" : "");
		else if (round < PROMPT_ROUNDS)
			fprintf(stderr, "kinko-bankd: the two entries of the %s do not match; try again\n",
				what);
		else
			fprintf(stderr, "kinko-bankd: the two entries of the %s do not match (%d tries); "
				"nothing was added\n", what, PROMPT_ROUNDS);
	}
	OPENSSL_cleanse(again, sizeof again);
	if (rc != 0)
		OPENSSL_cleanse(out, len);
	return rc;
}

static int read_secrets(const char *file, char secrets[3][BANKD_SECRET_MAX_LEN + 2])
{
	if (file != NULL)
		return read_secrets_file(file, secrets);
	if (!isatty(STDIN_FILENO)) {
		fprintf(stderr, "kinko-bankd: give --secrets-file F, or run on a terminal to be asked\n");
		return -1;
	}
	for (int i = 0; i < 3; i++)
		if (prompt_twice(secret_words[i], secrets[i], BANKD_SECRET_MAX_LEN + 2) != 0)
			return -1;
	return 0;
}

static int make_card(char card[BANKD_CARD_LEN + 1])
{
	uint8_t b[128];
	size_t k = 0;
	while (k < BANKD_CARD_LEN) {
		if (RAND_bytes(b, sizeof b) != 1)
			return -1;
		/* Rejection sampling: 250 is a multiple of 10, so each digit is uniform. */
		for (size_t i = 0; i < sizeof b && k < BANKD_CARD_LEN; i++)
			if (b[i] < 250)
				card[k++] = (char)('0' + b[i] % 10);
	}
	card[k] = '\0';
	OPENSSL_cleanse(b, sizeof b);
	return 0;
}

static void print_card(const struct bankd_contract *c)
{
	printf("Customer card of contract %s (%s). It is shown only now: print it and hand it over.\n",
	       c->id, c->company);
	printf("   ");
	for (int col = 0; col < BANKD_CARD_COLS; col++)
		printf(" %d", col);
	printf("\n");
	for (int row = 0; row < BANKD_CARD_ROWS; row++) {
		printf("  %c", 'A' + row);
		for (int col = 0; col < BANKD_CARD_COLS; col++)
			printf(" %c", c->card[row * BANKD_CARD_COLS + col]);
		printf("\n");
	}
}

/* Added anyway (the bank may have its reasons), but the admin can no longer enroll. */
static void warn_window(const struct bankd_contract *c)
{
	if (bankd_rules_admin_window(c->applied_day, bankd_rules_day(bankd_now())) !=
	    BANKD_RULE_WINDOW_OVER)
		return;
	char applied[16], closed[16];
	bankd_rules_day_format(c->applied_day, applied, sizeof applied);
	bankd_rules_day_format(bankd_rules_last_day(c->applied_day) + 1, closed, sizeof closed);
	fprintf(stderr, "kinko-bankd: warning: contract %s was added, but its admin window has closed: "
		"the admin certificate can no longer be obtained since %s (day 81 after the application "
		"date %s)\n", c->id, closed, applied);
}

static int add_checked(const char *dir, struct bankd_contract *c, char secrets[3][BANKD_SECRET_MAX_LEN + 2])
{
	for (int i = 0; i < 3; i++)
		if (!bankd_secret_acceptable(secrets[i])) {
			fprintf(stderr, "kinko-bankd: %s must be %d-%d printable ASCII characters\n",
				secret_names[i], BANKD_SECRET_MIN_LEN, BANKD_SECRET_MAX_LEN);
			return BANKD_EXIT_USAGE;
		}
	const struct bankd_secret_cost *cost = &bankd_secret_default_cost;
	if (bankd_secret_hash(secrets[0], cost, c->conf_password) != 0 ||
	    bankd_secret_hash(secrets[1], cost, c->pin) != 0 ||
	    bankd_secret_hash(secrets[2], cost, c->conf_pin) != 0 || make_card(c->card) != 0)
		return BANKD_EXIT_FAIL;
	struct bankd_db *db;
	if (bankd_contract_open_db(dir, &db) != 0)
		return BANKD_EXIT_FAIL;
	int rc = bankd_db_contract_add(db, c);
	bankd_db_close(db);
	if (rc == BANKD_DB_NONE) {
		fprintf(stderr, "kinko-bankd: contract %s already exists\n", c->id);
		return BANKD_EXIT_EXISTS;
	}
	if (rc != BANKD_DB_OK)
		return BANKD_EXIT_FAIL;
	print_card(c);
	warn_window(c);
	return BANKD_EXIT_OK;
}

int bankd_contract_add(const char *dir, const char *company, const char *id, const char *applied,
		       const char *secrets_file, int manual_approval)
{
	struct bankd_contract c;
	memset(&c, 0, sizeof c);
	if (!bankd_rules_contract_id_ok(id) || !bankd_rules_name_ok(company) ||
	    bankd_rules_day_parse(applied, &c.applied_day) != 0) {
		fprintf(stderr, "kinko-bankd: contract add needs --contract-id (1-20 digits), --company "
			"(1-200 bytes) and --applied YYYY-MM-DD\n");
		return BANKD_EXIT_USAGE;
	}
	snprintf(c.id, sizeof c.id, "%s", id);
	snprintf(c.company, sizeof c.company, "%s", company);
	c.manual_approval = manual_approval;
	char secrets[3][BANKD_SECRET_MAX_LEN + 2];
	memset(secrets, 0, sizeof secrets);
	int rc = read_secrets(secrets_file, secrets) == 0 ? add_checked(dir, &c, secrets)
							    : BANKD_EXIT_USAGE;
	OPENSSL_cleanse(secrets, sizeof secrets);
	OPENSSL_cleanse(&c, sizeof c);
	return rc;
}

static int list_one(const struct bankd_contract *c, void *arg)
{
	(void)arg;
	char day[16];
	bankd_rules_day_format(c->applied_day, day, sizeof day);
	printf("%s\t%s\tapplied %s\t%s\n", c->id, c->company, day,
	       c->failures >= BANKD_SECRET_MAX_TRIES ? "locked" : "open");
	return 0;
}

int bankd_contract_list(const char *dir)
{
	struct bankd_db *db;
	if (bankd_contract_open_db(dir, &db) != 0)
		return BANKD_EXIT_FAIL;
	int rc = bankd_db_contract_each(db, list_one, NULL);
	bankd_db_close(db);
	return rc == BANKD_DB_OK ? BANKD_EXIT_OK : BANKD_EXIT_FAIL;
}

static int show_user(const struct bankd_user *u, void *arg)
{
	(void)arg;
	char day[16] = "not issued";
	if (u->issued)
		bankd_rules_day_format(u->issued_day, day, sizeof day);
	printf("user %s: issued %s, %s\n", u->user_id, day,
	       u->failures >= BANKD_SECRET_MAX_TRIES ? "locked" : "open");
	return 0;
}

static int show_cert(const struct bankd_cert *c, void *arg)
{
	(void)arg;
	char from[16], to[16];
	bankd_rules_day_format(bankd_rules_day((time_t)c->not_before), from, sizeof from);
	bankd_rules_day_format(bankd_rules_day((time_t)c->not_after), to, sizeof to);
	printf("certificate %s: %s, %s, %s to %s, %s\n", c->serial,
	       c->user_id[0] ? c->user_id : "admin", c->subject, from, to, c->status);
	return 0;
}

int bankd_contract_show(const char *dir, const char *id)
{
	struct bankd_db *db;
	if (bankd_contract_open_db(dir, &db) != 0)
		return BANKD_EXIT_FAIL;
	struct bankd_contract c;
	int rc = bankd_db_contract_get(db, id, &c);
	if (rc == BANKD_DB_OK) {
		char day[16], last[16];
		bankd_rules_day_format(c.applied_day, day, sizeof day);
		bankd_rules_day_format(bankd_rules_last_day(c.applied_day), last, sizeof last);
		printf("contract %s\ncompany %s\napplied %s (admin certificate until %s)\n"
		       "approval %s%s\nstate %s (%d wrong PINs)\n", c.id, c.company, day, last,
		       c.manual_approval ? "manual" : "auto",
		       c.manual_approval ? (c.approved ? ", approved" : ", pending") : "",
		       c.failures >= BANKD_SECRET_MAX_TRIES ? "locked" : "open", c.failures);
		rc = bankd_db_user_each(db, id, show_user, NULL);
		rc = rc == BANKD_DB_OK ? bankd_db_cert_each(db, id, NULL, show_cert, NULL) : rc;
	}
	OPENSSL_cleanse(&c, sizeof c);
	bankd_db_close(db);
	if (rc == BANKD_DB_NONE)
		fprintf(stderr, "kinko-bankd: no contract %s\n", id);
	return rc == BANKD_DB_OK ? BANKD_EXIT_OK : rc == BANKD_DB_NONE ? BANKD_EXIT_NOTFOUND
								       : BANKD_EXIT_FAIL;
}

int bankd_contract_unlock(const char *dir, const char *id, const char *user_id)
{
	struct bankd_db *db;
	if (bankd_contract_open_db(dir, &db) != 0)
		return BANKD_EXIT_FAIL;
	const char *uid = user_id != NULL ? user_id : "";
	int was = 0;
	/* One transaction, so the count reported is the one reset. */
	int rc = bankd_db_begin(db) == 0 ? bankd_db_failures_get(db, id, uid, &was) : BANKD_DB_ERR;
	if (rc == BANKD_DB_OK && was != 0)
		rc = bankd_db_failures_reset(db, id, uid) == BANKD_DB_ERR ? BANKD_DB_ERR : BANKD_DB_OK;
	if (rc == BANKD_DB_OK && bankd_db_commit(db) != 0)
		rc = BANKD_DB_ERR;
	if (rc != BANKD_DB_OK)
		bankd_db_rollback(db);
	bankd_db_close(db);
	char who[2 * BANKD_ID_MAX + 32];
	if (user_id != NULL)
		snprintf(who, sizeof who, "user %s of contract %s", user_id, id);
	else
		snprintf(who, sizeof who, "contract %s", id);
	if (rc == BANKD_DB_NONE)
		fprintf(stderr, "kinko-bankd: no %s\n", who);
	else if (rc == BANKD_DB_OK && was >= BANKD_SECRET_MAX_TRIES)
		printf("%s unlocked: failure counter was %d, now 0\n", who, was);
	else if (rc == BANKD_DB_OK && was > 0)
		printf("%s was not locked: failure counter was %d, now 0\n", who, was);
	else if (rc == BANKD_DB_OK)
		printf("%s was not locked: failure counter was 0\n", who);
	return rc == BANKD_DB_OK ? BANKD_EXIT_OK : rc == BANKD_DB_NONE ? BANKD_EXIT_NOTFOUND
								       : BANKD_EXIT_FAIL;
}

int bankd_contract_approve(const char *dir, const char *id)
{
	struct bankd_db *db;
	if (bankd_contract_open_db(dir, &db) != 0)
		return BANKD_EXIT_FAIL;
	int rc = bankd_db_contract_approve(db, id);
	bankd_db_close(db);
	if (rc == BANKD_DB_NONE)
		fprintf(stderr, "kinko-bankd: no contract %s\n", id);
	return rc == BANKD_DB_OK ? BANKD_EXIT_OK : rc == BANKD_DB_NONE ? BANKD_EXIT_NOTFOUND
								       : BANKD_EXIT_FAIL;
}

/* The CRL reasons staff may give (RFC 5280, 5.3.1). */
static const struct {
	const char *name;
	int code;
} crl_reasons[] = {
	{ "unspecified", 0 },
	{ "keyCompromise", 1 },
	{ "superseded", 4 },
	{ "cessationOfOperation", 5 },
};
/* Staff revoke a certificate that cannot be used (stuck) with no suspicion on its key: the
 * certificate is "no longer needed for the purpose for which it was issued". */
#define DEFAULT_REASON "cessationOfOperation"

static int reason_code(const char *name)
{
	for (size_t i = 0; i < sizeof crl_reasons / sizeof crl_reasons[0]; i++)
		if (strcmp(name, crl_reasons[i].name) == 0)
			return crl_reasons[i].code;
	return -1;
}

struct revoke_out {
	const char *who;
	const char *reason;
};

static void print_revoked(const struct bankd_cert *c, void *arg)
{
	const struct revoke_out *o = arg;
	printf("revoked certificate %s of %s (CRL reason %s)\n", c->serial, o->who, o->reason);
}

/* Whether and until when the holder may enroll again: the 80-day rules still apply. */
static void print_window(const struct bankd_contract *c, const struct bankd_user *u, int64_t today)
{
	char start[16], last[16];
	int64_t start_day = u != NULL ? u->issued_day : c->applied_day;
	enum bankd_rule rule = u != NULL ? bankd_rules_user_window(u->issued, u->issued_day, today)
					 : bankd_rules_admin_window(c->applied_day, today);
	bankd_rules_day_format(start_day, start, sizeof start);
	bankd_rules_day_format(bankd_rules_last_day(start_day), last, sizeof last);
	char holder[BANKD_ID_MAX + 16] = "the admin";
	if (u != NULL)
		snprintf(holder, sizeof holder, "user %s", u->user_id);
	const char *from = u != NULL ? "the admin's issuance on" : "the application date";
	switch (rule) {
	case BANKD_RULE_OK:
	case BANKD_RULE_NOT_YET:
		printf("%s may enroll again until %s (day 80 after %s %s)\n", holder, last, from, start);
		break;
	case BANKD_RULE_WINDOW_OVER:
		printf("%s cannot enroll again: the 80-day window after %s %s ended on %s%s\n", holder,
		       from, start, last, u != NULL ? "; the admin may issue to the user again" : "");
		break;
	case BANKD_RULE_NOT_ISSUED:
		printf("%s cannot enroll again until the admin issues a certificate to the user\n", holder);
		break;
	}
}

static int revoke_in(struct bankd_db *db, const char *dir, const struct bankd_contract *c,
		     const struct bankd_user *u, const char *reason)
{
	char who[256];
	if (u != NULL)
		snprintf(who, sizeof who, "user %s of contract %s", u->user_id, c->id);
	else
		snprintf(who, sizeof who, "the admin of contract %s", c->id);
	struct bankd_server srv;
	memset(&srv, 0, sizeof srv);
	srv.db = db;
	if (bankd_ca_load(dir, &srv.ca) != 0)
		return BANKD_EXIT_FAIL;
	time_t now = bankd_now();
	struct revoke_out o = { who, reason };
	int n = bankd_est_revoke_id(&srv, c->id, u != NULL ? u->user_id : "", reason_code(reason), now,
				    print_revoked, &o);
	bankd_ca_free(&srv.ca);
	if (n < 0) {
		fprintf(stderr, "kinko-bankd: %s: the database could not be updated; nothing was revoked\n",
			who);
		return BANKD_EXIT_FAIL;
	}
	if (n == 0) {
		fprintf(stderr, "kinko-bankd: %s has no valid certificate to revoke\n", who);
		return BANKD_EXIT_NOTFOUND;
	}
	if (u != NULL)
		printf("ended user %s's sessions and published a new CRL\n", u->user_id);
	else
		printf("ended the admin's sessions and published a new CRL\n");
	print_window(c, u, bankd_rules_day(now));
	return BANKD_EXIT_OK;
}

int bankd_contract_revoke(const char *dir, const char *id, const char *user_id, const char *reason)
{
	if (reason == NULL)
		reason = DEFAULT_REASON;
	if (reason_code(reason) < 0) {
		fprintf(stderr, "kinko-bankd: --reason is keyCompromise, superseded, cessationOfOperation "
			"or unspecified\n");
		return BANKD_EXIT_USAGE;
	}
	if (!bankd_rules_contract_id_ok(id) || (user_id != NULL && !bankd_rules_user_id_ok(user_id))) {
		fprintf(stderr, "kinko-bankd: --contract-id is 1-20 digits; --user-id 1-32 of "
			"A-Z a-z 0-9 . _ -\n");
		return BANKD_EXIT_USAGE;
	}
	if (bankd_now_check() != 0) {
		fprintf(stderr, "kinko-bankd: KINKO_BANKD_NOW must be epoch seconds or YYYY-MM-DD\n");
		return BANKD_EXIT_USAGE;
	}
	struct bankd_db *db;
	if (bankd_contract_open_db(dir, &db) != 0)
		return BANKD_EXIT_FAIL;
	struct bankd_contract c;
	struct bankd_user u;
	memset(&u, 0, sizeof u);
	int rc = bankd_db_contract_get(db, id, &c);
	if (rc == BANKD_DB_NONE)
		fprintf(stderr, "kinko-bankd: no contract %s\n", id);
	if (rc == BANKD_DB_OK && user_id != NULL) {
		rc = bankd_db_user_get(db, id, user_id, &u);
		if (rc == BANKD_DB_NONE)
			fprintf(stderr, "kinko-bankd: no user %s in contract %s\n", user_id, id);
	}
	int ret = rc == BANKD_DB_NONE ? BANKD_EXIT_NOTFOUND : BANKD_EXIT_FAIL;
	if (rc == BANKD_DB_OK)
		ret = revoke_in(db, dir, &c, user_id != NULL ? &u : NULL, reason);
	OPENSSL_cleanse(&c, sizeof c);
	OPENSSL_cleanse(&u, sizeof u);
	bankd_db_close(db);
	return ret;
}
