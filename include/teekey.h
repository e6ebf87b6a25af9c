/* The ephemeral TEE key of one KBS exchange: an EC P-256 key pair whose
 * public half goes to the broker (bound into the evidence) and whose
 * private half decrypts the resource. It never leaves memory. */
#pragma once
#include <openssl/evp.h>
#include <cjson/cJSON.h>
#include "err.h"

/* Generates a fresh P-256 key pair. */
int teekey_generate(EVP_PKEY **key, struct cw_err *err);

/* The public JWK, exactly the members the broker keeps:
 * {"kty":"EC","crv":"P-256","alg":"ECDH-ES+A256KW","x":...,"y":...}. */
int teekey_jwk(EVP_PKEY *key, cJSON **jwk, struct cw_err *err);

/* Frees the key; OpenSSL clears the private scalar on release. NULL is fine. */
void teekey_free(EVP_PKEY *key);

static inline void teekey_freep(EVP_PKEY **k) { teekey_free(*k); *k = NULL; }
#define _cleanup_teekey_ __attribute__((cleanup(teekey_freep)))
