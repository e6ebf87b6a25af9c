/* PID 1's first steps: API filesystems, console, modules, network. */
#pragma once
#include "config.h"
#include "err.h"

/* Mounts devtmpfs, proc, sysfs, configfs (when the kernel has it), devpts
 * (newinstance, with /dev/ptmx), /dev/shm and /run under root ("" = /).
 * Filesystems already mounted are left alone. */
int early_mount_api(const char *root, struct cw_err *err);

/* Makes fds 0-2 the console when the kernel did not open them. */
int early_console(struct cw_err *err);

/* Loads c->modules from /lib/modules/<name>.ko in order (finit_module). */
int modules_load(const struct cw_config *c, struct cw_err *err);

/* Brings up loopback and, when configured, the static IPv4 address. */
int net_setup(const struct cw_config *c, uint32_t wait_ms, struct cw_err *err);
