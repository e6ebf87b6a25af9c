/* Kernel modules from the initramfs, for generic kernels such as Debian's.
 *
 * There is no modprobe and no modules.dep in the guest: the initramfs
 * builder resolved the dependencies and wrote the load order into the
 * configuration, so this loads names in the order given. Like modprobe,
 * it passes each module the `<module>.<param>=<value>` words of the
 * kernel command line, since the kernel applies those only to built-in
 * code. */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "early.h"
#include "log.h"
#include "util.h"

/* A module's parameters are never longer than the line they come from. */
#define PARAMS_MAX CW_CMDLINE_MAX

int module_params(const char *cmdline, const char *name, char *out, size_t outlen,
		  struct cw_err *err)
{
	size_t nlen = strlen(name), used = 0;
	char word[CW_CMDLINE_MAX + 1];

	out[0] = '\0';
	if (strlen(cmdline) > CW_CMDLINE_MAX)
		return cw_err_set(err, EFBIG, "kernel command line longer than %d bytes", CW_CMDLINE_MAX);
	/* Within that bound every word fits: a module's parameter is passed
	 * whole, whatever its length (a certificate in hex). */
	for (const char *p = cmdline; cmdline_word(&p, word, sizeof(word)) > 0;) {
		const char *param = word + nlen + 1, *eq;
		bool ours = strlen(word) > nlen + 1 && word[nlen] == '.';

		if (!strcmp(word, "--"))
			break;
		/* The prefix is compared with '-' and '_' alike, as the kernel does. */
		for (size_t i = 0; ours && i < nlen; i++)
			ours = (word[i] == '-' ? '_' : word[i]) == (name[i] == '-' ? '_' : name[i]);
		if (!ours)
			continue;
		/* The quotes that grouped a value with spaces go back around it,
		 * for the kernel's own parsing of the parameter string. */
		eq = strchr(param, '=');
		bool quote = eq && strpbrk(eq + 1, " \t\n");
		int n = snprintf(out + used, outlen - used, "%s%.*s%s%s%s", used ? " " : "",
				 eq ? (int)(eq + 1 - param) : (int)strlen(param), param,
				 quote ? "\"" : "", eq ? eq + 1 : "", quote ? "\"" : "");
		if (n < 0 || (size_t)n >= outlen - used)
			return cw_err_set(err, E2BIG, "module %s: parameters longer than %zu bytes",
					  name, outlen - 1);
		used += (size_t)n;
	}
	return 0;
}

int modules_load(const struct cw_config *c, const char *cmdline, struct cw_err *err)
{
	char params[PARAMS_MAX];
	unsigned loaded = 0;
	int r;

	if (c->n_modules == 0)
		return 0;
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
