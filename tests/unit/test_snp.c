/* SEV-SNP reports on the real vectors: every value the vectors' README
 * lists, the signatures with their certificates, the Trustee JSON both
 * ways (the golden Genoa evidence rebuilds the signed bytes and encodes
 * back to the same values), exact u64s, the Turin TCB layout, malformed
 * reports and JSON, certificate tables and the device error messages. */
#include <errno.h>
#include "check.h"
#include "jsonr.h"
#include "snp.h"
#include "vectors.h"

struct expect {
	const char *file, *cert;
	bool hex;
	uint32_t version, vmpl;
	uint64_t policy;
	const char *report_data, *measurement, *reported_tcb, *sha256, *chip_id;
};

static const struct expect vectors[] = {
	{ "snp/trustee-milan-v2-report.bin", "snp/trustee-milan-v2-vcek.der", false, 2, 0, 0x3001f,
	  "ec6c52d7533cc2c4f45be7849cf112ab82b2009fe7bd43e71ed08c14400ad7e2"
	  "0000000000000000000000000000000000000000000000000000000000000000",
	  "a1f3930413247bb38cfc171579ea3c12d5fe4901f0c792f63fd75d98f1ef827c23500644e0e692e6be917f9050d3d38c",
	  "0300000000000873", "7c614616feb65823351fa42620ea260fb84fd22b2337a480ca0d5f04f363ca38",
	  "c38427a30d4c7af9d96f7a15b97269825a64cb76a2352ffd5d18115d89ad473f"
	  "8e8c0bcd9a5d9286612bad4aadfb4426205a3b9e4fea82301135a170e477524e" },
	{ "snp/trustee-milan-v3-vlek-report.bin", "snp/trustee-milan-v3-vlek.der", false, 3, 1, 0x30000,
	  "819770b7e6ea6df8dd8fd4dd146b073c0bf4f3ce5b0977ecac486e3a05ed1bd5"
	  "4e2a7ac1f5d1ca02e7d7d5ef9f73b8574fd9359e3a480d741a4478e8a7bc27ca",
	  "8922ebbdd00ec2c541f36a6e7a82a8773a7accb451ed67bc94e740dbe92c93c4e8c9af857f5ceeb5a493df2a570d7bf0",
	  "04000000000018d9", "decdab949afc590668e45869b20f23e4afc7ac03c61201ab20208c6668a58a2d",
	  "0000000000000000000000000000000000000000000000000000000000000000"
	  "0000000000000000000000000000000000000000000000000000000000000000" },
	{ "snp/virtee-milan-v2-report.hex", "snp/virtee-milan-v2-vcek.der", true, 2, 0, 0x30000,
	  "d447b55d197491bfe15cf298f9de9986b7a7c4be2468b4f6e2d53b71d7c64581"
	  "0b0f2cdfca0040433be063fc1a8293f0f3f8dae7b79fecb3d1cd82bd6a93ebfd",
	  "7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95b9c480cd81841f",
	  "0300000000000873", "120d77b213c8868dd42f160ccb0114f05336ec715f6d51070f534b33c7e03f3b",
	  "d49554ec717f4e5b0fe6b143bcf0405bd7ae304727edf46603f2a76aef6a3abc"
	  "15d7af38db757039029f0efacfd08e244324884738c72b082e2f87a44d541eb6" },
};

static void load(const struct expect *e, uint8_t r[SNP_REPORT_SIZE])
{
	size_t len;
	_cleanup_free_ uint8_t *b = vector(e->file, &len);

	if (e->hex) {
		CHECK_INT(unhex((const char *)b, r, SNP_REPORT_SIZE), SNP_REPORT_SIZE);
	} else {
		CHECK_INT(len, SNP_REPORT_SIZE);
		memcpy(r, b, SNP_REPORT_SIZE);
	}
}

