/* Decoding any evidence cwinit knows into one JSON document for people:
 * a raw SNP report (binary or hex text), Trustee `snp` or `tdx` evidence
 * JSON, a TDX quote (v4, v5, trailing bytes allowed) or a TDREPORT. Pure
 * function over bytes (no I/O), shared by `cwinit evidence decode` and the
 * fuzz targets. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "err.h"

#define EVIDENCE_INPUT_MAX (32 * 1024 * 1024)

enum evidence_signature {
	EVIDENCE_SIG_UNCHECKED = 0, /* no certificate, or not an SNP report */
	EVIDENCE_SIG_VERIFIED = 1,
	EVIDENCE_SIG_FAILED = -1,
};

enum evidence_replay {
	EVIDENCE_REPLAY_NONE = 0,      /* no event log */
	EVIDENCE_REPLAY_MATCH = 1,     /* RTMR0-3 replayed to the quote's */
	EVIDENCE_REPLAY_MISMATCH = -1,
};

struct evidence_decoded {
	char *json;                        /* pretty JSON, malloc'd */
	enum evidence_signature signature; /* SNP only */
	enum evidence_replay replay;       /* TDX with an event log */
	char signature_msg[sizeof(((struct cw_err *)0)->msg)]; /* why it failed */
};

/* Decodes in[0..len). cert (DER or PEM, may be NULL) is the VCEK/VLEK to
 * check an SNP signature with; without it the VCEK/VLEK inside Trustee
 * evidence is used when present. A TDX quote's RTMRs are compared with the
 * replay of eventlog (a CC event log, or cwinit's entries alone; may be
 * NULL) or of the cc_eventlog inside Trustee tdx evidence. Malformed input returns -EINVAL with
 * err "offset 0x..: reason" or "JSON: field reason"; a signature that
 * does not verify is not an error but reported in out. */
int evidence_decode(const uint8_t *in, size_t len, const uint8_t *cert, size_t cert_len,
		    const uint8_t *eventlog, size_t eventlog_len,
		    struct evidence_decoded *out, struct cw_err *err);

void evidence_decoded_free(struct evidence_decoded *d);
