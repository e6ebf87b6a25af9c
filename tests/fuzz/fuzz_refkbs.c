/* The reference-kbs dialect's parsers of outside input: the first byte
 * picks one, the rest is its input.
 *   0: the footer's tee_data (refkbs_tee_gen) and workload_id
 *      (refkbs_workload_id_valid), both written by the host;
 *   1: the broker's key answer, a JSON string of hex (refkbs_key_answer);
 *   2: the RSA-decrypted key block, PKCS#1 v1.5 padded (refkbs_pkcs1_unpad). */
#include <errno.h>
#include <strings.h>
#include "fuzz.h"
#include "jcs.h"
#include "refkbs.h"

static void tee_data(const char *s, size_t n)
{
	struct cw_err err = { { 0 } };
	char gen[8];
	char *body;
	int r;

	memset(gen, 0x5a, sizeof(gen));
	r = refkbs_tee_gen(s, n, gen, &err);
	FUZZ_CHECK(r == 0 || r == -EINVAL);
	fuzz_check_msg(err.msg, sizeof(err.msg));
	if (r == 0)
		FUZZ_CHECK(!strcmp(gen, "") || !strcmp(gen, "milan") || !strcmp(gen, "genoa"));

	if (!refkbs_workload_id_valid(s))
		return;
	FUZZ_CHECK(strlen(s) >= 1 && strlen(s) <= REFKBS_WORKLOAD_ID_MAX);
	body = refkbs_auth_body(s);
	FUZZ_CHECK(body);
	cJSON *j = json_parse_exact(body, strlen(body));
	FUZZ_CHECK(cJSON_IsObject(j));
	cJSON_Delete(j);
	free(body);
}

static void key_answer(const char *s, size_t n)
{
	struct cw_err err = { { 0 } };
	uint8_t ct[REFKBS_RSA_BYTES];
	int r = refkbs_key_answer(s, n, ct, &err);

	FUZZ_CHECK(r == 0 || r == -EBADMSG);
	fuzz_check_msg(err.msg, sizeof(err.msg));
	if (r == 0) {
		/* The bytes are the hex digits between the quotes, in either case. */
		const char *q = memchr(s, '"', n);
		char hex[3];
		FUZZ_CHECK(q && (size_t)(q - s) + 1 + 2 * REFKBS_RSA_BYTES < n);
		for (size_t i = 0; i < REFKBS_RSA_BYTES; i++) {
			snprintf(hex, sizeof(hex), "%02x", ct[i]);
			FUZZ_CHECK(strncasecmp(hex, q + 1 + 2 * i, 2) == 0);
		}
	}
}

static void unpad(const uint8_t *em, size_t k)
{
	struct cw_err err = { { 0 } };
	struct secret *out = NULL;
	int r = refkbs_pkcs1_unpad(em, k, &out, &err);

	FUZZ_CHECK(r == 0 || r == -EBADMSG);
	fuzz_check_msg(err.msg, sizeof(err.msg));
	FUZZ_CHECK((r == 0) == (out != NULL));
	if (out) {
		FUZZ_CHECK(out->len >= 1 && out->len + 11 <= k);
		FUZZ_CHECK(memcmp(out->data, em + k - out->len, out->len) == 0);
		FUZZ_CHECK(em[k - out->len - 1] == 0);
	}
	secret_free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size == 0)
		return 0;
	/* An exact-size copy: reading past the end is an ASan report. */
	uint8_t *em = malloc(size - 1 ? size - 1 : 1);
	memcpy(em, data + 1, size - 1);
	s = fuzz_cstr(data + 1, size - 1);
	switch (data[0] % 3) {
	case 0: tee_data(s, size - 1); break;
	case 1: key_answer(s, size - 1); break;
	default: unpad(em, size - 1); break;
	}
	free(s);
	free(em);
	return 0;
}
