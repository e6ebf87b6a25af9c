/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tee_emul: TEST-ONLY emulation of the SEV-SNP and TDX guest interfaces, for CI boots of a
 * confidential-VM init under QEMU/TCG. Reports are signed with test keys given as module
 * parameters; they prove nothing about the machine.
 */
#ifndef TEE_EMUL_H
#define TEE_EMUL_H

#include <linux/ioctl.h>
#include <linux/kconfig.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <crypto/internal/ecc.h>

enum emul_mode { EMUL_SNP, EMUL_TDX };

enum emul_fault {
	FAULT_NONE,
	FAULT_EIO,		/* the firmware (SNP) or the TDCALL/quote service (TDX) fails */
	FAULT_ENOTTY,		/* SNP: the message key is disabled from the start */
	FAULT_BUSY,		/* the host stays busy until the kernel's retry ends */
	FAULT_EMPTY_QUOTE,	/* TDX: the quote service returns 0 bytes without an error */
	FAULT_BAD_REPORT_DATA,	/* the report carries the caller's report data with one byte changed */
};

/* Short stand-in for the kernel's 60 s busy retry (SNP) and 30 s quote wait (TDX). */
#define EMUL_BUSY_DELAY_MS 1000

#define SNP_REPORT_SIZE 0x4A0
#define SNP_SIGNED_LEN 0x2A0
#define SNP_CERTS_MAX 0x4000		/* SEV_FW_BLOB_MAX_SIZE */
#define SNP_CERT_ENTRY_SIZE 24
#define SNP_STATUS_INVALID_PARAM 0x16
#define SNP_STATUS_INVALID_KEY 0x27

#define TDX_REPORTDATA_LEN 64
#define TDX_REPORT_LEN 1024
#define TDX_QUOTE_SIGNED_LEN 632	/* header (48) + TD 1.0 body (584) */
#define TDX_QUOTE_LEN (TDX_QUOTE_SIGNED_LEN + 4 + 64 + 64 + 6)
#define TDX_QUOTE_PADDING_MAX 4096

/* struct tdx_report_req of <linux/tdx-guest.h> (6.2+), which 6.1 does not have. */
struct emul_tdx_report_req {
	__u8 reportdata[TDX_REPORTDATA_LEN];
	__u8 tdreport[TDX_REPORT_LEN];
};
#define EMUL_TDX_CMD_GET_REPORT0 _IOWR('T', 1, struct emul_tdx_report_req)

struct emul_key {
	unsigned int curve_id;
	unsigned int ndigits;
	u64 d[ECC_MAX_DIGITS];
	u8 pub[2 * 48];		/* x || y, big-endian, ndigits * 8 bytes each */
};

/* Everything the module parameters configure, checked at load (main.c). */
struct emul_config {
	enum emul_mode mode;
	enum emul_fault fault;
	/* SNP */
	struct emul_key vcek;
	const u8 *vcek_cert;
	size_t vcek_cert_len;
	u8 measurement[48];
	u8 host_data[32];
	u8 chip_id[64];
	u8 report_id[32];
	u64 policy, reported_tcb, current_tcb, committed_tcb, launch_tcb;
	/* TDX */
	struct emul_key attest_key;
	u8 mrtd[48];
	u8 mrconfigid[48];
	u8 rtmr[4][48];
	unsigned int quote_padding;
};

extern struct emul_config emul;
/* Serializes every request, as the real drivers do; guards the SNP lockout state. */
extern struct mutex emul_lock;

/* sign.c */
int emul_crypto_init(void);
void emul_crypto_exit(void);
int emul_key_load(struct emul_key *key, unsigned int curve_id, const u8 *be, size_t len);
int emul_sha384(const void *data, size_t len, u8 out[48]);
int emul_sha256(const void *data, size_t len, u8 out[32]);
int emul_sign(const struct emul_key *key, const u8 *digest, u64 *r, u64 *s);
void emul_vli_to_be(u8 *out, const u64 *v, unsigned int ndigits);

/* snp.c */
int snp_init(void);
void snp_exit(void);
int snp_tsm_report(const u8 *user_data, unsigned int vmpl, u8 **report, size_t *report_len,
		   u8 **certs, size_t *certs_len);

/* tdx.c */
int tdx_init(void);
void tdx_exit(void);
int tdx_tsm_quote(const u8 *reportdata, u8 **quote, size_t *quote_len);

struct attribute_group;

/* tdx_mr.c: only where the kernel has the tsm-mr framework (CONFIG_TSM_MEASUREMENTS, 6.16+) */
#if IS_ENABLED(CONFIG_TSM_MEASUREMENTS)
const struct attribute_group *tdx_mr_init(void);
void tdx_mr_exit(const struct attribute_group *group);
#else
static inline const struct attribute_group *tdx_mr_init(void) { return NULL; }
static inline void tdx_mr_exit(const struct attribute_group *group) { }
#endif

/* tsm.c: only where the kernel has configfs-tsm (CONFIG_TSM_REPORTS, 6.7 and later) */
#if IS_ENABLED(CONFIG_TSM_REPORTS)
int emul_tsm_init(void);
void emul_tsm_exit(void);
#else
static inline int emul_tsm_init(void) { return 0; }
static inline void emul_tsm_exit(void) { }
#endif

#endif
