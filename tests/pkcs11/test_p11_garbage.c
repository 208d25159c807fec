/* The module against a fake token that answers garbage where the object layer parses:
 * the inventory, certificate containers, the public key in GET METADATA, and the long
 * way for tokens without an inventory. Every case ends in a clean CK_RV (mostly
 * CKR_DEVICE_ERROR), never a crash or an over-read (this runs under ASan in the sanitizer
 * build); a token that answers well through the fallback is read correctly. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ccid.h"
#include "ccid_fake.h"
#include "p11_obj_test_util.h"
#include "tmpdir_test_util.h"

/* What the fake answers: data then SW for each kind of command (NULL data: SW only). */
typedef struct {
	const uint8_t *data;
	size_t len;
	uint16_t sw;
} fake_answer;

typedef struct {
	fake_answer inventory, cert, metadata, serial;
} fake_script;

typedef struct {
	p11t t;
	char dir[128];
	ccid_fake srv;
} fake;

#define SW_OK 0x9000
#define SW_NOT_FOUND 0x6A82
#define SW_INS 0x6D00
#define SW_P1P2 0x6A86
#define ANSWER(...)                                                                           \
	{                                                                                     \
		(const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}), SW_OK \
	}
#define SW_ONLY(sw)           \
	{                     \
		NULL, 0, (sw) \
	}

/* An inventory saying: serial 42, PIN 3/3, a P-256 key in 9A, its certificate container. */
#define INV_9A_CERT                                                                                \
	0xF8, 0x04, 0, 0, 0, 42, 0x06, 0x02, 3, 3, 0x07, 0x02, 3, 3, 0x05, 0x01, 0, 0xC0, 0x04, 0, \
		0, 0, 1, 0xE0, 0x0D, 0x80, 0x01, 0x9A, 0x01, 0x01, 0x11, 0x02, 0x02, 0x02, 0x01,   \
		0x03, 0x01, 0x01, 0xE1, 0x05, 0x5C, 0x03, 0x5F, 0xC1, 0x05

/* ---- the fake token (a child process) ---- */

/* A reply carrying data then, if with_sw, the status word, in one message. */
static int fake_reply(int fd, uint8_t type, uint8_t seq, uint8_t status, const uint8_t *data,
                      size_t len, uint16_t sw, bool with_sw)
{
	static uint8_t msg[CCID_MAX_DATA];
	size_t n = len + (with_sw ? 2 : 0);

	if (n > sizeof(msg))
		return -1;
	if (len)
		memcpy(msg, data, len);
	if (with_sw) {
		msg[len] = (uint8_t)(sw >> 8);
		msg[len + 1] = (uint8_t)sw;
	}
	return ccid_fake_reply(fd, type, (uint32_t)n, seq, status, msg, n);
}

/* 5C 03 5F C1 xx of a certificate container: 9E 9A 9C 9D, then 82..95. */
static bool fake_cert_request(const uint8_t *apdu, size_t len)
{
	const uint8_t *p = memmem(apdu, len, "\x5C\x03\x5F\xC1", 4);
	uint8_t b;

	if (!p || (size_t)(p - apdu) + 5 > len)
		return false;
	b = p[4];
	return b == 0x01 || b == 0x05 || b == 0x0A || b == 0x0B || (b >= 0x0D && b <= 0x20);
}

static const fake_answer *fake_pick(const fake_script *sc, const uint8_t *apdu, size_t len)
{
	/* kinko's application label: the module asks it for INVENTORY */
	static const uint8_t select_tmpl[] = {0x61, 0x13, 0x4F, 0x06, 0x00, 0x00, 0x10,
	                                      0x00, 0x01, 0x00, 0x50, 0x09, 'k',  'i',
	                                      'n',  'k',  'o',  ' ',  'P',  'I',  'V'};
	static const fake_answer select_ok = {select_tmpl, sizeof(select_tmpl), SW_OK};
	static const fake_answer ok = SW_ONLY(SW_OK), not_found = SW_ONLY(SW_NOT_FOUND),
				 no_ins = SW_ONLY(SW_INS);
	uint8_t ins = len >= 2 ? apdu[1] : 0, p2 = len >= 4 ? apdu[3] : 0;

	switch (ins) {
	case 0xA4: return &select_ok;
	case 0x20: return &ok; /* VERIFY: any PIN will do */
	case 0xF8: return &sc->serial;
	case 0xF7:
		if (p2 == 0x00)
			return &sc->inventory;
		if (p2 == 0x80 || p2 == 0x81 || p2 == 0x9B)
			return &not_found;
		return &sc->metadata;
	case 0xCB:
		/* the certificate containers; anything else is absent */
		return fake_cert_request(apdu, len) ? &sc->cert : &not_found;
	default: return &no_ins;
	}
}

