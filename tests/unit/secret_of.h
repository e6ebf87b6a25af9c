/* Secrets holding given bytes, for the tests that hand cwinit a passphrase
 * or a broker resource. */
#pragma once
#include <string.h>
#include "secret.h"

static inline struct secret *secret_of_bytes(const void *data, size_t len)
{
	struct secret *s = secret_new(len ? len : 1);

	if (s) {
		memcpy(s->data, data, len);
		s->len = len;
	}
	return s;
}

static inline struct secret *secret_of(const char *text)
{
	return secret_of_bytes(text, strlen(text));
}
