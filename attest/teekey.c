/* Ephemeral EC P-256 key and its JWK. */
#include <errno.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include "base64.h"
#include "teekey.h"

#define P256_COORD 32

int teekey_generate(EVP_PKEY **key, struct cw_err *err)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	if (!k) {
		unsigned long e = ERR_peek_last_error();
		char why[128];
		ERR_error_string_n(e, why, sizeof(why));
		ERR_clear_error();
		return cw_err_set(err, EIO, "generating the P-256 TEE key failed: %s", why);
	}
	*key = k;
	return 0;
}

int teekey_jwk(EVP_PKEY *key, cJSON **jwk, struct cw_err *err)
{
	/* The uncompressed point: 0x04 || x || y. */
	unsigned char pt[1 + 2 * P256_COORD];
	char x[64], y[64];
	size_t len = 0;
	cJSON *o;

	if (!EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt,
					     sizeof(pt), &len) ||
	    len != sizeof(pt) || pt[0] != 0x04) {
		ERR_clear_error();
		return cw_err_set(err, EIO, "the TEE key is not an uncompressed P-256 point");
	}
	if (base64_encode(pt + 1, P256_COORD, BASE64_URL, x, sizeof(x)) < 0 ||
	    base64_encode(pt + 1 + P256_COORD, P256_COORD, BASE64_URL, y, sizeof(y)) < 0)
		return cw_err_set(err, EIO, "encoding the TEE key failed");

	o = cJSON_CreateObject();
	if (!o || !cJSON_AddStringToObject(o, "kty", "EC") ||
	    !cJSON_AddStringToObject(o, "crv", "P-256") ||
	    !cJSON_AddStringToObject(o, "alg", "ECDH-ES+A256KW") ||
	    !cJSON_AddStringToObject(o, "x", x) || !cJSON_AddStringToObject(o, "y", y)) {
		cJSON_Delete(o);
		return cw_err_set(err, ENOMEM, "out of memory building the TEE JWK");
	}
	*jwk = o;
	return 0;
}

void teekey_free(EVP_PKEY *key)
{
	EVP_PKEY_free(key);
}
