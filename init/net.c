/* Network: loopback always, one static IPv4 address when configured.
 *
 * libkrun guests have no interface (TSI proxies their sockets), QEMU
 * guests get a virtio NIC whose driver may still be probing when we get
 * here, so the interface is waited for, within a bound. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "early.h"
#include "util.h"

static void set_sin(struct sockaddr *sa, in_addr_t addr)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)sa;

	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = addr;
}

static int link_up(int sk, const char *name, struct cw_err *err)
{
	struct ifreq ifr = { 0 };

	strscpy(ifr.ifr_name, name, sizeof(ifr.ifr_name));
	if (ioctl(sk, SIOCGIFFLAGS, &ifr) < 0)
		return cw_err_set(err, errno, "%s: get flags: %m", name);
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(sk, SIOCSIFFLAGS, &ifr) < 0)
		return cw_err_set(err, errno, "%s: set up: %m", name);
	return 0;
}

static int wait_for_interface(const char *name, uint32_t wait_ms, struct cw_err *err)
{
	uint64_t deadline = monotonic_ms() + wait_ms;
	const struct timespec step = { 0, 20 * 1000 * 1000 };

	while (if_nametoindex(name) == 0) {
		if (monotonic_ms() >= deadline)
			return cw_err_set(err, ENODEV, "interface %s did not appear within %u ms "
					  "(is its driver in the modules list?)", name, wait_ms);
		nanosleep(&step, NULL);
	}
	return 0;
}

static int set_address(int sk, const struct cw_config *c, struct cw_err *err)
{
	struct ifreq ifr = { 0 };
	char addr[20];
	char *slash;
	in_addr_t ip, mask;
	unsigned len;

	/* config.c validated the form a.b.c.d/n already. */
	strscpy(addr, c->net_address, sizeof(addr));
	slash = strchr(addr, '/');
	*slash = '\0';
	len = (unsigned)atoi(slash + 1);
	inet_pton(AF_INET, addr, &ip);
	mask = len ? htonl(~0u << (32 - len)) : 0;

	strscpy(ifr.ifr_name, c->net_interface, sizeof(ifr.ifr_name));
	set_sin(&ifr.ifr_addr, ip);
	if (ioctl(sk, SIOCSIFADDR, &ifr) < 0)
		return cw_err_set(err, errno, "%s: set address %s: %m", c->net_interface, c->net_address);
	set_sin(&ifr.ifr_netmask, mask);
	if (ioctl(sk, SIOCSIFNETMASK, &ifr) < 0)
		return cw_err_set(err, errno, "%s: set netmask: %m", c->net_interface);
	return link_up(sk, c->net_interface, err);
}

static int set_gateway(int sk, const struct cw_config *c, struct cw_err *err)
{
	struct rtentry rt = { 0 };
	in_addr_t gw;

	inet_pton(AF_INET, c->net_gateway, &gw);
	set_sin(&rt.rt_dst, INADDR_ANY);
	set_sin(&rt.rt_genmask, INADDR_ANY);
	set_sin(&rt.rt_gateway, gw);
	rt.rt_flags = RTF_UP | RTF_GATEWAY;
	if (ioctl(sk, SIOCADDRT, &rt) < 0 && errno != EEXIST)
		return cw_err_set(err, errno, "default route via %s: %m", c->net_gateway);
	return 0;
}

int net_setup(const struct cw_config *c, struct cw_err *err)
{
	_cleanup_close_ int sk = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int r;

	if (sk < 0)
		return cw_err_set(err, errno, "socket: %m");
	r = link_up(sk, "lo", err);
	if (r < 0 || !*c->net_interface)
		return r;
	if (!*c->net_address)
		return cw_err_set(err, EINVAL, "net_interface %s is set but net_address is not",
				  c->net_interface);
	r = wait_for_interface(c->net_interface, c->root_wait_ms, err);
	if (r == 0)
		r = set_address(sk, c, err);
	if (r == 0 && *c->net_gateway)
		r = set_gateway(sk, c, err);
	return r;
}
