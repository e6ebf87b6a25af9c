/* The secrets lists (see include/secrets.h): parsing both sources into one
 * checked list, and the workload's environment with the values.
 *
 * The lists say only which resource goes where; the broker decides whether
 * this VM gets it. Names are checked strictly anyway: a file name never
 * leaves /run/secrets, a variable name is a plain shell name, and each
 * appears once across both lists, so one source cannot replace what the
 * other delivers. Two entries may name the same resource (a file and a
 * variable, say): each is fetched. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "jcs.h"
#include "kbs.h"
#include "secrets.h"
#include "util.h"

static const char *const members[] = { "resource", "file", "env", "mode", "optional" };

static bool file_name_ok(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n >= CW_SECRET_NAME_MAX || v[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)v[i]) && v[i] != '_' && v[i] != '-' && v[i] != '.')
			return false;
	return true;
}

static bool env_name_ok(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n >= CW_SECRET_NAME_MAX || isdigit((unsigned char)v[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)v[i]) && v[i] != '_')
			return false;
	return true;
}

/* "0400".."0777": readable by the owner at least, never set-id or sticky. */
static int parse_mode(const cJSON *item, mode_t *mode, struct cw_err *err)
{
	const char *v = cJSON_GetStringValue(item);
	uint64_t m = 0;

	if (!v || strlen(v) < 3 || strlen(v) > 4 || strspn(v, "01234567") != strlen(v))
		return cw_err_set(err, EINVAL, "mode: must be a string of octal digits, e.g. \"0440\"");
	for (const char *p = v; *p; p++)
		m = m * 8 + (uint64_t)(*p - '0');
	if (m > 0777 || !(m & 0400))
		return cw_err_set(err, EINVAL, "mode: %s must lie within 0400-0777 (readable by the "
				  "owner, no set-id or sticky bit)", v);
	*mode = (mode_t)m;
	return 0;
}

static int parse_entry(struct cw_secret *e, const cJSON *obj, struct cw_err *err)
{
	const cJSON *item;
	const char *v;
	unsigned seen = 0;
	int r;

	memset(e, 0, sizeof(*e));
	e->mode = 0400;
	if (!cJSON_IsObject(obj))
		return cw_err_set(err, EINVAL, "must be an object");
	cJSON_ArrayForEach(item, obj) {
		size_t m;
		for (m = 0; m < ARRAY_SIZE(members) && strcmp(item->string, members[m]); m++)
			;
		if (m == ARRAY_SIZE(members))
			return cw_err_set(err, EINVAL, "unknown member \"%.64s\"", item->string);
		if (seen & (1u << m))
			return cw_err_set(err, EINVAL, "%s: given twice", members[m]);
		seen |= 1u << m;
		v = cJSON_GetStringValue(item);
		switch (m) {
		case 0:
			if (!v || !kbs_resource_valid(v))
				return cw_err_set(err, EINVAL, "resource: must be repo/type/tag of "
						  "[A-Za-z0-9_.-]");
			strcpy(e->resource, v);
			break;
		case 1:
			if (!v || !file_name_ok(v))
				return cw_err_set(err, EINVAL, "file: must be a file name of 1-%d "
						  "characters of [A-Za-z0-9_.-], not starting with '.'",
						  CW_SECRET_NAME_MAX - 1);
			strcpy(e->file, v);
			break;
		case 2:
			if (!v || !env_name_ok(v))
				return cw_err_set(err, EINVAL, "env: must be a variable name of 1-%d "
						  "characters of [A-Za-z0-9_], not starting with a digit",
						  CW_SECRET_NAME_MAX - 1);
			strcpy(e->env, v);
			break;
		case 3:
			if ((r = parse_mode(item, &e->mode, err)) < 0)
				return r;
			break;
		case 4:
			if (!cJSON_IsBool(item))
				return cw_err_set(err, EINVAL, "optional: must be true or false");
			e->optional = cJSON_IsTrue(item);
			break;
		}
	}
	if (!*e->resource)
		return cw_err_set(err, EINVAL, "resource: missing");
	if (!*e->file == !*e->env)
		return cw_err_set(err, EINVAL, "needs exactly one of file and env");
	if (*e->env && (seen & (1u << 3)))
		return cw_err_set(err, EINVAL, "mode: only for a file");
	return 0;
}

/* Each file and each variable once, across both lists and the token. */
static int check_unique(const struct cw_secrets *s, const struct cw_secret *e, struct cw_err *err)
{
	for (unsigned i = 0; i < s->n; i++) {
		if (*e->file && !strcmp(e->file, s->v[i].file))
			return cw_err_set(err, EINVAL, "file: %s is delivered twice", e->file);
		if (*e->env && !strcmp(e->env, s->v[i].env))
			return cw_err_set(err, EINVAL, "env: %s is set twice", e->env);
	}
	if (*e->file && !strcmp(e->file, s->token))
		return cw_err_set(err, EINVAL, "file: %s is the token's file", e->file);
	return 0;
}

