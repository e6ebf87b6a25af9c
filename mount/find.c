/* Finding the root disk among the block devices.
 *
 * There is no udev in the initramfs, so no /dev/disk/by-* links and no
 * blkid cache: every device listed in /sys/class/block is probed directly
 * (with libblkid, or for the default spec by its LUKS magic). Devices
 * appear asynchronously while drivers (or modules loaded just before)
 * bind, so the scan repeats every 50 ms until the deadline. The spec
 * comes from the configuration, which may come from the host (kernel
 * command line, disk footer): it is validated before use. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* scandirat, versionsort */
#endif
#include <blkid/blkid.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "disk.h"
#include "util.h"

#define SPEC_MAX 128     /* characters in a whole spec */
#define SYSNAME_MAX 64   /* a kernel block device name, e.g. "nvme0n1p12" */
#define POLL_MS 50
#define SYS_BLOCK "/sys/class/block"

enum spec_kind { SPEC_PATH, SPEC_UUID, SPEC_LABEL, SPEC_PARTUUID, SPEC_LUKS };

struct spec {
	enum spec_kind kind;
	const char *value; /* the part after the prefix (the whole path for SPEC_PATH) */
	const char *tag;   /* the libblkid value compared with it */
};

/* Names of the devices seen in the last scan, for the timeout message. */
struct seen {
	char list[160];
	size_t len;
	bool full;
};

static bool printable(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return false;
	return true;
}

/* True when s holds only ASCII letters, digits and characters of extra. */
static bool plain(const char *s, const char *extra)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr(extra, *s)))
			return false;
	return true;
}

static int parse_spec(const char *spec, struct spec *sp, struct cw_err *err)
{
	static const struct {
		const char *prefix;
		enum spec_kind kind;
		const char *tag;
	} tags[] = {
		{ "UUID=", SPEC_UUID, "UUID" },
		{ "LABEL=", SPEC_LABEL, "LABEL" },
		{ "PARTUUID=", SPEC_PARTUUID, "PART_ENTRY_UUID" },
	};
	size_t n = strlen(spec);

	if (n > SPEC_MAX)
		return cw_err_set(err, EINVAL, "root: device spec longer than %d characters",
				  SPEC_MAX);
	if (n == 0) {
		*sp = (struct spec){ SPEC_LUKS, NULL, NULL };
		return 0;
	}
	if (!printable(spec))
		return cw_err_set(err, EINVAL, "root: device spec holds a non-printable character");
	if (spec[0] == '/') {
		if (strncmp(spec, "/dev/", 5) != 0 || !spec[5])
			return cw_err_set(err, EINVAL, "root: '%s' is not a path under /dev/", spec);
		if (!plain(spec, "/_.:+-") || strstr(spec, ".."))
			return cw_err_set(err, EINVAL, "root: '%s' is not a plain device path", spec);
		*sp = (struct spec){ SPEC_PATH, spec, NULL };
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(tags); i++) {
		size_t plen = strlen(tags[i].prefix);
		const char *v = spec + plen;

		if (strncmp(spec, tags[i].prefix, plen) != 0)
			continue;
		if (!*v)
			return cw_err_set(err, EINVAL, "root: '%s' has an empty value", spec);
		/* Labels may hold any printable character; UUIDs are hex and dashes
		 * (FAT and MBR ones are short, hence not a fixed format). */
		if (tags[i].kind != SPEC_LABEL && !plain(v, "-"))
			return cw_err_set(err, EINVAL, "root: '%s' is not a valid UUID", spec);
		*sp = (struct spec){ tags[i].kind, v, tags[i].tag };
		return 0;
	}
	return cw_err_set(err, EINVAL,
			  "root: unknown device spec '%s' (use /dev/..., UUID=, LABEL=, PARTUUID=)",
			  spec);
}

static void seen_add(struct seen *s, const char *name)
{
	if (s->full)
		return;
	/* Each addition leaves room for the " ..." that marks a truncation. */
	if (s->len + strlen(name) + 6 > sizeof(s->list)) {
		strcpy(s->list + s->len, " ...");
		s->full = true;
		return;
	}
	s->len += (size_t)snprintf(s->list + s->len, sizeof(s->list) - s->len, "%s%s",
				   s->len ? " " : "", name);
}

/* True when the sysfs size attribute says the device has no media or no
 * backing file (unconfigured loop and zram devices, empty drives). */
static bool sys_size_zero(int sysfd, const char *name)
{
	char path[SYSNAME_MAX + 8], *text = NULL;
	bool zero;

	if (snprintf(path, sizeof(path), "%s/size", name) >= (int)sizeof(path))
		return true;
	if (read_file_bounded_at(sysfd, path, 32, &text, NULL) < 0)
		return true;
	zero = text[0] == '0' && (text[1] == '\n' || text[1] == '\0');
	free(text);
	return zero;
}

/* The first LUKS device needs no libblkid probe (tens of milliseconds of
 * cold code under emulation): LUKS1 and LUKS2 headers both begin with this
 * magic, and libcryptsetup checks the whole header when it opens the disk.
 * A disk whose primary header is gone is not taken for the root. */
