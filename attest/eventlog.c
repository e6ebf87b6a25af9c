/* The runtime event log (see include/eventlog.h): encoding cwinit's
 * entries, keeping them, handing them to the workload as a file, and
 * putting them after the firmware's CCEL for TDX evidence. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>
#include "eventlog.h"
#include "util.h"

#define EV_EVENT_TAG 6
#define TPM_ALG_SHA384 0x000C
#define AAEL_TAG 0x4141454Cu   /* "AAEL" read big-endian; written little-endian: "LEAA" */
#define ENTRY_HEAD (4 + 4 + 4 + 2 + EVENTLOG_SHA384 + 4)

static uint8_t *entries;
static size_t entries_len;

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Printable, no control characters (UTF-8 beyond ASCII is fine), and for
 * domain and operation no space: Trustee splits the text at the first two. */
static bool part_ok(const char *s, bool spaces)
{
	if (!*s)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f || (!spaces && *p == ' '))
			return false;
	return true;
}

int eventlog_entry(const char *domain, const char *operation, const char *content,
		   uint8_t **entry, size_t *len, uint8_t digest[EVENTLOG_SHA384],
		   struct cw_err *err)
{
	size_t n = strlen(domain) + 1 + strlen(operation) + 1 + strlen(content), i = 0;
	unsigned int dlen = 0;
	uint8_t *e;

	*entry = NULL;
	if (!part_ok(domain, false) || !part_ok(operation, false) || !part_ok(content, true))
		return cw_err_set(err, EINVAL, "event %.32s %.32s: empty part, control character or "
				  "space in domain or operation", domain, operation);
	if (n > EVENTLOG_TEXT_MAX)
		return cw_err_set(err, E2BIG, "event %.32s %.32s: text over %d bytes", domain,
				  operation, EVENTLOG_TEXT_MAX);
	for (size_t cl = strlen(content); i < cl;) {
		size_t k = utf8_seq((const unsigned char *)content + i, cl - i, NULL);
		if (!k)
			return cw_err_set(err, EILSEQ, "event %.32s %.32s: content is not UTF-8",
					  domain, operation);
		i += k;
	}
	e = malloc(ENTRY_HEAD + 8 + n);
	if (!e)
		return cw_err_set(err, ENOMEM, "out of memory");
	put_le32(e, EVENTLOG_MR_RTMR3);
	put_le32(e + 4, EV_EVENT_TAG);
	put_le32(e + 8, 1);
	e[12] = (uint8_t)TPM_ALG_SHA384;
	e[13] = (uint8_t)(TPM_ALG_SHA384 >> 8);
	put_le32(e + ENTRY_HEAD - 4, (uint32_t)(8 + n));
	put_le32(e + ENTRY_HEAD, AAEL_TAG);
	put_le32(e + ENTRY_HEAD + 4, (uint32_t)n);
	memcpy(e + ENTRY_HEAD + 8, domain, strlen(domain));
	e[ENTRY_HEAD + 8 + strlen(domain)] = ' ';
	memcpy(e + ENTRY_HEAD + 8 + strlen(domain) + 1, operation, strlen(operation));
	e[ENTRY_HEAD + 8 + strlen(domain) + 1 + strlen(operation)] = ' ';
	memcpy(e + ENTRY_HEAD + 8 + strlen(domain) + strlen(operation) + 2, content, strlen(content));
	/* The digest covers the tagged event: tag, length, text. */
	if (!EVP_Digest(e + ENTRY_HEAD, 8 + n, digest, &dlen, EVP_sha384(), NULL) ||
	    dlen != EVENTLOG_SHA384) {
		free(e);
		return cw_err_set(err, EIO, "SHA-384 failed");
	}
	memcpy(e + 14, digest, EVENTLOG_SHA384);
	*entry = e;
	*len = ENTRY_HEAD + 8 + n;
	return 0;
}

int eventlog_append(const uint8_t *entry, size_t len, struct cw_err *err)
{
	uint8_t *grown;

	if (len > EVENTLOG_MAX - entries_len)
		return cw_err_set(err, E2BIG, "the event log would pass %d bytes", EVENTLOG_MAX);
	grown = realloc(entries, entries_len + len);
	if (!grown)
		return cw_err_set(err, ENOMEM, "out of memory");
	memcpy(grown + entries_len, entry, len);
	entries = grown;
	entries_len += len;
	return 0;
}

