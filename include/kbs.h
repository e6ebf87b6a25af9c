/* The key-broker client: Trustee KBS protocol 0.4.0 (RCAR). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "attest.h"
#include "err.h"
#include "resolve.h"
#include "secret.h"
#include "teekey.h"

struct kbs_request {
	const char *url;         /* http(s)://host[:port] (no trailing path) */
	const char *resource;    /* repo/type/tag */
	const char *ca_file;     /* PEM CA for https, or NULL */
	const struct resolve_conf *resolve; /* a broker host name's address, or NULL */
	const struct evidence_provider *provider;
	uint32_t request_timeout_ms;
	uint32_t attempts;
	uint32_t deadline_ms;
	uint32_t resource_restarts;
	enum teekey_type tee_key;   /* the ephemeral key's type (0: EC P-256) */
	bool allow_rsa1_5;          /* accept RSA1_5 answers for an RSA key */
	const char *init_data;      /* init-data TOML text to send and check, or NULL */
	size_t init_data_len;       /* its length; init_data[init_data_len] is its NUL */
};

/* Why the exchange failed, for the exit code. */
enum kbs_failure {
	KBS_OK = 0,
	KBS_UNREACHABLE,   /* connect/timeout/5xx until the deadline */
	KBS_DENIED,        /* a 401/403/404 answer from the broker */
	KBS_BAD_ANSWER,    /* malformed JSON, JWE failure, wrong algorithm */
	KBS_EVIDENCE,      /* the provider failed, or its evidence lacks the init-data digest */
	KBS_INTERNAL,
};

struct kbs_result {
	enum kbs_failure failure;
	char step[16];       /* auth | attest | resource */
	long http_status;    /* 0 when no HTTP answer */
	char type[128];      /* broker error `type` (last path segment), may be "" */
	char detail[256];    /* broker error `detail`, sanitized, may be "" */
	unsigned requests;   /* HTTP requests made */
};

/* A resource path as KBS accepts it: repo/type/tag, each segment
 * [A-Za-z0-9_-][A-Za-z0-9_.-]*, at most 255 characters in all. */
bool kbs_resource_valid(const char *s);

/* An attested session with the broker: one TEE key (made here, before
 * any request), one connection, one cookie, for every resource fetched in
 * it. No request is made until the first kbs_session_get. The request
 * must outlive the session; its `resource` is not used. */
struct kbs_session;
int kbs_session_new(const struct kbs_request *req, struct kbs_session **out,
		    struct kbs_result *res, struct cw_err *err);

/* One resource in the session: auth and attest first when the session has
 * none yet, or when the broker forgot it (a 401/404 on the resource, up to
 * resource_restarts times) or a transport failure asks for a retry. Each
 * call has its own attempts and deadline. Results as kbs_get_resource. */
int kbs_session_get(struct kbs_session *s, const char *resource, struct secret **out,
		    struct kbs_result *res, struct cw_err *err);

/* The token of the session's last attestation, or NULL when there was none
 * or it was no JWT. */
const struct secret *kbs_session_token(const struct kbs_session *s);

/* Closes the connection, wipes the cookie and token, frees the key. */
void kbs_session_free(struct kbs_session *s);

/* A session for req->resource alone.
 * Runs the whole exchange with retries and the overall deadline. On success
 * *out holds the decrypted resource (binary-safe) in locked memory. On
 * failure returns -errno, fills res and err (one line: URL, step, status,
 * broker's type/detail). */
int kbs_get_resource(const struct kbs_request *req, struct secret **out,
		     struct kbs_result *res, struct cw_err *err);
