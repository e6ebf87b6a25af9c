/* RFC 8785 JSON canonicalization (JCS) of cJSON trees, and the digest that
 * binds TEE evidence to a Trustee KBS exchange. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "err.h"

#define JCS_MAX_DIGEST 64

/* Parses exactly one JSON value that fills s[0..len); s[len] must be NUL.
 * Unlike cJSON_Parse it refuses trailing garbage and embedded NULs.
 * Returns NULL when the text is not that. */
cJSON *json_parse_exact(const char *s, size_t len);

/* Canonical text of v into a malloc'd NUL-terminated string. Numbers must
 * be integers of magnitude at most 2^53-1 (we never need others); strings
 * and member names must be valid UTF-8; member names must be unique.
 * Returns 0, -EINVAL (err says why) or -ENOMEM. */
int jcs_serialize(const cJSON *v, char **out, size_t *len, struct cw_err *err);

/* Digest size of "sha256", "sha384" or "sha512"; -ENOTSUP for other names. */
int jcs_hash_size(const char *hash);

/* hash(JCS(v)) into out; *outlen is the digest size. */
int jcs_digest(const char *hash, const cJSON *v, uint8_t out[JCS_MAX_DIGEST], size_t *outlen,
	       struct cw_err *err);

/* The canonical runtime-data text the broker hashes:
 * {"additional-evidence":"","nonce":<nonce>,"tee-pubkey":<jwk>}. */
int jcs_binding_text(const char *nonce, const cJSON *jwk, char **out, size_t *len,
		     struct cw_err *err);

/* hash(jcs_binding_text(nonce, jwk)): the report_data of the evidence. */
int jcs_binding_digest(const char *hash, const char *nonce, const cJSON *jwk,
		       uint8_t out[JCS_MAX_DIGEST], size_t *outlen, struct cw_err *err);
