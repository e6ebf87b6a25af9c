/* The `sample` TEE: software "evidence" that a broker accepts only when
 * its policy allows the sample TEE. For tests; `auto` never picks it.
 *
 * Trustee's sample verifier reads {"svn", "report_data"} and compares the
 * standard-base64-decoded report_data with the binding digest, at the
 * digest's own length (no padding to 64 bytes as SNP and TDX need). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "attest.h"
#include "base64.h"
#include "util.h"

static int sample_get_evidence(const uint8_t *report_data, size_t len, char **json,
			       struct cw_err *err)
{
	_cleanup_free_ char *b64 = NULL;
	size_t n;
	char *s;

	if (len == 0 || len > 64)
		return cw_err_set(err, EINVAL, "report_data of %zu bytes (want 1 to 64)", len);
	if (!(b64 = base64_encode_alloc(report_data, len, BASE64_STD)))
		return cw_err_set(err, ENOMEM, "out of memory for sample evidence");
	n = strlen(b64) + 64;
	if (!(s = malloc(n)))
		return cw_err_set(err, ENOMEM, "out of memory for sample evidence");
	snprintf(s, n, "{\"svn\":\"1\",\"report_data\":\"%s\"}", b64);
	*json = s;
	return 0;
}

const struct evidence_provider sample_provider = {
	.name = "sample",
	.kbs_tee = "sample",
	.detect = NULL, /* chosen only by name */
	.get_evidence = sample_get_evidence,
};
