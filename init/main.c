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
#include "initdata.h"
#include "kbs.h"
#include "log.h"
#include "pid1.h"
#include "refkbs.h"
#include "secret.h"
#include "util.h"
#include "volumes.h"
#include "workload.h"

#define CONFIG_FILE "/etc/cwinit.json"

static struct cw_config config;
static struct root_state root = { .initramfs_fd = -1 };

/* The fatal path: one line (what, why, what to check), then out. */
_Noreturn static void fail(int code, const char *stage, const struct cw_err *err)
{
	const struct cw_exit_info *e = cw_exit_lookup(code);

	secret_wipe_all();
	log_error("%s failed: %s; check %s", stage, err->msg, e ? e->check : "the log above");
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
		fail(CW_EXIT_CONFIG, "configuration", &err);
	r = read_file_bounded("/proc/cmdline", CW_CMDLINE_MAX + 1, &kernel_cmdline, &len);
	if (r < 0) {
		cw_err_set(&err, r, "/proc/cmdline: %s", strerror(-r));
		fail(r == -EFBIG ? CW_EXIT_CONFIG : CW_EXIT_SETUP, "configuration", &err);
	}
	if (config_load_cmdline(&config, kernel_cmdline, &err) < 0 ||
	    volumes_check(&config.volumes, config.root, config.mapper, &err) < 0)
		fail(CW_EXIT_CONFIG, "configuration", &err);
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
		fail(CW_EXIT_CONFIG, "configuration", &err);
	}
	footer_found = true;
	log_info("read the disk footer of %s", dev);
}

static int kbs_exit_code(enum kbs_failure f)
{
	switch (f) {
	case KBS_UNREACHABLE: return CW_EXIT_BROKER_UNREACHABLE;
	case KBS_DENIED: return CW_EXIT_BROKER_DENIED;
	case KBS_BAD_ANSWER: return CW_EXIT_BROKER_ANSWER;
	case KBS_EVIDENCE: return CW_EXIT_EVIDENCE;
	default: return CW_EXIT_INTERNAL;
	}
}

static bool reference_dialect(void)
{
	if (strcmp(config.kbs_protocol, "auto") == 0)
		return footer_found;
	return strcmp(config.kbs_protocol, "reference") == 0;
}

/* What every broker dialect needs: its URL and the evidence provider. */
static const struct evidence_provider *broker_prerequisites(void)
{
	struct cw_err err = { "" };
	const struct evidence_provider *provider;

	if (!*config.broker_url) {
		cw_err_set(&err, EINVAL, "no broker_url in the initramfs configuration, "
			   "the kernel command line or the disk footer");
		fail(CW_EXIT_CONFIG, "attestation", &err);
	}
	provider = provider_select(config.tee, &err);
	if (!provider)
		fail(errno == EINVAL ? CW_EXIT_CONFIG : CW_EXIT_EVIDENCE, "attestation", &err);
	return provider;
}

static void broker_outcome(int r, const struct kbs_result *res, struct cw_err *err)
{
	if (r == -EINVAL && res->failure == KBS_INTERNAL && res->requests == 0)
		fail(CW_EXIT_CONFIG, "attestation", err); /* refused before any request */
	if (r < 0)
		fail(kbs_exit_code(res->failure), "attestation", err);
}

/* reference-kbs (buildah mkcw workloads): the workload's key, bound to a
 * raw SNP report. */
static struct secret *fetch_reference_passphrase(void)
{
	struct cw_err err = { "" };
	struct kbs_result res = { 0 };
	struct secret *pass = NULL;
	const struct evidence_provider *provider = broker_prerequisites();
	uint64_t t = boottime_ms();
	struct refkbs_request req = {
		.url = config.broker_url,
		.ca_file = *config.ca_file ? config.ca_file : NULL,
		.resolve = &config.resolve,
		.workload_id = config.workload_id,
		.gen = config.snp_gen,
		.report = refkbs_report_source(provider),
		.request_timeout_ms = config.request_timeout_ms,
		.attempts = config.attempts,
		.deadline_ms = config.deadline_ms,
		.key_restarts = config.resource_restarts,
	};

	if (!req.report) {
		cw_err_set(&err, EINVAL, "reference-kbs takes SEV-SNP reports; tee %s has none",
			   provider->name);
		fail(provider == &sample_provider ? CW_EXIT_CONFIG : CW_EXIT_EVIDENCE, "attestation",
		     &err);
	}
	if (!*config.workload_id) {
		cw_err_set(&err, EINVAL, "reference-kbs needs workload_id: from the disk footer or "
			   "the configuration");
		fail(CW_EXIT_CONFIG, "attestation", &err);
	}
	broker_outcome(refkbs_get_passphrase(&req, &pass, &res, &err), &res, &err);
	log_info("attested with tee %s to reference-kbs and fetched the key of workload %s "
		 "(%u HTTP requests)", provider->name, config.workload_id, res.requests);
	log_stage("attest", t);
	return pass;
}

