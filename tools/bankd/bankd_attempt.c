/* Lockout counters in SQLite transactions, and the answers naming the wrong secret. */
#include "bankd_attempt.h"
#include "i18n.h"

#include <stdio.h>
#include <string.h>

static const struct {
	unsigned bit;
	const char *name;  /* on the wire */
	const char *words; /* in sentences, the manuals' terms */
} secrets[] = {
	{BANKD_WRONG_CONTRACT_PIN, "contract_pin", N_("contract PIN (イ)")},
	{BANKD_WRONG_CONTRACT_CONF, "contract_confirmation_pin",
         N_("contract confirmation PIN (ロ)")},
	{BANKD_WRONG_USER_PIN, "user_pin", N_("user PIN (ト)")},
	{BANKD_WRONG_USER_CONF, "user_confirmation_pin", N_("user confirmation PIN (チ)")},
	{BANKD_WRONG_CARD, "card_digits", N_("card digits")},
};
#define N_SECRETS (sizeof secrets / sizeof secrets[0])

/* The lock sentences, BANKD_*_LOCKED_MSG, marked here for xgettext (it does not look into
 * macros); test_bank_attempt pins that the two stay the same text. */
static const char *locked_sentence(int is_user)
{
	return is_user ?
	               N_("user locked after 5 wrong PINs; the admin must register the user's PINs "
	                  "again or the bank must unlock it") :
	               N_("contract locked after 5 wrong PINs; the bank must unlock it");
}

bankd_attempt_state bankd_attempt_begin(bankd_attempt *a, bankd_db *db, const char *contract_id,
                                        const char *user_id)
{
	int n;

	memset(a, 0, sizeof *a);
	a->db = db;
	snprintf(a->contract_id, sizeof a->contract_id, "%s", contract_id);
	snprintf(a->user_id, sizeof a->user_id, "%s", user_id);
	/* IMMEDIATE takes the write lock before the read: two servers sharing the directory cannot
	 * both read the same count. */
	if (bankd_db_begin(db) != 0)
		return BANKD_ATTEMPT_ERROR;
	n = 0;
	if (bankd_db_failures_get(db, a->contract_id, a->user_id, &n) != BANKD_DB_OK)
		goto fail;
	if (n >= BANKD_SECRET_MAX_TRIES) {
		bankd_db_rollback(db);
		a->failures = n;
		return BANKD_ATTEMPT_LOCKED;
	}
	if (bankd_db_failures_add(db, a->contract_id, a->user_id, 1) != BANKD_DB_OK ||
	    bankd_db_commit(db) != 0)
		goto fail;
	a->failures = n + 1;
	return BANKD_ATTEMPT_GO;
fail:
	bankd_db_rollback(db);
	return BANKD_ATTEMPT_ERROR;
}

int bankd_attempt_end(bankd_attempt *a, bankd_attempt_outcome o)
{
	int rc;

	if (o == BANKD_ATTEMPT_WRONG)
		return 0;
	if (bankd_db_begin(a->db) != 0)
		return -1;
	/* A partial step takes back only its own increment (in SQL, not a value read earlier), so
	 * wrong answers counted meanwhile, here or by another server, stay counted. */
	rc = o == BANKD_ATTEMPT_COMPLETE ?
	             bankd_db_failures_reset(a->db, a->contract_id, a->user_id) :
	             bankd_db_failures_add(a->db, a->contract_id, a->user_id, -1);
	if (rc == BANKD_DB_ERR || bankd_db_commit(a->db) != 0) {
		bankd_db_rollback(a->db);
		return -1;
	}
	return 0;
}

int bankd_wrong_tries_left(const bankd_wrong *w)
{
	int left = BANKD_SECRET_MAX_TRIES - w->failures;
	return left > 0 ? left : 0;
}

void bankd_wrong_names(unsigned mask, char *buf, size_t len)
{
	size_t o = 0;
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < N_SECRETS; i++)
		if ((mask & secrets[i].bit) != 0 && o < len)
			o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? "," : "",
			                      secrets[i].name);
}

