/* The disk policy: what a host-written LUKS header may say before cwinit
 * lets a passphrase near it.
 *
 * Everything in the header is chosen by the host (Trail of Bits, 2025:
 * CVE-2025-59054, CVE-2025-58356). Keeping the owner's key slot and digest
 * while switching the data segment to cipher_null maps a plaintext disk of
 * the host's making with the owner's real passphrase; a key slot area in
 * cipher_null opens with any passphrase; reencryption metadata or a second
 * segment can leave part of the disk in the clear. So the header must show
 * exactly one plain encrypted segment, and every cipher in it must be one
 * the measured configuration allows. The checks read libcryptsetup's view
 * of the loaded copy, and its JSON dump for what the API does not tell
 * (segment count, type, iv_tweak, flags). */
#include <ctype.h>
#include <errno.h>
#include <libcryptsetup.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <cjson/cJSON.h>
#include "luks.h"
#include "util.h"

void luks_policy_default(struct luks_policy *p)
{
	memset(p, 0, sizeof(*p));
	strcpy(p->rules[0].spec, "aes-xts-plain64");
	p->rules[0].key_bits[0] = 256;
	p->rules[0].key_bits[1] = 512;
	p->rules[0].n_key_bits = 2;
	p->n = 1;
}

bool luks_uuid_valid(const char *v)
{
	bool ok = strlen(v) == 36;

	for (size_t i = 0; i < 36 && ok; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		ok = dash ? v[i] == '-' : isxdigit((unsigned char)v[i]);
	}
	return ok;
}

static bool is_null_cipher(const char *spec)
{
	return strstr(spec, "null") != NULL;
}

static bool luks_cipher_spec_ok(const char *spec)
{
	size_t n = strlen(spec);

	if (n == 0 || n >= LUKS_CIPHER_SPEC_MAX || is_null_cipher(spec))
		return false;
	return strspn(spec, "abcdefghijklmnopqrstuvwxyz0123456789-:()_") == n;
}

int luks_policy_parse(struct luks_policy *p, const cJSON *obj, struct cw_err *err)
{
	struct luks_policy np = { .n = 0 };
	const cJSON *item, *bits;

	if (!cJSON_IsObject(obj) || !obj->child)
		return cw_err_set(err, EINVAL, "luks_ciphers: must be an object of cipher specs, "
				  "e.g. {\"aes-xts-plain64\": [256, 512]}");
	cJSON_ArrayForEach(item, obj) {
		struct luks_cipher_rule *r = &np.rules[np.n];

		if (np.n == LUKS_POLICY_CIPHERS)
			return cw_err_set(err, EINVAL, "luks_ciphers: more than %d ciphers",
					  LUKS_POLICY_CIPHERS);
		if (!luks_cipher_spec_ok(item->string))
			return cw_err_set(err, EINVAL, "luks_ciphers: \"%.64s\" is not a cipher spec "
					  "(1-%d characters of [a-z0-9-:()_], never a null cipher)",
					  item->string, LUKS_CIPHER_SPEC_MAX - 1);
		for (unsigned i = 0; i < np.n; i++)
			if (!strcmp(np.rules[i].spec, item->string))
				return cw_err_set(err, EINVAL, "luks_ciphers: %s is listed twice",
						  item->string);
		strcpy(r->spec, item->string);
		if (!cJSON_IsArray(item) || cJSON_GetArraySize(item) < 1 ||
		    cJSON_GetArraySize(item) > LUKS_POLICY_KEY_SIZES)
			return cw_err_set(err, EINVAL, "luks_ciphers: %s: must list 1-%d key sizes in "
					  "bits", r->spec, LUKS_POLICY_KEY_SIZES);
		cJSON_ArrayForEach(bits, item) {
			double v = cJSON_IsNumber(bits) ? bits->valuedouble : 0;
			if (v < 128 || v > 4096 || v != (double)(unsigned)v || (unsigned)v % 8)
				return cw_err_set(err, EINVAL, "luks_ciphers: %s: key sizes are whole "
						  "bytes from 128 to 4096 bits", r->spec);
			r->key_bits[r->n_key_bits++] = (uint16_t)v;
		}
		np.n++;
	}
	*p = np;
	return 0;
}

/* "aes-xts-plain64 with 256 or 512 bits, ..." for the refusal line. */
static void describe_policy(const struct luks_policy *p, char *buf, size_t n)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < p->n && used < n; i++) {
		const struct luks_cipher_rule *r = &p->rules[i];
		used += (size_t)snprintf(buf + used, n - used, "%s%s with", i ? "; " : "", r->spec);
		for (unsigned k = 0; k < r->n_key_bits && used < n; k++)
			used += (size_t)snprintf(buf + used, n - used, "%s %u", k ? "," : "",
						 r->key_bits[k]);
		if (used < n)
			used += (size_t)snprintf(buf + used, n - used, " bits");
	}
}

