/* SEV-SNP attestation report layout and its decoding for people. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "snp.h"

int snp_report_check(const uint8_t *r, size_t len, struct cw_err *err)
{
	uint32_t version;

	if (len != SNP_REPORT_SIZE)
		return cw_err_set(err, EINVAL, "expected %d bytes, got %zu", SNP_REPORT_SIZE, len);
	version = le32(r);
	if (version < 2)
		return cw_err_set(err, EINVAL, "offset 0x0: report version %u is not supported",
				  version);
	return 0;
}

int snp_report_bound(const uint8_t r[SNP_REPORT_SIZE], const uint8_t rd[SNP_REPORT_DATA_SIZE],
		     struct cw_err *err)
{
	uint32_t vmpl;
	int rc;

	if ((rc = snp_report_check(r, SNP_REPORT_SIZE, err)) < 0)
		return rc;
	if (memcmp(r + SNP_OFF_REPORT_DATA, rd, SNP_REPORT_DATA_SIZE) != 0)
		return cw_err_set(err, EBADMSG, "offset 0x%x: the report does not carry our report data",
				  SNP_OFF_REPORT_DATA);
	if ((vmpl = le32(r + SNP_OFF_VMPL)) != 0)
		return cw_err_set(err, EBADMSG, "offset 0x%x: the report is for VMPL %u, not 0",
				  SNP_OFF_VMPL, vmpl);
	return 0;
}

/* Family and model ranges as AMD assigns them (and the virtee crate and
 * Trustee's verifier read them). */
enum snp_gen snp_generation(const uint8_t r[SNP_REPORT_SIZE])
{
	uint8_t family = r[0x188], model = r[0x189];

	if (le32(r) < 3)
		return SNP_GEN_V2;
	if (family == 0x19) {
		if (model <= 0x0f)
			return SNP_GEN_MILAN;
		if ((model >= 0x10 && model <= 0x1f) || (model >= 0xa0 && model <= 0xaf))
			return SNP_GEN_GENOA;
	} else if (family == 0x1a && model <= 0x11) {
		return SNP_GEN_TURIN;
	}
	return SNP_GEN_UNKNOWN;
}

const char *snp_gen_name(enum snp_gen g)
{
	switch (g) {
	case SNP_GEN_V2: return "Milan or Genoa (version 2 report)";
	case SNP_GEN_MILAN: return "Milan";
	case SNP_GEN_GENOA: return "Genoa";
	case SNP_GEN_TURIN: return "Turin";
	default: return "unknown";
	}
}

void snp_tcb_decode(const uint8_t raw[8], bool turin, struct snp_tcb *t)
{
	memset(t, 0, sizeof(*t));
	if (turin) {
		t->has_fmc = true;
		t->fmc = raw[0];
		t->bootloader = raw[1];
		t->tee = raw[2];
		t->snp = raw[3];
	} else {
		t->bootloader = raw[0];
		t->tee = raw[1];
		t->snp = raw[6];
	}
	t->microcode = raw[7];
}

void snp_tcb_encode(const struct snp_tcb *t, bool turin, uint8_t raw[8])
{
	memset(raw, 0, 8);
	if (turin) {
		raw[0] = t->fmc;
		raw[1] = t->bootloader;
		raw[2] = t->tee;
		raw[3] = t->snp;
	} else {
		raw[0] = t->bootloader;
		raw[1] = t->tee;
		raw[6] = t->snp;
	}
	raw[7] = t->microcode;
}

static long first_nonzero(const uint8_t *r, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (r[i])
			return (long)i;
	return -1;
}

/* TCB fields sit at 0x38, 0x180, 0x1E0 and 0x1F0. */
static const size_t tcb_offsets[] = { 0x38, 0x180, 0x1e0, 0x1f0 };

long snp_reserved_nonzero(const uint8_t r[SNP_REPORT_SIZE])
{
	uint32_t version = le32(r);
	bool turin = snp_gen_turin(snp_generation(r));
	long at;
	/* [from, to) ranges every layout reserves, in offset order */
	const size_t ranges[][2] = {
		{ 0x4c, 0x50 },
		{ version < 3 ? 0x188 : 0x18b, 0x1a0 },
		{ 0x1eb, 0x1ec },
		{ 0x1ef, 0x1f0 },
		{ version < 5 ? 0x1f8 : 0x208, SNP_SIGNED_SIZE },
		{ SNP_OFF_SIG_S + SNP_SIG_COMPONENT, SNP_REPORT_SIZE },
	};

	for (size_t i = 0; i < ARRAY_SIZE(tcb_offsets); i++) {
		const uint8_t *t = r + tcb_offsets[i];
		at = turin ? first_nonzero(t, 4, 7) : first_nonzero(t, 2, 6);
		if (at >= 0)
			return (long)tcb_offsets[i] + at;
	}
	for (size_t i = 0; i < ARRAY_SIZE(ranges); i++)
		if ((at = first_nonzero(r, ranges[i][0], ranges[i][1])) >= 0)
			return at;
	return -1;
}

