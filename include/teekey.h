/* The ephemeral TEE key of one KBS exchange: a key pair whose public half
 * goes to the broker (bound into the evidence) and whose private half
 * decrypts the resource. It never leaves memory. Three types, chosen by
 * the `tee_key` configuration key. */
#pragma once
#include <stddef.h>
#include <openssl/evp.h>
#include <cjson/cJSON.h>
#include "err.h"

enum teekey_type {
	TEEKEY_EC_P256,   /* "ec-p256", JWE alg ECDH-ES+A256KW (the default) */
	TEEKEY_EC_P521,   /* "ec-p521", JWE alg ECDH-ES+A256KW */
	TEEKEY_RSA_3072,  /* "rsa-3072", JWE alg RSA-OAEP-256 */
};

#define TEEKEY_EC_MAX_COORD 66   /* P-521 coordinates */
#define TEEKEY_RSA_BYTES 384     /* RSA-3072 modulus */

/* What a key is, read off the key itself. */
struct teekey_info {
	enum teekey_type type;
	const char *crv;   /* JWK crv ("P-256", "P-521"), NULL for RSA */
	size_t coord;      /* EC coordinate bytes, 0 for RSA */
	size_t modulus;    /* RSA modulus bytes, 0 for EC */
	const char *alg;   /* the JWE alg the JWK asks for */
};

/* "ec-p256", "ec-p521" or "rsa-3072"; -EINVAL for anything else. */
int teekey_type_parse(const char *name, enum teekey_type *type);

/* Generates a fresh key pair of that type. */
int teekey_generate_type(enum teekey_type type, EVP_PKEY **key, struct cw_err *err);

/* Generates the default type, an EC P-256 key pair. */
int teekey_generate(EVP_PKEY **key, struct cw_err *err);

/* The type, curve and sizes of a key made by teekey_generate*; -EINVAL for
 * any other key. */
int teekey_info(EVP_PKEY *key, struct teekey_info *info);

/* The public JWK, exactly the members the broker keeps:
 * EC  {"kty":"EC","crv":...,"alg":"ECDH-ES+A256KW","x":...,"y":...}
 * RSA {"kty":"RSA","alg":"RSA-OAEP-256","n":...,"e":...}
 * (base64url without padding, big-endian, minimal length for n and e). */
int teekey_jwk(EVP_PKEY *key, cJSON **jwk, struct cw_err *err);

/* Frees the key; OpenSSL clears the private parts on release. NULL is fine. */
void teekey_free(EVP_PKEY *key);

static inline void teekey_freep(EVP_PKEY **k) { teekey_free(*k); *k = NULL; }
#define _cleanup_teekey_ __attribute__((cleanup(teekey_freep)))
