/* `cwinit evidence decode`: every vector through the decoder (kind
 * detection, the fields people read, signature checks with the given or
 * embedded certificate), malformed inputs with their offset and reason,
 * and the command's arguments and exit statuses. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include "command.h"
#include "check.h"
#include "eventlog.h"
#include "evidence.h"
#include "jsonr.h"
#include "tdx.h"
#include "vectors.h"

static char dir[] = "/tmp/cwinit-test-evidence-XXXXXX";

/* The member at a dotted path of a parsed document, or NULL. */
static const struct jr *at(const struct jr *doc, const char *path)
{
	char buf[128], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k && doc; k = strtok_r(NULL, ".", &save))
		doc = jr_get(doc, k);
	return doc;
}

static const char *str_at(const struct jr *doc, const char *path)
{
	const struct jr *v = at(doc, path);
	return jr_is(v, JR_STRING) ? v->str : "(not a string)";
}

static uint64_t num_at(const struct jr *doc, const char *path)
{
	uint64_t x = UINT64_MAX;
	jr_uint(at(doc, path), UINT64_MAX, &x);
	return x;
}

/* The text of the last decoded document: its numbers point into it. */
static char *last_json;

/* Decodes in; returns the parsed document (caller frees) or NULL. */
static struct jr *decode(const uint8_t *in, size_t len, const uint8_t *cert, size_t cert_len,
			 enum evidence_signature *sig)
{
	struct cw_err err = { "" };
	struct evidence_decoded d;
	struct jr *doc = NULL;

	if (evidence_decode(in, len, cert, cert_len, NULL, 0, &d, &err) < 0) {
		fprintf(stderr, "decode failed: %s\n", err.msg);
		return NULL;
	}
	if (jr_parse(d.json, strlen(d.json), &doc, &err) < 0)
		fprintf(stderr, "the decoder printed invalid JSON: %s\n", err.msg);
	if (sig)
		*sig = d.signature;
	free(last_json);
	last_json = d.json;
	return doc;
}

static void expect_error(const uint8_t *in, size_t len, const char *msg)
{
	struct cw_err err = { "" };
	struct evidence_decoded d;

	CHECK(evidence_decode(in, len, NULL, 0, NULL, 0, &d, &err) < 0);
	if (!strstr(err.msg, msg)) {
		check_failures++;
		fprintf(stderr, "got \"%s\", expected \"%s\"\n", err.msg, msg);
	}
}

