/* Making the mounted root disk the root of the system.
 *
 * The busybox technique: free the initramfs RAM by deleting its contents,
 * then MS_MOVE the new root over "/" and chroot into it. The initramfs
 * stays mounted underneath, out of the workload's reach, and teardown
 * steps back into it to mount /dev, /proc and /sys and close the disks.
 * pivot_root would detach it instead, and nothing can be mounted in a
 * detached tree: on kernels that allow pivoting from an initramfs (7.0
 * and later, whose rootfs is an empty nullfs under it) teardown then left
 * the mappings open. Deleting is only ever done when "/" is a RAM
 * filesystem, and never crosses into another mount, so a mistake cannot
 * touch a disk. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include "disk.h"
#include "util.h"

#define DELETE_DEPTH_MAX 64 /* an initramfs is shallow; bounds the recursion */

static const char *const api_mounts[] = { "/dev", "/proc", "/sys", "/run" };

static int check_newroot(const char *newroot, struct cw_err *err)
{
	char parent[PATH_MAX];
	struct stat st, root_st, parent_st;

	if (!newroot || newroot[0] != '/' || strlen(newroot) > PATH_MAX - 8)
		return cw_err_set(err, EINVAL, "switch_root: the new root must be an absolute path");
	if (stat("/", &root_st) < 0)
		return cw_err_set(err, errno, "switch_root: stat /: %s", strerror(errno));
	if (stat(newroot, &st) < 0)
		return cw_err_set(err, errno, "switch_root: %s: %s", newroot, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return cw_err_set(err, ENOTDIR, "switch_root: %s is not a directory", newroot);
	if (st.st_dev == root_st.st_dev && st.st_ino == root_st.st_ino)
		return cw_err_set(err, EINVAL, "switch_root: %s is already the root", newroot);
	snprintf(parent, sizeof(parent), "%s/..", newroot);
	if (stat(parent, &parent_st) < 0)
		return cw_err_set(err, errno, "switch_root: %s: %s", parent, strerror(errno));
	if (st.st_dev == parent_st.st_dev)
		return cw_err_set(err, EINVAL, "switch_root: %s is not a mount point", newroot);
	return 0;
}

/* Moves /dev, /proc, /sys and /run into the new root; submounts (devpts,
 * configfs, ...) travel with them. Ones that are not mounts are left. */
static int move_api_mounts(const char *newroot, struct cw_err *err)
{
	struct stat root_st;

	if (stat("/", &root_st) < 0)
		return cw_err_set(err, errno, "switch_root: stat /: %s", strerror(errno));
	for (size_t i = 0; i < ARRAY_SIZE(api_mounts); i++) {
		const char *src = api_mounts[i];
		char dst[PATH_MAX];
		struct stat st;

		if (stat(src, &st) < 0) {
			if (errno == ENOENT)
				continue;
			return cw_err_set(err, errno, "switch_root: %s: %s", src, strerror(errno));
		}
		if (st.st_dev == root_st.st_dev)
			continue;
		snprintf(dst, sizeof(dst), "%s%s", newroot, src);
		if (mkdir(dst, 0755) < 0 && errno != EEXIST)
			return cw_err_set(err, errno, "switch_root: cannot create %s: %s", dst,
					  strerror(errno));
		/* A symlink here (say run -> /var/run) would resolve against the
		 * old root and put the mount outside the new one. */
		if (lstat(dst, &st) < 0 || !S_ISDIR(st.st_mode))
			return cw_err_set(err, ENOTDIR, "switch_root: %s is not a directory", dst);
		if (mount(src, dst, NULL, MS_MOVE, NULL) < 0)
			return cw_err_set(err, errno, "switch_root: moving %s to %s: %s", src, dst,
					  strerror(errno));
	}
	return 0;
}

/* Deletes everything under dfd that lives on rootdev, without following
 * symlinks or entering other mounts. Best effort: what cannot be deleted
 * only costs RAM. Takes ownership of dfd. */
static void delete_tree(int dfd, dev_t rootdev, int depth)
{
	DIR *d = fdopendir(dfd);
	struct dirent *de;

	if (!d) {
		close(dfd);
		return;
	}
	while ((de = readdir(d))) {
		const char *name = de->d_name;
		struct stat st;

		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		/* A mount point reports the mounted filesystem's device. */
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != rootdev)
			continue;
		if (S_ISDIR(st.st_mode)) {
			int sub = -1;
			if (depth < DELETE_DEPTH_MAX)
				sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				delete_tree(sub, rootdev, depth + 1);
			(void)unlinkat(dfd, name, AT_REMOVEDIR);
		} else {
			(void)unlinkat(dfd, name, 0);
		}
	}
	closedir(d);
}

/* Entered with the cwd at the new root. */
static int move_root(const char *newroot, struct cw_err *err)
{
	struct statfs sfs;
	struct stat root_st;
	int fd;

	if (statfs("/", &sfs) < 0 || stat("/", &root_st) < 0)
		return cw_err_set(err, errno, "switch_root: stat /: %s", strerror(errno));
	if (sfs.f_type != RAMFS_MAGIC && sfs.f_type != TMPFS_MAGIC)
		return cw_err_set(err, EINVAL, "switch_root: / is not an initramfs (filesystem "
				  "0x%lx); not deleting it",
				  (unsigned long)sfs.f_type);
	fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0)
		delete_tree(fd, root_st.st_dev, 0);
	if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
		return cw_err_set(err, errno, "switch_root: moving %s onto /: %s", newroot,
				  strerror(errno));
	if (chroot(".") < 0)
		return cw_err_set(err, errno, "switch_root: chroot: %s", strerror(errno));
	if (chdir("/") < 0)
		return cw_err_set(err, errno, "switch_root: chdir /: %s", strerror(errno));
	return 0;
}

int switch_root(const char *newroot, struct cw_err *err)
{
	int r;

	r = check_newroot(newroot, err);
	if (r < 0)
		return r;
	/* Shared mounts refuse MS_MOVE and would propagate the move. Inside a
	 * chroot (the unit tests) "/" is no mount point and this fails with
	 * EINVAL; whoever made the chroot chose its propagation. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 && errno != EINVAL)
		return cw_err_set(err, errno, "switch_root: making / private: %s", strerror(errno));
	r = move_api_mounts(newroot, err);
	if (r < 0)
		return r;
	if (chdir(newroot) < 0)
		return cw_err_set(err, errno, "switch_root: chdir %s: %s", newroot, strerror(errno));
	return move_root(newroot, err);
}
