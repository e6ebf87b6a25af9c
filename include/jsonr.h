/* A strict JSON reader that keeps each number's text, so 64-bit integers
 * are read exactly (cJSON turns them into doubles). For hostile input:
 * bounded depth, values and members per object, duplicate member names
 * refused, the whole text must be one value. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "err.h"

#define JR_MAX_DEPTH 32
/* Values in one document: bounds the tree's memory (about 72 bytes each)
 * far above what evidence needs (a report and 8 certificates of 64 KiB). */
#define JR_MAX_VALUES (1u << 20)
/* Members of one object: the duplicate-name check compares each name with
 * those before it, so this bounds its work to a few thousand comparisons
 * per member (evidence objects have a dozen). */
#define JR_MAX_MEMBERS 4096u

enum jr_type { JR_NULL, JR_BOOL, JR_NUMBER, JR_STRING, JR_ARRAY, JR_OBJECT };

struct jr {
	enum jr_type type;
	bool boolean;
	const char *num;   /* JR_NUMBER: its text inside the parsed input */
	size_t num_len;
	char *str;         /* JR_STRING: decoded UTF-8, NUL-terminated, no NULs */
	size_t str_len;
	struct jr *items;  /* JR_ARRAY elements, JR_OBJECT member values */
	char **keys;       /* JR_OBJECT member names */
	size_t n;
};

/* Parses s[0..len) (surrounding whitespace allowed). The tree points into
 * s for numbers: keep s alive while using it. Returns 0, -EINVAL with err
 * "JSON: offset N: reason", or -ENOMEM. */
int jr_parse(const char *s, size_t len, struct jr **out, struct cw_err *err);
void jr_free(struct jr *v);

/* The member named key of an object, or NULL. */
const struct jr *jr_get(const struct jr *obj, const char *key);

/* A non-negative integer written without fraction or exponent, at most
 * max. Returns 0, -EINVAL (not such an integer) or -ERANGE (too large). */
int jr_uint(const struct jr *v, uint64_t max, uint64_t *out);

static inline bool jr_is(const struct jr *v, enum jr_type t) { return v && v->type == t; }
