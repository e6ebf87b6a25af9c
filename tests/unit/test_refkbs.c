/* The reference-kbs client: its pure parts (workload id, tee_data, the
 * bodies, report_data against Python's hashlib, the key answer, PKCS#1
 * v1.5 unpadding) and whole exchanges against tools/test-reference-kbs,
 * with reports signed here by a test VCEK made with the openssl tool. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include "check.h"
#include "config.h"
#include "refkbs.h"
#include "util.h"

static char dir[] = "/tmp/cwinit-test-refkbs-XXXXXX";
static char path_key[300], path_cert[300], path_pass[300], path_port[300], path_log[300];
static uint8_t measurement[48];
static EVP_PKEY *vcek;

static const char *python(void)
{
	return getenv("CWINIT_PYTHON") ? getenv("CWINIT_PYTHON") : "/usr/bin/python3";
}

/* Runs argv; its stdout (up to n-1 bytes) into out when out is not NULL. */
static int run(const char *const argv[], char *out, size_t n)
{
	int fds[2], status = 0;
	ssize_t got = 0, r;
	pid_t pid;

	if (pipe(fds) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(out ? fds[1] : null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	while (out && (size_t)got + 1 < n && (r = read(fds[0], out + got, n - 1 - (size_t)got)) > 0)
		got += r;
	if (out)
		out[got] = '\0';
	close(fds[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ---- pure parts ---- */

static void test_workload_id(void)
{
	char long_id[200];

	CHECK(refkbs_workload_id_valid("a"));
	CHECK(refkbs_workload_id_valid("3f2a9c0e1b7d4a6f8e5c2b1a0d9f8e7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e"));
	CHECK(refkbs_workload_id_valid("wl_1.test-A"));
	CHECK(!refkbs_workload_id_valid(""));
	CHECK(!refkbs_workload_id_valid(NULL));
	CHECK(!refkbs_workload_id_valid("."));
	CHECK(!refkbs_workload_id_valid(".."));
	CHECK(!refkbs_workload_id_valid(".hidden"));
	CHECK(!refkbs_workload_id_valid("a/b"));
	CHECK(!refkbs_workload_id_valid("a b"));
	CHECK(!refkbs_workload_id_valid("a\"b"));
	CHECK(!refkbs_workload_id_valid("a\\b"));
	CHECK(!refkbs_workload_id_valid("caf\xc3\xa9"));
	memset(long_id, 'x', sizeof(long_id));
	long_id[REFKBS_WORKLOAD_ID_MAX] = '\0';
	CHECK(refkbs_workload_id_valid(long_id));
	long_id[REFKBS_WORKLOAD_ID_MAX] = 'x';
	long_id[REFKBS_WORKLOAD_ID_MAX + 1] = '\0';
	CHECK(!refkbs_workload_id_valid(long_id));
}

static int tee_gen(const char *s, char gen[8])
{
	struct cw_err err = { "" };
	int rc = refkbs_tee_gen(s, strlen(s), gen, &err);

	CHECK(rc == 0 || err.msg[0]);
	return rc;
}

static void test_tee_data(void)
{
	char gen[8], big[REFKBS_TEE_DATA_MAX + 64];

	CHECK_INT(tee_gen("{\"gen\":\"milan\"}", gen), 0);
	CHECK_STR(gen, "milan");
	CHECK_INT(tee_gen(" {\"gen\" : \"GeNoA\", \"vendor_chain\":\"/x\"} ", gen), 0);
	CHECK_STR(gen, "genoa");
	CHECK_INT(tee_gen("{}", gen), 0);
	CHECK_STR(gen, "");
	CHECK_INT(tee_gen("{\"gen\":\"turin\"}", gen), -EINVAL);
	CHECK_INT(tee_gen("{\"gen\":\"milanx\"}", gen), -EINVAL);
	CHECK_INT(tee_gen("{\"gen\":\"mil\"}", gen), -EINVAL);
	CHECK_INT(tee_gen("{\"gen\":3}", gen), -EINVAL);
	CHECK_INT(tee_gen("{\"gen\":null}", gen), -EINVAL);
	CHECK_INT(tee_gen("\"milan\"", gen), -EINVAL);
	CHECK_INT(tee_gen("[\"milan\"]", gen), -EINVAL);
	CHECK_INT(tee_gen("{\"gen\":\"milan\"} x", gen), -EINVAL);
	CHECK_INT(tee_gen("{\"gen\":\"milan\"", gen), -EINVAL);
	CHECK_INT(tee_gen("", gen), -EINVAL);
	CHECK_INT(refkbs_tee_gen("{\"gen\":\"milan\"}\0x", 17, gen, NULL), -EINVAL);
	memset(big, ' ', sizeof(big));
	memcpy(big, "{\"gen\":\"milan\"}", 15);
	big[sizeof(big) - 1] = '\0';
	CHECK_INT(tee_gen(big, gen), -EINVAL);
}

/* The footer's workload_id and tee_data reach the configuration, with the
 * initramfs file still winning; hostile values are configuration errors. */
static void test_footer_config(void)
{
	static const char footer[] = "{\"tee\":\"snp\",\"tee_data\":\"{\\\"gen\\\":\\\"Genoa\\\"}\","
				     "\"workload_id\":\"wl-9\",\"cpus\":1,\"ram_mib\":512,"
				     "\"attestation_url\":\"http://127.0.0.1:8000\"}";
	static const char *const bad[] = {
		"{\"tee_data\":\"{\\\"gen\\\":\\\"turin\\\"}\"}",
		"{\"tee_data\":\"milan\"}",
		"{\"tee_data\":7}",
		"{\"workload_id\":\"wl/1\"}",
		"{\"workload_id\":\"..\"}",
	};
	static const char file[] = "{\"snp_gen\":\"milan\",\"workload_id\":\"mine\","
				   "\"kbs_protocol\":\"reference\",\"footer_broker_url\":true}";
	struct cw_config c;
	struct cw_err err = { "" };

	config_defaults(&c);
	CHECK_STR(c.kbs_protocol, "auto");
	CHECK_STR(c.snp_gen, "milan");
	c.footer_broker_url = true;
	CHECK_INT(config_load_footer(&c, footer, strlen(footer), &err), 0);
	CHECK_STR(c.workload_id, "wl-9");
	CHECK_STR(c.snp_gen, "genoa");

	config_defaults(&c);
	CHECK_INT(config_load_json(&c, file, strlen(file), SRC_FILE, &err), 0);
	CHECK_INT(config_load_footer(&c, footer, strlen(footer), &err), 0);
	CHECK_STR(c.workload_id, "mine");
	CHECK_STR(c.snp_gen, "milan");
	CHECK_STR(c.kbs_protocol, "reference");

	CHECK(config_set(&c, "kbs_protocol", "refkbs", SRC_FILE, &err) < 0);
	CHECK(config_set(&c, "snp_gen", "turin", SRC_FILE, &err) < 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		config_defaults(&c);
		err.msg[0] = '\0';
		CHECK(config_load_footer(&c, bad[i], strlen(bad[i]), &err) < 0);
		CHECK(strstr(err.msg, "footer") || strstr(err.msg, "workload_id"));
	}
}

static void test_bodies(void)
{
	uint8_t report[REFKBS_REPORT_SIZE];
	char *s, *ev;
	cJSON *j;

	s = refkbs_auth_body("wl-1");
	CHECK_STR(s, "{\"version\":\"0.0.0\",\"tee\":\"snp\","
		     "\"extra-params\":\"{\\\"workload_id\\\":\\\"wl-1\\\"}\"}");
	free(s);
	CHECK(refkbs_auth_body("a\"b") == NULL);

	for (size_t i = 0; i < sizeof(report); i++)
		report[i] = (uint8_t)(i * 7);
	ev = refkbs_evidence("genoa", report);
	CHECK(ev && strlen(ev) == strlen("{\"gen\":\"genoa\",\"report\":\"\",\"cert_chain\":\"[]\"}") +
			      2 * REFKBS_REPORT_SIZE);
	CHECK(ev && strncmp(ev, "{\"gen\":\"genoa\",\"report\":\"00070E151C232A31383F464D545B"
			    "626970777E858C939AA1A8AFB6BDC4CBD2D9E0E7EEF5FC030A", 98) == 0);
	CHECK(ev && strcmp(ev + strlen(ev) - 20, "\",\"cert_chain\":\"[]\"}") == 0);
	CHECK(refkbs_evidence("turin", report) == NULL);

	/* tee-evidence travels as a JSON string holding the evidence text. */
	s = ev ? refkbs_attest_body("bW9k", "AQAB", ev) : NULL;
	j = s ? cJSON_Parse(s) : NULL;
	CHECK(j != NULL);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "tee-evidence")), ev);
	cJSON *key = cJSON_GetObjectItem(j, "tee-pubkey");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(key, "alg")), "RSA");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(key, "k-mod")), "bW9k");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(key, "k-exp")), "AQAB");
	CHECK(s && strncmp(s, "{\"tee-pubkey\":{\"alg\":\"RSA\",", 27) == 0);
	cJSON_Delete(j);
	free(s);
	free(ev);
}

