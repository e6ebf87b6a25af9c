/* user_resolve against passwd and group files written into a temporary
 * root: every User form, the OCI group rules, and damaged databases. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "check.h"
#include "workload.h"

static char root[] = "/tmp/cwinit-user-XXXXXX";
static char bare[] = "/tmp/cwinit-user-bare-XXXXXX";

static void write_file_at(const char *dir, const char *name, const char *data, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(2);
	}
}

static void make_root(void)
{
	static const char passwd_head[] =
		"root:x:0:0:root:/root:/bin/bash\n"
		"daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
		"app:x:1000:1000:App User,,,:/home/app:/bin/sh\n"
		"web:x:1001:33::/var/www:/bin/sh\n"
		"broken:x:abc:1:bad uid:/x:/bin/sh\n"
		"short:x:1002\n"
		"extra:x:1003:1003::/e:/bin/sh:more\n"
		"\n"
		"# a comment is just a malformed line\n"
		"dup:x:1005:1005::/first:/bin/sh\n"
		"dup:x:1006:1006::/second:/bin/sh\n"
		"relhome:x:1007:1007::relative:/bin/sh\n"
		"huge:x:4294967295:1::/:/bin/sh\n"
		"octal:x:010:010::/o:/bin/sh\n"
		"nul\0user:x:1008:1008::/n:/bin/sh\n"
		"nul:x:1009:1009::/nul:/bin/sh\n";
	static const char group[] =
		"root:x:0:\n"
		"wheel:x:10:root,app\n"
		"audio:x:29:app\n"
		"www-data:x:33:web\n"
		"app:x:1000:\n"
		"dev:x:2000:alice,app,bob\n"
		"bad:x:notnum:app\n"
		"staff:x:50:application,ap,apps\n"
		"short:x:51\n"
		"again:x:10:app\n";
	char passwd[16384], *p = passwd;

	if (!mkdtemp(root) || !mkdtemp(bare)) {
		perror("mkdtemp");
		exit(2);
	}
	char etc[64];
	snprintf(etc, sizeof(etc), "%s/etc", root);
	mkdir(etc, 0755);

	memcpy(p, passwd_head, sizeof(passwd_head) - 1);
	p += sizeof(passwd_head) - 1;
	/* An over-long line, then an entry right after it. */
	p += sprintf(p, "long:x:1010:1010:");
	memset(p, 'g', 5000);
	p += 5000;
	p += sprintf(p, ":/l:/bin/sh\nafterlong:x:1011:1011::/al:/bin/sh\n");
	/* A home that does not fit struct user_ids. */
	p += sprintf(p, "deephome:x:1012:1012::/");
	memset(p, 'd', 300);
	p += 300;
	p += sprintf(p, ":/bin/sh\n");
	/* Last line without a newline. */
	p += sprintf(p, "last:x:1013:1013::/last:/bin/sh");
	write_file_at(root, "etc/passwd", passwd, (size_t)(p - passwd));
	write_file_at(root, "etc/group", group, sizeof(group) - 1);
}

static bool has(const struct user_ids *ids, gid_t g)
{
	for (size_t i = 0; i < ids->n_groups; i++)
		if (ids->groups[i] == g)
			return true;
	return false;
}

static int resolve(const char *dir, const char *spec, struct user_ids *ids, struct cw_err *err)
{
	memset(err, 0, sizeof(*err));
	memset(ids, 0xa5, sizeof(*ids));
	return user_resolve(dir, spec, ids, err);
}

