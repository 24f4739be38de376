/* The webhook receiver (see slipway/webhook.h): libmicrohttpd serves the
 * connections on one thread of its own, where each delivery is read,
 * checked and answered, and an accepted push handed on once its answer is
 * out.  Being one thread, it needs no lock around what it remembers. */
#include "slipway/webhook.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "slipway/util.h"
#include "webhook_internal.h"

#define DIGEST_LEN 32
#define SIGNATURE_PREFIX "sha256="

/* A delivery accepted: its id and its body's HMAC. */
struct seen {
	char id[SW_WEBHOOK_DELIVERY_MAX + 1];
	unsigned char digest[DIGEST_LEN];
};

struct sw_webhook {
	struct MHD_Daemon *daemon;
	int port;
	char *path;
	unsigned char *secret;
	size_t secret_len;
	size_t body_max;
	sw_webhook_push_fn on_push;
	sw_webhook_log_fn log;
	void *ud;
	/* On the server's thread only: a ring of the last SW_WEBHOOK_SEEN_MAX,
	 * and whether libmicrohttpd's next line is about a connection closed
	 * on purpose, already told. */
	struct seen *seen;
	size_t nseen, next;
	bool closing;
};

/* One request's state between libmicrohttpd's calls. */
struct request {
	struct sbuf body;
	bool accepted;
	struct sw_webhook_push push;
};

struct verdict {
	unsigned status;
	char *why;		/* one clean line: the answer's body and the log's reason */
};

/* ---- the address ---- */

static int listen_fail(const char *text, char **err, const char *why)
{
	char *q = sw_webhook_quoted(text ? text : "");
	*err = xasprintf("cannot listen on %s: %s", q, why);
	free(q);
	return -1;
}

static bool parse_port(const char *s, in_port_t *port)
{
	size_t n = strspn(s, "0123456789");
	if (n == 0 || n > 5 || s[n])
		return false;
	long v = strtol(s, NULL, 10);
	*port = htons((uint16_t)v);
	return v <= 65535;
}

int sw_webhook_parse_listen(const char *text, struct sockaddr_storage *addr, socklen_t *len, char **err)
{
	static const char want[] = "want ADDRESS:PORT with a numeric address, e.g. 127.0.0.1:8080 or [::1]:8080";
	memset(addr, 0, sizeof *addr);
	const char *host = text, *end = text ? strrchr(text, ':') : NULL;
	bool v6 = text && text[0] == '[';
	if (v6) {
		host = text + 1;
		end = strchr(host, ']');
		if (end && end[1] != ':')
			end = NULL;
	}
	char name[INET6_ADDRSTRLEN];
	if (!end || end == host || (size_t)(end - host) >= sizeof name)
		return listen_fail(text, err, want);
	snprintf(name, sizeof name, "%.*s", (int)(end - host), host);
	const char *port = end + 1 + v6;
	struct sockaddr_in *in4 = (struct sockaddr_in *)addr;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)addr;
	bool numeric = v6 ? inet_pton(AF_INET6, name, &in6->sin6_addr) == 1
			  : inet_pton(AF_INET, name, &in4->sin_addr) == 1;
	if (!numeric)
		return listen_fail(text, err, want);
	if (!parse_port(port, v6 ? &in6->sin6_port : &in4->sin_port))
		return listen_fail(text, err, "the port is not a number from 0 to 65535");
	/* Every interface is no address anyone chose: a hook's receiver is
	 * reached through a proxy on loopback, or on one interface named. */
	if (v6 ? IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr) : in4->sin_addr.s_addr == htonl(INADDR_ANY))
		return listen_fail(text, err, "that is every interface: name the one address to listen on");
	addr->ss_family = v6 ? AF_INET6 : AF_INET;
	*len = v6 ? sizeof *in6 : sizeof *in4;
	return 0;
}

