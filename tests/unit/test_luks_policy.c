/* The disk policy against headers a hostile host writes (tools/luks-tamper
 * rewrites them as the host can: LUKS2 JSON with recomputed checksums,
 * LUKS1 fields in place), and the header copy: activation uses the header
 * that was checked, not what the disk says later.
 *
 * Each refusal must come from luks_check, before any passphrase is used,
 * with -EACCES and a line that names the offending field. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include "check.h"
#include "loopdev.h"
#include "luks.h"
#include "secret.h"
#include "secret_of.h"

#define PASSPHRASE "owner-passphrase-0123456789"
#define OTHER_PASSPHRASE "host-passphrase-9876543210"

static char dir[] = "/tmp/cwinit-test-luks-policy-XXXXXX";
static char keyfile[128], otherkey[128], tamper[512];
static struct luks_policy policy;

static int format(const char *img, const char *key, const char *options)
{
	return run_cmd("rm -f %s && truncate -s 20M %s && cryptsetup luksFormat -q "
		       "--pbkdf-force-iterations 1000 %s --key-file %s %s", img, img, options, key, img);
}

/* A fresh owner's LUKS2 disk (or LUKS1 with "--type luks1") named after the case. */
static const char *owner_disk(const char *name, const char *options)
{
	static char img[192];

	snprintf(img, sizeof(img), "%s/%s.img", dir, name);
	if (format(img, keyfile, options) != 0) {
		fprintf(stderr, "cannot format %s\n", img);
		exit(2);
	}
	return img;
}

/* luks_check must refuse img with -EACCES and a message holding want. */
static void expect_refused(const char *img, const char *want)
{
	struct cw_err err = {{0}};
	struct luks_disk *d = NULL;

	CHECK_INT(luks_check(img, &policy, "", &d, &err), -EACCES);
	CHECK(d == NULL);
	if (!strstr(err.msg, want)) {
		CHECK(strstr(err.msg, want) != NULL);
		fprintf(stderr, "  message: %s\n  wanted:  %s\n", err.msg, want);
	}
	luks_disk_free(d);
}

static void expect_allowed(const char *img)
{
	struct cw_err err = {{0}};
	struct luks_disk *d = NULL;

	CHECK_INT(luks_check(img, &policy, "", &d, &err), 0);
	if (!d)
		fprintf(stderr, "  refused: %s\n", err.msg);
	luks_disk_free(d);
}

