/* cwinit: PID 1 of a confidential microVM.
 *
 * Two regimes. Until the workload runs, every error is fatal: wipe the
 * secrets, undo the disk, print one line saying what failed and what to
 * check, report cwinit's exit code, end the VM. Once the workload runs,
 * PID 1 only forwards signals, reaps, and shuts down in order when the
 * workload exits. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "attest.h"
#include "command.h"
#include "config.h"
#include "disk.h"
#include "early.h"
#include "exitcode.h"
#include "deliver.h"
#include "initdata.h"
#include "kbs.h"
#include "keys.h"
#include "log.h"
#include "luks.h"
#include "measure.h"
#include "pid1.h"
#include "refkbs.h"
#include "secret.h"
#include "util.h"
#include "volumes.h"
#include "workload.h"

#define CONFIG_FILE "/etc/cwinit.json"

static struct cw_config config;
static struct root_state root = { .initramfs_fd = -1 };

_Noreturn void boot_fail(int code, const char *stage, const struct cw_err *err)
{
	const struct cw_exit_info *e = cw_exit_lookup(code);

	secret_wipe_all();
	log_error("%s failed: %s; check %s", stage, err->msg, e ? e->check : "the log above");
	measure_failure(code, e ? e->reason : "internal");
	teardown_root(&root);
	end_vm(&config, code, e ? e->reason : "internal");
}

/* The kernel command line: configuration words, and module parameters. */
static char *kernel_cmdline;

static void load_configuration(void)
{
	struct cw_err err = { "" };
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r;

	r = read_file_bounded(CONFIG_FILE, CW_CONFIG_JSON_MAX, &buf, &len);
	if (r == 0)
		r = config_load_json(&config, buf, len, SRC_FILE, &err);
	else if (r == -ENOENT)
		r = 0;
	else
		cw_err_set(&err, r, "%s: %s", CONFIG_FILE, strerror(-r));
	if (r < 0)
		boot_fail(CW_EXIT_CONFIG, "configuration", &err);
	r = read_file_bounded("/proc/cmdline", CW_CMDLINE_MAX + 1, &kernel_cmdline, &len);
	if (r < 0) {
		cw_err_set(&err, r, "/proc/cmdline: %s", strerror(-r));
		boot_fail(r == -EFBIG ? CW_EXIT_CONFIG : CW_EXIT_SETUP, "configuration", &err);
	}
	if (config.ignore_cmdline)
		log_info("ignoring the kernel command line's cwinit.* words (ignore_cmdline)");
	else if (config_load_cmdline(&config, kernel_cmdline, &err) < 0)
		boot_fail(CW_EXIT_CONFIG, "configuration", &err);
	if (volumes_check(&config.volumes, config.root, config.mapper, &err) < 0)
		boot_fail(CW_EXIT_CONFIG, "configuration", &err);
}

/* A buildah KRUN footer makes kbs_protocol=auto speak reference-kbs. */
static bool footer_found;

/* The footer is read off the still-encrypted disk: hostile input. */
static void load_footer(const char *dev)
{
	struct cw_err err = { "" };
	_cleanup_free_ char *json = NULL;
	size_t len;
	int r = footer_read(dev, &json, &len, &err);

	if (r == -ENOENT)
		return;
	if (r == 0)
		r = config_load_footer(&config, json, len, &err);
	if (r < 0) {
		cw_err_prefix(&err, r, "disk footer on %s", dev);
		boot_fail(CW_EXIT_CONFIG, "configuration", &err);
	}
	footer_found = true;
	log_info("read the disk footer of %s", dev);
}

static bool reference_dialect(void)
{
	if (strcmp(config.kbs_protocol, "auto") == 0)
		return footer_found;
	return strcmp(config.kbs_protocol, "reference") == 0;
}

/* Known once the footer is read, before any disk is touched: the broker
 * must be authenticated (or insecure_broker allow it), and reference-kbs
 * keeps one key per workload, so volumes cannot name broker resources. */
