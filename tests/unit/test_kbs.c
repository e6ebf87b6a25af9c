/* The KBS client against the project's test broker (tools/test-kbs, a
 * Python implementation of the Trustee server side): the whole exchange,
 * connection reuse, hash selection, the three TEE key types, RSA1_5
 * refused unless allowed, the init-data member, HTTPS with our CA (also to a
 * broker named by host name, through the mapping), and each
 * fault the broker can inject, with the failure class, retries and request
 * counts they must produce. Also the challenge parser's extra-params forms. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include "check.h"
#include "base64.h"
#include "kbs.h"
#include "kbs_parse.h"
#include "util.h"

static const uint8_t passphrase[] = "correct horse\0battery\nstaple\n";
static char dir[] = "/tmp/cwinit-test-kbs-XXXXXX";
static char path_secret[300], path_port[300], path_stats[300], path_log[300];
static char path_cert[300], path_key[300], path_other[300], path_other_key[300];

struct broker {
	pid_t pid;
	char url[64];
};

static const char *python(void)
{
	return getenv("CWINIT_PYTHON") ? getenv("CWINIT_PYTHON") : "/usr/bin/python3";
}

static int run(const char *const argv[])
{
	int status = 0;
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Starts tools/test-kbs with extra arguments (NULL-terminated). */
static bool broker_start(struct broker *b, const char *const extra[], bool tls)
{
	const char *src = getenv("CWINIT_SOURCE_DIR") ? getenv("CWINIT_SOURCE_DIR") : ".";
	char tool[400], res[400], *port = NULL;
	const char *argv[32];
	int n = 0;

	snprintf(tool, sizeof(tool), "%s/tools/test-kbs", src);
	snprintf(res, sizeof(res), "default/key/root-disk=@%s", path_secret);
	unlink(path_port);
	unlink(path_stats);
	argv[n++] = python();
	argv[n++] = tool;
	argv[n++] = "--port";
	argv[n++] = "0";
	argv[n++] = "--port-file";
	argv[n++] = path_port;
	argv[n++] = "--stats";
	argv[n++] = path_stats;
	argv[n++] = "--log";
	argv[n++] = path_log;
	argv[n++] = "--resource";
	argv[n++] = res;
	if (tls) {
		argv[n++] = "--tls-cert";
		argv[n++] = path_cert;
		argv[n++] = "--tls-key";
		argv[n++] = path_key;
	}
	for (int i = 0; extra && extra[i]; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;

	b->pid = fork();
	if (b->pid == 0) {
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	for (int i = 0; i < 300 && read_file_bounded(path_port, 16, &port, NULL) < 0; i++) {
		if (waitpid(b->pid, NULL, WNOHANG) == b->pid) {
			fprintf(stderr, "test-kbs exited at start (%s)\n", tool);
			return false;
		}
		usleep(50 * 1000);
	}
	if (!port) {
		fprintf(stderr, "test-kbs did not start (%s)\n", tool);
		kill(b->pid, SIGTERM);
		waitpid(b->pid, NULL, 0);
		return false;
	}
	snprintf(b->url, sizeof(b->url), "%s://127.0.0.1:%d", tls ? "https" : "http", atoi(port));
	free(port);
	return true;
}

/* Stops the broker; returns its counter `name` from the stats file. */
static long broker_stop(struct broker *b, const char *name)
{
	char *text = NULL;
	long v = -1;

	kill(b->pid, SIGTERM);
	waitpid(b->pid, NULL, 0);
	if (read_file_bounded(path_stats, 65536, &text, NULL) == 0) {
		cJSON *j = cJSON_Parse(text);
		cJSON *item = cJSON_GetObjectItemCaseSensitive(j, name);
		if (cJSON_IsNumber(item))
			v = (long)item->valuedouble;
		cJSON_Delete(j);
	}
	free(text);
	return v;
}

static struct kbs_request request_for(const char *url)
{
	struct kbs_request r = {
		.url = url,
		.resource = "default/key/root-disk",
		.ca_file = NULL,
		.provider = &sample_provider,
		.request_timeout_ms = 5000,
		.attempts = 3,
		.deadline_ms = 20000,
		.resource_restarts = 1,
	};
	return r;
}

/* What a scenario changes in the request. */
struct opts {
	enum teekey_type key;
	bool rsa1_5;
	const char *init_data;
};

/* Runs one exchange against a broker started with faults; checks class and
 * request count and returns the result for further checks. */
static struct kbs_result scenario_with(const char *name, const char *const faults[],
				       const struct opts *o, enum kbs_failure want,
				       unsigned want_requests, struct cw_err *err)
{
	struct kbs_result res;
	struct broker b;
	struct secret *s = NULL;
	struct kbs_request req;
	int rc;

	memset(&res, 0xff, sizeof(res));
	err->msg[0] = '\0';
	if (!broker_start(&b, faults, false)) {
		CHECK(!"broker started");
		return res;
	}
	req = request_for(b.url);
	req.tee_key = o->key;
	req.allow_rsa1_5 = o->rsa1_5;
	req.init_data = o->init_data;
	req.init_data_len = o->init_data ? strlen(o->init_data) : 0;
	rc = kbs_get_resource(&req, &s, &res, err);
	broker_stop(&b, "requests");
	fprintf(stderr, "%s: rc=%d failure=%d requests=%u err=\"%s\"\n", name, rc, res.failure,
		res.requests, err->msg);
	CHECK_INT(res.failure, want);
	CHECK_INT(res.requests, want_requests);
	CHECK((rc == 0) == (want == KBS_OK));
	CHECK((s != NULL) == (want == KBS_OK));
	if (s) {
		CHECK_INT(s->len, sizeof(passphrase) - 1);
		CHECK_MEM(s->data, passphrase, sizeof(passphrase) - 1);
	}
	secret_free(s);
	return res;
}

static struct kbs_result scenario(const char *name, const char *const faults[],
				  enum kbs_failure want, unsigned want_requests, struct cw_err *err)
{
	static const struct opts defaults = { TEEKEY_EC_P256, false, NULL };

	return scenario_with(name, faults, &defaults, want, want_requests, err);
}

/* Whether the broker's log has a line containing text. */
static bool broker_logged(const char *text)
{
	char *log = NULL;
	bool found;

	if (read_file_bounded(path_log, 1 << 20, &log, NULL) < 0)
		return false;
	found = strstr(log, text) != NULL;
	free(log);
	return found;
}

static void test_success(void)
{
	struct cw_err err;
	struct kbs_result res;
	struct secret *s = NULL;
	struct broker b;
	struct kbs_request req;
	const char *const sha512[] = { "--hash", "sha512", NULL };
	const char *const sha256[] = { "--hash", "sha256", NULL };

	CHECK(broker_start(&b, NULL, false));
	req = request_for(b.url);
	CHECK_INT(kbs_get_resource(&req, &s, &res, &err), 0);
	/* One TCP connection carried auth, attest and resource. */
	CHECK_INT(broker_stop(&b, "connections"), 1);
	CHECK_INT(res.failure, KBS_OK);
	CHECK_INT(res.requests, 3);
	CHECK(s && s->len == sizeof(passphrase) - 1);
	if (s)
		CHECK_MEM(s->data, passphrase, sizeof(passphrase) - 1);
	secret_free(s);

	scenario("sha512 selected", sha512, KBS_OK, 3, &err);
	scenario("sha256 selected", sha256, KBS_OK, 3, &err);
}

/* Several resources in one attested session, on one connection: auth and
 * attest once, then one GET each; the token kept when asked; a resource
 * the broker lacks fails that GET alone (after the restarts a 401 calls
 * for), and the session goes on. */
static void test_session(void)
{
	const char *const extra[] = { "--resource", "default/app/token=abc", "--resource",
				      "default/app/cert=-----BEGIN-----", NULL };
	struct kbs_session *ks = NULL;
	struct kbs_result res;
	struct cw_err err = {{0}};
	struct secret *a = NULL, *b2 = NULL, *c = NULL, *missing = NULL;
	struct broker b;
	struct kbs_request req;
	const struct secret *tok;

	if (!broker_start(&b, extra, false)) {
		CHECK(!"broker started");
		return;
	}
	req = request_for(b.url);
	CHECK_INT(kbs_session_new(&req, &ks, &res, &err), 0);
	CHECK_INT(res.requests, 0);
	CHECK(ks && kbs_session_token(ks) == NULL);
	if (!ks) {
		broker_stop(&b, "requests");
		return;
	}
	CHECK_INT(kbs_session_get(ks, "default/key/root-disk", &a, &res, &err), 0);
	CHECK_INT(res.requests, 3);
	CHECK_INT(kbs_session_get(ks, "default/app/token", &b2, &res, &err), 0);
	CHECK_INT(res.requests, 1);
	CHECK_INT(kbs_session_get(ks, "default/app/cert", &c, &res, &err), 0);
	CHECK_INT(res.requests, 1);
	CHECK(a && a->len == sizeof(passphrase) - 1 && !memcmp(a->data, passphrase, a->len));
	CHECK(b2 && b2->len == 3 && !memcmp(b2->data, "abc", 3));
	CHECK(c && c->len == 15 && !memcmp(c->data, "-----BEGIN-----", 15));
	/* The token: three base64url parts, as the broker signed it. */
	tok = kbs_session_token(ks);
	CHECK(tok && tok->len > 20 && memchr(tok->data, '.', tok->len));
	/* Missing: 401 from the broker, a restart (resource_restarts 1), 401 again. */
	CHECK(kbs_session_get(ks, "default/app/absent", &missing, &res, &err) < 0);
	CHECK(missing == NULL);
	CHECK_INT(res.failure, KBS_DENIED);
	CHECK_INT(res.requests, 4);
	CHECK(strstr(err.msg, "resource ") && strstr(err.msg, "/kbs/v0/resource/default/app/absent: HTTP 401"));
	/* The session goes on after it. */
	secret_free(b2);
	b2 = NULL;
	CHECK_INT(kbs_session_get(ks, "default/app/token", &b2, &res, &err), 0);
	CHECK_INT(res.requests, 1);
	kbs_session_free(ks);
	CHECK_INT(broker_stop(&b, "connections"), 1);
	CHECK_INT(broker_stop(&b, "requests"), 3 + 1 + 1 + 4 + 1);
	secret_free(a);
	secret_free(b2);
	secret_free(c);
}

static void test_key_types(void)
{
	static const struct opts p521 = { TEEKEY_EC_P521, false, NULL };
	static const struct opts rsa = { TEEKEY_RSA_3072, false, NULL };
	static const struct opts rsa_allow = { TEEKEY_RSA_3072, true, NULL };
	const char *const rsa1_5[] = { "--fault", "rsa1_5", NULL };
	const char *const alg[] = { "--fault", "wrong-alg", NULL };
	const char *const tag[] = { "--fault", "corrupt-tag", NULL };
	struct cw_err err;
	struct kbs_result res;

	scenario_with("p521", NULL, &p521, KBS_OK, 3, &err);
	CHECK(broker_logged("EC ECDH-ES+A256KW default/key/root-disk"));
	scenario_with("rsa-3072", NULL, &rsa, KBS_OK, 3, &err);
	CHECK(broker_logged("RSA RSA-OAEP-256 default/key/root-disk"));

	/* An RSA1_5 answer to our RSA-OAEP-256 key: refused by default,
	 * final, with the algorithm and the way to allow it named. */
	res = scenario_with("rsa1_5 refused", rsa1_5, &rsa, KBS_BAD_ANSWER, 3, &err);
	CHECK_STR(res.step, "resource");
	CHECK_INT(res.http_status, 200);
	CHECK(strstr(err.msg, "/kbs/v0/resource/default/key/root-disk: HTTP 200 answer: JWE alg "
			      "\"RSA1_5\" refused: our TEE key asked for RSA-OAEP-256") != NULL);
	CHECK(strstr(err.msg, "allow_rsa1_5=true") != NULL);
	scenario_with("rsa1_5 allowed", rsa1_5, &rsa_allow, KBS_OK, 3, &err);
	/* The fault only touches RSA keys; EC answers stay ECDH-ES+A256KW. */
	scenario("rsa1_5 fault, EC key", rsa1_5, KBS_OK, 3, &err);

	scenario_with("p521 wrong-alg", alg, &p521, KBS_BAD_ANSWER, 3, &err);
	CHECK(strstr(err.msg, "\"A128KW\" is not the one our TEE key asked for (ECDH-ES+A256KW)"));
	scenario_with("rsa wrong-alg", alg, &rsa, KBS_BAD_ANSWER, 3, &err);
	CHECK(strstr(err.msg, "\"A128KW\" is not the one our TEE key asked for (RSA-OAEP-256)"));
	scenario_with("rsa corrupt-tag", tag, &rsa_allow, KBS_BAD_ANSWER, 3, &err);
	CHECK(strstr(err.msg, "authentication failed") != NULL);
}

static void test_init_data(void)
{
	static const char doc[] = "algorithm = \"sha384\"\nversion = \"0.1.0\"\n[data]\n"
				  "\"policy.rego\" = '''\npackage agent_policy\n'''\n";
	static const struct opts with = { TEEKEY_EC_P256, false, doc };
	static const struct opts broken = { TEEKEY_EC_P256, false, "algorithm = \"md5\"\n" };
	uint8_t d[48];
	char b64[80], line[100];
	unsigned n = 0;
	struct cw_err err;

	/* The broker got the document byte for byte: its digest matches. */
	EVP_Digest(doc, strlen(doc), d, &n, EVP_sha384(), NULL);
	base64_encode(d, n, BASE64_STD, b64, sizeof(b64));
	snprintf(line, sizeof(line), "init-data=%s", b64);
	scenario_with("init-data", NULL, &with, KBS_OK, 3, &err);
	CHECK(broker_logged(line));

	/* A document we cannot read is refused before any request. */
	scenario_with("init-data broken", NULL, &broken, KBS_INTERNAL, 0, &err);
	CHECK(strstr(err.msg, "init_data: line 1: algorithm \"md5\"") != NULL);
}

static void expect_challenge(const char *body, int rc, const char *hash)
{
	char nonce[64];
	const char *h = NULL;
	struct cw_err err;

	CHECK_INT(kbs_parse_challenge(body, strlen(body), nonce, sizeof(nonce), &h, &err), rc);
	if (rc == 0) {
		CHECK_STR(h, hash);
		CHECK_STR(nonce, "bm9uY2U=");
	}
}

/* extra-params as "", an object, a string holding an object, or other
 * values, as brokers send them. */
static void test_challenge(void)
{
#define N "{\"nonce\":\"bm9uY2U=\""
	expect_challenge(N ",\"extra-params\":\"\"}", 0, "sha384");
	expect_challenge(N "}", 0, "sha384");
	expect_challenge(N ",\"extra-params\":{}}", 0, "sha384");
	expect_challenge(N ",\"extra-params\":{\"selected-hash-algorithm\":\"sha512\"}}", 0, "sha512");
	expect_challenge(N ",\"extra-params\":{\"selected-hash-algorithm\":\"SHA256\"}}", 0, "sha256");
	expect_challenge(N ",\"extra-params\":\"{\\\"selected-hash-algorithm\\\":\\\"sha512\\\"}\"}",
			 0, "sha512");
	expect_challenge(N ",\"extra-params\":\"opaque\"}", 0, "sha384");
	expect_challenge(N ",\"extra-params\":\"{\\\"a\\\":1} x\"}", 0, "sha384");
	expect_challenge(N ",\"extra-params\":7}", 0, "sha384");
	expect_challenge(N ",\"extra-params\":{\"selected-hash-algorithm\":\"md5\"}}", -ENOTSUP, NULL);
	expect_challenge(N ",\"extra-params\":\"{\\\"selected-hash-algorithm\\\":\\\"\\\"}\"}",
			 -ENOTSUP, NULL);
	expect_challenge(N ",\"extra-params\":{\"selected-hash-algorithm\":5}}", -EBADMSG, NULL);
	expect_challenge("{\"extra-params\":\"\"}", -EBADMSG, NULL);
#undef N
}

static void test_faults(void)
{
	struct cw_err err;
	struct kbs_result res;
	const char *const deny[] = { "--fault", "deny", NULL };
	const char *const forget[] = { "--fault", "forget-session", NULL };
	const char *const tag[] = { "--fault", "corrupt-tag", NULL };
	const char *const badjson[] = { "--fault", "bad-json", NULL };
	const char *const alg[] = { "--fault", "wrong-alg", NULL };
	const char *const oversize[] = { "--fault", "oversize", NULL };
	const char *const truncate[] = { "--fault", "truncate", NULL };
	const char *const fivexx[] = { "--fault", "5xx-first=2", NULL };
	const char *const refuse1[] = { "--fault", "refuse-first=1", NULL };
	const char *const refuse[] = { "--fault", "refuse", NULL };

	/* A denial is final, after one restart for a possibly forgotten session. */
	res = scenario("deny", deny, KBS_DENIED, 6, &err);
	CHECK_STR(res.step, "resource");
	CHECK_INT(res.http_status, 401);
	CHECK_STR(res.type, "PolicyDeny");
	CHECK_STR(res.detail, "Access denied by policy");
	CHECK(strstr(err.msg, "resource http://127.0.0.1:") != NULL);
	CHECK(strstr(err.msg, "/kbs/v0/resource/default/key/root-disk: HTTP 401 PolicyDeny: "
			      "Access denied by policy") != NULL);

	scenario("forget-session", forget, KBS_OK, 6, &err);

	res = scenario("corrupt-tag", tag, KBS_BAD_ANSWER, 3, &err);
	CHECK_STR(res.step, "resource");
	CHECK(strstr(err.msg, "authentication failed") != NULL);
	scenario("bad-json", badjson, KBS_BAD_ANSWER, 3, &err);
	scenario("wrong-alg", alg, KBS_BAD_ANSWER, 3, &err);
	CHECK(strstr(err.msg, "A128KW") != NULL);
	scenario("oversize", oversize, KBS_BAD_ANSWER, 3, &err);

	/* Transport trouble is retried: a cut-off answer on every attempt... */
	res = scenario("truncate", truncate, KBS_UNREACHABLE, 9, &err);
	CHECK(strstr(err.msg, "attempt 3 of 3") != NULL);
	/* ...5xx until it clears, a refused first connection... */
	scenario("5xx-first=2", fivexx, KBS_OK, 5, &err);
	scenario("refuse-first=1", refuse1, KBS_OK, 4, &err);
	/* ...and a broker that never answers. */
	res = scenario("refuse", refuse, KBS_UNREACHABLE, 3, &err);
	CHECK_STR(res.step, "auth");
	CHECK_INT(res.http_status, 0);
	CHECK(strstr(err.msg, "auth http://127.0.0.1:") != NULL);
	CHECK(strstr(err.msg, "/kbs/v0/auth: no HTTP answer: ") != NULL);
}

static void test_deadline(void)
{
	const char *const stall[] = { "--fault", "stall", NULL };
	struct cw_err err;
	struct kbs_result res;
	struct secret *s = NULL;
	struct broker b;
	struct kbs_request req;
	uint64_t t0;

	CHECK(broker_start(&b, stall, false));
	req = request_for(b.url);
	req.request_timeout_ms = 400;
	req.deadline_ms = 1500;
	req.attempts = 10;
	t0 = monotonic_ms();
	CHECK(kbs_get_resource(&req, &s, &res, &err) < 0);
	uint64_t took = monotonic_ms() - t0;
	broker_stop(&b, "requests");
	fprintf(stderr, "stall: %llu ms, %u requests, err=\"%s\"\n", (unsigned long long)took,
		res.requests, err.msg);
	CHECK_INT(res.failure, KBS_UNREACHABLE);
	CHECK(took < 1500 + 300);
	CHECK(res.requests >= 2 && res.requests < 10);
	CHECK(strstr(err.msg, "deadline") != NULL || strstr(err.msg, "imed out") != NULL);
	CHECK(s == NULL);

	/* Nothing listens on the port any more: connection refused. */
	req.deadline_ms = 3000;
	req.attempts = 2;
	CHECK(kbs_get_resource(&req, &s, &res, &err) < 0);
	CHECK_INT(res.failure, KBS_UNREACHABLE);
	CHECK_INT(res.requests, 2);
}

static void test_https(void)
{
	const char *const mk1[] = { "/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
				    "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj",
				    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
				    "-keyout", path_key, "-out", path_cert, NULL };
	const char *const mk2[] = { "/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
				    "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj",
				    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
				    "-keyout", path_other_key, "-out", path_other, NULL };
	struct cw_err err;
	struct kbs_result res;
	struct secret *s = NULL;
	struct broker b;
	struct kbs_request req;

	if (run(mk1) != 0 || run(mk2) != 0) {
		CHECK(!"openssl made test certificates");
		return;
	}
	CHECK(broker_start(&b, NULL, true));
	req = request_for(b.url);
	req.ca_file = path_cert;
	CHECK_INT(kbs_get_resource(&req, &s, &res, &err), 0);
	CHECK(s && s->len == sizeof(passphrase) - 1);
	secret_free(s);
	s = NULL;

	/* A certificate our CA did not sign is final, not retried. */
	req.ca_file = path_other;
	CHECK(kbs_get_resource(&req, &s, &res, &err) < 0);
	fprintf(stderr, "wrong CA: err=\"%s\"\n", err.msg);
	CHECK_INT(res.failure, KBS_UNREACHABLE);
	CHECK_INT(res.requests, 1);
	CHECK(strstr(err.msg, "TLS") != NULL);

	/* https with no CA at all is a configuration error. */
	req.ca_file = NULL;
	CHECK_INT(kbs_get_resource(&req, &s, &res, &err), -EINVAL);
	CHECK_INT(res.requests, 0);
	CHECK(strstr(err.msg, "ca_file") != NULL);
	broker_stop(&b, "requests");
}

/* A broker named by host name, with a certificate for that name only:
 * reached through the mapping (curl never resolves the name itself), and
 * refused by address, where the certificate does not match. */
static void test_https_by_name(void)
{
	const char *const mk[] = { "/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
				   "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj",
				   "/CN=kbs.test", "-addext", "subjectAltName=DNS:kbs.test",
				   "-keyout", path_key, "-out", path_cert, NULL };
	struct resolve_conf rc = { 0 };
	struct cw_err err;
	struct kbs_result res;
	struct secret *s = NULL;
	struct broker b;
	struct kbs_request req;
	char url[64];

	if (run(mk) != 0) {
		CHECK(!"openssl made a test certificate");
		return;
	}
	if (!broker_start(&b, NULL, true))
		return;
	CHECK_INT(resolve_set_hosts(&rc, "kbs.test=127.0.0.1", &err), 0);
	snprintf(url, sizeof(url), "https://kbs.test:%s", strrchr(b.url, ':') + 1);
	req = request_for(url);
	req.ca_file = path_cert;
	req.resolve = &rc;
	CHECK_INT(kbs_get_resource(&req, &s, &res, &err), 0);
	CHECK(s && s->len == sizeof(passphrase) - 1);
	CHECK_INT(res.requests, 3);
	secret_free(s);
	s = NULL;

	req.url = b.url;
	CHECK(kbs_get_resource(&req, &s, &res, &err) < 0);
	CHECK_INT(res.failure, KBS_UNREACHABLE);
	CHECK_INT(res.requests, 1);
	CHECK(strstr(err.msg, "TLS") != NULL);

	/* A name with no address configured: refused before any request. */
	req.url = "https://other.test:1";
	CHECK_INT(kbs_get_resource(&req, &s, &res, &err), -EINVAL);
	CHECK_INT(res.requests, 0);
	CHECK(strstr(err.msg, "net_hosts") != NULL);
	req.resolve = NULL;
	req.url = url;
	CHECK_INT(kbs_get_resource(&req, &s, &res, &err), -EINVAL);
	CHECK_INT(res.requests, 0);
	broker_stop(&b, "requests");
}

static int broken_evidence(const uint8_t *rd, size_t len, char **json, struct cw_err *err)
{
	(void)rd;
	(void)len;
	(void)json;
	return cw_err_set(err, EIO, "firmware said no");
}

static void test_config_and_providers(void)
{
	static const struct evidence_provider broken = {
		.name = "broken", .kbs_tee = "sample", .detect = NULL,
		.get_evidence = broken_evidence,
	};
	struct cw_err err;
	struct kbs_result res;
	struct secret *s = NULL;
	struct kbs_request req = request_for("http://127.0.0.1:1");
	struct broker b;

	req.resource = "default/key";
	CHECK_INT(kbs_get_resource(&req, &s, &res, &err), -EINVAL);
	CHECK_INT(res.failure, KBS_INTERNAL);
	req.resource = "default/key/../x";
	CHECK_INT(kbs_get_resource(&req, &s, &res, &err), -EINVAL);
	req.resource = "default/key/.hidden";
	CHECK_INT(kbs_get_resource(&req, &s, &res, &err), -EINVAL);
	req.resource = "default/key/root-disk";
	/* What is checked must be all that is sent: init_data ends at its length. */
	req.init_data = "algorithm = \"sha256\"\nversion = \"0.1.0\"\n[data]\n# more\n";
	req.init_data_len = strlen(req.init_data) - strlen("# more\n");
	CHECK_INT(kbs_get_resource(&req, &s, &res, &err), -EINVAL);
	CHECK_INT(res.failure, KBS_INTERNAL);
	CHECK_INT(res.requests, 0);
	CHECK(strstr(err.msg, "does not end at init_data_len") != NULL);
	req.init_data = NULL;
	req.init_data_len = 0;
	req.url = "ftp://127.0.0.1";
	CHECK_INT(kbs_get_resource(&req, &s, &res, &err), -EINVAL);
	CHECK_INT(res.requests, 0);

	CHECK(provider_select("sample", &err) == &sample_provider);
	CHECK(provider_select("auto", &err) == NULL);
	CHECK_INT(errno, ENODEV);
	CHECK(strstr(err.msg, "no TEE found") != NULL);
	CHECK(provider_select("nonsense", &err) == NULL);
	CHECK_INT(errno, EINVAL);
	CHECK(strstr(err.msg, "nonsense") != NULL);

	if (broker_start(&b, NULL, false)) {
		req = request_for(b.url);
		req.provider = &broken;
		CHECK(kbs_get_resource(&req, &s, &res, &err) < 0);
		CHECK_INT(res.failure, KBS_EVIDENCE);
		CHECK_INT(res.requests, 1);
		CHECK(strstr(err.msg, "firmware said no") != NULL);
		broker_stop(&b, "requests");
	}
}

int main(void)
{
	int fd;

	if (!mkdtemp(dir))
		return 1;
	snprintf(path_secret, sizeof(path_secret), "%s/secret", dir);
	snprintf(path_port, sizeof(path_port), "%s/port", dir);
	snprintf(path_stats, sizeof(path_stats), "%s/stats", dir);
	snprintf(path_log, sizeof(path_log), "%s/log", dir);
	snprintf(path_cert, sizeof(path_cert), "%s/cert.pem", dir);
	snprintf(path_key, sizeof(path_key), "%s/key.pem", dir);
	snprintf(path_other, sizeof(path_other), "%s/other.pem", dir);
	snprintf(path_other_key, sizeof(path_other_key), "%s/other-key.pem", dir);
	fd = open(path_secret, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0 && write(fd, passphrase, sizeof(passphrase) - 1) ==
				 (ssize_t)(sizeof(passphrase) - 1));
	close(fd);

	test_challenge();
	test_success();
	test_session();
	test_key_types();
	test_init_data();
	test_faults();
	test_deadline();
	test_https();
	test_https_by_name();
	test_config_and_providers();

	/* Everything in dir, including the broker's temporary stats files. */
	DIR *d = opendir(dir);
	for (struct dirent *e; d && (e = readdir(d));)
		if (e->d_name[0] != '.')
			unlinkat(dirfd(d), e->d_name, 0);
	if (d)
		closedir(d);
	rmdir(dir);
	return check_finish("test_kbs");
}
