/* The Trustee KBS 0.4.0 exchange (auth, attest, resource); retries, the
 * deadline and failure lines come from broker.c, whose 401/404 restart
 * applies to the resource step. Each exchange makes a fresh TEE key of the
 * configured type, before its deadline starts (RSA-3072 generation can take
 * seconds on a slow vCPU and says nothing about the broker), and binds it
 * into every session it runs; with init-data, the evidence must carry its
 * digest before anything is sent (fail closed), and the document goes along. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "broker.h"
#include "jcs.h"
#include "jwe.h"
#include "kbs.h"
#include "kbs_parse.h"
#include "initdata.h"
#include "log.h"
#include "teekey.h"
#include "util.h"

#define KBS_PREFIX "/kbs/v0"
#define KBS_COOKIE "kbs-session-id"
#define MAX_NONCE 1024

/* One attested session: the TEE key, the broker connection, the cookie.
 * Every resource fetched in it shares the attestation. */
struct kbs_session {
	const struct kbs_request *req;
	struct broker_policy policy;
	struct broker b;
	EVP_PKEY *key;      /* the session's TEE key */
	cJSON *jwk;         /* its public JWK */
	char cookie[HTTP_MAX_COOKIE + 1];
	bool attested;      /* the cookie names an attested session */
	struct secret *token;
};

struct get_ctx {
	struct kbs_session *s;
	char path[300];
	struct secret **out;
};