static void test_luks2_attacks(void)
{
	const char *img;

	/* The attack of the issue: the owner's key slot and digest kept, the data
	 * segment switched to cipher_null (a plaintext filesystem would sit at its
	 * offset). */
	img = owner_disk("segment-null", "--type luks2 --pbkdf pbkdf2");
	expect_allowed(img);
	CHECK_INT(run_cmd("%s %s set segments.0.encryption '\"cipher_null-ecb\"'", tamper, img), 0);
	expect_refused(img, "data segment cipher cipher_null-ecb is not allowed");

	/* A key slot area in cipher_null opens with any passphrase. */
	img = owner_disk("keyslot-null", "--type luks2 --pbkdf pbkdf2");
	CHECK_INT(run_cmd("%s %s set keyslots.0.area.encryption '\"cipher_null-ecb\"'", tamper, img), 0);
	expect_refused(img, "key slot 0 cipher cipher_null-ecb is not allowed");

	/* A second data segment: the owner's segment cut short, the rest of the
	 * disk in the clear. libcryptsetup's API shows only the first segment. */
	img = owner_disk("two-segments", "--type luks2 --pbkdf pbkdf2");
	CHECK_INT(run_cmd("%s %s set segments.0.size '\"2097152\"' && %s %s set segments.1 "
			  "'{\"type\":\"crypt\",\"offset\":\"18874368\",\"size\":\"dynamic\","
			  "\"iv_tweak\":\"4096\",\"encryption\":\"cipher_null-ecb\",\"sector_size\":4096}' && "
			  "%s %s set digests.0.segments '[\"0\",\"1\"]'", tamper, img, tamper, img,
			  tamper, img), 0);
	expect_refused(img, "the header has 2 data segments (exactly 1 is allowed)");

	/* A reencryption in progress, as cryptsetup itself leaves one (an
	 * encryption initialised but not run: linear, plaintext segments), and
	 * the offline flag set by hand. */
	img = owner_disk("reencrypt", "--type luks2 --pbkdf pbkdf2");
	CHECK_INT(run_cmd("rm -f %s && truncate -s 60M %s && cryptsetup reencrypt -q --encrypt "
			  "--init-only --type luks2 --reduce-device-size 32M --pbkdf pbkdf2 "
			  "--pbkdf-force-iterations 1000 --key-file %s %s", img, img, keyfile, img), 0);
	expect_refused(img, "the header has requirement flags 0x2 (a reencryption in progress)");
	img = owner_disk("requirement", "--type luks2 --pbkdf pbkdf2");
	CHECK_INT(run_cmd("%s %s set config.requirements '{\"mandatory\":[\"offline-reencrypt\"]}'",
			  tamper, img), 0);
	expect_refused(img, "the header has requirement flags 0x1 (a reencryption in progress)");

	/* A shifted IV, integrity nobody asked for, a segment inside the header. */
	img = owner_disk("iv-tweak", "--type luks2 --pbkdf pbkdf2");
	CHECK_INT(run_cmd("%s %s set segments.0.iv_tweak '\"8\"'", tamper, img), 0);
	expect_refused(img, "data segment iv_tweak 8 is not allowed");
	img = owner_disk("integrity", "--type luks2 --pbkdf pbkdf2");
	CHECK_INT(run_cmd("%s %s set segments.0.integrity '{\"type\":\"hmac(sha256)\","
			  "\"journal_encryption\":\"none\",\"journal_integrity\":\"none\"}'", tamper, img), 0);
	expect_refused(img, "integrity");

	/* A cipher or key size the policy does not list (AES-192-XTS). */
	img = owner_disk("aes192", "--type luks2 --pbkdf pbkdf2");
	CHECK_INT(run_cmd("%s %s set keyslots.0.key_size 48", tamper, img), 0);
	expect_refused(img, "data segment key size 384 bits is not allowed for aes-xts-plain64");
	img = owner_disk("cbc", "--type luks2 --pbkdf pbkdf2 --cipher aes-cbc-essiv:sha256 --key-size 256");
	expect_refused(img, "data segment cipher aes-cbc-essiv:sha256 is not allowed");
}

static void test_luks1_attacks(void)
{
	const char *img = owner_disk("luks1-null", "--type luks1");

	expect_allowed(img);
	CHECK_INT(run_cmd("%s %s luks1-cipher cipher_null ecb", tamper, img), 0);
	expect_refused(img, "data segment cipher cipher_null-ecb is not allowed");
}

/* The measured configuration may list other ciphers, and then only those. */
static void test_configured_policy(void)
{
	struct cw_err err = {{0}};
	struct luks_policy saved = policy;
	const char *cbc = owner_disk("cbc-allowed", "--type luks2 --pbkdf pbkdf2 "
				     "--cipher aes-cbc-essiv:sha256 --key-size 256");
	cJSON *obj = cJSON_Parse("{\"aes-cbc-essiv:sha256\": [256]}");

	CHECK_INT(luks_policy_parse(&policy, obj, &err), 0);
	cJSON_Delete(obj);
	expect_allowed(cbc);
	expect_refused(owner_disk("xts-now-refused", "--type luks2 --pbkdf pbkdf2"),
		       "data segment cipher aes-xts-plain64 is not allowed (luks_ciphers allows "
		       "aes-cbc-essiv:sha256 with 256 bits)");

	/* What the configuration itself may not say. */
	static const char *const bad[] = {
		"{\"cipher_null-ecb\": [256]}", "{\"aes-xts-null\": [256]}", "{}", "[]",
		"{\"aes-xts-plain64\": []}", "{\"aes-xts-plain64\": [255]}",
		"{\"aes-xts-plain64\": [256, 512, 384, 128, 1024]}", "{\"AES-xts\": [256]}",
		"{\"aes-xts-plain64\": [256], \"aes-xts-plain64\": [512]}",
		"{\"aes-xts-plain64\": \"256\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct luks_policy p = policy;
		obj = cJSON_Parse(bad[i]);
		CHECK(obj != NULL);
		CHECK_INT(luks_policy_parse(&p, obj, &err), -EINVAL);
		CHECK(memcmp(&p, &policy, sizeof(p)) == 0);
		cJSON_Delete(obj);
	}
	policy = saved;
}

