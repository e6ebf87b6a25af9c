/* The workload's secrets: both lists parsed and merged with their checks,
 * environment values, the environment block, and the files on the tmpfs
 * (owner, mode, content, and nothing left behind when a write fails). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include "check.h"
#include "config.h"
#include "secret_of.h"
#include "secrets.h"

static int parse_list(struct cw_secrets *s, const char *json, bool image, struct cw_err *err)
{
	cJSON *j = cJSON_Parse(json);
	int r = secrets_parse_list(s, j, image, err);

	cJSON_Delete(j);
	return r;
}

static void test_lists(void)
{
	struct cw_config c;
	struct cw_err err = { "" };
	const char *image = "{\"secrets\":[{\"resource\":\"default/tls/key\",\"file\":\"tls.key\","
			    "\"mode\":\"0440\"},{\"resource\":\"default/db/pw\",\"env\":\"DB_PASSWORD\","
			    "\"optional\":true}],\"token\":\"/run/secrets/kbs-token\"}";

	/* The platform's list in the file, then the image's appended. */
	config_defaults(&c);
	CHECK(c.image_secrets);
	CHECK_INT(config_load_json(&c, "{\"secrets\":[{\"resource\":\"default/ca/bundle\","
				   "\"file\":\"ca.pem\"}],\"image_secrets\":true}", 87, SRC_FILE, &err), 0);
	CHECK_INT(c.secrets.n, 1);
	CHECK_STR(c.secrets.v[0].file, "ca.pem");
	CHECK_INT(c.secrets.v[0].mode, 0400);
	CHECK(!c.secrets.v[0].from_image);
	CHECK_INT(secrets_parse_image(&c.secrets, image, strlen(image), &err), 0);
	CHECK_INT(c.secrets.n, 3);
	CHECK_INT(c.secrets.v[1].mode, 0440);
	CHECK_STR(c.secrets.v[2].env, "DB_PASSWORD");
	CHECK(c.secrets.v[2].optional && c.secrets.v[2].from_image);
	CHECK_STR(c.secrets.token, "kbs-token");
	CHECK(secrets_from_image(&c.secrets));

	/* Only the measured file: not the command line. */
	config_defaults(&c);
	CHECK_INT(config_load_cmdline(&c, "cwinit.image_secrets=false", &err), -EPERM);
	CHECK(c.image_secrets);
	CHECK_INT(config_load_json(&c, "{\"secrets\":[]}", 14, SRC_CMDLINE, &err), -EINVAL);

	/* One source cannot take over what the other delivers. */
	struct cw_secrets s = { .n = 0 };
	CHECK_INT(parse_list(&s, "[{\"resource\":\"a/b/c\",\"file\":\"x\"}]", false, &err), 0);
	CHECK_INT(parse_list(&s, "[{\"resource\":\"a/b/d\",\"file\":\"x\"}]", true, &err), -EINVAL);
	CHECK(strstr(err.msg, "secrets[0]: file: x is delivered twice") != NULL);
	CHECK_INT(secrets_set_token(&s, "/run/secrets/x", &err), -EINVAL);
	CHECK_INT(secrets_set_token(&s, "/run/secrets/t", &err), 0);
	CHECK_INT(secrets_set_token(&s, "/run/secrets/u", &err), -EINVAL);
	CHECK_INT(parse_list(&s, "[{\"resource\":\"a/b/c\",\"file\":\"t\"}]", true, &err), -EINVAL);
	/* The same resource twice is fine (a file and a variable, say). */
	CHECK_INT(parse_list(&s, "[{\"resource\":\"a/b/c\",\"env\":\"X\"}]", true, &err), 0);

	static const char *const bad[] = {
		"{}", "[1]", "[{}]", "[{\"resource\":\"a/b/c\"}]",
		"[{\"resource\":\"a/b/c\",\"file\":\"x\",\"env\":\"X\"}]",
		"[{\"resource\":\"a/b\",\"file\":\"x\"}]", "[{\"resource\":\"a/b/c\",\"file\":\"../x\"}]",
		"[{\"resource\":\"a/b/c\",\"file\":\"a/b\"}]", "[{\"resource\":\"a/b/c\",\"file\":\".x\"}]",
		"[{\"resource\":\"a/b/c\",\"file\":\"\"}]", "[{\"resource\":\"a/b/c\",\"env\":\"1X\"}]",
		"[{\"resource\":\"a/b/c\",\"env\":\"A-B\"}]", "[{\"resource\":\"a/b/c\",\"env\":\"A=B\"}]",
		"[{\"resource\":\"a/b/c\",\"file\":\"x\",\"mode\":\"4755\"}]",
		"[{\"resource\":\"a/b/c\",\"file\":\"x\",\"mode\":\"0200\"}]",
		"[{\"resource\":\"a/b/c\",\"file\":\"x\",\"mode\":420}]",
		"[{\"resource\":\"a/b/c\",\"env\":\"X\",\"mode\":\"0400\"}]",
		"[{\"resource\":\"a/b/c\",\"file\":\"x\",\"optional\":\"yes\"}]",
		"[{\"resource\":\"a/b/c\",\"file\":\"x\",\"owner\":\"root\"}]",
		"[{\"resource\":\"a/b/c\",\"file\":\"x\",\"file\":\"y\"}]",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cw_secrets t = { .n = 0 };
		CHECK_INT(parse_list(&t, bad[i], false, &err), -EINVAL);
	}
	/* At most CW_MAX_SECRETS in all. */
	struct cw_secrets many = { .n = 0 };
	char json[64];
	for (int i = 0; i < CW_MAX_SECRETS; i++) {
		snprintf(json, sizeof(json), "[{\"resource\":\"a/b/c\",\"file\":\"f%d\"}]", i);
		CHECK_INT(parse_list(&many, json, i % 2, &err), 0);
	}
	CHECK_INT(parse_list(&many, "[{\"resource\":\"a/b/c\",\"file\":\"one-more\"}]", true, &err),
		  -EINVAL);
	static const char *const bad_image[] = {
		"[]", "{\"secrets\":[],\"extra\":1}", "{\"token\":\"/etc/passwd\"}",
		"{\"token\":\"/run/secrets/../x\"}", "{\"token\":5}", "{\"secrets\":{}}", "{",
	};
	for (size_t i = 0; i < sizeof(bad_image) / sizeof(bad_image[0]); i++) {
		struct cw_secrets t = { .n = 0 };
		CHECK_INT(secrets_parse_image(&t, bad_image[i], strlen(bad_image[i]), &err), -EINVAL);
	}
}

