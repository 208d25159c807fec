/* Failed authentications per client address, in a fixed table: 256 sets of 8 entries, keyed by
 * a keyed hash (a random key, so nobody picks addresses that collide). IPv6 addresses count per
 * /64, what one subscriber usually holds. A full set forgets its oldest entry: the table's
 * memory stays fixed whatever the number of addresses. */
#include "bankd_ratelimit.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>

#include <openssl/rand.h>

#define SETS 256
#define WAYS 8

typedef struct ratelimit_entry {
	unsigned char addr[16]; /* IPv4-mapped or the IPv6 /64 */
	int used;
	time_t start; /* first failure of the current window */
	unsigned count;
} ratelimit_entry;

struct bankd_ratelimit {
	unsigned limit;
	uint64_t key;
	ratelimit_entry e[SETS][WAYS];
};

static time_t now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* The address as 16 bytes; -1 for anything but IPv4 and IPv6. */
static int addr_key(const struct sockaddr *sa, socklen_t len, unsigned char out[16])
{
	memset(out, 0, 16);
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const unsigned char *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		memcpy(out, a, memcmp(a, mapped, 12) == 0 ? 16 : 8);
		return 0;
	}
	return -1;
}

static unsigned set_of(const bankd_ratelimit *rl, const unsigned char a[16])
{
	uint64_t h = rl->key;
	int i;

	for (i = 0; i < 16; i++) {
		h ^= a[i];
		h *= 0x100000001b3ULL;
		h ^= h >> 29;
	}
	return (unsigned)(h % SETS);
}

/* The address's entry, or NULL; expired windows are forgotten on the way. */
static ratelimit_entry *find(bankd_ratelimit *rl, const unsigned char a[16], time_t now)
{
	ratelimit_entry *set = rl->e[set_of(rl, a)];
	int i;

	for (i = 0; i < WAYS; i++) {
		if (set[i].used && now - set[i].start >= BANKD_AUTH_FAIL_WINDOW)
			set[i].used = 0;
		if (set[i].used && memcmp(set[i].addr, a, 16) == 0)
			return &set[i];
	}
	return NULL;
}

bankd_ratelimit *bankd_ratelimit_new(unsigned limit)
{
	bankd_ratelimit *rl = calloc(1, sizeof *rl);
	if (rl == NULL)
		return NULL;
	rl->limit = limit;
	if (RAND_bytes((unsigned char *)&rl->key, sizeof rl->key) != 1)
		rl->key = (uint64_t)now_mono() * 0x9e3779b97f4a7c15ULL;
	return rl;
}

void bankd_ratelimit_free(bankd_ratelimit *rl)
{
	free(rl);
}

unsigned bankd_ratelimit_wait(bankd_ratelimit *rl, const struct sockaddr *sa, socklen_t len)
{
	unsigned char a[16];
	time_t now;
	ratelimit_entry *e;
	time_t left;

	if (rl == NULL || rl->limit == 0 || addr_key(sa, len, a) != 0)
		return 0;
	now = now_mono();
	e = find(rl, a, now);
	if (e == NULL || e->count < rl->limit)
		return 0;
	left = e->start + BANKD_AUTH_FAIL_WINDOW - now;
	return left > 0 ? (unsigned)left : 1;
}

void bankd_ratelimit_failed(bankd_ratelimit *rl, const struct sockaddr *sa, socklen_t len)
{
	unsigned char a[16];
	time_t now;
	ratelimit_entry *e;

	if (rl == NULL || rl->limit == 0 || addr_key(sa, len, a) != 0)
		return;
	now = now_mono();
	e = find(rl, a, now);
	if (e == NULL) {
		ratelimit_entry *set = rl->e[set_of(rl, a)];
		int i;

		e = &set[0];
		for (i = 0; i < WAYS; i++) {
			if (!set[i].used) {
				e = &set[i];
				break;
			}
			if (set[i].start < e->start)
				e = &set[i];
		}
		memcpy(e->addr, a, 16);
		e->used = 1;
		e->start = now;
		e->count = 0;
	}
	if (e->count < UINT32_MAX)
		e->count++;
}
