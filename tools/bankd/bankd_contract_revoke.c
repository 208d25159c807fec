/* contract revoke: the staff revoke the valid certificates of a contract's admin or of one
 * user (a certificate its holder cannot use), publish the CRL, end the holder's sessions and
 * say whether the holder may enroll again. Every sentence comes in an admin and a user form, so
 * a translation never assembles one from pieces. */
#include "bankd_ca.h"
#include "bankd_cli.h"
#include "bankd_contract.h"
#include "bankd_db.h"
#include "bankd_est.h"
#include "bankd_rules.h"
#include "bankd_util.h"
#include "i18n.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

/* The CRL reasons staff may give (RFC 5280, 5.3.1). */
static const struct {
	const char *name;
	int code;
} crl_reasons[] = {
	{"unspecified", 0},
	{"keyCompromise", 1},
	{"superseded", 4},
	{"cessationOfOperation", 5},
};
/* Staff revoke a certificate that cannot be used (stuck) with no suspicion on its key: the
 * certificate is "no longer needed for the purpose for which it was issued". */
#define DEFAULT_REASON "cessationOfOperation"

static int reason_code(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof crl_reasons / sizeof crl_reasons[0]; i++)
		if (strcmp(name, crl_reasons[i].name) == 0)
			return crl_reasons[i].code;
	return -1;
}

typedef struct revoke_out {
	const bankd_contract *c;
	const bankd_user *u; /* NULL: the admin */
	const char *reason;
} revoke_out;

static void print_revoked(const bankd_cert *cert, void *arg)
{
	const revoke_out *o = arg;
	if (o->u != NULL)
		/* TRANSLATORS: serial, user ID (ニ), contract ID (A), RFC 5280 reason name. */
		printf(_("revoked certificate %s of user %s of contract %s (CRL reason %s)\n"),
		       cert->serial, o->u->user_id, o->c->id, o->reason);
	else
		/* TRANSLATORS: serial, contract ID (A), RFC 5280 reason name. */
		printf(_("revoked certificate %s of the admin of contract %s (CRL reason %s)\n"),
		       cert->serial, o->c->id, o->reason);
}

/* Whether and until when the admin may enroll again: the 80-day rule still applies. */
static void print_admin_window(const bankd_contract *c, int64_t today)
{
	char start[64], last[64];
	bankd_cli_day_format(c->applied_day, start, sizeof start);
	bankd_cli_day_format(bankd_rules_last_day(c->applied_day), last, sizeof last);
	if (bankd_rules_admin_window(c->applied_day, today) == BANKD_RULE_WINDOW_OVER)
		/* TRANSLATORS: the application date, then the window's last day. */
		printf(_("the admin cannot enroll again: the 80-day window after the application date "
		         "%s ended on %s\n"),
		       start, last);
	else
		/* TRANSLATORS: the window's last day, then the application date. */
		printf(_("the admin may enroll again until %s (day 80 after the application date %s)\n"),
		       last, start);
}

/* The same for a user, whose window starts with the admin's issuance. */
static void print_user_window(const bankd_user *u, int64_t today)
{
	char start[64], last[64];
	bankd_cli_day_format(u->issued_day, start, sizeof start);
	bankd_cli_day_format(bankd_rules_last_day(u->issued_day), last, sizeof last);
	switch (bankd_rules_user_window(u->issued, u->issued_day, today)) {
	case BANKD_RULE_OK:
	case BANKD_RULE_NOT_YET:
		/* TRANSLATORS: user ID (ニ), the window's last day, the admin's issuance day. */
		printf(_("user %s may enroll again until %s (day 80 after the admin's issuance on %s)\n"),
		       u->user_id, last, start);
		break;
	case BANKD_RULE_WINDOW_OVER:
		/* TRANSLATORS: user ID (ニ), the admin's issuance day, the window's last day. */
		printf(_("user %s cannot enroll again: the 80-day window after the admin's issuance on "
		         "%s ended on %s; the admin may issue to the user again\n"),
		       u->user_id, start, last);
		break;
	case BANKD_RULE_NOT_ISSUED:
		printf(_("user %s cannot enroll again until the admin issues a certificate to the user\n"),
		       u->user_id);
		break;
	}
}

