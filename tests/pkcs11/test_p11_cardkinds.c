/* The module over each kind of card the emulator plays (kinko-token-emu --profile): kinko's
 * token (INVENTORY), a YubiKey-style card (GET METADATA, no INVENTORY) and a plain SP
 * 800-73-4 card (no extension at all). On each: a key generated through the module and its
 * certificate written, then a cold logon in a fresh module, counted in APDUs from the
 * module's own trace (KINKO_DEBUG=apdu,p11), and what C_GetTokenInfo says. And a card
 * without the PIV applet: no token of ours. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "capture_test_util.h"
#include "ccid_fake.h"
#include "kinko-pkcs11.h"
#include "p11_obj_test_util.h"
#include "tmpdir_test_util.h"

static const CK_BYTE id_9a = 0x01;

typedef struct {
	const char *profile;
	unsigned max_apdus; /* the cold logon's budget */
	const char *label;  /* CK_TOKEN_INFO label's beginning */
} kind_case;

static const kind_case kinko_case = {"kinko", 6, "kinko PIV #"};
static const kind_case yubikey_case = {"yubikey", 8, "YubiKey PIV #"};
static const kind_case piv_case = {"piv", 10, "PIV "};

/* A P-256 key generated in 9A through the module, its certificate written; the module
 * then finalized, so what follows starts cold. The public key is returned. */
static EVP_PKEY *prepare_token(p11t *t)
{
	CK_OBJECT_HANDLE pub, priv, cert;
	unsigned char *der;
	EVP_PKEY *key;
	size_t len = 0;

	p11t_login(t);
	p11t_generate(t, 0, "P-256", &id_9a, 1, &pub, &priv);
	key = objt_pubkey(t, pub);
	der = objt_cert_for(t, pub, "kinko card kinds", &len, NULL);
	assert_int_equal(objt_write_cert(t, der, len, id_9a, &cert), CKR_OK);
	OPENSSL_free(der);
	assert_int_equal(t->f->C_Finalize(NULL), CKR_OK);
	t->session = 0;
	return key;
}

static CK_OBJECT_HANDLE find_by(p11t *t, CK_OBJECT_CLASS cls, const CK_BYTE *id, CK_ULONG id_len)
{
	CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof(cls)}, {CKA_ID, (void *)id, id_len}};
	CK_OBJECT_HANDLE h[2];

	assert_int_equal(objt_find(t, tmpl, id ? 2 : 1, h, 2), 1);
	return h[0];
}

/* An ECDSA signature of "hello" by key, checked with the public key the card made. */
static void sign_checked(p11t *t, CK_OBJECT_HANDLE key, EVP_PKEY *pub)
{
	CK_MECHANISM m = {CKM_ECDSA_SHA256, NULL, 0};
	CK_BYTE sig[128], der[80];
	CK_ULONG sig_len = sizeof(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char *p = der;
	ECDSA_SIG *es = ECDSA_SIG_new();
	int der_len;

	assert_non_null(md);
	assert_non_null(es);
	assert_int_equal(t->f->C_SignInit(t->session, &m, key), CKR_OK);
	assert_int_equal(t->f->C_Sign(t->session, (CK_BYTE_PTR) "hello", 5, sig, &sig_len), CKR_OK);
	assert_int_equal(sig_len, 64);
	assert_int_equal(ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL),
	                                BN_bin2bn(sig + 32, 32, NULL)),
	                 1);
	der_len = i2d_ECDSA_SIG(es, &p);
	assert_true(der_len > 0);
	assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pub), 1);
	assert_int_equal(EVP_DigestVerify(md, der, (size_t)der_len, (const unsigned char *)"hello",
	                                  5),
	                 1);
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(md);
}

typedef struct {
	p11t t; /* first: p11t_group_teardown frees the fixture */
	const kind_case *kc;
	EVP_PKEY *pub;
	tkit_capture cap;
} kind_fixture;

static int kind_setup(void **state, const kind_case *kc)
{
	const char *const init[] = {"--profile", kc->profile, NULL};
	kind_fixture *k = calloc(1, sizeof(*k));

	if (!k)
		return -1;
	k->kc = kc;
	k->cap = (tkit_capture)TKIT_CAPTURE_OFF;
	if (p11t_setup(&k->t, 1, init) != 0) {
		free(k);
		return -1;
	}
	*state = k;
	return 0;
}

static int kinko_setup(void **state)
{
	return kind_setup(state, &kinko_case);
}

static int yubikey_setup(void **state)
{
	return kind_setup(state, &yubikey_case);
}

static int piv_setup(void **state)
{
	return kind_setup(state, &piv_case);
}

static int kind_teardown(void **state)
{
	kind_fixture *k = *state;

	if (!k)
		return 0;
	tkit_capture_abort(&k->cap);
	EVP_PKEY_free(k->pub);
	p11t_teardown(&k->t);
	free(k);
	return 0;
}

