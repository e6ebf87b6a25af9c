/* What every key-broker dialect shares (Trustee KBS in kbs.c, reference-kbs
 * in refkbs.c): one HTTP client, the overall deadline and per-request
 * timeouts, the classification of answers, and the attempt loop.
 *
 * Policy: transport failures, timeouts, 408/429 and 5xx are retried with
 * backoff (500 ms doubling to 8 s, minus up to a quarter at random) while
 * attempts and the deadline last; a 401/404 at the dialect's last step
 * starts a new session at once, a bounded number of times (the broker may
 * have lost the session, e.g. behind a load balancer); other refusals and
 * anything malformed are final. Every failure line names the step, the URL,
 * the HTTP status and the broker's own explanation. */
#pragma once
#include <stdint.h>
#include "err.h"
#include "http.h"
#include "kbs.h"
#include "resolve.h"

#define BROKER_MAX_URL 400

enum broker_verdict { BV_OK, BV_RETRY, BV_FINAL, BV_RESTART };

struct broker_policy {
	const char *url;           /* http(s)://host[:port][/prefix], no query */
	const char *ca_file;       /* PEM CA for https, or NULL */
	const char *cookie_name;   /* the broker's session cookie */
	const char *restart_step;  /* the step whose 401/404 starts a new session */
	const struct resolve_conf *resolve; /* how to find a broker host given by name, or NULL */
	uint32_t request_timeout_ms;
	uint32_t attempts;
	uint32_t deadline_ms;
	uint32_t restarts;
};

struct broker {
	const struct broker_policy *policy;
	struct kbs_result *res;
	struct http_client *http;
	char base[BROKER_MAX_URL + 1]; /* the URL without trailing slashes */
	char host[RESOLVE_NAME_MAX + 1];/* its host, when a name still to resolve */
	unsigned port;
	uint64_t deadline;             /* CLOCK_MONOTONIC ms */
	unsigned restarts_left, restarts;
	int rc;                        /* -errno of the last failure */
};

/* Checks the policy (URL form, https needs a CA file, positive limits, a
 * host name that the resolve configuration can answer), warns once about
 * plain HTTP, starts the deadline and the HTTP client. A host name is looked
 * up before the first request; a failed lookup is a transport failure,
 * retried like one.
 * res is reset and then filled as the exchange goes. */
int broker_open(struct broker *b, const struct broker_policy *p, struct kbs_result *res,
		struct cw_err *err);

void broker_close(struct broker *b);

/* Starts another exchange on an open broker (its connection kept): res
 * reset, a new deadline, the session restarts again. */
void broker_begin(struct broker *b, struct kbs_result *res);

/* Records a failure of step at path (path may be ""): its class, HTTP
 * status and errno, prefixes err with "<step> <url>", returns v. */
enum broker_verdict broker_fail(struct broker *b, const char *step, const char *path,
				enum kbs_failure f, long status, int rc, enum broker_verdict v,
				struct cw_err *err);

/* One request (POST json, or GET when json is NULL) to base + path within
 * the deadline. BV_OK only for a 200 answer (resp filled; clear it with
 * http_response_clear); otherwise the failure is classified and recorded. */
enum broker_verdict broker_request(struct broker *b, const char *step, const char *path,
				   const char *json, const char *cookie,
				   struct http_response *resp, struct cw_err *err);

/* The auth step both dialects share: POSTs json (NULL means it could not
 * be made: out of memory) to base + path, keeps the session cookie named
 * by the policy in cookie and parses the Trustee-shaped challenge into
 * nonce and *hash (see kbs_parse_challenge). An answer without the cookie
 * or with a malformed challenge is a final KBS_BAD_ANSWER. */
enum broker_verdict broker_auth(struct broker *b, const char *path, const char *json,
				char cookie[HTTP_MAX_COOKIE + 1], char *nonce, size_t nonce_size,
				const char **hash, struct cw_err *err);

/* Runs session (one whole broker session, its result in ctx) until it
 * succeeds or fails for good: BV_RESTART runs it again at once,
 * BV_RETRY after a backoff while attempts and the deadline last.
 * Returns 0, or -errno with err ending in "(attempt N of M[, session
 * restarts: R])". log_name prefixes the retry lines. */
int broker_run(struct broker *b, const char *log_name,
	       enum broker_verdict (*session)(struct broker *b, void *ctx, struct cw_err *err),
	       void *ctx, struct cw_err *err);
