/* The broker's address by name: the measured mapping, else DNS through
 * c-ares (see include/resolve.h).
 *
 * c-ares rather than glibc: a static glibc's resolver speaks TCP with a
 * blocking connect and read and no timeout of its own, so a silent
 * nameserver could hold PID 1 forever; c-ares runs here under our poll loop
 * and deadline. Every c-ares setting is given explicitly, which keeps it
 * from reading /etc/resolv.conf and from taking RES_OPTIONS or LOCALDOMAIN
 * out of PID 1's environment (the kernel command line, written by the
 * host, fills that environment). */
#include <arpa/inet.h>
#include <ares.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <strings.h>
#include "resolve.h"
#include "util.h"

bool resolve_name_valid(const char *name)
{
	size_t len = strlen(name), label = 0;
	bool digits_only = true;

	if (len == 0 || len > RESOLVE_NAME_MAX)
		return false;
	for (size_t i = 0; i <= len; i++) {
		unsigned char ch = (unsigned char)name[i];
		if (ch == '.' || ch == '\0') {
			if (label == 0 || name[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!isalnum(ch) && ch != '-')
			return false;
		if (ch == '-' && label == 0)
			return false;
		if (++label > 63)
			return false;
		if (!isdigit(ch))
			digits_only = false;
	}
	return !digits_only;
}

static bool ipv4_text(const char *s, size_t len, char out[16])
{
	char buf[16];
	struct in_addr a;

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, &a) != 1)
		return false;
	inet_ntop(AF_INET, &a, out, 16);
	return true;
}

int resolve_set_hosts(struct resolve_conf *rc, const char *list, struct cw_err *err)
{
	struct resolve_host hosts[RESOLVE_MAX_HOSTS];
	unsigned n = 0;

	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ","), name_len = strcspn(p, "=");
		struct resolve_host *h = &hosts[n];

		if (n == RESOLVE_MAX_HOSTS)
			return cw_err_set(err, EINVAL, "more than %d names", RESOLVE_MAX_HOSTS);
		if (name_len >= len || name_len > RESOLVE_NAME_MAX)
			return cw_err_set(err, EINVAL, "entry %u is not name=a.b.c.d", n + 1);
		for (size_t i = 0; i < name_len; i++)
			h->name[i] = (char)tolower((unsigned char)p[i]);
		h->name[name_len] = '\0';
		if (!resolve_name_valid(h->name))
			return cw_err_set(err, EINVAL, "entry %u: \"%.64s\" is not a host name (RFC 1123 "
					  "labels of letters, digits and '-')", n + 1, h->name);
		if (!ipv4_text(p + name_len + 1, len - name_len - 1, h->addr))
			return cw_err_set(err, EINVAL, "%.64s: not an IPv4 address", h->name);
		for (unsigned i = 0; i < n; i++)
			if (!strcmp(hosts[i].name, h->name))
				return cw_err_set(err, EINVAL, "%.64s is listed twice", h->name);
		n++;
		p += len;
		if (*p == ',' && !*++p)
			return cw_err_set(err, EINVAL, "empty entry");
	}
	memcpy(rc->hosts, hosts, sizeof(hosts));
	rc->n_hosts = n;
	return 0;
}

int resolve_set_servers(struct resolve_conf *rc, const char *list, struct cw_err *err)
{
	char servers[RESOLVE_MAX_SERVERS][16];
	unsigned n = 0;

	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");

		if (n == RESOLVE_MAX_SERVERS)
			return cw_err_set(err, EINVAL, "more than %d nameservers", RESOLVE_MAX_SERVERS);
		if (!ipv4_text(p, len, servers[n]))
			return cw_err_set(err, EINVAL, "nameserver %u is not an IPv4 address", n + 1);
		for (unsigned i = 0; i < n; i++)
			if (!strcmp(servers[i], servers[n]))
				return cw_err_set(err, EINVAL, "nameserver %s is listed twice", servers[n]);
		n++;
		p += len;
		if (*p == ',' && !*++p)
			return cw_err_set(err, EINVAL, "empty entry");
	}
	memcpy(rc->servers, servers, sizeof(servers));
	rc->n_servers = n;
	return 0;
}

