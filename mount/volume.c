/* Bringing one data volume up under the new root, and down again.
 *
 * Paths inside the new root come from the image as much as from the
 * configuration: a directory of the image may be a symlink pointing
 * anywhere. So both the key file and the mount point are reached one
 * component at a time with O_NOFOLLOW, and the key file must stay on the
 * root filesystem, whose encryption is what protects it. PID 1 is the only
 * process while this runs, so once a path is checked nothing can swap a
 * component under it before the mount. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <dirent.h>
#include <unistd.h>
#include "disk.h"
#include "luks.h"
#include "util.h"
#include "volumes.h"

/* Is the block device dev (major:minor) a device-mapper device, or already
 * held by one? Fills why, or leaves it empty when the device is free. */
static void device_in_use(dev_t rdev, char *why, size_t n)
{
	char path[96];
	struct dirent *e;
	DIR *d;

	why[0] = '\0';
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/dm", major(rdev), minor(rdev));
	if (access(path, F_OK) == 0) {
		snprintf(why, n, "is an unlocked device-mapper device, not an encrypted disk");
		return;
	}
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/holders", major(rdev), minor(rdev));
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(why, n, "is already in use by %.32s (the root's or an earlier "
				 "volume's disk)", e->d_name);
			break;
		}
	closedir(d);
}

int volume_find(const struct cw_volume *v, uint32_t wait_ms, char *dev, size_t devlen,
		struct cw_err *err)
{
	char why[96];
	struct stat st;
	int r = root_find(v->device, wait_ms, dev, devlen, err);

	if (r < 0) {
		/* root_find speaks of the root; here it is a volume's device. */
		if (err && !strncmp(err->msg, "root: ", 6))
			memmove(err->msg, err->msg + 6, strlen(err->msg + 6) + 1);
		return cw_err_prefix(err, r, "volume %s", v->mount_point);
	}
	if (stat(dev, &st) < 0)
		return cw_err_set(err, errno, "volume %s: %s: %s", v->mount_point, dev, strerror(errno));
	device_in_use(st.st_rdev, why, sizeof(why));
	if (why[0])
		return cw_err_set(err, EBUSY, "volume %s: %s (%s) %s", v->mount_point, dev, v->device,
				  why);
	return 0;
}

/* Opens, from dirfd, the directories of the first len characters of path
 * (absolute, normalized), never following a symlink. With create, missing
 * ones are made; with fs set, every one must lie on that filesystem.
 * Returns an O_PATH fd of the last directory or -errno with err set. */
static int walk_dirs(int dirfd, const char *path, size_t len, bool create, const dev_t *fs,
		     const char *what, struct cw_err *err)
{
	int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
	char comp[CW_VOLUME_PATH_MAX];
	size_t i = 0;

	if (fd < 0)
		return cw_err_set(err, errno, "%s: %s", what, strerror(errno));
	while (i < len) {
		size_t n = strcspn(path + i + 1, "/");
		struct stat st;
		int next;

		if (n > len - i - 1)
			n = len - i - 1;
		memcpy(comp, path + i + 1, n);
		comp[n] = '\0';
		i += n + 1;
		if (create && mkdirat(fd, comp, 0755) < 0 && errno != EEXIST) {
			int e = errno;
			close(fd);
			return cw_err_set(err, e, "%s: cannot create %.*s: %s%s", what, (int)i, path,
					  strerror(e), e == EROFS ? " (create it in the image)" : "");
		}
		next = openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			int e = errno;
			close(fd);
			if (e == ENOTDIR || e == ELOOP)
				return cw_err_set(err, e, "%s: %.*s is a symlink or not a directory", what,
						  (int)i, path);
			return cw_err_set(err, e, "%s: %.*s: %s", what, (int)i, path, strerror(e));
		}
		close(fd);
		fd = next;
		if (fs && (fstat(fd, &st) < 0 || st.st_dev != *fs)) {
			close(fd);
			return cw_err_set(err, EXDEV, "%s: %.*s is not on the root filesystem", what,
					  (int)i, path);
		}
	}
	return fd;
}

