/* Choosing the evidence provider for the configured `tee`. */
#include <errno.h>
#include <string.h>
#include "attest.h"
#include "util.h"

/* Hardware TEEs, in the order `auto` tries them. Each backend (SNP, TDX,
 * configfs-tsm) adds its entry here when it exists. */
static const struct evidence_provider *const hardware[] = {
	NULL,
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
		for (size_t i = 0; i < ARRAY_SIZE(hardware) && hardware[i]; i++)
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
	for (size_t i = 0; i < ARRAY_SIZE(hardware) && hardware[i]; i++)
		if (strcmp(name, hardware[i]->name) == 0)
			return hardware[i];
	errno = EINVAL;
	cw_err_set(err, EINVAL, "unknown tee \"%.32s\"", name);
	return NULL;
}
