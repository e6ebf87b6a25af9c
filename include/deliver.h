/* Handing the workload its secrets (init/deliver.c). */
#pragma once
#include <stdbool.h>
#include "config.h"
#include "pid1.h"
#include "secrets.h"
#include "workload.h"

struct delivery {
	struct cw_secrets list;                  /* the platform's, then the image's */
	struct secret *values[CW_MAX_SECRETS];   /* environment secrets, by list index */
};

/* After the root (and volumes) are mounted at CW_NEWROOT: reads the image's
 * list, fetches every secret in the boot's broker session, writes the file
 * secrets (owned by ids) to the tmpfs at /run/secrets (mounted here, noted in
 * root for teardown) and keeps the environment ones in d. Fatal on any
 * failure but an optional secret the broker refuses or lacks. */
void secrets_deliver(const struct cw_config *c, bool reference, const struct user_ids *ids,
		     struct root_state *root, struct delivery *d);

/* Wipes the environment values. */
void secrets_delivery_free(struct delivery *d);
