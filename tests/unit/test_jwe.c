/* JWE decryption checked against an independent implementation: python's
 * jwcrypto encrypts (ECDH-ES+A256KW, A256GCM) to the JWK of our TEE key,
 * our code decrypts. Then every kind of damage must be refused cleanly. */
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

/* argv: JWK file, alg, enc, plaintext in hex. Prints a flattened JSON JWE.
 * jwcrypto's compact form is the one that moves the epk into the protected
 * header, as the Trustee broker sends it. */
static const char encrypt_py[] =
	"import json, sys\n"
	"from jwcrypto import jwe, jwk\n"
	"key = jwk.JWK.from_json(open(sys.argv[1]).read())\n"
	"alg, enc = sys.argv[2], sys.argv[3]\n"
	"t = jwe.JWE(bytes.fromhex(sys.argv[4]), protected=json.dumps({'alg': alg, 'enc': enc}),\n"
	"            algs=[alg, enc])\n"
	"t.add_recipient(key)\n"
	"parts = t.serialize(compact=True).split('.')\n"
	"print(json.dumps(dict(zip(('protected', 'encrypted_key', 'iv', 'ciphertext', 'tag'), parts))))\n";

static char jwk_path[] = "/tmp/cwinit-test-jwe-XXXXXX";

/* Runs the encryption script; returns the JWE text (malloc'd) or NULL. */
static char *py_encrypt(const char *alg, const char *enc, const uint8_t *pt, size_t n)
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
		execl(py, py, "-c", encrypt_py, jwk_path, alg, enc, hex, (char *)NULL);
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

static int decrypt(EVP_PKEY *key, const char *jwe, struct secret **s, struct cw_err *err)
{
	err->msg[0] = '\0';
	return jwe_decrypt(key, jwe, strlen(jwe), s, err);
}

/* Expects refusal with rc and a message containing word. */
static void expect_fail(EVP_PKEY *key, const char *jwe, int rc, const char *word)
{
	struct cw_err err;
	struct secret *s = NULL;
	int r = decrypt(key, jwe ? jwe : "", &s, &err);

	CHECK_INT(r, rc);
	CHECK(s == NULL);
	if (!strstr(err.msg, word))
		fprintf(stderr, "message \"%s\" lacks \"%s\"\n", err.msg, word);
	CHECK(strstr(err.msg, word) != NULL);
	secret_free(s);
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

int main(void)
{
	struct cw_err err;
	EVP_PKEY *key = NULL, *other = NULL;
	cJSON *jwk = NULL;
	struct secret *s = NULL;
	uint8_t pt[300];
	char *good, *t;
	int fd;

	/* A passphrase with NULs, newlines and every byte value. */
	memcpy(pt, "pass\0word\n\0\n", 12);
	for (size_t i = 12; i < sizeof(pt); i++)
		pt[i] = (uint8_t)(i - 12);

	CHECK_INT(teekey_generate(&key, &err), 0);
	CHECK_INT(teekey_generate(&other, &err), 0);
	CHECK_INT(teekey_jwk(key, &jwk, &err), 0);
	char *jwk_text = cJSON_PrintUnformatted(jwk);
	fd = mkstemp(jwk_path);
	CHECK(fd >= 0 && write(fd, jwk_text, strlen(jwk_text)) == (ssize_t)strlen(jwk_text));
	close(fd);
	free(jwk_text);
	cJSON_Delete(jwk);

	good = py_encrypt("ECDH-ES+A256KW", "A256GCM", pt, sizeof(pt));
	CHECK(good != NULL);
	if (!good) {
		unlink(jwk_path);
		return check_finish("test_jwe");
	}
	CHECK_INT(decrypt(key, good, &s, &err), 0);
	CHECK(s != NULL && s->len == sizeof(pt));
	if (s && s->len == sizeof(pt))
		CHECK_MEM(s->data, pt, sizeof(pt));
	secret_free(s);
	s = NULL;

	t = py_encrypt("ECDH-ES+A256KW", "A256GCM", pt, 0);
	CHECK_INT(decrypt(key, t ? t : "", &s, &err), 0);
	CHECK(s != NULL && s->len == 0);
	secret_free(s);
	s = NULL;
	free(t);

	/* Damage to the authenticated parts. */
	expect_fail(key, t = flip_first(good, "tag"), -EBADMSG, "authentication failed");
	free(t);
	expect_fail(key, t = flip_first(good, "ciphertext"), -EBADMSG, "authentication failed");
	free(t);
	expect_fail(key, t = flip_first(good, "encrypted_key"), -EBADMSG, "unwrap");
	free(t);
	expect_fail(other, good, -EBADMSG, "unwrap");

	/* Algorithms we do not speak, named in the error. */
	expect_fail(key, t = py_encrypt("ECDH-ES+A128KW", "A256GCM", pt, 8), -ENOTSUP,
		    "ECDH-ES+A128KW");
	free(t);
	expect_fail(key, t = py_encrypt("ECDH-ES+A256KW", "A128GCM", pt, 8), -ENOTSUP, "A128GCM");
	free(t);
	expect_fail(key, t = with_header(good, add_crit), -ENOTSUP, "crit");
	free(t);
	expect_fail(key, t = with_header(good, p521_epk), -ENOTSUP, "P-521");
	free(t);
	expect_fail(key, t = with_member(good, "aad", "x"), -ENOTSUP, "aad");
	free(t);

	/* Lengths and shapes. */
	expect_fail(key, t = with_member(good, "iv", "AAAAAAAAAAAA"), -EBADMSG, "iv");
	free(t);
	expect_fail(key, t = with_member(good, "tag", "AAAAAAAAAAAAAAAAAAAAAAAAAAAA"), -EBADMSG,
		    "tag");
	free(t);
	expect_fail(key, t = with_member(good, "encrypted_key", "AAAA"), -EBADMSG, "encrypted_key");
	free(t);
	expect_fail(key, t = with_member(good, "iv", "AAAA+AAAAAAAAAAA"), -EBADMSG, "base64url");
	free(t);
	expect_fail(key, t = with_header(good, off_curve), -EBADMSG, "epk");
	free(t);
	expect_fail(key, "{not json", -EBADMSG, "JSON");
	expect_fail(key, "", -EBADMSG, "JSON");
	expect_fail(key, "[1,2]", -EBADMSG, "JSON object");
	expect_fail(key, "{\"protected\":\"e30\"}", -ENOTSUP, "alg");
	size_t gl = strlen(good);
	t = malloc(gl + 3);
	memcpy(t, good, gl);
	memcpy(t + gl, " x", 3);
	expect_fail(key, t, -EBADMSG, "JSON");
	free(t);

	free(good);
	teekey_free(key);
	teekey_free(other);
	unlink(jwk_path);
	return check_finish("test_jwe");
}
