/* Unit tests of the token's persistent state: provisioning, secrets, objects, keys, the
 * atomic flash and save/load through it. The encoding itself is in test_token_codec.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flash.h"
#include "piv.h"
#include "tlv.h"
#include "token_state.h"
#include "token_test_util.h"
#include "tmpdir_test_util.h"

/* ---- provisioning ---- */

static void provision_refuses_bad_parameters(void **state)
{
	static const uint8_t k16[16] = {0}, k24[24] = {0}, k32[32] = {0};
	static const struct {
		tok_provision_opts o;
	} bad[] = {
		{{.pin = "12345"}},
		{{.pin = "123456789"}},
		{{.pin = ""}},
		{{.pin = "12345\xff"}},
		{{.puk = "12345"}},
		{{.puk = "123456789"}},
		{{.mgmt_key = k16, .mgmt_key_len = 16}}, /* 3DES needs 24 */
		{{.mgmt_key = k24, .mgmt_key_len = 24, .mgmt_alg = PIV_ALG_AES128}},
		{{.mgmt_key = k16, .mgmt_key_len = 16, .mgmt_alg = PIV_ALG_AES192}},
		{{.mgmt_key = k24, .mgmt_key_len = 24, .mgmt_alg = PIV_ALG_AES256}},
		{{.mgmt_key = k32, .mgmt_key_len = 32, .mgmt_alg = PIV_ALG_RSA2048}},
		{{.mgmt_alg = PIV_ALG_AES128}}, /* no factory key of 16 bytes */
		{{.pin_tries = 16}},
		{{.puk_tries = 16}},
		{{.pin_tries = 255}},
		{{.profile = TOK_PROFILE_PIV + 1}},
		{{.profile = TOK_PROFILE_PIV,
	          .pin_protected_mgmt = true}}, /* no 5FFF00 on a piv card */
	};
	tok_state st;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&st, 0x5A, sizeof(st));
		assert_int_equal(tok_state_provision(&st, &bad[i].o), -EINVAL);
		assert_state_empty(&st);
	}
}

static void provision_accepts_limits(void **state)
{
	static const uint8_t k16[16] = {1}, k32[32] = {2};
	tok_provision_opts o = {.pin = "87654321",
	                        .puk = "abcdef",
	                        .pin_tries = 15,
	                        .puk_tries = 1,
	                        .mgmt_key = k16,
	                        .mgmt_key_len = 16,
	                        .mgmt_alg = PIV_ALG_AES128,
	                        .serial = 4242};
	tok_state st;

	(void)state;
	assert_int_equal(tok_state_provision(&st, &o), 0);
	assert_int_equal(st.pin.tries_max, 15);
	assert_int_equal(st.pin.tries_left, 15);
	assert_int_equal(st.puk.tries_max, 1);
	assert_int_equal(st.serial, 4242);
	assert_int_equal(st.mgmt_alg, PIV_ALG_AES128);
	assert_int_equal(st.mgmt_key_len, 16);
	assert_memory_equal(st.mgmt_key, k16, 16);
	assert_false(st.pin.is_default);
	assert_false(st.puk.is_default);
	assert_false(st.mgmt_is_default);
	assert_true(secret_is(&st.pin, "87654321"));
	assert_true(secret_is(&st.puk, "abcdef"));
	assert_false(secret_is(&st.pin, "8765432"));
	tok_state_free(&st);

	o = (tok_provision_opts){.mgmt_key = k32, .mgmt_key_len = 32, .mgmt_alg = PIV_ALG_AES256};
	assert_int_equal(tok_state_provision(&st, &o), 0);
	assert_int_equal(st.pin.tries_max, 3); /* 0 = 3 */
	assert_int_equal(st.puk.tries_max, 3);
	tok_state_free(&st);

	/* AES-192 takes the 24-byte factory key */
	o = (tok_provision_opts){.mgmt_alg = PIV_ALG_AES192};
	assert_int_equal(tok_state_provision(&st, &o), 0);
	assert_true(st.mgmt_is_default);
	assert_memory_equal(st.mgmt_key, TOK_DEFAULT_MGMT_KEY, 24);
	tok_state_free(&st);
}

