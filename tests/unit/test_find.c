/* root_find: spec validation (no devices needed), and finding LUKS and ext4
 * images attached to loop devices by UUID, LABEL, PARTUUID, path and "". */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"
#include "disk.h"
#include "loopdev.h"
#include "util.h"

static char dir[] = "/tmp/cwinit-test-find-XXXXXX";

static void test_bad_specs(void)
{
	const char *bad[] = {
		"UUID=", "LABEL=", "PARTUUID=", "UUID=abc$", "UUID=12 34", "PARTUUID=../x",
		"LABEL=a\x01", "LABEL=caf\xc3\xa9", "uuid=1234", "FOO=bar", "PARTLABEL=root", "vda",
		"dev/vda", "/etc/passwd", "/dev/", "/dev/../etc/passwd", "/dev/vd a", "/dev/vda;rm",
		"/dev/\xff", "/proc/self/fd/0",
	};
	char dev[64], longspec[200];
	struct cw_err err = {{0}};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int r = root_find(bad[i], 0, dev, sizeof(dev), &err);
		CHECK_INT(r, -EINVAL);
		if (r != -EINVAL)
			fprintf(stderr, "  accepted spec #%zu\n", i);
	}
	memset(longspec, 'a', sizeof(longspec) - 1);
	longspec[sizeof(longspec) - 1] = '\0';
	memcpy(longspec, "LABEL=", 6);
	CHECK_INT(root_find(longspec, 0, dev, sizeof(dev), &err), -EINVAL);
	CHECK(strstr(err.msg, "longer than") != NULL);

	CHECK_INT(root_find("/dev/null", 1000, dev, sizeof(dev), &err), -ENOTBLK);
	CHECK(strstr(err.msg, "not a block device") != NULL);
}

static void test_timeout(void)
{
	char dev[64];
	struct cw_err err = {{0}};
	uint64_t t0 = monotonic_ms();

	CHECK_INT(root_find("/dev/cwinit-test-missing", 150, dev, sizeof(dev), &err), -ENODEV);
	CHECK(monotonic_ms() - t0 >= 150);
	CHECK(monotonic_ms() - t0 < 2000);
	CHECK(strstr(err.msg, "/dev/cwinit-test-missing did not appear within 150 ms") != NULL);
	CHECK(strstr(err.msg, "block devices: ") != NULL);

	t0 = monotonic_ms();
	CHECK_INT(root_find("UUID=00000000-0000-4000-8000-00000000cafe", 100, dev, sizeof(dev),
			    &err), -ENODEV);
	CHECK(monotonic_ms() - t0 >= 100);
	CHECK(strstr(err.msg, "UUID=00000000-0000-4000-8000-00000000cafe") != NULL);
	/* A timeout of 0 still looks once. */
	CHECK_INT(root_find("LABEL=cwinit no such label", 0, dev, sizeof(dev), &err), -ENODEV);
}

static void random_uuid(char *out, size_t len)
{
	char *text = NULL;

	CHECK_INT(read_file_bounded("/proc/sys/kernel/random/uuid", 64, &text, NULL), 0);
	snprintf(out, len, "%.36s", text ? text : "");
	free(text);
}

static void make_luks(const char *img, const char *uuid, const char *label)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd),
		 "truncate -s 20M %s && printf pass > %s.key && cryptsetup luksFormat -q "
		 "--type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --uuid %s --label %s "
		 "--key-file %s.key %s", img, img, uuid, label, img, img);
	CHECK_INT(system(cmd), 0);
}

static void upcase(char *s)
{
	for (; *s; s++)
		if (*s >= 'a' && *s <= 'z')
			*s = (char)(*s - 'a' + 'A');
}

