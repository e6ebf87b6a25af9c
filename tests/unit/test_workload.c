/* workload_parse and workload_env: the three document shapes, the OCI
 * Entrypoint/Cmd rules, the environment defaults, and hostile documents. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "workload.h"

/* What buildah mkcw copies into /.krun_config.json: the whole image config. */
static const char buildah_config[] =
	"{\n"
	"  \"created\": \"2024-05-02T08:14:51.123456789Z\",\n"
	"  \"architecture\": \"amd64\",\n"
	"  \"os\": \"linux\",\n"
	"  \"config\": {\n"
	"    \"User\": \"nginx\",\n"
	"    \"ExposedPorts\": { \"80/tcp\": {} },\n"
	"    \"Env\": [\n"
	"      \"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\n"
	"      \"NGINX_VERSION=1.25.4\",\n"
	"      \"NJS_VERSION=0.8.3\"\n"
	"    ],\n"
	"    \"Entrypoint\": [ \"/docker-entrypoint.sh\" ],\n"
	"    \"Cmd\": [ \"nginx\", \"-g\", \"daemon off;\" ],\n"
	"    \"WorkingDir\": \"/usr/share/nginx/html\",\n"
	"    \"Labels\": { \"maintainer\": \"NGINX Docker Maintainers\" },\n"
	"    \"StopSignal\": \"SIGQUIT\"\n"
	"  },\n"
	"  \"rootfs\": {\n"
	"    \"type\": \"layers\",\n"
	"    \"diff_ids\": [\n"
	"      \"sha256:52ec5a4316fadc09a4a51f82b8d7b66ead0d71bea4f75e81e25b4094c4219061\"\n"
	"    ]\n"
	"  },\n"
	"  \"history\": [\n"
	"    { \"created\": \"2024-04-10T01:20:00Z\", \"created_by\": \"/bin/sh -c #(nop) ADD file:4b1be1de1a1e5aa608c688cad2824587262081866180b7368d1e8e3a3e1fa5f1 in / \" },\n"
	"    { \"created\": \"2024-04-10T01:20:01Z\", \"created_by\": \"/bin/sh -c #(nop)  CMD [\\\"bash\\\"]\", \"empty_layer\": true }\n"
	"  ]\n"
	"}\n";

/* What crun writes: the OCI runtime spec. */
static const char crun_spec[] =
	"{\n"
	"  \"ociVersion\": \"1.0.0\",\n"
	"  \"process\": {\n"
	"    \"terminal\": false,\n"
	"    \"user\": { \"uid\": 1000, \"gid\": 1000, \"additionalGids\": [ 10, 1000, 27 ] },\n"
	"    \"args\": [ \"/usr/bin/python3\", \"-m\", \"http.server\", \"8000\" ],\n"
	"    \"env\": [ \"PATH=/usr/bin:/bin\", \"TERM=xterm\", \"HOME=/home/app\" ],\n"
	"    \"cwd\": \"/home/app\",\n"
	"    \"capabilities\": { \"bounding\": [ \"CAP_CHOWN\", \"CAP_KILL\" ], \"effective\": [ \"CAP_CHOWN\" ] },\n"
	"    \"rlimits\": [ { \"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 1024 } ],\n"
	"    \"noNewPrivileges\": true\n"
	"  },\n"
	"  \"root\": { \"path\": \"rootfs\", \"readonly\": false },\n"
	"  \"hostname\": \"crun\",\n"
	"  \"mounts\": [ { \"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\" } ],\n"
	"  \"linux\": { \"namespaces\": [ { \"type\": \"pid\" }, { \"type\": \"mount\" } ] }\n"
	"}\n";

