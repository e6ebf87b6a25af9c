/* Console logging. Every line starts with "cwinit: " and the time since
 * boot, so a user can read where boot time goes. Never log a secret. */
#pragma once
#include <stdint.h>

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line per completed stage: its duration and the time since boot,
 * "cwinit: [  1234 ms] stage attest done in 812 ms". */
void log_stage(const char *stage, uint64_t started_ms);
