/* JCS (RFC 8785): the upstream Trustee self-check vector, the RFC's sorting
 * and escaping examples, our refusals, and the exact shape of the EC
 * binding text that becomes report_data. */
#include <errno.h>
#include <string.h>
#include <openssl/evp.h>
#include "base64.h"
#include "check.h"
#include "jcs.h"
#include "teekey.h"
#include "util.h"

/* Canonical text of a JSON document, or NULL if parsing or JCS failed. */
static char *canon(const char *json, int *rc)
{
	struct cw_err err = { "" };
	cJSON *v = cJSON_Parse(json);
	char *out = NULL;

	/* A parse failure must not pass for a JCS refusal. */
	*rc = v ? jcs_serialize(v, &out, NULL, &err) : -EBADMSG;
	cJSON_Delete(v);
	return out;
}

static void expect_canon(const char *json, const char *want)
{
	int rc;
	char *got = canon(json, &rc);

	CHECK_INT(rc, 0);
	CHECK_STR(got, want);
	free(got);
}

static void expect_refused(const char *json)
{
	int rc;
	char *got = canon(json, &rc);

	if (rc != -EINVAL)
		fprintf(stderr, "accepted %s as %s\n", json, got ? got : "(null)");
	CHECK_INT(rc, -EINVAL);
	free(got);
}

static void hex(const uint8_t *d, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void test_upstream_vector(void)
{
	struct cw_err err = { "" };
	cJSON *v = cJSON_Parse("{\"b\":1,\"a\":\"test\",\"c\":{\"d\":\"e\"}}");
	uint8_t d[JCS_MAX_DIGEST];
	char h[2 * JCS_MAX_DIGEST + 1];
	size_t n = 0;

	expect_canon("{\"b\":1,\"a\":\"test\",\"c\":{\"d\":\"e\"}}",
		     "{\"a\":\"test\",\"b\":1,\"c\":{\"d\":\"e\"}}");
	CHECK_INT(jcs_digest("sha384", v, d, &n, &err), 0);
	CHECK_INT(n, 48);
	hex(d, n, h);
	CHECK_STR(h, "e71ce8e70d814ba6639c3612ebee0ff1f76f650f8dbb5e47157e0f3f525cd22c"
		     "4597480a186427c813ca941da78870c3");
	CHECK_INT(jcs_digest("md5", v, d, &n, &err), -ENOTSUP);
	CHECK(strstr(err.msg, "md5") != NULL);
	cJSON_Delete(v);
}

static void test_rfc8785_examples(void)
{
	/* RFC 8785 3.2.3: UTF-16 order puts U+1F600 (D83D DE00) before U+FB33,
	 * the reverse of code point (and UTF-8 byte) order. */
	expect_canon("{\"\\u20ac\":\"Euro Sign\",\"\\r\":\"Carriage Return\",\"\\ufb33\":\"Hebrew\","
		     "\"1\":\"One\",\"\\ud83d\\ude00\":\"Emoji\",\"\\u0080\":\"Control\","
		     "\"\\u00f6\":\"Latin\"}",
		     "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xc2\x80\":\"Control\","
		     "\"\xc3\xb6\":\"Latin\",\"\xe2\x82\xac\":\"Euro Sign\","
		     "\"\xf0\x9f\x98\x80\":\"Emoji\",\"\xef\xac\xb3\":\"Hebrew\"}");
	/* RFC 8785 3.2.2.2: minimal escaping, '/' left alone, lowercase hex. */
	expect_canon("{\"string\":\"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\"}",
		     "{\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
	expect_canon("[\"\\b\\f\\t\\u001f\\u007f\\u2028\"]", "[\"\\b\\f\\t\\u001f\x7f\xe2\x80\xa8\"]");
	expect_canon(" { \"a\" : [ 1 , true , false , null , { } , [ ] ] } ",
		     "{\"a\":[1,true,false,null,{},[]]}");
}

static void test_numbers(void)
{
	expect_canon("[0,-0,100,-42,1e2,9007199254740991,-9007199254740991]",
		     "[0,0,100,-42,100,9007199254740991,-9007199254740991]");
	expect_refused("[1.5]");
	expect_refused("[1e300]");
	expect_refused("[9007199254740992]");
	expect_refused("[-0.001]");
}

static void test_refusals(void)
{
	expect_refused("{\"a\":1,\"a\":2}");
	expect_refused("[\"\xc3\x28\"]");        /* invalid continuation */
	expect_refused("[\"\xc0\xaf\"]");        /* overlong '/' */
	expect_refused("[\"\xed\xa0\x80\"]");    /* encoded surrogate */
	expect_refused("{\"\xff\":1}");
}

static void test_binding_shape(void)
{
	struct cw_err err = { "" };
	EVP_PKEY *key = NULL;
	cJSON *jwk = NULL;
	const char *nonce = "q8hT/0e+2kW1yQ9lXx3vJp8mRZb6cD0uXk4yA5sF7Ho=";
	char *text = NULL, want[512], h1[129], h2[129];
	uint8_t d[JCS_MAX_DIGEST], e[EVP_MAX_MD_SIZE], raw[40];
	unsigned int en = 0;
	size_t n = 0, len = 0, rawlen = 0;

	CHECK_INT(teekey_generate(&key, &err), 0);
	CHECK_INT(teekey_jwk(key, &jwk, &err), 0);
	CHECK_INT(cJSON_GetArraySize(jwk), 5);
	const char *x = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(jwk, "x"));
	const char *y = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(jwk, "y"));
	CHECK(x && strlen(x) == 43 && y && strlen(y) == 43);
	CHECK_INT(base64_decode(x, strlen(x), BASE64_URL, raw, sizeof(raw), &rawlen), 0);
	CHECK_INT(rawlen, 32);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(jwk, "kty")), "EC");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(jwk, "crv")), "P-256");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(jwk, "alg")),
		  "ECDH-ES+A256KW");

	snprintf(want, sizeof(want),
		 "{\"additional-evidence\":\"\",\"nonce\":\"%s\",\"tee-pubkey\":{\"alg\":\"ECDH-ES+A256KW\","
		 "\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}}",
		 nonce, x ? x : "", y ? y : "");
	CHECK_INT(jcs_binding_text(nonce, jwk, &text, &len, &err), 0);
	CHECK_STR(text, want);
	CHECK_INT(len, strlen(want));

	CHECK_INT(jcs_binding_digest("sha384", nonce, jwk, d, &n, &err), 0);
	CHECK_INT(n, 48);
	CHECK(EVP_Digest(want, strlen(want), e, &en, EVP_sha384(), NULL) == 1);
	hex(d, n, h1);
	hex(e, en, h2);
	CHECK_STR(h1, h2);
	CHECK_INT(jcs_binding_digest("sha512", nonce, jwk, d, &n, &err), 0);
	CHECK_INT(n, 64);
	CHECK_INT(jcs_binding_digest("sha256", nonce, jwk, d, &n, &err), 0);
	CHECK_INT(n, 32);
	CHECK_INT(jcs_hash_size("SHA384"), -ENOTSUP);

	free(text);
	cJSON_Delete(jwk);
	teekey_free(key);
}

