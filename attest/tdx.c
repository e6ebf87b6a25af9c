/* Intel TDX evidence: the quote from configfs-tsm (tdx_guest provider),
 * the ACPI CCEL event log, and the TDREPORT from /dev/tdx_guest.
 *
 * A TDREPORT is only MAC'd for this machine; brokers need a quote, which
 * upstream Linux gets only through configfs-tsm (the kernel hands the
 * TDREPORT to the host's quote generation service). So `tdx` and `tsm` on
 * a TDX guest produce the same evidence. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "attest.h"
#include "base64.h"
#include "eventlog.h"
#include "jsonw.h"
#include "tdx.h"
#include "tsm.h"
#include "util.h"

#define CCEL_PATH "/sys/firmware/acpi/tables/data/CCEL"
#define CCEL_MAX (16 * 1024 * 1024)

_Static_assert(TDX_REPORT_DATA_SIZE == REPORT_DATA_PADDED && TSM_INBLOB_SIZE == REPORT_DATA_PADDED,
	       "report_data_pad fills TDX REPORTDATA and the configfs-tsm inblob");

/* <linux/tdx-guest.h> (Linux 6.2+) is not in Debian 12's headers. */
struct cw_tdx_report_req {
	uint8_t reportdata[TDX_REPORT_DATA_SIZE];
	uint8_t tdreport[TDX_TDREPORT_SIZE];
};

#define CW_TDX_CMD_GET_REPORT0 _IOWR('T', 1, struct cw_tdx_report_req)
_Static_assert(sizeof(struct cw_tdx_report_req) == 1088, "tdx_report_req is 1088 bytes");
_Static_assert(CW_TDX_CMD_GET_REPORT0 == 0xC4405401u, "TDX_CMD_GET_REPORT0");

int tdx_get_tdreport(const char *dev, const uint8_t report_data[TDX_REPORT_DATA_SIZE],
		     uint8_t out[TDX_TDREPORT_SIZE], struct cw_err *err)
{
	struct cw_tdx_report_req req;
	_cleanup_close_ int fd = open(dev, O_RDWR | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return errno == ENOENT
			? cw_err_set(err, ENODEV, "no %s (not a TDX guest, or the tdx_guest driver "
				     "is not loaded)", dev)
			: cw_err_set(err, errno, "%s: %m", dev);
	memset(&req, 0, sizeof(req));
	memcpy(req.reportdata, report_data, TDX_REPORT_DATA_SIZE);
	if (ioctl(fd, CW_TDX_CMD_GET_REPORT0, &req) < 0)
		return errno == EIO ? cw_err_set(err, EIO, "TDX_CMD_GET_REPORT0: the TDCALL failed")
				    : cw_err_set(err, errno, "TDX_CMD_GET_REPORT0: %m");
	if ((rc = tdx_tdreport_check(req.tdreport, sizeof(req.tdreport), err)) < 0)
		return cw_err_prefix(err, rc, "the TDREPORT");
	if (memcmp(req.tdreport + TDX_TDREPORT_OFF_REPORTDATA, report_data, TDX_REPORT_DATA_SIZE))
		return cw_err_set(err, EBADMSG, "the TDREPORT does not carry our report data");
	memcpy(out, req.tdreport, TDX_TDREPORT_SIZE);
	return 0;
}

int tdx_evidence_json(const uint8_t *quote, size_t quote_len, const uint8_t *eventlog,
		      size_t eventlog_len, char **out, struct cw_err *err)
{
	_cleanup_free_ char *q = base64_encode_alloc(quote, quote_len, BASE64_STD);
	_cleanup_free_ char *e = eventlog ? base64_encode_alloc(eventlog, eventlog_len, BASE64_STD)
					  : NULL;
	struct jw w;

	if (!q || (eventlog && !e))
		return cw_err_set(err, ENOMEM, "out of memory for TDX evidence");
	jw_init(&w, false);
	jw_object(&w);
	if (e)
		jw_kv_str(&w, "cc_eventlog", e);
	else
		jw_kv_null(&w, "cc_eventlog");
	jw_kv_str(&w, "quote", q);
	jw_end(&w);
	if (!(*out = jw_finish(&w)))
		return cw_err_set(err, ENOMEM, "out of memory for TDX evidence");
	return 0;
}

/* The CCEL table data when the firmware published one; NULL when not. */
static int read_ccel(uint8_t **log, size_t *len, struct cw_err *err)
{
	char *buf = NULL;
	int r = read_file_bounded(CCEL_PATH, CCEL_MAX, &buf, len);

	*log = NULL;
	if (r == -ENOENT)
		return 0;
	if (r == -EFBIG)
		return cw_err_set(err, EFBIG, "%s is larger than %d bytes", CCEL_PATH, CCEL_MAX);
	if (r < 0)
		return cw_err_set(err, r, "%s: %s", CCEL_PATH, strerror(-r));
	*log = (uint8_t *)buf;
	return 0;
}

/* cc_eventlog: the CCEL as the firmware wrote it while nothing was
 * recorded; once cwinit's events extended RTMR3, they must follow it, or
 * the broker's replay would not match the quote. */
static int cc_eventlog(const uint8_t *ccel, size_t ccel_len, uint8_t **out, size_t *out_len,
		       struct cw_err *err)
{
	size_t n;
	const uint8_t *ents = eventlog_entries(&n);

	*out = NULL;
	*out_len = 0;
	if (!n) {
		if (ccel && !(*out = malloc(ccel_len ? ccel_len : 1)))
			return cw_err_set(err, ENOMEM, "out of memory");
		if (ccel) {
			memcpy(*out, ccel, ccel_len);
			*out_len = ccel_len;
		}
		return 0;
	}
	return eventlog_cc(ccel, ccel_len, ents, n, out, out_len, err);
}

static int tdx_get_evidence(const uint8_t *rd, size_t len, char **json, struct cw_err *err)
{
	uint8_t data[TSM_INBLOB_SIZE];
	_cleanup_free_ uint8_t *log = NULL, *cc = NULL;
	struct tsm_blobs b;
	size_t log_len = 0, cc_len = 0;
	int rc;

	if ((rc = report_data_pad(rd, len, data, err)) < 0)
		return rc;
	rc = tsm_report(TSM_REPORT_ROOT, TSM_TDX, data, &b, err);
	if (rc == -ENOENT || rc == -ENODEV)
		return cw_err_prefix(err, rc, "no TDX quote (quotes come from configfs-tsm: Linux "
				     "6.7+ with TSM_REPORTS and the tdx_guest driver)");
	if (rc < 0)
		return rc;
	if ((rc = read_ccel(&log, &log_len, err)) == 0)
		rc = cc_eventlog(log, log_len, &cc, &cc_len, err);
	if (rc == 0)
		rc = tdx_evidence_json(b.outblob, b.outlen, cc, cc_len, json, err);
	tsm_blobs_free(&b);
	return rc;
}

static int tdx_detect(void)
{
	return access(TDX_GUEST_DEVICE, F_OK) == 0;
}

const struct evidence_provider tdx_provider = {
	.name = "tdx",
	.kbs_tee = "tdx",
	.detect = tdx_detect,
	.get_evidence = tdx_get_evidence,
};

const struct evidence_provider tsm_tdx_provider = {
	.name = "tsm",
	.kbs_tee = "tdx",
	.detect = NULL, /* provider_select probes configfs-tsm itself */
	.get_evidence = tdx_get_evidence,
};
