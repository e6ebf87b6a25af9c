/* SEV-SNP evidence: /dev/sev-guest (the `snp` provider) and configfs-tsm
 * with the sev_guest provider (`tsm` on SNP).
 *
 * The guest driver disables the guest's message key after any failed
 * request other than "certificate buffer too small" and "busy", and every
 * later request then fails with ENOTTY until reboot. So: one request at a
 * time (flock on the device), no retry loops (the kernel already retries
 * while the host is busy), and nothing sent that the kernel can refuse
 * before asking the host. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "attest.h"
#include "snp.h"
#include "tsm.h"
#include "util.h"

/* The uapi of <linux/sev-guest.h>, defined here since its helper macros
 * do not compile in userspace. */
struct cw_snp_report_req {
	uint8_t user_data[64];
	uint32_t vmpl;
	uint8_t rsvd[28];
};

struct cw_snp_ext_report_req {
	struct cw_snp_report_req data;
	uint64_t certs_address;
	uint32_t certs_len;
};

struct cw_snp_guest_request_ioctl {
	uint8_t msg_version;
	uint64_t req_data;
	uint64_t resp_data;
	union {
		uint64_t exitinfo2;
		struct {
			uint32_t fw_error;
			uint32_t vmm_error;
		};
	};
};

#define RESP_SIZE 4000
#define RESP_OFF_REPORT 0x20
#define CW_SNP_GET_REPORT _IOWR('S', 0x0, struct cw_snp_guest_request_ioctl)
#define CW_SNP_GET_EXT_REPORT _IOWR('S', 0x2, struct cw_snp_guest_request_ioctl)
#define VMM_ERR_INVALID_LEN 1
#define VMM_ERR_BUSY 2
#define PAGE 4096u

_Static_assert(SNP_REPORT_DATA_SIZE == REPORT_DATA_PADDED && TSM_INBLOB_SIZE == REPORT_DATA_PADDED,
	       "report_data_pad fills SNP REPORT_DATA and the configfs-tsm inblob");

_Static_assert(sizeof(struct cw_snp_report_req) == 96, "snp_report_req is 96 bytes");
_Static_assert(sizeof(struct cw_snp_ext_report_req) == 112, "snp_ext_report_req is 112 bytes");
_Static_assert(offsetof(struct cw_snp_ext_report_req, data) == 0, "data first");
_Static_assert(offsetof(struct cw_snp_ext_report_req, certs_len) == 104, "certs_len at 104");
_Static_assert(sizeof(struct cw_snp_guest_request_ioctl) == 32, "snp_guest_request_ioctl is 32 bytes");
_Static_assert(offsetof(struct cw_snp_guest_request_ioctl, fw_error) == 24, "fw_error at 24");
_Static_assert(offsetof(struct cw_snp_guest_request_ioctl, vmm_error) == 28, "vmm_error at 28");
_Static_assert(CW_SNP_GET_REPORT == 0xC0205300u, "SNP_GET_REPORT");
_Static_assert(CW_SNP_GET_EXT_REPORT == 0xC0205302u, "SNP_GET_EXT_REPORT");

static const char *fw_status_name(uint32_t s)
{
	switch (s) {
	case 0x00: return "success";
	case 0x07: return "policy failure";
	case 0x10: return "invalid guest";
	case 0x11: return "invalid command";
	case 0x15: return "unsupported";
	case 0x16: return "invalid parameter";
	case 0x17: return "resource limit";
	case 0x27: return "invalid key";
	case 0xffffffffu: return "no firmware call was made";
	default: return "see the SEV-SNP firmware ABI";
	}
}

static const char *vmm_error_name(uint32_t v)
{
	switch (v) {
	case 0: return "none";
	case VMM_ERR_INVALID_LEN: return "certificate buffer too small";
	case VMM_ERR_BUSY: return "host busy";
	default: return "unknown";
	}
}

