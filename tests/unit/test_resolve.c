/* The broker's address by name: host name and list validation, the mapping,
 * and DNS lookups through c-ares against tools/test-dns (TCP, 127.0.0.1):
 * an answer, NXDOMAIN, SERVFAIL, a refusing first nameserver, and a stalled
 * one that must not hold the lookup past its timeout. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"
#include "resolve.h"
#include "util.h"

static char dir[] = "/tmp/cwinit-test-resolve-XXXXXX";

static void test_names(void)
{
	char long_label[70], long_name[300];

	CHECK(resolve_name_valid("kbs.example.com"));
	CHECK(resolve_name_valid("KBS-1.Example.com"));
	CHECK(resolve_name_valid("kbs"));
	CHECK(resolve_name_valid("1kbs.test"));
	CHECK(!resolve_name_valid(""));
	CHECK(!resolve_name_valid("kbs.test."));
	CHECK(!resolve_name_valid(".kbs.test"));
	CHECK(!resolve_name_valid("kbs..test"));
	CHECK(!resolve_name_valid("-kbs.test"));
	CHECK(!resolve_name_valid("kbs-.test"));
	CHECK(!resolve_name_valid("kbs_1.test"));
	CHECK(!resolve_name_valid("kbs test"));
	CHECK(!resolve_name_valid("k\xc3\xa9s.test"));
	CHECK(!resolve_name_valid("10.0.2.100"));
	CHECK(!resolve_name_valid("1234"));
	memset(long_label, 'a', 64);
	long_label[64] = '\0';
	CHECK(!resolve_name_valid(long_label));
	long_label[63] = '\0';
	CHECK(resolve_name_valid(long_label));
	/* 4 labels of 63 and dots: 255 characters; 253 is the limit. */
	snprintf(long_name, sizeof(long_name), "%s.%s.%s.%s", long_label, long_label, long_label,
		 long_label);
	CHECK(!resolve_name_valid(long_name));
	long_name[253] = '\0';
	CHECK(resolve_name_valid(long_name));
}

static void test_lists(void)
{
	struct resolve_conf rc = { 0 };
	struct cw_err err = { "" };

	CHECK_INT(resolve_set_hosts(&rc, "KBS.Example.com=192.0.2.10,kbs.test=10.0.2.100", &err), 0);
	CHECK_INT(rc.n_hosts, 2);
	CHECK_STR(rc.hosts[0].name, "kbs.example.com");
	CHECK_STR(rc.hosts[0].addr, "192.0.2.10");
	CHECK_STR(rc.hosts[1].name, "kbs.test");
	/* Each refusal leaves the mapping as it was. */
	CHECK_INT(resolve_set_hosts(&rc, "kbs.test=10.0.2.100,KBS.test=10.0.2.101", &err), -EINVAL);
	CHECK(strstr(err.msg, "kbs.test is listed twice") != NULL);
	CHECK_INT(resolve_set_hosts(&rc, "kbs.test=10.0.2", &err), -EINVAL);
	CHECK(strstr(err.msg, "not an IPv4 address") != NULL);
	CHECK_INT(resolve_set_hosts(&rc, "kbs.test=256.0.0.1", &err), -EINVAL);
	CHECK_INT(resolve_set_hosts(&rc, "kbs.test=10.0.2.100 ", &err), -EINVAL);
	CHECK_INT(resolve_set_hosts(&rc, "kbs.test=::1", &err), -EINVAL);
	CHECK_INT(resolve_set_hosts(&rc, "kbs.test", &err), -EINVAL);
	CHECK_INT(resolve_set_hosts(&rc, "=10.0.2.100", &err), -EINVAL);
	CHECK_INT(resolve_set_hosts(&rc, "kbs_x.test=10.0.2.100", &err), -EINVAL);
	CHECK(strstr(err.msg, "is not a host name") != NULL);
	CHECK_INT(resolve_set_hosts(&rc, "kbs.test=10.0.2.100,", &err), -EINVAL);
	CHECK_INT(resolve_set_hosts(&rc, "a=1.1.1.1,b=1.1.1.1,c=1.1.1.1,d=1.1.1.1,e=1.1.1.1,"
				    "f=1.1.1.1,g=1.1.1.1,h=1.1.1.1,i=1.1.1.1", &err), -EINVAL);
	CHECK(strstr(err.msg, "more than 8 names") != NULL);
	CHECK_INT(rc.n_hosts, 2);
	CHECK_INT(resolve_set_hosts(&rc, "", &err), 0);
	CHECK_INT(rc.n_hosts, 0);

	CHECK_INT(resolve_set_servers(&rc, "10.0.2.53,192.0.2.53", &err), 0);
	CHECK_INT(rc.n_servers, 2);
	CHECK_STR(rc.servers[1], "192.0.2.53");
	CHECK_INT(resolve_set_servers(&rc, "10.0.2.53,10.0.2.53", &err), -EINVAL);
	CHECK_INT(resolve_set_servers(&rc, "1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4", &err), -EINVAL);
	CHECK(strstr(err.msg, "more than 3") != NULL);
	CHECK_INT(resolve_set_servers(&rc, "ns.example.com", &err), -EINVAL);
	CHECK_INT(resolve_set_servers(&rc, "10.0.2.53:53", &err), -EINVAL);
	CHECK_INT(rc.n_servers, 2);
}