static void test_snp_inputs(void)
{
	size_t n, clen, vlen, hlen, glen;
	_cleanup_free_ uint8_t *v2 = vector("snp/trustee-milan-v2-report.bin", &n);
	_cleanup_free_ uint8_t *vcek = vector("snp/trustee-milan-v2-vcek.der", &clen);
	_cleanup_free_ uint8_t *vlek = vector("snp/trustee-milan-v3-vlek.der", &vlen);
	_cleanup_free_ uint8_t *hex_text = vector("snp/virtee-milan-v2-report.hex", &hlen);
	_cleanup_free_ uint8_t *genoa = vector("snp/trustee-genoa-v3-evidence.json", &glen);
	enum evidence_signature sig;
	struct jr *doc;

	doc = decode(v2, n, vcek, clen, &sig);
	CHECK_STR(str_at(doc, "kind"), "snp-report");
	CHECK_STR(str_at(doc, "sha256"), "7c614616feb65823351fa42620ea260fb84fd22b2337a480ca0d5f04f363ca38");
	CHECK_INT(num_at(doc, "report.version"), 2);
	CHECK_INT(num_at(doc, "report.policy.value"), 0x3001f);
	CHECK_INT(num_at(doc, "report.policy.abi_minor"), 0x1f);
	CHECK(jr_is(at(doc, "report.policy.smt"), JR_BOOL) && at(doc, "report.policy.smt")->boolean);
	CHECK(jr_is(at(doc, "report.policy.debug"), JR_BOOL) && !at(doc, "report.policy.debug")->boolean);
	CHECK_STR(str_at(doc, "report.reported_tcb.raw"), "0300000000000873");
	CHECK_INT(num_at(doc, "report.reported_tcb.microcode"), 0x73);
	CHECK_STR(str_at(doc, "report.key_info.signer"), "VCEK");
	CHECK(jr_is(at(doc, "report.cpuid_fam_id"), JR_NULL));
	CHECK(jr_is(at(doc, "signature.verified"), JR_BOOL) && at(doc, "signature.verified")->boolean);
	CHECK_STR(str_at(doc, "signature.by"), "VCEK");
	CHECK_INT(sig, EVIDENCE_SIG_VERIFIED);
	jr_free(doc);

	/* the wrong certificate: decoded, but reported as not verified */
	doc = decode(v2, n, vlek, vlen, &sig);
	CHECK_INT(sig, EVIDENCE_SIG_FAILED);
	CHECK(jr_is(at(doc, "signature.verified"), JR_BOOL) && !at(doc, "signature.verified")->boolean);
	jr_free(doc);
	/* no certificate: nothing claimed */
	doc = decode(v2, n, NULL, 0, &sig);
	CHECK_INT(sig, EVIDENCE_SIG_UNCHECKED);
	CHECK(jr_is(at(doc, "signature.verified"), JR_NULL));
	jr_free(doc);

	/* hex text in lower case, broken into lines, is the same report */
	for (size_t i = 0; i < hlen; i++)
		hex_text[i] = (uint8_t)(hex_text[i] | 0x20);
	_cleanup_free_ uint8_t *lines = malloc(2 * hlen);
	size_t m = 0;
	for (size_t i = 0; i < hlen; i++) {
		lines[m++] = hex_text[i];
		if (i % 64 == 63)
			lines[m++] = '\n';
	}
	doc = decode(lines, m, NULL, 0, NULL);
	CHECK_STR(str_at(doc, "kind"), "snp-report-hex");
	CHECK_STR(str_at(doc, "sha256"), "120d77b213c8868dd42f160ccb0114f05336ec715f6d51070f534b33c7e03f3b");
	jr_free(doc);
	expect_error(lines, m - 5, "hex text: expected 2368 hex digits (1184 bytes), got 2364");

	/* Trustee evidence: checked with the VCEK of its own cert_chain */
	doc = decode(genoa, glen, NULL, 0, &sig);
	CHECK_STR(str_at(doc, "kind"), "trustee-snp-evidence");
	CHECK_INT(sig, EVIDENCE_SIG_VERIFIED);
	CHECK_STR(str_at(doc, "signature.certificate"), "cert_chain");
	CHECK_STR(str_at(doc, "report.generation"), "Genoa");
	CHECK_INT(num_at(doc, "report.reported_tcb.bootloader"), 10);
	CHECK_INT(num_at(doc, "report.reported_tcb.snp"), 23);
	CHECK_INT(num_at(doc, "report.reported_tcb.microcode"), 25);
	CHECK_INT(num_at(doc, "report.cpuid_mod_id"), 0xa0);
	CHECK(jr_is(at(doc, "cert_chain"), JR_ARRAY) && at(doc, "cert_chain")->n == 1);
	jr_free(doc);
	/* ... and a given certificate wins over the embedded one */
	doc = decode(genoa, glen, vcek, clen, &sig);
	CHECK_INT(sig, EVIDENCE_SIG_FAILED);
	CHECK_STR(str_at(doc, "signature.certificate"), "--cert");
	jr_free(doc);
	/* one changed value in the JSON breaks the signature */
	char *p = strstr((char *)genoa, "\"guest_svn\":0");
	p[12] = '1';
	doc = decode(genoa, glen, NULL, 0, &sig);
	CHECK_INT(sig, EVIDENCE_SIG_FAILED);
	jr_free(doc);
	p[12] = '0';

	/* malformed reports */
	expect_error(v2, 1000, "expected 1184 bytes, got 1000");
	expect_error(v2, 0, "expected 1184 bytes, got 0");
	v2[0] = 1;
	expect_error(v2, n, "offset 0x0: report version 1 is not supported");
	expect_error((const uint8_t *)"{\"a\":1}", 7, "JSON: neither Trustee snp evidence");
	expect_error((const uint8_t *)" {\"attestation_report\":1", 24,
		     "JSON: offset 24: expected ',' or '}'");
}

