// SPDX-License-Identifier: GPL-2.0
/*
 * SEV-SNP: /dev/sev-guest with SNP_GET_REPORT and SNP_GET_EXT_REPORT as the sev-guest driver
 * presents them to a client (the same structs, error numbers, exitinfo2 values and certificate
 * length handshake), backed by an emulated firmware that signs version 3 reports with the test
 * VCEK.
 */
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <uapi/linux/sev-guest.h>
#include "emul.h"

/* 63da758d-e664-4564-adc5-f4b93be8accd, in string byte order as hosts write it. */
static const u8 vcek_guid[16] = {
	0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64,
	0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac, 0xcd,
};

/* What the host hands out: a VCEK entry, the zero entry, the DER certificate; or nothing. */
static u8 *cert_table;
static size_t cert_table_len;

/*
 * After any host or firmware failure the real driver wipes its message key (VMPCK) so that a
 * sequence number is never reused; every later request fails with ENOTTY until reboot.
 */
static bool vmpck_disabled;

static void snp_fill_report(u8 *rep, const u8 *user_data, u32 vmpl)
{
	memset(rep, 0, SNP_REPORT_SIZE);
	put_unaligned_le32(3, rep + 0x000);			/* version */
	put_unaligned_le64(emul.policy, rep + 0x008);
	put_unaligned_le32(vmpl, rep + 0x030);
	put_unaligned_le32(1, rep + 0x034);			/* ECDSA P-384 with SHA-384 */
	put_unaligned_le64(emul.current_tcb, rep + 0x038);
	/* platform_info 0, key_info 0: signed by the VCEK */
	memcpy(rep + 0x050, user_data, 64);
	if (emul.fault == FAULT_BAD_REPORT_DATA)
		rep[0x050] ^= 0x01;
	memcpy(rep + 0x090, emul.measurement, 48);
	memcpy(rep + 0x0C0, emul.host_data, 32);
	memcpy(rep + 0x140, emul.report_id, 32);
	memset(rep + 0x160, 0xff, 32);				/* report_id_ma: no migration agent */
	put_unaligned_le64(emul.reported_tcb, rep + 0x180);
	rep[0x188] = 0x19;					/* cpuid family, model, stepping: Genoa */
	rep[0x189] = 0x11;
	rep[0x18A] = 0x01;
	memcpy(rep + 0x1A0, emul.chip_id, 64);
	put_unaligned_le64(emul.committed_tcb, rep + 0x1E0);
	/* current and committed firmware 1.55.40 (build, minor, major) */
	rep[0x1E8] = 40, rep[0x1E9] = 55, rep[0x1EA] = 1;
	rep[0x1EC] = 40, rep[0x1ED] = 55, rep[0x1EE] = 1;
	put_unaligned_le64(emul.launch_tcb, rep + 0x1F0);
}

static int snp_sign_report(u8 *rep)
{
	u64 r[ECC_MAX_DIGITS], s[ECC_MAX_DIGITS];
	u8 digest[48];
	unsigned int i;
	int ret;

	ret = emul_sha384(rep, SNP_SIGNED_LEN, digest);
	if (ret)
		return ret;
	ret = emul_sign(&emul.vcek, digest, r, s);
	if (ret)
		return ret;
	/* 72-byte little-endian numbers; the top 24 bytes stay zero. */
	for (i = 0; i < emul.vcek.ndigits; i++) {
		put_unaligned_le64(r[i], rep + 0x2A0 + 8 * i);
		put_unaligned_le64(s[i], rep + 0x2E8 + 8 * i);
	}
	return 0;
}

/*
 * One report request as the host and firmware answer it. On success resp (a struct
 * snp_report_resp) holds the MSG_REPORT_RSP payload: status @0, report_size @4, report @0x20;
 * an invalid VMPL is a firmware status in the payload, not an error. Failures set *exitinfo2
 * as the GHCB does and disable the message key as the driver does.
 */
