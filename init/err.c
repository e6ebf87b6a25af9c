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
		snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
	}
	return errnum ? errnum : -EIO;
}
