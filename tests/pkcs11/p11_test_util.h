/* Fixture for module tests: emulated tokens served by kinko-token-emu, the built
 * libkinko-pkcs11.so loaded with dlopen and driven through its 3.0 function list. */
#ifndef KINKO_P11_TEST_UTIL_H
#define KINKO_P11_TEST_UTIL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include <unistd.h>

#include "emu_client.h"
#include "p11_compat.h"

#define P11T_MAX_TOKENS 4

typedef struct {
	void *dl;
	CK_FUNCTION_LIST_3_0 *f; /* from C_GetInterface("PKCS 11", 3.0) */
	emu_proc emu[P11T_MAX_TOKENS];
	size_t n_tokens;
	CK_SLOT_ID slots[P11T_MAX_TOKENS];
	CK_SESSION_HANDLE session; /* an R/W session on slots[0] (0 if not opened) */
} p11t;

/* Path of the built module: $KINKO_BUILDDIR/pkcs11/.libs/libkinko-pkcs11.so */
const char *p11t_module_path(void);

/* Start n emulated tokens (each provisioned with the factory defaults plus extra --init
 * arguments, may be NULL), point KINKO_EMU_SOCKETS at them, dlopen the module, C_Initialize
 * (NULL args), fill slots[] from C_GetSlotList(TRUE) and open an R/W session on slots[0].
 * Returns 0, or -1 after printing why. */
int p11t_setup(p11t *t, size_t n_tokens, const char *const *init_extra);
/* Same, without C_Initialize and without a session (for tests of initialisation). */
int p11t_setup_uninitialized(p11t *t, size_t n_tokens, const char *const *init_extra);
/* C_Finalize (if initialised), dlclose, stop and remove the emulators. */
void p11t_teardown(p11t *t);

/* cmocka wrappers: *state is a heap p11t. */
int p11t_group_setup_1(void **state);               /* one token, initialised, session open */
int p11t_group_setup_uninitialized_1(void **state); /* one token, module not initialised */
int p11t_group_teardown(void **state);
/* Per test: C_Finalize whatever the test left, so that each test starts uninitialised. */
int p11t_finalize_teardown(void **state);
/* For custom fixtures: *state = a heap p11t set up by p11t_setup (initialize) or
 * p11t_setup_uninitialized. On failure everything started is stopped again (cmocka runs no
 * teardown after a failed setup) and -1 is returned. */
int p11t_state_setup(void **state, size_t n_tokens, const char *const *init_extra, bool initialize);
/* One token, initialised, session open, in a zeroed heap fixture of fixture_size bytes
 * whose first member is the p11t (freed by p11t_group_teardown). */
int p11t_fixture_setup_1(void **state, size_t fixture_size);

/* C_Login CKU_USER with the factory PIN 123456; asserts CKR_OK. */
void p11t_login(p11t *t);
/* Generate a key pair through the module: RSA (bits) when ec_curve is NULL, else EC on
 * "P-256"/"P-384"; with id (CKA_ID) when id_len > 0. Asserts CKR_OK. */
void p11t_generate(p11t *t, CK_ULONG bits, const char *ec_curve, const CK_BYTE *id, size_t id_len,
                   CK_OBJECT_HANDLE *pub, CK_OBJECT_HANDLE *priv);
/* Find exactly one object of a class with this CKA_ID; 0 when none. */
CK_OBJECT_HANDLE p11t_find_one(p11t *t, CK_OBJECT_CLASS cls, const CK_BYTE *id, size_t id_len);

/* C_Initialize (NULL args) and a session of flags (CKF_SERIAL_SESSION added) on the one
 * slot with a token, which goes to t->slots[0] and t->session. Asserts. */
void p11t_initialize_open(p11t *t, CK_FLAGS flags);
/* One CKM_ECDSA signature of a fixed digest with key on t->session: the first error. */
CK_RV p11t_sign_once(p11t *t, CK_OBJECT_HANDLE key);

/* C_WaitForSlotEvent (blocking) in a thread of its own, while the test makes the event
 * happen: its result, the slot, and when it returned (tkit_now_ms). */
typedef struct {
	CK_FUNCTION_LIST_3_0 *f;
	pthread_t th;
	CK_RV rv;
	CK_SLOT_ID slot;
	double returned_ms;
} p11t_waiter;
void p11t_waiter_start(p11t_waiter *w, CK_FUNCTION_LIST_3_0 *f);
void p11t_waiter_join(p11t_waiter *w);
/* While a blocking C_WaitForSlotEvent waits, act(arg) makes an event happen (a card removed
 * or inserted): asserts that the wait ends with CKR_OK and slot. */
void p11t_event_during_wait(p11t *t, void (*act)(const char *), const char *arg, CK_SLOT_ID slot);

/* A forked child's checks: no cmocka there (its output would join the parent's TAP
 * stream), but a message and an exit code that p11t_child_wait_ok reports. */
#define P11T_CHILD_CHECK(expr, code)                                    \
	do {                                                            \
		if (!(expr)) {                                          \
			fprintf(stderr, "# child: %s failed\n", #expr); \
			_exit(code);                                    \
		}                                                       \
	} while (0)
/* Wait for the child pid; asserts that it exited with 0. */
void p11t_child_wait_ok(pid_t pid);

#endif
