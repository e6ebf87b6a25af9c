/* Evidence providers: one small table per TEE backend. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "err.h"

struct evidence_provider {
	const char *name;    /* configuration name: auto picks among snp, tdx, tsm */
	const char *kbs_tee; /* the `tee` the broker is told */
	/* True when this TEE's device is present on this machine; only the
	 * device providers (snp, tdx) have one. NULL for the configfs-tsm
	 * providers, which provider_select picks from one probe of which
	 * driver configfs-tsm has, and for sample, chosen only by name. */
	int (*detect)(void);
	/* Builds the Trustee `primary_evidence` JSON text binding report_data
	 * (the digest; providers pad to their own field size). *json is
	 * malloc'd; the caller frees it. Returns 0 or -errno (err says why). */
	int (*get_evidence)(const uint8_t *report_data, size_t len, char **json,
			    struct cw_err *err);
};

/* report_data (the binding digest, at most 64 bytes) zero-padded to the
 * 64 bytes that SNP REPORT_DATA, TDX REPORTDATA and configfs-tsm's inblob
 * hold, as Trustee's verifiers pad it. -EINVAL for more than 64 bytes. */
#define REPORT_DATA_PADDED 64
int report_data_pad(const uint8_t *rd, size_t len, uint8_t out[REPORT_DATA_PADDED],
		    struct cw_err *err);

/* Resolves a configured TEE name: "auto" (the first present of configfs-tsm,
 * /dev/sev-guest, /dev/tdx_guest; never the sample TEE), "snp", "tdx",
 * "tsm" (whichever provider configfs-tsm has) or "sample". Returns NULL
 * (err says why, errno ENODEV for no such hardware, EINVAL for an unknown
 * name) when none fits. */
const struct evidence_provider *provider_select(const char *name, struct cw_err *err);

extern const struct evidence_provider sample_provider;
extern const struct evidence_provider snp_provider;     /* /dev/sev-guest */
extern const struct evidence_provider tdx_provider;     /* quote via configfs-tsm, CCEL */
extern const struct evidence_provider tsm_snp_provider; /* configfs-tsm, sev_guest */
extern const struct evidence_provider tsm_tdx_provider; /* configfs-tsm, tdx_guest */