static void test_vectors(void)
{
	struct cw_err err = { "" };

	for (size_t i = 0; i < ARRAY_SIZE(vectors); i++) {
		const struct expect *e = &vectors[i];
		const struct expect *other = &vectors[(i + 1) % ARRAY_SIZE(vectors)];
		uint8_t r[SNP_REPORT_SIZE];
		size_t clen, olen;
		_cleanup_free_ uint8_t *cert = vector(e->cert, &clen);
		_cleanup_free_ uint8_t *ocert = vector(other->cert, &olen);

		load(e, r);
		CHECK_INT(snp_report_check(r, sizeof(r), &err), 0);
		CHECK_INT(le32(r), e->version);
		CHECK_INT(le32(r + 0x30), e->vmpl);
		CHECK_INT(le64(r + 0x8), e->policy);
		CHECK_STR(hex(r + 0x50, 64), e->report_data);
		CHECK_STR(hex(r + 0x90, 48), e->measurement);
		CHECK_STR(hex(r + 0x180, 8), e->reported_tcb);
		CHECK_STR(sha256_hex(r, sizeof(r)), e->sha256);
		CHECK_STR(hex(r + 0x1a0, 64), e->chip_id);
		CHECK_INT(snp_reserved_nonzero(r), -1);
		CHECK_INT(snp_generation(r), e->version == 2 ? SNP_GEN_V2 : SNP_GEN_MILAN);
		CHECK_INT(snp_verify_signature(r, cert, clen, &err), 0);
		CHECK_INT(snp_verify_signature(r, ocert, olen, &err), -EBADMSG);
		r[0x90] ^= 1; /* one changed byte */
		CHECK_INT(snp_verify_signature(r, cert, clen, &err), -EBADMSG);
		CHECK(strstr(err.msg, "does not verify") != NULL);
	}
	/* the VLEK report says so in key_info (signer field 1 at bits 4:2) */
	uint8_t r[SNP_REPORT_SIZE];
	load(&vectors[1], r);
	CHECK_INT((le32(r + 0x48) >> 2) & 7, 1);
	/* a certificate that is no certificate */
	CHECK_INT(snp_verify_signature(r, (const uint8_t *)"junk", 4, &err), -EINVAL);
}

static bool jr_equal(const struct jr *a, const struct jr *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case JR_NULL: return true;
	case JR_BOOL: return a->boolean == b->boolean;
	case JR_NUMBER: return a->num_len == b->num_len && memcmp(a->num, b->num, a->num_len) == 0;
	case JR_STRING: return strcmp(a->str, b->str) == 0;
	case JR_ARRAY:
		if (a->n != b->n)
			return false;
		for (size_t i = 0; i < a->n; i++)
			if (!jr_equal(&a->items[i], &b->items[i]))
				return false;
		return true;
	case JR_OBJECT:
		if (a->n != b->n)
			return false;
		for (size_t i = 0; i < a->n; i++) {
			const struct jr *v = jr_get(b, a->keys[i]);
			if (!v || !jr_equal(&a->items[i], v))
				return false;
		}
		return true;
	}
	return false;
}

/* JSON text a and b hold the same values (numbers compared as text). */
static bool same_json(const char *a, const char *b)
{
	struct jr *ja = NULL, *jb = NULL;
	bool eq = jr_parse(a, strlen(a), &ja, NULL) == 0 && jr_parse(b, strlen(b), &jb, NULL) == 0 &&
		  jr_equal(ja, jb);

	jr_free(ja);
	jr_free(jb);
	return eq;
}

/* JSON -> bytes -> JSON must give the same values; returns the bytes. */
static void roundtrip(const char *json, uint8_t r[SNP_REPORT_SIZE])
{
	struct cw_err err = { "" };
	struct snp_certs certs;
	bool chain;
	char *out = NULL;

	CHECK_INT(snp_evidence_parse(json, strlen(json), r, &certs, &chain, &err), 0);
	CHECK_INT(snp_evidence_json(r, &certs, &out, &err), 0);
	CHECK(out && same_json(json, out));
	free(out);
	snp_certs_free(&certs);
}

