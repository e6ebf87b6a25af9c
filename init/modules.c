/* Kernel modules from the initramfs, for generic kernels such as Debian's.
 *
 * There is no modprobe and no modules.dep in the guest: the initramfs
 * builder resolved the dependencies and wrote the load order into the
 * configuration, so this loads names in the order given. Like modprobe,
 * it passes each module the `<module>.<param>=<value>` words of the
 * kernel command line, since the kernel applies those only to built-in
 * code. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "early.h"
#include "log.h"
#include "util.h"

#define PARAMS_MAX 4096

/* Collects "param=value param2=value2" for module name from the command line. */
static int module_params(const char *cmdline, const char *name, char *out, size_t outlen,
			 struct cw_err *err)
{
	size_t nlen = strlen(name), used = 0;

	out[0] = '\0';
	for (const char *p = cmdline; *p;) {
		size_t wlen;
		char word[CW_MODULE_NAME_MAX + 1];

		while (*p && isspace((unsigned char)*p))
			p++;
		wlen = strcspn(p, " \t\n");
		if (wlen == 2 && !strncmp(p, "--", 2))
			break;
		/* Compare the prefix with '-' and '_' treated alike, as the kernel does. */
		if (wlen > nlen + 1 && p[nlen] == '.' && nlen < sizeof(word)) {
			for (size_t i = 0; i < nlen; i++)
				word[i] = p[i] == '-' ? '_' : p[i];
			word[nlen] = '\0';
			if (!strcmp(word, name)) {
				size_t plen = wlen - nlen - 1;
				if (used + plen + 2 > outlen)
					return cw_err_set(err, E2BIG, "module %s: parameters longer than %zu bytes",
							  name, outlen - 1);
				if (used)
					out[used++] = ' ';
				memcpy(out + used, p + nlen + 1, plen);
				used += plen;
				out[used] = '\0';
			}
		}
		p += wlen;
	}
	return 0;
}

int modules_load(const struct cw_config *c, struct cw_err *err)
{
	_cleanup_free_ char *cmdline = NULL;
	char params[PARAMS_MAX];
	unsigned loaded = 0;
	int r;

	if (c->n_modules == 0)
		return 0;
	r = read_file_bounded("/proc/cmdline", 8192, &cmdline, NULL);
	if (r < 0)
		return cw_err_set(err, r, "reading /proc/cmdline: %s", strerror(-r));
	for (unsigned i = 0; i < c->n_modules; i++) {
		char path[128];
		snprintf(path, sizeof(path), "/lib/modules/%s.ko", c->modules[i]);
		_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return cw_err_set(err, errno, "module %s: open %s: %m (was it added to the initramfs?)",
					  c->modules[i], path);
		r = module_params(cmdline, c->modules[i], params, sizeof(params), err);
		if (r < 0)
			return r;
		if (syscall(SYS_finit_module, fd, params, 0) < 0) {
			/* Already loaded, or built into this kernel: both fine. */
			if (errno == EEXIST)
				continue;
			return cw_err_set(err, errno, "module %s: finit_module: %m (see the kernel log above)",
					  c->modules[i]);
		}
		loaded++;
	}
	log_info("loaded %u of %u modules (others already present)", loaded, c->n_modules);
	return 0;
}
