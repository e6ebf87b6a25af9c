/* JWE decryption checked against an independent implementation: python's
 * jwcrypto encrypts (ECDH-ES+A256KW on P-256 and P-521, RSA-OAEP-256 and
 * RSA1_5 on RSA-3072, with A256GCM) to the JWK of our TEE key, our code
 * decrypts. Then every kind of damage, and every algorithm the key did not
 * ask for, must be refused cleanly; RSA1_5 padding damage must look exactly
 * like a bad tag. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "base64.h"
#include "check.h"
#include "jcs.h"
#include "jwe.h"
#include "teekey.h"
#include "util.h"

/* argv: JWK file, alg, enc, plaintext in hex, and optionally a way to
 * break the RSA1_5 padding. Prints a flattened JSON JWE. jwcrypto's compact
 * form is the one that moves the epk into the protected header, as the
 * Trustee broker sends it. A broken padding replaces encrypted_key with a
 * raw RSA encryption of a 00 02 PS 00 CEK block damaged as asked. */
static const char encrypt_py[] =
	"import base64, json, os, sys\n"
	"from jwcrypto import jwe, jwk\n"
	"d = json.load(open(sys.argv[1])); d.pop('alg', None)\n"
	"key = jwk.JWK(**d)\n"
	"alg, enc = sys.argv[2], sys.argv[3]\n"
	"t = jwe.JWE(bytes.fromhex(sys.argv[4]), protected=json.dumps({'alg': alg, 'enc': enc}),\n"
	"            algs=[alg, enc])\n"
	"t.add_recipient(key)\n"
	"parts = t.serialize(compact=True).split('.')\n"
	"out = dict(zip(('protected', 'encrypted_key', 'iv', 'ciphertext', 'tag'), parts))\n"
	"if len(sys.argv) > 5:\n"
	"    b64 = lambda s: int.from_bytes(base64.urlsafe_b64decode(s + '=' * (-len(s) % 4)), 'big')\n"
	"    n, e = b64(d['n']), b64(d['e'])\n"
	"    k = (n.bit_length() + 7) // 8\n"
	"    ps = bytes(x % 255 + 1 for x in os.urandom(k - 35))\n"
	"    block = bytearray(b'\\0\\2' + ps + b'\\0' + os.urandom(32))\n"
	"    kind = sys.argv[5]\n"
	"    if kind == 'type1': block[1] = 1\n"
	"    if kind == 'zero-in-ps': block[20] = 0\n"
	"    if kind == 'short-cek': block[k - 33] = 7; block[k - 32] = 0\n"
	"    if kind == 'lead': block[0] = 1\n"
	"    c = pow(int.from_bytes(bytes(block), 'big'), e, n) if kind != 'over-n' else (1 << (8 * k)) - 1\n"
	"    out['encrypted_key'] = base64.urlsafe_b64encode(c.to_bytes(k, 'big')).rstrip(b'=').decode()\n"
	"print(json.dumps(out))\n";

static char dir[] = "/tmp/cwinit-test-jwe-XXXXXX";

/* A key of the type with its public JWK written to a file for python. */
struct testkey {
	EVP_PKEY *key;
	char path[64];
};

static void testkey_make(struct testkey *k, enum teekey_type type, const char *name)
{
	struct cw_err err;
	cJSON *jwk = NULL;
	char *text;
	FILE *f;

	k->key = NULL;
	snprintf(k->path, sizeof(k->path), "%s/%s.jwk", dir, name);
	CHECK_INT(teekey_generate_type(type, &k->key, &err), 0);
	CHECK_INT(teekey_jwk(k->key, &jwk, &err), 0);
	text = cJSON_PrintUnformatted(jwk);
	f = fopen(k->path, "w");
	CHECK(f && text && fputs(text, f) >= 0);
	if (f)
		fclose(f);
	free(text);
	cJSON_Delete(jwk);
}

static void testkey_free(struct testkey *k)
{
	unlink(k->path);
	teekey_free(k->key);
}

