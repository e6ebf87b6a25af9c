/* switch_root in forked children, each in its own mount namespace so the
 * host's mounts are never touched (root only).
 *
 * - refusals: what is refused before anything changes.
 * - readonly, step back: a tmpfs mount plays the initramfs as kernels from
 *   7.0 mount it (on an empty nullfs); after the switch, teardown's step
 *   back into it must still be able to mount /proc there.
 * - fallback: a chroot into a plain directory of a tmpfs plays the older
 *   rootfs; the initramfs contents are deleted, other mounts kept.
 * - guard: the same on a disk filesystem must refuse to delete anything. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <linux/magic.h>
#include <unistd.h>
#include "check.h"
#include "disk.h"
#include "loopdev.h"
#include "util.h"

static char base[] = "/tmp/cwinit-test-sr-XXXXXX";

static int put_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int mkdirs(const char *root, const char *const *dirs, size_t n)
{
	char p[256];

	for (size_t i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "%s/%s", root, dirs[i]);
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -1;
	}
	return 0;
}

static bool is_mount(const char *path)
{
	struct stat a, b;
	char parent[256];

	snprintf(parent, sizeof(parent), "%s/..", path);
	return stat(path, &a) == 0 && stat(parent, &b) == 0 && a.st_dev != b.st_dev;
}

/* What every successful switch must leave: cwd and root at the new root,
 * the API filesystems moved in, nothing of the old root visible. */
static void check_new_root(void)
{
	char cwd[64];
	struct stat st;
	struct statfs sfs;

	CHECK(getcwd(cwd, sizeof(cwd)) && strcmp(cwd, "/") == 0);
	CHECK(access("/marker", F_OK) == 0);
	CHECK(statfs("/", &sfs) == 0 && sfs.f_type == TMPFS_MAGIC);
	CHECK(access("/proc/self/stat", R_OK) == 0);
	CHECK(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode));
	CHECK(access("/sys/class", F_OK) == 0);
	CHECK(access("/etc", F_OK) != 0);
	CHECK(access("/tmp", F_OK) != 0);
}

static int enter_private_namespace(void)
{
	return unshare(CLONE_NEWNS) == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0
		       ? 0 : -1;
}

static int child_refusals(void)
{
	struct cw_err err = {{0}};
	char newroot[128], marker[160];

	snprintf(newroot, sizeof(newroot), "%s/refusals", base);
	snprintf(marker, sizeof(marker), "%s/marker", newroot);
	if (enter_private_namespace() < 0 || mkdir(newroot, 0755) < 0)
		return 100;
	/* Refused before anything changes: relative, "/", not a mount, a file. */
	CHECK_INT(switch_root("refusals", &err), -EINVAL);
	CHECK_INT(switch_root("/", &err), -EINVAL);
	CHECK(strstr(err.msg, "already the root") != NULL);
	CHECK_INT(switch_root(newroot, &err), -EINVAL);
	CHECK(strstr(err.msg, "not a mount point") != NULL);
	if (mount("tmpfs", newroot, "tmpfs", 0, "size=1m") < 0 || put_file(marker) < 0)
		return 101;
	CHECK_INT(switch_root(marker, &err), -ENOTDIR);
	return check_failures;
}

/* A tmpfs mount as the initramfs, chrooted into at its root, with the API
 * filesystems and newroot (a tmpfs holding /marker) inside. Returns an fd
 * of the initramfs root, or -1. */
