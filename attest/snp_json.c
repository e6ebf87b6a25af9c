/* The Trustee `snp` evidence JSON, both ways.
 *
 * Trustee deserializes {"attestation_report", "cert_chain"} with serde into
 * the virtee `sev` crate's AttestationReport and Vec<CertTableEntry>, then
 * re-encodes the report to bytes to check its signature. So the shape here
 * is that crate's serde layout (sev at the revision trustee pins,
 * src/firmware/guest/types/snp.rs and host/types/snp.rs): byte arrays as
 * arrays of integers, policy/plat_info/key_info as plain integers, TCB
 * versions as {fmc, bootloader, tee, snp, microcode} laid out by processor
 * generation, versions as {major, minor, build}, the signature as its
 * 72-byte r and s. Its encoder writes zeros for every reserved byte, so a
 * report is only sent when the JSON rebuilds it exactly. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "jsonr.h"
#include "snp.h"

enum kind { F_U32, F_U64, F_BYTES, F_TCB, F_CPUID, F_VERSION, F_MIT, F_SIG };

static const struct field {
	const char *name;
	enum kind kind;
	uint16_t off, len;
} fields[] = {
	{ "version", F_U32, 0x0, 4 },
	{ "guest_svn", F_U32, 0x4, 4 },
	{ "policy", F_U64, 0x8, 8 },
	{ "family_id", F_BYTES, 0x10, 16 },
	{ "image_id", F_BYTES, 0x20, 16 },
	{ "vmpl", F_U32, SNP_OFF_VMPL, 4 },
	{ "sig_algo", F_U32, 0x34, 4 },
	{ "current_tcb", F_TCB, 0x38, 8 },
	{ "plat_info", F_U64, 0x40, 8 },
	{ "key_info", F_U32, 0x48, 4 },
	{ "report_data", F_BYTES, SNP_OFF_REPORT_DATA, SNP_REPORT_DATA_SIZE },
	{ "measurement", F_BYTES, 0x90, 48 },
	{ "host_data", F_BYTES, SNP_OFF_HOST_DATA, SNP_HOST_DATA_SIZE },
	{ "id_key_digest", F_BYTES, 0xe0, 48 },
	{ "author_key_digest", F_BYTES, 0x110, 48 },
	{ "report_id", F_BYTES, 0x140, 32 },
	{ "report_id_ma", F_BYTES, 0x160, 32 },
	{ "reported_tcb", F_TCB, 0x180, 8 },
	{ "cpuid_fam_id", F_CPUID, 0x188, 1 },
	{ "cpuid_mod_id", F_CPUID, 0x189, 1 },
	{ "cpuid_step", F_CPUID, 0x18a, 1 },
	{ "chip_id", F_BYTES, 0x1a0, 64 },
	{ "committed_tcb", F_TCB, 0x1e0, 8 },
	{ "current", F_VERSION, 0x1e8, 3 },
	{ "committed", F_VERSION, 0x1ec, 3 },
	{ "launch_tcb", F_TCB, 0x1f0, 8 },
	{ "launch_mit_vector", F_MIT, 0x1f8, 8 },
	{ "current_mit_vector", F_MIT, 0x200, 8 },
	{ "signature", F_SIG, SNP_OFF_SIG_R, 2 * SNP_SIG_COMPONENT },
};

#define NFIELDS ARRAY_SIZE(fields)
#define MAX_CERT_DER (64 * 1024)

static void put_le(uint8_t *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void write_tcb(struct jw *w, const uint8_t *raw, bool turin)
{
	struct snp_tcb t;

	snp_tcb_decode(raw, turin, &t);
	jw_object(w);
	snp_tcb_write_members(w, &t);
	jw_end(w);
}

static void write_field(struct jw *w, const struct field *f, const uint8_t *r, uint32_t version,
			bool turin)
{
	const uint8_t *p = r + f->off;

	if (f->kind == F_MIT && version < 5)
		return; /* absent before v5, as in the reports Trustee's own tests carry */
	jw_key(w, f->name);
	switch (f->kind) {
	case F_U32: jw_u64(w, le32(p)); break;
	case F_U64:
	case F_MIT: jw_u64(w, le64(p)); break;
	case F_BYTES: jw_bytes(w, p, f->len); break;
	case F_TCB: write_tcb(w, p, turin); break;
	case F_CPUID:
		if (version >= 3)
			jw_u64(w, *p);
		else
			jw_null(w);
		break;
	case F_VERSION:
		jw_object(w);
		jw_kv_u64(w, "major", p[2]);
		jw_kv_u64(w, "minor", p[1]);
		jw_kv_u64(w, "build", p[0]);
		jw_end(w);
		break;
	case F_SIG:
		jw_object(w);
		jw_kv_bytes(w, "r", p, SNP_SIG_COMPONENT);
		jw_kv_bytes(w, "s", p + SNP_SIG_COMPONENT, SNP_SIG_COMPONENT);
		jw_end(w);
		break;
	}
}

