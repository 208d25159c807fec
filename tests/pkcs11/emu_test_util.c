/* Waiting for a served emulator (emu_test_util.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "emu_test_util.h"
#include "time_test_util.h"

void tkit_emu_wait_status(emu_proc *p, const char *want)
{
	char reply[64] = "";
	int i;

	for (i = 0; i < 500; i++) {
		if (emu_control(p->control, "status", reply, sizeof(reply)) == 0 &&
		    strcmp(reply, want) == 0)
			return;
		tkit_sleep_ms(10);
	}
	fail_msg("the emulator answers \"%s\", not \"%s\"", reply, want);
}
