/* init-data: the digest of known documents (sha256, sha384, sha512, as
 * python's hashlib gives them), cut or padded to SNP HOST_DATA (32 bytes)
 * and TDX MRCONFIGID (48 bytes), the documents refused, and the check on
 * real evidence (the shared SNP and TDX vectors, with the field as the
 * hardware left it and set to the digest). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include "base64.h"
#include "check.h"
#include "initdata.h"
#include "util.h"

static const char doc_a[] = "algorithm = \"sha384\"\nversion = \"0.1.0\"\n\n[data]\n"
			    "\"cdh.toml\" = '''\nsocket = 'unix:///run/cdh.sock'\n'''\n";
static const char digest_a[] = "97f9f4820f77ce6147e758e4dfbb2806fe760d2ded53a4d834b88c2c"
			       "cd4b01a826b16df1bd7caf7bbe42842098754dbf";
static const char doc_b[] = "# comment\nversion = '0.1.0'\r\nalgorithm = 'sha256' # trailing\n"
			    "[data]\nkey = \"value\"\n";
static const char digest_b[] = "56cd7da2d8ffb98dd91565a9a698e340a41aef4349d8a4ba59ace186734fa091";
static const char doc_c[] = "algorithm = \"sha512\"\nversion = \"0.1.0\"\n[data]\n";
static const char digest_c[] = "a2973e5a76270de749481fb21dca8da6a5f24911beb60de5eba36c07f5a18e69"
			       "a18c321e077b38ee17720d1d032548893a07fe9f3e0569ef8673357a399ffb35";

static size_t unhex(const char *hex, uint8_t *out)
{
	size_t n = strlen(hex) / 2;

	for (size_t i = 0; i < n; i++)
		sscanf(hex + 2 * i, "%2hhx", &out[i]);
	return n;
}

static void test_digests(void)
{
	struct { const char *doc, *hex, *alg; } cases[] = {
		{ doc_a, digest_a, "sha384" }, { doc_b, digest_b, "sha256" }, { doc_c, digest_c, "sha512" },
	};
	struct cw_err err;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint8_t want[64], d[INITDATA_MAX_DIGEST], field[64];
		size_t wl = unhex(cases[i].hex, want), dl = 0;
		const char *alg = NULL;

		CHECK_INT(initdata_digest(cases[i].doc, strlen(cases[i].doc), d, &dl, &alg, &err), 0);
		CHECK_STR(alg, cases[i].alg);
		CHECK_INT(dl, wl);
		CHECK_MEM(d, want, wl);

		/* HOST_DATA (32) and MRCONFIGID (48): the digest cut, or zero-padded. */
		for (size_t f = 32; f <= 48; f += 16) {
			memset(field, 0, sizeof(field));
			memcpy(field, want, wl < f ? wl : f);
			CHECK_INT(initdata_check(cases[i].doc, strlen(cases[i].doc), field, f, &err), 0);
			field[f - 1] ^= 1;
			CHECK_INT(initdata_check(cases[i].doc, strlen(cases[i].doc), field, f, &err),
				  -EPERM);
			CHECK(strstr(err.msg, cases[i].alg) != NULL);
			CHECK(strstr(err.msg, "other init-data") != NULL);
		}
	}
	/* A sha256 digest padded to 48 bytes: the last 16 must be zero. */
	uint8_t field[48] = { 0 };
	unhex(digest_b, field);
	field[40] = 1;
	CHECK_INT(initdata_check(doc_b, strlen(doc_b), field, 48, &err), -EPERM);
	CHECK(strstr(err.msg, "padded to 48 bytes") != NULL);
	CHECK_INT(initdata_check(doc_a, strlen(doc_a), field, 32, &err), -EPERM);
	CHECK(strstr(err.msg, "cut to 32 bytes") != NULL);
}

static void expect_refused(const char *doc, size_t len, const char *word)
{
	struct cw_err err;
	uint8_t d[INITDATA_MAX_DIGEST];
	size_t dl;
	const char *alg;

	err.msg[0] = '\0';
	CHECK_INT(initdata_digest(doc, len, d, &dl, &alg, &err), -EINVAL);
	if (!strstr(err.msg, word))
		fprintf(stderr, "\"%s\" lacks \"%s\"\n", err.msg, word);
	CHECK(strstr(err.msg, word) != NULL);
}

