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

/* Hardware TEEs, in the order `auto` tries them: configfs-tsm (the
 * interface upstream Linux keeps), then the older device ioctls. The two
 * `tsm` entries differ only in the broker `tee` they produce evidence for;
 * detect() reads which provider configfs-tsm has. */
static const struct evidence_provider *const hardware[] = {
	&tsm_snp_provider,
	&tsm_tdx_provider,
	&snp_provider,
	&tdx_provider,
};

/* On failure errno also tells "auto found no TEE" (ENODEV) from a name we
 * do not know (EINVAL), since the caller maps them to different exits. */
const struct evidence_provider *provider_select(const char *name, struct cw_err *err)
{
	if (!name || !name[0]) {
		errno = EINVAL;
		cw_err_set(err, EINVAL, "no tee configured");
		return NULL;
	}
	if (strcmp(name, "auto") == 0) {
		for (size_t i = 0; i < ARRAY_SIZE(hardware); i++)
			if (hardware[i]->detect())
				return hardware[i];
		errno = ENODEV;
		cw_err_set(err, ENODEV,
			   "no TEE found (no /dev/sev-guest, /dev/tdx_guest or configfs-tsm provider); "
			   "set tee=sample only for tests");
		return NULL;
	}
	if (strcmp(name, sample_provider.name) == 0)
		return &sample_provider;
	if (strcmp(name, "tsm") == 0) {
		for (size_t i = 0; i < ARRAY_SIZE(hardware); i++)
			if (strcmp(hardware[i]->name, "tsm") == 0 && hardware[i]->detect())
				return hardware[i];
		errno = ENODEV;
		cw_err_set(err, ENODEV, "tee tsm: configfs-tsm (%s) is missing or has no sev_guest "
			   "or tdx_guest provider", TSM_REPORT_ROOT);
		return NULL;
	}
	/* A named device is not probed here: its own error is more precise. */
	for (size_t i = 0; i < ARRAY_SIZE(hardware); i++)
		if (strcmp(name, hardware[i]->name) == 0)
			return hardware[i];
	errno = EINVAL;
	cw_err_set(err, EINVAL, "unknown tee \"%.32s\" (auto, snp, tdx, tsm or sample)", name);
	return NULL;
}
