/* Unlocking a disk with libcryptsetup, from the checked copy of its header.
 *
 * luks_check copies the header once (mount/luks_header.c), loads the copy
 * as a detached header of the disk and checks it (mount/luks_policy.c);
 * luks_activate uses that same loaded copy, so the header that was checked
 * is the header that is used. The passphrase is turned into the volume key first (crypt_volume_key_get)
 * and the mapping is made from that key. This runs the expensive key
 * derivation once (a buildah disk tunes it to ~1 s on the build machine,
 * tens of seconds under TCG), reports a wrong passphrase as -EPERM before
 * device-mapper is touched, and keeps the volume key in cwinit's own
 * locked, registered secret memory.
 *
 * libcryptsetup prints to stdout/stderr unless given a log callback. Ours
 * keeps the first error line of an operation (the cause; later lines are
 * consequences) for the cw_err message, with non-printable bytes replaced
 * because header fields it may quote are host-controlled. libcryptsetup
 * never puts passphrases or keys in its messages. */
#include <errno.h>
#include <fcntl.h>
#include <libcryptsetup.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "luks.h"
#include "util.h"

#define DM_NAME_MAX 64
#define VOLUME_KEY_MAX 512 /* bytes; LUKS keys are 32-128 in practice */

static char cs_first_error[160];

static void cs_log(int level, const char *msg, void *usrptr)
{
	size_t n = 0;

	(void)usrptr;
	if (level != CRYPT_LOG_ERROR || !msg || cs_first_error[0])
		return;
	for (; msg[n] && n < sizeof(cs_first_error) - 1; n++) {
		unsigned char c = (unsigned char)msg[n];
		cs_first_error[n] = (c >= 0x20 && c < 0x7f) ? (char)c : ' ';
	}
	while (n > 0 && cs_first_error[n - 1] == ' ')
		n--;
	cs_first_error[n] = '\0';
}

/* PID 1 is the only user of the disk, so metadata locking would only add a
 * dependency on a lock directory (/run/cryptsetup) that may not exist. */
static void cs_setup(void)
{
	crypt_set_log_callback(NULL, cs_log, NULL);
	crypt_metadata_locking(NULL, 0);
	cs_first_error[0] = '\0';
}

static const char *cs_detail(void)
{
	return cs_first_error[0] ? cs_first_error : "no detail from libcryptsetup";
}

static void crypt_freep(struct crypt_device **cd)
{
	if (*cd)
		crypt_free(*cd);
}
#define _cleanup_crypt_ __attribute__((cleanup(crypt_freep)))

/* Names become /dev/mapper/<name>: keep them to a plain file name. */
static int check_name(const char *name, struct cw_err *err)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > DM_NAME_MAX)
		return cw_err_set(err, EINVAL, "luks: mapper name must be 1-%d characters",
				  DM_NAME_MAX);
	if (name[0] == '.')
		return cw_err_set(err, EINVAL, "luks: mapper name must not start with '.'");
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.'))
			return cw_err_set(err, EINVAL,
					  "luks: mapper name may only hold letters, digits, '_', '-', '.'");
	}
	return 0;
}

static int activation_error(int r, const char *dev, const char *name, struct cw_err *err)
{
	switch (r) {
	case -ENOTSUP:
	case -ENODEV:
		return cw_err_set(err, r, "luks: %s: cannot create /dev/mapper/%s (device-mapper "
				  "or dm-crypt unavailable?): %s", dev, name, cs_detail());
	case -EBUSY:
	case -EEXIST:
		return cw_err_set(err, r, "luks: %s: /dev/mapper/%s already exists or %s is in use",
				  dev, name, dev);
	case -ENOMEM:
		return cw_err_set(err, r, "luks: %s: out of memory", dev);
	default:
		return cw_err_set(err, r, "luks: %s: activating /dev/mapper/%s failed (%s): %s",
				  dev, name, strerror(-r), cs_detail());
	}
}

struct luks_disk {
	char dev[256];
	struct luks_header_copy copy;
	struct crypt_device *cd; /* loaded from the copy, data on dev */
};

void luks_disk_free(struct luks_disk *d)
{
	if (!d)
		return;
	if (d->cd)
		crypt_free(d->cd);
	luks_header_copy_close(&d->copy);
	free(d);
}

static void luks_disk_freep(struct luks_disk **d)
{
	luks_disk_free(*d);
}

int luks_check(const char *dev, const struct luks_policy *p, const char *expected_uuid,
	       struct luks_disk **out, struct cw_err *err)
{
	__attribute__((cleanup(luks_disk_freep))) struct luks_disk *d = calloc(1, sizeof(*d));
	_cleanup_close_ int fd = -1;
	int r;

