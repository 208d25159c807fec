/* The module with pin_source = pinentry (browsers): the token reports a protected
 * authentication path and no CKF_LOGIN_REQUIRED, its private keys are visible without a
 * login, C_Login without a PIN and a signature in a session not logged in run the pinentry,
 * a PIN-always key (9C) asks before each signature; the dialog says who asks, for which token
 * and key, in the user's language; KINKO_DEBUG shows the conversation but never the PIN. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture_test_util.h"
#include "pinentry_test_util.h"
#include "time_test_util.h"

#define PIN "123456"

static CK_ULONG private_keys_found(pet *x)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE q = {CKA_CLASS, &cls, sizeof(cls)};
	CK_OBJECT_HANDLE h[8];
	CK_ULONG n = 0;

	assert_int_equal(x->t.f->C_FindObjectsInit(x->t.session, &q, 1), CKR_OK);
	assert_int_equal(x->t.f->C_FindObjects(x->t.session, h, 8, &n), CKR_OK);
	assert_int_equal(x->t.f->C_FindObjectsFinal(x->t.session), CKR_OK);
	return n;
}

static CK_STATE session_state(pet *x)
{
	CK_SESSION_INFO si;

	assert_int_equal(x->t.f->C_GetSessionInfo(x->t.session, &si), CKR_OK);
	return si.state;
}

static void token_flags_follow_pin_source(void **state)
{
	pet *x = *state;
	CK_FLAGS f = pet_token_flags(x);

	assert_true(f & CKF_PROTECTED_AUTHENTICATION_PATH);
	assert_false(f & CKF_LOGIN_REQUIRED);
	pet_reinit(x, "pin_source = application\n");
	f = pet_token_flags(x);
	assert_false(f & CKF_PROTECTED_AUTHENTICATION_PATH);
	assert_true(f & CKF_LOGIN_REQUIRED);
}

/* NSS (Chromium) looks for the private key before anything asks for a PIN. */
static void private_keys_visible_without_login_only_with_pinentry(void **state)
{
	pet *x = *state;
	CK_BYTE label[64];
	CK_ATTRIBUTE a = {CKA_LABEL, label, sizeof(label)};
	char *log;

	assert_int_equal(private_keys_found(x), 2);
	assert_int_equal(x->t.f->C_GetAttributeValue(x->t.session, x->priv_9a, &a, 1), CKR_OK);
	assert_memory_equal(label, "PIV Authentication", 18);
	log = pet_log(x);
	assert_int_equal(pet_count(log, "GETPIN"), 0); /* seeing keys asks for nothing */
	free(log);
	pet_reinit(x, "pin_source = application\n");
	assert_int_equal(private_keys_found(x), 0);
	assert_int_equal(x->t.f->C_GetAttributeValue(x->t.session, x->priv_9a, &a, 1),
	                 CKR_OBJECT_HANDLE_INVALID);
}

static void login_without_pin_runs_the_pinentry(void **state)
{
	pet *x = *state;
	char *log;

	pet_script(x, "pin:" PIN "\n");
	assert_int_equal(x->t.f->C_Login(x->t.session, CKU_USER, NULL, 0), CKR_OK);
	assert_int_equal(session_state(x), CKS_RW_USER_FUNCTIONS);
	assert_int_equal(pet_sign(x, x->priv_9a), CKR_OK);
	log = pet_log(x);
	assert_int_equal(pet_count(log, "GETPIN"), 1);
	assert_int_equal(pet_count(log, "SETERROR"), 0);
	assert_non_null(strstr(log, "to log on with your certificate."));
	free(log);
	assert_int_equal(x->t.f->C_Login(x->t.session, CKU_USER, NULL, 0),
	                 CKR_USER_ALREADY_LOGGED_IN);
	/* The PUK is never asked for through the pinentry. */
	assert_int_equal(x->t.f->C_Logout(x->t.session), CKR_OK);
	assert_int_equal(x->t.f->C_Login(x->t.session, CKU_SO, NULL, 0), CKR_ARGUMENTS_BAD);
}

