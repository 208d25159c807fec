/* The order of a key's move with its certificate (C_SetAttributeValue(CKA_ID)), read from
 * the module's own APDU trace (KINKO_DEBUG=apdu): the destination's certificate container
 * is written first, then MOVE KEY, then the source container is emptied. Each step is one
 * atomic write on the token, so an interruption leaves the certificate in one container or
 * in both, never in none. */
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
#include "p11_obj_test_util.h"

static const CK_BYTE id_9a = 0x01, id_82 = 0x05;

/* Index in text of the first trace line of a command APDU holding all of needles (NULL
 * ended), or -1. */
static long trace_find(const char *text, const char *const *needles)
{
	const char *line = text;

	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		bool all = strstr(line, " > ") != NULL && strstr(line, " > ") < line + len;
		size_t i;

		for (i = 0; all && needles[i]; i++) {
			const char *p = strstr(line, needles[i]);

			all = p && p < line + len;
		}
		if (all)
			return line - text;
		line = end ? end + 1 : NULL;
	}
	return -1;
}

static void certificate_container_written_before_the_move_emptied_after(void **state)
{
	static const char *const put_9a[] = {"DB3FFF", "5C035FC105", NULL};
	static const char *const move[] = {"00F69A82", NULL}; /* to 9A from 82 */
	static const char *const empty_82[] = {"DB3FFF", "5C035FC10D5300", NULL};
	p11t *t = *state;
	CK_OBJECT_HANDLE pub, priv, cert;
	CK_BYTE id = id_9a;
	CK_ATTRIBUTE a = {CKA_ID, &id, 1};
	unsigned char *der;
	size_t der_len = 0;
	tkit_capture cap;
	char *text;
	long p1, p2, p3;

	p11t_generate(t, 0, "P-256", &id_82, 1, &pub, &priv);
	der = objt_cert_for(t, pub, "kinko-order", &der_len, NULL);
	assert_int_equal(objt_write_cert(t, der, der_len, id_82, &cert), CKR_OK);

	/* Only the move's APDUs are captured. */
	tkit_capture_begin(&cap);
	assert_int_equal(t->f->C_SetAttributeValue(t->session, priv, &a, 1), CKR_OK);
	text = tkit_capture_end(&cap);
	assert_true(*text != '\0');
	p1 = trace_find(text, put_9a);
	p2 = trace_find(text, move);
	p3 = trace_find(text, empty_82);
	if (p1 < 0 || p2 < 0 || p3 < 0 || !(p1 < p2 && p2 < p3))
		fail_msg("order put 9A %ld, move %ld, empty 82 %ld in:\n%s", p1, p2, p3, text);
	free(text);
	OPENSSL_free(der);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			certificate_container_written_before_the_move_emptied_after,
			objt_setup_login, objt_teardown),
	};

	/* Read once by the module, at its first APDU. */
	setenv("KINKO_DEBUG", "apdu", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
