// SPDX-License-Identifier: GPL-2.0
/*
 * ECDSA signing (P-384 for SNP reports, P-256 for TDX quotes) and hashing for tee_emul.
 *
 * The kernel's crypto API only verifies ECDSA, but crypto/ecc.c exports the arithmetic a signer
 * needs: k*G through ecc_point_mult_shamir() (second scalar zero), and modular inverse and
 * multiplication modulo the group order. The one missing piece, a modular add, is here.
 */
#include <crypto/ecdh.h>
#include <crypto/hash.h>
#include <linux/err.h>
#include <linux/random.h>
#include <linux/string.h>
#include "emul.h"	/* crypto/internal/ecc.h brings get/put_unaligned for 6.1 and 6.12 */

static struct crypto_shash *sha384_tfm, *sha256_tfm;

int emul_crypto_init(void)
{
	/* No modprobe in an initramfs: on 6.1 sha512_generic must be loaded before us. */
	sha384_tfm = crypto_alloc_shash("sha384", 0, 0);
	if (IS_ERR(sha384_tfm)) {
		int err = PTR_ERR(sha384_tfm);

		sha384_tfm = NULL;
		pr_err("tee_emul: no sha384 (%d): load sha512_generic first\n", err);
		return err;
	}
	sha256_tfm = crypto_alloc_shash("sha256", 0, 0);
	if (IS_ERR(sha256_tfm)) {
		int err = PTR_ERR(sha256_tfm);

		sha256_tfm = NULL;
		crypto_free_shash(sha384_tfm);
		sha384_tfm = NULL;
		pr_err("tee_emul: no sha256 (%d)\n", err);
		return err;
	}
	return 0;
}

void emul_crypto_exit(void)
{
	crypto_free_shash(sha256_tfm);
	crypto_free_shash(sha384_tfm);
	sha256_tfm = NULL;
	sha384_tfm = NULL;
}

int emul_sha384(const void *data, size_t len, u8 out[48])
{
	return crypto_shash_tfm_digest(sha384_tfm, data, len, out);
}

int emul_sha256(const void *data, size_t len, u8 out[32])
{
	return crypto_shash_tfm_digest(sha256_tfm, data, len, out);
}

void emul_vli_to_be(u8 *out, const u64 *v, unsigned int ndigits)
{
	unsigned int i;

	for (i = 0; i < ndigits; i++)
		put_unaligned_be64(v[ndigits - 1 - i], out + 8 * i);
}

/* r = (a + b) mod n, for a, b < n. */
static void vli_mod_add_n(u64 *r, const u64 *a, const u64 *b, const u64 *n, unsigned int ndigits)
{
	u64 carry = 0;
	unsigned int i;

	for (i = 0; i < ndigits; i++) {
		u64 t = a[i] + carry;
		u64 c1 = t < carry;
		u64 s = t + b[i];

		carry = c1 | (s < t);
		r[i] = s;
	}
	if (carry || vli_cmp(r, n, ndigits) >= 0)
		vli_sub(r, r, n, ndigits);
}

/* point = k*G; the second scalar of the Shamir ladder is zero, so its point is never used. */
static void mult_g(const struct ecc_curve *curve, const u64 *k, u64 *x, u64 *y)
{
	u64 zero[ECC_MAX_DIGITS] = { 0 };
	struct ecc_point p = ECC_POINT_INIT(x, y, curve->g.ndigits);

	ecc_point_mult_shamir(&p, k, &curve->g, zero, &curve->g, curve);
}

int emul_key_load(struct emul_key *key, unsigned int curve_id, const u8 *be, size_t len)
{
	const struct ecc_curve *curve = ecc_get_curve(curve_id);
	u64 x[ECC_MAX_DIGITS], y[ECC_MAX_DIGITS];
	unsigned int nd;

	if (!curve)
		return -EINVAL;
	nd = curve->g.ndigits;
	if (len != nd * 8 || 2 * len > sizeof(key->pub))
		return -EINVAL;
	memset(key, 0, sizeof(*key));
	key->curve_id = curve_id;
	key->ndigits = nd;
	vli_from_be64(key->d, be, nd);
	if (vli_is_zero(key->d, nd) || vli_cmp(key->d, curve->n, nd) >= 0) {
		memzero_explicit(key, sizeof(*key));
		return -EINVAL;
	}
	mult_g(curve, key->d, x, y);
	emul_vli_to_be(key->pub, x, nd);
	emul_vli_to_be(key->pub + nd * 8, y, nd);
	return 0;
}

/*
 * ECDSA over a digest of the curve's size (SHA-384 for P-384, SHA-256 for P-256). r and s come
 * back as ndigits little-endian u64 digits.
 */
int emul_sign(const struct emul_key *key, const u8 *digest, u64 *r, u64 *s)
{
	const struct ecc_curve *curve = ecc_get_curve(key->curve_id);
	unsigned int nd = key->ndigits, tries;
	u64 e[ECC_MAX_DIGITS], k[ECC_MAX_DIGITS], kinv[ECC_MAX_DIGITS];
	u64 y[ECC_MAX_DIGITS], t[ECC_MAX_DIGITS];
	int ret = -EAGAIN;

	if (!curve)
		return -EINVAL;
	vli_from_be64(e, digest, nd);
	/* e < 2^bits < 2n: one subtraction reduces it. */
	if (vli_cmp(e, curve->n, nd) >= 0)
		vli_sub(e, e, curve->n, nd);

	for (tries = 0; tries < 16; tries++) {
		get_random_bytes(k, nd * 8);
		if (vli_is_zero(k, nd) || vli_cmp(k, curve->n, nd) >= 0)
			continue;
		mult_g(curve, k, r, y);
		/* x < p < 2n */
		if (vli_cmp(r, curve->n, nd) >= 0)
			vli_sub(r, r, curve->n, nd);
		if (vli_is_zero(r, nd))
			continue;
		vli_mod_mult_slow(t, r, key->d, curve->n, nd);	/* r*d */
		vli_mod_add_n(t, t, e, curve->n, nd);		/* e + r*d */
		vli_mod_inv(kinv, k, curve->n, nd);
		vli_mod_mult_slow(s, kinv, t, curve->n, nd);	/* k^-1 (e + r*d) */
		if (vli_is_zero(s, nd))
			continue;
		ret = 0;
		break;
	}
	memzero_explicit(k, sizeof(k));
	memzero_explicit(kinv, sizeof(kinv));
	memzero_explicit(t, sizeof(t));
	return ret;
}