/* Runs the encryption script; returns the JWE text (malloc'd) or NULL. */
static char *py_encrypt_to(const struct testkey *k, const char *alg, const char *enc,
			   const uint8_t *pt, size_t n, const char *damage)
{
	const char *py = getenv("CWINIT_PYTHON") ? getenv("CWINIT_PYTHON") : "/usr/bin/python3";
	char *hex = malloc(2 * n + 1), *out = malloc(65536);
	size_t used = 0;
	int fds[2], status = 0;
	pid_t pid;

	for (size_t i = 0; i < n; i++)
		sprintf(hex + 2 * i, "%02x", pt[i]);
	hex[2 * n] = '\0';
	if (pipe(fds) < 0 || (pid = fork()) < 0)
		abort();
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execl(py, py, "-c", encrypt_py, k->path, alg, enc, hex, damage, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	for (ssize_t r; (r = read(fds[0], out + used, 65535 - used)) > 0;)
		used += (size_t)r;
	close(fds[0]);
	out[used] = '\0';
	waitpid(pid, &status, 0);
	free(hex);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || used == 0) {
		fprintf(stderr, "python encryption failed (status %d)\n", status);
		free(out);
		return NULL;
	}
	if (out[used - 1] == '\n')
		out[--used] = '\0';
	return out;
}

static const struct testkey *p256;

/* The P-256 key's JWE, as most checks below use. */
static char *py_encrypt(const char *alg, const char *enc, const uint8_t *pt, size_t n)
{
	return py_encrypt_to(p256, alg, enc, pt, n, NULL);
}

static int decrypt_flags(EVP_PKEY *key, unsigned flags, const char *jwe, struct secret **s,
			 struct cw_err *err)
{
	err->msg[0] = '\0';
	return jwe_decrypt_flags(key, flags, jwe, strlen(jwe), s, err);
}

/* Expects jwe to decrypt to pt[0..n). */
static void expect_plain(EVP_PKEY *key, unsigned flags, const char *jwe, const uint8_t *pt,
			 size_t n)
{
	struct cw_err err;
	struct secret *s = NULL;

	CHECK(jwe != NULL);
	CHECK_INT(decrypt_flags(key, flags, jwe ? jwe : "", &s, &err), 0);
	if (err.msg[0])
		fprintf(stderr, "decryption failed: %s\n", err.msg);
	CHECK(s != NULL && s->len == n);
	if (s && s->len == n)
		CHECK_MEM(s->data, pt, n);
	secret_free(s);
}

/* Expects refusal with rc and a message containing word; returns the
 * message. */
static struct cw_err expect_fail_flags(EVP_PKEY *key, unsigned flags, const char *jwe, int rc,
				       const char *word)
{
	struct cw_err err;
	struct secret *s = NULL;
	int r = decrypt_flags(key, flags, jwe ? jwe : "", &s, &err);

	CHECK_INT(r, rc);
	CHECK(s == NULL);
	if (!strstr(err.msg, word))
		fprintf(stderr, "message \"%s\" lacks \"%s\"\n", err.msg, word);
	CHECK(strstr(err.msg, word) != NULL);
	secret_free(s);
	return err;
}

static void expect_fail(EVP_PKEY *key, const char *jwe, int rc, const char *word)
{
	expect_fail_flags(key, 0, jwe, rc, word);
}

/* Returns the JWE with member `name` set to value. */
static char *with_member(const char *jwe, const char *name, const char *value)
{
	cJSON *j = cJSON_Parse(jwe);
	char *s;

	cJSON_DeleteItemFromObjectCaseSensitive(j, name);
	cJSON_AddStringToObject(j, name, value);
	s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	return s;
}

/* Returns member `name` with its first character changed to another valid one. */
static char *flip_first(const char *jwe, const char *name)
{
	cJSON *j = cJSON_Parse(jwe);
	char *v = strdup(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, name)));
	char *s;

	v[0] = v[0] == 'A' ? 'B' : 'A';
	s = with_member(jwe, name, v);
	free(v);
	cJSON_Delete(j);
	return s;
}

