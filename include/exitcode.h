/* cwinit's own exit codes. The README's table is generated from the same
 * list (tests/unit/test_exitcode.c checks they agree). Workload statuses
 * pass through unchanged: 0-125 as the workload exited, 126/127 when its
 * entrypoint could not be executed, 128+N when signal N killed it. */
#pragma once

enum cw_exit {
	CW_EXIT_NOT_EXECUTABLE = 126, /* entrypoint found but exec failed */
	CW_EXIT_NOT_FOUND = 127,      /* entrypoint not found */
	CW_EXIT_SECRETS = 238,        /* a workload secret could not be delivered */
	CW_EXIT_DISK_POLICY = 239,    /* a LUKS header the disk policy refuses */
	CW_EXIT_INTERNAL = 240,       /* cwinit bug or resource exhaustion */
	CW_EXIT_SETUP = 241,          /* early setup: mounts, console */
	CW_EXIT_CONFIG = 242,         /* configuration invalid */
	CW_EXIT_MODULE = 243,         /* a kernel module failed to load */
	CW_EXIT_NETWORK = 244,        /* network setup failed */
	CW_EXIT_EVIDENCE = 245,       /* the TEE gave no evidence */
	CW_EXIT_BROKER_UNREACHABLE = 246, /* broker did not answer in time */
	CW_EXIT_BROKER_DENIED = 247,  /* broker refused (auth, attest, resource) */
	CW_EXIT_BROKER_ANSWER = 248,  /* broker answer malformed or undecryptable */
	CW_EXIT_ROOT_NOT_FOUND = 249, /* no root device */
	CW_EXIT_UNLOCK = 250,         /* LUKS header invalid or unusable */
	CW_EXIT_WRONG_KEY = 251,      /* passphrase does not open the disk */
	CW_EXIT_MOUNT = 252,          /* filesystem unknown or mount failed */
	CW_EXIT_SWITCH_ROOT = 253,    /* switching into the new root failed */
	CW_EXIT_WORKLOAD_CONFIG = 254,/* /.krun_config.json missing or invalid, user unknown */
};

struct cw_exit_info {
	int code;
	const char *reason; /* stable, machine-readable name for the status line */
	const char *meaning;/* one line for the README table */
	const char *check;  /* what the user should check, for the failure line */
};

/* The full table, terminated by an entry with reason == NULL. */
extern const struct cw_exit_info cw_exit_table[];

/* The entry for code, or NULL when code is not one of cwinit's own. */
const struct cw_exit_info *cw_exit_lookup(int code);
