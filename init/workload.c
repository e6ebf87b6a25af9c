/* /.krun_config.json: what to run, and the environment to run it in.
 *
 * The file comes in three shapes: an OCI image config with the fields under
 * "config" (buildah mkcw copies the source image's config), an OCI runtime
 * spec with them under "process" (crun writes one), or the image fields at
 * the top level. Anything that does not fit one of them exactly is refused:
 * guessing at a half-understood document would run the wrong program. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cjson/cJSON.h>
#include "util.h"
#include "workload.h"

/* Far above any real command line or environment, far below memory trouble. */
#define MAX_ITEMS 4096
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
/* (gid_t)-1 and (uid_t)-1 mean "leave unchanged" to the kernel. */
#define ID_MAX 4294967294.0

static void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

/* cJSON cannot hold a NUL inside a string: it would silently cut it there,
 * so "\u0000" is refused before parsing. Backslash pairs are skipped so an
 * escaped backslash followed by "u0000" text is not mistaken for one. */
static bool has_escaped_nul(const char *s, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (s[i] != '\\')
			continue;
		if (s[i + 1] == 'u' && i + 5 < len && s[i + 2] == '0' && s[i + 3] == '0' &&
		    s[i + 4] == '0' && s[i + 5] == '0')
			return true;
		i++;
	}
	return false;
}

/* The top-level shape is hand-written more often than generated; the old
 * init matched its keys in any case, so keep accepting "cmd" or "ENV". The
 * two standard shapes use the exact OCI names. */
static const cJSON *member(const cJSON *obj, const char *name, bool any_case)
{
	return any_case ? cJSON_GetObjectItem(obj, name)
			: cJSON_GetObjectItemCaseSensitive(obj, name);
}

/* Appends the strings of a JSON array (absent or null: nothing) to the
 * NULL-terminated vector *v of *n entries. Environment entries must be
 * NAME=value with a non-empty name. */
static int strv_append_json(char ***v, size_t *n, const cJSON *arr, const char *what,
			    bool env, struct cw_err *err)
{
	const cJSON *it;
	size_t count;
	char **nv;

	if (!arr || cJSON_IsNull(arr))
		return 0;
	if (!cJSON_IsArray(arr))
		return cw_err_set(err, EINVAL, "%s must be an array of strings", what);
	count = (size_t)cJSON_GetArraySize(arr);
	if (count > MAX_ITEMS || *n + count > MAX_ITEMS)
		return cw_err_set(err, EINVAL, "%s has more than %d entries", what, MAX_ITEMS);
	nv = realloc(*v, (*n + count + 1) * sizeof(*nv));
	if (!nv)
		return cw_err_set(err, ENOMEM, "out of memory reading %s", what);
	*v = nv;
	nv[*n] = NULL;
	cJSON_ArrayForEach(it, arr) {
		if (!cJSON_IsString(it))
			return cw_err_set(err, EINVAL, "%s must be an array of strings", what);
		if (env) {
			const char *eq = strchr(it->valuestring, '=');
			/* The value is not quoted: it may be a credential. */
			if (!eq || eq == it->valuestring)
				return cw_err_set(err, EINVAL, "%s entry %zu is not NAME=value",
						  what, *n);
		}
		nv[*n] = strdup(it->valuestring);
		if (!nv[*n])
			return cw_err_set(err, ENOMEM, "out of memory reading %s", what);
		nv[++*n] = NULL;
	}
	return 0;
}

/* A string member, absent/null/"" giving NULL. */
static int opt_string(const cJSON *s, const char *what, char **out, struct cw_err *err)
{
	*out = NULL;
	if (!s || cJSON_IsNull(s))
		return 0;
	if (!cJSON_IsString(s))
		return cw_err_set(err, EINVAL, "%s must be a string", what);
	if (!s->valuestring[0])
		return 0;
	*out = strdup(s->valuestring);
	return *out ? 0 : cw_err_set(err, ENOMEM, "out of memory reading %s", what);
}

static int working_dir(const cJSON *s, const char *what, char **out, struct cw_err *err)
{
	int r = opt_string(s, what, out, err);

	if (r == 0 && *out && (*out)[0] != '/')
		return cw_err_set(err, EINVAL, "%s \"%.64s\" is not an absolute path", what, *out);
	return r;
}