static void test_luks_devices(void)
{
	char img[128], img2[128], uuid[40], uuid2[40], label[40], spec[96];
	char loop[64], loop2[64], dev[64], type[32];
	struct cw_err err = {{0}};
	uint64_t t0;
	pid_t pid;
	int status;

	snprintf(img, sizeof(img), "%s/luks.img", dir);
	snprintf(img2, sizeof(img2), "%s/late.img", dir);
	random_uuid(uuid, sizeof(uuid));
	random_uuid(uuid2, sizeof(uuid2));
	snprintf(label, sizeof(label), "cwtest-%d", (int)getpid());
	make_luks(img, uuid, label);
	make_luks(img2, uuid2, "cwtest-late");
	if (loop_attach(img, false, loop, sizeof(loop)) < 0) {
		printf("test_find: skipping the device cases (needs root and losetup)\n");
		return;
	}

	snprintf(spec, sizeof(spec), "UUID=%s", uuid);
	CHECK_INT(root_find(spec, 2000, dev, sizeof(dev), &err), 0);
	CHECK_STR(dev, loop);
	upcase(spec + 5);
	CHECK_INT(root_find(spec, 2000, dev, sizeof(dev), &err), 0);
	CHECK_STR(dev, loop);
	snprintf(spec, sizeof(spec), "LABEL=%s", label);
	CHECK_INT(root_find(spec, 2000, dev, sizeof(dev), &err), 0);
	CHECK_STR(dev, loop);
	/* Labels are compared exactly. */
	upcase(spec + 6);
	CHECK_INT(root_find(spec, 0, dev, sizeof(dev), &err), -ENODEV);
	CHECK(strstr(err.msg, loop + 5) != NULL); /* the device list names it */
	CHECK_INT(root_find(loop, 0, dev, sizeof(dev), &err), 0);
	CHECK_STR(dev, loop);
	snprintf(spec, sizeof(spec), "UUID=%s", uuid);
	CHECK_INT(root_find(spec, 0, dev, 8, &err), -ENAMETOOLONG);

	/* "": the first device with a LUKS header; other LUKS loop devices may
	 * exist on a shared machine, so check what was found, not which. */
	CHECK_INT(root_find("", 2000, dev, sizeof(dev), &err), 0);
	CHECK_INT(fs_detect(dev, type, sizeof(type), &err), -EINVAL);
	CHECK(strstr(err.msg, "type 'crypto_LUKS'") != NULL);

	/* A device that appears while root_find is waiting. */
	pid = fork();
	if (pid == 0) {
		char late[64];
		usleep(400 * 1000);
		_exit(loop_attach(img2, false, late, sizeof(late)) == 0 ? 0 : 1);
	}
	t0 = monotonic_ms();
	snprintf(spec, sizeof(spec), "UUID=%s", uuid2);
	CHECK_INT(root_find(spec, 10000, loop2, sizeof(loop2), &err), 0);
	CHECK(monotonic_ms() - t0 >= 300);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(strncmp(loop2, "/dev/loop", 9) == 0);
	if (strncmp(loop2, "/dev/loop", 9) == 0)
		CHECK_INT(loop_detach(loop2), 0);

	CHECK_INT(loop_detach(loop), 0);
}

static void test_ext4_label(void)
{
	char img[128], label[16], spec[64], loop[64], dev[64], cmd[400];
	struct cw_err err = {{0}};

	snprintf(img, sizeof(img), "%s/ext4.img", dir);
	snprintf(label, sizeof(label), "cw%d", (int)getpid() % 100000000);
	snprintf(cmd, sizeof(cmd), "truncate -s 8M %s && mkfs.ext4 -q -L %s %s", img, label, img);
	CHECK_INT(system(cmd), 0);
	if (loop_attach(img, false, loop, sizeof(loop)) < 0)
		return;
	snprintf(spec, sizeof(spec), "LABEL=%s", label);
	CHECK_INT(root_find(spec, 2000, dev, sizeof(dev), &err), 0);
	CHECK_STR(dev, loop);
	CHECK_INT(loop_detach(loop), 0);
}

/* PARTUUID on an MBR disk is "<disk signature>-<partition number>". The
 * partition device only appears when the kernel has MBR support. */
static void test_partuuid(void)
{
	char img[128], loop[64], part[72], dev[72];
	uint8_t mbr[512] = { 0 };
	struct cw_err err = {{0}};
	const uint32_t sig = 0xc0ffee00u | ((uint32_t)getpid() & 0xff);
	const uint32_t start = 2048, count = 8192;
	char spec[40];
	int fd;

	snprintf(img, sizeof(img), "%s/mbr.img", dir);
	for (int i = 0; i < 4; i++) {
		mbr[440 + i] = (uint8_t)(sig >> (8 * i));
		mbr[454 + i] = (uint8_t)(start >> (8 * i));
		mbr[458 + i] = (uint8_t)(count >> (8 * i));
	}
	mbr[450] = 0x83;
	mbr[510] = 0x55;
	mbr[511] = 0xaa;
	fd = open(img, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CHECK(fd >= 0 && write(fd, mbr, sizeof(mbr)) == sizeof(mbr) && ftruncate(fd, 8 << 20) == 0);
	close(fd);
	if (loop_attach(img, true, loop, sizeof(loop)) < 0)
		return;
	snprintf(part, sizeof(part), "%sp1", loop);
	for (int i = 0; i < 20 && access(part, F_OK) != 0; i++)
		usleep(50 * 1000);
	if (access(part, F_OK) != 0) {
		printf("test_find: skipping PARTUUID (this kernel made no partition device)\n");
	} else {
		snprintf(spec, sizeof(spec), "PARTUUID=%08x-01", sig);
		CHECK_INT(root_find(spec, 2000, dev, sizeof(dev), &err), 0);
		CHECK_STR(dev, part);
	}
	CHECK_INT(loop_detach(loop), 0);
}

int main(void)
{
	test_bad_specs();
	test_timeout();
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_luks_devices();
	test_ext4_label();
	test_partuuid();
	run_cmd("rm -rf -- '%s'", dir);
	return check_finish("test_find");
}
