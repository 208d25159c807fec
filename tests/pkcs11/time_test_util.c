/* The tests' clock (time_test_util.h). */
#include <errno.h>
#include <time.h>

#include "time_test_util.h"

double tkit_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void tkit_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	/* A signal (SIGCHLD of an emulator) must not cut the pause short. */
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}