static size_t strv_len(char **v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

static int parse(const char *doc, struct workload *w)
{
	struct cw_err err = { { 0 } };
	int r = workload_parse(doc, strlen(doc), w, &err);

	if (r < 0)
		fprintf(stderr, "parse failed: %s\n", err.msg);
	return r;
}

/* The document must be refused with -EINVAL, a message containing needle,
 * and nothing left in w. */
#define BAD(doc, needle) bad_doc(doc, sizeof(doc) - 1, needle, __LINE__)
static void bad_doc(const char *doc, size_t len, const char *needle, int line)
{
	struct workload w;
	struct cw_err err = { { 0 } };
	int r = workload_parse(doc, len, &w, &err);

	check_count++;
	if (r != -EINVAL || !strstr(err.msg, needle) || w.argv || w.env || w.cwd || w.user) {
		check_failures++;
		fprintf(stderr, "%s:%d: expected -EINVAL with \"%s\", got %d \"%s\"\n", __FILE__,
			line, needle, r, err.msg);
	}
	workload_free(&w);
}

static void test_buildah_image_config(void)
{
	struct workload w;

	CHECK_INT(parse(buildah_config, &w), 0);
	CHECK_INT(strv_len(w.argv), 4);
	CHECK_STR(w.argv[0], "/docker-entrypoint.sh");
	CHECK_STR(w.argv[1], "nginx");
	CHECK_STR(w.argv[2], "-g");
	CHECK_STR(w.argv[3], "daemon off;");
	CHECK_INT(strv_len(w.env), 3);
	CHECK_STR(w.env[1], "NGINX_VERSION=1.25.4");
	CHECK_STR(w.cwd, "/usr/share/nginx/html");
	CHECK_STR(w.user, "nginx");
	CHECK_INT(w.stop_signal, SIGQUIT);
	CHECK_INT(w.n_extra_gids, 0);
	workload_free(&w);
}

static void test_crun_runtime_spec(void)
{
	struct workload w;

	CHECK_INT(parse(crun_spec, &w), 0);
	CHECK_INT(strv_len(w.argv), 4);
	CHECK_STR(w.argv[0], "/usr/bin/python3");
	CHECK_STR(w.argv[3], "8000");
	CHECK_INT(strv_len(w.env), 3);
	CHECK_STR(w.env[2], "HOME=/home/app");
	CHECK_STR(w.cwd, "/home/app");
	CHECK_STR(w.user, "1000:1000");
	CHECK_INT(w.stop_signal, 0);
	CHECK_INT(w.n_extra_gids, 3);
	CHECK_INT(w.extra_gids[0], 10);
	CHECK_INT(w.extra_gids[2], 27);
	workload_free(&w);

	/* A uid without gid keeps the passwd lookup of the primary group. */
	CHECK_INT(parse("{\"process\":{\"args\":[\"/bin/app\"],\"user\":{\"uid\":0}}}", &w), 0);
	CHECK_STR(w.user, "0");
	CHECK(w.env == NULL);
	CHECK(w.cwd == NULL);
	workload_free(&w);
	CHECK_INT(parse("{\"process\":{\"args\":[\"/bin/app\"],\"cwd\":\"/\",\"user\":"
			"{\"uid\":4294967294,\"gid\":0}}}", &w), 0);
	CHECK_STR(w.user, "4294967294:0");
	workload_free(&w);
}

static void test_top_level(void)
{
	struct workload w;

	CHECK_INT(parse("{\"Entrypoint\":[\"/bin/server\"],\"Cmd\":[\"--port\",\"80\"],"
			"\"Env\":[\"A=1\"],\"WorkingDir\":\"/srv\",\"User\":\"1:2\","
			"\"StopSignal\":\"TERM\"}", &w), 0);
	CHECK_INT(strv_len(w.argv), 3);
	CHECK_STR(w.argv[0], "/bin/server");
	CHECK_STR(w.argv[2], "80");
	CHECK_STR(w.env[0], "A=1");
	CHECK_STR(w.cwd, "/srv");
	CHECK_STR(w.user, "1:2");
	CHECK_INT(w.stop_signal, SIGTERM);
	workload_free(&w);

	/* The old init matched these keys in any case. */
	CHECK_INT(parse("{\"cmd\":[\"x\"],\"ENTRYPOINT\":[\"/bin/e\"],\"env\":[\"B=2\"],"
			"\"workingdir\":\"/w\"}", &w), 0);
	CHECK_INT(strv_len(w.argv), 2);
	CHECK_STR(w.argv[0], "/bin/e");
	CHECK_STR(w.argv[1], "x");
	CHECK_STR(w.env[0], "B=2");
	CHECK_STR(w.cwd, "/w");
	workload_free(&w);

	/* Under "config" only the exact OCI names count. */
	BAD("{\"config\":{\"cmd\":[\"x\"]}}", "nothing to run");
}

static void test_entrypoint_cmd(void)
{
	struct workload w;

	CHECK_INT(parse("{\"config\":{\"Entrypoint\":[\"/bin/app\",\"-v\"]}}", &w), 0);
	CHECK_INT(strv_len(w.argv), 2);
	CHECK_STR(w.argv[1], "-v");
	workload_free(&w);

	CHECK_INT(parse("{\"config\":{\"Cmd\":[\"/bin/sh\",\"-c\",\"true\"],\"Entrypoint\":null}}", &w), 0);
	CHECK_INT(strv_len(w.argv), 3);
	CHECK_STR(w.argv[0], "/bin/sh");
	workload_free(&w);

	CHECK_INT(parse("{\"config\":{\"Entrypoint\":[\"/e\"],\"Cmd\":[\"c1\",\"c2\"]}}", &w), 0);
	CHECK_INT(strv_len(w.argv), 3);
	CHECK_STR(w.argv[0], "/e");
	CHECK_STR(w.argv[2], "c2");
	workload_free(&w);

	CHECK_INT(parse("{\"config\":{\"Entrypoint\":[\"/e\"],\"Cmd\":[]}}", &w), 0);
	CHECK_INT(strv_len(w.argv), 1);
	workload_free(&w);

	CHECK_INT(parse("{\"config\":{\"Entrypoint\":[],\"Cmd\":[\"/c\"]}}", &w), 0);
	CHECK_INT(strv_len(w.argv), 1);
	CHECK_STR(w.argv[0], "/c");
	workload_free(&w);

	BAD("{\"config\":{\"Entrypoint\":null,\"Cmd\":null}}", "nothing to run");
	BAD("{\"config\":{\"Entrypoint\":[],\"Cmd\":[]}}", "nothing to run");
	BAD("{\"config\":{}}", "nothing to run");
	BAD("{\"architecture\":\"amd64\"}", "nothing to run");
	BAD("{\"process\":{\"args\":[]}}", "nothing to run");
	BAD("{\"config\":{\"Cmd\":[\"\",\"x\"]}}", "empty string");
}

static void test_stop_signal(void)
{
	static const struct {
		const char *doc;
		int sig;
	} ok[] = {
		{ "{\"Cmd\":[\"x\"],\"StopSignal\":\"SIGTERM\"}", SIGTERM },
		{ "{\"Cmd\":[\"x\"],\"StopSignal\":\"TERM\"}", SIGTERM },
		{ "{\"Cmd\":[\"x\"],\"StopSignal\":\"sigint\"}", SIGINT },
		{ "{\"Cmd\":[\"x\"],\"StopSignal\":\"9\"}", SIGKILL },
		{ "{\"Cmd\":[\"x\"],\"StopSignal\":10}", 10 },
		{ "{\"Cmd\":[\"x\"],\"StopSignal\":\"\"}", 0 },
		{ "{\"Cmd\":[\"x\"],\"StopSignal\":null}", 0 },
		{ "{\"Cmd\":[\"x\"]}", 0 },
	};
	struct workload w;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		CHECK_INT(parse(ok[i].doc, &w), 0);
		CHECK_INT(w.stop_signal, ok[i].sig);
		workload_free(&w);
	}
	CHECK_INT(parse("{\"Cmd\":[\"x\"],\"StopSignal\":\"SIGRTMIN+3\"}", &w), 0);
	CHECK_INT(w.stop_signal, SIGRTMIN + 3);
	workload_free(&w);
	CHECK_INT(parse("{\"Cmd\":[\"x\"],\"StopSignal\":\"RTMAX-1\"}", &w), 0);
	CHECK_INT(w.stop_signal, SIGRTMAX - 1);
	workload_free(&w);

	BAD("{\"Cmd\":[\"x\"],\"StopSignal\":\"SIGFOO\"}", "not a signal");
	BAD("{\"Cmd\":[\"x\"],\"StopSignal\":\"0\"}", "not a signal");
	BAD("{\"Cmd\":[\"x\"],\"StopSignal\":\"65\"}", "not a signal");
	BAD("{\"Cmd\":[\"x\"],\"StopSignal\":\"32\"}", "not a signal");
	BAD("{\"Cmd\":[\"x\"],\"StopSignal\":\"SIGRTMIN+99\"}", "not a signal");
	BAD("{\"Cmd\":[\"x\"],\"StopSignal\":\"15x\"}", "not a signal");
	BAD("{\"Cmd\":[\"x\"],\"StopSignal\":-1}", "\"-1\" is not a signal");
	BAD("{\"Cmd\":[\"x\"],\"StopSignal\":2.5}", "not a signal");
	BAD("{\"Cmd\":[\"x\"],\"StopSignal\":true}", "must be a string");
}

