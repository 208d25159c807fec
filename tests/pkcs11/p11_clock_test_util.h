/* The module's clock under a test's control, so that a test outlives the module's cache
 * lifetime without sleeping. The module reads CLOCK_MONOTONIC through libc's
 * clock_gettime; a test program that links this file defines clock_gettime itself and
 * exports it (libtool -export-dynamic), and the dlopen'ed module binds to it. Nothing in
 * the module is built differently for this: a program without this file runs it on the
 * real clock. */
#ifndef KINKO_P11_CLOCK_TEST_UTIL_H
#define KINKO_P11_CLOCK_TEST_UTIL_H

/* Move CLOCK_MONOTONIC forward by ms milliseconds, for the module and this program alike.
 * Asserts (cmocka) that the program's clock_gettime is the one in use. */
void p11t_clock_advance_ms(unsigned long ms);

#endif