static void provision_defaults_are_yubikey_factory_values(void **state)
{
	static const uint8_t ccc_tail[] = {0xF1, 0x01, 0x21, 0xF2, 0x01, 0x21, 0xF3,
	                                   0x00, 0xF4, 0x01, 0x00, 0xF5, 0x01, 0x10,
	                                   0xF6, 0x00, 0xF7, 0x00, 0xFA, 0x00, 0xFB,
	                                   0x00, 0xFC, 0x00, 0xFD, 0x00, 0xFE, 0x00};
	static const uint8_t discovery[] = {0x4F, 0x0B, 0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00,
	                                    0x10, 0x00, 0x01, 0x00, 0x5F, 0x2F, 0x02, 0x40, 0x00};
	const tok_object *o;
	tlv_item it;
	tok_state st;

	(void)state;
	assert_int_equal(tok_state_provision(&st, NULL), 0);
	assert_true(st.pin.is_default);
	assert_true(st.puk.is_default);
	assert_true(st.mgmt_is_default);
	assert_false(st.pin_must_change);
	assert_true(secret_is(&st.pin, "123456"));
	assert_false(secret_is(&st.pin, "123457"));
	assert_false(secret_is(&st.pin, "12345678"));
	assert_true(secret_is(&st.puk, "12345678"));
	assert_int_equal(st.pin.tries_left, 3);
	assert_int_equal(st.puk.tries_left, 3);
	assert_int_equal(st.mgmt_alg, PIV_ALG_3DES);
	assert_int_equal(st.mgmt_key_len, 24);
	assert_memory_equal(st.mgmt_key, TOK_DEFAULT_MGMT_KEY, 24);
	assert_true(st.serial >= 10000000u && st.serial <= 99999999u);
	assert_int_equal(st.version[0], TOK_VERSION_MAJOR);
	for (size_t i = 0; i < PIV_KEY_SLOTS; i++)
		assert_int_equal(st.keys[i].alg, 0);
	assert_int_equal(st.n_objects, 3);

	o = tok_object_get(&st, PIV_TAG_CHUID);
	assert_non_null(o);
	assert_int_equal(tlv_find(o->value, o->len, 0x30, &it), TLV_OK);
	assert_int_equal(it.len, 25);
	assert_int_equal(tlv_find(o->value, o->len, 0x34, &it), TLV_OK);
	assert_int_equal(it.len, 16);
	assert_memory_equal(it.value, st.guid, 16);
	assert_int_equal(tlv_find(o->value, o->len, 0x35, &it), TLV_OK);
	assert_int_equal(it.len, 8);
	assert_true(it.value[0] == '2' && it.value[1] == '0');
	assert_int_equal(tlv_find(o->value, o->len, 0x3E, &it), TLV_OK);
	assert_int_equal(tlv_find(o->value, o->len, 0xFE, &it), TLV_OK);
	assert_int_equal(it.value + it.len, o->value + o->len); /* LRC is last */

	o = tok_object_get(&st, PIV_TAG_CCC);
	assert_non_null(o);
	assert_int_equal(o->len, 2 + 21 + sizeof(ccc_tail));
	assert_memory_equal(o->value, "\xF0\x15\xA0\x00\x00\x01\x16\xFF\x02", 9);
	assert_memory_equal(o->value + 23, ccc_tail, sizeof(ccc_tail));

	o = tok_object_get(&st, PIV_TAG_DISCOVERY);
	assert_non_null(o);
	assert_int_equal(o->len, sizeof(discovery));
	assert_memory_equal(o->value, discovery, sizeof(discovery));
	assert_null(tok_object_get(&st, PIV_TAG_ADMIN_DATA));
	assert_null(tok_object_get(&st, PIV_TAG_PRINTED));
	tok_state_free(&st);
}

