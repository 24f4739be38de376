/* What the container client's files share (core/docker*.c): the connection,
 * the transport and the readers of the engine's answers, which
 * tests/fuzz/fuzz_docker.c drives without an engine.  Not public API. */
#ifndef SLIPWAY_CORE_DOCKER_INTERNAL_H
#define SLIPWAY_CORE_DOCKER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "slipway/docker.h"
#include "slipway/util.h"

/* The newest API version this client was written against, and the oldest
 * it can speak: fields used here exist since 1.25 (Health, RestartCount). */
#define API_MAX_MAJOR 1
#define API_MAX_MINOR 43
#define API_MIN_MINOR 25

#define CONNECT_TIMEOUT_MS 3000L
/* A request that is not a stream; a hung engine must not hang the caller. */
#define REQUEST_TIMEOUT_MS 30000L
/* dockerd answers a stats request at its next collection tick (once a
 * second): the requests of one round go out together, or each batch would
 * cost a second. */
#define PARALLEL_MAX 128
#define FRAME_MAX (16u << 20)
/* The latest of the engine's times (unix seconds) read: 2^52, which a
 * double holds exactly. */
#define TIME_MAX (INT64_C(1) << 52)
/* Between the two samples CPU % is computed from. */
#define STATS_GAP_MS 300

struct sw_docker {
	char *host;		/* as given: unix:///path or tcp://host:port */
	char *socket;		/* the unix socket's path, or NULL */
	char *base;		/* http://localhost or http://host:port */
	char api[16];
	char *engine;
	bool podman;
};

struct xfer {
	CURL *c;
	struct sbuf body;
	CURLcode rc;
	long status;
	bool done;
};

/* A stream being read: logs (frames into lines) or events (a JSON object
 * a line), ended by the caller's flag or callback. */
struct stream {
	volatile int *stop;
	bool stopped;		/* ended by the callback or *stop */
	/* logs */
	bool tty;
	unsigned char head[8];
	size_t head_len;
	size_t frame_left;
	int frame_stream;
	struct sbuf line[3];
	sw_docker_line_fn line_fn;
	/* events */
	struct sbuf ev;
	sw_docker_event_fn ev_fn;
	const char *project;
	bool swarm_events;	/* services' and nodes' too */
	void *ud;
};

/* A push's progress: a JSON object a line, the first error and the
 * digest kept. */
struct push {
	struct sbuf line;
	sw_docker_progress_fn fn;
	void *ud;
	char *error;
	char *digest;
};

/* /_ping's headers. */
struct ping {
	char api[16];
	char server[128];
};

/* The body of an error answer is collected apart from the stream: it is
 * one JSON object, not frames.  Which one it is shows in the status, known
 * only once the headers are in. */
struct split {
	void *ud;
	CURL *c;
	curl_write_callback fn;
	struct sbuf errbody;
};

int docker_fail(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The stop flags are set by another thread or a signal handler. */
bool docker_asked_to_stop(volatile int *stop);
/* A write callback appending to the struct sbuf it is given. */
size_t docker_collect(char *data, size_t size, size_t n, void *ud);
/* A handle for method on path, under the negotiated version. */
CURL *docker_easy(const struct sw_docker *d, const char *method, const char *path);
/* The engine's {"message": ...} of an error body, else the body (cut). */
char *docker_engine_message(const struct sbuf *body, long status);
int docker_transport_error(const struct sw_docker *d, CURLcode rc, const char *what, char **err);
/* One request: the body into out (may be NULL), the status into *status;
 * only a transport failure is an error. */
int docker_request(struct sw_docker *d, const char *method, const char *path, struct sbuf *out, long *status,
		   char **err);
/* The same with a JSON body and one more header line (each NULL: none). */
int docker_request_json(struct sw_docker *d, const char *method, const char *path, const char *json,
			const char *header, struct sbuf *out, long *status, char **err);
/* A GET whose 200 body is JSON; anything else is an error naming path. */
cJSON *docker_get_json(struct sw_docker *d, const char *path, long *status_out, char **err);
void docker_run_parallel(struct xfer *x, size_t n, size_t max, volatile int *stop);
/* GETs paths in parallel; out[i] the parsed body of a 200, else NULL. */
int docker_get_json_all(struct sw_docker *d, char **paths, size_t n, cJSON **out, char **err);
const char *docker_jstr(const cJSON *o, const char *key);
double docker_jnum(const cJSON *o, const char *key);
/* A number within [lo, hi] (bounds a double holds exactly), else 0 as for
 * one absent: the engine's JSON is not checked, and casting 1e300 to an
 * integer is undefined behaviour. */
int64_t docker_jint(const cJSON *o, const char *key, int64_t lo, int64_t hi);
char *docker_url_escape(const char *s);
/* Runs a stream transfer to its end; 0 when it ended cleanly or was
 * stopped by the caller. */
int docker_run_stream(struct sw_docker *d, CURL *c, struct stream *s, const char *what, struct sbuf *errbody,
		      char **err);
/* The write callback of a stream: an error answer's body apart. */
size_t docker_split_write(char *data, size_t size, size_t n, void *ud);

/* ---- the readers, apart from the transfers ---- */

/* The header callback of GET /_ping, into the struct ping it is given. */
size_t docker_ping_header(char *data, size_t size, size_t n, void *ud);
/* The API version and the engine's name settled from /_ping's headers, or
 * from the answer of GET /version. */
int docker_ping_read(struct sw_docker *d, const struct ping *p, char **err);
int docker_version_read(struct sw_docker *d, const cJSON *version, char **err);
/* A container of GET /containers/json's list; then what GET
 * /containers/ID/json adds to it. */
void docker_container_summary(struct sw_container *c, const cJSON *summary);
void docker_container_inspect(struct sw_container *c, const cJSON *inspect);
/* The write callbacks of a log (a struct stream: frames into lines), of
 * the events (a struct stream: a JSON object a line) and of a push (a
 * struct push); 0 stops the transfer. */
size_t docker_logs_write(char *data, size_t size, size_t n, void *ud);
size_t docker_events_write(char *data, size_t size, size_t n, void *ud);
size_t docker_push_write(char *data, size_t size, size_t n, void *ud);
/* The services of GET /services with their tasks (GET /tasks) and the
 * nodes' hostnames (GET /nodes; may be NULL), as sw_swarm_services
 * returns them. */
void docker_services_read(const cJSON *services, const cJSON *tasks, const cJSON *nodes, struct sw_service_list *out);
/* At a log's clean end: its last lines, unless they ended in a newline
 * (the line buffers are freed). */
void docker_logs_flush(struct stream *s);
/* At a push's clean end: its last line, unless it ended in a newline. */
void docker_push_end(struct push *p);
/* What the engine said about a failed push (msg), with what to do about it. */
int docker_push_error(const char *name, const struct sw_registry_auth *auth, const char *msg, char **err);

#endif