	if (!d)
		return cw_err_set(err, ENOMEM, "luks: out of memory");
	d->copy.fd = -1;
	strscpy(d->dev, dev, sizeof(d->dev));
	fd = open(dev, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cw_err_set(err, errno, "luks: %s: cannot open the device: %s", dev,
				  strerror(errno));
	r = luks_header_copy(fd, &d->copy, err);
	if (r < 0)
		return cw_err_prefix(err, r, "luks: %s", dev);
	cs_setup();
	r = crypt_init_data_device(&d->cd, d->copy.path, dev);
	if (r < 0)
		return cw_err_set(err, r, "luks: %s: cannot use the header copy (%s): %s", dev,
				  strerror(-r), cs_detail());
	r = crypt_load(d->cd, NULL, NULL);
	if (r < 0)
		return cw_err_set(err, EINVAL, "luks: %s: no usable LUKS header (%s): %s", dev,
				  strerror(-r), cs_detail());
	r = luks_policy_check(d->cd, p, expected_uuid, d->copy.size, err);
	if (r < 0)
		return cw_err_prefix(err, r, "luks: %s", dev);
	*out = d;
	d = NULL;
	return 0;
}

const char *luks_disk_uuid(const struct luks_disk *d)
{
	const char *uuid = crypt_get_uuid(d->cd);

	return uuid ? uuid : "";
}

const uint8_t *luks_disk_header_sha384(const struct luks_disk *d)
{
	return d->copy.metadata_sha384;
}

void luks_disk_describe(const struct luks_disk *d, char *buf, size_t n)
{
	snprintf(buf, n, "%s %s-%s %d-bit, UUID %s", crypt_get_type(d->cd), crypt_get_cipher(d->cd),
		 crypt_get_cipher_mode(d->cd), crypt_get_volume_key_size(d->cd) * 8, luks_disk_uuid(d));
}

int luks_activate(struct luks_disk *d, const char *name, const struct secret *pass, bool readonly,
		  struct cw_err *err)
{
	_cleanup_secret_ struct secret *vk = NULL;
	const char *dev = d->dev;
	size_t vk_len;
	int r;

	r = check_name(name, err);
	if (r < 0)
		return r;
	if (!pass || !pass->data || pass->len == 0)
		return cw_err_set(err, EINVAL, "luks: %s: empty passphrase", dev);
	cs_setup();

	r = crypt_get_volume_key_size(d->cd);
	if (r <= 0 || r > VOLUME_KEY_MAX)
		return cw_err_set(err, EINVAL, "luks: %s: invalid volume key size %d in the header",
				  dev, r);
	vk = secret_new((size_t)r);
	if (!vk)
		return cw_err_set(err, errno, "luks: cannot allocate the volume key: %s",
				  strerror(errno));
	vk_len = (size_t)r;

	r = crypt_volume_key_get(d->cd, CRYPT_ANY_SLOT, (char *)vk->data, &vk_len,
				 (const char *)pass->data, pass->len);
	if (r == -EPERM)
		return cw_err_set(err, EPERM, "luks: %s: wrong passphrase (no key slot opens with it)",
				  dev);
	if (r == -ENOENT)
		return cw_err_set(err, EINVAL, "luks: %s: the header has no usable key slot: %s",
				  dev, cs_detail());
	if (r < 0)
		return cw_err_set(err, r, "luks: %s: unlocking the key slot failed (%s): %s", dev,
				  strerror(-r), cs_detail());
	vk->len = vk_len;

	r = crypt_activate_by_volume_key(d->cd, name, (const char *)vk->data, vk->len,
					 readonly ? CRYPT_ACTIVATE_READONLY : 0);
	if (r < 0)
		return activation_error(r, dev, name, err);
	return 0;
}

int luks_close(const char *name, struct cw_err *err)
{
	_cleanup_crypt_ struct crypt_device *cd = NULL;
	const struct timespec pause = { .tv_nsec = 50 * 1000 * 1000 };
	int r;

	r = check_name(name, err);
	if (r < 0)
		return r;
	cs_setup();

	r = crypt_init_by_name(&cd, name);
	if (r == -ENODEV)
		return 0;
	if (r < 0)
		return cw_err_set(err, r, "luks: /dev/mapper/%s: %s: %s", name, strerror(-r),
				  cs_detail());
	/* A filesystem unmounted a moment ago can keep the device busy briefly. */
	for (int tries = 0; tries < 40; tries++) {
		r = crypt_deactivate(cd, name);
		if (r != -EBUSY)
			break;
		nanosleep(&pause, NULL);
	}
	if (r == -ENODEV)
		return 0;
	if (r == -EBUSY)
		return cw_err_set(err, r, "luks: /dev/mapper/%s is still in use after 2 s", name);
	if (r < 0)
		return cw_err_set(err, r, "luks: closing /dev/mapper/%s failed (%s): %s", name,
				  strerror(-r), cs_detail());
	return 0;
}
