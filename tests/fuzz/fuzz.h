/* Shared by the libFuzzer targets: inputs as C strings, and property
 * checks that stop the fuzzer (abort: libFuzzer keeps the input). */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                              \
	do {                                                                          \
		if (!(cond)) {                                                        \
			fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__,     \
				__LINE__, #cond);                                     \
			abort();                                                      \
		}                                                                     \
	} while (0)

/* The input as a malloc'd NUL-terminated string of exactly size bytes
 * (embedded NULs stay: the parsers must cope with them). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* An error message must be a bounded C string. */
static inline void fuzz_check_msg(const char *msg, size_t cap)
{
	FUZZ_CHECK(memchr(msg, '\0', cap) != NULL);
}
