/* The Trustee KBS 0.4.0 exchange (auth, attest, resource) with retries.
 *
 * Policy: transport failures, timeouts, 408/429 and 5xx are retried with
 * backoff while attempts and the deadline last; a refusal at auth or attest
 * is final; a 401/404 on the resource starts over from auth a bounded
 * number of times (the broker may have lost the session, e.g. behind a
 * load balancer); anything malformed is final. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>
#include "http.h"
#include "jcs.h"
#include "jwe.h"
#include "kbs.h"
#include "kbs_parse.h"
#include "log.h"
#include "teekey.h"
#include "util.h"

#define KBS_PREFIX "/kbs/v0"
#define KBS_COOKIE "kbs-session-id"
#define MAX_NONCE 1024
#define MAX_URL 400
#define BACKOFF_FIRST_MS 500u
#define BACKOFF_MAX_MS 8000u

enum verdict { V_OK, V_RETRY, V_FINAL, V_RESTART };

struct exchange {
	const struct kbs_request *req;
	struct kbs_result *res;
	struct http_client *http;
	char base[MAX_URL + 1];
	uint64_t deadline;
	unsigned restarts_left;
	unsigned restarts;
	int rc; /* errno of the last failure */
};

static void read_error_body(struct kbs_result *res, const struct http_response *resp)
{
	kbs_parse_error(resp->body, resp->len, res->type, sizeof(res->type), res->detail,
			sizeof(res->detail));
}

/* Records a failure of step at path: class, status and err's one line. */
static enum verdict fail(struct exchange *x, const char *step, const char *path,
			 enum kbs_failure f, long status, int rc, enum verdict v,
			 struct cw_err *err)
{
	struct kbs_result *res = x->res;

	res->failure = f;
	strscpy(res->step, step, sizeof(res->step));
	res->http_status = status;
	x->rc = rc < 0 ? rc : -rc;
	cw_err_prefix(err, rc, "%s %s%s", step, x->base, path);
	return v;
}

/* Classifies an answer other than 200, or a transport failure (rc < 0). */
static enum verdict judge(struct exchange *x, const char *step, const char *path, int rc,
			  const struct http_response *resp, struct cw_err *err)
{
	long s = resp->status;

	if (rc < 0) {
		switch (rc) {
		case -EFBIG:
			return fail(x, step, path, KBS_BAD_ANSWER, 0, rc, V_FINAL, err);
		case -ENOMEM:
			return fail(x, step, path, KBS_INTERNAL, 0, rc, V_FINAL, err);
		case -EKEYREJECTED:
		case -EINVAL:
			return fail(x, step, path, KBS_UNREACHABLE, 0, rc, V_FINAL, err);
		default:
			return fail(x, step, path, KBS_UNREACHABLE, 0, rc, V_RETRY, err);
		}
	}
	read_error_body(x->res, resp);
	if (x->res->type[0] || x->res->detail[0])
		cw_err_set(err, EIO, "HTTP %ld %s%s%s", s, x->res->type,
			   x->res->type[0] && x->res->detail[0] ? ": " : "", x->res->detail);
	else
		cw_err_set(err, EIO, "HTTP %ld", s);
	if (s == 408 || s == 429 || (s >= 500 && s <= 599))
		return fail(x, step, path, KBS_UNREACHABLE, s, EAGAIN, V_RETRY, err);
	if ((s == 401 || s == 404) && strcmp(step, "resource") == 0 && x->restarts_left) {
		x->restarts_left--;
		x->restarts++;
		return fail(x, step, path, KBS_DENIED, s, EACCES, V_RESTART, err);
	}
	if (s >= 400 && s <= 499)
		return fail(x, step, path, KBS_DENIED, s, EACCES, V_FINAL, err);
	cw_err_set(err, EBADMSG, "unexpected HTTP %ld", s);
	return fail(x, step, path, KBS_BAD_ANSWER, s, EBADMSG, V_FINAL, err);
}

