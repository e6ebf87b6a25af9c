/* The `volumes` list of /etc/cwinit.json: valid lists, each invalid field,
 * duplicates, the bound, the passphrase sources, the checks against the
 * root, and that only the file may carry it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "check.h"
#include "config.h"

static int load(struct cw_config *c, const char *volumes, struct cw_err *err)
{
	char json[4096];

	snprintf(json, sizeof(json), "{\"tee\":\"sample\",\"volumes\":%s}", volumes);
	config_defaults(c);
	err->msg[0] = '\0';
	return config_load_json(c, json, strlen(json), SRC_FILE, err);
}

/* The document fails and the message holds needle. */
static void expect_bad(const char *volumes, const char *needle)
{
	struct cw_config c;
	struct cw_err err = { "" };
	int r = load(&c, volumes, &err);

	CHECK(r < 0);
	CHECK_INT(c.volumes.n, 0);
	if (r >= 0 || !strstr(err.msg, needle))
		fprintf(stderr, "  for %s: r=%d message \"%s\" lacks \"%s\"\n", volumes, r, err.msg,
			needle);
	CHECK(strstr(err.msg, needle) != NULL);
}

static void test_valid(void)
{
	struct cw_config c;
	struct cw_err err = { "" };

	CHECK_INT(load(&c, "[]", &err), 0);
	CHECK_INT(c.volumes.n, 0);

	CHECK_INT(load(&c, "[{\"device\":\"LABEL=data\",\"mount_point\":\"/srv/data\","
		       "\"resource\":\"default/key/data\"},"
		       "{\"device\":\"/dev/vdc\",\"mount_point\":\"/srv/data/logs\","
		       "\"key_file\":\"/etc/keys/logs.key\",\"mapper\":\"logs\",\"fstype\":\"ext4\","
		       "\"mount_options\":\"noatime,errors=remount-ro\",\"readonly\":true},"
		       "{\"device\":\"UUID=0b4e4f51-7e6a-4b5b-9c1e-1f2a3b4c5d6e\","
		       "\"mount_point\":\"/cache\",\"resource\":\"default/key/data\"}]", &err), 0);
	CHECK_STR(err.msg, "");
	CHECK_INT(c.volumes.n, 3);
	const struct cw_volume *a = &c.volumes.v[0], *b = &c.volumes.v[1], *d = &c.volumes.v[2];
	CHECK_STR(a->device, "LABEL=data");
	CHECK_STR(a->mount_point, "/srv/data");
	CHECK_STR(a->resource, "default/key/data");
	CHECK_STR(a->key_file, "");
	CHECK_STR(a->mapper, "cwvol0");
	CHECK_STR(a->fstype, "");
	CHECK(!a->readonly);
	CHECK_STR(b->key_file, "/etc/keys/logs.key");
	CHECK_STR(b->resource, "");
	CHECK_STR(b->mapper, "logs");
	CHECK_STR(b->fstype, "ext4");
	CHECK_STR(b->mount_options, "noatime,errors=remount-ro");
	CHECK(b->readonly);
	CHECK_STR(d->mapper, "cwvol2");

	/* Checked against the root once every source is read. */
	CHECK_INT(volumes_check(&c.volumes, "", "cwroot", &err), 0);
	CHECK(volumes_check(&c.volumes, "", "logs", &err) < 0);
	CHECK(strstr(err.msg, "mapper") && strstr(err.msg, "root"));
	CHECK(volumes_check(&c.volumes, "/dev/vdc", "cwroot", &err) < 0);
	CHECK(strstr(err.msg, "volumes[1]: device") != NULL);

	/* Exactly CW_MAX_VOLUMES is fine. */
	char list[2048] = "[";
	for (int i = 0; i < CW_MAX_VOLUMES; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
			 "%s{\"device\":\"LABEL=v%d\",\"mount_point\":\"/v%d\",\"key_file\":\"/k%d\"}",
			 i ? "," : "", i, i, i);
	strcat(list, "]");
	CHECK_INT(load(&c, list, &err), 0);
	CHECK_INT(c.volumes.n, CW_MAX_VOLUMES);
}

