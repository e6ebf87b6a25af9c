/* What the reference-kbs dialect builds and parses, without I/O (see
 * include/refkbs.h). Everything parsed here comes from the host or the
 * broker and is hostile. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include "jcs.h"
#include "refkbs.h"
#include "util.h"

static bool id_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.';
}

bool refkbs_workload_id_valid(const char *id)
{
	size_t n = 0;

	if (!id || !id[0] || id[0] == '.')
		return false;
	for (; id[n]; n++)
		if (n >= REFKBS_WORKLOAD_ID_MAX || !id_char(id[n]))
			return false;
	return true;
}

int refkbs_tee_gen(const char *tee_data, size_t len, char gen[8], struct cw_err *err)
{
	cJSON *doc, *g;
	int rc = 0;

	gen[0] = '\0';
	if (len > REFKBS_TEE_DATA_MAX)
		return cw_err_set(err, EINVAL, "tee_data longer than %d bytes", REFKBS_TEE_DATA_MAX);
	doc = json_parse_exact(tee_data, len);
	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		return cw_err_set(err, EINVAL, "tee_data is not a JSON object in a string");
	}
	g = cJSON_GetObjectItemCaseSensitive(doc, "gen");
	if (g && !(cJSON_IsString(g) && (!strcasecmp(g->valuestring, "milan") ||
					  !strcasecmp(g->valuestring, "genoa"))))
		rc = cw_err_set(err, EINVAL, "tee_data gen must be \"milan\" or \"genoa\"");
	else if (g)
		for (size_t i = 0; i < 6; i++) /* five letters and the NUL */
			gen[i] = (char)tolower((unsigned char)g->valuestring[i]);
	cJSON_Delete(doc);
	return rc;
}

char *refkbs_auth_body(const char *workload_id)
{
	char extra[REFKBS_WORKLOAD_ID_MAX + 32], *s = NULL;
	cJSON *o;

	if (!refkbs_workload_id_valid(workload_id))
		return NULL;
	/* extra-params is a JSON string holding a JSON document; the id needs
	 * no escaping in either. */
	snprintf(extra, sizeof(extra), "{\"workload_id\":\"%s\"}", workload_id);
	o = cJSON_CreateObject();
	if (o && cJSON_AddStringToObject(o, "version", "0.0.0") &&
	    cJSON_AddStringToObject(o, "tee", "snp") &&
	    cJSON_AddStringToObject(o, "extra-params", extra))
		s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

int refkbs_report_data(const char *nonce, const char *k_mod, const char *k_exp,
		       uint8_t out[REFKBS_REPORT_DATA_SIZE])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int n = 0;
	int ok = md && EVP_DigestInit_ex(md, EVP_sha512(), NULL) > 0 &&
		 EVP_DigestUpdate(md, nonce, strlen(nonce)) > 0 &&
		 EVP_DigestUpdate(md, k_mod, strlen(k_mod)) > 0 &&
		 EVP_DigestUpdate(md, k_exp, strlen(k_exp)) > 0 &&
		 EVP_DigestFinal_ex(md, out, &n) > 0 && n == REFKBS_REPORT_DATA_SIZE;

	EVP_MD_CTX_free(md);
	return ok ? 0 : -ENOMEM;
}

char *refkbs_evidence(const char *gen, const uint8_t report[REFKBS_REPORT_SIZE])
{
	static const char digits[] = "0123456789ABCDEF";
	static const char head[] = "{\"gen\":\"%s\",\"report\":\"";
	static const char tail[] = "\",\"cert_chain\":\"[]\"}";
	size_t cap = sizeof(head) + 8 + 2 * REFKBS_REPORT_SIZE + sizeof(tail);
	char *s, *p;

	if (strcmp(gen, "milan") != 0 && strcmp(gen, "genoa") != 0)
		return NULL;
	if (!(s = malloc(cap)))
		return NULL;
	p = s + sprintf(s, head, gen);
	for (size_t i = 0; i < REFKBS_REPORT_SIZE; i++) {
		*p++ = digits[report[i] >> 4];
		*p++ = digits[report[i] & 15];
	}
	memcpy(p, tail, sizeof(tail));
	return s;
}

char *refkbs_attest_body(const char *k_mod, const char *k_exp, const char *evidence)
{
	cJSON *o = cJSON_CreateObject(), *key;
	char *s = NULL;

	if (o && (key = cJSON_AddObjectToObject(o, "tee-pubkey")) &&
	    cJSON_AddStringToObject(key, "alg", "RSA") &&
	    cJSON_AddStringToObject(key, "k-mod", k_mod) &&
	    cJSON_AddStringToObject(key, "k-exp", k_exp) &&
	    cJSON_AddStringToObject(o, "tee-evidence", evidence))
		s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}


int refkbs_key_answer(const char *body, size_t len, uint8_t ct[REFKBS_RSA_BYTES],
		      struct cw_err *err)
{
	cJSON *j = json_parse_exact(body, len);
	const char *hex = cJSON_GetStringValue(j);
	int rc = 0;

	if (!hex)
		rc = cw_err_set(err, EBADMSG, "key answer is not a JSON string");
	else if (strlen(hex) != 2 * REFKBS_RSA_BYTES)
		rc = cw_err_set(err, EBADMSG, "key answer holds %zu characters, not the %d hex digits "
				"of an RSA-2048 ciphertext", strlen(hex), 2 * REFKBS_RSA_BYTES);
	for (size_t i = 0; rc == 0 && i < REFKBS_RSA_BYTES; i++) {
		int hi = hex_digit_value(hex[2 * i]), lo = hex_digit_value(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			rc = cw_err_set(err, EBADMSG, "key answer has a non-hex character at %zu",
					hi < 0 ? 2 * i : 2 * i + 1);
		else
			ct[i] = (uint8_t)(hi << 4 | lo);
	}
	cJSON_Delete(j);
	return rc;
}

/* Each session's key decrypts exactly one answer and a padding failure is
 * final, so no caller can learn anything from repeated tries (no
 * Bleichenbacher oracle): plain, strict checks are enough here. */
int refkbs_pkcs1_unpad(const uint8_t *em, size_t k, struct secret **out, struct cw_err *err)
{
	size_t sep = 2;
	struct secret *s;

	*out = NULL;
	if (k < 11 || em[0] != 0x00 || em[1] != 0x02)
		return cw_err_set(err, EBADMSG, "the decrypted key block is not PKCS#1 v1.5 "
				  "encryption padding");
	while (sep < k && em[sep] != 0x00)
		sep++;
	if (sep == k || sep - 2 < 8)
		return cw_err_set(err, EBADMSG, "the decrypted key block has %s",
				  sep == k ? "no end of padding" : "under 8 bytes of padding");
	if (sep + 1 == k)
		return cw_err_set(err, EBADMSG, "the broker sent an empty passphrase");
	if (!(s = secret_new(k - sep - 1)))
		return cw_err_set(err, ENOMEM, "no locked memory for the passphrase");
	memcpy(s->data, em + sep + 1, k - sep - 1);
	s->len = k - sep - 1;
	*out = s;
	return 0;
}
