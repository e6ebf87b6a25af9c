/* configfs-tsm protocol against a model report directory, and the
 * providers' fail-closed paths on a machine without TEE hardware.
 *
 * The model is as close as plain files get: `generation` and `inblob` are
 * FIFOs served by a child process, so the new generation appears only
 * after our inblob writer has closed (commit at close) and the outblob is
 * made from the bytes actually written. It cannot model a kernel that
 * refuses a write at close, privlevel_floor, or the provider drivers
 * themselves: those paths run only under tests/tee-emul in QEMU. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "attest.h"
#include "check.h"
#include "snp.h"
#include "tdx.h"
#include "tsm.h"
#include "vectors.h"

static char dir[64];

struct model {
	const char *provider;
	const char *gen_before, *gen_after;
	const uint8_t *outblob; /* template; our inblob goes in at rd_off unless rd_off < 0 */
	size_t outlen;
	long rd_off;
	const uint8_t *auxblob;
	size_t auxlen;
	bool fifos; /* false: a plain directory, nothing reacts to writes */
};

static void put_file(const char *name, const void *b, size_t n)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, b, n) != (ssize_t)n)
		exit(3);
	close(fd);
}

static void write_fifo(const char *name, const char *s)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY); /* blocks until the code under test opens it */
	if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		_exit(4);
	close(fd);
}

/* The child: serves generation, takes inblob until its writer closes,
 * then publishes outblob and the next generation. */
static void serve(const struct model *m)
{
	uint8_t in[256], *out = malloc(m->outlen + 1);
	char path[128], next[128];
	size_t got = 0;
	ssize_t n;
	int fd;

	write_fifo("generation", m->gen_before);
	snprintf(path, sizeof(path), "%s/inblob", dir);
	if ((fd = open(path, O_RDONLY)) < 0)
		_exit(5);
	while ((n = read(fd, in + got, sizeof(in) - got)) > 0)
		got += (size_t)n;
	close(fd);
	put_file("received", in, got);
	memcpy(out, m->outblob, m->outlen);
	if (m->rd_off >= 0 && got == 64 && (size_t)m->rd_off + 64 <= m->outlen)
		memcpy(out + m->rd_off, in, 64);
	put_file("outblob", out, m->outlen);
	if (m->auxblob)
		put_file("auxblob", m->auxblob, m->auxlen);
	/* the answer to our second read comes on the FIFO, later reads find a file */
	put_file("generation.next", m->gen_after, strlen(m->gen_after));
	snprintf(path, sizeof(path), "%s/generation", dir);
	if ((fd = open(path, O_WRONLY)) < 0)
		_exit(6);
	snprintf(next, sizeof(next), "%s/generation.next", dir);
	if (rename(next, path) < 0 || write(fd, m->gen_after, strlen(m->gen_after)) < 0)
		_exit(7);
	close(fd);
	_exit(0);
}

static void reset_dir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s/*", dir);
	if (system(cmd) != 0)
		exit(2);
}

/* Runs tsm_run against the model; the model's received inblob is left in
 * dir/received. */
static int run_model(const struct model *m, enum tsm_kind want, const uint8_t in[64],
		     struct tsm_blobs *out, struct cw_err *err)
{
	char path[128];
	pid_t child = -1;
	int dirfd, rc;

	reset_dir();
	put_file("provider", m->provider, strlen(m->provider));
	if (strcmp(m->provider, "sev_guest\n") == 0) {
		put_file("privlevel", "3\n", 2);
		put_file("privlevel_floor", "0\n", 2);
	}
	if (m->fifos) {
		snprintf(path, sizeof(path), "%s/generation", dir);
		mkfifo(path, 0600);
		snprintf(path, sizeof(path), "%s/inblob", dir);
		mkfifo(path, 0600);
		if ((child = fork()) == 0)
			serve(m);
	} else {
		put_file("generation", m->gen_before, strlen(m->gen_before));
		put_file("inblob", "", 0);
		put_file("outblob", m->outblob, m->outlen);
	}
	dirfd = open(dir, O_RDONLY | O_DIRECTORY);
	rc = tsm_run(dirfd, want, in, out, err);
	close(dirfd);
	if (child > 0) {
		kill(child, SIGKILL); /* harmless when it already finished */
		waitpid(child, NULL, 0);
	}
	return rc;
}

static void file_is(const char *name, const void *want, size_t n)
{
	char path[128], *got = NULL;
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	CHECK(read_file_bounded(path, 4096, &got, &len) == 0 && len == n && memcmp(got, want, n) == 0);
	free(got);
}

