/* The 80-day windows and the key policy. No I/O: the callers bring "today". */
#include "bankd_rules.h"
#include "i18n.h"

#include <stdio.h>
#include <string.h>

/* Days from civil date (proleptic Gregorian), Howard Hinnant's well-known algorithm. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe;
	unsigned doy;
	unsigned doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe;
	unsigned yoe;
	unsigned doy;
	unsigned mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

int64_t bankd_rules_day(time_t t)
{
	int64_t s = (int64_t)t;
	return s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
}

int bankd_rules_day_parse(const char *s, int64_t *day)
{
	int i;
	int64_t y;
	unsigned m;
	unsigned d;
	int64_t z;
	int64_t y2;
	unsigned m2, d2;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -1;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	m = (unsigned)((s[5] - '0') * 10 + (s[6] - '0'));
	d = (unsigned)((s[8] - '0') * 10 + (s[9] - '0'));
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	/* Reject 2026-02-30 and friends: the date must survive the round trip. */
	z = days_from_civil(y, m, d);
	civil_from_days(z, &y2, &m2, &d2);
	if (y2 != y || m2 != m || d2 != d)
		return -1;
	*day = z;
	return 0;
}

void bankd_rules_day_format(int64_t day, char *buf, size_t len)
{
	int64_t y;
	unsigned m, d;
	civil_from_days(day, &y, &m, &d);
	snprintf(buf, len, "%04lld-%02u-%02u", (long long)y, m, d);
}

int64_t bankd_rules_last_day(int64_t start_day)
{
	return start_day + BANKD_WINDOW_DAYS - 1;
}

static bankd_rule window(int64_t start, int64_t today)
{
	if (today < start)
		return BANKD_RULE_NOT_YET;
	if (today > bankd_rules_last_day(start))
		return BANKD_RULE_WINDOW_OVER;
	return BANKD_RULE_OK;
}

bankd_rule bankd_rules_admin_window(int64_t applied_day, int64_t today)
{
	return window(applied_day, today);
}

bankd_rule bankd_rules_user_window(bool issued, int64_t issued_day, int64_t today)
{
	if (!issued)
		return BANKD_RULE_NOT_ISSUED;
	return window(issued_day, today);
}

void bankd_rules_explain(bankd_rule r, bool admin, int64_t start_day, char *buf, size_t len)
{
	char start[16], last[16];
	bankd_rules_day_format(start_day, start, sizeof start);
	bankd_rules_day_format(bankd_rules_last_day(start_day), last, sizeof last);
	/* Whole sentences for the admin and for a user: translations order their words freely. */
	switch (r) {
	case BANKD_RULE_OK: snprintf(buf, len, "%s", ""); break;
	case BANKD_RULE_NOT_YET:
		snprintf(
			buf, len,
			admin ? _("certificate refused: the contract's application date (%s) has not "
		                  "come yet") :
				_("certificate refused: the admin's issuance to this user (%s) has not "
		                  "come yet"),
			start);
		break;
	case BANKD_RULE_WINDOW_OVER:
		snprintf(
			buf, len,
			admin ? _("certificate refused: a certificate can only be obtained within 80 days of the "
		                  "contract's application date (day 1 = %s, last day %s)") :
				_("certificate refused: a certificate can only be obtained within 80 days of the "
		                  "admin's issuance to this user (day 1 = %s, last day %s)"),
			start, last);
		break;
	case BANKD_RULE_NOT_ISSUED:
		snprintf(
			buf, len, "%s",
			_("certificate refused: the admin has not issued a certificate to this user yet"));
		break;
	}
}

static bool is_rsa(const bankd_key_facts *k)
{
	return k->base != NULL && strcmp(k->base, "RSA") == 0;
}

static bool is_ec(const bankd_key_facts *k)
{
	return k->base != NULL && strcmp(k->base, "EC") == 0;
}

bankd_key_rule bankd_rules_key(const bankd_key_facts *k)
{
	if (is_rsa(k)) {
		if (k->bits < 2048)
			return BANKD_KEY_WEAK;
		if (k->bits > 8192)
			return BANKD_KEY_TOO_LARGE;
		return k->rsa_e_65537 ? BANKD_KEY_OK : BANKD_KEY_RSA_EXPONENT;
	}
	if (is_ec(k) && !k->named_curve)
		return BANKD_KEY_EXPLICIT_CURVE;
	if (is_ec(k) && k->curve != NULL &&
	    (strcmp(k->curve, "prime256v1") == 0 || strcmp(k->curve, "secp384r1") == 0))
		return BANKD_KEY_OK;
	return BANKD_KEY_WEAK;
}

const char *bankd_rules_key_explain(bankd_key_rule r)
{
	switch (r) {
	case BANKD_KEY_OK: return "";
	case BANKD_KEY_WEAK: return N_("key too weak: RSA >= 2048 or ECDSA P-256/P-384 required");
	case BANKD_KEY_TOO_LARGE:
		return N_("key refused: RSA keys above 8192 bits are not accepted");
	case BANKD_KEY_EXPLICIT_CURVE:
		return N_(
			"key refused: ECDSA keys must name their curve (P-256 or P-384), not spell out "
			"its parameters");
	case BANKD_KEY_RSA_EXPONENT:
		return N_("key refused: the RSA public exponent must be 65537");
	}
	return N_("key refused");
}

/* s has 1 to max bytes, each one accepted by ok. */
static bool rules_chars_ok(const char *s, size_t max, bool (*ok)(char c))
{
	size_t n = s != NULL ? strnlen(s, max + 1) : 0;
	size_t i;

	if (n < 1 || n > max)
		return false;
	for (i = 0; i < n; i++)
		if (!ok(s[i]))
			return false;
	return true;
}

static bool digit_char(char c)
{
	return c >= '0' && c <= '9';
}

static bool id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

static bool name_char(char c)
{
	return (unsigned char)c >= 0x20 && c != 0x7f;
}

bool bankd_rules_contract_id_ok(const char *s)
{
	return rules_chars_ok(s, 20, digit_char);
}

bool bankd_rules_user_id_ok(const char *s)
{
	return rules_chars_ok(s, 32, id_char);
}

bool bankd_rules_name_ok(const char *s)
{
	return rules_chars_ok(s, 200, name_char);
}
