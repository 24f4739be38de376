/* The live container model: an events thread that says when to list again
 * (the containers, the swarm's services, or both), a lister, a stats reader
 * that runs only while the list is visible (and then has the services
 * listed again at each of its ticks, for what no event tells), and
 * short-lived threads for an action and a followed log.  Each thread has
 * its own engine connection; everything they share is under one mutex,
 * and the face is woken through a pipe. */
#include "slipway/docker_watch.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/watch.h"
#include "slipway/util.h"

#define RETRY_MS 3000		/* a lost engine is tried again this often */
#define STATS_MS 2000
#define COALESCE_MS 50		/* a burst of events (compose up) is one list */

struct sw_docker_watch {
	char *host;
	struct sw_watch base;
	volatile int log_stop;

	/* Under mu. */
	struct sw_container_list list;	/* our copy */
	struct sw_service_list services;
	char *services_error;
	bool swarm;			/* the last listing found services */
	char *engine, *error;
	bool loaded;
	bool dirty, svc_dirty, retry_now, visible;
	char *note;
	bool note_error;
	unsigned note_generation;
	bool act_busy;
	char *act_name;
	enum sw_docker_action act;
	char *log_name;
	long log_tail;
	int log_fd;

	pthread_t events_th, lister_th, stats_th, act_th, log_th;
	bool act_started, log_started;	/* touched by the face's thread only */
};

/* ---- list copies ---- */

void sw_container_list_copy(struct sw_container_list *dst, const struct sw_container_list *src)
{
	dst->n = src->n;
	dst->items = src->n ? xcalloc(src->n, sizeof *dst->items) : NULL;
	for (size_t i = 0; i < src->n; i++) {
		struct sw_container *c = &dst->items[i];
		*c = src->items[i];
		c->name = xstrdup_null(c->name);
		c->image = xstrdup_null(c->image);
		c->project = xstrdup_null(c->project);
		c->service = xstrdup_null(c->service);
		c->state = xstrdup_null(c->state);
		c->ports = xstrdup_null(c->ports);
	}
}

static struct sw_container *by_id(const struct sw_container_list *l, const char *id)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->items[i].id, id))
			return &l->items[i];
	return NULL;
}

static void take_stats(struct sw_container *to, const struct sw_container *from)
{
	to->has_stats = true;
	to->cpu_pct = from->cpu_pct;
	to->mem_used = from->mem_used;
	to->mem_limit = from->mem_limit;
	to->mem_pct = from->mem_pct;
}

void sw_container_stats_carry(struct sw_container_list *to, const struct sw_container_list *from)
{
	for (size_t i = 0; i < to->n; i++) {
		struct sw_container *c = &to->items[i];
		const struct sw_container *old = by_id(from, c->id);
		if (!c->has_stats && old && old->has_stats && c->state && !strcmp(c->state, "running"))
			take_stats(c, old);
	}
}

/* ---- publishing (each takes mu) ---- */

static void publish_error(struct sw_docker_watch *w, const char *err)
{
	pthread_mutex_lock(&w->base.mu);
	bool news = !w->error || !w->loaded || strcmp(w->error, err);
	sw_watch_set_text(&w->error, err);
	w->loaded = true;
	if (news)
		w->base.generation++;
	pthread_mutex_unlock(&w->base.mu);
	if (news)
		sw_watch_wake(&w->base);
}

static void publish_list(struct sw_docker_watch *w, const struct sw_container_list *l, const char *engine)
{
	struct sw_container_list copy;
	sw_container_list_copy(&copy, l);
	pthread_mutex_lock(&w->base.mu);
	sw_container_stats_carry(&copy, &w->list);
	sw_container_list_free(&w->list);
	w->list = copy;
	sw_watch_set_text(&w->error, NULL);
	if (engine)
		sw_watch_set_text(&w->engine, engine);
	w->loaded = true;
	w->base.generation++;
	/* The stats reader waits for an engine that answers. */
	pthread_cond_broadcast(&w->base.cond);
	pthread_mutex_unlock(&w->base.mu);
	sw_watch_wake(&w->base);
}

static void publish_stats(struct sw_docker_watch *w, const struct sw_container_list *l)
{
	pthread_mutex_lock(&w->base.mu);
	for (size_t i = 0; i < l->n; i++) {
		struct sw_container *c = l->items[i].has_stats ? by_id(&w->list, l->items[i].id) : NULL;
		if (c)
			take_stats(c, &l->items[i]);
	}
	w->base.generation++;
	pthread_mutex_unlock(&w->base.mu);
	sw_watch_wake(&w->base);
}

