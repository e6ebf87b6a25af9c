/* The workload's User, resolved against the new root's /etc/passwd and
 * /etc/group.
 *
 * Our own parser, not getpwnam: a static glibc cannot load NSS modules, and
 * the databases that count are the workload root's, not the initramfs's.
 * The rules are the OCI image spec's: a name or uid alone takes its primary
 * group from passwd (gid 0 for a uid without an entry) and every group in
 * /etc/group that lists the name; an explicit group replaces all of those.
 * The primary gid is always in the supplementary list too: a file whose
 * mode denies its group must keep denying the user after any setgid exec. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "util.h"
#include "workload.h"

#define DB_MAX (4 * 1024 * 1024)
#define LINE_MAX_LEN 4096
#define SPEC_MAX 256
/* (uid_t)-1 means "leave unchanged" to the kernel. */
#define ID_MAX 4294967294u

struct span {
	const char *p;
	size_t n;
};

struct db {
	char *text; /* NULL when the file does not exist */
	size_t len;
};

static void db_free(struct db *db) { free(db->text); }
#define _cleanup_db_ __attribute__((cleanup(db_free)))

static int db_load(int rootfd, const char *root, const char *name, struct db *db,
		   struct cw_err *err)
{
	int r = read_file_bounded_at(rootfd, name, DB_MAX, &db->text, &db->len);

	if (r == -ENOENT) {
		db->text = NULL;
		return 0;
	}
	if (r == -EFBIG)
		return cw_err_set(err, r, "%s/%s is larger than %d bytes", root, name, DB_MAX);
	if (r < 0)
		return cw_err_set(err, r, "cannot read %s/%s: %s", root, name, strerror(-r));
	return 0;
}

/* Next line of the database; over-long lines and lines with a NUL byte are
 * skipped, since no sane entry looks like that. */
static bool next_line(const struct db *db, size_t *pos, struct span *line)
{
	while (db->text && *pos < db->len) {
		const char *start = db->text + *pos;
		const char *nl = memchr(start, '\n', db->len - *pos);
		size_t n = nl ? (size_t)(nl - start) : db->len - *pos;

		*pos += n + 1;
		if (n <= LINE_MAX_LEN && !memchr(start, '\0', n)) {
			line->p = start;
			line->n = n;
			return true;
		}
	}
	return false;
}

/* Splits s at sep into exactly want fields; false for any other count. */
static bool split(struct span s, char sep, struct span *f, size_t want)
{
	size_t k = 0;
	const char *p = s.p, *end = s.p + s.n;

	for (;;) {
		const char *q = memchr(p, sep, (size_t)(end - p));
		if (k == want)
			return false;
		f[k].p = p;
		f[k].n = q ? (size_t)(q - p) : (size_t)(end - p);
		k++;
		if (!q)
			return k == want;
		p = q + 1;
	}
}

static bool span_is(struct span s, const char *str)
{
	return s.n == strlen(str) && memcmp(s.p, str, s.n) == 0;
}

