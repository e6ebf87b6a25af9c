/* The workload: what /.krun_config.json says to run, and running it. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "err.h"

#define CW_WORKLOAD_CONFIG "/.krun_config.json"
#define CW_WORKLOAD_CONFIG_MAX (4 * 1024 * 1024)
#define CW_MAX_GROUPS 64

struct workload {
	char **argv;       /* NULL-terminated, argv[0] is the program */
	char **env;        /* NULL-terminated, "K=V" */
	char *cwd;         /* NULL = "/" */
	char *user;        /* the raw User string, NULL = root */
	int stop_signal;   /* 0 = SIGTERM */
	/* A runtime spec's process.user.additionalGids: workload_spawn adds
	 * them to the resolved user's groups. */
	gid_t extra_gids[CW_MAX_GROUPS];
	size_t n_extra_gids;
};

/* Parses the three shapes users have: an OCI image config (fields under
 * "config", what buildah mkcw writes), an OCI runtime spec ("process",
 * what crun writes), or the image fields at the top level. Combines
 * Entrypoint and Cmd as the OCI image spec says. -EINVAL with err when the
 * document is malformed or names nothing to run. */
int workload_parse(const char *json, size_t len, struct workload *w, struct cw_err *err);

void workload_free(struct workload *w);

struct user_ids {
	uid_t uid;
	gid_t gid;
	gid_t groups[CW_MAX_GROUPS]; /* supplementary groups */
	size_t n_groups;
	char home[256];              /* from passwd, "" when unknown */
};

/* Resolves a User string (`name`, `uid`, `name:group`, `uid:gid`, empty =
 * root) against <root>/etc/passwd and <root>/etc/group. -ESRCH with err
 * when a name is unknown. Numeric ids need no entry. */
int user_resolve(const char *root, const char *spec, struct user_ids *ids, struct cw_err *err);

/* Completes the environment: PATH default when unset, HOME from the user's
 * passwd entry (or "/") when unset. Returns a new NULL-terminated array in
 * one allocation: release it with free(). */
int workload_env(const struct workload *w, const struct user_ids *ids, char ***env);

/* Starts the workload as a child: new session, signals unblocked and reset,
 * no inherited descriptors but 0-2, ids applied, cwd applied, then execve
 * with PATH lookup in env's PATH. Exec failures come back through a
 * CLOEXEC pipe: returns -ENOENT (127) or -EACCES/-ENOEXEC... (126) with err,
 * after reaping the child. The child's 0-2 are ours, except where libkrun's
 * stdio ports exist (stdio_ports_open on /sys/class/virtio-ports and /dev). */
int workload_spawn(const struct workload *w, const struct user_ids *ids, char **env,
		   pid_t *pid, struct cw_err *err);

/* The same with the child's descriptor i taken from stdio[i] when it is not
 * -1 (dup2, after setsid). Our own 0-2 must be open, so no stdio[i] is one
 * of them. The caller keeps and closes stdio. */
int workload_spawn_stdio(const struct workload *w, const struct user_ids *ids, char **env,
			 const int stdio[3], pid_t *pid, struct cw_err *err);

/* libkrun's stdio ports: the virtio-console ports named krun-stdin,
 * krun-stdout and krun-stderr, which libkrun adds for its caller's stdio
 * that are not terminals. Finds them by the name in sys_dir/<port>/name
 * (sys_dir is /sys/class/virtio-ports) and opens dev_dir/<port>, stdin
 * read-only and the others write-only, CLOEXEC: fd[i] is the port for
 * descriptor i, or -1. Never fails: a port that cannot be opened is a
 * warning and stays -1, as a missing one does. */
void stdio_ports_open(const char *sys_dir, const char *dev_dir, int fd[3]);

/* Closes what stdio_ports_open opened and sets fd[0-2] to -1. */
void stdio_ports_close(int fd[3]);

/* Exit status rules: the code for a spawn failure (126 or 127). */
int workload_spawn_exit_code(int negerrno);