/* Bound here rather than by libmicrohttpd, which says only that it failed. */
static int listen_socket(const struct sockaddr_storage *addr, socklen_t len, const char *text, char **err)
{
	int fd = socket(addr->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int on = 1;
	if (fd < 0)
		return listen_fail(text, err, strerror(errno));
	/* A receiver restarted at once must not wait out its old TIME_WAITs. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
	if (addr->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
	if (bind(fd, (const struct sockaddr *)addr, len) || listen(fd, SW_WEBHOOK_CONNECTIONS_MAX)) {
		int e = errno;
		close(fd);
		return listen_fail(text, err, strerror(e));
	}
	return fd;
}

static int bound_port(int fd)
{
	struct sockaddr_storage a;
	socklen_t n = sizeof a;
	if (getsockname(fd, (struct sockaddr *)&a, &n))
		return -1;
	return ntohs(a.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&a)->sin6_port
					     : ((struct sockaddr_in *)&a)->sin_port);
}

/* ---- the signature ---- */

/* "sha256=<64 hex digits>" into digest. */
static bool signature_digest(const char *header, unsigned char digest[DIGEST_LEN])
{
	size_t n = strlen(SIGNATURE_PREFIX);
	if (!header || strncmp(header, SIGNATURE_PREFIX, n) || strlen(header + n) != 2 * DIGEST_LEN)
		return false;
	for (size_t i = 0; i < DIGEST_LEN; i++) {
		int hi = sw_webhook_hex_value(header[n + 2 * i]);
		int lo = sw_webhook_hex_value(header[n + 2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		digest[i] = (unsigned char)(hi << 4 | lo);
	}
	return true;
}

static bool body_digest(const void *secret, size_t secret_len, const char *body, size_t len,
			unsigned char digest[DIGEST_LEN])
{
	unsigned int n = 0;
	if (secret_len > INT_MAX)
		return false;
	return HMAC(EVP_sha256(), secret, (int)secret_len, (const unsigned char *)(body ? body : ""), len, digest,
		    &n) && n == DIGEST_LEN;
}

bool sw_webhook_signed(const void *secret, size_t secret_len, const char *body, size_t len, const char *header)
{
	unsigned char want[DIGEST_LEN], got[DIGEST_LEN];
	return signature_digest(header, got) && body_digest(secret, secret_len, body, len, want) &&
	       CRYPTO_memcmp(want, got, DIGEST_LEN) == 0;
}

/* ---- what is remembered ---- */

static bool seen_before(const struct sw_webhook *w, const char *id, const unsigned char digest[DIGEST_LEN])
{
	for (size_t i = 0; i < w->nseen; i++)
		if (!strcmp(w->seen[i].id, id) || !memcmp(w->seen[i].digest, digest, DIGEST_LEN))
			return true;
	return false;
}

static void remember(struct sw_webhook *w, const char *id, const unsigned char digest[DIGEST_LEN])
{
	struct seen *s = &w->seen[w->next];
	snprintf(s->id, sizeof s->id, "%s", id);
	memcpy(s->digest, digest, DIGEST_LEN);
	w->next = (w->next + 1) % SW_WEBHOOK_SEEN_MAX;
	if (w->nseen < SW_WEBHOOK_SEEN_MAX)
		w->nseen++;
}

/* ---- telling ---- */

static const char *header(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static void add_quoted(struct sbuf *sb, const char *label, const char *value)
{
	if (!value)
		return;
	char *q = sw_webhook_quoted(value);
	sbuf_addf(sb, "%s%s %s", sb->len ? ", " : "", label, q);
	free(q);
}

static void add_peer(struct sbuf *sb, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *a = ci ? ci->client_addr : NULL;
	char text[INET6_ADDRSTRLEN] = "?";
	if (a && a->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)a)->sin_addr, text, sizeof text);
	else if (a && a->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)a)->sin6_addr, text, sizeof text);
	sbuf_addf(sb, "%sfrom %s", sb->len ? ", " : "", text);
}

/* "webhook: 401 refused: <why> (delivery "…", event "push", from 127.0.0.1)" */
static void tell(const struct sw_webhook *w, struct MHD_Connection *c, unsigned status, const char *why)
{
	if (!w->log)
		return;
	struct sbuf about;
	sbuf_init(&about);
	add_quoted(&about, "delivery", header(c, "X-GitHub-Delivery"));
	add_quoted(&about, "event", header(c, "X-GitHub-Event"));
	add_peer(&about, c);
	const char *kind = status == 200 || status == 202 ? "" : "refused: ";
	char *line = xasprintf("webhook: %u %s%s (%s)", status, kind, why, about.buf);
	w->log(w->ud, line);
	free(line);
	sbuf_free(&about);
}

/* libmicrohttpd's own complaints (a connection limit reached, a socket
 * error), told as lines like the rest. */
__attribute__((format(printf, 2, 0))) static void server_said(void *ud, const char *fmt, va_list ap)
{
	struct sw_webhook *w = ud;
	if (w->closing || !w->log) {
		w->closing = false;
		return;
	}
	char *text = xvasprintf(fmt, ap);
	struct sbuf sb;
	sbuf_init(&sb);
	sbuf_adds(&sb, "webhook: ");
	sw_term_clean(&sb, text, strcspn(text, "\r\n"));
	w->log(w->ud, sb.buf);
	sbuf_free(&sb);
	free(text);
}

/* ---- answering ---- */

static enum MHD_Result answer(const struct sw_webhook *w, struct MHD_Connection *c, unsigned status,
			      const char *why)
{
	tell(w, c, status, why);
	char *body = xasprintf("%s\n", why);
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (status == 405)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "POST");
	enum MHD_Result ok = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ok;
}