#define REFUSED(doc, word) expect_refused(doc, sizeof(doc) - 1, word)

static void test_refused(void)
{
	REFUSED("version = \"0.1.0\"\n[data]\n", "no top-level algorithm");
	REFUSED("algorithm = \"sha1\"\nversion = \"0.1.0\"\n[data]\n", "line 1: algorithm \"sha1\"");
	REFUSED("algorithm = \"SHA384\"\nversion = \"0.1.0\"\n[data]\n", "is not sha256");
	REFUSED("algorithm = \"sha384\"\nversion = \"0.2.0\"\n[data]\n", "line 2: version");
	REFUSED("algorithm = \"sha384\"\n[data]\n", "no top-level version");
	REFUSED("algorithm = \"sha384\"\nversion = \"0.1.0\"\n", "no [data]");
	REFUSED("algorithm = \"sha384\"\nalgorithm = \"sha512\"\nversion = \"0.1.0\"\n[data]\n",
		"line 2: algorithm given twice");
	REFUSED("x = '''\nalgorithm = \"sha512\"\n'''\nalgorithm = \"sha384\"\nversion = \"0.1.0\"\n[data]\n",
		"line 1: before the first table");
	REFUSED("algorithm = \"sha\\u0033\"\nversion = \"0.1.0\"\n[data]\n", "line 1");
	REFUSED("a.b = \"x\"\nalgorithm = \"sha384\"\nversion = \"0.1.0\"\n[data]\n", "line 1");
	REFUSED("n = 5\nalgorithm = \"sha384\"\nversion = \"0.1.0\"\n[data]\n", "line 1");
	REFUSED("algorithm = \"sha384\" x\nversion = \"0.1.0\"\n[data]\n", "line 1");
	REFUSED("algorithm = \"sha384\"\nversion = \"0.1.0\"\n[data]\nk = \"\xff\"\n", "UTF-8");
	REFUSED("algorithm = \"sha384\"\nversion = \"0.1.0\"\n[data]\nk = \"\0\"\n", "NUL");
	/* After the first table nothing is read but [data]'s header. */
	static const char later[] = "algorithm = \"sha384\"\nversion = \"0.1.0\"\n[data]\n"
				    "algorithm = \"sha1\"\n";
	uint8_t d[INITDATA_MAX_DIGEST];
	size_t dl;
	const char *alg;
	struct cw_err err;
	CHECK_INT(initdata_digest(later, sizeof(later) - 1, d, &dl, &alg, &err), 0);
	CHECK_STR(alg, "sha384");
	/* Table headers as TOML allows them: blanks inside, a comment after. */
	static const char spaced[] = "algorithm = \"sha384\"\nversion = \"0.1.0\"\n[ data ] # the data\n";
	CHECK_INT(initdata_digest(spaced, sizeof(spaced) - 1, d, &dl, &alg, &err), 0);
	REFUSED("algorithm = \"sha384\"\nversion = \"0.1.0\"\n[datas]\n", "no [data]");
	REFUSED("algorithm = \"sha384\"\nversion = \"0.1.0\"\n[data.x]\n", "no [data]");
}

static char *vector(const char *name, size_t *len)
{
	char path[512], *text = NULL;

	snprintf(path, sizeof(path), "%s/%s", check_vectors_dir(), name);
	if (read_file_bounded(path, 1 << 20, &text, len) < 0) {
		fprintf(stderr, "cannot read %s\n", path);
		CHECK(!"vector readable");
	}
	return text;
}

