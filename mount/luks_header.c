/* One copy of a LUKS header, read once from the host's disk into cwinit's
 * memory.
 *
 * The host serves every read of the disk, so a header checked in one read
 * and used in another may differ (a LUKS2 header is JSON under an unkeyed
 * checksum; LUKS1 has none). libcryptsetup reads the header several times
 * (load, backup, key slot, activation), so the header it checks and the one
 * it maps could be two answers. Instead this file reads the metadata and
 * the key slot areas once into a sealed memfd; libcryptsetup then loads,
 * cwinit checks (mount/luks_policy.c) and dm-crypt is set up from that
 * copy alone, as a detached header of the data device.
 *
 * Only what libcryptsetup reads is copied: LUKS2's two binary headers with
 * their JSON areas and the areas of the key slots either JSON names, LUKS1's
 * header and its active key slots' material. The rest of the copy is a hole,
 * so a LUKS2 header's 16 MiB of mostly unused key slot area costs neither
 * reads nor memory. Every size comes from the disk and is bounded before
 * anything is read or allocated. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include "luks.h"
#include "util.h"

#define LUKS_MAGIC "LUKS\xba\xbe"
#define LUKS_MAGIC_LEN 6
#define LUKS2_BIN_HDR 4096           /* binary part of each LUKS2 header */
#define LUKS2_HDR_MIN (16 * 1024)     /* binary header + JSON area, both copies alike */
#define LUKS2_HDR_MAX (4 * 1024 * 1024)
#define LUKS2_KEYSLOTS_MAX (128ULL * 1024 * 1024) /* libcryptsetup's own limit */
#define LUKS2_AREA_MAX (8ULL * 1024 * 1024)
#define LUKS1_PHDR 592
#define LUKS1_SLOTS 8
#define LUKS1_SLOT_ACTIVE 0x00AC71F3u
#define LUKS1_STRIPES_MAX 4000         /* LUKS1 always uses 4000 */
#define LUKS1_KEY_MAX 512
#define COPIED_MAX (16ULL * 1024 * 1024) /* key slot material read, all slots together */
#define COPY_SIZE_MAX (1ULL << 30)     /* the copy's logical size; holes cost nothing */
#define LUKS2_SLOTS_MAX 32

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static uint64_t be64(const uint8_t *p) { return (uint64_t)be32(p) << 32 | be32(p + 4); }

