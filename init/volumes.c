/* The `volumes` list of /etc/cwinit.json (see include/volumes.h).
 *
 * The file is measured, so its content is trusted not to be malicious, but
 * it is still written by hand: every member is checked here, at boot's
 * start, so a mistake is a configuration error (status 242) before any
 * disk is touched rather than a surprise after the root is unlocked. Paths
 * are kept in one normalized form (absolute, no empty, "." or ".."
 * components, no trailing '/'), which makes comparing them a string
 * comparison. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "config.h"
#include "kbs.h"
#include "luks.h"
#include "util.h"
#include "volumes.h"

enum member { M_DEVICE, M_MOUNT_POINT, M_RESOURCE, M_KEY_FILE, M_MAPPER, M_FSTYPE,
	      M_MOUNT_OPTIONS, M_READONLY, M_LUKS_UUID };

static const char *const members[] = {
	"device", "mount_point", "resource", "key_file", "mapper", "fstype", "mount_options",
	"readonly", "luks_uuid",
};

/* The API filesystems are moved over these at the switch: a volume there
 * would be hidden. */
static const char *const reserved[] = { "/dev", "/proc", "/sys", "/run" };

static bool printable_nospace(const char *s)
{
	for (; *s; s++)
		if (*s <= ' ' || *s >= 0x7f)
			return false;
	return true;
}

/* The device forms of `root`, minus "" (the first LUKS device would be the
 * root's own disk). root_find checks the details again at boot. */
static int check_device(const char *v, struct cw_err *err)
{
	static const char *const prefixes[] = { "/dev/", "UUID=", "LABEL=", "PARTUUID=" };

	if (!printable_nospace(v))
		return cw_err_set(err, EINVAL, "device: holds a space or non-printable character");
	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++) {
		size_t n = strlen(prefixes[i]);
		if (strncmp(v, prefixes[i], n) != 0)
			continue;
		if (!v[n])
			return cw_err_set(err, EINVAL, "device: '%s' has an empty value", v);
		if (i == 0 && strstr(v, ".."))
			return cw_err_set(err, EINVAL, "device: '%s' is not a plain device path", v);
		return 0;
	}
	return cw_err_set(err, EINVAL, "device: must be a /dev/ path, UUID=, LABEL= or PARTUUID=");
}

/* Absolute and normalized; `what` names the member in messages. */
static int check_path(const char *what, const char *v, struct cw_err *err)
{
	if (v[0] != '/')
		return cw_err_set(err, EINVAL, "%s: must be an absolute path", what);
	if (!v[1])
		return cw_err_set(err, EINVAL, "%s: must not be /", what);
	if (!printable_nospace(v))
		return cw_err_set(err, EINVAL, "%s: holds a space or non-printable character", what);
	for (const char *p = v; *p;) {
		size_t n;
		p++; /* the '/' */
		n = strcspn(p, "/");
		if (n == 0)
			return cw_err_set(err, EINVAL, "%s: '%s' has an empty component or a trailing '/'",
					  what, v);
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return cw_err_set(err, EINVAL, "%s: '%s' has a '.' or '..' component", what, v);
		p += n;
	}
	return 0;
}

/* True when path is dir or lies below it (both normalized). */
static bool path_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static int check_mount_point(const char *v, struct cw_err *err)
{
	int r = check_path("mount_point", v, err);

	if (r < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(reserved); i++)
		if (path_under(v, reserved[i]))
			return cw_err_set(err, EINVAL, "mount_point: %s is reserved for the API "
					  "filesystems moved in at the switch", reserved[i]);
	return 0;
}

static int check_resource(const char *v, struct cw_err *err)
{
	if (!kbs_resource_valid(v))
		return cw_err_set(err, EINVAL, "resource: must be three segments repo/type/tag "
				  "of [A-Za-z0-9_.-]");
	return 0;
}

static int check_mapper(const char *v, struct cw_err *err)
{
	if (!mapper_name_ok(v))
		return cw_err_set(err, EINVAL, "mapper: must be letters, digits, '_', '.', '-', "
				  "not starting with '.'");
	return 0;
}

static int check_fstype(const char *v, struct cw_err *err)
{
	for (const char *p = v; *p; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '_' &&
		    *p != '-')
			return cw_err_set(err, EINVAL, "fstype: must be lowercase letters, digits, '_', '-'");
	return 0;
}

static int check_options(const char *v, struct cw_err *err)
{
	if (!printable_nospace(v))
		return cw_err_set(err, EINVAL, "mount_options: holds a space or non-printable character");
	return 0;
}

static int set_string(char *field, size_t size, const char *name, const cJSON *item,
		      int (*check)(const char *, struct cw_err *), struct cw_err *err)
{
	if (!cJSON_IsString(item))
		return cw_err_set(err, EINVAL, "%s: must be a string", name);
	if (strlen(item->valuestring) >= size)
		return cw_err_set(err, EINVAL, "%s: longer than %zu characters", name, size - 1);
	if (check) {
		int r = check(item->valuestring, err);
		if (r < 0)
			return r;
	}
	strcpy(field, item->valuestring);
	return 0;
}

static int check_luks_uuid(const char *v, struct cw_err *err)
{
	if (!luks_uuid_valid(v))
		return cw_err_set(err, EINVAL, "luks_uuid: must be a UUID, 8-4-4-4-12 hex digits");
	return 0;
}

static int key_file_check(const char *v, struct cw_err *err) { return check_path("key_file", v, err); }

