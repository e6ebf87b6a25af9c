/* Strict JSON reader (RFC 8259) keeping number text for exact integers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "jsonr.h"
#include "util.h"

struct parser {
	const char *s;
	size_t len, pos;
	size_t values; /* parsed so far, against JR_MAX_VALUES */
	struct cw_err *err;
};

static int fail(struct parser *p, const char *why)
{
	return cw_err_set(p->err, EINVAL, "JSON: offset %zu: %s", p->pos, why);
}

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
				   p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
		p->pos++;
}

static int literal(struct parser *p, const char *word)
{
	size_t n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
		return fail(p, "unexpected character");
	p->pos += n;
	return 0;
}

static bool digit(char c) { return c >= '0' && c <= '9'; }

static int number(struct parser *p, struct jr *v)
{
	size_t start = p->pos;

	if (p->pos < p->len && p->s[p->pos] == '-')
		p->pos++;
	if (p->pos >= p->len || !digit(p->s[p->pos]))
		return fail(p, "malformed number");
	if (p->s[p->pos] == '0')
		p->pos++;
	else
		while (p->pos < p->len && digit(p->s[p->pos]))
			p->pos++;
	if (p->pos < p->len && p->s[p->pos] == '.') {
		p->pos++;
		if (p->pos >= p->len || !digit(p->s[p->pos]))
			return fail(p, "malformed number");
		while (p->pos < p->len && digit(p->s[p->pos]))
			p->pos++;
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		p->pos++;
		if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		if (p->pos >= p->len || !digit(p->s[p->pos]))
			return fail(p, "malformed number");
		while (p->pos < p->len && digit(p->s[p->pos]))
			p->pos++;
	}
	v->type = JR_NUMBER;
	v->num = p->s + start;
	v->num_len = p->pos - start;
	return 0;
}

static int hex4(struct parser *p, uint32_t *out)
{
	uint32_t x = 0;

	if (p->len - p->pos < 4)
		return fail(p, "truncated \\u escape");
	for (int i = 0; i < 4; i++) {
		int d = hex_digit_value((unsigned char)p->s[p->pos++]);

		if (d < 0)
			return fail(p, "bad \\u escape");
		x = x << 4 | (uint32_t)d;
	}
	*out = x;
	return 0;
}