static bool json_id(const cJSON *n, double *out)
{
	if (!cJSON_IsNumber(n) || n->valuedouble < 0 || n->valuedouble > ID_MAX ||
	    n->valuedouble != (double)(uint32_t)n->valuedouble)
		return false;
	*out = n->valuedouble;
	return true;
}

static const struct {
	const char *name;
	int sig;
} signal_names[] = {
	{ "HUP", SIGHUP },   { "INT", SIGINT },       { "QUIT", SIGQUIT },   { "ILL", SIGILL },
	{ "TRAP", SIGTRAP }, { "ABRT", SIGABRT },     { "IOT", SIGIOT },     { "BUS", SIGBUS },
	{ "FPE", SIGFPE },   { "KILL", SIGKILL },     { "USR1", SIGUSR1 },   { "SEGV", SIGSEGV },
	{ "USR2", SIGUSR2 }, { "PIPE", SIGPIPE },     { "ALRM", SIGALRM },   { "TERM", SIGTERM },
	{ "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT },   { "STOP", SIGSTOP },
	{ "TSTP", SIGTSTP }, { "TTIN", SIGTTIN },     { "TTOU", SIGTTOU },   { "URG", SIGURG },
	{ "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },     { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },
	{ "WINCH", SIGWINCH }, { "IO", SIGIO },       { "POLL", SIGPOLL },   { "PWR", SIGPWR },
	{ "SYS", SIGSYS },
};

/* A short decimal number; -1 when s is not one. */
static int small_number(const char *s)
{
	int v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 1000)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

/* A signal name without "SIG": a standard name, RTMIN, RTMIN+n, RTMAX,
 * RTMAX-n (systemd images stop with SIGRTMIN+3), or a number. -1 if none. */
static int signal_by_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(signal_names); i++)
		if (strcasecmp(name, signal_names[i].name) == 0)
			return signal_names[i].sig;
	if (strcasecmp(name, "RTMIN") == 0)
		return SIGRTMIN;
	if (strcasecmp(name, "RTMAX") == 0)
		return SIGRTMAX;
	if (strncasecmp(name, "RTMIN+", 6) == 0 && small_number(name + 6) >= 0)
		return SIGRTMIN + small_number(name + 6);
	if (strncasecmp(name, "RTMAX-", 6) == 0 && small_number(name + 6) >= 0)
		return SIGRTMAX - small_number(name + 6);
	return small_number(name);
}

/* "SIGTERM", "term", "15" or 15. */
static int parse_stop_signal(const cJSON *s, const char *what, int *out, struct cw_err *err)
{
	const char *name;
	char num[32];
	int sig;

	*out = 0;
	if (!s || cJSON_IsNull(s))
		return 0;
	if (cJSON_IsNumber(s)) {
		double v = s->valuedouble;

		sig = v >= 1 && v <= SIGRTMAX && v == (double)(int)v ? (int)v : -1;
		snprintf(num, sizeof(num), "%g", v);
		name = num;
	} else if (cJSON_IsString(s)) {
		name = s->valuestring;
		if (!name[0])
			return 0;
		sig = signal_by_name(strncasecmp(name, "SIG", 3) == 0 ? name + 3 : name);
	} else {
		return cw_err_set(err, EINVAL, "%s must be a string", what);
	}
	/* glibc keeps the first real-time signals for itself. */
	if (sig < 1 || sig > SIGRTMAX || (sig > SIGSYS && sig < SIGRTMIN))
		return cw_err_set(err, EINVAL, "%s \"%.32s\" is not a signal", what, name);
	*out = sig;
	return 0;
}

/* The image-config fields, under "config" or at the top level. The OCI
 * image spec runs Entrypoint with Cmd as its arguments, or Cmd alone when
 * Entrypoint is empty: both are the concatenation. */
