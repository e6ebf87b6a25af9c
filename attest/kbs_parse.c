/* Parsing the Trustee KBS broker's answers (see include/kbs_parse.h). */
#include <errno.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "jcs.h"
#include "kbs_parse.h"
#include "util.h"

/* Copies at most n-1 bytes of s, printable ASCII only, for logs and err. */
static void sanitize(char *dst, size_t n, const char *s, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 1 < n; i++) {
		unsigned char c = (unsigned char)s[i];
		dst[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	dst[o] = '\0';
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
		sanitize(type, type_size, name, strlen(name));
	}
	if (d)
		sanitize(detail, detail_size, d, strlen(d));
	else if (!cJSON_IsObject(j))
		sanitize(detail, detail_size < 81 ? detail_size : 81, body, len);
	cJSON_Delete(j);
}

/* The hash the challenge's extra-params select: "" (or nothing) means the
 * default SHA-384, an object may name another. */
static int challenge_hash(const cJSON *extra, const char **hash, struct cw_err *err)
{
	const cJSON *sel;
	char b[48];

	*hash = "sha384";
	if (!extra || cJSON_IsNull(extra) ||
	    (cJSON_IsString(extra) && extra->valuestring[0] == '\0'))
		return 0;
	if (!cJSON_IsObject(extra))
		return cw_err_set(err, EBADMSG, "challenge extra-params is neither \"\" nor an object");
	sel = cJSON_GetObjectItemCaseSensitive(extra, "selected-hash-algorithm");
	if (!sel)
		return 0;
	if (!cJSON_IsString(sel))
		return cw_err_set(err, EBADMSG, "challenge selected-hash-algorithm is not a string");
	if (jcs_hash_size(sel->valuestring) < 0) {
		sanitize(b, sizeof(b), sel->valuestring, strlen(sel->valuestring));
		return cw_err_set(err, ENOTSUP, "challenge selects unsupported hash \"%s\"", b);
	}
	*hash = strcmp(sel->valuestring, "sha256") == 0   ? "sha256"
		: strcmp(sel->valuestring, "sha512") == 0 ? "sha512"
							  : "sha384";
	return 0;
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
