/* The configuration table and its three sources (see include/config.h).
 *
 * Every value passes through one validating setter, whichever source it
 * comes from, because the footer and the command line are written by the
 * host and must be treated as hostile. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "config.h"
#include "kbs.h"
#include "log.h"
#include "refkbs.h"
#include "teekey.h"
#include "util.h"


enum kind { K_STR, K_BOOL, K_U32, K_PORT, K_MODULES, K_SHUTDOWN, K_HOSTS, K_DNS };

/* Which characters a string key accepts. */
enum charset { CS_ANY_PRINT, CS_NAME, CS_PATH_ABS, CS_LOWER };

struct key {
	const char *name;
	enum kind kind;
	size_t offset;
	size_t size;            /* K_STR: buffer size */
	enum charset charset;   /* K_STR */
	uint32_t min, max;      /* K_U32 */
	bool file_only;         /* only /etc/cwinit.json may set it */
	int (*check)(const char *value, struct cw_err *err);
	const char *meaning;
	const char *default_text;
};

static int check_url(const char *v, struct cw_err *err);
static int check_resource(const char *v, struct cw_err *err);
static int check_root(const char *v, struct cw_err *err);
static int check_cidr(const char *v, struct cw_err *err);
static int check_ipv4(const char *v, struct cw_err *err);
static int check_protocol(const char *v, struct cw_err *err);
static int check_workload_id(const char *v, struct cw_err *err);
static int check_gen(const char *v, struct cw_err *err);
static int check_tee_key(const char *v, struct cw_err *err);
static int check_mapper(const char *v, struct cw_err *err);
static int check_tee(const char *v, struct cw_err *err);
static int check_measurement(const char *v, struct cw_err *err);
static int check_uuid(const char *v, struct cw_err *err);

#define STR(n, cs, chk, m, d) { #n, K_STR, offsetof(struct cw_config, n), \
	sizeof(((struct cw_config *)0)->n), cs, 0, 0, false, chk, m, d }
#define U32(n, lo, hi, m, d) { #n, K_U32, offsetof(struct cw_config, n), 0, 0, lo, hi, false, NULL, m, d }
#define BOOL(n, file, m, d) { #n, K_BOOL, offsetof(struct cw_config, n), 0, 0, 0, 0, file, NULL, m, d }
#define FILE_STR(n, cs, chk, m, d) { #n, K_STR, offsetof(struct cw_config, n), \
	sizeof(((struct cw_config *)0)->n), cs, 0, 0, true, chk, m, d }