static int read_at(int fd, void *buf, size_t len, uint64_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = pread(fd, (char *)buf + got, len - got, (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ENODATA; /* the disk ends inside the header */
		got += (size_t)n;
	}
	return 0;
}

static int write_at(int fd, const void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pwrite(fd, (const char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		done += (size_t)n;
	}
	return 0;
}

/* Copies [off, off + len) of the disk into the same place of the copy. */
static int copy_range(int dev, int copy, uint64_t off, uint64_t len, struct cw_err *err)
{
	_cleanup_free_ uint8_t *buf = malloc(len ? len : 1);
	int r;

	if (!buf)
		return cw_err_set(err, ENOMEM, "out of memory copying the header");
	r = read_at(dev, buf, len, off);
	if (r < 0)
		return cw_err_set(err, r, "reading %llu bytes at %llu: %s", (unsigned long long)len,
				  (unsigned long long)off, r == -ENODATA ? "the disk ends there" : strerror(-r));
	r = write_at(copy, buf, len, off);
	if (r < 0)
		return cw_err_set(err, r, "writing the header copy: %s", strerror(-r));
	return 0;
}

static int sha384(const uint8_t *b, size_t n, uint8_t out[48], struct cw_err *err)
{
	unsigned int len = 0;

	if (!EVP_Digest(b, n, out, &len, EVP_sha384(), NULL) || len != 48)
		return cw_err_set(err, EIO, "SHA-384 of the header failed");
	return 0;
}

/* A LUKS2 number: JSON strings of decimal digits (u64 does not fit a double). */
static int json_u64(const cJSON *obj, const char *name, uint64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

	return cJSON_IsString(v) ? parse_uint(v->valuestring, 0, UINT64_MAX, out) : -EINVAL;
}

/* The key slot areas one JSON area names, copied; *end grows to cover the
 * header and key slot areas it declares. A JSON area that does not parse is
 * skipped: libcryptsetup will refuse it (or use the other copy) itself. */
static int luks2_copy_areas(int dev, int copy, const uint8_t *json, size_t len, uint64_t hdr_size,
			    uint64_t *copied, uint64_t *end, struct cw_err *err)
{
	cJSON *root = cJSON_ParseWithLength((const char *)json, strnlen((const char *)json, len));
	const cJSON *slots = cJSON_GetObjectItemCaseSensitive(root, "keyslots");
	const cJSON *config = cJSON_GetObjectItemCaseSensitive(root, "config");
	const cJSON *slot;
	uint64_t ks_size, area_end;
	unsigned n = 0;
	int r = 0;

	if (!cJSON_IsObject(root) || !cJSON_IsObject(slots) || json_u64(config, "keyslots_size", &ks_size) < 0)
		goto out;
	if (ks_size > LUKS2_KEYSLOTS_MAX) {
		r = cw_err_set(err, EINVAL, "LUKS2 keyslots_size %llu is larger than %llu",
			       (unsigned long long)ks_size, (unsigned long long)LUKS2_KEYSLOTS_MAX);
		goto out;
	}
	area_end = 2 * hdr_size + ks_size;
	if (area_end > *end)
		*end = area_end;
	cJSON_ArrayForEach(slot, slots) {
		const cJSON *area = cJSON_GetObjectItemCaseSensitive(slot, "area");
		uint64_t off, size;

		if (++n > LUKS2_SLOTS_MAX) {
			r = cw_err_set(err, EINVAL, "LUKS2 header has more than %d key slots", LUKS2_SLOTS_MAX);
			break;
		}
		if (json_u64(area, "offset", &off) < 0 || json_u64(area, "size", &size) < 0)
			continue;
		if (size > LUKS2_AREA_MAX || off < 2 * hdr_size || off > area_end ||
		    size > area_end - off) {
			r = cw_err_set(err, EINVAL, "LUKS2 key slot %.8s: area [%llu, +%llu) lies outside "
				       "the key slot area or is over %llu bytes", slot->string ? slot->string : "?",
				       (unsigned long long)off, (unsigned long long)size,
				       (unsigned long long)LUKS2_AREA_MAX);
			break;
		}
		if (*copied + size > COPIED_MAX) {
			r = cw_err_set(err, EINVAL, "LUKS2 key slot areas exceed %llu bytes in all",
				       (unsigned long long)COPIED_MAX);
			break;
		}
		*copied += size;
		r = copy_range(dev, copy, off, size, err);
		if (r < 0)
			break;
	}
out:
	cJSON_Delete(root);
	return r;
}

static int luks2_copy(int dev, int copy, const uint8_t *bin, struct luks_header_copy *out,
		      struct cw_err *err)
{
	uint64_t hdr_size = be64(bin + 8), copied = 0, end;
	_cleanup_free_ uint8_t *meta = NULL;
	int r;

	/* A power of two from 16 KiB to 4 MiB, as the format allows. */
	if (hdr_size < LUKS2_HDR_MIN || hdr_size > LUKS2_HDR_MAX || (hdr_size & (hdr_size - 1)))
		return cw_err_set(err, EINVAL, "LUKS2 header size %llu is not a power of two from "
				  "16 KiB to 4 MiB", (unsigned long long)hdr_size);
	meta = malloc(2 * hdr_size);
	if (!meta)
		return cw_err_set(err, ENOMEM, "out of memory copying the header");
	r = read_at(dev, meta, 2 * hdr_size, 0);
	if (r < 0)
		return cw_err_set(err, r, "reading the LUKS2 metadata: %s",
				  r == -ENODATA ? "the disk ends inside it" : strerror(-r));
	r = write_at(copy, meta, 2 * hdr_size, 0);
	if (r < 0)
		return cw_err_set(err, r, "writing the header copy: %s", strerror(-r));
	if ((r = sha384(meta, 2 * hdr_size, out->metadata_sha384, err)) < 0)
		return r;
	end = 2 * hdr_size;
	/* The two JSON areas are normally the same text: then one names every area. */
	for (int i = 0; i < 2 && r == 0; i++) {
		const uint8_t *json = meta + i * hdr_size + LUKS2_BIN_HDR;
		if (i == 1 && memcmp(json, meta + LUKS2_BIN_HDR, hdr_size - LUKS2_BIN_HDR) == 0)
			break;
		r = luks2_copy_areas(dev, copy, json, hdr_size - LUKS2_BIN_HDR, hdr_size, &copied,
				     &end, err);
	}
	if (r < 0)
		return r;
	out->version = 2;
	out->size = end;
	return 0;
}

static int luks1_copy(int dev, int copy, const uint8_t *phdr, struct luks_header_copy *out,
		      struct cw_err *err)
{
	uint32_t key_bytes = be32(phdr + 108);
	uint64_t end = LUKS1_PHDR, copied = 0;
	int r = write_at(copy, phdr, LUKS1_PHDR, 0);

	if (r < 0)
		return cw_err_set(err, r, "writing the header copy: %s", strerror(-r));
	if ((r = sha384(phdr, LUKS1_PHDR, out->metadata_sha384, err)) < 0)
		return r;
	if (key_bytes == 0 || key_bytes > LUKS1_KEY_MAX)
		return cw_err_set(err, EINVAL, "LUKS1 key size %u bytes is not 1-%d", key_bytes,
				  LUKS1_KEY_MAX);
	for (int i = 0; i < LUKS1_SLOTS; i++) {
		const uint8_t *ks = phdr + 208 + i * 48;
		uint64_t off = (uint64_t)be32(ks + 40) * 512, stripes = be32(ks + 44);
		/* The anti-forensic material, rounded up to whole sectors as LUKS1 lays it out. */
		uint64_t len = (key_bytes * stripes + 511) / 512 * 512;

		if (stripes > LUKS1_STRIPES_MAX)
			return cw_err_set(err, EINVAL, "LUKS1 key slot %d has %llu stripes (at most %d)",
					  i, (unsigned long long)stripes, LUKS1_STRIPES_MAX);
		if (off + len > COPY_SIZE_MAX)
			return cw_err_set(err, EINVAL, "LUKS1 key slot %d lies beyond 1 GiB", i);
		if (off + len > end)
			end = off + len;
		if (be32(ks) != LUKS1_SLOT_ACTIVE)
			continue;
		if (off < LUKS1_PHDR)
			return cw_err_set(err, EINVAL, "LUKS1 key slot %d overlaps the header", i);
		copied += len;
		if (copied > COPIED_MAX)
			return cw_err_set(err, EINVAL, "LUKS1 key material exceeds %llu bytes",
					  (unsigned long long)COPIED_MAX);
		r = copy_range(dev, copy, off, len, err);
		if (r < 0)
			return r;
	}
	out->version = 1;
	out->size = end;
	return 0;
}

int luks_header_copy(int dev, struct luks_header_copy *out, struct cw_err *err)
{
	_cleanup_close_ int copy = -1;
	uint8_t bin[LUKS2_BIN_HDR];
	int r;

	out->fd = -1;
	r = read_at(dev, bin, sizeof(bin), 0);
	if (r < 0)
		return cw_err_set(err, EINVAL, "cannot read a LUKS header: %s",
				  r == -ENODATA ? "the disk is smaller than 4 KiB" : strerror(-r));
	if (memcmp(bin, LUKS_MAGIC, LUKS_MAGIC_LEN) != 0 || (be16(bin + 6) != 1 && be16(bin + 6) != 2))
		return cw_err_set(err, EINVAL, "no LUKS1 or LUKS2 header (magic or version)");
	copy = memfd_create("cwinit-luks-header", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (copy < 0)
		return cw_err_set(err, errno, "memfd_create: %s", strerror(errno));
	r = be16(bin + 6) == 2 ? luks2_copy(dev, copy, bin, out, err)
			       : luks1_copy(dev, copy, bin, out, err);
	if (r < 0)
		return r;
	if (out->size > COPY_SIZE_MAX)
		return cw_err_set(err, EINVAL, "the LUKS header declares %llu bytes (at most 1 GiB)",
				  (unsigned long long)out->size);
	/* The whole declared header, holes included, then frozen: from here on
	 * nothing in the VM can change the copy either. */
	if (ftruncate(copy, (off_t)out->size) < 0 ||
	    fcntl(copy, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		return cw_err_set(err, errno, "sealing the header copy: %s", strerror(errno));
	snprintf(out->path, sizeof(out->path), "/proc/self/fd/%d", copy);
	out->fd = copy;
	copy = -1;
	return 0;
}

void luks_header_copy_close(struct luks_header_copy *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}