static void provision_makes_fresh_identities(void **state)
{
	tok_state a, b;

	(void)state;
	assert_int_equal(tok_state_provision(&a, NULL), 0);
	assert_int_equal(tok_state_provision(&b, NULL), 0);
	assert_memory_not_equal(a.guid, b.guid, 16);
	assert_memory_not_equal(a.pin.salt, b.pin.salt, TOK_SALT_LEN);
	assert_memory_not_equal(a.pin.hash, b.pin.hash, TOK_HASH_LEN);
	assert_int_equal(a.guid[6] >> 4, 4); /* random (v4) GUID */
	tok_state_free(&a);
	tok_state_free(&b);
}

static void provision_pin_protected_mgmt_stores_key_in_printed(void **state)
{
	tok_provision_opts o = {.pin_protected_mgmt = true,
	                        .mgmt_alg = PIV_ALG_AES256,
	                        .pin_must_change = true};
	const tok_object *admin, *printed;
	uint8_t expect[4 + 32];
	tok_state st;

	(void)state;
	assert_int_equal(tok_state_provision(&st, &o), 0);
	assert_false(st.mgmt_is_default);
	assert_true(st.pin_must_change);
	assert_int_equal(st.mgmt_key_len, 32);
	admin = tok_object_get(&st, PIV_TAG_ADMIN_DATA);
	assert_non_null(admin);
	assert_int_equal(admin->len, 5);
	assert_memory_equal(admin->value, "\x80\x03\x81\x01\x02", 5);
	printed = tok_object_get(&st, PIV_TAG_PRINTED);
	assert_non_null(printed);
	expect[0] = 0x88;
	expect[1] = 34;
	expect[2] = 0x89;
	expect[3] = 32;
	memcpy(expect + 4, st.mgmt_key, 32);
	assert_int_equal(printed->len, sizeof(expect));
	assert_memory_equal(printed->value, expect, sizeof(expect));
	tok_state_free(&st);

	/* 3DES: a random key, never the factory one */
	o.mgmt_alg = 0;
	assert_int_equal(tok_state_provision(&st, &o), 0);
	assert_int_equal(st.mgmt_key_len, 24);
	assert_memory_not_equal(st.mgmt_key, TOK_DEFAULT_MGMT_KEY, 24);
	printed = tok_object_get(&st, PIV_TAG_PRINTED);
	assert_non_null(printed);
	assert_int_equal(printed->len, 28);
	assert_memory_equal(printed->value + 4, st.mgmt_key, 24);
	tok_state_free(&st);
}

/* ---- secrets, objects, keys ---- */

static void secret_set_uses_fresh_salt_and_checks_tries(void **state)
{
	uint8_t p[PIV_PIN_MAX];
	tok_secret a, b;

	(void)state;
	pad("654321", p);
	assert_int_equal(tok_secret_set(&a, p, 5), 0);
	assert_int_equal(tok_secret_set(&b, p, 5), 0);
	assert_memory_not_equal(a.salt, b.salt, TOK_SALT_LEN);
	assert_memory_not_equal(a.hash, b.hash, TOK_HASH_LEN);
	assert_true(tok_secret_matches(&a, p));
	assert_true(tok_secret_matches(&b, p));
	assert_int_equal(a.tries_left, 5);
	assert_int_equal(a.tries_max, 5);
	assert_false(a.is_default);
	p[7] = 0x00; /* padding is part of the value */
	assert_false(tok_secret_matches(&a, p));
	assert_int_equal(tok_secret_set(&a, p, 0), -EINVAL);
	assert_int_equal(tok_secret_set(&a, p, 16), -EINVAL);
	assert_int_equal(a.tries_max, 5); /* untouched on error */
}

