/* The reference-kbs exchange (auth, attest, key) for `buildah mkcw`
 * workloads; retries, the deadline and failure lines come from broker.c,
 * whose 401/404 restart applies to the key step (reference-kbs answers 401
 * "Invalid cookie" for a session it no longer knows). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include "base64.h"
#include "broker.h"
#include "log.h"
#include "refkbs.h"
#include "snp.h"
#include "tsm.h"
#include "util.h"

#define PREFIX "/kbs/v0"
#define COOKIE "session_id"
#define MAX_NONCE 1024
#define B64_MOD_SIZE 345 /* 256 bytes in standard base64, and the NUL */

struct session_ctx {
	const struct refkbs_request *req;
	char key_path[sizeof(PREFIX "/key/") + REFKBS_WORKLOAD_ID_MAX];
	struct secret **out;
};

_Static_assert(REFKBS_REPORT_SIZE == SNP_REPORT_SIZE, "the SNP report size");

/* reference-kbs takes the report alone: the host's certificates, if any,
 * are dropped (the broker fetches the VCEK itself). */
static int dev_report(const uint8_t rd[REFKBS_REPORT_DATA_SIZE], uint8_t report[REFKBS_REPORT_SIZE],
		      struct cw_err *err)
{
	_cleanup_free_ uint8_t *certs = NULL;
	size_t certs_len;

	return snp_dev_report(SNP_GUEST_DEVICE, rd, report, &certs, &certs_len, err);
}

static int tsm_snp_report(const uint8_t rd[REFKBS_REPORT_DATA_SIZE],
			  uint8_t report[REFKBS_REPORT_SIZE], struct cw_err *err)
{
	struct tsm_blobs b;
	int rc = tsm_report(TSM_REPORT_ROOT, TSM_SNP, rd, &b, err);

	if (rc < 0)
		return rc;
	if (b.outlen != REFKBS_REPORT_SIZE)
		rc = cw_err_set(err, EIO, "configfs-tsm gave %zu bytes, not a %d-byte SNP report",
				b.outlen, REFKBS_REPORT_SIZE);
	else
		memcpy(report, b.outblob, REFKBS_REPORT_SIZE);
	tsm_blobs_free(&b);
	return rc;
}

refkbs_report_fn refkbs_report_source(const struct evidence_provider *p)
{
	if (p == &snp_provider)
		return dev_report;
	if (p == &tsm_snp_provider)
		return tsm_snp_report;
	return NULL;
}

/* A fresh RSA-2048 key and its k-mod/k-exp strings. */
static int tee_key(EVP_PKEY **key, char k_mod[B64_MOD_SIZE], char k_exp[16], struct cw_err *err)
{
	BIGNUM *n = NULL, *e = NULL;
	uint8_t nb[REFKBS_RSA_BYTES], eb[8];
	int rc = -ENOMEM, elen;

	*key = EVP_RSA_gen(8 * REFKBS_RSA_BYTES);
	if (*key && EVP_PKEY_get_bn_param(*key, OSSL_PKEY_PARAM_RSA_N, &n) > 0 &&
	    EVP_PKEY_get_bn_param(*key, OSSL_PKEY_PARAM_RSA_E, &e) > 0 &&
	    BN_bn2binpad(n, nb, sizeof(nb)) == (int)sizeof(nb) &&
	    (elen = BN_bn2bin(e, eb)) > 0 && elen <= (int)sizeof(eb) &&
	    base64_encode(nb, sizeof(nb), BASE64_STD, k_mod, B64_MOD_SIZE) > 0 &&
	    base64_encode(eb, (size_t)elen, BASE64_STD, k_exp, 16) > 0)
		rc = 0;
	BN_free(n);
	BN_free(e);
	if (rc) {
		EVP_PKEY_free(*key);
		*key = NULL;
		return cw_err_set(err, ENOMEM, "making the RSA-2048 TEE key failed");
	}
	return 0;
}

/* The raw RSA operation into locked memory, then the padding check. */
static int open_key(EVP_PKEY *key, const uint8_t ct[REFKBS_RSA_BYTES], struct secret **out,
		    struct cw_err *err)
{
	struct secret *em = secret_new(REFKBS_RSA_BYTES);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
	size_t n = REFKBS_RSA_BYTES;
	int rc;

	if (!em || !ctx)
		rc = cw_err_set(err, ENOMEM, "no memory to decrypt the key");
	else if (EVP_PKEY_decrypt_init(ctx) <= 0 ||
		 EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) <= 0 ||
		 EVP_PKEY_decrypt(ctx, em->data, &n, ct, REFKBS_RSA_BYTES) <= 0 ||
		 n != REFKBS_RSA_BYTES)
		rc = cw_err_set(err, EBADMSG, "the key answer is not an RSA ciphertext for our key");
	else
		rc = refkbs_pkcs1_unpad(em->data, REFKBS_RSA_BYTES, out, err);
	EVP_PKEY_CTX_free(ctx);
	secret_free(em);
	return rc;
}

