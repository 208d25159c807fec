/* The PKCS#11 module over emulated kinko USB tokens (umockdev, the module's own libusb):
 * slots per token, login, key generation, signatures verified with OpenSSL, certificate
 * write, C_WaitForSlotEvent across unplug and re-plug, unplug during a signature, two
 * tokens at once, the interface released after every call, and OpenSC's pkcs11-tool in
 * a child process listing the token and signing with it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <openssl/evp.h>

#include "card_test_util.h"
#include "p11_obj_test_util.h"
#include "piv.h"
#include "sig_test_util.h"
#include "umock_token.h"

#define SERIAL_A 0x00A0A0A0u
#define SERIAL_B 0x00B0B0B0u

typedef struct {
	umock_bed *bed;
	umock_token *tok[2];
	p11t t;
	char dir[64];
	char conf[96];
} mfx;

static void sleep_ms(long ms)
{
	nanosleep(&(struct timespec){ms / 1000, (ms % 1000) * 1000000L}, NULL);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int mfx_load(mfx *m)
{
	CK_RV (*get_interface)(CK_UTF8CHAR_PTR, CK_VERSION_PTR, CK_INTERFACE_PTR_PTR, CK_FLAGS);
	CK_VERSION v30 = {3, 0};
	CK_INTERFACE_PTR iface = NULL;

	m->t.dl = dlopen(p11t_module_path(), RTLD_NOW | RTLD_LOCAL);
	if (!m->t.dl)
		return -1;
	*(void **)&get_interface = dlsym(m->t.dl, "C_GetInterface");
	if (!get_interface ||
	    get_interface((CK_UTF8CHAR_PTR)KINKO_P11_INTERFACE_NAME, &v30, &iface, 0) != CKR_OK)
		return -1;
	m->t.f = iface->pFunctionList;
	return m->t.f->C_Initialize(NULL) == CKR_OK ? 0 : -1;
}

/* Slots with a token, in the module's order; their count. */
static CK_ULONG mfx_slots(mfx *m)
{
	CK_ULONG n = P11T_MAX_TOKENS;

	if (m->t.f->C_GetSlotList(CK_TRUE, m->t.slots, &n) != CKR_OK)
		return 0;
	return n;
}

static int mfx_start(void **state, size_t tokens)
{
	mfx *m = calloc(1, sizeof(*m));
	FILE *f;

	*state = m;
	if (!m || !(m->bed = umock_bed_new()))
		return -1;
	if (!(m->tok[0] = umock_token_plug(m->bed, 1, &(tok_provision_opts){.serial = SERIAL_A})))
		return -1;
	if (tokens == 2 &&
	    !(m->tok[1] = umock_token_plug(m->bed, 3, &(tok_provision_opts){.serial = SERIAL_B})))
		return -1;
	snprintf(m->dir, sizeof(m->dir), "/tmp/kinko-usb-XXXXXX");
	if (!mkdtemp(m->dir))
		return -1;
	snprintf(m->conf, sizeof(m->conf), "%s/kinko.conf", m->dir);
	f = fopen(m->conf, "w");
	if (!f)
		return -1;
	fprintf(f, "usb = yes\nusb_vid_pid = 1209:6b6b\ntimeout_ms = 3000\n");
	fclose(f);
	/* Only the USB tokens: no emulator sockets from the environment. */
	unsetenv("KINKO_EMU_SOCKETS");
	setenv("KINKO_CONF", m->conf, 1);
	if (mfx_load(m) != 0 || mfx_slots(m) != tokens)
		return -1;
	return m->t.f->C_OpenSession(m->t.slots[0], CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
	                             NULL, &m->t.session) == CKR_OK ? 0 : -1;
}

static int setup_one(void **state)
{
	return mfx_start(state, 1);
}

static int setup_two(void **state)
{
	return mfx_start(state, 2);
}

