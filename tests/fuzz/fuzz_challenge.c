/* The broker's auth answer (kbs_parse_challenge). The body arrives
 * NUL-terminated from the HTTP client, possibly with NULs inside. */
#include <errno.h>
#include "fuzz.h"
#include "kbs_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body = fuzz_cstr(data, size), nonce[1025];
	const char *hash = NULL;
	struct cw_err err = { { 0 } };
	int r;

	memset(nonce, 0x5a, sizeof(nonce));
	r = kbs_parse_challenge(body, size, nonce, sizeof(nonce), &hash, &err);
	FUZZ_CHECK(r == 0 || r == -EBADMSG || r == -ENOTSUP);
	fuzz_check_msg(err.msg, sizeof(err.msg));
	if (r == 0) {
		FUZZ_CHECK(nonce[0] && memchr(nonce, '\0', sizeof(nonce)));
		FUZZ_CHECK(hash && (!strcmp(hash, "sha256") || !strcmp(hash, "sha384") ||
				    !strcmp(hash, "sha512")));
	}
	free(body);
	return 0;
}
