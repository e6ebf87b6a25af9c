/* The retry, deadline and error-reporting machinery of the broker
 * dialects (see include/broker.h for the policy). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>
#include "broker.h"
#include "kbs_parse.h"
#include "log.h"
#include "util.h"

#define BACKOFF_FIRST_MS 500u
#define BACKOFF_MAX_MS 8000u

enum broker_verdict broker_fail(struct broker *b, const char *step, const char *path,
				enum kbs_failure f, long status, int rc, enum broker_verdict v,
				struct cw_err *err)
{
	struct kbs_result *res = b->res;

	res->failure = f;
	strscpy(res->step, step, sizeof(res->step));
	res->http_status = status;
	b->rc = rc < 0 ? rc : -rc;
	/* A 200 whose body we refuse says so: the broker did answer. */
	if (status == 200)
		cw_err_prefix(err, rc, "HTTP 200 answer");
	cw_err_prefix(err, rc, "%s %s%s", step, b->base, path);
	return v;
}

/* Classifies an answer other than 200, or a transport failure (rc < 0). */
static enum broker_verdict judge(struct broker *b, const char *step, const char *path, int rc,
				 const struct http_response *resp, struct cw_err *err)
{
	struct kbs_result *res = b->res;
	long s = resp->status;

	if (rc < 0) {
		if (rc != -EFBIG && rc != -ENOMEM)
			cw_err_prefix(err, rc, "no HTTP answer");
		switch (rc) {
		case -EFBIG:
			return broker_fail(b, step, path, KBS_BAD_ANSWER, 0, rc, BV_FINAL, err);
		case -ENOMEM:
			return broker_fail(b, step, path, KBS_INTERNAL, 0, rc, BV_FINAL, err);
		case -EKEYREJECTED:
		case -EINVAL:
			return broker_fail(b, step, path, KBS_UNREACHABLE, 0, rc, BV_FINAL, err);
		default:
			return broker_fail(b, step, path, KBS_UNREACHABLE, 0, rc, BV_RETRY, err);
		}
	}
	/* Trustee explains itself in {"type","detail"}; other brokers in plain
	 * text, which becomes the detail. */
	kbs_parse_error(resp->body, resp->len, res->type, sizeof(res->type), res->detail,
			sizeof(res->detail));
	if (res->type[0] || res->detail[0])
		cw_err_set(err, EIO, "HTTP %ld %s%s%s", s, res->type,
			   res->type[0] && res->detail[0] ? ": " : "", res->detail);
	else
		cw_err_set(err, EIO, "HTTP %ld", s);
	if (s == 408 || s == 429 || (s >= 500 && s <= 599))
		return broker_fail(b, step, path, KBS_UNREACHABLE, s, EAGAIN, BV_RETRY, err);
	if ((s == 401 || s == 404) && strcmp(step, b->policy->restart_step) == 0 &&
	    b->restarts_left) {
		b->restarts_left--;
		b->restarts++;
		return broker_fail(b, step, path, KBS_DENIED, s, EACCES, BV_RESTART, err);
	}
	if (s >= 400 && s <= 499)
		return broker_fail(b, step, path, KBS_DENIED, s, EACCES, BV_FINAL, err);
	cw_err_set(err, EBADMSG, "unexpected HTTP %ld", s);
	return broker_fail(b, step, path, KBS_BAD_ANSWER, s, EBADMSG, BV_FINAL, err);
}

/* Gives curl the broker's address, so that it never resolves a name itself. */
static int pin_address(struct broker *b, uint32_t timeout, struct cw_err *err)
{
	char addrs[RESOLVE_ADDRS_SIZE];
	int rc = resolve_lookup(b->policy->resolve, b->host, timeout, addrs, err);

	if (rc >= 0) {
		log_info("broker host %s is %s (%s)", b->host, addrs, rc ? "DNS" : "net_hosts");
		rc = http_client_pin(b->http, b->host, b->port, addrs, err);
	}
	if (rc < 0)
		return rc;
	b->host[0] = '\0';
	return 0;
}

