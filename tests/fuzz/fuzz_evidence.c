/* evidence_decode, behind `cwinit evidence decode`: any SNP report (binary
 * or hex), Trustee snp or tdx evidence JSON, TDX quote or TDREPORT, or
 * anything else. Malformed input is -EINVAL with a message; decoded input
 * is valid JSON. Seeds come from ../shared/vectors at run time. */
#include <errno.h>
#include "evidence.h"
#include "fuzz.h"
#include "jsonr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_err err = { { 0 } };
	struct evidence_decoded dec = { 0 };
	struct jr *doc = NULL;
	int r;

	r = evidence_decode(data, size, NULL, 0, NULL, 0, &dec, &err);
	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENOMEM);
	fuzz_check_msg(err.msg, sizeof(err.msg));
	if (r == 0) {
		FUZZ_CHECK(dec.json);
		FUZZ_CHECK(jr_parse(dec.json, strlen(dec.json), &doc, &err) == 0);
		FUZZ_CHECK(dec.signature != EVIDENCE_SIG_FAILED || dec.signature_msg[0]);
		jr_free(doc);
	}
	evidence_decoded_free(&dec);
	return 0;
}