/* Decodes the protected header, lets edit change it, re-encodes it. */
static char *with_header(const char *jwe, void (*edit)(cJSON *h))
{
	cJSON *j = cJSON_Parse(jwe), *h;
	const char *p = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "protected"));
	uint8_t raw[2048];
	size_t n = 0;
	char *text, *b64, *s;

	CHECK_INT(base64_decode(p, strlen(p), BASE64_URL, raw, sizeof(raw) - 1, &n), 0);
	raw[n] = '\0';
	h = cJSON_Parse((char *)raw);
	edit(h);
	text = cJSON_PrintUnformatted(h);
	b64 = base64_encode_alloc((uint8_t *)text, strlen(text), BASE64_URL);
	s = with_member(jwe, "protected", b64);
	free(b64);
	free(text);
	cJSON_Delete(h);
	cJSON_Delete(j);
	return s;
}

static void off_curve(cJSON *h)
{
	cJSON *epk = cJSON_GetObjectItemCaseSensitive(h, "epk");
	const char *y = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(epk, "y"));
	uint8_t raw[32];
	size_t n = 0;
	char *b64;

	CHECK_INT(base64_decode(y, strlen(y), BASE64_URL, raw, sizeof(raw), &n), 0);
	raw[31] ^= 1;
	b64 = base64_encode_alloc(raw, n, BASE64_URL);
	cJSON_ReplaceItemInObjectCaseSensitive(epk, "y", cJSON_CreateString(b64));
	free(b64);
}

static void add_crit(cJSON *h)
{
	cJSON *crit = cJSON_AddArrayToObject(h, "crit");
	cJSON_AddItemToArray(crit, cJSON_CreateString("exp"));
	cJSON_AddNumberToObject(h, "exp", 1);
}

static void p521_epk(cJSON *h)
{
	cJSON *epk = cJSON_GetObjectItemCaseSensitive(h, "epk");
	cJSON_ReplaceItemInObjectCaseSensitive(epk, "crv", cJSON_CreateString("P-521"));
}

static void p256_epk(cJSON *h)
{
	cJSON *epk = cJSON_GetObjectItemCaseSensitive(h, "epk");
	cJSON_ReplaceItemInObjectCaseSensitive(epk, "crv", cJSON_CreateString("P-256"));
}

static void rsa1_5_alg(cJSON *h)
{
	cJSON_ReplaceItemInObjectCaseSensitive(h, "alg", cJSON_CreateString("RSA1_5"));
}

/* P-256, the default: round trips, damage, algorithms, lengths, shapes. */
static void test_p256(const struct testkey *key, const struct testkey *other_key,
		      const uint8_t *pt, size_t ptlen)
{
	EVP_PKEY *k = key->key;
	char *good, *t;

	good = py_encrypt("ECDH-ES+A256KW", "A256GCM", pt, ptlen);
	CHECK(good != NULL);
	if (!good)
		return;
	expect_plain(k, 0, good, pt, ptlen);
	expect_plain(k, JWE_ALLOW_RSA1_5, good, pt, ptlen);
	t = py_encrypt("ECDH-ES+A256KW", "A256GCM", pt, 0);
	expect_plain(k, 0, t, pt, 0);
	free(t);

	/* Damage to the authenticated parts. */
	expect_fail(k, t = flip_first(good, "tag"), -EBADMSG, "authentication failed");
	free(t);
	expect_fail(k, t = flip_first(good, "ciphertext"), -EBADMSG, "authentication failed");
	free(t);
	expect_fail(k, t = flip_first(good, "encrypted_key"), -EBADMSG, "unwrap");
	free(t);
	expect_fail(other_key->key, good, -EBADMSG, "unwrap");

	/* Algorithms we did not ask for, named in the error with ours. */
	expect_fail(k, t = py_encrypt("ECDH-ES+A128KW", "A256GCM", pt, 8), -ENOTSUP,
		    "\"ECDH-ES+A128KW\" is not the one our TEE key asked for (ECDH-ES+A256KW)");
	free(t);
	expect_fail(k, t = py_encrypt("ECDH-ES", "A256GCM", pt, 8), -ENOTSUP, "\"ECDH-ES\"");
	free(t);
	expect_fail(k, t = py_encrypt("ECDH-ES+A256KW", "A128GCM", pt, 8), -ENOTSUP, "A128GCM");
	free(t);
	expect_fail(k, t = with_header(good, add_crit), -ENOTSUP, "crit");
	free(t);
	expect_fail(k, t = with_header(good, p521_epk), -ENOTSUP, "crv \"P-521\" (our TEE key is EC P-256)");
	free(t);
	expect_fail(k, t = with_header(good, rsa1_5_alg), -ENOTSUP, "\"RSA1_5\" is not the one");
	free(t);
	expect_fail(k, t = with_member(good, "aad", "x"), -ENOTSUP, "aad");
	free(t);

	/* Lengths and shapes. */
	expect_fail(k, t = with_member(good, "iv", "AAAAAAAAAAAA"), -EBADMSG, "iv");
	free(t);
	expect_fail(k, t = with_member(good, "tag", "AAAAAAAAAAAAAAAAAAAAAAAAAAAA"), -EBADMSG, "tag");
	free(t);
	expect_fail(k, t = with_member(good, "encrypted_key", "AAAA"), -EBADMSG, "encrypted_key");
	free(t);
	expect_fail(k, t = with_member(good, "iv", "AAAA+AAAAAAAAAAA"), -EBADMSG, "base64url");
	free(t);
	expect_fail(k, t = with_header(good, off_curve), -EBADMSG, "epk");
	free(t);
	expect_fail(k, "{not json", -EBADMSG, "JSON");
	expect_fail(k, "", -EBADMSG, "JSON");
	expect_fail(k, "[1,2]", -EBADMSG, "JSON object");
	expect_fail(k, "{\"protected\":\"e30\"}", -ENOTSUP, "alg \"(none)\"");
	size_t gl = strlen(good);
	t = malloc(gl + 3);
	memcpy(t, good, gl);
	memcpy(t + gl, " x", 3);
	expect_fail(k, t, -EBADMSG, "JSON");
	free(t);
	free(good);
}

