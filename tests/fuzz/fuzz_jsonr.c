/* The strict JSON reader (jr_parse) that evidence parsing uses. Properties:
 * strings are NUL-free and as long as they say, member names are unique,
 * and a tree written back out with the JSON writer reads back the same. */
#include <errno.h>
#include "fuzz.h"
#include "jsonr.h"
#include "jsonw.h"

static void check(const struct jr *v, int depth)
{
	FUZZ_CHECK(depth <= JR_MAX_DEPTH + 1);
	switch (v->type) {
	case JR_STRING:
		FUZZ_CHECK(v->str && strlen(v->str) == v->str_len);
		break;
	case JR_NUMBER:
		FUZZ_CHECK(v->num && v->num_len > 0);
		break;
	case JR_OBJECT:
		for (size_t i = 0; i < v->n; i++) {
			FUZZ_CHECK(v->keys[i]);
			for (size_t j = 0; j < i; j++)
				FUZZ_CHECK(strcmp(v->keys[i], v->keys[j]) != 0);
		}
		/* fall through */
	case JR_ARRAY:
		for (size_t i = 0; i < v->n; i++)
			check(&v->items[i], depth + 1);
		break;
	default:
		break;
	}
}

static int depth_of(const struct jr *v)
{
	int d = 0;

	if (v->type == JR_ARRAY || v->type == JR_OBJECT)
		for (size_t i = 0; i < v->n; i++) {
			int c = depth_of(&v->items[i]);
			d = c > d ? c : d;
		}
	return d + (v->type == JR_ARRAY || v->type == JR_OBJECT);
}

static void write(const struct jr *v, struct jw *w)
{
	char num[64];

	switch (v->type) {
	case JR_NULL: jw_null(w); break;
	case JR_BOOL: jw_bool(w, v->boolean); break;
	case JR_STRING: jw_strn(w, v->str, v->str_len); break;
	case JR_NUMBER:
		/* Long numbers stand in as 0: the reader keeps their text as is. */
		if (v->num_len < sizeof(num)) {
			memcpy(num, v->num, v->num_len);
			num[v->num_len] = '\0';
			jw_raw(w, num);
		} else {
			jw_raw(w, "0");
		}
		break;
	case JR_ARRAY:
		jw_array(w);
		for (size_t i = 0; i < v->n; i++)
			write(&v->items[i], w);
		jw_end(w);
		break;
	case JR_OBJECT:
		jw_object(w);
		for (size_t i = 0; i < v->n; i++) {
			jw_key(w, v->keys[i]);
			write(&v->items[i], w);
		}
		jw_end(w);
		break;
	}
}

static bool same(const struct jr *a, const struct jr *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case JR_BOOL: return a->boolean == b->boolean;
	case JR_STRING: return a->str_len == b->str_len && !memcmp(a->str, b->str, a->str_len);
	case JR_NUMBER:
		return a->num_len >= 64 || (a->num_len == b->num_len && !memcmp(a->num, b->num, a->num_len));
	case JR_ARRAY:
	case JR_OBJECT:
		if (a->n != b->n)
			return false;
		for (size_t i = 0; i < a->n; i++)
			if ((a->type == JR_OBJECT && strcmp(a->keys[i], b->keys[i])) ||
			    !same(&a->items[i], &b->items[i]))
				return false;
		return true;
	default: return true;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_err err = { { 0 } };
	struct jr *v = NULL, *back = NULL;
	struct jw w;
	char *text;
	int r;

	r = jr_parse((const char *)data, size, &v, &err);
	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENOMEM);
	fuzz_check_msg(err.msg, sizeof(err.msg));
	if (r < 0)
		return 0;
	check(v, 0);
	if (depth_of(v) <= JW_MAX_DEPTH) {
		jw_init(&w, size % 2);
		write(v, &w);
		text = jw_finish(&w);
		FUZZ_CHECK(text);
		r = jr_parse(text, strlen(text), &back, &err);
		if (r)
			fprintf(stderr, "reading our own JSON failed: %s\n%s\n", err.msg, text);
		FUZZ_CHECK(r == 0 && same(v, back));
		jr_free(back);
		free(text);
	}
	jr_free(v);
	return 0;
}