static void test_golden(void)
{
	struct cw_err err = { "" };
	size_t len;
	_cleanup_free_ char *golden = (char *)vector("snp/trustee-genoa-v3-evidence.json", &len);
	uint8_t r[SNP_REPORT_SIZE];
	struct snp_certs certs;
	struct snp_tcb t;
	bool chain = false;
	char *out = NULL;

	CHECK_INT(snp_evidence_parse(golden, len, r, &certs, &chain, &err), 0);
	CHECK(chain);
	CHECK_INT(certs.n, 1);
	CHECK_INT(certs.c[0].type, SNP_CERT_VCEK);
	CHECK_INT(le32(r), 3);
	CHECK_INT(le32(r + 0x30), 0);
	CHECK_INT(le64(r + 0x8), 196608);
	CHECK_STR(hex(r + 0x50, 64), "7e7320889600c7ac133aea7b896c51f41026002982292a7369559796999c1bf9"
				     "29eef3ff23c46e858f0b1982f9a92b17c51b578d958cde6b0c92978f150cf9b0");
	CHECK_STR(hex(r + 0x90, 48), "6a6519d757e68c2e939c9dbbbc1828498e8de35d2766dd05f1a2cca5059d0cf4"
				     "ae62a36d75c837974dd50b315506e73e");
	CHECK_STR(hex(r + 0x1a0, 64), "371c55d6d15cb50f16dc31d39a24e300caaabff4431e841111429b73ec45ad67"
				      "ea6e687ffae7bf84b54a5d0e6d79b3ef6ff0bd8b4cff94c2163af5c5de8718e8");
	CHECK_INT(snp_generation(r), SNP_GEN_GENOA);
	snp_tcb_decode(r + 0x180, false, &t);
	CHECK(t.bootloader == 10 && t.tee == 0 && t.snp == 23 && t.microcode == 25 && !t.has_fmc);
	CHECK_STR(hex(r + 0x180, 8), "0a00000000001719");
	/* the rebuilt bytes are the signed bytes */
	CHECK_INT(snp_verify_signature(r, certs.c[0].der, certs.c[0].len, &err), 0);
	r[0x50] ^= 0x80;
	CHECK_INT(snp_verify_signature(r, certs.c[0].der, certs.c[0].len, &err), -EBADMSG);
	r[0x50] ^= 0x80;
	CHECK_INT(snp_evidence_json(r, &certs, &out, &err), 0);
	CHECK(out && same_json(golden, out));
	/* same member order as the file too, so the text matches byte for byte */
	CHECK(out && strncmp(out, golden, strlen(out)) == 0);
	free(out);
	snp_certs_free(&certs);
}

/* golden with the first `from` replaced by `to` (all of them if all). */
static char *edit(const char *golden, const char *from, const char *to, bool all)
{
	size_t n = strlen(golden) + 64 * (strlen(to) + 1);
	char *s = malloc(n), *o = s;
	const char *p = golden, *hit;

	while ((hit = strstr(p, from)) && (all || p == golden)) {
		memcpy(o, p, (size_t)(hit - p));
		o += hit - p;
		o += sprintf(o, "%s", to);
		p = hit + strlen(from);
		if (!all)
			break;
	}
	strcpy(o, p);
	return s;
}

static void expect_json_error(const char *golden, const char *from, const char *to,
			      const char *msg)
{
	_cleanup_free_ char *s = edit(golden, from, to, false);
	struct cw_err err = { "" };
	uint8_t r[SNP_REPORT_SIZE];
	struct snp_certs certs;
	bool chain;
	int rc = snp_evidence_parse(s, strlen(s), r, &certs, &chain, &err);

	CHECK_INT(rc, -EINVAL);
	if (!strstr(err.msg, msg)) {
		check_failures++;
		fprintf(stderr, "%s -> %s: got \"%s\", expected \"%s\"\n", from, to, err.msg, msg);
	}
	CHECK_INT(certs.n, 0);
}

