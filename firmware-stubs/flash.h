/* Emulated flash: the token's whole state is one file, replaced atomically. */
#ifndef KINKO_FLASH_H
#define KINKO_FLASH_H

#include <stddef.h>
#include <stdint.h>

/* Write buf as the new content of path: write a temporary file beside it, fsync it,
 * rename it over path, fsync the directory. Killed at any instant, path holds the old
 * content or the new one. Returns 0 or -errno. */
int flash_write_atomic(const char *path, const uint8_t *buf, size_t len);

/* Read the whole file (at most max bytes) into a malloc'd buffer. 0 or -errno
 * (-EFBIG when larger than max). */
int flash_read(const char *path, size_t max, uint8_t **buf, size_t *len);

#endif