static int parse_image(const cJSON *obj, const char *prefix, bool any_case, struct workload *w,
		       struct cw_err *err)
{
	char what[32];
	size_t n = 0;
	int r;

#define FIELD(name) (snprintf(what, sizeof(what), "%s%s", prefix, name), what)
	r = strv_append_json(&w->argv, &n, member(obj, "Entrypoint", any_case),
			     FIELD("Entrypoint"), false, err);
	if (r == 0)
		r = strv_append_json(&w->argv, &n, member(obj, "Cmd", any_case), FIELD("Cmd"),
				     false, err);
	if (r == 0 && n == 0)
		r = cw_err_set(err, EINVAL, "nothing to run: %sEntrypoint and %sCmd are both empty",
			       prefix, prefix);
	n = 0;
	if (r == 0)
		r = strv_append_json(&w->env, &n, member(obj, "Env", any_case), FIELD("Env"), true,
				     err);
	if (r == 0)
		r = working_dir(member(obj, "WorkingDir", any_case), FIELD("WorkingDir"), &w->cwd,
				err);
	if (r == 0)
		r = opt_string(member(obj, "User", any_case), FIELD("User"), &w->user, err);
	if (r == 0)
		r = parse_stop_signal(member(obj, "StopSignal", any_case), FIELD("StopSignal"),
				      &w->stop_signal, err);
#undef FIELD
	return r;
}

/* process.user holds numbers: turn them into the "uid:gid" form User uses,
 * so one resolver serves both (it still finds HOME in passwd). */
static int parse_process_user(const cJSON *user, struct workload *w, struct cw_err *err)
{
	const cJSON *extra, *it;
	double uid, gid;
	char buf[32];

	if (!user || cJSON_IsNull(user))
		return 0;
	if (!cJSON_IsObject(user))
		return cw_err_set(err, EINVAL, "process.user must be an object");
	if (!json_id(cJSON_GetObjectItemCaseSensitive(user, "uid"), &uid))
		return cw_err_set(err, EINVAL, "process.user.uid must be a number from 0 to %.0f",
				  ID_MAX);
	it = cJSON_GetObjectItemCaseSensitive(user, "gid");
	if (it && !json_id(it, &gid))
		return cw_err_set(err, EINVAL, "process.user.gid must be a number from 0 to %.0f",
				  ID_MAX);
	if (it)
		snprintf(buf, sizeof(buf), "%.0f:%.0f", uid, gid);
	else
		snprintf(buf, sizeof(buf), "%.0f", uid);
	w->user = strdup(buf);
	if (!w->user)
		return cw_err_set(err, ENOMEM, "out of memory reading process.user");

	extra = cJSON_GetObjectItemCaseSensitive(user, "additionalGids");
	if (!extra || cJSON_IsNull(extra))
		return 0;
	if (!cJSON_IsArray(extra))
		return cw_err_set(err, EINVAL, "process.user.additionalGids must be an array");
	if (cJSON_GetArraySize(extra) > CW_MAX_GROUPS)
		return cw_err_set(err, EINVAL, "process.user.additionalGids has more than %d entries",
				  CW_MAX_GROUPS);
	cJSON_ArrayForEach(it, extra) {
		if (!json_id(it, &gid))
			return cw_err_set(err, EINVAL,
					  "process.user.additionalGids must hold numbers from 0 to %.0f",
					  ID_MAX);
		w->extra_gids[w->n_extra_gids++] = (gid_t)gid;
	}
	return 0;
}

static int parse_process(const cJSON *proc, struct workload *w, struct cw_err *err)
{
	size_t n = 0;
	int r;

	r = strv_append_json(&w->argv, &n, cJSON_GetObjectItemCaseSensitive(proc, "args"),
			     "process.args", false, err);
	if (r == 0 && n == 0)
		r = cw_err_set(err, EINVAL, "nothing to run: process.args is empty");
	n = 0;
	if (r == 0)
		r = strv_append_json(&w->env, &n, cJSON_GetObjectItemCaseSensitive(proc, "env"),
				     "process.env", true, err);
	if (r == 0)
		r = working_dir(cJSON_GetObjectItemCaseSensitive(proc, "cwd"), "process.cwd",
				&w->cwd, err);
	if (r == 0)
		r = parse_process_user(cJSON_GetObjectItemCaseSensitive(proc, "user"), w, err);
	return r;
}

/* "config"/"process" present but neither an object nor null is a broken
 * document, not a hint to look elsewhere. */
static int section(const cJSON *root, const char *name, const cJSON **out, struct cw_err *err)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(root, name);

	*out = NULL;
	if (!s || cJSON_IsNull(s))
		return 0;
	if (!cJSON_IsObject(s))
		return cw_err_set(err, EINVAL, "\"%s\" must be an object", name);
	*out = s;
	return 0;
}

