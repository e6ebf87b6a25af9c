/* Starting the workload: fork, give the child a clean process state, execve.
 *
 * PID 1 blocks every signal and reads them from a signalfd, and its
 * descriptors include the broker connection and the encrypted device: the
 * child resets and unblocks signals and closes all but 0-2 before anything
 * of the workload's runs. Its 0-2 are PID 1's console, or libkrun's stdio
 * ports where the VMM gave them (stdio_ports.c).
 *
 * A failure in the child, before or at execve, comes back through a
 * CLOEXEC pipe as {stage, errno}; EOF on the pipe means execve succeeded.
 * The errno alone decides the exit status, whatever the stage, as podman
 * does with crun's errors: ENOENT (no such program, or no such working
 * directory) is 127, anything else 126. The message says which stage. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include "exitcode.h"
#include "util.h"
#include "workload.h"

enum stage { STAGE_SETUP = 1, STAGE_IDS, STAGE_CWD, STAGE_EXEC };

struct report {
	int stage;
	int err;
};

static void child_fail(int fd, int stage, int negerr) __attribute__((noreturn));
static void child_fail(int fd, int stage, int negerr)
{
	struct report rep = { stage, -negerr };

	/* Smaller than PIPE_BUF: one atomic write. */
	(void)!write(fd, &rep, sizeof(rep));
	_exit(CW_EXIT_NOT_FOUND);
}

static int reset_signals(void)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };
	sigset_t none;

	/* Ignored signals stay ignored across execve: reset every one. */
	for (int sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		/* glibc refuses the real-time signals it keeps for itself. */
		if (sigaction(sig, &sa, NULL) < 0 && errno != EINVAL)
			return -errno;
	}
	sigemptyset(&none);
	return sigprocmask(SIG_SETMASK, &none, NULL) < 0 ? -errno : 0;
}

/* Kernels before 5.9 lack close_range: walk /proc/self/fd instead, with
 * getdents64 into a stack buffer so nothing allocates after fork. */
static int close_listed_fds(int keep)
{
	char buf[4096] __attribute__((aligned(8)));
	int dfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ssize_t n;

	if (dfd < 0)
		return -errno;
	while ((n = getdents64(dfd, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			int fd = 0;

			off += d->d_reclen;
			if (d->d_name[0] < '0' || d->d_name[0] > '9')
				continue;
			for (const char *c = d->d_name; *c >= '0' && *c <= '9'; c++)
				fd = fd * 10 + (*c - '0');
			if (fd > STDERR_FILENO && fd != keep && fd != dfd)
				close(fd);
		}
	}
	close(dfd);
	return n < 0 ? -errno : 0;
}

/* Closes every descriptor above 2 except keep (the report pipe, CLOEXEC). */
static int close_other_fds(int keep)
{
	unsigned int first = STDERR_FILENO + 1;
	int r = 0;

	if (keep >= (int)first) {
		if (keep > (int)first)
			r = close_range(first, (unsigned int)keep - 1, 0);
		first = (unsigned int)keep + 1;
	}
	if (r == 0)
		r = close_range(first, ~0U, 0);
	if (r == 0)
		return 0;
	return errno == ENOSYS ? close_listed_fds(keep) : -errno;
}

static bool has_group(const gid_t *list, size_t n, gid_t g)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == g)
			return true;
	return false;
}

/* setgroups needs CAP_SETGID even to change nothing; skipping a no-op
 * keeps an unprivileged caller (the unit tests) working. */
static bool groups_already(const gid_t *groups, size_t n)
{
	gid_t cur[2 * CW_MAX_GROUPS];
	int m = getgroups(ARRAY_SIZE(cur), cur);

	if (m < 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!has_group(cur, (size_t)m, groups[i]))
			return false;
	for (int i = 0; i < m; i++)
		if (!has_group(groups, n, cur[i]))
			return false;
	return true;
}

/* Groups first, then gid, then uid: each step needs the privilege the
 * next one gives up. */
static int apply_ids(const struct user_ids *ids, const gid_t *groups, size_t n)
{
	if (!groups_already(groups, n) && setgroups(n, groups) < 0)
		return -errno;
	if (setgid(ids->gid) < 0)
		return -errno;
	if (setuid(ids->uid) < 0)
		return -errno;
	return 0;
}

static const char *env_get(char *const *env, const char *name)
{
	size_t n = strlen(name);

	for (; env && *env; env++)
		if (strncmp(*env, name, n) == 0 && (*env)[n] == '=')
			return *env + n + 1;
	return NULL;
}

/* execvp's rules with the workload's PATH (not ours): try each directory,
 * an empty entry meaning the working directory; EACCES from any candidate
 * wins over ENOENT from the rest; other errors stop the search. Without a
 * PATH (workload_env always sets one) there is nowhere to search. */