static void test_invalid_fields(void)
{
#define VOL(extra) "[{\"device\":\"LABEL=d\",\"mount_point\":\"/data\"," extra "}]"
#define KEY "\"resource\":\"default/key/data\""
	static const struct { const char *volumes, *needle; } bad[] = {
		{ "{}", "must be a list" },
		{ "\"/dev/vdb\"", "must be a list" },
		{ "[\"/dev/vdb\"]", "volumes[0]: must be an object" },
		{ "[[]]", "must be an object" },
		{ VOL(KEY ",\"colour\":\"red\""), "unknown member \"colour\"" },
		{ VOL(KEY ",\"mount_point\":\"/other\""), "mount_point: given twice" },
		/* device */
		{ "[{\"mount_point\":\"/data\"," KEY "}]", "device: missing" },
		{ "[{\"device\":\"\",\"mount_point\":\"/data\"," KEY "}]", "device: must be" },
		{ "[{\"device\":\"sdb\",\"mount_point\":\"/data\"," KEY "}]", "device: must be" },
		{ "[{\"device\":\"/dev/\",\"mount_point\":\"/data\"," KEY "}]", "device: '/dev/' has an empty" },
		{ "[{\"device\":\"/dev/../etc\",\"mount_point\":\"/data\"," KEY "}]", "not a plain device" },
		{ "[{\"device\":\"LABEL=a b\",\"mount_point\":\"/data\"," KEY "}]", "device: holds a space" },
		{ "[{\"device\":\"UUID=\",\"mount_point\":\"/data\"," KEY "}]", "empty value" },
		{ "[{\"device\":7,\"mount_point\":\"/data\"," KEY "}]", "device: must be a string" },
		{ "[{\"device\":\"LABEL=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\","
		  "\"mount_point\":\"/data\"," KEY "}]", "device: longer than 128" },
		/* mount_point */
		{ "[{\"device\":\"LABEL=d\"," KEY "}]", "mount_point: missing" },
		{ "[{\"device\":\"LABEL=d\",\"mount_point\":\"data\"," KEY "}]", "mount_point: must be an absolute" },
		{ "[{\"device\":\"LABEL=d\",\"mount_point\":\"/\"," KEY "}]", "mount_point: must not be /" },
		{ "[{\"device\":\"LABEL=d\",\"mount_point\":\"/srv/../etc\"," KEY "}]", "'.' or '..'" },
		{ "[{\"device\":\"LABEL=d\",\"mount_point\":\"/srv/./x\"," KEY "}]", "'.' or '..'" },
		{ "[{\"device\":\"LABEL=d\",\"mount_point\":\"/srv//x\"," KEY "}]", "empty component" },
		{ "[{\"device\":\"LABEL=d\",\"mount_point\":\"/srv/\"," KEY "}]", "trailing" },
		{ "[{\"device\":\"LABEL=d\",\"mount_point\":\"/my data\"," KEY "}]", "mount_point: holds a space" },
		{ "[{\"device\":\"LABEL=d\",\"mount_point\":\"/proc\"," KEY "}]", "reserved" },
		{ "[{\"device\":\"LABEL=d\",\"mount_point\":\"/run/data\"," KEY "}]", "reserved" },
		/* passphrase sources */
		{ "[{\"device\":\"LABEL=d\",\"mount_point\":\"/data\"}]", "exactly one passphrase source" },
		{ VOL(KEY ",\"key_file\":\"/k\""), "exactly one passphrase source" },
		{ VOL("\"resource\":\"default/key\""), "resource: must be three segments" },
		{ VOL("\"resource\":\"a/../c\""), "resource: must be three segments" },
		{ VOL("\"resource\":\"a/b/c/d\""), "resource: must be three segments" },
		{ VOL("\"resource\":\"\""), "resource: must be three segments" },
		{ VOL("\"key_file\":\"keys/k\""), "key_file: must be an absolute" },
		{ VOL("\"key_file\":\"/etc/../k\""), "key_file: '/etc/../k' has a '.' or '..'" },
		{ VOL("\"key_file\":\"/data/k\""), "key_file: /data/k lies under volume /data's" },
		/* the rest */
		{ VOL(KEY ",\"mapper\":\"a/b\""), "mapper: must be" },
		{ VOL(KEY ",\"mapper\":\".hidden\""), "mapper: must be" },
		{ VOL(KEY ",\"mapper\":\"\""), "mapper: must be" },
		{ VOL(KEY ",\"mapper\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\""), "mapper: longer than 63" },
		{ VOL(KEY ",\"fstype\":\"EXT4\""), "fstype: must be" },
		{ VOL(KEY ",\"mount_options\":\"a, b\""), "mount_options: holds a space" },
		{ VOL(KEY ",\"readonly\":\"true\""), "readonly: must be true or false" },
		{ VOL(KEY ",\"readonly\":1"), "readonly: must be true or false" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_bad(bad[i].volumes, bad[i].needle);
#undef VOL
#undef KEY
}

static void test_duplicates(void)
{
#define V(dev, mp, extra) "{\"device\":\"" dev "\",\"mount_point\":\"" mp "\",\"key_file\":\"/k\"" extra "}"
	expect_bad("[" V("LABEL=a", "/data", "") "," V("LABEL=b", "/data", "") "]",
		   "volumes[1]: mount_point: /data is also volume 0's");
	expect_bad("[" V("LABEL=a", "/a", "") "," V("LABEL=a", "/b", "") "]",
		   "volumes[1]: device: LABEL=a is also volume 0's");
	expect_bad("[" V("LABEL=a", "/a", ",\"mapper\":\"m\"") "," V("LABEL=b", "/b", ",\"mapper\":\"m\"") "]",
		   "volumes[1]: mapper: m is also volume 0's");
	/* A default name taken by an explicit one. */
	expect_bad("[" V("LABEL=a", "/a", "") "," V("LABEL=b", "/b", ",\"mapper\":\"cwvol0\"") "]",
		   "mapper: cwvol0 is also volume 0's");
	/* An inner mount point listed before its outer one would be hidden. */
	expect_bad("[" V("LABEL=a", "/srv/data/logs", "") "," V("LABEL=b", "/srv/data", "") "]",
		   "/srv/data would hide volume 0");
	/* A prefix that is not a parent directory is no conflict. */
	struct cw_config c;
	struct cw_err err = { "" };
	CHECK_INT(load(&c, "[" V("LABEL=a", "/srv/data2", "") "," V("LABEL=b", "/srv/data", "") "]", &err), 0);
#undef V
}

static void test_too_many(void)
{
	char list[2048] = "[";

	for (int i = 0; i <= CW_MAX_VOLUMES; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
			 "%s{\"device\":\"LABEL=v%d\",\"mount_point\":\"/v%d\",\"key_file\":\"/k%d\"}",
			 i ? "," : "", i, i, i);
	strcat(list, "]");
	expect_bad(list, "more than 8");
}

/* Never from the command line, nor from a source other than the file. */
static void test_file_only(void)
{
	struct cw_config c;
	struct cw_err err = { "" };
	const char *json = "{\"volumes\":[]}";

	config_defaults(&c);
	CHECK(config_load_cmdline(&c, "cwinit.volumes=/dev/vdb", &err) < 0);
	CHECK(strstr(err.msg, "volumes") != NULL);
	CHECK(config_load_json(&c, json, strlen(json), SRC_CMDLINE, &err) < 0);
	CHECK(strstr(err.msg, "only in /etc/cwinit.json") != NULL);
}

int main(void)
{
	test_valid();
	test_invalid_fields();
	test_duplicates();
	test_too_many();
	test_file_only();
	return check_finish("test_volumes");
}