static int env_count(char **env, const char *entry)
{
	int n = 0;

	for (; *env; env++)
		n += strcmp(*env, entry) == 0;
	return n;
}

static void test_env(void)
{
	struct user_ids ids = { .uid = 1000, .gid = 1000, .home = "/home/app" };
	struct workload w;
	char **env;

	/* Defaults added when unset. */
	CHECK_INT(parse("{\"Cmd\":[\"x\"],\"Env\":[\"A=1\"]}", &w), 0);
	CHECK_INT(workload_env(&w, &ids, &env), 0);
	CHECK_INT(strv_len(env), 3);
	CHECK_STR(env[0], "A=1");
	CHECK_STR(env[1], "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	CHECK_STR(env[2], "HOME=/home/app");
	free(env);
	ids.home[0] = '\0';
	CHECK_INT(workload_env(&w, &ids, &env), 0);
	CHECK_STR(env[2], "HOME=/");
	free(env);
	workload_free(&w);

	/* No Env at all. */
	CHECK_INT(parse("{\"Cmd\":[\"x\"]}", &w), 0);
	CHECK_INT(workload_env(&w, &ids, &env), 0);
	CHECK_INT(strv_len(env), 2);
	CHECK_INT(env_count(env, "HOME=/"), 1);
	free(env);
	workload_free(&w);

	/* Set values are kept; the last of duplicates wins. */
	CHECK_INT(parse("{\"Cmd\":[\"x\"],\"Env\":[\"PATH=/a\",\"A=1\",\"HOME=/h\",\"B=x=y\","
			"\"A=2\",\"PATH=/b\",\"AB=3\",\"EMPTY=\"]}", &w), 0);
	CHECK_INT(workload_env(&w, &ids, &env), 0);
	CHECK_INT(strv_len(env), 6);
	CHECK_INT(env_count(env, "A=2"), 1);
	CHECK_INT(env_count(env, "A=1"), 0);
	CHECK_INT(env_count(env, "PATH=/b"), 1);
	CHECK_INT(env_count(env, "PATH=/a"), 0);
	CHECK_INT(env_count(env, "HOME=/h"), 1);
	CHECK_INT(env_count(env, "B=x=y"), 1);
	CHECK_INT(env_count(env, "AB=3"), 1);
	CHECK_INT(env_count(env, "EMPTY="), 1);
	free(env);
	workload_free(&w);

	BAD("{\"Cmd\":[\"x\"],\"Env\":[\"A=1\",\"SECRETVALUE\"]}", "entry 1 is not NAME=value");
	BAD("{\"Cmd\":[\"x\"],\"Env\":[\"=x\"]}", "not NAME=value");
	BAD("{\"process\":{\"args\":[\"x\"],\"env\":[\"NOEQ\"]}}", "process.env");
}

static void test_malformed(void)
{
	BAD("", "empty");
	BAD("[\"/bin/sh\"]", "not a JSON object");
	BAD("\"config\"", "not a JSON object");
	BAD("42", "not a JSON object");
	BAD("null", "not a JSON object");
	BAD("{", "not valid JSON");
	BAD("{\"config\": }", "not valid JSON");
	BAD("{\"Cmd\":[\"x\"]} {}", "after the JSON");
	BAD("{\"Cmd\":[\"x\"]}x", "after the JSON");
	BAD("{\"config\":\"x\"}", "\"config\" must be an object");
	BAD("{\"process\":[]}", "\"process\" must be an object");
	BAD("{\"config\":{\"Cmd\":[\"x\"]},\"process\":{\"args\":[\"y\"]}}", "both");
	BAD("{\"config\":{\"Entrypoint\":\"/bin/sh -c x\"}}", "config.Entrypoint must be an array");
	BAD("{\"config\":{\"Cmd\":[\"/bin/sh\",1]}}", "config.Cmd must be an array of strings");
	BAD("{\"config\":{\"Cmd\":[[\"x\"]]}}", "config.Cmd must be an array of strings");
	BAD("{\"config\":{\"Cmd\":[\"x\"],\"Env\":{\"A\":\"1\"}}}", "config.Env must be an array");
	BAD("{\"config\":{\"Cmd\":[\"x\"],\"WorkingDir\":5}}", "config.WorkingDir must be a string");
	BAD("{\"config\":{\"Cmd\":[\"x\"],\"WorkingDir\":\"srv\"}}", "not an absolute path");
	BAD("{\"config\":{\"Cmd\":[\"x\"],\"User\":0}}", "config.User must be a string");
	BAD("{\"process\":{\"args\":\"x\"}}", "process.args must be an array");
	BAD("{\"process\":{\"args\":[\"x\"],\"cwd\":\"rel\"}}", "process.cwd");
	BAD("{\"process\":{\"args\":[\"x\"],\"user\":\"root\"}}", "process.user must be an object");
	BAD("{\"process\":{\"args\":[\"x\"],\"user\":{\"gid\":0}}}", "process.user.uid");
	BAD("{\"process\":{\"args\":[\"x\"],\"user\":{\"uid\":-1,\"gid\":0}}}", "process.user.uid");
	BAD("{\"process\":{\"args\":[\"x\"],\"user\":{\"uid\":1.5,\"gid\":0}}}", "process.user.uid");
	BAD("{\"process\":{\"args\":[\"x\"],\"user\":{\"uid\":\"0\",\"gid\":0}}}", "process.user.uid");
	BAD("{\"process\":{\"args\":[\"x\"],\"user\":{\"uid\":4294967295,\"gid\":0}}}", "process.user.uid");
	BAD("{\"process\":{\"args\":[\"x\"],\"user\":{\"uid\":0,\"gid\":1e10}}}", "process.user.gid");
	BAD("{\"process\":{\"args\":[\"x\"],\"user\":{\"uid\":0,\"gid\":0,\"additionalGids\":[\"a\"]}}}",
	    "additionalGids");
	BAD("{\"process\":{\"args\":[\"x\"],\"user\":{\"uid\":0,\"gid\":0,\"additionalGids\":7}}}",
	    "additionalGids");
}

static void test_nul(void)
{
	struct workload w;

	BAD("{\"Cmd\":[\"/bin/sh\\u0000x\"]}", "NUL");
	BAD("{\"Cmd\":[\"/bin/sh\"],\"Env\":[\"A=\\u0000\"]}", "NUL");
	BAD("{\"Cmd\":[\"/bin/sh\"]}\0", "NUL byte");
	BAD("{\"Cmd\":[\"/bin/\0sh\"]}", "NUL byte");
	/* An escaped backslash followed by the text u0000 is no NUL. */
	CHECK_INT(parse("{\"Cmd\":[\"a\\\\u0000\"]}", &w), 0);
	CHECK_STR(w.argv[0], "a\\u0000");
	workload_free(&w);
}

/* {"Cmd":["x","x",...]} with n entries. */
static char *big_array_doc(const char *key, size_t n, const char *tail)
{
	size_t cap = 64 + n * 4 + strlen(tail);
	char *doc = malloc(cap), *p = doc;

	p += sprintf(p, "{\"%s\":[", key);
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s\"x\"", i ? "," : "");
	sprintf(p, "]%s}", tail);
	return doc;
}

