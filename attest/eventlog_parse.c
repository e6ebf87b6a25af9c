/* Reading a CC event log (the firmware's CCEL, then AAEL entries), as
 * Trustee's verifier reads it (deps/eventlog/src/lib.rs): the first event
 * in the SHA-1 TCG_PCR_EVENT form, whose EV_NO_ACTION spec-id data names
 * the digest sizes, then TCG_PCR_EVENT2 entries until a u64 of all zeros or
 * all ones at an entry boundary, or the end. The input is hostile (the
 * firmware's table is the host's to fill, a decoded file anybody's): every
 * length is checked against what is left. */
#include <errno.h>
#include <string.h>
#include <openssl/evp.h>
#include "eventlog.h"
#include "jsonw.h"
#include "util.h"

#define EV_NO_ACTION 3
#define EV_EVENT_TAG 6
#define MAX_ALGS 8
#define AAEL_TAG 0x4141454Cu

struct algs {
	uint16_t id[MAX_ALGS];
	uint16_t size[MAX_ALGS];
	unsigned n;
};

static int bad(struct cw_err *err, size_t off, const char *why)
{
	return cw_err_set(err, EBADMSG, "event log offset 0x%zx: %s", off, why);
}

/* The spec-id event: its digest sizes. */
static int first_event(const uint8_t *log, size_t len, struct algs *a, size_t *next,
		       struct cw_err *err)
{
	uint32_t type, size, n;
	const uint8_t *d;

	if (len < 32)
		return bad(err, 0, "shorter than its first event");
	type = le32(log + 4);
	size = le32(log + 28);
	if (size > len - 32)
		return bad(err, 28, "the first event's data runs past the end");
	if (type != EV_NO_ACTION || size < 28)
		return bad(err, 4, "the first event is not a spec-id EV_NO_ACTION event");
	d = log + 32;
	n = le32(d + 24);
	if (n == 0 || n > MAX_ALGS || 28 + 4 * (size_t)n > size)
		return bad(err, 32 + 24, "spec-id event: bad number of algorithms");
	a->n = n;
	for (uint32_t i = 0; i < n; i++) {
		a->id[i] = le16(d + 28 + 4 * i);
		a->size[i] = le16(d + 30 + 4 * i);
		if (a->size[i] == 0 || a->size[i] > 64)
			return bad(err, 32 + 30 + 4 * i, "spec-id event: bad digest size");
		for (uint32_t k = 0; k < i; k++)
			if (a->id[k] == a->id[i])
				return bad(err, 32 + 28 + 4 * i, "spec-id event: an algorithm named twice");
	}
	*next = 32 + size;
	return 0;
}

int eventlog_names_sha384(const uint8_t *log, size_t len, struct cw_err *err)
{
	struct algs a;
	size_t next;
	int r = first_event(log, len, &a, &next, err);

	if (r < 0)
		return r;
	for (unsigned i = 0; i < a.n; i++)
		if (a.id[i] == 0x000C && a.size[i] == EVENTLOG_SHA384)
			return 0;
	return bad(err, 32, "the spec-id event does not name SHA-384 with 48-byte digests");
}

int eventlog_parse(const uint8_t *log, size_t len,
		   int (*fn)(const struct cc_event *e, void *ctx), void *ctx, size_t *end,
		   struct cw_err *err)
{
	struct algs a;
	size_t off;
	int r = first_event(log, len, &a, &off, err);

	if (r < 0)
		return r;
	while (off < len) {
		struct cc_event e = { .offset = off };
		uint32_t count;
		size_t p;

		if (len - off >= 8) {
			uint64_t flag = le64(log + off);
			if (flag == 0 || flag == UINT64_MAX)
				break;
		}
		if (len - off < 12)
			return bad(err, off, "an entry is cut short");
		e.mr = le32(log + off);
		e.type = le32(log + off + 4);
		count = le32(log + off + 8);
		if (count == 0 || count > MAX_ALGS)
			return bad(err, off + 8, "bad digest count");
		p = off + 12;
		for (uint32_t i = 0; i < count; i++) {
			unsigned k;
			uint16_t id;

			if (len - p < 2)
				return bad(err, p, "a digest is cut short");
			id = le16(log + p);
			for (k = 0; k < a.n && a.id[k] != id; k++)
				;
			if (k == a.n)
				return bad(err, p, "a digest algorithm the spec-id event does not name");
			if (len - p - 2 < a.size[k])
				return bad(err, p, "a digest is cut short");
			if (id == 0x000C && a.size[k] == EVENTLOG_SHA384) {
				e.has_sha384 = true;
				memcpy(e.sha384, log + p + 2, EVENTLOG_SHA384);
			}
			p += 2 + a.size[k];
		}
		if (len - p < 4)
			return bad(err, p, "an entry's data size is cut short");
		e.data_len = le32(log + p);
		p += 4;
		if (e.data_len > len - p)
			return bad(err, p - 4, "an entry's data runs past the end");
		e.data = log + p;
		if (e.type == EV_EVENT_TAG && e.data_len >= 8 && le32(e.data) == AAEL_TAG) {
			if (le32(e.data + 4) != e.data_len - 8)
				return bad(err, p + 4, "an AAEL event's text length does not fit");
			e.aael_text = (const char *)e.data + 8;
			e.aael_len = e.data_len - 8;
		}
		if (fn && (r = fn(&e, ctx)) != 0)
			return r;
		off = p + e.data_len;
	}
	*end = off;
	return 0;
}

