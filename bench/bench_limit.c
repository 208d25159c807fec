/* The limit of the emulated token: round trip between two processes, CPU time. */
#include "bench_limit.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* Read exactly len bytes; false on EOF or error. */
static bool bench_read_all(int fd, unsigned char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		got += (size_t)n;
	}
	return true;
}

static bool bench_write_all(int fd, const unsigned char *buf, size_t len)
{
	size_t put = 0;

	while (put < len) {
		ssize_t n = write(fd, buf + put, len - put);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		put += (size_t)n;
	}
	return true;
}

/* The echo side: the reply is one write, as the emulator's. */
static void bench_pingpong_serve(bench_pingpong *pp)
{
	while (bench_read_all(pp->fd, pp->buf, pp->req))
		if (!bench_write_all(pp->fd, pp->buf, pp->rep))
			break;
	_exit(0);
}

bool bench_pingpong_start(bench_pingpong *pp, size_t req, size_t rep)
{
	int sv[2];

	memset(pp, 0, sizeof(*pp));
	pp->fd = -1;
	if (req > sizeof(pp->buf) || rep > sizeof(pp->buf) ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return false;
	pp->req = req;
	pp->rep = rep;
	memset(pp->buf, 0x5a, sizeof(pp->buf));
	pp->pid = fork();
	if (pp->pid == 0) {
		close(sv[0]);
		pp->fd = sv[1];
		bench_pingpong_serve(pp);
	}
	close(sv[1]);
	if (pp->pid < 0) {
		close(sv[0]);
		return false;
	}
	pp->fd = sv[0];
	return true;
}

bool bench_pingpong_one(void *arg)
{
	bench_pingpong *pp = arg;

	return bench_write_all(pp->fd, pp->buf, pp->req) &&
	       bench_read_all(pp->fd, pp->buf, pp->rep);
}

void bench_pingpong_stop(bench_pingpong *pp)
{
	if (pp->fd >= 0)
		close(pp->fd);
	/* A later echo process holds a copy of this socket: no EOF would come. */
	if (pp->pid > 0 && kill(pp->pid, SIGKILL) == 0)
		while (waitpid(pp->pid, NULL, 0) < 0 && errno == EINTR)
			;
	pp->fd = -1;
	pp->pid = 0;
}

double bench_cpu_self_us(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return -1;
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

double bench_cpu_pid_us(pid_t pid)
{
	char path[64];
	unsigned long long ns, ut, st;
	long hz = sysconf(_SC_CLK_TCK);
	FILE *fp;
	int n;

	snprintf(path, sizeof(path), "/proc/%ld/schedstat", (long)pid);
	fp = fopen(path, "r");
	if (fp) {
		n = fscanf(fp, "%llu", &ns);
		fclose(fp);
		if (n == 1)
			return (double)ns / 1e3;
	}
	/* Fields 14 and 15 of /proc/PID/stat; the command name (2) has no ')' for ours. */
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	fp = fopen(path, "r");
	if (!fp)
		return -1;
	n = fscanf(fp, "%*d (%*[^)]) %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
	           &st);
	fclose(fp);
	return n == 2 && hz > 0 ? (double)(ut + st) * 1e6 / (double)hz : -1;
}

void bench_stats(double *v, int n, double *median, double *min, double *max)
{
	int i, j;

	for (i = 1; i < n; i++) /* insertion sort: a handful of values */
		for (j = i; j > 0 && v[j - 1] > v[j]; j--) {
			double x = v[j];

			v[j] = v[j - 1];
			v[j - 1] = x;
		}
	*median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	*min = v[0];
	*max = v[n - 1];
}
