/* OpenSC's pkcs11-tool, an unmodified application in another process, over the module
 * and an emulated kinko USB token: it lists the token, generates a key and signs (checked
 * with OpenSSL), while this process keeps a logged-in session that still signs afterwards
 * (the token was shared, the interface claimed per call by each). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <openssl/evp.h>

#include "card_test_util.h"
#include "piv.h"
#include "sig_test_util.h"
#include "time_test_util.h"
#include "usb_p11_fixture.h"

#define PKCS11_TOOL "/usr/bin/pkcs11-tool"

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
	char cmd[1024], sigpath[sizeof(m->dir) + 8];
	gchar *out = NULL, *sig = NULL;
	gsize sig_len = 0;
	const char *mod = p11t_module_path();
	EVP_PKEY *pkey;
	int rc;

	p11t_login(&m->t);
	/* The child inherits the testbed (LD_PRELOAD, UMOCKDEV_DIR) and KINKO_CONF; this
	 * process's module holds the interface only during its own calls. */
	snprintf(cmd, sizeof(cmd), "pkcs11-tool --module '%s' -L 2>&1", mod);
	assert_int_equal(run(cmd, &out), 0);
	assert_non_null(strstr(out, "kinko USB token usb:1-1"));
	g_free(out);

	snprintf(cmd, sizeof(cmd),
	         "pkcs11-tool --module '%s' --login --pin 123456 --keypairgen "
	         "--key-type EC:prime256v1 --id 01 2>&1",
	         mod);
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
	         "-m ECDSA-SHA256 --id 01 --signature-format openssl -o '%s' 2>&1",
	         mod, sigpath);
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

		tkit_sleep_ms(2100); /* past the cache TTL: the new key must be learnt */
		priv = p11t_find_one(&m->t, CKO_PRIVATE_KEY, (const CK_BYTE[]){1}, 1);
		assert_int_not_equal(priv, 0);
		assert_int_equal(m->t.f->C_SignInit(m->t.session, &mech, priv), CKR_OK);
		assert_int_equal(m->t.f->C_Sign(m->t.session, (CK_BYTE_PTR) "usb data", 8, raw,
		                                &raw_len),
		                 CKR_OK);
		assert_int_equal(sigt_verify(pkey, CKM_ECDSA_SHA256, NULL,
		                             (const uint8_t *)"usb data", 8, raw, raw_len),
		                 1);
	}
	EVP_PKEY_free(pkey);
}

static int setup(void **state)
{
	return mfx_setup(state, 1, MFX_CONF_USB, 1);
}

static int teardown(void **state)
{
	return mfx_teardown(state);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(pkcs11_tool_lists_the_token_and_signs, setup,
	                                        teardown),
	};

	(void)argc;
	umock_bed_reexec(argv);
	/* A whole-program TAP skip, with the reason (cmocka's own skip reads as a failure to
	 * automake's TAP driver). */
	if (access(PKCS11_TOOL, X_OK) != 0) {
		printf("1..0 # SKIP pkcs11-tool (OpenSC) not installed\n");
		return 0;
	}
	if (umock_skip_if_asan_static())
		return 0;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