static struct secret *fetch_passphrase(const char *resource)
{
	struct cw_err err = { "" };
	struct kbs_result res = { 0 };
	struct secret *pass = NULL;
	const struct evidence_provider *provider;
	_cleanup_free_ char *init_data = NULL;
	size_t init_data_len = 0;
	enum teekey_type tee_key = TEEKEY_EC_P256;
	uint64_t t = boottime_ms();

	provider = broker_prerequisites();
	teekey_type_parse(config.tee_key, &tee_key); /* validated with the configuration */
	if (*config.init_data && initdata_load(config.init_data, &init_data, &init_data_len, &err))
		fail(CW_EXIT_CONFIG, "attestation", &err);
	struct kbs_request req = {
		.url = config.broker_url,
		.resource = resource,
		.ca_file = *config.ca_file ? config.ca_file : NULL,
		.resolve = &config.resolve,
		.provider = provider,
		.request_timeout_ms = config.request_timeout_ms,
		.attempts = config.attempts,
		.deadline_ms = config.deadline_ms,
		.resource_restarts = config.resource_restarts,
		.tee_key = tee_key,
		.allow_rsa1_5 = config.allow_rsa1_5,
		.init_data = init_data,
		.init_data_len = init_data_len,
	};
	broker_outcome(kbs_get_resource(&req, &pass, &res, &err), &res, &err);
	log_info("attested with tee %s and fetched %s (%u HTTP requests, TEE key %s)",
		 provider->name, resource, res.requests, config.tee_key);
	log_stage("attest", t);
	return pass;
}

/* A passphrase fetched for one disk is kept, in locked memory, only until
 * the next volume that names the same resource: one exchange per resource. */
static struct secret *kept_pass[CW_MAX_VOLUMES];

static void passphrase_done(int disk, const char *resource, struct secret *pass)
{
	int next = volumes_next_user(&config.volumes, disk, resource);

	if (next < 0)
		secret_free(pass);
	else
		kept_pass[next] = pass;
}

/* Known once the footer is read, before any disk is touched: reference-kbs
 * keeps one key per workload, so volumes cannot name broker resources. */
static void check_dialect_volumes(void)
{
	struct cw_err err = { "" };

	if (!reference_dialect())
		return;
	for (unsigned i = 0; i < config.volumes.n; i++)
		if (*config.volumes.v[i].resource) {
			cw_err_set(&err, EINVAL, "volume %s names resource %s: broker resources need "
				   "kbs_protocol=trustee (reference-kbs keeps one key per workload)",
				   config.volumes.v[i].mount_point, config.volumes.v[i].resource);
			fail(CW_EXIT_CONFIG, "configuration", &err);
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
	return ref ? fetch_reference_passphrase() : fetch_passphrase(config.resource);
}

static void unlock_and_mount(const char *dev)
{
	struct cw_err err = { "" };
	struct secret *pass = fetch_root_passphrase();
	uint64_t t = boottime_ms();
	char mapped[96];
	int r;

	strscpy(root.mapper, config.mapper, sizeof(root.mapper));
	r = luks_open(dev, config.mapper, pass, config.readonly, &err);
	/* Whatever the outcome; a reference-kbs key is no broker resource. */
	passphrase_done(-1, reference_dialect() ? "" : config.resource, pass);
	if (r == -EPERM)
		fail(CW_EXIT_WRONG_KEY, "unlock", &err);
	if (r < 0)
		fail(CW_EXIT_UNLOCK, "unlock", &err);
	root.mapped = true;
	log_stage("unlock", t);

	t = boottime_ms();
	snprintf(mapped, sizeof(mapped), "/dev/mapper/%s", config.mapper);
	if (mkdir(CW_NEWROOT, 0755) < 0 && errno != EEXIST) {
		cw_err_set(&err, errno, "mkdir %s: %m", CW_NEWROOT);
		fail(CW_EXIT_MOUNT, "mount", &err);
	}
	if (fs_mount(mapped, CW_NEWROOT, config.fstype, config.mount_options, config.readonly, &err) < 0)
		fail(CW_EXIT_MOUNT, "mount", &err);
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
		struct secret *pass = kept_pass[i];
		int r;

		kept_pass[i] = NULL;
		root.n_volumes = i + 1;
		if (volume_find(v, config.root_wait_ms, dev, sizeof(dev), &err) < 0)
			fail(CW_EXIT_ROOT_NOT_FOUND, "finding a volume", &err);
		if (!pass && *v->resource)
			pass = fetch_passphrase(v->resource);
		else if (!pass && volume_read_key_file(v, CW_NEWROOT, &pass, &err) < 0)
			fail(CW_EXIT_UNLOCK, "reading a volume key", &err);
		r = volume_unlock(v, dev, pass, &root.volumes[i], &err);
		passphrase_done((int)i, v->resource, pass);
		if (r < 0)
			fail(r == -EPERM ? CW_EXIT_WRONG_KEY : CW_EXIT_UNLOCK, "unlocking a volume", &err);
		if (volume_mount(v, CW_NEWROOT, &root.volumes[i], &err) < 0)
			fail(CW_EXIT_MOUNT, "mounting a volume", &err);
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
		fail(CW_EXIT_WORKLOAD_CONFIG, "workload configuration", &err);
	}
	if (workload_parse(json, len, w, &err) < 0) {
		cw_err_prefix(&err, -EINVAL, "%s", CW_WORKLOAD_CONFIG);
		fail(CW_EXIT_WORKLOAD_CONFIG, "workload configuration", &err);
	}
	if (user_resolve(CW_NEWROOT, w->user, ids, &err) < 0)
		fail(CW_EXIT_WORKLOAD_CONFIG, "workload user", &err);
}

