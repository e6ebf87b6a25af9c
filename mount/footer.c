/* The buildah "KRUN" footer at the end of a confidential workload disk.
 *
 * Layout (last bytes of the device): <json> "KRUN" <u64 little-endian len>.
 * The disk comes from the host and sits outside the encryption, so every
 * length is checked against the device size before anything is read, and
 * the JSON is returned as an opaque, NUL-free string for config.c to parse. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "disk.h"
#include "util.h"

#define FOOTER_MAGIC "KRUN"
#define FOOTER_TAIL 12 /* magic (4) + length (8) */

/* Reads exactly n bytes at off; -EIO when the device ends early. */
static int pread_full(int fd, void *buf, size_t n, uint64_t off)
{
	uint8_t *p = buf;

	while (n > 0) {
		ssize_t r = pread(fd, p, n, (off_t)off);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -EIO;
		p += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

static int device_size(int fd, uint64_t *size, struct cw_err *err)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return cw_err_set(err, errno, "footer: fstat: %s", strerror(errno));
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, size) < 0)
			return cw_err_set(err, errno, "footer: BLKGETSIZE64: %s", strerror(errno));
		return 0;
	}
	if (S_ISREG(st.st_mode)) {
		if (st.st_size < 0)
			return cw_err_set(err, EINVAL, "footer: negative file size");
		*size = (uint64_t)st.st_size;
		return 0;
	}
	return cw_err_set(err, EINVAL, "footer: not a block device or regular file");
}

int footer_read_fd(int fd, char **json, size_t *len, struct cw_err *err)
{
	uint8_t tail[FOOTER_TAIL];
	_cleanup_free_ char *buf = NULL;
	uint64_t size, jlen;
	int r;

	r = device_size(fd, &size, err);
	if (r < 0)
		return r;
	if (size < FOOTER_TAIL)
		return cw_err_set(err, ENOENT, "footer: device too small to hold a footer");
	r = pread_full(fd, tail, sizeof(tail), size - FOOTER_TAIL);
	if (r < 0)
		return cw_err_set(err, r, "footer: reading the last %d bytes: %s", FOOTER_TAIL,
				  strerror(-r));
	if (memcmp(tail, FOOTER_MAGIC, 4) != 0)
		return cw_err_set(err, ENOENT, "footer: no KRUN footer");

	jlen = le64(tail + 4);
	if (jlen == 0)
		return cw_err_set(err, EINVAL, "footer: KRUN footer with an empty config");
	if (jlen > CW_FOOTER_MAX)
		return cw_err_set(err, EINVAL, "footer: config length %llu exceeds %d bytes",
				  (unsigned long long)jlen, CW_FOOTER_MAX);
	if (jlen > size - FOOTER_TAIL)
		return cw_err_set(err, EINVAL,
				  "footer: config length %llu exceeds the device (%llu bytes)",
				  (unsigned long long)jlen, (unsigned long long)size);

	buf = malloc((size_t)jlen + 1);
	if (!buf)
		return cw_err_set(err, ENOMEM, "footer: out of memory");
	r = pread_full(fd, buf, (size_t)jlen, size - FOOTER_TAIL - jlen);
	if (r < 0)
		return cw_err_set(err, r, "footer: reading the config: %s", strerror(-r));
	if (memchr(buf, '\0', (size_t)jlen))
		return cw_err_set(err, EINVAL, "footer: config contains a NUL byte");
	buf[jlen] = '\0';

	*json = buf;
	buf = NULL;
	if (len)
		*len = (size_t)jlen;
	return 0;
}

int footer_read(const char *dev, char **json, size_t *len, struct cw_err *err)
{
	_cleanup_close_ int fd = open(dev, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	int r;

	/* -ENOENT means "no footer" to the caller; a missing device is not that. */
	if (fd < 0)
		return cw_err_set(err, errno == ENOENT ? ENODEV : errno, "footer: open %s: %s", dev,
				  strerror(errno));
	r = footer_read_fd(fd, json, len, err);
	if (r < 0 && r != -ENOENT)
		cw_err_prefix(err, r, "%s", dev);
	return r;
}
