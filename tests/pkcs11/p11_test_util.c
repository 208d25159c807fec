/* Fixture of the module tests: emulated tokens, the built module loaded with dlopen and
 * driven only through the 3.0 function list it hands out (as an application would). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "p11_test_util.h"
#include "time_test_util.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define P11T_PIN "123456"

const char *p11t_module_path(void)
{
	static char path[EMU_PATH_MAX * 2];
	const char *dir = getenv("KINKO_BUILDDIR");

	snprintf(path, sizeof(path), "%s/pkcs11/.libs/libkinko-pkcs11.so", dir && *dir ? dir : ".");
	return path;
}

/* KINKO_EMU_SOCKETS for the started emulators; an empty list means no slot at all. */
static int p11t_export_sockets(const p11t *t)
{
	char list[P11T_MAX_TOKENS * (EMU_PATH_MAX + 1)] = "";
	size_t i, used = 0;

	for (i = 0; i < t->n_tokens; i++) {
		int n = snprintf(list + used, sizeof(list) - used, "%s%s", i ? ":" : "",
		                 t->emu[i].sock);

		if (n < 0 || (size_t)n >= sizeof(list) - used)
			return -1;
		used += (size_t)n;
	}
	/* A configuration file installed on this machine, or the user's own (a test binary run
	 * by hand, outside make check's XDG_CONFIG_HOME), must not add readers to a test. */
	return setenv("KINKO_EMU_SOCKETS", list, 1) == 0 &&
	                       setenv("KINKO_CONF", "/dev/null", 0) == 0 &&
	                       setenv("XDG_CONFIG_HOME", "/nonexistent/kinko-tests", 0) == 0 ?
	               0 :
	               -1;
}

static int p11t_load(p11t *t)
{
	CK_RV (*get_interface)(CK_UTF8CHAR_PTR, CK_VERSION_PTR, CK_INTERFACE_PTR_PTR, CK_FLAGS);
	CK_VERSION v30 = {3, 0};
	CK_INTERFACE_PTR iface = NULL;
	CK_RV rv;

	t->dl = dlopen(p11t_module_path(), RTLD_NOW | RTLD_LOCAL);
	if (!t->dl) {
		fprintf(stderr, "# dlopen %s: %s\n", p11t_module_path(), dlerror());
		return -1;
	}
	*(void **)&get_interface = dlsym(t->dl, "C_GetInterface");
	if (!get_interface) {
		fprintf(stderr, "# the module exports no C_GetInterface\n");
		return -1;
	}
	rv = get_interface((CK_UTF8CHAR_PTR)KINKO_P11_INTERFACE_NAME, &v30, &iface, 0);
	if (rv != CKR_OK || !iface || !iface->pFunctionList) {
		fprintf(stderr, "# C_GetInterface(PKCS 11, 3.0): 0x%lx\n", (unsigned long)rv);
		return -1;
	}
	t->f = iface->pFunctionList;
	return 0;
}

int p11t_setup_uninitialized(p11t *t, size_t n_tokens, const char *const *init_extra)
{
	size_t i;
	char out[1024];

	memset(t, 0, sizeof(*t));
	if (n_tokens > P11T_MAX_TOKENS)
		return -1;
	for (i = 0; i < n_tokens; i++) {
		emu_proc *p = &t->emu[i];

		t->n_tokens = i + 1;
		if (emu_proc_setup(p) != 0) {
			fprintf(stderr, "# emulator directory: cannot create\n");
			return -1;
		}
		if (emu_init(p, init_extra, out, sizeof(out)) != 0) {
			fprintf(stderr, "# emulator --init failed: %s\n", out);
			return -1;
		}
		if (emu_start(p, NULL) != 0) {
			fprintf(stderr, "# emulator did not start\n");
			return -1;
		}
	}
	if (p11t_export_sockets(t) != 0)
		return -1;
	return p11t_load(t);
}

int p11t_setup(p11t *t, size_t n_tokens, const char *const *init_extra)
{
	CK_ULONG n = P11T_MAX_TOKENS;
	CK_RV rv;

	if (p11t_setup_uninitialized(t, n_tokens, init_extra) != 0)
		return -1;
	rv = t->f->C_Initialize(NULL);
	if (rv != CKR_OK) {
		fprintf(stderr, "# C_Initialize: 0x%lx\n", (unsigned long)rv);
		return -1;
	}
	rv = t->f->C_GetSlotList(CK_TRUE, t->slots, &n);
	if (rv != CKR_OK || n != n_tokens) {
		fprintf(stderr, "# C_GetSlotList: 0x%lx, %lu of %zu tokens\n", (unsigned long)rv,
		        (unsigned long)n, n_tokens);
		return -1;
	}
	if (n_tokens == 0)
		return 0;
	rv = t->f->C_OpenSession(t->slots[0], CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
	                         &t->session);
	if (rv != CKR_OK) {
		fprintf(stderr, "# C_OpenSession: 0x%lx\n", (unsigned long)rv);
		return -1;
	}
	return 0;
}

