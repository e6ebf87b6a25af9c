/* The runtime event log: entries byte for byte as guest-components encodes
 * them and Trustee parses them, the cc_eventlog around them, parsing and
 * replay, hostile logs.
 *
 * Vectors: guest-components attestation-agent eventlog unit test (the
 * SHA-384 of "domain operation content"), and the two AAEL entries of
 * Trustee's deps/eventlog/test_data/CCEL_AAEL_alibabacloud (commit
 * 7f5878ff), kept here only as their texts and the SHA-256 of their bytes
 * (offsets 11447 and 11557 of that file), not copied. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "check.h"
#include "eventlog.h"

static void hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static void sha256_hex(const uint8_t *b, size_t n, char out[65])
{
	uint8_t d[32];
	unsigned int l = 0;

	EVP_Digest(b, n, d, &l, EVP_sha256(), NULL);
	hex(d, 32, out);
}

static void sha384(const uint8_t *a, size_t an, const uint8_t *b, size_t bn, uint8_t out[48])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned int l = 0;

	EVP_DigestInit_ex(c, EVP_sha384(), NULL);
	EVP_DigestUpdate(c, a, an);
	EVP_DigestUpdate(c, b, bn);
	EVP_DigestFinal_ex(c, out, &l);
	EVP_MD_CTX_free(c);
}

static void test_entries(void)
{
	struct cw_err err = {{0}};
	uint8_t *e = NULL, d[48];
	size_t n = 0;
	char h[2 * 400 + 1];

	/* guest-components' vector, and the exact bytes. */
	CHECK_INT(eventlog_entry("domain", "operation", "content", &e, &n, d, &err), 0);
	hex(d, 48, h);
	CHECK_STR(h, "dad5f0e226318ffa9839b75a472c6aa7fdb5834949d0a0a22990cf04d5692440fb00f3aa0609db7e49cd8d793f670d02");
	CHECK_INT(n, 74 + 24);
	hex(e, n, h);
	CHECK_STR(h, "04000000" "06000000" "01000000" "0c00"
		     "dad5f0e226318ffa9839b75a472c6aa7fdb5834949d0a0a22990cf04d5692440fb00f3aa0609db7e49cd8d793f670d02"
		     "20000000" "4c454141" "18000000"
		     "646f6d61696e206f7065726174696f6e20636f6e74656e74");
	free(e);

	/* Trustee's test log's two AAEL entries, from their texts alone. */
	CHECK_INT(eventlog_entry("coco.com", "some-operation", "some-content", &e, &n, d, &err), 0);
	CHECK_INT(n, 110);
	sha256_hex(e, n, h);
	CHECK_STR(h, "e895f13a37ca95808e0cab39fc87427fbd019de63a8ed8ace3bb94f49b6bdb80");
	hex(d, 48, h);
	CHECK_STR(h, "2330183d89750c6a374ac9827d33a33636e7876733544584c8ccc88df0df87eada37e5d71d0773502234c2b5fbc7448e");
	free(e);
	CHECK_INT(eventlog_entry("coco.com", "some-operation",
				 "{\"key\": \"value\", \"nested-key\": {\"sub-key\": \"value\"}}", &e, &n, d,
				 &err), 0);
	CHECK_INT(n, 150);
	sha256_hex(e, n, h);
	CHECK_STR(h, "85f87c660e90c9a39766ea82d9cae8e8dca1c5a85b37ec93ea3f714b6fcaeb1b");
	hex(d, 48, h);
	CHECK_STR(h, "82b3e7dd09cbe55777a6eeed67614e9e5a25508ec1cd03ecbfbe10c913fa76ed451fbc275babc6a01a8e5c08e853419b");
	free(e);

	/* What Trustee could not split, or a text that is not one line of UTF-8. */
	static const char *const bad[][3] = {
		{ "", "op", "c" }, { "do main", "op", "c" }, { "d", "o p", "c" }, { "d", "op", "" },
		{ "d", "op", "a\nb" }, { "d", "op", "a\tb" }, { "d", "op", "caf\xe9" }, { "d\x7f", "op", "c" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(eventlog_entry(bad[i][0], bad[i][1], bad[i][2], &e, &n, d, &err) < 0);
		CHECK(e == NULL);
	}
	static char big[EVENTLOG_TEXT_MAX];
	memset(big, 'x', sizeof(big) - 1);
	CHECK_INT(eventlog_entry("d", "op", big, &e, &n, d, &err), -E2BIG);
	/* Content may hold spaces and UTF-8. */
	CHECK_INT(eventlog_entry("d", "op", "{\"a\":\"b c\",\"n\":\"\xc3\xa9\"}", &e, &n, d, &err), 0);
	free(e);
}

/* Events of the AAEL text from two events, no CCEL: the header
 * guest-components sends, the entries, the end marker; replayed. */
