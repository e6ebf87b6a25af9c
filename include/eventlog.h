/* The runtime event log: what cwinit did before the workload, as the
 * entries Confidential Containers' attestation agent writes for its AAEL
 * (TCG2 EV_EVENT_TAG entries with the "AAEL" tag), extended into TDX RTMR3
 * and sent as TDX evidence's cc_eventlog after the firmware's CCEL, so
 * Trustee's verifier can replay it against the quote.
 *
 * Byte layout (little-endian; guest-components attestation-agent
 * eventlog/tcg2.rs, Trustee deps/eventlog event_tag.rs): u32 MR index (4:
 * the CC measurement register RTMR3), u32 type 6 (EV_EVENT_TAG), u32
 * digest count 1, u16 algorithm 0x000C (SHA-384), 48-byte digest, u32 event
 * size, then the tagged event: u32 0x4141454C ("AAEL"), u32 text length,
 * the text "domain operation content". The digest, and what RTMR3 is
 * extended with, is SHA-384 of the tagged event (tag, length and text). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "err.h"

/* The boot's entries, for the workload and for `cwinit evidence get`. */
#define CW_EVENTLOG_FILE "/run/cwinit/eventlog"

#define EVENTLOG_SHA384 48
#define EVENTLOG_MR_RTMR3 4          /* CC MR index: 1..4 are RTMR0..3 */
#define EVENTLOG_TEXT_MAX 4096
#define EVENTLOG_MAX (256 * 1024)    /* every entry cwinit records */
#define EVENTLOG_CC_MAX (16 * 1024 * 1024 + EVENTLOG_MAX + 128)

/* One entry for "domain operation content" into *entry (malloc'd), with its
 * digest. The three parts must be printable ASCII or UTF-8 without control
 * characters, domain and operation without spaces, none empty. */
int eventlog_entry(const char *domain, const char *operation, const char *content,
		   uint8_t **entry, size_t *len, uint8_t digest[EVENTLOG_SHA384],
		   struct cw_err *err);

/* This process's entries, in order: cwinit's boot events, or those the
 * `cwinit evidence` command loaded from the boot's file. */
int eventlog_append(const uint8_t *entry, size_t len, struct cw_err *err);
const uint8_t *eventlog_entries(size_t *len);

/* The entries as a file (the workload's copy), and back (bounded). */
int eventlog_write_file(const char *path, struct cw_err *err);
int eventlog_load_file(const char *path, struct cw_err *err);

/* TDX evidence's cc_eventlog: the CCEL cut at its end (or, without one,
 * the 69-byte header guest-components sends: an EV_NO_ACTION spec-id event
 * naming SHA-384 and SM3), the entries, eight 0xFF bytes. *out is NULL
 * when there is neither a CCEL nor an entry. -EBADMSG when the CCEL has no
 * end marker or is malformed. */
int eventlog_cc(const uint8_t *ccel, size_t ccel_len, const uint8_t *entries, size_t entries_len,
		uint8_t **out, size_t *out_len, struct cw_err *err);

/* One event of a CC event log, as eventlog_parse reports it. */
struct cc_event {
	size_t offset;
	uint32_t mr;                 /* CC MR index */
	uint32_t type;
	bool has_sha384;
	uint8_t sha384[EVENTLOG_SHA384];
	const uint8_t *data;
	uint32_t data_len;
	const char *aael_text;       /* an AAEL tagged event's text (not NUL-terminated), or NULL */
	uint32_t aael_len;
};

/* Walks a CC event log: the spec-id event, then TCG_PCR_EVENT2 entries up
 * to an all-zero or all-0xFF u64 or the end. Calls fn for each entry after
 * the first (fn returns 0 to go on). *end gets the offset where the entries
 * end. -EBADMSG (err says where) for a malformed log. */
int eventlog_parse(const uint8_t *log, size_t len,
		   int (*fn)(const struct cc_event *e, void *ctx), void *ctx, size_t *end,
		   struct cw_err *err);

/* Whether the log's spec-id event names SHA-384 with 48-byte digests, as
 * entries appended to it must be read. 0, or -EBADMSG. */
int eventlog_names_sha384(const uint8_t *log, size_t len, struct cw_err *err);

/* Replays the SHA-384 digests of MR indexes 1..4 into rtmr[0..3] from zero,
 * as Trustee's verifier does. */
int eventlog_replay(const uint8_t *log, size_t len, uint8_t rtmr[4][EVENTLOG_SHA384],
		    struct cw_err *err);

struct jw;

/* For `cwinit evidence decode`: members "events" (each with offset, MR
 * index, type, SHA-384 digest, an AAEL event's text) and "rtmr0".."rtmr3"
 * (replayed, quote, match) of the open object; quote_rtmr is the quote's
 * four registers back to back. log is a CC event log or cwinit's entries
 * alone (then read behind the header a log without a CCEL gets). *match is
 * true when all four registers match. */
int eventlog_describe(struct jw *w, const uint8_t *log, size_t len, const uint8_t *quote_rtmr,
		      bool *match, struct cw_err *err);

/* TDX runtime measurement registers through sysfs (Linux 6.16 and later). */
#define RTMR_SYSFS "/sys/devices/virtual/misc/tdx_guest/measurements"

/* 1 when the kernel offers RTMR extension, 0 when not. */
int rtmr_available(void);

/* Extends RTMRn with a 48-byte digest: one write of exactly 48 bytes. */
int rtmr_extend(unsigned n, const uint8_t digest[EVENTLOG_SHA384], struct cw_err *err);