void snp_tcb_write_members(struct jw *w, const struct snp_tcb *t)
{
	if (t->has_fmc)
		jw_kv_u64(w, "fmc", t->fmc);
	else
		jw_kv_null(w, "fmc");
	jw_kv_u64(w, "bootloader", t->bootloader);
	jw_kv_u64(w, "tee", t->tee);
	jw_kv_u64(w, "snp", t->snp);
	jw_kv_u64(w, "microcode", t->microcode);
}

static void describe_tcb(struct jw *w, const char *key, const uint8_t *raw, enum snp_gen g)
{
	struct snp_tcb t;

	jw_key(w, key);
	jw_object(w);
	jw_kv_hex(w, "raw", raw, 8);
	if (g == SNP_GEN_UNKNOWN) {
		jw_end(w); /* no layout to read it with */
		return;
	}
	snp_tcb_decode(raw, snp_gen_turin(g), &t);
	snp_tcb_write_members(w, &t);
	jw_end(w);
}

static void describe_policy(struct jw *w, uint64_t p)
{
	static const struct { const char *name; int bit; } bits[] = {
		{ "smt", 16 }, { "reserved_must_be_one", 17 }, { "migrate_ma", 18 },
		{ "debug", 19 }, { "single_socket", 20 }, { "cxl_allow", 21 },
		{ "mem_aes_256_xts", 22 }, { "rapl_dis", 23 }, { "ciphertext_hiding", 24 },
		{ "page_swap_disable", 25 },
	};

	jw_key(w, "policy");
	jw_object(w);
	jw_kv_hex_u64(w, "raw", p);
	jw_kv_u64(w, "value", p);
	jw_kv_u64(w, "abi_minor", p & 0xff);
	jw_kv_u64(w, "abi_major", (p >> 8) & 0xff);
	for (size_t i = 0; i < ARRAY_SIZE(bits); i++)
		jw_kv_bool(w, bits[i].name, (p >> bits[i].bit) & 1);
	jw_kv_hex_u64(w, "reserved_bits", p & ~(uint64_t)0x3ffffff);
	jw_end(w);
}

static void describe_platform(struct jw *w, uint64_t p)
{
	static const struct { const char *name; int bit; } bits[] = {
		{ "smt_enabled", 0 }, { "tsme_enabled", 1 }, { "ecc_enabled", 2 },
		{ "rapl_disabled", 3 }, { "ciphertext_hiding_enabled", 4 },
		{ "alias_check_complete", 5 }, { "tio_enabled", 7 },
	};

	jw_key(w, "platform_info");
	jw_object(w);
	jw_kv_hex_u64(w, "raw", p);
	jw_kv_u64(w, "value", p);
	for (size_t i = 0; i < ARRAY_SIZE(bits); i++)
		jw_kv_bool(w, bits[i].name, (p >> bits[i].bit) & 1);
	jw_end(w);
}

const char *snp_signer_name(uint32_t key_info)
{
	switch ((key_info >> 2) & 7) {
	case 0: return "VCEK";
	case 1: return "VLEK";
	case 7: return "none";
	default: return "reserved";
	}
}

static void describe_key_info(struct jw *w, uint32_t k)
{
	jw_key(w, "key_info");
	jw_object(w);
	jw_kv_hex_u64(w, "raw", k);
	jw_kv_bool(w, "author_key_en", k & 1);
	jw_kv_bool(w, "mask_chip_key", (k >> 1) & 1);
	jw_kv_u64(w, "signing_key", (k >> 2) & 7);
	jw_kv_str(w, "signer", snp_signer_name(k));
	jw_end(w);
}

static void describe_version(struct jw *w, const char *key, const uint8_t *b)
{
	char s[16];

	jw_key(w, key);
	jw_object(w);
	jw_kv_u64(w, "major", b[2]);
	jw_kv_u64(w, "minor", b[1]);
	jw_kv_u64(w, "build", b[0]);
	snprintf(s, sizeof(s), "%u.%u.%u", b[2], b[1], b[0]);
	jw_kv_str(w, "text", s);
	jw_end(w);
}

