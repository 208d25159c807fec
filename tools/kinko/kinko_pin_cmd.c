/* kinko pin check | change | unblock: the token PIN (and the PUK). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "kinko_cmd.h"

static const char pin_help[] =
	"Usage: kinko [GLOBAL OPTIONS] pin check\n"
	"       kinko [GLOBAL OPTIONS] pin change\n"
	"       kinko [GLOBAL OPTIONS] pin unblock\n"
	"       kinko [GLOBAL OPTIONS] pin change --puk\n"
	"\n"
	"pin check     asks for the token PIN and logs in with it (\"grant access\"): tells\n"
	"              whether the PIN is right, and does the forced first change below.\n"
	"pin change    asks for the current token PIN, then the new PIN twice, and changes it\n"
	"              (C_SetPIN). The current PIN comes from --pin-file, --pin-fd or token_pin\n"
	"              in --secrets-file when given; the new one from new_pin in --secrets-file.\n"
	"pin unblock   a locked token PIN is reset with the PUK (the unblock code printed on the\n"
	"              token's letter): asks for the PUK and the new PIN twice (C_Login as SO with\n"
	"              the PUK, then C_InitPIN). From --secrets-file: puk and new_pin.\n"
	"pin change --puk\n"
	"              changes the PUK (on SoftHSM2 and other modules: the SO PIN): asks for the\n"
	"              current PUK, then the new PUK twice (C_Login as SO with the current PUK,\n"
	"              then C_SetPIN). From --secrets-file: puk and new_puk.\n"
	"\n"
	"A PIN or PUK is never an argument: 'kinko pin check 1234' is refused (exit 2).\n"
	"\n"
	"Every login asks for a new PIN when the token says its PIN must be changed (a factory\n"
	"PIN), unless --no-pin-change is given.\n"
	"\n"
	"Messages: \"wrong token PIN: 1 try left before it locks\", \"wrong token PIN: more than 1\n"
	"try left (the token does not say how many)\", \"the token PIN is locked: unblock it with\n"
	"'kinko pin unblock' (needs the PUK)\"; the same for the PUK. --verbose adds the PKCS#11\n"
	"code, e.g. (CKR_PIN_INCORRECT). Exit status 3 for a refused PIN or PUK.\n"
	"\n"
	"Example (automation; the file is readable by its owner only):\n"
	"  printf 'token_pin=123456\\nnew_pin=24681357\\n' > secrets; chmod 600 secrets\n"
	"  kinko --secrets-file secrets pin change\n";

static int pin_done(const kinko_ctx *ctx, const char *what)
{
	if (ctx->json)
		kinko_json_out(json_pack("{s:s}", "pin", what));
	else
		printf("token PIN %s\n", what);
	return KINKO_EXIT_OK;
}

static int pin_change(kinko_ctx *ctx)
{
	char old[KINKO_SECRET_MAX], fresh[KINKO_SECRET_MAX];
	CK_TOKEN_INFO ti;
	CK_RV rv;
	int r = kinko_p11_open(ctx);

	if (r != KINKO_EXIT_OK)
		return r;
	rv = ctx->p11->C_GetTokenInfo(ctx->slot, &ti);
	if (rv != CKR_OK)
		return kinko_p11_fail(ctx, rv, "cannot read the token");
	if (ti.flags & CKF_USER_PIN_LOCKED)
		return kinko_p11_pin_refused(ctx, CKR_PIN_LOCKED, false);
	r = kinko_secret_read(ctx, "token_pin", "current token PIN", old, sizeof(old));
	if (r != KINKO_EXIT_OK)
		return r;
	r = kinko_secret_read_new(ctx, "new_pin", "new token PIN", fresh, sizeof(fresh));
	if (r != KINKO_EXIT_OK) {
		OPENSSL_cleanse(old, sizeof(old));
		return r;
	}
	rv = ctx->p11->C_SetPIN(ctx->session, (CK_UTF8CHAR *)old, strlen(old), (CK_UTF8CHAR *)fresh,
	                        strlen(fresh));
	OPENSSL_cleanse(old, sizeof(old));
	OPENSSL_cleanse(fresh, sizeof(fresh));
	if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED)
		return kinko_p11_pin_refused(ctx, rv, false);
	if (rv == CKR_PIN_LEN_RANGE || rv == CKR_PIN_INVALID) {
		kinko_err(ctx, kinko_ckr_name(rv), "the new token PIN must have %lu to %lu characters",
		          (unsigned long)ti.ulMinPinLen, (unsigned long)ti.ulMaxPinLen);
		return KINKO_EXIT_TOKEN;
	}
	if (rv != CKR_OK)
		return kinko_p11_fail(ctx, rv, "cannot change the token PIN");
	kinko_p11_note_stale_pin_file(ctx);
	return pin_done(ctx, "changed");
}

static int pin_unblock(kinko_ctx *ctx)
{
	char puk[KINKO_SECRET_MAX], fresh[KINKO_SECRET_MAX];
	CK_TOKEN_INFO ti;
	CK_RV rv;
	int r = kinko_p11_open(ctx);

	if (r != KINKO_EXIT_OK)
		return r;
	rv = ctx->p11->C_GetTokenInfo(ctx->slot, &ti);
	if (rv != CKR_OK)
		return kinko_p11_fail(ctx, rv, "cannot read the token");
	if (ti.flags & CKF_SO_PIN_LOCKED)
		return kinko_p11_pin_refused(ctx, CKR_PIN_LOCKED, true);
	r = kinko_secret_read(ctx, "puk", "PUK", puk, sizeof(puk));
	if (r != KINKO_EXIT_OK)
		return r;
	r = kinko_secret_read_new(ctx, "new_pin", "new token PIN", fresh, sizeof(fresh));
	if (r != KINKO_EXIT_OK) {
		OPENSSL_cleanse(puk, sizeof(puk));
		return r;
	}
	/* PUK as the SO PIN (kinko's module checks it at C_InitPIN, SoftHSM2 at C_Login). */
	rv = ctx->p11->C_Login(ctx->session, CKU_SO, (CK_UTF8CHAR *)puk, strlen(puk));
	OPENSSL_cleanse(puk, sizeof(puk));
	if (rv == CKR_OK)
		rv = ctx->p11->C_InitPIN(ctx->session, (CK_UTF8CHAR *)fresh, strlen(fresh));
	OPENSSL_cleanse(fresh, sizeof(fresh));
	ctx->p11->C_Logout(ctx->session);
	if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED)
		return kinko_p11_pin_refused(ctx, rv, true);
	if (rv == CKR_PIN_LEN_RANGE || rv == CKR_PIN_INVALID) {
		kinko_err(ctx, kinko_ckr_name(rv), "the new token PIN must have %lu to %lu characters",
		          (unsigned long)ti.ulMinPinLen, (unsigned long)ti.ulMaxPinLen);
		return KINKO_EXIT_TOKEN;
	}
	if (rv != CKR_OK)
		return kinko_p11_fail(ctx, rv, "cannot unblock the token PIN");
	return pin_done(ctx, "unblocked and set");
}

