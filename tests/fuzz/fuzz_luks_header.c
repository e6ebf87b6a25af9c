/* The LUKS header the host writes: the input is the whole "disk" (a memfd).
 * luks_header_copy reads it once with bounded sizes; a copy it accepts is
 * then loaded by libcryptsetup and checked by the disk policy, as
 * luks_check does, which must refuse or accept without crashing. */
#define _GNU_SOURCE
#include <errno.h>
#include <libcryptsetup.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fuzz.h"
#include "luks.h"

static int disk = -1;

static void quiet(int level, const char *msg, void *usrptr)
{
	(void)level;
	(void)msg;
	(void)usrptr;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct luks_header_copy copy;
	struct luks_policy policy;
	struct cw_err err = { { 0 } };
	struct crypt_device *cd = NULL;
	struct stat st;
	int r;

	if (disk < 0) {
		disk = memfd_create("fuzz-disk", MFD_CLOEXEC);
		if (disk < 0)
			abort();
		crypt_set_log_callback(NULL, quiet, NULL);
		crypt_metadata_locking(NULL, 0);
	}
	if (ftruncate(disk, 0) < 0 || (size && pwrite(disk, data, size, 0) != (ssize_t)size))
		abort();

	r = luks_header_copy(disk, &copy, &err);
	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENOMEM || r == -ENODATA);
	fuzz_check_msg(err.msg, sizeof(err.msg));
	if (r < 0) {
		FUZZ_CHECK(copy.fd == -1);
		return 0;
	}
	/* The copy is sealed at the size the header declares, at most 1 GiB. */
	FUZZ_CHECK(copy.version == 1 || copy.version == 2);
	FUZZ_CHECK(fstat(copy.fd, &st) == 0 && (uint64_t)st.st_size == copy.size);
	FUZZ_CHECK(copy.size <= (1ULL << 30));
	FUZZ_CHECK(pwrite(copy.fd, "x", 1, 0) < 0);

	luks_policy_default(&policy);
	if (crypt_init(&cd, copy.path) == 0 && crypt_load(cd, NULL, NULL) == 0) {
		r = luks_policy_check(cd, &policy, "", copy.size, &err);
		FUZZ_CHECK(r == 0 || r == -EACCES || r == -EINVAL);
		fuzz_check_msg(err.msg, sizeof(err.msg));
	}
	crypt_free(cd);
	luks_header_copy_close(&copy);
	return 0;
}
