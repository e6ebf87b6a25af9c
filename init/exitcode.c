/* The one table of cwinit's own exit codes (see include/exitcode.h). */
#include <stddef.h>
#include "exitcode.h"

const struct cw_exit_info cw_exit_table[] = {
	{ CW_EXIT_NOT_EXECUTABLE, "not-executable", "the entrypoint exists but could not be executed" },
	{ CW_EXIT_NOT_FOUND, "not-found", "the entrypoint was not found" },
	{ CW_EXIT_INTERNAL, "internal", "cwinit failed internally (out of memory, a bug)" },
	{ CW_EXIT_SETUP, "setup", "early setup failed (mounting /dev, /proc, /sys, the console)" },
	{ CW_EXIT_CONFIG, "config", "the configuration is invalid (file, command line or disk footer)" },
	{ CW_EXIT_MODULE, "module", "a configured kernel module could not be loaded" },
	{ CW_EXIT_NETWORK, "network", "the network interface could not be configured" },
	{ CW_EXIT_EVIDENCE, "evidence", "no TEE evidence: no TEE present, or the TEE device failed" },
	{ CW_EXIT_BROKER_UNREACHABLE, "broker-unreachable", "the key broker did not answer before the deadline" },
	{ CW_EXIT_BROKER_DENIED, "broker-denied", "the key broker refused the evidence or the resource" },
	{ CW_EXIT_BROKER_ANSWER, "broker-answer", "the key broker's answer was malformed or could not be decrypted" },
	{ CW_EXIT_ROOT_NOT_FOUND, "root-not-found", "the root device was not found" },
	{ CW_EXIT_UNLOCK, "unlock", "the root device has no usable LUKS header or could not be activated" },
	{ CW_EXIT_WRONG_KEY, "wrong-key", "the key from the broker does not open the root device" },
	{ CW_EXIT_MOUNT, "mount", "the root filesystem could not be detected or mounted" },
	{ CW_EXIT_SWITCH_ROOT, "switch-root", "switching into the new root failed" },
	{ CW_EXIT_WORKLOAD_CONFIG, "workload-config", "/.krun_config.json is missing or invalid, or its User is unknown" },
	{ 0, NULL, NULL },
};

const struct cw_exit_info *cw_exit_lookup(int code)
{
	for (const struct cw_exit_info *e = cw_exit_table; e->reason; e++)
		if (e->code == code)
			return e;
	return NULL;
}
