/* Evidence decoding for people: detect what the input is, decode every
 * field, check an SNP signature when a certificate is at hand. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "base64.h"
#include "eventlog.h"
#include "evidence.h"
#include "jsonr.h"
#include "jsonw.h"
#include "snp.h"
#include "tdx.h"
#include "util.h"

static void sha256_hex(struct jw *w, const uint8_t *b, size_t n)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(b, n, md, &mdlen, EVP_sha256(), NULL) == 1)
		jw_kv_hex(w, "sha256", md, mdlen);
	else
		jw_kv_null(w, "sha256");
}

static bool is_space(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }


/* Hex text (either case, whitespace anywhere) of exactly one report.
 * Returns 1 when in is such text, 0 when it is not hex text at all. */
static int snp_from_hex(const uint8_t *in, size_t len, uint8_t r[SNP_REPORT_SIZE],
			struct cw_err *err)
{
	size_t digits = 0;

	for (size_t i = 0; i < len; i++) {
		if (is_space(in[i]))
			continue;
		if (hex_digit_value(in[i]) < 0)
			return 0;
		digits++;
	}
	if (digits != 2 * SNP_REPORT_SIZE)
		return cw_err_set(err, EINVAL, "hex text: expected %d hex digits (%d bytes), got %zu",
				  2 * SNP_REPORT_SIZE, SNP_REPORT_SIZE, digits);
	digits = 0;
	for (size_t i = 0; i < len; i++)
		if (!is_space(in[i])) {
			int v = hex_digit_value(in[i]);
			if (digits % 2 == 0)
				r[digits / 2] = (uint8_t)(v << 4);
			else
				r[digits / 2] |= (uint8_t)v;
			digits++;
		}
	return 1;
}

static void check_signature(struct jw *w, const uint8_t r[SNP_REPORT_SIZE], const uint8_t *cert,
			    size_t cert_len, const char *source, struct evidence_decoded *out)
{
	struct cw_err e = { "" };

	jw_key(w, "signature");
	jw_object(w);
	if (!cert) {
		jw_kv_null(w, "verified");
		jw_kv_str(w, "reason", "no certificate: pass --cert with the VCEK or VLEK");
		jw_end(w);
		return;
	}
	if (snp_verify_signature(r, cert, cert_len, &e) == 0) {
		out->signature = EVIDENCE_SIG_VERIFIED;
		jw_kv_bool(w, "verified", true);
	} else {
		out->signature = EVIDENCE_SIG_FAILED;
		memcpy(out->signature_msg, e.msg, sizeof(out->signature_msg));
		jw_kv_bool(w, "verified", false);
		jw_kv_str(w, "reason", e.msg);
	}
	jw_kv_str(w, "by", snp_signer_name(le32(r + 0x48)));
	jw_kv_str(w, "certificate", source);
	jw_end(w);
}

static void snp_document(struct jw *w, const char *kind, const uint8_t r[SNP_REPORT_SIZE],
			 const uint8_t *cert, size_t cert_len, const char *source,
			 struct evidence_decoded *out)
{
	jw_kv_str(w, "kind", kind);
	sha256_hex(w, r, SNP_REPORT_SIZE);
	jw_key(w, "report");
	jw_object(w);
	snp_report_describe(r, w);
	jw_end(w);
	check_signature(w, r, cert, cert_len, source, out);
}

static int decode_snp_json(struct jw *w, const char *text, size_t len, const uint8_t *cert,
			   size_t cert_len, struct evidence_decoded *out, struct cw_err *err)
{
	uint8_t r[SNP_REPORT_SIZE];
	struct snp_certs certs;
	const struct snp_cert *vek;
	bool has_chain;
	int rc = snp_evidence_parse(text, len, r, &certs, &has_chain, err);

	if (rc < 0)
		return rc;
	vek = snp_certs_vek(&certs);
	snp_document(w, "trustee-snp-evidence", r, cert ? cert : vek ? vek->der : NULL,
		     cert ? cert_len : vek ? vek->len : 0,
		     cert ? "--cert" : "cert_chain", out);
	jw_key(w, "cert_chain");
	if (has_chain) {
		jw_array(w);
		for (size_t i = 0; i < certs.n; i++) {
			jw_object(w);
			jw_kv_str(w, "cert_type", snp_cert_type_name(certs.c[i].type));
			jw_kv_u64(w, "bytes", certs.c[i].len);
			sha256_hex(w, certs.c[i].der, certs.c[i].len);
			jw_end(w);
		}
		jw_end(w);
	} else {
		jw_null(w);
	}
	snp_certs_free(&certs);
	return 0;
}

