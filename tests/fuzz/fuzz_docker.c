/* What the container client reads from the engine, without an engine: the
 * readers of core/docker*.c that its transfers hand each answer to.  The
 * first byte picks one ("p" /_ping's headers, "v" /version, "c" the
 * container list then the inspections, "s" a stats sample, "e" and "f"
 * the events, the latter of one project, "l" a multiplexed log, "t" a TTY
 * log, "u" a push's progress, "m" an error body, "w" a swarm's services
 * (a JSON array of the answers of /services, /tasks and /nodes); any other byte counts
 * round them); the rest is the answer.  The streams are read twice, whole
 * and in pieces of 1 to 7 bytes, as libcurl may cut them: both must say
 * the same. */
#include "fuzz.h"

#include <math.h>

#include "core/docker_internal.h"

static const char readers[] = "pvcseftlumw";

/* What a stream's callbacks were told, to compare two readings. */
struct told {
	struct sbuf text;
	size_t bytes;		/* of log lines */
};

static void tell(struct told *t, const char *what, const char *s, size_t len)
{
	sbuf_adds(&t->text, what);
	sbuf_addf(&t->text, "%zu:", len);
	sbuf_add(&t->text, s, len);
	sbuf_addc(&t->text, '\n');
}

static void check_same(const struct told *a, const struct told *b)
{
	if (a->text.len != b->text.len || (a->text.len && memcmp(a->text.buf, b->text.buf, a->text.len)))
		fprintf(stderr, "whole:\n%s\nin pieces:\n%s\n", a->text.buf, b->text.buf);
	FUZZ_CHECK(a->text.len == b->text.len && (!a->text.len || !memcmp(a->text.buf, b->text.buf, a->text.len)));
}

/* Hands data to a write callback whole (piece 0) or in pieces of 1 to 7
 * bytes; false when the callback stopped the transfer. */
static bool feed(curl_write_callback fn, void *ud, const uint8_t *data, size_t size, bool pieces)
{
	for (size_t i = 0, k = 0; i < size; k++) {
		size_t n = pieces ? k % 7 + 1 : size;
		if (n > size - i)
			n = size - i;
		char *piece = fuzz_copy(data + i, n);
		size_t took = fn(piece, 1, n, ud);
		free(piece);
		if (took != n) {
			FUZZ_CHECK(took == 0);
			return false;
		}
		i += n;
	}
	return true;
}

/* ---- version ---- */

static void check_settled(struct sw_docker *d, int rc, char *err)
{
	if (rc == 0) {
		int minor = -1;
		FUZZ_CHECK(!err && sscanf(d->api, "1.%d", &minor) == 1);
		FUZZ_CHECK(minor >= API_MIN_MINOR && minor <= API_MAX_MINOR);
		FUZZ_CHECK(d->engine && (!strncmp(d->engine, "Docker Engine", 13) ||
					 !strncmp(d->engine, "Podman Engine", 13)));
	} else {
		FUZZ_CHECK(rc == -1 && err);
	}
	free(err);
	free(d->engine);
}

/* Header lines as libcurl hands them over, each with its line end. */
static void ping(const uint8_t *data, size_t size)
{
	struct ping p = {{0}, {0}};
	for (size_t i = 0; i < size;) {
		const uint8_t *nl = memchr(data + i, '\n', size - i);
		size_t n = nl ? (size_t)(nl - (data + i)) + 1 : size - i;
		char *line = fuzz_copy(data + i, n);
		FUZZ_CHECK(docker_ping_header(line, 1, n, &p) == n);
		free(line);
		i += n;
	}
	FUZZ_CHECK(strlen(p.api) < sizeof p.api && strlen(p.server) < sizeof p.server);
	if (!p.api[0])
		return;	/* the client asks /version then */
	struct sw_docker d = {.host = "unix:///fuzz.sock"};
	char *err = NULL;
	check_settled(&d, docker_ping_read(&d, &p, &err), err);
}

static cJSON *parse(const uint8_t *data, size_t size)
{
	char *text = fuzz_copy(data, size);
	cJSON *j = cJSON_ParseWithLength(text, size);
	free(text);
	return j;
}

static void version(const uint8_t *data, size_t size)
{
	cJSON *v = parse(data, size);
	if (!v)
		return;
	struct sw_docker d = {.host = "unix:///fuzz.sock"};
	char *err = NULL;
	check_settled(&d, docker_version_read(&d, v, &err), err);
	cJSON_Delete(v);
}

/* ---- containers and stats ---- */

static void check_json(cJSON *j)
{
	char *text = cJSON_PrintUnformatted(j);
	FUZZ_CHECK(text != NULL);
	cJSON_free(text);
	cJSON_Delete(j);
}

static void check_container(const struct sw_container *c)
{
	FUZZ_CHECK(strlen(c->id) < sizeof c->id);
	FUZZ_CHECK(c->name && c->image && c->state && c->ports);
	FUZZ_CHECK(c->started >= 0 && c->finished >= 0);
	FUZZ_CHECK(c->health >= SW_HEALTH_NONE && c->health <= SW_HEALTH_UNHEALTHY);
	check_json(sw_container_to_json(c));
}

