/* /.krun_config.json (workload_parse, then workload_env): comes from the
 * disk image, so any bytes must give 0 or -EINVAL, and a parsed workload
 * must be something execve can take. */
#include <errno.h>
#include "fuzz.h"
#include "workload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct workload w;
	struct user_ids ids = { .home = "/home/fuzz" };
	struct cw_err err = { { 0 } };
	char **env = NULL;
	int r;

	/* Exactly size bytes, no terminator: the length is the contract. */
	r = workload_parse((const char *)data, size, &w, &err);
	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENOMEM);
	fuzz_check_msg(err.msg, sizeof(err.msg));
	if (r < 0) {
		FUZZ_CHECK(!w.argv && !w.env && !w.cwd && !w.user);
		return 0;
	}
	FUZZ_CHECK(w.argv && w.argv[0] && w.argv[0][0]);
	FUZZ_CHECK(!w.cwd || w.cwd[0] == '/');
	FUZZ_CHECK(w.n_extra_gids <= CW_MAX_GROUPS);
	for (char **e = w.env; e && *e; e++)
		FUZZ_CHECK(strchr(*e, '=') && **e != '=');

	FUZZ_CHECK(workload_env(&w, size % 2 ? &ids : NULL, &env) == 0);
	bool path = false, home = false;
	for (char **e = env; *e; e++) {
		path |= strncmp(*e, "PATH=", 5) == 0;
		home |= strncmp(*e, "HOME=", 5) == 0;
	}
	FUZZ_CHECK(path && home);
	free(env);
	workload_free(&w);
	return 0;
}