/* The PUK is the SO PIN (README, "Login"): C_Login(CKU_SO) with the current PUK, then C_SetPIN
 * in that SO session changes it; SoftHSM2's SO PIN likewise. */
static int pin_change_puk(kinko_ctx *ctx)
{
	char old[KINKO_SECRET_MAX], fresh[KINKO_SECRET_MAX];
	CK_TOKEN_INFO ti;
	CK_RV rv;
	int r = kinko_p11_open(ctx);

	if (r != KINKO_EXIT_OK)
		return r;
	rv = ctx->p11->C_GetTokenInfo(ctx->slot, &ti);
	if (rv != CKR_OK)
		return kinko_p11_fail(ctx, rv, "cannot read the token");
	if (ti.flags & CKF_SO_PIN_LOCKED)
		return kinko_p11_pin_refused(ctx, CKR_PIN_LOCKED, true);
	r = kinko_secret_read(ctx, "puk", "current PUK", old, sizeof(old));
	if (r != KINKO_EXIT_OK)
		return r;
	r = kinko_secret_read_new(ctx, "new_puk", "new PUK", fresh, sizeof(fresh));
	if (r != KINKO_EXIT_OK) {
		OPENSSL_cleanse(old, sizeof(old));
		return r;
	}
	rv = ctx->p11->C_Login(ctx->session, CKU_SO, (CK_UTF8CHAR *)old, strlen(old));
	if (rv == CKR_OK) {
		rv = ctx->p11->C_SetPIN(ctx->session, (CK_UTF8CHAR *)old, strlen(old),
		                        (CK_UTF8CHAR *)fresh, strlen(fresh));
		ctx->p11->C_Logout(ctx->session);
	}
	OPENSSL_cleanse(old, sizeof(old));
	OPENSSL_cleanse(fresh, sizeof(fresh));
	if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED)
		return kinko_p11_pin_refused(ctx, rv, true);
	if (rv == CKR_PIN_LEN_RANGE || rv == CKR_PIN_INVALID) {
		kinko_err(ctx, kinko_ckr_name(rv), "the new PUK is not acceptable: the token takes %lu to "
		          "%lu characters", (unsigned long)ti.ulMinPinLen, (unsigned long)ti.ulMaxPinLen);
		return KINKO_EXIT_TOKEN;
	}
	if (rv != CKR_OK)
		return kinko_p11_fail(ctx, rv, "cannot change the PUK");
	if (ctx->json)
		kinko_json_out(json_pack("{s:s}", "puk", "changed"));
	else
		printf("PUK changed\n");
	return KINKO_EXIT_OK;
}

static int pin_check(kinko_ctx *ctx)
{
	int r = kinko_p11_login(ctx);

	return r == KINKO_EXIT_OK ? pin_done(ctx, "accepted") : r;
}

int kinko_cmd_pin(kinko_ctx *ctx, int argc, char **argv)
{
	if (kinko_wants_help(argc, argv)) {
		fputs(pin_help, stdout);
		return KINKO_EXIT_OK;
	}
	if (argc == 2 && strcmp(argv[1], "check") == 0)
		return pin_check(ctx);
	if (argc == 2 && strcmp(argv[1], "change") == 0)
		return pin_change(ctx);
	if (argc == 2 && strcmp(argv[1], "unblock") == 0)
		return pin_unblock(ctx);
	if (argc == 3 && strcmp(argv[1], "change") == 0 && strcmp(argv[2], "--puk") == 0)
		return pin_change_puk(ctx);
	/* "pin check 1234": a PIN typed as an argument; never repeat it, say how to give it. */
	if (argc > 2 || (argc == 2 && strpbrk(argv[1], "0123456789"))) {
		kinko_err(ctx, NULL, "a PIN is never an argument on the command line: kinko asks for it "
		          "on the terminal without echo, or reads it from --pin-file F, --pin-fd N or "
		          "--secrets-file F (token_pin=, puk=, new_pin=); see 'kinko help pin'");
		return KINKO_EXIT_USAGE;
	}
	kinko_err(ctx, NULL, "pin: say 'check', 'change' or 'unblock'; see 'kinko help pin'");
	return KINKO_EXIT_USAGE;
}