/* A quote, and with an event log its replay against the quote's RTMRs. */
static int decode_quote(struct jw *w, const char *kind, const uint8_t *b, size_t len,
			const uint8_t *log, size_t log_len, struct evidence_decoded *out,
			struct cw_err *err)
{
	struct tdx_quote q;
	bool match = false;
	int rc = tdx_quote_parse(b, len, &q, err);

	if (rc < 0)
		return rc;
	jw_kv_str(w, "kind", kind);
	sha256_hex(w, b, q.len);
	jw_key(w, "quote");
	jw_object(w);
	tdx_quote_describe(b, &q, w);
	jw_end(w);
	jw_kv_u64(w, "trailing_bytes", len - q.len);
	if (!log)
		return 0;
	/* A log that does not parse is shown as such, and counts as no match. */
	jw_key(w, "eventlog");
	jw_object(w);
	if (eventlog_describe(w, log, log_len, b + q.body_off + TDX_BODY_OFF_RTMR0, &match, err) < 0)
		jw_kv_str(w, "error", err->msg);
	jw_end(w);
	out->replay = match ? EVIDENCE_REPLAY_MATCH : EVIDENCE_REPLAY_MISMATCH;
	return 0;
}

/* Standard base64 member of obj into a malloc'd buffer; NULL for JSON null. */
static int b64_member(const struct jr *obj, const char *name, uint8_t **out, size_t *len,
		      struct cw_err *err)
{
	const struct jr *v = jr_get(obj, name);
	size_t cap;

	*out = NULL;
	*len = 0;
	if (!v || jr_is(v, JR_NULL))
		return 0; /* an Option in Trustee's TdxEvidence */
	if (!jr_is(v, JR_STRING))
		return cw_err_set(err, EINVAL, "JSON: %s is not a string", name);
	cap = base64_decoded_max(v->str_len);
	if (!(*out = malloc(cap ? cap : 1)))
		return cw_err_set(err, ENOMEM, "out of memory decoding %s", name);
	if (base64_decode(v->str, v->str_len, BASE64_STD, *out, cap, len) < 0) {
		free(*out);
		*out = NULL;
		return cw_err_set(err, EINVAL, "JSON: %s is not standard base64", name);
	}
	return 0;
}

static int decode_tdx_json(struct jw *w, const struct jr *doc, const uint8_t *extra_log,
			   size_t extra_len, struct evidence_decoded *out, struct cw_err *err)
{
	uint8_t *quote = NULL, *log = NULL;
	size_t qlen, loglen = 0;
	int rc;

	for (size_t i = 0; i < doc->n; i++)
		if (strcmp(doc->keys[i], "quote") != 0 && strcmp(doc->keys[i], "cc_eventlog") != 0)
			return cw_err_set(err, EINVAL, "JSON: %.40s is not a known field", doc->keys[i]);
	if ((rc = b64_member(doc, "cc_eventlog", &log, &loglen, err)) < 0)
		return rc;
	if (log && extra_log) {
		free(log);
		return cw_err_set(err, EINVAL, "--eventlog with evidence that carries its cc_eventlog");
	}
	if ((rc = b64_member(doc, "quote", &quote, &qlen, err)) < 0) {
		free(log);
		return rc;
	}
	if (!quote) {
		rc = cw_err_set(err, EINVAL, "JSON: quote is missing or null");
	} else {
		jw_key(w, "cc_eventlog_bytes");
		if (log)
			jw_u64(w, loglen);
		else
			jw_null(w);
		rc = decode_quote(w, "trustee-tdx-evidence", quote, qlen, log ? log : extra_log,
				  log ? loglen : extra_len, out, err);
		if (rc < 0)
			cw_err_prefix(err, rc, "quote");
	}
	free(quote);
	free(log);
	return rc;
}

