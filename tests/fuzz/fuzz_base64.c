/* Strict base64 (base64_decode, base64_encode): the first byte picks the
 * alphabet, the rest is decoded. Strictness means one encoding per byte
 * string, so whatever decodes must encode back to exactly the input, and
 * whatever is encoded must decode back to exactly the bytes. */
#include <errno.h>
#include "base64.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum base64_variant v;
	const char *in;
	size_t n, outlen = 0, cap;
	uint8_t *out;
	char *enc;
	int r;

	if (size == 0)
		return 0;
	v = data[0] & 1 ? BASE64_URL : BASE64_STD;
	in = (const char *)data + 1;
	n = size - 1;

	/* Exactly the room decoding may need, so an overrun is an ASan report. */
	cap = base64_decoded_max(n);
	out = malloc(cap ? cap : 1);
	r = base64_decode(in, n, v, out, cap, &outlen);
	FUZZ_CHECK(r == 0 || r == -EINVAL);
	if (r == 0) {
		FUZZ_CHECK(outlen <= cap);
		enc = base64_encode_alloc(out, outlen, v);
		FUZZ_CHECK(enc && strlen(enc) == n && memcmp(enc, in, n) == 0);
		FUZZ_CHECK(base64_encoded_len(outlen, v) == n);
		free(enc);
		/* One byte short of the decoded size must be refused, not overrun. */
		if (outlen)
			FUZZ_CHECK(base64_decode(in, n, v, out, outlen - 1, &outlen) == -ENOBUFS);
	}
	free(out);

	enc = base64_encode_alloc((const uint8_t *)in, n, v);
	FUZZ_CHECK(enc && strlen(enc) == base64_encoded_len(n, v));
	out = malloc(n ? n : 1);
	FUZZ_CHECK(base64_decode(enc, strlen(enc), v, out, n, &outlen) == 0);
	FUZZ_CHECK(outlen == n && memcmp(out, in, n) == 0);
	free(out);
	free(enc);
	return 0;
}