static const struct key keys[] = {
	STR(broker_url, CS_ANY_PRINT, check_url, "Key broker base URL, http:// or https://", "(none: required)"),
	STR(resource, CS_ANY_PRINT, check_resource, "Broker resource holding the LUKS passphrase, repo/type/tag", "default/key/root-disk"),
	STR(kbs_protocol, CS_LOWER, check_protocol, "Broker protocol: trustee (KBS 0.4.0), reference (reference-kbs, buildah mkcw), or auto: reference for a disk with a buildah KRUN footer, else trustee", "auto"),
	STR(workload_id, CS_NAME, check_workload_id, "reference-kbs: the workload id the broker registered the disk's passphrase under", "(footer's workload_id)"),
	STR(snp_gen, CS_LOWER, check_gen, "reference-kbs: SNP processor generation named in the evidence, milan or genoa", "milan"),
	STR(tee, CS_LOWER, check_tee, "Evidence provider: auto (the first present of configfs-tsm, /dev/sev-guest, /dev/tdx_guest; never sample), snp, tsm, tdx, or sample (tests only)", "auto"),
	STR(root, CS_ANY_PRINT, check_root, "Root device: /dev path, UUID=, LABEL=, PARTUUID=; empty = first LUKS device", "(first LUKS device)"),
	STR(mapper, CS_NAME, check_mapper, "Device-mapper name of the unlocked root", "cwroot"),
	STR(fstype, CS_LOWER, NULL, "Root filesystem type; empty = detect (ext4, xfs, erofs, btrfs, ...)", "(detect)"),
	STR(mount_options, CS_ANY_PRINT, NULL, "Filesystem-specific mount options of the root", "(none)"),
	BOOL(readonly, false, "Mount the root (and map it) read-only", "false"),
	{ "modules", K_MODULES, 0, 0, 0, 0, 0, false, NULL, "Kernel modules to load from /lib/modules in the initramfs, in order", "(none)" },
	STR(net_interface, CS_NAME, NULL, "Interface to configure with a static IPv4 address; empty = loopback only", "(none)"),
	STR(net_address, CS_ANY_PRINT, check_cidr, "IPv4 address with prefix length for net_interface, a.b.c.d/n", "(none)"),
	STR(net_gateway, CS_ANY_PRINT, check_ipv4, "IPv4 default gateway", "(none)"),
	/* How to reach a broker named by host name (include/resolve.h). The
	 * host must not steer it: only the measured file sets these. */
	{ "net_hosts", K_HOSTS, 0, 0, 0, 0, 0, true, NULL, "Host names with their IPv4 addresses, name=a.b.c.d, for a broker_url that names its host: no DNS query (at most 8; /etc/cwinit.json only)", "(none)" },
	{ "net_dns", K_DNS, 0, 0, 0, 0, 0, true, NULL, "IPv4 nameservers (at most 3), asked over TCP for the broker host's address when net_hosts lacks it (/etc/cwinit.json only)", "(none)" },
	STR(ca_file, CS_PATH_ABS, NULL, "PEM CA certificate that the HTTPS broker must chain to (put it in the initramfs)", "(none)"),
	STR(tee_key, CS_LOWER, check_tee_key, "Type of the ephemeral TEE key the broker encrypts the resource to: ec-p256, ec-p521 (ECDH-ES+A256KW) or rsa-3072 (RSA-OAEP-256)", "ec-p256"),
	BOOL(allow_rsa1_5, false, "Accept a resource encrypted with RSA1_5 (older brokers) for an rsa-3072 key; refused otherwise", "false"),
	STR(init_data, CS_PATH_ABS, NULL, "Trustee init-data TOML file in the initramfs: sent in the attestation after checking its digest against SNP HOST_DATA / TDX MRCONFIGID", "(none)"),
	U32(request_timeout_ms, 100, 600000, "Timeout of one HTTP request to the broker", "30000"),
	U32(attempts, 1, 100, "Attempts of the whole broker exchange", "5"),
	U32(deadline_ms, 1000, 3600000, "Overall deadline of the broker exchange, all attempts together", "120000"),
	U32(resource_restarts, 0, 10, "Restarts from auth when the broker forgot the session (401 on the resource)", "3"),
	U32(root_wait_ms, 0, 600000, "How long to wait for the root device to appear", "10000"),
	{ "shutdown", K_SHUTDOWN, offsetof(struct cw_config, shutdown), 0, 0, 0, 0, false, NULL, "How to end the VM: poweroff, or reboot (libkrun, Firecracker)", "poweroff" },
	U32(grace_ms, 0, 600000, "Time between TERM and KILL for processes left at shutdown", "5000"),
	{ "exit_port", K_PORT, offsetof(struct cw_config, exit_port), 0, 0, 0, 0, false, NULL, "QEMU isa-debug-exit I/O port to write the exit status to; 0 = off", "0" },
	/* What the host could use to weaken cwinit: only the measured file sets these. */
	BOOL(insecure_broker, true, "Allow a plain http:// broker, which nothing authenticates: the host could answer in its place (tests and demos only; a warning at every boot)", "false"),
	BOOL(footer_broker_url, true, "Let the disk footer's attestation_url choose the broker (still https:// chaining to ca_file, or under insecure_broker)", "false"),
	BOOL(ignore_cmdline, true, "Ignore every cwinit.* word of the kernel command line, for platforms that do not measure it", "false"),
	FILE_STR(root_luks_uuid, CS_ANY_PRINT, check_uuid, "LUKS UUID the root disk's header must carry; empty = any", "(any)"),
	STR(runtime_measurement, CS_LOWER, check_measurement, "Runtime events (disks, workload, broker) extended into TDX RTMR3: auto (where the kernel offers it, else logged with a warning) or required (fail the boot otherwise)", "auto"),
	BOOL(image_secrets, true, "Deliver the secrets the image lists in /etc/cwinit/secrets.json (false: only this file's)", "true"),
};

