/* Parsing the Trustee KBS broker's answers (see include/kbs_parse.h). */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <cjson/cJSON.h>
#include "jcs.h"
#include "kbs_parse.h"
#include "secret.h"
#include "util.h"

int kbs_parse_token(const char *body, size_t len, struct secret **out, struct cw_err *err)
{
	cJSON *j = json_parse_exact(body, len);
	cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "token");
	size_t n = cJSON_IsString(t) ? strlen(t->valuestring) : 0;
	int r = 0;

	*out = NULL;
	if (!cJSON_IsObject(j) || !cJSON_IsString(t))
		r = cw_err_set(err, EBADMSG, "attest answer has no token string");
	else if (n == 0 || n > KBS_TOKEN_MAX ||
		 strspn(t->valuestring, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			"0123456789-_.=") != n)
		r = cw_err_set(err, EBADMSG, "attest answer's token is not 1-%d characters of a JWT",
			       KBS_TOKEN_MAX);
	else if (!(*out = secret_new(n)))
		r = cw_err_set(err, ENOMEM, "out of memory");
	else {
		memcpy((*out)->data, t->valuestring, n);
		(*out)->len = n;
	}
	if (cJSON_IsString(t))
		explicit_bzero(t->valuestring, n);
	cJSON_Delete(j);
	return r;
}

void kbs_parse_error(const char *body, size_t len, char *type, size_t type_size, char *detail,
		     size_t detail_size)
{
	cJSON *j = json_parse_exact(body, len);
	const char *t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "type"));
	const char *d = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "detail"));

	type[0] = detail[0] = '\0';
	if (t) {
		const char *slash = strrchr(t, '/');
		const char *name = slash ? slash + 1 : t;
		sanitize_ascii(type, type_size, name, strlen(name));
	}
	if (d)
		sanitize_ascii(detail, detail_size, d, strlen(d));
	else if (!cJSON_IsObject(j))
		sanitize_ascii(detail, detail_size < 81 ? detail_size : 81, body, len);
	cJSON_Delete(j);
}

/* The hash the challenge's extra-params select. An object may name one
 * in selected-hash-algorithm (any case, as the reference client reads it);
 * a string is the JSON text of such an object from brokers that encode it
 * so, or opaque (usually ""): then the default SHA-384, as the reference
 * client does for anything that is not an object. */
static int challenge_hash(const cJSON *extra, const char **hash, struct cw_err *err)
{
	static const char *const names[] = { "sha256", "sha384", "sha512" };
	const cJSON *sel;
	cJSON *inner = NULL;
	char b[48];
	int r = 0;

	*hash = "sha384";
	if (cJSON_IsString(extra) &&
	    (inner = json_parse_exact(extra->valuestring, strlen(extra->valuestring))) &&
	    cJSON_IsObject(inner))
		extra = inner;
	if (!cJSON_IsObject(extra))
		goto out;
	sel = cJSON_GetObjectItemCaseSensitive(extra, "selected-hash-algorithm");
	if (!sel)
		goto out;
	if (!cJSON_IsString(sel)) {
		r = cw_err_set(err, EBADMSG, "challenge selected-hash-algorithm is not a string");
		goto out;
	}
	*hash = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(names) && !*hash; i++)
		if (strcasecmp(sel->valuestring, names[i]) == 0)
			*hash = names[i];
	if (!*hash) {
		sanitize_ascii(b, sizeof(b), sel->valuestring, strlen(sel->valuestring));
		r = cw_err_set(err, ENOTSUP, "challenge selects unsupported hash \"%s\"", b);
	}
out:
	cJSON_Delete(inner);
	return r;
}

int kbs_parse_challenge(const char *body, size_t len, char *nonce, size_t nonce_size,
			const char **hash, struct cw_err *err)
{
	cJSON *ch = json_parse_exact(body, len);
	const char *n = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ch, "nonce"));
	int rc;

	if (!cJSON_IsObject(ch))
		rc = cw_err_set(err, EBADMSG, "challenge is not a JSON object");
	else if (!n || !n[0] || strscpy(nonce, n, nonce_size) < 0)
		rc = cw_err_set(err, EBADMSG, "challenge nonce missing, empty or over %zu bytes",
				nonce_size - 1);
	else
		rc = challenge_hash(cJSON_GetObjectItemCaseSensitive(ch, "extra-params"), hash, err);
	cJSON_Delete(ch);
	return rc;
}