enum broker_verdict broker_request(struct broker *b, const char *step, const char *path,
				   const char *json, const char *cookie,
				   struct http_response *resp, struct cw_err *err)
{
	char url[BROKER_MAX_URL + 256];
	uint64_t now = monotonic_ms();
	uint32_t timeout = b->policy->request_timeout_ms;
	int rc;

	memset(resp, 0, sizeof(*resp));
	if (now >= b->deadline) {
		cw_err_set(err, ETIMEDOUT, "deadline of %u ms reached", b->policy->deadline_ms);
		return broker_fail(b, step, path, KBS_UNREACHABLE, 0, ETIMEDOUT, BV_FINAL, err);
	}
	if (b->deadline - now < timeout)
		timeout = (uint32_t)(b->deadline - now);
	if (snprintf(url, sizeof(url), "%s%s", b->base, path) >= (int)sizeof(url)) {
		cw_err_set(err, ENAMETOOLONG, "request URL too long");
		return broker_fail(b, step, "", KBS_INTERNAL, 0, ENAMETOOLONG, BV_FINAL, err);
	}
	if (b->host[0] && (rc = pin_address(b, timeout, err)) < 0)
		return broker_fail(b, step, path, rc == -ENOMEM ? KBS_INTERNAL : KBS_UNREACHABLE, 0, rc,
				   rc == -ENOMEM ? BV_FINAL : BV_RETRY, err);
	b->res->requests++;
	rc = http_request(b->http, url, json, cookie, timeout, resp, err);
	if (rc == 0 && resp->status == 200)
		return BV_OK;
	return judge(b, step, path, rc, resp, err);
}

enum broker_verdict broker_auth(struct broker *b, const char *path, const char *json,
				char cookie[HTTP_MAX_COOKIE + 1], char *nonce, size_t nonce_size,
				const char **hash, struct cw_err *err)
{
	struct http_response resp;
	enum broker_verdict v;
	int rc;

	if (!json) {
		cw_err_set(err, ENOMEM, "out of memory");
		return broker_fail(b, "auth", path, KBS_INTERNAL, 0, ENOMEM, BV_FINAL, err);
	}
	if ((v = broker_request(b, "auth", path, json, NULL, &resp, err)) != BV_OK) {
		http_response_clear(&resp);
		return v;
	}
	strscpy(cookie, resp.cookie, HTTP_MAX_COOKIE + 1);
	rc = kbs_parse_challenge(resp.body, resp.len, nonce, nonce_size, hash, err);
	if (rc == 0 && !cookie[0])
		rc = cw_err_set(err, EBADMSG, "no valid %s cookie in the answer",
				b->policy->cookie_name);
	http_response_clear(&resp);
	if (rc)
		return broker_fail(b, "auth", path, KBS_BAD_ANSWER, 200, rc, BV_FINAL, err);
	return BV_OK;
}

static void sleep_ms(uint32_t ms)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	/* PID 1 takes signals (SIGCHLD); sleep on to the same absolute time. */
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR)
		;
}

/* The random quarter keeps guests booted together from retrying in step. */
static uint32_t backoff_ms(unsigned attempt)
{
	uint32_t base = BACKOFF_MAX_MS, r = 0;

	if (attempt < 5)
		base = BACKOFF_FIRST_MS << (attempt - 1);
	if (base > BACKOFF_MAX_MS)
		base = BACKOFF_MAX_MS;
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = 0;
	return base - r % (base / 4 + 1);
}

/* A host name must have a configured way to its address: curl's own
 * resolver (glibc's, static) is never used. */
static int check_host(struct broker *b, const struct broker_policy *p, struct cw_err *err)
{
	static const struct resolve_conf none;
	int rc = http_url_host(b->base, b->host, sizeof(b->host), &b->port, err);

	if (rc == 0)
		rc = resolve_needed(p->resolve ? p->resolve : &none, b->host, err);
	if (rc <= 0)
		b->host[0] = '\0';
	return rc < 0 ? rc : 0;
}