static void test_tdx_inputs(void)
{
	struct cw_err err = { "" };
	size_t n, rlen;
	_cleanup_free_ uint8_t *q = vector("tdx/trustee-quote-v5.dat", &n);
	_cleanup_free_ uint8_t *padded = calloc(1, n + 100);
	_cleanup_free_ uint8_t *report = vector("tdx/dcap-tdreport.dat", &rlen);
	struct evidence_decoded d;
	char *json = NULL;
	struct jr *doc;

	memcpy(padded, q, n);
	doc = decode(padded, n + 100, NULL, 0, NULL);
	CHECK_STR(str_at(doc, "kind"), "tdx-quote");
	CHECK_INT(num_at(doc, "quote.header.version"), 5);
	CHECK_INT(num_at(doc, "quote.body.body_type"), 3);
	CHECK_STR(str_at(doc, "quote.body.mr_td"), "dfba221b48a22af8511542ee796603f37382800840dcd978"
						   "703909bf8e64d4c8a1e9de86e7c9638bfcba422f3886400a");
	CHECK(strlen(str_at(doc, "quote.body.mrservicetd")) == 96);
	CHECK_INT(num_at(doc, "trailing_bytes"), 100);
	jr_free(doc);
	CHECK(evidence_decode(q, n, (const uint8_t *)"x", 1, NULL, 0, &d, &err) == -EINVAL);
	CHECK(strstr(err.msg, "--cert applies to SNP evidence only") != NULL);

	CHECK_INT(tdx_evidence_json(q, n, (const uint8_t *)"log", 3, &json, &err), 0);
	doc = decode((const uint8_t *)json, strlen(json), NULL, 0, NULL);
	CHECK_STR(str_at(doc, "kind"), "trustee-tdx-evidence");
	CHECK_INT(num_at(doc, "cc_eventlog_bytes"), 3);
	CHECK(strstr(str_at(doc, "eventlog.error"), "shorter than its first event") != NULL);
	CHECK_STR(str_at(doc, "quote.body.report_data"),
		  "6d6ab13b046cff606ac0074be13981b07b6325dba10b5facc96febf551c0c3be"
		  "2b75f92fe1f88f4bb996969ad0174b4b7a70261b7b85c844f4b33a4674fd049f");
	jr_free(doc);
	free(json);
	expect_error((const uint8_t *)"{\"quote\":\"####\"}", 16, "JSON: quote is not standard base64");
	expect_error((const uint8_t *)"{\"quote\":\"AAAA\",\"x\":1}", 22, "JSON: x is not a known field");
	expect_error((const uint8_t *)"{\"quote\":\"BAACAIEAAAA=\"}", 24,
		     "quote: offset 0x0: 8 bytes are too short");

	doc = decode(report, rlen, NULL, 0, NULL);
	CHECK_STR(str_at(doc, "kind"), "tdreport");
	CHECK_STR(str_at(doc, "tdreport.mrtd"), "bb1249bde960ef9b22d56eefb94b7f40ca3b528b31e6e4af"
						"0babb075c02ce5c1f63681101779927ea604f5aa49ec95b3");
	jr_free(doc);
	expect_error(report, 1000, "expected 1024 bytes, got 1000");
	q[0] = 6;
	expect_error(q, n, "expected 1184 bytes, got 5006"); /* no longer a quote */
}