/* P-521: 66-byte coordinates, the same Concat KDF. */
static void test_p521(const struct testkey *key, const struct testkey *p256_key,
		      const uint8_t *pt, size_t ptlen)
{
	char *good = py_encrypt_to(key, "ECDH-ES+A256KW", "A256GCM", pt, ptlen, NULL), *t;

	expect_plain(key->key, 0, good, pt, ptlen);
	if (!good)
		return;
	expect_fail(key->key, t = flip_first(good, "tag"), -EBADMSG, "authentication failed");
	free(t);
	expect_fail(key->key, t = with_header(good, p256_epk), -ENOTSUP, "(our TEE key is EC P-521)");
	free(t);
	/* A JWE made for the P-256 key, sent to the P-521 one, and back. */
	t = py_encrypt("ECDH-ES+A256KW", "A256GCM", pt, 8);
	expect_fail(key->key, t, -ENOTSUP, "crv \"P-256\"");
	free(t);
	expect_fail(p256_key->key, good, -ENOTSUP, "crv \"P-521\"");
	free(good);
}

/* RSA-3072 with RSA-OAEP-256; an EC JWE is refused, and the reverse. */
static void test_rsa_oaep(const struct testkey *key, const struct testkey *other,
			  const uint8_t *pt, size_t ptlen)
{
	char *good = py_encrypt_to(key, "RSA-OAEP-256", "A256GCM", pt, ptlen, NULL), *t;

	expect_plain(key->key, 0, good, pt, ptlen);
	if (!good)
		return;
	expect_fail(key->key, t = flip_first(good, "tag"), -EBADMSG, "authentication failed");
	free(t);
	expect_fail(key->key, t = flip_first(good, "encrypted_key"), -EBADMSG,
		    "does not decrypt with RSA-OAEP-256");
	free(t);
	expect_fail(other->key, good, -EBADMSG, "does not decrypt with RSA-OAEP-256");
	expect_fail(key->key, t = with_member(good, "encrypted_key", "AAAA"), -EBADMSG,
		    "encrypted_key is shorter than 384 bytes");
	free(t);
	/* RSA-OAEP (SHA-1) is another algorithm, not a variant we accept. */
	expect_fail(key->key, t = py_encrypt_to(key, "RSA-OAEP", "A256GCM", pt, 8, NULL), -ENOTSUP,
		    "\"RSA-OAEP\" is not the one our TEE key asked for (RSA-OAEP-256)");
	free(t);
	expect_fail(key->key, t = py_encrypt("ECDH-ES+A256KW", "A256GCM", pt, 8), -ENOTSUP,
		    "\"ECDH-ES+A256KW\" is not the one our TEE key asked for (RSA-OAEP-256)");
	free(t);
	expect_fail(p256->key, good, -ENOTSUP,
		    "\"RSA-OAEP-256\" is not the one our TEE key asked for (ECDH-ES+A256KW)");
	free(good);
}

