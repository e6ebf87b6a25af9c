/* configfs-tsm reports (Linux 6.7+): one interface for SNP and TDX.
 * Protocol: ../shared/docs/tee-interfaces.md section 3. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "err.h"

#define TSM_REPORT_ROOT "/sys/kernel/config/tsm/report"
#define TSM_INBLOB_SIZE 64
#define TSM_OUTBLOB_MAX (1024 * 1024)
#define TSM_AUXBLOB_MAX (64 * 1024)

enum tsm_kind { TSM_NONE, TSM_SNP, TSM_TDX };

struct tsm_blobs {
	enum tsm_kind kind;
	uint8_t *outblob; /* SNP: the 1184-byte report; TDX: the quote, trimmed */
	size_t outlen;
	uint8_t *auxblob; /* SNP: the certificate table (NULL/0 when none) */
	size_t auxlen;
};

void tsm_blobs_free(struct tsm_blobs *b);

/* Which provider driver serves configfs-tsm under root (TSM_REPORT_ROOT
 * outside tests): makes a private report directory, reads `provider`,
 * removes the directory. TSM_NONE when there is no configfs-tsm or no
 * provider; -errno with err for anything else. */
int tsm_provider(const char *root, enum tsm_kind *kind, struct cw_err *err);

/* One report for inblob under root from the provider of kind want, in a
 * private directory removed on every path. The blob's report data is
 * checked against inblob (an SNP report also for version and VMPL 0, by
 * snp_report_bound); a TDX quote is trimmed to its real length. */
int tsm_report(const char *root, enum tsm_kind want, const uint8_t inblob[TSM_INBLOB_SIZE],
	       struct tsm_blobs *out, struct cw_err *err);

/* The protocol inside an existing report directory (dirfd): privlevel 0
 * for SNP, generation g, inblob written in one write and committed by
 * close, generation g+1, outblob and auxblob read to end of file, the
 * report data check. Separate so that tests can run it on a model
 * directory. */
int tsm_run(int dirfd, enum tsm_kind want, const uint8_t inblob[TSM_INBLOB_SIZE],
	    struct tsm_blobs *out, struct cw_err *err);