/* A name finds a container of that name; an id prefix one whose id starts
 * with it, or none when it is ambiguous. */
static void check_find(const struct sw_container_list *l, const char *q)
{
	long i = sw_container_find(l, q);
	FUZZ_CHECK(i >= -1 && i < (long)l->n);
	if (i >= 0)
		FUZZ_CHECK(!strcmp(l->items[i].name, q) || !strncmp(l->items[i].id, q, strlen(q)));
}

/* The list, then (after a NUL) a JSON list of what inspecting each says. */
static void containers(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t n1 = nul ? (size_t)(nul - data) : size;
	cJSON *list = parse(data, n1);
	cJSON *inspect = nul ? parse(nul + 1, size - n1 - 1) : NULL;
	if (cJSON_IsArray(list)) {
		struct sw_container_list l = {0};
		size_t n = (size_t)cJSON_GetArraySize(list);
		l.items = xcalloc(n ? n : 1, sizeof *l.items);
		const cJSON *s;
		cJSON_ArrayForEach(s, list)
		{
			struct sw_container *c = &l.items[l.n];
			docker_container_summary(c, s);
			const cJSON *in = cJSON_GetArrayItem(inspect, (int)l.n++);
			if (in)
				docker_container_inspect(c, in);
		}
		for (size_t i = 0; i < l.n; i++) {
			check_container(&l.items[i]);
			check_find(&l, l.items[i].name);
			check_find(&l, l.items[i].id);
		}
		check_json(sw_container_summary_json(&l));
		sw_container_list_free(&l);
	}
	cJSON_Delete(list);
	cJSON_Delete(inspect);
}

/* One sample, then (after a NUL) the cpu_stats of an earlier one. */
static void stats(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t n1 = nul ? (size_t)(nul - data) : size;
	cJSON *cur = parse(data, n1);
	cJSON *pre = nul ? parse(nul + 1, size - n1 - 1) : NULL;
	char name[] = "web", image[] = "nginx", state[] = "running", ports[] = "";
	struct sw_container c = {.name = name, .image = image, .state = state, .ports = ports};
	sw_docker_stats_compute(cur, pre, &c);
	FUZZ_CHECK(c.has_stats);
	FUZZ_CHECK(isfinite(c.cpu_pct) && c.cpu_pct >= 0);
	FUZZ_CHECK(isfinite(c.mem_pct) && c.mem_pct >= 0);
	check_json(sw_container_to_json(&c));
	cJSON_Delete(cur);
	cJSON_Delete(pre);
}

/* ---- streams ---- */

/* A line "STOP" stops the reading, as a face that is closed does. */
static int on_line(void *ud, int stream, const char *line, size_t len)
{
	struct told *t = ud;
	FUZZ_CHECK(stream == 1 || stream == 2);
	FUZZ_CHECK(!memchr(line, '\n', len));
	tell(t, stream == 1 ? "out " : "err ", line, len);
	t->bytes += len;
	return len == 4 && !memcmp(line, "STOP", 4);
}

/* As sw_docker_logs reads it: the last lines only at a clean end. */
static void read_log(struct told *t, bool tty, const uint8_t *data, size_t size, bool pieces)
{
	struct stream s = {.tty = tty, .line_fn = on_line, .ud = t};
	for (int k = 0; k < 3; k++)
		sbuf_init(&s.line[k]);
	bool ended = feed(docker_logs_write, &s, data, size, pieces);
	if (ended || s.stopped)
		docker_logs_flush(&s);
	tell(t, ended ? "end " : s.stopped ? "stopped " : "refused ", "", 0);
	for (int k = 0; k < 3; k++)
		sbuf_free(&s.line[k]);
}

/* Decoded, a log is never longer than what came. */
static void logs(const uint8_t *data, size_t size, bool tty)
{
	struct told whole = {0}, pieces = {0};
	read_log(&whole, tty, data, size, false);
	read_log(&pieces, tty, data, size, true);
	FUZZ_CHECK(whole.bytes <= size);
	check_same(&whole, &pieces);
	sbuf_free(&whole.text);
	sbuf_free(&pieces.text);
}

struct events {
	struct told told;
	const char *project;
};

static int on_event(void *ud, const struct sw_docker_event *ev)
{
	struct events *e = ud;
	FUZZ_CHECK(ev->action && ev->id && ev->name);
	FUZZ_CHECK(!e->project || (ev->project && !strcmp(ev->project, e->project)));
	tell(&e->told, "action ", ev->action, strlen(ev->action));
	tell(&e->told, "id ", ev->id, strlen(ev->id));
	tell(&e->told, "name ", ev->name, strlen(ev->name));
	sbuf_addf(&e->told.text, "time %lld\n", (long long)ev->time);
	return !strcmp(ev->action, "STOP");
}