static char *auth_body(const char *tee)
{
	cJSON *o = cJSON_CreateObject(), *extra, *algs;
	char *s = NULL;

	if (o && cJSON_AddStringToObject(o, "version", "0.4.0") &&
	    cJSON_AddStringToObject(o, "tee", tee) &&
	    (extra = cJSON_AddObjectToObject(o, "extra-params")) &&
	    (algs = cJSON_AddArrayToObject(extra, "supported-hash-algorithms")) &&
	    cJSON_AddItemToArray(algs, cJSON_CreateString("sha256")) &&
	    cJSON_AddItemToArray(algs, cJSON_CreateString("sha384")) &&
	    cJSON_AddItemToArray(algs, cJSON_CreateString("sha512")))
		s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

/* The attestation body; the evidence is spliced in as raw JSON text so its
 * 64-bit integers never pass through a double. init_data (checked UTF-8
 * text without NUL) goes as the TOML body, byte for byte. */
static char *attest_body(const char *nonce, const cJSON *jwk, const char *evidence,
			 const char *init_data)
{
	cJSON *o = cJSON_CreateObject(), *rt, *ev, *id, *key = cJSON_Duplicate(jwk, 1);
	char *s = NULL;

	if (o && key && (rt = cJSON_AddObjectToObject(o, "runtime-data")) &&
	    cJSON_AddStringToObject(rt, "nonce", nonce) &&
	    cJSON_AddItemToObject(rt, "tee-pubkey", key) && !(key = NULL) &&
	    (ev = cJSON_AddObjectToObject(o, "tee-evidence")) &&
	    cJSON_AddRawToObject(ev, "primary_evidence", evidence) &&
	    cJSON_AddStringToObject(ev, "additional_evidence", "") &&
	    (!init_data || ((id = cJSON_AddObjectToObject(o, "init-data")) &&
			    cJSON_AddStringToObject(id, "format", "toml") &&
			    cJSON_AddStringToObject(id, "body", init_data))))
		s = cJSON_PrintUnformatted(o);
	cJSON_Delete(key);
	cJSON_Delete(o);
	return s;
}

/* auth and attest: a new attested session with the broker. */
static enum broker_verdict attest_session(struct kbs_session *s, struct cw_err *err)
{
	const struct kbs_request *req = s->req;
	struct broker *x = &s->b;
	char nonce[MAX_NONCE + 1];
	struct http_response resp = { 0 };
	uint8_t digest[JCS_MAX_DIGEST];
	size_t dlen = 0;
	const char *hash = NULL;
	char *body = NULL, *evidence = NULL;
	enum broker_verdict v;
	int rc;

	s->attested = false;
	body = auth_body(req->provider->kbs_tee);
	if ((v = broker_auth(x, KBS_PREFIX "/auth", body, s->cookie, nonce, sizeof(nonce), &hash,
			     err)) != BV_OK)
		goto out;

	/* evidence bound to this nonce and key, then attest */
	if ((rc = jcs_binding_digest(hash, nonce, s->jwk, digest, &dlen, err))) {
		v = broker_fail(x, "attest", "", rc == -ENOMEM ? KBS_INTERNAL : KBS_BAD_ANSWER, 0,
				rc, BV_FINAL, err);
		goto out;
	}
	if ((rc = req->provider->get_evidence(digest, dlen, &evidence, err))) {
		cw_err_prefix(err, rc, "evidence from tee %s", req->provider->name);
		v = broker_fail(x, "attest", "", KBS_EVIDENCE, 0, rc, BV_FINAL, err);
		goto out;
	}
	/* Before the broker sees anything: the host must have launched this
	 * TEE with our init-data (sample evidence has no field to compare). */
	if (req->init_data &&
	    (rc = initdata_check_evidence(req->provider->kbs_tee, evidence, req->init_data,
					  req->init_data_len, err)) &&
	    !(rc == -ENOTSUP && strcmp(req->provider->kbs_tee, "sample") == 0)) {
		v = broker_fail(x, "attest", "", KBS_EVIDENCE, 0, rc, BV_FINAL, err);
		goto out;
	}
	free(body);
	if (!(body = attest_body(nonce, s->jwk, evidence, req->init_data))) {
		cw_err_set(err, ENOMEM, "out of memory");
		v = broker_fail(x, "attest", KBS_PREFIX "/attest", KBS_INTERNAL, 0, ENOMEM, BV_FINAL, err);
		goto out;
	}
	if ((v = broker_request(x, "attest", KBS_PREFIX "/attest", body, s->cookie, &resp, err)) != BV_OK)
		goto out;
	/* Kept for the workload that asks for it; a broker that sends none
	 * (or an odd one) fails only that request, later. */
	secret_free(s->token);
	if (kbs_parse_token(resp.body, resp.len, &s->token, NULL) < 0)
		s->token = NULL;
	s->attested = true;
out:
	http_response_clear(&resp);
	free(evidence);
	free(body);
	return v;
}

/* One resource in the session, attesting first when it has none. A
 * session the broker forgot (BV_RESTART) or a transport failure (BV_RETRY)
 * leaves it unattested, so broker_run's next round starts from auth. */
static enum broker_verdict get_step(struct broker *x, void *ctx, struct cw_err *err)
{
	struct get_ctx *g = ctx;
	struct kbs_session *s = g->s;
	struct http_response resp = { 0 };
	enum broker_verdict v;
	int rc;

	if (!s->attested && (v = attest_session(s, err)) != BV_OK)
		return v;
	v = broker_request(x, "resource", g->path, NULL, s->cookie, &resp, err);
	if (v == BV_RESTART || v == BV_RETRY)
		s->attested = false;
	if (v == BV_OK &&
	    (rc = jwe_decrypt_flags(s->key, s->req->allow_rsa1_5 ? JWE_ALLOW_RSA1_5 : 0, resp.body,
				    resp.len, g->out, err)))
		v = broker_fail(x, "resource", g->path,
				rc == -ENOMEM ? KBS_INTERNAL : KBS_BAD_ANSWER, 200, rc, BV_FINAL, err);
	http_response_clear(&resp);
	return v;
}

bool kbs_resource_valid(const char *s)
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

/* The document, once, before any request; sample evidence cannot vouch
 * for it, which the log says. */
static int check_init_data(const struct kbs_request *req, struct cw_err *err)
{
	uint8_t d[INITDATA_MAX_DIGEST];
	size_t dl;
	const char *alg;
	int rc;

	if ((rc = initdata_digest(req->init_data, req->init_data_len, d, &dl, &alg, err)))
		return cw_err_prefix(err, rc, "init_data");
	/* initdata_digest refused a NUL among the init_data_len bytes; with the
	 * terminating one right after them, what was checked is all that is
	 * sent (as a C string). */
	if (req->init_data[req->init_data_len] != '\0')
		return cw_err_set(err, EINVAL, "init_data does not end at init_data_len");
	if (strcmp(req->provider->kbs_tee, "sample") == 0)
		log_info("init-data (%s) is sent unchecked: sample evidence has no HOST_DATA or "
			 "MRCONFIGID", alg);
	return 0;
}

void kbs_session_free(struct kbs_session *s)
{
	if (!s)
		return;
	broker_close(&s->b);
	teekey_free(s->key);
	cJSON_Delete(s->jwk);
	secret_free(s->token);
	explicit_bzero(s->cookie, sizeof(s->cookie));
	free(s);
}

int kbs_session_new(const struct kbs_request *req, struct kbs_session **out,
		    struct kbs_result *res, struct cw_err *err)
{
	struct kbs_session *s;
	int rc;

	*out = NULL;
	memset(res, 0, sizeof(*res));
	res->failure = KBS_INTERNAL;
	/* The cheap checks before the key, which can take seconds. */
	if (!req->provider)
		return cw_err_set(err, EINVAL, "no evidence provider");
	if (req->init_data && (rc = check_init_data(req, err)))
		return rc;
	if (!(s = calloc(1, sizeof(*s))))
		return cw_err_set(err, ENOMEM, "out of memory");
	s->req = req;
	s->policy = (struct broker_policy){
		.url = req->url,
		.ca_file = req->ca_file,
		.resolve = req->resolve,
		.cookie_name = KBS_COOKIE,
		.restart_step = "resource",
		.request_timeout_ms = req->request_timeout_ms,
		.attempts = req->attempts,
		.deadline_ms = req->deadline_ms,
		.restarts = req->resource_restarts,
	};
	if ((rc = teekey_generate_type(req->tee_key, &s->key, err)) ||
	    (rc = teekey_jwk(s->key, &s->jwk, err))) {
		strscpy(res->step, "auth", sizeof(res->step));
		kbs_session_free(s);
		return rc;
	}
	/* broker_open checks the URL and makes the client; no request yet. */
	if ((rc = broker_open(&s->b, &s->policy, res, err))) {
		kbs_session_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int kbs_session_get(struct kbs_session *s, const char *resource, struct secret **out,
		    struct kbs_result *res, struct cw_err *err)
{
	struct get_ctx g = { .s = s, .out = out };

	*out = NULL;
	broker_begin(&s->b, res);
	if (!resource || !kbs_resource_valid(resource))
		return cw_err_set(err, EINVAL, "resource must be repo/type/tag, "
				  "each [A-Za-z0-9_-][A-Za-z0-9_.-]*");
	snprintf(g.path, sizeof(g.path), KBS_PREFIX "/resource/%s", resource);
	return broker_run(&s->b, "kbs", get_step, &g, err);
}

const struct secret *kbs_session_token(const struct kbs_session *s)
{
	return s->token;
}

int kbs_get_resource(const struct kbs_request *req, struct secret **out,
		     struct kbs_result *res, struct cw_err *err)
{
	struct kbs_session *s = NULL;
	struct cw_err local;
	int rc;

	if (!err)
		err = &local;
	*out = NULL;
	memset(res, 0, sizeof(*res));
	res->failure = KBS_INTERNAL;
	if (!req->resource || !kbs_resource_valid(req->resource))
		return cw_err_set(err, EINVAL, "resource must be repo/type/tag, "
				  "each [A-Za-z0-9_-][A-Za-z0-9_.-]*");
	rc = kbs_session_new(req, &s, res, err);
	if (rc == 0)
		rc = kbs_session_get(s, req->resource, out, res, err);
	kbs_session_free(s);
	return rc;
}
