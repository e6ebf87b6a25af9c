/* Decryption of the KBS resource answer: a JWE (RFC 7516) in flattened
 * JSON form with A256GCM content encryption, to the ephemeral TEE key.
 * The key management algorithm must be the one the TEE key asked for:
 * ECDH-ES+A256KW for an EC key (P-256 or P-521), RSA-OAEP-256 for an RSA
 * key, and RSA1_5 for an RSA key only when the caller allows it. */
#pragma once
#include <stddef.h>
#include <openssl/evp.h>
#include "err.h"
#include "secret.h"

/* The largest plaintext we accept; a disk passphrase is far smaller. */
#define JWE_MAX_PLAINTEXT (256 * 1024)

/* Accept RSA1_5 (RSAES-PKCS1-v1_5) answers for an RSA key, as brokers
 * before RSA-OAEP-256 support send them. Decrypted with implicit rejection:
 * a bad padding yields a random CEK, so it fails exactly like a bad tag. */
#define JWE_ALLOW_RSA1_5 0x1u

/* Decrypts json (len bytes, NUL-terminated) with the private key. On
 * success *out holds the plaintext bytes, unaltered, in locked memory.
 * Returns -ENOTSUP for another algorithm (err names the one received and
 * the one we asked for), -EBADMSG for a malformed or inauthentic JWE,
 * -ENOMEM, or -EIO. */
int jwe_decrypt_flags(EVP_PKEY *key, unsigned flags, const char *json, size_t len,
		      struct secret **out, struct cw_err *err);