static void test_parse_exact(void)
{
	const char *ok = " {\"a\":1} \n";
	char nul[] = "{\"a\":1}\0{}";
	cJSON *v = json_parse_exact(ok, strlen(ok));

	CHECK(cJSON_IsObject(v));
	cJSON_Delete(v);
	CHECK(json_parse_exact("{\"a\":1} x", 9) == NULL);
	CHECK(json_parse_exact("{\"a\":1}{}", 9) == NULL);
	CHECK(json_parse_exact(nul, sizeof(nul) - 1) == NULL);
	CHECK(json_parse_exact("", 0) == NULL);
}

/* The one UTF-8 decoder jcs, jsonr and initdata share. */
static void test_utf8_seq(void)
{
	static const struct {
		const char *s;
		size_t n, len;
		uint32_t cp;
	} v[] = {
		{ "A", 1, 1, 0x41 },
		{ "", 1, 1, 0 },                        /* NUL is valid; callers refuse it */
		{ "\xc2\x80", 2, 2, 0x80 },
		{ "\xdf\xbf", 2, 2, 0x7ff },
		{ "\xe0\xa0\x80", 3, 3, 0x800 },
		{ "\xed\x9f\xbf", 3, 3, 0xd7ff },
		{ "\xee\x80\x80", 3, 3, 0xe000 },
		{ "\xef\xbf\xbf", 3, 3, 0xffff },
		{ "\xf0\x90\x80\x80", 4, 4, 0x10000 },
		{ "\xf4\x8f\xbf\xbf", 4, 4, 0x10ffff },
		{ "A", 0, 0, 0 },                       /* nothing available */
		{ "\x80", 1, 0, 0 },                    /* lone continuation */
		{ "\xc0\x80", 2, 0, 0 },                /* overlong NUL */
		{ "\xc1\xbf", 2, 0, 0 },
		{ "\xe0\x9f\xbf", 3, 0, 0 },            /* overlong U+07FF */
		{ "\xf0\x8f\xbf\xbf", 4, 0, 0 },        /* overlong U+FFFF */
		{ "\xed\xa0\x80", 3, 0, 0 },            /* U+D800 */
		{ "\xed\xbf\xbf", 3, 0, 0 },            /* U+DFFF */
		{ "\xf4\x90\x80\x80", 4, 0, 0 },        /* U+110000 */
		{ "\xf5\x80\x80\x80", 4, 0, 0 },
		{ "\xff", 1, 0, 0 },
		{ "\xe2\x82\xac", 2, 0, 0 },            /* truncated by n */
		{ "\xe2\x82", 3, 0, 0 },                /* truncated by the NUL */
		{ "\xc3" "A", 2, 0, 0 },               /* not a continuation */
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint32_t cp = 0xdeadbeef;
		size_t len = utf8_seq((const unsigned char *)v[i].s, v[i].n, &cp);

		CHECK_INT(len, v[i].len);
		if (len)
			CHECK_INT(cp, v[i].cp);
		else
			CHECK_INT(cp, 0xdeadbeef);
	}
	CHECK_INT(utf8_seq((const unsigned char *)"\xc3\xa9", 2, NULL), 2);
}

int main(void)
{
	test_upstream_vector();
	test_rfc8785_examples();
	test_numbers();
	test_refusals();
	test_binding_shape();
	test_parse_exact();
	test_utf8_seq();
	return check_finish("test_jcs");
}
