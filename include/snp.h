/* AMD SEV-SNP attestation reports: layout, decoding, the Trustee `snp`
 * evidence JSON, certificate tables and signature checks. Everything here
 * works on byte buffers (no I/O), for the providers, the `cwinit evidence`
 * command and the fuzz targets. Layout: ../shared/docs/tee-interfaces.md. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "err.h"
#include "jsonw.h"
#include "util.h"

#define SNP_REPORT_SIZE 1184
#define SNP_SIGNED_SIZE 0x2A0    /* the signature covers bytes [0, 0x2A0) */
#define SNP_OFF_VMPL 0x30
#define SNP_OFF_REPORT_DATA 0x50
#define SNP_REPORT_DATA_SIZE 64
#define SNP_OFF_HOST_DATA 0xC0
#define SNP_HOST_DATA_SIZE 32
#define SNP_OFF_SIG_R 0x2A0
#define SNP_OFF_SIG_S 0x2E8
#define SNP_SIG_COMPONENT 72     /* r and s, little-endian */
#define SNP_CERTS_MAX 16384      /* SEV_FW_BLOB_MAX_SIZE of the guest driver */

/* Which TCB byte layout a report uses. */
enum snp_gen {
	SNP_GEN_UNKNOWN,
	SNP_GEN_V2,    /* version 2: no cpuid fields, Milan/Genoa layout */
	SNP_GEN_MILAN,
	SNP_GEN_GENOA,
	SNP_GEN_TURIN,
};

struct snp_tcb {
	bool has_fmc; /* Turin only */
	uint8_t fmc, bootloader, tee, snp, microcode;
};

/* Length 1184 and version 2 or later. Errors read
 * "expected 1184 bytes, got N" / "offset 0x0: report version 1 is not supported". */
int snp_report_check(const uint8_t *r, size_t len, struct cw_err *err);

/* Whether a report the guest just asked for is the one it asked for:
 * version 2 or later, report_data at 0x50 equal to rd, and VMPL 0 (the
 * level brokers accept). Both the /dev/sev-guest and the configfs-tsm
 * paths check their answer with this. -EINVAL for the version,
 * -EBADMSG for the rest. */
int snp_report_bound(const uint8_t r[SNP_REPORT_SIZE], const uint8_t rd[SNP_REPORT_DATA_SIZE],
		     struct cw_err *err);

/* The processor generation from the cpuid fields (v3 and later); v2 is
 * SNP_GEN_V2. SNP_GEN_UNKNOWN for a family/model AMD has not assigned. */
enum snp_gen snp_generation(const uint8_t r[SNP_REPORT_SIZE]);
const char *snp_gen_name(enum snp_gen g);
static inline bool snp_gen_turin(enum snp_gen g) { return g == SNP_GEN_TURIN; }

void snp_tcb_decode(const uint8_t raw[8], bool turin, struct snp_tcb *t);
void snp_tcb_encode(const struct snp_tcb *t, bool turin, uint8_t raw[8]);

/* Writes the TCB object's members in the virtee serde order (fmc null
 * before Turin), into an object the caller opened. */
struct jw;
void snp_tcb_write_members(struct jw *w, const struct snp_tcb *t);

/* Offset of the first nonzero byte that the report's layout (by version
 * and generation) reserves, or -1 when there is none. Such a byte cannot
 * be carried by the Trustee JSON, so the broker could not rebuild the
 * signed bytes. */
long snp_reserved_nonzero(const uint8_t r[SNP_REPORT_SIZE]);

/* The key that signed a report, from key_info bits 4:2: "VCEK", "VLEK",
 * "none" or "reserved". */
const char *snp_signer_name(uint32_t key_info);

/* Every field for people, as members of the JSON object open in w. */
void snp_report_describe(const uint8_t r[SNP_REPORT_SIZE], struct jw *w);

/* Certificates from an extended report's table (or configfs auxblob). */
enum snp_cert_type { SNP_CERT_VCEK, SNP_CERT_VLEK, SNP_CERT_ASK, SNP_CERT_ARK };
#define SNP_MAX_CERTS 8

struct snp_cert {
	enum snp_cert_type type;
	uint8_t *der;
	size_t len;
};

struct snp_certs {
	struct snp_cert c[SNP_MAX_CERTS];
	size_t n;
};

const char *snp_cert_type_name(enum snp_cert_type t); /* "VCEK", "VLEK", "ASK", "ARK" */
void snp_certs_free(struct snp_certs *c);
/* The VCEK or VLEK (the first of them in the list), or NULL. */
const struct snp_cert *snp_certs_vek(const struct snp_certs *c);

/* Parses the GUID table (24-byte entries up to an all-zero one, offsets
 * from the table start). Entries with other GUIDs (CRL, vendor ones) are
 * skipped. A table of zeros gives no certificates. */
int snp_cert_table_parse(const uint8_t *t, size_t len, struct snp_certs *out, struct cw_err *err);

/* Checks the report's ECDSA P-384 signature with the public key of a DER
 * or PEM certificate. Returns 0 when it verifies, -EBADMSG when it does
 * not, -EINVAL when the certificate is unusable (err says why). */
int snp_verify_signature(const uint8_t r[SNP_REPORT_SIZE], const uint8_t *cert, size_t cert_len,
			 struct cw_err *err);

/* The Trustee `snp` evidence: {"attestation_report":{...},"cert_chain":[...]|null}
 * in the virtee `sev` serde layout. cert_chain is null unless certs holds
 * a VCEK or VLEK. Refuses reports the JSON cannot carry exactly. */
int snp_evidence_json(const uint8_t r[SNP_REPORT_SIZE], const struct snp_certs *certs, char **out,
		      struct cw_err *err);

/* The reverse: the raw report the broker rebuilds from the JSON, and the
 * certificates of cert_chain (certs may be NULL; *has_chain tells whether
 * cert_chain was non-null). Errors name the field: "JSON: attestation_report.policy
 * is not an integer in range". */
int snp_evidence_parse(const char *json, size_t len, uint8_t r[SNP_REPORT_SIZE],
		       struct snp_certs *certs, bool *has_chain, struct cw_err *err);

/* ---- /dev/sev-guest ---- */

#define SNP_GUEST_DEVICE "/dev/sev-guest"

/* The report (and the host's certificate table, malloc'd, *certs NULL when
 * the host offered none) for report_data at VMPL 0, with the extended
 * request's certificate-length handshake. One request at a time (flock). */
int snp_dev_report(const char *dev, const uint8_t report_data[SNP_REPORT_DATA_SIZE],
		   uint8_t report[SNP_REPORT_SIZE], uint8_t **certs, size_t *certs_len,
		   struct cw_err *err);

/* The message for a failed guest request: errno e of the ioctl, the
 * firmware status and the VMM error the kernel passed back. */
int snp_request_error(const char *request, int e, uint32_t fw_error, uint32_t vmm_error,
		      struct cw_err *err);
