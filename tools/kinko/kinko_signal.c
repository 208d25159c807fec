/* kinko: a signal during enroll or renew becomes an ordinary failure. The handler does
 * nothing but store the signal number: everything else (removing the new key, messages)
 * happens on the normal path, where it is safe to call PKCS#11 and stdio. */

#include "i18n.h"
#include "kinko_signal.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

static volatile sig_atomic_t signal_got;

static void signal_on(int sig)
{
	signal_got = sig;
}

void kinko_signal_catch(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		struct sigaction old, sa = {0};
		if (sigaction(sigs[i], NULL, &old) != 0 || old.sa_handler == SIG_IGN)
			continue;
		sa.sa_handler = signal_on;
		sigemptyset(&sa.sa_mask);
		/* SA_RESTART: the module's socket I/O carries on; the waits poll the flag. */
		sa.sa_flags = SA_RESTART;
		(void)sigaction(sigs[i], &sa, NULL);
	}
}

int kinko_signal_caught(void)
{
	return (int)signal_got;
}

const char *kinko_signal_name(int sig)
{
	switch (sig) {
	case SIGINT: return "SIGINT";
	case SIGTERM: return "SIGTERM";
	case SIGHUP: return "SIGHUP";
	default: return _("a signal");
	}
}

int kinko_signal_report(const kinko_ctx *ctx)
{
	/* TRANSLATORS: %s is the signal's name, SIGINT, SIGTERM or SIGHUP. */
	kinko_err(ctx, "interrupted", NULL, _("interrupted (%s)"),
	          kinko_signal_name((int)signal_got));
	return KINKO_EXIT_FAIL;
}

bool kinko_signal_sleep(long seconds)
{
	/* In slices: a signal landing between the check and the sleep costs at most one slice. */
	for (long ms = 0; ms < seconds * 1000L; ms += 100) {
		if (signal_got)
			return false;
		struct timespec ts = {0, 100L * 1000L * 1000L};
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !signal_got)
			;
	}
	return !signal_got;
}

static int signal_xferinfo(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                           curl_off_t ulnow)
{
	(void)arg;
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return signal_got ? 1 : 0;
}

void kinko_signal_curl(CURL *c)
{
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, signal_xferinfo);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
}

int kinko_signal_exit_code(int rc)
{
	return signal_got ? 128 + (int)signal_got : rc;
}
