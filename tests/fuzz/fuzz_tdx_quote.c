/* TDX quotes (tdx_quote_parse, tdx_quote_describe, tdx_evidence_json) and
 * TDREPORTs (tdx_tdreport_check, tdx_tdreport_describe). The quote comes
 * from the host's quoting service, so any bytes must decode safely.
 * Properties: a parsed quote lies inside the input, the descriptions are
 * valid JSON, and the Trustee evidence we would send decodes back to the
 * same quote. Seeds come from ../shared/vectors at run time. */
#include <errno.h>
#include "evidence.h"
#include "fuzz.h"
#include "jsonr.h"
#include "tdx.h"

static void check_json(char *text)
{
	struct cw_err err = { { 0 } };
	struct jr *doc = NULL;

	FUZZ_CHECK(text);
	FUZZ_CHECK(jr_parse(text, strlen(text), &doc, &err) == 0 && jr_is(doc, JR_OBJECT));
	jr_free(doc);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_err err = { { 0 } };
	struct evidence_decoded dec = { 0 };
	struct tdx_quote q;
	struct jw w;
	char *json = NULL;
	int r;

	if (tdx_tdreport_check(data, size, &err) == 0) {
		jw_init(&w, false);
		jw_object(&w);
		tdx_tdreport_describe(data, &w);
		jw_end(&w);
		check_json(jw_finish(&w));
	}
	fuzz_check_msg(err.msg, sizeof(err.msg));

	r = tdx_quote_parse(data, size, &q, &err);
	FUZZ_CHECK(r == 0 || r == -EINVAL);
	fuzz_check_msg(err.msg, sizeof(err.msg));
	if (r < 0)
		return 0;
	FUZZ_CHECK(q.version == 4 || q.version == 5);
	FUZZ_CHECK(q.body_off + q.body_len + 4 <= q.len && q.len <= size);
	FUZZ_CHECK(q.body_off + TDX_BODY_OFF_REPORT_DATA + TDX_REPORT_DATA_SIZE <= q.len);

	jw_init(&w, size % 2);
	jw_object(&w);
	tdx_quote_describe(data, &q, &w);
	jw_end(&w);
	check_json(jw_finish(&w));

	FUZZ_CHECK(tdx_evidence_json(data, q.len, size % 3 ? NULL : data, size % 7, &json, &err) == 0);
	r = evidence_decode((const uint8_t *)json, strlen(json), NULL, 0, NULL, 0, &dec, &err);
	if (r)
		fprintf(stderr, "decoding our own tdx evidence failed: %s\n", err.msg);
	FUZZ_CHECK(r == 0 && dec.json);
	evidence_decoded_free(&dec);
	free(json);
	return 0;
}
