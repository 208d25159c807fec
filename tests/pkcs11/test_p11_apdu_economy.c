/* APDU economy, counted from the module's own trace (KINKO_DEBUG=apdu, one "kinko: apdu N >"
 * line per command sent): a cold logon as a TLS client does it, a second signature, and
 * searches with a fresh and a stale cache. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture_test_util.h"
#include "p11_clock_test_util.h"
#include "p11_obj_test_util.h"
#include "tmpdir_test_util.h"

#define COLD_LOGON_MAX 6

static const CK_BYTE id_9a = 0x01;

typedef struct {
	p11t t;
	char conf[256];
	tkit_capture cap;
} econ;

/* ---- counting ---- */

static void trace_start(econ *e)
{
	tkit_capture_begin(&e->cap);
}

/* Stop capturing; the number of commands sent since trace_start. */
static unsigned trace_stop(econ *e)
{
	char *text = tkit_capture_end(&e->cap);
	unsigned n = tkit_trace_apdus(text);

	free(text);
	return n;
}

/* ---- the token: a P-256 key in 9A with its certificate, written beforehand ---- */

static void prepare_token(p11t *t)
{
	CK_OBJECT_HANDLE pub, priv, cert;
	unsigned char *der;
	size_t len = 0;

	p11t_login(t);
	p11t_generate(t, 0, "P-256", &id_9a, 1, &pub, &priv);
	der = objt_cert_for(t, pub, "kinko economy", &len, NULL);
	assert_int_equal(objt_write_cert(t, der, len, id_9a, &cert), CKR_OK);
	OPENSSL_free(der);
	/* the application starts afresh */
	assert_int_equal(t->f->C_Finalize(NULL), CKR_OK);
	t->session = 0;
}

static int setup_ttl(void **state, const char *ttl_ms)
{
	econ *e = calloc(1, sizeof(*e));
	char conf[64];

	if (!e)
		return -1;
	*state = e;
	e->cap = (tkit_capture)TKIT_CAPTURE_OFF;
	snprintf(conf, sizeof(conf), "cache_ttl_ms = %s\n", ttl_ms);
	if (tkit_file_write(e->conf, sizeof(e->conf), "econ.conf", conf) != 0)
		return -1;
	setenv("KINKO_CONF", e->conf, 1);
	if (p11t_setup(&e->t, 1, NULL) != 0)
		return -1;
	prepare_token(&e->t);
	return 0;
}

/* The module's default cache lifetime (2 s), and one no test outlives by itself: it ends
 * when the test moves the module's clock past it. */
#define LONG_TTL_MS 600000ul

static int setup(void **state)
{
	return setup_ttl(state, "2000");
}

static int setup_long_ttl(void **state)
{
	return setup_ttl(state, "600000");
}

static int teardown(void **state)
{
	econ *e = *state;

	if (!e)
		return 0;
	tkit_capture_abort(&e->cap);
	p11t_teardown(&e->t);
	unlink(e->conf);
	setenv("KINKO_CONF", "/dev/null", 1);
	free(e);
	return 0;
}

/* ---- the sequences ---- */

static CK_OBJECT_HANDLE find_by(p11t *t, CK_OBJECT_CLASS cls, const CK_BYTE *id)
{
	CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof(cls)}, {CKA_ID, (void *)id, 1}};
	CK_OBJECT_HANDLE h[2];

	assert_int_equal(objt_find(t, tmpl, id ? 2 : 1, h, 2), 1);
	return h[0];
}

static void sign_once(p11t *t, CK_OBJECT_HANDLE key)
{
	CK_MECHANISM m = {CKM_ECDSA_SHA256, NULL, 0};
	CK_BYTE sig[128];
	CK_ULONG sig_len = sizeof(sig);

	assert_int_equal(t->f->C_SignInit(t->session, &m, key), CKR_OK);
	assert_int_equal(t->f->C_Sign(t->session, (CK_BYTE_PTR) "hello", 5, sig, &sig_len), CKR_OK);
	assert_int_equal(sig_len, 64);
}

/* C_Initialize -> C_GetSlotList -> C_OpenSession -> find the certificate and read it ->
 * C_Login -> find the private key by CKA_ID -> C_Sign */