static int revoke_in(bankd_db *db, const char *dir, const bankd_contract *c, const bankd_user *u,
                     const char *reason)
{
	bankd_server srv;
	revoke_out o;
	time_t now;
	int n;

	memset(&srv, 0, sizeof srv);
	srv.db = db;
	if (bankd_ca_load(dir, &srv.ca) != 0)
		return BANKD_EXIT_FAIL;
	now = bankd_now();
	o = (revoke_out){c, u, reason};
	n = bankd_est_revoke_id(&srv, c->id, u != NULL ? u->user_id : "", reason_code(reason), now,
	                        print_revoked, &o);
	bankd_ca_free(&srv.ca);
	if (n < 0 && u != NULL)
		bankd_cli_msg_print(_("user %s of contract %s: the database could not be updated; "
		                      "nothing was revoked"),
		                    u->user_id, c->id);
	else if (n < 0)
		bankd_cli_msg_print(
			_("the admin of contract %s: the database could not be updated; "
		          "nothing was revoked"),
			c->id);
	else if (n == 0 && u != NULL)
		bankd_cli_msg_print(_("user %s of contract %s has no valid certificate to revoke"),
		                    u->user_id, c->id);
	else if (n == 0)
		bankd_cli_msg_print(
			_("the admin of contract %s has no valid certificate to revoke"), c->id);
	if (n <= 0)
		return n < 0 ? BANKD_EXIT_FAIL : BANKD_EXIT_NOTFOUND;
	if (u != NULL) {
		printf(_("ended user %s's sessions and published a new CRL\n"), u->user_id);
		print_user_window(u, bankd_rules_day(now));
	} else {
		printf(_("ended the admin's sessions and published a new CRL\n"));
		print_admin_window(c, bankd_rules_day(now));
	}
	return BANKD_EXIT_OK;
}

int bankd_contract_revoke(const char *dir, const char *id, const char *user_id, const char *reason)
{
	bankd_db *db;
	bankd_contract c;
	bankd_user u;
	int rc;
	int ret;

	if (reason == NULL)
		reason = DEFAULT_REASON;
	if (reason_code(reason) < 0) {
		bankd_cli_msg_print(_("--reason is keyCompromise, superseded, cessationOfOperation "
		                      "or unspecified"));
		return BANKD_EXIT_USAGE;
	}
	if (!bankd_rules_contract_id_ok(id) ||
	    (user_id != NULL && !bankd_rules_user_id_ok(user_id))) {
		bankd_cli_msg_print(_("--contract-id is 1-20 digits; --user-id 1-32 of "
		                      "A-Z a-z 0-9 . _ -"));
		return BANKD_EXIT_USAGE;
	}
	if (bankd_now_check() != 0) {
		bankd_cli_msg_print(_("KINKO_BANKD_NOW must be epoch seconds or YYYY-MM-DD"));
		return BANKD_EXIT_USAGE;
	}
	if (bankd_contract_open_db(dir, &db) != 0)
		return BANKD_EXIT_FAIL;
	memset(&u, 0, sizeof u);
	rc = bankd_db_contract_get(db, id, &c);
	if (rc == BANKD_DB_NONE)
		bankd_cli_msg_print(_("no contract %s"), id);
	if (rc == BANKD_DB_OK && user_id != NULL) {
		rc = bankd_db_user_get(db, id, user_id, &u);
		if (rc == BANKD_DB_NONE)
			bankd_cli_msg_print(_("no user %s in contract %s"), user_id, id);
	}
	ret = rc == BANKD_DB_NONE ? BANKD_EXIT_NOTFOUND : BANKD_EXIT_FAIL;
	if (rc == BANKD_DB_OK)
		ret = revoke_in(db, dir, &c, user_id != NULL ? &u : NULL, reason);
	OPENSSL_cleanse(&c, sizeof c);
	OPENSSL_cleanse(&u, sizeof u);
	bankd_db_close(db);
	return ret;
}
