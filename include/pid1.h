/* Supervising the workload and ending the VM. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "config.h"
#include "err.h"
#include "volumes.h"

/* Blocks every signal in PID 1 and returns a signalfd reading them all. */
int signals_init(struct cw_err *err);

/* Discards signals that arrived before the workload existed. */
void signals_drain(int sfd);

/* Forwards signals to main_pid, SIGTERM as stop_signal (the workload's
 * StopSignal, 0 = SIGTERM), and reaps every child (orphans too) until
 * main_pid exits; returns its wait status. */
int supervise(int sfd, pid_t main_pid, int stop_signal);

/* The status a wait status reports: the exit code, or 128+N for signal N.
 * reason gets "workload" or "signal:<NAME>". */
int exit_status_of(int wstatus, char *reason, size_t len);

/* TERM to every process left (never the StopSignal), a grace period
 * while reaping, KILL, reap. */
void kill_all_processes(int sfd, uint32_t grace_ms);

/* What the root disk looks like now, so teardown knows what to undo. */
struct root_state {
	char mapper[64];
	bool mapped;        /* /dev/mapper/<mapper> is active */
	bool mounted;       /* mounted at CW_NEWROOT, not yet switched into */
	bool switched;      /* the mapped device is our root */
	int initramfs_fd;   /* the initramfs root, kept to step back out at shutdown */
	struct volume_state volumes[CW_MAX_VOLUMES]; /* opened after the root, in order */
	unsigned n_volumes;
	bool secrets_mounted; /* the tmpfs at /run/secrets (moved along at the switch) */
};

#define CW_NEWROOT "/newroot"

/* Syncs, unmounts the volumes (in reverse order) and the root, closes the
 * volumes' dm-crypt mappings and then the root's, and reports any mapping
 * left. Warns, never fails: it runs on the way out. */
void teardown_root(struct root_state *st);

/* The fatal path before the workload (init/main.c): wipes the secrets, one
 * line (what failed, why, what to check), teardown, the exit code. */
_Noreturn void boot_fail(int code, const char *stage, const struct cw_err *err);

/* Prints the CWINIT-EXIT line, writes the status to the debug-exit port
 * when configured, syncs and ends the VM. Never returns. */
_Noreturn void end_vm(const struct cw_config *c, int status, const char *reason);
