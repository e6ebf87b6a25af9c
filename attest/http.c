/* libcurl wrapper for the KBS exchange: bounded answers, one reused
 * connection, no redirects, no proxies, one CA file.
 *
 * The session cookie is parsed here rather than by curl's cookie engine:
 * the engine drops a cookie whose Expires lies in the past by our clock,
 * and a freshly booted guest's clock cannot be trusted for that. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>
#include "http.h"
#include "util.h"

struct http_client {
	CURL *curl;
	struct curl_slist *pinned;   /* CURLOPT_RESOLVE: the broker's address */
	char cookie_name[64];
	char errbuf[CURL_ERROR_SIZE];
	/* State of the request in flight. */
	struct http_response *resp;
	size_t cap;
	size_t header_bytes;
	bool body_too_big, headers_too_big, oom;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct http_client *c = userdata;
	struct http_response *r = c->resp;
	size_t n = size * nmemb;

	if (n > HTTP_MAX_BODY - r->len) {
		c->body_too_big = true;
		return 0; /* aborts the transfer */
	}
	if (text_append(&r->body, &r->len, &c->cap, data, n) < 0) {
		c->oom = true;
		return 0;
	}
	return n;
}

/* RFC 6265 cookie-octet: what may go back into a Cookie header verbatim. */
static bool cookie_octet(unsigned char ch)
{
	return ch == 0x21 || (ch >= 0x23 && ch <= 0x2b) || (ch >= 0x2d && ch <= 0x3a) ||
	       (ch >= 0x3c && ch <= 0x5b) || (ch >= 0x5d && ch <= 0x7e);
}

/* "Set-Cookie: name=value; attributes": keeps value when name matches and
 * value is a plain, bounded cookie value. */
static void capture_cookie(struct http_client *c, const char *line, size_t n)
{
	static const char hdr[] = "set-cookie:";
	size_t name_len = strlen(c->cookie_name), i, start;

	if (n < sizeof(hdr) - 1 || strncasecmp(line, hdr, sizeof(hdr) - 1) != 0)
		return;
	i = sizeof(hdr) - 1;
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (n - i <= name_len || memcmp(line + i, c->cookie_name, name_len) != 0 ||
	    line[i + name_len] != '=')
		return;
	start = i + name_len + 1;
	for (i = start; i < n && cookie_octet((unsigned char)line[i]); i++)
		;
	/* The value must end at ';', whitespace or the end of the line. */
	if (i == start || i - start > HTTP_MAX_COOKIE ||
	    (i < n && line[i] != ';' && line[i] != ' ' && line[i] != '\r' && line[i] != '\n'))
		return;
	memcpy(c->resp->cookie, line + start, i - start);
	c->resp->cookie[i - start] = '\0';
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct http_client *c = userdata;
	size_t n = size * nmemb;

	c->header_bytes += n;
	if (c->header_bytes > HTTP_MAX_HEADERS) {
		c->headers_too_big = true;
		return 0;
	}
	capture_cookie(c, data, n);
	return n;
}

int http_client_new(const char *ca_file, const char *cookie_name, struct http_client **out,
		    struct cw_err *err)
{
	static bool global_done;
	struct http_client *c;
	CURL *h;
	CURLcode rc = CURLE_OK;

	if (strlen(cookie_name) >= sizeof(c->cookie_name))
		return cw_err_set(err, EINVAL, "cookie name too long");
	if (!global_done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return cw_err_set(err, EIO, "libcurl initialization failed");
		global_done = true;
	}
	c = calloc(1, sizeof(*c));
	if (!c || !(h = curl_easy_init())) {
		free(c);
		return cw_err_set(err, ENOMEM, "out of memory for the HTTP client");
	}
	c->curl = h;
	strcpy(c->cookie_name, cookie_name);

#define SET(opt, val) \
	do { if (rc == CURLE_OK) rc = curl_easy_setopt(h, opt, val); } while (0)
	SET(CURLOPT_ERRORBUFFER, c->errbuf);
	/* PID 1 owns signal handling; curl must not use SIGALRM/SIGPIPE. */
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	/* "" disables proxies even when *_proxy variables are set; a libcurl
	 * built without proxy support (our static one) does not know the
	 * option and has nothing to disable. */
	if (rc == CURLE_OK && (rc = curl_easy_setopt(h, CURLOPT_PROXY, "")) == CURLE_UNKNOWN_OPTION)
		rc = CURLE_OK;
	SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)HTTP_MAX_BODY);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, c);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, c);
	SET(CURLOPT_USERAGENT, "cwinit");
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	/* Exactly the configured CA: no built-in bundle or directory. */
	SET(CURLOPT_CAINFO, ca_file);
	SET(CURLOPT_CAPATH, (char *)NULL);
#undef SET
	if (rc != CURLE_OK) {
		http_client_free(c);
		return cw_err_set(err, EINVAL, "libcurl refused an option: %s", curl_easy_strerror(rc));
	}
	*out = c;
	return 0;
}

void http_client_free(struct http_client *c)
{
	if (!c)
		return;
	curl_easy_cleanup(c->curl);
	curl_slist_free_all(c->pinned);
	free(c);
}

