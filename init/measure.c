/* Measuring what runs: the boot's runtime events (include/eventlog.h).
 *
 * A launch measurement covers the firmware, kernel, initramfs and command
 * line, not the disk: any attestation made later in this VM (by the
 * workload, a sidecar, cwinit evidence get) would look the same whatever
 * root was unlocked. So before the workload starts cwinit records, in
 * order, each disk it unlocked (LUKS UUID and the SHA-384 of the header
 * copy it checked), the SHA-384 of the workload configuration and of the
 * init-data it sent, the broker and resources it used, and a separator; on
 * a failure before exec a separator naming it. On TDX each event extends
 * RTMR3 as it happens (Linux 6.16+ sysfs) and the log goes after the
 * firmware's CCEL in cc_eventlog, so a broker's policy can release later
 * secrets only to the workload the owner meant. SEV-SNP has no runtime
 * registers without an SVSM vTPM: the events are logged for the workload
 * only.
 *
 * Event texts are "cwinit <Operation> <JCS JSON>": Trustee splits an AAEL
 * text at its first two spaces, and JCS (RFC 8785) is the content form
 * Confidential Containers' own events use. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include "eventlog.h"
#include "exitcode.h"
#include "jcs.h"
#include "log.h"
#include "measure.h"
#include "pid1.h"
#include "util.h"

#define DOMAIN "cwinit"

static enum { UNDECIDED, EXTEND, LOG_ONLY, STOPPED } mode;
static bool required;
static unsigned events;
static uint64_t spent_us; /* in record(): what the measurement costs the boot */

/* Whether the registers can be extended (at measure_init). */
static void decide(void)
{
	struct cw_err err = { "" };

	if (rtmr_available()) {
		mode = EXTEND;
		return;
	}
	mode = LOG_ONLY;
	if (required) {
		cw_err_set(&err, ENODEV, "runtime_measurement is required, and this guest offers no "
			   "RTMR to extend (%s: a TDX guest on Linux 6.16 or later)", RTMR_SYSFS);
		boot_fail(CW_EXIT_EVIDENCE, "runtime measurement", &err);
	}
	if (access("/sys/devices/virtual/misc/tdx_guest", F_OK) == 0)
		log_warn("runtime measurement: this kernel has no RTMR sysfs files (%s, Linux 6.16 "
			 "and later); the events are logged but RTMR3 is not extended", RTMR_SYSFS);
	else
		log_info("runtime measurement: no runtime registers here (not a TDX guest); the "
			 "events are logged for the workload only");
}

/* An event that could not be recorded stops measuring (or the boot, when
 * required): a log that no longer replays is worse than none. */
static void stop(const char *operation, int r, struct cw_err *err)
{
	cw_err_prefix(err, r, "runtime event %s", operation);
	if (required)
		boot_fail(CW_EXIT_EVIDENCE, "runtime measurement", err);
	log_warn("%s; runtime measurement stops here", err->msg);
	mode = STOPPED;
}

/* One event: extend first, then log, so the log never holds what the
 * register lacks. */
static void record(const char *operation, const cJSON *content)
{
	struct cw_err err = { "" };
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ uint8_t *entry = NULL;
	uint8_t digest[EVENTLOG_SHA384];
	uint64_t t = monotonic_us();
	size_t len, n;
	int r;

	if (mode == UNDECIDED || mode == STOPPED)
		return;
	r = jcs_serialize(content, &text, &n, &err);
	if (r == 0)
		r = eventlog_entry(DOMAIN, operation, text, &entry, &len, digest, &err);
	if (r == 0 && mode == EXTEND)
		r = rtmr_extend(3, digest, &err);
	if (r == 0)
		r = eventlog_append(entry, len, &err);
	spent_us += monotonic_us() - t;
	if (r == 0)
		events++;
	else
		stop(operation, r, &err);
}

void measure_init(const struct cw_config *c)
{
	required = !strcmp(c->runtime_measurement, "required");
	decide();
}

static void add_hex(cJSON *o, const char *name, const uint8_t *b, size_t n)
{
	char h[2 * EVENTLOG_SHA384 + 1];

	for (size_t i = 0; i < n && i < EVENTLOG_SHA384; i++)
		snprintf(h + 2 * i, 3, "%02x", b[i]);
	cJSON_AddStringToObject(o, name, h);
}

void measure_disk(const char *mount_point, const char *uuid,
		  const uint8_t header_sha384[EVENTLOG_SHA384])
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "mount_point", mount_point);
	cJSON_AddStringToObject(o, "uuid", uuid);
	add_hex(o, "header_sha384", header_sha384, EVENTLOG_SHA384);
	record("UnlockDisk", o);
	cJSON_Delete(o);
}

void measure_bytes(const char *operation, const char *name, const void *data, size_t len)
{
	cJSON *o;
	uint8_t d[EVENTLOG_SHA384];
	unsigned int n = 0;

	if (mode == UNDECIDED || mode == STOPPED)
		return;
	if (!EVP_Digest(data, len, d, &n, EVP_sha384(), NULL) || n != sizeof(d)) {
		struct cw_err err = { "" };
		stop(operation, cw_err_set(&err, EIO, "SHA-384 failed"), &err);
		return;
	}
	o = cJSON_CreateObject();
	if (name)
		cJSON_AddStringToObject(o, "path", name);
	add_hex(o, "sha384", d, sizeof(d));
	record(operation, o);
	cJSON_Delete(o);
}

void measure_broker(const char *url, const char *protocol, const char *const *resources,
		    size_t n)
{
	cJSON *o = cJSON_CreateObject(), *list = cJSON_AddArrayToObject(o, "resources");

	cJSON_AddStringToObject(o, "url", url);
	cJSON_AddStringToObject(o, "protocol", protocol);
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(list, cJSON_CreateString(resources[i]));
	record("Broker", o);
	cJSON_Delete(o);
}

int measure_finish(void)
{
	struct cw_err err = { "" };
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "state", "workload-start");
	record("Separator", o);
	cJSON_Delete(o);
	log_info("runtime measurement: %u events %s in %llu.%03llu ms", events,
		 mode == EXTEND ? "extended into RTMR3 and logged" : "logged",
		 (unsigned long long)(spent_us / 1000), (unsigned long long)(spent_us % 1000));
	/* The workload's copy, in /run (the moved initramfs tmpfs). */
	if (mkdir("/run/cwinit", 0755) < 0 && errno != EEXIST)
		return cw_err_set(&err, errno, "mkdir /run/cwinit");
	if (eventlog_write_file(CW_EVENTLOG_FILE, &err) < 0) {
		log_warn("runtime events: %s", err.msg);
		return -EIO;
	}
	return 0;
}

void measure_failure(int status, const char *reason)
{
	cJSON *o;

	/* Before measure_init (early setup, modules) nothing was measured yet. */
	if (mode == UNDECIDED || mode == STOPPED)
		return;
	o = cJSON_CreateObject();
	/* Already on the fatal path: a failure here is only a warning. */
	required = false;
	cJSON_AddStringToObject(o, "state", "failed");
	cJSON_AddNumberToObject(o, "status", status);
	cJSON_AddStringToObject(o, "reason", reason);
	record("Separator", o);
	cJSON_Delete(o);
}