static struct verdict verdict(unsigned status, char *why)
{
	return (struct verdict){status, why};
}

static char *push_text(const struct sw_webhook_push *p)
{
	char *ref = sw_webhook_quoted(p->ref), *repo = sw_webhook_quoted(p->repository);
	char *t = p->deleted ? xasprintf("accepted: %s of %s deleted", ref, repo)
			     : xasprintf("accepted: %s of %s at %.12s", ref, repo, p->after);
	free(ref);
	free(repo);
	return t;
}

static struct verdict read_push(struct sw_webhook *w, struct MHD_Connection *c, struct request *rq,
				const char *delivery, const unsigned char digest[DIGEST_LEN])
{
	char *err = NULL;
	int status = sw_webhook_read_push(header(c, MHD_HTTP_HEADER_CONTENT_TYPE), rq->body.buf, rq->body.len,
					  &rq->push, &err);
	if (status)
		return verdict((unsigned)status, err);
	rq->push.delivery = xstrdup(delivery);
	rq->accepted = true;
	remember(w, delivery, digest);
	return verdict(200, push_text(&rq->push));
}

/* The rules of slipway/webhook.h, signature first: nothing about a
 * request is believed before it. */
static struct verdict judge(struct sw_webhook *w, struct MHD_Connection *c, struct request *rq)
{
	const char *sig = header(c, "X-Hub-Signature-256");
	unsigned char got[DIGEST_LEN], want[DIGEST_LEN];
	if (!sig)
		return verdict(401, xstrdup("no X-Hub-Signature-256: is the hook's secret set on GitHub?"));
	if (!signature_digest(sig, got))
		return verdict(401, xstrdup("X-Hub-Signature-256 is not sha256=<64 hex digits>"));
	if (!body_digest(w->secret, w->secret_len, rq->body.buf, rq->body.len, want) ||
	    CRYPTO_memcmp(want, got, DIGEST_LEN))
		return verdict(401, xstrdup("the signature does not match: the hook's secret on GitHub is not "
					    "GITHUB_WEBHOOK_SECRET, or the body was changed on the way"));
	const char *delivery = header(c, "X-GitHub-Delivery"), *event = header(c, "X-GitHub-Event");
	if (!delivery || !*delivery)
		return verdict(400, xstrdup("no X-GitHub-Delivery"));
	if (strlen(delivery) > SW_WEBHOOK_DELIVERY_MAX)
		return verdict(400, xstrdup("X-GitHub-Delivery is longer than " SW_STR(SW_WEBHOOK_DELIVERY_MAX)
					    " bytes"));
	if (!event || !*event)
		return verdict(400, xstrdup("no X-GitHub-Event"));
	if (seen_before(w, delivery, want))
		return verdict(200, xstrdup("duplicate delivery, ignored"));
	if (!strcmp(event, "push"))
		return read_push(w, c, rq, delivery, want);
	remember(w, delivery, want);
	if (!strcmp(event, "ping"))
		return verdict(200, xstrdup("pong"));
	char *e = sw_webhook_quoted(event), *why = xasprintf("event %s ignored: only push is used", e);
	free(e);
	return verdict(202, why);
}

static enum MHD_Result finish(struct sw_webhook *w, struct MHD_Connection *c, struct request *rq)
{
	struct verdict v = judge(w, c, rq);
	enum MHD_Result r = answer(w, c, v.status, v.why);
	free(v.why);
	return r;
}

/* Decided from the request line and headers alone, before any body. */
static enum MHD_Result begin(struct sw_webhook *w, struct MHD_Connection *c, const char *url, const char *method,
			     void **state)
{
	w->closing = false;
	if (strcmp(url, w->path)) {
		char *m = sw_webhook_quoted(method), *u = sw_webhook_quoted(url);
		char *why = xasprintf("not found: %s %s", m, u);
		enum MHD_Result r = answer(w, c, 404, why);
		free(m);
		free(u);
		free(why);
		return r;
	}
	if (strcmp(method, MHD_HTTP_METHOD_POST)) {
		char *m = sw_webhook_quoted(method), *why = xasprintf("method %s: only POST", m);
		enum MHD_Result r = answer(w, c, 405, why);
		free(m);
		free(why);
		return r;
	}
	const char *length = header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
	unsigned long long declared = length ? strtoull(length, NULL, 10) : 0;
	if (declared > w->body_max) {
		char *why = xasprintf("a body of %llu bytes, more than %zu", declared, w->body_max);
		enum MHD_Result r = answer(w, c, 413, why);
		free(why);
		return r;
	}
	struct request *rq = xcalloc(1, sizeof *rq);
	sbuf_init(&rq->body);
	*state = rq;
	return MHD_YES;
}