static int snp_firmware_report(u8 msg_version, const u8 *user_data, u32 vmpl, u8 *resp,
			       u64 *exitinfo2)
{
	int ret = 0;

	if (emul.fault == FAULT_BUSY) {
		/* The driver retries a busy host every 2 s for 60 s, then gives up. */
		msleep(EMUL_BUSY_DELAY_MS);
		*exitinfo2 = SNP_GUEST_VMM_ERR(SNP_GUEST_VMM_ERR_BUSY);
		ret = -ETIMEDOUT;
	} else if (emul.fault == FAULT_EIO || msg_version != 1) {
		/* The firmware rejects the request (only message version 1 is emulated). */
		*exitinfo2 = SNP_STATUS_INVALID_PARAM;
		ret = -EIO;
	}
	if (ret) {
		vmpck_disabled = true;
		pr_alert("tee_emul: sev-guest: request failed (%d, exitinfo2 0x%llx); message key disabled\n",
			 ret, *exitinfo2);
		return ret;
	}

	*exitinfo2 = 0;
	memset(resp, 0, sizeof(struct snp_report_resp));
	if (vmpl > 3) {
		put_unaligned_le32(SNP_STATUS_INVALID_PARAM, resp);
		return 0;
	}
	put_unaligned_le32(SNP_REPORT_SIZE, resp + 4);
	snp_fill_report(resp + 0x20, user_data, vmpl);
	return snp_sign_report(resp + 0x20);
}

static long snp_get_report(struct snp_guest_request_ioctl *io)
{
	struct snp_report_req req;
	u8 *resp;
	long ret;

	if (!io->req_data || !io->resp_data)
		return -EINVAL;
	if (copy_from_user(&req, u64_to_user_ptr(io->req_data), sizeof(req)))
		return -EFAULT;
	resp = kzalloc(sizeof(struct snp_report_resp), GFP_KERNEL);
	if (!resp)
		return -ENOMEM;
	ret = snp_firmware_report(io->msg_version, req.user_data, req.vmpl, resp, &io->exitinfo2);
	if (!ret && copy_to_user(u64_to_user_ptr(io->resp_data), resp, sizeof(struct snp_report_resp)))
		ret = -EFAULT;
	kfree(resp);
	return ret;
}

static long snp_get_ext_report(struct snp_guest_request_ioctl *io)
{
	struct snp_ext_report_req req;
	void __user *certs;
	size_t needed = PAGE_ALIGN(cert_table_len), n;
	bool want_certs;
	u8 *resp;
	long ret;

	if (!io->req_data || !io->resp_data)
		return -EINVAL;
	if (copy_from_user(&req, u64_to_user_ptr(io->req_data), sizeof(req)))
		return -EFAULT;
	certs = u64_to_user_ptr(req.certs_address);
	want_certs = req.certs_len && req.certs_address;
	if (want_certs) {
		if (req.certs_len > SNP_CERTS_MAX || !IS_ALIGNED(req.certs_len, PAGE_SIZE))
			return -EINVAL;
		if (!access_ok(certs, req.certs_len))
			return -EFAULT;
	}

	resp = kzalloc(sizeof(struct snp_report_resp), GFP_KERNEL);
	if (!resp)
		return -ENOMEM;
	ret = snp_firmware_report(io->msg_version, req.data.user_data, req.data.vmpl, resp,
				  &io->exitinfo2);
	if (ret)
		goto out;

	/*
	 * A host with certificates and too small a buffer says how many pages it needs; the
	 * driver then returns EIO with vmm_error 1 and that length, and not the report.
	 */
	if (cert_table_len && (!want_certs || req.certs_len < needed)) {
		io->exitinfo2 = SNP_GUEST_VMM_ERR(SNP_GUEST_VMM_ERR_INVALID_LEN);
		req.certs_len = needed;
		ret = copy_to_user(u64_to_user_ptr(io->req_data), &req, sizeof(req)) ? -EFAULT : -EIO;
		goto out;
	}
	if (want_certs) {
		/* The table, zero-filled to the caller's length: all zeros when the host has none. */
		n = min_t(size_t, cert_table_len, req.certs_len);
		if (copy_to_user(certs, cert_table, n) || clear_user(certs + n, req.certs_len - n)) {
			ret = -EFAULT;
			goto out;
		}
	}
	if (copy_to_user(u64_to_user_ptr(io->resp_data), resp, sizeof(struct snp_report_resp)))
		ret = -EFAULT;
out:
	kfree(resp);
	return ret;
}

