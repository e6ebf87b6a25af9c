/* Ephemeral TEE keys (EC P-256, EC P-521, RSA-3072) and their JWKs. */
#include <errno.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include "base64.h"
#include "teekey.h"

#define RSA_BITS 3072

static const struct teekey_info infos[] = {
	[TEEKEY_EC_P256] = { TEEKEY_EC_P256, "P-256", 32, 0, "ECDH-ES+A256KW" },
	[TEEKEY_EC_P521] = { TEEKEY_EC_P521, "P-521", 66, 0, "ECDH-ES+A256KW" },
	[TEEKEY_RSA_3072] = { TEEKEY_RSA_3072, NULL, 0, TEEKEY_RSA_BYTES, "RSA-OAEP-256" },
};

int teekey_type_parse(const char *name, enum teekey_type *type)
{
	static const char *const names[] = {
		[TEEKEY_EC_P256] = "ec-p256",
		[TEEKEY_EC_P521] = "ec-p521",
		[TEEKEY_RSA_3072] = "rsa-3072",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (name && strcmp(name, names[i]) == 0) {
			*type = (enum teekey_type)i;
			return 0;
		}
	return -EINVAL;
}

int teekey_generate_type(enum teekey_type type, EVP_PKEY **key, struct cw_err *err)
{
	EVP_PKEY *k = NULL;

	switch (type) {
	case TEEKEY_EC_P256:
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		break;
	case TEEKEY_EC_P521:
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
		break;
	case TEEKEY_RSA_3072:
		/* The public exponent is OpenSSL's default, 65537. */
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)RSA_BITS);
		break;
	}
	if (!k) {
		char why[128];
		ERR_error_string_n(ERR_peek_last_error(), why, sizeof(why));
		ERR_clear_error();
		return cw_err_set(err, EIO, "generating the TEE key failed: %s", why);
	}
	*key = k;
	return 0;
}

int teekey_generate(EVP_PKEY **key, struct cw_err *err)
{
	return teekey_generate_type(TEEKEY_EC_P256, key, err);
}

int teekey_info(EVP_PKEY *key, struct teekey_info *info)
{
	char group[64];
	int nid;

	if (!key)
		return -EINVAL;
	if (EVP_PKEY_is_a(key, "RSA")) {
		if (EVP_PKEY_get_bits(key) != RSA_BITS)
			return -EINVAL;
		*info = infos[TEEKEY_RSA_3072];
		return 0;
	}
	if (!EVP_PKEY_is_a(key, "EC") ||
	    !EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
					    NULL)) {
		ERR_clear_error();
		return -EINVAL;
	}
	nid = OBJ_txt2nid(group);
	if (nid == NID_undef)
		nid = EC_curve_nist2nid(group);
	ERR_clear_error();
	if (nid == NID_X9_62_prime256v1)
		*info = infos[TEEKEY_EC_P256];
	else if (nid == NID_secp521r1)
		*info = infos[TEEKEY_EC_P521];
	else
		return -EINVAL;
	return 0;
}

/* base64url of a big number, big-endian in its minimal length. */
static int bn_member(EVP_PKEY *key, const char *param, char *out, size_t outsz)
{
	uint8_t raw[TEEKEY_RSA_BYTES];
	BIGNUM *bn = NULL;
	int n, r = -EIO;

	if (EVP_PKEY_get_bn_param(key, param, &bn) && (n = BN_num_bytes(bn)) > 0 &&
	    (size_t)n <= sizeof(raw) && BN_bn2bin(bn, raw) == n &&
	    base64_encode(raw, (size_t)n, BASE64_URL, out, outsz) > 0)
		r = 0;
	BN_free(bn);
	ERR_clear_error();
	return r;
}

static int ec_jwk(EVP_PKEY *key, const struct teekey_info *info, cJSON **out,
		  struct cw_err *err)
{
	/* The uncompressed point: 0x04 || x || y. */
	uint8_t pt[1 + 2 * TEEKEY_EC_MAX_COORD];
	char x[96], y[96];
	size_t len = 0;
	cJSON *o;

	if (!EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt,
					     sizeof(pt), &len) ||
	    len != 1 + 2 * info->coord || pt[0] != 0x04) {
		ERR_clear_error();
		return cw_err_set(err, EIO, "the TEE key is not an uncompressed %s point", info->crv);
	}
	if (base64_encode(pt + 1, info->coord, BASE64_URL, x, sizeof(x)) < 0 ||
	    base64_encode(pt + 1 + info->coord, info->coord, BASE64_URL, y, sizeof(y)) < 0)
		return cw_err_set(err, EIO, "encoding the TEE key failed");
	o = cJSON_CreateObject();
	if (!o || !cJSON_AddStringToObject(o, "kty", "EC") ||
	    !cJSON_AddStringToObject(o, "crv", info->crv) ||
	    !cJSON_AddStringToObject(o, "alg", info->alg) ||
	    !cJSON_AddStringToObject(o, "x", x) || !cJSON_AddStringToObject(o, "y", y)) {
		cJSON_Delete(o);
		return cw_err_set(err, ENOMEM, "out of memory building the TEE JWK");
	}
	*out = o;
	return 0;
}

static int rsa_jwk(EVP_PKEY *key, const struct teekey_info *info, cJSON **out,
		   struct cw_err *err)
{
	char n[520], e[16];
	cJSON *o;

	if (bn_member(key, OSSL_PKEY_PARAM_RSA_N, n, sizeof(n)) ||
	    bn_member(key, OSSL_PKEY_PARAM_RSA_E, e, sizeof(e)))
		return cw_err_set(err, EIO, "reading the RSA TEE key's modulus and exponent failed");
	o = cJSON_CreateObject();
	if (!o || !cJSON_AddStringToObject(o, "kty", "RSA") ||
	    !cJSON_AddStringToObject(o, "alg", info->alg) ||
	    !cJSON_AddStringToObject(o, "n", n) || !cJSON_AddStringToObject(o, "e", e)) {
		cJSON_Delete(o);
		return cw_err_set(err, ENOMEM, "out of memory building the TEE JWK");
	}
	*out = o;
	return 0;
}

int teekey_jwk(EVP_PKEY *key, cJSON **jwk, struct cw_err *err)
{
	struct teekey_info info;

	if (teekey_info(key, &info))
		return cw_err_set(err, EINVAL, "the TEE key is of an unsupported type");
	return info.crv ? ec_jwk(key, &info, jwk, err) : rsa_jwk(key, &info, jwk, err);
}

void teekey_free(EVP_PKEY *key)
{
	EVP_PKEY_free(key);
}
