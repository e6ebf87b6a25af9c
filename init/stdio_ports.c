/* libkrun's stdio ports: where the workload's descriptors 0-2 go under libkrun.
 *
 * When the process running libkrun (crun's krun handler under podman) has a
 * stdin, stdout or stderr that is not a terminal, libkrun adds a
 * virtio-console port named krun-stdin, krun-stdout or krun-stderr joined
 * to it, and routes the console to its own log instead. Its init finds the
 * ports by the name each has under /sys/class/virtio-ports/<port>/name,
 * opens /dev/<port> read-only (stdin) or write-only (stdout, stderr) and
 * puts it on the descriptor in the workload's process just before exec; a
 * port that is missing or cannot be opened leaves that descriptor as it
 * was (containers/libkrun, init/src/exec.rs, setup_redirects). cwinit
 * follows that contract, so a drop-in into libkrunfw keeps `podman run ...
 * > out` working: PID 1 opens the ports, the child dup2s them onto 0-2,
 * and PID 1's own lines stay on the console.
 *
 * The port list comes from the VMM: the names are read bounded, the number
 * of entries looked at is bounded, and a name that appears twice keeps the
 * first port found. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "log.h"
#include "util.h"
#include "workload.h"

/* Far above libkrun's four ports (console and three stdio ones). */
#define PORTS_MAX 64
/* The longest name we look for is 11 characters and a newline. */
#define PORT_NAME_READ 32

static const struct {
	const char *port; /* the name libkrun gives the port */
	const char *what; /* the descriptor, for the log */
	int flags;        /* libkrun's open flags */
} roles[3] = {
	{ "krun-stdin", "stdin", O_RDONLY },
	{ "krun-stdout", "stdout", O_WRONLY },
	{ "krun-stderr", "stderr", O_WRONLY },
};

/* Which descriptor port serves, from its sysfs name: 0-2, or -1 for none
 * (a port the VMM has not named yet has no name file). */
static int port_role(int sysfd, const char *port)
{
	char path[NAME_MAX + sizeof("/name")], name[PORT_NAME_READ];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/name", port);
	fd = openat(sysfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	do
		n = read(fd, name, sizeof(name) - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n <= 0)
		return -1;
	/* The kernel prints the name with one newline; a longer name read
	 * cut short cannot match. */
	if (name[n - 1] == '\n')
		n--;
	name[n] = '\0';
	for (int i = 0; i < 3; i++)
		if (strcmp(name, roles[i].port) == 0)
			return i;
	return -1;
}

void stdio_ports_open(const char *sys_dir, const char *dev_dir, int fd[3])
{
	_cleanup_close_ int devfd = -1;
	struct dirent *d;
	unsigned seen = 0;
	DIR *dir;

	fd[0] = fd[1] = fd[2] = -1;
	dir = opendir(sys_dir);
	if (!dir) {
		/* No virtio-console driver or no ports: the usual case outside libkrun. */
		if (errno != ENOENT)
			log_warn("cannot list %s: %m; the workload's stdio stay on the console",
				 sys_dir);
		return;
	}
	while ((d = readdir(dir))) {
		int role, pfd;

		if (d->d_name[0] == '.')
			continue;
		if (++seen > PORTS_MAX) {
			log_warn("more than %d entries in %s; the rest are ignored", PORTS_MAX,
				 sys_dir);
			break;
		}
		role = port_role(dirfd(dir), d->d_name);
		if (role < 0)
			continue;
		if (fd[role] >= 0) {
			log_warn("a second port named %s (%s) is ignored", roles[role].port,
				 d->d_name);
			continue;
		}
		if (devfd < 0)
			devfd = open(dev_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		pfd = devfd < 0 ? -1
				: openat(devfd, d->d_name,
					 roles[role].flags | O_NOCTTY | O_CLOEXEC);
		if (pfd < 0) {
			log_warn("cannot open port %s as %s/%s: %m; the workload's %s stays on "
				 "the console", roles[role].port, dev_dir, d->d_name,
				 roles[role].what);
			continue;
		}
		fd[role] = pfd;
		log_info("workload %s: port %s (%s/%s)", roles[role].what, roles[role].port,
			 dev_dir, d->d_name);
	}
	closedir(dir);
}

void stdio_ports_close(int fd[3])
{
	for (int i = 0; i < 3; i++) {
		if (fd[i] >= 0)
			close(fd[i]);
		fd[i] = -1;
	}
}