static void object_put_replaces_deletes_and_limits(void **state)
{
	uint8_t big[TOK_MAX_OBJECT + 1];
	const tok_object *o;
	tok_state st;
	size_t i, n;

	(void)state;
	memset(big, 0x42, sizeof(big));
	assert_int_equal(tok_state_provision(&st, NULL), 0);
	n = st.n_objects;
	assert_int_equal(tok_object_put(&st, PIV_TAG_CERT_9C, big, 10), 0);
	assert_int_equal(st.n_objects, n + 1);
	assert_int_equal(tok_object_put(&st, PIV_TAG_CERT_9C, big, TOK_MAX_OBJECT), 0);
	assert_int_equal(st.n_objects, n + 1);
	o = tok_object_get(&st, PIV_TAG_CERT_9C);
	assert_non_null(o);
	assert_int_equal(o->len, TOK_MAX_OBJECT);
	assert_int_equal(tok_object_put(&st, PIV_TAG_CERT_9C, big, TOK_MAX_OBJECT + 1), -EINVAL);
	assert_int_equal(tok_object_get(&st, PIV_TAG_CERT_9C)->len, TOK_MAX_OBJECT);
	assert_int_equal(tok_object_put(&st, 0x5FC124, big, 1), -EINVAL);
	assert_int_equal(tok_object_put(&st, 0x9A, big, 1), -EINVAL);
	assert_int_equal(tok_object_put(&st, PIV_TAG_CERT_9C, NULL, 1), -EINVAL);

	/* delete keeps the others in order */
	assert_int_equal(tok_object_put(&st, PIV_TAG_CHUID, NULL, 0), 0);
	assert_null(tok_object_get(&st, PIV_TAG_CHUID));
	assert_int_equal(st.n_objects, n);
	assert_non_null(tok_object_get(&st, PIV_TAG_CCC));
	assert_non_null(tok_object_get(&st, PIV_TAG_CERT_9C));
	assert_int_equal(tok_object_put(&st, PIV_TAG_CHUID, NULL, 0), 0); /* absent: fine */

	for (i = 0; st.n_objects < TOK_MAX_OBJECTS; i++) {
		if (tok_object_get(&st, nth_tag(i)) == NULL)
			assert_int_equal(tok_object_put(&st, nth_tag(i), big, 1), 0);
	}
	assert_int_equal(tok_object_put(&st, nth_tag(i), big, 1), -ENOSPC);
	assert_int_equal(tok_object_put(&st, nth_tag(0), big, 2), 0); /* replacing still works */
	assert_int_equal(tok_object_put(&st, nth_tag(0), NULL, 0), 0);
	assert_int_equal(tok_object_put(&st, nth_tag(i), big, 1), 0);
	assert_true(tok_object_tag_valid(PIV_TAG_DISCOVERY));
	assert_true(tok_object_tag_valid(0x7F61));
	assert_true(tok_object_tag_valid(PIV_TAG_ADMIN_DATA));
	assert_false(tok_object_tag_valid(0x5FC100));
	tok_state_free(&st);
	assert_state_empty(&st);
}

static void key_set_replaces_and_clear_empties(void **state)
{
	tok_key k;

	(void)state;
	memset(&k, 0, sizeof(k));
	tok_key_set(&k, PIV_ALG_ECCP256, PIV_ORIGIN_GENERATED, PIV_PIN_POLICY_ONCE, dup_bytes(1, 8),
	            8);
	assert_int_equal(k.touch_policy, PIV_TOUCH_POLICY_NEVER);
	tok_key_set(&k, PIV_ALG_ECCP384, PIV_ORIGIN_IMPORTED, PIV_PIN_POLICY_NEVER, dup_bytes(2, 9),
	            9);
	assert_int_equal(k.alg, PIV_ALG_ECCP384);
	assert_int_equal(k.priv_len, 9);
	assert_int_equal(k.priv_der[8], 2);
	tok_key_clear(&k);
	assert_int_equal(k.alg, 0);
	assert_null(k.priv_der);
	assert_int_equal(k.priv_len, 0);
}

/* ---- flash and files ---- */

static char *tmpdir_new(void)
{
	char *dir = malloc(PATH_MAX);

	assert_non_null(dir);
	assert_int_equal(tkit_tmpdir_make(dir, PATH_MAX, "state"), 0);
	return dir;
}

static void tmpdir_free(char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		char *p;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		assert_true(asprintf(&p, "%s/%s", dir, e->d_name) > 0);
		unlink(p);
		free(p);
	}
	closedir(d);
	rmdir(dir);
	free(dir);
}