static void test_env(void)
{
	struct cw_secrets s = { .n = 0 };
	struct cw_err err = { "" };
	struct secret *values[CW_MAX_SECRETS] = { 0 }, *block = NULL, *big;
	char *env[] = { "PATH=/bin", "DB_PASSWORD=from-image", "DB=x", NULL }, **out = NULL;
	static char text[CW_SECRET_ENV_MAX + 1];

	CHECK_INT(parse_list(&s, "[{\"resource\":\"a/b/c\",\"env\":\"DB_PASSWORD\"},"
			     "{\"resource\":\"a/b/d\",\"env\":\"TOKEN\"},"
			     "{\"resource\":\"a/b/e\",\"env\":\"ABSENT\",\"optional\":true}]", true, &err), 0);
	values[0] = secret_of_bytes("s3cr\xc3\xa9t", 7);
	values[1] = secret_of_bytes("", 0);
	CHECK_INT(secret_env_check(&s.v[0], values[0], &err), 0);
	CHECK_INT(secret_env_check(&s.v[1], values[1], &err), 0);
	CHECK_INT(secrets_env(env, &s, values, &block, &out, &err), 0);
	/* The secret replaces the image's value; an absent optional one sets nothing. */
	CHECK(out && !strcmp(out[0], "PATH=/bin") && !strcmp(out[1], "DB=x") &&
	      !strcmp(out[2], "DB_PASSWORD=s3cr\xc3\xa9t") && !strcmp(out[3], "TOKEN=") && !out[4]);
	secret_free(block);

	/* Only UTF-8 text without NUL, and not too long. */
	struct secret *nul = secret_of_bytes("a\0b", 3), *latin1 = secret_of_bytes("caf\xe9", 4);
	CHECK_INT(secret_env_check(&s.v[0], nul, &err), -EILSEQ);
	CHECK(strstr(err.msg, "not UTF-8 text without NUL (byte 1); deliver it as a file") != NULL);
	CHECK_INT(secret_env_check(&s.v[0], latin1, &err), -EILSEQ);
	memset(text, 'x', sizeof(text));
	big = secret_of_bytes(text, sizeof(text));
	CHECK_INT(secret_env_check(&s.v[0], big, &err), -EFBIG);
	secret_free(nul);
	secret_free(latin1);
	secret_free(big);
	secret_free(values[0]);
	secret_free(values[1]);
}