int secrets_parse_list(struct cw_secrets *s, const cJSON *list, bool from_image,
		       struct cw_err *err)
{
	const cJSON *obj;
	unsigned i = 0;
	int r;

	if (!cJSON_IsArray(list))
		return cw_err_set(err, EINVAL, "secrets: must be a list of objects");
	cJSON_ArrayForEach(obj, list) {
		struct cw_secret e;

		if (s->n == CW_MAX_SECRETS)
			return cw_err_set(err, EINVAL, "secrets: more than %d in all", CW_MAX_SECRETS);
		if ((r = parse_entry(&e, obj, err)) < 0 || (r = check_unique(s, &e, err)) < 0)
			return cw_err_prefix(err, r, "secrets[%u]", i);
		e.from_image = from_image;
		s->v[s->n++] = e;
		i++;
	}
	return 0;
}

int secrets_set_token(struct cw_secrets *s, const char *path, struct cw_err *err)
{
	const char *name = path + strlen(CW_SECRETS_DIR "/");

	if (strncmp(path, CW_SECRETS_DIR "/", strlen(CW_SECRETS_DIR "/")) != 0 || !file_name_ok(name))
		return cw_err_set(err, EINVAL, "token: must be %s/<file name>", CW_SECRETS_DIR);
	if (*s->token && strcmp(s->token, name) != 0)
		return cw_err_set(err, EINVAL, "token: both lists name a token file, %s and %s",
				  s->token, name);
	for (unsigned i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].file, name))
			return cw_err_set(err, EINVAL, "token: %s is also a secret's file", name);
	strcpy(s->token, name);
	return 0;
}

int secrets_parse_image(struct cw_secrets *s, const char *json, size_t len, struct cw_err *err)
{
	cJSON *root = json_parse_exact(json, len), *item;
	int r = 0;

	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return cw_err_set(err, EINVAL, "is not a JSON object");
	}
	cJSON_ArrayForEach(item, root) {
		if (!strcmp(item->string, "secrets"))
			r = secrets_parse_list(s, item, true, err);
		else if (!strcmp(item->string, "token"))
			r = cJSON_IsString(item) ? secrets_set_token(s, item->valuestring, err)
						 : cw_err_set(err, EINVAL, "token: must be a string");
		else
			r = cw_err_set(err, EINVAL, "unknown member \"%.64s\"", item->string);
		if (r < 0)
			break;
	}
	cJSON_Delete(root);
	return r;
}

bool secrets_from_image(const struct cw_secrets *s)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->v[i].from_image)
			return true;
	return false;
}

int secret_env_check(const struct cw_secret *e, const struct secret *value, struct cw_err *err)
{
	size_t len = value->len, i = 0;

	if (len > CW_SECRET_ENV_MAX)
		return cw_err_set(err, EFBIG, "secret %s for %s is %zu bytes, over the %d of an "
				  "environment value", e->resource, e->env, len, CW_SECRET_ENV_MAX);
	while (i < len) {
		uint32_t cp;
		size_t n = utf8_seq(value->data + i, len - i, &cp);
		if (n == 0 || cp == 0)
			return cw_err_set(err, EILSEQ, "secret %s for %s is not UTF-8 text without "
					  "NUL (byte %zu); deliver it as a file", e->resource, e->env, i);
		i += n;
	}
	return 0;
}

int secrets_env(char **env, const struct cw_secrets *s, struct secret *const values[],
		struct secret **block, char ***out, struct cw_err *err)
{
	size_t n = 0, bytes = 0;
	char **ptrs, *p;

	for (size_t i = 0; env[i]; i++) {
		n++;
		bytes += strlen(env[i]) + 1;
	}
	for (unsigned i = 0; i < s->n; i++)
		if (*s->v[i].env && values[i]) {
			n++;
			bytes += strlen(s->v[i].env) + 1 + values[i]->len + 1;
		}
	*block = secret_new((n + 1) * sizeof(char *) + bytes);
	if (!*block)
		return cw_err_set(err, ENOMEM, "no memory for the environment with secrets");
	ptrs = (char **)(void *)(*block)->data;
	p = (char *)(ptrs + n + 1);
	n = 0;
	for (size_t i = 0; env[i]; i++) {
		bool replaced = false;
		for (unsigned k = 0; k < s->n && !replaced; k++) {
			size_t l = strlen(s->v[k].env);
			replaced = l && values[k] && !strncmp(env[i], s->v[k].env, l) && env[i][l] == '=';
		}
		if (!replaced) {
			ptrs[n++] = p;
			p = stpcpy(p, env[i]) + 1;
		}
	}
	for (unsigned i = 0; i < s->n; i++)
		if (*s->v[i].env && values[i]) {
			ptrs[n++] = p;
			p = stpcpy(p, s->v[i].env);
			*p++ = '=';
			memcpy(p, values[i]->data, values[i]->len);
			p += values[i]->len;
			*p++ = '\0';
		}
	ptrs[n] = NULL;
	(*block)->len = (size_t)(p - (char *)(*block)->data);
	*out = ptrs;
	return 0;
}
