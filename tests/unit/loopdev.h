/* Loop devices for the tests that need a real block device, and the shell
 * commands (losetup, mkfs, cryptsetup) that prepare images for them.
 *
 * Loop devices need root and the losetup program; without them the tests
 * that use them say they are skipping and pass. */
#pragma once
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Attaches file to a free loop device (with a partition scan if asked) and
 * writes its path into dev. Returns 0, or -1 when loop devices cannot be
 * used here. */
static inline int loop_attach(const char *file, bool partscan, char *dev, size_t len)
{
	char cmd[512];
	char *got = NULL;
	FILE *p;

	if (geteuid() != 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "losetup -f --show %s'%s' 2>/dev/null", partscan ? "-P " : "",
		 file);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	got = fgets(dev, (int)len, p);
	if (pclose(p) != 0 || !got || strncmp(dev, "/dev/loop", 9) != 0)
		return -1;
	dev[strcspn(dev, "\n")] = '\0';
	return 0;
}

static inline int loop_detach(const char *dev)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "losetup -d '%s'", dev);
	return system(cmd);
}

/* Runs a shell command built printf-style; returns its wait status. */
static inline __attribute__((format(printf, 1, 2))) int run_cmd(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(cmd))
		return -1;
	return system(cmd);
}
