/* The strict JSON reader and the writer used for evidence: grammar edges,
 * strings (escapes, surrogates, UTF-8), limits, exact u64 both ways. */
#include <errno.h>
#include "check.h"
#include "jsonr.h"
#include "jsonw.h"
#include "util.h"

static int parse(const char *s, struct jr **v)
{
	struct cw_err err = { "" };
	*v = NULL;
	return jr_parse(s, strlen(s), v, &err);
}

static void bad(const char *s)
{
	struct jr *v;
	int rc = parse(s, &v);

	if (rc != -EINVAL) {
		check_failures++;
		fprintf(stderr, "accepted invalid JSON: %s\n", s);
	}
	check_count++;
	jr_free(v);
}

/* "[0,0,...,0]" with k zeros */
static char *zeros(size_t k)
{
	char *s = malloc(2 * k + 2);

	s[0] = '[';
	for (size_t i = 0; i < k; i++) {
		s[1 + 2 * i] = '0';
		s[2 + 2 * i] = ',';
	}
	s[2 * k] = ']';
	s[2 * k + 1] = '\0';
	return s;
}

static void test_grammar(void)
{
	static const char *const invalid[] = {
		"", " ", "01", "-", "1.", ".5", "1e", "+1", "0x10", "NaN", "Infinity", "nul",
		"[1,]", "[,1]", "{\"a\":1,}", "{\"a\"}", "{a:1}", "{\"a\":1 \"b\":2}", "\"abc",
		"\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"",
		"\"\\u0000\"", "\"a\tb\"", "\"\xc0\x80\"", "\"\xed\xa0\x80\"", "\"\xff\"",
		"{\"a\":1,\"a\":2}", "1 2", "[1] x", "true false",
	};
	struct cw_err err = { "" };
	struct jr *v;
	char deep[80];
	uint64_t x;

	for (size_t i = 0; i < ARRAY_SIZE(invalid); i++)
		bad(invalid[i]);
	CHECK_INT(jr_parse("[1]\0", 4, &v, &err), -EINVAL); /* an embedded NUL is text too */

	CHECK_INT(parse(" {\"s\":\"a\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\",\"n\":-1.5e+3,"
			"\"t\":true,\"f\":false,\"z\":null,\"e\":[],\"o\":{}} ", &v), 0);
	CHECK_STR(jr_get(v, "s")->str, "a\"\\/\b\f\n\r\t\xc3\xa9\xf0\x9f\x98\x80");
	CHECK_INT(jr_get(v, "s")->str_len, 15);
	CHECK(jr_uint(jr_get(v, "n"), UINT64_MAX, &x) == -EINVAL);
	CHECK(jr_get(v, "t")->boolean && !jr_get(v, "f")->boolean);
	CHECK(jr_is(jr_get(v, "z"), JR_NULL) && jr_get(v, "e")->n == 0 && jr_get(v, "o")->n == 0);
	CHECK(jr_get(v, "missing") == NULL);
	jr_free(v);

	/* nesting is bounded */
	memset(deep, '[', JR_MAX_DEPTH);
	deep[JR_MAX_DEPTH] = '\0';
	bad(deep);
	memset(deep, 0, sizeof(deep));
	memset(deep, '[', JR_MAX_DEPTH - 1);
	memset(deep + JR_MAX_DEPTH - 1, ']', JR_MAX_DEPTH - 1);
	CHECK_INT(parse(deep, &v), 0);
	jr_free(v);

	/* so is the number of values: the array itself counts as one */
	char *many = zeros(JR_MAX_VALUES - 1);
	CHECK_INT(jr_parse(many, strlen(many), &v, &err), 0);
	CHECK(v && v->n == JR_MAX_VALUES - 1);
	jr_free(v);
	free(many);
	many = zeros(JR_MAX_VALUES);
	CHECK_INT(jr_parse(many, strlen(many), &v, &err), -EINVAL);
	CHECK(strstr(err.msg, "too many values") != NULL);
	free(many);

	/* and the members of one object, for the quadratic duplicate check */
	size_t cap = 16 * (JR_MAX_MEMBERS + 1) + 2, o = 0;
	char *obj = malloc(cap);
	CHECK(obj != NULL);
	if (obj) {
		obj[o++] = '{';
		for (unsigned i = 0; i < JR_MAX_MEMBERS; i++)
			o += (size_t)snprintf(obj + o, cap - o, "%s\"m%u\":%u", i ? "," : "", i, i);
		obj[o++] = '}';
		obj[o] = '\0';
		CHECK_INT(jr_parse(obj, o, &v, &err), 0);
		CHECK(v && v->n == JR_MAX_MEMBERS);
		jr_free(v);
		o--; /* one more member is refused, cleanly */
		o += (size_t)snprintf(obj + o, cap - o, ",\"m%u\":0}", JR_MAX_MEMBERS);
		CHECK_INT(jr_parse(obj, o, &v, &err), -EINVAL);
		CHECK(strstr(err.msg, "too many members") != NULL);
		free(obj);
	}

	/* error offsets point at the problem */
	CHECK_INT(jr_parse("[1, x]", 6, &v, &err), -EINVAL);
	CHECK_STR(err.msg, "JSON: offset 4: unexpected character");
}