const uint8_t *eventlog_entries(size_t *len)
{
	*len = entries_len;
	return entries;
}

int eventlog_write_file(const char *path, struct cw_err *err)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0444);
	size_t done = 0;

	if (fd < 0)
		return cw_err_set(err, errno, "%s: %s", path, strerror(errno));
	while (done < entries_len) {
		ssize_t n = write(fd, entries + done, entries_len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return cw_err_set(err, n < 0 ? errno : EIO, "writing %s: %s", path,
					  n < 0 ? strerror(errno) : "short write");
		done += (size_t)n;
	}
	return 0;
}

int eventlog_load_file(const char *path, struct cw_err *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r = read_file_bounded(path, EVENTLOG_MAX, &buf, &len);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return cw_err_set(err, r, "%s: %s", path, strerror(-r));
	return eventlog_append((const uint8_t *)buf, len, err);
}

/* guest-components' EL_HEADER (attester/src/utils.rs): MR 0, EV_NO_ACTION,
 * a zero SHA-1 digest, 37 bytes of a TCG_EfiSpecIdEvent with a zero
 * signature, two algorithms: SHA-384 (48 bytes) and SM3 (32). */
static const uint8_t no_ccel_header[69] = {
	0, 0, 0, 0,                                     /* MR index 0 */
	3, 0, 0, 0,                                     /* EV_NO_ACTION */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0,                   /* SHA-1 digest, 20 zero bytes */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0x25, 0, 0, 0,                                  /* 37 bytes of data: */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* signature */
	0, 0, 0, 0,                                     /* platformClass */
	0, 0, 0, 0,                                     /* versions, uintnSize */
	2, 0, 0, 0,                                     /* numberOfAlgorithms */
	0x0c, 0, 0x30, 0,                               /* SHA-384, 48 bytes */
	0x12, 0, 0x20, 0,                               /* SM3, 32 bytes */
	0,                                              /* vendorInfoSize */
};

int eventlog_cc(const uint8_t *ccel, size_t ccel_len, const uint8_t *ents, size_t ents_len,
		uint8_t **out, size_t *out_len, struct cw_err *err)
{
	size_t head = 0;
	uint8_t *o;
	int r;

	*out = NULL;
	*out_len = 0;
	if (!ccel && !ents_len)
		return 0;
	if (ccel) {
		/* The firmware's log as it is, but cut where its entries end: a
		 * verifier stops at the end marker and would never see ours. */
		r = eventlog_parse(ccel, ccel_len, NULL, NULL, &head, err);
		if (r == 0)
			r = eventlog_names_sha384(ccel, ccel_len, err);
		if (r < 0)
			return cw_err_prefix(err, r, "the CCEL");
	} else {
		ccel = no_ccel_header;
		head = sizeof(no_ccel_header);
	}
	if (head + ents_len + 8 > EVENTLOG_CC_MAX)
		return cw_err_set(err, EFBIG, "the event log is too large");
	o = malloc(head + ents_len + 8);
	if (!o)
		return cw_err_set(err, ENOMEM, "out of memory");
	memcpy(o, ccel, head);
	if (ents_len)
		memcpy(o + head, ents, ents_len);
	memset(o + head + ents_len, 0xff, 8);
	*out = o;
	*out_len = head + ents_len + 8;
	return 0;
}

int rtmr_available(void)
{
	return access(RTMR_SYSFS "/rtmr3:sha384", W_OK) == 0;
}

int rtmr_extend(unsigned n, const uint8_t digest[EVENTLOG_SHA384], struct cw_err *err)
{
	char path[96];
	_cleanup_close_ int fd = -1;
	ssize_t w;

	snprintf(path, sizeof(path), RTMR_SYSFS "/rtmr%u:sha384", n);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return cw_err_set(err, errno, "%s: %s", path, strerror(errno));
	do
		w = write(fd, digest, EVENTLOG_SHA384);
	while (w < 0 && errno == EINTR);
	if (w != EVENTLOG_SHA384)
		return cw_err_set(err, w < 0 ? errno : EIO, "extending RTMR%u: %s", n,
				  w < 0 ? strerror(errno) : "short write");
	return 0;
}
