/* Detecting and mounting the root filesystem.
 *
 * The type and options may come from the host-supplied configuration, so
 * only filesystems that can hold a Linux root are accepted (never "swap" or
 * a nested "crypto_LUKS"), and the options string is bounded. Mount flags
 * stay minimal: the image may legitimately hold setuid binaries and device
 * nodes, and /dev is moved in from the initramfs anyway. */
#include <blkid/blkid.h>
#include <errno.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include "disk.h"
#include "util.h"

#define OPTIONS_MAX 512

static const char *const root_types[] = {
	"ext4", "ext3", "ext2", "xfs", "btrfs", "erofs", "squashfs",
};

int fs_detect(const char *dev, char *type, size_t typelen, struct cw_err *err)
{
	blkid_probe pr;
	const char *v = NULL;
	int r;

	errno = 0;
	pr = blkid_new_probe_from_filename(dev);
	if (!pr)
		return cw_err_set(err, errno ? errno : EIO, "fs: cannot probe %s: %s", dev,
				  strerror(errno ? errno : EIO));
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
	r = blkid_do_safeprobe(pr);
	if (r == 0 && blkid_probe_lookup_value(pr, "TYPE", &v, NULL) == 0 && v)
		r = strscpy(type, v, typelen) < 0
			? cw_err_set(err, ENAMETOOLONG, "fs: %s: type name too long", dev) : 0;
	else if (r == 1 || r == 0)
		r = cw_err_set(err, EINVAL, "fs: no filesystem found on %s", dev);
	else if (r == -2)
		r = cw_err_set(err, EINVAL, "fs: %s holds several filesystem signatures; "
			       "refusing to guess (set fstype)", dev);
	else
		r = cw_err_set(err, EIO, "fs: probing %s failed", dev);
	blkid_free_probe(pr);
	return r;
}

static int check_type(const char *dev, const char *type, struct cw_err *err)
{
	char allowed[80] = "";
	bool plain = strlen(type) <= 32;

	for (size_t i = 0; i < ARRAY_SIZE(root_types); i++) {
		if (strcmp(type, root_types[i]) == 0)
			return 0;
		strcat(allowed, i ? " " : "");
		strcat(allowed, root_types[i]);
	}
	/* A configured type is host input: only echo it when it looks like a name. */
	for (const char *c = type; *c && plain; c++)
		plain = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			(*c >= '0' && *c <= '9') || *c == '_';
	return cw_err_set(err, EINVAL, "fs: %s: type '%s' cannot be the root (allowed: %s)", dev,
			  plain ? type : "?", allowed);
}

static int check_options(const char *options, struct cw_err *err)
{
	size_t n = strlen(options);

	if (n > OPTIONS_MAX)
		return cw_err_set(err, EINVAL, "fs: mount options longer than %d characters",
				  OPTIONS_MAX);
	for (size_t i = 0; i < n; i++)
		if (options[i] <= 0x20 || options[i] >= 0x7f)
			return cw_err_set(err, EINVAL,
					  "fs: mount options hold a space or non-printable character");
	return 0;
}

static int make_target(const char *target, struct cw_err *err)
{
	struct stat st;

	if (mkdir(target, 0755) < 0 && errno != EEXIST)
		return cw_err_set(err, errno, "fs: cannot create %s: %s", target, strerror(errno));
	if (stat(target, &st) < 0)
		return cw_err_set(err, errno, "fs: %s: %s", target, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return cw_err_set(err, ENOTDIR, "fs: %s is not a directory", target);
	return 0;
}

static int mount_error(int e, const char *dev, const char *target, const char *type,
		       struct cw_err *err)
{
	const char *why;

	switch (e) {
	case ENODEV:
		why = "the kernel does not support this filesystem type";
		break;
	case EINVAL:
		why = "bad superblock or unsupported mount options";
		break;
	case EROFS:
	case EACCES:
		why = "the device is read-only (mount it readonly)";
		break;
	case EBUSY:
		why = "already mounted or in use";
		break;
	case EUCLEAN:
		why = "the filesystem is corrupted";
		break;
	default:
		why = strerror(e);
		break;
	}
	return cw_err_set(err, e, "fs: mounting %s (%s) on %s failed: %s", dev, type, target, why);
}

int fs_mount(const char *dev, const char *target, const char *fstype, const char *options,
	     bool readonly, struct cw_err *err)
{
	char detected[32];
	const char *type = fstype;
	int r;

	if (!type || !*type) {
		r = fs_detect(dev, detected, sizeof(detected), err);
		if (r < 0)
			return r;
		type = detected;
	}
	r = check_type(dev, type, err);
	if (r < 0)
		return r;
	if (options && *options) {
		r = check_options(options, err);
		if (r < 0)
			return r;
	} else {
		options = NULL;
	}
	r = make_target(target, err);
	if (r < 0)
		return r;
	if (mount(dev, target, type, readonly ? MS_RDONLY : 0, options) < 0)
		return mount_error(errno, dev, target, type, err);
	return 0;
}
