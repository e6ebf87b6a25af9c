/* luks_check/luks_activate/luks_close on LUKS images in plain files, the
 * way cwinit's boot calls them.
 *
 * The host has no device-mapper, so a mapping cannot be made here (the QEMU
 * end-to-end tests do that). Everything before it can: the header copy and
 * its check, the passphrase check through the key slot, and the errors.
 * tests/unit/test_luks_policy.c has the headers the policy refuses. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "check.h"
#include "loopdev.h"
#include "luks.h"
#include "secret.h"
#include "secret_of.h"

#define PASSPHRASE "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"

static char dir[] = "/tmp/cwinit-test-luks-XXXXXX";
static char keyfile[128], luks1[128], luks2[128], zero[128];

static int make_images(void)
{
	int fd;

	if (!mkdtemp(dir))
		return -1;
	snprintf(keyfile, sizeof(keyfile), "%s/key", dir);
	snprintf(luks1, sizeof(luks1), "%s/luks1.img", dir);
	snprintf(luks2, sizeof(luks2), "%s/luks2.img", dir);
	snprintf(zero, sizeof(zero), "%s/zero.img", dir);
	/* The key file is the passphrase byte for byte (no newline). */
	fd = open(keyfile, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, PASSPHRASE, strlen(PASSPHRASE)) != (ssize_t)strlen(PASSPHRASE))
		return -1;
	close(fd);
	if (run_cmd("truncate -s 20M %s %s %s", luks1, luks2, zero))
		return -1;
	if (run_cmd("cryptsetup luksFormat -q --type luks1 --pbkdf-force-iterations 1000 "
		"--key-file %s %s", keyfile, luks1))
		return -1;
	if (run_cmd("cryptsetup luksFormat -q --type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 "
		"--key-file %s %s", keyfile, luks2))
		return -1;
	return 0;
}

static struct luks_policy policy;

/* Runs luks_check and (with pass) luks_activate with stderr and stdout
 * captured: a low layer must not print. */
static int open_quietly(const char *dev, const char *name, const struct secret *pass,
			struct cw_err *err, int *printed)
{
	char out[] = "/tmp/cwinit-test-luks-out-XXXXXX";
	int fd = mkstemp(out), save1 = dup(1), save2 = dup(2), r;
	struct luks_disk *d = NULL;
	struct stat st;

	fflush(stdout);
	dup2(fd, 1);
	dup2(fd, 2);
	r = luks_check(dev, &policy, "", &d, err);
	if (r == 0)
		r = luks_activate(d, name, pass, false, err);
	luks_disk_free(d);
	fflush(stdout);
	dup2(save1, 1);
	dup2(save2, 2);
	close(save1);
	close(save2);
	*printed = fstat(fd, &st) == 0 ? (int)st.st_size : -1;
	close(fd);
	unlink(out);
	return r;
}

static void test_header(void)
{
	struct cw_err err = {{0}};
	struct secret *pass = secret_of(PASSPHRASE);
	int printed;

	CHECK_INT(open_quietly(zero, "cwtest", pass, &err, &printed), -EINVAL);
	CHECK(strstr(err.msg, "no LUKS1 or LUKS2 header") != NULL);
	CHECK_INT(printed, 0);

	/* Both LUKS2 header copies (primary at 0, secondary at 16 KiB) and the
	 * LUKS1 magic overwritten. */
	CHECK_INT(run_cmd("dd if=/dev/zero of=%s bs=6 count=1 conv=notrunc status=none", luks1), 0);
	CHECK_INT(open_quietly(luks1, "cwtest", pass, &err, &printed), -EINVAL);
	CHECK(strstr(err.msg, "no LUKS1 or LUKS2 header") != NULL);
	CHECK_INT(run_cmd("dd if=/dev/zero of=%s bs=6 count=1 conv=notrunc status=none", luks2), 0);
	CHECK_INT(run_cmd("dd if=/dev/zero of=%s bs=6 seek=16384 oflag=seek_bytes count=1 "
			  "conv=notrunc status=none", luks2), 0);
	CHECK_INT(open_quietly(luks2, "cwtest", pass, &err, &printed), -EINVAL);
	CHECK(strstr(err.msg, "no LUKS1 or LUKS2 header") != NULL);
	CHECK_INT(printed, 0);

	CHECK(open_quietly("/nonexistent/cwinit-disk", "cwtest", pass, &err, &printed) < 0);
	secret_free(pass);
}

/* The kernel lists "236 device-mapper" in /proc/misc once dm is loaded;
 * /dev/mapper/control is no sign (libdevmapper creates that node itself). */
