/* The host's SEV-SNP certificate table (snp_cert_table_parse): GUID
 * entries with offsets into the table, written by the host. Every
 * certificate returned must be a copy of bytes inside the input. */
#include <errno.h>
#include "fuzz.h"
#include "snp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cw_err err = { { 0 } };
	struct snp_certs c;
	int r;

	r = snp_cert_table_parse(data, size, &c, &err);
	FUZZ_CHECK(r == 0 || r == -EINVAL);
	fuzz_check_msg(err.msg, sizeof(err.msg));
	if (r < 0) {
		FUZZ_CHECK(c.n == 0);
		return 0;
	}
	FUZZ_CHECK(c.n <= SNP_MAX_CERTS);
	for (size_t i = 0; i < c.n; i++) {
		FUZZ_CHECK(c.c[i].der && c.c[i].len > 0 && c.c[i].len <= size);
		FUZZ_CHECK(snp_cert_type_name(c.c[i].type) != NULL);
		bool inside = false;
		for (size_t off = 0; !inside && off + c.c[i].len <= size; off++)
			inside = memcmp(data + off, c.c[i].der, c.c[i].len) == 0;
		FUZZ_CHECK(inside);
	}
	snp_certs_free(&c);
	return 0;
}
