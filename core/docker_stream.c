/* The two streams a face follows (see slipway/docker.h): a container's
 * log, its frames decoded into lines, and the engine's events. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "core/docker_internal.h"
#include "slipway/docker.h"

/* ---- streams: logs and events ---- */

/* A container that never prints a newline must not grow a line without
 * bound in whoever follows it: past this, the line is handed out cut and
 * goes on as the next one (the same place whatever pieces it came in). */
#define LOG_LINE_MAX (64 * 1024)

static bool put_bytes(struct stream *s, int stream, const char *p, size_t n)
{
	struct sbuf *line = &s->line[stream == 2 ? 2 : 1];
	for (size_t i = 0; i < n; i++) {
		if (p[i] != '\n' && line->len < LOG_LINE_MAX) {
			sbuf_addc(line, p[i]);
			continue;
		}
		if (p[i] != '\n') {
			int r = s->line_fn(s->ud, stream == 2 ? 2 : 1, line->buf, line->len);
			sbuf_reset(line);
			sbuf_addc(line, p[i]);
			if (r) {
				s->stopped = true;
				return false;
			}
			continue;
		}
		size_t len = line->len;
		if (len && line->buf[len - 1] == '\r')
			len--;
		int r = s->line_fn(s->ud, stream == 2 ? 2 : 1, line->buf ? line->buf : "", len);
		sbuf_reset(line);
		if (r) {
			s->stopped = true;
			return false;
		}
	}
	return true;
}

size_t docker_logs_write(char *data, size_t size, size_t n, void *ud)
{
	struct stream *s = ud;
	size_t len = size * n, i = 0;
	if (s->tty)
		return put_bytes(s, 1, data, len) ? len : 0;
	while (i < len) {
		if (s->frame_left == 0) {
			while (i < len && s->head_len < 8)
				s->head[s->head_len++] = (unsigned char)data[i++];
			if (s->head_len < 8)
				break;
			s->frame_stream = s->head[0];
			s->frame_left = (size_t)s->head[4] << 24 | (size_t)s->head[5] << 16 | (size_t)s->head[6] << 8 |
					s->head[7];
			s->head_len = 0;
			if (s->frame_stream > 2 || s->frame_left > FRAME_MAX)
				return 0;	/* not a multiplexed stream after all */
			continue;
		}
		size_t take = len - i < s->frame_left ? len - i : s->frame_left;
		if (!put_bytes(s, s->frame_stream, data + i, take))
			return 0;
		i += take;
		s->frame_left -= take;
	}
	return len;
}

void docker_logs_flush(struct stream *s)
{
	for (int k = 1; k <= 2; k++) {
		if (s->line[k].len && !s->stopped)
			s->line_fn(s->ud, k, s->line[k].buf, s->line[k].len);
		sbuf_free(&s->line[k]);
	}
}

static bool container_tty(struct sw_docker *d, const char *name, char **err)
{
	char *esc = docker_url_escape(name);
	char *path = xasprintf("/containers/%s/json", esc);
	free(esc);
	long status = 0;
	cJSON *j = docker_get_json(d, path, &status, err);
	free(path);
	if (!j && status == 404)
		docker_fail(err, "no container named %s on the engine at %s", name, d->host);
	bool tty = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "Config"), "Tty"));
	cJSON_Delete(j);
	return tty;
}

int sw_docker_logs(struct sw_docker *d, const char *name, long tail, bool follow, sw_docker_line_fn fn, void *ud,
		   volatile int *stop, char **err)
{
	char *e = NULL;
	bool tty = container_tty(d, name, &e);
	if (e) {
		docker_fail(err, "%s", e);
		free(e);
		return -1;
	}
	char *esc = docker_url_escape(name);
	struct sbuf pb;
	sbuf_init(&pb);
	sbuf_addf(&pb, "/containers/%s/logs?stdout=1&stderr=1&follow=%d", esc, follow ? 1 : 0);
	if (tail >= 0)
		sbuf_addf(&pb, "&tail=%ld", tail);
	char *path = sbuf_detach(&pb);
	free(esc);
	struct stream s = {.stop = stop, .tty = tty, .line_fn = fn, .ud = ud};
	for (int k = 0; k < 3; k++)
		sbuf_init(&s.line[k]);
	CURL *c = docker_easy(d, "GET", path);
	struct split sp = {.ud = &s, .c = c, .fn = docker_logs_write};
	sbuf_init(&sp.errbody);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, docker_split_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sp);
	if (!follow)
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, REQUEST_TIMEOUT_MS);
	char *what = xasprintf("the log of %s", name);
	int rc = docker_run_stream(d, c, &s, what, &sp.errbody, err);
	free(what);
	if (rc == 0)
		docker_logs_flush(&s);
	for (int k = 0; k < 3; k++)
		sbuf_free(&s.line[k]);
	sbuf_free(&sp.errbody);
	curl_easy_cleanup(c);
	free(path);
	return rc;
}