static void test_bounds(void)
{
	struct workload w;
	char *doc;

	doc = big_array_doc("Cmd", 4096, "");
	CHECK_INT(parse(doc, &w), 0);
	CHECK_INT(strv_len(w.argv), 4096);
	workload_free(&w);
	free(doc);

	doc = big_array_doc("Cmd", 4097, "");
	bad_doc(doc, strlen(doc), "more than 4096", __LINE__);
	free(doc);

	/* The limit is on the combined command line. */
	doc = big_array_doc("Entrypoint", 3000, ",\"Cmd\":[\"y\",\"y\",\"y\",\"y\",\"y\","
				"\"y\",\"y\",\"y\",\"y\",\"y\",\"y\",\"y\",\"y\",\"y\",\"y\",\"y\"]");
	CHECK_INT(parse(doc, &w), 0);
	CHECK_INT(strv_len(w.argv), 3016);
	workload_free(&w);
	free(doc);

	doc = big_array_doc("Env", 5000, ",\"Cmd\":[\"x\"]");
	bad_doc(doc, strlen(doc), "more than 4096", __LINE__);
	free(doc);

	BAD("{\"process\":{\"args\":[\"x\"],\"user\":{\"uid\":0,\"gid\":0,\"additionalGids\":"
	    "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,"
	    "31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,"
	    "59,60,61,62,63,64,65]}}}", "more than 64");

	/* A document over the size limit, however valid. */
	doc = malloc(CW_WORKLOAD_CONFIG_MAX + 2);
	memset(doc, ' ', CW_WORKLOAD_CONFIG_MAX + 1);
	memcpy(doc, "{\"Cmd\":[\"x\"]}", 13);
	doc[CW_WORKLOAD_CONFIG_MAX + 1] = '\0';
	bad_doc(doc, CW_WORKLOAD_CONFIG_MAX + 1, "larger than", __LINE__);
	doc[CW_WORKLOAD_CONFIG_MAX] = '\0';
	CHECK_INT(parse(doc, &w), 0);           /* exactly at the limit */
	workload_free(&w);
	free(doc);

	/* Deep nesting is refused by the parser, not the stack. */
	doc = malloc(200020);
	strcpy(doc, "{\"Cmd\":");
	memset(doc + 7, '[', 100000);
	memset(doc + 100007, ']', 100000);
	strcpy(doc + 200007, "}");
	bad_doc(doc, strlen(doc), "not valid JSON", __LINE__);
	free(doc);
}

int main(void)
{
	test_buildah_image_config();
	test_crun_runtime_spec();
	test_top_level();
	test_entrypoint_cmd();
	test_stop_signal();
	test_env();
	test_malformed();
	test_nul();
	test_bounds();
	return check_finish("test_workload");
}