static int teardown(void **state)
{
	mfx *m = *state;

	if (!m)
		return 0;
	p11t_teardown(&m->t);
	umock_bed_free(m->bed);
	if (m->conf[0])
		unlink(m->conf);
	if (m->dir[0])
		rmdir(m->dir);
	free(m);
	return 0;
}

static void token_serial(mfx *m, CK_SLOT_ID slot, char out[17])
{
	CK_TOKEN_INFO ti;

	assert_int_equal(m->t.f->C_GetTokenInfo(slot, &ti), CKR_OK);
	memcpy(out, ti.serialNumber, 16);
	out[16] = '\0';
}

/* ---- slots ---- */

static void each_usb_token_is_a_slot_with_its_serial(void **state)
{
	mfx *m = *state;
	CK_SLOT_INFO si;
	char serial[17], want[17];

	assert_int_equal(m->t.f->C_GetSlotInfo(m->t.slots[0], &si), CKR_OK);
	assert_true(si.flags & CKF_TOKEN_PRESENT);
	assert_true(si.flags & CKF_REMOVABLE_DEVICE);
	assert_memory_equal(si.slotDescription, "kinko USB token usb:1-1",
	                    strlen("kinko USB token usb:1-1"));
	token_serial(m, m->t.slots[0], serial);
	snprintf(want, sizeof(want), "%u", SERIAL_A);
	assert_memory_equal(serial, want, strlen(want));
	token_serial(m, m->t.slots[1], serial);
	snprintf(want, sizeof(want), "%u", SERIAL_B);
	assert_memory_equal(serial, want, strlen(want));
}

/* ---- login, keys, signatures, certificates ---- */

static void generate_sign_verify(mfx *m, CK_SESSION_HANDLE session, CK_BYTE id)
{
	sigt_keypair kp;
	CK_SESSION_HANDLE keep = m->t.session;

	m->t.session = session;
	sigt_keypair_make(&m->t, &kp, 0, "P-256", id);
	{
		CK_MECHANISM mech = {CKM_ECDSA_SHA256, NULL, 0};
		static const char msg[] = "kinko over USB";
		CK_BYTE sig[128];
		CK_ULONG sig_len = sizeof(sig);

		assert_int_equal(m->t.f->C_SignInit(session, &mech, kp.priv), CKR_OK);
		assert_int_equal(m->t.f->C_Sign(session, (CK_BYTE_PTR)msg, sizeof(msg) - 1, sig,
		                                &sig_len), CKR_OK);
		assert_int_equal(sigt_verify(kp.pkey, CKM_ECDSA_SHA256, NULL, (const uint8_t *)msg,
		                             sizeof(msg) - 1, sig, sig_len), 1);
	}
	EVP_PKEY_free(kp.pkey);
	m->t.session = keep;
}

static void login_generate_sign_and_write_certificate(void **state)
{
	mfx *m = *state;
	CK_OBJECT_HANDLE cert = 0;
	EVP_PKEY *pub, *ca;
	X509 *x;
	unsigned char *der;
	size_t der_len = 0;

	p11t_login(&m->t);
	generate_sign_verify(m, m->t.session, 0x01);
	pub = objt_pubkey(&m->t, p11t_find_one(&m->t, CKO_PUBLIC_KEY, (const CK_BYTE[]){1}, 1));
	assert_non_null(pub);
	ca = objt_ec_key();
	assert_non_null(ca);
	x = objt_cert(pub, "kinko usb", ca);
	assert_non_null(x);
	der = objt_cert_der(x, &der_len);
	assert_int_equal(objt_write_cert(&m->t, der, der_len, 0x01, &cert), CKR_OK);
	assert_int_not_equal(p11t_find_one(&m->t, CKO_CERTIFICATE, (const CK_BYTE[]){1}, 1), 0);
	OPENSSL_free(der);
	X509_free(x);
	EVP_PKEY_free(ca);
	EVP_PKEY_free(pub);
}

