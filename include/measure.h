/* The boot's runtime measurements (init/measure.c): events recorded in
 * order, extended into TDX RTMR3 where the kernel allows, and logged. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "config.h"
#include "eventlog.h"

/* Takes runtime_measurement (auto or required) from the configuration and
 * decides, once the TEE drivers are loaded, whether RTMR3 can be extended:
 * fatal when it cannot and the configuration requires it, one warning on a
 * TDX kernel without the interface, one info line elsewhere. */
void measure_init(const struct cw_config *c);

/* A disk cwinit unlocked: where it is mounted, its LUKS UUID and the
 * SHA-384 of the header metadata that was checked. */
void measure_disk(const char *mount_point, const char *uuid,
		  const uint8_t header_sha384[EVENTLOG_SHA384]);

/* The SHA-384 of some bytes (the workload configuration, the init-data
 * sent), with the path they came from (or NULL). */
void measure_bytes(const char *operation, const char *name, const void *data, size_t len);

/* The broker and every resource fetched from it. */
void measure_broker(const char *url, const char *protocol, const char *const *resources,
		    size_t n);

/* The separator before the workload starts, then the log as the workload's
 * file CW_EVENTLOG_FILE. -EIO (warned) when the file could not be written. */
int measure_finish(void);

/* The separator that names a failure before the workload (from boot_fail). */
void measure_failure(int status, const char *reason);
