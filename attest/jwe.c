/* JWE decryption for the KBS resource, A256GCM content encryption.
 *
 * The content key (CEK) comes one of three ways, fixed by our TEE key:
 * - EC (P-256, P-521), ECDH-ES+A256KW: Z = ECDH(our key, epk); KEK = Concat
 *   KDF (RFC 7518 4.6.2: OpenSSL's SSKDF with SHA-256); CEK = AES-256 key
 *   unwrap of encrypted_key.
 * - RSA, RSA-OAEP-256: OAEP with SHA-256 and MGF1-SHA-256, empty label.
 * - RSA, RSA1_5 (only when allowed): see rsa1_5_cek.
 * The plaintext is AES-256-GCM with the protected header string, as
 * received, as additional data. Every length is checked before any crypto
 * runs, and the intermediate keys are wiped whatever happens. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <cjson/cJSON.h>
#include "base64.h"
#include "jcs.h"
#include "jwe.h"
#include "teekey.h"
#include "util.h"

#define JWE_ENC "A256GCM"
#define KEY_LEN 32        /* AES-256 */
#define WRAPPED_LEN 40    /* RFC 3394 wrap of a 32-byte key */
#define IV_LEN 12
#define TAG_LEN 16
#define MAX_HEADER 4096   /* decoded protected header */
#define MAX_POINT (1 + 2 * TEEKEY_EC_MAX_COORD)

enum cek_method { CEK_ECDH_ES_A256KW, CEK_RSA_OAEP_256, CEK_RSA1_5 };

/* Keys, the shared secret and the raw RSA block, kept together so one wipe
 * covers them. */
struct jwe_keys {
	uint8_t z[TEEKEY_EC_MAX_COORD];
	uint8_t kek[KEY_LEN];
	uint8_t cek[TEEKEY_RSA_BYTES];
	uint8_t block[TEEKEY_RSA_BYTES];
	uint8_t decoy[KEY_LEN];
};

/* What the protected header says. */
struct jwe_header {
	enum cek_method method;
	uint8_t point[MAX_POINT];   /* EC: the sender's 0x04 || x || y */
	size_t point_len;
};

/* A received value made printable for an error message. */
static const char *shown(const char *s, char buf[48])
{
	sanitize_ascii(buf, 41, s ? s : "", s ? strnlen(s, 40) : 0);
	return buf;
}

static const char *member_str(const cJSON *o, const char *name)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(m) ? m->valuestring : NULL;
}

/* Decodes the base64url member `name` into out, which must end up exactly
 * want bytes long (or at most max bytes when want is 0). */
static int decode_member(const cJSON *o, const char *name, uint8_t *out, size_t want,
			 size_t max, size_t *got, struct cw_err *err)
{
	const char *s = member_str(o, name);
	size_t n = 0;
	int r;

	if (!s)
		return cw_err_set(err, EBADMSG, "JWE has no string member \"%s\"", name);
	r = base64_decode(s, strlen(s), BASE64_URL, out, want ? want : max, &n);
	if (r && r != -ENOBUFS)
		return cw_err_set(err, EBADMSG, "JWE %s is not base64url", name);
	if (r || (want && n != want))
		return cw_err_set(err, EBADMSG, "JWE %s is %s than %zu bytes", name,
				  r ? "longer" : "shorter", want ? want : max);
	if (got)
		*got = n;
	return 0;
}

/* The alg must be the one our key asked for (RSA1_5 only when allowed). */
static int check_alg(const char *alg, const struct teekey_info *info, unsigned flags,
		     enum cek_method *method, struct cw_err *err)
{
	char b[48];

	if (alg && strcmp(alg, info->alg) == 0) {
		*method = info->crv ? CEK_ECDH_ES_A256KW : CEK_RSA_OAEP_256;
		return 0;
	}
	if (alg && !info->crv && strcmp(alg, "RSA1_5") == 0) {
		if (flags & JWE_ALLOW_RSA1_5) {
			*method = CEK_RSA1_5;
			return 0;
		}
		return cw_err_set(err, ENOTSUP,
				  "JWE alg \"RSA1_5\" refused: our TEE key asked for %s "
				  "(allow_rsa1_5=true accepts RSA1_5 from an old broker)", info->alg);
	}
	return cw_err_set(err, ENOTSUP, "JWE alg \"%s\" is not the one our TEE key asked for (%s)",
			  alg ? shown(alg, b) : "(none)", info->alg);
}

