/* /etc/cwinit.json (config_load_json): whatever the bytes, the result is
 * 0 or a documented error, and the configuration stays within its bounds. */
#include <errno.h>
#include <cjson/cJSON.h>
#include "config.h"
#include "fuzz.h"

#define TERMINATED(c, f) FUZZ_CHECK(memchr((c)->f, '\0', sizeof((c)->f)) != NULL)

/* Every string field terminated, every number within its range. */
static void check_config(const struct cw_config *c)
{
	TERMINATED(c, broker_url);
	TERMINATED(c, resource);
	TERMINATED(c, tee);
	TERMINATED(c, root);
	TERMINATED(c, mapper);
	TERMINATED(c, fstype);
	TERMINATED(c, mount_options);
	TERMINATED(c, net_interface);
	TERMINATED(c, net_address);
	TERMINATED(c, net_gateway);
	TERMINATED(c, ca_file);
	TERMINATED(c, workload_id);
	FUZZ_CHECK(c->n_modules <= CW_MAX_MODULES);
	for (unsigned i = 0; i < c->n_modules; i++)
		FUZZ_CHECK(c->modules[i][0] && memchr(c->modules[i], '\0', CW_MODULE_NAME_MAX));
	FUZZ_CHECK(c->volumes.n <= CW_MAX_VOLUMES);
	for (unsigned i = 0; i < c->volumes.n; i++) {
		const struct cw_volume *v = &c->volumes.v[i];
		TERMINATED(v, device);
		TERMINATED(v, mount_point);
		TERMINATED(v, resource);
		TERMINATED(v, key_file);
		TERMINATED(v, mapper);
		FUZZ_CHECK(v->device[0] && v->mount_point[0] == '/');
		FUZZ_CHECK(!v->resource[0] != !v->key_file[0]);
	}
	FUZZ_CHECK(c->resolve.n_hosts <= RESOLVE_MAX_HOSTS);
	for (unsigned i = 0; i < c->resolve.n_hosts; i++) {
		TERMINATED(&c->resolve.hosts[i], name);
		TERMINATED(&c->resolve.hosts[i], addr);
		FUZZ_CHECK(resolve_name_valid(c->resolve.hosts[i].name));
	}
	FUZZ_CHECK(c->resolve.n_servers <= RESOLVE_MAX_SERVERS);
	for (unsigned i = 0; i < c->resolve.n_servers; i++)
		FUZZ_CHECK(memchr(c->resolve.servers[i], '\0', sizeof(c->resolve.servers[i])));
	FUZZ_CHECK(c->attempts >= 1 && c->attempts <= 100);
	FUZZ_CHECK(c->shutdown == SHUTDOWN_POWEROFF || c->shutdown == SHUTDOWN_REBOOT);
}

/* The modules list the file gave (the last "modules" member wins), as a
 * count of names: each array element must be exactly one module. */
static int modules_given(const uint8_t *data, size_t size)
{
	cJSON *root = cJSON_ParseWithLength((const char *)data, size), *item;
	int n = -1;

	cJSON_ArrayForEach(item, root)
		if (item->string && !strcmp(item->string, "modules"))
			n = cJSON_IsArray(item) ? cJSON_GetArraySize(item) : -1;
	cJSON_Delete(root);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_config c;
	struct cw_err err = { { 0 } };
	int r;

	config_defaults(&c);
	/* Exactly size bytes, no terminator: the length is the contract. */
	r = config_load_json(&c, (const char *)data, size, SRC_FILE, &err);
	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENOENT || r == -EFBIG);
	fuzz_check_msg(err.msg, sizeof(err.msg));
	check_config(&c);
	/* What main does once every source is read. */
	if (r == 0) {
		int given = modules_given(data, size);
		FUZZ_CHECK(given < 0 || (unsigned)given == c.n_modules);
		r = volumes_check(&c.volumes, c.root, c.mapper, &err);
		FUZZ_CHECK(r == 0 || r == -EINVAL);
		fuzz_check_msg(err.msg, sizeof(err.msg));
		r = config_check_broker(&c, &err);
		FUZZ_CHECK(r == 0 || r == -EPERM);
		fuzz_check_msg(err.msg, sizeof(err.msg));
	}
	/* No configuration can allow a null cipher. */
	FUZZ_CHECK(c.luks_policy.n >= 1 && c.luks_policy.n <= LUKS_POLICY_CIPHERS);
	for (unsigned i = 0; i < c.luks_policy.n; i++)
		FUZZ_CHECK(!strstr(c.luks_policy.rules[i].spec, "null"));
	return 0;
}