/* what: "data segment", "key slot 3". */
static int cipher_allowed(const struct luks_policy *p, const char *what, const char *spec,
			  int key_bytes, struct cw_err *err)
{
	char allowed[256];

	describe_policy(p, allowed, sizeof(allowed));
	if (is_null_cipher(spec))
		return cw_err_set(err, EACCES, "%s cipher %.64s is not allowed (a null cipher "
				  "leaves the disk in the clear)", what, spec);
	for (unsigned i = 0; i < p->n; i++) {
		const struct luks_cipher_rule *r = &p->rules[i];
		if (strcmp(r->spec, spec) != 0)
			continue;
		for (unsigned k = 0; k < r->n_key_bits; k++)
			if (key_bytes > 0 && (unsigned)key_bytes * 8 == r->key_bits[k])
				return 0;
		return cw_err_set(err, EACCES, "%s key size %d bits is not allowed for %s "
				  "(luks_ciphers allows %s)", what, key_bytes * 8, spec, allowed);
	}
	return cw_err_set(err, EACCES, "%s cipher %.64s is not allowed (luks_ciphers allows %s)",
			  what, spec, allowed);
}

static int check_keyslots(struct crypt_device *cd, const struct luks_policy *p, const char *type,
			  struct cw_err *err)
{
	int max = crypt_keyslot_max(type);

