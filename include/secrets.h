/* Secrets for the workload: broker resources fetched in the root's
 * attested session and handed over before the workload starts, as files on
 * a tmpfs at /run/secrets or as environment values.
 *
 * Two lists: the platform's in /etc/cwinit.json (`secrets`, measured), and
 * the image's in /etc/cwinit/secrets.json on the decrypted root (decrypted
 * with the attested key, so only its owner wrote it), which the file may
 * forbid (`image_secrets`). init/secrets.c parses and merges them,
 * mount/secret_files.c writes the files. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "err.h"
#include "secret.h"

#define CW_SECRETS_DIR "/run/secrets"
#define CW_IMAGE_SECRETS "/etc/cwinit/secrets.json"   /* in the workload's root */
#define CW_IMAGE_SECRETS_MAX (64 * 1024)
#define CW_MAX_SECRETS 16                   /* both lists together */
#define CW_SECRET_FILE_MAX (1024 * 1024)    /* bytes of one file secret */
#define CW_SECRET_ENV_MAX (32 * 1024)       /* bytes of one environment value */
#define CW_SECRET_NAME_MAX 64

struct cw_secret {
	char resource[256];              /* repo/type/tag */
	char file[CW_SECRET_NAME_MAX];   /* a file name in /run/secrets, or "" */
	char env[CW_SECRET_NAME_MAX];    /* an environment variable, or "" */
	mode_t mode;                     /* of the file; 0400 unless given */
	bool optional;                   /* a refusal is a warning, not fatal */
	bool from_image;
};

struct cw_secrets {
	struct cw_secret v[CW_MAX_SECRETS];
	unsigned n;
	/* The attestation token as a file in /run/secrets (opt-in), or "". */
	char token[CW_SECRET_NAME_MAX];
};

struct cJSON;

/* Appends the entries of a JSON list (`secrets` of either source): each an
 * object with `resource` and exactly one of `file` (a plain file name) or
 * `env` (a variable name, [A-Za-z_][A-Za-z0-9_]*), and optionally `mode`
 * (a string of octal digits, 0400 to 0777 without set-id or sticky bits)
 * for a file and `optional`. Unknown members, a file or a variable named
 * twice (across both lists and the token), and more than CW_MAX_SECRETS
 * entries in all are errors (-EINVAL, err names the entry). */
int secrets_parse_list(struct cw_secrets *s, const struct cJSON *list, bool from_image,
		       struct cw_err *err);

/* The token's path, "/run/secrets/<name>" (opt-in), into s->token. */
int secrets_set_token(struct cw_secrets *s, const char *path, struct cw_err *err);

/* The image's /etc/cwinit/secrets.json: {"secrets": [...], "token": path},
 * both optional, nothing else. Appended to s. json[len] must be its NUL. */
int secrets_parse_image(struct cw_secrets *s, const char *json, size_t len,
			struct cw_err *err);

/* Whether any entry, or the token, comes from the image. */
bool secrets_from_image(const struct cw_secrets *s);

/* An environment value must be UTF-8 without NUL, at most
 * CW_SECRET_ENV_MAX bytes. */
int secret_env_check(const struct cw_secret *e, const struct secret *value,
		     struct cw_err *err);

/* The workload's environment with the secret values: env (NULL-terminated
 * "K=V") without the names the secrets set, then NAME=value for each
 * secret with values[i] not NULL, all in one block of locked memory
 * (*block; free it with secret_free after the workload started). */
int secrets_env(char **env, const struct cw_secrets *s, struct secret *const values[],
		struct secret **block, char ***out, struct cw_err *err);

/* mount/secret_files.c: the tmpfs at dir (nodev, nosuid, noexec, mode 0755,
 * room for `files` files of at most CW_SECRET_FILE_MAX bytes and the token),
 * one file written whole or not at all (an unnamed file linked in when
 * complete), and the tmpfs unmounted again. */
int secret_files_mount(const char *dir, unsigned files, struct cw_err *err);
int secret_file_write(const char *dir, const char *name, const struct secret *data, uid_t uid,
		      gid_t gid, mode_t mode, struct cw_err *err);
int secret_files_unmount(const char *dir, struct cw_err *err);