/* One host message against the script (ccid_fake_answer_fn). */
static int fake_serve(int fd, const ccid_header *h, const uint8_t *data, const void *arg)
{
	const fake_script *sc = arg;

	if (h->type == CCID_PC_TO_RDR_ICC_POWER_ON)
		return fake_reply(fd, CCID_RDR_TO_PC_DATA_BLOCK, h->seq, 0,
		                  (const uint8_t *)"\x3B\x00", 2, 0, false);
	if (h->type == CCID_PC_TO_RDR_XFR_BLOCK) {
		const fake_answer *a = fake_pick(sc, data, h->length);

		return fake_reply(fd, CCID_RDR_TO_PC_DATA_BLOCK, h->seq, 0, a->data, a->len, a->sw,
		                  true);
	}
	if (h->type == CCID_PC_TO_RDR_ESCAPE)
		/* A reader without kinko's lock: not supported (bError 00). */
		return fake_reply(fd, CCID_RDR_TO_PC_SLOT_STATUS, h->seq,
		                  CCID_CMD_FAILED | CCID_ICC_PRESENT_ACTIVE, NULL, 0, 0, false);
	return fake_reply(fd, CCID_RDR_TO_PC_SLOT_STATUS, h->seq, CCID_ICC_PRESENT_ACTIVE, NULL, 0,
	                  0, false);
}

/* Serve the script on a fresh socket and load the module for it (initialised, R/W
 * session, user logged in). */
static void fake_start(fake *f, const fake_script *sc)
{
	memset(f, 0, sizeof(*f));
	assert_int_equal(tkit_tmpdir_make(f->dir, sizeof(f->dir), "garbage"), 0);
	ccid_fake_start(&f->srv, f->dir, fake_serve, sc);

	assert_int_equal(p11t_setup_uninitialized(&f->t, 0, NULL), 0);
	assert_int_equal(setenv("KINKO_EMU_SOCKETS", f->srv.path, 1), 0);
	p11t_initialize_open(&f->t, CKF_RW_SESSION);
	p11t_login(&f->t);
}

static void fake_stop(fake *f)
{
	p11t_teardown(&f->t);
	ccid_fake_stop(&f->srv);
	rmdir(f->dir);
}

static CK_RV find_all(p11t *t, CK_OBJECT_CLASS *cls, CK_OBJECT_HANDLE *h, CK_ULONG *n)
{
	CK_ATTRIBUTE tmpl = {CKA_CLASS, cls, sizeof(*cls)};
	CK_RV rv = t->f->C_FindObjectsInit(t->session, &tmpl, cls ? 1 : 0);

	*n = 0;
	if (rv != CKR_OK)
		return rv;
	assert_int_equal(t->f->C_FindObjects(t->session, h, 8, n), CKR_OK);
	assert_int_equal(t->f->C_FindObjectsFinal(t->session), CKR_OK);
	return CKR_OK;
}

/* Each script served by a fresh fake token to a freshly loaded module, and check run on
 * it (with the script's index, for the message of a failure). */
static void for_each_script(const fake_script *scripts, size_t n, void (*check)(p11t *, size_t))
{
	size_t i;

	for (i = 0; i < n; i++) {
		fake f;

		fake_start(&f, &scripts[i]);
		check(&f.t, i);
		fake_stop(&f);
	}
}

static void assert_device_error(CK_RV rv, size_t script)
{
	if (rv != CKR_DEVICE_ERROR)
		fail_msg("script %zu: 0x%lx", script, (unsigned long)rv);
}

/* ---- the cases ---- */

/* Script 5 is the card failing: CKR_FUNCTION_FAILED is as good an answer. */
static void inventory_search_fails_cleanly(p11t *t, size_t i)
{
	CK_OBJECT_HANDLE h[8];
	CK_ULONG n;
	CK_RV rv = find_all(t, NULL, h, &n);

	if (!(i == 5 && rv == CKR_FUNCTION_FAILED))
		assert_device_error(rv, i);
	/* and it stays an error, not a crash, when asked again */
	rv = find_all(t, NULL, h, &n);
	assert_true(rv == CKR_DEVICE_ERROR || rv == CKR_FUNCTION_FAILED);
}

static void garbage_inventory_is_device_error(void **state)
{
	const fake_script scripts[] = {
		{.inventory = ANSWER(0xF8, 0x04, 0, 0)},                   /* cut short */
		{.inventory = ANSWER(0xE1, 0x82, 0xFF, 0xFF, 0x5C, 0x01)}, /* length past the end */
		{.inventory = ANSWER(INV_9A_CERT, 0xC0, 0x04, 0, 0, 0, 2)},       /* two counters */
		{.inventory = ANSWER(INV_9A_CERT, 0xE0, 0x03, 0x80, 0x01, 0x9B)}, /* 9B, no alg */
		{.inventory = ANSWER(0x90, 0x00)}, /* nothing at all */
		{.inventory = SW_ONLY(0x6F00)},    /* the card failed */
	};

	(void)state;
	for_each_script(scripts, sizeof(scripts) / sizeof(scripts[0]),
	                inventory_search_fails_cleanly);
}