static int check_policy(struct broker *b, const struct broker_policy *p, struct cw_err *err)
{
	const char *u = p->url;
	size_t len;

	if (!u || (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0))
		return cw_err_set(err, EINVAL, "broker URL must start with http:// or https://");
	len = strlen(u);
	while (len > 8 && u[len - 1] == '/')
		len--;
	if (len > BROKER_MAX_URL)
		return cw_err_set(err, EINVAL, "broker URL longer than %d characters", BROKER_MAX_URL);
	for (size_t i = 0; i < len; i++)
		if (u[i] <= 0x20 || u[i] >= 0x7f || u[i] == '?' || u[i] == '#')
			return cw_err_set(err, EINVAL, "broker URL has a space, control, '?' or '#' character");
	memcpy(b->base, u, len);
	b->base[len] = '\0';
	if (u[4] == 's' && (!p->ca_file || !p->ca_file[0]))
		return cw_err_set(err, EINVAL, "an https broker needs ca_file (there is no system CA store)");
	if (!p->attempts || !p->deadline_ms || !p->request_timeout_ms)
		return cw_err_set(err, EINVAL, "attempts, deadline_ms and request_timeout_ms must be positive");
	return check_host(b, p, err);
}

void broker_begin(struct broker *b, struct kbs_result *res)
{
	memset(res, 0, sizeof(*res));
	res->failure = KBS_INTERNAL;
	b->res = res;
	b->deadline = monotonic_ms() + b->policy->deadline_ms;
	b->restarts_left = b->policy->restarts;
	b->restarts = 0;
	b->rc = 0;
}

int broker_open(struct broker *b, const struct broker_policy *p, struct kbs_result *res,
		struct cw_err *err)
{
	int rc;

	memset(b, 0, sizeof(*b));
	b->policy = p;
	broker_begin(b, res);
	if ((rc = check_policy(b, p, err)))
		return rc;
	if (strncmp(b->base, "http://", 7) == 0)
		log_warn("broker %s is plain HTTP: nothing authenticates the broker; use https with "
			 "ca_file outside tests", b->base);
	return http_client_new(p->ca_file && p->ca_file[0] ? p->ca_file : NULL, p->cookie_name,
			       &b->http, err);
}

void broker_close(struct broker *b)
{
	http_client_free(b->http);
	b->http = NULL;
}

int broker_run(struct broker *b, const char *log_name,
	       enum broker_verdict (*session)(struct broker *b, void *ctx, struct cw_err *err),
	       void *ctx, struct cw_err *err)
{
	const struct broker_policy *p = b->policy;
	struct kbs_result *res = b->res;
	enum broker_verdict v = BV_FINAL;
	unsigned attempt;
	size_t l;

	for (attempt = 1; attempt <= p->attempts; attempt++) {
		/* Only a broker answer of this session may explain its failure. */
		do {
			res->type[0] = res->detail[0] = '\0';
		} while ((v = session(b, ctx, err)) == BV_RESTART);
		if (v != BV_RETRY || attempt == p->attempts)
			break;
		uint32_t wait = backoff_ms(attempt);
		if (monotonic_ms() + wait >= b->deadline) {
			cw_err_prefix(err, b->rc, "deadline of %u ms reached", p->deadline_ms);
			break;
		}
		log_info("%s: attempt %u of %u failed: %s; retrying in %u ms", log_name, attempt,
			 p->attempts, err->msg, wait);
		sleep_ms(wait);
	}
	if (v == BV_OK) {
		res->failure = KBS_OK;
		res->step[0] = res->type[0] = res->detail[0] = '\0';
		res->http_status = 200;
		err->msg[0] = '\0';
		return 0;
	}
	if (attempt > p->attempts)
		attempt = p->attempts;
	l = strlen(err->msg);
	if (b->restarts)
		snprintf(err->msg + l, sizeof(err->msg) - l, " (attempt %u of %u, session restarts: %u)",
			 attempt, p->attempts, b->restarts);
	else
		snprintf(err->msg + l, sizeof(err->msg) - l, " (attempt %u of %u)", attempt,
			 p->attempts);
	return b->rc ? b->rc : -EIO;
}
