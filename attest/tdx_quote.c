/* TDX quote and TDREPORT layouts, decoded for people and checked for the
 * providers. Offsets follow Intel's TDX DCAP quote format (v4 and v5) and
 * the TDX module's REPORTMACSTRUCT/TDINFO. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <openssl/evp.h>
#include "tdx.h"
#include "util.h"

#define BODY_TDX10 584
#define BODY_TDX15 648

int tdx_quote_parse(const uint8_t *b, size_t len, struct tdx_quote *q, struct cw_err *err)
{
	size_t sig_at;
	uint32_t tee_type;

	memset(q, 0, sizeof(*q));
	if (len < TDX_QUOTE_HEADER)
		return cw_err_set(err, EINVAL, "offset 0x0: %zu bytes are too short for a quote header "
				  "(48 bytes)", len);
	q->version = le16(b);
	if (q->version != 4 && q->version != 5)
		return cw_err_set(err, EINVAL, "offset 0x0: quote version %u is not supported "
				  "(4 or 5)", q->version);
	tee_type = le32(b + 4);
	if (tee_type != 0x81)
		return cw_err_set(err, EINVAL, "offset 0x4: tee type 0x%x is not TDX (0x81)", tee_type);
	if (q->version == 4) {
		q->body_type = 2;
		q->body_off = TDX_QUOTE_HEADER;
		q->body_len = BODY_TDX10;
	} else {
		uint32_t size;
		if (len < TDX_QUOTE_HEADER + 6)
			return cw_err_set(err, EINVAL, "offset 0x30: quote ends inside the body "
					  "descriptor (%zu bytes)", len);
		q->body_type = le16(b + 48);
		size = le32(b + 50);
		if (q->body_type != 2 && q->body_type != 3)
			return cw_err_set(err, EINVAL, "offset 0x30: body type %u is not a TD report "
					  "(2 or 3)", q->body_type);
		if (size != (q->body_type == 2 ? BODY_TDX10 : BODY_TDX15))
			return cw_err_set(err, EINVAL, "offset 0x32: body size %u does not match body "
					  "type %u", size, q->body_type);
		q->body_off = TDX_QUOTE_HEADER + 6;
		q->body_len = size;
	}
	sig_at = q->body_off + q->body_len;
	if (len < sig_at + 4)
		return cw_err_set(err, EINVAL, "offset 0x%zx: quote ends before the signature data "
				  "length (%zu bytes)", sig_at, len);
	q->sig_len = le32(b + sig_at);
	if (q->sig_len > len - sig_at - 4)
		return cw_err_set(err, EINVAL, "offset 0x%zx: signature data of %u bytes runs past "
				  "the end (%zu bytes)", sig_at, q->sig_len, len);
	q->len = sig_at + 4 + q->sig_len;
	return 0;
}

static void hex_at(struct jw *w, const char *key, const uint8_t *b, size_t off, size_t n)
{
	jw_kv_hex(w, key, b + off, n);
}

void tdx_quote_describe(const uint8_t *b, const struct tdx_quote *q, struct jw *w)
{
	const uint8_t *body = b + q->body_off;
	static const char *const rtmr[] = { "rtmr0", "rtmr1", "rtmr2", "rtmr3" };

	jw_key(w, "header");
	jw_object(w);
	jw_kv_u64(w, "version", q->version);
	jw_kv_u64(w, "att_key_type", le16(b + 2));
	jw_kv_hex_u64(w, "tee_type", le32(b + 4));
	jw_kv_u64(w, "qe_svn", le16(b + 8));
	jw_kv_u64(w, "pce_svn", le16(b + 10));
	hex_at(w, "qe_vendor_id", b, 12, 16);
	hex_at(w, "user_data", b, 28, 20);
	jw_end(w);
	jw_key(w, "body");
	jw_object(w);
	jw_kv_u64(w, "body_type", q->body_type);
	jw_kv_u64(w, "body_size", q->body_len);
	hex_at(w, "tee_tcb_svn", body, 0, 16);
	hex_at(w, "mrseam", body, 16, 48);
	hex_at(w, "mrsignerseam", body, 64, 48);
	hex_at(w, "seam_attributes", body, 112, 8);
	hex_at(w, "td_attributes", body, 120, 8);
	hex_at(w, "xfam", body, 128, 8);
	hex_at(w, "mr_td", body, TDX_BODY_OFF_MRTD, 48);
	hex_at(w, "mr_config_id", body, TDX_BODY_OFF_MRCONFIGID, TDX_MRCONFIGID_SIZE);
	hex_at(w, "mr_owner", body, 232, 48);
	hex_at(w, "mr_owner_config", body, 280, 48);
	for (int i = 0; i < 4; i++)
		hex_at(w, rtmr[i], body, TDX_BODY_OFF_RTMR0 + 48 * (size_t)i, 48);
	hex_at(w, "report_data", body, TDX_BODY_OFF_REPORT_DATA, 64);
	if (q->body_type == 3) {
		hex_at(w, "tee_tcb_svn2", body, 584, 16);
		hex_at(w, "mrservicetd", body, 600, 48);
	}
	jw_end(w);
	jw_kv_u64(w, "signature_data_length", q->sig_len);
	jw_kv_u64(w, "quote_length", q->len);
}

int tdx_tdreport_check(const uint8_t *b, size_t len, struct cw_err *err)
{
	if (len != TDX_TDREPORT_SIZE)
		return cw_err_set(err, EINVAL, "expected %d bytes, got %zu", TDX_TDREPORT_SIZE, len);
	if (b[0] != TDX_TDREPORT_TYPE)
		return cw_err_set(err, EINVAL, "offset 0x0: report type 0x%02x is not a TDREPORT "
				  "(0x81)", b[0]);
	return 0;
}

/* True when SHA-384 of b[from, to) equals the 48 bytes at want. */
static bool hash_matches(const uint8_t *b, size_t from, size_t to, const uint8_t *want)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (EVP_Digest(b + from, to - from, md, &n, EVP_sha384(), NULL) != 1 || n != 48)
		return false;
	return memcmp(md, want, 48) == 0;
}