static void check_broker_config(void)
{
	struct cw_err err = { "" };

	if (config_check_broker(&config, &err) < 0)
		boot_fail(CW_EXIT_CONFIG, "configuration", &err);
	if (!reference_dialect())
		return;
	if (config.secrets.n || *config.secrets.token) {
		cw_err_set(&err, EINVAL, "secrets need kbs_protocol=trustee (reference-kbs keeps one "
			   "key per workload)");
		boot_fail(CW_EXIT_CONFIG, "configuration", &err);
	}
	for (unsigned i = 0; i < config.volumes.n; i++)
		if (*config.volumes.v[i].resource) {
			cw_err_set(&err, EINVAL, "volume %s names resource %s: broker resources need "
				   "kbs_protocol=trustee (reference-kbs keeps one key per workload)",
				   config.volumes.v[i].mount_point, config.volumes.v[i].resource);
			boot_fail(CW_EXIT_CONFIG, "configuration", &err);
		}
}

/* The root's passphrase, in the broker dialect the configuration and the
 * disk choose. */
static struct secret *fetch_root_passphrase(void)
{
	bool ref = reference_dialect();

	log_info("broker protocol %s%s", ref ? "reference-kbs" : "trustee (KBS 0.4.0)",
		 strcmp(config.kbs_protocol, "auto") ? "" : footer_found
		 ? " (auto: the disk has a buildah KRUN footer)" : " (auto: no KRUN footer)");
	struct secret *pass = NULL;

	if (ref)
		return keys_reference_passphrase(&config);
	keys_fetch(&config, config.resource, false, &pass);
	return pass;
}

/* The root's header, copied once and checked before any passphrase is
 * fetched: a disk the policy refuses never gets the broker's secret. */
static struct luks_disk *root_disk;

static void check_root_header(const char *dev)
{
	struct cw_err err = { "" };
	char what[160];
	int r = luks_check(dev, &config.luks_policy, config.root_luks_uuid, &root_disk, &err);

	if (r == -EACCES)
		boot_fail(CW_EXIT_DISK_POLICY, "disk policy", &err);
	if (r < 0)
		boot_fail(CW_EXIT_UNLOCK, "unlock", &err);
	luks_disk_describe(root_disk, what, sizeof(what));
	log_info("root header: %s, allowed by the disk policy", what);
}

static void unlock_and_mount(void)
{
	struct cw_err err = { "" };
	struct secret *pass = fetch_root_passphrase();
	uint64_t t = boottime_ms();
	char mapped[96];
	int r;

	strscpy(root.mapper, config.mapper, sizeof(root.mapper));
	r = luks_activate(root_disk, config.mapper, pass, config.readonly, &err);
	secret_free(pass);
	if (r == 0) {
		root.mapped = true; /* before anything else can fail: teardown closes it */
		measure_disk("/", luks_disk_uuid(root_disk), luks_disk_header_sha384(root_disk));
	}
	luks_disk_free(root_disk);
	root_disk = NULL;
	if (r == -EPERM)
		boot_fail(CW_EXIT_WRONG_KEY, "unlock", &err);
	if (r < 0)
		boot_fail(CW_EXIT_UNLOCK, "unlock", &err);
	log_stage("unlock", t);

	t = boottime_ms();
	snprintf(mapped, sizeof(mapped), "/dev/mapper/%s", config.mapper);
	if (mkdir(CW_NEWROOT, 0755) < 0 && errno != EEXIST) {
		cw_err_set(&err, errno, "mkdir %s: %m", CW_NEWROOT);
		boot_fail(CW_EXIT_MOUNT, "mount", &err);
	}
	if (fs_mount(mapped, CW_NEWROOT, config.fstype, config.mount_options, config.readonly, &err) < 0)
		boot_fail(CW_EXIT_MOUNT, "mount", &err);
	root.mounted = true;
	log_stage("mount", t);
}

/* The data volumes, after the root and in configuration order. A failure
 * is fatal like the root's; teardown undoes what was opened so far. */
