/* Choosing the evidence provider for the configured `tee`. */
#include <errno.h>
#include <string.h>
#include "attest.h"
#include "tsm.h"
#include "util.h"

int report_data_pad(const uint8_t *rd, size_t len, uint8_t out[REPORT_DATA_PADDED],
		    struct cw_err *err)
{
	if (len > REPORT_DATA_PADDED)
		return cw_err_set(err, EINVAL, "report_data of %zu bytes (at most %d)", len,
				  REPORT_DATA_PADDED);
	memset(out, 0, REPORT_DATA_PADDED);
	if (len)
		memcpy(out, rd, len);
	return 0;
}

/* The device TEEs, in the order `auto` tries them after configfs-tsm,
 * and the ones a configuration can name. */
static const struct evidence_provider *const devices[] = {
	&snp_provider,
	&tdx_provider,
};

/* The configfs-tsm provider for the driver configfs-tsm has, or NULL.
 * Probing makes and removes a report directory, so it is done once per
 * selection; the two `tsm` entries differ only in the broker `tee`. */
static const struct evidence_provider *tsm_probe(void)
{
	enum tsm_kind kind;

	if (tsm_provider(TSM_REPORT_ROOT, &kind, NULL) < 0)
		return NULL;
	return kind == TSM_SNP ? &tsm_snp_provider : kind == TSM_TDX ? &tsm_tdx_provider : NULL;
}

/* On failure errno also tells "auto found no TEE" (ENODEV) from a name we
 * do not know (EINVAL), since the caller maps them to different exits. */
const struct evidence_provider *provider_select(const char *name, struct cw_err *err)
{
	const struct evidence_provider *p;

	if (!name || !name[0]) {
		errno = EINVAL;
		cw_err_set(err, EINVAL, "no tee configured");
		return NULL;
	}
	if (strcmp(name, "auto") == 0) {
		/* configfs-tsm first: the interface upstream Linux keeps */
		if ((p = tsm_probe()))
			return p;
		for (size_t i = 0; i < ARRAY_SIZE(devices); i++)
			if (devices[i]->detect())
				return devices[i];
		errno = ENODEV;
		cw_err_set(err, ENODEV,
			   "no TEE found (no /dev/sev-guest, /dev/tdx_guest or configfs-tsm provider); "
			   "set tee=sample only for tests");
		return NULL;
	}
	if (strcmp(name, sample_provider.name) == 0)
		return &sample_provider;
	if (strcmp(name, "tsm") == 0) {
		if ((p = tsm_probe()))
			return p;
		errno = ENODEV;
		cw_err_set(err, ENODEV, "tee tsm: configfs-tsm (%s) is missing or has no sev_guest "
			   "or tdx_guest provider", TSM_REPORT_ROOT);
		return NULL;
	}
	/* A named device is not probed here: its own error is more precise. */
	for (size_t i = 0; i < ARRAY_SIZE(devices); i++)
		if (strcmp(name, devices[i]->name) == 0)
			return devices[i];
	errno = EINVAL;
	cw_err_set(err, EINVAL, "unknown tee \"%.32s\" (auto, snp, tdx, tsm or sample)", name);
	return NULL;
}