void bankd_wrong_sentence(const bankd_wrong *w, char *buf, size_t len)
{
	/* One secret, or two (an enrollment's PIN and confirmation PIN). */
	const char *names[2] = {"", ""};
	size_t k = 0;
	size_t i;
	char what[256];
	int left;

	for (i = 0; i < N_SECRETS && k < 2; i++)
		if ((w->secrets & secrets[i].bit) != 0)
			names[k++] = _(secrets[i].words);
	if (k == 2)
		/* TRANSLATORS: two of the bank's secrets, e.g. "contract PIN (イ) and contract
		 * confirmation PIN (ロ)". */
		snprintf(what, sizeof what, _("%s and %s"), names[0], names[1]);
	else
		snprintf(what, sizeof what, "%s", names[0]);
	left = bankd_wrong_tries_left(w);
	if (left == 0)
		/* TRANSLATORS: the first %s names the wrong secret(s), the second is the sentence
		 * saying that the contract (or user) is now locked. */
		snprintf(buf, len, _("wrong %s; %s"), what, _(locked_sentence(w->is_user)));
	else if (w->secrets == BANKD_WRONG_CARD)
		snprintf(buf, len,
		         P_("wrong %s; log on again (%d try left)",
		            "wrong %s; log on again (%d tries left)", left),
		         what, left);
	else
		snprintf(buf, len, P_("wrong %s; %d try left", "wrong %s; %d tries left", left),
		         what, left);
}

/* The sentence in English, for the JSON answers' stable "error". */
static void sentence_en(const bankd_wrong *w, char *buf, size_t len)
{
	locale_t old = bankd_lang_enter(BANKD_LANG_EN);
	bankd_wrong_sentence(w, buf, len);
	bankd_lang_leave(old);
}

void bankd_wrong_reply_json(bankd_req *r, const bankd_wrong *w)
{
	char en[640], msg[640], names[128];
	int left;
	json_t *j;

	sentence_en(w, en, sizeof en);
	bankd_wrong_sentence(w, msg, sizeof msg);
	bankd_wrong_names(w->secrets, names, sizeof names);
	left = bankd_wrong_tries_left(w);
	j = json_pack("{s:s,s:s,s:s,s:i}", "error", en, "message", msg, "secret", names,
	              "tries_left", left);
	if (j != NULL && left == 0 && json_object_set_new(j, "locked", json_true()) != 0) {
		json_decref(j);
		j = NULL;
	}
	bankd_http_json(r, left == 0 ? 403 : 401, j);
}

static void locked_header(bankd_req *r, int is_user)
{
	bankd_http_add_header(r, "Kinko-Locked", is_user ? "user" : "contract");
}

void bankd_wrong_reply_est(bankd_req *r, const bankd_wrong *w)
{
	char msg[640], names[128], left[16];
	bankd_wrong_sentence(w, msg, sizeof msg);
	bankd_wrong_names(w->secrets, names, sizeof names);
	snprintf(left, sizeof left, "%d", bankd_wrong_tries_left(w));
	bankd_http_add_header(r, "Kinko-Wrong-Secret", names);
	bankd_http_add_header(r, "Kinko-Tries-Left", left);
	if (bankd_wrong_tries_left(w) == 0) {
		locked_header(r, w->is_user);
		bankd_http_text(r, 403, msg);
		return;
	}
	bankd_http_add_header(r, "WWW-Authenticate", "Basic realm=\"kinko-bankd\"");
	bankd_http_text(r, 401, msg);
}

void bankd_locked_reply_json(bankd_req *r, int is_user)
{
	const char *en = locked_sentence(is_user);
	bankd_http_json(r, 403,
	                json_pack("{s:s,s:s,s:b}", "error", en, "message", _(en), "locked", 1));
}

void bankd_locked_reply_est(bankd_req *r, int is_user)
{
	locked_header(r, is_user);
	bankd_http_text(r, 403, locked_sentence(is_user));
}
