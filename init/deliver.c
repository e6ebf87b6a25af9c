/* Handing the workload its secrets, after the root is mounted and before
 * the switch: the image's list is read from the decrypted root, every
 * secret is fetched in the boot's attested session, file secrets are
 * written to the tmpfs at /run/secrets and wiped at once, environment
 * secrets stay in locked memory until the workload is started. */
#include <errno.h>
#include <string.h>
#include "deliver.h"
#include "exitcode.h"
#include "keys.h"
#include "log.h"
#include "pid1.h"
#include "secrets.h"
#include "util.h"

/* The image's list: only when the file allows image secrets, and only with
 * a broker that can serve them. */
static void load_image_list(const struct cw_config *c, bool reference, struct cw_secrets *list)
{
	struct cw_err err = { "" };
	_cleanup_free_ char *json = NULL;
	size_t len;
	int r = read_file_bounded(CW_NEWROOT CW_IMAGE_SECRETS, CW_IMAGE_SECRETS_MAX, &json, &len);

	if (r == -ENOENT)
		return;
	if (r < 0) {
		cw_err_set(&err, r, "%s in the root filesystem: %s", CW_IMAGE_SECRETS, strerror(-r));
		boot_fail(CW_EXIT_WORKLOAD_CONFIG, "workload secrets", &err);
	}
	if (!c->image_secrets) {
		log_warn("the image lists secrets in %s; image_secrets is false in /etc/cwinit.json, "
			 "so none of them is delivered", CW_IMAGE_SECRETS);
		return;
	}
	if (secrets_parse_image(list, json, len, &err) < 0) {
		cw_err_prefix(&err, -EINVAL, "%s", CW_IMAGE_SECRETS);
		boot_fail(CW_EXIT_WORKLOAD_CONFIG, "workload secrets", &err);
	}
	if (reference && (secrets_from_image(list) || *list->token)) {
		cw_err_set(&err, EINVAL, "%s asks for secrets, which reference-kbs cannot serve (it "
			   "keeps one key per workload); use a Trustee broker", CW_IMAGE_SECRETS);
		boot_fail(CW_EXIT_WORKLOAD_CONFIG, "workload secrets", &err);
	}
}

static void write_file(const char *name, const struct secret *data, const struct user_ids *ids,
		       mode_t mode)
{
	struct cw_err err = { "" };

	if (secret_file_write(CW_SECRETS_DIR, name, data, ids->uid, ids->gid, mode, &err) < 0)
		boot_fail(CW_EXIT_SECRETS, "delivering secrets", &err);
}

/* Every secret first, checked, in locked memory: a refusal then leaves
 * nothing written and nothing mounted. */
static unsigned fetch_all(const struct cw_config *c, struct delivery *d)
{
	struct cw_err err = { "" };
	unsigned got = 0;

	for (unsigned i = 0; i < d->list.n; i++) {
		const struct cw_secret *e = &d->list.v[i];

		if (keys_fetch(c, e->resource, e->optional, &d->values[i]) < 0)
			continue;
		got++;
		if (*e->file && d->values[i]->len > CW_SECRET_FILE_MAX) {
			cw_err_set(&err, EFBIG, "secret %s for %s/%s is %zu bytes, over the %d of a "
				   "secret file", e->resource, CW_SECRETS_DIR, e->file,
				   d->values[i]->len, CW_SECRET_FILE_MAX);
			boot_fail(CW_EXIT_SECRETS, "delivering secrets", &err);
		}
		if (*e->env && secret_env_check(e, d->values[i], &err) < 0)
			boot_fail(CW_EXIT_SECRETS, "delivering secrets", &err);
	}
	if (*d->list.token && !keys_token()) {
		cw_err_set(&err, EBADMSG, "the broker's attest answer carried no token for %s/%s",
			   CW_SECRETS_DIR, d->list.token);
		boot_fail(CW_EXIT_SECRETS, "delivering secrets", &err);
	}
	return got;
}

void secrets_deliver(const struct cw_config *c, bool reference, const struct user_ids *ids,
		     struct root_state *root, struct delivery *d)
{
	struct cw_err err = { "" };
	uint64_t t = boottime_ms();
	unsigned files = 0, written = 0, got;

	memset(d, 0, sizeof(*d));
	d->list = c->secrets;
	load_image_list(c, reference, &d->list);
	if (!d->list.n && !*d->list.token)
		return;
	got = fetch_all(c, d);
	for (unsigned i = 0; i < d->list.n; i++)
		files += *d->list.v[i].file != '\0';
	if (files || *d->list.token) {
		if (secret_files_mount(CW_SECRETS_DIR, files, &err) < 0)
			boot_fail(CW_EXIT_SECRETS, "delivering secrets", &err);
		root->secrets_mounted = true;
	}
	/* The files, each wiped from cwinit's memory as soon as it is written. */
	for (unsigned i = 0; i < d->list.n; i++) {
		const struct cw_secret *e = &d->list.v[i];

		if (!*e->file || !d->values[i])
			continue;
		write_file(e->file, d->values[i], ids, e->mode);
		secret_free(d->values[i]);
		d->values[i] = NULL;
		written++;
	}
	if (*d->list.token)
		write_file(d->list.token, keys_token(), ids, 0400);
	log_info("secrets: %u of %u delivered: %u files in %s%s, %u in the environment", got,
		 d->list.n, written, CW_SECRETS_DIR,
		 *d->list.token ? " and the attestation token" : "", got - written);
	log_stage("secrets", t);
}

void secrets_delivery_free(struct delivery *d)
{
	for (unsigned i = 0; i < CW_MAX_SECRETS; i++) {
		secret_free(d->values[i]);
		d->values[i] = NULL;
	}
}