static size_t dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	}
	closedir(d);
	return n;
}

static void flash_write_replaces_content_and_leaves_no_temp(void **state)
{
	char *dir = tmpdir_new(), *path;
	uint8_t *buf;
	size_t len;
	struct stat sb;

	(void)state;
	assert_true(asprintf(&path, "%s/token", dir) > 0);
	assert_int_equal(flash_write_atomic(path, (const uint8_t *)"first version", 13), 0);
	assert_int_equal(flash_write_atomic(path, (const uint8_t *)"second", 6), 0);
	assert_int_equal(flash_read(path, 100, &buf, &len), 0);
	assert_int_equal(len, 6);
	assert_memory_equal(buf, "second", 6);
	free(buf);
	assert_int_equal(dir_entries(dir), 1); /* no token.tmp left over */
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);

	assert_int_equal(flash_read(path, 5, &buf, &len), -EFBIG);
	assert_null(buf);
	assert_int_equal(flash_write_atomic(path, NULL, 0), 0);
	assert_int_equal(flash_read(path, 5, &buf, &len), 0);
	assert_int_equal(len, 0);
	free(buf);
	free(path);

	assert_true(asprintf(&path, "%s/missing/token", dir) > 0);
	assert_int_equal(flash_write_atomic(path, (const uint8_t *)"x", 1), -ENOENT);
	assert_int_equal(flash_read(path, 100, &buf, &len), -ENOENT);
	assert_int_equal(flash_read(dir, 100, &buf, &len), -EINVAL); /* not a file */
	assert_int_equal(dir_entries(dir), 1);
	free(path);
	tmpdir_free(dir);
}

static void save_load_round_trip_and_refusals(void **state)
{
	char *dir = tmpdir_new(), *path;
	tok_state a, b;
	uint8_t *buf;
	size_t len;

	(void)state;
	assert_true(asprintf(&path, "%s/token", dir) > 0);
	memset(&b, 0x33, sizeof(b));
	assert_int_equal(tok_state_load(&b, path), -ENOENT);
	assert_state_empty(&b);

	populated_state(&a);
	assert_int_equal(tok_state_save(&a, path), 0);
	assert_int_equal(dir_entries(dir), 1);
	assert_int_equal(tok_state_load(&b, path), 0);
	assert_int_equal(b.serial, a.serial);
	assert_int_equal(b.pin.tries_left, 1);
	assert_true(secret_is(&b.pin, "123456"));
	assert_int_equal(b.keys[0].priv_len, 138);
	tok_state_free(&b);

	/* one flipped bit in the file */
	assert_int_equal(flash_read(path, TOK_STATE_MAX, &buf, &len), 0);
	buf[len / 2] ^= 0x04;
	assert_int_equal(flash_write_atomic(path, buf, len), 0);
	tok_state_buffer_free(buf, len);
	assert_int_equal(tok_state_load(&b, path), -EBADMSG);
	assert_state_empty(&b);

	/* a save that cannot be encoded leaves the old file alone */
	assert_int_equal(tok_state_save(&a, path), 0);
	a.puk.tries_max = 0;
	assert_int_equal(tok_state_save(&a, path), -EINVAL);
	assert_int_equal(tok_state_load(&b, path), 0);
	assert_int_equal(b.puk.tries_max, 3);
	tok_state_free(&b);
	tok_state_free(&a);
	free(path);
	tmpdir_free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(provision_refuses_bad_parameters),
		cmocka_unit_test(provision_accepts_limits),
		cmocka_unit_test(provision_defaults_are_yubikey_factory_values),
		cmocka_unit_test(provision_makes_fresh_identities),
		cmocka_unit_test(provision_pin_protected_mgmt_stores_key_in_printed),
		cmocka_unit_test(secret_set_uses_fresh_salt_and_checks_tries),
		cmocka_unit_test(object_put_replaces_deletes_and_limits),
		cmocka_unit_test(key_set_replaces_and_clear_empties),
		cmocka_unit_test(flash_write_replaces_content_and_leaves_no_temp),
		cmocka_unit_test(save_load_round_trip_and_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
