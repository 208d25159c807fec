/* The module's clock under a test's control (p11_clock_test_util.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "p11_clock_test_util.h"

/* Only forward, and only CLOCK_MONOTONIC: the clock stays monotonic, and the wall clock
 * (certificate validity) is the real one. */
static _Atomic long long p11t_clock_offset_ns;

int clock_gettime(clockid_t id, struct timespec *ts)
{
	long long ns;

	/* The real clock, without going through the symbol this file replaces. */
	if (syscall(SYS_clock_gettime, id, ts) != 0)
		return -1;
	if (id != CLOCK_MONOTONIC)
		return 0;
	ns = (long long)ts->tv_nsec + atomic_load(&p11t_clock_offset_ns);
	ts->tv_sec += (time_t)(ns / 1000000000LL);
	ts->tv_nsec = (long)(ns % 1000000000LL);
	return 0;
}

void p11t_clock_advance_ms(unsigned long ms)
{
	int (*bound)(clockid_t, struct timespec *);

	/* What the dlopen'ed module's calls resolve to: this definition, or the test would
	 * advance nobody's clock but its own. */
	*(void **)&bound = dlsym(RTLD_DEFAULT, "clock_gettime");
	assert_true(bound == clock_gettime);
	atomic_fetch_add(&p11t_clock_offset_ns, (long long)ms * 1000000LL);
}
