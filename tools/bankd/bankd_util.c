#include "bankd_util.h"
#include "bankd_rules.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

static int parse_now(const char *s, time_t *t)
{
	int64_t day;
	const char *p;

	if (bankd_rules_day_parse(s, &day) == 0) {
		*t = (time_t)(day * 86400);
		return 0;
	}
	if (*s == '\0' || strlen(s) > 12)
		return -1;
	for (p = s; *p; p++)
		if (!isdigit((unsigned char)*p))
			return -1;
	*t = (time_t)strtoll(s, NULL, 10);
	return 0;
}

time_t bankd_now(void)
{
	const char *s = getenv("KINKO_BANKD_NOW");
	time_t t;
	if (s != NULL && parse_now(s, &t) == 0)
		return t;
	return time(NULL);
}

int bankd_now_check(void)
{
	const char *s = getenv("KINKO_BANKD_NOW");
	time_t t;
	return s == NULL || parse_now(s, &t) == 0 ? 0 : -1;
}

void bankd_hex(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int bankd_sha256_hex(const uint8_t *in, size_t n, char out[65])
{
	uint8_t md[32];
	unsigned int len = 0;
	if (EVP_Digest(in, n, md, &len, EVP_sha256(), NULL) != 1 || len != 32)
		return -1;
	bankd_hex(md, 32, out);
	return 0;
}

int bankd_random_hex(size_t n, char *out)
{
	uint8_t buf[64];
	if (n > sizeof buf || RAND_bytes(buf, (int)n) != 1)
		return -1;
	bankd_hex(buf, n, out);
	OPENSSL_cleanse(buf, sizeof buf);
	return 0;
}

int bankd_b64_decode(const char *in, size_t len, uint8_t **out, size_t *out_len)
{
	char *clean;
	size_t m;
	size_t i;
	size_t pad;
	uint8_t *buf;
	int n;

	*out = NULL;
	if (len > INT32_MAX)
		return -1;
	/* Keep only base64 characters; reject anything that is neither that nor whitespace. */
	clean = malloc(len + 1);
	if (clean == NULL)
		return -1;
	m = 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (!(isalnum(c) || c == '+' || c == '/' || c == '=')) {
			free(clean);
			return -1;
		}
		clean[m++] = (char)c;
	}
	/* '=' only as the last one or two characters of a whole number of quads. */
	pad = 0;
	while (pad < m && pad < 3 && clean[m - 1 - pad] == '=')
		pad++;
	if (m == 0 || m % 4 != 0 || pad > 2 || memchr(clean, '=', m - pad) != NULL) {
		free(clean);
		return -1;
	}
	buf = malloc(m / 4 * 3 + 1);
	if (buf == NULL) {
		free(clean);
		return -1;
	}
	n = EVP_DecodeBlock(buf, (const unsigned char *)clean, (int)m);
	free(clean);
	if (n < 0 || (size_t)n < pad) {
		free(buf);
		return -1;
	}
	*out = buf;
	*out_len = (size_t)n - pad;
	return 0;
}

char *bankd_b64_encode(const uint8_t *in, size_t n)
{
	size_t full = (n + 2) / 3 * 4;
	char *line = malloc(full + 1);
	char *out = malloc(full + full / 64 + 3);
	int m;
	size_t o;
	int i;

	if (line == NULL || out == NULL || n > INT32_MAX) {
		free(line);
		free(out);
		return NULL;
	}
	m = EVP_EncodeBlock((unsigned char *)line, in, (int)n);
	o = 0;
	for (i = 0; i < m; i += 64) {
		size_t k = (size_t)(m - i) < 64 ? (size_t)(m - i) : 64;
		memcpy(out + o, line + i, k);
		o += k;
		out[o++] = '\n';
	}
	out[o] = '\0';
	free(line);
	return out;
}

int bankd_write_new_file(const char *path, int mode, const void *data, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	const uint8_t *p;

	if (fd < 0)
		return -1;
	/* The exact mode, whatever the umask (which main sets to 077 for the database). */
	if (fchmod(fd, (mode_t)mode) != 0) {
		close(fd);
		return -1;
	}
	p = data;
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	if (fsync(fd) != 0) {
		close(fd);
		return -1;
	}
	return close(fd);
}

int bankd_count_parse(const char *s, char first, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long n;

	if (*s < first || *s > '9')
		return -1;
	n = strtoul(s, &end, 10);
	if (*end != '\0' || n > max)
		return -1;
	*out = n;
	return 0;
}