/* One HTTP request within the deadline; V_OK only for a 200 answer. */
static enum verdict request(struct exchange *x, const char *step, const char *path,
			    const char *json, const char *cookie, struct http_response *resp,
			    struct cw_err *err)
{
	char url[MAX_URL + 256];
	uint64_t now = monotonic_ms();
	uint32_t timeout = x->req->request_timeout_ms;
	int rc;

	memset(resp, 0, sizeof(*resp));
	if (now >= x->deadline) {
		cw_err_set(err, ETIMEDOUT, "deadline of %u ms reached", x->req->deadline_ms);
		return fail(x, step, path, KBS_UNREACHABLE, 0, ETIMEDOUT, V_FINAL, err);
	}
	if (x->deadline - now < timeout)
		timeout = (uint32_t)(x->deadline - now);
	snprintf(url, sizeof(url), "%s%s", x->base, path);
	x->res->requests++;
	rc = http_request(x->http, url, json, cookie, timeout, resp, err);
	if (rc == 0 && resp->status == 200)
		return V_OK;
	return judge(x, step, path, rc, resp, err);
}

static char *auth_body(const char *tee)
{
	cJSON *o = cJSON_CreateObject(), *extra, *algs;
	char *s = NULL;

	if (o && cJSON_AddStringToObject(o, "version", "0.4.0") &&
	    cJSON_AddStringToObject(o, "tee", tee) &&
	    (extra = cJSON_AddObjectToObject(o, "extra-params")) &&
	    (algs = cJSON_AddArrayToObject(extra, "supported-hash-algorithms")) &&
	    cJSON_AddItemToArray(algs, cJSON_CreateString("sha384")) &&
	    cJSON_AddItemToArray(algs, cJSON_CreateString("sha512")))
		s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

/* The attestation body; the evidence is spliced in as raw JSON text so its
 * 64-bit integers never pass through a double. */
static char *attest_body(const char *nonce, const cJSON *jwk, const char *evidence)
{
	cJSON *o = cJSON_CreateObject(), *rt, *ev, *key = cJSON_Duplicate(jwk, 1);
	char *s = NULL;

	if (o && key && (rt = cJSON_AddObjectToObject(o, "runtime-data")) &&
	    cJSON_AddStringToObject(rt, "nonce", nonce) &&
	    cJSON_AddItemToObject(rt, "tee-pubkey", key) && !(key = NULL) &&
	    (ev = cJSON_AddObjectToObject(o, "tee-evidence")) &&
	    cJSON_AddRawToObject(ev, "primary_evidence", evidence) &&
	    cJSON_AddStringToObject(ev, "additional_evidence", ""))
		s = cJSON_PrintUnformatted(o);
	cJSON_Delete(key);
	cJSON_Delete(o);
	return s;
}

/* auth, attest and resource once, in one broker session. */
static enum verdict session(struct exchange *x, const char *res_path, struct secret **out,
			    struct cw_err *err)
{
	const struct kbs_request *req = x->req;
	char cookie[HTTP_MAX_COOKIE + 1], nonce[MAX_NONCE + 1];
	struct http_response resp = { 0 };
	_cleanup_teekey_ EVP_PKEY *key = NULL;
	uint8_t digest[JCS_MAX_DIGEST];
	size_t dlen = 0;
	const char *hash = NULL;
	char *body = NULL, *evidence = NULL;
	cJSON *jwk = NULL;
	enum verdict v;
	int rc;

	/* Only a broker answer of this session may explain its failure. */
	x->res->type[0] = x->res->detail[0] = '\0';
	if ((rc = teekey_generate(&key, err)) || (rc = teekey_jwk(key, &jwk, err)))
		return fail(x, "auth", "", KBS_INTERNAL, 0, rc, V_FINAL, err);

	/* auth */
	if (!(body = auth_body(req->provider->kbs_tee))) {
		cw_err_set(err, ENOMEM, "out of memory");
		v = fail(x, "auth", KBS_PREFIX "/auth", KBS_INTERNAL, 0, ENOMEM, V_FINAL, err);
		goto out;
	}
	if ((v = request(x, "auth", KBS_PREFIX "/auth", body, NULL, &resp, err)) != V_OK)
		goto out;
	strscpy(cookie, resp.cookie, sizeof(cookie));
	rc = kbs_parse_challenge(resp.body, resp.len, nonce, sizeof(nonce), &hash, err);
	if (rc == 0 && !cookie[0])
		rc = cw_err_set(err, EBADMSG, "no valid " KBS_COOKIE " cookie in the answer");
	if (rc) {
		v = fail(x, "auth", KBS_PREFIX "/auth", KBS_BAD_ANSWER, 200, rc, V_FINAL, err);
		goto out;
	}
	http_response_clear(&resp);

	/* evidence bound to this nonce and key, then attest */
	if ((rc = jcs_binding_digest(hash, nonce, jwk, digest, &dlen, err))) {
		v = fail(x, "attest", "", rc == -ENOMEM ? KBS_INTERNAL : KBS_BAD_ANSWER, 0, rc,
			 V_FINAL, err);
		goto out;
	}
	if ((rc = req->provider->get_evidence(digest, dlen, &evidence, err))) {
		cw_err_prefix(err, rc, "evidence from tee %s", req->provider->name);
		v = fail(x, "attest", "", KBS_EVIDENCE, 0, rc, V_FINAL, err);
		goto out;
	}
	free(body);
	if (!(body = attest_body(nonce, jwk, evidence))) {
		cw_err_set(err, ENOMEM, "out of memory");
		v = fail(x, "attest", KBS_PREFIX "/attest", KBS_INTERNAL, 0, ENOMEM, V_FINAL, err);
		goto out;
	}
	if ((v = request(x, "attest", KBS_PREFIX "/attest", body, cookie, &resp, err)) != V_OK)
		goto out;
	http_response_clear(&resp);

	/* resource */
	if ((v = request(x, "resource", res_path, NULL, cookie, &resp, err)) != V_OK)
		goto out;
	if ((rc = jwe_decrypt(key, resp.body, resp.len, out, err)))
		v = fail(x, "resource", res_path, rc == -ENOMEM ? KBS_INTERNAL : KBS_BAD_ANSWER, 200,
			 rc, V_FINAL, err);
out:
	http_response_clear(&resp);
	cJSON_Delete(jwk);
	free(evidence);
	free(body);
	return v;
}

/* One attempt: a session, started over while the broker forgets it. */
static enum verdict exchange_once(struct exchange *x, struct secret **out, struct cw_err *err)
{
	char res_path[300];
	enum verdict v;

	snprintf(res_path, sizeof(res_path), KBS_PREFIX "/resource/%s", x->req->resource);
	while ((v = session(x, res_path, out, err)) == V_RESTART)
		;
	return v;
}

static void sleep_ms(uint32_t ms)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	/* PID 1 takes signals (SIGCHLD); sleep on to the same absolute time. */
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR)
		;
}

