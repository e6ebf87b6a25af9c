/* RFC 8785 canonicalization (json_parse_exact, jcs_serialize): for any
 * JSON we accept, the canonical text must parse back to a tree whose
 * canonical text is the same (canonicalization is idempotent), and the
 * digests must be computable. */
#include <errno.h>
#include "fuzz.h"
#include "jcs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), *c1 = NULL, *c2 = NULL;
	struct cw_err err = { { 0 } };
	uint8_t digest[JCS_MAX_DIGEST];
	size_t l1 = 0, l2 = 0, dlen = 0;
	cJSON *v = json_parse_exact(s, size), *v2;
	int r;

	if (!v)
		goto out;
	r = jcs_serialize(v, &c1, &l1, &err);
	FUZZ_CHECK(r == 0 || r == -EINVAL);
	fuzz_check_msg(err.msg, sizeof(err.msg));
	if (r < 0)
		goto out;
	FUZZ_CHECK(strlen(c1) == l1);
	v2 = json_parse_exact(c1, l1);
	FUZZ_CHECK(v2);
	FUZZ_CHECK(jcs_serialize(v2, &c2, &l2, &err) == 0);
	cJSON_Delete(v2);
	FUZZ_CHECK(l1 == l2 && memcmp(c1, c2, l1) == 0);
	FUZZ_CHECK(jcs_digest(size % 3 ? "sha384" : "sha512", v, digest, &dlen, &err) == 0);
	FUZZ_CHECK(dlen == (size % 3 ? 48u : 64u));
out:
	cJSON_Delete(v);
	free(c1);
	free(c2);
	free(s);
	return 0;
}