static void publish_services(struct sw_docker_watch *w, struct sw_service_list *l, const char *err)
{
	pthread_mutex_lock(&w->base.mu);
	if (!err) {
		sw_service_list_free(&w->services);
		w->services = *l;
		*l = (struct sw_service_list){0};
		w->swarm = w->services.n > 0;
	}
	sw_watch_set_text(&w->services_error, err);
	w->base.generation++;
	pthread_mutex_unlock(&w->base.mu);
	sw_watch_wake(&w->base);
}

static void publish_note(struct sw_docker_watch *w, bool error, char *text)
{
	pthread_mutex_lock(&w->base.mu);
	free(w->note);
	w->note = text;
	w->note_error = error;
	w->note_generation++;
	w->base.generation++;
	pthread_mutex_unlock(&w->base.mu);
	sw_watch_wake(&w->base);
}

static void mark_dirty(struct sw_docker_watch *w, bool containers, bool services)
{
	pthread_mutex_lock(&w->base.mu);
	w->dirty |= containers;
	w->svc_dirty |= services;
	pthread_cond_broadcast(&w->base.cond);
	pthread_mutex_unlock(&w->base.mu);
}

/* ---- the events thread: connects (again), and says when to list ---- */

/* A container's event may be a task's (this node's), so the services are
 * listed again too; a service's or a node's changes no container. */
static int on_event(void *ud, const struct sw_docker_event *ev)
{
	mark_dirty(ud, !strcmp(ev->type, "container"), true);
	return 0;
}

static void wait_retry(struct sw_docker_watch *w)
{
	pthread_mutex_lock(&w->base.mu);
	int64_t until = sw_mono_ms() + RETRY_MS;
	while (!sw_watch_stopped(&w->base) && !w->retry_now && sw_mono_ms() < until)
		sw_watch_wait_ms(&w->base, (int)(until - sw_mono_ms()));
	w->retry_now = false;
	pthread_mutex_unlock(&w->base.mu);
}

static void *events_main(void *ud)
{
	struct sw_docker_watch *w = ud;
	while (!sw_watch_stopped(&w->base)) {
		struct sw_docker *d = NULL;
		char *err = NULL;
		if (!sw_docker_open(w->host, &d, &err)) {
			mark_dirty(w, true, true);
			sw_docker_events_swarm(d, on_event, w, &w->base.stop, &err);
			sw_docker_close(d);
		}
		if (sw_watch_stopped(&w->base)) {
			free(err);
			break;
		}
		if (err)
			publish_error(w, err);
		free(err);
		wait_retry(w);
	}
	return NULL;
}

/* ---- the lister: lists whenever the events said so ---- */

static bool wait_dirty(struct sw_docker_watch *w, bool *containers, bool *services)
{
	pthread_mutex_lock(&w->base.mu);
	while (!sw_watch_stopped(&w->base) && !w->dirty && !w->svc_dirty)
		pthread_cond_wait(&w->base.cond, &w->base.mu);
	/* Let the rest of a burst arrive: one list for all of it. */
	if (!sw_watch_stopped(&w->base))
		sw_watch_wait_ms(&w->base, COALESCE_MS);
	*containers = w->dirty;
	*services = w->svc_dirty;
	w->dirty = w->svc_dirty = false;
	pthread_mutex_unlock(&w->base.mu);
	return !sw_watch_stopped(&w->base);
}

static void list_services(struct sw_docker_watch *w, struct sw_docker *d)
{
	struct sw_service_list l;
	char *err = NULL;
	if (sw_swarm_services(d, &l, &err)) {
		publish_services(w, NULL, err);
		free(err);
		return;
	}
	publish_services(w, &l, NULL);
	sw_service_list_free(&l);
}

static void *lister_main(void *ud)
{
	struct sw_docker_watch *w = ud;
	struct sw_docker *d = NULL;
	bool containers, services;
	while (wait_dirty(w, &containers, &services)) {
		char *err = NULL;
		struct sw_container_list l = {0};
		if ((!d && sw_docker_open(w->host, &d, &err)) ||
		    (containers && sw_docker_list(d, NULL, true, &l, &err))) {
			publish_error(w, err);
			free(err);
			sw_docker_close(d);
			d = NULL;
			continue;
		}
		if (containers)
			publish_list(w, &l, sw_docker_engine(d));
		sw_container_list_free(&l);
		if (services)
			list_services(w, d);
	}
	sw_docker_close(d);
	return NULL;
}

/* ---- stats: every STATS_MS while visible and the engine answers ---- */

