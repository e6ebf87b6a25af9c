/* init-data (Trustee's initdata, kbs/docs/initdata.md): a TOML document the
 * VM's owner gives the guest, whose digest the host binds into the TEE at
 * launch (SEV-SNP HOST_DATA, TDX MRCONFIGID). cwinit sends the document in
 * the attestation, as `"init-data":{"format":"toml","body":<text>}`, and
 * first checks that the evidence it is about to send carries its digest,
 * as Trustee's verifiers do.
 *
 * The digest is the document's `algorithm` (sha256, sha384, sha512) over
 * the exact bytes of the file, cut or zero-padded to the field: 32 bytes
 * for HOST_DATA, 48 for MRCONFIGID. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "err.h"

#define INITDATA_MAX (256 * 1024)
#define INITDATA_MAX_DIGEST 64

/* Reads the document at path (at most INITDATA_MAX bytes) into a malloc'd,
 * NUL-terminated *text and checks it with initdata_digest. */
int initdata_load(const char *path, char **text, size_t *len, struct cw_err *err);

/* Checks the document (UTF-8 without NUL; top-level `algorithm` and
 * `version = "0.1.0"` as plain single-line strings before the first table;
 * a [data] table) and computes its digest. *alg points to a static name.
 * Returns 0 or -EINVAL (err says which line and why). */
int initdata_digest(const char *toml, size_t len, uint8_t digest[INITDATA_MAX_DIGEST],
		    size_t *digest_len, const char **alg, struct cw_err *err);

/* Compares field[0..field_len) with the document's digest cut or padded to
 * field_len. Returns 0 when equal, -EPERM when not (err shows both), or
 * initdata_digest's error. */
int initdata_check(const char *toml, size_t len, const uint8_t *field, size_t field_len,
		   struct cw_err *err);

/* The check on the evidence about to be sent to the broker (`tee` as the
 * broker is told): HOST_DATA of an `snp` report, MRCONFIGID of a `tdx`
 * quote. Returns 0 when it matches, -EPERM when not, -ENOTSUP for a TEE
 * whose evidence has no such field (`sample`), -EBADMSG for evidence that
 * does not decode. */
int initdata_check_evidence(const char *tee, const char *evidence, const char *toml, size_t len,
			    struct cw_err *err);
