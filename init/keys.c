/* What this boot gets from the key broker: the root's passphrase, the data
 * volumes' and the workload's secrets.
 *
 * With Trustee, one attested session serves them all (auth and attest
 * once, then one GET per resource on the same connection), kept open from
 * the root's passphrase until the workload's secrets are written and closed
 * before the workload starts. reference-kbs has one key per workload and
 * nothing else. A failure here is fatal (boot_fail) unless the caller said
 * the resource is optional. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "attest.h"
#include "exitcode.h"
#include "initdata.h"
#include "kbs.h"
#include "keys.h"
#include "log.h"
#include "measure.h"
#include "pid1.h"
#include "refkbs.h"
#include "util.h"

static struct kbs_request request;
static struct kbs_session *session;
static char *init_data;
static size_t init_data_len;

/* What was fetched, for the runtime measurement: the root's, the volumes'
 * and the secrets' resources. */
#define USED_MAX (1 + CW_MAX_VOLUMES + CW_MAX_SECRETS)
static char used[USED_MAX][256]; /* the size of every resource field */
static size_t n_used;
static bool reference_used;

static void note_used(const char *resource)
{
	if (n_used < USED_MAX)
		strscpy(used[n_used++], resource, sizeof(used[0]));
}

int keys_exit_code(enum kbs_failure f)
{
	switch (f) {
	case KBS_UNREACHABLE: return CW_EXIT_BROKER_UNREACHABLE;
	case KBS_DENIED: return CW_EXIT_BROKER_DENIED;
	case KBS_BAD_ANSWER: return CW_EXIT_BROKER_ANSWER;
	case KBS_EVIDENCE: return CW_EXIT_EVIDENCE;
	default: return CW_EXIT_INTERNAL;
	}
}

/* What every broker dialect needs: its URL and the evidence provider. */
static const struct evidence_provider *prerequisites(const struct cw_config *c)
{
	struct cw_err err = { "" };
	const struct evidence_provider *provider;

	if (!*c->broker_url) {
		cw_err_set(&err, EINVAL, "no broker_url in the initramfs configuration, "
			   "the kernel command line or the disk footer");
		boot_fail(CW_EXIT_CONFIG, "attestation", &err);
	}
	provider = provider_select(c->tee, &err);
	if (!provider)
		boot_fail(errno == EINVAL ? CW_EXIT_CONFIG : CW_EXIT_EVIDENCE, "attestation", &err);
	return provider;
}

static void outcome(int r, const struct kbs_result *res, const char *stage, struct cw_err *err)
{
	if (r == -EINVAL && res->failure == KBS_INTERNAL && res->requests == 0)
		boot_fail(CW_EXIT_CONFIG, stage, err); /* refused before any request */
	if (r < 0)
		boot_fail(keys_exit_code(res->failure), stage, err);
}

struct secret *keys_reference_passphrase(const struct cw_config *c)
{
	struct cw_err err = { "" };
	struct kbs_result res = { 0 };
	struct secret *pass = NULL;
	const struct evidence_provider *provider = prerequisites(c);
	uint64_t t = boottime_ms();
	struct refkbs_request req = {
		.url = c->broker_url,
		.ca_file = *c->ca_file ? c->ca_file : NULL,
		.resolve = &c->resolve,
		.workload_id = c->workload_id,
		.gen = c->snp_gen,
		.report = refkbs_report_source(provider),
		.request_timeout_ms = c->request_timeout_ms,
		.attempts = c->attempts,
		.deadline_ms = c->deadline_ms,
		.key_restarts = c->resource_restarts,
	};

	if (!req.report) {
		cw_err_set(&err, EINVAL, "reference-kbs takes SEV-SNP reports; tee %s has none",
			   provider->name);
		boot_fail(provider == &sample_provider ? CW_EXIT_CONFIG : CW_EXIT_EVIDENCE,
			  "attestation", &err);
	}
	if (!*c->workload_id) {
		cw_err_set(&err, EINVAL, "reference-kbs needs workload_id: from the disk footer or "
			   "the configuration");
		boot_fail(CW_EXIT_CONFIG, "attestation", &err);
	}
	outcome(refkbs_get_passphrase(&req, &pass, &res, &err), &res, "attestation", &err);
	reference_used = true;
	note_used(c->workload_id);
	log_info("attested with tee %s to reference-kbs and fetched the key of workload %s "
		 "(%u HTTP requests)", provider->name, c->workload_id, res.requests);
	log_stage("attest", t);
	return pass;
}

/* The session, made at the first resource: the TEE key, then (in the
 * first kbs_session_get) auth and attest. */
static void open_session(const struct cw_config *c)
{
	struct cw_err err = { "" };
	struct kbs_result res = { 0 };
	enum teekey_type tee_key = TEEKEY_EC_P256;

	request = (struct kbs_request){
		.url = c->broker_url,
		.ca_file = *c->ca_file ? c->ca_file : NULL,
		.resolve = &c->resolve,
		.provider = prerequisites(c),
		.request_timeout_ms = c->request_timeout_ms,
		.attempts = c->attempts,
		.deadline_ms = c->deadline_ms,
		.resource_restarts = c->resource_restarts,
		.allow_rsa1_5 = c->allow_rsa1_5,
	};
	teekey_type_parse(c->tee_key, &tee_key); /* validated with the configuration */
	request.tee_key = tee_key;
	if (*c->init_data && initdata_load(c->init_data, &init_data, &init_data_len, &err))
		boot_fail(CW_EXIT_CONFIG, "attestation", &err);
	request.init_data = init_data;
	request.init_data_len = init_data_len;
	outcome(kbs_session_new(&request, &session, &res, &err), &res, "attestation", &err);
}

int keys_fetch(const struct cw_config *c, const char *resource, bool optional,
	       struct secret **out)
{
	struct cw_err err = { "" };
	struct kbs_result res = { 0 };
	bool first = !session;
	uint64_t t = boottime_ms();
	int r;

	if (!session)
		open_session(c);
	r = kbs_session_get(session, resource, out, &res, &err);
	if (r < 0 && optional && res.failure == KBS_DENIED) {
		log_warn("optional resource %s not delivered: %s", resource, err.msg);
		return -ENOENT;
	}
	outcome(r, &res, first ? "attestation" : "fetching a resource", &err);
	note_used(resource);
	if (first) {
		log_info("attested with tee %s and fetched %s (%u HTTP requests, TEE key %s)",
			 request.provider->name, resource, res.requests, c->tee_key);
		log_stage("attest", t);
	} else {
		log_info("fetched %s in the attested session (%u HTTP requests)", resource,
			 res.requests);
	}
	return 0;
}

const struct secret *keys_token(void)
{
	return session ? kbs_session_token(session) : NULL;
}

void keys_measure(const struct cw_config *c)
{
	const char *names[USED_MAX];

	if (init_data)
		measure_bytes("InitData", c->init_data, init_data, init_data_len);
	for (size_t i = 0; i < n_used; i++)
		names[i] = used[i];
	if (n_used)
		measure_broker(c->broker_url, reference_used ? "reference-kbs" : "trustee", names,
			       n_used);
}

void keys_close(void)
{
	kbs_session_free(session);
	session = NULL;
	free(init_data);
	init_data = NULL;
	n_used = 0;
}
