/* RFC 8785 canonical JSON, enough of it for the KBS binding.
 *
 * The broker re-serializes what we send with serde_json_canonicalizer and
 * hashes that; our evidence must carry the same digest, so every byte here
 * follows RFC 8785: members sorted by UTF-16 code units, no whitespace,
 * ECMAScript string escaping, ECMAScript integer formatting. Non-integer
 * numbers would need the full ECMAScript double formatting, which nothing
 * in the exchange uses, so they are refused rather than guessed at. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include "jcs.h"
#include "util.h"

#define JCS_MAX_DEPTH 64
/* 2^53 - 1: the largest integer every JSON implementation reads exactly. */
#define JCS_MAX_SAFE_INT 9007199254740991.0

struct buf {
	char *p;
	size_t len, cap;
};

static int buf_put(struct buf *b, const char *s, size_t n)
{
	return text_append(&b->p, &b->len, &b->cap, s, n);
}

static int buf_puts(struct buf *b, const char *s) { return buf_put(b, s, strlen(s)); }

static bool utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, len = strlen(s);

	for (size_t i = 0; i < len; i += n)
		if (!(n = utf8_seq(p + i, len - i, NULL)))
			return false;
	return true;
}

/* Walks a valid UTF-8 string as UTF-16 code units. */
struct u16_iter {
	const unsigned char *p;
	uint16_t pending; /* low surrogate still to deliver, or 0 */
};

static int u16_next(struct u16_iter *it)
{
	uint32_t cp;
	size_t n;

	if (it->pending) {
		int u = it->pending;
		it->pending = 0;
		return u;
	}
	if (!*it->p)
		return -1;
	/* A NUL ends a sequence early, so at most 4 bytes need looking at. */
	n = utf8_seq(it->p, strnlen((const char *)it->p, 4), &cp);
	it->p += n ? n : 1;
	if (cp < 0x10000)
		return (int)cp;
	cp -= 0x10000;
	it->pending = (uint16_t)(0xdc00 | (cp & 0x3ff));
	return (int)(0xd800 | cp >> 10);
}

static int member_cmp(const void *a, const void *b)
{
	struct u16_iter x = { (const unsigned char *)(*(const cJSON *const *)a)->string, 0 };
	struct u16_iter y = { (const unsigned char *)(*(const cJSON *const *)b)->string, 0 };

	for (;;) {
		int ux = u16_next(&x), uy = u16_next(&y);
		if (ux != uy)
			return ux < uy ? -1 : 1;
		if (ux < 0)
			return 0;
	}
}

static int put_string(struct buf *b, const char *s, struct cw_err *err)
{
	int r = 0;

	if (!utf8_valid(s))
		return cw_err_set(err, EINVAL, "JSON string is not valid UTF-8");
	r = buf_put(b, "\"", 1);
	for (const char *p = s; !r && *p; p++) {
		unsigned char c = (unsigned char)*p;
		char esc[8];
		switch (c) {
		case '"': r = buf_put(b, "\\\"", 2); break;
		case '\\': r = buf_put(b, "\\\\", 2); break;
		case '\b': r = buf_put(b, "\\b", 2); break;
		case '\f': r = buf_put(b, "\\f", 2); break;
		case '\n': r = buf_put(b, "\\n", 2); break;
		case '\r': r = buf_put(b, "\\r", 2); break;
		case '\t': r = buf_put(b, "\\t", 2); break;
		default:
			if (c < 0x20) {
				snprintf(esc, sizeof(esc), "\\u%04x", c);
				r = buf_put(b, esc, 6);
			} else {
				r = buf_put(b, p, 1);
			}
		}
	}
	if (!r)
		r = buf_put(b, "\"", 1);
	return r;
}

static int put_number(struct buf *b, double v, struct cw_err *err)
{
	char num[32];

	if (!isfinite(v) || v > JCS_MAX_SAFE_INT || v < -JCS_MAX_SAFE_INT)
		return cw_err_set(err, EINVAL, "JSON number %g is not finite or beyond 2^53-1", v);
	if ((double)(int64_t)v != v)
		return cw_err_set(err, EINVAL, "JSON number %g is not an integer", v);
	/* ECMAScript prints negative zero as "0". */
	snprintf(num, sizeof(num), "%.0f", v == 0 ? 0.0 : v);
	return buf_puts(b, num);
}

static int put_value(struct buf *b, const cJSON *v, unsigned depth, struct cw_err *err);

static int put_object(struct buf *b, const cJSON *v, unsigned depth, struct cw_err *err)
{
	_cleanup_free_ const cJSON **m = NULL;
	size_t n = 0, i;
	int r;

	for (const cJSON *c = v->child; c; c = c->next) {
		if (!c->string || !utf8_valid(c->string))
			return cw_err_set(err, EINVAL, "JSON member name is not valid UTF-8");
		n++;
	}
	if (n && !(m = calloc(n, sizeof(*m))))
		return -ENOMEM;
	i = 0;
	for (const cJSON *c = v->child; c; c = c->next)
		m[i++] = c;
	if (n)
		qsort(m, n, sizeof(*m), member_cmp);
	if ((r = buf_put(b, "{", 1)))
		return r;
	for (i = 0; i < n; i++) {
		if (i && strcmp(m[i - 1]->string, m[i]->string) == 0)
			return cw_err_set(err, EINVAL, "JSON member name \"%.40s\" appears twice",
					  m[i]->string);
		if ((i && (r = buf_put(b, ",", 1))) || (r = put_string(b, m[i]->string, err)) ||
		    (r = buf_put(b, ":", 1)) || (r = put_value(b, m[i], depth + 1, err)))
			return r;
	}
	return buf_put(b, "}", 1);
}