static enum MHD_Result take_body(struct sw_webhook *w, struct MHD_Connection *c, struct request *rq,
				 const char *data, size_t *len)
{
	/* Only a body without a Content-Length (chunked) gets here too long,
	 * when no answer can be queued any more: the connection is closed. */
	if (*len > w->body_max - rq->body.len) {
		char *why = xasprintf("a body of more than %zu bytes without a Content-Length: connection closed",
				      w->body_max);
		tell(w, c, 413, why);
		free(why);
		w->closing = true;
		return MHD_NO;
	}
	sbuf_add(&rq->body, data, *len);
	*len = 0;
	return MHD_YES;
}

static enum MHD_Result on_request(void *ud, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *data, size_t *len, void **state)
{
	(void)version;
	struct sw_webhook *w = ud;
	struct request *rq = *state;
	if (!rq)
		return begin(w, c, url, method, state);
	if (*len)
		return take_body(w, c, rq, data, len);
	return finish(w, c, rq);
}

/* Called once the answer is out (or the client gone, or the server
 * stopping): an accepted push is handed on whatever became of its answer,
 * since a redelivery of it would now be dropped as a duplicate. */
static void on_completed(void *ud, struct MHD_Connection *c, void **state, enum MHD_RequestTerminationCode how)
{
	(void)c;
	(void)how;
	struct sw_webhook *w = ud;
	struct request *rq = *state;
	if (!rq)
		return;
	if (rq->accepted && w->on_push)
		w->on_push(w->ud, &rq->push);
	sw_webhook_push_free(&rq->push);
	sbuf_free(&rq->body);
	free(rq);
	*state = NULL;
}

/* ---- the server ---- */

static void webhook_free(struct sw_webhook *w)
{
	if (w->secret)
		OPENSSL_cleanse(w->secret, w->secret_len);
	free(w->secret);
	free(w->path);
	free(w->seen);
	free(w);
}

static struct sw_webhook *webhook_new(const struct sw_webhook_options *opt)
{
	struct sw_webhook *w = xcalloc(1, sizeof *w);
	w->path = xstrdup(opt->path ? opt->path : "/");
	w->secret = xmalloc(opt->secret_len);
	memcpy(w->secret, opt->secret, opt->secret_len);
	w->secret_len = opt->secret_len;
	w->body_max = opt->body_max ? opt->body_max : SW_WEBHOOK_BODY_MAX;
	w->on_push = opt->on_push;
	w->log = opt->log;
	w->ud = opt->ud;
	w->seen = xcalloc(SW_WEBHOOK_SEEN_MAX, sizeof *w->seen);
	return w;
}

static int check_options(const struct sw_webhook_options *opt, char **err)
{
	if (!opt->secret || !opt->secret_len || opt->secret_len > INT_MAX) {
		*err = xstrdup("no webhook secret: without one anybody could say a branch moved (GITHUB_WEBHOOK_SECRET, "
			       "the hook's secret on GitHub)");
		return -1;
	}
	if (opt->path && opt->path[0] != '/') {
		char *q = sw_webhook_quoted(opt->path);
		*err = xasprintf("the webhook path %s does not start with '/'", q);
		free(q);
		return -1;
	}
	return 0;
}

int sw_webhook_start(const struct sw_webhook_options *opt, struct sw_webhook **out, char **err)
{
	struct sockaddr_storage addr;
	socklen_t len = 0;
	*out = NULL;
	if (check_options(opt, err) || sw_webhook_parse_listen(opt->listen, &addr, &len, err))
		return -1;
	int fd = listen_socket(&addr, len, opt->listen, err);
	if (fd < 0)
		return -1;
	struct sw_webhook *w = webhook_new(opt);
	w->port = bound_port(fd);
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
	if (addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	w->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, w, MHD_OPTION_EXTERNAL_LOGGER, server_said,
				     w, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd, MHD_OPTION_CONNECTION_LIMIT,
				     (unsigned)SW_WEBHOOK_CONNECTIONS_MAX, MHD_OPTION_CONNECTION_TIMEOUT,
				     (unsigned)SW_WEBHOOK_IDLE_TIMEOUT_S, MHD_OPTION_NOTIFY_COMPLETED, on_completed, w,
				     MHD_OPTION_END);
	if (!w->daemon) {
		/* Not closed here: libmicrohttpd closes the socket on its failures
		 * once it has it, and closing it twice could close a descriptor
		 * another thread has just opened. */
		webhook_free(w);
		return listen_fail(opt->listen, err, "the HTTP server did not start");
	}
	*out = w;
	return 0;
}

int sw_webhook_port(const struct sw_webhook *w)
{
	return w->port;
}

void sw_webhook_stop(struct sw_webhook *w)
{
	if (!w)
		return;
	/* Closes the listening socket too, ours or not. */
	MHD_stop_daemon(w->daemon);
	webhook_free(w);
}