static void test_json_errors(void)
{
	size_t len;
	_cleanup_free_ char *g = (char *)vector("snp/trustee-genoa-v3-evidence.json", &len);
	const char *range = "is not an integer in range";

	expect_json_error(g, "\"policy\":196608", "\"policy\":\"196608\"",
			  "JSON: attestation_report.policy is not an integer in range");
	expect_json_error(g, "\"policy\":196608", "\"policy\":18446744073709551616", range);
	expect_json_error(g, "\"policy\":196608", "\"policy\":196608.0", range);
	expect_json_error(g, "\"policy\":196608", "\"policy\":1.96608e5", range);
	expect_json_error(g, "\"policy\":196608", "\"policy\":-1", range);
	expect_json_error(g, "\"policy\":196608", "\"policy\":null", range);
	expect_json_error(g, "\"policy\":196608", "\"policy\":NaN", "JSON: offset");
	expect_json_error(g, "\"policy\":196608", "\"policy\":Infinity", "JSON: offset");
	expect_json_error(g, "\"vmpl\":0", "\"vmpl\":4294967296",
			  "JSON: attestation_report.vmpl is not an integer in range");
	expect_json_error(g, "\"version\":3", "\"version\":1",
			  "JSON: attestation_report.version 1 is not supported");
	expect_json_error(g, "\"report_data\":[126,", "\"report_data\":[256,",
			  "JSON: attestation_report.report_data[0] is not an integer in range");
	expect_json_error(g, "\"report_data\":[126,", "\"report_data\":[126.5,", "report_data[0]");
	expect_json_error(g, "\"report_data\":[126,", "\"report_data\":[",
			  "attestation_report.report_data is not an array of 64 bytes");
	expect_json_error(g, "\"family_id\":[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]", "\"family_id\":\"x\"",
			  "attestation_report.family_id is not an array of 16 bytes");
	expect_json_error(g, "\"guest_svn\":0,", "", "attestation_report.guest_svn is missing");
	expect_json_error(g, "\"guest_svn\":0,", "\"guest_svn\":0,\"extra\":1,",
			  "attestation_report.extra is not a known field");
	expect_json_error(g, "\"guest_svn\":0,", "\"guest_svn\":0,\"guest_svn\":0,",
			  "duplicate member name");
	expect_json_error(g, "\"fmc\":null", "\"fmc\":1",
			  "attestation_report.current_tcb.fmc must be null: a Genoa TCB has no FMC");
	expect_json_error(g, "\"bootloader\":10", "\"bootloader\":300",
			  "attestation_report.current_tcb.bootloader is not an integer in range");
	expect_json_error(g, "\"cpuid_mod_id\":160", "\"cpuid_mod_id\":80",
			  "no known SEV-SNP processor");
	expect_json_error(g, "\"cpuid_step\":2", "\"cpuid_step\":null",
			  "attestation_report.cpuid_step is not an integer in range");
	expect_json_error(g, "\"signature\":", "\"launch_mit_vector\":5,\"signature\":",
			  "launch_mit_vector must be null before report version 5");
	expect_json_error(g, "\"major\":1", "\"major\":1,\"patch\":0",
			  "attestation_report.current.patch is not a known field");
	expect_json_error(g, "\"cert_type\":\"VCEK\"", "\"cert_type\":\"BOGUS\"",
			  "JSON: cert_chain[0].cert_type is not a certificate type");
	expect_json_error(g, "\"cert_chain\":[", "\"cert_chain\":{\"a\":[", "JSON: offset");
	expect_json_error(g, "{\"attestation_report\"", "[{\"attestation_report\"", "JSON: offset");
	expect_json_error(g, "{\"attestation_report\"", "{\"x\":0,\"attestation_report\"",
			  "evidence.x is not a known field");
	expect_json_error("{\"attestation_report\":7}", "", "", "attestation_report is not an object");
	expect_json_error("{}", "", "", "JSON: attestation_report is missing");

	/* trailing garbage, truncation and an empty document */
	struct cw_err err = { "" };
	uint8_t r[SNP_REPORT_SIZE];
	bool chain;
	_cleanup_free_ char *t = malloc(len + 2);
	memcpy(t, g, len);
	memcpy(t + len, "x", 2);
	CHECK_INT(snp_evidence_parse(t, len + 1, r, NULL, &chain, &err), -EINVAL);
	CHECK(strstr(err.msg, "text after the JSON value") != NULL);
	CHECK_INT(snp_evidence_parse(g, len / 2, r, NULL, &chain, &err), -EINVAL);
	CHECK_INT(snp_evidence_parse("", 0, r, NULL, &chain, &err), -EINVAL);
	/* cert_chain null, absent and [] all parse; only [] counts as a chain */
	struct snp_certs certs;
	char *cut = strstr(t, ",\"cert_chain\"");
	CHECK(cut != NULL);
	strcpy(cut, ",\"cert_chain\":null}");
	CHECK_INT(snp_evidence_parse(t, strlen(t), r, &certs, &chain, &err), 0);
	CHECK(!chain && certs.n == 0);
	strcpy(cut, "}");
	CHECK_INT(snp_evidence_parse(t, strlen(t), r, &certs, &chain, &err), 0);
	CHECK(!chain);
	strcpy(cut, ",\"cert_chain\":[]}");
	CHECK_INT(snp_evidence_parse(t, strlen(t), r, &certs, &chain, &err), 0);
	CHECK(chain && certs.n == 0);
}