int http_url_host(const char *url, char *host, size_t n, unsigned *port, struct cw_err *err)
{
	CURLU *u = curl_url();
	char *h = NULL, *p = NULL;
	int r = 0;

	if (!u)
		return cw_err_set(err, ENOMEM, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) != CURLUE_OK)
		r = cw_err_set(err, EINVAL, "URL %.64s: cannot find its host and port", url);
	else if (strscpy(host, h, n) < 0)
		r = cw_err_set(err, EINVAL, "URL %.64s: host name too long", url);
	else
		*port = (unsigned)strtoul(p, NULL, 10);
	curl_free(h);
	curl_free(p);
	curl_url_cleanup(u);
	return r;
}

int http_client_pin(struct http_client *c, const char *host, unsigned port, const char *addrs,
		    struct cw_err *err)
{
	char entry[320];
	struct curl_slist *l;

	if (snprintf(entry, sizeof(entry), "%s:%u:%s", host, port, addrs) >= (int)sizeof(entry))
		return cw_err_set(err, EINVAL, "address list for %.64s too long", host);
	if (!(l = curl_slist_append(NULL, entry)))
		return cw_err_set(err, ENOMEM, "out of memory");
	/* curl copies the list into the handle's DNS cache, as entries that
	 * never expire, when the next transfer starts; until then it must
	 * live, so it is kept with the handle. */
	if (curl_easy_setopt(c->curl, CURLOPT_RESOLVE, l) != CURLE_OK) {
		curl_slist_free_all(l);
		return cw_err_set(err, EINVAL, "libcurl refused the address of %.64s", host);
	}
	curl_slist_free_all(c->pinned);
	c->pinned = l;
	return 0;
}

void http_response_clear(struct http_response *r)
{
	/* It may have held an attestation token. */
	if (r->body)
		explicit_bzero(r->body, r->len);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

static int map_error(struct http_client *c, CURLcode rc, struct cw_err *err)
{
	const char *why = c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc);

	if (c->oom || rc == CURLE_OUT_OF_MEMORY)
		return cw_err_set(err, ENOMEM, "out of memory receiving the answer");
	if (c->body_too_big || rc == CURLE_FILESIZE_EXCEEDED)
		return cw_err_set(err, EFBIG, "answer larger than %d bytes", HTTP_MAX_BODY);
	if (c->headers_too_big)
		return cw_err_set(err, EFBIG, "answer headers larger than %d bytes", HTTP_MAX_HEADERS);
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		return cw_err_set(err, ETIMEDOUT, "%s", why);
	case CURLE_COULDNT_CONNECT:
		return cw_err_set(err, ECONNREFUSED, "%s", why);
	case CURLE_COULDNT_RESOLVE_HOST:
		return cw_err_set(err, EHOSTUNREACH, "%s", why);
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		return cw_err_set(err, EKEYREJECTED, "TLS: %s", why);
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return cw_err_set(err, EINVAL, "%s", why);
	default:
		/* Resets, empty or cut-off answers, TLS handshake failures:
		 * the connection broke, another try may get through. */
		return cw_err_set(err, ECONNRESET, "%s", why);
	}
}

int http_request(struct http_client *c, const char *url, const char *json, const char *cookie,
		 uint32_t timeout_ms, struct http_response *resp, struct cw_err *err)
{
	CURL *h = c->curl;
	struct curl_slist *headers = NULL, *tmp;
	char cookie_hdr[sizeof(c->cookie_name) + HTTP_MAX_COOKIE + 2];
	CURLcode rc = CURLE_OK;
	int r = 0;

	memset(resp, 0, sizeof(*resp));
	c->resp = resp;
	c->cap = 0;
	c->header_bytes = 0;
	c->body_too_big = c->headers_too_big = c->oom = false;
	c->errbuf[0] = '\0';
	if (timeout_ms == 0) /* curl reads 0 as "no timeout" */
		timeout_ms = 1;

	if (cookie) {
		if (strlen(cookie) > HTTP_MAX_COOKIE)
			return cw_err_set(err, EINVAL, "cookie value too long");
		snprintf(cookie_hdr, sizeof(cookie_hdr), "%s=%s", c->cookie_name, cookie);
	}
	/* An empty Expect: stops curl from waiting for "100 Continue" before
	 * sending a large evidence body. */
	if (!(tmp = curl_slist_append(headers, "Expect:")))
		goto oom;
	headers = tmp;
	if (json) {
		if (!(tmp = curl_slist_append(headers, "Content-Type: application/json")))
			goto oom;
		headers = tmp;
	}

#define SET(opt, val) \
	do { if (rc == CURLE_OK) rc = curl_easy_setopt(h, opt, val); } while (0)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	SET(CURLOPT_HTTPHEADER, headers);
	SET(CURLOPT_COOKIE, cookie ? cookie_hdr : (char *)NULL);
	if (json) {
		SET(CURLOPT_POSTFIELDS, json);
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(json));
	} else {
		SET(CURLOPT_HTTPGET, 1L);
	}
#undef SET
	if (rc != CURLE_OK) {
		r = cw_err_set(err, EINVAL, "libcurl refused the request: %s", curl_easy_strerror(rc));
		goto out;
	}
	rc = curl_easy_perform(h);
	if (rc != CURLE_OK) {
		r = map_error(c, rc, err);
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	if (!resp->body && !(resp->body = calloc(1, 1)))
		goto oom;
	goto out;
oom:
	r = cw_err_set(err, ENOMEM, "out of memory for the HTTP request");
out:
	/* The handle must not keep pointers to this request's memory. */
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, (char *)NULL);
	curl_slist_free_all(headers);
	c->resp = NULL;
	if (r)
		http_response_clear(resp);
	return r;
}
