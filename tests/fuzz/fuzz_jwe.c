/* The broker's resource answer (jwe_decrypt), decrypted with a fixed test
 * P-256 key, the one the seeds in corpus/jwe/ are encrypted to (made with
 * python-jwcrypto, ECDH-ES+A256KW and A256GCM, as in tests/unit/test_jwe.c).
 * A mutated answer must be refused with a documented error; only the
 * untouched seeds decrypt. */
#include <errno.h>
#include <openssl/pem.h>
#include "fuzz.h"
#include "jwe.h"

/* A throwaway key made for these tests; it protects nothing. */
static const char test_key_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgik9EfdCgwZzBkFdN\n"
	"061VjrKovXKoBMsiMqf7QgzmwnyhRANCAAQztdlLEFZPevaxxBP5kQL9OSmVMBRt\n"
	"dDhzpOspTqQjHbuUT+784WqiNnLgAwRJKIpVRQEYQnO2G2f0n0eCXYdJ\n"
	"-----END PRIVATE KEY-----\n";

static EVP_PKEY *key;

static void free_key(void) { EVP_PKEY_free(key); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *json = fuzz_cstr(data, size);
	struct secret *pt = NULL;
	struct cw_err err = { { 0 } };
	int r;

	if (!key) {
		BIO *b = BIO_new_mem_buf(test_key_pem, -1);
		key = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
		BIO_free(b);
		if (!key)
			abort();
		atexit(free_key);
	}
	r = jwe_decrypt(key, json, size, &pt, &err);
	FUZZ_CHECK(r == 0 || r == -EBADMSG || r == -ENOTSUP);
	fuzz_check_msg(err.msg, sizeof(err.msg));
	FUZZ_CHECK((r == 0) == (pt != NULL));
	if (pt)
		FUZZ_CHECK(pt->len <= JWE_MAX_PLAINTEXT && pt->len <= pt->cap);
	secret_free(pt);
	free(json);
	return 0;
}