static int enter_mounted_initramfs(const char *dir, bool ro_newroot)
{
	static const char *const dirs[] = { "dev", "proc", "sys", "run", "newroot" };
	static const char *const nr_dirs[] = { "dev", "proc", "sys", "run" };
	char p[192];
	int fd;

	if (enter_private_namespace() < 0 || mkdir(dir, 0755) < 0 ||
	    mount("tmpfs", dir, "tmpfs", 0, "size=4m") < 0 || mkdirs(dir, dirs, ARRAY_SIZE(dirs)) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/dev", dir);
	if (mount("/dev", p, NULL, MS_BIND | MS_REC, NULL) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/proc", dir);
	if (mount("proc", p, "proc", 0, NULL) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/sys", dir);
	if (mount("sysfs", p, "sysfs", 0, NULL) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/newroot", dir);
	if (mount("tmpfs", p, "tmpfs", 0, "size=1m") < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/newroot/marker", dir);
	if (put_file(p) < 0)
		return -1;
	if (ro_newroot) {
		snprintf(p, sizeof(p), "%s/newroot", dir);
		if (mkdirs(p, nr_dirs, ARRAY_SIZE(nr_dirs)) < 0 ||
		    mount(NULL, p, NULL, MS_REMOUNT | MS_RDONLY, NULL) < 0)
			return -1;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || chroot(dir) < 0 || chdir("/") < 0)
		return -1;
	return fd;
}

/* A read-only new root works as long as it has the mount point folders. */
static int child_readonly(void)
{
	struct cw_err err = {{0}};
	char dir[128];

	snprintf(dir, sizeof(dir), "%s/ro", base);
	if (enter_mounted_initramfs(dir, true) < 0)
		return 100;
	CHECK_INT(switch_root("/newroot", &err), 0);
	if (check_failures)
		fprintf(stderr, "switch_root: %s\n", err.msg);
	check_new_root();
	return check_failures;
}

/* After the switch, the initramfs is still a place to mount in, as
 * teardown needs: step back into it and mount proc there. */
static int child_step_back(void)
{
	struct cw_err err = {{0}};
	char dir[128];
	int fd;

	snprintf(dir, sizeof(dir), "%s/stepback", base);
	fd = enter_mounted_initramfs(dir, false);
	if (fd < 0)
		return 100;
	CHECK_INT(switch_root("/newroot", &err), 0);
	if (check_failures)
		fprintf(stderr, "switch_root: %s\n", err.msg);
	check_new_root();
	CHECK(umount2("/", MNT_DETACH) == 0);
	CHECK(fchdir(fd) == 0 && chroot(".") == 0 && chdir("/") == 0);
	CHECK(mkdir("/proc", 0755) == 0 || errno == EEXIST);
	CHECK(mount("proc", "/proc", "proc", 0, NULL) == 0);
	CHECK(access("/proc/self/stat", R_OK) == 0);
	return check_failures;
}

/* Lays out a fake initramfs in fake/ on a tmpfs at dir: files, a deep
 * tree, a symlink to another mount, the API mounts and the new root. */
static int make_fake_initramfs(const char *dir)
{
	static const char *const dirs[] = {
		"keep", "fake", "fake/etc", "fake/etc/a", "fake/etc/a/b", "fake/dev", "fake/proc",
		"fake/sys", "fake/run", "fake/other", "fake/newroot",
	};
	char p[256];

	if (mkdirs(dir, dirs, ARRAY_SIZE(dirs)) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/keep/file", dir);
	if (put_file(p) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/fake/init", dir);
	if (put_file(p) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/fake/etc/a/b/c", dir);
	if (put_file(p) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/fake/link", dir);
	if (symlink("/other", p) < 0)
		return -1;
#define MNT(src, sub, type, flags)                                                       \
	do {                                                                             \
		snprintf(p, sizeof(p), "%s/fake/%s", dir, sub);                          \
		if (mount(src, p, type, flags, NULL) < 0)                                \
			return -1;                                                       \
	} while (0)
	MNT("/dev", "dev", NULL, MS_BIND | MS_REC);
	MNT("proc", "proc", "proc", 0);
	MNT("sysfs", "sys", "sysfs", 0);
	MNT("tmpfs", "run", "tmpfs", 0);
	MNT("tmpfs", "other", "tmpfs", 0);
	MNT("tmpfs", "newroot", "tmpfs", 0);
#undef MNT
	snprintf(p, sizeof(p), "%s/fake/other/file", dir);
	if (put_file(p) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/fake/newroot/marker", dir);
	return put_file(p);
}

static int child_fallback(void)
{
	struct cw_err err = {{0}};
	char dir[128], fake[160];
	int basefd, fakefd;
	DIR *d;
	struct dirent *de;
	int entries = 0;

	snprintf(dir, sizeof(dir), "%s/initramfs", base);
	snprintf(fake, sizeof(fake), "%s/fake", dir);
	if (enter_private_namespace() < 0 || mkdir(dir, 0755) < 0 ||
	    mount("tmpfs", dir, "tmpfs", 0, "size=4m") < 0 || make_fake_initramfs(dir) < 0)
		return 100;
	/* The new root ends up mounted over fake/: an fd opened now still
	 * reaches the directory underneath. */
	basefd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	fakefd = open(fake, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (basefd < 0 || fakefd < 0 || chroot(fake) < 0 || chdir("/") < 0)
		return 101;

	CHECK_INT(switch_root("/newroot", &err), 0);
	if (check_failures)
		fprintf(stderr, "switch_root: %s\n", err.msg);
	check_new_root();
	CHECK(is_mount("/run"));

	/* The fake initramfs is emptied; other mounts and outside files stay. */
	CHECK(faccessat(basefd, "keep/file", F_OK, 0) == 0);
	CHECK(faccessat(fakefd, "other/file", F_OK, 0) == 0);
	d = fdopendir(fakefd);
	CHECK(d != NULL);
	while (d && (de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		entries++;
		if (strcmp(de->d_name, "other") != 0 && strcmp(de->d_name, "newroot") != 0) {
			fprintf(stderr, "left in the fake initramfs: %s\n", de->d_name);
			CHECK(0);
		}
	}
	if (d)
		closedir(d);
	CHECK_INT(entries, 2);
	return check_failures;
}

/* On a disk filesystem the fallback must refuse and delete nothing. */
static int child_guard(void)
{
	struct cw_err err = {{0}};
	char fake[128], p[192];
	struct statfs sfs;

	snprintf(fake, sizeof(fake), "%s/disk", base);
	if (statfs(base, &sfs) < 0)
		return 100;
	if (sfs.f_type == TMPFS_MAGIC || sfs.f_type == RAMFS_MAGIC) {
		printf("test_switch_root: skipping the guard case (%s is on a RAM filesystem)\n",
		       base);
		return 0;
	}
	snprintf(p, sizeof(p), "%s/newroot", fake);
	if (enter_private_namespace() < 0 || mkdir(fake, 0755) < 0 || mkdir(p, 0755) < 0 ||
	    mount("tmpfs", p, "tmpfs", 0, "size=1m") < 0)
		return 100;
	snprintf(p, sizeof(p), "%s/precious", fake);
	if (put_file(p) < 0 || chroot(fake) < 0 || chdir("/") < 0)
		return 101;

	CHECK_INT(switch_root("/newroot", &err), -EINVAL);
	CHECK(strstr(err.msg, "not deleting") != NULL);
	CHECK(access("/precious", F_OK) == 0);
	return check_failures;
}

static void run_child(const char *name, int (*fn)(void))
{
	int status = 0;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		check_failures = 0; /* count only this child's checks */
		_exit(fn());
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fprintf(stderr, "test_switch_root: case %s failed (status 0x%x)\n", name, status);
	CHECK_INT(WEXITSTATUS(status), 0);
}

int main(void)
{
	if (geteuid() != 0) {
		printf("test_switch_root: skipping (needs root for mount namespaces)\n");
		return check_finish("test_switch_root");
	}
	if (!mkdtemp(base)) {
		perror("mkdtemp");
		return 1;
	}
	run_child("refusals", child_refusals);
	run_child("readonly", child_readonly);
	run_child("step back", child_step_back);
	run_child("fallback", child_fallback);
	run_child("guard", child_guard);
	run_cmd("rm -rf -- '%s'", base);
	return check_finish("test_switch_root");
}
