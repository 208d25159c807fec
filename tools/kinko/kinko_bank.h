/* kinko: the bank's JSON API (logon, status, logoff, admin operations) over mutual TLS with
 * the token key (kinko_bank.c). */
#ifndef KINKO_BANK_H
#define KINKO_BANK_H

#include <stddef.h>

#include "kinko.h"
#include "kinko_p11.h"

/* "host_port" of a bank URL (https://bank.example:8443/ -> "bank.example_8443"), used to name
 * per-bank files. 0, or -1 when the URL is not https://host[:port][/]. */
int kinko_bank_host_port(const char *bank_url, char *out, size_t len);

/* The pinned CA of a bank: $KINKO_STATE_DIR/banks/<host_port>.pem, else
 * ~/.config/kinko/banks/<host_port>.pem. 0, or -1 when the name does not fit. */
int kinko_bank_ca_path(const char *bank_url, char *out, size_t len);

/* A complete logon with key k (its certificate k->x509) followed at once by a logoff: the
 * renewal's "the new certificate has logged on", after which the bank revokes the old one.
 * Asks for the bank PIN (admin: contract PIN, secrets key contract_pin; user: user PIN,
 * user_pin) and, for the admin, the customer-card digits (card_file). Needs kinko_p11_login
 * done. cacert NULL: the pinned CA (kinko_bank_ca_path). Returns an exit code (printed). */
int kinko_bank_logon_check(kinko_ctx *ctx, const char *bank_url, const char *cacert,
                           const kinko_keyobj *k);

#endif
