/* SEV-SNP certificate tables and report signature verification. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include "snp.h"

#define ENTRY_SIZE 24

/* GUID bytes in string order, as the table stores them. */
static const struct {
	enum snp_cert_type type;
	uint8_t guid[16];
} known[] = {
	{ SNP_CERT_VCEK, { 0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64,
			   0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac, 0xcd } },
	{ SNP_CERT_VLEK, { 0xa8, 0x07, 0x4b, 0xc2, 0xa2, 0x5a, 0x48, 0x3e,
			   0xaa, 0xe6, 0x39, 0xc0, 0x45, 0xa0, 0xb8, 0xa1 } },
	{ SNP_CERT_ASK, { 0x4a, 0xb7, 0xb3, 0x79, 0xbb, 0xac, 0x4f, 0xe4,
			  0xa0, 0x2f, 0x05, 0xae, 0xf3, 0x27, 0xc7, 0x82 } },
	{ SNP_CERT_ARK, { 0xc0, 0xb4, 0x06, 0xa4, 0xa8, 0x03, 0x49, 0x52,
			  0x97, 0x43, 0x3f, 0xb6, 0x01, 0x4c, 0xd0, 0xae } },
};

const char *snp_cert_type_name(enum snp_cert_type t)
{
	switch (t) {
	case SNP_CERT_VCEK: return "VCEK";
	case SNP_CERT_VLEK: return "VLEK";
	case SNP_CERT_ASK: return "ASK";
	default: return "ARK";
	}
}

void snp_certs_free(struct snp_certs *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->c[i].der);
	memset(c, 0, sizeof(*c));
}

const struct snp_cert *snp_certs_vek(const struct snp_certs *c)
{
	for (size_t i = 0; c && i < c->n; i++)
		if (c->c[i].type == SNP_CERT_VCEK || c->c[i].type == SNP_CERT_VLEK)
			return &c->c[i];
	return NULL;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

int snp_cert_table_parse(const uint8_t *t, size_t len, struct snp_certs *out, struct cw_err *err)
{
	size_t off;

	memset(out, 0, sizeof(*out));
	for (off = 0;; off += ENTRY_SIZE) {
		const uint8_t *e = t + off;
		uint32_t at, n;
		size_t k;

		if (off > len || len - off < ENTRY_SIZE)
			goto bad_end;
		if (all_zero(e, ENTRY_SIZE))
			return 0;
		at = le32(e + 16);
		n = le32(e + 20);
		if (at > len || n > len - at) {
			snp_certs_free(out);
			return cw_err_set(err, EINVAL,
					  "certificate table: offset 0x%zx: entry points at %u+%u, "
					  "outside the %zu-byte table", off, at, n, len);
		}
		for (k = 0; k < ARRAY_SIZE(known); k++)
			if (memcmp(e, known[k].guid, 16) == 0)
				break;
		if (k == ARRAY_SIZE(known) || n == 0)
			continue;
		if (out->n == SNP_MAX_CERTS) {
			snp_certs_free(out);
			return cw_err_set(err, EINVAL, "certificate table: more than %d certificates",
					  SNP_MAX_CERTS);
		}
		if (!(out->c[out->n].der = malloc(n))) {
			snp_certs_free(out);
			return cw_err_set(err, ENOMEM, "out of memory for certificates");
		}
		memcpy(out->c[out->n].der, t + at, n);
		out->c[out->n].len = n;
		out->c[out->n].type = known[k].type;
		out->n++;
	}
bad_end:
	snp_certs_free(out);
	return cw_err_set(err, EINVAL, "certificate table: no terminating zero entry in %zu bytes",
			  len);
}

static X509 *load_cert(const uint8_t *b, size_t len)
{
	const unsigned char *p = b;
	X509 *x;
	BIO *bio;

	if (len > 64 * 1024)
		return NULL;
	if ((x = d2i_X509(NULL, &p, (long)len)) && p == b + len)
		return x;
	X509_free(x);
	if (!(bio = BIO_new_mem_buf(b, (int)len)))
		return NULL;
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	ERR_clear_error(); /* the failed DER attempt left its error queued */
	return x;
}

/* DER ECDSA-Sig-Value from the report's little-endian r and s. */
static int der_signature(const uint8_t r[SNP_REPORT_SIZE], unsigned char **der, int *der_len)
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *br = BN_lebin2bn(r + SNP_OFF_SIG_R, SNP_SIG_COMPONENT, NULL);
	BIGNUM *bs = BN_lebin2bn(r + SNP_OFF_SIG_S, SNP_SIG_COMPONENT, NULL);
	int rc = -ENOMEM;

	if (sig && br && bs && ECDSA_SIG_set0(sig, br, bs)) {
		br = bs = NULL; /* owned by sig now */
		*der = NULL;
		*der_len = i2d_ECDSA_SIG(sig, der);
		rc = *der_len > 0 ? 0 : -ENOMEM;
	}
	BN_free(br);
	BN_free(bs);
	ECDSA_SIG_free(sig);
	return rc;
}

int snp_verify_signature(const uint8_t r[SNP_REPORT_SIZE], const uint8_t *cert, size_t cert_len,
			 struct cw_err *err)
{
	X509 *x = load_cert(cert, cert_len);
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *md = NULL;
	unsigned char *der = NULL;
	int der_len, rc, ok;
	char curve[64] = "";

	if (!x)
		return cw_err_set(err, EINVAL, "the certificate is neither DER nor PEM X.509");
	key = X509_get0_pubkey(x);
	if (!key || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC ||
	    !EVP_PKEY_get_utf8_string_param(key, "group", curve, sizeof(curve), NULL) ||
	    strcmp(curve, "secp384r1") != 0) {
		X509_free(x);
		return cw_err_set(err, EINVAL, "the certificate's key is not EC P-384");
	}
	if ((rc = der_signature(r, &der, &der_len)) < 0) {
		X509_free(x);
		return cw_err_set(err, rc, "out of memory checking the signature");
	}
	md = EVP_MD_CTX_new();
	ok = md && EVP_DigestVerifyInit(md, NULL, EVP_sha384(), NULL, key) == 1 &&
	     EVP_DigestVerify(md, der, (size_t)der_len, r, SNP_SIGNED_SIZE) == 1;
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	X509_free(x);
	ERR_clear_error();
	if (!ok)
		return cw_err_set(err, EBADMSG,
				  "the report signature does not verify with this certificate");
	return 0;
}
