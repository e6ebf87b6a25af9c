/* workload_spawn: exact argv and environment, exit status, working
 * directory, PATH search, exec failures and their exit codes, the child's
 * clean state (signals, session, descriptors), ids when run as root, and
 * the signal fd kept off the standard descriptors, 0-2 taken from given
 * descriptors (libkrun's stdio ports) each on its own; supervise's
 * forwarding of SIGTERM as the workload's StopSignal.
 *
 * A spawned process has already called execve when workload_spawn returns
 * (EOF on the CLOEXEC pipe), so /proc/<pid> shows the workload itself; its
 * descriptors, though, only once its dynamic loader is done (see READY). */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"
#include "exitcode.h"
#include "pid1.h"
#include "workload.h"

static char dir[] = "/tmp/cwinit-spawn-XXXXXX";

/* A workload that stays alive (dash cannot exec the loop away), so /proc
 * can be read; killed through its process group, which setsid made. */
#define LOOP "while :; do sleep 1; done"

/* The same, first telling us it runs: right after execve the dynamic
 * loader of /bin/sh still holds a library open on fd 3, so descriptors are
 * counted only after this signal (blocked here, taken by wait_ready). dash
 * runs kill as a builtin, keeps no descriptor of its own for -c and closes
 * none it inherited, so a leaked one is still there to be seen. */
#define READY_SIGNAL SIGUSR2
#define READY "kill -USR2 $PPID; " LOOP

static void put_file(const char *name, const char *text, mode_t mode)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || close(fd) < 0) {
		perror(path);
		exit(2);
	}
	chmod(path, mode);
}

/* Reads a file whole (at most 64 KiB); returns its length, -1 if missing. */
static ssize_t slurp(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, got = 0;

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf + got, cap - 1 - (size_t)got)) > 0)
		got += n;
	close(fd);
	buf[got] = '\0';
	return got;
}

static void current_ids(struct user_ids *ids)
{
	int n;

	memset(ids, 0, sizeof(*ids));
	ids->uid = getuid();
	ids->gid = getgid();
	n = getgroups(CW_MAX_GROUPS, ids->groups);
	ids->n_groups = n > 0 ? (size_t)n : 0;
}

static int spawn(char **argv, char **env, const char *cwd, pid_t *pid, struct cw_err *err)
{
	struct workload w = { .argv = argv, .env = env, .cwd = (char *)cwd };
	struct user_ids ids;

	current_ids(&ids);
	memset(err, 0, sizeof(*err));
	return workload_spawn(&w, &ids, env, pid, err);
}

static int wait_status(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void stop(pid_t pid)
{
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL); /* should setsid ever be missing */
	wait_status(pid);
}

/* Run to completion; returns the exit status or the negative spawn error. */
static int run(char **argv, char **env, const char *cwd, struct cw_err *err)
{
	pid_t pid;
	int r = spawn(argv, env, cwd, &pid, err);

	return r < 0 ? r : wait_status(pid);
}

/* The value of a "Key:" line of /proc/<pid>/status. */
static bool status_field(pid_t pid, const char *key, char *out, size_t cap)
{
	char path[64], buf[8192], *p;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (slurp(path, buf, sizeof(buf)) < 0 || !(p = strstr(buf, key)))
		return false;
	p += strlen(key);
	p += strspn(p, "\t ");
	snprintf(out, cap, "%.*s", (int)strcspn(p, "\n"), p);
	return true;
}

static void test_argv_env_exact(void)
{
	char *argv[] = { "/bin/sh", "-c", LOOP, "zero", "a b", "", "c", NULL };
	char *env[] = { "FOO=bar baz", "EMPTY=", "PATH=/usr/bin:/bin", "X=\n", NULL };
	static const char want_cmd[] = "/bin/sh\0-c\0" LOOP "\0zero\0a b\0\0c";
	static const char want_env[] = "FOO=bar baz\0EMPTY=\0PATH=/usr/bin:/bin\0X=\n";
	char path[64], buf[4096], val[64];
	struct cw_err err;
	pid_t pid;

	CHECK_INT(spawn(argv, env, NULL, &pid, &err), 0);
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	CHECK_INT(slurp(path, buf, sizeof(buf)), sizeof(want_cmd));
	CHECK_MEM(buf, want_cmd, sizeof(want_cmd));
	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	CHECK_INT(slurp(path, buf, sizeof(buf)), sizeof(want_env));
	CHECK_MEM(buf, want_env, sizeof(want_env));

	stop(pid);

	/* New session, nothing blocked or ignored, cwd "/" by default. sleep
	 * itself, since dash blocks signals around its own forks. */
	char *sleeper[] = { "/bin/sleep", "30", NULL };
	CHECK_INT(spawn(sleeper, env, NULL, &pid, &err), 0);
	CHECK_INT(getsid(pid), pid);
	CHECK(status_field(pid, "SigBlk:", val, sizeof(val)));
	CHECK_STR(val, "0000000000000000");
	CHECK(status_field(pid, "SigIgn:", val, sizeof(val)));
	CHECK_STR(val, "0000000000000000");
	snprintf(path, sizeof(path), "/proc/%d/cwd", (int)pid);
	CHECK_INT(readlink(path, buf, sizeof(buf) - 1), 1);
	CHECK(buf[0] == '/');
	stop(pid);
}

