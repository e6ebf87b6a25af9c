/* TDX quotes (v4, v5) and the TDREPORT on the real vectors: MR_TD and
 * REPORT_DATA of all three quotes, trailing padding trimmed, malformed
 * quotes refused with their offset, the TDREPORT's fields and its two
 * hash self-checks, and the Trustee `tdx` evidence JSON. */
#include <errno.h>
#include "base64.h"
#include "check.h"
#include "jsonr.h"
#include "tdx.h"
#include "vectors.h"

static const struct {
	const char *file;
	uint16_t version, body_type;
	size_t len;
	const char *mr_td, *report_data;
} quotes[] = {
	{ "tdx/trustee-quote-v4.dat", 4, 2, 4936,
	  "705ee9381b8633a9fbe532b52345e8433343d2868959f57889d84ca377c395b689cac1599ccea1b7d420483a9ce5f031",
	  "7c71fe2c86eff65a7cf8dbc22b3275689fd0464a267baced1bf94fc1324656ae"
	  "b755da3d44d098c0c87382f3a5f85b45c8a28fee1d3bdb38342bf96671501429" },
	{ "tdx/trustee-quote-v5.dat", 5, 3, 5006,
	  "dfba221b48a22af8511542ee796603f37382800840dcd978703909bf8e64d4c8a1e9de86e7c9638bfcba422f3886400a",
	  "6d6ab13b046cff606ac0074be13981b07b6325dba10b5facc96febf551c0c3be"
	  "2b75f92fe1f88f4bb996969ad0174b4b7a70261b7b85c844f4b33a4674fd049f" },
	{ "tdx/go-tdx-guest-quote-v5.dat", 5, 3, 5006,
	  "7348651a34b2d2d3462822e3a750ec6110125f36757c78480bbfc69cc0d21fb001a1ced3ee19747dda8f750c3bc8f876",
	  "945eaacf5abc1f719d8666a942fda03d1edcb4490277396093dc5a5289ab9f1e"
	  "094aed63060cd4a4933a4dd537ed1255c9c79ecb3ed82cd1b486233e31c25c3a" },
};

static void expect_error(const uint8_t *b, size_t len, const char *msg)
{
	struct cw_err err = { "" };
	struct tdx_quote q;

	CHECK_INT(tdx_quote_parse(b, len, &q, &err), -EINVAL);
	if (!strstr(err.msg, msg)) {
		check_failures++;
		fprintf(stderr, "quote error \"%s\", expected \"%s\"\n", err.msg, msg);
	}
}

static void test_quotes(void)
{
	struct cw_err err = { "" };

	for (size_t i = 0; i < ARRAY_SIZE(quotes); i++) {
		size_t len;
		_cleanup_free_ uint8_t *b = vector(quotes[i].file, &len);
		_cleanup_free_ uint8_t *padded = calloc(1, len + 4096);
		struct tdx_quote q;

		CHECK_INT(len, quotes[i].len);
		CHECK_INT(tdx_quote_parse(b, len, &q, &err), 0);
		CHECK_INT(q.version, quotes[i].version);
		CHECK_INT(q.body_type, quotes[i].body_type);
		CHECK_INT(q.len, len);
		CHECK_STR(hex(b + q.body_off + TDX_BODY_OFF_MRTD, 48), quotes[i].mr_td);
		CHECK_STR(hex(tdx_quote_report_data(b, &q), 64), quotes[i].report_data);
		/* as the README places them: MR_TD at 184 (v4) or 190 (v5) */
		CHECK_INT(q.body_off + TDX_BODY_OFF_MRTD, quotes[i].version == 4 ? 184 : 190);

		/* a quote service's padding is not part of the quote */
		memcpy(padded, b, len);
		CHECK_INT(tdx_quote_parse(padded, len + 4096, &q, &err), 0);
		CHECK_INT(q.len, len);

		/* truncated anywhere: refused, never read past the end */
		for (size_t cut = 0; cut < len; cut += cut < 700 ? 1 : 97)
			CHECK_INT(tdx_quote_parse(b, cut, &q, &err), -EINVAL);
	}

	size_t len;
	_cleanup_free_ uint8_t *v4 = vector("tdx/trustee-quote-v4.dat", &len);
	_cleanup_free_ uint8_t *v5 = vector("tdx/trustee-quote-v5.dat", &len);
	expect_error(v4, 47, "offset 0x0: 47 bytes are too short for a quote header");
	expect_error(v4, 636, "offset 0x278: signature data of 4300 bytes runs past the end");
	expect_error(v4, 600, "offset 0x278: quote ends before the signature data length");
	v4[0] = 3;
	expect_error(v4, 4936, "offset 0x0: quote version 3 is not supported");
	v4[0] = 4;
	v4[4] = 0x00;
	expect_error(v4, 4936, "offset 0x4: tee type 0x0 is not TDX");
	v4[4] = 0x81;
	v5[48] = 1;
	expect_error(v5, 5006, "offset 0x30: body type 1 is not a TD report");
	v5[48] = 2; /* TDX 1.0 body type with the 1.5 size */
	expect_error(v5, 5006, "offset 0x32: body size 648 does not match body type 2");
	v5[48] = 3;
	v5[54 + 648] = 0xff; /* signature length byte: now far past the end */
	v5[54 + 648 + 3] = 0x7f;
	expect_error(v5, 5006, "runs past the end");
}