	for (int slot = 0; slot < max; slot++) {
		crypt_keyslot_info st = crypt_keyslot_status(cd, slot);
		char what[32];
		const char *spec;
		size_t key_bytes = 0;
		int r;

		if (st == CRYPT_SLOT_INACTIVE)
			continue;
		snprintf(what, sizeof(what), "key slot %d", slot);
		if (st == CRYPT_SLOT_INVALID)
			return cw_err_set(err, EACCES, "%s is invalid", what);
		spec = crypt_keyslot_get_encryption(cd, slot, &key_bytes);
		if (!spec)
			return cw_err_set(err, EACCES, "%s has no readable encryption", what);
		r = cipher_allowed(p, what, spec, key_bytes > INT32_MAX ? -1 : (int)key_bytes, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static const char *json_str(const cJSON *obj, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool json_u64(const cJSON *obj, const char *name, uint64_t *out)
{
	const char *s = json_str(obj, name);

	return s && parse_uint(s, 0, UINT64_MAX, out) == 0;
}

/* The LUKS2 details only the metadata shows: one segment, plain crypt,
 * iv_tweak 0, no flags, after the header and key slot areas; every key slot
 * an ordinary one. */
static int check_luks2_json(struct crypt_device *cd, struct cw_err *err)
{
	const char *dump = NULL;
	cJSON *root = NULL;
	const cJSON *segs, *seg, *config, *reqs, *slots, *slot;
	uint64_t json_size, ks_size, offset;
	double sector;
	const char *s;
	int r = -EACCES;

	if (crypt_dump_json(cd, &dump, 0) < 0 || !dump || !(root = cJSON_Parse(dump)))
		return cw_err_set(err, EINVAL, "cannot read the LUKS2 metadata back");
	segs = cJSON_GetObjectItemCaseSensitive(root, "segments");
	config = cJSON_GetObjectItemCaseSensitive(root, "config");
	slots = cJSON_GetObjectItemCaseSensitive(root, "keyslots");
	if (cJSON_GetArraySize(segs) != 1 || !cJSON_IsObject(segs)) {
		cw_err_set(err, EACCES, "the header has %d data segments (exactly 1 is allowed)",
			   cJSON_GetArraySize(segs));
		goto out;
	}
	seg = segs->child;
	if (!(s = json_str(seg, "type")) || strcmp(s, "crypt") != 0) {
		cw_err_set(err, EACCES, "data segment type %.32s is not allowed (only crypt)", s ? s : "(none)");
		goto out;
	}
	if (!(s = json_str(seg, "iv_tweak")) || strcmp(s, "0") != 0) {
		cw_err_set(err, EACCES, "data segment iv_tweak %.32s is not allowed (only 0)", s ? s : "(none)");
		goto out;
	}
	if (cJSON_GetObjectItemCaseSensitive(seg, "integrity")) {
		cw_err_set(err, EACCES, "data segment integrity is not allowed (dm-integrity is not "
			   "supported)");
		goto out;
	}
	if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(seg, "flags")) > 0) {
		cw_err_set(err, EACCES, "data segment flags are not allowed (a reencryption in progress?)");
		goto out;
	}
	/* A JSON number here, unlike the offsets and sizes. */
	sector = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(seg, "sector_size"));
	if (sector != 512 && sector != 1024 && sector != 2048 && sector != 4096) {
		cw_err_set(err, EACCES, "data segment sector_size is not 512, 1024, 2048 or 4096");
		goto out;
	}
	reqs = cJSON_GetObjectItemCaseSensitive(config, "requirements");
	if (reqs) {
		cw_err_set(err, EACCES, "the header has requirements (config.requirements: a "
			   "reencryption in progress?)");
		goto out;
	}
	if (!json_u64(config, "json_size", &json_size) || !json_u64(config, "keyslots_size", &ks_size) ||
	    !json_u64(seg, "offset", &offset) || json_size > (1ULL << 32) || ks_size > (1ULL << 40)) {
		cw_err_set(err, EACCES, "the header's sizes or the segment offset are missing");
		goto out;
	}
	/* Each of the two headers is 4 KiB of binary header plus its JSON area. */
	if (offset < 2 * (json_size + 4096) + ks_size) {
		cw_err_set(err, EACCES, "data segment offset %llu lies inside the header and key slot "
			   "area (%llu bytes)", (unsigned long long)offset,
			   (unsigned long long)(2 * (json_size + 4096) + ks_size));
		goto out;
	}
	cJSON_ArrayForEach(slot, slots) {
		const cJSON *area = cJSON_GetObjectItemCaseSensitive(slot, "area");
		if (!(s = json_str(slot, "type")) || strcmp(s, "luks2") != 0 ||
		    !(s = json_str(area, "type")) || strcmp(s, "raw") != 0) {
			cw_err_set(err, EACCES, "key slot %.8s is not an ordinary luks2 slot with a raw "
				   "area (a reencryption slot?)", slot->string ? slot->string : "?");
			goto out;
		}
	}
	r = 0;
out:
	cJSON_Delete(root);
	return r;
}

int luks_policy_check(struct crypt_device *cd, const struct luks_policy *p,
		      const char *expected_uuid, uint64_t header_end, struct cw_err *err)
{
	const char *type = crypt_get_type(cd);
	const char *cipher = crypt_get_cipher(cd), *mode = crypt_get_cipher_mode(cd);
	const char *uuid = crypt_get_uuid(cd);
	struct crypt_params_integrity ip = { 0 };
	uint32_t reqs = 0;
	char spec[2 * LUKS_CIPHER_SPEC_MAX];
	int r;

	if (!type || (strcmp(type, CRYPT_LUKS1) != 0 && strcmp(type, CRYPT_LUKS2) != 0))
		return cw_err_set(err, EACCES, "header type %s is not allowed (only LUKS1 and LUKS2)",
				  type ? type : "(none)");
	if (*expected_uuid && (!uuid || strcasecmp(uuid, expected_uuid) != 0))
		return cw_err_set(err, EACCES, "LUKS UUID %.40s is not the expected %s",
				  uuid ? uuid : "(none)", expected_uuid);
	/* Only LUKS2 has requirement flags (LUKS1 answers the call with -EINVAL). */
	if (!strcmp(type, CRYPT_LUKS2) &&
	    (crypt_persistent_flags_get(cd, CRYPT_FLAGS_REQUIREMENTS, &reqs) < 0 || reqs))
		return cw_err_set(err, EACCES, "the header has requirement flags 0x%x (%s)", reqs,
				  reqs & (CRYPT_REQUIREMENT_OFFLINE_REENCRYPT | CRYPT_REQUIREMENT_ONLINE_REENCRYPT)
				  ? "a reencryption in progress" : "unknown to cwinit");
	if (crypt_reencrypt_status(cd, NULL) != CRYPT_REENCRYPT_NONE)
		return cw_err_set(err, EACCES, "the header announces a reencryption in progress");
	if (crypt_get_integrity_info(cd, &ip) == 0 && ip.integrity)
		return cw_err_set(err, EACCES, "data segment integrity %.32s is not allowed "
				  "(dm-integrity is not supported)", ip.integrity);
	snprintf(spec, sizeof(spec), "%s-%s", cipher ? cipher : "", mode ? mode : "");
	if (!cipher || !mode || !*cipher || !*mode)
		return cw_err_set(err, EACCES, "the data segment names no cipher");
	r = cipher_allowed(p, "data segment", spec, crypt_get_volume_key_size(cd), err);
	if (r < 0)
		return r;
	r = check_keyslots(cd, p, type, err);
	if (r < 0)
		return r;
	if (strcmp(type, CRYPT_LUKS2) == 0)
		return check_luks2_json(cd, err);
	/* LUKS1 has one segment; its offset counts in 512-byte sectors. */
	if (crypt_get_data_offset(cd) * 512 < header_end)
		return cw_err_set(err, EACCES, "data offset %llu lies inside the header and key "
				  "material (%llu bytes)", (unsigned long long)crypt_get_data_offset(cd) * 512,
				  (unsigned long long)header_end);
	return 0;
}