_Static_assert(ARRAY_SIZE(keys) <= sizeof(((struct cw_config *)0)->source), "source[] too small");

static const char *source_name(enum cw_source s)
{
	static const char *names[] = { "default", "footer", "cmdline", "file" };
	return names[s];
}

void config_defaults(struct cw_config *c)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->resource, "default/key/root-disk");
	strcpy(c->tee, "auto");
	strcpy(c->kbs_protocol, "auto");
	strcpy(c->snp_gen, "milan");
	strcpy(c->tee_key, "ec-p256");
	strcpy(c->mapper, "cwroot");
	luks_policy_default(&c->luks_policy);
	c->image_secrets = true;
	strcpy(c->runtime_measurement, "auto");
	c->request_timeout_ms = 30000;
	c->attempts = 5;
	c->deadline_ms = 120000;
	c->resource_restarts = 3;
	c->root_wait_ms = 10000;
	c->shutdown = SHUTDOWN_POWEROFF;
	c->grace_ms = 5000;
}

static bool charset_ok(enum charset cs, const char *v)
{
	if (cs == CS_PATH_ABS && *v && *v != '/')
		return false;
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		switch (cs) {
		case CS_ANY_PRINT:
		case CS_PATH_ABS:
			if (*p <= ' ' || *p >= 0x7f)
				return false;
			break;
		case CS_NAME:
			if (!isalnum(*p) && *p != '_' && *p != '-' && *p != '.')
				return false;
			break;
		case CS_LOWER:
			if (!islower(*p) && !isdigit(*p) && *p != '_' && *p != '-')
				return false;
			break;
		}
	}
	return true;
}

bool mapper_name_ok(const char *v)
{
	return *v && v[0] != '.' && charset_ok(CS_NAME, v);
}

static int check_mapper(const char *v, struct cw_err *err)
{
	if (!mapper_name_ok(v))
		return cw_err_set(err, EINVAL, "must be letters, digits, '_', '.', '-', not starting "
				  "with '.'");
	return 0;
}

static int check_measurement(const char *v, struct cw_err *err)
{
	if (!strcmp(v, "auto") || !strcmp(v, "required"))
		return 0;
	return cw_err_set(err, EINVAL, "must be auto or required");
}

static int check_tee(const char *v, struct cw_err *err)
{
	static const char *const names[] = { "auto", "snp", "tsm", "tdx", "sample" };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(v, names[i]))
			return 0;
	return cw_err_set(err, EINVAL, "must be auto, snp, tsm, tdx or sample");
}

static int check_uuid(const char *v, struct cw_err *err)
{
	if (*v && !luks_uuid_valid(v))
		return cw_err_set(err, EINVAL, "must be a UUID, 8-4-4-4-12 hex digits");
	return 0;
}

static int check_url(const char *v, struct cw_err *err)
{
	const char *host;

	if (!*v)
		return 0;
	if (!strncmp(v, "http://", 7))
		host = v + 7;
	else if (!strncmp(v, "https://", 8))
		host = v + 8;
	else
		return cw_err_set(err, EINVAL, "must start with http:// or https://");
	if (!*host || *host == '/')
		return cw_err_set(err, EINVAL, "has no host");
	/* The client appends /kbs/v0/...; user info, queries and fragments
	 * have no place in a broker address. */
	if (strpbrk(v, "@?#\\"))
		return cw_err_set(err, EINVAL, "must not contain '@', '?', '#' or '\\'");
	return 0;
}

static int check_resource(const char *v, struct cw_err *err)
{
	if (!kbs_resource_valid(v))
		return cw_err_set(err, EINVAL, "must be three segments repo/type/tag of [A-Za-z0-9_.-]");
	return 0;
}

static int check_protocol(const char *v, struct cw_err *err)
{
	if (!strcmp(v, "auto") || !strcmp(v, "trustee") || !strcmp(v, "reference"))
		return 0;
	return cw_err_set(err, EINVAL, "must be auto, trustee or reference");
}

static int check_workload_id(const char *v, struct cw_err *err)
{
	if (!*v || refkbs_workload_id_valid(v))
		return 0;
	return cw_err_set(err, EINVAL, "must be 1-%d characters of [A-Za-z0-9_.-], not starting "
			  "with '.'", REFKBS_WORKLOAD_ID_MAX);
}