static int put_value(struct buf *b, const cJSON *v, unsigned depth, struct cw_err *err)
{
	int r;

	if (depth > JCS_MAX_DEPTH)
		return cw_err_set(err, EINVAL, "JSON nested deeper than %d", JCS_MAX_DEPTH);
	switch (v->type & 0xff) {
	case cJSON_False:
		return buf_puts(b, "false");
	case cJSON_True:
		return buf_puts(b, "true");
	case cJSON_NULL:
		return buf_puts(b, "null");
	case cJSON_Number:
		return put_number(b, v->valuedouble, err);
	case cJSON_String:
		return put_string(b, v->valuestring ? v->valuestring : "", err);
	case cJSON_Array:
		if ((r = buf_put(b, "[", 1)))
			return r;
		for (const cJSON *c = v->child; c; c = c->next)
			if ((c != v->child && (r = buf_put(b, ",", 1))) ||
			    (r = put_value(b, c, depth + 1, err)))
				return r;
		return buf_put(b, "]", 1);
	case cJSON_Object:
		return put_object(b, v, depth, err);
	default:
		return cw_err_set(err, EINVAL, "JSON value of unsupported type %d", v->type);
	}
}

int jcs_serialize(const cJSON *v, char **out, size_t *len, struct cw_err *err)
{
	struct buf b = { 0 };
	int r = put_value(&b, v, 0, err);

	if (r == 0 && !b.p)
		r = buf_put(&b, "", 0);
	if (r) {
		free(b.p);
		if (r == -ENOMEM)
			cw_err_set(err, ENOMEM, "out of memory canonicalizing JSON");
		return r;
	}
	*out = b.p;
	if (len)
		*len = b.len;
	return 0;
}

int jcs_hash_size(const char *hash)
{
	if (strcmp(hash, "sha256") == 0)
		return 32;
	if (strcmp(hash, "sha384") == 0)
		return 48;
	if (strcmp(hash, "sha512") == 0)
		return 64;
	return -ENOTSUP;
}

static int digest_text(const char *hash, const char *text, size_t len, uint8_t *out,
		       size_t *outlen, struct cw_err *err)
{
	EVP_MD *md;
	unsigned int n = 0;
	int size = jcs_hash_size(hash);

	if (size < 0)
		return cw_err_set(err, ENOTSUP, "unsupported hash algorithm \"%.32s\"", hash);
	/* Our names are OpenSSL's names too. */
	md = EVP_MD_fetch(NULL, hash, NULL);
	if (!md || !EVP_Digest(text, len, out, &n, md, NULL) || n != (unsigned int)size) {
		EVP_MD_free(md);
		ERR_clear_error();
		return cw_err_set(err, EIO, "OpenSSL %s digest failed", hash);
	}
	EVP_MD_free(md);
	*outlen = n;
	return 0;
}

int jcs_digest(const char *hash, const cJSON *v, uint8_t out[JCS_MAX_DIGEST], size_t *outlen,
	       struct cw_err *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = jcs_serialize(v, &text, &len, err);

	return r ? r : digest_text(hash, text, len, out, outlen, err);
}

int jcs_binding_text(const char *nonce, const cJSON *jwk, char **out, size_t *len,
		     struct cw_err *err)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *key = cJSON_Duplicate(jwk, 1);
	int r = -ENOMEM;

	if (!o || !key || !cJSON_AddStringToObject(o, "additional-evidence", "") ||
	    !cJSON_AddStringToObject(o, "nonce", nonce) ||
	    !cJSON_AddItemToObject(o, "tee-pubkey", key)) {
		cJSON_Delete(key);
		cJSON_Delete(o);
		return cw_err_set(err, ENOMEM, "out of memory building the binding");
	}
	r = jcs_serialize(o, out, len, err);
	cJSON_Delete(o);
	return r;
}

int jcs_binding_digest(const char *hash, const char *nonce, const cJSON *jwk,
		       uint8_t out[JCS_MAX_DIGEST], size_t *outlen, struct cw_err *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = jcs_binding_text(nonce, jwk, &text, &len, err);

	return r ? r : digest_text(hash, text, len, out, outlen, err);
}

cJSON *json_parse_exact(const char *s, size_t len)
{
	if (!s || s[len] != '\0' || strlen(s) != len)
		return NULL;
	/* The length includes the NUL: cJSON then insists nothing but
	 * whitespace follows the value. */
	return cJSON_ParseWithLengthOpts(s, len + 1, NULL, 1);
}
