/* Logon with a client certificate: the bank PIN over mTLS, the customer-card OTP for the admin,
 * sessions bound to the certificate. */
#ifndef KINKO_BANKD_LOGON_H
#define KINKO_BANKD_LOGON_H

#include "bankd_attempt.h"
#include "bankd_http.h"

#define BANKD_SESSION_IDLE_SECONDS 600
#define BANKD_OTP_SECONDS 300
#define BANKD_SESSION_COOKIE "kinko_session"

typedef struct bankd_logon_result {
	int code;        /* HTTP status */
	char error[640]; /* when code is not 200: English, or composed in the request's language */
	int otp;         /* the admin's OTP step follows */
	char logon_id[33]; /* for the OTP step */
	char positions[8]; /* "C3,A7" */
	char session[33];  /* the new session token when the logon is complete */
	bankd_wrong wrong; /* a wrong answer: which secret, tries left (secrets 0 otherwise) */
	int locked;        /* refused because the credential is locked */
} bankd_logon_result;

/* The TLS client certificate as a bank certificate: chains to the CA at the bank's clock,
 * recorded, not revoked, CN = contract ID + bank code. NULL when fine (cert and contract
 * filled in), else the refusal in words. */
const char *bankd_logon_client_cert(bankd_req *r, bankd_cert *cert, bankd_contract *c);
void bankd_logon_do_pin(bankd_req *r, const char *pin, bankd_logon_result *res);
void bankd_logon_do_otp(bankd_req *r, const char *logon_id, const char *digits,
                        bankd_logon_result *res);
/* The session of the request's cookie, checked (exists, same certificate, not idle too long)
 * and touched. 0, or -1 with code and reason filled in. */
int bankd_logon_session(bankd_req *r, bankd_session *s, int *code, char *why, size_t len);
/* The status screen's data. */
json_t *bankd_logon_status_json(bankd_server *srv, const bankd_session *s, time_t now);
/* The users of a contract with their issuance window and certificate state. */
json_t *bankd_logon_users_json(bankd_server *srv, const char *contract_id, time_t now);
/* The 32-character value of the request's cookie name: 0, or -1 when absent or of another
 * length. */
int bankd_logon_cookie(bankd_req *r, const char *name, char token[33]);
void bankd_logon_set_cookie(bankd_req *r, const char *token);
void bankd_logon_clear_cookie(bankd_req *r);

/* JSON front end: POST /api/logon, POST /api/logon/otp, GET /api/status, POST /api/logoff. */
void bankd_logon_start(bankd_req *r);
void bankd_logon_otp(bankd_req *r);
void bankd_logon_status(bankd_req *r);
void bankd_logon_logoff(bankd_req *r);

#endif
