/* The live Sentry model: a lister that reads the unresolved issues page by
 * page (publishing each page as it comes) and again every minute while
 * visible, a short-lived thread for one triage, and a reader, started at
 * its first request, of an issue's latest event or of release notes'
 * Sentry part.  Each thread has its own client;
 * everything they share is under one mutex, and the face is woken through
 * a pipe. */
#include "slipway/sentry_watch.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/watch.h"
#include "slipway/release_notes.h"
#include "slipway/util.h"

#define REFRESH_MS 60000	/* while visible, the list is read again this often */
#define RETRY_MS 10000		/* a Sentry that failed is tried again this often */
/* Issues the panel holds at most (100 requests): a project with more has
 * its title say so ("+"); the CLI's default is 1000. */
#define LIST_LIMIT 10000

struct sw_sentry_watch {
	struct sw_sentry_settings settings;
	bool configured;
	struct sw_watch base;

	/* Under mu. */
	struct sw_sentry_issue_list list;
	char *project, *missing, *error;
	bool loaded, complete;
	bool refresh_now, visible;
	char *note;
	bool note_error;
	unsigned note_generation;
	bool triage_busy;
	char *triage_id, *triage_short, *triage_status;

	/* The reader's request not taken yet (fd -1: none): an issue's latest
	 * event, or release notes' Sentry part; whether one is being read, and
	 * that one's stop (atomic, stored under mu). */
	char *read_issue;
	struct sw_release_notes *read_notes;
	int read_fd;
	bool read_running;
	int read_abort;

	pthread_t lister_th, triage_th, reader_th;
	bool triage_started, reader_started;	/* touched by the face's thread only */
};

/* ---- the pure parts ---- */

void sw_sentry_issues_append(struct sw_sentry_issue_list *l, const struct sw_sentry_issue *items, size_t n)
{
	if (!n)
		return;
	l->items = xrealloc(l->items, (l->n + n) * sizeof *l->items);
	for (size_t k = 0; k < n; k++) {
		struct sw_sentry_issue *d = &l->items[l->n + k];
		const struct sw_sentry_issue *s = &items[k];
		*d = *s;
		d->id = xstrdup_null(s->id);
		d->short_id = xstrdup_null(s->short_id);
		d->title = xstrdup_null(s->title);
		d->culprit = xstrdup_null(s->culprit);
		d->level = xstrdup_null(s->level);
		d->status = xstrdup_null(s->status);
		d->permalink = xstrdup_null(s->permalink);
		d->first_seen = xstrdup_null(s->first_seen);
		d->last_seen = xstrdup_null(s->last_seen);
	}
	l->n += n;
}

bool sw_sentry_issues_drop(struct sw_sentry_issue_list *l, const char *id)
{
	for (size_t k = 0; k < l->n; k++) {
		if (!l->items[k].id || strcmp(l->items[k].id, id))
			continue;
		/* Freed through a one-issue list: the list owns the fields' frees. */
		struct sw_sentry_issue_list one = {xmalloc(sizeof *one.items), 1, false};
		one.items[0] = l->items[k];
		sw_sentry_issue_list_free(&one);
		memmove(&l->items[k], &l->items[k + 1], (l->n - k - 1) * sizeof *l->items);
		l->n--;
		return true;
	}
	return false;
}

struct keyed {
	long long key;
	size_t pos, idx;
};