static void test_exit_status_and_cwd(void)
{
	char script[512], out[256], buf[256], sub[128];
	char *env[] = { "PATH=/usr/bin:/bin", NULL };
	struct cw_err err;

	char *exit7[] = { "/bin/sh", "-c", "exit 7", NULL };
	CHECK_INT(run(exit7, env, NULL, &err), 7);
	char *killed[] = { "/bin/sh", "-c", "kill -USR1 $$", NULL };
	CHECK_INT(run(killed, env, NULL, &err), 128 + SIGUSR1);

	snprintf(sub, sizeof(sub), "%s/work dir", dir);
	mkdir(sub, 0755);
	snprintf(out, sizeof(out), "%s/pwd.out", dir);
	snprintf(script, sizeof(script), "pwd > '%s'", out);
	char *pwd[] = { "/bin/sh", "-c", script, NULL };
	CHECK_INT(run(pwd, env, sub, &err), 0);
	snprintf(sub + strlen(sub), sizeof(sub) - strlen(sub), "\n");
	CHECK(slurp(out, buf, sizeof(buf)) > 0);
	CHECK_STR(buf, sub);
	unlink(out);

	/* A missing working directory fails before exec, errno decides: 127. */
	snprintf(sub, sizeof(sub), "%s/missing", dir);
	CHECK_INT(run(pwd, env, sub, &err), -ENOENT);
	CHECK(strstr(err.msg, "cannot change directory to") && strstr(err.msg, "/missing"));
	CHECK_INT(workload_spawn_exit_code(-ENOENT), CW_EXIT_NOT_FOUND);
	/* A file is not a directory: 126. */
	put_file("plain", "", 0644);
	snprintf(sub, sizeof(sub), "%s/plain", dir);
	CHECK_INT(run(pwd, env, sub, &err), -ENOTDIR);
	CHECK_INT(workload_spawn_exit_code(-ENOTDIR), CW_EXIT_NOT_EXECUTABLE);
}

static void test_exec_failures(void)
{
	char path[256], pathvar[600];
	char *env[] = { pathvar, NULL };
	struct cw_err err;

	snprintf(pathvar, sizeof(pathvar), "PATH=/usr/bin:/bin");
	char *missing[] = { "/nonexistent/prog", NULL };
	CHECK_INT(run(missing, env, NULL, &err), -ENOENT);
	CHECK_STR(err.msg, "cannot execute /nonexistent/prog: No such file or directory");
	CHECK_INT(workload_spawn_exit_code(-ENOENT), 127);

	char *unknown[] = { "no-such-program-cwinit", NULL };
	CHECK_INT(run(unknown, env, NULL, &err), -ENOENT);
	CHECK(strstr(err.msg, "cannot execute no-such-program-cwinit"));

	/* Mode 0644: not executable, even for root. */
	put_file("data.sh", "#!/bin/sh\nexit 0\n", 0644);
	snprintf(path, sizeof(path), "%s/data.sh", dir);
	char *noexec[] = { path, NULL };
	CHECK_INT(run(noexec, env, NULL, &err), -EACCES);
	CHECK(strstr(err.msg, "Permission denied"));
	CHECK_INT(workload_spawn_exit_code(-EACCES), 126);

	/* Executable but no format the kernel knows: no shell fallback. */
	put_file("garbage", "\x7f" "ELF nonsense\n", 0755);
	snprintf(path, sizeof(path), "%s/garbage", dir);
	char *badfmt[] = { path, NULL };
	CHECK_INT(run(badfmt, env, NULL, &err), -ENOEXEC);
	CHECK_INT(workload_spawn_exit_code(-ENOEXEC), 126);

	/* A directory. */
	char *isdir[] = { dir, NULL };
	CHECK_INT(run(isdir, env, NULL, &err), -EACCES);
}