int snp_evidence_json(const uint8_t r[SNP_REPORT_SIZE], const struct snp_certs *certs, char **out,
		      struct cw_err *err)
{
	uint32_t version;
	enum snp_gen g;
	long reserved;
	struct jw w;
	int rc;

	if ((rc = snp_report_check(r, SNP_REPORT_SIZE, err)) < 0)
		return rc;
	version = le32(r);
	g = snp_generation(r);
	if (g == SNP_GEN_UNKNOWN)
		return cw_err_set(err, EINVAL,
				  "offset 0x188: cpuid family 0x%02x model 0x%02x is no SEV-SNP processor "
				  "the broker knows, so it could not read the TCB", r[0x188], r[0x189]);
	if ((reserved = snp_reserved_nonzero(r)) >= 0)
		return cw_err_set(err, EINVAL,
				  "offset 0x%lx: a reserved byte is not zero; the Trustee evidence "
				  "format cannot carry it", (unsigned long)reserved);
	jw_init(&w, false);
	jw_object(&w);
	jw_key(&w, "attestation_report");
	jw_object(&w);
	for (size_t i = 0; i < NFIELDS; i++)
		write_field(&w, &fields[i], r, version, snp_gen_turin(g));
	jw_end(&w);
	jw_key(&w, "cert_chain");
	/* An empty or VEK-less chain makes the verifier refuse; null makes it
	 * fetch the VCEK itself. */
	if (snp_certs_vek(certs)) {
		jw_array(&w);
		for (size_t i = 0; i < certs->n; i++) {
			jw_object(&w);
			jw_kv_str(&w, "cert_type", snp_cert_type_name(certs->c[i].type));
			jw_kv_bytes(&w, "data", certs->c[i].der, certs->c[i].len);
			jw_end(&w);
		}
		jw_end(&w);
	} else {
		jw_null(&w);
	}
	jw_end(&w);
	if (!(*out = jw_finish(&w)))
		return cw_err_set(err, ENOMEM, "out of memory for SNP evidence");
	return 0;
}

/* ---- JSON to bytes ---- */

static int bad(struct cw_err *err, const char *parent, const char *name, const char *why)
{
	return cw_err_set(err, EINVAL, "JSON: %s%s%s %s", parent, *parent ? "." : "", name, why);
}

static int get_uint(const struct jr *obj, const char *parent, const char *name, uint64_t max,
		    uint64_t *out, struct cw_err *err)
{
	const struct jr *v = jr_get(obj, name);

	if (!v)
		return bad(err, parent, name, "is missing");
	if (jr_uint(v, max, out) < 0)
		return bad(err, parent, name, "is not an integer in range");
	return 0;
}

