/* stdio_ports_open on a made-up /sys/class/virtio-ports and /dev: ports
 * found by name (never by number), each descriptor on its own, libkrun's
 * open modes, CLOEXEC, and what is ignored: other names, names cut short
 * by the bounded read, unnamed ports, a second port of the same name, and a
 * port that cannot be opened. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "check.h"
#include "workload.h"

static char top[] = "/tmp/cwinit-ports-XXXXXX";
static char sys_dir[256], dev_dir[256];

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(path);
		exit(2);
	}
}

/* A port: sys_dir/<id>/name holding name (none when NULL) and, when dev,
 * dev_dir/<id> holding dev. */
static void port(const char *id, const char *name, const char *dev)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", sys_dir, id);
	mkdir(path, 0755);
	if (name) {
		snprintf(path, sizeof(path), "%s/%s/name", sys_dir, id);
		put(path, name);
	}
	if (dev) {
		snprintf(path, sizeof(path), "%s/%s", dev_dir, id);
		put(path, dev);
	}
}

static void clear(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s/sys' '%s/dev'", top, top);
	if (system(cmd) != 0)
		exit(2);
	mkdir(sys_dir, 0755);
	mkdir(dev_dir, 0755);
}

/* True when fd is open on dev_dir/<id>, with access mode mode and CLOEXEC. */
static bool is_port(int fd, const char *id, int mode)
{
	struct stat a, b;
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dev_dir, id);
	return fd > 2 && fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino &&
	       a.st_dev == b.st_dev && (fcntl(fd, F_GETFL) & O_ACCMODE) == mode &&
	       fcntl(fd, F_GETFD) == FD_CLOEXEC;
}

static void test_all_three(void)
{
	int fd[3];

	clear();
	/* libkrun's console port has no name; the numbers say nothing. */
	port("vport0p0", NULL, "");
	port("vport0p1", "krun-stderr\n", "");
	port("vport0p2", "krun-stdin\n", "input");
	port("vport0p3", "krun-stdout\n", "");
	port("vport1p1", "org.qemu.guest_agent.0\n", "");
	stdio_ports_open(sys_dir, dev_dir, fd);
	CHECK(is_port(fd[0], "vport0p2", O_RDONLY));
	CHECK(is_port(fd[1], "vport0p3", O_WRONLY));
	CHECK(is_port(fd[2], "vport0p1", O_WRONLY));
	stdio_ports_close(fd);
	CHECK(fd[0] == -1 && fd[1] == -1 && fd[2] == -1);
}

static void test_each_on_its_own(void)
{
	int fd[3];

	clear();
	port("vport0p1", "krun-stdout\n", "");
	stdio_ports_open(sys_dir, dev_dir, fd);
	CHECK_INT(fd[0], -1);
	CHECK(is_port(fd[1], "vport0p1", O_WRONLY));
	CHECK_INT(fd[2], -1);
	stdio_ports_close(fd);

	/* krun-stderr's device node is missing: a warning, and stderr alone stays. */
	clear();
	port("vport0p1", "krun-stdin\n", "");
	port("vport0p2", "krun-stderr\n", NULL);
	stdio_ports_open(sys_dir, dev_dir, fd);
	CHECK(is_port(fd[0], "vport0p1", O_RDONLY));
	CHECK_INT(fd[1], -1);
	CHECK_INT(fd[2], -1);
	stdio_ports_close(fd);
}

static void test_names_exact(void)
{
	char longname[200];
	int fd[3];

	clear();
	memset(longname, 'x', sizeof(longname));
	memcpy(longname, "krun-stdout", 11);
	memcpy(longname + sizeof(longname) - 2, "\n", 2);
	port("vport0p1", "krun-stdout-2\n", "");
	port("vport0p2", "KRUN-STDERR\n", "");
	port("vport0p4", longname, "");
	port("vport0p5", "", "");
	port("vport0p6", "krun-stderr", ""); /* no newline: still the name */
	stdio_ports_open(sys_dir, dev_dir, fd);
	CHECK_INT(fd[0], -1);
	CHECK_INT(fd[1], -1);
	CHECK(is_port(fd[2], "vport0p6", O_WRONLY));
	stdio_ports_close(fd);
}

static void test_second_port_ignored(void)
{
	int fd[3];

	clear();
	port("vport0p1", "krun-stdout\n", "");
	port("vport0p2", "krun-stdout\n", "");
	stdio_ports_open(sys_dir, dev_dir, fd);
	CHECK(is_port(fd[1], "vport0p1", O_WRONLY) || is_port(fd[1], "vport0p2", O_WRONLY));
	CHECK_INT(fd[0], -1);
	CHECK_INT(fd[2], -1);
	/* Only one of them is held open. */
	CHECK(fcntl(fd[1] + 1, F_GETFD) < 0 && errno == EBADF);
	stdio_ports_close(fd);
}

static void test_no_ports(void)
{
	char missing[300];
	int fd[3] = { 7, 7, 7 };

	snprintf(missing, sizeof(missing), "%s/no-such-dir", top);
	stdio_ports_open(missing, dev_dir, fd);
	CHECK(fd[0] == -1 && fd[1] == -1 && fd[2] == -1);
	clear();
	stdio_ports_open(sys_dir, dev_dir, fd);
	CHECK(fd[0] == -1 && fd[1] == -1 && fd[2] == -1);
}

int main(void)
{
	char cmd[300];

	if (!mkdtemp(top)) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(sys_dir, sizeof(sys_dir), "%s/sys", top);
	snprintf(dev_dir, sizeof(dev_dir), "%s/dev", top);
	test_all_three();
	test_each_on_its_own();
	test_names_exact();
	test_second_port_ignored();
	test_no_ports();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	if (system(cmd) != 0)
		return 2;
	return check_finish("test_stdio_ports");
}