static void enter_root(void)
{
	struct cw_err err = { "" };
	uint64_t t = boottime_ms();

	root.initramfs_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root.initramfs_fd < 0) {
		cw_err_set(&err, errno, "open /: %m");
		fail(CW_EXIT_SWITCH_ROOT, "switch root", &err);
	}
	if (switch_root(CW_NEWROOT, &err) < 0)
		fail(CW_EXIT_SWITCH_ROOT, "switch root", &err);
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
		fail(CW_EXIT_SETUP, "early setup", &err);
	/* Ctrl-Alt-Del becomes SIGINT, forwarded to the workload. */
	reboot(RB_DISABLE_CAD);
	load_configuration();
	config_log(&config);
	log_stage("early-setup", t);

	t = boottime_ms();
	if (modules_load(&config, kernel_cmdline, &err) < 0)
		fail(CW_EXIT_MODULE, "module loading", &err);
	/* configfs may have just come as a module (Debian's 6.12 builds it as one, and
	 * configfs-tsm lives in it): mount what is there now; mounted ones stay. */
	if (config.n_modules && early_mount_api(&err) < 0)
		fail(CW_EXIT_SETUP, "early setup", &err);
	log_stage("modules", t);
}

int main(int argc, char **argv)
{
	struct cw_err err = { "" };
	struct workload w = { 0 };
	struct user_ids ids;
	char dev[256], reason[32];
	char **env = NULL;
	pid_t pid;
	int sfd, status;
	uint64_t t;

	if (getpid() != 1)
		return command_main(argc, argv);
	config_defaults(&config);
	sfd = signals_init(&err);
	if (sfd < 0)
		fail(CW_EXIT_SETUP, "early setup", &err);
	log_info("cwinit starting");
	early_setup();

	t = boottime_ms();
	if (root_find(config.root, config.root_wait_ms, dev, sizeof(dev), &err) < 0)
		fail(CW_EXIT_ROOT_NOT_FOUND, "finding the root device", &err);
	log_info("root device %s", dev);
	load_footer(dev);
	check_dialect_volumes();
	log_stage("find-root", t);

	t = boottime_ms();
	if (net_setup(&config, &err) < 0)
		fail(CW_EXIT_NETWORK, "network setup", &err);
	log_stage("network", t);

	unlock_and_mount(dev);
	mount_volumes();
	prepare_workload(&w, &ids);
	enter_root();

	t = boottime_ms();
	if (workload_env(&w, &ids, &env) < 0) {
		cw_err_set(&err, ENOMEM, "building the environment");
		fail(CW_EXIT_INTERNAL, "starting the workload", &err);
	}
	signals_drain(sfd);
	int r = workload_spawn(&w, &ids, env, &pid, &err);
	if (r < 0)
		fail(workload_spawn_exit_code(r), "starting the workload", &err);
	log_stage("exec", t);
	log_resources();
	log_info("workload %s started as pid %d", w.argv[0], (int)pid);

	/* From here on nothing is fatal: supervise, then shut down in order. */
	status = exit_status_of(supervise(sfd, pid), reason, sizeof(reason));
	log_info("workload exited: status %d (%s)", status, reason);
	kill_all_processes(sfd, config.grace_ms);
	teardown_root(&root);
	end_vm(&config, status, reason);
}