/* Every member of obj must be one of names (NULL-terminated). */
static int only_members(const struct jr *obj, const char *path, const char *const *names,
			struct cw_err *err)
{
	for (size_t i = 0; i < obj->n; i++) {
		size_t k = 0;
		while (names[k] && strcmp(names[k], obj->keys[i]) != 0)
			k++;
		if (!names[k])
			return cw_err_set(err, EINVAL, "JSON: %s.%.40s is not a known field", path,
					  obj->keys[i]);
	}
	return 0;
}

static int get_bytes(const struct jr *v, const char *parent, const char *name, uint8_t *out,
		     size_t n, struct cw_err *err)
{
	uint64_t x;

	if (!v)
		return bad(err, parent, name, "is missing");
	if (!jr_is(v, JR_ARRAY) || v->n != n)
		return cw_err_set(err, EINVAL, "JSON: %s.%s is not an array of %zu bytes", parent,
				  name, n);
	for (size_t i = 0; i < n; i++) {
		if (jr_uint(&v->items[i], 255, &x) < 0)
			return cw_err_set(err, EINVAL, "JSON: %s.%s[%zu] is not an integer in range",
					  parent, name, i);
		out[i] = (uint8_t)x;
	}
	return 0;
}

/* A member of attestation_report that must be an object with exactly the
 * given members; path gets "attestation_report.<name>" for messages. */
static int report_object(const struct jr *v, const char *name, const char *const *members,
			 char *path, size_t pathlen, struct cw_err *err)
{
	snprintf(path, pathlen, "attestation_report.%s", name);
	if (!v)
		return bad(err, "attestation_report", name, "is missing");
	if (!jr_is(v, JR_OBJECT))
		return bad(err, "attestation_report", name, "is not an object");
	return only_members(v, path, members, err);
}

static int get_tcb(const struct jr *v, const char *name, bool turin, const char *gen,
		   uint8_t raw[8], struct cw_err *err)
{
	static const char *const members[] = { "fmc", "bootloader", "tee", "snp", "microcode", NULL };
	char path[64];
	struct snp_tcb t = { .has_fmc = turin };
	uint64_t x[4];
	const struct jr *fmc;
	int rc;

	if ((rc = report_object(v, name, members, path, sizeof(path), err)) < 0)
		return rc;
	for (int i = 0; i < 4; i++)
		if ((rc = get_uint(v, path, members[i + 1], 255, &x[i], err)) < 0)
			return rc;
	t.bootloader = (uint8_t)x[0];
	t.tee = (uint8_t)x[1];
	t.snp = (uint8_t)x[2];
	t.microcode = (uint8_t)x[3];
	fmc = jr_get(v, "fmc");
	if (fmc && !jr_is(fmc, JR_NULL)) {
		if (!turin)
			return cw_err_set(err, EINVAL, "JSON: %s.fmc must be null: a %s TCB has no FMC "
					  "byte", path, gen);
		if (jr_uint(fmc, 255, &x[0]) < 0)
			return bad(err, path, "fmc", "is not an integer in range");
		t.fmc = (uint8_t)x[0];
	}
	snp_tcb_encode(&t, turin, raw);
	return 0;
}

static int get_version(const struct jr *v, const char *name, uint8_t *p, struct cw_err *err)
{
	static const char *const members[] = { "major", "minor", "build", NULL };
	char path[64];
	uint64_t x;
	int rc;

	if ((rc = report_object(v, name, members, path, sizeof(path), err)) < 0)
		return rc;
	for (int i = 0; i < 3; i++) {
		if ((rc = get_uint(v, path, members[i], 255, &x, err)) < 0)
			return rc;
		p[2 - i] = (uint8_t)x; /* stored build, minor, major */
	}
	return 0;
}

static int read_field(const struct jr *rep, const struct field *f, uint8_t *r, uint32_t version,
		      enum snp_gen g, struct cw_err *err)
{
	static const char *const sig_members[] = { "r", "s", NULL };
	const char *P = "attestation_report";
	const struct jr *v = jr_get(rep, f->name);
	uint8_t *p = r + f->off;
	uint64_t x;
	int rc;

