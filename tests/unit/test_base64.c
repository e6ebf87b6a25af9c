/* base64: RFC 4648 section 10 vectors, the URL-safe alphabet, and strict
 * refusal of every non-canonical or malformed input. */
#include <errno.h>
#include <string.h>
#include "base64.h"
#include "check.h"

struct vec {
	const char *plain, *std, *url;
};

static const struct vec rfc4648[] = {
	{ "", "", "" },
	{ "f", "Zg==", "Zg" },
	{ "fo", "Zm8=", "Zm8" },
	{ "foo", "Zm9v", "Zm9v" },
	{ "foob", "Zm9vYg==", "Zm9vYg" },
	{ "fooba", "Zm9vYmE=", "Zm9vYmE" },
	{ "foobar", "Zm9vYmFy", "Zm9vYmFy" },
};

static int decode_str(const char *s, enum base64_variant v, uint8_t *out, size_t outsz,
		      size_t *len)
{
	return base64_decode(s, strlen(s), v, out, outsz, len);
}

static void test_vectors(void)
{
	for (size_t i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
		const struct vec *t = &rfc4648[i];
		size_t n = strlen(t->plain), got = 99;
		char enc[32];
		uint8_t dec[32];

		CHECK_INT(base64_encode((const uint8_t *)t->plain, n, BASE64_STD, enc, sizeof(enc)),
			  strlen(t->std));
		CHECK_STR(enc, t->std);
		CHECK_INT(base64_encoded_len(n, BASE64_STD), strlen(t->std));
		CHECK_INT(base64_encode((const uint8_t *)t->plain, n, BASE64_URL, enc, sizeof(enc)),
			  strlen(t->url));
		CHECK_STR(enc, t->url);
		CHECK_INT(base64_encoded_len(n, BASE64_URL), strlen(t->url));

		CHECK_INT(decode_str(t->std, BASE64_STD, dec, sizeof(dec), &got), 0);
		CHECK_INT(got, n);
		CHECK_MEM(dec, t->plain, n);
		got = 99;
		CHECK_INT(decode_str(t->url, BASE64_URL, dec, sizeof(dec), &got), 0);
		CHECK_INT(got, n);
		CHECK_MEM(dec, t->plain, n);
	}
}

static void test_alphabets(void)
{
	/* 0xfb 0xff 0xbf uses both alphabet-specific characters. */
	static const uint8_t bin[] = { 0xfb, 0xff, 0xbf, 0x00, 0x10 };
	uint8_t dec[8];
	size_t got;
	char enc[16];

	CHECK(base64_encode(bin, sizeof(bin), BASE64_STD, enc, sizeof(enc)) == 8);
	CHECK_STR(enc, "+/+/ABA=");
	CHECK(base64_encode(bin, sizeof(bin), BASE64_URL, enc, sizeof(enc)) == 7);
	CHECK_STR(enc, "-_-_ABA");
	CHECK_INT(decode_str("-_-_ABA", BASE64_URL, dec, sizeof(dec), &got), 0);
	CHECK_INT(got, sizeof(bin));
	CHECK_MEM(dec, bin, sizeof(bin));
	/* Each alphabet refuses the other's characters. */
	CHECK_INT(decode_str("+/+/ABA=", BASE64_URL, dec, sizeof(dec), &got), -EINVAL);
	CHECK_INT(decode_str("-_-_ABA=", BASE64_STD, dec, sizeof(dec), &got), -EINVAL);

	char *s = base64_encode_alloc(bin, sizeof(bin), BASE64_URL);
	CHECK_STR(s, "-_-_ABA");
	free(s);
}

static void test_rejects(void)
{
	static const char *const bad_std[] = {
		"Zg",       /* padding missing */
		"Zg=",      /* length not a multiple of 4 */
		"Zg=A",     /* padding inside */
		"Z===",     /* too much padding */
		"====",
		"Zh==",     /* leftover bits not zero */
		"Zm9=",     /* leftover bits not zero */
		"Zm 9v",
		"Zm9v\n",
		"Zm9vYg==Zm9v", /* padding in the middle */
		"Zm9*",
		"\xc3\xa9xyz",
	};
	static const char *const bad_url[] = {
		"Zg==",     /* padding is not allowed */
		"Z",        /* impossible length */
		"Zm9vY",
		"Zh",       /* leftover bits not zero */
		"Zm9",      /* leftover bits not zero */
		"Zm+v",
		"Zm/v",
		"Zm9v ",
		"Zm.v",
	};
	uint8_t dec[16];
	size_t got;

	for (size_t i = 0; i < sizeof(bad_std) / sizeof(bad_std[0]); i++) {
		int r = decode_str(bad_std[i], BASE64_STD, dec, sizeof(dec), &got);
		if (r != -EINVAL)
			fprintf(stderr, "std accepted \"%s\" (%d)\n", bad_std[i], r);
		CHECK_INT(r, -EINVAL);
	}
	for (size_t i = 0; i < sizeof(bad_url) / sizeof(bad_url[0]); i++) {
		int r = decode_str(bad_url[i], BASE64_URL, dec, sizeof(dec), &got);
		if (r != -EINVAL)
			fprintf(stderr, "url accepted \"%s\" (%d)\n", bad_url[i], r);
		CHECK_INT(r, -EINVAL);
	}
	/* An embedded NUL is a bad character, not an end of input. */
	CHECK_INT(base64_decode("Zm\0v", 4, BASE64_STD, dec, sizeof(dec), &got), -EINVAL);
}

static void test_bounds(void)
{
	uint8_t dec[4];
	size_t got;
	char enc[8];

	/* "foobar" needs 6 bytes, "Zm9vYg" 4. */
	CHECK_INT(decode_str("Zm9vYmFy", BASE64_STD, dec, 5, &got), -ENOBUFS);
	CHECK_INT(decode_str("Zm9vYg", BASE64_URL, dec, 4, &got), 0);
	CHECK_INT(got, 4);
	CHECK_INT(decode_str("Zm9vYg", BASE64_URL, dec, 3, &got), -ENOBUFS);
	/* Encoding needs room for the NUL too. */
	CHECK_INT(base64_encode((const uint8_t *)"foobar", 6, BASE64_STD, enc, 8), -ENOBUFS);
	CHECK_INT(base64_encode((const uint8_t *)"fooba", 5, BASE64_URL, enc, 8), 7);
	CHECK(base64_decoded_max(8) >= 6);
}

int main(void)
{
	test_vectors();
	test_alphabets();
	test_rejects();
	test_bounds();
	return check_finish("test_base64");
}
