/* The physical limit of the emulated token, measured in the bench's own run: a round trip
 * of a GENERAL AUTHENTICATE-sized message between two processes over a UNIX stream socket
 * (the emulator's socket type), and the CPU time a process pair spends. */
#ifndef KINKO_BENCH_LIMIT_H
#define KINKO_BENCH_LIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* A forked echo process on a socketpair: each request of req bytes gets rep bytes back. */
typedef struct {
	int fd;
	pid_t pid;
	size_t req, rep;
	unsigned char buf[1024];
} bench_pingpong;

/* Request/reply sizes of one signature as the module sends it: CCID header + extended
 * APDU of GENERAL AUTHENTICATE with the digest (P-256) or padded block (RSA-2048). */
#define BENCH_GA_REQ_EC 54u
#define BENCH_GA_REP_EC 88u
#define BENCH_GA_REQ_RSA 285u
#define BENCH_GA_REP_RSA 276u

bool bench_pingpong_start(bench_pingpong *pp, size_t req, size_t rep);
/* One request and its whole reply (the bench_rate callback). */
bool bench_pingpong_one(void *arg);
void bench_pingpong_stop(bench_pingpong *pp);

/* CPU time (user + system) in microseconds: this process from getrusage, another one
 * from /proc/PID/schedstat (nanoseconds on CPU; getrusage cannot read another process),
 * or its /proc/PID/stat ticks when schedstat is absent. -1 when unreadable. */
double bench_cpu_self_us(void);
double bench_cpu_pid_us(pid_t pid);

/* Median, minimum and maximum of n values (sorts v in place). */
void bench_stats(double *v, int n, double *median, double *min, double *max);

#endif
