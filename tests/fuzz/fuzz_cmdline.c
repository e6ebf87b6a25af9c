/* The kernel command line (config_load_cmdline, module_params): the host
 * writes it, so any bytes must give 0 or a documented error and a bounded
 * configuration; a module's parameters from a line within the bound always
 * fit the loader's buffer (modules.c's PARAMS_MAX), however long a word. */
#include <errno.h>
#include "config.h"
#include "early.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_config c;
	struct cw_err err = { { 0 } };
	char *s = fuzz_cstr(data, size);
	int r;

	config_defaults(&c);
	/* The file's values win over the command line: also run that path. */
	if (size && data[0] == '#')
		config_set(&c, "mapper", "fromfile", SRC_FILE, &err);
	r = config_load_cmdline(&c, s, &err);
	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENOENT || r == -EFBIG || r == -EPERM);
	fuzz_check_msg(err.msg, sizeof(err.msg));
	FUZZ_CHECK(c.n_modules <= CW_MAX_MODULES);
	/* Whatever the host writes there, what only the file may choose stays as it was. */
	FUZZ_CHECK(!c.insecure_broker && !c.footer_broker_url && !c.ignore_cmdline);
	FUZZ_CHECK(!c.root_luks_uuid[0] && strcmp(c.tee, "sample") != 0);
	FUZZ_CHECK(memchr(c.broker_url, '\0', sizeof(c.broker_url)));
	FUZZ_CHECK(memchr(c.mount_options, '\0', sizeof(c.mount_options)));
	if (size && data[0] == '#')
		FUZZ_CHECK(strcmp(c.mapper, "fromfile") == 0);

	char params[CW_CMDLINE_MAX];
	r = module_params(s, "dm-crypt", params, sizeof(params), &err);
	FUZZ_CHECK(r == 0 || r == -EFBIG);
	FUZZ_CHECK((r == 0) == (strlen(s) <= CW_CMDLINE_MAX));
	FUZZ_CHECK(strlen(params) < sizeof(params));
	fuzz_check_msg(err.msg, sizeof(err.msg));
	free(s);
	return 0;
}