static int parse_member(struct cw_volume *v, enum member m, const cJSON *item, struct cw_err *err)
{
	switch (m) {
	case M_DEVICE:
		return set_string(v->device, sizeof(v->device), "device", item, check_device, err);
	case M_MOUNT_POINT:
		return set_string(v->mount_point, sizeof(v->mount_point), "mount_point", item,
				  check_mount_point, err);
	case M_RESOURCE:
		return set_string(v->resource, sizeof(v->resource), "resource", item, check_resource, err);
	case M_KEY_FILE:
		return set_string(v->key_file, sizeof(v->key_file), "key_file", item, key_file_check, err);
	case M_MAPPER:
		return set_string(v->mapper, sizeof(v->mapper), "mapper", item, check_mapper, err);
	case M_FSTYPE:
		return set_string(v->fstype, sizeof(v->fstype), "fstype", item, check_fstype, err);
	case M_MOUNT_OPTIONS:
		return set_string(v->mount_options, sizeof(v->mount_options), "mount_options", item,
				  check_options, err);
	case M_LUKS_UUID:
		return set_string(v->luks_uuid, sizeof(v->luks_uuid), "luks_uuid", item,
				  check_luks_uuid, err);
	case M_READONLY:
		if (!cJSON_IsBool(item))
			return cw_err_set(err, EINVAL, "readonly: must be true or false");
		v->readonly = cJSON_IsTrue(item);
		return 0;
	}
	return cw_err_set(err, EINVAL, "internal: unknown member");
}

static int parse_one(struct cw_volume *v, unsigned index, const cJSON *obj, struct cw_err *err)
{
	unsigned seen = 0;
	const cJSON *item;
	int r;

	memset(v, 0, sizeof(*v));
	if (!cJSON_IsObject(obj))
		return cw_err_set(err, EINVAL, "must be an object");
	cJSON_ArrayForEach(item, obj) {
		size_t m;
		for (m = 0; m < ARRAY_SIZE(members); m++)
			if (!strcmp(item->string, members[m]))
				break;
		if (m == ARRAY_SIZE(members))
			return cw_err_set(err, EINVAL, "unknown member \"%.64s\"", item->string);
		if (seen & (1u << m))
			return cw_err_set(err, EINVAL, "%s: given twice", members[m]);
		seen |= 1u << m;
		r = parse_member(v, (enum member)m, item, err);
		if (r < 0)
			return r;
	}
	if (!*v->device)
		return cw_err_set(err, EINVAL, "device: missing");
	if (!*v->mount_point)
		return cw_err_set(err, EINVAL, "mount_point: missing");
	if (!*v->resource == !*v->key_file)
		return cw_err_set(err, EINVAL, "needs exactly one passphrase source, resource or key_file");
	if (!*v->mapper)
		snprintf(v->mapper, sizeof(v->mapper), "cwvol%u", index);
	return 0;
}

/* A volume that names the same thing as an earlier one, or would be hidden
 * by a later one's mount, or keeps its key where a volume will cover it. */
static int check_against(const struct cw_volumes *vs, unsigned i, struct cw_err *err)
{
	const struct cw_volume *v = &vs->v[i];

	for (unsigned j = 0; j < vs->n; j++) {
		const struct cw_volume *o = &vs->v[j];

		if (*v->key_file && path_under(v->key_file, o->mount_point))
			return cw_err_set(err, EINVAL, "key_file: %s lies under volume %s's mount "
					  "point; it must be on the root filesystem", v->key_file,
					  o->mount_point);
		if (j >= i)
			continue;
		if (!strcmp(v->mount_point, o->mount_point))
			return cw_err_set(err, EINVAL, "mount_point: %s is also volume %u's", v->mount_point, j);
		if (!strcmp(v->mapper, o->mapper))
			return cw_err_set(err, EINVAL, "mapper: %s is also volume %u's", v->mapper, j);
		if (!strcmp(v->device, o->device))
			return cw_err_set(err, EINVAL, "device: %s is also volume %u's", v->device, j);
		if (path_under(o->mount_point, v->mount_point))
			return cw_err_set(err, EINVAL, "mount_point: %s would hide volume %u at %s; "
					  "list the outer mount point first", v->mount_point, j,
					  o->mount_point);
	}
	return 0;
}

int volumes_parse(struct cw_volumes *vs, const cJSON *array, struct cw_err *err)
{
	const cJSON *obj;
	unsigned n = 0;
	int r;

	vs->n = 0;
	if (!cJSON_IsArray(array))
		return cw_err_set(err, EINVAL, "volumes: must be a list of objects");
	cJSON_ArrayForEach(obj, array) {
		if (n == CW_MAX_VOLUMES) {
			vs->n = 0;
			return cw_err_set(err, EINVAL, "volumes: more than %d", CW_MAX_VOLUMES);
		}
		r = parse_one(&vs->v[n], n, obj, err);
		if (r < 0) {
			vs->n = 0;
			return cw_err_prefix(err, r, "volumes[%u]", n);
		}
		n++;
	}
	vs->n = n;
	for (unsigned i = 0; i < n; i++) {
		r = check_against(vs, i, err);
		if (r < 0) {
			vs->n = 0;
			return cw_err_prefix(err, r, "volumes[%u]", i);
		}
	}
	return 0;
}

int volumes_check(const struct cw_volumes *vs, const char *root_spec, const char *root_mapper,
		  struct cw_err *err)
{
	for (unsigned i = 0; i < vs->n; i++) {
		if (!strcmp(vs->v[i].mapper, root_mapper))
			return cw_err_set(err, EINVAL, "volumes[%u]: mapper: %s is also the root's",
					  i, root_mapper);
		if (!strcmp(vs->v[i].device, root_spec))
			return cw_err_set(err, EINVAL, "volumes[%u]: device: %s is also the root's",
					  i, root_spec);
	}
	return 0;
}