/* 500 ms doubling up to 8 s, minus up to a quarter at random so guests
 * booted together do not retry in step. */
static uint32_t backoff_ms(unsigned attempt)
{
	uint32_t base = BACKOFF_MAX_MS, r = 0;

	if (attempt < 5)
		base = BACKOFF_FIRST_MS << (attempt - 1);
	if (base > BACKOFF_MAX_MS)
		base = BACKOFF_MAX_MS;
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = 0;
	return base - r % (base / 4 + 1);
}

/* repo/type/tag, each segment [A-Za-z0-9_-][A-Za-z0-9_.-]*. */
static bool resource_valid(const char *s)
{
	unsigned segments = 0;

	if (strlen(s) > 255)
		return false;
	for (const char *p = s; segments < 3; p++) {
		if (!*p || *p == '/' || *p == '.')
			return false;
		while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		       (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.')
			p++;
		segments++;
		if (*p != '/')
			return segments == 3 && *p == '\0';
	}
	return false;
}

static int check_request(const struct kbs_request *req, struct exchange *x, struct cw_err *err)
{
	const char *u = req->url;
	size_t len;

	if (!u || (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0))
		return cw_err_set(err, EINVAL, "broker URL must start with http:// or https://");
	len = strlen(u);
	while (len > 8 && u[len - 1] == '/')
		len--;
	if (len > MAX_URL)
		return cw_err_set(err, EINVAL, "broker URL longer than %d characters", MAX_URL);
	for (size_t i = 0; i < len; i++)
		if (u[i] <= 0x20 || u[i] >= 0x7f || u[i] == '?' || u[i] == '#')
			return cw_err_set(err, EINVAL, "broker URL has a space, control, '?' or '#' character");
	memcpy(x->base, u, len);
	x->base[len] = '\0';
	if (u[4] == 's' && (!req->ca_file || !req->ca_file[0]))
		return cw_err_set(err, EINVAL, "an https broker needs ca_file (there is no system CA store)");
	if (!req->resource || !resource_valid(req->resource))
		return cw_err_set(err, EINVAL, "resource must be repo/type/tag, each [A-Za-z0-9_-][A-Za-z0-9_.-]*");
	if (!req->provider)
		return cw_err_set(err, EINVAL, "no evidence provider");
	if (!req->attempts || !req->deadline_ms || !req->request_timeout_ms)
		return cw_err_set(err, EINVAL, "attempts, deadline_ms and request_timeout_ms must be positive");
	return 0;
}

int kbs_get_resource(const struct kbs_request *req, struct secret **out,
		     struct kbs_result *res, struct cw_err *err)
{
	struct exchange x = { .req = req, .res = res };
	struct cw_err local;
	enum verdict v = V_FINAL;
	unsigned attempt;
	int rc;

	if (!err)
		err = &local;

	memset(res, 0, sizeof(*res));
	*out = NULL;
	if ((rc = check_request(req, &x, err))) {
		res->failure = KBS_INTERNAL;
		return rc;
	}
	x.deadline = monotonic_ms() + req->deadline_ms;
	x.restarts_left = req->resource_restarts;
	if (strncmp(x.base, "http://", 7) == 0)
		log_warn("broker %s is plain HTTP: nothing authenticates the broker; use https with "
			 "ca_file outside tests", x.base);
	if ((rc = http_client_new(req->ca_file && req->ca_file[0] ? req->ca_file : NULL, KBS_COOKIE,
				  &x.http, err))) {
		res->failure = KBS_INTERNAL;
		return rc;
	}

	for (attempt = 1; attempt <= req->attempts; attempt++) {
		v = exchange_once(&x, out, err);
		if (v != V_RETRY || attempt == req->attempts)
			break;
		uint32_t wait = backoff_ms(attempt);
		if (monotonic_ms() + wait >= x.deadline) {
			cw_err_prefix(err, x.rc, "deadline of %u ms reached", req->deadline_ms);
			break;
		}
		log_info("kbs: attempt %u of %u failed: %s; retrying in %u ms", attempt,
			 req->attempts, err->msg, wait);
		sleep_ms(wait);
	}
	http_client_free(x.http);
	if (v == V_OK) {
		res->failure = KBS_OK;
		res->step[0] = res->type[0] = res->detail[0] = '\0';
		res->http_status = 200;
		err->msg[0] = '\0';
		return 0;
	}
	if (attempt > req->attempts)
		attempt = req->attempts;
	size_t l = strlen(err->msg);
	if (x.restarts)
		snprintf(err->msg + l, sizeof(err->msg) - l, " (attempt %u of %u, session restarts: %u)",
			 attempt, req->attempts, x.restarts);
	else
		snprintf(err->msg + l, sizeof(err->msg) - l, " (attempt %u of %u)", attempt,
			 req->attempts);
	return x.rc ? x.rc : -EIO;
}