static void mount_volumes(void)
{
	struct cw_err err = { "" };
	uint64_t t = boottime_ms();
	char dev[256];

	for (unsigned i = 0; i < config.volumes.n; i++) {
		const struct cw_volume *v = &config.volumes.v[i];
		struct secret *pass = NULL;
		struct luks_disk *disk = NULL;
		int r;

		root.n_volumes = i + 1;
		if (volume_find(v, config.root_wait_ms, dev, sizeof(dev), &err) < 0)
			boot_fail(CW_EXIT_ROOT_NOT_FOUND, "finding a volume", &err);
		r = volume_check_header(v, dev, &config.luks_policy, &disk, &err);
		if (r < 0)
			boot_fail(r == -EACCES ? CW_EXIT_DISK_POLICY : CW_EXIT_UNLOCK,
			     r == -EACCES ? "disk policy" : "unlocking a volume", &err);
		if (*v->resource)
			keys_fetch(&config, v->resource, false, &pass);
		else if (volume_read_key_file(v, CW_NEWROOT, &pass, &err) < 0)
			boot_fail(CW_EXIT_UNLOCK, "reading a volume key", &err);
		r = volume_unlock(v, disk, pass, &root.volumes[i], &err);
		if (r == 0)
			measure_disk(v->mount_point, luks_disk_uuid(disk), luks_disk_header_sha384(disk));
		luks_disk_free(disk);
		secret_free(pass);
		if (r < 0)
			boot_fail(r == -EPERM ? CW_EXIT_WRONG_KEY : CW_EXIT_UNLOCK, "unlocking a volume", &err);
		if (volume_mount(v, CW_NEWROOT, &root.volumes[i], &err) < 0)
			boot_fail(CW_EXIT_MOUNT, "mounting a volume", &err);
		log_info("volume %s: %s unlocked as /dev/mapper/%s and mounted%s", v->mount_point, dev,
			 v->mapper, v->readonly ? " read-only" : "");
	}
	if (config.volumes.n)
		log_stage("volumes", t);
}

/* Reads and checks everything the workload needs while a failure can
 * still unwind cleanly, before the initramfs is gone. */
static void prepare_workload(struct workload *w, struct user_ids *ids)
{
	struct cw_err err = { "" };
	_cleanup_free_ char *json = NULL;
	size_t len;
	int r = read_file_bounded(CW_NEWROOT CW_WORKLOAD_CONFIG, CW_WORKLOAD_CONFIG_MAX, &json, &len);

	if (r < 0) {
		cw_err_set(&err, r, "%s in the root filesystem: %s", CW_WORKLOAD_CONFIG, strerror(-r));
		boot_fail(CW_EXIT_WORKLOAD_CONFIG, "workload configuration", &err);
	}
	measure_bytes("WorkloadConfig", CW_WORKLOAD_CONFIG, json, len);
	if (workload_parse(json, len, w, &err) < 0) {
		cw_err_prefix(&err, -EINVAL, "%s", CW_WORKLOAD_CONFIG);
		boot_fail(CW_EXIT_WORKLOAD_CONFIG, "workload configuration", &err);
	}
	if (user_resolve(CW_NEWROOT, w->user, ids, &err) < 0)
		boot_fail(CW_EXIT_WORKLOAD_CONFIG, "workload user", &err);
}

static void enter_root(void)
{
	struct cw_err err = { "" };
	uint64_t t = boottime_ms();

	root.initramfs_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root.initramfs_fd < 0) {
		cw_err_set(&err, errno, "open /: %m");
		boot_fail(CW_EXIT_SWITCH_ROOT, "switch root", &err);
	}
	if (switch_root(CW_NEWROOT, &err) < 0)
		boot_fail(CW_EXIT_SWITCH_ROOT, "switch root", &err);
	root.mounted = false;
	root.switched = true;
	log_stage("switch-root", t);
}