static void test_exact_u64_and_turin(void)
{
	size_t len;
	_cleanup_free_ char *g = (char *)vector("snp/trustee-genoa-v3-evidence.json", &len);
	_cleanup_free_ char *a = edit(g, "\"version\":3", "\"version\":5", false);
	_cleanup_free_ char *b = edit(a, "\"policy\":196608", "\"policy\":18446744073709551615", false);
	_cleanup_free_ char *c = edit(b, "\"plat_info\":37", "\"plat_info\":9007199254740993", false);
	_cleanup_free_ char *v5 = edit(c, "\"signature\":",
				       "\"launch_mit_vector\":18446744073709551614,"
				       "\"current_mit_vector\":9007199254740995,\"signature\":", false);
	uint8_t r[SNP_REPORT_SIZE];

	roundtrip(v5, r);
	CHECK(le64(r + 0x8) == UINT64_MAX);
	CHECK(le64(r + 0x40) == 9007199254740993ull);
	CHECK(le64(r + 0x1f8) == UINT64_MAX - 1);
	CHECK(le64(r + 0x200) == 9007199254740995ull);

	/* Turin: family 0x1A, FMC first in each TCB */
	_cleanup_free_ char *d = edit(g, "\"cpuid_fam_id\":25", "\"cpuid_fam_id\":26", false);
	_cleanup_free_ char *e = edit(d, "\"cpuid_mod_id\":160", "\"cpuid_mod_id\":2", false);
	_cleanup_free_ char *turin = edit(e, "\"fmc\":null", "\"fmc\":7", true);
	roundtrip(turin, r);
	CHECK_INT(snp_generation(r), SNP_GEN_TURIN);
	CHECK_STR(hex(r + 0x180, 8), "070a001700000019");
	CHECK_STR(hex(r + 0x38, 8), "070a001700000019");
}

