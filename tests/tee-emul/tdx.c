// SPDX-License-Identifier: GPL-2.0
/*
 * TDX: /dev/tdx_guest with TDX_CMD_GET_REPORT0 (a self-consistent 1024-byte TDREPORT), its
 * measurements/ sysfs files where the kernel has them (tdx_mr.c) and, for configfs-tsm, the
 * version 4 quote a quote generation service would make of it, signed with the test
 * attestation key (P-256). There is no Intel collateral: the certification data is type 6 with
 * size 0.
 */
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "emul.h"

/* Intel's quoting enclave vendor id, as in real quotes. */
static const u8 intel_qe_vendor_id[16] = {
	0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
	0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07,
};

/* Plausible fixed values where a real TDX module would put its own. */
static const u8 tee_tcb_svn[16] = { 0x03, 0x00, 0x05, 0x00 };
#define TD_ATTRIBUTES 0x0000000010000000ULL	/* SEPT_VE_DISABLE, no debug */
#define TD_XFAM 0x00000000000602e7ULL

/* TDREPORT layout: REPORTMACSTRUCT @0, TEE_TCB_INFO @256 (239 bytes), TDINFO @512. */
#define REP_TCB_INFO 256
#define REP_TCB_INFO_LEN 239
#define REP_TDINFO 512

static int tdx_make_tdreport(const u8 *reportdata, u8 *rep)
{
	unsigned int i;
	int ret;

	memset(rep, 0, TDX_REPORT_LEN);
	rep[0] = 0x81;					/* type TDX, subtype 0, version 0 */
	memcpy(rep + 16, tee_tcb_svn, 16);		/* CPUSVN */
	memcpy(rep + 128, reportdata, TDX_REPORTDATA_LEN);
	if (emul.fault == FAULT_BAD_REPORT_DATA)
		rep[128] ^= 0x01;
	/* The MAC @224 stays zero: only the CPU that made a report can check it. */

	put_unaligned_le64(0x1ff, rep + REP_TCB_INFO);	/* valid fields */
	memcpy(rep + REP_TCB_INFO + 8, tee_tcb_svn, 16);
	/* MRSEAM, MRSIGNERSEAM (zero: Intel's module) and SEAM attributes stay zero. */

	put_unaligned_le64(TD_ATTRIBUTES, rep + REP_TDINFO);
	put_unaligned_le64(TD_XFAM, rep + REP_TDINFO + 8);
	memcpy(rep + REP_TDINFO + 16, emul.mrtd, 48);
	memcpy(rep + REP_TDINFO + 64, emul.mrconfigid, 48);
	/* MROWNER, MROWNERCONFIG stay zero */
	for (i = 0; i < 4; i++)
		memcpy(rep + REP_TDINFO + 208 + 48 * i, emul.rtmr[i], 48);

	/* The hashes that bind the MAC'd part to the rest, as in a real report. */
	ret = emul_sha384(rep + REP_TDINFO, TDX_REPORT_LEN - REP_TDINFO, rep + 80);
	if (!ret)
		ret = emul_sha384(rep + REP_TCB_INFO, REP_TCB_INFO_LEN, rep + 32);
	return ret;
}

/*
 * Quote v4: header (48), TD 1.0 body (584) taken from the TDREPORT, u32 signature data length,
 * then the ECDSA P-256 signature (r||s) over SHA-256 of header and body, the attestation public
 * key (x||y) and certification data {u16 type 6, u32 size 0}.
 */