static void test_names_and_ids(void)
{
	struct user_ids ids;
	struct cw_err err;

	CHECK_INT(resolve(root, "app", &ids, &err), 0);
	CHECK_INT(ids.uid, 1000);
	CHECK_INT(ids.gid, 1000);
	CHECK_STR(ids.home, "/home/app");
	/* Primary, then every group listing "app" once; not "bad" (no gid) nor
	 * "staff" (only names that start like it). */
	CHECK_INT(ids.n_groups, 4);
	CHECK_INT(ids.groups[0], 1000);
	CHECK(has(&ids, 10) && has(&ids, 29) && has(&ids, 2000));
	CHECK(!has(&ids, 50));

	CHECK_INT(resolve(root, "1000", &ids, &err), 0);
	CHECK_INT(ids.uid, 1000);
	CHECK_INT(ids.gid, 1000);
	CHECK_INT(ids.n_groups, 4);
	CHECK_STR(ids.home, "/home/app");

	/* An explicit group replaces the supplementary groups. */
	CHECK_INT(resolve(root, "app:audio", &ids, &err), 0);
	CHECK_INT(ids.uid, 1000);
	CHECK_INT(ids.gid, 29);
	CHECK_INT(ids.n_groups, 1);
	CHECK_INT(ids.groups[0], 29);
	CHECK_STR(ids.home, "/home/app");

	CHECK_INT(resolve(root, "app:2000", &ids, &err), 0);
	CHECK_INT(ids.gid, 2000);
	CHECK_INT(ids.n_groups, 1);

	CHECK_INT(resolve(root, "1000:1000", &ids, &err), 0);
	CHECK_INT(ids.uid, 1000);
	CHECK_INT(ids.gid, 1000);
	CHECK_INT(ids.n_groups, 1);

	CHECK_INT(resolve(root, "1001:www-data", &ids, &err), 0);
	CHECK_INT(ids.uid, 1001);
	CHECK_INT(ids.gid, 33);

	/* Primary gid also listed in /etc/group: once. */
	CHECK_INT(resolve(root, "web", &ids, &err), 0);
	CHECK_INT(ids.gid, 33);
	CHECK_INT(ids.n_groups, 1);
	CHECK_STR(ids.home, "/var/www");

	/* Numeric ids need no entry; no entry means gid 0 and no home. */
	CHECK_INT(resolve(root, "4242", &ids, &err), 0);
	CHECK_INT(ids.uid, 4242);
	CHECK_INT(ids.gid, 0);
	CHECK_INT(ids.n_groups, 1);
	CHECK_INT(ids.groups[0], 0);
	CHECK_STR(ids.home, "");
	CHECK_INT(resolve(root, "4242:7", &ids, &err), 0);
	CHECK_INT(ids.gid, 7);
	CHECK_INT(resolve(root, "4294967294:4294967294", &ids, &err), 0);
	CHECK_INT(ids.uid, 4294967294u);

	/* Decimal, never octal. */
	CHECK_INT(resolve(root, "010", &ids, &err), 0);
	CHECK_INT(ids.uid, 10);
	CHECK_INT(resolve(root, "octal", &ids, &err), 0);
	CHECK_INT(ids.uid, 10);
	CHECK_INT(ids.gid, 10);
}

static void test_root_default(void)
{
	struct user_ids ids;
	struct cw_err err;

	CHECK_INT(resolve(root, "", &ids, &err), 0);
	CHECK_INT(ids.uid, 0);
	CHECK_INT(ids.gid, 0);
	CHECK_STR(ids.home, "/root");
	CHECK_INT(ids.n_groups, 2);
	CHECK(has(&ids, 0) && has(&ids, 10));
	CHECK_INT(resolve(root, NULL, &ids, &err), 0);
	CHECK_INT(ids.uid, 0);
	CHECK_STR(ids.home, "/root");
	CHECK_INT(resolve(root, "root", &ids, &err), 0);
	CHECK_INT(ids.n_groups, 2);
}

static void test_damaged_lines(void)
{
	struct user_ids ids;
	struct cw_err err;

	/* Malformed lines never match. */
	CHECK_INT(resolve(root, "broken", &ids, &err), -ESRCH);
	CHECK_INT(resolve(root, "short", &ids, &err), -ESRCH);
	CHECK_INT(resolve(root, "extra", &ids, &err), -ESRCH);
	CHECK_INT(resolve(root, "huge", &ids, &err), -ESRCH);
	CHECK_INT(resolve(root, "long", &ids, &err), -ESRCH);
	CHECK_INT(resolve(root, "1010", &ids, &err), 0);
	CHECK_STR(ids.home, "");
	/* ...and do not disturb the lines after them. */
	CHECK_INT(resolve(root, "afterlong", &ids, &err), 0);
	CHECK_INT(ids.uid, 1011);
	CHECK_STR(ids.home, "/al");
	/* A NUL inside a line discards that line only. */
	CHECK_INT(resolve(root, "nul", &ids, &err), 0);
	CHECK_INT(ids.uid, 1009);
	CHECK_INT(resolve(root, "last", &ids, &err), 0);
	CHECK_INT(ids.uid, 1013);
	CHECK_STR(ids.home, "/last");

	/* The first of duplicate entries wins, as with glibc's files backend. */
	CHECK_INT(resolve(root, "dup", &ids, &err), 0);
	CHECK_INT(ids.uid, 1005);
	CHECK_STR(ids.home, "/first");

	/* Homes that cannot be used are dropped, the user is kept. */
	CHECK_INT(resolve(root, "deephome", &ids, &err), 0);
	CHECK_INT(ids.uid, 1012);
	CHECK_STR(ids.home, "");
	CHECK_INT(resolve(root, "relhome", &ids, &err), 0);
	CHECK_STR(ids.home, "");
}