static void test_snp_model(const uint8_t *report)
{
	struct cw_err err = { "" };
	struct tsm_blobs b;
	uint8_t in[64], table[4096] = { 0 };
	struct model m = { "sev_guest\n", "5\n", "6\n", report, SNP_REPORT_SIZE, 0x50, table, 72,
			   true };

	for (int i = 0; i < 64; i++)
		in[i] = (uint8_t)(0xa0 + i);
	unhex("63da758de6644564adc5f4b93be8accd", table, 16); /* VCEK at 48, 3 bytes */
	table[16] = 48;
	table[20] = 3;
	memcpy(table + 48, "abc", 3);
	CHECK_INT(run_model(&m, TSM_SNP, in, &b, &err), 0);
	CHECK_INT(b.kind, TSM_SNP);
	CHECK_INT(b.outlen, SNP_REPORT_SIZE);
	CHECK(b.outblob && memcmp(b.outblob + 0x50, in, 64) == 0);
	CHECK(b.outblob && memcmp(b.outblob + 0x90, report + 0x90, 48) == 0);
	CHECK_INT(b.auxlen, 72);
	file_is("received", in, 64);     /* one 64-byte write */
	file_is("privlevel", "0\n", 2);  /* VMPL 0 asked for */
	tsm_blobs_free(&b);

	/* any provider is accepted when none is wanted */
	CHECK_INT(run_model(&m, TSM_NONE, in, &b, &err), 0);
	tsm_blobs_free(&b);

	/* another writer: the generation moved by two */
	m.gen_after = "7\n";
	CHECK_INT(run_model(&m, TSM_SNP, in, &b, &err), -EBUSY);
	CHECK(strstr(err.msg, "generation went from 5 to 7") && strstr(err.msg, "another writer"));
	CHECK(b.outblob == NULL);

	/* a report that is not for our report data */
	m.gen_after = "6\n";
	m.rd_off = -1;
	CHECK_INT(run_model(&m, TSM_SNP, in, &b, &err), -EBADMSG);
	CHECK(strstr(err.msg, "does not carry our report data") != NULL);

	/* a report for another VMPL than the 0 asked for */
	uint8_t vmpl1[SNP_REPORT_SIZE];
	memcpy(vmpl1, report, sizeof(vmpl1));
	vmpl1[SNP_OFF_VMPL] = 1;
	m.rd_off = 0x50;
	m.outblob = vmpl1;
	CHECK_INT(run_model(&m, TSM_SNP, in, &b, &err), -EBADMSG);
	CHECK(strstr(err.msg, "configfs-tsm: outblob: offset 0x30: the report is for VMPL 1") != NULL);
	CHECK(b.outblob == NULL);
	m.outblob = report;

	/* a blob that is not a report */
	m.outlen = 1000;
	CHECK_INT(run_model(&m, TSM_SNP, in, &b, &err), -EBADMSG);
	CHECK(strstr(err.msg, "outblob of 1000 bytes is not an SNP report") != NULL);

	/* a plain directory: the write never takes effect, the generation stays */
	m.fifos = false;
	m.outlen = SNP_REPORT_SIZE;
	m.gen_before = "3\n";
	CHECK_INT(run_model(&m, TSM_SNP, in, &b, &err), -EBUSY);
	CHECK(strstr(err.msg, "generation went from 3 to 3") != NULL);

	/* the wrong provider is refused before anything is written */
	CHECK_INT(run_model(&m, TSM_TDX, in, &b, &err), -ENODEV);
	CHECK_STR(err.msg, "configfs-tsm: the provider is sev_guest, not tdx_guest");
	m.provider = "arm_cca_guest\n";
	CHECK_INT(run_model(&m, TSM_NONE, in, &b, &err), -ENOTSUP);
	CHECK(strstr(err.msg, "provider \"arm_cca_guest\" is not supported") != NULL);
}

static void test_tdx_model(void)
{
	struct cw_err err = { "" };
	struct tsm_blobs b;
	size_t len;
	_cleanup_free_ uint8_t *quote = vector("tdx/trustee-quote-v4.dat", &len);
	_cleanup_free_ uint8_t *padded = calloc(1, len + 512);
	uint8_t in[64];
	struct model m = { "tdx_guest\n", "0\n", "1\n", padded, len + 512, 568, NULL, 0, true };

	memcpy(padded, quote, len);
	memset(in, 0x5c, sizeof(in));
	CHECK_INT(run_model(&m, TSM_TDX, in, &b, &err), 0);
	CHECK_INT(b.kind, TSM_TDX);
	CHECK_INT(b.outlen, len); /* trimmed to the quote */
	CHECK(b.outblob && memcmp(b.outblob + 568, in, 64) == 0);
	CHECK(b.auxblob == NULL);
	tsm_blobs_free(&b);

	m.outlen = 0;
	CHECK_INT(run_model(&m, TSM_TDX, in, &b, &err), -ENODATA);
	CHECK(strstr(err.msg, "empty quote: the host's quote generation service is missing or "
			      "misconfigured") != NULL);
	m.outlen = 100;
	CHECK_INT(run_model(&m, TSM_TDX, in, &b, &err), -EINVAL);
	CHECK(strstr(err.msg, "configfs-tsm: outblob: offset 0x278: quote ends before") != NULL);
}