static void test_cc_without_ccel(void)
{
	struct cw_err err = {{0}};
	uint8_t *a = NULL, *b = NULL, *cc = NULL, d[48], rtmr[4][48];
	size_t an, bn, cn;
	uint8_t ents[512];
	char h[97];

	CHECK_INT(eventlog_entry("domain", "operation", "content", &a, &an, d, &err), 0);
	CHECK_INT(eventlog_entry("domain", "operation", "content2", &b, &bn, d, &err), 0);
	memcpy(ents, a, an);
	memcpy(ents + an, b, bn);
	CHECK_INT(eventlog_cc(NULL, 0, ents, an + bn, &cc, &cn, &err), 0);
	CHECK_INT(cn, 69 + an + bn + 8);
	CHECK(cc && cc[4] == 3 && cc[32 + 24] == 2);
	CHECK(cc && memcmp(cc + cn - 8, "\xff\xff\xff\xff\xff\xff\xff\xff", 8) == 0);
	CHECK_INT(eventlog_replay(cc, cn, rtmr, &err), 0);
	hex(rtmr[3], 48, h);
	CHECK_STR(h, "8931c16805baa032519f73c0b2ef8f5319f30465cc674806fd55d9b14e766dd59edb0b7bf168204ebe1becb2e610d8b7");
	hex(rtmr[0], 48, h);
	CHECK_STR(h, "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000");
	free(cc);
	/* With one event only: the value guest-components' test gives. */
	CHECK_INT(eventlog_cc(NULL, 0, a, an, &cc, &cn, &err), 0);
	CHECK_INT(eventlog_replay(cc, cn, rtmr, &err), 0);
	hex(rtmr[3], 48, h);
	CHECK_STR(h, "82d3f7a4203f58dafe0519eb5e9f645339cda127418c62d4b0270d790ab6ff3c38783523613a7a9f610e7ba004788c26");
	free(cc);
	/* Nothing at all: no cc_eventlog. */
	CHECK_INT(eventlog_cc(NULL, 0, NULL, 0, &cc, &cn, &err), 0);
	CHECK(cc == NULL && cn == 0);
	free(a);
	free(b);
}

static size_t put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
	return 4;
}

/* A firmware CCEL of our own making: the spec-id event (SHA-384 only), an
 * RTMR0 event, the end marker and the table's 0xFF padding. */
static size_t make_ccel(uint8_t *log, const uint8_t digest[48])
{
	size_t n = 0;

	n += put32(log + n, 0);
	n += put32(log + n, 3);
	memset(log + n, 0, 20);
	n += 20;
	n += put32(log + n, 33);
	memcpy(log + n, "Spec ID Event03\0", 16);
	n += 16;
	n += put32(log + n, 0);
	memset(log + n, 0, 4);
	n += 4;
	n += put32(log + n, 1);
	log[n++] = 0x0c;
	log[n++] = 0;
	log[n++] = 48;
	log[n++] = 0;
	log[n++] = 0;
	/* one event of RTMR0 (CC MR 1) */
	n += put32(log + n, 1);
	n += put32(log + n, 0x80000008);
	n += put32(log + n, 1);
	log[n++] = 0x0c;
	log[n++] = 0;
	memcpy(log + n, digest, 48);
	n += 48;
	n += put32(log + n, 4);
	memcpy(log + n, "fw!!", 4);
	n += 4;
	memset(log + n, 0xff, 64);
	return n + 64;
}

static void test_cc_with_ccel(void)
{
	struct cw_err err = {{0}};
	uint8_t log[512], fw[48], *e = NULL, *cc = NULL, d[48], rtmr[4][48], want[48];
	uint8_t zero[48] = { 0 };
	size_t len, en, cn, end = 0;

	memset(fw, 0x5a, sizeof(fw));
	len = make_ccel(log, fw);
	CHECK_INT(eventlog_parse(log, len, NULL, NULL, &end, &err), 0);
	CHECK_INT(end, len - 64);
	CHECK_INT(eventlog_entry("cwinit", "Test", "{}", &e, &en, d, &err), 0);
	/* Cut at the firmware's end marker, ours after it. */
	CHECK_INT(eventlog_cc(log, len, e, en, &cc, &cn, &err), 0);
	CHECK_INT(cn, (len - 64) + en + 8);
	CHECK(cc && memcmp(cc, log, len - 64) == 0 && memcmp(cc + len - 64, e, en) == 0);
	CHECK_INT(eventlog_replay(cc, cn, rtmr, &err), 0);
	sha384(zero, 48, fw, 48, want);
	CHECK_MEM(rtmr[0], want, 48);
	sha384(zero, 48, d, 48, want);
	CHECK_MEM(rtmr[3], want, 48);
	CHECK_MEM(rtmr[1], zero, 48);
	free(cc);

	/* Hostile logs: every cut inside an entry, bad counts, unknown algorithms. */
	for (size_t cut = 1; cut < len - 64; cut++) {
		int r = eventlog_parse(log, cut, NULL, NULL, &end, &err);
		CHECK(r == -EBADMSG || (r == 0 && end == cut));
	}
	uint8_t bad[512];
	memcpy(bad, log, len);
	put32(bad + 65 + 8, 9); /* digest count */
	CHECK_INT(eventlog_parse(bad, len, NULL, NULL, &end, &err), -EBADMSG);
	memcpy(bad, log, len);
	bad[65 + 12] = 0x0b; /* SHA-256, which the spec-id event does not name */
	CHECK_INT(eventlog_parse(bad, len, NULL, NULL, &end, &err), -EBADMSG);
	memcpy(bad, log, len);
	put32(bad + 65 + 12 + 2 + 48, 0xfffffff0); /* data size */
	CHECK_INT(eventlog_parse(bad, len, NULL, NULL, &end, &err), -EBADMSG);
	CHECK(strstr(err.msg, "runs past the end") != NULL);
	memcpy(bad, log, len);
	put32(bad + 4, 1); /* not a spec-id first event */
	CHECK_INT(eventlog_cc(bad, len, e, en, &cc, &cn, &err), -EBADMSG);
	CHECK(cc == NULL);
	free(e);
}

int main(void)
{
	test_entries();
	test_cc_without_ccel();
	test_cc_with_ccel();
	return check_finish("test_eventlog");
}
