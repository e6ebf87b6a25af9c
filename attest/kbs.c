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
#include <string.h>
#include "broker.h"
#include "jcs.h"
#include "jwe.h"
#include "kbs.h"
#include "initdata.h"
#include "log.h"
#include "teekey.h"
#include "util.h"

#define KBS_PREFIX "/kbs/v0"
#define KBS_COOKIE "kbs-session-id"
#define MAX_NONCE 1024

struct session_ctx {
	const struct kbs_request *req;
	char res_path[300];
	struct secret **out;
	EVP_PKEY *key;      /* the exchange's TEE key */
	const cJSON *jwk;   /* its public JWK */
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

/* auth, attest and resource once, in one broker session. */
static enum broker_verdict session(struct broker *x, void *ctx, struct cw_err *err)
{
	const struct session_ctx *c = ctx;
	const struct kbs_request *req = c->req;
	const char *res_path = c->res_path;
	char cookie[HTTP_MAX_COOKIE + 1], nonce[MAX_NONCE + 1];
	struct http_response resp = { 0 };
	const cJSON *jwk = c->jwk;
	uint8_t digest[JCS_MAX_DIGEST];
	size_t dlen = 0;
	const char *hash = NULL;
	char *body = NULL, *evidence = NULL;
	enum broker_verdict v;
	int rc;

	/* auth */
	body = auth_body(req->provider->kbs_tee);
	if ((v = broker_auth(x, KBS_PREFIX "/auth", body, cookie, nonce, sizeof(nonce), &hash,
			     err)) != BV_OK)
		goto out;

	/* evidence bound to this nonce and key, then attest */
	if ((rc = jcs_binding_digest(hash, nonce, jwk, digest, &dlen, err))) {
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
	if (!(body = attest_body(nonce, jwk, evidence, req->init_data))) {
		cw_err_set(err, ENOMEM, "out of memory");
		v = broker_fail(x, "attest", KBS_PREFIX "/attest", KBS_INTERNAL, 0, ENOMEM, BV_FINAL, err);
		goto out;
	}
	if ((v = broker_request(x, "attest", KBS_PREFIX "/attest", body, cookie, &resp, err)) != BV_OK)
		goto out;
	http_response_clear(&resp);

	/* resource */
	if ((v = broker_request(x, "resource", res_path, NULL, cookie, &resp, err)) != BV_OK)
		goto out;
	if ((rc = jwe_decrypt_flags(c->key, req->allow_rsa1_5 ? JWE_ALLOW_RSA1_5 : 0, resp.body,
				    resp.len, c->out, err)))
		v = broker_fail(x, "resource", res_path,
				rc == -ENOMEM ? KBS_INTERNAL : KBS_BAD_ANSWER, 200, rc, BV_FINAL, err);
out:
	http_response_clear(&resp);
	free(evidence);
	free(body);
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

int kbs_get_resource(const struct kbs_request *req, struct secret **out,
		     struct kbs_result *res, struct cw_err *err)
{
	struct broker_policy policy = {
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
	struct session_ctx ctx = { .req = req, .out = out };
	_cleanup_teekey_ EVP_PKEY *key = NULL;
	cJSON *jwk = NULL;
	struct broker b;
	struct cw_err local;
	int rc;

	if (!err)
		err = &local;
	*out = NULL;
	memset(res, 0, sizeof(*res));
	res->failure = KBS_INTERNAL;
	/* The cheap checks before the key, which can take seconds. */
	if (!req->resource || !kbs_resource_valid(req->resource))
		return cw_err_set(err, EINVAL, "resource must be repo/type/tag, "
				  "each [A-Za-z0-9_-][A-Za-z0-9_.-]*");
	if (!req->provider)
		return cw_err_set(err, EINVAL, "no evidence provider");
	if (req->init_data && (rc = check_init_data(req, err)))
		return rc;
	if ((rc = teekey_generate_type(req->tee_key, &key, err)) ||
	    (rc = teekey_jwk(key, &jwk, err))) {
		strscpy(res->step, "auth", sizeof(res->step));
		return rc;
	}
	ctx.key = key;
	ctx.jwk = jwk;
	if ((rc = broker_open(&b, &policy, res, err)) == 0) {
		snprintf(ctx.res_path, sizeof(ctx.res_path), KBS_PREFIX "/resource/%s", req->resource);
		rc = broker_run(&b, "kbs", session, &ctx, err);
	}
	broker_close(&b);
	cJSON_Delete(jwk);
	return rc;
}