/* C_Initialize -> C_GetSlotList -> C_OpenSession -> find the certificate and read it ->
 * C_Login -> find the private key by CKA_ID -> C_Sign, as a TLS client logs on; then what
 * is listed and what C_GetTokenInfo says. */
static void cold_logon_takes_few_apdus(void **state)
{
	kind_fixture *k = *state;
	p11t *t = &k->t;
	CK_SLOT_ID slot;
	CK_ULONG n = 1, len = 0;
	CK_OBJECT_HANDLE cert, key;
	CK_TOKEN_INFO ti;
	CK_BYTE *value, *id;
	char *text;
	unsigned cold;

	k->pub = prepare_token(t);
	tkit_capture_begin(&k->cap);
	assert_int_equal(t->f->C_Initialize(NULL), CKR_OK);
	assert_int_equal(t->f->C_GetSlotList(CK_TRUE, &slot, &n), CKR_OK);
	assert_int_equal(t->f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &t->session),
	                 CKR_OK);
	cert = find_by(t, CKO_CERTIFICATE, NULL, 0);
	value = objt_bytes(t, cert, CKA_VALUE, &len);
	free(value);
	id = objt_bytes(t, cert, CKA_ID, &len);
	assert_int_equal(t->f->C_Login(t->session, CKU_USER, (CK_UTF8CHAR_PTR) "123456", 6),
	                 CKR_OK);
	key = find_by(t, CKO_PRIVATE_KEY, id, len);
	free(id);
	sign_checked(t, key, k->pub);
	text = tkit_capture_end(&k->cap);
	cold = tkit_trace_apdus(text);
	free(text);
	print_message("%s: cold logon %u APDUs\n", k->kc->profile, cold);
	assert_true(cold <= k->kc->max_apdus);

	/* the key pair and its certificate, found again on the card */
	assert_int_equal(objt_count_class(t, CKO_CERTIFICATE), 1);
	assert_int_equal(objt_count_class(t, CKO_PRIVATE_KEY), 1);
	assert_int_equal(objt_count_class(t, CKO_PUBLIC_KEY), 1);

	assert_int_equal(t->f->C_GetTokenInfo(slot, &ti), CKR_OK);
	print_message("%s: label \"%.32s\" serial \"%.16s\"\n", k->kc->profile, ti.label,
	              ti.serialNumber);
	assert_memory_equal(ti.label, k->kc->label, strlen(k->kc->label));
	assert_true(ti.serialNumber[0] != ' '); /* every kind has a serial (or a CHUID) */
}

/* A plain PIV card cannot say which slots hold a key: the certificate of a key generated in
 * an earlier process (pkcs11-tool --keypairgen, then --write-object) is taken, and the key
 * is then found by it and signs. */
static void plain_piv_card_takes_the_certificate_after_a_restart(void **state)
{
	kind_fixture *k = *state;
	p11t *t = &k->t;
	CK_OBJECT_HANDLE pub, priv, cert;
	unsigned char *der;
	size_t len = 0;

	p11t_login(t);
	p11t_generate(t, 0, "P-256", &id_9a, 1, &pub, &priv);
	k->pub = objt_pubkey(t, pub);
	der = objt_cert_for(t, pub, "kinko card kinds", &len, NULL);
	assert_int_equal(t->f->C_Finalize(NULL), CKR_OK);
	p11t_initialize_open(t, CKF_SERIAL_SESSION | CKF_RW_SESSION);
	p11t_login(t);
	assert_int_equal(objt_write_cert(t, der, len, id_9a, &cert), CKR_OK);
	OPENSSL_free(der);
	sign_checked(t, find_by(t, CKO_PRIVATE_KEY, &id_9a, 1), k->pub);
}

/* ---- a card whose management key is nobody's default ---- */

/* A plain PIV card (no metadata, no PIN-protected key) with its own 9B key: the module
 * tries the factory key once, is refused, and says which key is missing. */