static bool dir_empty(const char *path)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A %s)\"", path);
	return system(cmd) == 0;
}

static void test_report_dir(void)
{
	struct cw_err err = { "" };
	struct tsm_blobs b;
	enum tsm_kind kind = TSM_SNP;
	uint8_t in[64] = { 0 };
	char missing[80];

	/* a root where mkdir works but no provider answers: the directory
	 * made for the request is removed on the error path */
	reset_dir();
	CHECK_INT(tsm_report(dir, TSM_NONE, in, &b, &err), -ENOENT);
	CHECK(strstr(err.msg, "reading provider") != NULL);
	CHECK(dir_empty(dir));
	CHECK(tsm_provider(dir, &kind, &err) < 0);
	CHECK(dir_empty(dir));

	snprintf(missing, sizeof(missing), "%s/none", dir);
	CHECK_INT(tsm_provider(missing, &kind, &err), 0);
	CHECK_INT(kind, TSM_NONE);
	CHECK_INT(tsm_report(missing, TSM_NONE, in, &b, &err), -ENOENT);
	CHECK(strstr(err.msg, "needs Linux 6.7+ with TSM_REPORTS") != NULL);
}

/* This machine has no TEE: every hardware path must fail closed, clearly. */
static void test_providers_absent(void)
{
	struct cw_err err = { "" };
	uint8_t rd[48] = { 1 };
	enum tsm_kind kind = TSM_SNP;
	char *json = NULL;

	if (access(SNP_GUEST_DEVICE, F_OK) == 0 || access(TDX_GUEST_DEVICE, F_OK) == 0 ||
	    access(TSM_REPORT_ROOT, F_OK) == 0) {
		printf("test_tsm: TEE interfaces present, skipping the no-TEE checks\n");
		return;
	}
	CHECK(provider_select("auto", &err) == NULL && errno == ENODEV);
	CHECK(strstr(err.msg, "no TEE found") != NULL);
	CHECK(provider_select("tsm", &err) == NULL && errno == ENODEV);
	CHECK(strstr(err.msg, "configfs-tsm") != NULL);
	CHECK(provider_select("snp", &err) == &snp_provider);
	CHECK(provider_select("tdx", &err) == &tdx_provider);
	CHECK(provider_select("sample", &err) == &sample_provider);
	CHECK(provider_select("sev", &err) == NULL && errno == EINVAL);
	CHECK(strstr(err.msg, "(auto, snp, tdx, tsm or sample)") != NULL);
	CHECK(!snp_provider.detect() && !tdx_provider.detect());
	/* what provider_select probes for tsm and auto: no configfs-tsm provider */
	CHECK_INT(tsm_provider(TSM_REPORT_ROOT, &kind, &err), 0);
	CHECK_INT(kind, TSM_NONE);

	CHECK_INT(snp_provider.get_evidence(rd, sizeof(rd), &json, &err), -ENODEV);
	CHECK(strstr(err.msg, "no /dev/sev-guest") != NULL);
	CHECK_INT(tdx_provider.get_evidence(rd, sizeof(rd), &json, &err), -ENOENT);
	CHECK(strstr(err.msg, "no TDX quote") != NULL);
	CHECK_INT(tsm_snp_provider.get_evidence(rd, sizeof(rd), &json, &err), -ENOENT);
	CHECK(strstr(err.msg, "configfs-tsm") != NULL);
	CHECK_INT(snp_provider.get_evidence(rd, 65, &json, &err), -EINVAL);
	CHECK(json == NULL);
}

int main(void)
{
	size_t len;
	_cleanup_free_ uint8_t *report = vector("snp/trustee-milan-v2-report.bin", &len);

	strcpy(dir, "/tmp/cwinit-test-tsm-XXXXXX");
	if (!mkdtemp(dir))
		return 2;
	test_snp_model(report);
	test_tdx_model();
	test_report_dir();
	test_providers_absent();
	reset_dir();
	rmdir(dir);
	return check_finish("test_tsm");
}
