/* Emulated flash: one file per token, replaced by write-temp + fsync + rename + fsync(dir),
 * so a crash at any instant leaves either the old or the new content at path. */
#include "flash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int flash_write_all(int fd, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The rename is only durable once the directory entry itself reaches the disk. */
static int flash_sync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd, rc = 0;

	if (slash == NULL)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (dir == NULL)
		return -ENOMEM;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

int flash_write_atomic(const char *path, const uint8_t *buf, size_t len)
{
	size_t plen;
	char *tmp;
	int fd, rc;

	if (path == NULL || (buf == NULL && len > 0))
		return -EINVAL;
	plen = strlen(path);
	tmp = malloc(plen + sizeof(".tmp"));
	if (tmp == NULL)
		return -ENOMEM;
	memcpy(tmp, path, plen);
	memcpy(tmp + plen, ".tmp", sizeof(".tmp"));

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		free(tmp);
		return rc;
	}
	/* A stale temp file from a crash keeps its old mode through O_TRUNC: force 0600. */
	rc = fchmod(fd, 0600) < 0 ? -errno : 0;
	if (rc == 0)
		rc = flash_write_all(fd, buf, len);
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc != 0) {
		unlink(tmp);
		free(tmp);
		return rc;
	}
	free(tmp);
	return flash_sync_dir(path);
}

static int flash_read_all(int fd, uint8_t *buf, size_t want, size_t *got)
{
	size_t off = 0;

	while (off < want) {
		ssize_t n = read(fd, buf + off, want - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break; /* shrank since fstat: return what is there */
		off += (size_t)n;
	}
	*got = off;
	return 0;
}

int flash_read(const char *path, size_t max, uint8_t **buf, size_t *len)
{
	struct stat sb;
	uint8_t *data;
	size_t size, got = 0;
	int fd, rc;

	if (path == NULL || buf == NULL || len == NULL)
		return -EINVAL;
	*buf = NULL;
	*len = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	if (sb.st_size < 0 || (unsigned long long)sb.st_size > max) {
		close(fd);
		return -EFBIG;
	}
	size = (size_t)sb.st_size;
	data = malloc(size > 0 ? size : 1);
	if (data == NULL) {
		close(fd);
		return -ENOMEM;
	}
	rc = flash_read_all(fd, data, size, &got);
	close(fd);
	if (rc != 0) {
		free(data);
		return rc;
	}
	*buf = data;
	*len = got;
	return 0;
}