/* Hostile sizes are refused by the copy before anything large is read. */
static void test_copy_bounds(void)
{
	const char *img = owner_disk("hdr-size", "--type luks2 --pbkdf pbkdf2");
	struct cw_err err = {{0}};
	struct luks_disk *d = NULL;

	/* hdr_size (big-endian u64 at 8) of 2^40 in the primary binary header. */
	CHECK_INT(run_cmd("printf '\\000\\000\\001\\000\\000\\000\\000\\000' | dd of=%s bs=1 seek=8 "
			  "conv=notrunc status=none", img), 0);
	CHECK_INT(luks_check(img, &policy, "", &d, &err), -EINVAL);
	CHECK(strstr(err.msg, "LUKS2 header size 1099511627776 is not a power of two from 16 KiB "
		      "to 4 MiB") != NULL);

	img = owner_disk("area-size", "--type luks2 --pbkdf pbkdf2");
	CHECK_INT(run_cmd("%s %s set keyslots.0.area.size '\"1073741824\"'", tamper, img), 0);
	CHECK_INT(luks_check(img, &policy, "", &d, &err), -EINVAL);
	CHECK(strstr(err.msg, "lies outside the key slot area or is over") != NULL);
	CHECK(d == NULL);
}

/* The host serves every read: a header checked and then rewritten on the
 * disk must not change what is unlocked. Checked on a loop device; the disk
 * is then given another owner's header (another passphrase and volume key),
 * and then no header at all. The checked copy still opens with the first
 * passphrase and never with the second. */
static void test_checked_copy_is_used(void)
{
	char img[192], other[192], dev[64];
	struct secret *owner = secret_of(PASSPHRASE), *host = secret_of(OTHER_PASSPHRASE);
	struct cw_err err = {{0}};
	struct luks_disk *d = NULL;
	int r;

	snprintf(img, sizeof(img), "%s/swap.img", dir);
	snprintf(other, sizeof(other), "%s/swap-other.img", dir);
	CHECK_INT(format(img, keyfile, "--type luks2 --pbkdf pbkdf2"), 0);
	CHECK_INT(format(other, otherkey, "--type luks2 --pbkdf pbkdf2"), 0);
	if (loop_attach(img, false, dev, sizeof(dev)) < 0) {
		printf("test_luks_policy: no loop device here, skipping the header swap\n");
		goto out;
	}
	CHECK_INT(luks_check(dev, &policy, "", &d, &err), 0);
	/* Now the disk says something else: another owner's header. */
	CHECK_INT(run_cmd("dd if=%s of=%s bs=1M count=16 conv=notrunc,fsync status=none", other, dev), 0);
	CHECK_INT(luks_activate(d, "cwtest-swap", host, false, &err), -EPERM);
	r = luks_activate(d, "cwtest-swap", owner, false, &err);
	/* Past the key slot: mapped (with device-mapper) or stopped at device-mapper. */
	CHECK(r == 0 || r == -ENOTSUP || r == -ENODEV);
	if (r == 0)
		CHECK_INT(luks_close("cwtest-swap", &err), 0);
	/* And with no header left on the disk at all. */
	CHECK_INT(run_cmd("dd if=/dev/zero of=%s bs=1M count=16 conv=notrunc,fsync status=none", dev), 0);
	r = luks_activate(d, "cwtest-swap", owner, false, &err);
	CHECK(r == 0 || r == -ENOTSUP || r == -ENODEV);
	if (r == 0)
		CHECK_INT(luks_close("cwtest-swap", &err), 0);
	luks_disk_free(d);
	loop_detach(dev);
out:
	secret_free(owner);
	secret_free(host);
}

int main(void)
{
	const char *src = getenv("CWINIT_SOURCE_DIR");
	int fd;

	if (!mkdtemp(dir))
		return 2;
	snprintf(tamper, sizeof(tamper), "/usr/bin/python3 %s/tools/luks-tamper",
		 src ? src : ".");
	snprintf(keyfile, sizeof(keyfile), "%s/key", dir);
	snprintf(otherkey, sizeof(otherkey), "%s/other-key", dir);
	fd = open(keyfile, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, PASSPHRASE, strlen(PASSPHRASE)) < 0 || close(fd) < 0)
		return 2;
	fd = open(otherkey, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, OTHER_PASSPHRASE, strlen(OTHER_PASSPHRASE)) < 0 || close(fd) < 0)
		return 2;
	luks_policy_default(&policy);
	test_luks2_attacks();
	test_luks1_attacks();
	test_configured_policy();
	test_copy_bounds();
	test_checked_copy_is_used();
	run_cmd("rm -rf -- '%s'", dir);
	return check_finish("test_luks_policy");
}
