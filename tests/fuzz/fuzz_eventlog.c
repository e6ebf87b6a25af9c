/* A CC event log: the firmware's CCEL (the host fills the ACPI table) or a
 * cc_eventlog handed to `cwinit evidence decode`. Parsed, replayed, and
 * used as the CCEL in front of an entry of cwinit's, as TDX evidence does. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "eventlog.h"
#include "fuzz.h"

static int check_event(const struct cc_event *e, void *ctx)
{
	size_t len = *(size_t *)ctx;

	FUZZ_CHECK(e->offset < len && e->data_len <= len);
	FUZZ_CHECK(!e->aael_text || e->aael_len + 8 == e->data_len);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_err err = { { 0 } };
	uint8_t rtmr[4][EVENTLOG_SHA384], d[EVENTLOG_SHA384], *entry = NULL, *cc = NULL;
	size_t end = 0, elen, cclen, ccend = 0;
	int r = eventlog_parse(data, size, check_event, &size, &end, &err);

	FUZZ_CHECK(r == 0 || r == -EBADMSG);
	fuzz_check_msg(err.msg, sizeof(err.msg));
	FUZZ_CHECK(r < 0 || end <= size);
	FUZZ_CHECK(eventlog_replay(data, size, rtmr, &err) == r);
	if (eventlog_entry("cwinit", "Test", "{}", &entry, &elen, d, &err) < 0)
		abort();
	r = eventlog_cc(data, size, entry, elen, &cc, &cclen, &err);
	FUZZ_CHECK(r == 0 || r == -EBADMSG || r == -EFBIG);
	if (r == 0) {
		/* What comes out parses again, ends after our entry, and its RTMR3 is ours. */
		FUZZ_CHECK(eventlog_parse(cc, cclen, NULL, NULL, &ccend, &err) == 0);
		FUZZ_CHECK(ccend == cclen - 8 && !memcmp(cc + cclen - 8 - elen, entry, elen));
	}
	free(cc);
	free(entry);
	return 0;
}