static void test_path_search(void)
{
	char bindir[256], denydir[256], pathvar[700], out[256], buf[64];
	char *env[] = { pathvar, NULL };
	struct cw_err err;

	snprintf(bindir, sizeof(bindir), "%s/bin", dir);
	snprintf(denydir, sizeof(denydir), "%s/deny", dir);
	mkdir(bindir, 0755);
	mkdir(denydir, 0755);
	put_file("bin/hello", "#!/bin/sh\necho \"hello $1\" > \"$2\"\n", 0755);
	put_file("deny/hello", "#!/bin/sh\nexit 3\n", 0644);
	put_file("deny/only-here", "#!/bin/sh\nexit 3\n", 0644);
	snprintf(out, sizeof(out), "%s/hello.out", dir);

	/* Missing directories and non-executable candidates are passed over. */
	snprintf(pathvar, sizeof(pathvar), "PATH=/nonexistent:%s:%s/data.sh:%s", denydir, dir,
		 bindir);
	char *hello[] = { "hello", "world", out, NULL };
	CHECK_INT(run(hello, env, NULL, &err), 0);
	CHECK(slurp(out, buf, sizeof(buf)) > 0);
	CHECK_STR(buf, "hello world\n");

	/* Found only without execute permission: EACCES, not ENOENT. */
	char *only[] = { "only-here", NULL };
	CHECK_INT(run(only, env, NULL, &err), -EACCES);
	CHECK(strstr(err.msg, "cannot execute only-here: Permission denied"));

	/* The workload's PATH is searched, not ours; without one, nothing is. */
	snprintf(pathvar, sizeof(pathvar), "PATH=/nonexistent");
	char *sh[] = { "sh", "-c", "exit 0", NULL };
	CHECK_INT(run(sh, env, NULL, &err), -ENOENT);
	snprintf(pathvar, sizeof(pathvar), "NOPATH=1");
	CHECK_INT(run(sh, env, NULL, &err), -ENOENT);

	/* An empty PATH entry is the working directory. */
	snprintf(pathvar, sizeof(pathvar), "PATH=/nonexistent:");
	CHECK_INT(run(hello, env, bindir, &err), 0);
	unlink(out);
}

/* Waits for a READY workload's signal; the bound only ends a broken run. */
static bool wait_ready(pid_t pid)
{
	struct timespec limit = { .tv_sec = 60 };
	sigset_t ready;
	siginfo_t si;

	sigemptyset(&ready);
	sigaddset(&ready, READY_SIGNAL);
	while (sigtimedwait(&ready, &si, &limit) == READY_SIGNAL)
		if (si.si_pid == pid)
			return true;
	return false;
}

/* Only 0-2 reach the workload, wherever the leaked descriptors sit
 * relative to the report pipe. */
static void check_no_fd_leak(void)
{
	char *argv[] = { "/bin/sh", "-c", READY, NULL };
	char *env[] = { "PATH=/usr/bin:/bin", NULL };
	char path[96], fddir[64], target[256];
	struct cw_err err;
	int low = open("/dev/null", O_RDONLY);
	int high = dup2(low, 200);
	pid_t pid;

	CHECK(low > 2 && high == 200);
	CHECK_INT(spawn(argv, env, NULL, &pid, &err), 0);
	CHECK(wait_ready(pid));
	snprintf(fddir, sizeof(fddir), "/proc/%d/fd", (int)pid);
	for (int fd = 3; fd < 1024; fd++) {
		snprintf(path, sizeof(path), "%s/%d", fddir, fd);
		ssize_t n = readlink(path, target, sizeof(target) - 1);
		if (n >= 0) {
			target[n] = '\0';
			check_count++;
			check_failures++;
			fprintf(stderr, "fd %d (%s) leaked into the workload\n", fd, target);
		}
	}
	stop(pid);
	close(low);
	close(high);
}

static void test_fd_leak(void)
{
	check_no_fd_leak();
}

/* The same with close_range failing as on kernels before 5.9: a child
 * process confines itself with seccomp and reports its failures. */