/* Checks the protected header against our key; for EC returns the
 * sender's ephemeral point. */
static int check_header(const char *protected_b64, const struct teekey_info *info,
			unsigned flags, struct jwe_header *hdr, struct cw_err *err)
{
	uint8_t raw[MAX_HEADER + 1];
	const char *enc, *kty, *crv;
	const cJSON *epk;
	cJSON *h = NULL;
	char b[48], c[48];
	size_t n;
	int r;

	if (base64_decode(protected_b64, strlen(protected_b64), BASE64_URL, raw, MAX_HEADER, &n))
		return cw_err_set(err, EBADMSG, "JWE protected header is not base64url of at most %d bytes",
				  MAX_HEADER);
	raw[n] = '\0';
	h = json_parse_exact((const char *)raw, n);
	if (!cJSON_IsObject(h)) {
		r = cw_err_set(err, EBADMSG, "JWE protected header is not a JSON object");
		goto out;
	}
	if ((r = check_alg(member_str(h, "alg"), info, flags, &hdr->method, err)))
		goto out;
	enc = member_str(h, "enc");
	if (!enc || strcmp(enc, JWE_ENC) != 0) {
		r = cw_err_set(err, ENOTSUP, "JWE enc \"%s\" is not supported (want " JWE_ENC ")",
			       enc ? shown(enc, b) : "(none)");
		goto out;
	}
	/* Each of these changes how the content must be processed; none is
	 * part of what the broker sends, so refuse rather than ignore. */
	static const char *const refused[] = { "crit", "zip", "apu", "apv" };
	for (size_t i = 0; i < ARRAY_SIZE(refused); i++)
		if (cJSON_GetObjectItemCaseSensitive(h, refused[i])) {
			r = cw_err_set(err, ENOTSUP, "JWE header parameter \"%s\" is not supported",
				       refused[i]);
			goto out;
		}
	if (hdr->method != CEK_ECDH_ES_A256KW) {
		r = 0;
		goto out;
	}
	epk = cJSON_GetObjectItemCaseSensitive(h, "epk");
	if (!cJSON_IsObject(epk)) {
		r = cw_err_set(err, EBADMSG, "JWE header has no epk object");
		goto out;
	}
	kty = member_str(epk, "kty");
	crv = member_str(epk, "crv");
	if (!kty || strcmp(kty, "EC") != 0 || !crv || strcmp(crv, info->crv) != 0) {
		r = cw_err_set(err, ENOTSUP, "JWE epk is kty \"%s\" crv \"%s\" (our TEE key is EC %s)",
			       kty ? shown(kty, b) : "(none)", crv ? shown(crv, c) : "(none)",
			       info->crv);
		goto out;
	}
	hdr->point[0] = 0x04;
	hdr->point_len = 1 + 2 * info->coord;
	if ((r = decode_member(epk, "x", hdr->point + 1, info->coord, 0, NULL, err)) ||
	    (r = decode_member(epk, "y", hdr->point + 1 + info->coord, info->coord, 0, NULL, err))) {
		cw_err_prefix(err, r, "epk");
		goto out;
	}
	r = 0;
out:
	cJSON_Delete(h);
	return r;
}

