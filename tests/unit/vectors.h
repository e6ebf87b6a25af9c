/* Helpers for tests over ../shared/vectors: load a file, hex, SHA-256. */
#pragma once
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "check.h"
#include "util.h"

/* The whole vector file (malloc'd, NUL-terminated); exits when missing,
 * since every test here depends on the vectors. */
static inline uint8_t *vector(const char *name, size_t *len)
{
	char path[512];
	char *buf = NULL;

	snprintf(path, sizeof(path), "%s/%s", check_vectors_dir(), name);
	if (read_file_bounded(path, 1 << 20, &buf, len) < 0) {
		fprintf(stderr, "cannot read test vector %s (set CWINIT_VECTORS)\n", path);
		exit(1);
	}
	return (uint8_t *)buf;
}

/* Lowercase hex of n bytes into a static buffer (one use per expression). */
static inline const char *hex(const uint8_t *b, size_t n)
{
	static char out[2 * 1200 + 1];
	static const char d[] = "0123456789abcdef";

	if (n > 1200)
		n = 1200;
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[b[i] >> 4];
		out[2 * i + 1] = d[b[i] & 15];
	}
	out[2 * n] = '\0';
	return out;
}

static inline const char *sha256_hex(const uint8_t *b, size_t n)
{
	unsigned char md[32];
	unsigned int len = 0;

	EVP_Digest(b, n, md, &len, EVP_sha256(), NULL);
	return hex(md, 32);
}

/* Decodes hex text (whitespace ignored) into out; returns the byte count. */
static inline size_t unhex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	int hi = -1;

	for (; *s && n < max; s++) {
		int v = *s >= '0' && *s <= '9' ? *s - '0'
			: (*s | 0x20) >= 'a' && (*s | 0x20) <= 'f' ? (*s | 0x20) - 'a' + 10 : -1;
		if (v < 0)
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	return n;
}
