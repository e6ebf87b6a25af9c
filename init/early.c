/* Early setup: the API filesystems and the console.
 *
 * The kernel mounts nothing for an initramfs; libcryptsetup needs
 * /dev/urandom and /dev/mapper, blkid needs /sys, and the workload expects
 * /dev/pts, /dev/shm and /run. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "early.h"
#include "util.h"

struct api_mount {
	const char *source, *target, *type, *options;
	unsigned long flags;
	bool optional; /* the kernel may lack it */
};

static const struct api_mount api_mounts[] = {
	{ "devtmpfs", "/dev", "devtmpfs", "mode=0755", MS_NOSUID, false },
	{ "proc", "/proc", "proc", NULL, MS_NOSUID | MS_NODEV | MS_NOEXEC, false },
	{ "sysfs", "/sys", "sysfs", NULL, MS_NOSUID | MS_NODEV | MS_NOEXEC, false },
	{ "configfs", "/sys/kernel/config", "configfs", NULL, MS_NOSUID | MS_NODEV | MS_NOEXEC, true },
	{ "devpts", "/dev/pts", "devpts", "newinstance,ptmxmode=0666,mode=0620,gid=5", MS_NOSUID | MS_NOEXEC, false },
	{ "shm", "/dev/shm", "tmpfs", "mode=1777", MS_NOSUID | MS_NODEV, false },
	{ "run", "/run", "tmpfs", "mode=0755", MS_NOSUID | MS_NODEV, false },
};

/* True when path is already a mount point (its device differs from its parent's). */
static bool is_mount_point(const char *path)
{
	struct stat a, b;
	char parent[PATH_MAX];

	if (stat(path, &a) < 0)
		return false;
	if (snprintf(parent, sizeof(parent), "%s/..", path) >= (int)sizeof(parent))
		return false;
	if (stat(parent, &b) < 0)
		return false;
	return a.st_dev != b.st_dev || a.st_ino == b.st_ino;
}

int early_mount_api(struct cw_err *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(api_mounts); i++) {
		const struct api_mount *m = &api_mounts[i];
		const char *target = m->target;

		if (mkdir(target, 0755) < 0 && errno != EEXIST) {
			if (m->optional)
				continue; /* /sys/kernel/config exists only with configfs */
			return cw_err_set(err, errno, "mkdir %s: %m", target);
		}
		if (is_mount_point(target))
			continue;
		if (mount(m->source, target, m->type, m->flags, m->options) < 0) {
			if (m->optional && (errno == ENODEV || errno == ENOENT))
				continue;
			return cw_err_set(err, errno, "mount %s on %s: %m", m->type, target);
		}
	}
	/* A private devpts instance needs /dev/ptmx to point into it. */
	unlink("/dev/ptmx");
	if (symlink("pts/ptmx", "/dev/ptmx") < 0)
		return cw_err_set(err, errno, "symlink /dev/ptmx: %m");
	return 0;
}

int early_console(struct cw_err *err)
{
	int fd = -1;

	for (int i = 0; i < 3; i++) {
		if (fcntl(i, F_GETFD) >= 0)
			continue;
		if (fd < 0) {
			fd = open("/dev/console", O_RDWR | O_NOCTTY);
			if (fd < 0)
				return cw_err_set(err, errno, "open /dev/console: %m");
		}
		if (fd != i && dup2(fd, i) < 0)
			return cw_err_set(err, errno, "dup2 console: %m");
	}
	if (fd > 2)
		close(fd);
	return 0;
}