static void test_fd_leak_without_close_range(void)
{
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_close_range, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(insns) / sizeof(insns[0]), .filter = insns };
	pid_t helper = fork();

	if (helper == 0) {
		check_failures = 0;
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
			perror("seccomp");
			_exit(2);
		}
		CHECK_INT(syscall(__NR_close_range, 1000, 1000, 0), -1);
		CHECK_INT(errno, ENOSYS);
		check_no_fd_leak();
		_exit(check_failures ? 1 : 0);
	}
	CHECK_INT(wait_status(helper), 0);
}

/* What workload_spawn_stdio does with libkrun's ports, on plain files: each
 * given descriptor becomes the child's 0, 1 or 2, a -1 leaves ours, and
 * the sources do not leak. */
static void test_stdio_given(void)
{
	char in[256], out[256], errf[256], buf[512], ours[256], theirs[256], path[64];
	char *argv[] = { "/bin/sh", "-c",
			 "read -r l; echo \"in:$l\"; echo out; echo err >&2; "
			 "ls /proc/self/fd >&2; exit 5", NULL };
	char *sleeper[] = { "/bin/sleep", "30", NULL };
	char *env[] = { "PATH=/usr/bin:/bin", NULL };
	struct workload w = { .argv = argv, .env = env };
	struct user_ids ids;
	struct cw_err err;
	int stdio[3];
	pid_t pid;
	ssize_t n;

	current_ids(&ids);
	put_file("stdin.txt", "from the port\nsecond line\n", 0644);
	snprintf(in, sizeof(in), "%s/stdin.txt", dir);
	snprintf(out, sizeof(out), "%s/stdout.txt", dir);
	snprintf(errf, sizeof(errf), "%s/stderr.txt", dir);
	stdio[0] = open(in, O_RDONLY | O_CLOEXEC);
	stdio[1] = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	stdio[2] = open(errf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	CHECK(stdio[0] > 2 && stdio[1] > 2 && stdio[2] > 2);
	CHECK_INT(workload_spawn_stdio(&w, &ids, env, stdio, &pid, &err), 0);
	CHECK_INT(wait_status(pid), 5);
	CHECK(slurp(out, buf, sizeof(buf)) > 0);
	CHECK_STR(buf, "in:from the port\nout\n");
	CHECK(slurp(errf, buf, sizeof(buf)) > 0);
	/* 3 is the directory ls reads; nothing else reached the child. */
	CHECK_STR(buf, "err\n0\n1\n2\n3\n");
	/* The caller's descriptors are still open, and still close on exec. */
	for (int i = 0; i < 3; i++)
		CHECK_INT(fcntl(stdio[i], F_GETFD), FD_CLOEXEC);

	/* Each on its own: stdout not given stays ours. */
	stdio[1] = -1;
	CHECK_INT(workload_spawn_stdio(&(struct workload){ .argv = sleeper, .env = env }, &ids,
				       env, stdio, &pid, &err), 0);
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, i);
		n = readlink(path, theirs, sizeof(theirs) - 1);
		theirs[n > 0 ? n : 0] = '\0';
		snprintf(path, sizeof(path), "/proc/self/fd/%d", i == 1 ? 1 : stdio[i]);
		n = readlink(path, ours, sizeof(ours) - 1);
		ours[n > 0 ? n : 0] = '\0';
		CHECK(n > 0);
		CHECK_STR(theirs, ours);
	}
	stop(pid);
	close(stdio[0]);
	close(stdio[2]);
	unlink(in);
	unlink(out);
	unlink(errf);
}

static bool has_gid(const char *list, const char *gid)
{
	char padded[600], needle[32];

	snprintf(padded, sizeof(padded), " %s ", list);
	snprintf(needle, sizeof(needle), " %s ", gid);
	return strstr(padded, needle) != NULL;
}

static int count_words(const char *s)
{
	int n = 0;

	for (s += strspn(s, " "); *s; s += strspn(s, " "), n++)
		s += strcspn(s, " ");
	return n;
}