/* Z = ECDH(key, point); the point is refused unless it lies on our curve. */
static int agree(EVP_PKEY *key, const struct teekey_info *info, const struct jwe_header *hdr,
		 uint8_t *z, struct cw_err *err)
{
	EVP_PKEY_CTX *pctx = NULL, *cctx = NULL, *dctx = NULL;
	EVP_PKEY *peer = NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)info->crv, 0),
		OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)hdr->point,
						  hdr->point_len),
		OSSL_PARAM_construct_end(),
	};
	size_t zlen = info->coord;
	int r = 0;

	pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!pctx || EVP_PKEY_fromdata_init(pctx) <= 0 ||
	    EVP_PKEY_fromdata(pctx, &peer, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
		r = cw_err_set(err, EBADMSG, "JWE epk is not a point on %s", info->crv);
		goto out;
	}
	/* The partial public-key check of NIST SP 800-56A 5.6.2.3.4: on the
	 * curve, in range, not the point at infinity. P-256 and P-521 have
	 * cofactor 1, so every such point has the group's order and the full
	 * check's extra scalar multiplication (as costly as the ECDH itself)
	 * would prove nothing more. */
	cctx = EVP_PKEY_CTX_new_from_pkey(NULL, peer, NULL);
	if (!cctx || EVP_PKEY_public_check_quick(cctx) <= 0) {
		r = cw_err_set(err, EBADMSG, "JWE epk is not a valid %s public key", info->crv);
		goto out;
	}
	dctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	if (!dctx || EVP_PKEY_derive_init(dctx) <= 0 ||
	    EVP_PKEY_derive_set_peer_ex(dctx, peer, 0) <= 0) {
		r = cw_err_set(err, EIO, "OpenSSL ECDH setup failed");
		goto out;
	}
	if (EVP_PKEY_derive(dctx, z, &zlen) <= 0 || zlen != info->coord) {
		r = cw_err_set(err, EIO, "ECDH with the JWE epk failed");
		goto out;
	}
out:
	EVP_PKEY_free(peer);
	EVP_PKEY_CTX_free(dctx);
	EVP_PKEY_CTX_free(cctx);
	EVP_PKEY_CTX_free(pctx);
	return r;
}

/* KEK = Concat KDF(Z) with AlgorithmID "ECDH-ES+A256KW", empty PartyUInfo
 * and PartyVInfo, and SuppPubInfo 256 (RFC 7518 4.6.2), whatever the curve. */
static int derive_kek(const uint8_t *z, size_t zlen, uint8_t kek[KEY_LEN], struct cw_err *err)
{
	static const uint8_t otherinfo[] = {
		0, 0, 0, 14, 'E', 'C', 'D', 'H', '-', 'E', 'S', '+', 'A', '2', '5', '6', 'K', 'W',
		0, 0, 0, 0, /* PartyUInfo */
		0, 0, 0, 0, /* PartyVInfo */
		0, 0, 1, 0, /* SuppPubInfo: key length in bits */
	};
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "SSKDF", NULL);
	EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)z, zlen),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)otherinfo,
						  sizeof(otherinfo)),
		OSSL_PARAM_construct_end(),
	};
	int r = 0;

	if (!kctx || EVP_KDF_derive(kctx, kek, KEY_LEN, params) <= 0)
		r = cw_err_set(err, EIO, "OpenSSL SSKDF (Concat KDF) failed");
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	return r;
}

/* CEK = AES-256 key unwrap (RFC 3394) of the wrapped key with the KEK. */
static int unwrap_cek(const uint8_t kek[KEY_LEN], const uint8_t wrapped[WRAPPED_LEN],
		      uint8_t cek[WRAPPED_LEN + 8], struct cw_err *err)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, m = 0, r = 0;

	if (!ctx)
		return cw_err_set(err, ENOMEM, "out of memory for AES key unwrap");
	EVP_CIPHER_CTX_set_flags(ctx, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
	if (EVP_DecryptInit_ex2(ctx, EVP_aes_256_wrap(), kek, NULL, NULL) <= 0)
		r = cw_err_set(err, EIO, "OpenSSL AES key unwrap setup failed");
	else if (EVP_DecryptUpdate(ctx, cek, &n, wrapped, WRAPPED_LEN) <= 0 ||
		 EVP_DecryptFinal_ex(ctx, cek + n, &m) <= 0 || n + m != KEY_LEN)
		r = cw_err_set(err, EBADMSG,
			       "JWE encrypted_key does not unwrap (not encrypted to our TEE key)");
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

/* RSA decryption of the k-byte encrypted key with the given padding. */
static int rsa_decrypt(EVP_PKEY *key, int padding, const uint8_t *in, size_t k, uint8_t *out,
		       size_t *outlen)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	int ok = ctx && EVP_PKEY_decrypt_init(ctx) > 0 &&
		 EVP_PKEY_CTX_set_rsa_padding(ctx, padding) > 0 &&
		 (padding != RSA_PKCS1_OAEP_PADDING ||
		  (EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) > 0 &&
		   EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) > 0)) &&
		 EVP_PKEY_decrypt(ctx, out, outlen, in, k) > 0;

	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return ok ? 0 : -EBADMSG;
}

