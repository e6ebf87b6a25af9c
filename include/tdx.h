/* Intel TDX quotes (v4, v5) and TDREPORTs: layout checks and decoding
 * (pure functions over byte buffers), plus the guest's TDREPORT ioctl.
 * Layout: ../shared/docs/tee-interfaces.md section 2. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "err.h"
#include "jsonw.h"

#define TDX_GUEST_DEVICE "/dev/tdx_guest"
#define TDX_REPORT_DATA_SIZE 64
#define TDX_TDREPORT_SIZE 1024
#define TDX_TDREPORT_TYPE 0x81
#define TDX_TDREPORT_OFF_REPORTDATA 128
#define TDX_TDREPORT_OFF_MRTD 528
#define TDX_TDREPORT_OFF_MRCONFIGID 576
#define TDX_QUOTE_HEADER 48
#define TDX_BODY_OFF_MRTD 136
#define TDX_BODY_OFF_MRCONFIGID 184 /* in the TD report body, after MRTD */
#define TDX_MRCONFIGID_SIZE 48
#define TDX_BODY_OFF_RTMR0 328      /* RTMR0..3, 48 bytes each */
#define TDX_BODY_OFF_REPORT_DATA 520

struct tdx_quote {
	uint16_t version;    /* 4 or 5 */
	uint16_t body_type;  /* 2 = TDX 1.0 (584 bytes), 3 = TDX 1.5 (648 bytes) */
	size_t body_off;
	size_t body_len;
	uint32_t sig_len;    /* signature data length */
	size_t len;          /* the whole quote; trailing bytes after it are not part of it */
};

/* Checks a quote and finds its real length (a configfs outblob may carry
 * padding after it). Errors name the offset: "offset 0x0: quote version 3
 * is not supported". */
int tdx_quote_parse(const uint8_t *b, size_t len, struct tdx_quote *q, struct cw_err *err);

static inline const uint8_t *tdx_quote_report_data(const uint8_t *b, const struct tdx_quote *q)
{
	return b + q->body_off + TDX_BODY_OFF_REPORT_DATA;
}

/* Header, body and signature-data fields as members of the open object. */
void tdx_quote_describe(const uint8_t *b, const struct tdx_quote *q, struct jw *w);

/* 1024 bytes with report type 0x81 at offset 0. */
int tdx_tdreport_check(const uint8_t *b, size_t len, struct cw_err *err);

/* Every TDREPORT field, and whether its two hashes match the bytes they
 * cover (SHA-384 of TEE_TCB_INFO and of TDINFO). */
void tdx_tdreport_describe(const uint8_t b[TDX_TDREPORT_SIZE], struct jw *w);

/* TDX_CMD_GET_REPORT0 on dev (normally /dev/tdx_guest): the TDREPORT
 * binding report_data. */
int tdx_get_tdreport(const char *dev, const uint8_t report_data[TDX_REPORT_DATA_SIZE],
		     uint8_t out[TDX_TDREPORT_SIZE], struct cw_err *err);

/* The Trustee `tdx` evidence {"cc_eventlog":<base64>|null,"quote":"<base64>"}. */
int tdx_evidence_json(const uint8_t *quote, size_t quote_len, const uint8_t *eventlog,
		      size_t eventlog_len, char **out, struct cw_err *err);
