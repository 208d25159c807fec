/* Is a kinko token's interface pcscd's? pcscd (libccid) opens and claims the interface of a
 * CCID reader for as long as the reader exists; kinko processes claim it for one batch
 * each. So an interface that is busy is waited for, unless pcscd is the holder: then the
 * token is reached through PC/SC, and the libusb transport leaves it alone.
 *
 * The kernel does not say which process claimed an interface, but /proc says which
 * processes have the device node open (compared as files, not names). The holder counts
 * as pcscd when a process named pcscd has the node open, or when a pcscd runs whose open
 * files this process may not see (distributions run it as root): set up for kinko's token
 * (README "Hardware"), pcscd takes every token it is shown. Elsewhere than Linux nobody
 * is known. */
#include "usb_enum.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "transport.h"

#ifdef __linux__
/* Is process pid pcscd? Reads its comm (readable for every process). */
static bool tr_usb_proc_is_pcscd(long pid)
{
	char path[64], comm[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	return strcmp(comm, "pcscd\n") == 0;
}

/* Has process pid the node open (the same file: device and inode, so a test bed's
 * redirected node is told from another bed's)? -1 when its open files cannot be read. */
static int tr_usb_proc_has_node(long pid, const struct stat *node)
{
	char path[64], fd[340];
	struct dirent *e;
	struct stat st;
	int found = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
	d = opendir(path);
	if (!d)
		return -1;
	while (!found && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(fd, sizeof(fd), "%s/%s", path, e->d_name);
		found = stat(fd, &st) == 0 && st.st_dev == node->st_dev &&
		        st.st_ino == node->st_ino;
	}
	closedir(d);
	return found;
}

int tr_usb_pcscd_holds(libusb_device *dev)
{
	char path[32];
	struct stat node;
	struct dirent *e;
	int held = 0;
	DIR *proc;

	if (!dev)
		return 0;
	snprintf(path, sizeof(path), "/dev/bus/usb/%03u/%03u", libusb_get_bus_number(dev),
	         libusb_get_device_address(dev));
	if (stat(path, &node) != 0)
		return 0;
	proc = opendir("/proc");
	if (!proc)
		return 0;
	while (held != 1 && (e = readdir(proc)) != NULL) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		int has;

		if (pid <= 0 || *end || !tr_usb_proc_is_pcscd(pid))
			continue;
		has = tr_usb_proc_has_node(pid, &node);
		if (has != 0)
			held = has;
	}
	closedir(proc);
	return held;
}
#else
int tr_usb_pcscd_holds(libusb_device *dev)
{
	(void)dev;
	return 0;
}
#endif
