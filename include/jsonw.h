/* A small JSON writer that prints 64-bit integers exactly (cJSON keeps
 * numbers as doubles, which loses u64 values above 2^53). Calls never
 * fail one by one: an allocation failure is remembered and reported by
 * jw_finish. Keys and strings are printed as given, escaped. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JW_MAX_DEPTH 16

struct jw {
	char *p;
	size_t len, cap;
	int depth;
	bool pretty;
	bool oom;
	bool after_key;
	bool has_items[JW_MAX_DEPTH];
	char closer[JW_MAX_DEPTH];
};

/* pretty: two-space indentation for people; else compact, no whitespace. */
void jw_init(struct jw *w, bool pretty);
/* The finished text (malloc'd, NUL-terminated; the caller frees it), or
 * NULL when memory ran out or the nesting is unbalanced. */
char *jw_finish(struct jw *w);
void jw_free(struct jw *w);

void jw_object(struct jw *w);
void jw_array(struct jw *w);
void jw_end(struct jw *w); /* closes the innermost object or array */
void jw_key(struct jw *w, const char *key);

void jw_u64(struct jw *w, uint64_t v);
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);
void jw_str(struct jw *w, const char *s);
void jw_strn(struct jw *w, const char *s, size_t n);
/* Lowercase hex string of n bytes. */
void jw_hex(struct jw *w, const uint8_t *b, size_t n);
/* "0x..." lowercase hex of v, for bit fields people read in hex. */
void jw_hex_u64(struct jw *w, uint64_t v);
/* An array of n integers 0-255 (the virtee/serde form of byte arrays). */
void jw_bytes(struct jw *w, const uint8_t *b, size_t n);
/* Splices already valid JSON text in as one value. */
void jw_raw(struct jw *w, const char *json);

/* key + value shorthands */
static inline void jw_kv_u64(struct jw *w, const char *k, uint64_t v) { jw_key(w, k); jw_u64(w, v); }
static inline void jw_kv_bool(struct jw *w, const char *k, bool v) { jw_key(w, k); jw_bool(w, v); }
static inline void jw_kv_null(struct jw *w, const char *k) { jw_key(w, k); jw_null(w); }
static inline void jw_kv_str(struct jw *w, const char *k, const char *s) { jw_key(w, k); jw_str(w, s); }
static inline void jw_kv_hex(struct jw *w, const char *k, const uint8_t *b, size_t n) { jw_key(w, k); jw_hex(w, b, n); }
static inline void jw_kv_hex_u64(struct jw *w, const char *k, uint64_t v) { jw_key(w, k); jw_hex_u64(w, v); }
static inline void jw_kv_bytes(struct jw *w, const char *k, const uint8_t *b, size_t n) { jw_key(w, k); jw_bytes(w, b, n); }