/* 0xff when x is 0, else 0x00, without a branch. */
static uint8_t ct_zero(uint8_t x)
{
	uint32_t v = x;

	return (uint8_t)(0u - (((v | (0u - v)) >> 31) ^ 1u));
}

/* RSA1_5 with implicit rejection (RFC 7516 11.5, and what OpenSSL 3.2+ does
 * itself; Debian 12 has 3.0, whose PKCS#1 v1.5 decryption reports a bad
 * padding). The raw RSA operation (blinded) gives the block, which must be
 * 00 02 PS 00 CEK with a 32-byte CEK, so the separator sits at a fixed
 * place and the check needs no secret-dependent branch or index. The CEK
 * is then taken, with masks, from the block when it is well formed and
 * from a random decoy when not: a bad padding is never reported; it fails
 * at the GCM tag, exactly like a wrong tag, with the same work done. */
static void rsa1_5_cek(EVP_PKEY *key, const uint8_t *ek, size_t k, struct jwe_keys *keys)
{
	size_t outlen = k;
	uint8_t good;

	/* A failed RSA operation depends on the public ciphertext only
	 * (e.g. not below the modulus); it leaves the block zero, which the
	 * padding check rejects like any other bad block. */
	if (rsa_decrypt(key, RSA_NO_PADDING, ek, k, keys->block, &outlen) || outlen != k)
		memset(keys->block, 0, k);
	good = ct_zero(keys->block[0]) & ct_zero(keys->block[1] ^ 0x02) &
	       ct_zero(keys->block[k - KEY_LEN - 1]);
	for (size_t i = 2; i < k - KEY_LEN - 1; i++)
		good &= (uint8_t)~ct_zero(keys->block[i]);
	for (size_t i = 0; i < KEY_LEN; i++)
		keys->cek[i] = (uint8_t)((keys->block[k - KEY_LEN + i] & good) |
					 (keys->decoy[i] & (uint8_t)~good));
}

/* CEK from an RSA encrypted_key of exactly the modulus size. */
static int rsa_cek(EVP_PKEY *key, const struct teekey_info *info, enum cek_method method,
		   const uint8_t *ek, struct jwe_keys *keys, struct cw_err *err)
{
	size_t outlen = sizeof(keys->cek);

	if (method == CEK_RSA1_5) {
		if (RAND_bytes(keys->decoy, KEY_LEN) != 1) {
			ERR_clear_error();
			return cw_err_set(err, EIO, "OpenSSL could not make random bytes");
		}
		rsa1_5_cek(key, ek, info->modulus, keys);
		return 0;
	}
	if (rsa_decrypt(key, RSA_PKCS1_OAEP_PADDING, ek, info->modulus, keys->cek, &outlen) ||
	    outlen != KEY_LEN)
		return cw_err_set(err, EBADMSG, "JWE encrypted_key does not decrypt with RSA-OAEP-256 "
				  "to a 256-bit key (not encrypted to our TEE key)");
	return 0;
}

/* plaintext = AES-256-GCM open(cek, iv, ciphertext, tag, aad). */
static int open_gcm(const uint8_t cek[KEY_LEN], const uint8_t iv[IV_LEN], const char *aad,
		    const uint8_t *ct, size_t ctlen, const uint8_t tag[TAG_LEN],
		    struct secret *pt, struct cw_err *err)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, m = 0, r = 0;

	if (!ctx)
		return cw_err_set(err, ENOMEM, "out of memory for AES-GCM");
	if (EVP_DecryptInit_ex2(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) <= 0 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, IV_LEN, NULL) <= 0 ||
	    EVP_DecryptInit_ex2(ctx, NULL, cek, iv, NULL) <= 0 ||
	    EVP_DecryptUpdate(ctx, NULL, &n, (const uint8_t *)aad, (int)strlen(aad)) <= 0 ||
	    (ctlen && EVP_DecryptUpdate(ctx, pt->data, &n, ct, (int)ctlen) <= 0) ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, TAG_LEN, (void *)tag) <= 0) {
		r = cw_err_set(err, EIO, "OpenSSL AES-256-GCM setup failed");
		goto out;
	}
	if (!ctlen)
		n = 0;
	if (EVP_DecryptFinal_ex(ctx, pt->data + n, &m) <= 0) {
		r = cw_err_set(err, EBADMSG, "JWE authentication failed (ciphertext or tag altered, "
			       "or not encrypted to our TEE key)");
		goto out;
	}
	pt->len = (size_t)n + (size_t)m;
