/* Fixture for applet unit tests: a factory-default token in RAM, driven APDU by APDU. */
#ifndef KINKO_PIV_TEST_UTIL_H
#define KINKO_PIV_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "apdu.h"
#include "piv_applet.h"
#include "token_state.h"

typedef struct {
	tok_state st;
	piv_applet *applet;
	uint8_t resp[APDU_MAX_RESPONSE]; /* data of the last response, SW stripped */
	size_t resp_len;
	uint16_t sw;
	const void *row; /* the case a table-driven test runs (its prestate) */
} piv_fixture;

/* One row of a table-driven applet test, named by the behaviour the row pins: the test
 * function reads the row from f->row. */
#define PIV_ROW(name, t, row)                                           \
	{                                                               \
#name, t, piv_fixture_setup, piv_fixture_teardown, &row \
	}

/* cmocka group/test setup: provisioned with factory defaults (optionally opts), RAM only,
 * PIV selected. */
int piv_fixture_setup(void **state);
int piv_fixture_setup_unselected(void **state);
int piv_fixture_setup_with(void **state, const tok_provision_opts *opts, bool select);
int piv_fixture_teardown(void **state);

/* A fresh private directory for a token's state under $TMPDIR (or /tmp), and the state
 * file's path in it; remove deletes the file, its temporary and the directory. */
typedef struct {
	char dir[256];
	char path[300];
} piv_tmp_state;
void piv_tmp_state_make(piv_tmp_state *t);
void piv_tmp_state_remove(piv_tmp_state *t);

/* A state file in a directory that does not exist: every save fails, even as root (who
 * writes to a read-only directory). */
#define PIV_TEST_UNSAVABLE "/nonexistent-kinko-dir/sub/token.state"

/* The fixture's token behind a new applet that saves to path, PIV selected; with mgmt,
 * the management key authenticated too. */
void piv_fixture_save_to(piv_fixture *f, const char *path, bool mgmt);

/* One exchange of a scripted conversation: an APDU (hex) and the status word it must get. */
typedef struct {
	const char *apdu;
	uint16_t sw;
} piv_exchange;
/* Run the exchanges in order; a failure names the step, its APDU and what it got. */
void piv_test_script(piv_fixture *f, const piv_exchange *steps, size_t n);
#define PIV_SCRIPT(f, ...)                                      \
	piv_test_script(f, (const piv_exchange[]){__VA_ARGS__}, \
	                sizeof((const piv_exchange[]){__VA_ARGS__}) / sizeof(piv_exchange))

/* Behind a flash that cannot be written (PIV_TEST_UNSAVABLE, management key authenticated),
 * each APDU of the NULL-terminated list (hex) is answered 6581 alone and the change counter
 * stays as it was. */
void piv_test_each_unsaved(piv_fixture *f, const char *const *apdus);
#define PIV_EACH_UNSAVED(f, ...) piv_test_each_unsaved(f, (const char *const[]){__VA_ARGS__, NULL})

/* Send one raw APDU given in hex ("00A40400 0B A000..."; spaces ignored). Returns SW. */
uint16_t piv_tx(piv_fixture *f, const char *hex);
uint16_t piv_tx_bytes(piv_fixture *f, const uint8_t *apdu, size_t len);
/* Build and send one APDU (short unless ext or sizes demand extended). */
uint16_t piv_send(piv_fixture *f, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2,
                  const uint8_t *data, size_t lc, size_t le, bool ext);
/* Send through apdu_transceive (chaining, GET RESPONSE handled); the whole data in f->resp. */
uint16_t piv_send_all(piv_fixture *f, uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *data,
                      size_t lc, bool ext);

/* Asserting helpers */
/* Each APDU of the NULL-terminated list (hex) must be answered sw, without data; a failure
 * names the APDU. */
void piv_test_each_answers(piv_fixture *f, uint16_t sw, const char *const *apdus);
#define PIV_EACH_ANSWERS(f, sw, ...) \
	piv_test_each_answers(f, sw, (const char *const[]){__VA_ARGS__, NULL})
void piv_test_verify_pin(piv_fixture *f, const char *pin); /* expects 9000 */
void piv_test_auth_mgmt(piv_fixture *f, uint8_t alg, const uint8_t *key, size_t key_len);
void piv_test_auth_default_mgmt(piv_fixture *f); /* 3DES factory key */

/* The value of the single `tag` inside the 7C template that fills the last response. */
void piv_test_dyn_auth_item(const piv_fixture *f, uint32_t tag, const uint8_t **value, size_t *len);
/* One block of the management key cipher, host side (EVP); returns the block size. */
size_t piv_test_mgmt_block(uint8_t alg, const uint8_t *key, size_t key_len, int enc,
                           const uint8_t *in, uint8_t *out);

size_t piv_hex_decode(const char *hex, uint8_t *out, size_t cap);

#endif
