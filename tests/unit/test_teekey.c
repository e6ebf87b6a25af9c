/* The three TEE key types: names, generation, what teekey_info reads off
 * each key, and the JWK the broker gets (exactly its members, their sizes,
 * and the canonical order JCS gives them in the binding). */
#include <errno.h>
#include <string.h>
#include "base64.h"
#include "check.h"
#include "jcs.h"
#include "teekey.h"

static const char *member(const cJSON *o, const char *name)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));
}

/* base64url member name decodes to exactly want bytes; returns the first. */
static int decoded(const cJSON *jwk, const char *name, size_t want)
{
	const char *s = member(jwk, name);
	uint8_t raw[512];
	size_t n = 0;

	CHECK(s != NULL);
	if (!s)
		return -1;
	CHECK_INT(base64_decode(s, strlen(s), BASE64_URL, raw, sizeof(raw), &n), 0);
	CHECK_INT(n, want);
	return raw[0];
}

static void test_names(void)
{
	enum teekey_type t = TEEKEY_RSA_3072;

	CHECK_INT(teekey_type_parse("ec-p256", &t), 0);
	CHECK_INT(t, TEEKEY_EC_P256);
	CHECK_INT(teekey_type_parse("ec-p521", &t), 0);
	CHECK_INT(t, TEEKEY_EC_P521);
	CHECK_INT(teekey_type_parse("rsa-3072", &t), 0);
	CHECK_INT(t, TEEKEY_RSA_3072);
	CHECK_INT(teekey_type_parse("ec-p384", &t), -EINVAL);
	CHECK_INT(teekey_type_parse("rsa-2048", &t), -EINVAL);
	CHECK_INT(teekey_type_parse("EC-P256", &t), -EINVAL);
	CHECK_INT(teekey_type_parse("", &t), -EINVAL);
	CHECK_INT(teekey_type_parse(NULL, &t), -EINVAL);
}

static void test_ec(enum teekey_type type, const char *crv, size_t coord)
{
	struct cw_err err;
	struct teekey_info info;
	EVP_PKEY *key = NULL;
	cJSON *jwk = NULL;
	char *text = NULL, want[600];
	size_t len = 0;

	CHECK_INT(teekey_generate_type(type, &key, &err), 0);
	CHECK_INT(teekey_info(key, &info), 0);
	CHECK_INT(info.type, type);
	CHECK_STR(info.crv, crv);
	CHECK_INT(info.coord, coord);
	CHECK_INT(info.modulus, 0);
	CHECK_STR(info.alg, "ECDH-ES+A256KW");
	CHECK_INT(teekey_jwk(key, &jwk, &err), 0);
	CHECK_INT(cJSON_GetArraySize(jwk), 5);
	CHECK_STR(member(jwk, "kty"), "EC");
	CHECK_STR(member(jwk, "crv"), crv);
	CHECK_STR(member(jwk, "alg"), "ECDH-ES+A256KW");
	decoded(jwk, "x", coord);
	decoded(jwk, "y", coord);
	snprintf(want, sizeof(want),
		 "{\"additional-evidence\":\"\",\"nonce\":\"n\",\"tee-pubkey\":{\"alg\":\"ECDH-ES+A256KW\","
		 "\"crv\":\"%s\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}}",
		 crv, member(jwk, "x"), member(jwk, "y"));
	CHECK_INT(jcs_binding_text("n", jwk, &text, &len, &err), 0);
	CHECK_STR(text, want);
	free(text);
	cJSON_Delete(jwk);
	teekey_free(key);
}

static void test_rsa(void)
{
	struct cw_err err;
	struct teekey_info info;
	EVP_PKEY *key = NULL, *other = NULL;
	cJSON *jwk = NULL, *jwk2 = NULL;
	char *text = NULL, want[900];
	size_t len = 0;

	CHECK_INT(teekey_generate_type(TEEKEY_RSA_3072, &key, &err), 0);
	CHECK_INT(teekey_info(key, &info), 0);
	CHECK_INT(info.type, TEEKEY_RSA_3072);
	CHECK(info.crv == NULL);
	CHECK_INT(info.modulus, 384);
	CHECK_STR(info.alg, "RSA-OAEP-256");
	CHECK_INT(teekey_jwk(key, &jwk, &err), 0);
	/* Exactly kty, alg, n, e: anything else breaks the broker's hash. */
	CHECK_INT(cJSON_GetArraySize(jwk), 4);
	CHECK_STR(member(jwk, "kty"), "RSA");
	CHECK_STR(member(jwk, "alg"), "RSA-OAEP-256");
	CHECK_STR(member(jwk, "e"), "AQAB");
	/* A 3072-bit modulus fills 384 bytes, top bit set: no leading zero. */
	CHECK(decoded(jwk, "n", 384) >= 0x80);
	snprintf(want, sizeof(want),
		 "{\"additional-evidence\":\"\",\"nonce\":\"n\",\"tee-pubkey\":{\"alg\":\"RSA-OAEP-256\","
		 "\"e\":\"AQAB\",\"kty\":\"RSA\",\"n\":\"%s\"}}", member(jwk, "n"));
	CHECK_INT(jcs_binding_text("n", jwk, &text, &len, &err), 0);
	CHECK_STR(text, want);
	free(text);

	/* Each exchange gets a fresh key. */
	CHECK_INT(teekey_generate_type(TEEKEY_RSA_3072, &other, &err), 0);
	CHECK_INT(teekey_jwk(other, &jwk2, &err), 0);
	CHECK(strcmp(member(jwk, "n"), member(jwk2, "n")) != 0);
	cJSON_Delete(jwk);
	cJSON_Delete(jwk2);
	teekey_free(key);
	teekey_free(other);
}

static void test_foreign_keys(void)
{
	struct cw_err err;
	struct teekey_info info;
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	cJSON *jwk = NULL;

	CHECK_INT(teekey_info(k, &info), -EINVAL);
	CHECK_INT(teekey_jwk(k, &jwk, &err), -EINVAL);
	CHECK(jwk == NULL);
	EVP_PKEY_free(k);
	k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	CHECK_INT(teekey_info(k, &info), -EINVAL);
	EVP_PKEY_free(k);
	CHECK_INT(teekey_info(NULL, &info), -EINVAL);
}

int main(void)
{
	test_names();
	test_ec(TEEKEY_EC_P256, "P-256", 32);
	test_ec(TEEKEY_EC_P521, "P-521", 66);
	test_rsa();
	test_foreign_keys();
	return check_finish("test_teekey");
}