static const struct resolve_host *mapped(const struct resolve_conf *rc, const char *name)
{
	for (unsigned i = 0; i < rc->n_hosts; i++)
		if (!strcasecmp(rc->hosts[i].name, name))
			return &rc->hosts[i];
	return NULL;
}

int resolve_needed(const struct resolve_conf *rc, const char *host, struct cw_err *err)
{
	struct in_addr a;

	/* curl takes addresses as they are; an IPv6 one comes in brackets. */
	if (inet_pton(AF_INET, host, &a) == 1 || host[0] == '[')
		return 0;
	if (!resolve_name_valid(host))
		return cw_err_set(err, EINVAL, "broker host \"%.64s\" is neither an IPv4 address nor "
				  "a host name", host);
	if (!mapped(rc, host) && rc->n_servers == 0)
		return cw_err_set(err, EINVAL, "broker host %.64s has no address: map it in net_hosts "
				  "or list nameservers in net_dns (in /etc/cwinit.json)", host);
	return 1;
}

struct answer {
	bool done;
	int status;
	char *addrs;
};

/* A raw query and ares_parse_a_reply, rather than ares_gethostbyname: the
 * latter goes through c-ares's getaddrinfo, hosts file and service name
 * code, and brings glibc's getservbyname, none of which a lookup of one A
 * record needs. */
static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct answer *a = arg;
	struct ares_addrttl found[RESOLVE_MAX_ADDRS];
	int n = RESOLVE_MAX_ADDRS;
	size_t used = 0;

	(void)timeouts;
	if (a->done)
		return;
	a->done = true;
	a->status = status;
	if (status != ARES_SUCCESS)
		return;
	a->status = ares_parse_a_reply(abuf, alen, NULL, found, &n);
	if (a->status == ARES_SUCCESS && n <= 0)
		a->status = ARES_ENODATA;
	if (a->status != ARES_SUCCESS)
		return;
	for (int i = 0; i < n; i++) {
		if (used)
			a->addrs[used++] = ',';
		inet_ntop(AF_INET, &found[i].ipaddr, a->addrs + used, 16);
		used += strlen(a->addrs + used);
	}
}

static int ares_errno(int status)
{
	switch (status) {
	case ARES_ENOTFOUND:
	case ARES_ENODATA:
		return ENOENT;
	case ARES_ETIMEOUT:
		return ETIMEDOUT;
	case ARES_EBADRESP:
	case ARES_EFORMERR:
		return EBADMSG;
	case ARES_ENOMEM:
		return ENOMEM;
	default: /* refused connections, SERVFAIL and REFUSED from every server */
		return EHOSTUNREACH;
	}
}

/* Sockets c-ares waits on, as poll entries. */
static nfds_t wanted_fds(ares_channel ch, struct pollfd *pfd)
{
	ares_socket_t socks[ARES_GETSOCK_MAXNUM];
	/* ares.h's ARES_GETSOCK_WRITABLE shifts a signed 1 into the sign bit. */
	unsigned bits = (unsigned)ares_getsock(ch, socks, ARES_GETSOCK_MAXNUM);
	nfds_t n = 0;

	for (unsigned i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
		short ev = (short)((bits & (1u << i) ? POLLIN : 0) |
				   (bits & (1u << (i + ARES_GETSOCK_MAXNUM)) ? POLLOUT : 0));
		if (ev)
			pfd[n++] = (struct pollfd){ .fd = socks[i], .events = ev };
	}
	return n;
}

