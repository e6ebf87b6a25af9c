/* The reference-kbs dialect: the broker `buildah mkcw` registers workloads
 * with (virtee/reference-kbs, kbs-types 0.2). Facts: kbs-protocol.md
 * section 3.
 *
 *   POST /kbs/v0/auth   {"version":"0.0.0","tee":"snp","extra-params":"{\"workload_id\":\"<id>\"}"}
 *                       -> {"nonce":"<n>","extra-params":""}, cookie session_id
 *   POST /kbs/v0/attest {"tee-pubkey":{"alg":"RSA","k-mod":"<b64>","k-exp":"<b64>"},
 *                        "tee-evidence":"{\"gen\":..,\"report\":\"<HEX>\",\"cert_chain\":\"[]\"}"}
 *   GET  /kbs/v0/key/<id> -> "<hex of the RSA PKCS#1 v1.5 ciphertext of the passphrase>"
 *
 * with report_data = SHA-512(nonce || k-mod || k-exp) over the strings as
 * sent, and an RSA-2048 key made for each session. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "attest.h"
#include "err.h"
#include "kbs.h"
#include "secret.h"

#define REFKBS_REPORT_SIZE 1184       /* the SNP attestation report */
#define REFKBS_REPORT_DATA_SIZE 64
#define REFKBS_WORKLOAD_ID_MAX 127
#define REFKBS_RSA_BYTES 256          /* RSA-2048 */
#define REFKBS_TEE_DATA_MAX 4096

/* The raw SNP report binding report_data, from the TEE. */
typedef int (*refkbs_report_fn)(const uint8_t report_data[REFKBS_REPORT_DATA_SIZE],
				uint8_t report[REFKBS_REPORT_SIZE], struct cw_err *err);

struct refkbs_request {
	const char *url;           /* http(s)://host[:port] */
	const char *ca_file;       /* PEM CA for https, or NULL */
	const struct resolve_conf *resolve; /* a broker host name's address, or NULL */
	const char *workload_id;   /* refkbs_workload_id_valid */
	const char *gen;           /* "milan" or "genoa" */
	refkbs_report_fn report;
	uint32_t request_timeout_ms;
	uint32_t attempts;
	uint32_t deadline_ms;
	uint32_t key_restarts;     /* new sessions when the key step answers 401/404 */
};

/* The raw-report source of an SNP evidence provider (snp: /dev/sev-guest,
 * tsm: configfs-tsm with sev_guest), or NULL for any other provider. */
refkbs_report_fn refkbs_report_source(const struct evidence_provider *p);

/* The whole exchange with broker.c's retries and deadline. On success *out
 * holds the passphrase in locked memory. Failures as kbs_get_resource's
 * (steps "auth", "attest", "key"). */
int refkbs_get_passphrase(const struct refkbs_request *req, struct secret **out,
			  struct kbs_result *res, struct cw_err *err);

/* ---- pure parts (attest/refkbs_parse.c), for tests and fuzzing ---- */

/* 1-127 characters of [A-Za-z0-9_.-], not starting with '.': safe in the
 * URL path and the JSON it goes into (buildah's default is 64 hex digits). */
bool refkbs_workload_id_valid(const char *id);

/* The footer's tee_data, a JSON document inside a string: {"gen":"milan"}.
 * gen (milan or genoa, any case) comes back lower-case in gen[8]; "" when
 * the document has no gen. -EINVAL (err says why) for anything else. */
int refkbs_tee_gen(const char *tee_data, size_t len, char gen[8], struct cw_err *err);

/* The auth body for a valid workload id (malloc'd), or NULL. */
char *refkbs_auth_body(const char *workload_id);

/* SHA-512(nonce || k_mod || k_exp), the strings' bytes as sent. */
int refkbs_report_data(const char *nonce, const char *k_mod, const char *k_exp,
		       uint8_t out[REFKBS_REPORT_DATA_SIZE]);

/* The text of tee-evidence (which travels as a JSON string):
 * {"gen":"<gen>","report":"<UPPERCASE hex>","cert_chain":"[]"}. NULL for
 * an unknown gen or no memory. */
char *refkbs_evidence(const char *gen, const uint8_t report[REFKBS_REPORT_SIZE]);

/* The attest body around k-mod, k-exp and the evidence text (malloc'd). */
char *refkbs_attest_body(const char *k_mod, const char *k_exp, const char *evidence);

/* The key answer: a JSON string of exactly 2*REFKBS_RSA_BYTES hex digits
 * (either case). -EBADMSG (err says why) otherwise. */
int refkbs_key_answer(const char *body, size_t len, uint8_t ct[REFKBS_RSA_BYTES],
		      struct cw_err *err);

/* PKCS#1 v1.5 encryption padding of the k-byte block em (RFC 8017 7.2.2):
 * 0x00 0x02, at least 8 nonzero bytes, 0x00, then a non-empty message,
 * copied into a new secret. -EBADMSG for anything else. */
int refkbs_pkcs1_unpad(const uint8_t *em, size_t k, struct secret **out, struct cw_err *err);