static void test_report_data(void)
{
	const char *nonce = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
	const char *mod = "wr1hYkQ3p+8mY/5vEl0Ff8L2yG1Z==", *exp = "AQAB";
	const char *argv[] = { python(), "-c",
			       "import hashlib, sys; print(hashlib.sha512("
			       "''.join(sys.argv[1:]).encode()).hexdigest(), end='')",
			       nonce, mod, exp, NULL };
	char want[200], got[2 * REFKBS_REPORT_DATA_SIZE + 1];
	uint8_t rd[REFKBS_REPORT_DATA_SIZE];

	CHECK_INT(refkbs_report_data(nonce, mod, exp, rd), 0);
	for (size_t i = 0; i < sizeof(rd); i++)
		sprintf(got + 2 * i, "%02x", rd[i]);
	CHECK_INT(run(argv, want, sizeof(want)), 0);
	CHECK_STR(got, want);
}

static int key_answer(const char *body, uint8_t ct[REFKBS_RSA_BYTES])
{
	struct cw_err err = { "" };
	int rc = refkbs_key_answer(body, strlen(body), ct, &err);

	CHECK(rc == 0 || err.msg[0]);
	return rc;
}

static void test_key_answer(void)
{
	char body[2 * REFKBS_RSA_BYTES + 16];
	uint8_t ct[REFKBS_RSA_BYTES];

	body[0] = '"';
	for (int i = 0; i < REFKBS_RSA_BYTES; i++)
		sprintf(body + 1 + 2 * i, i % 2 ? "%02x" : "%02X", (i * 13) & 0xff);
	strcpy(body + 1 + 2 * REFKBS_RSA_BYTES, "\"");
	CHECK_INT(key_answer(body, ct), 0);
	CHECK_INT(ct[0], 0);
	CHECK_INT(ct[1], 13);
	CHECK_INT(ct[255], (255 * 13) & 0xff);
	body[100] = 'g';
	CHECK_INT(key_answer(body, ct), -EBADMSG);
	body[100] = 'a';
	strcpy(body + 1 + 2 * REFKBS_RSA_BYTES - 2, "\"");
	CHECK_INT(key_answer(body, ct), -EBADMSG); /* 255 bytes */
	strcpy(body + 1 + 2 * REFKBS_RSA_BYTES - 2, "0000\"");
	CHECK_INT(key_answer(body, ct), -EBADMSG); /* 257 bytes */
	CHECK_INT(key_answer("\"\"", ct), -EBADMSG);
	CHECK_INT(key_answer("{\"key\":\"00\"}", ct), -EBADMSG);
	CHECK_INT(key_answer("null", ct), -EBADMSG);
	CHECK_INT(key_answer("", ct), -EBADMSG);
}