static int run_query(ares_channel ch, const char *name, uint64_t deadline, struct answer *a)
{
	struct pollfd pfd[ARES_GETSOCK_MAXNUM];

	ares_query(ch, name, C_IN, T_A, on_answer, a);
	while (!a->done) {
		uint64_t now = monotonic_ms();
		struct timeval max, tv, *t;
		nfds_t n = wanted_fds(ch, pfd);
		int k;

		if (now >= deadline)
			return -ETIMEDOUT;
		max.tv_sec = (time_t)((deadline - now) / 1000);
		max.tv_usec = (suseconds_t)((deadline - now) % 1000 * 1000);
		t = ares_timeout(ch, &max, &tv);
		k = poll(pfd, n, (int)(t->tv_sec * 1000 + (t->tv_usec + 999) / 1000));
		if (k < 0 && errno != EINTR)
			return -errno;
		if (k <= 0) {
			ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
			continue;
		}
		for (nfds_t i = 0; i < n && !a->done; i++) {
			short re = pfd[i].revents;
			if (re)
				ares_process_fd(ch, re & (POLLIN | POLLERR | POLLHUP) ? pfd[i].fd : ARES_SOCKET_BAD,
						re & POLLOUT ? pfd[i].fd : ARES_SOCKET_BAD);
		}
	}
	return 0;
}

static int dns_lookup(const struct resolve_conf *rc, const char *name, uint32_t timeout_ms,
		      char *addrs, struct cw_err *err)
{
	static bool library_ready;
	struct in_addr servers[RESOLVE_MAX_SERVERS];
	char lookups[] = "b"; /* unused by ares_query; set, like the rest, so no file is read */
	struct ares_options o = { 0 };
	struct answer a = { .addrs = addrs };
	uint64_t deadline = monotonic_ms() + timeout_ms;
	ares_channel ch;
	int r;

	if (!library_ready) {
		if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS)
			return cw_err_set(err, ENOMEM, "c-ares initialization failed");
		library_ready = true;
	}
	for (unsigned i = 0; i < rc->n_servers; i++)
		inet_pton(AF_INET, rc->servers[i], &servers[i]);
	/* TCP: every nameserver must answer over it (RFC 7766), no answer is
	 * truncated, and QEMU's guestfwd, which the tests use, forwards only
	 * TCP. c-ares does not resend a query on the TCP connection that
	 * failed to answer it, so each server gets one try and its share of
	 * timeout_ms, and the next one is asked. */
	o.flags = ARES_FLAG_USEVC | ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
	o.tries = 1;
	o.timeout = (int)(timeout_ms / rc->n_servers);
	if (o.timeout < 100)
		o.timeout = 100;
	o.ndots = 1;
	o.tcp_port = rc->port ? rc->port : 53;
	o.servers = servers;
	o.nservers = (int)rc->n_servers;
	o.lookups = lookups;
	r = ares_init_options(&ch, &o, ARES_OPT_FLAGS | ARES_OPT_TRIES | ARES_OPT_TIMEOUTMS |
			      ARES_OPT_NDOTS | ARES_OPT_TCP_PORT | ARES_OPT_SERVERS |
			      ARES_OPT_DOMAINS | ARES_OPT_LOOKUPS | ARES_OPT_SORTLIST |
			      ARES_OPT_NOROTATE);
	if (r != ARES_SUCCESS)
		return cw_err_set(err, ENOMEM, "c-ares: %s", ares_strerror(r));
	r = run_query(ch, name, deadline, &a);
	ares_destroy(ch); /* a query still running ends here */
	if (r < 0)
		return cw_err_set(err, r, "DNS lookup of %s: %s", name,
				  r == -ETIMEDOUT ? "no answer within the time left" : strerror(-r));
	if (a.status != ARES_SUCCESS)
		return cw_err_set(err, ares_errno(a.status), "DNS lookup of %s: %s", name,
				  ares_strerror(a.status));
	return 1;
}

int resolve_lookup(const struct resolve_conf *rc, const char *name, uint32_t timeout_ms,
		   char addrs[RESOLVE_ADDRS_SIZE], struct cw_err *err)
{
	const struct resolve_host *h = mapped(rc, name);

	addrs[0] = '\0';
	if (h) {
		strcpy(addrs, h->addr);
		return 0;
	}
	if (rc->n_servers == 0)
		return cw_err_set(err, ENOENT, "%s is not in net_hosts and net_dns is empty", name);
	return dns_lookup(rc, name, timeout_ms, addrs, err);
}
