/* kinko pin check | change | unblock: the token PIN (and the PUK). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "i18n.h"
#include "kinko_cmd.h"

/* TRANSLATORS: keep the command words, options and secrets keys (token_pin=, new_pin=, puk=,
 * new_puk=) as they are. */
static const char *const pin_help = N_(
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
	"Messages: \"wrong token PIN; 2 tries left before it locks\" (the exact count on kinko's\n"
	"module; other modules' flags only tell \"more than 1 try left\" or \"1 try left\"), \"the\n"
	"token PIN is locked: unblock it with 'kinko pin unblock' (needs the PUK)\"; the same for\n"
	"the PUK. --verbose adds the PKCS#11 code, e.g. (CKR_PIN_INCORRECT). Exit status 3 for a\n"
	"refused PIN or PUK.\n"
	"\n"
	"Example (automation; the file is readable by its owner only):\n"
	"  printf 'token_pin=123456\\nnew_pin=24681357\\n' > secrets; chmod 600 secrets\n"
	"  kinko --secrets-file secrets pin change\n");

/* One change of a PIN or the PUK: the current secret, the new one twice, one PKCS#11 step. */
typedef struct {
	bool so; /* the current secret is the PUK (SO PIN) */
	const char *cur_key, *cur_prompt, *new_key, *new_prompt;
	CK_RV (*apply)(kinko_ctx *ctx, const char *cur, const char *fresh);
	const char *fail, *json_key, *done; /* fail: N_; done: JSON's English value */
	const char *done_text;              /* the result's sentence (N_) */
} pin_op;

static CK_RV pin_apply_change(kinko_ctx *ctx, const char *cur, const char *fresh)
{
	return ctx->p11->C_SetPIN(ctx->session, (CK_UTF8CHAR *)cur, strlen(cur),
	                          (CK_UTF8CHAR *)fresh, strlen(fresh));
}

/* PUK as the SO PIN (kinko's module checks it at C_InitPIN, SoftHSM2 at C_Login). */
static CK_RV pin_apply_unblock(kinko_ctx *ctx, const char *puk, const char *fresh)
{
	CK_RV rv = ctx->p11->C_Login(ctx->session, CKU_SO, (CK_UTF8CHAR *)puk, strlen(puk));

	if (rv == CKR_OK)
		rv = ctx->p11->C_InitPIN(ctx->session, (CK_UTF8CHAR *)fresh, strlen(fresh));
	ctx->p11->C_Logout(ctx->session);
	return rv;
}

/* The PUK is the SO PIN (README, "Login"): C_Login(CKU_SO) with the current PUK, then C_SetPIN
 * in that SO session changes it; SoftHSM2's SO PIN likewise. */
static CK_RV pin_apply_puk(kinko_ctx *ctx, const char *old, const char *fresh)
{
	CK_RV rv = ctx->p11->C_Login(ctx->session, CKU_SO, (CK_UTF8CHAR *)old, strlen(old));

	if (rv == CKR_OK) {
		rv = pin_apply_change(ctx, old, fresh);
		ctx->p11->C_Logout(ctx->session);
	}
	return rv;
}

/* Prompts and messages are marked with N_() here and translated where they are used. */
static const pin_op pin_op_change = {
	false,
	"token_pin",
	N_("current token PIN"),
	"new_pin",
	N_("new token PIN"),
	pin_apply_change,
	N_("cannot change the token PIN"),
	"pin",
	"changed",
	N_("token PIN changed"),
};
static const pin_op pin_op_unblock = {
	true,
	"puk",
	N_("PUK"),
	"new_pin",
	N_("new token PIN"),
	pin_apply_unblock,
	N_("cannot unblock the token PIN"),
	"pin",
	"unblocked and set",
	N_("token PIN unblocked and set"),
};
static const pin_op pin_op_puk = {
	true,
	"puk",
	N_("current PUK"),
	"new_puk",
	N_("new PUK"),
	pin_apply_puk,
	N_("cannot change the PUK"),
	"puk",
	"changed",
	N_("PUK changed"),
};

