/* The key broker for this boot (init/keys.c): the root's passphrase, the
 * volumes' keys and the workload's secrets, in one attested session. */
#pragma once
#include <stdbool.h>
#include "config.h"
#include "kbs.h"
#include "secret.h"

/* The exit code for a broker failure of that class. */
int keys_exit_code(enum kbs_failure f);

/* reference-kbs: the workload's key, bound to a raw SNP report. Fatal on
 * failure. */
struct secret *keys_reference_passphrase(const struct cw_config *c);

/* A Trustee resource in the boot's attested session (opened, with auth and
 * attest, at the first call). Returns 0 with *out; with optional, -ENOENT
 * (one warning line) when the broker refuses or lacks it. Every other
 * failure is fatal. */
int keys_fetch(const struct cw_config *c, const char *resource, bool optional,
	       struct secret **out);

/* The session's attestation token, NULL without one. */
const struct secret *keys_token(void);

/* Records the runtime events of the broker: the init-data sent (its
 * SHA-384) and the broker with every resource fetched. */
void keys_measure(const struct cw_config *c);

/* Ends the session: connection closed, cookie and token wiped. */
void keys_close(void);
