/* Ending the VM in order: unmount the volumes and the root, close the
 * mappings, report.
 *
 * After switch_root the encrypted device is our own root, which cannot be
 * unmounted while we stand on it. So PID 1 remounts it read-only (the data
 * is safe from here on), detaches it, steps back into the initramfs
 * through a descriptor kept from before the switch, mounts fresh /dev,
 * /proc, /sys and /run there, and closes the mapping from outside. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>
#include "disk.h"
#include "early.h"
#include "exitcode.h"
#include "log.h"
#include "luks.h"
#include "pid1.h"
#include "secrets.h"
#include "util.h"
#include "volumes.h"

/* Unmounts the volumes, last opened first, at prefix + their mount point.
 * Done before the root is detached: detaching "/" takes the volumes along,
 * but lazily, and their mappings could stay busy. */
static void unmount_volumes(struct root_state *st, const char *prefix)
{
	struct cw_err err = { "" };

	for (unsigned i = st->n_volumes; i-- > 0;)
		if (volume_unmount(&st->volumes[i], prefix, &err) < 0)
			log_warn("%s", err.msg);
}

/* Leaves the switched root and returns to the initramfs's own root. */
static int step_out_of_root(struct root_state *st)
{
	struct cw_err err = { "" };

	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY, NULL) < 0)
		log_warn("remounting the root read-only: %m");
	if (umount2("/", MNT_DETACH) < 0)
		log_warn("detaching the root: %m");
	if (st->initramfs_fd < 0 || fchdir(st->initramfs_fd) < 0 || chroot(".") < 0 || chdir("/") < 0) {
		log_warn("stepping back into the initramfs: %m");
		return -1;
	}
	if (early_mount_api(&err) < 0) {
		log_warn("mounting /dev, /proc, /sys for teardown: %s", err.msg);
		return -1;
	}
	return 0;
}

/* Logs any device-mapper device still present: proof that nothing is left. */
static void report_mappings(void)
{
	DIR *d = opendir("/sys/block");
	struct dirent *e;
	unsigned left = 0;

	if (!d) {
		log_warn("cannot list /sys/block: %m");
		return;
	}
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "dm-", 3)) {
			log_warn("device-mapper device %s is still present", e->d_name);
			left++;
		}
	closedir(d);
	log_info("teardown: %u device-mapper devices left", left);
}

void teardown_root(struct root_state *st)
{
	struct cw_err err = { "" };

	sync();
	/* /run/secrets is in the current root either way: the initramfs's /run
	 * before the switch, the moved one after it. */
	if (st->secrets_mounted) {
		if (secret_files_unmount(CW_SECRETS_DIR, &err) < 0)
			log_warn("%s", err.msg);
		else
			log_info("teardown: %s unmounted", CW_SECRETS_DIR);
		st->secrets_mounted = false;
	}
	unmount_volumes(st, st->switched ? "" : CW_NEWROOT);
	if (st->switched) {
		if (step_out_of_root(st) < 0)
			return;
		st->switched = false;
	} else if (st->mounted) {
		if (umount2(CW_NEWROOT, 0) < 0 && umount2(CW_NEWROOT, MNT_DETACH) < 0)
			log_warn("unmounting %s: %m", CW_NEWROOT);
		st->mounted = false;
	}
	for (unsigned i = st->n_volumes; i-- > 0;)
		if (volume_close(&st->volumes[i], &err) < 0)
			log_warn("closing %s", err.msg);
	if (st->mapped) {
		if (luks_close(st->mapper, &err) < 0)
			log_warn("closing /dev/mapper/%s: %s", st->mapper, err.msg);
		else
			st->mapped = false;
	}
	report_mappings();
}

/* isa-debug-exit: QEMU exits with (value << 1) | 1. */
static void write_exit_port(uint16_t port, int status)
{
	if (ioperm(port, 4, 1) < 0) {
		log_warn("exit_port 0x%x: ioperm: %m", port);
		return;
	}
	outl((unsigned)status, port);
}

_Noreturn void end_vm(const struct cw_config *c, int status, const char *reason)
{
	char line[128];
	int n = snprintf(line, sizeof(line), "CWINIT-EXIT: status=%d reason=%s\n", status, reason);

	sync();
	(void)!write(STDERR_FILENO, line, (size_t)n);
	/* The serial driver sends asynchronously; reboot() would cut it short. */
	tcdrain(STDERR_FILENO);
	if (c->exit_port)
		write_exit_port(c->exit_port, status);
	reboot(c->shutdown == SHUTDOWN_REBOOT ? RB_AUTOBOOT : RB_POWER_OFF);
	/* PID 1 must never return: that would panic the kernel. */
	log_error("reboot failed: %m; halting here");
	for (;;)
		pause();
}