static void cold_logon_and_signature_take_few_apdus(void **state)
{
	econ *e = *state;
	p11t *t = &e->t;
	CK_SLOT_ID slot;
	CK_ULONG n = 1, len = 0;
	CK_OBJECT_HANDLE cert, key;
	CK_SESSION_INFO info;
	CK_BYTE *value, *id;
	unsigned cold, second, info_cost;

	trace_start(e);
	assert_int_equal(t->f->C_Initialize(NULL), CKR_OK);
	assert_int_equal(t->f->C_GetSlotList(CK_TRUE, &slot, &n), CKR_OK);
	assert_int_equal(t->f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &t->session),
	                 CKR_OK);
	cert = find_by(t, CKO_CERTIFICATE, NULL);
	value = objt_bytes(t, cert, CKA_VALUE, &len);
	free(value);
	id = objt_bytes(t, cert, CKA_ID, &len);
	assert_int_equal(t->f->C_Login(t->session, CKU_USER, (CK_UTF8CHAR_PTR) "123456", 6),
	                 CKR_OK);
	key = find_by(t, CKO_PRIVATE_KEY, id);
	free(id);
	sign_once(t, key);
	cold = trace_stop(e);
	print_message("cold logon: %u APDUs\n", cold);
	assert_true(cold <= COLD_LOGON_MAX);

	trace_start(e);
	sign_once(t, key);
	second = trace_stop(e);
	print_message("second signature: %u APDUs\n", second);
	assert_int_equal(second, 1);

	trace_start(e);
	assert_int_equal(t->f->C_GetSessionInfo(t->session, &info), CKR_OK);
	info_cost = trace_stop(e);
	assert_int_equal(info_cost, 0);
}

static void search_costs_nothing_fresh_and_one_inventory_stale(void **state)
{
	econ *e = *state;
	p11t *t = &e->t;
	CK_SLOT_ID slot;
	CK_ULONG n = 1;
	unsigned first, fresh, stale, cert_read;
	CK_OBJECT_HANDLE cert;
	CK_ULONG len = 0;
	CK_BYTE *v;

	trace_start(e);
	assert_int_equal(t->f->C_Initialize(NULL), CKR_OK);
	assert_int_equal(t->f->C_GetSlotList(CK_TRUE, &slot, &n), CKR_OK);
	assert_int_equal(t->f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &t->session),
	                 CKR_OK);
	first = trace_stop(e);
	assert_int_equal(first, 0); /* nothing is read before it is needed */

	trace_start(e);
	cert = find_by(t, CKO_CERTIFICATE, &id_9a);
	first = trace_stop(e);
	print_message("first search: %u APDUs\n", first);
	assert_int_equal(first, 2); /* SELECT, INVENTORY: no certificate read for class + id */

	trace_start(e);
	(void)find_by(t, CKO_PUBLIC_KEY, &id_9a);
	fresh = trace_stop(e);
	print_message("search, fresh cache: %u APDUs\n", fresh);
	assert_int_equal(fresh, 0);

	trace_start(e);
	v = objt_bytes(t, cert, CKA_VALUE, &len);
	free(v);
	v = objt_bytes(t, cert, CKA_SUBJECT, &len);
	free(v);
	cert_read = trace_stop(e);
	assert_int_equal(cert_read, 1); /* one GET DATA, then from the cache */

	p11t_clock_advance_ms(LONG_TTL_MS);
	trace_start(e);
	(void)find_by(t, CKO_PUBLIC_KEY, &id_9a);
	stale = trace_stop(e);
	print_message("search, stale cache: %u APDUs\n", stale);
	assert_int_equal(stale, 1); /* one INVENTORY; nothing changed, the certificate stays */

	trace_start(e);
	v = objt_bytes(t, cert, CKA_VALUE, &len);
	free(v);
	assert_int_equal(trace_stop(e), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(cold_logon_and_signature_take_few_apdus, setup,
	                                        teardown),
		cmocka_unit_test_setup_teardown(search_costs_nothing_fresh_and_one_inventory_stale,
	                                        setup_long_ttl, teardown),
	};

	/* read once per process by the module: before its first APDU */
	setenv("KINKO_DEBUG", "apdu", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
