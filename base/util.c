/* File, string, number and clock helpers. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "util.h"

int read_fd_bounded(int fd, size_t max, char **out, size_t *len)
{
	_cleanup_free_ char *buf = NULL;
	size_t used = 0, cap = 0;

	/* Files in /proc report size 0, so read until EOF rather than trust st_size. */
	for (;;) {
		if (used == cap) {
			size_t ncap = cap ? cap * 2 : 4096;
			char *nbuf;
			if (ncap > max + 1)
				ncap = max + 1;
			if (ncap <= cap)
				return -EFBIG;
			nbuf = realloc(buf, ncap + 1);
			if (!nbuf)
				return -ENOMEM;
			buf = nbuf;
			cap = ncap;
		}
		ssize_t n = read(fd, buf + used, cap - used);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > max)
			return -EFBIG;
	}
	if (!buf && !(buf = malloc(1)))
		return -ENOMEM;
	buf[used] = '\0';
	*out = buf;
	buf = NULL;
	if (len)
		*len = used;
	return 0;
}

int read_file_bounded_at(int dirfd, const char *path, size_t max, char **out, size_t *len)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -errno;
	return read_fd_bounded(fd, max, out, len);
}

int read_file_bounded(const char *path, size_t max, char **out, size_t *len)
{
	return read_file_bounded_at(AT_FDCWD, path, max, out, len);
}

int text_append(char **p, size_t *len, size_t *cap, const void *s, size_t n)
{
	if (n > SIZE_MAX / 4 || *len > SIZE_MAX / 4 - n)
		return -ENOMEM;
	if (*len + n + 1 > *cap) {
		size_t ncap = *cap ? *cap : 256;
		char *np;

		while (ncap < *len + n + 1)
			ncap *= 2;
		np = realloc(*p, ncap);
		if (!np)
			return -ENOMEM;
		*p = np;
		*cap = ncap;
	}
	memcpy(*p + *len, s, n);
	*len += n;
	(*p)[*len] = '\0';
	return 0;
}

int strscpy(char *dst, const char *src, size_t n)
{
	size_t l = strlen(src);

	if (n == 0)
		return -ENAMETOOLONG;
	if (l >= n) {
		dst[0] = '\0';
		return -ENAMETOOLONG;
	}
	memcpy(dst, src, l + 1);
	return 0;
}

void sanitize_ascii(char *dst, size_t n, const char *s, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 1 < n; i++) {
		unsigned char c = (unsigned char)s[i];
		dst[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	dst[o] = '\0';
}

size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c;
	size_t k;

	if (n == 0)
		return 0;
	c = s[0];
	if (c < 0x80)
		k = 1;
	else if (c >= 0xc2 && c <= 0xdf)
		k = 2, c &= 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		k = 3, c &= 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		k = 4, c &= 0x07;
	else
		return 0; /* a continuation byte, an overlong lead (c0, c1) or f5-ff */
	if (n < k)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((k == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (k == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	if (cp)
		*cp = c;
	return k;
}

int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

static uint64_t clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t boottime_ms(void) { return clock_ms(CLOCK_BOOTTIME); }
uint64_t monotonic_ms(void) { return clock_ms(CLOCK_MONOTONIC); }

uint64_t monotonic_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}
