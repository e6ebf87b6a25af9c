/* Finding the broker's address when broker_url names it (https://kbs.example.com).
 *
 * Two ways, both configured only in /etc/cwinit.json (measured with the
 * initramfs), never by the host: a static mapping of names to IPv4 addresses
 * (net_hosts, like curl's CURLOPT_RESOLVE: no DNS traffic at all), and DNS
 * queries to the listed nameservers (net_dns) through c-ares. The mapping is
 * tried first. TLS still checks the certificate against the name, so with
 * https and ca_file a wrong address only stops the boot. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "err.h"

#define RESOLVE_MAX_HOSTS 8
#define RESOLVE_MAX_SERVERS 3     /* as resolv.conf's MAXNS */
#define RESOLVE_NAME_MAX 253      /* characters of a name, without a final dot */
#define RESOLVE_MAX_ADDRS 4       /* addresses of one DNS answer that are used */
/* "a.b.c.d,..." for RESOLVE_MAX_ADDRS addresses, with its NUL. */
#define RESOLVE_ADDRS_SIZE (RESOLVE_MAX_ADDRS * 16)

struct resolve_host {
	char name[RESOLVE_NAME_MAX + 1];   /* lower case */
	char addr[16];                     /* dotted IPv4 */
};

struct resolve_conf {
	struct resolve_host hosts[RESOLVE_MAX_HOSTS];
	unsigned n_hosts;
	char servers[RESOLVE_MAX_SERVERS][16];   /* dotted IPv4, port 53 */
	unsigned n_servers;
	uint16_t port;                           /* DNS port; 0 = 53 (the unit tests set another) */
};

/* An RFC 1123 host name: dot-separated labels of 1-63 letters, digits and
 * '-', not starting or ending with '-', at most RESOLVE_NAME_MAX characters,
 * no final dot, and not all digits and dots (that would read as an
 * address). */
bool resolve_name_valid(const char *name);

/* "name=a.b.c.d,name=a.b.c.d": replaces the mapping. A name may appear once;
 * -EINVAL (err says why) for anything else, more than RESOLVE_MAX_HOSTS
 * entries included. */
int resolve_set_hosts(struct resolve_conf *rc, const char *list, struct cw_err *err);

/* "a.b.c.d,a.b.c.d": replaces the nameservers (at most RESOLVE_MAX_SERVERS,
 * no repeats). */
int resolve_set_servers(struct resolve_conf *rc, const char *list, struct cw_err *err);

/* Whether host (a URL's host part) needs resolving: 0 for an IP address,
 * 1 for a valid name that the mapping or DNS can answer, -EINVAL (err says
 * what to configure) otherwise. */
int resolve_needed(const struct resolve_conf *rc, const char *host, struct cw_err *err);

/* The IPv4 addresses of name, "a.b.c.d[,a.b.c.d...]" in addrs: from the
 * mapping, else from a DNS query (type A, over TCP) to the nameservers in
 * order, within timeout_ms in all. Returns 0 (from the mapping) or 1 (from
 * DNS), or -errno with err set:
 * -ENOENT (no such name, or no address), -ETIMEDOUT, -EHOSTUNREACH (no
 * nameserver answered), -EBADMSG (a malformed answer), -ENOMEM. */
int resolve_lookup(const struct resolve_conf *rc, const char *name, uint32_t timeout_ms,
		   char addrs[RESOLVE_ADDRS_SIZE], struct cw_err *err);