static int unpad(const uint8_t *em, size_t k, struct secret **s)
{
	struct cw_err err = { "" };
	int rc = refkbs_pkcs1_unpad(em, k, s, &err);

	CHECK(rc == 0 || (err.msg[0] && !*s));
	return rc;
}

static void test_pkcs1(void)
{
	static const uint8_t msg[] = "4f2b\0\n\xff passphrase";
	uint8_t em[REFKBS_RSA_BYTES], ct[REFKBS_RSA_BYTES];
	struct secret *s = NULL;
	size_t k = sizeof(em), n;

	/* What OpenSSL's PKCS#1 v1.5 encryption makes, opened raw. */
	EVP_PKEY *key = EVP_RSA_gen(2048);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
	n = sizeof(ct);
	CHECK(EVP_PKEY_encrypt_init(ctx) > 0 &&
	      EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0 &&
	      EVP_PKEY_encrypt(ctx, ct, &n, msg, sizeof(msg) - 1) > 0 && n == sizeof(ct));
	n = sizeof(em);
	CHECK(EVP_PKEY_decrypt_init(ctx) > 0 &&
	      EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) > 0 &&
	      EVP_PKEY_decrypt(ctx, em, &n, ct, sizeof(ct)) > 0 && n == sizeof(em));
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(key);
	CHECK_INT(unpad(em, k, &s), 0);
	CHECK(s && s->len == sizeof(msg) - 1 && memcmp(s->data, msg, s->len) == 0);
	secret_free(s);

	/* Hand-made blocks: 0x00 0x02, PS, 0x00, M. */
	memset(em, 0xa5, sizeof(em));
	em[0] = 0x00, em[1] = 0x02, em[10] = 0x00; /* 8 bytes of PS: the minimum */
	CHECK_INT(unpad(em, k, &s), 0);
	CHECK(s && s->len == k - 11);
	secret_free(s);
	em[10] = 0xa5, em[9] = 0x00; /* 7 bytes of PS */
	CHECK_INT(unpad(em, k, &s), -EBADMSG);
	em[9] = 0xa5, em[k - 1] = 0x00; /* empty message */
	CHECK_INT(unpad(em, k, &s), -EBADMSG);
	em[k - 1] = 0xa5; /* no separator */
	CHECK_INT(unpad(em, k, &s), -EBADMSG);
	em[100] = 0x00;
	em[0] = 0x01; /* first byte */
	CHECK_INT(unpad(em, k, &s), -EBADMSG);
	em[0] = 0x00, em[1] = 0x01; /* signature padding, not encryption */
	CHECK_INT(unpad(em, k, &s), -EBADMSG);
	em[1] = 0x02;
	CHECK_INT(unpad(em, k, &s), 0);
	CHECK(s && s->len == k - 101);
	secret_free(s);
	CHECK_INT(unpad(em, 10, &s), -EBADMSG); /* no room for the padding */
}