	switch (f->kind) {
	case F_U32:
	case F_U64:
		if ((rc = get_uint(rep, P, f->name, f->kind == F_U32 ? UINT32_MAX : UINT64_MAX, &x,
				   err)) < 0)
			return rc;
		put_le(p, x, f->len);
		return 0;
	case F_BYTES:
		return get_bytes(v, P, f->name, p, f->len, err);
	case F_TCB:
		return get_tcb(v, f->name, snp_gen_turin(g), snp_gen_name(g), p, err);
	case F_VERSION:
		return get_version(v, f->name, p, err);
	case F_CPUID:
		if (version < 3) {
			if (v && !jr_is(v, JR_NULL))
				return bad(err, P, f->name, "must be null in a version 2 report");
			return 0;
		}
		if ((rc = get_uint(rep, P, f->name, 255, &x, err)) < 0)
			return rc;
		*p = (uint8_t)x;
		return 0;
	case F_MIT:
		if (!v || jr_is(v, JR_NULL))
			return 0; /* the broker writes zero for a missing value */
		if (version < 5)
			return bad(err, P, f->name, "must be null before report version 5");
		if (jr_uint(v, UINT64_MAX, &x) < 0)
			return bad(err, P, f->name, "is not an integer in range");
		put_le(p, x, 8);
		return 0;
	case F_SIG:
		if (!v)
			return bad(err, P, f->name, "is missing");
		if (!jr_is(v, JR_OBJECT))
			return bad(err, P, f->name, "is not an object");
		if ((rc = only_members(v, "attestation_report.signature", sig_members, err)) < 0 ||
		    (rc = get_bytes(jr_get(v, "r"), "attestation_report.signature", "r", p,
				    SNP_SIG_COMPONENT, err)) < 0)
			return rc;
		return get_bytes(jr_get(v, "s"), "attestation_report.signature", "s",
				 p + SNP_SIG_COMPONENT, SNP_SIG_COMPONENT, err);
	}
	return -EINVAL;
}

static int read_report(const struct jr *rep, uint8_t r[SNP_REPORT_SIZE], struct cw_err *err)
{
	const char *names[NFIELDS + 1];
	uint64_t version;
	enum snp_gen g;
	int rc;

	if (!jr_is(rep, JR_OBJECT))
		return cw_err_set(err, EINVAL, "JSON: attestation_report is %s",
				  rep ? "not an object" : "missing");
	for (size_t i = 0; i < NFIELDS; i++)
		names[i] = fields[i].name;
	names[NFIELDS] = NULL;
	if ((rc = only_members(rep, "attestation_report", names, err)) < 0)
		return rc;
	memset(r, 0, SNP_REPORT_SIZE);
	if ((rc = get_uint(rep, "attestation_report", "version", UINT32_MAX, &version, err)) < 0)
		return rc;
	if (version < 2)
		return cw_err_set(err, EINVAL, "JSON: attestation_report.version %u is not supported",
				  (unsigned)version);
	put_le(r, version, 4);
	/* The cpuid fields decide the TCB layout of everything else. */
	for (size_t i = 0; i < NFIELDS; i++)
		if (fields[i].kind == F_CPUID &&
		    (rc = read_field(rep, &fields[i], r, (uint32_t)version, SNP_GEN_V2, err)) < 0)
			return rc;
	g = snp_generation(r);
	if (g == SNP_GEN_UNKNOWN)
		return cw_err_set(err, EINVAL, "JSON: attestation_report.cpuid_fam_id 0x%02x and "
				  "cpuid_mod_id 0x%02x are no known SEV-SNP processor", r[0x188], r[0x189]);
	for (size_t i = 0; i < NFIELDS; i++)
		if (fields[i].kind != F_CPUID &&
		    (rc = read_field(rep, &fields[i], r, (uint32_t)version, g, err)) < 0)
			return rc;
	return 0;
}

