/* Encrypted data volumes next to the root (libkrun issue 102).
 *
 * They are listed only in /etc/cwinit.json (measured with the initramfs),
 * never on the command line or in the footer: the host must not be able to
 * add, drop or redirect a volume. Each is found, unlocked and mounted under
 * the new root after the root itself, in configuration order; a failure is
 * fatal like the root's. init/volumes.c parses and checks the list,
 * mount/volume.c brings one volume up and down. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "err.h"
#include "secret.h"

#define CW_MAX_VOLUMES 8
#define CW_VOLUME_PATH_MAX 192   /* characters of a mount point or key file path */
#define CW_VOLUME_KEY_MAX 4096   /* bytes of a key file */

struct cw_volume {
	char device[129];        /* /dev path, UUID=, LABEL=, PARTUUID= (never empty) */
	char mount_point[CW_VOLUME_PATH_MAX];  /* absolute, normalized, inside the new root */
	char resource[256];      /* broker resource repo/type/tag, or "" */
	char key_file[CW_VOLUME_PATH_MAX];     /* path on the root filesystem, or "" */
	char mapper[64];         /* default cwvol<index> */
	char fstype[32];         /* "" = detect */
	char mount_options[256];
	bool readonly;
	char luks_uuid[37];      /* the UUID its LUKS header must carry, or "" */
};

struct cw_volumes {
	struct cw_volume v[CW_MAX_VOLUMES];
	unsigned n;
};

struct cJSON;

/* Replaces the list with the JSON array `volumes` of /etc/cwinit.json.
 * Every member is checked; unknown or repeated members, a wrong type, both
 * or neither of resource and key_file, more than CW_MAX_VOLUMES entries and
 * duplicate mount points, mappers or devices are errors (-EINVAL, err says
 * which volume and why). */
int volumes_parse(struct cw_volumes *vs, const struct cJSON *array, struct cw_err *err);

/* Checks the list against the root's settings once every source is read
 * (the command line may set the root's mapper and device after the file). */
int volumes_check(const struct cw_volumes *vs, const char *root_spec, const char *root_mapper,
		  struct cw_err *err);

/* What one volume looks like now, so teardown knows what to undo. */
struct volume_state {
	char mapper[64];
	char mount_point[CW_VOLUME_PATH_MAX]; /* inside the root, as the workload sees it */
	bool mapped;                          /* /dev/mapper/<mapper> is active */
	bool mounted;
};

/* The boot steps (mount/volume.c). Errors name the volume. */

/* Finds the volume's device (root_find, the same spec forms and wait bound)
 * and refuses one already in use: the root's own disk, an earlier volume's,
 * or one of our unlocked mappings. */
int volume_find(const struct cw_volume *v, uint32_t wait_ms, char *dev, size_t devlen,
		struct cw_err *err);

/* Reads the key file from the root filesystem mounted at newroot into
 * locked memory: every component is opened with O_NOFOLLOW and must stay
 * on the root filesystem, the file must be a regular, non-empty file of at
 * most CW_VOLUME_KEY_MAX bytes. Its exact bytes are the passphrase. */
int volume_read_key_file(const struct cw_volume *v, const char *newroot, struct secret **pass,
			 struct cw_err *err);

struct luks_disk;
struct luks_policy;

/* luks_check of the volume's disk dev: its header copy against the policy
 * and the volume's luks_uuid. -EACCES when the policy refuses it. */
int volume_check_header(const struct cw_volume *v, const char *dev, const struct luks_policy *p,
			struct luks_disk **disk, struct cw_err *err);

/* luks_activate of the checked disk as /dev/mapper/<mapper>; -EPERM for a
 * wrong passphrase. */
int volume_unlock(const struct cw_volume *v, struct luks_disk *disk, const struct secret *pass,
		  struct volume_state *st, struct cw_err *err);

/* Mounts the mapping at newroot + mount_point, creating missing directories
 * (0755, root-owned) and refusing a component that is not a directory or
 * is a symlink. */
int volume_mount(const struct cw_volume *v, const char *newroot, struct volume_state *st,
		 struct cw_err *err);

/* Unmounts the volume at prefix + mount_point (prefix "" once the root is
 * switched into): read-only remount, then unmount, detaching it only when
 * it is still busy. */
int volume_unmount(struct volume_state *st, const char *prefix, struct cw_err *err);

/* Closes the mapping; 0 when it was not open. */
int volume_close(struct volume_state *st, struct cw_err *err);