static int check_gen(const char *v, struct cw_err *err)
{
	if (!strcmp(v, "milan") || !strcmp(v, "genoa"))
		return 0;
	return cw_err_set(err, EINVAL, "must be milan or genoa");
}

static int check_tee_key(const char *v, struct cw_err *err)
{
	enum teekey_type type;

	if (teekey_type_parse(v, &type) == 0)
		return 0;
	return cw_err_set(err, EINVAL, "must be ec-p256, ec-p521 or rsa-3072");
}

static int check_root(const char *v, struct cw_err *err)
{
	if (!*v || !strncmp(v, "/dev/", 5) || !strncmp(v, "UUID=", 5) ||
	    !strncmp(v, "LABEL=", 6) || !strncmp(v, "PARTUUID=", 9))
		return 0;
	return cw_err_set(err, EINVAL, "must be a /dev/ path, UUID=, LABEL= or PARTUUID=");
}

static int check_ipv4(const char *v, struct cw_err *err)
{
	struct in_addr a;

	if (*v && inet_pton(AF_INET, v, &a) != 1)
		return cw_err_set(err, EINVAL, "is not an IPv4 address");
	return 0;
}

static int check_cidr(const char *v, struct cw_err *err)
{
	char addr[16];
	const char *slash = strchr(v, '/');
	uint64_t len;

	if (!*v)
		return 0;
	if (!slash || (size_t)(slash - v) >= sizeof(addr) || parse_uint(slash + 1, 0, 32, &len) < 0)
		return cw_err_set(err, EINVAL, "must be a.b.c.d/prefix-length");
	memcpy(addr, v, (size_t)(slash - v));
	addr[slash - v] = '\0';
	return check_ipv4(addr, err);
}

static int parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "yes"))
		*out = true;
	else if (!strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "no"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

/* "a,b-c" -> modules a, b_c. Replaces the whole list. */
static int set_modules(struct cw_config *c, const char *v, struct cw_err *err)
{
	unsigned n = 0;

	for (const char *p = v; *p;) {
		size_t len = strcspn(p, ",");
		if (len == 0 || len >= CW_MODULE_NAME_MAX)
			return cw_err_set(err, EINVAL, "module names must be 1-%d characters", CW_MODULE_NAME_MAX - 1);
		if (n == CW_MAX_MODULES)
			return cw_err_set(err, EINVAL, "more than %d modules", CW_MAX_MODULES);
		for (size_t i = 0; i < len; i++) {
			char ch = p[i] == '-' ? '_' : p[i];
			if (!isalnum((unsigned char)ch) && ch != '_')
				return cw_err_set(err, EINVAL, "module names are letters, digits, '_' and '-'");
			c->modules[n][i] = ch;
		}
		c->modules[n][len] = '\0';
		n++;
		p += len;
		if (*p == ',' && !*++p)
			return cw_err_set(err, EINVAL, "empty module name");
	}
	c->n_modules = n;
	return 0;
}

static const struct key *key_find(const char *name, size_t *index)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (!strcmp(keys[i].name, name)) {
			*index = i;
			return &keys[i];
		}
	return NULL;
}

/* The host writes the footer, and the command line where the platform does
 * not measure it: they may not choose what would let the host answer in the
 * broker's place or run its own code (see the README's threat model). */
static int source_allows(const struct cw_config *c, const struct key *k, const char *v,
			 enum cw_source src, struct cw_err *err)
{
	if (src == SRC_FILE)
		return 0;
	if (!strcmp(k->name, "tee") && !strcmp(v, "sample"))
		return cw_err_set(err, EPERM, "sample evidence may be chosen only in /etc/cwinit.json");
	if (src == SRC_FOOTER && !strcmp(k->name, "broker_url") && !c->footer_broker_url)
		return cw_err_set(err, EPERM, "the disk footer may choose the broker only when "
				  "/etc/cwinit.json sets footer_broker_url");
	return 0;
}

int config_set(struct cw_config *c, const char *name, const char *v, enum cw_source src,
	       struct cw_err *err)
{
	size_t idx;
	const struct key *k = key_find(name, &idx);
	char *field;
	uint64_t num;
	int r = 0;