/* What PID 1 has cost up to the workload's start, for bench/run: its CPU time and peak RSS. */
static void log_resources(void)
{
	_cleanup_free_ char *status = NULL;
	const char *hwm = NULL;
	struct rusage ru;
	size_t len;

	getrusage(RUSAGE_SELF, &ru);
	if (read_file_bounded("/proc/self/status", 64 * 1024, &status, &len) == 0)
		hwm = strstr(status, "\nVmHWM:");
	log_info("resources: cpu %llu ms, peak rss %llu KiB",
		 (unsigned long long)((ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
				      (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000),
		 hwm ? strtoull(hwm + 7, NULL, 10) : 0ULL);
}

static void early_setup(void)
{
	struct cw_err err = { "" };
	uint64_t t = boottime_ms();

	umask(022);
	if (early_mount_api(&err) < 0 || early_console(&err) < 0)
		boot_fail(CW_EXIT_SETUP, "early setup", &err);
	/* Ctrl-Alt-Del becomes SIGINT, forwarded to the workload. */
	reboot(RB_DISABLE_CAD);
	load_configuration();
	config_log(&config);
	if (config.insecure_broker)
		log_warn("insecure_broker is set: a plain http:// broker is allowed, and nothing "
			 "authenticates it; the host could answer in its place (tests and demos only)");
	log_stage("early-setup", t);

	t = boottime_ms();
	if (modules_load(&config, kernel_cmdline, &err) < 0)
		boot_fail(CW_EXIT_MODULE, "module loading", &err);
	/* configfs may have just come as a module (Debian's 6.12 builds it as one, and
	 * configfs-tsm lives in it): mount what is there now; mounted ones stay. */
	if (config.n_modules && early_mount_api(&err) < 0)
		boot_fail(CW_EXIT_SETUP, "early setup", &err);
	log_stage("modules", t);
	/* The TEE drivers are loaded now: whether RTMR3 can be extended is known
	 * before any secret is asked for. */
	measure_init(&config);
}

int main(int argc, char **argv)
{
	struct cw_err err = { "" };
	struct workload w = { 0 };
	struct user_ids ids;
	char dev[256], reason[32];
	char **env = NULL, **envp = NULL;
	struct secret *env_block = NULL;
	static struct delivery delivery;
	pid_t pid;
	int sfd, status;
	uint64_t t;

	if (getpid() != 1)
		return command_main(argc, argv);
	config_defaults(&config);
	sfd = signals_init(&err);
	if (sfd < 0)
		boot_fail(CW_EXIT_SETUP, "early setup", &err);
	log_info("cwinit starting");
	early_setup();

	t = boottime_ms();
	if (root_find(config.root, config.root_wait_ms, dev, sizeof(dev), &err) < 0)
		boot_fail(CW_EXIT_ROOT_NOT_FOUND, "finding the root device", &err);
	log_info("root device %s", dev);
	load_footer(dev);
	check_broker_config();
	log_stage("find-root", t);

	t = boottime_ms();
	check_root_header(dev);
	log_stage("header", t);

	t = boottime_ms();
	if (net_setup(&config, &err) < 0)
		boot_fail(CW_EXIT_NETWORK, "network setup", &err);
	log_stage("network", t);

	unlock_and_mount();
	mount_volumes();
	prepare_workload(&w, &ids);
	secrets_deliver(&config, reference_dialect(), &ids, &root, &delivery);
	keys_measure(&config);
	keys_close();
	enter_root();
	measure_finish();

	t = boottime_ms();
	if (workload_env(&w, &ids, &env) < 0 ||
	    secrets_env(env, &delivery.list, delivery.values, &env_block, &envp, &err) < 0) {
		cw_err_set(&err, ENOMEM, "building the environment");
		boot_fail(CW_EXIT_INTERNAL, "starting the workload", &err);
	}
	free(env);
	signals_drain(sfd);
	int r = workload_spawn(&w, &ids, envp, &pid, &err);
	/* The workload has its copy (spawn returns once it has exec'd). */
	secret_free(env_block);
	secrets_delivery_free(&delivery);
	if (r < 0)
		boot_fail(workload_spawn_exit_code(r), "starting the workload", &err);
	log_stage("exec", t);
	log_resources();
	log_info("workload %s started as pid %d", w.argv[0], (int)pid);

	/* From here on nothing is fatal: supervise, then shut down in order. */
	status = exit_status_of(supervise(sfd, pid, w.stop_signal), reason, sizeof(reason));
	log_info("workload exited: status %d (%s)", status, reason);
	kill_all_processes(sfd, config.grace_ms);
	teardown_root(&root);
	end_vm(&config, status, reason);
}
