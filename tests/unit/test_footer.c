/* footer_read/footer_read_fd on disk images built in temporary files. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "check.h"
#include "disk.h"
#include "loopdev.h"

static const char realistic[] =
	"{\"tee\":\"snp\",\"tee_data\":\"{\\\"gen\\\":\\\"milan\\\"}\","
	"\"workload_id\":\"6f1c0a3b9e2d4c5f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f\","
	"\"cpus\":2,\"ram_mib\":512,\"attestation_url\":\"http://127.0.0.1:8000\"}";

static char path[] = "/tmp/cwinit-test-footer-XXXXXX";

static void put_le64(uint8_t *b, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

/* Writes pad zero bytes, then body, then magic and the length field. */
static int make_image(size_t pad, const void *body, size_t bodylen, const char *magic,
		      uint64_t lenfield)
{
	int fd = open(path, O_RDWR | O_TRUNC | O_CLOEXEC);
	uint8_t tail[12];

	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)pad) < 0 || lseek(fd, 0, SEEK_END) < 0)
		goto fail;
	if (bodylen && write(fd, body, bodylen) != (ssize_t)bodylen)
		goto fail;
	memcpy(tail, magic, 4);
	put_le64(tail + 4, lenfield);
	if (write(fd, tail, sizeof(tail)) != (ssize_t)sizeof(tail))
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

static int read_fd(int fd, char **json, size_t *len, struct cw_err *err)
{
	int r = footer_read_fd(fd, json, len, err);
	close(fd);
	return r;
}

static void test_valid(void)
{
	struct cw_err err = {{0}};
	char *json = NULL;
	size_t len = 0;
	int fd = make_image(8192, realistic, strlen(realistic), "KRUN", strlen(realistic));

	CHECK(fd >= 0);
	CHECK_INT(read_fd(fd, &json, &len, &err), 0);
	CHECK_INT(len, strlen(realistic));
	CHECK_STR(json, realistic);
	free(json);

	/* The footer may start at byte 0: the whole file is the footer. */
	json = NULL;
	fd = make_image(0, realistic, strlen(realistic), "KRUN", strlen(realistic));
	CHECK_INT(read_fd(fd, &json, &len, &err), 0);
	CHECK_STR(json, realistic);
	free(json);

	/* By path too; len is optional. */
	json = NULL;
	fd = make_image(4096, "{}", 2, "KRUN", 2);
	close(fd);
	CHECK_INT(footer_read(path, &json, NULL, &err), 0);
	CHECK_STR(json, "{}");
	free(json);
}

static void test_absent(void)
{
	struct cw_err err = {{0}};
	char *json = NULL;
	int fd;

	/* A plain disk: zeros to the end. */
	fd = open(path, O_RDWR | O_TRUNC | O_CLOEXEC);
	CHECK(ftruncate(fd, 1 << 20) == 0);
	CHECK_INT(read_fd(fd, &json, NULL, &err), -ENOENT);
	CHECK(json == NULL);

	/* Magic almost right. */
	fd = make_image(4096, "{}", 2, "KRUM", 2);
	CHECK_INT(read_fd(fd, &json, NULL, &err), -ENOENT);
	fd = make_image(4096, "{}", 2, "krun", 2);
	CHECK_INT(read_fd(fd, &json, NULL, &err), -ENOENT);
	/* Magic one byte early: the last 12 bytes do not start with KRUN. */
	fd = make_image(4096, "{}", 2, "xKRU", 2);
	CHECK_INT(read_fd(fd, &json, NULL, &err), -ENOENT);

	/* Shorter than the 12-byte tail, and empty. */
	fd = open(path, O_RDWR | O_TRUNC | O_CLOEXEC);
	CHECK(write(fd, "KRUN\x02\0\0\0\0\0\0", 11) == 11);
	CHECK_INT(read_fd(fd, &json, NULL, &err), -ENOENT);
	fd = open(path, O_RDWR | O_TRUNC | O_CLOEXEC);
	CHECK_INT(read_fd(fd, &json, NULL, &err), -ENOENT);
	CHECK(json == NULL);

	/* A missing device is not "no footer". */
	CHECK_INT(footer_read("/nonexistent/cwinit-disk", &json, NULL, &err), -ENODEV);
}

