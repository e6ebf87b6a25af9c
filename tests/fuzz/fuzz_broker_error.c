/* The broker's error body (kbs_parse_error): what comes back must be
 * printable ASCII within the buffers, since it goes to the console. */
#include "fuzz.h"
#include "kbs_parse.h"

static void check_printable(const char *s, size_t cap)
{
	const char *end = memchr(s, '\0', cap);

	FUZZ_CHECK(end);
	for (; s < end; s++)
		FUZZ_CHECK(*s >= 0x20 && *s < 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body = fuzz_cstr(data, size), type[128], detail[256];
	/* The small sizes take the truncation paths on short inputs too. */
	size_t tsize = size % 2 ? sizeof(type) : 3, dsize = size % 3 ? sizeof(detail) : 1;

	memset(type, 0x5a, sizeof(type));
	memset(detail, 0x5a, sizeof(detail));
	kbs_parse_error(body, size, type, tsize, detail, dsize);
	check_printable(type, tsize);
	check_printable(detail, dsize);
	free(body);
	return 0;
}