static int by_key(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	if (x->key != y->key)
		return x->key > y->key ? -1 : 1;
	/* qsort is not stable: the position before sorting breaks ties. */
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

void sw_sentry_issues_order(size_t *idx, size_t n, const struct sw_sentry_issue *items, enum sw_sentry_order o)
{
	if (n < 2)
		return;
	/* Keys once, not once a comparison: a last seen is parsed text. */
	struct keyed *k = xcalloc(n, sizeof *k);
	for (size_t i = 0; i < n; i++) {
		const struct sw_sentry_issue *it = &items[idx[i]];
		k[i].key = o == SW_SENTRY_BY_COUNT ? it->count : (long long)sw_sentry_time(it->last_seen);
		k[i].pos = i;
		k[i].idx = idx[i];
	}
	qsort(k, n, sizeof *k, by_key);
	for (size_t i = 0; i < n; i++)
		idx[i] = k[i].idx;
	free(k);
}

/* ---- publishing (each takes mu) ---- */

static void publish_note(struct sw_sentry_watch *w, bool error, char *text)
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

static void on_client_note(void *ud, const char *msg)
{
	publish_note(ud, false, xstrdup(msg));
}

static void publish_error(struct sw_sentry_watch *w, const char *err)
{
	pthread_mutex_lock(&w->base.mu);
	sw_watch_set_text(&w->error, err);
	w->loaded = true;
	w->complete = true;
	w->base.generation++;
	pthread_mutex_unlock(&w->base.mu);
	sw_watch_wake(&w->base);
}

/* The first page of a listing replaces what was shown; the others add to it. */
static void publish_page(struct sw_sentry_watch *w, const struct sw_sentry_issue *items, size_t n, bool first)
{
	pthread_mutex_lock(&w->base.mu);
	if (first) {
		sw_sentry_issue_list_free(&w->list);
		sw_watch_set_text(&w->error, NULL);
	}
	sw_sentry_issues_append(&w->list, items, n);
	w->loaded = true;
	w->complete = false;
	w->base.generation++;
	pthread_mutex_unlock(&w->base.mu);
	sw_watch_wake(&w->base);
}

/* The whole list, replacing what was shown (the same issues after a first listing). */
static void publish_done(struct sw_sentry_watch *w, const struct sw_sentry_issue_list *all)
{
	pthread_mutex_lock(&w->base.mu);
	sw_sentry_issue_list_free(&w->list);
	sw_sentry_issues_append(&w->list, all->items, all->n);
	w->list.more = all->more;
	sw_watch_set_text(&w->error, NULL);
	w->loaded = w->complete = true;
	w->base.generation++;
	pthread_mutex_unlock(&w->base.mu);
	sw_watch_wake(&w->base);
}

/* ---- the lister ---- */

struct listing {
	struct sw_sentry_watch *w;
	bool progressive;	/* each page published as it comes */
	bool any_page;
};

static int on_page(void *ud, const struct sw_sentry_issue *items, size_t n)
{
	struct listing *l = ud;
	if (sw_watch_stopped(&l->w->base))
		return 1;
	if (l->progressive)
		publish_page(l->w, items, n, !l->any_page);
	l->any_page = true;
	return 0;
}

/* Page by page only while there is no whole list to show: a refresh of a
 * shown list swaps it at once, rather than shrinking it to one page. */
static bool wants_pages(struct sw_sentry_watch *w)
{
	pthread_mutex_lock(&w->base.mu);
	bool whole = w->loaded && w->complete && !w->error;
	pthread_mutex_unlock(&w->base.mu);
	return !whole;
}

/* Returns whether it worked (for when to list again). */
static bool list_once(struct sw_sentry_watch *w, struct sw_sentry *c)
{
	struct sw_sentry_query q = {.sort = "date", .limit = LIST_LIMIT};
	struct listing l = {w, wants_pages(w), false};
	struct sw_sentry_issue_list all = {0};
	char *err = NULL;
	int rc = sw_sentry_issues(c, &q, on_page, &l, &all, &err);
	if (sw_watch_stopped(&w->base))
		;
	else if (rc)
		publish_error(w, err);
	else
		publish_done(w, &all);
	free(err);
	sw_sentry_issue_list_free(&all);
	return rc == 0;
}

/* Until R, or the list is due and visible, or the stop. */
static bool wait_due(struct sw_sentry_watch *w, int64_t due)
{
	pthread_mutex_lock(&w->base.mu);
	while (!sw_watch_stopped(&w->base) && !w->refresh_now && !(w->visible && sw_mono_ms() >= due)) {
		if (w->visible)
			sw_watch_wait_ms(&w->base, due - sw_mono_ms());
		else
			pthread_cond_wait(&w->base.cond, &w->base.mu);
	}
	w->refresh_now = false;
	pthread_mutex_unlock(&w->base.mu);
	return !sw_watch_stopped(&w->base);
}

static void *lister_main(void *ud)
{
	struct sw_sentry_watch *w = ud;
	struct sw_sentry *c = sw_sentry_new(&w->settings, on_client_note, w);
	sw_sentry_set_abort(c, &w->base.stop);
	int64_t due = 0;
	while (wait_due(w, due))
		due = sw_mono_ms() + (list_once(w, c) ? REFRESH_MS : RETRY_MS);
	sw_sentry_free(c);
	return NULL;
}

static void drop_request(struct sw_sentry_watch *w);

/* ---- start and stop ---- */

static void load_settings(struct sw_sentry_watch *w, struct sw_repo *repo)
{
	char *err = NULL;
	w->loaded = true;
	w->complete = true;
	if (sw_sentry_settings_load(repo, &w->settings, &err)) {
		w->missing = xasprintf("Sentry is not configured: %s", err);
		free(err);
		return;
	}
	w->missing = sw_sentry_missing(&w->settings);
	if (w->missing)
		return;
	w->configured = true;
	w->loaded = w->complete = false;
	w->project = xasprintf("%s/%s", w->settings.org, w->settings.project);
}

struct sw_sentry_watch *sw_sentry_watch_start(struct sw_repo *repo)
{
	struct sw_sentry_watch *w = xcalloc(1, sizeof *w);
	sw_watch_init(&w->base);
	w->read_fd = -1;
	load_settings(w, repo);
	if (w->configured) {
		/* The first listing starts at once, visible or not. */
		w->refresh_now = true;
		pthread_create(&w->lister_th, NULL, lister_main, w);
	}
	return w;
}

void sw_sentry_watch_stop(struct sw_sentry_watch *w)
{
	if (!w)
		return;
	sw_watch_signal_stop(&w->base);
	/* After the stop flag: a reader taking a request now sees the flag. */
	__atomic_store_n(&w->read_abort, 1, __ATOMIC_SEQ_CST);
	if (w->configured)
		pthread_join(w->lister_th, NULL);
	if (w->triage_started)
		pthread_join(w->triage_th, NULL);
	if (w->reader_started)
		pthread_join(w->reader_th, NULL);
	drop_request(w);
	sw_sentry_issue_list_free(&w->list);
	sw_sentry_settings_free(&w->settings);
	free(w->project);
	free(w->missing);
	free(w->error);
	free(w->note);
	free(w->triage_id);
	free(w->triage_short);
	free(w->triage_status);
	sw_watch_destroy(&w->base);
	free(w);
}

/* ---- what the face calls ---- */

int sw_sentry_watch_fd(const struct sw_sentry_watch *w)
{
	return w->base.wake[0];
}

void sw_sentry_watch_drain(struct sw_sentry_watch *w)
{
	sw_watch_drain(&w->base);
}

unsigned sw_sentry_watch_generation(struct sw_sentry_watch *w)
{
	return sw_watch_generation(&w->base);
}

void sw_sentry_watch_snapshot(struct sw_sentry_watch *w, struct sw_sentry_snapshot *out)
{
	memset(out, 0, sizeof *out);
	pthread_mutex_lock(&w->base.mu);
	sw_sentry_issues_append(&out->list, w->list.items, w->list.n);
	out->list.more = w->list.more;
	out->project = xstrdup_null(w->project);
	out->missing = xstrdup_null(w->missing);
	out->error = xstrdup_null(w->error);
	out->loaded = w->loaded;
	out->complete = w->complete;
	out->generation = w->base.generation;
	out->note = xstrdup_null(w->note);
	out->note_error = w->note_error;
	out->note_generation = w->note_generation;
	pthread_mutex_unlock(&w->base.mu);
}

void sw_sentry_snapshot_free(struct sw_sentry_snapshot *s)
{
	sw_sentry_issue_list_free(&s->list);
	free(s->project);
	free(s->missing);
	free(s->error);
	free(s->note);
	memset(s, 0, sizeof *s);
}

void sw_sentry_watch_visible(struct sw_sentry_watch *w, bool visible)
{
	pthread_mutex_lock(&w->base.mu);
	if (w->visible != visible) {
		w->visible = visible;
		pthread_cond_broadcast(&w->base.cond);
	}
	pthread_mutex_unlock(&w->base.mu);
}

void sw_sentry_watch_refresh(struct sw_sentry_watch *w)
{
	pthread_mutex_lock(&w->base.mu);
	w->refresh_now = true;
	pthread_cond_broadcast(&w->base.cond);
	pthread_mutex_unlock(&w->base.mu);
}

/* ---- triage ---- */

static void triage_done(struct sw_sentry_watch *w, const char *id, bool ok, char *note)
{
	pthread_mutex_lock(&w->base.mu);
	if (ok && sw_sentry_issues_drop(&w->list, id))
		w->base.generation++;
	w->triage_busy = false;
	pthread_mutex_unlock(&w->base.mu);
	publish_note(w, !ok, note);
}

static void *triage_main(void *ud)
{
	struct sw_sentry_watch *w = ud;
	/* Set before the thread started, changed only after it ended (busy). */
	pthread_mutex_lock(&w->base.mu);
	char *id = xstrdup(w->triage_id), *short_id = xstrdup(w->triage_short), *st = xstrdup(w->triage_status);
	pthread_mutex_unlock(&w->base.mu);
	struct sw_sentry *c = sw_sentry_new(&w->settings, on_client_note, w);
	sw_sentry_set_abort(c, &w->base.stop);
	char *err = NULL;
	if (sw_sentry_issue_set_status(c, id, st, &err))
		triage_done(w, id, false, err ? err : xasprintf("%s: Sentry did not take \"%s\"", short_id, st));
	else
		triage_done(w, id, true, xasprintf("%s %s", short_id, st));
	sw_sentry_free(c);
	free(id);
	free(short_id);
	free(st);
	return NULL;
}

int sw_sentry_watch_triage(struct sw_sentry_watch *w, const char *id, const char *short_id, const char *status,
			   char **err)
{
	if (!w->configured) {
		*err = xstrdup(w->missing);
		return -1;
	}
	pthread_mutex_lock(&w->base.mu);
	if (w->triage_busy) {
		*err = xasprintf("wait: %s is still being marked %s", w->triage_short, w->triage_status);
		pthread_mutex_unlock(&w->base.mu);
		return -1;
	}
	w->triage_busy = true;
	sw_watch_set_text(&w->triage_id, id);
	sw_watch_set_text(&w->triage_short, short_id);
	sw_watch_set_text(&w->triage_status, status);
	pthread_mutex_unlock(&w->base.mu);
	/* The last one has ended (not busy): joining it is immediate. */
	if (w->triage_started)
		pthread_join(w->triage_th, NULL);
	pthread_create(&w->triage_th, NULL, triage_main, w);
	w->triage_started = true;
	return 0;
}

/* ---- the reader: an issue's latest event, release notes' Sentry part ---- */

static void write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

static bool read_given_up(struct sw_sentry_watch *w)
{
	return __atomic_load_n(&w->read_abort, __ATOMIC_SEQ_CST) != 0;
}

static void read_event(struct sw_sentry_watch *w, struct sw_sentry *c, const char *id, struct sbuf *out)
{
	struct sw_sentry_event e;
	char *err = NULL;
	if (sw_sentry_latest_event(c, id, &e, &err) == 0) {
		sw_sentry_event_text(&e, out);
		sw_sentry_event_free(&e);
	} else if (!read_given_up(w)) {
		sbuf_addf(out, "latest event: %s\n", err ? err : "Sentry did not give it");
	}
	free(err);
}

static void read_notes(struct sw_sentry *c, struct sw_release_notes *n, struct sbuf *out)
{
	sw_release_notes_sentry(c, n);
	sw_release_notes_sentry_text(n, SW_NOTES_TEXT, out);
}

/* A request given up (replaced, its view closed, the model stopped)
 * writes nothing: no one reads it. */
static void answer(struct sw_sentry_watch *w, struct sw_sentry *c, char *issue, struct sw_release_notes *notes, int fd)
{
	struct sbuf sb;
	sbuf_init(&sb);
	if (issue)
		read_event(w, c, issue, &sb);
	else
		read_notes(c, notes, &sb);
	if (!read_given_up(w))
		write_all(fd, sb.buf, sb.len);
	sbuf_free(&sb);
	close(fd);
	free(issue);
	if (notes)
		sw_release_notes_free(notes);
	free(notes);
}

static void *reader_main(void *ud)
{
	struct sw_sentry_watch *w = ud;
	struct sw_sentry *c = sw_sentry_new(&w->settings, on_client_note, w);
	sw_sentry_set_abort(c, &w->read_abort);
	pthread_mutex_lock(&w->base.mu);
	for (;;) {
		while (!sw_watch_stopped(&w->base) && w->read_fd < 0)
			pthread_cond_wait(&w->base.cond, &w->base.mu);
		if (sw_watch_stopped(&w->base))
			break;
		char *issue = w->read_issue;
		struct sw_release_notes *notes = w->read_notes;
		int fd = w->read_fd;
		w->read_issue = NULL;
		w->read_notes = NULL;
		w->read_fd = -1;
		w->read_running = true;
		__atomic_store_n(&w->read_abort, 0, __ATOMIC_SEQ_CST);
		pthread_mutex_unlock(&w->base.mu);
		answer(w, c, issue, notes, fd);
		sw_watch_wake(&w->base);
		pthread_mutex_lock(&w->base.mu);
		w->read_running = false;
	}
	pthread_mutex_unlock(&w->base.mu);
	sw_sentry_free(c);
	return NULL;
}

/* Under mu (or once the reader has ended): the waiting request dropped,
 * the running one told to stop. */
static void drop_request(struct sw_sentry_watch *w)
{
	if (w->read_fd >= 0)
		close(w->read_fd);
	w->read_fd = -1;
	free(w->read_issue);
	w->read_issue = NULL;
	if (w->read_notes)
		sw_release_notes_free(w->read_notes);
	free(w->read_notes);
	w->read_notes = NULL;
	if (w->read_running)
		__atomic_store_n(&w->read_abort, 1, __ATOMIC_SEQ_CST);
}

/* One request in the reader's slot; fd is answered at once when Sentry
 * is not configured. */
static void ask_reader(struct sw_sentry_watch *w, char *issue, struct sw_release_notes *notes, int fd)
{
	if (!w->configured) {
		char *m = xasprintf("%s: %s\n", issue ? "latest event" : "sentry", w->missing);
		write_all(fd, m, strlen(m));
		free(m);
		close(fd);
		free(issue);
		free(notes);
		return;
	}
	pthread_mutex_lock(&w->base.mu);
	drop_request(w);
	w->read_issue = issue;
	w->read_notes = notes;
	w->read_fd = fd;
	pthread_cond_broadcast(&w->base.cond);
	pthread_mutex_unlock(&w->base.mu);
	if (!w->reader_started) {
		pthread_create(&w->reader_th, NULL, reader_main, w);
		w->reader_started = true;
	}
}

void sw_sentry_watch_event(struct sw_sentry_watch *w, const char *id, int fd)
{
	ask_reader(w, xstrdup(id), NULL, fd);
}

void sw_sentry_watch_notes(struct sw_sentry_watch *w, const struct sw_release_notes *n, int fd)
{
	/* Sentry's part needs only the release and its times. */
	struct sw_release_notes *copy = xcalloc(1, sizeof *copy);
	memcpy(copy->to, n->to, sizeof copy->to);
	copy->deployed_ms = n->deployed_ms;
	copy->previous_ms = n->previous_ms;
	copy->replaced_ms = n->replaced_ms;
	ask_reader(w, NULL, copy, fd);
}

void sw_sentry_watch_read_cancel(struct sw_sentry_watch *w)
{
	pthread_mutex_lock(&w->base.mu);
	drop_request(w);
	pthread_mutex_unlock(&w->base.mu);
}

bool sw_sentry_watch_read_busy(struct sw_sentry_watch *w)
{
	pthread_mutex_lock(&w->base.mu);
	bool busy = w->read_fd >= 0 || w->read_running;
	pthread_mutex_unlock(&w->base.mu);
	return busy;
}