static void login_without_pin_refused_in_application_mode(void **state)
{
	pet *x = *state;
	char *log;

	pet_reinit(x, "pin_source = application\n");
	pet_script(x, "pin:" PIN "\n");
	assert_int_equal(x->t.f->C_Login(x->t.session, CKU_USER, NULL, 0), CKR_ARGUMENTS_BAD);
	assert_int_equal(pet_sign(x, x->priv_9a), CKR_USER_NOT_LOGGED_IN);
	log = pet_log(x);
	assert_string_equal(log, ""); /* the pinentry never ran */
	free(log);
}

/* Chromium never calls C_Login: the key's first use logs in. */
static void sign_without_login_asks_once_then_signs(void **state)
{
	pet *x = *state;
	double ms;
	char *log, *trace;

	pet_script(x, "pin:" PIN "\n");
	assert_int_equal(pet_sign_traced(x, x->priv_9a, &ms, &trace), CKR_OK);
	/* The login costs one VERIFY, sent once. */
	assert_int_equal(pet_occurrences(trace, "> 00200080 "), 1);
	printf("# C_SignInit + C_Sign with the PIN from the scripted pinentry: %.1f ms, %zu "
	       "APDUs\n",
	       ms, pet_occurrences(trace, "kinko: apdu ") / 2);
	free(trace);
	assert_int_equal(session_state(x), CKS_RW_USER_FUNCTIONS);
	assert_int_equal(pet_sign(x, x->priv_9a), CKR_OK); /* logged in now: no second dialog */
	log = pet_log(x);
	assert_int_equal(pet_count(log, "GETPIN"), 1);
	/* Who asks, which token (label and serial), which key, what for. */
	assert_non_null(strstr(log, "SETDESC test_p11_pinentry asks for the PIN of the token "
	                            "\"kinko PIV #"));
	assert_non_null(strstr(log, "to log on with your certificate.%0AKey: PIV Authentication "
	                            "(9A)\n"));
	assert_non_null(strstr(log, "SETTITLE kinko token PIN\n"));
	assert_non_null(strstr(log, "SETPROMPT PIN:\n"));
	assert_non_null(strstr(log, "SETTIMEOUT 60\n"));
	free(log);
}

/* C_SignInit on the 9C key, C_Login(CKU_CONTEXT_SPECIFIC) with pin (NULL: none), C_Sign. */
static void sign_after_context_login(pet *x, const char *pin)
{
	CK_MECHANISM mech = {CKM_ECDSA, NULL, 0};
	CK_BYTE digest[32] = {1}, sig[128];
	CK_ULONG sig_len = sizeof(sig);

	assert_int_equal(x->t.f->C_SignInit(x->t.session, &mech, x->priv_9c), CKR_OK);
	assert_int_equal(x->t.f->C_Login(x->t.session, CKU_CONTEXT_SPECIFIC, (CK_UTF8CHAR_PTR)pin,
	                                 pin ? strlen(pin) : 0),
	                 CKR_OK);
	assert_int_equal(x->t.f->C_Sign(x->t.session, digest, sizeof(digest), sig, &sig_len),
	                 CKR_OK);
}

