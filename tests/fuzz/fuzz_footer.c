/* The buildah KRUN footer: the last bytes of a disk the host controls.
 * The input is the whole "disk" (a memfd), read with footer_read_fd, and
 * a footer found there goes through config_load_footer as cwinit does. */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>
#include "config.h"
#include "disk.h"
#include "fuzz.h"

static int disk = -1;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_config c;
	struct cw_err err = { { 0 } };
	char *json = NULL;
	size_t len = 0;
	int r;

	if (disk < 0 && (disk = memfd_create("fuzz-disk", MFD_CLOEXEC)) < 0)
		abort();
	if (ftruncate(disk, 0) < 0 || (size && pwrite(disk, data, size, 0) != (ssize_t)size))
		abort();

	r = footer_read_fd(disk, &json, &len, &err);
	FUZZ_CHECK(r == 0 || r == -ENOENT || r == -EINVAL);
	fuzz_check_msg(err.msg, sizeof(err.msg));
	if (r < 0)
		return 0;
	FUZZ_CHECK(len > 0 && len + 12 <= size && json[len] == '\0' && strlen(json) == len);
	FUZZ_CHECK(memcmp(json, data + size - 12 - len, len) == 0);

	config_defaults(&c);
	r = config_load_footer(&c, json, len, &err);
	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENOENT || r == -EPERM);
	fuzz_check_msg(err.msg, sizeof(err.msg));
	/* The footer never chooses the broker (the file did not allow it) nor sample evidence. */
	FUZZ_CHECK(!c.broker_url[0] && strcmp(c.tee, "sample") != 0);
	FUZZ_CHECK(memchr(c.broker_url, '\0', sizeof(c.broker_url)));
	FUZZ_CHECK(memchr(c.tee, '\0', sizeof(c.tee)));
	FUZZ_CHECK(memchr(c.workload_id, '\0', sizeof(c.workload_id)));
	free(json);
	return 0;
}
