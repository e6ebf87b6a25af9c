/* configfs-tsm: reports from the kernel's common TSM interface.
 *
 * Each request gets its own directory with a random name, so two users
 * cannot share one; the generation counter still catches a writer that
 * found it: a write counts only when generation advances by exactly one,
 * and the blob must carry our report data. The inblob write takes effect
 * when the file is closed, so close's result is checked. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include "snp.h"
#include "tdx.h"
#include "tsm.h"
#include "util.h"

void tsm_blobs_free(struct tsm_blobs *b)
{
	free(b->outblob);
	free(b->auxblob);
	memset(b, 0, sizeof(*b));
}

/* A short attribute ("provider", "generation") without its newline. */
static int read_attr(int dirfd, const char *name, char *buf, size_t n, struct cw_err *err)
{
	_cleanup_free_ char *s = NULL;
	size_t len;
	int r = read_file_bounded_at(dirfd, name, n - 1, &s, &len);

	if (r < 0)
		return cw_err_set(err, r, "configfs-tsm: reading %s: %s", name, strerror(-r));
	while (len && (s[len - 1] == '\n' || s[len - 1] == ' '))
		len--;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return 0;
}

static const char *kind_name(enum tsm_kind k)
{
	return k == TSM_SNP ? "sev_guest" : k == TSM_TDX ? "tdx_guest" : "none";
}

static int read_kind(int dirfd, enum tsm_kind *kind, struct cw_err *err)
{
	char name[64];
	int r = read_attr(dirfd, "provider", name, sizeof(name), err);

	if (r < 0)
		return r;
	if (strcmp(name, "sev_guest") == 0)
		*kind = TSM_SNP;
	else if (strcmp(name, "tdx_guest") == 0)
		*kind = TSM_TDX;
	else
		return cw_err_set(err, ENOTSUP, "configfs-tsm: provider \"%.32s\" is not supported "
				  "(sev_guest or tdx_guest)", name);
	return 0;
}

static int read_generation(int dirfd, uint64_t *g, struct cw_err *err)
{
	char s[32];
	int r = read_attr(dirfd, "generation", s, sizeof(s), err);

	if (r < 0)
		return r;
	if (parse_uint(s, 0, UINT64_MAX, g) < 0)
		return cw_err_set(err, EINVAL, "configfs-tsm: generation \"%.20s\" is not a number", s);
	return 0;
}

/* SNP reports must come from VMPL 0, the level brokers accept. */
static int set_privlevel(int dirfd, struct cw_err *err)
{
	char floor[16] = "?";
	int fd = openat(dirfd, "privlevel", O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0 && errno == ENOENT)
		return 0; /* kernels before privlevel always ask for VMPL 0 */
	if (fd < 0)
		return cw_err_set(err, errno, "configfs-tsm: opening privlevel: %m");
	n = write(fd, "0\n", 2);
	if (n == 2 && close(fd) == 0)
		return 0;
	if (n != 2)
		close(fd);
	read_attr(dirfd, "privlevel_floor", floor, sizeof(floor), NULL);
	return cw_err_set(err, EPERM, "configfs-tsm: privlevel 0 was refused (privlevel_floor %s): "
			  "the guest does not run at VMPL 0", floor);
}

/* What a failing first read of outblob means, by provider. */
static int blob_error(enum tsm_kind kind, int e, struct cw_err *err)
{
	const char *why = strerror(e);

	if (kind == TSM_SNP && e == ENOTTY)
		why = "the guest's message key is disabled until reboot (an earlier SNP request failed)";
	else if (kind == TSM_SNP && e == ETIMEDOUT)
		why = "the host stayed busy for 60 s";
	else if (kind == TSM_SNP && e == EIO)
		why = "the host or the firmware refused the request (the guest's message key is now "
		      "disabled until reboot)";
	else if (kind == TSM_TDX && (e == EIO || e == ETIMEDOUT))
		why = "the host's quote generation service failed or did not answer";
	return cw_err_set(err, e, "configfs-tsm: reading outblob: %s", why);
}

static int raced(uint64_t from, uint64_t to, struct cw_err *err)
{
	return cw_err_set(err, EBUSY, "configfs-tsm: generation went from %" PRIu64 " to %" PRIu64
			  " instead of one step: another writer used the report directory", from, to);
}

static int check_blob(const uint8_t inblob[TSM_INBLOB_SIZE], struct tsm_blobs *out,
		      struct cw_err *err)
{
	struct tdx_quote q;
	int r;

	if (out->kind == TSM_SNP) {
		if (out->outlen != SNP_REPORT_SIZE)
			return cw_err_set(err, EBADMSG, "configfs-tsm: outblob of %zu bytes is not an "
					  "SNP report (%d bytes)", out->outlen, SNP_REPORT_SIZE);
		if ((r = snp_report_bound(out->outblob, inblob, err)) < 0)
			return cw_err_prefix(err, r, "configfs-tsm: outblob");
		return 0;
	}
	if (out->outlen == 0)
		return cw_err_set(err, ENODATA, "configfs-tsm: empty quote: the host's quote "
				  "generation service is missing or misconfigured");
	if ((r = tdx_quote_parse(out->outblob, out->outlen, &q, err)) < 0)
		return cw_err_prefix(err, r, "configfs-tsm: outblob");
	if (memcmp(tdx_quote_report_data(out->outblob, &q), inblob, TSM_INBLOB_SIZE) != 0)
		return cw_err_set(err, EBADMSG, "configfs-tsm: the quote does not carry our report "
				  "data (REPORT_DATA at offset 0x%zx)", q.body_off + TDX_BODY_OFF_REPORT_DATA);
	out->outlen = q.len; /* drop the padding some quote services add */
	return 0;
}