static void certificate_read_fails_cleanly(p11t *t, size_t i)
{
	CK_OBJECT_CLASS cert_cls = CKO_CERTIFICATE;
	/* the subject is read from the certificate (a label is not: it names the slot) */
	CK_ATTRIBUTE by_subject[] = {{CKA_CLASS, &cert_cls, sizeof(cert_cls)},
	                             {CKA_SUBJECT, "x", 1}};
	CK_OBJECT_HANDLE h[8];
	CK_ULONG n, len = 0;

	/* class alone needs no read: the inventory names the container */
	assert_int_equal(find_all(t, &cert_cls, h, &n), CKR_OK);
	assert_int_equal(n, 1);
	assert_device_error(objt_attr(t, h[0], CKA_VALUE, NULL, 0, &len), i);
	assert_int_equal(t->f->C_FindObjectsInit(t->session, by_subject, 2), CKR_DEVICE_ERROR);
}

static void garbage_certificate_is_device_error(void **state)
{
	const fake_script scripts[] = {
		/* not X.509 inside 70 */
		{.inventory = ANSWER(INV_9A_CERT),
	         .cert = ANSWER(0x53, 0x05, 0x70, 0x03, 0x30, 0x01, 0x00)},
		/* 70 longer than the container */
		{.inventory = ANSWER(INV_9A_CERT),
	         .cert = ANSWER(0x53, 0x04, 0x70, 0x10, 0x30, 0x00)},
		/* wrong wrapper */
		{.inventory = ANSWER(INV_9A_CERT), .cert = ANSWER(0x54, 0x02, 0x70, 0x00)},
		/* no 70 at all, and an unknown tag */
		{.inventory = ANSWER(INV_9A_CERT),
	         .cert = ANSWER(0x53, 0x05, 0x71, 0x01, 0x00, 0x99, 0x00)},
		/* certinfo of two bytes */
		{.inventory = ANSWER(INV_9A_CERT),
	         .cert = ANSWER(0x53, 0x08, 0x70, 0x02, 0x30, 0x00, 0x71, 0x02, 0x00, 0x00)},
		/* data after the 53 */
		{.inventory = ANSWER(INV_9A_CERT), .cert = ANSWER(0x53, 0x00, 0x00)},
	};

	(void)state;
	for_each_script(scripts, sizeof(scripts) / sizeof(scripts[0]),
	                certificate_read_fails_cleanly);
}