/* RSA1_5: refused unless allowed; when allowed, every bad padding fails
 * exactly as a bad tag does, with the same code and message. */
static void test_rsa1_5(const struct testkey *key, const uint8_t *pt, size_t ptlen)
{
	static const char *const damages[] = { "type1", "zero-in-ps", "short-cek", "lead", "over-n" };
	char *good = py_encrypt_to(key, "RSA1_5", "A256GCM", pt, ptlen, NULL), *t;
	struct cw_err bad_tag, e;

	CHECK(good != NULL);
	if (!good)
		return;
	expect_fail(key->key, good, -ENOTSUP, "JWE alg \"RSA1_5\" refused: our TEE key asked for "
		    "RSA-OAEP-256");
	expect_plain(key->key, JWE_ALLOW_RSA1_5, good, pt, ptlen);
	bad_tag = expect_fail_flags(key->key, JWE_ALLOW_RSA1_5, t = flip_first(good, "tag"),
				    -EBADMSG, "authentication failed");
	free(t);
	for (size_t i = 0; i < ARRAY_SIZE(damages); i++) {
		t = py_encrypt_to(key, "RSA1_5", "A256GCM", pt, ptlen, damages[i]);
		CHECK(t != NULL);
		e = expect_fail_flags(key->key, JWE_ALLOW_RSA1_5, t, -EBADMSG, "authentication failed");
		if (strcmp(e.msg, bad_tag.msg) != 0)
			fprintf(stderr, "padding damage %s: \"%s\"\n", damages[i], e.msg);
		CHECK_STR(e.msg, bad_tag.msg);
		free(t);
	}
	/* A well-formed block that holds another key: also just a bad tag. */
	t = py_encrypt_to(key, "RSA1_5", "A256GCM", pt, ptlen, "none");
	e = expect_fail_flags(key->key, JWE_ALLOW_RSA1_5, t, -EBADMSG, "authentication failed");
	CHECK_STR(e.msg, bad_tag.msg);
	free(t);
	/* Only lengths, which are public, are reported as such. */
	expect_fail_flags(key->key, JWE_ALLOW_RSA1_5, t = with_member(good, "encrypted_key", "AAAA"),
			  -EBADMSG, "encrypted_key is shorter");
	free(t);
	free(good);
}

int main(void)
{
	struct testkey keys[5];
	uint8_t pt[300];

	/* A passphrase with NULs, newlines and every byte value. */
	memcpy(pt, "pass\0word\n\0\n", 12);
	for (size_t i = 12; i < sizeof(pt); i++)
		pt[i] = (uint8_t)(i - 12);
	if (!mkdtemp(dir))
		return 1;
	testkey_make(&keys[0], TEEKEY_EC_P256, "p256");
	testkey_make(&keys[1], TEEKEY_EC_P256, "p256-other");
	testkey_make(&keys[2], TEEKEY_EC_P521, "p521");
	testkey_make(&keys[3], TEEKEY_RSA_3072, "rsa");
	testkey_make(&keys[4], TEEKEY_RSA_3072, "rsa-other");
	p256 = &keys[0];

	test_p256(&keys[0], &keys[1], pt, sizeof(pt));
	test_p521(&keys[2], &keys[0], pt, sizeof(pt));
	test_rsa_oaep(&keys[3], &keys[4], pt, sizeof(pt));
	test_rsa1_5(&keys[3], pt, sizeof(pt));

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		testkey_free(&keys[i]);
	rmdir(dir);
	return check_finish("test_jwe");
}