static int have_device_mapper(void)
{
	char line[128];
	int found = 0;
	FILE *f = fopen("/proc/misc", "re");

	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, " device-mapper"))
			found = 1;
	if (f)
		fclose(f);
	return found;
}

static void test_passphrase(const char *img)
{
	struct cw_err err = {{0}};
	struct secret *wrong = secret_of("0f1e2d3c4b5a69788796a5b4c3d2e1f0");
	struct secret *almost = secret_of(PASSPHRASE "\n");
	struct secret *right = secret_of(PASSPHRASE);
	int printed, r;

	CHECK_INT(open_quietly(img, "cwtest", wrong, &err, &printed), -EPERM);
	CHECK(strstr(err.msg, "wrong passphrase") != NULL);
	CHECK_INT(printed, 0);
	CHECK_INT(open_quietly(img, "cwtest", almost, &err, &printed), -EPERM);

	/* The right passphrase gets as far as device-mapper. */
	r = open_quietly(img, "cwtest", right, &err, &printed);
	CHECK_INT(printed, 0);
	if (have_device_mapper()) {
		CHECK_INT(r, 0);
		CHECK_INT(luks_close("cwtest", &err), 0);
	} else {
		CHECK(r == -ENOTSUP || r == -ENODEV);
		CHECK(strstr(err.msg, "device-mapper") != NULL);
		/* The passphrase never appears in a message. */
		CHECK(strstr(err.msg, PASSPHRASE) == NULL);
	}
	secret_free(wrong);
	secret_free(almost);
	secret_free(right);
}

static void test_names(void)
{
	struct cw_err err = {{0}};
	struct secret *pass = secret_of(PASSPHRASE);
	const char *bad[] = { "", ".", "..", "../x", "a/b", "a b", "x\n",
			      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };
	struct luks_disk *d = NULL;

	CHECK_INT(luks_check(luks2, &policy, "", &d, &err), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_INT(luks_activate(d, bad[i], pass, false, &err), -EINVAL);
		CHECK(strstr(err.msg, "mapper name") != NULL);
		CHECK_INT(luks_close(bad[i], &err), -EINVAL);
	}
	CHECK_INT(luks_activate(d, NULL, pass, false, &err), -EINVAL);
	CHECK_INT(luks_activate(d, "cwtest", NULL, false, &err), -EINVAL);
	luks_disk_free(d);
	/* Nothing by that name is active. */
	CHECK_INT(luks_close("cwinit-test-not-active", &err), 0);
	secret_free(pass);
}

/* What the boot logs of a checked header, and the expected UUID. */
static void test_describe_and_uuid(void)
{
	struct cw_err err = {{0}};
	struct luks_disk *d = NULL;
	char text[160], uuid[64], upper[64];
	FILE *p;

	snprintf(text, sizeof(text), "cryptsetup luksUUID %s", luks2);
	p = popen(text, "r");
	CHECK(p && fgets(uuid, sizeof(uuid), p));
	if (p)
		pclose(p);
	uuid[strcspn(uuid, "\n")] = '\0';
	CHECK_INT(luks_check(luks2, &policy, "", &d, &err), 0);
	luks_disk_describe(d, text, sizeof(text));
	CHECK(strstr(text, "LUKS2 aes-xts-plain64 512-bit, UUID ") == text);
	CHECK_STR(luks_disk_uuid(d), uuid);
	luks_disk_free(d);
	d = NULL;

	/* The expected UUID matches in either case, and nothing else does. */
	for (size_t i = 0; i <= strlen(uuid); i++)
		upper[i] = (char)toupper((unsigned char)uuid[i]);
	CHECK_INT(luks_check(luks2, &policy, upper, &d, &err), 0);
	luks_disk_free(d);
	d = NULL;
	CHECK_INT(luks_check(luks2, &policy, "00000000-0000-0000-0000-000000000000", &d, &err),
		  -EACCES);
	CHECK(strstr(err.msg, "is not the expected 00000000-0000-0000-0000-000000000000") != NULL);
	CHECK(d == NULL);
}

int main(void)
{
	if (make_images() < 0) {
		fprintf(stderr, "test_luks: cannot make the LUKS images in %s\n", dir);
		return 1;
	}
	luks_policy_default(&policy);
	test_names();
	test_describe_and_uuid();
	test_passphrase(luks1);
	test_passphrase(luks2);
	test_header();
	run_cmd("rm -rf -- '%s'", dir);
	return check_finish("test_luks");
}