static void test_uint(void)
{
	static const struct { const char *text; uint64_t max; int rc; uint64_t v; } cases[] = {
		{ "0", 0, 0, 0 },
		{ "255", 255, 0, 255 },
		{ "256", 255, -ERANGE, 0 },
		{ "18446744073709551615", UINT64_MAX, 0, UINT64_MAX },
		{ "18446744073709551616", UINT64_MAX, -ERANGE, 0 },
		{ "99999999999999999999999", UINT64_MAX, -ERANGE, 0 },
		{ "9007199254740993", UINT64_MAX, 0, 9007199254740993ull },
		{ "-0", UINT64_MAX, -EINVAL, 0 },
		{ "1.0", UINT64_MAX, -EINVAL, 0 },
		{ "1e2", UINT64_MAX, -EINVAL, 0 },
		{ "\"1\"", UINT64_MAX, -EINVAL, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct jr *v;
		uint64_t x = 0;
		CHECK_INT(parse(cases[i].text, &v), 0);
		CHECK_INT(jr_uint(v, cases[i].max, &x), cases[i].rc);
		if (cases[i].rc == 0)
			CHECK(x == cases[i].v);
		jr_free(v);
	}
}

static void test_writer(void)
{
	uint8_t b[3] = { 0, 0xab, 255 };
	struct jw w;
	char *s;

	jw_init(&w, false);
	jw_object(&w);
	jw_kv_u64(&w, "max", UINT64_MAX);
	jw_kv_str(&w, "esc", "q\"b\\\n\x01");
	jw_kv_hex(&w, "hex", b, 3);
	jw_kv_bytes(&w, "bytes", b, 3);
	jw_kv_hex_u64(&w, "h", 0x30000);
	jw_key(&w, "a");
	jw_array(&w);
	jw_null(&w);
	jw_bool(&w, true);
	jw_object(&w);
	jw_end(&w);
	jw_end(&w);
	jw_end(&w);
	s = jw_finish(&w);
	CHECK_STR(s, "{\"max\":18446744073709551615,\"esc\":\"q\\\"b\\\\\\u000a\\u0001\","
		     "\"hex\":\"00abff\",\"bytes\":[0,171,255],\"h\":\"0x30000\",\"a\":[null,true,{}]}");
	free(s);

	jw_init(&w, true);
	jw_object(&w);
	jw_kv_u64(&w, "a", 1);
	jw_key(&w, "b");
	jw_object(&w);
	jw_kv_bool(&w, "c", false);
	jw_end(&w);
	jw_end(&w);
	s = jw_finish(&w);
	CHECK_STR(s, "{\n  \"a\": 1,\n  \"b\": {\n    \"c\": false\n  }\n}\n");
	free(s);

	/* unbalanced nesting is a failure, not half a document */
	jw_init(&w, false);
	jw_object(&w);
	CHECK(jw_finish(&w) == NULL);
}

int main(void)
{
	test_grammar();
	test_uint();
	test_writer();
	return check_finish("test_jsonr");
}