void tdx_tdreport_describe(const uint8_t b[TDX_TDREPORT_SIZE], struct jw *w)
{
	static const char *const rtmr[] = { "rtmr0", "rtmr1", "rtmr2", "rtmr3" };

	jw_kv_hex_u64(w, "type", b[0]);
	jw_kv_u64(w, "subtype", b[1]);
	jw_kv_u64(w, "type_version", b[2]);
	hex_at(w, "cpusvn", b, 16, 16);
	hex_at(w, "tee_tcb_info_hash", b, 32, 48);
	hex_at(w, "tee_info_hash", b, 80, 48);
	hex_at(w, "reportdata", b, TDX_TDREPORT_OFF_REPORTDATA, 64);
	hex_at(w, "mac", b, 224, 32);
	hex_at(w, "tee_tcb_info", b, 256, 239);
	hex_at(w, "attributes", b, 512, 8);
	hex_at(w, "xfam", b, 520, 8);
	hex_at(w, "mrtd", b, TDX_TDREPORT_OFF_MRTD, 48);
	hex_at(w, "mrconfigid", b, TDX_TDREPORT_OFF_MRCONFIGID, 48);
	hex_at(w, "mrowner", b, 624, 48);
	hex_at(w, "mrownerconfig", b, 672, 48);
	for (int i = 0; i < 4; i++)
		hex_at(w, rtmr[i], b, 720 + 48 * (size_t)i, 48);
	hex_at(w, "servtd_hash", b, 912, 48);
	/* The MAC needs the CPU's key; these two hashes anyone can check. */
	jw_kv_bool(w, "tee_tcb_info_hash_matches", hash_matches(b, 256, 495, b + 32));
	jw_kv_bool(w, "tee_info_hash_matches", hash_matches(b, 512, 1024, b + 80));
}