int volume_read_key_file(const struct cw_volume *v, const char *newroot, struct secret **pass,
			 struct cw_err *err)
{
	_cleanup_close_ int root = open(newroot, O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int dir = -1, fd = -1;
	_cleanup_secret_ struct secret *s = NULL;
	const char *slash = strrchr(v->key_file, '/'), *name = slash ? slash + 1 : "";
	char what[CW_VOLUME_PATH_MAX * 2 + 32];
	struct stat rst, st;

	snprintf(what, sizeof(what), "volume %s: key_file %s", v->mount_point, v->key_file);
	if (!slash || !*name)
		return cw_err_set(err, EINVAL, "%s: not an absolute file path", what);
	if (root < 0 || fstat(root, &rst) < 0)
		return cw_err_set(err, errno, "%s: %s: %s", what, newroot, strerror(errno));
	dir = walk_dirs(root, v->key_file, (size_t)(slash - v->key_file), false, &rst.st_dev,
			what, err);
	if (dir < 0)
		return dir;
	/* Checked before opening: opening a FIFO or a device has effects. */
	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return cw_err_set(err, errno, "%s: %s", what, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return cw_err_set(err, EINVAL, "%s: %s", what,
				  S_ISLNK(st.st_mode) ? "is a symlink" : "not a regular file");
	fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		return cw_err_set(err, errno, "%s: %s", what, strerror(errno));
	if (!S_ISREG(st.st_mode) || st.st_dev != rst.st_dev)
		return cw_err_set(err, EINVAL, "%s: not a regular file on the root filesystem", what);
	s = secret_new(CW_VOLUME_KEY_MAX + 1);
	if (!s)
		return cw_err_set(err, errno, "%s: cannot allocate locked memory: %s", what,
				  strerror(errno));
	/* One byte more than allowed, to tell a file that is too long. */
	while (s->len < s->cap) {
		ssize_t n = read(fd, s->data + s->len, s->cap - s->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cw_err_set(err, errno, "%s: %s", what, strerror(errno));
		if (n == 0)
			break;
		s->len += (size_t)n;
	}
	if (s->len == 0)
		return cw_err_set(err, EINVAL, "%s: the file is empty", what);
	if (s->len > CW_VOLUME_KEY_MAX)
		return cw_err_set(err, EFBIG, "%s: longer than %d bytes", what, CW_VOLUME_KEY_MAX);
	*pass = s;
	s = NULL;
	return 0;
}

int volume_check_header(const struct cw_volume *v, const char *dev, const struct luks_policy *p,
			struct luks_disk **disk, struct cw_err *err)
{
	int r = luks_check(dev, p, v->luks_uuid, disk, err);

	return r < 0 ? cw_err_prefix(err, r, "volume %s", v->mount_point) : 0;
}

int volume_unlock(const struct cw_volume *v, struct luks_disk *disk, const struct secret *pass,
		  struct volume_state *st, struct cw_err *err)
{
	int r;

	strscpy(st->mapper, v->mapper, sizeof(st->mapper));
	strscpy(st->mount_point, v->mount_point, sizeof(st->mount_point));
	r = luks_activate(disk, v->mapper, pass, v->readonly, err);
	if (r < 0)
		return cw_err_prefix(err, r, "volume %s (key from %s %s)", v->mount_point,
				     *v->resource ? "resource" : "key_file",
				     *v->resource ? v->resource : v->key_file);
	st->mapped = true;
	return 0;
}

int volume_mount(const struct cw_volume *v, const char *newroot, struct volume_state *st,
		 struct cw_err *err)
{
	_cleanup_close_ int root = open(newroot, O_PATH | O_DIRECTORY | O_CLOEXEC);
	char what[CW_VOLUME_PATH_MAX + 32], target[CW_VOLUME_PATH_MAX + 64], mapped[96];
	int fd, r;

	snprintf(what, sizeof(what), "volume %s", v->mount_point);
	if (root < 0)
		return cw_err_set(err, errno, "%s: %s: %s", what, newroot, strerror(errno));
	fd = walk_dirs(root, v->mount_point, strlen(v->mount_point), true, NULL, what, err);
	if (fd < 0)
		return fd;
	close(fd);
	snprintf(target, sizeof(target), "%s%s", newroot, v->mount_point);
	snprintf(mapped, sizeof(mapped), "/dev/mapper/%s", v->mapper);
	r = fs_mount(mapped, target, v->fstype, v->mount_options, v->readonly, err);
	if (r < 0)
		return cw_err_prefix(err, r, "%s", what);
	st->mounted = true;
	return 0;
}

int volume_unmount(struct volume_state *st, const char *prefix, struct cw_err *err)
{
	char path[CW_VOLUME_PATH_MAX + 64];
	int e;

	if (!st->mounted)
		return 0;
	snprintf(path, sizeof(path), "%s%s", prefix, st->mount_point);
	/* Clean on disk first, whatever happens to the unmount. */
	(void)mount(NULL, path, NULL, MS_REMOUNT | MS_RDONLY, NULL);
	if (umount2(path, UMOUNT_NOFOLLOW) == 0) {
		st->mounted = false;
		return 0;
	}
	e = errno;
	if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) == 0) {
		st->mounted = false;
		return cw_err_set(err, e, "volume %s: unmounting failed (%s); detached it instead",
				  st->mount_point, strerror(e));
	}
	return cw_err_set(err, errno, "volume %s: unmounting %s failed: %s", st->mount_point, path,
			  strerror(errno));
}

int volume_close(struct volume_state *st, struct cw_err *err)
{
	int r;

	if (!st->mapped)
		return 0;
	r = luks_close(st->mapper, err);
	if (r < 0)
		return cw_err_prefix(err, r, "volume %s", st->mount_point);
	st->mapped = false;
	return 0;
}
