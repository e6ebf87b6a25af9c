/* The workload's secret files: a tmpfs at /run/secrets, never a disk.
 *
 * It is mounted in the initramfs's /run, which switch_root moves into the
 * new root, so the workload finds it at /run/secrets and nothing of it
 * stays behind. Each file is made unnamed (O_TMPFILE), written, given its
 * owner and mode, and only then linked under its name: a failure leaves no
 * partial file for the workload to read. The tmpfs is sized for what it
 * must hold, so it cannot become a place to fill the VM's memory. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include "secrets.h"
#include "util.h"

#define TOKEN_ROOM (64 * 1024)

int secret_files_mount(const char *dir, unsigned files, struct cw_err *err)
{
	char opts[96];
	unsigned long long size = (unsigned long long)files * CW_SECRET_FILE_MAX + TOKEN_ROOM;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return cw_err_set(err, errno, "secrets: cannot create %s: %s", dir, strerror(errno));
	snprintf(opts, sizeof(opts), "mode=0755,size=%llu,nr_inodes=%u", size, files + 2);
	if (mount("tmpfs", dir, "tmpfs", MS_NODEV | MS_NOSUID | MS_NOEXEC, opts) < 0)
		return cw_err_set(err, errno, "secrets: mounting a tmpfs at %s: %s", dir,
				  strerror(errno));
	return 0;
}

int secret_file_write(const char *dir, const char *name, const struct secret *data, uid_t uid,
		      gid_t gid, mode_t mode, struct cw_err *err)
{
	_cleanup_close_ int fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	char path[64], target[256];
	size_t done = 0;

	if (fd < 0)
		return cw_err_set(err, errno, "secrets: %s/%s: %s", dir, name, strerror(errno));
	while (done < data->len) {
		ssize_t n = write(fd, data->data + done, data->len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return cw_err_set(err, n < 0 ? errno : EIO, "secrets: writing %s/%s: %s", dir,
					  name, n < 0 ? strerror(errno) : "short write");
		done += (size_t)n;
	}
	if (fchown(fd, uid, gid) < 0 || fchmod(fd, mode) < 0)
		return cw_err_set(err, errno, "secrets: owner or mode of %s/%s: %s", dir, name,
				  strerror(errno));
	/* Named only now that it is whole; never over an existing name. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	snprintf(target, sizeof(target), "%s/%s", dir, name);
	if (linkat(AT_FDCWD, path, AT_FDCWD, target, AT_SYMLINK_FOLLOW) < 0)
		return cw_err_set(err, errno, "secrets: linking %s: %s", target, strerror(errno));
	return 0;
}

int secret_files_unmount(const char *dir, struct cw_err *err)
{
	if (umount2(dir, 0) == 0 || errno == EINVAL || errno == ENOENT)
		return 0;
	/* Still open in some process: gone once it lets go. */
	if (umount2(dir, MNT_DETACH) < 0)
		return cw_err_set(err, errno, "secrets: unmounting %s: %s", dir, strerror(errno));
	return 0;
}
