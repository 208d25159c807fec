/* The help of kinko logon, status, logoff and admin (kinko help SUBCOMMAND and --help): complete
 * enough to stand as the man page's sections. */
#include "i18n.h"
#include "kinko_bank_int.h"

#include <stdio.h>
#include <string.h>

int bank_usage_logon(void)
{
	/* TRANSLATORS: keep the command words, options, secrets keys and the manuals' letters
	 * (A, イ, ロ, ニ, ト, チ). */
	fputs(_("Usage: kinko logon --bank URL [--cert pkcs11:URI] [--cacert FILE]\n"
	        "\n"
	        "Log on to the bank with a certificate on the token (the manuals' S2 and S5):\n"
	        "  1. choose the certificate: the only one, --cert, or from a numbered list (CN,\n"
	        "     issuer, expiry) on a terminal; without a terminal and with several, --cert is\n"
	        "     needed (exit 2);\n"
	        "  2. the token PIN (\"grant access\"), then TLS client authentication signed on the\n"
	        "     token (the key never leaves it);\n"
	        "  3. the bank PIN: the contract PIN (イ, secrets key contract_pin) when the certificate\n"
	        "     is the admin's (OU=admin), else the user PIN (ト, user_pin);\n"
	        "  4. the admin only: the customer-card digits at the two positions the bank names\n"
	        "     (prompt \"customer card: digits at C3 and A7\"), or, for automation, the secrets\n"
	        "     key card_file=PATH naming a file with the card as `kinko-bankd contract add`\n"
	        "     printed it (rows A-E of 10 digits under a header of columns 0-9);\n"
	        "  5. the status screen: bank, company, contract ID, who is logged on, the\n"
	        "     certificate, and for the admin the users (--json: the bank's status object).\n"
	        "\n"
	        "Options:\n"
	        "  --bank URL          the bank, https://host[:port]\n"
	        "  --cert pkcs11:URI   the certificate (its id= and/or object=, as kinko certs shows)\n"
	        "  --cacert FILE       the bank's CA (PEM); default: the CA kinko enroll kept for this\n"
	        "                      bank, $KINKO_STATE_DIR/banks/HOST_PORT.pem or\n"
	        "                      ~/.config/kinko/banks/HOST_PORT.pem\n"
	        "\n"
	        "With several tokens, the token is chosen first (a numbered list on a terminal, else\n"
	        "--token). A bank PIN or card digits of the wrong form are asked again on a terminal\n"
	        "(3 attempts); from --secrets-file they are an error naming the entry (exit 2).\n"
	        "\n"
	        "The session is kept (mode 0600) for kinko status, kinko admin and kinko logoff, one\n"
	        "per bank and certificate: $KINKO_STATE_DIR/session-HOST_PORT-CERTHASH (default\n"
	        "~/.cache/kinko/), CERTHASH the start of the certificate's SHA-256. The bank binds it\n"
	        "to the certificate, so they use the token key (and ask the token PIN) again.\n"
	        "Exit status: 0 logged on, 2 usage or nothing to ask with, 3 token problem, 4 the bank\n"
	        "refused (its reason is shown: wrong PIN with the tries left, locked, revoked), 5 the\n"
	        "bank cannot be reached, 6 the server is not the bank (TLS certificate not from its CA).\n"
	        "\n"
	        "Examples:\n"
	        "  kinko logon --bank https://bank.example:8443\n"
	        "  kinko --secrets-file admin.secrets logon --bank https://bank.example:8443 \\\n"
	        "        --cert 'pkcs11:id=%01;type=cert'\n"),
	      stdout);
	return KINKO_EXIT_OK;
}

int bank_usage_session(const char *cmd)
{
	int status = strcmp(cmd, "status") == 0;
	/* TRANSLATORS: %1$s is the command word (status or logoff), %2$s the line above. */
	printf(_("Usage: kinko %1$s [--bank URL] [--cert pkcs11:URI] [--cacert FILE]\n"
	         "\n"
	         "%2$s\n"
	         "Uses a session of kinko logon: the one whose certificate is on the token (kinko keeps\n"
	         "one per bank and certificate), of --bank's bank (any bank without --bank), and with\n"
	         "--cert that certificate's. The session used is named on stderr (bank, certificate CN\n"
	         "and OU). When several could be meant: a numbered list on a terminal, else exit 2 and\n"
	         "--cert or --bank chooses. Sessions only of certificates not on this token: exit 3.\n"
	         "The token PIN is asked again: the bank checks the certificate on every request. Not\n"
	         "logged on, or the session ended (10 minutes idle): exit 4, log on again.\n"
	         "\n"
	         "Example:\n"
	         "  kinko %1$s --bank https://bank.example:8443\n"),
	       cmd,
	       status ? _("The status screen again (--json: the bank's status object).") :
	                _("End the bank session (the manuals' log off) and forget it."));
	return KINKO_EXIT_OK;
}

int bank_usage_admin(void)
{
	/* TRANSLATORS: keep the command words, options, secrets keys and the letters ト, チ, ロ. */
	fputs(_("Usage: kinko admin COMMAND [--bank URL] [--cert pkcs11:URI] [--cacert FILE]\n"
	        "\n"
	        "Contract management inside the admin's session (kinko logon as the admin first;\n"
	        "--bank may be left out when there is only one session):\n"
	        "  users            the users: issued day, last day of the 80-day window, lockout,\n"
	        "                   certificate state\n"
	        "  user add ID      register a user: asks the user PIN (ト, secrets key user_pin) and\n"
	        "                   the user confirmation PIN (チ, user_confirmation_pin), each twice\n"
	        "                   on a terminal; refused if the user exists\n"
	        "  user change ID   register an existing user's PINs again (also clears a lockout)\n"
	        "  issue ID         issue a certificate to the user: the user then has 80 days to\n"
	        "                   enroll; asks the contract confirmation PIN (ロ, secrets key\n"
	        "                   contract_confirmation_pin)\n"
	        "  revoke ID        revoke the user's valid certificates (ends the user's sessions);\n"
	        "                   asks ロ too\n"
	        "The bank's refusals (wrong ロ with the tries left, no such user, ...) exit 4.\n"
	        "\n"
	        "Examples:\n"
	        "  kinko admin user add user01\n"
	        "  kinko admin issue user01\n"
	        "  kinko --json admin users\n"),
	      stdout);
	return KINKO_EXIT_OK;
}
