/* The image's /etc/cwinit/secrets.json: written by the image's owner, read
 * from the decrypted root, parsed like hostile input anyway, and merged
 * after a platform list of the file's. */
#include <errno.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "fuzz.h"
#include "secrets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_secrets s = { .n = 0 };
	struct cw_err err = { { 0 } };
	cJSON *platform = cJSON_Parse("[{\"resource\":\"default/ca/bundle\",\"file\":\"ca.pem\"}]");
	int r;

	FUZZ_CHECK(secrets_parse_list(&s, platform, false, &err) == 0);
	cJSON_Delete(platform);
	/* As read_file_bounded gives it: NUL after the bytes. */
	char *text = fuzz_cstr(data, size);
	r = secrets_parse_image(&s, text, size, &err);
	free(text);
	FUZZ_CHECK(r == 0 || r == -EINVAL);
	fuzz_check_msg(err.msg, sizeof(err.msg));
	FUZZ_CHECK(s.n >= 1 && s.n <= CW_MAX_SECRETS);
	/* The platform's entry stays as it was, and every name is safe where it goes. */
	FUZZ_CHECK(!strcmp(s.v[0].file, "ca.pem") && !s.v[0].from_image);
	for (unsigned i = 0; i < s.n; i++) {
		const struct cw_secret *e = &s.v[i];
		FUZZ_CHECK(!*e->file != !*e->env);
		FUZZ_CHECK(!strchr(e->file, '/') && e->file[0] != '.');
		FUZZ_CHECK(!strchr(e->env, '='));
		FUZZ_CHECK(e->mode >= 0400 && e->mode <= 0777);
		for (unsigned k = 0; k < i; k++)
			FUZZ_CHECK((!*e->file || strcmp(e->file, s.v[k].file)) &&
				   (!*e->env || strcmp(e->env, s.v[k].env)));
	}
	FUZZ_CHECK(!strchr(s.token, '/') && strcmp(s.token, "ca.pem"));
	return 0;
}