static void compressed_certificate_is_skipped(void **state)
{
	const fake_script sc = {
		.inventory = ANSWER(INV_9A_CERT),
		.cert = ANSWER(0x53, 0x09, 0x70, 0x02, 0x1F, 0x8B, 0x71, 0x01, 0x01, 0xFE, 0x00),
	};
	CK_OBJECT_CLASS cert_cls = CKO_CERTIFICATE;
	CK_OBJECT_HANDLE h[8];
	CK_ULONG n, len = 0;
	fake f;

	(void)state;
	fake_start(&f, &sc);
	assert_int_equal(find_all(&f.t, &cert_cls, h, &n), CKR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(objt_attr(&f.t, h[0], CKA_VALUE, NULL, 0, &len),
	                 CKR_OBJECT_HANDLE_INVALID);
	assert_int_equal(find_all(&f.t, &cert_cls, h, &n), CKR_OK);
	assert_int_equal(n, 0);
	fake_stop(&f);
}

static void public_key_read_fails_cleanly(p11t *t, size_t i)
{
	CK_OBJECT_CLASS pub_cls = CKO_PUBLIC_KEY;
	CK_OBJECT_HANDLE h[8];
	CK_ULONG n, len = 0;

	assert_int_equal(find_all(t, &pub_cls, h, &n), CKR_OK);
	assert_int_equal(n, 1);
	/* what needs no key still works */
	assert_int_equal(objt_ulong(t, h[0], CKA_KEY_TYPE), CKK_EC);
	assert_device_error(objt_attr(t, h[0], CKA_EC_POINT, NULL, 0, &len), i);
}

static void garbage_public_key_is_device_error(void **state)
{
	const fake_script scripts[] = {
		/* a point of three bytes */
		{.inventory = ANSWER(INV_9A_CERT),
	         .metadata = ANSWER(0x01, 0x01, 0x11, 0x04, 0x05, 0x86, 0x03, 0x04, 0x01, 0x02)},
		/* another algorithm than the inventory said */
		{.inventory = ANSWER(INV_9A_CERT), .metadata = ANSWER(0x01, 0x01, 0x07)},
		/* no public key */
		{.inventory = ANSWER(INV_9A_CERT), .metadata = ANSWER(0x01, 0x01, 0x11)},
		/* a TLV running past the end */
		{.inventory = ANSWER(INV_9A_CERT),
	         .metadata = ANSWER(0x01, 0x01, 0x11, 0x04, 0x40, 0x86)},
	};

	(void)state;
	for_each_script(scripts, sizeof(scripts) / sizeof(scripts[0]),
	                public_key_read_fails_cleanly);
}

static void search_fails_cleanly(p11t *t, size_t i)
{
	CK_OBJECT_HANDLE h[8];
	CK_ULONG n;

	assert_device_error(find_all(t, NULL, h, &n), i);
}

static void garbage_in_the_fallback_is_device_error(void **state)
{
	const fake_script scripts[] = {
		/* no inventory, key metadata whose algorithm field has two bytes */
		{.inventory = SW_ONLY(SW_INS),
	         .serial = ANSWER(0, 0, 0, 7),
	         .metadata = ANSWER(0x01, 0x02, 0x11, 0x11)},
		/* no inventory, key metadata with a bad public key */
		{.inventory = SW_ONLY(SW_P1P2),
	         .serial = ANSWER(0, 0, 0, 7),
	         .metadata = ANSWER(0x01, 0x01, 0x11, 0x04, 0x03, 0x86, 0x01, 0x04)},
		/* no inventory, no metadata, a garbage certificate */
		{.inventory = SW_ONLY(SW_INS),
	         .serial = ANSWER(0, 0, 0, 7),
	         .metadata = SW_ONLY(SW_INS),
	         .cert = ANSWER(0x53, 0x03, 0x70, 0x01, 0x30)},
	};

	(void)state;
	for_each_script(scripts, sizeof(scripts) / sizeof(scripts[0]), search_fails_cleanly);
}

/* A plain PIV card (no inventory, no metadata): the certificate tells of the key. */
static void token_without_inventory_is_learnt_the_long_way(void **state)
{
	EVP_PKEY *key = objt_ec_key(), *back;
	X509 *x = objt_cert(key, "plain piv", key);
	size_t der_len = 0;
	unsigned char *der = objt_cert_der(x, &der_len);
	uint8_t *container = malloc(der_len + 16);
	size_t n = 0;
	fake_script sc = {.inventory = SW_ONLY(SW_INS),
	                  .serial = ANSWER(0, 0, 0x30, 0x39),
	                  .metadata = SW_ONLY(SW_INS)};
	CK_OBJECT_HANDLE h[8];
	CK_ULONG found;
	fake f;

	(void)state;
	assert_non_null(container);
	assert_true(der_len < 0x10000 - 16);
	/* 53 82 LL LL { 70 82 LL LL cert, 71 01 00, FE 00 } */
	container[n++] = 0x53;
	container[n++] = 0x82;
	container[n++] = (uint8_t)((der_len + 9) >> 8);
	container[n++] = (uint8_t)(der_len + 9);
	container[n++] = 0x70;
	container[n++] = 0x82;
	container[n++] = (uint8_t)(der_len >> 8);
	container[n++] = (uint8_t)der_len;
	memcpy(container + n, der, der_len);
	n += der_len;
	memcpy(container + n, "\x71\x01\x00\xFE\x00", 5);
	n += 5;
	sc.cert = (fake_answer){container, n, SW_OK};

	fake_start(&f, &sc);
	/* every container answers with it: the 24 slots all hold this certificate */
	assert_int_equal(find_all(&f.t, NULL, h, &found), CKR_OK);
	assert_int_equal(found, 8); /* the first 8 of 72 objects */
	assert_int_equal(objt_ulong(&f.t, h[0], CKA_CLASS), CKO_CERTIFICATE);
	back = objt_pubkey(&f.t, h[1]); /* the 9A private key */
	assert_int_equal(EVP_PKEY_eq(back, key), 1);
	assert_false(objt_bool(&f.t, h[1], CKA_LOCAL));
	EVP_PKEY_free(back);
	fake_stop(&f);
	free(container);
	OPENSSL_free(der);
	X509_free(x);
	EVP_PKEY_free(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(garbage_inventory_is_device_error),
		cmocka_unit_test(garbage_certificate_is_device_error),
		cmocka_unit_test(compressed_certificate_is_skipped),
		cmocka_unit_test(garbage_public_key_is_device_error),
		cmocka_unit_test(garbage_in_the_fallback_is_device_error),
		cmocka_unit_test(token_without_inventory_is_learnt_the_long_way),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
