/* Configuration: the three sources, their precedence, and hostile values;
 * the kernel command line's words and the module parameters taken from it. */
#include <errno.h>
#include <string.h>
#include "check.h"
#include "config.h"
#include "early.h"
#include "util.h"

static int load_json(struct cw_config *c, const char *json, struct cw_err *err)
{
	return config_load_json(c, json, strlen(json), SRC_FILE, err);
}

static void test_defaults(void)
{
	struct cw_config c;

	config_defaults(&c);
	CHECK_STR(c.resource, "default/key/root-disk");
	CHECK_STR(c.tee, "auto");
	CHECK_STR(c.mapper, "cwroot");
	CHECK_STR(c.broker_url, "");
	CHECK_INT(c.attempts, 5);
	CHECK_INT(c.shutdown, SHUTDOWN_POWEROFF);
	CHECK_INT(c.exit_port, 0);
	CHECK_INT(c.n_modules, 0);
}

static void test_json(void)
{
	struct cw_config c;
	struct cw_err err = { "" };

	config_defaults(&c);
	CHECK_INT(load_json(&c, "{\"broker_url\":\"http://10.0.2.100:8080\",\"tee\":\"sample\","
			    "\"readonly\":true,\"attempts\":3,\"exit_port\":\"0xf4\",\"modules\":"
			    "[\"virtio_blk\",\"dm-crypt\"],\"shutdown\":\"reboot\",\"grace_ms\":250}", &err), 0);
	CHECK_STR(c.broker_url, "http://10.0.2.100:8080");
	CHECK_STR(c.tee, "sample");
	CHECK(c.readonly);
	CHECK_INT(c.attempts, 3);
	CHECK_INT(c.exit_port, 0xf4);
	CHECK_INT(c.n_modules, 2);
	CHECK_STR(c.modules[1], "dm_crypt");
	CHECK_INT(c.shutdown, SHUTDOWN_REBOOT);
	CHECK_INT(c.grace_ms, 250);

	/* Each bad document fails and says which key. */
	static const struct { const char *json, *needle; } bad[] = {
		{ "[]", "not a JSON object" },
		{ "{\"broker_url\":", "not a JSON object" },
		{ "{\"nosuchkey\":1}", "nosuchkey" },
		{ "{\"attempts\":0}", "attempts" },
		{ "{\"attempts\":1.5}", "attempts" },
		{ "{\"attempts\":-1}", "attempts" },
		{ "{\"attempts\":1e30}", "attempts" },
		{ "{\"readonly\":\"maybe\"}", "readonly" },
		{ "{\"tee\":[\"sample\"]}", "tee" },
		{ "{\"broker_url\":\"ftp://x\"}", "broker_url" },
		{ "{\"broker_url\":\"http://user@host\"}", "broker_url" },
		{ "{\"broker_url\":\"http:// spaced\"}", "broker_url" },
		{ "{\"resource\":\"a/b\"}", "resource" },
		{ "{\"resource\":\"a/b/c/d\"}", "resource" },
		{ "{\"resource\":\"a/../c\"}", "resource" },
		{ "{\"root\":\"sda\"}", "root" },
		{ "{\"mapper\":\"a/b\"}", "mapper" },
		{ "{\"net_address\":\"10.0.2.15\"}", "net_address" },
		{ "{\"net_address\":\"10.0.2.15/33\"}", "net_address" },
		{ "{\"net_gateway\":\"10.0.2\"}", "net_gateway" },
		{ "{\"modules\":[\"a b\"]}", "modules" },
		{ "{\"modules\":[1]}", "modules" },
		{ "{\"shutdown\":\"halt\"}", "shutdown" },
		{ "{\"exit_port\":70000}", "exit_port" },
		{ "{\"ca_file\":\"relative.pem\"}", "ca_file" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		config_defaults(&c);
		err.msg[0] = '\0';
		int r = load_json(&c, bad[i].json, &err);
		CHECK(r < 0);
		if (!strstr(err.msg, bad[i].needle))
			fprintf(stderr, "  for %s: message \"%s\" lacks \"%s\"\n", bad[i].json, err.msg, bad[i].needle);
		CHECK(strstr(err.msg, bad[i].needle) != NULL);
	}

	/* Oversized documents are refused before parsing. */
	static char big[70 * 1024];
	memset(big, ' ', sizeof(big) - 1);
	big[0] = '{';
	big[sizeof(big) - 2] = '}';
	config_defaults(&c);
	CHECK_INT(config_load_json(&c, big, strlen(big), SRC_FILE, &err), -EFBIG);
}

static void test_cmdline(void)
{
	struct cw_config c;
	struct cw_err err = { "" };

	config_defaults(&c);
	CHECK_INT(config_load_cmdline(&c, "console=ttyS0 panic=-1 quiet cwinit.tee=sample "
				      "\"cwinit.mount_options=noatime\" cwinit.root=LABEL=data "
				      "-- cwinit.tee=ignored", &err), 0);
	CHECK_STR(c.tee, "sample");
	CHECK_STR(c.root, "LABEL=data");
	CHECK_STR(c.mount_options, "noatime");
	CHECK_INT(config_load_cmdline(&c, "cwinit.modules=virtio_blk,dm-crypt,ext4", &err), 0);
	CHECK_INT(c.n_modules, 3);
	CHECK_STR(c.modules[2], "ext4");

	config_defaults(&c);
	CHECK(config_load_cmdline(&c, "cwinit.readonly", &err) < 0);
	CHECK(config_load_cmdline(&c, "cwinit.bogus=1", &err) < 0);
	CHECK(strstr(err.msg, "bogus") != NULL);
	CHECK(config_load_cmdline(&c, "cwinit.modules=a,,b", &err) < 0);
	CHECK(config_load_cmdline(&c, "cwinit.modules=a,", &err) < 0);
	/* The host may set the root's mapper: never a name that leaves /dev/mapper. */
	CHECK(config_load_cmdline(&c, "cwinit.mapper=..", &err) < 0);
	CHECK(config_load_cmdline(&c, "cwinit.mapper=.hidden", &err) < 0);
	CHECK(config_load_cmdline(&c, "cwinit.mapper=", &err) < 0);
	CHECK_STR(c.mapper, "cwroot");
	CHECK_INT(config_load_cmdline(&c, "cwinit.mapper=root-1.x", &err), 0);
	CHECK_STR(c.mapper, "root-1.x");
}

static void test_precedence(void)
{
	struct cw_config c;
	struct cw_err err = { "" };
	const char *footer = "{\"tee\":\"snp\",\"tee_data\":\"{\\\"gen\\\":\\\"milan\\\"}\","
			     "\"workload_id\":\"wl-1\",\"cpus\":2,\"ram_mib\":512,"
			     "\"attestation_url\":\"http://127.0.0.1:8000\"}";

	/* The file is read first but must still beat the command line and footer. */
	config_defaults(&c);
	CHECK_INT(load_json(&c, "{\"tee\":\"sample\"}", &err), 0);
	CHECK_INT(config_load_cmdline(&c, "cwinit.tee=other cwinit.broker_url=http://a:1", &err), 0);
	CHECK_INT(config_load_footer(&c, footer, strlen(footer), &err), 0);
	CHECK_STR(c.tee, "sample");
	CHECK_STR(c.broker_url, "http://a:1");
	CHECK_STR(c.workload_id, "wl-1");

	/* The footer fills what nothing stronger set. */
	config_defaults(&c);
	CHECK_INT(config_load_footer(&c, footer, strlen(footer), &err), 0);
	CHECK_STR(c.broker_url, "http://127.0.0.1:8000");
	CHECK_STR(c.tee, "snp");

	/* An empty attestation_url (buildah without a broker) sets nothing. */
	config_defaults(&c);
	CHECK_INT(config_load_footer(&c, "{\"attestation_url\":\"\"}", 22, &err), 0);
	CHECK_STR(c.broker_url, "");

	/* Hostile footers. */
	static const char *bad[] = {
		"", "null", "[1]", "{\"attestation_url\":5}", "{\"attestation_url\":\"file:///etc\"}",
		"{\"tee\":\"SNP; rm\"}", "{\"workload_id\":\"../../x\"}", "{\"workload_id\":\"\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		config_defaults(&c);
		CHECK(config_load_footer(&c, bad[i], strlen(bad[i]), &err) < 0);
	}
}

/* The broker key settings: tee_key names, allow_rsa1_5, init_data paths. */
static void test_tee_key(void)
{
	struct cw_config c;
	struct cw_err err = { "" };

	config_defaults(&c);
	CHECK_STR(c.tee_key, "ec-p256");
	CHECK(!c.allow_rsa1_5);
	CHECK_STR(c.init_data, "");
	CHECK_INT(load_json(&c, "{\"tee_key\":\"rsa-3072\",\"allow_rsa1_5\":true,"
			    "\"init_data\":\"/etc/cwinit/init-data.toml\"}", &err), 0);
	CHECK_STR(c.tee_key, "rsa-3072");
	CHECK(c.allow_rsa1_5);
	CHECK_STR(c.init_data, "/etc/cwinit/init-data.toml");
	CHECK_INT(config_load_cmdline(&c, "cwinit.tee_key=ec-p521", &err), 0);
	CHECK_STR(c.tee_key, "rsa-3072"); /* the initramfs file wins */
	config_defaults(&c);
	CHECK_INT(config_load_cmdline(&c, "cwinit.tee_key=ec-p521", &err), 0);
	CHECK_STR(c.tee_key, "ec-p521");
	CHECK_INT(config_set(&c, "tee_key", "ec-p384", SRC_FILE, &err), -EINVAL);
	CHECK(strstr(err.msg, "tee_key (from file): must be ec-p256, ec-p521 or rsa-3072") != NULL);
	CHECK_INT(config_set(&c, "tee_key", "RSA-3072", SRC_FILE, &err), -EINVAL);
	CHECK_INT(config_set(&c, "init_data", "init-data.toml", SRC_FILE, &err), -EINVAL);
	CHECK_INT(config_set(&c, "allow_rsa1_5", "sometimes", SRC_FILE, &err), -EINVAL);
}

static void test_key_table(void)
{
	struct cw_config_key k;
	size_t n = 0;

	while (config_key(n, &k)) {
		CHECK(k.name && k.meaning && k.default_text);
		n++;
	}
	CHECK(n >= 20);
}

/* net_hosts and net_dns: lists, only from the measured file; the host's
 * command line (and footer) setting them fails the boot. */
static void test_resolve_keys(void)
{
	struct cw_config c;
	struct cw_err err = { "" };

	config_defaults(&c);
	CHECK_INT(load_json(&c, "{\"broker_url\":\"https://KBS.example.com:8443\",\"net_hosts\":"
			    "[\"kbs.example.com=192.0.2.10\",\"kbs2.example.com=192.0.2.11\"],"
			    "\"net_dns\":[\"10.0.2.53\"]}", &err), 0);
	CHECK_INT(c.resolve.n_hosts, 2);
	CHECK_STR(c.resolve.hosts[1].name, "kbs2.example.com");
	CHECK_STR(c.resolve.hosts[1].addr, "192.0.2.11");
	CHECK_INT(c.resolve.n_servers, 1);
	CHECK_STR(c.resolve.servers[0], "10.0.2.53");
	CHECK_INT(config_load_cmdline(&c, "cwinit.net_hosts=kbs.example.com=10.0.2.66", &err), -EINVAL);
	CHECK(strstr(err.msg, "net_hosts (from cmdline): only in /etc/cwinit.json") != NULL);
	CHECK_INT(config_load_cmdline(&c, "cwinit.net_dns=10.0.2.66", &err), -EINVAL);
	CHECK_INT(config_set(&c, "net_dns", "10.0.2.66", SRC_FOOTER, &err), -EINVAL);
	CHECK_STR(c.resolve.hosts[0].addr, "192.0.2.10");
	CHECK_STR(c.resolve.servers[0], "10.0.2.53");

	static const struct { const char *json, *needle; } bad[] = {
		{ "{\"net_hosts\":[\"kbs.test=10.0.2.100,x=1.2.3.4\"]}", "net_hosts" },
		{ "{\"net_hosts\":[\"kbs.test\"]}", "net_hosts (from file): entry 1 is not name=a.b.c.d" },
		{ "{\"net_hosts\":[\"kbs.test=10.0.2.100\",\"kbs.test=10.0.2.100\"]}", "listed twice" },
		{ "{\"net_hosts\":[\"kbs.test.=10.0.2.100\"]}", "not a host name" },
		{ "{\"net_hosts\":{\"kbs.test\":\"10.0.2.100\"}}", "net_hosts" },
		{ "{\"net_dns\":[\"10.0.2.53\",\"\"]}", "net_dns" },
		{ "{\"net_dns\":[\"dns.example.com\"]}", "net_dns (from file): nameserver 1 is not an IPv4" },
		{ "{\"net_dns\":[1]}", "net_dns" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		config_defaults(&c);
		err.msg[0] = '\0';
		CHECK(load_json(&c, bad[i].json, &err) < 0);
		if (!strstr(err.msg, bad[i].needle))
			fprintf(stderr, "  for %s: message \"%s\" lacks \"%s\"\n", bad[i].json, err.msg,
				bad[i].needle);
		CHECK(strstr(err.msg, bad[i].needle) != NULL);
	}
}

/* Each key of the table is a row "| `<name>` |" of the README's key table. */
static void test_readme_keys(void)
{
	char path[512], row[96], *readme = NULL;
	const char *src = getenv("CWINIT_SOURCE_DIR");
	struct cw_config_key k;

	snprintf(path, sizeof(path), "%s/README.md", src ? src : ".");
	CHECK_INT(read_file_bounded(path, 1 << 20, &readme, NULL), 0);
	for (size_t i = 0; readme && config_key(i, &k); i++) {
		snprintf(row, sizeof(row), "| `%s` |", k.name);
		if (!strstr(readme, row))
			fprintf(stderr, "README.md lacks the row \"%s\"\n", row);
		CHECK(strstr(readme, row) != NULL);
	}
	free(readme);
}

static void test_cmdline_words(void)
{
	const char *p = "  a \"b c\"d\te=\"x y\"  ";
	char w[8], params[64];
	struct cw_err err = { "" };

	CHECK_INT(cmdline_word(&p, w, sizeof(w)), 1);
	CHECK_STR(w, "a");
	CHECK_INT(cmdline_word(&p, w, sizeof(w)), 1);
	CHECK_STR(w, "b cd");
	CHECK_INT(cmdline_word(&p, w, sizeof(w)), 1);
	CHECK_STR(w, "e=x y");
	CHECK_INT(cmdline_word(&p, w, sizeof(w)), 0);
	p = "12345678";
	CHECK_INT(cmdline_word(&p, w, sizeof(w)), -EINVAL);

	/* A module's words, '-' and '_' alike, a grouped value quoted again for
	 * the kernel, a flag without a value, nothing after "--". */
	CHECK_INT(module_params("quiet virtio-net.napi_tx=1 virtio_netx.y=2 dm_crypt.z=3 "
				"virtio_net.name=\"a b\" virtio_net.flag -- virtio_net.late=1",
				"virtio_net", params, sizeof(params), &err), 0);
	CHECK_STR(params, "napi_tx=1 name=\"a b\" flag");
	CHECK_INT(module_params("dm_crypt.z=3", "dm-crypt", params, sizeof(params), &err), 0);
	CHECK_STR(params, "z=3");
	CHECK_INT(module_params("quiet", "ext4", params, sizeof(params), &err), 0);
	CHECK_STR(params, "");
	CHECK_INT(module_params("ext4.a=1 ext4.b=2", "ext4", params, 7, &err), -E2BIG);
}

int main(void)
{
	test_defaults();
	test_json();
	test_cmdline();
	test_precedence();
	test_tee_key();
	test_key_table();
	test_resolve_keys();
	test_readme_keys();
	test_cmdline_words();
	return check_finish("test_config");
}
