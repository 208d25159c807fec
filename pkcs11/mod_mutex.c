/* Locks of the module: the application's mutex callbacks when it gave them without
 * CKF_OS_LOCKING_OK, pthreads otherwise. C_Initialize picks one before any lock exists;
 * the choice holds until the next C_Initialize. */
#include <pthread.h>
#include <stdlib.h>

#include "mod.h"

struct mod_mutex {
	void *app; /* the application's mutex, or NULL for pthreads */
	pthread_mutex_t pm;
};

static struct {
	bool use_app;
	CK_CREATEMUTEX create;
	CK_DESTROYMUTEX destroy;
	CK_LOCKMUTEX lock;
	CK_UNLOCKMUTEX unlock;
} mod_mutex_impl;

CK_RV mod_mutex_configure(const CK_C_INITIALIZE_ARGS *args)
{
	unsigned given;

	mod_mutex_impl.use_app = false;
	if (!args)
		return CKR_OK;
	if (args->pReserved)
		return CKR_ARGUMENTS_BAD;
	given = !!args->CreateMutex + !!args->DestroyMutex + !!args->LockMutex +
	        !!args->UnlockMutex;
	/* The standard allows all four callbacks or none. */
	if (given != 0 && given != 4)
		return CKR_ARGUMENTS_BAD;
	/* With both on offer the OS primitives are as good, and cheaper. */
	if (given == 4 && !(args->flags & CKF_OS_LOCKING_OK)) {
		mod_mutex_impl.use_app = true;
		mod_mutex_impl.create = args->CreateMutex;
		mod_mutex_impl.destroy = args->DestroyMutex;
		mod_mutex_impl.lock = args->LockMutex;
		mod_mutex_impl.unlock = args->UnlockMutex;
	}
	return CKR_OK;
}

CK_RV mod_mutex_new(mod_mutex **out)
{
	mod_mutex *m = calloc(1, sizeof(*m));
	CK_RV rv;

	*out = NULL;
	if (!m)
		return CKR_HOST_MEMORY;
	if (mod_mutex_impl.use_app) {
		rv = mod_mutex_impl.create(&m->app);
		if (rv != CKR_OK || !m->app) {
			free(m);
			return rv != CKR_OK ? rv : CKR_CANT_LOCK;
		}
	} else if (pthread_mutex_init(&m->pm, NULL) != 0) {
		free(m);
		return CKR_CANT_LOCK;
	}
	*out = m;
	return CKR_OK;
}

void mod_mutex_free(mod_mutex *m)
{
	if (!m)
		return;
	if (m->app)
		mod_mutex_impl.destroy(m->app);
	else
		pthread_mutex_destroy(&m->pm);
	free(m);
}

/* A failing application lock has no caller to report to: the call goes ahead, as it
 * would with a library that was promised no threads. */
void mod_mutex_lock(mod_mutex *m)
{
	if (m->app)
		(void)mod_mutex_impl.lock(m->app);
	else
		pthread_mutex_lock(&m->pm);
}

void mod_mutex_unlock(mod_mutex *m)
{
	if (m->app)
		(void)mod_mutex_impl.unlock(m->app);
	else
		pthread_mutex_unlock(&m->pm);
}