static void interface_is_released_after_every_call(void **state)
{
	mfx *m = *state;
	CK_SESSION_INFO info;

	CK_TOKEN_INFO ti;

	assert_int_equal(m->t.f->C_GetTokenInfo(m->t.slots[0], &ti), CKR_OK);
	assert_false(umock_token_claimed(m->tok[0]));
	p11t_login(&m->t);
	assert_false(umock_token_claimed(m->tok[0]));
	generate_sign_verify(m, m->t.session, 0x01);
	assert_false(umock_token_claimed(m->tok[0]));
	assert_int_not_equal(p11t_find_one(&m->t, CKO_PUBLIC_KEY, (const CK_BYTE[]){1}, 1), 0);
	assert_false(umock_token_claimed(m->tok[0]));
	assert_int_equal(m->t.f->C_Logout(m->t.session), CKR_OK);
	assert_false(umock_token_claimed(m->tok[0]));
	assert_int_equal(m->t.f->C_GetSessionInfo(m->t.session, &info), CKR_OK);
	assert_int_equal(info.state, CKS_RW_PUBLIC_SESSION);
}

static void two_tokens_sign_at_once(void **state)
{
	mfx *m = *state;
	CK_SESSION_HANDLE s2;

	assert_int_equal(m->t.f->C_OpenSession(m->t.slots[1], CKF_SERIAL_SESSION | CKF_RW_SESSION,
	                                       NULL, NULL, &s2), CKR_OK);
	p11t_login(&m->t);
	assert_int_equal(m->t.f->C_Login(s2, CKU_USER, (CK_UTF8CHAR_PTR) "123456", 6), CKR_OK);
	/* 9A on both (CKA_ID 01): 9C would want a context-specific login per signature. */
	generate_sign_verify(m, m->t.session, 0x01);
	generate_sign_verify(m, s2, 0x01);
}

/* ---- removal ---- */

typedef struct {
	mfx *m;
	CK_SLOT_ID slot;
	CK_RV rv;
} waiter;

static void *wait_event(void *arg)
{
	waiter *w = arg;

	w->rv = w->m->t.f->C_WaitForSlotEvent(0, &w->slot, NULL);
	return NULL;
}

static void wait_in_thread(mfx *m, void (*act)(umock_token *), umock_token *tok,
                           CK_SLOT_ID want)
{
	waiter w = {.m = m, .rv = CKR_GENERAL_ERROR};
	pthread_t th;

	assert_int_equal(pthread_create(&th, NULL, wait_event, &w), 0);
	sleep_ms(200);
	act(tok);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(w.rv, CKR_OK);
	assert_int_equal(w.slot, want);
}

static void do_unplug(umock_token *t)
{
	umock_token_unplug(t);
}

static void do_replug(umock_token *t)
{
	assert_int_equal(umock_token_replug(t), 0);
}

static void unplug_and_replug_are_slot_events_and_the_slot_works_again(void **state)
{
	mfx *m = *state;
	CK_SLOT_ID slot = m->t.slots[0];
	CK_SESSION_INFO info;
	CK_SLOT_INFO si;
	CK_SLOT_ID ev;

	/* Nothing pending at first. */
	assert_int_equal(m->t.f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &ev, NULL), CKR_NO_EVENT);
	p11t_login(&m->t);
	wait_in_thread(m, do_unplug, m->tok[0], slot);
	assert_int_equal(m->t.f->C_GetSessionInfo(m->t.session, &info), CKR_DEVICE_REMOVED);
	assert_int_equal(m->t.f->C_GetSlotInfo(slot, &si), CKR_OK);
	assert_false(si.flags & CKF_TOKEN_PRESENT);

	wait_in_thread(m, do_replug, m->tok[0], slot);
	assert_int_equal(m->t.f->C_GetSlotInfo(slot, &si), CKR_OK);
	assert_true(si.flags & CKF_TOKEN_PRESENT);
	/* Same slot id, a new session, and the token works. */
	assert_int_equal(m->t.f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
	                                       &m->t.session), CKR_OK);
	p11t_login(&m->t);
	generate_sign_verify(m, m->t.session, 0x01);
}