static bool wait_stats_due(struct sw_docker_watch *w, int64_t due)
{
	pthread_mutex_lock(&w->base.mu);
	for (;;) {
		if (sw_watch_stopped(&w->base))
			break;
		bool wanted = w->visible && w->loaded && !w->error;
		if (wanted && sw_mono_ms() >= due)
			break;
		if (wanted)
			sw_watch_wait_ms(&w->base, (int)(due - sw_mono_ms()));
		else
			pthread_cond_wait(&w->base.cond, &w->base.mu);
	}
	pthread_mutex_unlock(&w->base.mu);
	return !sw_watch_stopped(&w->base);
}

static void *stats_main(void *ud)
{
	struct sw_docker_watch *w = ud;
	struct sw_docker *d = NULL;
	int64_t due = 0;
	while (wait_stats_due(w, due)) {
		due = sw_mono_ms() + STATS_MS;
		char *err = NULL;
		struct sw_container_list l = {0};
		if ((!d && sw_docker_open(w->host, &d, &err)) || sw_docker_list(d, NULL, false, &l, &err) ||
		    sw_docker_stats(d, &l, &err)) {
			/* The lister and the events say what is wrong; stats just wait. */
			free(err);
			sw_container_list_free(&l);
			sw_docker_close(d);
			d = NULL;
			continue;
		}
		publish_stats(w, &l);
		sw_container_list_free(&l);
		/* Tasks on other nodes change with no event here: while someone
		 * looks, a swarm's services are listed at this tick too. */
		pthread_mutex_lock(&w->base.mu);
		bool swarm = w->swarm;
		pthread_mutex_unlock(&w->base.mu);
		if (swarm)
			mark_dirty(w, false, true);
	}
	sw_docker_close(d);
	return NULL;
}

/* ---- start and stop ---- */

struct sw_docker_watch *sw_docker_watch_start(const char *host)
{
	struct sw_docker_watch *w = xcalloc(1, sizeof *w);
	w->host = xstrdup(host);
	w->log_fd = -1;
	sw_watch_init(&w->base);
	pthread_create(&w->events_th, NULL, events_main, w);
	pthread_create(&w->lister_th, NULL, lister_main, w);
	pthread_create(&w->stats_th, NULL, stats_main, w);
	return w;
}

void sw_docker_watch_stop(struct sw_docker_watch *w)
{
	if (!w)
		return;
	sw_docker_watch_logs_stop(w);
	sw_watch_signal_stop(&w->base);
	pthread_join(w->events_th, NULL);
	pthread_join(w->lister_th, NULL);
	pthread_join(w->stats_th, NULL);
	if (w->act_started)
		pthread_join(w->act_th, NULL);
	sw_container_list_free(&w->list);
	sw_service_list_free(&w->services);
	free(w->services_error);
	free(w->engine);
	free(w->error);
	free(w->note);
	free(w->act_name);
	free(w->host);
	sw_watch_destroy(&w->base);
	free(w);
}

/* ---- what the face calls ---- */

int sw_docker_watch_fd(const struct sw_docker_watch *w)
{
	return w->base.wake[0];
}

void sw_docker_watch_drain(struct sw_docker_watch *w)
{
	sw_watch_drain(&w->base);
}

unsigned sw_docker_watch_generation(struct sw_docker_watch *w)
{
	return sw_watch_generation(&w->base);
}

void sw_docker_watch_snapshot(struct sw_docker_watch *w, struct sw_docker_snapshot *out)
{
	memset(out, 0, sizeof *out);
	pthread_mutex_lock(&w->base.mu);
	sw_container_list_copy(&out->list, &w->list);
	sw_service_list_copy(&out->services, &w->services);
	out->services_error = xstrdup_null(w->services_error);
	out->host = xstrdup(w->host);
	out->engine = xstrdup_null(w->engine);
	out->error = xstrdup_null(w->error);
	out->loaded = w->loaded;
	out->generation = w->base.generation;
	out->note = xstrdup_null(w->note);
	out->note_error = w->note_error;
	out->note_generation = w->note_generation;
	pthread_mutex_unlock(&w->base.mu);
}

void sw_docker_snapshot_free(struct sw_docker_snapshot *s)
{
	sw_container_list_free(&s->list);
	sw_service_list_free(&s->services);
	free(s->services_error);
	free(s->host);
	free(s->engine);
	free(s->error);
	free(s->note);
	memset(s, 0, sizeof *s);
}

