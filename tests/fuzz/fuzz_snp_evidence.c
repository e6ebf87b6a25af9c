/* The Trustee `snp` evidence JSON (snp_evidence_parse), as the broker side
 * and `cwinit evidence` read it. Property: evidence that parses encodes
 * again (snp_evidence_json) to JSON that parses to the same report bytes
 * and the same VCEK/VLEK. Seeds come from ../shared/vectors at run time. */
#include <errno.h>
#include "fuzz.h"
#include "snp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_err err = { { 0 } };
	uint8_t r1[SNP_REPORT_SIZE], r2[SNP_REPORT_SIZE];
	struct snp_certs c1 = { 0 }, c2 = { 0 };
	char *json = NULL;
	bool chain = false;
	int r;

	r = snp_evidence_parse((const char *)data, size, r1, &c1, &chain, &err);
	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENOMEM);
	fuzz_check_msg(err.msg, sizeof(err.msg));
	if (r < 0)
		return 0;
	FUZZ_CHECK(c1.n <= SNP_MAX_CERTS);

	r = snp_evidence_json(r1, &c1, &json, &err);
	/* A report the JSON carried but cannot carry back is a bug of one side. */
	if (r)
		fprintf(stderr, "encoding the parsed evidence failed: %s\n", err.msg);
	FUZZ_CHECK(r == 0);
	r = snp_evidence_parse(json, strlen(json), r2, &c2, &chain, &err);
	if (r)
		fprintf(stderr, "parsing our own evidence failed: %s\n", err.msg);
	FUZZ_CHECK(r == 0 && memcmp(r1, r2, SNP_REPORT_SIZE) == 0);
	const struct snp_cert *v1 = snp_certs_vek(&c1), *v2 = snp_certs_vek(&c2);
	FUZZ_CHECK(!v1 == !v2);
	if (v1)
		FUZZ_CHECK(v1->type == v2->type && v1->len == v2->len &&
			   memcmp(v1->der, v2->der, v1->len) == 0);
	free(json);
	snp_certs_free(&c1);
	snp_certs_free(&c2);
	return 0;
}
