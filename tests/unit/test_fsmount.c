/* fs_detect on filesystem images in files, and fs_mount: refusals without
 * devices, real mounts of an ext4 image on a loop device (root only, in a
 * private mount namespace so nothing is left mounted on the host). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include "check.h"
#include "disk.h"
#include "loopdev.h"

static char dir[] = "/tmp/cwinit-test-fs-XXXXXX";
static char ext4[128], luks[128], zero[128], swap[128], ambiguous[128];

static int make_images(void)
{
	char cmd[1024];

	snprintf(ext4, sizeof(ext4), "%s/ext4.img", dir);
	snprintf(luks, sizeof(luks), "%s/luks.img", dir);
	snprintf(zero, sizeof(zero), "%s/zero.img", dir);
	snprintf(swap, sizeof(swap), "%s/swap.img", dir);
	snprintf(ambiguous, sizeof(ambiguous), "%s/ambiguous.img", dir);
	/* The ext4 image is made from a folder, as buildah does (mkfs -d). */
	snprintf(cmd, sizeof(cmd),
		 "set -e; cd %s; mkdir tree; echo hello > tree/hello; "
		 "truncate -s 16M ext4.img zero.img swap.img; truncate -s 20M luks.img; "
		 "mkfs.ext4 -q -b 4096 -d tree ext4.img; "
		 "mkswap -q swap.img 2>/dev/null; "
		 "printf pass > key; cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 "
		 "--pbkdf-force-iterations 1000 --key-file key luks.img; "
		 /* A btrfs magic at 64 KiB + 64 on top of the ext4 superblock. */
		 "cp ext4.img ambiguous.img; printf _BHRfS_M | "
		 "dd of=ambiguous.img bs=1 seek=65600 conv=notrunc status=none",
		 dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_detect(void)
{
	struct cw_err err = {{0}};
	char type[32], tiny[3];

	CHECK_INT(fs_detect(ext4, type, sizeof(type), &err), 0);
	CHECK_STR(type, "ext4");
	/* What no root can be is named in the refusal. */
	CHECK_INT(fs_detect(luks, type, sizeof(type), &err), -EINVAL);
	CHECK(strstr(err.msg, "type 'crypto_LUKS' cannot be the root") != NULL);
	CHECK_INT(fs_detect(swap, type, sizeof(type), &err), -EINVAL);
	CHECK(strstr(err.msg, "type 'swap' cannot be the root") != NULL);
	CHECK_INT(fs_detect(zero, type, sizeof(type), &err), -EINVAL);
	CHECK(strstr(err.msg, "no filesystem") != NULL);
	CHECK_INT(fs_detect(ambiguous, type, sizeof(type), &err), -EINVAL);
	CHECK(strstr(err.msg, "several filesystem signatures") != NULL);
	CHECK_INT(fs_detect(ext4, tiny, sizeof(tiny), &err), -ENAMETOOLONG);
	CHECK(fs_detect("/nonexistent/cwinit-disk", type, sizeof(type), &err) < 0);
}

static void test_refusals(void)
{
	struct cw_err err = {{0}};
	char target[160], longopts[600];

	snprintf(target, sizeof(target), "%s/never", dir);
	CHECK_INT(fs_mount(ext4, target, "swap", NULL, true, &err), -EINVAL);
	CHECK(strstr(err.msg, "'swap' cannot be the root") != NULL);
	CHECK_INT(fs_mount(swap, target, "", NULL, true, &err), -EINVAL);
	CHECK(strstr(err.msg, "'swap' cannot be the root") != NULL);
	CHECK_INT(fs_mount(luks, target, NULL, NULL, true, &err), -EINVAL);
	CHECK(strstr(err.msg, "crypto_LUKS") != NULL);
	CHECK_INT(fs_mount(zero, target, NULL, NULL, true, &err), -EINVAL);
	CHECK_INT(fs_mount(ambiguous, target, NULL, NULL, true, &err), -EINVAL);
	/* A configured type is echoed only when it looks like a name. */
	CHECK_INT(fs_mount(ext4, target, "ext4\n\x1b[2J", NULL, true, &err), -EINVAL);
	CHECK(strstr(err.msg, "type '?'") != NULL);
	CHECK_INT(fs_mount(ext4, target, "ext4", "noatime, nodev", true, &err), -EINVAL);
	CHECK_INT(fs_mount(ext4, target, "ext4", "a\x7f", true, &err), -EINVAL);
	memset(longopts, 'a', sizeof(longopts) - 1);
	longopts[sizeof(longopts) - 1] = '\0';
	CHECK_INT(fs_mount(ext4, target, "ext4", longopts, true, &err), -EINVAL);
	CHECK(strstr(err.msg, "longer than") != NULL);
	/* None of those got as far as creating the target. */
	CHECK(access(target, F_OK) != 0);

	CHECK_INT(fs_mount(ext4, ext4, "ext4", NULL, true, &err), -ENOTDIR);
}

static void test_mount(void)
{
	struct cw_err err = {{0}};
	char loop[64], target[160], file[200];
	struct statvfs sv;
	int fd;

	if (loop_attach(ext4, false, loop, sizeof(loop)) < 0) {
		printf("test_fsmount: skipping real mounts (needs root and losetup)\n");
		return;
	}
	if (unshare(CLONE_NEWNS) < 0 || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0) {
		printf("test_fsmount: skipping real mounts (no private mount namespace)\n");
		loop_detach(loop);
		return;
	}
	snprintf(target, sizeof(target), "%s/root", dir);
	snprintf(file, sizeof(file), "%s/hello", target);

	/* Detected type, read-only, target created. */
	CHECK_INT(fs_mount(loop, target, "", NULL, true, &err), 0);
	CHECK(statvfs(target, &sv) == 0 && (sv.f_flag & ST_RDONLY));
	CHECK(access(file, R_OK) == 0);
	CHECK(umount(target) == 0);

	/* Read-write with a filesystem option. */
	CHECK_INT(fs_mount(loop, target, "ext4", "errors=remount-ro", false, &err), 0);
	CHECK(statvfs(target, &sv) == 0 && !(sv.f_flag & ST_RDONLY));
	snprintf(file, sizeof(file), "%s/written", target);
	fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	CHECK(fd >= 0);
	close(fd);
	CHECK(umount(target) == 0);

	CHECK_INT(fs_mount(loop, target, "ext4", "no_such_option=1", true, &err), -EINVAL);
	CHECK(strstr(err.msg, "unsupported mount options") != NULL);
	CHECK_INT(fs_mount(loop, target, "xfs", NULL, true, &err), -EINVAL);
	CHECK_INT(loop_detach(loop), 0);
}

int main(void)
{
	if (!mkdtemp(dir) || make_images() < 0) {
		fprintf(stderr, "test_fsmount: cannot make the images in %s\n", dir);
		return 1;
	}
	test_detect();
	test_refusals();
	test_mount();
	run_cmd("rm -rf -- '%s'", dir);
	return check_finish("test_fsmount");
}