void snp_report_describe(const uint8_t r[SNP_REPORT_SIZE], struct jw *w)
{
	uint32_t version = le32(r);
	enum snp_gen g = snp_generation(r);
	long reserved = snp_reserved_nonzero(r);
	bool turin = snp_gen_turin(g);

	jw_kv_u64(w, "version", version);
	jw_kv_u64(w, "guest_svn", le32(r + 0x4));
	describe_policy(w, le64(r + 0x8));
	jw_kv_hex(w, "family_id", r + 0x10, 16);
	jw_kv_hex(w, "image_id", r + 0x20, 16);
	jw_kv_u64(w, "vmpl", le32(r + SNP_OFF_VMPL));
	jw_key(w, "signature_algo");
	jw_object(w);
	jw_kv_u64(w, "value", le32(r + 0x34));
	jw_kv_str(w, "name", le32(r + 0x34) == 1 ? "ECDSA P-384 with SHA-384" : "unknown");
	jw_end(w);
	jw_kv_str(w, "generation", snp_gen_name(g));
	describe_tcb(w, "current_tcb", r + 0x38, g);
	describe_platform(w, le64(r + 0x40));
	describe_key_info(w, le32(r + 0x48));
	jw_kv_hex(w, "report_data", r + SNP_OFF_REPORT_DATA, SNP_REPORT_DATA_SIZE);
	jw_kv_hex(w, "measurement", r + 0x90, 48);
	jw_kv_hex(w, "host_data", r + SNP_OFF_HOST_DATA, SNP_HOST_DATA_SIZE);
	jw_kv_hex(w, "id_key_digest", r + 0xe0, 48);
	jw_kv_hex(w, "author_key_digest", r + 0x110, 48);
	jw_kv_hex(w, "report_id", r + 0x140, 32);
	jw_kv_hex(w, "report_id_ma", r + 0x160, 32);
	describe_tcb(w, "reported_tcb", r + 0x180, g);
	if (version >= 3) {
		jw_kv_u64(w, "cpuid_fam_id", r[0x188]);
		jw_kv_u64(w, "cpuid_mod_id", r[0x189]);
		jw_kv_u64(w, "cpuid_step", r[0x18a]);
	} else {
		jw_kv_null(w, "cpuid_fam_id");
		jw_kv_null(w, "cpuid_mod_id");
		jw_kv_null(w, "cpuid_step");
	}
	/* Turin's chip id is 8 bytes; the rest of the field is zero. */
	jw_kv_hex(w, "chip_id", r + 0x1a0, turin ? 8 : 64);
	describe_tcb(w, "committed_tcb", r + 0x1e0, g);
	describe_version(w, "current_version", r + 0x1e8);
	describe_version(w, "committed_version", r + 0x1ec);
	describe_tcb(w, "launch_tcb", r + 0x1f0, g);
	if (version >= 5) {
		jw_kv_hex_u64(w, "launch_mit_vector", le64(r + 0x1f8));
		jw_kv_hex_u64(w, "current_mit_vector", le64(r + 0x200));
	} else {
		jw_kv_null(w, "launch_mit_vector");
		jw_kv_null(w, "current_mit_vector");
	}
	jw_key(w, "signature");
	jw_object(w);
	/* r and s as the big-endian numbers ECDSA tools print */
	uint8_t be[SNP_SIG_COMPONENT];
	for (int i = 0; i < SNP_SIG_COMPONENT; i++)
		be[i] = r[SNP_OFF_SIG_R + SNP_SIG_COMPONENT - 1 - i];
	jw_kv_hex(w, "r", be + SNP_SIG_COMPONENT - 48, 48);
	for (int i = 0; i < SNP_SIG_COMPONENT; i++)
		be[i] = r[SNP_OFF_SIG_S + SNP_SIG_COMPONENT - 1 - i];
	jw_kv_hex(w, "s", be + SNP_SIG_COMPONENT - 48, 48);
	jw_end(w);
	if (reserved >= 0) {
		char at[24];
		snprintf(at, sizeof(at), "0x%lx", (unsigned long)reserved);
		jw_kv_str(w, "reserved_nonzero_at", at);
	} else {
		jw_kv_null(w, "reserved_nonzero_at");
	}
}
