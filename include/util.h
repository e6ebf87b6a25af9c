/* Small helpers shared by every part of cwinit. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void freep(void *p) { free(*(void **)p); }
static inline void closep(int *fd) { if (*fd >= 0) close(*fd); }

#define _cleanup_free_ __attribute__((cleanup(freep)))
#define _cleanup_close_ __attribute__((cleanup(closep)))

/* Reads fd to its end, at most max bytes, into a NUL-terminated malloc'd
 * buffer (never more than max + 1 bytes of data). Returns 0, -EFBIG when
 * there is more than max, or -errno. len may be NULL. */
int read_fd_bounded(int fd, size_t max, char **out, size_t *len);

/* Reads a whole file of at most max bytes the same way. Returns 0,
 * -EFBIG when the file is larger than max, or -errno. */
int read_file_bounded(const char *path, size_t max, char **out, size_t *len);

/* Same, relative to a directory fd (O_NOFOLLOW is not implied). */
int read_file_bounded_at(int dirfd, const char *path, size_t max, char **out, size_t *len);

/* Appends n bytes to the NUL-terminated text in *p (length *len, capacity
 * *cap; all three zero to start), doubling the allocation as it grows.
 * Returns 0, or -ENOMEM with the text left as it was. */
int text_append(char **p, size_t *len, size_t *cap, const void *s, size_t n);

/* Copies src into dst of size n; returns -ENAMETOOLONG if it does not fit. */
int strscpy(char *dst, const char *src, size_t n);

/* Copies at most n-1 of the len bytes at s into dst (n >= 1), keeping
 * printable ASCII and writing '?' for any other byte, and ends it with a
 * NUL: received text made safe for logs and error messages. */
void sanitize_ascii(char *dst, size_t n, const char *s, size_t len);

/* Decodes the UTF-8 sequence at s (n bytes available): its length (1-4)
 * with the code point in *cp (cp may be NULL), or 0 when it is truncated,
 * not the shortest form, a surrogate or beyond U+10FFFF, or n is 0. NUL
 * is a valid one-byte sequence; callers that refuse it say so. */
size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp);

/* Parses a whole decimal (or 0x hex) unsigned number within [min, max]. */
int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* The value of one hexadecimal digit, either case; -1 for any other character. */
static inline int hex_digit_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Little-endian integers at p (any alignment), as firmware structures
 * (SNP reports, TDX quotes) and the disk footer store them. */
static inline uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* Milliseconds on CLOCK_BOOTTIME (time since the kernel started). */
uint64_t boottime_ms(void);

/* Milliseconds on CLOCK_MONOTONIC, for deadlines. */
uint64_t monotonic_ms(void);
/* Microseconds on CLOCK_MONOTONIC, for costs too small for milliseconds. */
uint64_t monotonic_us(void);
