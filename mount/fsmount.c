/* Detecting and mounting the root filesystem.
 *
 * The type and options may come from the host-supplied configuration, so
 * only filesystems that can hold a Linux root are accepted (never "swap" or
 * a nested "crypto_LUKS"), and the options string is bounded. Mount flags
 * stay minimal: the image may legitimately hold setuid binaries and device
 * nodes, and /dev is moved in from the initramfs anyway. */
#include <blkid/blkid.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include "disk.h"
#include "util.h"

#define OPTIONS_MAX 512

static const char *const root_types[] = {
	"ext4", "ext3", "ext2", "xfs", "btrfs", "erofs", "squashfs", NULL,
};

static void allowed_types(char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; root_types[i] && len < n; i++)
		len += (size_t)snprintf(buf + len, n - len, "%s%s", i ? " " : "", root_types[i]);
}

static int check_type(const char *dev, const char *type, struct cw_err *err)
{
	char allowed[80];
	bool plain = strlen(type) <= 32;

	for (size_t i = 0; root_types[i]; i++)
		if (strcmp(type, root_types[i]) == 0)
			return 0;
	/* A configured type is host input: only echo it when it looks like a name. */
	for (const char *c = type; *c && plain; c++)
		plain = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			(*c >= '0' && *c <= '9') || *c == '_';
	allowed_types(allowed, sizeof(allowed));
	return cw_err_set(err, EINVAL, "fs: %s: type '%s' cannot be the root (allowed: %s)", dev,
			  plain ? type : "?", allowed);
}

/* One libblkid safe probe, of the root types only or of every type: 0 with
 * type filled, 1 when there is no signature, or -errno. */
static int probe_type(const char *dev, bool root_only, char *type, size_t typelen,
		      struct cw_err *err)
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
	if (root_only)
		blkid_probe_filter_superblocks_type(pr, BLKID_FLTR_ONLYIN, (char **)root_types);
	r = blkid_do_safeprobe(pr);
	if (r == 0 && blkid_probe_lookup_value(pr, "TYPE", &v, NULL) == 0 && v)
		r = strscpy(type, v, typelen) < 0
			? cw_err_set(err, ENAMETOOLONG, "fs: %s: type name too long", dev) : 0;
	else if (r == 0)
		r = 1;
	else if (r == -2)
		r = cw_err_set(err, EINVAL, "fs: %s holds several filesystem signatures; "
			       "refusing to guess (set fstype)", dev);
	else if (r != 1)
		r = cw_err_set(err, EIO, "fs: probing %s failed", dev);
	blkid_free_probe(pr);
	return r;
}

int fs_detect(const char *dev, char *type, size_t typelen, struct cw_err *err)
{
	/* The root types first: every other prober would read (through
	 * dm-crypt, decrypting) its own superblock offsets for nothing, and two
	 * root signatures are still told apart. */
	int r = probe_type(dev, true, type, typelen, err);

	if (r != 1)
		return r;
	/* None: probe everything only to say what is there instead. */
	r = probe_type(dev, false, type, typelen, err);
	if (r == 1)
		return cw_err_set(err, EINVAL, "fs: no filesystem found on %s", dev);
	return r < 0 ? r : check_type(dev, type, err);
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