static void test_encode_rules(void)
{
	struct cw_err err = { "" };
	uint8_t r[SNP_REPORT_SIZE], back[SNP_REPORT_SIZE];
	struct snp_certs certs = { 0 };
	char *out = NULL;
	bool chain;

	load(&vectors[0], r);
	/* v2: null cpuid fields, no mitigation vectors, null cert_chain */
	CHECK_INT(snp_evidence_json(r, &certs, &out, &err), 0);
	CHECK(out && strstr(out, "\"cpuid_fam_id\":null") && !strstr(out, "mit_vector") &&
	      strstr(out, "\"cert_chain\":null}"));
	CHECK_INT(snp_evidence_parse(out, strlen(out), back, NULL, &chain, &err), 0);
	CHECK(memcmp(r, back, sizeof(r)) == 0 && !chain);
	free(out);

	/* only an ASK: a chain without VCEK/VLEK would make the broker refuse */
	certs.c[0].type = SNP_CERT_ASK;
	certs.c[0].der = (uint8_t *)"x";
	certs.c[0].len = 1;
	certs.n = 1;
	CHECK_INT(snp_evidence_json(r, &certs, &out, &err), 0);
	CHECK(out && strstr(out, "\"cert_chain\":null}"));
	free(out);
	certs.c[0].type = SNP_CERT_VLEK;
	CHECK_INT(snp_evidence_json(r, &certs, &out, &err), 0);
	CHECK(out && strstr(out, "\"cert_chain\":[{\"cert_type\":\"VLEK\",\"data\":[120]}]}"));
	free(out);

	/* bytes the JSON cannot carry are refused with their offset */
	r[0x1f8] = 1;
	CHECK_INT(snp_reserved_nonzero(r), 0x1f8);
	CHECK_INT(snp_evidence_json(r, NULL, &out, &err), -EINVAL);
	CHECK(strstr(err.msg, "offset 0x1f8: a reserved byte is not zero") != NULL);
	r[0x1f8] = 0;
	r[0x183] = 1; /* inside reported_tcb's reserved bytes */
	CHECK_INT(snp_reserved_nonzero(r), 0x183);
	r[0x183] = 0;
	r[0x400] = 1; /* after the signature */
	CHECK_INT(snp_reserved_nonzero(r), 0x400);
	r[0x400] = 0;

	/* a v3 report of a processor AMD has not assigned */
	load(&vectors[1], r);
	r[0x188] = 0x17;
	CHECK_INT(snp_evidence_json(r, NULL, &out, &err), -EINVAL);
	CHECK(strstr(err.msg, "offset 0x188: cpuid family 0x17") != NULL);
}

static void test_malformed_reports(void)
{
	struct cw_err err = { "" };
	uint8_t r[SNP_REPORT_SIZE + 1] = { 0 };

	load(&vectors[0], r);
	CHECK_INT(snp_report_check(r, 1000, &err), -EINVAL);
	CHECK_STR(err.msg, "expected 1184 bytes, got 1000");
	CHECK_INT(snp_report_check(r, SNP_REPORT_SIZE + 1, &err), -EINVAL);
	CHECK_STR(err.msg, "expected 1184 bytes, got 1185");
	r[0] = 1;
	CHECK_INT(snp_report_check(r, SNP_REPORT_SIZE, &err), -EINVAL);
	CHECK_STR(err.msg, "offset 0x0: report version 1 is not supported");
	r[0] = 0;
	CHECK_INT(snp_report_check(r, SNP_REPORT_SIZE, &err), -EINVAL);
}

/* The check both SNP providers make on the report they were handed. */
static void test_report_bound(void)
{
	struct cw_err err = { "" };
	uint8_t r[SNP_REPORT_SIZE], rd[SNP_REPORT_DATA_SIZE];

	load(&vectors[0], r); /* version 2, VMPL 0 */
	memcpy(rd, r + SNP_OFF_REPORT_DATA, sizeof(rd));
	CHECK_INT(snp_report_bound(r, rd, &err), 0);
	rd[63] ^= 1;
	CHECK_INT(snp_report_bound(r, rd, &err), -EBADMSG);
	CHECK_STR(err.msg, "offset 0x50: the report does not carry our report data");
	rd[63] ^= 1;
	r[0] = 1;
	CHECK_INT(snp_report_bound(r, rd, &err), -EINVAL);
	CHECK_STR(err.msg, "offset 0x0: report version 1 is not supported");

	load(&vectors[1], r); /* version 3, VMPL 1 */
	memcpy(rd, r + SNP_OFF_REPORT_DATA, sizeof(rd));
	CHECK_INT(snp_report_bound(r, rd, &err), -EBADMSG);
	CHECK_STR(err.msg, "offset 0x30: the report is for VMPL 1, not 0");
}

static void put_entry(uint8_t *e, const char *guid_hex, uint32_t off, uint32_t len)
{
	unhex(guid_hex, e, 16);
	for (int i = 0; i < 4; i++) {
		e[16 + i] = (uint8_t)(off >> (8 * i));
		e[20 + i] = (uint8_t)(len >> (8 * i));
	}
}