static long snp_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *argp = (void __user *)arg;
	struct snp_guest_request_ioctl input;
	long ret;

	if (copy_from_user(&input, argp, sizeof(input)))
		return -EFAULT;
	/* The driver's "no firmware answer yet" value, which some failures hand back. */
	input.exitinfo2 = 0xff;
	if (!input.msg_version)
		return -EINVAL;

	mutex_lock(&emul_lock);
	if (vmpck_disabled) {
		mutex_unlock(&emul_lock);
		pr_err_ratelimited("tee_emul: sev-guest: VMPCK is disabled\n");
		return -ENOTTY;
	}
	switch (cmd) {
	case SNP_GET_REPORT:
		ret = snp_get_report(&input);
		break;
	case SNP_GET_EXT_REPORT:
		ret = snp_get_ext_report(&input);
		break;
	default:
		/* SNP_GET_DERIVED_KEY is not emulated. */
		ret = -ENOTTY;
		break;
	}
	mutex_unlock(&emul_lock);

	/* Like the driver: the struct goes back only when exitinfo2 is non-zero. */
	if (input.exitinfo2 && copy_to_user(argp, &input, sizeof(input)))
		return -EFAULT;
	return ret;
}

int snp_tsm_report(const u8 *user_data, unsigned int vmpl, u8 **report, size_t *report_len,
		   u8 **certs, size_t *certs_len)
{
	u64 exitinfo2 = 0;
	u8 *resp = NULL, *rep = NULL, *aux = NULL;
	u32 status;
	int ret;

	mutex_lock(&emul_lock);
	ret = -ENOTTY;
	if (vmpck_disabled)
		goto out;
	ret = -ENOMEM;
	resp = kzalloc(sizeof(struct snp_report_resp), GFP_KERNEL);
	if (!resp)
		goto out;
	/* The driver asks with a 16 KiB certificate buffer, so there is no length handshake. */
	ret = snp_firmware_report(1, user_data, vmpl, resp, &exitinfo2);
	if (ret)
		goto out;
	status = get_unaligned_le32(resp);
	/* The driver's mapping of a firmware status in the answer. */
	if (status == SNP_STATUS_INVALID_PARAM || status == SNP_STATUS_INVALID_KEY)
		ret = -EINVAL;
	else
		ret = status ? -ENXIO : 0;
	if (ret)
		goto out;

	ret = -ENOMEM;
	rep = kvmalloc(SNP_REPORT_SIZE, GFP_KERNEL);
	if (!rep)
		goto out;
	memcpy(rep, resp + 0x20, SNP_REPORT_SIZE);
	if (cert_table_len) {
		aux = kvmalloc(cert_table_len, GFP_KERNEL);
		if (!aux)
			goto out;
		memcpy(aux, cert_table, cert_table_len);
	}
	*report = rep;
	*report_len = SNP_REPORT_SIZE;
	*certs = aux;
	*certs_len = aux ? cert_table_len : 0;
	rep = NULL;
	aux = NULL;
	ret = 0;
out:
	mutex_unlock(&emul_lock);
	kvfree(aux);
	kvfree(rep);
	kfree(resp);
	return ret;
}

static const struct file_operations snp_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = snp_ioctl,
};

static struct miscdevice snp_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "sev-guest",
	.fops = &snp_fops,
};

int snp_init(void)
{
	int ret;

	if (emul.vcek_cert_len) {
		cert_table_len = 2 * SNP_CERT_ENTRY_SIZE + emul.vcek_cert_len;
		cert_table = kzalloc(cert_table_len, GFP_KERNEL);
		if (!cert_table)
			return -ENOMEM;
		memcpy(cert_table, vcek_guid, sizeof(vcek_guid));
		/* offsets count from the table start; the zero entry ends the table */
		put_unaligned_le32(2 * SNP_CERT_ENTRY_SIZE, cert_table + 16);
		put_unaligned_le32(emul.vcek_cert_len, cert_table + 20);
		memcpy(cert_table + 2 * SNP_CERT_ENTRY_SIZE, emul.vcek_cert, emul.vcek_cert_len);
	}
	vmpck_disabled = emul.fault == FAULT_ENOTTY;
	ret = misc_register(&snp_misc);
	if (ret) {
		kfree(cert_table);
		cert_table = NULL;
	}
	return ret;
}

void snp_exit(void)
{
	misc_deregister(&snp_misc);
	kfree(cert_table);
	cert_table = NULL;
}