static int exec_search(char *const *argv, char *const *env)
{
	const char *file = argv[0], *path = env_get(env, "PATH");
	size_t flen = strlen(file);
	bool denied = false;

	if (strchr(file, '/')) {
		execve(file, argv, env);
		return -errno;
	}
	if (flen > NAME_MAX)
		return -ENAMETOOLONG;
	for (const char *p = path; p;) {
		const char *colon = strchrnul(p, ':');
		size_t dlen = (size_t)(colon - p);
		char cand[PATH_MAX];

		if (dlen + 1 + flen < sizeof(cand)) {
			memcpy(cand, p, dlen);
			if (dlen)
				cand[dlen++] = '/';
			memcpy(cand + dlen, file, flen + 1);
			execve(cand, argv, env);
			switch (errno) {
			case EACCES:
				denied = true;
				break;
			case ENOENT:
			case ENOTDIR:
			case ESTALE:
			case ENODEV:
			case ETIMEDOUT:
				break;
			default:
				return -errno;
			}
		}
		p = *colon ? colon + 1 : NULL;
	}
	return denied ? -EACCES : -ENOENT;
}

/* dup2 leaves the copies on 0-2 without CLOEXEC; the sources (above 2, as
 * PID 1's own 0-2 are open) go with close_other_fds. */
static int install_stdio(const int stdio[3])
{
	for (int i = 0; i < 3; i++)
		if (stdio[i] >= 0 && dup2(stdio[i], i) < 0)
			return -errno;
	return 0;
}

static void run_child(const struct workload *w, const struct user_ids *ids, char **env,
		      const int stdio[3], const gid_t *groups, size_t n_groups, int report)
{
	int r = reset_signals();

	if (r == 0 && setsid() < 0)
		r = -errno;
	if (r == 0)
		r = install_stdio(stdio);
	if (r == 0)
		r = close_other_fds(report);
	if (r < 0)
		child_fail(report, STAGE_SETUP, r);
	r = apply_ids(ids, groups, n_groups);
	if (r < 0)
		child_fail(report, STAGE_IDS, r);
	/* After the switch of ids: the user must be allowed in there. */
	if (chdir(w->cwd ? w->cwd : "/") < 0)
		child_fail(report, STAGE_CWD, -errno);
	child_fail(report, STAGE_EXEC, exec_search(w->argv, env));
}

int workload_spawn_stdio(const struct workload *w, const struct user_ids *ids, char **env,
			 const int stdio[3], pid_t *pid, struct cw_err *err)
{
	gid_t groups[2 * CW_MAX_GROUPS];
	size_t n_groups = 0, got = 0;
	struct report rep;
	int p[2];
	pid_t child;

	if (!w->argv || !w->argv[0])
		return cw_err_set(err, EINVAL, "nothing to run");
	/* Prepared before fork: the child only makes system calls. */
	for (size_t i = 0; i < ids->n_groups; i++)
		if (!has_group(groups, n_groups, ids->groups[i]))
			groups[n_groups++] = ids->groups[i];
	for (size_t i = 0; i < w->n_extra_gids; i++)
		if (!has_group(groups, n_groups, w->extra_gids[i]))
			groups[n_groups++] = w->extra_gids[i];

	if (pipe2(p, O_CLOEXEC) < 0)
		return cw_err_set(err, errno, "cannot create a pipe: %s", strerror(errno));
	child = fork();
	if (child < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		return cw_err_set(err, e, "cannot fork the workload: %s", strerror(e));
	}
	if (child == 0) {
		close(p[0]);
		run_child(w, ids, env, stdio, groups, n_groups, p[1]);
	}
	close(p[1]);
	while (got < sizeof(rep)) {
		ssize_t n = read(p[0], (char *)&rep + got, sizeof(rep) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(p[0]);
	if (got == 0) {
		*pid = child;
		return 0;
	}
	while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
		;
	if (got != sizeof(rep) || rep.err <= 0 || rep.err >= 4096)
		return cw_err_set(err, EIO, "the workload process failed before exec");
	switch (rep.stage) {
	case STAGE_IDS:
		return cw_err_set(err, rep.err, "cannot switch to uid %u gid %u: %s",
				  (unsigned)ids->uid, (unsigned)ids->gid, strerror(rep.err));
	case STAGE_CWD:
		return cw_err_set(err, rep.err, "cannot change directory to %s: %s",
				  w->cwd ? w->cwd : "/", strerror(rep.err));
	case STAGE_EXEC:
		return cw_err_set(err, rep.err, "cannot execute %s: %s", w->argv[0],
				  strerror(rep.err));
	default:
		return cw_err_set(err, rep.err, "cannot prepare the workload process: %s",
				  strerror(rep.err));
	}
}

int workload_spawn(const struct workload *w, const struct user_ids *ids, char **env,
		   pid_t *pid, struct cw_err *err)
{
	int stdio[3], r;

	/* /sys and /dev of the workload's root: switch_root moved them there. */
	stdio_ports_open("/sys/class/virtio-ports", "/dev", stdio);
	r = workload_spawn_stdio(w, ids, env, stdio, pid, err);
	stdio_ports_close(stdio);
	return r;
}

int workload_spawn_exit_code(int negerrno)
{
	return negerrno == -ENOENT ? CW_EXIT_NOT_FOUND : CW_EXIT_NOT_EXECUTABLE;
}