static int pin_run(kinko_ctx *ctx, const pin_op *op)
{
	char cur[KINKO_SECRET_MAX], fresh[KINKO_SECRET_MAX];
	CK_TOKEN_INFO ti;
	CK_RV rv;
	int r = kinko_p11_token_info(ctx, &ti);

	if (r != KINKO_EXIT_OK)
		return r;
	if (ti.flags & (op->so ? CKF_SO_PIN_LOCKED : CKF_USER_PIN_LOCKED))
		return kinko_p11_pin_refused(ctx, CKR_PIN_LOCKED, op->so);
	r = kinko_secret_read(ctx, op->cur_key, _(op->cur_prompt), cur, sizeof(cur));
	if (r != KINKO_EXIT_OK)
		return r;
	r = kinko_secret_read_new(ctx, op->new_key, _(op->new_prompt), fresh, sizeof(fresh));
	if (r != KINKO_EXIT_OK) {
		OPENSSL_cleanse(cur, sizeof(cur));
		return r;
	}
	rv = op->apply(ctx, cur, fresh);
	OPENSSL_cleanse(cur, sizeof(cur));
	OPENSSL_cleanse(fresh, sizeof(fresh));
	if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED)
		return kinko_p11_pin_refused(ctx, rv, op->so);
	if (rv == CKR_PIN_LEN_RANGE || rv == CKR_PIN_INVALID) {
		if (op == &pin_op_puk)
			kinko_err(ctx, "pin_length", kinko_ckr_name(rv),
			          _("the new PUK must have %lu to %lu characters"),
			          (unsigned long)ti.ulMinPinLen, (unsigned long)ti.ulMaxPinLen);
		else
			kinko_err(ctx, "pin_length", kinko_ckr_name(rv),
			          _("the new token PIN must have %lu to %lu characters"),
			          (unsigned long)ti.ulMinPinLen, (unsigned long)ti.ulMaxPinLen);
		return KINKO_EXIT_TOKEN;
	}
	if (rv != CKR_OK)
		return kinko_p11_fail(ctx, rv, _(op->fail));
	if (op == &pin_op_change)
		kinko_p11_note_stale_pin_file(ctx);
	if (ctx->json)
		kinko_json_out(json_pack("{s:s}", op->json_key, op->done));
	else
		printf("%s\n", _(op->done_text));
	return KINKO_EXIT_OK;
}

static int pin_check(kinko_ctx *ctx)
{
	int r = kinko_p11_login(ctx);

	if (r != KINKO_EXIT_OK)
		return r;
	if (ctx->json)
		kinko_json_out(json_pack("{s:s}", "pin", "accepted"));
	else
		printf("%s\n", _("token PIN accepted"));
	return KINKO_EXIT_OK;
}

int kinko_cmd_pin(kinko_ctx *ctx, int argc, char **argv)
{
	if (kinko_wants_help(argc, argv)) {
		fputs(_(pin_help), stdout);
		return KINKO_EXIT_OK;
	}
	if (argc == 2 && strcmp(argv[1], "check") == 0)
		return pin_check(ctx);
	if (argc == 2 && strcmp(argv[1], "change") == 0)
		return pin_run(ctx, &pin_op_change);
	if (argc == 2 && strcmp(argv[1], "unblock") == 0)
		return pin_run(ctx, &pin_op_unblock);
	if (argc == 3 && strcmp(argv[1], "change") == 0 && strcmp(argv[2], "--puk") == 0)
		return pin_run(ctx, &pin_op_puk);
	/* "pin check 1234": a PIN typed as an argument; never repeat it, say how to give it. */
	if (argc > 2 || (argc == 2 && strpbrk(argv[1], "0123456789"))) {
		kinko_err(
			ctx, "secret_on_command_line", NULL,
			_("a PIN is never an argument on the "
		          "command line: kinko asks for it on the terminal without echo, or reads it "
		          "from --pin-file F, --pin-fd N or --secrets-file F (token_pin=, puk=, "
		          "new_pin=); see 'kinko help pin'"));
		return KINKO_EXIT_USAGE;
	}
	kinko_err(ctx, "usage", NULL,
	          _("pin: say 'check', 'change' or 'unblock'; see 'kinko help pin'"));
	return KINKO_EXIT_USAGE;
}
