/* Kernel modules from the initramfs, for generic kernels such as Debian's.
 *
 * There is no modprobe and no modules.dep in the guest: the initramfs
 * builder resolved the dependencies and wrote the load order into the
 * configuration, so this loads names in the order given. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "early.h"
#include "log.h"
#include "util.h"

int modules_load(const struct cw_config *c, struct cw_err *err)
{
	unsigned loaded = 0;

	for (unsigned i = 0; i < c->n_modules; i++) {
		char path[128];
		snprintf(path, sizeof(path), "/lib/modules/%s.ko", c->modules[i]);
		_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return cw_err_set(err, errno, "module %s: open %s: %m (was it added to the initramfs?)",
					  c->modules[i], path);
		if (syscall(SYS_finit_module, fd, "", 0) < 0) {
			/* Already loaded, or built into this kernel: both fine. */
			if (errno == EEXIST)
				continue;
			return cw_err_set(err, errno, "module %s: finit_module: %m (see the kernel log above)",
					  c->modules[i]);
		}
		loaded++;
	}
	if (c->n_modules)
		log_info("loaded %u of %u modules (others already present)", loaded, c->n_modules);
	return 0;
}
