/* The module's life: its state, C_Initialize and C_Finalize, and fork handling.
 *
 * Fork, the p11-kit way: pthread_atfork only counts forks (a handler must not do real work:
 * other threads' locks are in unknown states in the child). A child sees a count that
 * differs from the one recorded at C_Initialize and behaves as not initialised until it
 * calls C_Initialize itself; that call abandons the parent's state without freeing or
 * locking any of it (it may be half-updated, its locks held by threads that do not exist
 * in the child) and starts afresh. The module is therefore not "fork safe" in the sense of
 * CKF_INTERFACE_FORK_SAFE, and its interfaces do not claim to be. */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "mod.h"
#include "mod_sobj.h"

mod_global mod;

static atomic_ulong mod_module_forks;
static pthread_once_t mod_module_atfork_once = PTHREAD_ONCE_INIT;

/* Serialises C_Initialize and C_Finalize. A child may inherit it locked (a parent thread
 * was initialising at the fork): the first use in a new process generation makes a fresh
 * one instead. */
static pthread_mutex_t mod_module_init_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long mod_module_init_lock_gen;

/* Where a forked child leaves its parent's state: still reachable, never used again. */
mod_global mod_abandoned;

static void mod_module_atfork_child(void)
{
	atomic_fetch_add(&mod_module_forks, 1);
}

static void mod_module_atfork_register(void)
{
	pthread_atfork(NULL, NULL, mod_module_atfork_child);
}

static unsigned long mod_module_fork_count(void)
{
	return atomic_load(&mod_module_forks);
}

bool mod_module_initialized(void)
{
	return mod.initialized && mod.fork_gen == mod_module_fork_count();
}

static void mod_module_lock_init(void)
{
	unsigned long gen = mod_module_fork_count();

	if (mod_module_init_lock_gen != gen) {
		pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;

		mod_module_init_lock = fresh;
		mod_module_init_lock_gen = gen;
	}
	pthread_mutex_lock(&mod_module_init_lock);
}

static void mod_module_unlock_init(void)
{
	pthread_mutex_unlock(&mod_module_init_lock);
}

/* Undo a partial C_Initialize (or all of a complete one, for C_Finalize). */
static void mod_module_teardown(void)
{
	size_t i;

	mod_event_stop();
	for (i = 0; i < mod.n_slots; i++)
		mod_sobj_slot_free(mod.slots[i]);
	mod_session_destroy_all();
	mod_slot_destroy_all();
	if (mod.lock)
		mod_mutex_free(mod.lock);
	mod_config_free(&mod.cfg);
	memset(&mod, 0, sizeof(mod));
}

static CK_RV mod_module_start(const CK_C_INITIALIZE_ARGS *args)
{
	CK_RV rv;

	/* A forked child: the parent's state is not ours to free. */
	if (mod.initialized && mod.fork_gen != mod_module_fork_count()) {
		mod_abandoned = mod;
		memset(&mod, 0, sizeof(mod));
		mod_sobj_forget_all();
	}
	if (mod.initialized)
		return CKR_CRYPTOKI_ALREADY_INITIALIZED;
	rv = mod_mutex_configure(args);
	if (rv != CKR_OK)
		return rv;
	pthread_once(&mod_module_atfork_once, mod_module_atfork_register);
	mod.fork_gen = mod_module_fork_count();
	rv = mod_config_load(&mod.cfg);
	if (rv == CKR_OK)
		rv = mod_mutex_new(&mod.lock);
	if (rv == CKR_OK)
		rv = mod_event_init();
	/* Slots only: no connection, no APDU (C_Initialize must be instant without a token). */
	if (rv == CKR_OK)
		rv = mod_slot_create_all();
	if (rv != CKR_OK) {
		mod_module_teardown();
		return rv;
	}
	mod.initialized = true;
	return CKR_OK;
}

CK_RV mod_module_initialize(const CK_C_INITIALIZE_ARGS *args)
{
	CK_RV rv;

	mod_module_lock_init();
	rv = mod_module_start(args);
	mod_module_unlock_init();
	return rv;
}

CK_RV mod_module_finalize(void)
{
	size_t i;

	mod_module_lock_init();
	/* Another thread's C_Finalize may have won the lock first. */
	if (!mod_module_initialized()) {
		mod_module_unlock_init();
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	}
	mod_mutex_lock(mod.lock);
	mod.finalizing = true;
	mod_mutex_unlock(mod.lock);
	/* Waiters in C_WaitForSlotEvent return CKR_CRYPTOKI_NOT_INITIALIZED and leave first. */
	mod_event_stop();
	for (i = 0; i < mod.n_slots; i++) {
		mod_slot *s = mod.slots[i];

		mod_slot_lock(s);
		mod_session_close_all(s);
		mod_slot_unlock(s);
	}
	mod_module_teardown();
	mod_module_unlock_init();
	return CKR_OK;
}