/* 9C asks before each signature, with its own text, without CKU_CONTEXT_SPECIFIC. */
static void pin_always_key_asks_before_every_signature(void **state)
{
	pet *x = *state;
	char *log;

	pet_script(x, "pin:" PIN "\npin:" PIN "\npin:" PIN "\n");
	assert_int_equal(pet_sign(x, x->priv_9c), CKR_OK);
	assert_int_equal(pet_sign(x, x->priv_9c), CKR_OK);
	assert_int_equal(pet_sign(x, x->priv_9c), CKR_OK);
	log = pet_log(x);
	assert_int_equal(pet_count(log, "GETPIN"), 3);
	assert_int_equal(pet_count(log, "SETDESC"), 3);
	assert_non_null(strstr(log, "to sign.%0AKey: Digital Signature (9C)%0AThis key needs the "
	                            "PIN before each signature.\n"));
	free(log);
	/* An explicit context login still works, and asks nothing. */
	sign_after_context_login(x, PIN);
	log = pet_log(x);
	assert_int_equal(pet_count(log, "GETPIN"), 3);
	free(log);
	/* A context login without a PIN asks the pinentry, once for that signature. */
	pet_script(x, "pin:" PIN "\n");
	sign_after_context_login(x, NULL);
	log = pet_log(x);
	assert_int_equal(pet_count(log, "GETPIN"), 1);
	free(log);
	/* A 9A login covers no 9C signature. */
	pet_script(x, "pin:" PIN "\n");
	assert_int_equal(pet_sign(x, x->priv_9a), CKR_OK);
	assert_int_equal(pet_sign(x, x->priv_9c), CKR_OK);
	log = pet_log(x);
	assert_int_equal(pet_count(log, "GETPIN"), 1);
	free(log);
}

/* A 9D RSA key decrypts after the pinentry, whose dialog says what for. */
static void decryption_without_login_asks_to_decrypt(void **state)
{
	static const CK_BYTE msg[] = "secret";
	pet *x = *state;
	CK_FUNCTION_LIST_3_0 *f = x->t.f;
	CK_SESSION_HANDLE s = x->t.session;
	CK_MECHANISM mech = {CKM_RSA_PKCS, NULL, 0};
	CK_BYTE id_9d = 0x03, ct[256], out[256];
	CK_ULONG ct_len = sizeof(ct), out_len = sizeof(out);
	CK_OBJECT_HANDLE pub, priv;
	char *log;

	p11t_login(&x->t);
	p11t_generate(&x->t, 2048, NULL, &id_9d, 1, &pub, &priv);
	assert_int_equal(f->C_Logout(s), CKR_OK);
	assert_int_equal(f->C_EncryptInit(s, &mech, pub), CKR_OK);
	assert_int_equal(f->C_Encrypt(s, (CK_BYTE_PTR)msg, sizeof(msg), ct, &ct_len), CKR_OK);
	pet_script(x, "pin:" PIN "\n");
	assert_int_equal(f->C_DecryptInit(s, &mech, priv), CKR_OK);
	assert_int_equal(f->C_Decrypt(s, ct, ct_len, out, &out_len), CKR_OK);
	assert_int_equal(out_len, sizeof(msg));
	assert_memory_equal(out, msg, sizeof(msg));
	log = pet_log(x);
	assert_int_equal(pet_count(log, "GETPIN"), 1);
	assert_non_null(strstr(log, "to decrypt.%0AKey: Key Management (9D)\n"));
	free(log);
}

/* While the user types, another process signs with the token at once: the dialog holds the
 * slot (this program's other calls wait) but not the card. cache_ttl_ms = 0 makes the
 * signature's first step an INVENTORY, which takes the card before the dialog. */
static void another_process_uses_the_token_during_the_dialog(void **state)
{
	pet *x = *state;
	pid_t pid;

	pet_reinit(x, PET_CONF_PINENTRY "cache_ttl_ms = 0\n");
	pet_script(x, "slow:2500:" PIN "\n");
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		CK_FUNCTION_LIST_3_0 *f = x->t.f;
		CK_SESSION_HANDLE h;
		double t0, ms;

		tkit_sleep_ms(500); /* the parent is in its dialog */
		P11T_CHILD_CHECK(f->C_Initialize(NULL) == CKR_OK, 2);
		P11T_CHILD_CHECK(f->C_OpenSession(x->t.slots[0], CKF_SERIAL_SESSION, NULL, NULL,
		                                  &h) == CKR_OK,
		                 3);
		t0 = tkit_now_ms();
		P11T_CHILD_CHECK(f->C_Login(h, CKU_USER, (CK_UTF8CHAR_PTR)PIN, 6) == CKR_OK, 4);
		x->t.session = h;
		P11T_CHILD_CHECK(pet_sign(x, x->priv_9a) == CKR_OK, 5);
		ms = tkit_now_ms() - t0;
		fprintf(stderr, "# the other process's login and signature: %.1f ms\n", ms);
		P11T_CHILD_CHECK(ms < 1500.0, 6);
		(void)f->C_Finalize(NULL);
		_exit(0);
	}
	assert_int_equal(pet_sign(x, x->priv_9a), CKR_OK);
	p11t_child_wait_ok(pid);
}

