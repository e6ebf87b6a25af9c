/* The exit-code table: distinct, outside the signal range, and the same
 * as the README's table. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "check.h"
#include "exitcode.h"
#include "util.h"

static void test_table(void)
{
	int n = 0;

	for (const struct cw_exit_info *a = cw_exit_table; a->reason; a++, n++) {
		CHECK(a->code > 0 && a->code < 256);
		/* cwinit's own failures must not look like a workload killed by a
		 * signal (128+N, N <= SIGRTMAX). 126/127 are the shell's codes. */
		if (a->code != CW_EXIT_NOT_EXECUTABLE && a->code != CW_EXIT_NOT_FOUND)
			CHECK(a->code > 128 + SIGRTMAX);
		for (const struct cw_exit_info *b = a + 1; b->reason; b++) {
			CHECK(a->code != b->code);
			CHECK(strcmp(a->reason, b->reason) != 0);
		}
		CHECK(cw_exit_lookup(a->code) == a);
	}
	CHECK(n >= 17);
	CHECK(cw_exit_lookup(0) == NULL);
	CHECK(cw_exit_lookup(7) == NULL);
	CHECK_STR(cw_exit_lookup(CW_EXIT_WRONG_KEY)->reason, "wrong-key");
}

/* Each code appears in the README as a table row "| <code> | `<reason>` | ...". */
static void test_readme(void)
{
	char path[512], *readme = NULL, row[128];
	const char *src = getenv("CWINIT_SOURCE_DIR");

	snprintf(path, sizeof(path), "%s/README.md", src ? src : ".");
	CHECK_INT(read_file_bounded(path, 1 << 20, &readme, NULL), 0);
	if (!readme)
		return;
	for (const struct cw_exit_info *e = cw_exit_table; e->reason; e++) {
		snprintf(row, sizeof(row), "| %d | `%s` |", e->code, e->reason);
		if (!strstr(readme, row))
			fprintf(stderr, "README.md lacks the row \"%s\"\n", row);
		CHECK(strstr(readme, row) != NULL);
	}
	free(readme);
}

int main(void)
{
	test_table();
	test_readme();
	return check_finish("test_exitcode");
}
