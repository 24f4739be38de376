/* The receiver of GitHub's push webhooks (issue 7), for slipway watch: an
 * HTTP server (libmicrohttpd) that checks each delivery's
 * X-Hub-Signature-256 against the hook's secret, drops replays, answers
 * at once and hands each push it accepted to a callback that queues it.
 * No terminal here.
 *
 * A request is answered by these rules, in this order:
 *   - another path than the configured one: 404; another method than
 *     POST on it: 405;
 *   - a body larger than body_max: 413 (or, without a Content-Length, the
 *     connection closed once it passes body_max);
 *   - no X-Hub-Signature-256, one that is not "sha256=<64 hex digits>",
 *     or one that is not the HMAC-SHA256 of the body's exact bytes keyed
 *     by the secret: 401.  Every event is checked, ping too, so that a
 *     pong says the hook's secret is the right one;
 *   - no X-GitHub-Delivery (or one longer than SW_WEBHOOK_DELIVERY_MAX
 *     bytes), no X-GitHub-Event: 400;
 *   - a delivery id or a body among the last SW_WEBHOOK_SEEN_MAX accepted:
 *     200 "duplicate delivery, ignored" (GitHub's "Redeliver" repeats the
 *     id; the id is not signed, so a body sent again under another id is
 *     a duplicate too);
 *   - ping: 200 "pong"; an event other than push: 202, ignored;
 *   - a push whose body is not JSON (application/json) or a form with a
 *     payload field of JSON (application/x-www-form-urlencoded), or lacks
 *     a field below: 400 naming it; another content type: 415;
 *   - a push: 200, and on_push once the answer is out.
 * Each request is told to log in one line: the status, why, the delivery
 * id and event, and the peer; never the secret or a signature. */
#ifndef SLIPWAY_WEBHOOK_H
#define SLIPWAY_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* The largest body accepted unless the options say otherwise. */
#define SW_WEBHOOK_BODY_MAX ((size_t)1 << 20)
/* How many accepted deliveries are remembered to drop replays. */
#define SW_WEBHOOK_SEEN_MAX 1024
/* GitHub's delivery ids are GUIDs, 36 bytes. */
#define SW_WEBHOOK_DELIVERY_MAX 64
/* Connections served at once, and how long one may say nothing before it
 * is closed: within GitHub's 10 s for its answer. */
#define SW_WEBHOOK_CONNECTIONS_MAX 32
#define SW_WEBHOOK_IDLE_TIMEOUT_S 10

/* What slipway watch needs of a push.  Valid during the callback only. */
struct sw_webhook_push {
	char *delivery;		/* X-GitHub-Delivery */
	char *repository;	/* repository.full_name: "owner/name" */
	char *ref;		/* "refs/heads/development" */
	char *after;		/* the commit the ref now names: 40 hex digits, lower case */
	bool deleted;		/* the ref was deleted (after is then all zeros) */
};

/* Both callbacks run on the server's one thread, one call at a time, from
 * sw_webhook_start until sw_webhook_stop returns (log also within those
 * two): they must return at once.  on_push only queues the push (copies
 * of its fields onto a locked list, a pipe written to wake the consumer)
 * and never does the work: every other delivery waits meanwhile. */
typedef void (*sw_webhook_push_fn)(void *ud, const struct sw_webhook_push *push);
/* line: one line of text safe for a terminal, without a newline: one per
 * request, and libmicrohttpd's own complaints (the connection limit
 * reached, a socket error) as they come. */
typedef void (*sw_webhook_log_fn)(void *ud, const char *line);

struct sw_webhook_options {
	/* "127.0.0.1:8080" or "[::1]:8080": a numeric address, not a name
	 * nor a wildcard (0.0.0.0, [::]); port 0 picks a free one. */
	const char *listen;
	const char *path;	/* NULL: "/" */
	const void *secret;	/* the hook's secret, copied: at least a byte */
	size_t secret_len;
	size_t body_max;	/* 0: SW_WEBHOOK_BODY_MAX */
	sw_webhook_push_fn on_push;
	sw_webhook_log_fn log;	/* NULL: nothing told */
	void *ud;		/* for both callbacks */
};

struct sw_webhook;

/* Binds and starts serving.  0, or -1 with *err (one line: a bad address,
 * no secret, an address in use). */
int sw_webhook_start(const struct sw_webhook_options *opt, struct sw_webhook **out, char **err);
/* The port bound: the one picked when the options said 0. */
int sw_webhook_port(const struct sw_webhook *w);
/* Closes every connection and joins the server's thread; a push accepted
 * until then has been handed to on_push.  NULL is a no-op. */
void sw_webhook_stop(struct sw_webhook *w);

/* The pure parts, exposed for the unit tests and the fuzz harness. */

/* opt->listen's form above into *addr.  0, or -1 with *err. */
int sw_webhook_parse_listen(const char *text, struct sockaddr_storage *addr, socklen_t *len, char **err);
/* header is "sha256=" and the hex HMAC-SHA256 of body[0, len) keyed by
 * secret; compared in constant time. */
bool sw_webhook_signed(const void *secret, size_t secret_len, const char *body, size_t len, const char *header);
/* A push's body as content_type (NULL: none) says it is sent, into *out
 * (to free with sw_webhook_push_free; delivery left NULL).  0, or the
 * status to answer (400, 415) with *err: one line naming the field or
 * what is wrong, safe for a terminal. */
int sw_webhook_read_push(const char *content_type, const char *body, size_t len, struct sw_webhook_push *out,
			 char **err);
void sw_webhook_push_free(struct sw_webhook_push *p);

#endif