/* ---- exchanges against tools/test-reference-kbs ---- */

enum report_mode { REPORT_GOOD, REPORT_FAIL, REPORT_OTHER_DATA };
static enum report_mode report_mode;
static unsigned reports_made;

/* What the firmware does: report_data and measurement in place, then the
 * VCEK's ECDSA P-384 signature over [0, 0x2A0), r and s little-endian. */
static int make_report(const uint8_t rd[REFKBS_REPORT_DATA_SIZE], uint8_t r[REFKBS_REPORT_SIZE],
		       struct cw_err *err)
{
	uint8_t der[128];
	const uint8_t *p = der;
	size_t n = sizeof(der);
	EVP_MD_CTX *md;
	ECDSA_SIG *sig;

	reports_made++;
	if (report_mode == REPORT_FAIL)
		return cw_err_set(err, ENOTTY, "test: the TEE refuses");
	memset(r, 0, REFKBS_REPORT_SIZE);
	r[0] = 2;    /* version */
	r[0x34] = 1; /* ECDSA P-384 with SHA-384 */
	memcpy(r + 0x50, rd, REFKBS_REPORT_DATA_SIZE);
	if (report_mode == REPORT_OTHER_DATA)
		r[0x50] ^= 1;
	memcpy(r + 0x90, measurement, sizeof(measurement));
	md = EVP_MD_CTX_new();
	if (!md || EVP_DigestSignInit(md, NULL, EVP_sha384(), NULL, vcek) <= 0 ||
	    EVP_DigestSign(md, der, &n, r, 0x2A0) <= 0 || !(sig = d2i_ECDSA_SIG(NULL, &p, (long)n))) {
		EVP_MD_CTX_free(md);
		return cw_err_set(err, EIO, "test: signing failed");
	}
	BN_bn2lebinpad(ECDSA_SIG_get0_r(sig), r + 0x2A0, 72);
	BN_bn2lebinpad(ECDSA_SIG_get0_s(sig), r + 0x2E8, 72);
	ECDSA_SIG_free(sig);
	EVP_MD_CTX_free(md);
	return 0;
}

