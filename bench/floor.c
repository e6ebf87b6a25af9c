/* floor: the least an init must do to get cwinit's result, as the benchmark's baseline.
 *
 * It loads the same kernel modules, unlocks the same LUKS disk with the same libcryptsetup (the
 * key comes from a file in its initramfs: no network, no attestation), mounts the root, switches
 * into it and starts the same workload with the same user, directory, environment and
 * arguments, printing CLOCK_BOOTTIME stage marks in cwinit's format. Nothing else: no
 * configuration, no device search, no checks beyond what keeps it from running on after an
 * error, no teardown. When the workload has exited it powers the VM off.
 *
 * Its inputs, all in the initramfs:
 *   /etc/floor/modules   module names in load order, one a line (/lib/modules/<name>.ko)
 *   /etc/floor/key       the disk's passphrase, exact bytes
 *   /etc/floor/workload  lines "uid N", "gid N", "groups N...", "cwd DIR", "env K=V", "arg A"
 * The root is /dev/vda, ext4, mapped as /dev/mapper/cwroot. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libcryptsetup.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ROOT_DEV "/dev/vda"
#define MAPPER "cwroot"
#define NEWROOT "/newroot"
#define MAX_ARGS 64
#define MAX_GROUPS 32

static uint64_t boottime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void say(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n = snprintf(line, sizeof(line), "floor: [%6llu ms] ",
			 (unsigned long long)boottime_ms());

	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	(void)!write(STDOUT_FILENO, line, (size_t)n);
}

static void stage(const char *name, uint64_t started)
{
	say("stage %s done in %llu ms", name, (unsigned long long)(boottime_ms() - started));
}

_Noreturn static void die(const char *what)
{
	say("error: %s: %s", what, strerror(errno));
	sync();
	reboot(RB_POWER_OFF);
	_exit(1);
}

/* A whole small file (up to 64 KiB), NUL-terminated; *len excludes the NUL. Reads to EOF:
 * files in /proc report size 0. */
static char *slurp(const char *path, size_t *len)
{
	const size_t max = 65536;
	char *buf = malloc(max + 1);
	size_t used = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || !buf)
		die(path);
	while (used < max && (n = read(fd, buf + used, max - used)) != 0) {
		if (n < 0)
			die(path);
		used += (size_t)n;
	}
	close(fd);
	buf[used] = '\0';
	if (len)
		*len = used;
	return buf;
}

static void mount_api(void)
{
	static const struct { const char *type, *dir; } fs[] = {
		{ "devtmpfs", "/dev" }, { "proc", "/proc" }, { "sysfs", "/sys" },
	};

	for (size_t i = 0; i < sizeof(fs) / sizeof(fs[0]); i++) {
		mkdir(fs[i].dir, 0755);
		if (mount(fs[i].type, fs[i].dir, fs[i].type, MS_NOSUID, NULL) < 0 && errno != EBUSY)
			die(fs[i].dir);
	}
}

static void load_modules(void)
{
	char *list = slurp("/etc/floor/modules", NULL), *save = NULL, path[128];

	for (char *name = strtok_r(list, "\n", &save); name; name = strtok_r(NULL, "\n", &save)) {
		snprintf(path, sizeof(path), "/lib/modules/%s.ko", name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || (syscall(SYS_finit_module, fd, "", 0) < 0 && errno != EEXIST))
			die(path);
		close(fd);
	}
	free(list);
}

/* Modules may still be probing the disk when they return. */
static void wait_for_root(void)
{
	const struct timespec pause = { .tv_nsec = 2 * 1000 * 1000 };

	for (int i = 0; i < 5000 && access(ROOT_DEV, F_OK) < 0; i++)
		nanosleep(&pause, NULL);
	if (access(ROOT_DEV, F_OK) < 0)
		die(ROOT_DEV);
}

/* The same two libcryptsetup steps as cwinit, so the key derivation's share can be told apart. */
static void unlock(void)
{
	struct crypt_device *cd = NULL;
	size_t key_len, vk_len;
	char *key = slurp("/etc/floor/key", &key_len), vk[512];
	uint64_t t = boottime_ms();
	int r;

	crypt_metadata_locking(NULL, 0);
	r = crypt_init(&cd, ROOT_DEV);
	if (r == 0)
		r = crypt_load(cd, NULL, NULL);
	if (r < 0) {
		errno = -r;
		die("loading the LUKS header");
	}
	vk_len = sizeof(vk);
	r = crypt_volume_key_get(cd, CRYPT_ANY_SLOT, vk, &vk_len, key, key_len);
	if (r < 0) {
		errno = -r;
		die("opening the key slot");
	}
	stage("kdf", t);
	r = crypt_activate_by_volume_key(cd, MAPPER, vk, vk_len, 0);
	if (r < 0) {
		errno = -r;
		die("activating the mapping");
	}
	explicit_bzero(vk, sizeof(vk));
	explicit_bzero(key, key_len);
	free(key);
	crypt_free(cd);
}

