/* The one table of cwinit's own exit codes (see include/exitcode.h). */
#include <stddef.h>
#include "exitcode.h"

const struct cw_exit_info cw_exit_table[] = {
	{ CW_EXIT_NOT_EXECUTABLE, "not-executable", "the entrypoint exists but could not be executed",
	  "the entrypoint's mode and interpreter in the image" },
	{ CW_EXIT_NOT_FOUND, "not-found", "the entrypoint was not found",
	  "Entrypoint/Cmd and PATH in the image config" },
	{ CW_EXIT_SECRETS, "secrets", "a secret for the workload could not be delivered: too large, not UTF-8 for the environment, no token from the broker, or writing /run/secrets failed",
	  "the secret's size and type against its entry (file or env) in /etc/cwinit.json or the image's /etc/cwinit/secrets.json" },
	{ CW_EXIT_DISK_POLICY, "disk-policy", "a disk's LUKS header is not allowed by the disk policy (a cipher, key size, segment, flag or UUID the measured configuration does not allow)",
	  "that the disk was made with an allowed cipher (luks_ciphers, default aes-xts-plain64 with a 256- or 512-bit key) and that nobody rewrote its header" },
	{ CW_EXIT_INTERNAL, "internal", "cwinit failed internally (out of memory, a bug)",
	  "the guest memory size; report this as a bug" },
	{ CW_EXIT_SETUP, "setup", "early setup failed (mounting /dev, /proc, /sys, the console)",
	  "that the kernel has devtmpfs, proc and sysfs" },
	{ CW_EXIT_CONFIG, "config", "the configuration is invalid (file, command line or disk footer)",
	  "/etc/cwinit.json in the initramfs, the cwinit.* kernel arguments and the disk footer" },
	{ CW_EXIT_MODULE, "module", "a configured kernel module could not be loaded",
	  "that the module matches the kernel and that its dependencies come first" },
	{ CW_EXIT_NETWORK, "network", "the network interface could not be configured",
	  "net_interface, net_address and that the NIC driver is loaded" },
	{ CW_EXIT_EVIDENCE, "evidence", "no TEE evidence: no TEE present, the TEE device failed, or the evidence lacks the init_data digest",
	  "that the VM runs in a TEE and the guest driver is loaded (tee=sample is for tests only), and that the host launched it with this init_data" },
	{ CW_EXIT_BROKER_UNREACHABLE, "broker-unreachable", "the key broker did not answer before the deadline, its name could not be looked up, or its TLS certificate did not verify",
	  "broker_url, ca_file, net_hosts or net_dns for a broker named by host name, the network path to the broker, and the broker's log" },
	{ CW_EXIT_BROKER_DENIED, "broker-denied", "the key broker refused the evidence or the resource",
	  "the broker's policy, reference values and resource path" },
	{ CW_EXIT_BROKER_ANSWER, "broker-answer", "the key broker's answer was malformed or could not be decrypted",
	  "that broker_url points at a broker of the configured kbs_protocol (Trustee KBS 0.4.0 or reference-kbs)" },
	{ CW_EXIT_ROOT_NOT_FOUND, "root-not-found", "the root device was not found",
	  "root, the disk attached to the VM, and its driver module" },
	{ CW_EXIT_UNLOCK, "unlock", "the root device has no usable LUKS header or could not be activated",
	  "that the root device holds an intact LUKS1/LUKS2 header, and dm-crypt is available" },
	{ CW_EXIT_WRONG_KEY, "wrong-key", "the key from the broker does not open the root device",
	  "that the broker resource holds this disk's passphrase" },
	{ CW_EXIT_MOUNT, "mount", "the root filesystem could not be detected or mounted",
	  "fstype, mount_options and that the filesystem driver is loaded" },
	{ CW_EXIT_SWITCH_ROOT, "switch-root", "switching into the new root failed",
	  "that the root filesystem is intact" },
	{ CW_EXIT_WORKLOAD_CONFIG, "workload-config", "/.krun_config.json is missing or invalid, or its User is unknown",
	  "/.krun_config.json in the root filesystem and /etc/passwd, /etc/group for User" },
	{ 0, NULL, NULL, NULL },
};

const struct cw_exit_info *cw_exit_lookup(int code)
{
	for (const struct cw_exit_info *e = cw_exit_table; e->reason; e++)
		if (e->code == code)
			return e;
	return NULL;
}
