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
	CHECK_INT(config_load_cmdline(&c, "console=ttyS0 panic=-1 quiet cwinit.tee=tdx "
				      "\"cwinit.mount_options=noatime\" cwinit.root=LABEL=data "
				      "-- cwinit.tee=ignored", &err), 0);
	CHECK_STR(c.tee, "tdx");
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
	CHECK_INT(config_load_cmdline(&c, "cwinit.tee=tdx cwinit.broker_url=http://a:1", &err), 0);
	CHECK_INT(config_load_footer(&c, footer, strlen(footer), &err), 0);
	CHECK_STR(c.tee, "sample");
	CHECK_STR(c.broker_url, "http://a:1");
	CHECK_STR(c.workload_id, "wl-1");

	/* The footer fills what nothing stronger set (the broker only where the file lets it). */
	config_defaults(&c);
	CHECK_INT(load_json(&c, "{\"footer_broker_url\":true}", &err), 0);
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

/* What the host writes (the footer, an unmeasured command line) may not
 * weaken what the measured file decides. */
static void test_host_sources(void)
{
	struct cw_config c;
	struct cw_err err = { "" };
	const char *url_footer = "{\"attestation_url\":\"https://kbs.example:8080\"}";

	/* The footer chooses the broker only when the file allows it. */
	config_defaults(&c);
	CHECK_INT(config_load_footer(&c, url_footer, strlen(url_footer), &err), -EPERM);
	CHECK(strstr(err.msg, "broker_url (from footer): the disk footer may choose the broker "
		      "only when /etc/cwinit.json sets footer_broker_url") != NULL);
	CHECK_STR(c.broker_url, "");
	/* ... but a URL the file pinned is simply stronger. */
	CHECK_INT(load_json(&c, "{\"broker_url\":\"https://kbs.owner:1\"}", &err), 0);
	CHECK_INT(config_load_footer(&c, url_footer, strlen(url_footer), &err), 0);
	CHECK_STR(c.broker_url, "https://kbs.owner:1");

	/* sample evidence only from the file: neither the footer nor the command line. */
	config_defaults(&c);
	CHECK_INT(config_load_footer(&c, "{\"tee\":\"sample\"}", 16, &err), -EPERM);
	CHECK(strstr(err.msg, "tee (from footer): sample evidence may be chosen only in "
		      "/etc/cwinit.json") != NULL);
	CHECK_INT(config_load_cmdline(&c, "cwinit.tee=sample", &err), -EPERM);
	CHECK_STR(c.tee, "auto");
	CHECK_INT(config_load_footer(&c, "{\"tee\":\"tdx\"}", 13, &err), 0);
	CHECK_STR(c.tee, "tdx");
	CHECK_INT(config_load_footer(&c, "{\"tee\":\"nitro\"}", 15, &err), -EINVAL);
	CHECK_INT(load_json(&c, "{\"tee\":\"sample\"}", &err), 0);
	CHECK_STR(c.tee, "sample");

	/* The file-only keys, from the command line. */
	static const char *const file_only[] = {
		"cwinit.insecure_broker=true", "cwinit.footer_broker_url=true",
		"cwinit.ignore_cmdline=false", "cwinit.root_luks_uuid=0ea4cb81-e318-4f8c-be9d-09f30460a1b4",
	};
	for (size_t i = 0; i < sizeof(file_only) / sizeof(file_only[0]); i++) {
		config_defaults(&c);
		CHECK_INT(config_load_cmdline(&c, file_only[i], &err), -EPERM);
		CHECK(strstr(err.msg, "(from cmdline): may be set only in /etc/cwinit.json") != NULL);
	}
	CHECK(!c.insecure_broker && !c.footer_broker_url && !c.ignore_cmdline && !*c.root_luks_uuid);
	CHECK_INT(config_load_cmdline(&c, "cwinit.luks_ciphers=x", &err), -ENOENT);

	/* In the file: the UUID's form, and luks_ciphers replaces the default. */
	config_defaults(&c);
	CHECK_INT(load_json(&c, "{\"root_luks_uuid\":\"0EA4CB81-e318-4f8c-be9d-09f30460a1b4\","
			    "\"luks_ciphers\":{\"aes-xts-plain64\":[512]}}", &err), 0);
	CHECK_INT(c.luks_policy.n, 1);
	CHECK_INT(c.luks_policy.rules[0].n_key_bits, 1);
	CHECK_INT(c.luks_policy.rules[0].key_bits[0], 512);
	CHECK_INT(load_json(&c, "{\"root_luks_uuid\":\"0ea4cb81e3184f8cbe9d09f30460a1b4\"}", &err),
		  -EINVAL);
	CHECK_INT(load_json(&c, "{\"luks_ciphers\":{\"cipher_null-ecb\":[256]}}", &err), -EINVAL);
	CHECK_INT(config_load_json(&c, "{\"luks_ciphers\":{\"aes-xts-plain64\":[256]}}", 42,
				   SRC_CMDLINE, &err), -EINVAL);
	CHECK_INT(c.luks_policy.rules[0].key_bits[0], 512);
}

