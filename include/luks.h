/* Unlocking LUKS1/LUKS2 disks whose header the host wrote.
 *
 * The header is read once into cwinit's memory (mount/luks_header.c),
 * checked against the measured disk policy (mount/luks_policy.c) and only
 * then used, from that copy, to turn the passphrase into the volume key and
 * map the disk (mount/luks.c). The passphrase never meets a header that was
 * not checked. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "err.h"
#include "secret.h"

#define LUKS_POLICY_CIPHERS 8
#define LUKS_POLICY_KEY_SIZES 4
#define LUKS_CIPHER_SPEC_MAX 48
#define LUKS_UUID_MAX 40

/* One allowed cipher: the spec as the header names it ("aes-xts-plain64")
 * and the volume key sizes allowed with it, in bits. */
struct luks_cipher_rule {
	char spec[LUKS_CIPHER_SPEC_MAX];
	uint16_t key_bits[LUKS_POLICY_KEY_SIZES];
	unsigned n_key_bits;
};

/* What a disk's header may say: its data segment and every key slot area
 * must use a listed cipher with a listed key size. Set only from
 * /etc/cwinit.json (`luks_ciphers`); cipher_null can never be listed. */
struct luks_policy {
	struct luks_cipher_rule rules[LUKS_POLICY_CIPHERS];
	unsigned n;
};

/* aes-xts-plain64 with a 256- or 512-bit key: cryptsetup's default, and
 * what buildah mkcw disks use. */
void luks_policy_default(struct luks_policy *p);

/* 8-4-4-4-12 hex digits, as cryptsetup prints a LUKS UUID. */
bool luks_uuid_valid(const char *uuid);

struct cJSON;

/* Replaces p with `luks_ciphers` of /etc/cwinit.json: an object of cipher
 * specs (1-47 characters of [a-z0-9-:()_], never a null cipher), each with
 * a list of 1-4 key sizes in bits. -EINVAL (err says why) otherwise. */
int luks_policy_parse(struct luks_policy *p, const struct cJSON *obj, struct cw_err *err);

/* The header copy: a sealed memfd holding the metadata and the key slot
 * areas at their disk offsets (holes elsewhere), reachable as path. */
struct luks_header_copy {
	int fd;
	char path[32];   /* /proc/self/fd/<fd> */
	int version;     /* 1 or 2 */
	uint64_t size;   /* bytes the header declares, key slot areas included */
	/* SHA-384 of the metadata copied: LUKS2's two binary headers with their
	 * JSON areas, the first 2 x hdr_size bytes; LUKS1's 592-byte header. */
	uint8_t metadata_sha384[48];
};

/* Reads the header of the open disk dev once into a new copy. -EINVAL (err
 * says why) when there is no LUKS1/LUKS2 header or its sizes are out of
 * bounds; other -errno on I/O errors. */
int luks_header_copy(int dev, struct luks_header_copy *out, struct cw_err *err);
void luks_header_copy_close(struct luks_header_copy *c);

struct crypt_device;

/* Checks the header libcryptsetup loaded from the copy: LUKS1 or LUKS2, one
 * data segment of type crypt with iv_tweak 0 starting after the header
 * area (header_end bytes, LUKS1; LUKS2 declares its own), its cipher and
 * key size and every key slot area's on the policy, no cipher_null, no
 * integrity, no requirement flags, no reencryption, and, when
 * expected_uuid is not empty, that UUID. -EACCES with the offending field
 * named in err when the header is refused. */
int luks_policy_check(struct crypt_device *cd, const struct luks_policy *p,
		      const char *expected_uuid, uint64_t header_end, struct cw_err *err);

/* A disk whose header copy passed the policy, ready to be unlocked. */
struct luks_disk;

/* Copies dev's header, loads it with libcryptsetup as a detached header of
 * dev, and checks it. Returns 0 with *out, -EACCES when the policy refuses
 * the header, -EINVAL when there is no usable LUKS header, other -errno.
 * Nothing here touches a passphrase or device-mapper. */
int luks_check(const char *dev, const struct luks_policy *p, const char *expected_uuid,
	       struct luks_disk **out, struct cw_err *err);

/* The checked header's UUID, type ("LUKS1", "LUKS2"), cipher spec and key
 * size, and the SHA-384 of its metadata (see luks_header_copy). */
const char *luks_disk_uuid(const struct luks_disk *d);
const uint8_t *luks_disk_header_sha384(const struct luks_disk *d);
void luks_disk_describe(const struct luks_disk *d, char *buf, size_t n);

/* Maps the disk as /dev/mapper/<name> from the checked copy: the passphrase
 * opens a key slot of the copy, and dm-crypt gets the copy's segment.
 * -EPERM for a wrong passphrase, -EINVAL for a bad mapper name. */
int luks_activate(struct luks_disk *d, const char *name, const struct secret *pass,
		  bool readonly, struct cw_err *err);

/* Frees the loaded header and its copy; NULL is fine. */
void luks_disk_free(struct luks_disk *d);

/* Deactivates /dev/mapper/<name>; 0 if it was not active. */
int luks_close(const char *name, struct cw_err *err);
