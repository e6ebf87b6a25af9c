/* cwinit as a command for people (any PID but 1): decode evidence, and
 * inside a guest fetch it.
 *
 *   cwinit evidence decode [--cert FILE] [--eventlog FILE] FILE|-
 *   cwinit evidence get [--tee auto|snp|tdx|tsm|sample] [--report-data HEX] [--tdreport]
 *
 * Output goes to stdout (JSON), messages to stderr. Exit 0 on success, 1
 * when the input is malformed, a signature does not verify or the TEE
 * fails, 2 for a usage error. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "attest.h"
#include "command.h"
#include "eventlog.h"
#include "evidence.h"
#include "jsonw.h"
#include "tdx.h"
#include "util.h"

#define CERT_MAX (64 * 1024)

static const char usage_text[] =
	"cwinit is the init (PID 1) of a confidential VM. Run as a command it decodes evidence:\n"
	"\n"
	"  cwinit evidence decode [--cert FILE] [--eventlog FILE] FILE|-\n"
	"      Decodes a raw SEV-SNP report (binary or hex text), Trustee snp or tdx evidence\n"
	"      JSON, a TDX quote (v4, v5) or a TDREPORT into one JSON document. With --cert (a\n"
	"      DER or PEM VCEK/VLEK), or with the VCEK/VLEK inside Trustee evidence, the SNP\n"
	"      signature is checked; the exit status is then 0 only if it verifies. The event\n"
	"      log of tdx evidence (cc_eventlog), or --eventlog (a CC event log, or the boot's\n"
	"      " CW_EVENTLOG_FILE ") with a quote, is replayed into RTMR0-3 and compared with\n"
	"      the quote's; the exit status is then 0 only if all four match.\n"
	"\n"
	"  cwinit evidence get [--tee auto|snp|tdx|tsm|sample] [--report-data HEX] [--tdreport]\n"
	"      Inside a guest: fetches evidence for HEX (up to 64 bytes, zero-padded; default\n"
	"      all zero) and prints the Trustee evidence JSON. --tdreport prints the decoded\n"
	"      TDREPORT from /dev/tdx_guest instead. TDX evidence carries the boot's runtime\n"
	"      events (" CW_EVENTLOG_FILE ") after the firmware's event log.\n"
	"\n"
	"Exit status: 0 success, 1 malformed input or failed check, 2 usage error.\n";

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "cwinit: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n\n%s", usage_text);
	return 2;
}

/* A whole file (or stdin for "-") of at most max bytes; a person may name
 * a pipe (/dev/stdin, <(...)), so any kind of file is read. */
static int read_input(const char *path, size_t max, uint8_t **out, size_t *len)
{
	_cleanup_close_ int fd = -1;

	if (strcmp(path, "-") == 0)
		return read_fd_bounded(STDIN_FILENO, max, (char **)out, len);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return -errno;
	return read_fd_bounded(fd, max, (char **)out, len);
}

static int cmd_decode(int argc, char **argv)
{
	const char *cert_path = NULL, *log_path = NULL, *input = NULL;
	_cleanup_free_ uint8_t *in = NULL, *cert = NULL, *log = NULL;
	size_t in_len = 0, cert_len = 0, log_len = 0;
	struct evidence_decoded d;
	struct cw_err err = { "" };
	int r;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--cert") == 0 && i + 1 < argc)
			cert_path = argv[++i];
		else if (strcmp(argv[i], "--eventlog") == 0 && i + 1 < argc)
			log_path = argv[++i];
		else if (argv[i][0] == '-' && argv[i][1] != '\0')
			return usage_error("evidence decode: unknown option %s", argv[i]);
		else if (input)
			return usage_error("evidence decode: more than one input (%s)", argv[i]);
		else
			input = argv[i];
	}
	if (!input)
		return usage_error("evidence decode: no input file");
	if ((r = read_input(input, EVIDENCE_INPUT_MAX, &in, &in_len)) < 0) {
		fprintf(stderr, "cwinit: %s: %s\n", input, strerror(-r));
		return 1;
	}
	if (cert_path && (r = read_input(cert_path, CERT_MAX, &cert, &cert_len)) < 0) {
		fprintf(stderr, "cwinit: %s: %s\n", cert_path, strerror(-r));
		return 1;
	}
	if (log_path && (r = read_input(log_path, EVENTLOG_CC_MAX, &log, &log_len)) < 0) {
		fprintf(stderr, "cwinit: %s: %s\n", log_path, strerror(-r));
		return 1;
	}
	if (evidence_decode(in, in_len, cert, cert_len, log_path ? log : NULL, log_len, &d,
			    &err) < 0) {
		fprintf(stderr, "cwinit: %s: %s\n", input, err.msg);
		return 1;
	}
	fputs(d.json, stdout);
	evidence_decoded_free(&d);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "cwinit: writing the output: %m\n");
		return 1;
	}
	if (d.signature == EVIDENCE_SIG_FAILED) {
		fprintf(stderr, "cwinit: %s: signature NOT verified: %s\n", input, d.signature_msg);
		return 1;
	}
	if (d.replay == EVIDENCE_REPLAY_MISMATCH) {
		fprintf(stderr, "cwinit: %s: the event log does NOT replay to the quote's RTMRs\n",
			input);
		return 1;
	}
	return 0;
}


