/* The configuration sources the host writes (see include/config.h): the
 * kernel command line, where the platform does not measure it, and the
 * buildah KRUN footer, always. Both go through config_set, whose checks
 * and source rules (source_allows in init/config.c) treat them as hostile:
 * they may fill what the measured file left open, never weaken it. */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "config.h"
#include "refkbs.h"
#include "util.h"

int cmdline_word(const char **p, char *word, size_t n)
{
	const char *s = *p;
	size_t len = 0;
	bool quoted = false;

	while (*s && isspace((unsigned char)*s))
		s++;
	if (!*s) {
		*p = s;
		return 0;
	}
	for (; *s && (quoted || !isspace((unsigned char)*s)); s++) {
		if (*s == '"') {
			quoted = !quoted;
			continue;
		}
		if (len + 1 >= n)
			return -EINVAL;
		word[len++] = *s;
	}
	word[len] = '\0';
	*p = s;
	return 1;
}

int config_load_cmdline(struct cw_config *c, const char *cmdline, struct cw_err *err)
{
	char word[CW_CMDLINE_MAX + 1];
	int r;

	if (strlen(cmdline) > CW_CMDLINE_MAX)
		return cw_err_set(err, EFBIG, "kernel command line longer than %d bytes", CW_CMDLINE_MAX);
	/* Within that bound every word fits, however long: a long word that is
	 * not ours (a module's certificate, a dm-mod.create= table) is passed
	 * over, and a long cwinit.* value meets its key's own limit. */
	for (const char *p = cmdline; cmdline_word(&p, word, sizeof(word)) > 0;) {
		if (!strcmp(word, "--"))
			break; /* the rest is init's argv, not configuration */
		if (strncmp(word, "cwinit.", 7) != 0)
			continue;
		char *eq = strchr(word + 7, '=');
		if (!eq)
			return cw_err_set(err, EINVAL, "%.64s: expected cwinit.key=value", word);
		*eq = '\0';
		r = config_set(c, word + 7, eq + 1, SRC_CMDLINE, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static const char *footer_string(const cJSON *root, const char *name, size_t max,
				 struct cw_err *err, int *r)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, name);

	if (!v || cJSON_IsNull(v))
		return NULL;
	if (!cJSON_IsString(v) || strlen(v->valuestring) > max) {
		*r = cw_err_set(err, EINVAL, "disk footer: %s is not a string of at most %zu bytes", name, max);
		return NULL;
	}
	return v->valuestring;
}

int config_load_footer(struct cw_config *c, const char *json, size_t len, struct cw_err *err)
{
	cJSON *root = cJSON_ParseWithLength(json, len);
	const char *url, *tee, *id, *tee_data;
	char gen[8] = "";
	int r = 0;

	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return cw_err_set(err, EINVAL, "disk footer is not a JSON object");
	}
	url = footer_string(root, "attestation_url", sizeof(c->broker_url) - 1, err, &r);
	tee = footer_string(root, "tee", sizeof(c->tee) - 1, err, &r);
	id = footer_string(root, "workload_id", sizeof(c->workload_id) - 1, err, &r);
	tee_data = footer_string(root, "tee_data", REFKBS_TEE_DATA_MAX, err, &r);
	if (r == 0 && tee_data && *tee_data &&
	    (r = refkbs_tee_gen(tee_data, strlen(tee_data), gen, err)))
		cw_err_prefix(err, r, "disk footer");
	if (r == 0 && url && *url)
		r = config_set(c, "broker_url", url, SRC_FOOTER, err);
	if (r == 0 && tee && *tee)
		r = config_set(c, "tee", tee, SRC_FOOTER, err);
	if (r == 0 && id && !*id)
		r = cw_err_set(err, EINVAL, "disk footer: workload_id is empty");
	else if (r == 0 && id)
		r = config_set(c, "workload_id", id, SRC_FOOTER, err);
	if (r == 0 && *gen)
		r = config_set(c, "snp_gen", gen, SRC_FOOTER, err);
	cJSON_Delete(root);
	return r;
}