static bool event_line(struct stream *s, const char *text, size_t len)
{
	cJSON *j = cJSON_ParseWithLength(text, len);
	if (!j)
		return true;
	const char *type = docker_jstr(j, "Type");
	const cJSON *actor = cJSON_GetObjectItemCaseSensitive(j, "Actor");
	const cJSON *attr = cJSON_GetObjectItemCaseSensitive(actor, "Attributes");
	bool container = !type || !strcmp(type, "container");
	bool swarm = s->swarm_events && type && (!strcmp(type, "service") || !strcmp(type, "node"));
	struct sw_docker_event ev = {
		.type = container ? "container" : type,
		.action = docker_jstr(j, "Action") ? docker_jstr(j, "Action") : docker_jstr(j, "status"),
		.id = docker_jstr(actor, "ID") ? docker_jstr(actor, "ID") : "",
		.name = docker_jstr(attr, "name") ? docker_jstr(attr, "name") : "",
		.project = docker_jstr(attr, "com.docker.compose.project"),
		.time = docker_jint(j, "time", 0, TIME_MAX),
	};
	bool go = true;
	if (container && ev.action && (!s->project || (ev.project && !strcmp(ev.project, s->project))))
		go = s->ev_fn(s->ud, &ev) == 0;
	else if (swarm && ev.action)
		go = s->ev_fn(s->ud, &ev) == 0;
	cJSON_Delete(j);
	return go;
}

size_t docker_events_write(char *data, size_t size, size_t n, void *ud)
{
	struct stream *s = ud;
	size_t len = size * n;
	for (size_t i = 0; i < len; i++) {
		if (data[i] != '\n') {
			sbuf_addc(&s->ev, data[i]);
			continue;
		}
		bool go = !s->ev.len || event_line(s, s->ev.buf, s->ev.len);
		sbuf_reset(&s->ev);
		if (!go) {
			s->stopped = true;
			return 0;
		}
	}
	return s->ev.len > FRAME_MAX ? 0 : len;
}

static int follow_events(struct sw_docker *d, const char *project, bool swarm, sw_docker_event_fn fn, void *ud,
			 volatile int *stop, char **err)
{
	char *filters = docker_url_escape(swarm ? "{\"type\":[\"container\",\"service\",\"node\"]}"
						: "{\"type\":[\"container\"]}");
	char *path = xasprintf("/events?filters=%s", filters);
	free(filters);
	struct stream s = {.stop = stop, .ev_fn = fn, .ud = ud, .project = project, .swarm_events = swarm};
	sbuf_init(&s.ev);
	CURL *c = docker_easy(d, "GET", path);
	struct split sp = {.ud = &s, .c = c, .fn = docker_events_write};
	sbuf_init(&sp.errbody);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, docker_split_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sp);
	int rc = docker_run_stream(d, c, &s, "the event stream", &sp.errbody, err);
	if (rc == 0 && !s.stopped)
		rc = docker_fail(err, "the container engine at %s closed its event stream", d->host);
	sbuf_free(&s.ev);
	sbuf_free(&sp.errbody);
	curl_easy_cleanup(c);
	free(path);
	return rc;
}

int sw_docker_events(struct sw_docker *d, const char *project, sw_docker_event_fn fn, void *ud, volatile int *stop,
		     char **err)
{
	return follow_events(d, project, false, fn, ud, stop, err);
}

int sw_docker_events_swarm(struct sw_docker *d, sw_docker_event_fn fn, void *ud, volatile int *stop, char **err)
{
	return follow_events(d, NULL, !d->podman, fn, ud, stop, err);
}