	if (!k)
		return cw_err_set(err, ENOENT, "unknown key \"%.64s\" (from %s)", name, source_name(src));
	/* Refused even where the file has set it: the host tried. */
	if (k->file_only && src != SRC_FILE)
		return cw_err_set(err, EPERM, "%s (from %s): may be set only in /etc/cwinit.json", name,
				  source_name(src));
	if (src < c->source[idx])
		return 0;
	r = source_allows(c, k, v, src, err);
	if (r < 0)
		return cw_err_prefix(err, r, "%s (from %s)", name, source_name(src));
	field = (char *)c + k->offset;
	switch (k->kind) {
	case K_STR:
		if (strlen(v) >= k->size)
			r = cw_err_set(err, EINVAL, "longer than %zu characters", k->size - 1);
		else if (!charset_ok(k->charset, v))
			r = cw_err_set(err, EINVAL, "contains characters not allowed here");
		else if (k->check)
			r = k->check(v, err);
		if (r == 0)
			strcpy(field, v);
		break;
	case K_BOOL:
		if (parse_bool(v, (bool *)field) < 0)
			r = cw_err_set(err, EINVAL, "must be true or false");
		break;
	case K_U32:
		r = parse_uint(v, k->min, k->max, &num);
		if (r < 0)
			r = cw_err_set(err, EINVAL, "must be a whole number from %u to %u", k->min, k->max);
		else
			*(uint32_t *)field = (uint32_t)num;
		break;
	case K_PORT:
		if (parse_uint(v, 0, 0xffff, &num) < 0)
			r = cw_err_set(err, EINVAL, "must be an I/O port number, 0 to 0xffff");
		else
			*(uint16_t *)field = (uint16_t)num;
		break;
	case K_MODULES:
		r = set_modules(c, v, err);
		break;
	case K_HOSTS:
		r = resolve_set_hosts(&c->resolve, v, err);
		break;
	case K_DNS:
		r = resolve_set_servers(&c->resolve, v, err);
		break;
	case K_SHUTDOWN:
		if (!strcmp(v, "poweroff"))
			*(enum cw_shutdown *)field = SHUTDOWN_POWEROFF;
		else if (!strcmp(v, "reboot"))
			*(enum cw_shutdown *)field = SHUTDOWN_REBOOT;
		else
			r = cw_err_set(err, EINVAL, "must be poweroff or reboot");
		break;
	}
	if (r < 0)
		return cw_err_prefix(err, r, "%s (from %s)", name, source_name(src));
	c->source[idx] = (uint8_t)src;
	return 0;
}

/* A JSON value as the string form config_set takes. */
static int json_value_text(const cJSON *v, char *buf, size_t n)
{
	if (cJSON_IsString(v))
		return strscpy(buf, v->valuestring, n);
	if (cJSON_IsBool(v))
		return strscpy(buf, cJSON_IsTrue(v) ? "true" : "false", n);
	if (cJSON_IsNumber(v)) {
		/* Only exact non-negative integers; cJSON stores numbers as doubles. */
		if (v->valuedouble < 0 || v->valuedouble > 4294967295.0 ||
		    v->valuedouble != (double)(uint64_t)v->valuedouble)
			return -EINVAL;
		snprintf(buf, n, "%llu", (unsigned long long)v->valuedouble);
		return 0;
	}
	if (cJSON_IsArray(v)) {
		size_t used = 0;
		const cJSON *e;
		buf[0] = '\0';
		cJSON_ArrayForEach(e, v) {
			/* One element, one name: "" or "a,b" would vanish or split
			 * once joined into the command line's comma list. */
			if (!cJSON_IsString(e) || !e->valuestring[0] || strchr(e->valuestring, ','))
				return -EINVAL;
			int w = snprintf(buf + used, n - used, "%s%s", used ? "," : "", e->valuestring);
			if (w < 0 || (size_t)w >= n - used)
				return -ENAMETOOLONG;
			used += (size_t)w;
		}
		return 0;
	}
	return -EINVAL;
}

static bool takes_list(const char *name)
{
	size_t idx;
	const struct key *k = key_find(name, &idx);

	return k && (k->kind == K_MODULES || k->kind == K_HOSTS || k->kind == K_DNS);
}

/* The members that are lists or objects of their own rather than keys of
 * the table, all only from the measured file. 1 when item is one of them
 * (and set), 0 when it is not, -errno (err says why). */