static int replay_one(const struct cc_event *e, void *ctx)
{
	uint8_t (*rtmr)[EVENTLOG_SHA384] = ctx;
	uint8_t buf[2 * EVENTLOG_SHA384];
	unsigned int n = 0;

	if (e->mr < 1 || e->mr > 4 || !e->has_sha384)
		return 0;
	memcpy(buf, rtmr[e->mr - 1], EVENTLOG_SHA384);
	memcpy(buf + EVENTLOG_SHA384, e->sha384, EVENTLOG_SHA384);
	return EVP_Digest(buf, sizeof(buf), rtmr[e->mr - 1], &n, EVP_sha384(), NULL) ? 0 : -EIO;
}

static int describe_one(const struct cc_event *e, void *ctx)
{
	struct jw *w = ctx;

	jw_object(w);
	jw_kv_u64(w, "offset", e->offset);
	jw_kv_u64(w, "mr_index", e->mr);
	jw_kv_u64(w, "type", e->type);
	if (e->has_sha384)
		jw_kv_hex(w, "sha384", e->sha384, EVENTLOG_SHA384);
	if (e->aael_text) {
		size_t i = 0;
		/* JSON text needs UTF-8; other bytes are shown as absent. */
		while (i < e->aael_len) {
			size_t k = utf8_seq((const unsigned char *)e->aael_text + i, e->aael_len - i, NULL);
			if (!k || e->aael_text[i] == '\0')
				break;
			i += k;
		}
		jw_key(w, "aael");
		if (i == e->aael_len)
			jw_strn(w, e->aael_text, e->aael_len);
		else
			jw_null(w);
	}
	jw_end(w);
	return 0;
}

int eventlog_describe(struct jw *w, const uint8_t *log, size_t len, const uint8_t *quote_rtmr,
		      bool *match, struct cw_err *err)
{
	_cleanup_free_ uint8_t *wrapped = NULL;
	uint8_t rtmr[4][EVENTLOG_SHA384];
	size_t end;
	int r;

	/* cwinit's entries alone (their first u32 is an MR index, not the
	 * spec-id event's 0): behind the header a log without a CCEL gets. */
	if (len >= 8 && le32(log + 4) != EV_NO_ACTION) {
		if ((r = eventlog_cc(NULL, 0, log, len, &wrapped, &len, err)) < 0)
			return r;
		log = wrapped;
	}
	if ((r = eventlog_replay(log, len, rtmr, err)) < 0)
		return r;
	jw_key(w, "events");
	jw_array(w);
	r = eventlog_parse(log, len, describe_one, w, &end, err);
	jw_end(w);
	*match = true;
	for (int i = 0; i < 4; i++) {
		static const char *const names[] = { "rtmr0", "rtmr1", "rtmr2", "rtmr3" };
		bool same = memcmp(rtmr[i], quote_rtmr + EVENTLOG_SHA384 * i, EVENTLOG_SHA384) == 0;

		jw_key(w, names[i]);
		jw_object(w);
		jw_kv_hex(w, "replayed", rtmr[i], EVENTLOG_SHA384);
		jw_kv_hex(w, "quote", quote_rtmr + EVENTLOG_SHA384 * i, EVENTLOG_SHA384);
		jw_kv_bool(w, "match", same);
		jw_end(w);
		*match &= same;
	}
	return r;
}

int eventlog_replay(const uint8_t *log, size_t len, uint8_t rtmr[4][EVENTLOG_SHA384],
		    struct cw_err *err)
{
	size_t end;

	memset(rtmr, 0, 4 * EVENTLOG_SHA384);
	return eventlog_parse(log, len, replay_one, rtmr, &end, err);
}
