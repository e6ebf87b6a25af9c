/* init-data: reading the document, its digest, and the check against the
 * field the host set at launch (see include/initdata.h).
 *
 * Trustee hashes the TOML text exactly as sent (Initdata::parse_and_get_digest)
 * and its verifiers cut or zero-pad the digest to the field (regularize_data),
 * so only the top-level `algorithm` needs reading here; the broker parses
 * the whole document. The top level is read strictly (plain single-line
 * strings) so that no TOML construct can hide a second `algorithm`. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <openssl/evp.h>
#include <cjson/cJSON.h>
#include "base64.h"
#include "initdata.h"
#include "snp.h"
#include "tdx.h"
#include "util.h"

#define INITDATA_VERSION "0.1.0"

/* UTF-8 text without NUL. */
static bool utf8_valid(const unsigned char *s, size_t len)
{
	size_t n;

	for (size_t i = 0; i < len; i += n)
		if (s[i] == 0 || !(n = utf8_seq(s + i, len - i, NULL)))
			return false;
	return true;
}

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* A bare key, or a quoted one without escapes: [*s, *e). */
static const char *read_key(const char *p, const char *end, const char **s, const char **e)
{
	if (p < end && (*p == '"' || *p == '\'')) {
		const char *q = memchr(p + 1, *p, (size_t)(end - p - 1));
		if (!q || memchr(p + 1, '\\', (size_t)(q - p - 1)))
			return NULL;
		*s = p + 1;
		*e = q;
		return q + 1;
	}
	*s = p;
	while (p < end && ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			   (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
		p++;
	*e = p;
	return p > *s ? p : NULL;
}

/* A single-line basic ("...", no escapes) or literal ('...') string. */
static const char *read_string(const char *p, const char *end, const char **s, const char **e)
{
	const char *q;

	if (p >= end || (*p != '"' && *p != '\'') || (end - p >= 3 && p[1] == *p && p[2] == *p))
		return NULL;
	q = memchr(p + 1, *p, (size_t)(end - p - 1));
	if (!q || (*p == '"' && memchr(p + 1, '\\', (size_t)(q - p - 1))))
		return NULL;
	for (const char *c = p + 1; c < q; c++)
		if ((unsigned char)*c < 0x20 && *c != '\t')
			return NULL;
	*s = p + 1;
	*e = q;
	return q + 1;
}

static bool equals(const char *s, const char *e, const char *word)
{
	return (size_t)(e - s) == strlen(word) && memcmp(s, word, (size_t)(e - s)) == 0;
}

/* The top level (before the first table) and whether [data] exists. */
static int scan(const char *toml, size_t len, const char **alg, struct cw_err *err)
{
	static const char *const algs[] = { "sha256", "sha384", "sha512" };
	const char *end = toml + len, *version = NULL;
	bool top = true, data = false;
	unsigned line = 0;

	*alg = NULL;
	for (const char *p = toml, *eol; p < end; p = eol + 1) {
		const char *ks, *ke, *vs, *ve, *q;

		line++;
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		const char *le = eol > p && eol[-1] == '\r' ? eol - 1 : eol;
		p = skip_ws(p, le);
		if (p == le || *p == '#')
			continue;
		if (*p == '[') {
			/* [ data ] with optional blanks and a trailing comment */
			const char *t = skip_ws(p + 1, le);
			if (le - t >= 4 && memcmp(t, "data", 4) == 0 &&
			    (t = skip_ws(t + 4, le)) < le && *t == ']' &&
			    ((t = skip_ws(t + 1, le)) == le || *t == '#'))
				data = true;
			top = false;
			continue;
		}
		if (!top)
			continue;
		if (!(q = read_key(p, le, &ks, &ke)) || (q = skip_ws(q, le)) == le || *q != '=' ||
		    !(q = read_string(skip_ws(q + 1, le), le, &vs, &ve)) ||
		    ((q = skip_ws(q, le)) != le && *q != '#'))
			return cw_err_set(err, EINVAL, "line %u: before the first table only "
					  "key = \"string\" lines are read here", line);
		if (equals(ks, ke, "algorithm")) {
			if (*alg)
				return cw_err_set(err, EINVAL, "line %u: algorithm given twice", line);
			for (size_t i = 0; i < ARRAY_SIZE(algs) && !*alg; i++)
				if (equals(vs, ve, algs[i]))
					*alg = algs[i];
			if (!*alg)
				return cw_err_set(err, EINVAL, "line %u: algorithm \"%.*s\" is not sha256, "
						  "sha384 or sha512", line, (int)(ve - vs < 16 ? ve - vs : 16), vs);
		} else if (equals(ks, ke, "version")) {
			if (version || !equals(vs, ve, INITDATA_VERSION))
				return cw_err_set(err, EINVAL, "line %u: version must be given once, as \""
						  INITDATA_VERSION "\"", line);
			version = vs;
		}
	}
	if (!*alg)
		return cw_err_set(err, EINVAL, "no top-level algorithm (sha256, sha384 or sha512)");
	if (!version)
		return cw_err_set(err, EINVAL, "no top-level version = \"" INITDATA_VERSION "\"");
	if (!data)
		return cw_err_set(err, EINVAL, "no [data] table");
	return 0;
}

int initdata_digest(const char *toml, size_t len, uint8_t digest[INITDATA_MAX_DIGEST],
		    size_t *digest_len, const char **alg, struct cw_err *err)
{
	const EVP_MD *md;
	unsigned n = 0;
	int r;

	if (len > INITDATA_MAX)
		return cw_err_set(err, EINVAL, "larger than %d bytes", INITDATA_MAX);
	if (!utf8_valid((const unsigned char *)toml, len))
		return cw_err_set(err, EINVAL, "not UTF-8 text (or holds a NUL byte)");
	if ((r = scan(toml, len, alg, err)))
		return r;
	md = strcmp(*alg, "sha256") == 0 ? EVP_sha256()
	     : strcmp(*alg, "sha384") == 0 ? EVP_sha384() : EVP_sha512();
	if (EVP_Digest(toml, len, digest, &n, md, NULL) != 1)
		return cw_err_set(err, EIO, "OpenSSL %s failed", *alg);
	*digest_len = n;
	return 0;
}

int initdata_load(const char *path, char **text, size_t *len, struct cw_err *err)
{
	uint8_t d[INITDATA_MAX_DIGEST];
	size_t dl;
	const char *alg;
	int r = read_file_bounded(path, INITDATA_MAX, text, len);

	if (r == -EFBIG)
		return cw_err_set(err, EFBIG, "init_data %s: larger than %d bytes", path, INITDATA_MAX);
	if (r < 0)
		return cw_err_set(err, r, "init_data %s: %s", path, strerror(-r));
	if ((r = initdata_digest(*text, *len, d, &dl, &alg, err))) {
		free(*text);
		*text = NULL;
		return cw_err_prefix(err, r, "init_data %s", path);
	}
	return 0;
}

/* The first bytes in hex, for a one-line message. */
static const char *hex_start(const uint8_t *b, size_t n, char out[40])
{
	size_t i;

	for (i = 0; i < n && i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	strcpy(out + 2 * i, n > 16 ? "..." : "");
	return out;
}

static int compare(const char *toml, size_t len, const uint8_t *field, size_t field_len,
		   const char *name, struct cw_err *err)
{
	uint8_t d[INITDATA_MAX_DIGEST], want[INITDATA_MAX_DIGEST] = { 0 };
	size_t dl = 0;
	const char *alg;
	char a[40], b[40];
	int r;

	if (field_len == 0 || field_len > sizeof(want))
		return cw_err_set(err, EINVAL, "init-data field of %zu bytes", field_len);
	if ((r = initdata_digest(toml, len, d, &dl, &alg, err)))
		return cw_err_prefix(err, r, "init_data");
	memcpy(want, d, dl < field_len ? dl : field_len);
	if (memcmp(want, field, field_len) == 0)
		return 0;
	return cw_err_set(err, EPERM, "init-data digest (%s, %s to %zu bytes) %s but %s is %s: "
			  "the VM was launched with other init-data", alg,
			  dl > field_len ? "cut" : dl < field_len ? "padded" : "as is", field_len,
			  hex_start(want, field_len, a), name, hex_start(field, field_len, b));
}

int initdata_check(const char *toml, size_t len, const uint8_t *field, size_t field_len,
		   struct cw_err *err)
{
	return compare(toml, len, field, field_len, "the field", err);
}

static int tdx_mrconfigid(const char *evidence, uint8_t out[TDX_MRCONFIGID_SIZE],
			  struct cw_err *err)
{
	cJSON *j = cJSON_Parse(evidence);
	const char *b64 = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "quote"));
	uint8_t *quote = NULL;
	struct tdx_quote q;
	size_t n = 0;
	int r;

	if (!b64 || !(quote = malloc(base64_decoded_max(strlen(b64)))) ||
	    base64_decode(b64, strlen(b64), BASE64_STD, quote, base64_decoded_max(strlen(b64)), &n)) {
		r = cw_err_set(err, EBADMSG, "tdx evidence has no base64 quote");
		goto out;
	}
	if ((r = tdx_quote_parse(quote, n, &q, err))) {
		r = cw_err_prefix(err, -EBADMSG, "tdx evidence quote");
		goto out;
	}
	memcpy(out, quote + q.body_off + TDX_BODY_OFF_MRCONFIGID, TDX_MRCONFIGID_SIZE);
out:
	free(quote);
	cJSON_Delete(j);
	return r;
}

int initdata_check_evidence(const char *tee, const char *evidence, const char *toml, size_t len,
			    struct cw_err *err)
{
	uint8_t report[SNP_REPORT_SIZE], mrconfigid[TDX_MRCONFIGID_SIZE];
	bool chain;
	int r;

	if (strcmp(tee, "snp") == 0) {
		if ((r = snp_evidence_parse(evidence, strlen(evidence), report, NULL, &chain, err)))
			return cw_err_prefix(err, -EBADMSG, "snp evidence");
		return compare(toml, len, report + SNP_OFF_HOST_DATA, SNP_HOST_DATA_SIZE,
			       "the SNP report's HOST_DATA", err);
	}
	if (strcmp(tee, "tdx") == 0) {
		if ((r = tdx_mrconfigid(evidence, mrconfigid, err)))
			return r;
		return compare(toml, len, mrconfigid, TDX_MRCONFIGID_SIZE,
			       "the TDX quote's MRCONFIGID", err);
	}
	return cw_err_set(err, ENOTSUP, "tee %s evidence has no init-data field", tee);
}
