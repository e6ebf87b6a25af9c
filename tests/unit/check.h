/* A minimal test harness: each test_*.c is one ctest test.
 *
 * CHECK records a failure with its location and goes on, so one run shows
 * every broken expectation; the program exits 1 if any check failed. */
#pragma once
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(cond)                                                                   \
	do {                                                                          \
		check_count++;                                                        \
		if (!(cond)) {                                                        \
			check_failures++;                                             \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                     \
	} while (0)

#define CHECK_INT(a, b)                                                               \
	do {                                                                          \
		long long check_a_ = (long long)(a), check_b_ = (long long)(b);       \
		check_count++;                                                        \
		if (check_a_ != check_b_) {                                           \
			check_failures++;                                             \
			fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", __FILE__, \
				__LINE__, #a, check_a_, #b, check_b_);                \
		}                                                                     \
	} while (0)

#define CHECK_STR(a, b)                                                               \
	do {                                                                          \
		const char *check_a_ = (a), *check_b_ = (b);                          \
		check_count++;                                                        \
		if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_) != 0) {     \
			check_failures++;                                             \
			fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, \
				__LINE__, #a, check_a_ ? check_a_ : "(null)",         \
				check_b_ ? check_b_ : "(null)");                      \
		}                                                                     \
	} while (0)

#define CHECK_MEM(a, b, n)                                                            \
	do {                                                                          \
		check_count++;                                                        \
		if (memcmp((a), (b), (n)) != 0) {                                     \
			check_failures++;                                             \
			fprintf(stderr, "%s:%d: %s differs from %s\n", __FILE__, __LINE__, #a, #b); \
		}                                                                     \
	} while (0)

static inline int check_finish(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
	return check_failures ? 1 : 0;
}

/* The shared test vectors live beside the checkout (../shared/vectors). */
static inline const char *check_vectors_dir(void)
{
	const char *d = getenv("CWINIT_VECTORS");
	return d ? d : "../shared/vectors";
}