static void test_snp_evidence(void)
{
	static const char zeros[] = "\"host_data\":[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,"
				    "0,0,0,0,0,0,0,0]";
	struct cw_err err;
	uint8_t d[48];
	size_t len = 0, used;
	char *ev = vector("snp/trustee-genoa-v3-evidence.json", &len), *at, *patched;

	if (!ev)
		return;
	/* The real report's HOST_DATA is zero: any document mismatches. */
	CHECK_INT(initdata_check_evidence("snp", ev, doc_a, strlen(doc_a), &err), -EPERM);
	CHECK(strstr(err.msg, "the SNP report's HOST_DATA is 00000000000000000000000000000000...") != NULL);
	CHECK(strstr(err.msg, "97f9f4820f77ce6147e758e4dfbb2806...") != NULL);

	/* The same report with HOST_DATA set to the first 32 digest bytes. */
	at = strstr(ev, zeros);
	CHECK(at != NULL);
	if (!at) {
		free(ev);
		return;
	}
	unhex(digest_a, d);
	patched = malloc(len + 200);
	used = (size_t)(at - ev);
	memcpy(patched, ev, used);
	used += (size_t)sprintf(patched + used, "\"host_data\":[");
	for (int i = 0; i < 32; i++)
		used += (size_t)sprintf(patched + used, "%s%u", i ? "," : "", d[i]);
	used += (size_t)sprintf(patched + used, "]");
	strcpy(patched + used, at + strlen(zeros));
	CHECK_INT(initdata_check_evidence("snp", patched, doc_a, strlen(doc_a), &err), 0);
	CHECK_INT(initdata_check_evidence("snp", patched, doc_c, strlen(doc_c), &err), -EPERM);

	CHECK_INT(initdata_check_evidence("snp", "{\"svn\":\"1\"}", doc_a, strlen(doc_a), &err),
		  -EBADMSG);
	CHECK_INT(initdata_check_evidence("sample", "{\"svn\":\"1\",\"report_data\":\"\"}", doc_a,
					  strlen(doc_a), &err), -ENOTSUP);
	free(patched);
	free(ev);
}

/* tdx evidence around a quote whose MRCONFIGID (body + 184) is set or not. */
static void check_tdx(const char *name, size_t body_off)
{
	struct cw_err err;
	size_t len = 0;
	uint8_t *q = (uint8_t *)vector(name, &len), d[64];
	char *b64, *ev;

	if (!q)
		return;
	b64 = base64_encode_alloc(q, len, BASE64_STD);
	ev = malloc(strlen(b64) + 64);
	sprintf(ev, "{\"cc_eventlog\":null,\"quote\":\"%s\"}", b64);
	CHECK_INT(initdata_check_evidence("tdx", ev, doc_c, strlen(doc_c), &err), -EPERM);
	CHECK(strstr(err.msg, "the TDX quote's MRCONFIGID is 00000000") != NULL);
	CHECK(strstr(err.msg, "cut to 48 bytes") != NULL);
	free(b64);

	unhex(digest_c, d);
	memcpy(q + body_off + 184, d, 48);
	b64 = base64_encode_alloc(q, len, BASE64_STD);
	sprintf(ev, "{\"cc_eventlog\":null,\"quote\":\"%s\"}", b64);
	CHECK_INT(initdata_check_evidence("tdx", ev, doc_c, strlen(doc_c), &err), 0);
	CHECK_INT(initdata_check_evidence("tdx", ev, doc_a, strlen(doc_a), &err), -EPERM);
	CHECK_INT(initdata_check_evidence("tdx", "{\"quote\":\"AAAA\"}", doc_c, strlen(doc_c), &err),
		  -EBADMSG);
	free(b64);
	free(ev);
	free(q);
}

static void test_load(void)
{
	char path[] = "/tmp/cwinit-test-initdata-XXXXXX", *text = NULL;
	struct cw_err err;
	size_t len = 0;
	int fd = mkstemp(path);

	CHECK(fd >= 0 && write(fd, doc_a, strlen(doc_a)) == (ssize_t)strlen(doc_a));
	close(fd);
	CHECK_INT(initdata_load(path, &text, &len, &err), 0);
	CHECK_INT(len, strlen(doc_a));
	CHECK(text && memcmp(text, doc_a, len) == 0);
	free(text);
	text = NULL;
	fd = open(path, O_WRONLY | O_TRUNC);
	CHECK(fd >= 0 && write(fd, "algorithm = \"md5\"\n", 18) == 18);
	close(fd);
	CHECK_INT(initdata_load(path, &text, &len, &err), -EINVAL);
	CHECK(text == NULL);
	CHECK(strstr(err.msg, "init_data /tmp/cwinit-test-initdata-") != NULL);
	unlink(path);
	CHECK_INT(initdata_load(path, &text, &len, &err), -ENOENT);
	CHECK(strstr(err.msg, "No such file") != NULL);
}

int main(void)
{
	test_digests();
	test_refused();
	test_snp_evidence();
	check_tdx("tdx/trustee-quote-v4.dat", 48);
	check_tdx("tdx/trustee-quote-v5.dat", 54);
	test_load();
	return check_finish("test_initdata");
}