/* Runs command_main with stdout in a file; returns the exit status. */
static int run(const char *const *args, int argc, char *out, size_t outsz)
{
	char path[96];
	int saved = dup(STDOUT_FILENO), saved_err = dup(STDERR_FILENO), fd, st;
	ssize_t k;

	snprintf(path, sizeof(path), "%s/stdout", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	int null = open("/dev/null", O_WRONLY);
	fflush(stdout);
	dup2(fd, STDOUT_FILENO);
	dup2(null, STDERR_FILENO);
	st = command_main(argc, (char **)args);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	dup2(saved_err, STDERR_FILENO);
	close(saved);
	close(saved_err);
	close(null);
	k = pread(fd, out, outsz - 1, 0);
	out[k > 0 ? k : 0] = '\0';
	close(fd);
	return st;
}

/* Replaying an event log against a quote's RTMRs: a v4 quote whose
 * registers are set to what cwinit's entries (behind the no-CCEL header)
 * replay to, then one byte off. TDX quote signatures are the broker's to
 * check, not the decoder's, so the edited quote still decodes. */
static void test_tdx_replay(void)
{
	struct cw_err err = { "" };
	size_t n, elen, cclen;
	_cleanup_free_ uint8_t *q = vector("tdx/trustee-quote-v4.dat", &n);
	uint8_t *entry = NULL, *cc = NULL, d[48], rtmr[4][48];
	struct evidence_decoded out;
	struct tdx_quote tq;
	char *json = NULL;
	struct jr *doc;

	if (!q || tdx_quote_parse(q, n, &tq, &err) < 0) {
		CHECK(!"quote vector");
		return;
	}
	CHECK_INT(eventlog_entry("cwinit", "Separator", "{\"state\":\"workload-start\"}", &entry,
				 &elen, d, &err), 0);
	CHECK_INT(eventlog_cc(NULL, 0, entry, elen, &cc, &cclen, &err), 0);
	CHECK_INT(eventlog_replay(cc, cclen, rtmr, &err), 0);
	memcpy(q + tq.body_off + TDX_BODY_OFF_RTMR0, rtmr, sizeof(rtmr));

	/* cwinit's entries file alone, with --eventlog. */
	CHECK_INT(evidence_decode(q, n, NULL, 0, entry, elen, &out, &err), 0);
	CHECK_INT(out.replay, EVIDENCE_REPLAY_MATCH);
	CHECK(out.json && strstr(out.json, "\"aael\": \"cwinit Separator {\\\"state\\\":\\\"workload-start\\\"}\""));
	evidence_decoded_free(&out);
	/* The same log inside Trustee tdx evidence. */
	CHECK_INT(tdx_evidence_json(q, n, cc, cclen, &json, &err), 0);
	doc = decode((const uint8_t *)json, strlen(json), NULL, 0, NULL);
	CHECK(doc && jr_is(at(doc, "eventlog.rtmr3.match"), JR_BOOL) &&
	      at(doc, "eventlog.rtmr3.match")->boolean);
	CHECK(jr_is(at(doc, "eventlog.events"), JR_ARRAY) && at(doc, "eventlog.events")->n == 1);
	if (jr_is(at(doc, "eventlog.events"), JR_ARRAY) && at(doc, "eventlog.events")->n == 1)
		CHECK_INT(num_at(&at(doc, "eventlog.events")->items[0], "mr_index"), 4);
	jr_free(doc);
	CHECK_INT(evidence_decode((const uint8_t *)json, strlen(json), NULL, 0, entry, elen, &out,
				  &err), -EINVAL);
	CHECK(strstr(err.msg, "--eventlog with evidence that carries its cc_eventlog") != NULL);
	free(json);
	/* One byte off in RTMR3: no match. */
	q[tq.body_off + TDX_BODY_OFF_RTMR0 + 3 * 48] ^= 1;
	CHECK_INT(evidence_decode(q, n, NULL, 0, cc, cclen, &out, &err), 0);
	CHECK_INT(out.replay, EVIDENCE_REPLAY_MISMATCH);
	evidence_decoded_free(&out);
	free(entry);
	free(cc);
}

static void test_command(void)
{
	char vec[400], vcek[400], vlek[400], bad[120], out[65536];

	snprintf(vec, sizeof(vec), "%s/snp/trustee-milan-v2-report.bin", check_vectors_dir());
	snprintf(vcek, sizeof(vcek), "%s/snp/trustee-milan-v2-vcek.der", check_vectors_dir());
	snprintf(vlek, sizeof(vlek), "%s/snp/trustee-milan-v3-vlek.der", check_vectors_dir());
	snprintf(bad, sizeof(bad), "%s/short", dir);
	{
		int fd = open(bad, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		CHECK(write(fd, "\x02\0\0\0", 4) == 4);
		close(fd);
	}
	const char *ok[] = { "cwinit", "evidence", "decode", "--cert", vcek, vec, NULL };
	CHECK_INT(run(ok, 6, out, sizeof(out)), 0);
	CHECK(strstr(out, "\"verified\": true") != NULL);
	const char *nocert[] = { "cwinit", "evidence", "decode", vec, NULL };
	CHECK_INT(run(nocert, 4, out, sizeof(out)), 0);
	const char *wrong[] = { "cwinit", "evidence", "decode", "--cert", vlek, vec, NULL };
	CHECK_INT(run(wrong, 6, out, sizeof(out)), 1);
	CHECK(strstr(out, "\"verified\": false") != NULL);
	const char *shortin[] = { "cwinit", "evidence", "decode", bad, NULL };
	CHECK_INT(run(shortin, 4, out, sizeof(out)), 1);
	CHECK_STR(out, "");
	const char *missing[] = { "cwinit", "evidence", "decode", "/nonexistent", NULL };
	CHECK_INT(run(missing, 4, out, sizeof(out)), 1);
	const char *usage1[] = { "cwinit", "evidence", "decode", NULL };
	CHECK_INT(run(usage1, 3, out, sizeof(out)), 2);
	const char *usage2[] = { "cwinit", "evidence", "decode", "--bogus", vec, NULL };
	CHECK_INT(run(usage2, 5, out, sizeof(out)), 2);
	const char *usage3[] = { "cwinit", NULL };
	CHECK_INT(run(usage3, 1, out, sizeof(out)), 2);
	const char *usage4[] = { "cwinit", "evidence", "get", "--report-data", "abc", NULL };
	CHECK_INT(run(usage4, 5, out, sizeof(out)), 2);
	const char *usage5[] = { "cwinit", "evidence", "get", "--report-data",
				 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
				 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00", NULL };
	CHECK_INT(run(usage5, 5, out, sizeof(out)), 2);
	const char *help[] = { "cwinit", "--help", NULL };
	CHECK_INT(run(help, 2, out, sizeof(out)), 0);
	CHECK(strstr(out, "cwinit evidence decode") != NULL);
	/* inside a guest with a sample TEE configured: the sample evidence */
	const char *sample[] = { "cwinit", "evidence", "get", "--tee", "sample", "--report-data",
				 "0102", NULL };
	CHECK_INT(run(sample, 7, out, sizeof(out)), 0);
	CHECK_STR(out, "{\"svn\":\"1\",\"report_data\":\"AQI=\"}\n");
	if (access("/dev/sev-guest", F_OK) != 0 && access("/sys/kernel/config/tsm/report", F_OK) != 0) {
		const char *none[] = { "cwinit", "evidence", "get", NULL };
		CHECK_INT(run(none, 3, out, sizeof(out)), 1); /* fails closed, no sample */
		CHECK_STR(out, "");
	}
}

int main(void)
{
	if (!mkdtemp(dir))
		return 2;
	test_snp_inputs();
	test_tdx_inputs();
	test_tdx_replay();
	test_command();
	free(last_json);
	char cmd[80];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 2;
	return check_finish("test_evidence");
}
