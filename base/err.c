/* cw_err: error text carried up to the layer that logs it. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "err.h"

int cw_err_set(struct cw_err *err, int errnum, const char *fmt, ...)
{
	if (errnum > 0)
		errnum = -errnum;
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return errnum ? errnum : -EIO;
}

int cw_err_prefix(struct cw_err *err, int errnum, const char *fmt, ...)
{
	if (errnum > 0)
		errnum = -errnum;
	if (err) {
		char prefix[sizeof(err->msg)];
		char old[sizeof(err->msg)];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(prefix, sizeof(prefix), fmt, ap);
		va_end(ap);
		memcpy(old, err->msg, sizeof(old));
		old[sizeof(old) - 1] = '\0';
		/* Truncation is fine: the start of a message says the most. */
		size_t n = strlen(prefix);
		if (n > sizeof(err->msg) - 3)
			n = sizeof(err->msg) - 3;
		memcpy(err->msg, prefix, n);
		memcpy(err->msg + n, ": ", 2);
		size_t rest = sizeof(err->msg) - n - 3;
		size_t olen = strnlen(old, rest);
		memcpy(err->msg + n + 2, old, olen);
		err->msg[n + 2 + olen] = '\0';
	}
	return errnum ? errnum : -EIO;
}