/* The TEE's report, checked to carry our report_data. */
static int get_report(const struct refkbs_request *req, const uint8_t rd[REFKBS_REPORT_DATA_SIZE],
		      uint8_t report[REFKBS_REPORT_SIZE], struct cw_err *err)
{
	int rc = req->report(rd, report, err);

	if (rc < 0)
		return cw_err_prefix(err, rc, "SNP report");
	if (memcmp(report + SNP_OFF_REPORT_DATA, rd, REFKBS_REPORT_DATA_SIZE) != 0)
		return cw_err_set(err, EIO, "the SNP report does not carry the report_data asked for");
	return 0;
}

/* auth, attest and key once, in one broker session. */
static enum broker_verdict session(struct broker *b, void *ctx, struct cw_err *err)
{
	const struct session_ctx *c = ctx;
	const struct refkbs_request *req = c->req;
	char cookie[HTTP_MAX_COOKIE + 1], nonce[MAX_NONCE + 1], k_mod[B64_MOD_SIZE], k_exp[16];
	uint8_t rd[REFKBS_REPORT_DATA_SIZE], report[REFKBS_REPORT_SIZE], ct[REFKBS_RSA_BYTES];
	struct http_response resp = { 0 };
	EVP_PKEY *key = NULL;
	const char *hash;
	char *body = NULL, *evidence = NULL;
	enum broker_verdict v;
	uint64_t t = monotonic_ms();
	int rc;

	if ((rc = tee_key(&key, k_mod, k_exp, err)))
		return broker_fail(b, "auth", "", KBS_INTERNAL, 0, rc, BV_FINAL, err);
	/* Seconds under emulation, milliseconds on hardware: show where the time goes. */
	log_info("reference-kbs: RSA-2048 TEE key made in %llu ms",
		 (unsigned long long)(monotonic_ms() - t));

	/* The challenge has Trustee's shape; reference-kbs selects no hash. */
	body = refkbs_auth_body(req->workload_id);
	if ((v = broker_auth(b, PREFIX "/auth", body, cookie, nonce, sizeof(nonce), &hash,
			     err)) != BV_OK)
		goto out;

	/* evidence bound to this nonce and key, then attest */
	if ((rc = refkbs_report_data(nonce, k_mod, k_exp, rd)) ||
	    (rc = get_report(req, rd, report, err))) {
		v = broker_fail(b, "attest", "", rc == -ENOMEM ? KBS_INTERNAL : KBS_EVIDENCE, 0, rc,
				BV_FINAL, err);
		goto out;
	}
	free(body);
	body = NULL;
	if (!(evidence = refkbs_evidence(req->gen, report)) ||
	    !(body = refkbs_attest_body(k_mod, k_exp, evidence))) {
		cw_err_set(err, ENOMEM, "out of memory");
		v = broker_fail(b, "attest", PREFIX "/attest", KBS_INTERNAL, 0, ENOMEM, BV_FINAL, err);
		goto out;
	}
	if ((v = broker_request(b, "attest", PREFIX "/attest", body, cookie, &resp, err)) != BV_OK)
		goto out;
	http_response_clear(&resp);

	/* key */
	if ((v = broker_request(b, "key", c->key_path, NULL, cookie, &resp, err)) != BV_OK)
		goto out;
	if ((rc = refkbs_key_answer(resp.body, resp.len, ct, err)) ||
	    (rc = open_key(key, ct, c->out, err)))
		v = broker_fail(b, "key", c->key_path, rc == -ENOMEM ? KBS_INTERNAL : KBS_BAD_ANSWER,
				200, rc, BV_FINAL, err);
out:
	http_response_clear(&resp);
	EVP_PKEY_free(key);
	free(evidence);
	free(body);
	return v;
}

int refkbs_get_passphrase(const struct refkbs_request *req, struct secret **out,
			  struct kbs_result *res, struct cw_err *err)
{
	struct broker_policy policy = {
		.url = req->url,
		.ca_file = req->ca_file,
		.resolve = req->resolve,
		.cookie_name = COOKIE,
		.restart_step = "key",
		.request_timeout_ms = req->request_timeout_ms,
		.attempts = req->attempts,
		.deadline_ms = req->deadline_ms,
		.restarts = req->key_restarts,
	};
	struct session_ctx ctx = { .req = req, .out = out };
	struct broker b;
	struct cw_err local;
	int rc;

	if (!err)
		err = &local;
	*out = NULL;
	if ((rc = broker_open(&b, &policy, res, err)) == 0) {
		if (!refkbs_workload_id_valid(req->workload_id))
			rc = cw_err_set(err, EINVAL, "workload_id must be 1-%d characters of "
					"[A-Za-z0-9_.-], not starting with '.'", REFKBS_WORKLOAD_ID_MAX);
		else if (!req->gen || (strcmp(req->gen, "milan") && strcmp(req->gen, "genoa")))
			rc = cw_err_set(err, EINVAL, "the SNP generation must be milan or genoa");
		else if (!req->report)
			rc = cw_err_set(err, EINVAL, "no SNP report source");
	}
	if (rc == 0) {
		snprintf(ctx.key_path, sizeof(ctx.key_path), PREFIX "/key/%s", req->workload_id);
		rc = broker_run(&b, "reference-kbs", session, &ctx, err);
	}
	broker_close(&b);
	return rc;
}
