/* Base64 (RFC 4648): the standard alphabet with padding, and the URL-safe
 * alphabet without padding that JOSE uses. Decoding is strict: one exact
 * encoding per byte string, anything else is refused. */
#pragma once
#include <stddef.h>
#include <stdint.h>

enum base64_variant {
	BASE64_STD,    /* A-Z a-z 0-9 + /, padded with '=' to a multiple of 4 */
	BASE64_URL,    /* A-Z a-z 0-9 - _, no padding (RFC 7515 base64url) */
};

/* Characters needed to encode n bytes, not counting the NUL. */
size_t base64_encoded_len(size_t n, enum base64_variant v);

/* Bytes that decoding n characters can give at most. */
static inline size_t base64_decoded_max(size_t n) { return n / 4 * 3 + 3; }

/* Encodes n bytes into out (size outsz, NUL-terminated). Returns the
 * encoded length, or -ENOBUFS when out is too small. */
int base64_encode(const uint8_t *in, size_t n, enum base64_variant v, char *out, size_t outsz);

/* Encodes into a malloc'd NUL-terminated string; NULL on allocation failure. */
char *base64_encode_alloc(const uint8_t *in, size_t n, enum base64_variant v);

/* Decodes exactly n characters into out (size outsz). Returns 0 and sets
 * *outlen, -EINVAL for any character outside the alphabet, wrong or
 * misplaced padding, an impossible length or nonzero leftover bits, and
 * -ENOBUFS when out is too small. */
int base64_decode(const char *in, size_t n, enum base64_variant v, uint8_t *out, size_t outsz,
		  size_t *outlen);