struct refbroker {
	pid_t pid;
	char url[64];
};

static bool broker_start(struct refbroker *b, const char *registered_measurement)
{
	const char *src = getenv("CWINIT_SOURCE_DIR") ? getenv("CWINIT_SOURCE_DIR") : ".";
	char tool[400], *port = NULL;
	const char *argv[] = { python(), tool, "--port", "0", "--port-file", path_port,
			       "--log", path_log, "--vcek", path_cert, "--workload-id", "wl-1",
			       "--launch-measurement", registered_measurement,
			       "--passphrase-file", path_pass, NULL };

	snprintf(tool, sizeof(tool), "%s/tools/test-reference-kbs", src);
	unlink(path_port);
	b->pid = fork();
	if (b->pid == 0) {
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	for (int i = 0; i < 300 && read_file_bounded(path_port, 16, &port, NULL) < 0; i++) {
		if (waitpid(b->pid, NULL, WNOHANG) == b->pid)
			return false;
		usleep(50 * 1000);
	}
	if (!port) {
		kill(b->pid, SIGTERM);
		waitpid(b->pid, NULL, 0);
		return false;
	}
	snprintf(b->url, sizeof(b->url), "http://127.0.0.1:%d", atoi(port));
	free(port);
	return true;
}

static void broker_stop(struct refbroker *b)
{
	kill(b->pid, SIGTERM);
	waitpid(b->pid, NULL, 0);
}

static int exchange(const char *url, const char *workload_id, struct secret **s,
		    struct kbs_result *res, struct cw_err *err)
{
	struct refkbs_request req = {
		.url = url,
		.workload_id = workload_id,
		.gen = "milan",
		.report = make_report,
		.request_timeout_ms = 5000,
		.attempts = 2,
		.deadline_ms = 20000,
		.key_restarts = 1,
	};
	int rc;

	err->msg[0] = '\0';
	reports_made = 0;
	rc = refkbs_get_passphrase(&req, s, res, err);
	fprintf(stderr, "exchange %s: rc=%d failure=%d requests=%u err=\"%s\"\n", workload_id, rc,
		res->failure, res->requests, err->msg);
	return rc;
}

static void test_exchange(void)
{
	char hex[97], wrong[97], *pass = NULL;
	struct refbroker b;
	struct kbs_result res;
	struct cw_err err;
	struct secret *s = NULL;
	size_t pass_len = 0;

	for (size_t i = 0; i < sizeof(measurement); i++) {
		measurement[i] = (uint8_t)(0xa0 + i);
		sprintf(hex + 2 * i, "%02x", measurement[i]);
		sprintf(wrong + 2 * i, "%02x", (uint8_t)(0x5a ^ i));
	}
	CHECK_INT(read_file_bounded(path_pass, 100, &pass, &pass_len), 0);

	if (!broker_start(&b, hex)) {
		CHECK(!"test-reference-kbs started");
		free(pass);
		return;
	}
	report_mode = REPORT_GOOD;
	CHECK_INT(exchange(b.url, "wl-1", &s, &res, &err), 0);
	CHECK_INT(res.failure, KBS_OK);
	CHECK_INT(res.requests, 3);
	CHECK_INT(reports_made, 1);
	CHECK(s && pass && s->len == pass_len && memcmp(s->data, pass, pass_len) == 0);
	secret_free(s);

	/* An unknown workload is refused at auth, for good. */
	CHECK_INT(exchange(b.url, "wl-2", &s, &res, &err), -EACCES);
	CHECK_INT(res.failure, KBS_DENIED);
	CHECK_STR(res.step, "auth");
	CHECK_INT(res.http_status, 400);
	CHECK_STR(res.detail, "No TEE config found");
	CHECK(strstr(err.msg, "/kbs/v0/auth: HTTP 400 No TEE config found (attempt 1 of 2)"));
	CHECK(s == NULL);

	/* The TEE failing, or answering for other report_data: evidence. */
	report_mode = REPORT_FAIL;
	CHECK(exchange(b.url, "wl-1", &s, &res, &err) < 0);
	CHECK_INT(res.failure, KBS_EVIDENCE);
	CHECK(strstr(err.msg, "test: the TEE refuses"));
	report_mode = REPORT_OTHER_DATA;
	CHECK(exchange(b.url, "wl-1", &s, &res, &err) < 0);
	CHECK_INT(res.failure, KBS_EVIDENCE);
	CHECK_INT(res.requests, 1);

	/* Configuration refused before any request. */
	report_mode = REPORT_GOOD;
	CHECK_INT(exchange(b.url, "../wl-1", &s, &res, &err), -EINVAL);
	CHECK_INT(res.failure, KBS_INTERNAL);
	CHECK_INT(res.requests, 0);
	broker_stop(&b);

	/* A launch measurement other than the registered one is refused at attest. */
	if (broker_start(&b, wrong)) {
		CHECK_INT(exchange(b.url, "wl-1", &s, &res, &err), -EACCES);
		CHECK_INT(res.failure, KBS_DENIED);
		CHECK_STR(res.step, "attest");
		CHECK_INT(res.http_status, 400);
		CHECK_STR(res.detail, "SnpMeasurementInvalid");
		CHECK_INT(res.requests, 2);
		broker_stop(&b);
	} else {
		CHECK(!"test-reference-kbs started");
	}

	/* Nobody listening: retried, then unreachable. */
	CHECK(exchange("http://127.0.0.1:1", "wl-1", &s, &res, &err) < 0);
	CHECK_INT(res.failure, KBS_UNREACHABLE);
	CHECK_INT(res.requests, 2);
	free(pass);
}

int main(void)
{
	char subj[] = "/CN=test VCEK";
	FILE *f;

	if (!mkdtemp(dir))
		return 2;
	snprintf(path_key, sizeof(path_key), "%s/vcek.key", dir);
	snprintf(path_cert, sizeof(path_cert), "%s/vcek.pem", dir);
	snprintf(path_pass, sizeof(path_pass), "%s/passphrase", dir);
	snprintf(path_port, sizeof(path_port), "%s/port", dir);
	snprintf(path_log, sizeof(path_log), "%s/broker.log", dir);
	const char *req[] = { "/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
			      "ec_paramgen_curve:P-384", "-nodes", "-keyout", path_key, "-out",
			      path_cert, "-subj", subj, "-days", "1", NULL };
	CHECK_INT(run(req, NULL, 0), 0);
	f = fopen(path_key, "r");
	vcek = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	CHECK(vcek != NULL);
	f = fopen(path_pass, "w");
	if (f) {
		fputs("9b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c", f);
		fclose(f);
	}

	test_workload_id();
	test_tee_data();
	test_footer_config();
	test_bodies();
	test_report_data();
	test_key_answer();
	test_pkcs1();
	if (vcek)
		test_exchange();

	EVP_PKEY_free(vcek);
	const char *rm[] = { "/bin/rm", "-rf", dir, NULL };
	run(rm, NULL, 0);
	return check_finish("test_refkbs");
}
