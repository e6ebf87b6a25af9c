/* JSON writer with exact 64-bit integers, for evidence and the decoder. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "jsonw.h"
#include "util.h"

static void put(struct jw *w, const char *s, size_t n)
{
	if (!w->oom && text_append(&w->p, &w->len, &w->cap, s, n) < 0)
		w->oom = true;
}

static void puts_(struct jw *w, const char *s) { put(w, s, strlen(s)); }

static void newline(struct jw *w)
{
	if (!w->pretty)
		return;
	put(w, "\n", 1);
	for (int i = 0; i < w->depth; i++)
		put(w, "  ", 2);
}

/* Separator and indentation before a value or a key. */
static void before_item(struct jw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->depth > 0) {
		if (w->has_items[w->depth - 1])
			put(w, ",", 1);
		w->has_items[w->depth - 1] = true;
		newline(w);
	}
}

void jw_init(struct jw *w, bool pretty)
{
	memset(w, 0, sizeof(*w));
	w->pretty = pretty;
}

char *jw_finish(struct jw *w)
{
	char *p;

	if (w->depth != 0)
		w->oom = true;
	if (w->pretty)
		put(w, "\n", 1);
	if (w->oom || !w->p) {
		jw_free(w);
		return NULL;
	}
	p = w->p;
	w->p = NULL;
	w->len = w->cap = 0;
	return p;
}

void jw_free(struct jw *w)
{
	free(w->p);
	w->p = NULL;
	w->len = w->cap = 0;
}

static void open_(struct jw *w, char open, char close)
{
	before_item(w);
	if (w->depth >= JW_MAX_DEPTH) {
		w->oom = true; /* a programming error; reported as a failure */
		return;
	}
	put(w, &open, 1);
	w->closer[w->depth] = close;
	w->has_items[w->depth++] = false;
}

void jw_object(struct jw *w) { open_(w, '{', '}'); }
void jw_array(struct jw *w) { open_(w, '[', ']'); }

void jw_end(struct jw *w)
{
	bool items;

	if (w->depth == 0) {
		w->oom = true;
		return;
	}
	items = w->has_items[--w->depth];
	if (items)
		newline(w);
	put(w, &w->closer[w->depth], 1);
}

static void string_(struct jw *w, const char *s, size_t n)
{
	char esc[8];

	put(w, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(w, esc, 2);
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			put(w, esc, 6);
		} else {
			put(w, (const char *)&s[i], 1);
		}
	}
	put(w, "\"", 1);
}

void jw_key(struct jw *w, const char *key)
{
	before_item(w);
	string_(w, key, strlen(key));
	put(w, w->pretty ? ": " : ":", w->pretty ? 2 : 1);
	w->after_key = true;
}

void jw_u64(struct jw *w, uint64_t v)
{
	char b[24];

	before_item(w);
	snprintf(b, sizeof(b), "%" PRIu64, v);
	puts_(w, b);
}

void jw_bool(struct jw *w, bool v)
{
	before_item(w);
	puts_(w, v ? "true" : "false");
}

void jw_null(struct jw *w)
{
	before_item(w);
	puts_(w, "null");
}

void jw_str(struct jw *w, const char *s) { jw_strn(w, s, strlen(s)); }

void jw_strn(struct jw *w, const char *s, size_t n)
{
	before_item(w);
	string_(w, s, n);
}

void jw_hex(struct jw *w, const uint8_t *b, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char pair[2];

	before_item(w);
	put(w, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		pair[0] = digits[b[i] >> 4];
		pair[1] = digits[b[i] & 15];
		put(w, pair, 2);
	}
	put(w, "\"", 1);
}

void jw_hex_u64(struct jw *w, uint64_t v)
{
	char b[24];

	before_item(w);
	snprintf(b, sizeof(b), "\"0x%" PRIx64 "\"", v);
	puts_(w, b);
}

void jw_bytes(struct jw *w, const uint8_t *b, size_t n)
{
	char num[4];

	/* Byte arrays stay on one line even in pretty output. */
	before_item(w);
	put(w, "[", 1);
	for (size_t i = 0; i < n; i++) {
		int k = snprintf(num, sizeof(num), "%u", b[i]);
		if (i)
			put(w, ",", 1);
		put(w, num, (size_t)k);
	}
	put(w, "]", 1);
}

void jw_raw(struct jw *w, const char *json)
{
	before_item(w);
	puts_(w, json);
}
