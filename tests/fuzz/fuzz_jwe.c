/* The broker's resource answer (jwe_decrypt_flags), tried with a fixed test
 * key of each TEE key type: EC P-256 and P-521 (ECDH-ES+A256KW) and
 * RSA-3072 (RSA-OAEP-256, and RSA1_5 as allowed by allow_rsa1_5). The
 * seeds in corpus/jwe/ are encrypted to these keys with python-jwcrypto,
 * as in tests/unit/test_jwe.c. A mutated answer must be refused with a
 * documented error; only the untouched seeds decrypt, each with one key. */
#include <errno.h>
#include <openssl/pem.h>
#include "fuzz.h"
#include "jwe.h"

/* Throwaway keys made for these tests; they protect nothing. */
static const char p256_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgik9EfdCgwZzBkFdN\n"
	"061VjrKovXKoBMsiMqf7QgzmwnyhRANCAAQztdlLEFZPevaxxBP5kQL9OSmVMBRt\n"
	"dDhzpOspTqQjHbuUT+784WqiNnLgAwRJKIpVRQEYQnO2G2f0n0eCXYdJ\n"
	"-----END PRIVATE KEY-----\n";

static const char p521_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIHuAgEAMBAGByqGSM49AgEGBSuBBAAjBIHWMIHTAgEBBEIAO6wk2gQFrNhHvWXj\n"
	"9Cg4+WyNh3KOkMuuF/FCUR9K2zpfAqwj5GZAK5TTQv/aAAZJ51rR+AvWprp8UIsM\n"
	"Z0qe8nmhgYkDgYYABADYjXIuciUmodW6BimVvlsbjWsxEjQrd9st8VQraTIFQxRc\n"
	"Eaw3qUHrj4bX290JAb6DiLtLoup6CJrrwdGOd4Yr0QBnnSW0y1CPkSFJxg3jy9LW\n"
	"qcYkfhaSUqzjegTEXV5TPLLhN5ncFz0Sc/0K0SrQzmwLVWX6R3ZdMz0pO0y0O4X9\n"
	"Rw==\n"
	"-----END PRIVATE KEY-----\n";