/* Decimal only: "010" is ten, not octal eight. */
static bool span_id(struct span s, uint32_t *out)
{
	uint64_t v = 0;

	if (s.n == 0 || s.n > 10)
		return false;
	for (size_t i = 0; i < s.n; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s.p[i] - '0');
	}
	if (v > ID_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

static struct span span_of(const char *s) { return (struct span){ s, strlen(s) }; }

struct pwent {
	struct span name, home;
	uint32_t uid, gid;
};

/* The first passwd entry whose name (or, if by_uid, uid) matches. */
static bool find_user(const struct db *pw, const char *name, bool by_uid, uint32_t uid,
		      struct pwent *e)
{
	struct span line, f[7];
	size_t pos = 0;

	while (next_line(pw, &pos, &line)) {
		if (!split(line, ':', f, 7) || f[0].n == 0 || !span_id(f[2], &e->uid) ||
		    !span_id(f[3], &e->gid))
			continue;
		if (by_uid ? e->uid == uid : span_is(f[0], name)) {
			e->name = f[0];
			e->home = f[5];
			return true;
		}
	}
	return false;
}

static bool find_group(const struct db *gr, const char *name, uint32_t *gid)
{
	struct span line, f[4];
	size_t pos = 0;

	while (next_line(gr, &pos, &line))
		if (split(line, ':', f, 4) && span_is(f[0], name) && span_id(f[2], gid))
			return true;
	return false;
}

static int add_group(struct user_ids *ids, gid_t gid)
{
	for (size_t i = 0; i < ids->n_groups; i++)
		if (ids->groups[i] == gid)
			return 0;
	if (ids->n_groups == CW_MAX_GROUPS)
		return -E2BIG;
	ids->groups[ids->n_groups++] = gid;
	return 0;
}

/* Every group whose member list names the user. */
static int member_groups(const struct db *gr, struct span user, struct user_ids *ids)
{
	struct span line, f[4];
	size_t pos = 0;

	while (next_line(gr, &pos, &line)) {
		uint32_t gid;
		const char *p, *end;

		if (!split(line, ':', f, 4) || !span_id(f[2], &gid))
			continue;
		for (p = f[3].p, end = f[3].p + f[3].n; p < end;) {
			const char *c = memchr(p, ',', (size_t)(end - p));
			struct span m = { p, c ? (size_t)(c - p) : (size_t)(end - p) };

			if (m.n == user.n && memcmp(m.p, user.p, m.n) == 0) {
				if (add_group(ids, gid) < 0)
					return -E2BIG;
				break;
			}
			p = m.p + m.n + 1;
		}
	}
	return 0;
}

static bool all_digits(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

int user_resolve(const char *root, const char *spec, struct user_ids *ids, struct cw_err *err)
{
	_cleanup_db_ struct db pw = { 0 }, gr = { 0 };
	_cleanup_close_ int rootfd = -1;
	char user[SPEC_MAX + 1], *group;
	struct pwent e;
	bool found;
	uint32_t id;
	int r;

	memset(ids, 0, sizeof(*ids));
	if (!spec || !*spec)
		spec = "0";
	if (strscpy(user, spec, sizeof(user)) < 0)
		return cw_err_set(err, EINVAL, "User \"%.32s...\" is longer than %d bytes", spec,
				  SPEC_MAX);
	group = strchr(user, ':');
	if (group)
		*group++ = '\0';
	if (!user[0] || (group && (!group[0] || strchr(group, ':'))))
		return cw_err_set(err, EINVAL, "User \"%s\" is not user, uid, user:group or uid:gid",
				  spec);

	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return cw_err_set(err, errno, "cannot open root %s: %s", root, strerror(errno));
	r = db_load(rootfd, root, "etc/passwd", &pw, err);
	if (r < 0)
		return r;

	/* All digits is a uid, as in Docker: names that look like numbers are
	 * not worth the ambiguity. */
	if (all_digits(user)) {
		if (!span_id(span_of(user), &id))
			return cw_err_set(err, EINVAL, "uid %s is out of range", user);
		found = find_user(&pw, NULL, true, id, &e);
		ids->uid = id;
		ids->gid = found ? e.gid : 0;
	} else {
		if (!pw.text)
			return cw_err_set(err, ESRCH, "user \"%s\": %s/etc/passwd does not exist", user,
					  root);
		found = find_user(&pw, user, false, 0, &e);
		if (!found)
			return cw_err_set(err, ESRCH, "user \"%s\" is not in %s/etc/passwd", user, root);
		ids->uid = e.uid;
		ids->gid = e.gid;
	}
	/* A home that does not fit or is not absolute is as good as none. */
	if (found && e.home.n < sizeof(ids->home) && e.home.n > 0 && e.home.p[0] == '/') {
		memcpy(ids->home, e.home.p, e.home.n);
		ids->home[e.home.n] = '\0';
	}

	if (group && !all_digits(group)) {
		r = db_load(rootfd, root, "etc/group", &gr, err);
		if (r < 0)
			return r;
		if (!gr.text)
			return cw_err_set(err, ESRCH, "group \"%s\": %s/etc/group does not exist",
					  group, root);
		if (!find_group(&gr, group, &id))
			return cw_err_set(err, ESRCH, "group \"%s\" is not in %s/etc/group", group,
					  root);
		ids->gid = id;
	} else if (group) {
		if (!span_id(span_of(group), &id))
			return cw_err_set(err, EINVAL, "gid %s is out of range", group);
		ids->gid = id;
	}
	add_group(ids, ids->gid);

	if (!group && found) {
		r = db_load(rootfd, root, "etc/group", &gr, err);
		if (r < 0)
			return r;
		if (member_groups(&gr, e.name, ids) < 0)
			return cw_err_set(err, E2BIG, "user \"%s\" is in more than %d groups", user,
					  CW_MAX_GROUPS);
	}
	return 0;
}
