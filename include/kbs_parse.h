/* The pure parsers of the broker's answers, apart from the exchange so they
 * can be tested and fuzzed without a network. Both take hostile bytes. */
#pragma once
#include <stddef.h>
#include "err.h"

/* The auth answer (the challenge): {"nonce": "...", "extra-params": ...}.
 * Copies the nonce (non-empty, fits nonce_size with its NUL) into nonce and
 * points *hash at the static name of the hash the broker selected
 * ("sha384" unless extra-params, an object or a string holding one, names
 * another in selected-hash-algorithm). Returns 0, -EBADMSG for a
 * malformed challenge or -ENOTSUP for a hash we do not support (err says
 * which). */
int kbs_parse_challenge(const char *body, size_t len, char *nonce, size_t nonce_size,
			const char **hash, struct cw_err *err);

#define KBS_TOKEN_MAX (64 * 1024)

struct secret;

/* The attest answer {"token": "<JWT>"}: the token (base64url segments and
 * dots, 1 to KBS_TOKEN_MAX characters) into locked memory, the parsed copy
 * wiped. Returns 0 or -EBADMSG (err says why), -ENOMEM. */
int kbs_parse_token(const char *body, size_t len, struct secret **out, struct cw_err *err);

/* The broker's error body {"type": ".../errors/<Name>", "detail": "..."}:
 * the last segment of type and the detail, as printable ASCII; for a body
 * that is not such an object, its first bytes as the detail. Either may
 * come back "". Sizes include the NUL and must be at least 1. */
void kbs_parse_error(const char *body, size_t len, char *type, size_t type_size, char *detail,
		     size_t detail_size);
