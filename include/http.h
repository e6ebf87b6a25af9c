/* A small HTTP(S) client over libcurl for the key-broker exchange.
 *
 * One client keeps one curl handle, so consecutive requests share a TCP
 * (and TLS) connection when the server keeps it open. Answers are bounded,
 * redirects are never followed, proxies from the environment are ignored,
 * and HTTPS trusts exactly the given CA file. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "err.h"

#define HTTP_MAX_BODY (1024 * 1024)
#define HTTP_MAX_HEADERS (64 * 1024)
#define HTTP_MAX_COOKIE 256

struct http_client;

struct http_response {
	long status;                        /* HTTP status of the final answer */
	char *body;                         /* malloc'd, NUL-terminated (may hold NULs) */
	size_t len;
	char cookie[HTTP_MAX_COOKIE + 1];   /* value of the watched cookie, or "" */
};

/* Creates a client. ca_file (PEM) is the only trust anchor for HTTPS; NULL
 * trusts nothing. cookie_name is the Set-Cookie name captured into
 * http_response.cookie. */
int http_client_new(const char *ca_file, const char *cookie_name, struct http_client **out,
		    struct cw_err *err);

void http_client_free(struct http_client *c);

/* The host (an IPv6 address in brackets) and port of url, as curl reads
 * them, into host[n] and *port. */
int http_url_host(const char *url, char *host, size_t n, unsigned *port, struct cw_err *err);

/* Makes the client connect to host:port at addrs ("a.b.c.d[,a.b.c.d...]")
 * instead of resolving host (CURLOPT_RESOLVE); TLS still verifies the
 * certificate against host. */
int http_client_pin(struct http_client *c, const char *host, unsigned port, const char *addrs,
		    struct cw_err *err);

/* POSTs json (as application/json) to url, or GETs it when json is NULL,
 * sending `Cookie: <cookie_name>=<cookie>` when cookie is not NULL. The
 * whole request, connecting included, gets timeout_ms.
 *
 * Returns 0 when an HTTP answer arrived (any status; resp filled, free it
 * with http_response_clear), or, with err set:
 *   -ETIMEDOUT, -ECONNREFUSED, -EHOSTUNREACH, -ECONNRESET  transport
 *     failures worth retrying;
 *   -EFBIG        answer or headers beyond the bounds above;
 *   -EKEYREJECTED TLS verification failed or the CA file is unusable;
 *   -EINVAL       the URL or a protocol is refused;
 *   -ENOMEM. */
int http_request(struct http_client *c, const char *url, const char *json, const char *cookie,
		 uint32_t timeout_ms, struct http_response *resp, struct cw_err *err);

void http_response_clear(struct http_response *r);
