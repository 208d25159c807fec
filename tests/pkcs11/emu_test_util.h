/* Waiting for a served emulator: signals (SIGUSR1 removes the card, SIGUSR2 inserts it)
 * reach it asynchronously, so a test waits until its control socket agrees. */
#ifndef KINKO_EMU_TEST_UTIL_H
#define KINKO_EMU_TEST_UTIL_H

#include "emu_client.h"

/* Until the control socket answers "status" with want ("ok absent", "ok present"), for
 * up to 5 s; fails the test (cmocka) otherwise. */
void tkit_emu_wait_status(emu_proc *p, const char *want);

#endif
