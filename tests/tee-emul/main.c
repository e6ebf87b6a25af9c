// SPDX-License-Identifier: GPL-2.0
/*
 * tee_emul: module parameters, the refusal to load inside a real confidential guest, and the
 * set-up of the chosen mode (snp or tdx). TEST-ONLY: see emul.h.
 */
#include <linux/cc_platform.h>
#include <linux/kernel.h>
#if __has_include(<linux/hex.h>)
#include <linux/hex.h>		/* hex2bin(), bin2hex(): no longer through kernel.h in 7.x */
#endif
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <asm/cpufeature.h>
#include <crypto/ecdh.h>
#include "emul.h"

struct emul_config emul = {
	.policy = 0x30000,			/* SMT allowed, bit 17 (always 1), no debug */
	/* Genoa TCB bytes: bootloader 10 @0, tee 0 @1, snp 23 @6, microcode 25 @7 */
	.reported_tcb = 0x191700000000000aULL,
	.current_tcb = 0x191700000000000aULL,
	.committed_tcb = 0x191700000000000aULL,
	.launch_tcb = 0x191700000000000aULL,
};
DEFINE_MUTEX(emul_lock);

/* A parameter of exactly len bytes, written as 2 * len hex digits. */
struct hex_param {
	u8 *buf;
	unsigned int len;
	bool set;
};

static int hex_param_set(const char *val, const struct kernel_param *kp)
{
	struct hex_param *h = kp->arg;

	if (strlen(val) != 2 * h->len || hex2bin(h->buf, val, h->len)) {
		pr_err("tee_emul: %s must be %u bytes written as %u hex digits\n", kp->name,
		       h->len, 2 * h->len);
		return -EINVAL;
	}
	h->set = true;
	return 0;
}

static int hex_param_get(char *buffer, const struct kernel_param *kp)
{
	const struct hex_param *h = kp->arg;
	char *end = bin2hex(buffer, h->buf, h->len);

	*end++ = '\n';
	return end - buffer;
}

static const struct kernel_param_ops hex_param_ops = {
	.set = hex_param_set,
	.get = hex_param_get,
};