static void switch_into(const char *newroot)
{
	static const char *const api[] = { "/dev", "/proc", "/sys" };
	char target[64];

	for (size_t i = 0; i < sizeof(api) / sizeof(api[0]); i++) {
		snprintf(target, sizeof(target), "%s%s", newroot, api[i]);
		if (mount(api[i], target, NULL, MS_MOVE, NULL) < 0)
			die(target);
	}
	if (chdir(newroot) < 0 || mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 ||
	    chdir("/") < 0)
		die("switching root");
}

struct workload {
	uid_t uid;
	gid_t gid;
	gid_t groups[MAX_GROUPS];
	size_t ngroups;
	char *cwd;
	char *env[MAX_ARGS + 1];
	char *argv[MAX_ARGS + 1];
	size_t nenv, nargv;
};

/* Read before switching root: the file is in the initramfs. */
static void read_workload(struct workload *w)
{
	char *text = slurp("/etc/floor/workload", NULL), *save = NULL;

	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *value = strchr(line, ' ');
		if (!value)
			continue;
		*value++ = '\0';
		if (!strcmp(line, "uid")) {
			w->uid = (uid_t)strtoul(value, NULL, 10);
		} else if (!strcmp(line, "gid")) {
			w->gid = (gid_t)strtoul(value, NULL, 10);
		} else if (!strcmp(line, "groups")) {
			for (char *p = value, *end; *p && w->ngroups < MAX_GROUPS; p = end) {
				w->groups[w->ngroups++] = (gid_t)strtoul(p, &end, 10);
				if (end == p)
					break;
			}
		} else if (!strcmp(line, "cwd")) {
			w->cwd = value;
		} else if (!strcmp(line, "env") && w->nenv < MAX_ARGS) {
			w->env[w->nenv++] = value;
		} else if (!strcmp(line, "arg") && w->nargv < MAX_ARGS) {
			w->argv[w->nargv++] = value;
		}
	}
	if (!w->nargv || !w->cwd) {
		errno = EINVAL;
		die("/etc/floor/workload needs a cwd and an arg");
	}
}

static pid_t start(const struct workload *w)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid > 0)
		return pid;
	if (setsid() < 0 || setgroups(w->ngroups, w->groups) < 0 || setgid(w->gid) < 0 ||
	    setuid(w->uid) < 0 || chdir(w->cwd) < 0)
		say("error: entering the workload's identity: %s", strerror(errno));
	else
		execve(w->argv[0], w->argv, w->env);
	say("error: %s: %s", w->argv[0], strerror(errno));
	_exit(127);
}

/* The same figures cwinit logs at this point, for comparison. */
static void log_resources(void)
{
	struct rusage ru;
	char *status = slurp("/proc/self/status", NULL), *hwm = strstr(status, "\nVmHWM:");

	getrusage(RUSAGE_SELF, &ru);
	say("resources: cpu %llu ms, peak rss %lu KiB",
	    (unsigned long long)((ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
				 (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000),
	    hwm ? strtoul(hwm + 7, NULL, 10) : 0UL);
	free(status);
}

int main(void)
{
	struct workload w = { 0 };
	uint64_t t = boottime_ms();
	int status;
	pid_t pid;

	say("floor starting");
	mount_api();
	stage("early-setup", t);

	t = boottime_ms();
	load_modules();
	stage("modules", t);

	t = boottime_ms();
	wait_for_root();
	stage("find-root", t);

	t = boottime_ms();
	unlock();
	stage("unlock", t);

	t = boottime_ms();
	mkdir(NEWROOT, 0755);
	if (mount("/dev/mapper/" MAPPER, NEWROOT, "ext4", 0, NULL) < 0)
		die("mounting the root");
	stage("mount", t);

	read_workload(&w);
	t = boottime_ms();
	switch_into(NEWROOT);
	stage("switch-root", t);

	t = boottime_ms();
	pid = start(&w);
	stage("exec", t);
	log_resources();

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid");
	say("workload exited: status %d",
	    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	sync();
	reboot(RB_POWER_OFF);
	return 0;
}