static bool has_luks_magic(const char *path)
{
	static const unsigned char magic[6] = { 'L', 'U', 'K', 'S', 0xba, 0xbe };
	/* O_NONBLOCK as libblkid opens: no waiting on a drive's media. */
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	unsigned char buf[sizeof(magic)];

	return fd >= 0 && pread(fd, buf, sizeof(buf), 0) == (ssize_t)sizeof(buf) &&
	       memcmp(buf, magic, sizeof(buf)) == 0;
}

static bool probe_matches(const char *path, const struct spec *sp)
{
	blkid_probe pr = blkid_new_probe_from_filename(path);
	const char *v = NULL;
	bool match = false;

	if (!pr)
		return false;
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID |
						      BLKID_SUBLKS_TYPE);
	/* A partition's PARTUUID comes from its parent's partition table. */
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
	/* Ambiguous signatures (1 = none, -2 = several) never identify a root. */
	if (blkid_do_safeprobe(pr) == 0 && blkid_probe_lookup_value(pr, sp->tag, &v, NULL) == 0 &&
	    v) {
		if (sp->kind == SPEC_LABEL)
			match = strcmp(v, sp->value) == 0;
		else
			match = strcasecmp(v, sp->value) == 0;
	}
	blkid_free_probe(pr);
	return match;
}

static int sysname_filter(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* One pass over /sys/class/block in natural name order (vda, vda1, vda2,
 * vda10, vdb). Returns 1 with dev filled on a match, 0 for none. */
static int scan(const struct spec *sp, char *dev, size_t devlen, struct seen *seen,
		struct cw_err *err)
{
	_cleanup_close_ int sysfd = open(SYS_BLOCK, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent **names = NULL;
	int n, found = 0;

	*seen = (struct seen){ .len = 0 };
	if (sysfd < 0)
		return cw_err_set(err, errno, "root: cannot open %s: %s", SYS_BLOCK,
				  strerror(errno));
	n = scandirat(sysfd, ".", &names, sysname_filter, versionsort);
	if (n < 0)
		return cw_err_set(err, errno, "root: cannot list %s: %s", SYS_BLOCK,
				  strerror(errno));
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		char path[SYSNAME_MAX + 8];
		struct stat st;

		if (strlen(name) >= SYSNAME_MAX || !plain(name, "!_.:+-") ||
		    strncmp(name, "ram", 3) == 0 || sys_size_zero(sysfd, name))
			continue;
		/* Every device-mapper device here is one of our own mappings (no
		 * LVM or udev in the initramfs): never a candidate disk, whose
		 * decrypted content a UUID= or LABEL= could otherwise match. */
		if (strncmp(name, "dm-", 3) == 0)
			continue;
		seen_add(seen, name);
		if (sp->kind == SPEC_PATH)
			continue;
		/* The kernel writes '/' in a device node name as '!' in sysfs. */
		snprintf(path, sizeof(path), "/dev/%.*s", SYSNAME_MAX, name);
		for (char *c = path; *c; c++)
			if (*c == '!')
				*c = '/';
		/* devtmpfs may not have created the node yet: try again next pass. */
		if (stat(path, &st) < 0 || !S_ISBLK(st.st_mode) ||
		    !(sp->kind == SPEC_LUKS ? has_luks_magic(path) : probe_matches(path, sp)))
			continue;
		found = strscpy(dev, path, devlen) < 0
				? cw_err_set(err, ENAMETOOLONG, "root: %s does not fit the buffer", path)
				: 1;
		break;
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return found;
}

/* For a /dev path: 1 when it is a block device, 0 when it does not exist yet. */
static int check_path(const char *path, char *dev, size_t devlen, struct cw_err *err)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return cw_err_set(err, errno, "root: %s: %s", path, strerror(errno));
	}
	if (!S_ISBLK(st.st_mode))
		return cw_err_set(err, ENOTBLK, "root: %s is not a block device", path);
	if (strscpy(dev, path, devlen) < 0)
		return cw_err_set(err, ENAMETOOLONG, "root: %s does not fit the buffer", path);
	return 1;
}

int root_find(const char *spec, uint32_t timeout_ms, char *dev, size_t devlen,
	      struct cw_err *err)
{
	const struct timespec pause = { .tv_nsec = POLL_MS * 1000 * 1000 };
	uint64_t deadline = monotonic_ms() + timeout_ms;
	struct seen seen = { .len = 0 };
	struct spec sp;
	int r;

	r = parse_spec(spec ? spec : "", &sp, err);
	if (r < 0)
		return r;
	for (;;) {
		if (sp.kind == SPEC_PATH)
			r = check_path(sp.value, dev, devlen, err);
		else
			r = scan(&sp, dev, devlen, &seen, err);
		if (r != 0)
			return r < 0 ? r : 0;
		if (monotonic_ms() >= deadline)
			break;
		nanosleep(&pause, NULL);
	}
	if (sp.kind == SPEC_PATH) {
		r = scan(&sp, dev, devlen, &seen, err);
		if (r < 0)
			return r;
	}
	if (sp.kind == SPEC_LUKS)
		return cw_err_set(err, ENODEV, "root: no block device with a LUKS header appeared "
				  "within %u ms; block devices: %s", timeout_ms,
				  seen.len ? seen.list : "none");
	return cw_err_set(err, ENODEV, "root: %s did not appear within %u ms; block devices: %s",
			  spec, timeout_ms, seen.len ? seen.list : "none");
}