static void test_malformed(void)
{
	struct cw_err err = {{0}};
	char *json = NULL;
	int fd;

	fd = make_image(4096, NULL, 0, "KRUN", 0);
	CHECK_INT(read_fd(fd, &json, NULL, &err), -EINVAL);
	CHECK(strstr(err.msg, "empty") != NULL);

	/* Over the 1 MiB limit, although the file really holds that much. */
	size_t big = CW_FOOTER_MAX + 1;
	char *body = malloc(big);
	CHECK(body != NULL);
	memset(body, ' ', big);
	fd = make_image(0, body, big, "KRUN", big);
	CHECK_INT(read_fd(fd, &json, NULL, &err), -EINVAL);
	CHECK(strstr(err.msg, "exceeds 1048576") != NULL);

	/* Exactly the limit is fine. */
	fd = make_image(0, body, CW_FOOTER_MAX, "KRUN", CW_FOOTER_MAX);
	size_t len = 0;
	CHECK_INT(read_fd(fd, &json, &len, &err), 0);
	CHECK_INT(len, CW_FOOTER_MAX);
	free(json);
	json = NULL;
	free(body);

	/* Longer than the file: by one byte, and absurdly (would wrap offsets). */
	fd = make_image(0, "{}", 2, "KRUN", 3);
	CHECK_INT(read_fd(fd, &json, NULL, &err), -EINVAL);
	CHECK(strstr(err.msg, "exceeds the device") != NULL);
	fd = make_image(0, "{}", 2, "KRUN", 2);
	CHECK_INT(read_fd(fd, &json, NULL, &err), 0);
	CHECK_STR(json, "{}");
	free(json);
	json = NULL;
	fd = make_image(0, "{}", 2, "KRUN", UINT64_MAX);
	CHECK_INT(read_fd(fd, &json, NULL, &err), -EINVAL);
	fd = make_image(0, "{}", 2, "KRUN", UINT64_MAX - 11);
	CHECK_INT(read_fd(fd, &json, NULL, &err), -EINVAL);

	/* A NUL inside the JSON would truncate it silently for a C parser. */
	fd = make_image(4096, "{\"a\":\0\"b\"}", 10, "KRUN", 10);
	CHECK_INT(read_fd(fd, &json, NULL, &err), -EINVAL);
	CHECK(strstr(err.msg, "NUL") != NULL);
	CHECK(json == NULL);
}

static void test_not_a_disk(void)
{
	struct cw_err err = {{0}};
	char *json = NULL;
	int fd = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	CHECK_INT(read_fd(fd, &json, NULL, &err), -EINVAL);
	CHECK(json == NULL);
}

/* Through a loop device, where the size comes from BLKGETSIZE64 (root only). */
static void test_block_device(void)
{
	struct cw_err err = {{0}};
	char dev[64];
	char *json = NULL;
	size_t body = strlen(realistic);
	/* Loop devices count whole 512-byte sectors: keep the image aligned. */
	int fd = make_image(8192 - body - 12, realistic, body, "KRUN", body);

	close(fd);
	if (loop_attach(path, false, dev, sizeof(dev)) < 0) {
		printf("test_footer: skipping the block device case (needs root and losetup)\n");
		return;
	}
	CHECK_INT(footer_read(dev, &json, NULL, &err), 0);
	CHECK_STR(json, realistic);
	free(json);
	CHECK_INT(loop_detach(dev), 0);
}

int main(void)
{
	int fd = mkstemp(path);

	if (fd < 0) {
		perror("mkstemp");
		return 1;
	}
	close(fd);
	test_valid();
	test_absent();
	test_malformed();
	test_not_a_disk();
	test_block_device();
	unlink(path);
	return check_finish("test_footer");
}
