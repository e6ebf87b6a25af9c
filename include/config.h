/* cwinit's configuration: one table of keys, three sources.
 *
 * Sources, weakest first: the built-in defaults, the buildah KRUN disk
 * footer (untrusted: the host can rewrite it), the kernel command line
 * (`cwinit.<key>=<value>`; absent in libkrun TEEs), and /etc/cwinit.json in
 * the initramfs (measured with it). A stronger source always wins, whatever
 * order the sources are read in. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "err.h"
#include "luks.h"
#include "resolve.h"
#include "secrets.h"
#include "volumes.h"

enum cw_source {
	SRC_DEFAULT = 0,
	SRC_FOOTER = 1,
	SRC_CMDLINE = 2,
	SRC_FILE = 3,
};

#define CW_CONFIG_JSON_MAX (64 * 1024) /* /etc/cwinit.json */
#define CW_CMDLINE_MAX 4096            /* /proc/cmdline */
#define CW_MAX_MODULES 64
#define CW_MODULE_NAME_MAX 56

enum cw_shutdown { SHUTDOWN_POWEROFF, SHUTDOWN_REBOOT };

struct cw_config {
	char broker_url[512];
	char resource[256];        /* repo/type/tag */
	char tee[16];              /* auto | sample */
	char root[256];            /* path, UUID=, LABEL=, PARTUUID=, or "" (first LUKS device) */
	char mapper[64];           /* dm name of the unlocked root */
	char fstype[32];           /* "" = detect */
	char mount_options[256];
	bool readonly;
	char modules[CW_MAX_MODULES][CW_MODULE_NAME_MAX];
	unsigned n_modules;
	char net_interface[16];    /* "" = loopback only */
	char net_address[20];      /* a.b.c.d/len */
	char net_gateway[16];
	struct resolve_conf resolve; /* net_hosts, net_dns: /etc/cwinit.json only */
	char ca_file[256];         /* PEM CA for HTTPS to the broker */
	char tee_key[16];          /* ec-p256 | ec-p521 | rsa-3072 */
	bool allow_rsa1_5;         /* accept RSA1_5 resource answers (rsa-3072) */
	char init_data[256];       /* init-data TOML in the initramfs, or "" */
	uint32_t request_timeout_ms;
	uint32_t attempts;         /* whole exchanges */
	uint32_t deadline_ms;      /* attestation, all attempts together */
	uint32_t resource_restarts;/* restarts of the exchange on a 401 resource answer */
	uint32_t root_wait_ms;     /* how long to wait for the root device */
	enum cw_shutdown shutdown;
	uint32_t grace_ms;         /* between TERM and KILL at shutdown */
	uint16_t exit_port;        /* isa-debug-exit I/O port, 0 = off */
	char kbs_protocol[16];     /* auto | trustee | reference */
	char workload_id[128];     /* the reference-kbs workload (footer's workload_id) */
	char snp_gen[8];           /* milan | genoa, for reference-kbs evidence */
	bool insecure_broker;      /* http:// allowed (file only) */
	bool footer_broker_url;    /* the footer may choose the broker (file only) */
	bool ignore_cmdline;       /* cwinit.* words are ignored (file only) */
	char root_luks_uuid[37];   /* "" = any (file only) */
	struct cw_volumes volumes; /* /etc/cwinit.json only (init/volumes.c) */
	struct luks_policy luks_policy; /* `luks_ciphers`, /etc/cwinit.json only */
	struct cw_secrets secrets; /* `secrets`, `secrets_token`, /etc/cwinit.json only */
	bool image_secrets;        /* the image may ask for secrets (file only) */
	char runtime_measurement[12]; /* auto | required */

	uint8_t source[64];        /* per key: the enum cw_source that set it */
};

void config_defaults(struct cw_config *c);

/* A device-mapper name, for the root's and the volumes' mapper: letters,
 * digits, '_', '.', '-', not empty and not starting with '.'. */
bool mapper_name_ok(const char *v);

/* Sets one key from a string value, if src is at least as strong as the
 * source that set it before. Returns 0 (also when ignored as weaker),
 * -ENOENT for an unknown key, -EINVAL for a bad value (err says why). */
int config_set(struct cw_config *c, const char *key, const char *value,
	       enum cw_source src, struct cw_err *err);

/* /etc/cwinit.json: a JSON object of keys; values are strings, numbers,
 * booleans, or (modules) an array of strings. Unknown keys are errors. */
int config_load_json(struct cw_config *c, const char *json, size_t len,
		     enum cw_source src, struct cw_err *err);

/* /proc/cmdline (at most CW_CMDLINE_MAX bytes, else -EFBIG): only
 * `cwinit.<key>=<value>` words are used; others are the kernel's or a
 * module's and are passed over whatever their length. Unknown cwinit.* keys
 * and values too long for their key are errors. */
int config_load_cmdline(struct cw_config *c, const char *cmdline, struct cw_err *err);

/* The next word of the kernel command line at *p, by the kernel's rules:
 * whitespace separates, double quotes group and are dropped. Advances *p
 * and returns 1 with the word in word[n], 0 at the end, or -EINVAL when
 * a word does not fit. */
int cmdline_word(const char **p, char *word, size_t n);

/* The buildah KRUN footer JSON (see mount/footer.c for reading it off the
 * disk): attestation_url -> broker_url, tee, workload_id, tee_data's gen ->
 * snp_gen. Everything is
 * validated like hostile input. */
int config_load_footer(struct cw_config *c, const char *json, size_t len, struct cw_err *err);

/* Once every source is read: the broker URL must be authenticated (https://
 * with ca_file) unless insecure_broker allows http://. -EPERM (err says
 * why) otherwise. */
int config_check_broker(const struct cw_config *c, struct cw_err *err);

/* Logs the effective configuration, one line, each key with its source. */
void config_log(const struct cw_config *c);

/* For documentation and tests: the key table. */
struct cw_config_key {
	const char *name;
	const char *meaning;
	const char *default_text;
};
/* Fills out with key number i; NULL past the last key. */
const struct cw_config_key *config_key(size_t i, struct cw_config_key *out);
