/* Error descriptions carried up to the layer that decides what to do.
 *
 * Low layers return a negative errno and describe the failure here; the
 * deciding layer logs it once. The message must never contain a secret. */
#pragma once
#include <stddef.h>

struct cw_err {
	char msg[320];
};

/* Sets the message (printf-style) unless err is NULL; returns -errnum
 * (errnum given positive or negative) so callers can `return cw_err_set(...)`. */
int cw_err_set(struct cw_err *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefixes the existing message with context: "context: old message". */
int cw_err_prefix(struct cw_err *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