static int decode_json(struct jw *w, const uint8_t *in, size_t len, const uint8_t *cert,
		       size_t cert_len, const uint8_t *log, size_t log_len,
		       struct evidence_decoded *out, struct cw_err *err)
{
	struct jr *doc = NULL;
	int rc = jr_parse((const char *)in, len, &doc, err);

	if (rc < 0)
		return rc;
	if (jr_get(doc, "attestation_report")) {
		jr_free(doc); /* parsed again with the field checks */
		return decode_snp_json(w, (const char *)in, len, cert, cert_len, out, err);
	}
	if (jr_get(doc, "quote")) {
		rc = cert ? cw_err_set(err, EINVAL, "--cert applies to SNP evidence only")
			  : decode_tdx_json(w, doc, log, log_len, out, err);
		jr_free(doc);
		return rc;
	}
	jr_free(doc);
	return cw_err_set(err, EINVAL, "JSON: neither Trustee snp evidence (attestation_report) "
			  "nor tdx evidence (quote)");
}

static int decode_any(struct jw *w, const uint8_t *in, size_t len, const uint8_t *cert,
		      size_t cert_len, const uint8_t *log, size_t log_len,
		      struct evidence_decoded *out, struct cw_err *err)
{
	uint8_t r[SNP_REPORT_SIZE];
	size_t i = 0;
	int rc;

	while (i < len && is_space(in[i]))
		i++;
	if (i < len && in[i] == '{')
		return decode_json(w, in, len, cert, cert_len, log, log_len, out, err);
	if (len > 0 && (rc = snp_from_hex(in, len, r, err)) != 0) {
		if (rc < 0)
			return rc;
		if ((rc = snp_report_check(r, SNP_REPORT_SIZE, err)) < 0)
			return rc;
		snp_document(w, "snp-report-hex", r, cert, cert_len, "--cert", out);
		return 0;
	}
	/* u16 version 4/5, u16 key type 2/3, u32 tee type 0x81: an SNP report
	 * starts with a u32 version, so its bytes 2-3 are zero. */
	if (len >= 8 && (in[0] == 4 || in[0] == 5) && in[1] == 0 && (in[2] == 2 || in[2] == 3) &&
	    in[3] == 0 && in[4] == 0x81 && in[5] == 0 && in[6] == 0 && in[7] == 0) {
		if (cert)
			return cw_err_set(err, EINVAL, "--cert applies to SNP evidence only");
		return decode_quote(w, "tdx-quote", in, len, log, log_len, out, err);
	}
	if (len > 0 && in[0] == TDX_TDREPORT_TYPE && len != SNP_REPORT_SIZE) {
		if (cert)
			return cw_err_set(err, EINVAL, "--cert applies to SNP evidence only");
		if ((rc = tdx_tdreport_check(in, len, err)) < 0)
			return rc;
		jw_kv_str(w, "kind", "tdreport");
		sha256_hex(w, in, len);
		jw_key(w, "tdreport");
		jw_object(w);
		tdx_tdreport_describe(in, w);
		jw_end(w);
		return 0;
	}
	if ((rc = snp_report_check(in, len, err)) < 0)
		return rc;
	snp_document(w, "snp-report", in, cert, cert_len, "--cert", out);
	return 0;
}

int evidence_decode(const uint8_t *in, size_t len, const uint8_t *cert, size_t cert_len,
		    const uint8_t *log, size_t log_len, struct evidence_decoded *out,
		    struct cw_err *err)
{
	struct jw w;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len > EVIDENCE_INPUT_MAX)
		return cw_err_set(err, EFBIG, "input of %zu bytes is larger than %d", len,
				  EVIDENCE_INPUT_MAX);
	jw_init(&w, true);
	jw_object(&w);
	if (log && log_len > EVENTLOG_CC_MAX)
		return cw_err_set(err, EFBIG, "event log of %zu bytes is too large", log_len);
	if ((rc = decode_any(&w, in, len, cert, cert_len, log, log_len, out, err)) < 0) {
		jw_free(&w);
		return rc;
	}
	jw_end(&w);
	if (!(out->json = jw_finish(&w)))
		return cw_err_set(err, ENOMEM, "out of memory for the decoded evidence");
	return 0;
}

void evidence_decoded_free(struct evidence_decoded *d)
{
	free(d->json);
	d->json = NULL;
}
