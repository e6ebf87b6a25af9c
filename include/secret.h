/* Memory for secrets: locked (never swapped), excluded from core dumps,
 * wiped on release. Every live secret is also registered so a fatal path
 * can wipe all of them before powering off. */
#pragma once
#include <stddef.h>
#include <stdint.h>

struct secret {
	uint8_t *data;
	size_t len; /* bytes in use */
	size_t cap; /* bytes available */
};

/* Allocates a secret able to hold cap bytes; NULL on failure (errno set). */
struct secret *secret_new(size_t cap);

/* Wipes and frees; NULL is fine. */
void secret_free(struct secret *s);

/* For __attribute__((cleanup)). */
static inline void secret_freep(struct secret **s) { secret_free(*s); *s = NULL; }
#define _cleanup_secret_ __attribute__((cleanup(secret_freep)))

/* Wipes every live secret in place (for the fatal path). */
void secret_wipe_all(void);