static const char rsa3072_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIIG/QIBADANBgkqhkiG9w0BAQEFAASCBucwggbjAgEAAoIBgQDMugNYKi+qTLZU\n"
	"6uZ9zh/S6PBWly93sHIZ55ASt77Pr9xvXauIdoKQb55p+6CoVD8S+wyj81Ai+u6B\n"
	"/U+86/uW0sMjRiQi5M3OmZvUzxXcwirYp/o0gHCpTuAVVs6L1FCClFkWd+z9ehSO\n"
	"h88SF89SrByOVpM1MdOZo+k2UX2IFsMY5MdiG+AQMDE7wCtVD6zrvxSBQvOg6CWV\n"
	"EYD6puaiv57KykrFqHIkz42p4SSUwxSc85FnK9lb3Wf+XNeWKUEPwUEy3sfaURqF\n"
	"xqEUxs8IpFWUUBztmp1jynCFILWV5PDfq1trnzao8P02tIv42WKXEdMCLLxEs2Pc\n"
	"MThOOQ85RehJBc9zm+PqroxDasJnKffxSLqmDMbsV4Os+f9i35aoi8RNPJeCIehh\n"
	"mE12M7HdMSDbmHDN8ftQ3/UuMHKEl3kc4npJ/k12fI4Hkj1DtxJCNDV43C9L5qoj\n"
	"HgZfE3bKFARXPrN4Q6t9ZiZiYEooGY2OJkX42FnZpaZ9cKcJF/MCAwEAAQKCAYAK\n"
	"a2czLAZ8BOZ8wO3VNlHxUpC034H3dgAAqIPxJ+/qsxklg99wlROFFWE7JKbjGlKR\n"
	"fTyB9aa8+Qd9jy5pP5tw7C4pU+8P5ZRB8Rh4xsdmkm1K1JXL6UOSomSOQXpGrJoi\n"
	"Yzl7hsQFjJqSPIBB+/s9ymuzpN1eJjiOR8TdUl1wuTPZxv8M071eJY3D7D5oWGFl\n"
	"KDb7czRiGp6bDSaC206+tsD2skAG+lFA5V1g6YgKmDkq2cyrMxSfc8/QptoEFvpU\n"
	"6WqRHhbExTY5yJF9znDEp62nQ+D1SbymHQCwNSax0tu7EiNA0cE38qO5DKE+dMF5\n"
	"i9GU9CnfsmVazGTTNATmqsIBbY3vrmk+SkHA2aoNngL0NeA4/Zv8LXMmjqpTOnZ/\n"
	"Jg+CmbBYbmmVeQbe43BtWt1EG/LXIDOVZZ0tpaW0fn1DhmN2pdJN8jey4F5FQYcr\n"
	"v1Em2SZswQiOnQyvIplTiN0yChZkQT9wJJGxgl2Sl767OkjTJl/4J0gRYYgW3EUC\n"
	"gcEA7MLIjCOqhVh90AVxASpNMoxm+5hwAAt0O9uCOrAxt3gdQ8I1GcQHBjLOGeS5\n"
	"+XGLeedD268fIcvJ9rprWaS+WEypzaFXR+4TaD5sqLstESR3UmnK9v4tgpWLs4M7\n"
	"TBkbdv+mJslxlHpyIU6bxbCKt0S+MQ+hVI07+l64trFJbDLixlE/xMbXiwoY6IpR\n"
	"uOY7WaLg7rJhiSYOL9sJ4xXvPY2uBXWmv1Z6q8kk4/S6PxnBVHjjoU/sfRFIbBWW\n"
	"8KpnAoHBAN1c1lJ8V3seEQZvUA16AJTvznFNyBWvP0WCRJSEBGOLSs6w58WObty9\n"
	"DtztuvdO+oLMm3KlddnbM7oemvH7WE8ssRgSvbApT6tE3xZp0yzNPTeKNZM1qryT\n"
	"eKU+q7DKaqU0knPgGV7XPNnRZnsb3IZCwiUz95IG8VVC/G/pbrJgicACoLXatjc8\n"
	"c+LQubjN94tk3H1mTN3FiSKbuZUaso6e6v3qBOfs3m+aVQfCjVecMIov2vWzF1KV\n"
	"Mdjl+5yGlQKBwFcHOmSY76NYZdbDSUieXgYIqgotfG3nx/AAvhwIjB3enxM7Hf28\n"
	"msBiiHPoKZxRam2C3uSvuIfZuwFggPlQn08hzwDxH34nOycEWziipOw6NUor7Rlh\n"
	"USVBBzsTMAbG69uQGWkEfyWO5MjtdkDypeq78BVko27LA5MCom81N8H36nfvgbs5\n"
	"RB2ttn4z6dpHduV6A6h6FXQucuSQZU/9zhUYMTF8j7ChfzIKG+9XE+cB9piwXyv6\n"
	"jvliEvb38KXCXQKBwQCvP0w9yUrIoakA2ycZRDkpsCBT+ywoXrFMqjD5EvsWg7QZ\n"
	"plwXPwftoY8ewOZ/2/rfinSWcv+2FaAB/TDV2hKzu8IIOO4LhOkZwlCLQgR5N5L7\n"
	"YWPAw4AEAwxEZjUupVGAsPow2n27Y9M87lafqBMSB9AD+/xHk0+EHKAVSUzl0x+6\n"
	"71mkHx6a5DUqn+worocHyDX24QKBoF1NFNP7g0NRPeb0VkzD//apjBk9J30WmwSi\n"
	"ofhLBBm2u37XJFvqM3ECgcBtCgzA7rvyvqsvGff+dGaL0wwzgN+1vaDhfOYSp2aC\n"
	"iazp/GX+6k2CBT8XLF7/tnY1ZcCX02zOB/WFb+p3hmB/U+wgdbm/IMBOvSgog+y2\n"
	"ZV1WrHmI7m7BdHEtkH4DPiGCUXR3n/qYjxzlp8TNTUMnRl/Y2rcBP7SYpRHUldjx\n"
	"ZhsnhLCHkGWW0xbxmUbGP6KRlRp5IEI6rV8FcsDoVVX5EniXK8d5x7ly+o3O5s4r\n"
	"jzPw+LNRod+ImBK57Ini+ho=\n"
	"-----END PRIVATE KEY-----\n";

static EVP_PKEY *keys[3];

static void free_keys(void)
{
	for (size_t i = 0; i < 3; i++)
		EVP_PKEY_free(keys[i]);
}

static void load_keys(void)
{
	const char *pem[3] = { p256_pem, p521_pem, rsa3072_pem };

	for (size_t i = 0; i < 3; i++) {
		BIO *b = BIO_new_mem_buf(pem[i], -1);
		keys[i] = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
		BIO_free(b);
		if (!keys[i])
			abort();
	}
	atexit(free_keys);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *json = fuzz_cstr(data, size);
	unsigned opened = 0;

	if (!keys[0])
		load_keys();
	for (size_t i = 0; i < 3; i++) {
		struct secret *pt = NULL;
		struct cw_err err = { { 0 } };
		int r = jwe_decrypt_flags(keys[i], i == 2 ? JWE_ALLOW_RSA1_5 : 0, json, size, &pt,
					  &err);

		FUZZ_CHECK(r == 0 || r == -EBADMSG || r == -ENOTSUP);
		fuzz_check_msg(err.msg, sizeof(err.msg));
		FUZZ_CHECK((r == 0) == (pt != NULL));
		if (pt)
			FUZZ_CHECK(pt->len <= JWE_MAX_PLAINTEXT && pt->len <= pt->cap);
		opened += r == 0;
		secret_free(pt);
	}
	/* The alg must be the one our key asked for: no answer suits two keys. */
	FUZZ_CHECK(opened <= 1);
	free(json);
	return 0;
}
