/* The workload's User against the root's /etc/passwd and /etc/group
 * (user_resolve), all three from the disk image. The input is
 * "<User>\n<passwd>\0<group>": without the newline there is no passwd
 * file, without the NUL no group file. The files live in a scratch root
 * under $TMPDIR. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fuzz.h"
#include "workload.h"

static char root[4096];

static void remove_root(void)
{
	char p[4200];

	snprintf(p, sizeof(p), "%s/etc/passwd", root);
	unlink(p);
	snprintf(p, sizeof(p), "%s/etc/group", root);
	unlink(p);
	snprintf(p, sizeof(p), "%s/etc", root);
	rmdir(p);
	rmdir(root);
}

static void make_root(void)
{
	const char *tmp = getenv("TMPDIR");
	char etc[4200];

	snprintf(root, sizeof(root), "%s/cwinit-fuzz-user-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(root))
		abort();
	snprintf(etc, sizeof(etc), "%s/etc", root);
	if (mkdir(etc, 0755) < 0)
		abort();
	atexit(remove_root);
}

/* Writes (or, with data NULL, removes) <root>/etc/<name>. */
static void put(const char *name, const uint8_t *data, size_t n)
{
	char p[4200];
	int fd;

	snprintf(p, sizeof(p), "%s/etc/%s", root, name);
	/* A new file each time: ext4 flushes a file truncated and rewritten
	 * on close, which would cut the runs per second a hundredfold. */
	unlink(p);
	if (!data)
		return;
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 || (n && write(fd, data, n) != (ssize_t)n))
		abort();
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size), *db, *nul = NULL;
	struct user_ids ids;
	struct cw_err err = { { 0 } };
	char *spec;
	int r;

	if (!root[0])
		make_root();
	spec = fuzz_cstr(data, nl ? (size_t)(nl - data) : size);
	db = nl ? nl + 1 : NULL;
	if (db)
		nul = memchr(db, '\0', size - (size_t)(db - data));
	put("passwd", db, db ? (size_t)((nul ? nul : data + size) - db) : 0);
	put("group", nul ? nul + 1 : NULL, nul ? size - (size_t)(nul + 1 - data) : 0);

	r = user_resolve(root, spec, &ids, &err);
	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ESRCH || r == -E2BIG || r == -EFBIG);
	fuzz_check_msg(err.msg, sizeof(err.msg));
	if (r == 0) {
		FUZZ_CHECK(ids.n_groups >= 1 && ids.n_groups <= CW_MAX_GROUPS);
		FUZZ_CHECK(ids.uid != (uid_t)-1 && ids.gid != (gid_t)-1);
		FUZZ_CHECK(memchr(ids.home, '\0', sizeof(ids.home)));
		FUZZ_CHECK(!ids.home[0] || ids.home[0] == '/');
		bool primary = false;
		for (size_t i = 0; i < ids.n_groups; i++)
			primary |= ids.groups[i] == ids.gid;
		FUZZ_CHECK(primary);
	}
	free(spec);
	return 0;
}