static int read_chain(const struct jr *chain, struct snp_certs *certs, struct cw_err *err)
{
	static const char *const members[] = { "cert_type", "data", NULL };

	for (size_t i = 0; i < chain->n; i++) {
		const struct jr *e = &chain->items[i], *type, *data;
		enum snp_cert_type t;
		char path[48];
		int rc;

		snprintf(path, sizeof(path), "cert_chain[%zu]", i);
		if (!jr_is(e, JR_OBJECT))
			return cw_err_set(err, EINVAL, "JSON: %s is not an object", path);
		if ((rc = only_members(e, path, members, err)) < 0)
			return rc;
		type = jr_get(e, "cert_type");
		data = jr_get(e, "data");
		if (!jr_is(data, JR_ARRAY) || data->n == 0 || data->n > MAX_CERT_DER)
			return bad(err, path, "data", "is not an array of 1 to 65536 bytes");
		/* serde names unit variants as strings; OTHER(uuid) and CRL are
		 * not certificates a verifier uses. */
		if (jr_is(type, JR_OBJECT) && type->n == 1 && strcmp(type->keys[0], "OTHER") == 0)
			continue;
		if (!jr_is(type, JR_STRING))
			return bad(err, path, "cert_type", "is not a certificate type");
		if (strcmp(type->str, "VCEK") == 0)
			t = SNP_CERT_VCEK;
		else if (strcmp(type->str, "VLEK") == 0)
			t = SNP_CERT_VLEK;
		else if (strcmp(type->str, "ASK") == 0)
			t = SNP_CERT_ASK;
		else if (strcmp(type->str, "ARK") == 0)
			t = SNP_CERT_ARK;
		else if (strcmp(type->str, "CRL") == 0 || strcmp(type->str, "Empty") == 0)
			continue;
		else
			return bad(err, path, "cert_type", "is not a certificate type");
		if (!certs)
			continue;
		if (certs->n == SNP_MAX_CERTS)
			return cw_err_set(err, EINVAL, "JSON: cert_chain has more than %d certificates",
					  SNP_MAX_CERTS);
		if (!(certs->c[certs->n].der = malloc(data->n)))
			return cw_err_set(err, ENOMEM, "out of memory for certificates");
		certs->c[certs->n].type = t;
		certs->c[certs->n].len = data->n;
		certs->n++;
		if ((rc = get_bytes(data, path, "data", certs->c[certs->n - 1].der, data->n, err)) < 0)
			return rc;
	}
	return 0;
}

int snp_evidence_parse(const char *json, size_t len, uint8_t r[SNP_REPORT_SIZE],
		       struct snp_certs *certs, bool *has_chain, struct cw_err *err)
{
	static const char *const members[] = { "attestation_report", "cert_chain", NULL };
	struct jr *doc = NULL;
	const struct jr *chain;
	int rc;

	if (certs)
		memset(certs, 0, sizeof(*certs));
	*has_chain = false;
	if ((rc = jr_parse(json, len, &doc, err)) < 0)
		return rc;
	if (!jr_is(doc, JR_OBJECT)) {
		rc = cw_err_set(err, EINVAL, "JSON: the evidence is not an object");
		goto out;
	}
	if ((rc = only_members(doc, "evidence", members, err)) < 0 ||
	    (rc = read_report(jr_get(doc, "attestation_report"), r, err)) < 0)
		goto out;
	chain = jr_get(doc, "cert_chain");
	if (chain && !jr_is(chain, JR_NULL)) {
		if (!jr_is(chain, JR_ARRAY)) {
			rc = cw_err_set(err, EINVAL, "JSON: cert_chain is neither null nor an array");
			goto out;
		}
		*has_chain = true;
		rc = read_chain(chain, certs, err);
	}
out:
	jr_free(doc);
	if (rc < 0 && certs)
		snp_certs_free(certs);
	return rc;
}