void sw_docker_watch_visible(struct sw_docker_watch *w, bool visible)
{
	pthread_mutex_lock(&w->base.mu);
	if (w->visible != visible) {
		w->visible = visible;
		pthread_cond_broadcast(&w->base.cond);
	}
	pthread_mutex_unlock(&w->base.mu);
}

void sw_docker_watch_refresh(struct sw_docker_watch *w)
{
	pthread_mutex_lock(&w->base.mu);
	w->dirty = w->svc_dirty = w->retry_now = true;
	pthread_cond_broadcast(&w->base.cond);
	pthread_mutex_unlock(&w->base.mu);
}

/* ---- an action ---- */

static void *act_main(void *ud)
{
	struct sw_docker_watch *w = ud;
	pthread_mutex_lock(&w->base.mu);
	char *name = xstrdup(w->act_name);
	enum sw_docker_action a = w->act;
	pthread_mutex_unlock(&w->base.mu);
	struct sw_docker *d = NULL;
	char *err = NULL;
	bool already = false;
	if (sw_docker_open(w->host, &d, &err) || sw_docker_act(d, name, a, &already, &err))
		publish_note(w, true, err ? err : xasprintf("%s %s failed", sw_docker_action_name(a), name));
	else
		publish_note(w, false, sw_docker_act_outcome(name, a, already));
	sw_docker_close(d);
	free(name);
	pthread_mutex_lock(&w->base.mu);
	w->act_busy = false;
	w->dirty = true;
	pthread_cond_broadcast(&w->base.cond);
	pthread_mutex_unlock(&w->base.mu);
	return NULL;
}

int sw_docker_watch_act(struct sw_docker_watch *w, const char *name, enum sw_docker_action a, char **err)
{
	pthread_mutex_lock(&w->base.mu);
	if (w->act_busy) {
		*err = xasprintf("wait: %s %s is still under way", sw_docker_action_name(w->act), w->act_name);
		pthread_mutex_unlock(&w->base.mu);
		return -1;
	}
	w->act_busy = true;
	sw_watch_set_text(&w->act_name, name);
	w->act = a;
	pthread_mutex_unlock(&w->base.mu);
	/* The last one has ended (not busy): joining it is immediate. */
	if (w->act_started)
		pthread_join(w->act_th, NULL);
	pthread_create(&w->act_th, NULL, act_main, w);
	w->act_started = true;
	return 0;
}

/* ---- a followed log ---- */

static int on_log_line(void *ud, int stream, const char *line, size_t len)
{
	(void)stream;
	struct sw_docker_watch *w = ud;
	/* One write a line: the Log view never reads half of one. */
	char *buf = xmalloc(len + 1);
	memcpy(buf, line, len);
	buf[len] = '\n';
	ssize_t r = write(w->log_fd, buf, len + 1);
	(void)r;
	free(buf);
	sw_watch_wake(&w->base);
	return 0;
}

static void *log_main(void *ud)
{
	struct sw_docker_watch *w = ud;
	struct sw_docker *d = NULL;
	char *err = NULL;
	/* log_name, log_tail and log_fd are set before the thread starts and
	 * changed only after it was joined. */
	if (sw_docker_open(w->host, &d, &err) ||
	    sw_docker_logs(d, w->log_name, w->log_tail, true, on_log_line, w, &w->log_stop, &err)) {
		if (!__atomic_load_n(&w->log_stop, __ATOMIC_SEQ_CST))
			publish_note(w, true, err ? err : xasprintf("the log of %s could not be read", w->log_name));
		else
			free(err);
	} else if (!__atomic_load_n(&w->log_stop, __ATOMIC_SEQ_CST)) {
		publish_note(w, false, xasprintf("the log of %s ended: the container stopped", w->log_name));
	}
	sw_docker_close(d);
	return NULL;
}

void sw_docker_watch_logs(struct sw_docker_watch *w, const char *name, long tail, int fd)
{
	sw_docker_watch_logs_stop(w);
	__atomic_store_n(&w->log_stop, 0, __ATOMIC_SEQ_CST);
	sw_watch_set_text(&w->log_name, name);
	w->log_tail = tail;
	w->log_fd = fd;
	pthread_create(&w->log_th, NULL, log_main, w);
	w->log_started = true;
}

void sw_docker_watch_logs_stop(struct sw_docker_watch *w)
{
	if (!w->log_started)
		return;
	__atomic_store_n(&w->log_stop, 1, __ATOMIC_SEQ_CST);
	pthread_join(w->log_th, NULL);
	w->log_started = false;
	w->log_fd = -1;
	sw_watch_set_text(&w->log_name, NULL);
}