int workload_parse(const char *json, size_t len, struct workload *w, struct cw_err *err)
{
	const cJSON *config, *process;
	const char *end = NULL;
	cJSON *root = NULL;
	int r;

	memset(w, 0, sizeof(*w));
	if (len == 0)
		return cw_err_set(err, EINVAL, "workload config is empty");
	if (len > CW_WORKLOAD_CONFIG_MAX)
		return cw_err_set(err, EINVAL, "workload config is larger than %d bytes",
				  CW_WORKLOAD_CONFIG_MAX);
	if (memchr(json, '\0', len))
		return cw_err_set(err, EINVAL, "workload config contains a NUL byte");
	if (has_escaped_nul(json, len))
		return cw_err_set(err, EINVAL, "workload config has a string with a NUL (\\u0000)");

	root = cJSON_ParseWithLengthOpts(json, len, &end, false);
	if (!root) {
		r = cw_err_set(err, EINVAL, "workload config is not valid JSON (at byte %zu)",
			       end ? (size_t)(end - json) : (size_t)0);
		goto out;
	}
	for (; end < json + len; end++) {
		if (!strchr(" \t\r\n", *end)) {
			r = cw_err_set(err, EINVAL, "workload config has data after the JSON value (at byte %zu)",
				       (size_t)(end - json));
			goto out;
		}
	}
	if (!cJSON_IsObject(root)) {
		r = cw_err_set(err, EINVAL, "workload config is not a JSON object");
		goto out;
	}
	r = section(root, "config", &config, err);
	if (r == 0)
		r = section(root, "process", &process, err);
	if (r < 0)
		goto out;
	if (config && process)
		r = cw_err_set(err, EINVAL,
			       "workload config has both \"config\" (image) and \"process\" (runtime spec)");
	else if (config)
		r = parse_image(config, "config.", false, w, err);
	else if (process)
		r = parse_process(process, w, err);
	else
		r = parse_image(root, "", true, w, err);
	if (r == 0 && !w->argv[0][0])
		r = cw_err_set(err, EINVAL, "the program to run is an empty string");
out:
	cJSON_Delete(root);
	if (r < 0)
		workload_free(w);
	return r;
}

void workload_free(struct workload *w)
{
	strv_free(w->argv);
	strv_free(w->env);
	free(w->cwd);
	free(w->user);
	memset(w, 0, sizeof(*w));
}

static size_t key_len(const char *entry)
{
	return strcspn(entry, "=");
}

/* An entry is dropped when a later one sets the same name: the last wins,
 * as it would with repeated setenv calls. */
static bool superseded(char *const *env, size_t i)
{
	size_t k = key_len(env[i]);

	for (size_t j = i + 1; env[j]; j++)
		if (key_len(env[j]) == k && memcmp(env[i], env[j], k) == 0)
			return true;
	return false;
}

int workload_env(const struct workload *w, const struct user_ids *ids, char ***env)
{
	static char *const none[] = { NULL };
	char *const *in = w->env ? w->env : none;
	const char *home = ids && ids->home[0] ? ids->home : "/";
	bool have_path = false, have_home = false;
	size_t n = 0, bytes = 0;
	char **out, *p;

	for (size_t i = 0; in[i]; i++) {
		if (superseded(in, i))
			continue;
		have_path |= strncmp(in[i], "PATH=", 5) == 0;
		have_home |= strncmp(in[i], "HOME=", 5) == 0;
		n++;
		bytes += strlen(in[i]) + 1;
	}
	if (!have_path)
		bytes += sizeof("PATH=" DEFAULT_PATH);
	if (!have_home)
		bytes += 5 + strlen(home) + 1;

	/* One block, pointers then strings, so the caller frees it at once. */
	out = malloc((n + 3) * sizeof(*out) + bytes);
	if (!out)
		return -ENOMEM;
	p = (char *)(out + n + 3);
	n = 0;
	for (size_t i = 0; in[i]; i++) {
		if (superseded(in, i))
			continue;
		out[n++] = p;
		p = stpcpy(p, in[i]) + 1;
	}
	if (!have_path) {
		out[n++] = p;
		p = stpcpy(p, "PATH=" DEFAULT_PATH) + 1;
	}
	if (!have_home) {
		out[n++] = p;
		p = stpcpy(stpcpy(p, "HOME="), home) + 1;
	}
	out[n] = NULL;
	*env = out;
	return 0;
}