static void test_cert_table(void)
{
	struct cw_err err = { "" };
	struct snp_certs c;
	uint8_t t[4096] = { 0 };

	put_entry(t, "63da758de6644564adc5f4b93be8accd", 100, 5);     /* VCEK */
	put_entry(t + 24, "92f81bc358114d3d97ffd19f88dc67ea", 105, 3); /* CRL: skipped */
	put_entry(t + 48, "4ab7b379bbac4fe4a02f05aef327c782", 108, 2); /* ASK */
	memcpy(t + 100, "VCEK!crlAK", 10);
	CHECK_INT(snp_cert_table_parse(t, sizeof(t), &c, &err), 0);
	CHECK_INT(c.n, 2);
	CHECK(c.c[0].type == SNP_CERT_VCEK && c.c[0].len == 5 && memcmp(c.c[0].der, "VCEK!", 5) == 0);
	CHECK(c.c[1].type == SNP_CERT_ASK && c.c[1].len == 2);
	CHECK(snp_certs_vek(&c) == &c.c[0]);
	snp_certs_free(&c);

	put_entry(t, "63da758de6644564adc5f4b93be8accd", 4000, 200);
	CHECK_INT(snp_cert_table_parse(t, sizeof(t), &c, &err), -EINVAL);
	CHECK(strstr(err.msg, "outside the 4096-byte table") != NULL);
	put_entry(t, "63da758de6644564adc5f4b93be8accd", 0xffffffffu, 2);
	CHECK_INT(snp_cert_table_parse(t, sizeof(t), &c, &err), -EINVAL);
	put_entry(t, "63da758de6644564adc5f4b93be8accd", 0, 4);
	put_entry(t + 24, "63da758de6644564adc5f4b93be8accd", 0, 4);
	CHECK_INT(snp_cert_table_parse(t, 48, &c, &err), -EINVAL); /* ends inside the table */
	CHECK(strstr(err.msg, "no terminating zero entry") != NULL);
	for (int i = 0; i < SNP_MAX_CERTS + 1; i++)
		put_entry(t + 24 * i, "63da758de6644564adc5f4b93be8accd", 1000, 1);
	CHECK_INT(snp_cert_table_parse(t, sizeof(t), &c, &err), -EINVAL);
	memset(t, 0, sizeof(t));
	CHECK_INT(snp_cert_table_parse(t, sizeof(t), &c, &err), 0);
	CHECK_INT(c.n, 0);
	CHECK(snp_certs_vek(&c) == NULL);
}

static void test_request_errors(void)
{
	struct cw_err err = { "" };

	CHECK_INT(snp_request_error("SNP_GET_EXT_REPORT", ENOTTY, 0, 0, &err), -ENOTTY);
	CHECK(strstr(err.msg, "the guest's message key is disabled until reboot") != NULL);
	CHECK_INT(snp_request_error("SNP_GET_EXT_REPORT", ETIMEDOUT, 0, 2, &err), -ETIMEDOUT);
	CHECK(strstr(err.msg, "host stayed busy") != NULL);
	CHECK_INT(snp_request_error("SNP_GET_REPORT", EIO, 0x16, 0, &err), -EIO);
	CHECK(strstr(err.msg, "SNP_GET_REPORT failed") && strstr(err.msg, "firmware status 0x16: invalid parameter"));
	snp_request_error("SNP_GET_EXT_REPORT", EIO, 0, 2, &err);
	CHECK(strstr(err.msg, "VMM error 2: host busy") != NULL);
	snp_request_error("SNP_GET_EXT_REPORT", EIO, 0x27, 0, &err);
	CHECK(strstr(err.msg, "invalid key") != NULL);
}

int main(void)
{
	test_vectors();
	test_golden();
	test_json_errors();
	test_exact_u64_and_turin();
	test_encode_rules();
	test_malformed_reports();
	test_report_bound();
	test_cert_table();
	test_request_errors();
	return check_finish("test_snp");
}
