/* The init-data document (initdata_digest, initdata_check): the top level
 * is read strictly so that nothing can hide a second `algorithm`.
 * Properties: an accepted document names one of the three hashes, its
 * digest has that hash's size, and the document matches its own digest
 * cut or zero-padded to either TEE field (32 and 48 bytes). */
#include <errno.h>
#include "fuzz.h"
#include "initdata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_err err = { { 0 } };
	uint8_t digest[INITDATA_MAX_DIGEST], field[48];
	const char *alg = NULL;
	size_t dlen = 0;
	int r;

	/* Exactly size bytes, no terminator: the length is the contract. */
	r = initdata_digest((const char *)data, size, digest, &dlen, &alg, &err);
	FUZZ_CHECK(r == 0 || r == -EINVAL);
	fuzz_check_msg(err.msg, sizeof(err.msg));
	if (r < 0)
		return 0;
	FUZZ_CHECK(alg && (!strcmp(alg, "sha256") ? dlen == 32 : !strcmp(alg, "sha384") ? dlen == 48
			   : !strcmp(alg, "sha512") && dlen == 64));
	for (size_t n = 32; n <= 48; n += 16) {
		memset(field, 0, sizeof(field));
		memcpy(field, digest, dlen < n ? dlen : n);
		FUZZ_CHECK(initdata_check((const char *)data, size, field, n, &err) == 0);
		field[0] ^= 1;
		FUZZ_CHECK(initdata_check((const char *)data, size, field, n, &err) == -EPERM);
	}
	return 0;
}