static void unplug_during_signature_is_device_removed_without_hanging(void **state)
{
	mfx *m = *state;
	sigt_keypair kp;
	CK_MECHANISM mech = {CKM_ECDSA_SHA256, NULL, 0};
	CK_BYTE sig[128];
	CK_ULONG sig_len = sizeof(sig);
	CK_SESSION_INFO info;
	long long t0;

	p11t_login(&m->t);
	sigt_keypair_make(&m->t, &kp, 0, "P-256", 0x01);
	assert_int_equal(m->t.f->C_SignInit(m->t.session, &mech, kp.priv), CKR_OK);
	umock_token_fault(m->tok[0], PIV_INS_GENERAL_AUTH, UMOCK_FAULT_UNPLUG);
	t0 = now_ms();
	assert_int_equal(m->t.f->C_Sign(m->t.session, (CK_BYTE_PTR) "x", 1, sig, &sig_len),
	                 CKR_DEVICE_REMOVED);
	assert_true(now_ms() - t0 < 3000);
	umock_token_unplug(m->tok[0]);
	/* Said once, then the handle is gone. */
	assert_int_equal(m->t.f->C_GetSessionInfo(m->t.session, &info), CKR_DEVICE_REMOVED);
	assert_int_equal(m->t.f->C_GetSessionInfo(m->t.session, &info), CKR_SESSION_HANDLE_INVALID);
	EVP_PKEY_free(kp.pkey);
}

/* ---- OpenSC's pkcs11-tool, an unmodified application in another process ---- */

static int run(const char *cmd, char **out)
{
	gint status = -1;
	gchar *argv[] = {"/bin/sh", "-c", (gchar *)cmd, NULL};
	/* In a sanitizer build the child inherits ASan (first in LD_PRELOAD, for the module it
	 * loads); pkcs11-tool's own leaks are not ours to report. */
	gchar **envp = g_environ_setenv(g_get_environ(), "ASAN_OPTIONS", "detect_leaks=0", TRUE);
	gboolean ok = g_spawn_sync(NULL, argv, envp, G_SPAWN_DEFAULT, NULL, NULL, out, NULL,
	                           &status, NULL);

	g_strfreev(envp);
	if (!ok)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The P-256 public key pkcs11-tool printed ("EC_POINT:   0441 04 x y"). */
static EVP_PKEY *printed_ec_key(const char *out)
{
	const char *p = strstr(out, "EC_POINT:");
	uint8_t t[2 + 65];
	size_t i;

	if (!p)
		return NULL;
	p += strlen("EC_POINT:");
	while (*p == ' ')
		p++;
	/* Skip the DER OCTET STRING header 04 41; rewrap the point as GENERATE's 86 41. */
	if (strncmp(p, "0441", 4) != 0)
		return NULL;
	p += 4;
	t[0] = 0x86;
	t[1] = 65;
	for (i = 0; i < 65; i++) {
		unsigned v;

		if (sscanf(p + 2 * i, "%2x", &v) != 1)
			return NULL;
		t[2 + i] = (uint8_t)v;
	}
	return test_pubkey_from_7f49(PIV_ALG_ECCP256, t, sizeof(t));
}

static int verify_der_ecdsa(EVP_PKEY *pkey, const char *data, const uint8_t *sig, size_t len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pkey) == 1 &&
	         EVP_DigestVerify(md, sig, len, (const uint8_t *)data, strlen(data)) == 1;

	EVP_MD_CTX_free(md);
	return ok;
}

