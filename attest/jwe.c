/* JWE decryption for the KBS resource: ECDH-ES+A256KW with A256GCM.
 *
 * Z = ECDH(our key, epk); KEK = Concat KDF (RFC 7518 4.6.2: OpenSSL's
 * SSKDF with SHA-256); CEK = AES-256 key unwrap of encrypted_key; the
 * plaintext is AES-256-GCM with the protected header string, as received,
 * as additional data. Every length is checked before any crypto runs, and
 * the intermediate keys are wiped whatever happens. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <cjson/cJSON.h>
#include "base64.h"
#include "jcs.h"
#include "jwe.h"
#include "util.h"

#define JWE_ALG "ECDH-ES+A256KW"
#define JWE_ENC "A256GCM"
#define P256_COORD 32
#define KEY_LEN 32        /* AES-256 */
#define WRAPPED_LEN 40    /* RFC 3394 wrap of a 32-byte key */
#define IV_LEN 12
#define TAG_LEN 16
#define MAX_HEADER 4096   /* decoded protected header */

/* Keys and the shared secret, kept together so one wipe covers them. */
struct jwe_keys {
	uint8_t z[P256_COORD];
	uint8_t kek[KEY_LEN];
	uint8_t cek[WRAPPED_LEN + 8];
};

/* A received value made printable for an error message. */
static const char *shown(const char *s, char buf[48])
{
	size_t i;

	for (i = 0; s && s[i] && i < 40; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	buf[i] = '\0';
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

/* Checks the protected header and returns the sender's ephemeral point
 * (0x04 || x || y). */
static int check_header(const char *protected_b64, uint8_t point[1 + 2 * P256_COORD],
			struct cw_err *err)
{
	uint8_t raw[MAX_HEADER + 1];
	const char *alg, *enc, *kty, *crv;
	const cJSON *epk;
	cJSON *h = NULL;
	char b[48];
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
	alg = member_str(h, "alg");
	enc = member_str(h, "enc");
	if (!alg || strcmp(alg, JWE_ALG) != 0) {
		r = cw_err_set(err, ENOTSUP, "JWE alg \"%s\" is not supported (want " JWE_ALG ")",
			       alg ? shown(alg, b) : "(none)");
		goto out;
	}
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
	epk = cJSON_GetObjectItemCaseSensitive(h, "epk");
	if (!cJSON_IsObject(epk)) {
		r = cw_err_set(err, EBADMSG, "JWE header has no epk object");
		goto out;
	}
	kty = member_str(epk, "kty");
	crv = member_str(epk, "crv");
	if (!kty || strcmp(kty, "EC") != 0 || !crv || strcmp(crv, "P-256") != 0) {
		char c[48];
		r = cw_err_set(err, ENOTSUP, "JWE epk is kty \"%s\" crv \"%s\" (want EC P-256)",
			       kty ? shown(kty, b) : "(none)", crv ? shown(crv, c) : "(none)");
		goto out;
	}
	point[0] = 0x04;
	if ((r = decode_member(epk, "x", point + 1, P256_COORD, 0, NULL, err)) ||
	    (r = decode_member(epk, "y", point + 1 + P256_COORD, P256_COORD, 0, NULL, err))) {
		cw_err_prefix(err, r, "epk");
		goto out;
	}
	r = 0;
out:
	cJSON_Delete(h);
	return r;
}

/* Z = ECDH(key, point); the point is refused unless it lies on P-256. */
static int agree(EVP_PKEY *key, const uint8_t point[1 + 2 * P256_COORD], uint8_t z[P256_COORD],
		 struct cw_err *err)
{
	EVP_PKEY_CTX *pctx = NULL, *dctx = NULL;
	EVP_PKEY *peer = NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"P-256", 0),
		OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)point,
						  1 + 2 * P256_COORD),
		OSSL_PARAM_construct_end(),
	};
	size_t zlen = P256_COORD;
	int r = 0;

	pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!pctx || EVP_PKEY_fromdata_init(pctx) <= 0 ||
	    EVP_PKEY_fromdata(pctx, &peer, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
		r = cw_err_set(err, EBADMSG, "JWE epk is not a point on P-256");
		goto out;
	}
	dctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	if (!dctx || EVP_PKEY_derive_init(dctx) <= 0) {
		r = cw_err_set(err, EIO, "OpenSSL ECDH setup failed");
		goto out;
	}
	/* validate_peer=1: a full public-key check of the sender's point. */
	if (EVP_PKEY_derive_set_peer_ex(dctx, peer, 1) <= 0) {
		r = cw_err_set(err, EBADMSG, "JWE epk is not a valid P-256 public key");
		goto out;
	}
	if (EVP_PKEY_derive(dctx, z, &zlen) <= 0 || zlen != P256_COORD) {
		r = cw_err_set(err, EIO, "ECDH with the JWE epk failed");
		goto out;
	}
out:
	EVP_PKEY_free(peer);
	EVP_PKEY_CTX_free(dctx);
	EVP_PKEY_CTX_free(pctx);
	return r;
}

/* KEK = Concat KDF(Z) with AlgorithmID "ECDH-ES+A256KW", empty PartyUInfo
 * and PartyVInfo, and SuppPubInfo 256 (RFC 7518 4.6.2). */
static int derive_kek(const uint8_t z[P256_COORD], uint8_t kek[KEY_LEN], struct cw_err *err)
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
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)z, P256_COORD),
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
		r = cw_err_set(err, EBADMSG, "JWE authentication failed (ciphertext or tag altered)");
		goto out;
	}
	pt->len = (size_t)n + (size_t)m;
out:
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

int jwe_decrypt(EVP_PKEY *key, const char *json, size_t len, struct secret **out,
		struct cw_err *err)
{
	struct jwe_keys k;
	uint8_t point[1 + 2 * P256_COORD], wrapped[WRAPPED_LEN], iv[IV_LEN], tag[TAG_LEN];
	_cleanup_free_ uint8_t *ct = NULL;
	struct secret *pt = NULL;
	const char *protected;
	size_t ctmax, ctlen = 0;
	cJSON *j = json_parse_exact(json, len);
	int r;

	memset(&k, 0, sizeof(k));
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
	if ((r = check_header(protected, point, err)) ||
	    (r = decode_member(j, "encrypted_key", wrapped, WRAPPED_LEN, 0, NULL, err)) ||
	    (r = decode_member(j, "iv", iv, IV_LEN, 0, NULL, err)) ||
	    (r = decode_member(j, "tag", tag, TAG_LEN, 0, NULL, err)))
		goto out;
	ctmax = JWE_MAX_PLAINTEXT;
	if (!(ct = malloc(ctmax))) {
		r = cw_err_set(err, ENOMEM, "out of memory for the JWE ciphertext");
		goto out;
	}
	if ((r = decode_member(j, "ciphertext", ct, 0, ctmax, &ctlen, err)))
		goto out;

	if ((r = agree(key, point, k.z, err)) || (r = derive_kek(k.z, k.kek, err)) ||
	    (r = unwrap_cek(k.kek, wrapped, k.cek, err)))
		goto out;
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
