/* C_Initialize, C_Finalize, C_GetInfo, and fork handling.
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
#include <stdlib.h>
#include <string.h>

#include "p11_entry.h"

#ifndef KINKO_VERSION
#define KINKO_VERSION "0.0"
#endif

mod_global mod;

static atomic_ulong mod_forks;
static pthread_once_t mod_atfork_once = PTHREAD_ONCE_INIT;

/* Serialises C_Initialize and C_Finalize. A child may inherit it locked (a parent thread
 * was initialising at the fork): the first use in a new process generation makes a fresh
 * one instead. */
static pthread_mutex_t mod_init_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long mod_init_lock_gen;

/* Where a forked child leaves its parent's state: still reachable, never used again. */
mod_global mod_abandoned;

static void mod_atfork_child(void)
{
	atomic_fetch_add(&mod_forks, 1);
}

static void mod_atfork_register(void)
{
	pthread_atfork(NULL, NULL, mod_atfork_child);
}

unsigned long mod_fork_count(void)
{
	return atomic_load(&mod_forks);
}

bool mod_is_initialized(void)
{
	return mod.initialized && mod.fork_gen == mod_fork_count();
}

static void mod_init_lock_take(void)
{
	unsigned long gen = mod_fork_count();

	if (mod_init_lock_gen != gen) {
		pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;

		mod_init_lock = fresh;
		mod_init_lock_gen = gen;
	}
	pthread_mutex_lock(&mod_init_lock);
}

static void mod_init_lock_drop(void)
{
	pthread_mutex_unlock(&mod_init_lock);
}

void mod_copy_padded(CK_UTF8CHAR *dst, size_t dst_len, const char *src)
{
	size_t n = strlen(src);

	if (n > dst_len)
		n = dst_len;
	memset(dst, ' ', dst_len);
	memcpy(dst, src, n);
}

/* Undo a partial C_Initialize (or all of a complete one, for C_Finalize). */
static void mod_teardown(void)
{
	mod_event_stop();
	mod_session_destroy_all();
	mod_slot_destroy_all();
	if (mod.lock)
		mod_mutex_free(mod.lock);
	mod_config_free(&mod.cfg);
	memset(&mod, 0, sizeof(mod));
}

static CK_RV mod_initialize(const CK_C_INITIALIZE_ARGS *args)
{
	CK_RV rv;

	/* A forked child: the parent's state is not ours to free. */
	if (mod.initialized && mod.fork_gen != mod_fork_count()) {
		mod_abandoned = mod;
		memset(&mod, 0, sizeof(mod));
	}
	if (mod.initialized)
		return CKR_CRYPTOKI_ALREADY_INITIALIZED;
	rv = mod_mutex_configure(args);
	if (rv != CKR_OK)
		return rv;
	pthread_once(&mod_atfork_once, mod_atfork_register);
	mod.fork_gen = mod_fork_count();
	rv = mod_config_load(&mod.cfg);
	if (rv == CKR_OK)
		rv = mod_mutex_new(&mod.lock);
	if (rv == CKR_OK)
		rv = mod_event_init();
	/* Slots only: no connection, no APDU (C_Initialize must be instant without a token). */
	if (rv == CKR_OK)
		rv = mod_slot_create_all();
	if (rv != CKR_OK) {
		mod_teardown();
		return rv;
	}
	mod.initialized = true;
	return CKR_OK;
}

P11_EXPORT CK_RV C_Initialize(CK_VOID_PTR pInitArgs)
{
	CK_RV rv;

	mod_init_lock_take();
	rv = mod_initialize(pInitArgs);
	mod_init_lock_drop();
	P11_RETURN("C_Initialize", rv);
}

P11_EXPORT CK_RV C_Finalize(CK_VOID_PTR pReserved)
{
	size_t i;

	P11_REQUIRE_INIT("C_Finalize");
	if (pReserved)
		P11_RETURN("C_Finalize", CKR_ARGUMENTS_BAD);
	mod_init_lock_take();
	if (!mod_is_initialized()) {
		mod_init_lock_drop();
		P11_RETURN("C_Finalize", CKR_CRYPTOKI_NOT_INITIALIZED);
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
	mod_teardown();
	mod_init_lock_drop();
	P11_RETURN("C_Finalize", CKR_OK);
}

/* "0.1.0" -> 0.1 */
static CK_VERSION mod_library_version(void)
{
	CK_VERSION v = {0, 0};
	const char *p = KINKO_VERSION;
	unsigned long part[2] = {0, 0};
	size_t i;

	for (i = 0; i < 2 && *p; i++) {
		char *end;

		part[i] = strtoul(p, &end, 10);
		p = *end == '.' ? end + 1 : end;
	}
	v.major = (CK_BYTE)(part[0] > 255 ? 255 : part[0]);
	v.minor = (CK_BYTE)(part[1] > 255 ? 255 : part[1]);
	return v;
}

P11_EXPORT CK_RV C_GetInfo(CK_INFO_PTR pInfo)
{
	P11_REQUIRE_INIT("C_GetInfo");
	if (!pInfo)
		P11_RETURN("C_GetInfo", CKR_ARGUMENTS_BAD);
	memset(pInfo, 0, sizeof(*pInfo));
	pInfo->cryptokiVersion.major = 3;
	pInfo->cryptokiVersion.minor = 0;
	mod_copy_padded(pInfo->manufacturerID, sizeof(pInfo->manufacturerID), "kinko");
	mod_copy_padded(pInfo->libraryDescription, sizeof(pInfo->libraryDescription),
	                "kinko PIV token module");
	pInfo->libraryVersion = mod_library_version();
	P11_RETURN("C_GetInfo", CKR_OK);
}
