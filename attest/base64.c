/* Strict base64: a decoder that accepts exactly one spelling of each byte
 * string, so a value compared or hashed after decoding cannot be smuggled
 * in under a second spelling. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include "base64.h"

static const char std_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char url_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t base64_encoded_len(size_t n, enum base64_variant v)
{
	size_t full = n / 3 * 4;

	if (n % 3 == 0)
		return full;
	return v == BASE64_STD ? full + 4 : full + n % 3 + 1;
}

int base64_encode(const uint8_t *in, size_t n, enum base64_variant v, char *out, size_t outsz)
{
	const char *a = v == BASE64_URL ? url_alphabet : std_alphabet;
	size_t need = base64_encoded_len(n, v);
	size_t i, o = 0;

	if (need >= outsz || need > INT_MAX)
		return -ENOBUFS;
	for (i = 0; i + 3 <= n; i += 3) {
		uint32_t w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = a[w >> 18 & 63];
		out[o++] = a[w >> 12 & 63];
		out[o++] = a[w >> 6 & 63];
		out[o++] = a[w & 63];
	}
	if (n - i == 1) {
		uint32_t w = (uint32_t)in[i] << 16;
		out[o++] = a[w >> 18 & 63];
		out[o++] = a[w >> 12 & 63];
		if (v == BASE64_STD) {
			out[o++] = '=';
			out[o++] = '=';
		}
	} else if (n - i == 2) {
		uint32_t w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = a[w >> 18 & 63];
		out[o++] = a[w >> 12 & 63];
		out[o++] = a[w >> 6 & 63];
		if (v == BASE64_STD)
			out[o++] = '=';
	}
	out[o] = '\0';
	return (int)o;
}

char *base64_encode_alloc(const uint8_t *in, size_t n, enum base64_variant v)
{
	size_t sz = base64_encoded_len(n, v) + 1;
	char *s = malloc(sz);

	if (s && base64_encode(in, n, v, s, sz) < 0) {
		free(s);
		return NULL;
	}
	return s;
}

/* The 6-bit value of c in the variant's alphabet, or -1. */
static int sextet(char c, enum base64_variant v)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (v == BASE64_STD) {
		if (c == '+')
			return 62;
		if (c == '/')
			return 63;
	} else {
		if (c == '-')
			return 62;
		if (c == '_')
			return 63;
	}
	return -1;
}

int base64_decode(const char *in, size_t n, enum base64_variant v, uint8_t *out, size_t outsz,
		  size_t *outlen)
{
	size_t data = n, tail, need, i, o = 0;
	uint32_t w = 0;

	if (v == BASE64_STD) {
		if (n % 4)
			return -EINVAL;
		if (n >= 1 && in[n - 1] == '=') {
			data--;
			if (in[n - 2] == '=')
				data--;
		}
	} else if (n % 4 == 1) {
		return -EINVAL;
	}
	tail = data % 4;
	/* One leftover character would carry only 6 of 8 bits of a byte. */
	if (tail == 1)
		return -EINVAL;
	need = data / 4 * 3 + (tail ? tail - 1 : 0);
	if (need > outsz)
		return -ENOBUFS;

	for (i = 0; i < data; i++) {
		int s = sextet(in[i], v);
		if (s < 0)
			return -EINVAL;
		w = w << 6 | (uint32_t)s;
		if (i % 4 == 3) {
			out[o++] = (uint8_t)(w >> 16);
			out[o++] = (uint8_t)(w >> 8);
			out[o++] = (uint8_t)w;
			w = 0;
		}
	}
	/* The bits below the last whole byte must be zero (RFC 4648 3.5). */
	if (tail == 2) {
		if (w & 0xf)
			return -EINVAL;
		out[o++] = (uint8_t)(w >> 4);
	} else if (tail == 3) {
		if (w & 0x3)
			return -EINVAL;
		out[o++] = (uint8_t)(w >> 10);
		out[o++] = (uint8_t)(w >> 2);
	}
	*outlen = o;
	return 0;
}
