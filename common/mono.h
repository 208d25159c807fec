/* Milliseconds of the monotonic clock: deadlines, timeouts and cache lifetimes, which a
 * change of the wall clock must not move. Signed, so that "deadline - now" may go below 0. */
#ifndef KINKO_MONO_H
#define KINKO_MONO_H

#include <stdint.h>
#include <time.h>

static inline int64_t mono_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