/* KINKO_DEBUG=all (set in main): the conversation is traced, the PIN never. */
static void debug_trace_shows_the_conversation_but_never_the_pin(void **state)
{
	pet *x = *state;
	tkit_capture cap = TKIT_CAPTURE_OFF;
	char *text;

	pet_script(x, "pin:97531864\npin:" PIN "\n");
	tkit_capture_begin(&cap);
	assert_int_equal(x->t.f->C_Login(x->t.session, CKU_USER, NULL, 0), CKR_OK);
	text = tkit_capture_end(&cap);
	assert_non_null(strstr(text, "pinentry -> GETPIN"));
	assert_int_equal(pet_count(text, "kinko p11: pinentry <- D [hidden]"), 2);
	assert_non_null(strstr(text, "pinentry -> SETERROR Wrong PIN, 2 tries left."));
	assert_non_null(strstr(text, "C_Login -> CKR_OK"));
	assert_null(strstr(text, "97531864"));
	assert_null(strstr(text, PIN));
	free(text);
}

static void texts_are_japanese_under_a_japanese_locale(void **state)
{
	pet *x = *state;
	tkit_capture cap = TKIT_CAPTURE_OFF;
	char *log, *text;

	if (!setlocale(LC_ALL, "ja_JP.UTF-8")) {
		skip();
		return;
	}
	setenv("LANG", "ja_JP.UTF-8", 1);
	pet_script(x, "pin:999999\npin:" PIN "\n");
	tkit_capture_begin(&cap);
	assert_int_equal(pet_sign(x, x->priv_9a), CKR_OK);
	setlocale(LC_ALL, "C");
	setenv("LANG", "C", 1);
	text = tkit_capture_end(&cap);
	/* The trace (KINKO_DEBUG=all) holds the Japanese description whole. */
	assert_non_null(strstr(text, "pinentry -> SETDESC test_p11_pinentry が、"));
	assert_non_null(strstr(text, "%0A鍵: PIV Authentication (9A)\n"));
	free(text);
	log = pet_log(x);
	assert_non_null(strstr(log, "OPTION lc-ctype=ja_JP.UTF-8\n"));
	assert_non_null(strstr(log, "SETTITLE kinko トークンのPIN\n"));
	assert_non_null(strstr(log, "SETDESC test_p11_pinentry が、証明書でログオンするため"));
	assert_non_null(strstr(log, "鍵: PIV Authentication (9A)"));
	assert_non_null(strstr(log, "SETERROR トークンのPINが違います。残り2回です。\n"));
	free(log);
}

#define T(name) cmocka_unit_test_setup_teardown(name, pet_setup, pet_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(token_flags_follow_pin_source),
		T(private_keys_visible_without_login_only_with_pinentry),
		T(login_without_pin_runs_the_pinentry),
		T(login_without_pin_refused_in_application_mode),
		T(sign_without_login_asks_once_then_signs),
		T(pin_always_key_asks_before_every_signature),
		T(decryption_without_login_asks_to_decrypt),
		T(another_process_uses_the_token_during_the_dialog),
		T(debug_trace_shows_the_conversation_but_never_the_pin),
		T(texts_are_japanese_under_a_japanese_locale),
	};

	/* Read once, at the module's first call: before any. */
	setenv("KINKO_DEBUG", "all", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