static size_t put_utf8(char *o, uint32_t c)
{
	if (c < 0x80) {
		o[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (char)(0xc0 | c >> 6);
		o[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (char)(0xe0 | c >> 12);
		o[1] = (char)(0x80 | (c >> 6 & 0x3f));
		o[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | c >> 18);
	o[1] = (char)(0x80 | (c >> 12 & 0x3f));
	o[2] = (char)(0x80 | (c >> 6 & 0x3f));
	o[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/* The decoded text is never longer than the quoted source. */
static int string(struct parser *p, char **out, size_t *outlen)
{
	size_t start = ++p->pos, o = 0, end = start;
	char *buf;

	while (end < p->len && p->s[end] != '"')
		end += p->s[end] == '\\' ? 2 : 1;
	if (end >= p->len)
		return fail(p, "unterminated string");
	if (!(buf = malloc(end - start + 1)))
		return -ENOMEM;
	while (p->s[p->pos] != '"') {
		unsigned char c = (unsigned char)p->s[p->pos];
		uint32_t cp, lo;
		size_t k;

		if (c < 0x20) {
			free(buf);
			return fail(p, "control character in string");
		}
		if (c != '\\') {
			k = utf8_seq((const unsigned char *)p->s + p->pos, end - p->pos, NULL);
			if (!k) {
				free(buf);
				return fail(p, "invalid UTF-8 in string");
			}
			memcpy(buf + o, p->s + p->pos, k);
			o += k;
			p->pos += k;
			continue;
		}
		p->pos++;
		switch (p->s[p->pos++]) {
		case '"': buf[o++] = '"'; break;
		case '\\': buf[o++] = '\\'; break;
		case '/': buf[o++] = '/'; break;
		case 'b': buf[o++] = '\b'; break;
		case 'f': buf[o++] = '\f'; break;
		case 'n': buf[o++] = '\n'; break;
		case 'r': buf[o++] = '\r'; break;
		case 't': buf[o++] = '\t'; break;
		case 'u':
			if (hex4(p, &cp) < 0)
				goto bad;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				goto bad_surrogate;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (p->len - p->pos < 2 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
					goto bad_surrogate;
				p->pos += 2;
				if (hex4(p, &lo) < 0)
					goto bad;
				if (lo < 0xdc00 || lo > 0xdfff)
					goto bad_surrogate;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			if (cp == 0) {
				free(buf);
				return fail(p, "NUL character in string");
			}
			o += put_utf8(buf + o, cp);
			break;
		default:
			free(buf);
			return fail(p, "bad escape in string");
		}
	}
	p->pos++;
	buf[o] = '\0';
	*out = buf;
	*outlen = o;
	return 0;
bad_surrogate:
	free(buf);
	return fail(p, "unpaired surrogate in string");
bad:
	free(buf);
	return -EINVAL;
}

static void clear(struct jr *v)
{
	if (v->type == JR_STRING)
		free(v->str);
	if (v->type == JR_ARRAY || v->type == JR_OBJECT) {
		for (size_t i = 0; i < v->n; i++) {
			clear(&v->items[i]);
			if (v->keys)
				free(v->keys[i]);
		}
		free(v->items);
		free(v->keys);
	}
	memset(v, 0, sizeof(*v));
}

static int value(struct parser *p, struct jr *v, int depth);

/* Appends one slot to a container, growing it geometrically. */
static int grow(struct jr *v, size_t *cap)
{
	if (v->n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 8;
	struct jr *ni = realloc(v->items, ncap * sizeof(*ni));
	if (!ni)
		return -ENOMEM;
	v->items = ni;
	if (v->type == JR_OBJECT) {
		char **nk = realloc(v->keys, ncap * sizeof(*nk));
		if (!nk)
			return -ENOMEM;
		v->keys = nk;
	}
	*cap = ncap;
	return 0;
}

static int container(struct parser *p, struct jr *v, int depth, bool object)
{
	char close = object ? '}' : ']';
	size_t cap = 0;
	int r;

	if (depth >= JR_MAX_DEPTH)
		return fail(p, "nested too deeply");
	v->type = object ? JR_OBJECT : JR_ARRAY;
	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == close) {
		p->pos++;
		return 0;
	}
	for (;;) {
		if ((r = grow(v, &cap)) < 0)
			return r;
		memset(&v->items[v->n], 0, sizeof(v->items[0]));
		if (object) {
			size_t klen, at;
			v->keys[v->n] = NULL;
			skip_ws(p);
			at = p->pos;
			if (p->pos >= p->len || p->s[p->pos] != '"')
				return fail(p, "expected a member name");
			if (v->n >= JR_MAX_MEMBERS)
				return fail(p, "too many members in an object");
			v->n++; /* owns the key slot from here, for clear() */
			if ((r = string(p, &v->keys[v->n - 1], &klen)) < 0)
				return r;
			for (size_t i = 0; i + 1 < v->n; i++)
				if (strcmp(v->keys[i], v->keys[v->n - 1]) == 0) {
					p->pos = at;
					return fail(p, "duplicate member name");
				}
			skip_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':')
				return fail(p, "expected ':'");
			p->pos++;
			if ((r = value(p, &v->items[v->n - 1], depth + 1)) < 0)
				return r;
		} else {
			v->n++;
			if ((r = value(p, &v->items[v->n - 1], depth + 1)) < 0)
				return r;
		}
		skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == close) {
			p->pos++;
			return 0;
		}
		return fail(p, object ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static int value(struct parser *p, struct jr *v, int depth)
{
	skip_ws(p);
	if (p->pos >= p->len)
		return fail(p, "unexpected end of text");
	if (++p->values > JR_MAX_VALUES)
		return fail(p, "too many values");
	switch (p->s[p->pos]) {
	case '{': return container(p, v, depth, true);
	case '[': return container(p, v, depth, false);
	case '"':
		v->type = JR_STRING;
		return string(p, &v->str, &v->str_len);
	case 't': v->type = JR_BOOL; v->boolean = true; return literal(p, "true");
	case 'f': v->type = JR_BOOL; return literal(p, "false");
	case 'n': v->type = JR_NULL; return literal(p, "null");
	default:
		if (p->s[p->pos] == '-' || digit(p->s[p->pos]))
			return number(p, v);
		return fail(p, "unexpected character");
	}
}

int jr_parse(const char *s, size_t len, struct jr **out, struct cw_err *err)
{
	struct parser p = { s, len, 0, 0, err };
	struct jr *v = calloc(1, sizeof(*v));
	int r;

	if (!v)
		return cw_err_set(err, ENOMEM, "out of memory parsing JSON");
	r = value(&p, v, 0);
	if (r == 0) {
		skip_ws(&p);
		if (p.pos != len)
			r = fail(&p, "text after the JSON value");
	}
	if (r < 0) {
		if (r == -ENOMEM)
			cw_err_set(err, ENOMEM, "out of memory parsing JSON");
		jr_free(v);
		return r;
	}
	*out = v;
	return 0;
}

void jr_free(struct jr *v)
{
	if (!v)
		return;
	clear(v);
	free(v);
}

const struct jr *jr_get(const struct jr *obj, const char *key)
{
	if (!jr_is(obj, JR_OBJECT))
		return NULL;
	for (size_t i = 0; i < obj->n; i++)
		if (strcmp(obj->keys[i], key) == 0)
			return &obj->items[i];
	return NULL;
}

int jr_uint(const struct jr *v, uint64_t max, uint64_t *out)
{
	uint64_t x = 0;

	if (!jr_is(v, JR_NUMBER))
		return -EINVAL;
	for (size_t i = 0; i < v->num_len; i++) {
		char c = v->num[i];
		if (!digit(c))
			return -EINVAL; /* sign, fraction or exponent */
	}
	for (size_t i = 0; i < v->num_len; i++) {
		unsigned d = (unsigned)(v->num[i] - '0');
		if (x > (UINT64_MAX - d) / 10)
			return -ERANGE;
		x = x * 10 + d;
	}
	if (x > max)
		return -ERANGE;
	*out = x;
	return 0;
}