/* Stop every emulator with SIGTERM; -1 when one did not exit cleanly (under the
 * sanitizers that includes its leak check). */
static int p11t_stop_all(p11t *t)
{
	int rc = 0;
	size_t i;

	for (i = 0; i < t->n_tokens; i++) {
		if (emu_proc_finish(&t->emu[i]) != 0) {
			fprintf(stderr, "# emulator %zu did not exit cleanly\n", i);
			rc = -1;
		}
	}
	t->n_tokens = 0;
	return rc;
}

static int p11t_unload(p11t *t)
{
	int rc;

	if (t->f)
		(void)t->f->C_Finalize(NULL);
	t->f = NULL;
	if (t->dl)
		dlclose(t->dl);
	t->dl = NULL;
	rc = p11t_stop_all(t);
	t->session = 0;
	return rc;
}

void p11t_teardown(p11t *t)
{
	(void)p11t_unload(t);
}

/* *state = a zeroed heap block of size bytes that starts with a p11t, set up. */
static int p11t_state_setup_sized(void **state, size_t size, size_t n_tokens,
                                  const char *const *init_extra, bool initialize)
{
	p11t *t = calloc(1, size);
	int rc;

	*state = t;
	if (!t)
		return -1;
	rc = initialize ? p11t_setup(t, n_tokens, init_extra) :
	                  p11t_setup_uninitialized(t, n_tokens, init_extra);
	if (rc != 0) {
		p11t_teardown(t);
		free(t);
		*state = NULL;
		return -1;
	}
	return 0;
}

int p11t_state_setup(void **state, size_t n_tokens, const char *const *init_extra, bool initialize)
{
	return p11t_state_setup_sized(state, sizeof(p11t), n_tokens, init_extra, initialize);
}

int p11t_fixture_setup_1(void **state, size_t fixture_size)
{
	return p11t_state_setup_sized(state, fixture_size, 1, NULL, true);
}

int p11t_group_setup_1(void **state)
{
	return p11t_state_setup(state, 1, NULL, true);
}

int p11t_group_setup_uninitialized_1(void **state)
{
	return p11t_state_setup(state, 1, NULL, false);
}

int p11t_finalize_teardown(void **state)
{
	p11t *t = *state;

	(void)t->f->C_Finalize(NULL);
	t->session = 0;
	return 0;
}

int p11t_group_teardown(void **state)
{
	p11t *t = *state;
	int rc;

	if (!t)
		return 0;
	rc = p11t_unload(t);
	free(t);
	*state = NULL;
	return rc;
}

void p11t_login(p11t *t)
{
	CK_RV rv = t->f->C_Login(t->session, CKU_USER, (CK_UTF8CHAR_PTR)P11T_PIN,
	                         sizeof(P11T_PIN) - 1);

	assert_int_equal(rv, CKR_OK);
}