/* 1 to max bytes of hex, either case. */
static int parse_hex(const char *s, uint8_t *out, size_t max, size_t *len)
{
	size_t n = strlen(s);

	if (n == 0 || n % 2 || n / 2 > max)
		return -EINVAL;
	for (size_t i = 0; i < n; i += 2) {
		int hi = hex_digit_value(s[i]), lo = hex_digit_value(s[i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return 0;
}

static int print_tdreport(const uint8_t rd[64])
{
	uint8_t tdreport[TDX_TDREPORT_SIZE];
	struct cw_err err = { "" };
	struct jw w;
	char *json;

	if (tdx_get_tdreport(TDX_GUEST_DEVICE, rd, tdreport, &err) < 0) {
		fprintf(stderr, "cwinit: %s\n", err.msg);
		return 1;
	}
	jw_init(&w, true);
	jw_object(&w);
	jw_kv_str(&w, "kind", "tdreport");
	jw_key(&w, "tdreport");
	jw_object(&w);
	tdx_tdreport_describe(tdreport, &w);
	jw_end(&w);
	jw_end(&w);
	if (!(json = jw_finish(&w))) {
		fprintf(stderr, "cwinit: out of memory\n");
		return 1;
	}
	fputs(json, stdout);
	free(json);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int cmd_get(int argc, char **argv)
{
	const char *tee = "auto";
	const struct evidence_provider *p;
	struct cw_err err = { "" };
	uint8_t rd[64] = { 0 };
	size_t rd_len = sizeof(rd);
	bool tdreport = false;
	char *json = NULL;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--tee") == 0 && i + 1 < argc) {
			tee = argv[++i];
		} else if (strcmp(argv[i], "--report-data") == 0 && i + 1 < argc) {
			memset(rd, 0, sizeof(rd));
			if (parse_hex(argv[++i], rd, sizeof(rd), &rd_len) < 0)
				return usage_error("evidence get: --report-data %s is not 1 to 64 bytes "
						   "of hex", argv[i]);
		} else if (strcmp(argv[i], "--tdreport") == 0) {
			tdreport = true;
		} else {
			return usage_error("evidence get: unknown argument %s", argv[i]);
		}
	}
	if (tdreport)
		return print_tdreport(rd);
	/* The boot's events, so RTMR3 in the quote can be replayed. */
	if (eventlog_load_file(CW_EVENTLOG_FILE, &err) < 0) {
		fprintf(stderr, "cwinit: %s\n", err.msg);
		return 1;
	}
	if (!(p = provider_select(tee, &err))) {
		fprintf(stderr, "cwinit: %s\n", err.msg);
		return 1;
	}
	if (p->get_evidence(rd, rd_len, &json, &err) < 0) {
		fprintf(stderr, "cwinit: evidence from tee %s: %s\n", p->name, err.msg);
		return 1;
	}
	fprintf(stderr, "cwinit: evidence from tee %s for the broker's tee \"%s\"\n", p->name,
		p->kbs_tee);
	printf("%s\n", json);
	free(json);
	return fflush(stdout) == 0 ? 0 : 1;
}

int command_main(int argc, char **argv)
{
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
			  strcmp(argv[1], "help") == 0)) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (argc >= 3 && strcmp(argv[1], "evidence") == 0) {
		if (strcmp(argv[2], "decode") == 0)
			return cmd_decode(argc - 3, argv + 3);
		if (strcmp(argv[2], "get") == 0)
			return cmd_get(argc - 3, argv + 3);
	}
	if (argc >= 2)
		return usage_error("unknown command %s", argv[1]);
	return usage_error("no command (this is not PID 1)");
}