int tsm_run(int dirfd, enum tsm_kind want, const uint8_t inblob[TSM_INBLOB_SIZE],
	    struct tsm_blobs *out, struct cw_err *err)
{
	uint64_t g0, g1, g2;
	size_t len;
	char *blob = NULL;
	ssize_t n;
	int fd, r;

	memset(out, 0, sizeof(*out));
	if ((r = read_kind(dirfd, &out->kind, err)) < 0)
		return r;
	if (want != TSM_NONE && out->kind != want)
		return cw_err_set(err, ENODEV, "configfs-tsm: the provider is %s, not %s",
				  kind_name(out->kind), kind_name(want));
	if (out->kind == TSM_SNP && (r = set_privlevel(dirfd, err)) < 0)
		return r;
	/* Every attribute write counts, so the generation is read after privlevel. */
	if ((r = read_generation(dirfd, &g0, err)) < 0)
		return r;
	if ((fd = openat(dirfd, "inblob", O_WRONLY | O_CLOEXEC)) < 0)
		return cw_err_set(err, errno, "configfs-tsm: opening inblob: %m");
	n = write(fd, inblob, TSM_INBLOB_SIZE);
	if (n != TSM_INBLOB_SIZE) {
		r = n < 0 ? -errno : -EIO;
		close(fd);
		return cw_err_set(err, r, "configfs-tsm: writing inblob: %s", strerror(-r));
	}
	if (close(fd) < 0)
		return cw_err_set(err, errno, "configfs-tsm: committing inblob (close): %m");
	if ((r = read_generation(dirfd, &g1, err)) < 0)
		return r;
	if (g1 != g0 + 1)
		return raced(g0, g1, err);
	r = read_file_bounded_at(dirfd, "outblob", TSM_OUTBLOB_MAX, &blob, &len);
	if (r == -EFBIG)
		return cw_err_set(err, EFBIG, "configfs-tsm: outblob is larger than %d bytes",
				  TSM_OUTBLOB_MAX);
	if (r < 0)
		return blob_error(out->kind, -r, err);
	out->outblob = (uint8_t *)blob;
	out->outlen = len;
	if (out->kind == TSM_SNP) {
		r = read_file_bounded_at(dirfd, "auxblob", TSM_AUXBLOB_MAX, &blob, &len);
		if (r == 0 && len > 0) {
			out->auxblob = (uint8_t *)blob;
			out->auxlen = len;
		} else if (r == 0) {
			free(blob);
		} else if (r != -ENOENT) {
			tsm_blobs_free(out);
			return cw_err_set(err, r, "configfs-tsm: reading auxblob: %s", strerror(-r));
		}
	}
	if ((r = read_generation(dirfd, &g2, err)) < 0) {
		tsm_blobs_free(out);
		return r;
	}
	if (g2 != g1) {
		tsm_blobs_free(out);
		return raced(g0, g2, err);
	}
	if ((r = check_blob(inblob, out, err)) < 0)
		tsm_blobs_free(out);
	return r;
}

/* A private report directory: random name, mode 0700. */
static int make_dir(int rootfd, char name[32], struct cw_err *err)
{
	uint64_t rnd;

	if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return cw_err_set(err, errno ? errno : EIO, "getrandom: %m");
	snprintf(name, 32, "cwinit-%016" PRIx64, rnd);
	if (mkdirat(rootfd, name, 0700) < 0)
		return -errno;
	return 0;
}

int tsm_provider(const char *root, enum tsm_kind *kind, struct cw_err *err)
{
	_cleanup_close_ int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int dirfd, r;
	char name[32];

	*kind = TSM_NONE;
	if (rootfd < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0
			: cw_err_set(err, errno, "configfs-tsm: %s: %m", root);
	r = make_dir(rootfd, name, err);
	if (r == -ENXIO || r == -ENODEV)
		return 0; /* configfs-tsm without a provider driver */
	if (r < 0)
		return cw_err_set(err, r, "configfs-tsm: mkdir in %s: %s", root, strerror(-r));
	dirfd = openat(rootfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r = dirfd < 0 ? cw_err_set(err, errno, "configfs-tsm: opening %s: %m", name)
		      : read_kind(dirfd, kind, err);
	if (dirfd >= 0)
		close(dirfd);
	unlinkat(rootfd, name, AT_REMOVEDIR);
	return r;
}

int tsm_report(const char *root, enum tsm_kind want, const uint8_t inblob[TSM_INBLOB_SIZE],
	       struct tsm_blobs *out, struct cw_err *err)
{
	_cleanup_close_ int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int dirfd, r;
	char name[32];

	memset(out, 0, sizeof(*out));
	if (rootfd < 0)
		return cw_err_set(err, errno == ENOTDIR ? ENOENT : errno,
				  "configfs-tsm: %s: %m (needs Linux 6.7+ with TSM_REPORTS and "
				  "configfs mounted)", root);
	r = make_dir(rootfd, name, err);
	if (r == -ENXIO || r == -ENODEV)
		return cw_err_set(err, ENODEV, "configfs-tsm: no provider driver is loaded");
	if (r < 0)
		return cw_err_set(err, r, "configfs-tsm: mkdir in %s: %s", root, strerror(-r));
	dirfd = openat(rootfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		r = cw_err_set(err, errno, "configfs-tsm: opening %s: %m", name);
	else
		r = tsm_run(dirfd, want, inblob, out, err);
	if (dirfd >= 0)
		close(dirfd);
	/* Removed on every path; the blobs are already checked and in memory,
	 * so a failed removal only leaks a directory and is not an error. */
	unlinkat(rootfd, name, AT_REMOVEDIR);
	return r;
}