/* The tmpfs and the files, where this machine lets a test mount one. */
static void test_files(void)
{
	char dir[] = "/tmp/cwinit-test-secrets-XXXXXX", path[128];
	struct cw_err err = { "" };
	struct secret *pem = secret_of_bytes("-----BEGIN KEY-----\n", 20), *huge;
	static char blob[100 * 1024];
	struct stat st;
	char buf[64];
	int fd;

	if (!mkdtemp(dir))
		return;
	if (secret_files_mount(dir, 1, &err) < 0) {
		printf("test_secrets: cannot mount a tmpfs here (%s), skipping the files\n", err.msg);
		rmdir(dir);
		secret_free(pem);
		return;
	}
	CHECK_INT(secret_file_write(dir, "tls.key", pem, 1000, 1001, 0440, &err), 0);
	snprintf(path, sizeof(path), "%s/tls.key", dir);
	CHECK(stat(path, &st) == 0 && st.st_uid == 1000 && st.st_gid == 1001 &&
	      (st.st_mode & 07777) == 0440 && st.st_size == 20);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0 && read(fd, buf, sizeof(buf)) == 20 && !memcmp(buf, "-----BEGIN KEY-----\n", 20));
	if (fd >= 0)
		close(fd);
	/* Never over an existing name. */
	CHECK_INT(secret_file_write(dir, "tls.key", pem, 0, 0, 0400, &err), -EEXIST);
	/* nodev, nosuid, noexec. */
	snprintf(path, sizeof(path), "grep -q ' %s tmpfs rw,nosuid,nodev,noexec' /proc/mounts", dir);
	CHECK_INT(system(path), 0);
	CHECK_INT(secret_files_unmount(dir, &err), 0);
	snprintf(path, sizeof(path), "%s/tls.key", dir);
	CHECK(access(path, F_OK) < 0);

	/* Over the tmpfs's room (no file secrets: the token's 64 KiB): no file at all. */
	CHECK_INT(secret_files_mount(dir, 0, &err), 0);
	memset(blob, 'y', sizeof(blob));
	huge = secret_of_bytes(blob, sizeof(blob));
	CHECK_INT(secret_file_write(dir, "huge", huge, 0, 0, 0400, &err), -ENOSPC);
	snprintf(path, sizeof(path), "%s/huge", dir);
	CHECK(access(path, F_OK) < 0 && errno == ENOENT);
	CHECK_INT(secret_files_unmount(dir, &err), 0);
	rmdir(dir);
	secret_free(pem);
	secret_free(huge);
}

int main(void)
{
	test_lists();
	test_env();
	test_files();
	return check_finish("test_secrets");
}