static void pkcs11_tool_lists_the_token_and_signs(void **state)
{
	mfx *m = *state;
	char cmd[1024], sigpath[128];
	gchar *out = NULL, *sig = NULL;
	gsize sig_len = 0;
	const char *mod = p11t_module_path();
	EVP_PKEY *pkey;
	int rc;

	if (access("/usr/bin/pkcs11-tool", X_OK) != 0)
		skip();
	p11t_login(&m->t);
	/* The child inherits the testbed (LD_PRELOAD, UMOCKDEV_DIR) and KINKO_CONF; this
	 * process's module holds the interface only during its own calls. */
	snprintf(cmd, sizeof(cmd), "pkcs11-tool --module '%s' -L 2>&1", mod);
	assert_int_equal(run(cmd, &out), 0);
	assert_non_null(strstr(out, "kinko USB token usb:1-1"));
	g_free(out);

	snprintf(cmd, sizeof(cmd),
	         "pkcs11-tool --module '%s' --login --pin 123456 --keypairgen "
	         "--key-type EC:prime256v1 --id 01 2>&1", mod);
	rc = run(cmd, &out);
	if (rc != 0)
		fprintf(stderr, "# pkcs11-tool: %s\n", out ? out : "(no output)");
	assert_int_equal(rc, 0);
	pkey = printed_ec_key(out);
	g_free(out);
	assert_non_null(pkey);

	snprintf(sigpath, sizeof(sigpath), "%s/sig", m->dir);
	snprintf(cmd, sizeof(cmd),
	         "printf 'usb data' | pkcs11-tool --module '%s' --login --pin 123456 --sign "
	         "-m ECDSA-SHA256 --id 01 --signature-format openssl -o '%s' 2>&1", mod, sigpath);
	rc = run(cmd, &out);
	if (rc != 0)
		fprintf(stderr, "# pkcs11-tool: %s\n", out ? out : "(no output)");
	g_free(out);
	assert_int_equal(rc, 0);
	assert_true(g_file_get_contents(sigpath, &sig, &sig_len, NULL));
	unlink(sigpath);
	assert_true(verify_der_ecdsa(pkey, "usb data", (const uint8_t *)sig, sig_len));
	g_free(sig);

	/* Our own session, logged in before pkcs11-tool ran (and reset the card): it still
	 * signs, with the key pkcs11-tool made (the module re-verifies with the held PIN). */
	{
		CK_MECHANISM mech = {CKM_ECDSA_SHA256, NULL, 0};
		CK_OBJECT_HANDLE priv;
		CK_BYTE raw[128];
		CK_ULONG raw_len = sizeof(raw);

		sleep_ms(2100);   /* past the cache TTL: the new key must be learnt */
		priv = p11t_find_one(&m->t, CKO_PRIVATE_KEY, (const CK_BYTE[]){1}, 1);
		assert_int_not_equal(priv, 0);
		assert_int_equal(m->t.f->C_SignInit(m->t.session, &mech, priv), CKR_OK);
		assert_int_equal(m->t.f->C_Sign(m->t.session, (CK_BYTE_PTR) "usb data", 8, raw,
		                                &raw_len), CKR_OK);
		assert_int_equal(sigt_verify(pkey, CKM_ECDSA_SHA256, NULL,
		                             (const uint8_t *)"usb data", 8, raw, raw_len), 1);
	}
	EVP_PKEY_free(pkey);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(each_usb_token_is_a_slot_with_its_serial, setup_two,
		                                teardown),
		cmocka_unit_test_setup_teardown(login_generate_sign_and_write_certificate, setup_one,
		                                teardown),
		cmocka_unit_test_setup_teardown(interface_is_released_after_every_call, setup_one,
		                                teardown),
		cmocka_unit_test_setup_teardown(two_tokens_sign_at_once, setup_two, teardown),
		cmocka_unit_test_setup_teardown(
		    unplug_and_replug_are_slot_events_and_the_slot_works_again, setup_one, teardown),
		cmocka_unit_test_setup_teardown(
		    unplug_during_signature_is_device_removed_without_hanging, setup_one, teardown),
		cmocka_unit_test_setup_teardown(pkcs11_tool_lists_the_token_and_signs, setup_one,
		                                teardown),
	};

	(void)argc;
	if (umock_bed_reexec(argv) != 0)
		return 99;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
