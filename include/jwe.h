/* Decryption of the KBS resource answer: a JWE (RFC 7516) in flattened
 * JSON form, ECDH-ES+A256KW key agreement on P-256 and A256GCM content
 * encryption, to the ephemeral TEE key. Nothing else is accepted. */
#pragma once
#include <stddef.h>
#include <openssl/evp.h>
#include "err.h"
#include "secret.h"

/* The largest plaintext we accept; a disk passphrase is far smaller. */
#define JWE_MAX_PLAINTEXT (256 * 1024)

/* Decrypts json (len bytes, NUL-terminated) with the private key. On
 * success *out holds the plaintext bytes, unaltered, in locked memory.
 * Returns -ENOTSUP for another algorithm (err names the one received),
 * -EBADMSG for a malformed or inauthentic JWE, -ENOMEM, or -EIO. */
int jwe_decrypt(EVP_PKEY *key, const char *json, size_t len, struct secret **out,
		struct cw_err *err);
