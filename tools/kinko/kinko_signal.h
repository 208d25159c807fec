/* kinko: SIGINT, SIGTERM and SIGHUP during enroll and renew (kinko_signal.c). The handler only
 * records the signal; the waits (the pending enrollment's sleep, curl transfers) notice it and
 * unwind through the normal failure path, so the new key is removed as after any failure, and
 * the command then exits with 128 + the signal. */
#ifndef KINKO_SIGNAL_H
#define KINKO_SIGNAL_H

#include <stdbool.h>

#include <curl/curl.h>

#include "kinko.h"

/* Catch the three signals from now on (a signal the caller ignores, e.g. under nohup, stays
 * ignored). Safe to call more than once. */
void kinko_signal_catch(void);

/* The signal caught since kinko_signal_catch, or 0. */
int kinko_signal_caught(void);

/* "SIGINT", "SIGTERM", "SIGHUP" (the caught signal's name; "a signal" for another). */
const char *kinko_signal_name(int sig);

/* "interrupted (SIGINT)" as the run's error; KINKO_EXIT_FAIL (kinko_signal_exit_code makes
 * it 128 + the signal at the end). */
int kinko_signal_report(const kinko_ctx *ctx);

/* Sleep up to `seconds`, returning early (false) as soon as a signal is caught. */
bool kinko_signal_sleep(long seconds);

/* Make curl's transfer on c end (CURLE_ABORTED_BY_CALLBACK) once a signal is caught. */
void kinko_signal_curl(CURL *c);

/* At the end of the command: 128 + the caught signal when there was one, else rc. */
int kinko_signal_exit_code(int rc);

#endif