static void plain_piv_card_with_its_own_management_key_refuses_keygen_naming_it(void **state)
{
	static const CK_BYTE p256[] = {0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
	CK_ATTRIBUTE pub_tmpl[] = {{CKA_EC_PARAMS, (void *)p256, sizeof(p256)}};
	CK_MECHANISM m = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
	CK_OBJECT_HANDLE pub = 0, priv = 0;
	char file[256];
	const char *init[] = {"--profile", "piv", "--mgmt-key-file", file, NULL};
	tkit_capture cap = TKIT_CAPTURE_OFF;
	p11t t;
	char *text;
	CK_RV rv;

	(void)state;
	assert_int_equal(tkit_file_write(file, sizeof(file), "mgmt",
	                                 "8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f\n"),
	                 0);
	assert_int_equal(p11t_setup(&t, 1, init), 0);
	unlink(file);
	p11t_login(&t);
	tkit_capture_begin(&cap);
	rv = t.f->C_GenerateKeyPair(t.session, &m, pub_tmpl, 1, NULL, 0, &pub, &priv);
	text = tkit_capture_end(&cap);
	if (rv != CKR_KINKO_MGMT_KEY_UNKNOWN)
		fail_msg("C_GenerateKeyPair: 0x%lx", (unsigned long)rv);
	assert_non_null(strstr(text, "card management key (9B)"));
	free(text);
	/* the login stays: the user was logged in, the management key was the missing part */
	assert_int_equal(objt_count_class(&t, CKO_PRIVATE_KEY), 0);
	assert_int_equal(t.f->C_Logout(t.session), CKR_OK);
	p11t_teardown(&t);
}

/* ---- a card without PIV ---- */

/* 6A82 to every SELECT, 6D00 to anything else: a card of another application. */
static int not_piv_serve(int fd, const ccid_header *h, const uint8_t *data, const void *arg)
{
	static const uint8_t atr[] = {0x3B, 0x00};
	uint8_t sw[2] = {0x6D, 0x00};

	(void)arg;
	if (h->type == CCID_PC_TO_RDR_ICC_POWER_ON)
		return ccid_fake_reply(fd, CCID_RDR_TO_PC_DATA_BLOCK, sizeof(atr), h->seq, 0, atr,
		                       sizeof(atr));
	if (h->type == CCID_PC_TO_RDR_XFR_BLOCK) {
		if (h->length >= 2 && data[1] == 0xA4) {
			sw[0] = 0x6A;
			sw[1] = 0x82;
		}
		return ccid_fake_reply(fd, CCID_RDR_TO_PC_DATA_BLOCK, sizeof(sw), h->seq, 0, sw,
		                       sizeof(sw));
	}
	if (h->type == CCID_PC_TO_RDR_ESCAPE)
		return ccid_fake_reply(fd, CCID_RDR_TO_PC_SLOT_STATUS, 0, h->seq,
		                       CCID_CMD_FAILED | CCID_ICC_PRESENT_ACTIVE, NULL, 0);
	return ccid_fake_reply(fd, CCID_RDR_TO_PC_SLOT_STATUS, 0, h->seq, CCID_ICC_PRESENT_ACTIVE,
	                       NULL, 0);
}

static void card_without_piv_applet_is_no_token(void **state)
{
	char dir[128];
	ccid_fake srv;
	p11t t;
	tkit_capture cap = TKIT_CAPTURE_OFF;
	CK_SLOT_ID slots[4];
	CK_ULONG n = 4;
	CK_TOKEN_INFO ti;
	CK_SESSION_HANDLE h = 0;
	char *text;

	(void)state;
	assert_int_equal(tkit_tmpdir_make(dir, sizeof(dir), "notpiv"), 0);
	ccid_fake_start(&srv, dir, not_piv_serve, NULL);
	assert_int_equal(p11t_setup_uninitialized(&t, 0, NULL), 0);
	assert_int_equal(setenv("KINKO_EMU_SOCKETS", srv.path, 1), 0);
	assert_int_equal(t.f->C_Initialize(NULL), CKR_OK);
	assert_int_equal(t.f->C_GetSlotList(CK_FALSE, slots, &n), CKR_OK);
	assert_int_equal(n, 1);

	tkit_capture_begin(&cap);
	assert_int_equal(t.f->C_GetTokenInfo(slots[0], &ti), CKR_TOKEN_NOT_RECOGNIZED);
	assert_int_equal(t.f->C_OpenSession(slots[0], CKF_SERIAL_SESSION, NULL, NULL, &h),
	                 CKR_TOKEN_NOT_RECOGNIZED);
	text = tkit_capture_end(&cap);
	/* the trace says why: the SELECT was refused, and nothing else was asked */
	assert_int_equal(tkit_trace_lines(text, "kinko p11: slot"), 1);
	assert_non_null(strstr(text, "refuses SELECT of the PIV applet (6A82)"));
	assert_int_equal(tkit_trace_apdus(text), 1);
	free(text);

	p11t_teardown(&t);
	ccid_fake_stop(&srv);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* budgets: kinko 6, yubikey 8, piv 10 APDUs */
		{"kinko_token_logs_on_within_6_apdus", cold_logon_takes_few_apdus, kinko_setup,
	         kind_teardown, NULL},
		{"yubikey_style_card_logs_on_within_8_apdus", cold_logon_takes_few_apdus,
	         yubikey_setup, kind_teardown, NULL},
		{"plain_piv_card_logs_on_within_10_apdus", cold_logon_takes_few_apdus, piv_setup,
	         kind_teardown, NULL},
		{"plain_piv_card_takes_the_certificate_after_a_restart",
	         plain_piv_card_takes_the_certificate_after_a_restart, piv_setup, kind_teardown,
	         NULL},
		cmocka_unit_test(
			plain_piv_card_with_its_own_management_key_refuses_keygen_naming_it),
		cmocka_unit_test(card_without_piv_applet_is_no_token),
	};

	/* read once per process by the module: before its first APDU */
	setenv("KINKO_DEBUG", "apdu,p11", 1);
	setenv("KINKO_CONF", "/dev/null", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