static void test_ids(void)
{
	char *argv[] = { "/bin/sh", "-c", LOOP, NULL };
	char *env[] = { "PATH=/usr/bin:/bin", NULL };
	struct user_ids ids = { .uid = 65534, .gid = 65533, .groups = { 65533, 4242 }, .n_groups = 2 };
	struct workload w = { .argv = argv, .env = env, .extra_gids = { 777, 4242 }, .n_extra_gids = 2 };
	char val[512];
	struct cw_err err = { { 0 } };
	pid_t pid;

	if (geteuid() != 0) {
		/* Unprivileged: a switch to root is refused, reported, and 126. */
		ids.uid = 0;
		ids.gid = 0;
		ids.groups[0] = 0;
		ids.n_groups = 1;
		int r = workload_spawn(&w, &ids, env, &pid, &err);
		CHECK_INT(r, -EPERM);
		if (r == 0)
			stop(pid);
		CHECK(strstr(err.msg, "cannot switch to uid 0 gid 0"));
		CHECK_INT(workload_spawn_exit_code(-EPERM), 126);
		printf("test_spawn: not root, skipping the id switch checks\n");
		return;
	}
	CHECK_INT(workload_spawn(&w, &ids, env, &pid, &err), 0);
	CHECK(status_field(pid, "Uid:", val, sizeof(val)));
	CHECK_STR(val, "65534\t65534\t65534\t65534");
	CHECK(status_field(pid, "Gid:", val, sizeof(val)));
	CHECK_STR(val, "65533\t65533\t65533\t65533");
	CHECK(status_field(pid, "Groups:", val, sizeof(val)));
	CHECK(has_gid(val, "65533") && has_gid(val, "4242") && has_gid(val, "777"));
	CHECK_INT(count_words(val), 3);
	CHECK(status_field(pid, "CapEff:", val, sizeof(val)));
	CHECK_STR(val, "0000000000000000");
	stop(pid);

	/* The working directory is entered as the workload's user. */
	w.cwd = dir; /* mkdtemp made it 0700 */
	int r = workload_spawn(&w, &ids, env, &pid, &err);
	CHECK_INT(r, -EACCES);
	CHECK(strstr(err.msg, "cannot change directory to"));
	if (r == 0)
		stop(pid);
}

static void cleanup(void)
{
	static const char *files[] = { "plain", "data.sh", "garbage", "bin/hello", "deny/hello",
				       "deny/only-here" };
	static const char *dirs[] = { "work dir", "bin", "deny" };
	char path[256];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, dirs[i]);
		rmdir(path);
	}
	rmdir(dir);
}

/* With 0-2 closed (no /dev/console in the initramfs), the signal fd must
 * not take one of them: early_console puts the console there afterwards. */
static void test_signalfd_above_stdio(void)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		struct cw_err err = { "" };
		int sfd;

		close(0);
		close(1);
		close(2);
		sfd = signals_init(&err);
		_exit(sfd > 2 && fcntl(0, F_GETFD) < 0 ? 0 : 1);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* The signal that ended a workload supervised with stop_signal after PID 1
 * got sent. A helper plays PID 1: it owns the signalfd and reaps. */
static int supervised_death(int stop_signal, int sent)
{
	pid_t helper = fork();

	if (helper == 0) {
		struct cw_err err = { "" };
		int sfd = signals_init(&err);
		pid_t child = fork();
		sigset_t all;

		if (child == 0) {
			sigfillset(&all);
			sigprocmask(SIG_UNBLOCK, &all, NULL);
			for (;;)
				pause();
		}
		if (sfd < 0 || child < 0 || kill(getpid(), sent) < 0)
			_exit(255);
		int ws = supervise(sfd, child, stop_signal);
		_exit(WIFSIGNALED(ws) ? WTERMSIG(ws) : 254);
	}
	return wait_status(helper);
}

/* SIGTERM reaches the workload as its StopSignal; the others as they came. */
static void test_stop_signal(void)
{
	CHECK_INT(supervised_death(0, SIGTERM), SIGTERM);
	CHECK_INT(supervised_death(SIGTERM, SIGTERM), SIGTERM);
	CHECK_INT(supervised_death(SIGUSR1, SIGTERM), SIGUSR1);
	CHECK_INT(supervised_death(SIGRTMIN + 3, SIGTERM), SIGRTMIN + 3);
	CHECK_INT(supervised_death(SIGUSR1, SIGINT), SIGINT);
	CHECK_INT(supervised_death(SIGUSR1, SIGUSR2), SIGUSR2);
}

int main(void)
{
	sigset_t all;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	/* Behave like PID 1: everything blocked, and one signal ignored. */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	signal(SIGHUP, SIG_IGN);

	test_argv_env_exact();
	test_exit_status_and_cwd();
	test_exec_failures();
	test_path_search();
	test_fd_leak();
	test_fd_leak_without_close_range();
	test_stdio_given();
	test_ids();
	test_signalfd_above_stdio();
	test_stop_signal();
	cleanup();
	return check_finish("test_spawn");
}
