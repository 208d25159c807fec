/* The tests' clock: how long something took, and a pause, in milliseconds. */
#ifndef KINKO_TIME_TEST_UTIL_H
#define KINKO_TIME_TEST_UTIL_H

/* CLOCK_MONOTONIC in milliseconds (fractions kept), for durations. */
double tkit_now_ms(void);
/* Sleep ms milliseconds. */
void tkit_sleep_ms(long ms);

#endif