#define HEX_PARAM(name, field, perm, desc)					\
	static struct hex_param name##_param = { field, sizeof(field) };	\
	module_param_cb(name, &hex_param_ops, &name##_param, perm);		\
	MODULE_PARM_DESC(name, desc)

/* Private keys: never readable back (permission 0: no sysfs file), wiped once loaded. */
static u8 vcek_key_raw[48], attest_key_raw[32];
HEX_PARAM(vcek_key, vcek_key_raw, 0,
	  "SNP: test VCEK private key, P-384 scalar (96 hex digits, big-endian); required");
HEX_PARAM(attest_key, attest_key_raw, 0,
	  "TDX: test attestation private key, P-256 scalar (64 hex digits, big-endian); required");

HEX_PARAM(measurement, emul.measurement, 0444, "SNP: launch measurement (48 bytes hex; zero)");
HEX_PARAM(host_data, emul.host_data, 0444, "SNP: host_data (32 bytes hex; zero)");
HEX_PARAM(chip_id, emul.chip_id, 0444, "SNP: chip_id (64 bytes hex; zero)");
HEX_PARAM(mrtd, emul.mrtd, 0444, "TDX: MRTD (48 bytes hex; zero)");
HEX_PARAM(mrconfigid, emul.mrconfigid, 0444, "TDX: MRCONFIGID (48 bytes hex; zero)");
HEX_PARAM(rtmr0, emul.rtmr[0], 0444, "TDX: RTMR0 (48 bytes hex; zero)");
HEX_PARAM(rtmr1, emul.rtmr[1], 0444, "TDX: RTMR1 (48 bytes hex; zero)");
HEX_PARAM(rtmr2, emul.rtmr[2], 0444, "TDX: RTMR2 (48 bytes hex; zero)");
HEX_PARAM(rtmr3, emul.rtmr[3], 0444, "TDX: RTMR3 (48 bytes hex; zero)");

/*
 * The certificate: DER as hex, often longer than the 1024 characters a charp takes. The
 * table that holds it must fit the 16 KiB the driver allows.
 */
static u8 *vcek_cert;

static int cert_param_set(const char *val, const struct kernel_param *kp)
{
	size_t digits = strlen(val), len = digits / 2;
	u8 *buf;

	if (digits % 2 || !len || len > SNP_CERTS_MAX - 2 * SNP_CERT_ENTRY_SIZE) {
		pr_err("tee_emul: vcek_cert must be 1 to %u bytes of DER as hex digits\n",
		       SNP_CERTS_MAX - 2 * SNP_CERT_ENTRY_SIZE);
		return -EINVAL;
	}
	buf = kmalloc(len, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	if (hex2bin(buf, val, len)) {
		kfree(buf);
		pr_err("tee_emul: vcek_cert is not hex\n");
		return -EINVAL;
	}
	kfree(vcek_cert);
	vcek_cert = buf;
	emul.vcek_cert = buf;
	emul.vcek_cert_len = len;
	return 0;
}

static void cert_param_free(void *arg)
{
	kfree(vcek_cert);
	vcek_cert = NULL;
	emul.vcek_cert = NULL;
	emul.vcek_cert_len = 0;
}

static const struct kernel_param_ops cert_param_ops = {
	.set = cert_param_set,
	.free = cert_param_free,
};
module_param_cb(vcek_cert, &cert_param_ops, NULL, 0);
MODULE_PARM_DESC(vcek_cert, "SNP: test VCEK certificate, DER as hex; none = an empty certificate table");

static char *mode = "snp";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "snp (/dev/sev-guest) or tdx (/dev/tdx_guest); both also configfs-tsm on 6.7+");
static char *fault = "none";
module_param(fault, charp, 0444);
MODULE_PARM_DESC(fault, "none, eio, enotty (snp), busy, empty_quote (tdx) or bad_report_data");

module_param_named(policy, emul.policy, ullong, 0444);
MODULE_PARM_DESC(policy, "SNP: guest policy (0x30000)");
module_param_named(reported_tcb, emul.reported_tcb, ullong, 0444);
MODULE_PARM_DESC(reported_tcb, "SNP: reported TCB as a u64 (0x191700000000000a)");
module_param_named(current_tcb, emul.current_tcb, ullong, 0444);
MODULE_PARM_DESC(current_tcb, "SNP: current TCB as a u64 (0x191700000000000a)");
module_param_named(committed_tcb, emul.committed_tcb, ullong, 0444);
MODULE_PARM_DESC(committed_tcb, "SNP: committed TCB as a u64 (0x191700000000000a)");
module_param_named(launch_tcb, emul.launch_tcb, ullong, 0444);
MODULE_PARM_DESC(launch_tcb, "SNP: launch TCB as a u64 (0x191700000000000a)");
module_param_named(quote_padding, emul.quote_padding, uint, 0444);
MODULE_PARM_DESC(quote_padding, "TDX: zero bytes after the quote in outblob (0)");

static const char *const fault_names[] = {
	[FAULT_NONE] = "none",
	[FAULT_EIO] = "eio",
	[FAULT_ENOTTY] = "enotty",
	[FAULT_BUSY] = "busy",
	[FAULT_EMPTY_QUOTE] = "empty_quote",
	[FAULT_BAD_REPORT_DATA] = "bad_report_data",
};

static int parse_config(void)
{
	int f;

	if (sysfs_streq(mode, "snp")) {
		emul.mode = EMUL_SNP;
	} else if (sysfs_streq(mode, "tdx")) {
		emul.mode = EMUL_TDX;
	} else {
		pr_err("tee_emul: mode must be snp or tdx, not '%s'\n", mode);
		return -EINVAL;
	}
	f = sysfs_match_string(fault_names, fault);
	if (f < 0) {
		pr_err("tee_emul: unknown fault '%s'\n", fault);
		return -EINVAL;
	}
	emul.fault = f;
	if ((emul.fault == FAULT_ENOTTY && emul.mode != EMUL_SNP) ||
	    (emul.fault == FAULT_EMPTY_QUOTE && emul.mode != EMUL_TDX)) {
		pr_err("tee_emul: fault %s does not exist in mode %s\n", fault, mode);
		return -EINVAL;
	}
	if (emul.quote_padding > TDX_QUOTE_PADDING_MAX) {
		pr_err("tee_emul: quote_padding is at most %u\n", TDX_QUOTE_PADDING_MAX);
		return -EINVAL;
	}
	if (emul.mode == EMUL_SNP && !vcek_key_param.set) {
		pr_err("tee_emul: mode snp needs vcek_key\n");
		return -EINVAL;
	}
	if (emul.mode == EMUL_TDX && !attest_key_param.set) {
		pr_err("tee_emul: mode tdx needs attest_key\n");
		return -EINVAL;
	}
	return 0;
}

static int load_key(void)
{
	int ret;

	if (emul.mode == EMUL_SNP)
		ret = emul_key_load(&emul.vcek, ECC_CURVE_NIST_P384, vcek_key_raw, sizeof(vcek_key_raw));
	else
		ret = emul_key_load(&emul.attest_key, ECC_CURVE_NIST_P256, attest_key_raw,
				    sizeof(attest_key_raw));
	memzero_explicit(vcek_key_raw, sizeof(vcek_key_raw));
	memzero_explicit(attest_key_raw, sizeof(attest_key_raw));
	if (ret)
		pr_err("tee_emul: the %s key is not a valid private key of its curve\n",
		       emul.mode == EMUL_SNP ? "vcek" : "attest");
	return ret;
}

static void wipe_keys(void)
{
	memzero_explicit(&emul.vcek, sizeof(emul.vcek));
	memzero_explicit(&emul.attest_key, sizeof(emul.attest_key));
}

static int __init tee_emul_init(void)
{
	int ret;

	/* Error level, so that even a quiet console shows it. */
	pr_err("tee_emul: TEST-ONLY emulation of TEE guest interfaces (mode %s, fault %s): its reports are signed by test keys and prove nothing\n",
		mode, fault);
	/* Its devices would shadow the real ones and sign with a key anybody can have. */
	if (cc_platform_has(CC_ATTR_GUEST_MEM_ENCRYPT) || cc_platform_has(CC_ATTR_GUEST_SEV_SNP) ||
	    cpu_feature_enabled(X86_FEATURE_TDX_GUEST)) {
		pr_err("tee_emul: refusing to load inside a real SEV or TDX guest\n");
		return -EPERM;
	}
	ret = parse_config();
	if (ret)
		return ret;
	ret = emul_crypto_init();
	if (ret)
		return ret;
	ret = load_key();
	if (ret)
		goto err_crypto;
	get_random_bytes(emul.report_id, sizeof(emul.report_id));

	ret = emul.mode == EMUL_SNP ? snp_init() : tdx_init();
	if (ret)
		goto err_key;
	ret = emul_tsm_init();
	if (ret)
		goto err_mode;
	return 0;

err_mode:
	if (emul.mode == EMUL_SNP)
		snp_exit();
	else
		tdx_exit();
err_key:
	wipe_keys();
err_crypto:
	emul_crypto_exit();
	return ret;
}

static void __exit tee_emul_exit(void)
{
	emul_tsm_exit();
	if (emul.mode == EMUL_SNP)
		snp_exit();
	else
		tdx_exit();
	wipe_keys();
	emul_crypto_exit();
}

module_init(tee_emul_init);
module_exit(tee_emul_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("TEST-ONLY emulation of the SEV-SNP and TDX guest interfaces for CI");
