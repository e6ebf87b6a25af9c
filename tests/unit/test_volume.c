/* mount/volume.c on a plain directory standing in for the new root: the key
 * file is read without following symlinks and within its bounds, and the
 * mount point is created but never through a symlink. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "check.h"
#include "volumes.h"

static char top[64], root[96], outside[96];

static void put(const char *rel, const char *data, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fwrite(data, 1, len, f);
		fclose(f);
	}
}

static void at(const char *rel, char *path, size_t n)
{
	snprintf(path, n, "%s/%s", root, rel);
}

static int read_key(const char *key_file, struct secret **pass, struct cw_err *err)
{
	struct cw_volume v = { .mount_point = "/data" };

	snprintf(v.key_file, sizeof(v.key_file), "%s", key_file);
	err->msg[0] = '\0';
	*pass = NULL;
	return volume_read_key_file(&v, root, pass, err);
}

static void test_key_file(void)
{
	static const char key[] = "k\0e\ny\n";
	struct cw_err err = { "" };
	struct secret *pass;
	char p[256], q[256];
	static char big[CW_VOLUME_KEY_MAX + 1];

	at("etc", p, sizeof(p));
	CHECK_INT(mkdir(p, 0755), 0);
	at("etc/keys", p, sizeof(p));
	CHECK_INT(mkdir(p, 0700), 0);
	put("etc/keys/data.key", key, sizeof(key) - 1);

	/* The exact bytes, NUL and newlines included. */
	CHECK_INT(read_key("/etc/keys/data.key", &pass, &err), 0);
	CHECK(pass != NULL);
	if (pass) {
		CHECK_INT(pass->len, sizeof(key) - 1);
		CHECK_MEM(pass->data, key, sizeof(key) - 1);
		secret_free(pass);
	}

	/* A symlink as the file, even to a file inside the root. */
	at("etc/keys/link.key", p, sizeof(p));
	CHECK_INT(symlink("data.key", p), 0);
	CHECK(read_key("/etc/keys/link.key", &pass, &err) < 0);
	CHECK(pass == NULL);
	CHECK(strstr(err.msg, "is a symlink") != NULL);

	/* A symlinked directory leading out of the root. */
	snprintf(q, sizeof(q), "%s/stolen.key", outside);
	FILE *f = fopen(q, "w");
	CHECK(f != NULL);
	if (f) {
		fputs("outside", f);
		fclose(f);
	}
	at("escape", p, sizeof(p));
	CHECK_INT(symlink(outside, p), 0);
	CHECK(read_key("/escape/stolen.key", &pass, &err) < 0);
	CHECK(pass == NULL);
	CHECK(strstr(err.msg, "/escape is a symlink or not a directory") != NULL);

	/* Not a regular file: a directory, a FIFO (opening it would block). */
	CHECK(read_key("/etc/keys", &pass, &err) < 0);
	CHECK(strstr(err.msg, "not a regular file") != NULL);
	at("etc/keys/fifo", p, sizeof(p));
	CHECK_INT(mkfifo(p, 0600), 0);
	CHECK(read_key("/etc/keys/fifo", &pass, &err) < 0);
	CHECK(strstr(err.msg, "not a regular file") != NULL);

	/* Missing, empty, too long; the limit itself is fine. */
	CHECK_INT(read_key("/etc/keys/none.key", &pass, &err), -ENOENT);
	CHECK(strstr(err.msg, "volume /data: key_file /etc/keys/none.key") != NULL);
	put("etc/keys/empty.key", "", 0);
	CHECK(read_key("/etc/keys/empty.key", &pass, &err) < 0);
	CHECK(strstr(err.msg, "empty") != NULL);
	memset(big, 'x', sizeof(big));
	put("etc/keys/big.key", big, sizeof(big));
	CHECK_INT(read_key("/etc/keys/big.key", &pass, &err), -EFBIG);
	put("etc/keys/max.key", big, sizeof(big) - 1);
	CHECK_INT(read_key("/etc/keys/max.key", &pass, &err), 0);
	if (pass) {
		CHECK_INT(pass->len, CW_VOLUME_KEY_MAX);
		secret_free(pass);
	}
}

static void test_mount_point(void)
{
	struct cw_volume v = { .mapper = "cwtest-no-such-mapping" };
	struct volume_state st = { .mapped = true };
	struct cw_err err = { "" };
	char p[256];
	struct stat s;

	/* Missing directories are created (0755) before the mount is tried;
	 * the mount then fails here, as there is no such mapping. */
	snprintf(v.mount_point, sizeof(v.mount_point), "/srv/data/inner");
	CHECK(volume_mount(&v, root, &st, &err) < 0);
	CHECK(!st.mounted);
	CHECK(strstr(err.msg, "volume /srv/data/inner: fs:") != NULL);
	at("srv/data/inner", p, sizeof(p));
	CHECK_INT(stat(p, &s), 0);
	CHECK(S_ISDIR(s.st_mode));
	CHECK_INT(s.st_mode & 07777, 0755);

	/* A symlink component is refused, and nothing is created behind it. */
	at("srv/link", p, sizeof(p));
	CHECK_INT(symlink(outside, p), 0);
	snprintf(v.mount_point, sizeof(v.mount_point), "/srv/link/data");
	CHECK(volume_mount(&v, root, &st, &err) < 0);
	CHECK(strstr(err.msg, "/srv/link is a symlink or not a directory") != NULL);
	snprintf(p, sizeof(p), "%s/data", outside);
	CHECK(access(p, F_OK) < 0);

	/* So is a file where a directory should be. */
	put("srv/file", "x", 1);
	snprintf(v.mount_point, sizeof(v.mount_point), "/srv/file");
	CHECK(volume_mount(&v, root, &st, &err) < 0);
	CHECK(strstr(err.msg, "/srv/file is a symlink or not a directory") != NULL);

	/* Nothing mounted: unmounting and closing have nothing to do. */
	st.mapped = false;
	CHECK_INT(volume_unmount(&st, root, &err), 0);
	CHECK_INT(volume_close(&st, &err), 0);
}

int main(void)
{
	char cmd[128];

	umask(022);
	snprintf(top, sizeof(top), "/tmp/cwinit-test-volume.XXXXXX");
	if (!mkdtemp(top))
		return 1;
	snprintf(root, sizeof(root), "%s/root", top);
	snprintf(outside, sizeof(outside), "%s/outside", top);
	mkdir(root, 0755);
	mkdir(outside, 0755);
	test_key_file();
	test_mount_point();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	(void)!system(cmd);
	return check_finish("test_volume");
}