static int structured_member(struct cw_config *c, const cJSON *item, enum cw_source src,
			     struct cw_err *err)
{
	const char *name = item->string;
	int r;

	if (strcmp(name, "volumes") && strcmp(name, "secrets") && strcmp(name, "secrets_token") &&
	    strcmp(name, "luks_ciphers"))
		return 0;
	if (src != SRC_FILE)
		return cw_err_set(err, EINVAL, "%s: only in /etc/cwinit.json", name);
	if (!strcmp(name, "volumes"))
		r = volumes_parse(&c->volumes, item, err);
	else if (!strcmp(name, "secrets"))
		r = secrets_parse_list(&c->secrets, item, false, err);
	else if (!strcmp(name, "luks_ciphers"))
		r = luks_policy_parse(&c->luks_policy, item, err);
	else
		r = cJSON_IsString(item) ? secrets_set_token(&c->secrets, item->valuestring, err)
					 : cw_err_set(err, EINVAL, "secrets_token: must be a string");
	return r < 0 ? r : 1;
}

int config_load_json(struct cw_config *c, const char *json, size_t len, enum cw_source src,
		     struct cw_err *err)
{
	cJSON *root, *item;
	char value[CW_MAX_MODULES * CW_MODULE_NAME_MAX];
	int r = 0;

	if (len > CW_CONFIG_JSON_MAX)
		return cw_err_set(err, EFBIG, "configuration larger than %d bytes", CW_CONFIG_JSON_MAX);
	root = cJSON_ParseWithLength(json, len);
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return cw_err_set(err, EINVAL, "configuration is not a JSON object");
	}
	cJSON_ArrayForEach(item, root) {
		const char *name = item->string;
		if ((r = structured_member(c, item, src, err)) < 0)
			break;
		if (r) {
			r = 0;
			continue;
		}
		if (cJSON_IsArray(item) && !takes_list(name)) {
			r = cw_err_set(err, EINVAL, "%.64s: only modules, net_hosts and net_dns take a list",
				       name);
			break;
		}
		if (json_value_text(item, value, sizeof(value)) < 0) {
			r = cw_err_set(err, EINVAL, "%.64s: value has the wrong type or is too long, "
				       "or a list name is empty or holds ','", name);
			break;
		}
		r = config_set(c, name, value, src, err);
		if (r < 0)
			break;
	}
	cJSON_Delete(root);
	return r;
}

int config_check_broker(const struct cw_config *c, struct cw_err *err)
{
	if (!strncmp(c->broker_url, "http://", 7) && !c->insecure_broker)
		return cw_err_set(err, EPERM, "broker_url %s is plain HTTP, which nothing "
				  "authenticates: the host could answer in the broker's place; use "
				  "https:// with ca_file (insecure_broker in /etc/cwinit.json allows "
				  "http:// for tests and demos)", c->broker_url);
	if (!strncmp(c->broker_url, "https://", 8) && !*c->ca_file)
		return cw_err_set(err, EPERM, "broker_url %s needs ca_file, the CA its certificate "
				  "must chain to (there is no system CA store)", c->broker_url);
	return 0;
}

const struct cw_config_key *config_key(size_t i, struct cw_config_key *out)
{
	if (i >= ARRAY_SIZE(keys))
		return NULL;
	out->name = keys[i].name;
	out->meaning = keys[i].meaning;
	out->default_text = keys[i].default_text;
	return out;
}

void config_log(const struct cw_config *c)
{
	char line[900];
	size_t used = 0;

	/* Only the keys not left at their defaults, so the line stays short. */
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		if (c->source[i] == SRC_DEFAULT)
			continue;
		int w = snprintf(line + used, sizeof(line) - used, " %s(%s)", keys[i].name,
				 source_name(c->source[i]));
		if (w < 0 || (size_t)w >= sizeof(line) - used)
			break;
		used += (size_t)w;
	}
	line[used] = '\0';
	log_info("configuration: broker %s, resource %s, tee %s, root %s; set:%s",
		 *c->broker_url ? c->broker_url : "(none)", c->resource, c->tee,
		 *c->root ? c->root : "(first LUKS device)", used ? line : " (all defaults)");
}