out:
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

int jwe_decrypt_flags(EVP_PKEY *key, unsigned flags, const char *json, size_t len,
		      struct secret **out, struct cw_err *err)
{
	struct jwe_keys k;
	struct jwe_header hdr;
	struct teekey_info info;
	uint8_t ek[TEEKEY_RSA_BYTES], iv[IV_LEN], tag[TAG_LEN];
	_cleanup_free_ uint8_t *ct = NULL;
	struct secret *pt = NULL;
	const char *protected;
	size_t ctlen = 0;
	cJSON *j = json_parse_exact(json, len);
	int r;

	memset(&k, 0, sizeof(k));
	memset(&hdr, 0, sizeof(hdr));
	if (teekey_info(key, &info)) {
		r = cw_err_set(err, EINVAL, "the TEE key is of an unsupported type");
		goto out;
	}
	if (!cJSON_IsObject(j)) {
		r = cw_err_set(err, EBADMSG, "resource answer is not a JSON object");
		goto out;
	}
	if (cJSON_GetObjectItemCaseSensitive(j, "recipients")) {
		r = cw_err_set(err, ENOTSUP, "JWE in general JSON form is not supported");
		goto out;
	}
	if (cJSON_GetObjectItemCaseSensitive(j, "aad")) {
		r = cw_err_set(err, ENOTSUP, "JWE member \"aad\" is not supported");
		goto out;
	}
	protected = member_str(j, "protected");
	if (!protected) {
		r = cw_err_set(err, EBADMSG, "JWE has no string member \"protected\"");
		goto out;
	}
	if ((r = check_header(protected, &info, flags, &hdr, err)) ||
	    (r = decode_member(j, "encrypted_key", ek,
			       hdr.method == CEK_ECDH_ES_A256KW ? WRAPPED_LEN : info.modulus, 0,
			       NULL, err)) ||
	    (r = decode_member(j, "iv", iv, IV_LEN, 0, NULL, err)) ||
	    (r = decode_member(j, "tag", tag, TAG_LEN, 0, NULL, err)))
		goto out;
	if (!(ct = malloc(JWE_MAX_PLAINTEXT))) {
		r = cw_err_set(err, ENOMEM, "out of memory for the JWE ciphertext");
		goto out;
	}
	if ((r = decode_member(j, "ciphertext", ct, 0, JWE_MAX_PLAINTEXT, &ctlen, err)))
		goto out;

	if (hdr.method == CEK_ECDH_ES_A256KW) {
		if ((r = agree(key, &info, &hdr, k.z, err)) ||
		    (r = derive_kek(k.z, info.coord, k.kek, err)) ||
		    (r = unwrap_cek(k.kek, ek, k.cek, err)))
			goto out;
	} else if ((r = rsa_cek(key, &info, hdr.method, ek, &k, err))) {
		goto out;
	}
	/* secret_new refuses 0; an empty resource is still a valid answer. */
	if (!(pt = secret_new(ctlen ? ctlen : 1))) {
		r = cw_err_set(err, errno ? errno : ENOMEM, "no locked memory for the resource");
		goto out;
	}
	if ((r = open_gcm(k.cek, iv, protected, ct, ctlen, tag, pt, err)))
		goto out;
	*out = pt;
	pt = NULL;
out:
	explicit_bzero(&k, sizeof(k));
	secret_free(pt);
	cJSON_Delete(j);
	ERR_clear_error();
	return r;
}
