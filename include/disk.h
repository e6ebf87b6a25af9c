/* Finding, unlocking and mounting the root disk, and switching into it. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "err.h"
#include "secret.h"

#define CW_FOOTER_MAX (1024 * 1024) /* buildah's own limit for the footer JSON */

/* Finds the root device: spec is a /dev path, UUID=, LABEL=, PARTUUID=, or
 * "" for the first block device that holds a LUKS header. Waits up to
 * timeout_ms for it to appear (modules may still be probing). Writes the
 * device path into dev. -ENODEV when nothing matches in time. */
int root_find(const char *spec, uint32_t timeout_ms, char *dev, size_t devlen,
	      struct cw_err *err);

/* Reads the buildah KRUN footer off a device: the last 12 bytes are "KRUN"
 * and a little-endian u64 length; the JSON precedes them. Returns 0 with
 * *json (malloc'd, NUL-terminated) or -ENOENT when the disk has no footer;
 * -EINVAL (err says why) when a footer is present but malformed. */
int footer_read(const char *dev, char **json, size_t *len, struct cw_err *err);

/* Same on an open fd (for tests on plain files). */
int footer_read_fd(int fd, char **json, size_t *len, struct cw_err *err);

/* Detects the root filesystem's type on dev with libblkid ("ext4", "xfs",
 * ...); anything else there (swap, a nested LUKS) is refused by name. */
int fs_detect(const char *dev, char *type, size_t typelen, struct cw_err *err);

/* Mounts dev at target with fstype (detected when "" or NULL) and the
 * filesystem-specific options string. */
int fs_mount(const char *dev, const char *target, const char *fstype, const char *options,
	     bool readonly, struct cw_err *err);

/* Makes newroot the root: pivot_root when the kernel allows, else move
 * /dev /proc /sys /run, delete the initramfs contents, MS_MOVE + chroot.
 * Checks newroot is a mount point first. On return the cwd and root are
 * the new root. */
int switch_root(const char *newroot, struct cw_err *err);