static void test_tdreport(void)
{
	struct cw_err err = { "" };
	size_t len;
	_cleanup_free_ uint8_t *b = vector("tdx/dcap-tdreport.dat", &len);
	struct jr *doc = NULL;
	struct jw w;
	char *json;

	CHECK_INT(len, TDX_TDREPORT_SIZE);
	CHECK_INT(tdx_tdreport_check(b, len, &err), 0);
	CHECK_STR(hex(b + TDX_TDREPORT_OFF_MRTD, 48),
		  "bb1249bde960ef9b22d56eefb94b7f40ca3b528b31e6e4af0babb075c02ce5c1f63681101779927ea604f5aa49ec95b3");
	CHECK_STR(hex(b + TDX_TDREPORT_OFF_REPORTDATA, 64),
		  "b46a00ebf78bcdff4a1d54bd4d8780427f9dbace511059be041209444c7bde00"
		  "e5deebdc6ab9dcb4d6307123b7f165368e1f04df305d9d3470a679bc2257bd07");

	jw_init(&w, true);
	jw_object(&w);
	tdx_tdreport_describe(b, &w);
	jw_end(&w);
	json = jw_finish(&w);
	CHECK(json && jr_parse(json, strlen(json), &doc, &err) == 0);
	CHECK_STR(jr_get(doc, "mrtd") ? jr_get(doc, "mrtd")->str : NULL, hex(b + 528, 48));
	CHECK_STR(jr_get(doc, "reportdata") ? jr_get(doc, "reportdata")->str : NULL, hex(b + 128, 64));
	CHECK_STR(jr_get(doc, "mrconfigid") ? jr_get(doc, "mrconfigid")->str : NULL, hex(b + 576, 48));
	CHECK_STR(jr_get(doc, "rtmr3") ? jr_get(doc, "rtmr3")->str : NULL, hex(b + 864, 48));
	CHECK(jr_is(jr_get(doc, "tee_info_hash_matches"), JR_BOOL) &&
	      jr_get(doc, "tee_info_hash_matches")->boolean);
	CHECK(jr_is(jr_get(doc, "tee_tcb_info_hash_matches"), JR_BOOL) &&
	      jr_get(doc, "tee_tcb_info_hash_matches")->boolean);
	jr_free(doc);
	free(json);

	/* a changed TDINFO byte breaks TEE_INFO_HASH, not TEE_TCB_INFO_HASH */
	b[600] ^= 1;
	jw_init(&w, false);
	jw_object(&w);
	tdx_tdreport_describe(b, &w);
	jw_end(&w);
	json = jw_finish(&w);
	CHECK(json && strstr(json, "\"tee_info_hash_matches\":false") &&
	      strstr(json, "\"tee_tcb_info_hash_matches\":true"));
	free(json);

	CHECK_INT(tdx_tdreport_check(b, 1023, &err), -EINVAL);
	CHECK_STR(err.msg, "expected 1024 bytes, got 1023");
	b[0] = 0x80;
	CHECK_INT(tdx_tdreport_check(b, len, &err), -EINVAL);
	CHECK_STR(err.msg, "offset 0x0: report type 0x80 is not a TDREPORT (0x81)");
}

static void test_evidence_json(void)
{
	struct cw_err err = { "" };
	size_t len, n;
	_cleanup_free_ uint8_t *q = vector("tdx/trustee-quote-v4.dat", &len);
	_cleanup_free_ uint8_t *back = malloc(base64_decoded_max(8000));
	struct jr *doc = NULL;
	char *json = NULL;

	CHECK_INT(tdx_evidence_json(q, len, NULL, 0, &json, &err), 0);
	CHECK(json && strncmp(json, "{\"cc_eventlog\":null,\"quote\":\"", 29) == 0);
	CHECK(json && jr_parse(json, strlen(json), &doc, &err) == 0);
	const struct jr *quote = jr_get(doc, "quote");
	CHECK(jr_is(quote, JR_STRING) &&
	      base64_decode(quote->str, quote->str_len, BASE64_STD, back, 8000, &n) == 0 &&
	      n == len && memcmp(back, q, len) == 0);
	jr_free(doc);
	free(json);

	CHECK_INT(tdx_evidence_json(q, len, (const uint8_t *)"TCG", 3, &json, &err), 0);
	CHECK(json && strncmp(json, "{\"cc_eventlog\":\"VENH\",\"quote\":\"BAACAIEAAAA", 42) == 0);
	free(json);
}

int main(void)
{
	test_quotes();
	test_tdreport();
	test_evidence_json();
	return check_finish("test_tdx");
}
