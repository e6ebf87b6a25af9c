/* SEV-SNP attestation reports (snp_report_check, snp_report_describe,
 * snp_evidence_json, snp_verify_signature): the report comes through the
 * host, so any bytes must decode safely. Properties: the description is
 * valid JSON, and whatever snp_evidence_json encodes, snp_evidence_parse
 * rebuilds to exactly the same 1184 bytes (the broker checks the signature
 * over what it rebuilds). Seeds come from ../shared/vectors at run time
 * (tools/fuzz.sh); with $CWINIT_VECTORS set, signatures are checked
 * against the Milan VCEK there too. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include "fuzz.h"
#include "jsonr.h"
#include "snp.h"

static uint8_t *vcek;
static size_t vcek_len;
static bool loaded;

static void load_vcek(void)
{
	const char *dir = getenv("CWINIT_VECTORS");
	char path[4096];
	int fd;

	loaded = true;
	if (!dir || !*dir)
		return;
	snprintf(path, sizeof(path), "%s/snp/trustee-milan-v2-vcek.der", dir);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	vcek = malloc(8192);
	ssize_t n = vcek ? read(fd, vcek, 8192) : -1;
	close(fd);
	if (n <= 0) {
		free(vcek);
		vcek = NULL;
		return;
	}
	vcek_len = (size_t)n;
}

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
	uint8_t back[SNP_REPORT_SIZE], raw[8];
	struct snp_tcb tcb;
	struct jw w;
	char *json = NULL;
	bool chain = true;
	enum snp_gen gen;
	int r;

	if (!loaded)
		load_vcek();
	r = snp_report_check(data, size, &err);
	FUZZ_CHECK(r == 0 || r == -EINVAL);
	fuzz_check_msg(err.msg, sizeof(err.msg));
	if (r < 0)
		return 0;

	gen = snp_generation(data);
	FUZZ_CHECK(snp_gen_name(gen) != NULL);
	snp_tcb_decode(data + 0x180, snp_gen_turin(gen), &tcb);
	snp_tcb_encode(&tcb, snp_gen_turin(gen), raw);
	snp_tcb_decode(raw, snp_gen_turin(gen), &tcb);
	long reserved = snp_reserved_nonzero(data);
	FUZZ_CHECK(reserved >= -1 && reserved < SNP_REPORT_SIZE);

	jw_init(&w, size % 2);
	jw_object(&w);
	snp_report_describe(data, &w);
	jw_end(&w);
	check_json(jw_finish(&w));

	r = snp_evidence_json(data, NULL, &json, &err);
	FUZZ_CHECK(r == 0 || r == -EINVAL);
	fuzz_check_msg(err.msg, sizeof(err.msg));
	if (r == 0) {
		FUZZ_CHECK(reserved == -1);
		r = snp_evidence_parse(json, strlen(json), back, NULL, &chain, &err);
		if (r)
			fprintf(stderr, "rebuilding failed: %s\n", err.msg);
		FUZZ_CHECK(r == 0 && !chain && memcmp(back, data, SNP_REPORT_SIZE) == 0);
		free(json);
	}

	/* A P-384 verification costs more than all the rest: one input in
	 * eight (chosen by a signature byte, so a rerun does the same). */
	if (vcek && (data[SNP_OFF_SIG_R] & 7) == 0) {
		r = snp_verify_signature(data, vcek, vcek_len, &err);
		FUZZ_CHECK(r == 0 || r == -EBADMSG);
	}
	return 0;
}