/* The broker must be authenticated unless the file says this is a test. */
static void test_broker_check(void)
{
	struct cw_config c;
	struct cw_err err = { "" };

	config_defaults(&c);
	CHECK_INT(config_check_broker(&c, &err), 0); /* none yet: the boot says so later */
	CHECK_INT(config_load_cmdline(&c, "cwinit.broker_url=http://10.0.2.100:8080", &err), 0);
	CHECK_INT(config_check_broker(&c, &err), -EPERM);
	CHECK(strstr(err.msg, "is plain HTTP, which nothing authenticates") != NULL);
	CHECK_INT(load_json(&c, "{\"insecure_broker\":true}", &err), 0);
	CHECK_INT(config_check_broker(&c, &err), 0);

	config_defaults(&c);
	CHECK_INT(config_load_cmdline(&c, "cwinit.broker_url=https://kbs.example", &err), 0);
	CHECK_INT(config_check_broker(&c, &err), -EPERM);
	CHECK(strstr(err.msg, "needs ca_file") != NULL);
	CHECK_INT(load_json(&c, "{\"ca_file\":\"/etc/cwinit/ca.pem\"}", &err), 0);
	CHECK_INT(config_check_broker(&c, &err), 0);
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
	CHECK_INT(config_load_cmdline(&c, "cwinit.net_hosts=kbs.example.com=10.0.2.66", &err), -EPERM);
	CHECK(strstr(err.msg, "net_hosts (from cmdline): may be set only in /etc/cwinit.json") != NULL);
	CHECK_INT(config_load_cmdline(&c, "cwinit.net_dns=10.0.2.66", &err), -EPERM);
	CHECK_INT(config_set(&c, "net_dns", "10.0.2.66", SRC_FOOTER, &err), -EPERM);
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

/* Fills buf with text, then n times unit, then tail. */
static char *repeat(char *buf, const char *text, const char *unit, size_t n, const char *tail)
{
	strcpy(buf, text);
	while (n--)
		strcat(buf, unit);
	return strcat(buf, tail);
}

/* Words longer than 1 KiB: someone else's are passed over, a module's go
 * to it whole, a cwinit.* value meets only its key's own limit. Up to the
 * bound of the whole line, past which nothing is read. */
static void test_long_words(void)
{
	static char line[CW_CMDLINE_MAX + 2], want[CW_CMDLINE_MAX + 1], params[CW_CMDLINE_MAX];
	struct cw_config c;
	struct cw_err err = { "" };
	size_t n;

	repeat(line, "console=ttyS0 tee-emul.vcek_cert=", "0123456789abcdef", 100,
	       " dm-mod.create=\"cr,,,ro,0 8 crypt aes-xts-plain64 ");
	repeat(line + strlen(line), "", "00", 600, " 0 /dev/vda 0\" cwinit.tee=tdx");
	CHECK(strlen(line) > 2800 && strlen(line) < CW_CMDLINE_MAX);
	config_defaults(&c);
	CHECK_INT(config_load_cmdline(&c, line, &err), 0);
	CHECK_STR(c.tee, "tdx");
	CHECK_INT(module_params(line, "tee_emul", params, sizeof(params), &err), 0);
	CHECK_STR(params, repeat(want, "vcek_cert=", "0123456789abcdef", 100, ""));
	CHECK_INT(module_params(line, "dm_mod", params, sizeof(params), &err), 0);
	repeat(want, "create=\"cr,,,ro,0 8 crypt aes-xts-plain64 ", "00", 600, " 0 /dev/vda 0\"");
	CHECK_STR(params, want);

	/* 60 module names in one cwinit.* word of 1,300 bytes. */
	repeat(line, "quiet cwinit.modules=m", ",module_with_a_name", 59, " panic=-1");
	CHECK_INT(config_load_cmdline(&c, line, &err), 0);
	CHECK_INT(c.n_modules, 60);
	CHECK_STR(c.modules[59], "module_with_a_name");

	/* Too long for its key, or an unknown key, however long. */
	repeat(line, "quiet cwinit.broker_url=http://broker/", "x", 2000, "");
	CHECK_INT(config_load_cmdline(&c, line, &err), -EINVAL);
	CHECK_STR(err.msg, "broker_url (from cmdline): longer than 511 characters");
	CHECK_STR(c.broker_url, "");
	repeat(line, "cwinit.", "k", 2000, "=1");
	CHECK_INT(config_load_cmdline(&c, line, &err), -ENOENT);
	CHECK(strlen(err.msg) < 120 && strstr(err.msg, "unknown key"));

	/* One word as long as the line may be; one byte more is refused whole. */
	n = CW_CMDLINE_MAX - strlen("dm_mod.x=");
	repeat(line, "dm_mod.x=", "y", n, "");
	CHECK_INT(config_load_cmdline(&c, line, &err), 0);
	CHECK_INT(module_params(line, "dm_mod", params, sizeof(params), &err), 0);
	CHECK_INT(strlen(params), n + 2);
	strcat(line, "y");
	CHECK_INT(config_load_cmdline(&c, line, &err), -EFBIG);
	CHECK_INT(module_params(line, "dm_mod", params, sizeof(params), &err), -EFBIG);
}

int main(void)
{
	test_defaults();
	test_json();
	test_cmdline();
	test_precedence();
	test_tee_key();
	test_host_sources();
	test_broker_check();
	test_key_table();
	test_resolve_keys();
	test_readme_keys();
	test_cmdline_words();
	test_long_words();
	return check_finish("test_config");
}
