/* Supervision: forward signals, reap everything.
 *
 * PID 1 keeps every signal blocked and reads them from a signalfd, so no
 * handler can run at a bad moment and nothing is lost between checks. One
 * SIGCHLD can stand for several dead children, so reaping loops until
 * waitpid has nothing more; orphans re-parent to us and are reaped too. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>
#include "log.h"
#include "pid1.h"
#include "util.h"

int signals_init(struct cw_err *err)
{
	sigset_t all;
	int sfd;

	sigfillset(&all);
	if (sigprocmask(SIG_BLOCK, &all, NULL) < 0)
		return cw_err_set(err, errno, "sigprocmask: %m");
	sfd = signalfd(-1, &all, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		return cw_err_set(err, errno, "signalfd: %m");
	/* Without /dev/console in the initramfs the kernel leaves 0-2 closed,
	 * and this would take one of them before early_console can put the
	 * console there for us and the workload. */
	if (sfd <= STDERR_FILENO) {
		int high = fcntl(sfd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);

		close(sfd);
		if (high < 0)
			return cw_err_set(err, errno, "signalfd: moving it above 2: %m");
		sfd = high;
	}
	return sfd;
}

void signals_drain(int sfd)
{
	struct signalfd_siginfo si;

	while (read(sfd, &si, sizeof(si)) == sizeof(si))
		;
}

/* Reaps what is dead; returns true when main_pid was among them. */
static bool reap(pid_t main_pid, int *main_status)
{
	bool main_done = false;
	pid_t pid;
	int ws;

	while ((pid = waitpid(-1, &ws, WNOHANG)) > 0)
		if (pid == main_pid) {
			*main_status = ws;
			main_done = true;
		}
	return main_done;
}

/* "SIGQUIT", "SIGRTMIN+3": glibc has no abbreviation for real-time signals. */
static void signal_text(int sig, char *buf, size_t len)
{
	const char *abbrev = sigabbrev_np(sig);

	if (abbrev)
		snprintf(buf, len, "SIG%s", abbrev);
	else
		snprintf(buf, len, "SIGRTMIN+%d", sig - SIGRTMIN);
}

int supervise(int sfd, pid_t main_pid, int stop_signal)
{
	struct pollfd pfd = { .fd = sfd, .events = POLLIN };
	struct signalfd_siginfo si;
	int status = 0;

	/* The workload may already be gone before the first signal is read. */
	if (reap(main_pid, &status))
		return status;
	for (;;) {
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			log_warn("poll on signalfd: %m");
		while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
			int sig = (int)si.ssi_signo;

			if (sig == SIGCHLD)
				continue;
			/* SIGTERM is how a VMM, an ACPI handler or the workload
			 * itself asks the VM to stop: the workload is asked the way
			 * its image says it stops (a runtime's `stop`). Every
			 * other signal passes as it came. */
			if (sig == SIGTERM && stop_signal && stop_signal != SIGTERM) {
				char name[16];

				signal_text(stop_signal, name, sizeof(name));
				log_info("SIGTERM: asking the workload to stop with %s, its StopSignal",
					 name);
				sig = stop_signal;
			}
			if (kill(main_pid, sig) < 0 && errno != ESRCH)
				log_warn("forwarding signal %d: %m", sig);
		}
		if (reap(main_pid, &status))
			return status;
	}
}

int exit_status_of(int wstatus, char *reason, size_t len)
{
	if (WIFSIGNALED(wstatus)) {
		const char *name = sigabbrev_np(WTERMSIG(wstatus));
		if (name)
			snprintf(reason, len, "signal:%s", name);
		else
			snprintf(reason, len, "signal:%d", WTERMSIG(wstatus));
		return 128 + WTERMSIG(wstatus);
	}
	snprintf(reason, len, "workload");
	return WEXITSTATUS(wstatus);
}

/* Reaps until no child is left or the deadline passes; true when none left. */
static bool reap_until(int sfd, uint64_t deadline)
{
	struct pollfd pfd = { .fd = sfd, .events = POLLIN };

	for (;;) {
		pid_t pid;
		while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
			;
		if (pid < 0 && errno == ECHILD)
			return true;
		uint64_t now = monotonic_ms();
		if (now >= deadline)
			return false;
		if (poll(&pfd, 1, (int)(deadline - now)) > 0)
			signals_drain(sfd);
	}
}

void kill_all_processes(int sfd, uint32_t grace_ms)
{
	/* kill(-1) reaches every process but PID 1 itself, whatever session or
	 * process group the workload's children moved into. They get TERM, not
	 * the image's StopSignal: this runs once the workload has exited, and
	 * StopSignal is the OCI image's word for stopping the container's own
	 * process, not the helpers or daemons it left behind, which stop on
	 * TERM as at any shutdown (a SIGWINCH or SIGQUIT meant for httpd or
	 * nginx would be ignored or dump core elsewhere). */
	if (kill(-1, SIGTERM) < 0 && errno == ESRCH)
		goto reap;
	if (reap_until(sfd, monotonic_ms() + grace_ms))
		return;
	log_warn("processes still running after %u ms grace; sending KILL", grace_ms);
	kill(-1, SIGKILL);
reap:
	if (!reap_until(sfd, monotonic_ms() + 5000))
		log_warn("processes left that KILL did not end (stuck in the kernel?)");
}