int snp_request_error(const char *request, int e, uint32_t fw_error, uint32_t vmm_error,
		      struct cw_err *err)
{
	if (e == ENOTTY)
		return cw_err_set(err, ENOTTY, "%s: the guest's message key is disabled until reboot "
				  "(an earlier SNP request failed); reboot the VM", request);
	if (e == ETIMEDOUT)
		return cw_err_set(err, ETIMEDOUT, "%s: the host stayed busy for 60 s (VMM error %u); "
				  "try again later", request, vmm_error);
	return cw_err_set(err, e, "%s failed: %s (firmware status 0x%x: %s; VMM error %u: %s)",
			  request, strerror(e), fw_error, fw_status_name(fw_error), vmm_error,
			  vmm_error_name(vmm_error));
}

/* One request buffer for both ioctls: SNP_GET_REPORT reads only the
 * leading snp_report_req (ext.data), SNP_GET_EXT_REPORT the whole. */
struct request {
	int fd;
	struct cw_snp_ext_report_req ext;
	struct cw_snp_guest_request_ioctl io;
	uint8_t resp[RESP_SIZE];
};

/* One ioctl; returns 0 or -errno, leaving io's error fields for the caller. */
static int issue(struct request *q, unsigned long cmd)
{
	memset(q->resp, 0, sizeof(q->resp));
	memset(&q->io, 0, sizeof(q->io));
	q->io.msg_version = 1;
	q->io.req_data = (uintptr_t)&q->ext;
	q->io.resp_data = (uintptr_t)q->resp;
	return ioctl(q->fd, cmd, &q->io) < 0 ? -errno : 0;
}

/* The firmware's answer: status, size, then the report at 0x20. */
static int take_report(const struct request *q, uint8_t report[SNP_REPORT_SIZE],
		       struct cw_err *err)
{
	uint32_t status = le32(q->resp), size = le32(q->resp + 4);
	const uint8_t *r = q->resp + RESP_OFF_REPORT;
	int rc;

	if (status != 0)
		return cw_err_set(err, EIO, "the firmware answered status 0x%x (%s)", status,
				  fw_status_name(status));
	if (size != SNP_REPORT_SIZE)
		return cw_err_set(err, EBADMSG, "the firmware answered a %u-byte report (expected %d)",
				  size, SNP_REPORT_SIZE);
	if ((rc = snp_report_bound(r, q->ext.data.user_data, err)) < 0)
		return cw_err_prefix(err, rc, "the firmware's report");
	memcpy(report, r, SNP_REPORT_SIZE);
	return 0;
}

/* Extended report with the handshake; *certs stays NULL when the host has
 * none or announces a table the kernel would refuse (over 16 KiB or not
 * whole pages), in which case the plain report is fetched instead. */
static int request_report(struct request *q, uint8_t report[SNP_REPORT_SIZE], uint8_t **certs,
			  size_t *certs_len, struct cw_err *err)
{
	uint8_t *buf = NULL;
	uint32_t need;
	int rc;

	rc = issue(q, CW_SNP_GET_EXT_REPORT);
	if (rc == 0 && q->io.vmm_error == 0)
		return take_report(q, report, err); /* the host offers no certificates */
	if (q->io.vmm_error != VMM_ERR_INVALID_LEN)
		return snp_request_error("SNP_GET_EXT_REPORT", rc ? -rc : EIO, q->io.fw_error,
					 q->io.vmm_error, err);
	need = q->ext.certs_len;
	if (need != 0 && need <= SNP_CERTS_MAX && need % PAGE == 0) {
		if (!(buf = aligned_alloc(PAGE, need)))
			return cw_err_set(err, ENOMEM, "out of memory for certificates");
		memset(buf, 0, need);
		q->ext.certs_address = (uintptr_t)buf;
		q->ext.certs_len = need;
		rc = issue(q, CW_SNP_GET_EXT_REPORT);
		if (rc == 0 && q->io.vmm_error == 0) {
			if ((rc = take_report(q, report, err)) < 0) {
				free(buf);
				return rc;
			}
			*certs = buf;
			*certs_len = need;
			return 0;
		}
		free(buf);
		if (q->io.vmm_error != VMM_ERR_INVALID_LEN) /* else the table grew meanwhile */
			return snp_request_error("SNP_GET_EXT_REPORT", rc ? -rc : EIO,
						 q->io.fw_error, q->io.vmm_error, err);
	}
	rc = issue(q, CW_SNP_GET_REPORT);
	if (rc < 0 || q->io.exitinfo2 != 0)
		return snp_request_error("SNP_GET_REPORT", rc ? -rc : EIO, q->io.fw_error,
					 q->io.vmm_error, err);
	return take_report(q, report, err);
}

