/* The emulator's listening sockets (emu_listen.h). */
#include "emu_listen.h"
#include "i18n.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define EMU_BACKLOG 16

/* A socket file that refuses connections is left over from a dead process. A
 * non-blocking probe, so a live server with a full backlog reads as busy, not stale. */
static bool emu_socket_is_stale(const char *path, const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, r, err;

	if (lstat(path, &st) != 0 || !S_ISSOCK(st.st_mode))
		return false;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	err = errno;
	close(fd);
	return r != 0 && err == ECONNREFUSED;
}

int emu_listen(const char *path, bool *owned)
{
	struct sockaddr_un sa;
	mode_t old_mask;
	int fd, r;

	*owned = false;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, _("kinko-token-emu: socket path too long: %s\n"), path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "kinko-token-emu: socket: %s\n", strerror(errno));
		return -1;
	}
	/* Only the owner may talk to the token: create the socket file 0600. */
	old_mask = umask(0177);
	r = bind(fd, (const struct sockaddr *)&sa, sizeof(sa));
	if (r != 0 && errno == EADDRINUSE && emu_socket_is_stale(path, &sa)) {
		unlink(path);
		r = bind(fd, (const struct sockaddr *)&sa, sizeof(sa));
	}
	umask(old_mask);
	if (r != 0) {
		if (errno == EADDRINUSE)
			fprintf(stderr,
			        _("kinko-token-emu: %s is in use (another emulator listens, or "
			          "it is not a socket)\n"),
			        path);
		else
			fprintf(stderr, _("kinko-token-emu: cannot listen on %s: %s\n"), path,
			        strerror(errno));
		close(fd);
		return -1;
	}
	*owned = true;
	if (chmod(path, 0600) != 0 || listen(fd, EMU_BACKLOG) != 0) {
		fprintf(stderr, _("kinko-token-emu: cannot listen on %s: %s\n"), path,
		        strerror(errno));
		close(fd);
		unlink(path);
		*owned = false;
		return -1;
	}
	return fd;
}
