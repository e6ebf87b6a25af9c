/* PID 1's first steps: API filesystems, console, modules, network. */
#pragma once
#include "config.h"
#include "err.h"

/* Mounts devtmpfs, proc, sysfs, configfs (when the kernel has it), devpts
 * (newinstance, with /dev/ptmx), /dev/shm and /run. Filesystems already
 * mounted are left alone. */
int early_mount_api(struct cw_err *err);

/* Makes fds 0-2 the console when the kernel did not open them. */
int early_console(struct cw_err *err);

/* Loads c->modules from /lib/modules/<name>.ko in order (finit_module),
 * each with its parameters from the kernel command line cmdline. */
int modules_load(const struct cw_config *c, const char *cmdline, struct cw_err *err);

/* The "param=value ..." string for module name: the `<name>.<param>=<value>`
 * words of cmdline ('-' and '_' alike in the name), up to "--", each whole.
 * -EFBIG when cmdline is longer than CW_CMDLINE_MAX, -E2BIG when the
 * parameters do not fit in out. */
int module_params(const char *cmdline, const char *name, char *out, size_t outlen,
		  struct cw_err *err);

/* Brings up loopback and, when configured, the static IPv4 address, waiting
 * up to c->root_wait_ms for the interface. */
int net_setup(const struct cw_config *c, struct cw_err *err);