static void test_errors(void)
{
	static const char *invalid[] = { ":", "app:", ":app", "a:b:c", "4294967295",
					 "99999999999", "1000:4294967295" };
	struct user_ids ids;
	struct cw_err err;
	char long_spec[400];

	CHECK_INT(resolve(root, "nobody", &ids, &err), -ESRCH);
	CHECK(strstr(err.msg, "\"nobody\"") && strstr(err.msg, "/etc/passwd"));
	CHECK_INT(resolve(root, "app:nogroup", &ids, &err), -ESRCH);
	CHECK(strstr(err.msg, "\"nogroup\"") && strstr(err.msg, "/etc/group"));
	CHECK_INT(resolve(root, "appx", &ids, &err), -ESRCH);
	CHECK_INT(resolve(root, "app:bad", &ids, &err), -ESRCH);
	CHECK_INT(resolve(root, "app:short", &ids, &err), -ESRCH);

	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		CHECK_INT(resolve(root, invalid[i], &ids, &err), -EINVAL);
		CHECK(err.msg[0] != '\0');
	}
	memset(long_spec, 'a', sizeof(long_spec) - 1);
	long_spec[sizeof(long_spec) - 1] = '\0';
	CHECK_INT(resolve(root, long_spec, &ids, &err), -EINVAL);
	CHECK(strstr(err.msg, "longer than"));

	CHECK_INT(resolve("/nonexistent-cwinit-root", "0", &ids, &err), -ENOENT);
	CHECK(strstr(err.msg, "/nonexistent-cwinit-root"));
}

/* A root without /etc: numbers work, names fail clearly. */
static void test_no_databases(void)
{
	struct user_ids ids;
	struct cw_err err;

	CHECK_INT(resolve(bare, "", &ids, &err), 0);
	CHECK_INT(ids.uid, 0);
	CHECK_INT(ids.gid, 0);
	CHECK_INT(ids.n_groups, 1);
	CHECK_STR(ids.home, "");
	CHECK_INT(resolve(bare, "1000:50", &ids, &err), 0);
	CHECK_INT(ids.uid, 1000);
	CHECK_INT(ids.gid, 50);
	CHECK_INT(resolve(bare, "app", &ids, &err), -ESRCH);
	CHECK(strstr(err.msg, "etc/passwd does not exist"));
	CHECK_INT(resolve(bare, "1000:staff", &ids, &err), -ESRCH);
	CHECK(strstr(err.msg, "etc/group does not exist"));
}

static void test_limits(void)
{
	char dir[] = "/tmp/cwinit-user-big-XXXXXX", etc[64], *group, *p;
	struct user_ids ids;
	struct cw_err err;
	size_t big = 4 * 1024 * 1024 + 1;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		exit(2);
	}
	snprintf(etc, sizeof(etc), "%s/etc", dir);
	mkdir(etc, 0755);
	write_file_at(dir, "etc/passwd", "many:x:500:500::/m:/bin/sh\n", 27);

	/* 64 groups fit (the primary one and 63 more), 65 do not. */
	group = malloc(big + 1);
	p = group;
	for (int i = 1; i < CW_MAX_GROUPS; i++)
		p += sprintf(p, "g%d:x:%d:many\n", i, 600 + i);
	write_file_at(dir, "etc/group", group, (size_t)(p - group));
	CHECK_INT(resolve(dir, "many", &ids, &err), 0);
	CHECK_INT(ids.n_groups, CW_MAX_GROUPS);
	p += sprintf(p, "one-more:x:9999:many\n");
	write_file_at(dir, "etc/group", group, (size_t)(p - group));
	CHECK_INT(resolve(dir, "many", &ids, &err), -E2BIG);
	CHECK(strstr(err.msg, "more than 64 groups"));
	/* An explicit group never reads the memberships. */
	CHECK_INT(resolve(dir, "many:500", &ids, &err), 0);

	/* A database over the size cap is an error, not a truncated read. */
	memset(group, '#', big);
	write_file_at(dir, "etc/passwd", group, big);
	CHECK_INT(resolve(dir, "0", &ids, &err), -EFBIG);
	CHECK(strstr(err.msg, "etc/passwd is larger than"));
	free(group);

	snprintf(etc, sizeof(etc), "%s/etc/passwd", dir);
	unlink(etc);
	snprintf(etc, sizeof(etc), "%s/etc/group", dir);
	unlink(etc);
	snprintf(etc, sizeof(etc), "%s/etc", dir);
	rmdir(etc);
	rmdir(dir);
}

static void cleanup(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/etc/passwd", root);
	unlink(path);
	snprintf(path, sizeof(path), "%s/etc/group", root);
	unlink(path);
	snprintf(path, sizeof(path), "%s/etc", root);
	rmdir(path);
	rmdir(root);
	rmdir(bare);
}

int main(void)
{
	make_root();
	test_names_and_ids();
	test_root_default();
	test_damaged_lines();
	test_errors();
	test_no_databases();
	test_limits();
	cleanup();
	return check_finish("test_user");
}