int snp_dev_report(const char *dev, const uint8_t report_data[SNP_REPORT_DATA_SIZE],
		   uint8_t report[SNP_REPORT_SIZE], uint8_t **certs, size_t *certs_len,
		   struct cw_err *err)
{
	struct request *q = calloc(1, sizeof(*q));
	int rc;

	*certs = NULL;
	*certs_len = 0;
	if (!q)
		return cw_err_set(err, ENOMEM, "out of memory for an SNP request");
	q->fd = open(dev, O_RDWR | O_CLOEXEC);
	if (q->fd < 0) {
		rc = errno == ENOENT ? cw_err_set(err, ENODEV, "no %s (not an SEV-SNP guest, or the "
						  "sev-guest driver is not loaded)", dev)
				     : cw_err_set(err, errno, "%s: %m", dev);
		free(q);
		return rc;
	}
	if (flock(q->fd, LOCK_EX) < 0) {
		rc = cw_err_set(err, errno, "flock %s: %m", dev);
	} else {
		memcpy(q->ext.data.user_data, report_data, SNP_REPORT_DATA_SIZE);
		q->ext.data.vmpl = 0;
		rc = request_report(q, report, certs, certs_len, err);
	}
	close(q->fd);
	free(q);
	return rc;
}

static int evidence_from(const uint8_t report[SNP_REPORT_SIZE], const uint8_t *table,
			 size_t table_len, char **json, struct cw_err *err)
{
	struct snp_certs certs = { 0 };
	int rc = 0;

	if (table && (rc = snp_cert_table_parse(table, table_len, &certs, err)) < 0)
		return cw_err_prefix(err, rc, "the host's certificates");
	rc = snp_evidence_json(report, &certs, json, err);
	snp_certs_free(&certs);
	return rc;
}

static int snp_detect(void)
{
	return access(SNP_GUEST_DEVICE, F_OK) == 0;
}

static int snp_get_evidence(const uint8_t *rd, size_t len, char **json, struct cw_err *err)
{
	uint8_t data[SNP_REPORT_DATA_SIZE], report[SNP_REPORT_SIZE];
	_cleanup_free_ uint8_t *certs = NULL;
	size_t certs_len;
	int rc;

	if ((rc = report_data_pad(rd, len, data, err)) < 0 ||
	    (rc = snp_dev_report(SNP_GUEST_DEVICE, data, report, &certs, &certs_len, err)) < 0)
		return rc;
	return evidence_from(report, certs, certs_len, json, err);
}

static int tsm_snp_get_evidence(const uint8_t *rd, size_t len, char **json, struct cw_err *err)
{
	struct tsm_blobs b;
	uint8_t data[TSM_INBLOB_SIZE];
	int rc;

	if ((rc = report_data_pad(rd, len, data, err)) < 0 ||
	    (rc = tsm_report(TSM_REPORT_ROOT, TSM_SNP, data, &b, err)) < 0)
		return rc;
	rc = evidence_from(b.outblob, b.auxblob, b.auxlen, json, err);
	tsm_blobs_free(&b);
	return rc;
}

const struct evidence_provider snp_provider = {
	.name = "snp",
	.kbs_tee = "snp",
	.detect = snp_detect,
	.get_evidence = snp_get_evidence,
};

const struct evidence_provider tsm_snp_provider = {
	.name = "tsm",
	.kbs_tee = "snp",
	.detect = NULL, /* provider_select probes configfs-tsm itself */
	.get_evidence = tsm_snp_get_evidence,
};