static void test_needed_and_mapping(void)
{
	struct resolve_conf rc = { 0 };
	struct cw_err err = { "" };
	char addrs[RESOLVE_ADDRS_SIZE];

	CHECK_INT(resolve_needed(&rc, "10.0.2.100", &err), 0);
	CHECK_INT(resolve_needed(&rc, "[fd00::1]", &err), 0);
	CHECK_INT(resolve_needed(&rc, "kbs.test", &err), -EINVAL);
	CHECK(strstr(err.msg, "net_hosts") != NULL && strstr(err.msg, "net_dns") != NULL);
	CHECK_INT(resolve_needed(&rc, "kbs_x.test", &err), -EINVAL);
	CHECK_INT(resolve_set_hosts(&rc, "kbs.test=10.0.2.100", &err), 0);
	CHECK_INT(resolve_needed(&rc, "KBS.test", &err), 1);
	CHECK_INT(resolve_needed(&rc, "other.test", &err), -EINVAL);
	CHECK_INT(resolve_lookup(&rc, "KBS.test", 1000, addrs, &err), 0);
	CHECK_STR(addrs, "10.0.2.100");
	CHECK_INT(resolve_lookup(&rc, "other.test", 1000, addrs, &err), -ENOENT);
	CHECK_INT(resolve_set_servers(&rc, "10.0.2.53", &err), 0);
	CHECK_INT(resolve_needed(&rc, "other.test", &err), 1);
}

struct dns {
	pid_t pid;
	uint16_t port;
};

/* tools/test-dns with the record kbs.test=10.9.8.7 and an optional fault. */
static bool dns_start(struct dns *d, const char *fault)
{
	const char *src = getenv("CWINIT_SOURCE_DIR") ? getenv("CWINIT_SOURCE_DIR") : ".";
	const char *py = getenv("CWINIT_PYTHON") ? getenv("CWINIT_PYTHON") : "/usr/bin/python3";
	char tool[400], port_file[300], log[300], *port = NULL;

	snprintf(tool, sizeof(tool), "%s/tools/test-dns", src);
	snprintf(port_file, sizeof(port_file), "%s/port", dir);
	snprintf(log, sizeof(log), "%s/log", dir);
	unlink(port_file);
	d->pid = fork();
	if (d->pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		/* Not holding ctest's output pipe, and gone with the test. */
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		const char *argv[] = { py, tool, "--port", "0", "--port-file", port_file, "--log",
				       log, "--record", "kbs.test=10.9.8.7",
				       fault ? "--fault" : NULL, fault, NULL };
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	for (int i = 0; i < 300 && read_file_bounded(port_file, 16, &port, NULL) < 0; i++) {
		if (waitpid(d->pid, NULL, WNOHANG) == d->pid)
			break;
		usleep(50 * 1000);
	}
	unlink(port_file);
	if (!port) {
		fprintf(stderr, "test-dns did not start (%s)\n", tool);
		kill(d->pid, SIGTERM);
		waitpid(d->pid, NULL, 0);
		return false;
	}
	d->port = (uint16_t)atoi(port);
	free(port);
	return true;
}

static void dns_stop(struct dns *d)
{
	kill(d->pid, SIGTERM);
	waitpid(d->pid, NULL, 0);
}

static void test_dns(void)
{
	struct resolve_conf rc = { 0 };
	struct cw_err err = { "" };
	char addrs[RESOLVE_ADDRS_SIZE];
	struct dns d;
	uint64_t t;

	if (!dns_start(&d, NULL)) {
		CHECK(!"test-dns started");
		return;
	}
	rc.port = d.port;
	CHECK_INT(resolve_set_servers(&rc, "127.0.0.1", &err), 0);
	CHECK_INT(resolve_lookup(&rc, "kbs.test", 3000, addrs, &err), 1);
	CHECK_STR(addrs, "10.9.8.7");
	/* The mapping comes first, and needs no nameserver. */
	CHECK_INT(resolve_set_hosts(&rc, "kbs.test=10.0.2.100", &err), 0);
	CHECK_INT(resolve_lookup(&rc, "kbs.test", 3000, addrs, &err), 0);
	CHECK_STR(addrs, "10.0.2.100");
	CHECK_INT(resolve_set_hosts(&rc, "", &err), 0);

	CHECK_INT(resolve_lookup(&rc, "other.test", 3000, addrs, &err), -ENOENT);
	CHECK(strstr(err.msg, "DNS lookup of other.test") != NULL);
	CHECK_STR(addrs, "");
	/* Nothing listens on 127.0.0.2: the second nameserver answers. */
	CHECK_INT(resolve_set_servers(&rc, "127.0.0.2,127.0.0.1", &err), 0);
	CHECK_INT(resolve_lookup(&rc, "kbs.test", 3000, addrs, &err), 1);
	CHECK_STR(addrs, "10.9.8.7");
	dns_stop(&d);
	/* Nobody at all. */
	CHECK_INT(resolve_lookup(&rc, "kbs.test", 3000, addrs, &err), -EHOSTUNREACH);
	CHECK_STR(addrs, "");

	if (dns_start(&d, "servfail")) {
		rc.port = d.port;
		CHECK_INT(resolve_set_servers(&rc, "127.0.0.1", &err), 0);
		CHECK_INT(resolve_lookup(&rc, "kbs.test", 3000, addrs, &err), -EHOSTUNREACH);
		dns_stop(&d);
	}
	/* A server that reads the query and never answers: the lookup ends at
	 * its timeout (the bound here is loose; only an unbounded wait fails). */
	if (dns_start(&d, "stall")) {
		rc.port = d.port;
		t = monotonic_ms();
		CHECK_INT(resolve_lookup(&rc, "kbs.test", 700, addrs, &err), -ETIMEDOUT);
		CHECK(monotonic_ms() - t < 10000);
		dns_stop(&d);
	}
}

int main(void)
{
	char path[300];

	if (!mkdtemp(dir))
		return 1;
	test_names();
	test_lists();
	test_needed_and_mapping();
	test_dns();
	snprintf(path, sizeof(path), "%s/log", dir);
	unlink(path);
	rmdir(dir);
	return check_finish("test_resolve");
}