static void read_events(struct events *e, const uint8_t *data, size_t size, bool pieces)
{
	struct stream s = {.ev_fn = on_event, .ud = e, .project = e->project};
	sbuf_init(&s.ev);
	bool ended = feed(docker_events_write, &s, data, size, pieces);
	tell(&e->told, ended ? "end " : s.stopped ? "stopped " : "refused ", "", 0);
	sbuf_free(&s.ev);
}

static void events(const uint8_t *data, size_t size, const char *project)
{
	struct events whole = {.project = project}, pieces = {.project = project};
	read_events(&whole, data, size, false);
	read_events(&pieces, data, size, true);
	check_same(&whole.told, &pieces.told);
	sbuf_free(&whole.told.text);
	sbuf_free(&pieces.told.text);
}

static void on_progress(void *ud, const char *line)
{
	FUZZ_CHECK(line != NULL);
	tell(ud, "progress ", line, strlen(line));
}

/* As sw_docker_push reads it, then the failure it makes of an error. */
static void read_push(struct told *t, const uint8_t *data, size_t size, bool pieces)
{
	struct push p = {.fn = on_progress, .ud = t};
	sbuf_init(&p.line);
	bool ended = feed(docker_push_write, &p, data, size, pieces);
	if (ended)
		docker_push_end(&p);
	tell(t, ended ? "end " : "refused ", "", 0);
	if (p.digest)
		tell(t, "digest ", p.digest, strlen(p.digest));
	if (p.error) {
		tell(t, "error ", p.error, strlen(p.error));
		static const struct sw_registry_auth auth = {"ci", "s3cret-token", "127.0.0.1:5000"};
		char *err = NULL;
		FUZZ_CHECK(docker_push_error("127.0.0.1:5000/web:1", &auth, p.error, &err) == -1 && err);
		FUZZ_CHECK(docker_push_error("web:1", NULL, p.error, &err) == -1 && err);
		free(err);
	}
	free(p.error);
	free(p.digest);
	sbuf_free(&p.line);
}

static void push(const uint8_t *data, size_t size)
{
	struct told whole = {0}, pieces = {0};
	read_push(&whole, data, size, false);
	read_push(&pieces, data, size, true);
	check_same(&whole, &pieces);
	sbuf_free(&whole.text);
	sbuf_free(&pieces.text);
}

/* An error answer's body: the engine's message, else its first line cut. */
static void engine_message(const uint8_t *data, size_t size)
{
	struct sbuf body;
	sbuf_init(&body);
	sbuf_add(&body, (const char *)data, size);
	cJSON *j = parse(data, size);
	const char *said = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "message"));
	bool has_message = said && *said;
	cJSON_Delete(j);
	char *m = docker_engine_message(&body, 500);
	FUZZ_CHECK(m != NULL);
	if (!has_message)
		FUZZ_CHECK(strlen(m) <= 200 && !strchr(m, '\n'));
	free(m);
	sbuf_free(&body);
}

/* [services, tasks, nodes]: every service read has an id and a name, is
 * in order, counts no more running tasks than it has, and copies and
 * prints whole. */
static void services(const uint8_t *data, size_t size)
{
	cJSON *j = parse(data, size);
	struct sw_service_list l, c;
	docker_services_read(cJSON_GetArrayItem(j, 0), cJSON_GetArrayItem(j, 1), cJSON_GetArrayItem(j, 2), &l);
	for (size_t i = 0; i < l.n; i++) {
		const struct sw_swarm_service *v = &l.items[i];
		FUZZ_CHECK(v->s.id && v->s.name && v->s.mode);
		FUZZ_CHECK(v->running >= 0 && (size_t)v->running <= v->ntasks);
		for (size_t k = 0; k < v->ntasks; k++)
			FUZZ_CHECK(v->tasks[k].desired || (v->tasks[k].state && v->tasks[k].error));
		if (i > 0 && !l.items[i - 1].s.stack == !v->s.stack && v->s.stack)
			FUZZ_CHECK(strcmp(l.items[i - 1].s.stack, v->s.stack) <= 0);
		if (i > 0)
			FUZZ_CHECK(!(!l.items[i - 1].s.stack && v->s.stack));
		check_json(sw_service_to_json(v));
	}
	sw_service_list_copy(&c, &l);
	FUZZ_CHECK(c.n == l.n);
	sw_service_list_free(&c);
	sw_service_list_free(&l);
	cJSON_Delete(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	const char *at = data[0] ? strchr(readers, data[0]) : NULL;
	size_t which = at ? (size_t)(at - readers) : data[0] % (sizeof readers - 1);
	data++;
	size--;
	switch (readers[which]) {
	case 'p': ping(data, size); break;
	case 'v': version(data, size); break;
	case 'c': containers(data, size); break;
	case 's': stats(data, size); break;
	case 'e': events(data, size, NULL); break;
	case 'f': events(data, size, "shop"); break;
	case 't': logs(data, size, true); break;
	case 'l': logs(data, size, false); break;
	case 'u': push(data, size); break;
	case 'm': engine_message(data, size); break;
	case 'w': services(data, size); break;
	}
	return 0;
}