static int tdx_make_quote(const u8 *rep, u8 *q)
{
	u64 r[ECC_MAX_DIGITS], s[ECC_MAX_DIGITS];
	u8 *body = q + 48, *sig = q + TDX_QUOTE_SIGNED_LEN + 4;
	u8 digest[32];
	int ret;

	memset(q, 0, TDX_QUOTE_LEN);
	put_unaligned_le16(4, q);			/* version */
	put_unaligned_le16(2, q + 2);			/* attestation key type: ECDSA P-256 */
	put_unaligned_le32(0x81, q + 4);		/* TEE type: TDX */
	memcpy(q + 12, intel_qe_vendor_id, 16);

	memcpy(body, rep + REP_TCB_INFO + 8, 16);	/* TEE_TCB_SVN */
	memcpy(body + 16, rep + REP_TCB_INFO + 24, 104);	/* MRSEAM, MRSIGNERSEAM, SEAMATTRIBUTES */
	memcpy(body + 120, rep + REP_TDINFO, 400);	/* TDATTRIBUTES, XFAM, MRTD .. RTMR3 */
	memcpy(body + 520, rep + 128, TDX_REPORTDATA_LEN);

	put_unaligned_le32(TDX_QUOTE_LEN - TDX_QUOTE_SIGNED_LEN - 4, q + TDX_QUOTE_SIGNED_LEN);
	ret = emul_sha256(q, TDX_QUOTE_SIGNED_LEN, digest);
	if (!ret)
		ret = emul_sign(&emul.attest_key, digest, r, s);
	if (ret)
		return ret;
	emul_vli_to_be(sig, r, 4);
	emul_vli_to_be(sig + 32, s, 4);
	memcpy(sig + 64, emul.attest_key.pub, 64);
	put_unaligned_le16(6, sig + 128);		/* certification data type, size 0 */
	return 0;
}

static long tdx_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct emul_tdx_report_req __user *ureq = (void __user *)arg;
	u8 reportdata[TDX_REPORTDATA_LEN];
	u8 *rep;
	long ret;

	if (cmd != EMUL_TDX_CMD_GET_REPORT0)
		return -ENOTTY;
	if (copy_from_user(reportdata, ureq->reportdata, sizeof(reportdata)))
		return -EFAULT;
	rep = kmalloc(TDX_REPORT_LEN, GFP_KERNEL);
	if (!rep)
		return -ENOMEM;
	mutex_lock(&emul_lock);
	/* A failed TDG.MR.REPORT TDCALL is EIO. */
	ret = emul.fault == FAULT_EIO ? -EIO : tdx_make_tdreport(reportdata, rep);
	mutex_unlock(&emul_lock);
	if (!ret && copy_to_user(ureq->tdreport, rep, TDX_REPORT_LEN))
		ret = -EFAULT;
	kfree(rep);
	return ret;
}

int tdx_tsm_quote(const u8 *reportdata, u8 **quote, size_t *quote_len)
{
	size_t len = TDX_QUOTE_LEN + emul.quote_padding;
	u8 *rep, *q = NULL;
	int ret;

	rep = kmalloc(TDX_REPORT_LEN, GFP_KERNEL);
	if (!rep)
		return -ENOMEM;
	mutex_lock(&emul_lock);
	switch (emul.fault) {
	case FAULT_EIO:
		/* The GetQuote service answered with a failure status. */
		ret = -EIO;
		break;
	case FAULT_BUSY:
		/* The driver waits 30 s for the host's answer, then gives up. */
		msleep(EMUL_BUSY_DELAY_MS);
		ret = -ETIMEDOUT;
		break;
	case FAULT_EMPTY_QUOTE:
		/* A host without a working quote service: success, no bytes. */
		*quote = NULL;
		*quote_len = 0;
		ret = 0;
		break;
	default:
		ret = -ENOMEM;
		/* kvzalloc: quote generation may leave zero bytes after the quote. */
		q = kvzalloc(len, GFP_KERNEL);
		if (!q)
			break;
		ret = tdx_make_tdreport(reportdata, rep);
		if (!ret)
			ret = tdx_make_quote(rep, q);
		if (ret)
			break;
		*quote = q;
		*quote_len = len;
		q = NULL;
		break;
	}
	mutex_unlock(&emul_lock);
	kvfree(q);
	kfree(rep);
	return ret;
}

static const struct file_operations tdx_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = tdx_ioctl,
};

/* The measurements group, or none (NULL ends the list) on kernels without tsm-mr. */
static const struct attribute_group *tdx_groups[2];

static struct miscdevice tdx_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "tdx_guest",
	.fops = &tdx_fops,
	.groups = tdx_groups,
};

int tdx_init(void)
{
	const struct attribute_group *mr = tdx_mr_init();
	int ret;

	if (IS_ERR(mr))
		return PTR_ERR(mr);
	tdx_groups[0] = mr;
	ret = misc_register(&tdx_misc);
	if (ret) {
		tdx_mr_exit(mr);
		tdx_groups[0] = NULL;
	}
	return ret;
}

void tdx_exit(void)
{
	misc_deregister(&tdx_misc);
	tdx_mr_exit(tdx_groups[0]);
	tdx_groups[0] = NULL;
}