void p11t_generate(p11t *t, CK_ULONG bits, const char *ec_curve, const CK_BYTE *id, size_t id_len,
                   CK_OBJECT_HANDLE *pub, CK_OBJECT_HANDLE *priv)
{
	static const CK_BYTE p256[] = {0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07};
	static const CK_BYTE p384[] = {0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x22};
	static const CK_BYTE e65537[] = {0x01, 0x00, 0x01};
	CK_BBOOL yes = CK_TRUE;
	CK_MECHANISM mech = {ec_curve ? CKM_EC_KEY_PAIR_GEN : CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0};
	CK_ATTRIBUTE pub_tmpl[5], priv_tmpl[4];
	CK_ULONG np = 0, nk = 0;
	CK_RV rv;

	pub_tmpl[np++] = (CK_ATTRIBUTE){CKA_TOKEN, &yes, sizeof(yes)};
	pub_tmpl[np++] = (CK_ATTRIBUTE){CKA_VERIFY, &yes, sizeof(yes)};
	if (!ec_curve) {
		pub_tmpl[np++] = (CK_ATTRIBUTE){CKA_MODULUS_BITS, &bits, sizeof(bits)};
		pub_tmpl[np++] =
			(CK_ATTRIBUTE){CKA_PUBLIC_EXPONENT, (void *)e65537, sizeof(e65537)};
	} else if (strcmp(ec_curve, "P-384") == 0) {
		pub_tmpl[np++] = (CK_ATTRIBUTE){CKA_EC_PARAMS, (void *)p384, sizeof(p384)};
	} else {
		assert_string_equal(ec_curve, "P-256");
		pub_tmpl[np++] = (CK_ATTRIBUTE){CKA_EC_PARAMS, (void *)p256, sizeof(p256)};
	}
	priv_tmpl[nk++] = (CK_ATTRIBUTE){CKA_TOKEN, &yes, sizeof(yes)};
	priv_tmpl[nk++] = (CK_ATTRIBUTE){CKA_PRIVATE, &yes, sizeof(yes)};
	priv_tmpl[nk++] = (CK_ATTRIBUTE){CKA_SIGN, &yes, sizeof(yes)};
	if (id_len > 0) {
		pub_tmpl[np++] = (CK_ATTRIBUTE){CKA_ID, (void *)id, id_len};
		priv_tmpl[nk++] = (CK_ATTRIBUTE){CKA_ID, (void *)id, id_len};
	}
	*pub = *priv = 0;
	rv = t->f->C_GenerateKeyPair(t->session, &mech, pub_tmpl, np, priv_tmpl, nk, pub, priv);
	assert_int_equal(rv, CKR_OK);
	assert_true(*pub != 0);
	assert_true(*priv != 0);
}

CK_OBJECT_HANDLE p11t_find_one(p11t *t, CK_OBJECT_CLASS cls, const CK_BYTE *id, size_t id_len)
{
	CK_ATTRIBUTE tmpl[2] = {{CKA_CLASS, &cls, sizeof(cls)}, {CKA_ID, (void *)id, id_len}};
	CK_OBJECT_HANDLE found[2] = {0, 0};
	CK_ULONG n = 0;

	assert_int_equal(t->f->C_FindObjectsInit(t->session, tmpl, id_len > 0 ? 2 : 1), CKR_OK);
	assert_int_equal(t->f->C_FindObjects(t->session, found, 2, &n), CKR_OK);
	assert_int_equal(t->f->C_FindObjectsFinal(t->session), CKR_OK);
	assert_true(n <= 1);
	return n == 1 ? found[0] : 0;
}

void p11t_initialize_open(p11t *t, CK_FLAGS flags)
{
	CK_ULONG n = 1;

	assert_int_equal(t->f->C_Initialize(NULL), CKR_OK);
	assert_int_equal(t->f->C_GetSlotList(CK_TRUE, t->slots, &n), CKR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(t->f->C_OpenSession(t->slots[0], CKF_SERIAL_SESSION | flags, NULL, NULL,
	                                     &t->session),
	                 CKR_OK);
}

CK_RV p11t_sign_once(p11t *t, CK_OBJECT_HANDLE key)
{
	CK_MECHANISM mech = {CKM_ECDSA, NULL, 0};
	CK_BYTE digest[32] = {7}, sig[128];
	CK_ULONG sig_len = sizeof(sig);
	CK_RV rv = t->f->C_SignInit(t->session, &mech, key);

	return rv == CKR_OK ? t->f->C_Sign(t->session, digest, sizeof(digest), sig, &sig_len) : rv;
}

void p11t_child_wait_ok(pid_t pid)
{
	int status = -1;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void *p11t_waiter_run(void *arg)
{
	p11t_waiter *w = arg;

	w->rv = w->f->C_WaitForSlotEvent(0, &w->slot, NULL);
	w->returned_ms = tkit_now_ms();
	return NULL;
}

void p11t_waiter_start(p11t_waiter *w, CK_FUNCTION_LIST_3_0 *f)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
	w->rv = CKR_GENERAL_ERROR;
	assert_int_equal(pthread_create(&w->th, NULL, p11t_waiter_run, w), 0);
}

void p11t_waiter_join(p11t_waiter *w)
{
	assert_int_equal(pthread_join(w->th, NULL), 0);
}

void p11t_event_during_wait(p11t *t, void (*act)(const char *), const char *arg, CK_SLOT_ID slot)
{
	p11t_waiter w;

	p11t_waiter_start(&w, t->f);
	tkit_sleep_ms(150);
	act(arg);
	p11t_waiter_join(&w);
	assert_int_equal(w.rv, CKR_OK);
	assert_int_equal(w.slot, slot);
}
