/* The Sentry panel: one row an unresolved issue (level, events, users, age
 * since last seen, short id, a mark when it is new in the serving release,
 * title), sorted by last seen or by count, filtered by title; Enter shows
 * one's details in the Log view, its latest event's stack frames appended
 * when the core has read them.  The list is the core's live model
 * (slipway/sentry_watch.h) and what is new the core's rule: this file only
 * draws its snapshots and hands it the keys. */
#include "view_sentry.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "slipway/deploy.h"
#include "slipway/sentry_watch.h"
#include "tui.h"
#include "view_log.h"

struct sentry {
	struct sw_sentry_watch *w;
	struct sw_sentry_snapshot snap;
	unsigned note_seen;
	size_t *rows;		/* indices into snap.list, filtered and ordered */
	size_t nrows;
	enum sw_sentry_order order;
	char *filter;
	time_t since;		/* the serving release's deploy (0: none): what is new is marked */
	size_t nnew;		/* issues of the snapshot new since then */
};

static struct tui_view *view(struct tui *t)
{
	return &t->views[TUI_V_SENTRY];
}

static struct sentry *state(struct tui *t)
{
	return view(t)->data;
}

static const struct sw_sentry_issue *selected(struct tui *t)
{
	struct sentry *s = state(t);
	int k = view(t)->selected;
	if (!s || s->snap.missing || k < 0 || (size_t)k >= s->nrows)
		return NULL;
	return &s->snap.list.items[s->rows[k]];
}

/* ---- rows from a snapshot ---- */

static bool passes(const struct sentry *s, const struct sw_sentry_issue *i)
{
	return !s->filter || (i->title && strstr(i->title, s->filter));
}

static void build_rows(struct sentry *s)
{
	free(s->rows);
	s->rows = s->snap.list.n ? xcalloc(s->snap.list.n, sizeof *s->rows) : NULL;
	s->nrows = 0;
	for (size_t i = 0; i < s->snap.list.n; i++)
		if (passes(s, &s->snap.list.items[i]))
			s->rows[s->nrows++] = i;
	sw_sentry_issues_order(s->rows, s->nrows, s->snap.list.items, s->order);
}

/* The selection stays on the same issue when the list changes. */
static void reselect(struct tui *t, const char *id)
{
	struct sentry *s = state(t);
	for (size_t i = 0; id && i < s->nrows; i++)
		if (!strcmp(s->snap.list.items[s->rows[i]].id, id)) {
			view(t)->selected = (int)i;
			return;
		}
	if (view(t)->selected >= (int)s->nrows)
		view(t)->selected = s->nrows ? (int)s->nrows - 1 : 0;
}

/* Rebuilds the rows (after a snapshot, a filter, a sort), keeping the selection. */
static void rebuild(struct tui *t, bool take)
{
	struct sentry *s = state(t);
	const struct sw_sentry_issue *sel = selected(t);
	char *id = sel ? xstrdup(sel->id) : NULL;
	if (take) {
		sw_sentry_snapshot_free(&s->snap);
		sw_sentry_watch_snapshot(s->w, &s->snap);
		/* A whole listing (every minute while shown) also looks for a
		 * deploy made since: the journal is read once, not per page. */
		if (s->snap.complete)
			s->since = sw_deploy_regressions_since(t->repo, t->store, NULL);
		s->nnew = sw_sentry_count_new_since(s->snap.list.items, s->snap.list.n, s->since);
	}
	build_rows(s);
	reselect(t, id);
	free(id);
	if (s->snap.note && s->snap.note_generation != s->note_seen) {
		s->note_seen = s->snap.note_generation;
		tui_set_status(t, s->snap.note_error, "%s", s->snap.note);
	}
}

/* ---- opening ---- */

static struct sentry *open_model(struct tui *t)
{
	struct sentry *s = state(t);
	if (s)
		return s;
	s = xcalloc(1, sizeof *s);
	view(t)->data = s;
	s->w = sw_sentry_watch_start(t->repo);
	s->since = sw_deploy_regressions_since(t->repo, t->store, NULL);
	rebuild(t, true);
	return s;
}

void tui_sentry_notes(struct tui *t, const struct sw_release_notes *n, int fd)
{
	sw_sentry_watch_notes(open_model(t)->w, n, fd);
}

void tui_sentry_read_cancel(struct tui *t)
{
	if (state(t))
		sw_sentry_watch_read_cancel(state(t)->w);
}

unsigned tui_sentry_toggle(struct tui *t)
{
	open_model(t);
	return tui_panel_toggle(t, view(t));
}

bool tui_sentry_current(struct tui *t)
{
	return state(t) && tui_panel_current(t, view(t));
}

int tui_sentry_fd(struct tui *t)
{
	return state(t) ? sw_sentry_watch_fd(state(t)->w) : -1;
}

/* A log the model feeds may be open: an issue's details, release notes. */
static bool log_shown(struct tui *t)
{
	return t->overlay == &t->views[TUI_V_LOG];
}

unsigned tui_sentry_event(struct tui *t)
{
	struct sentry *s = state(t);
	if (!s)
		return 0;
	sw_sentry_watch_drain(s->w);
	unsigned r = 0;
	/* What the reader read may have come into the log. */
	if (log_shown(t)) {
		tui_log_update(t);
		r |= TUI_REDRAW_BODY;
	}
	if (sw_sentry_watch_generation(s->w) == s->snap.generation)
		return r;
	unsigned note = s->note_seen;
	rebuild(t, true);
	return r | TUI_REDRAW_ALL | (note != s->note_seen ? TUI_REDRAW_STATUS : 0);
}

void tui_sentry_shown(struct tui *t, bool shown)
{
	if (state(t))
		sw_sentry_watch_visible(state(t)->w, shown);
}

bool tui_sentry_settled(struct tui *t)
{
	struct sentry *s = state(t);
	if (!s)
		return true;
	if (sw_sentry_watch_generation(s->w) != s->snap.generation)
		rebuild(t, true);
	if (sw_sentry_watch_read_busy(s->w))
		return false;
	if (log_shown(t))
		tui_log_update(t);
	return s->snap.loaded && s->snap.complete;
}

void tui_sentry_filter(struct tui *t, const char *filter)
{
	struct sentry *s = state(t);
	if (!s)
		return;
	free(s->filter);
	s->filter = filter && *filter ? xstrdup(filter) : NULL;
	rebuild(t, false);
}

void tui_sentry_refresh(struct tui *t)
{
	if (state(t))
		sw_sentry_watch_refresh(state(t)->w);
}

unsigned tui_sentry_toggle_sort(struct tui *t)
{
	struct sentry *s = tui_sentry_current(t) ? state(t) : NULL;
	if (!s) {
		tui_set_status(t, true, "nothing to sort here: E opens the Sentry panel");
		return TUI_REDRAW_STATUS;
	}
	s->order = s->order == SW_SENTRY_BY_COUNT ? SW_SENTRY_BY_LAST_SEEN : SW_SENTRY_BY_COUNT;
	build_rows(s);
	/* A new order is read from its top, not from where the selection went. */
	view(t)->selected = view(t)->top = 0;
	return TUI_REDRAW_ALL;
}

unsigned tui_sentry_copy(struct tui *t)
{
	const struct sw_sentry_issue *i = selected(t);
	if (i && i->permalink && *i->permalink)
		tui_copy(t, "permalink", i->permalink);
	else if (i)
		tui_set_status(t, true, "%s has no permalink", i->short_id);
	return TUI_REDRAW_STATUS;
}

/* ---- triage ---- */

unsigned tui_sentry_ask(struct tui *t, const char *status)
{
	const struct sw_sentry_issue *i = tui_sentry_current(t) ? selected(t) : NULL;
	if (!i) {
		tui_set_status(t, true, "no issue selected: E opens the Sentry panel");
		return TUI_REDRAW_STATUS;
	}
	if (t->settings.read_only) {
		tui_set_status(t, true, "read-only: marking issues %s is refused", status);
		return TUI_REDRAW_STATUS;
	}
	return tui_confirm_issue(t, i->short_id, status);
}

/* By short id: the list may have changed while the question was asked. */
static const struct sw_sentry_issue *by_short_id(struct sentry *s, const char *short_id)
{
	for (size_t i = 0; i < s->snap.list.n; i++)
		if (s->snap.list.items[i].short_id && !strcmp(s->snap.list.items[i].short_id, short_id))
			return &s->snap.list.items[i];
	return NULL;
}

unsigned tui_sentry_triage(struct tui *t, const char *short_id, const char *status)
{
	struct sentry *s = state(t);
	const struct sw_sentry_issue *i = s ? by_short_id(s, short_id) : NULL;
	char *err = NULL;
	if (!i)
		tui_set_status(t, true, "%s is no longer listed", short_id);
	else if (t->settings.read_only)
		tui_set_status(t, true, "read-only: marking issues %s is refused", status);
	else if (sw_sentry_watch_triage(s->w, i->id, short_id, status, &err)) {
		tui_set_status(t, true, "%s", err);
		free(err);
	} else
		tui_set_status(t, false, "marking %s %s%s", short_id, status, tui_glyph(t, TUI_G_ELLIPSIS));
	return TUI_REDRAW_STATUS;
}

/* ---- details, in the Log view ---- */

/* The details closed: the latest event is no longer wanted. */
static void release_details(struct tui *t)
{
	tui_sentry_read_cancel(t);
}

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

/* Whether it came with the serving release, by the core's rule. */
static void write_release(int fd, const struct sw_sentry_issue *i, time_t since)
{
	char at[32];
	if (!since)
		return;
	sw_iso_time(since, at);
	if (sw_sentry_issue_new_since(i, since))
		dprintf(fd, "regression  yes: first seen since the deploy at %s\n", at);
	else
		dprintf(fd, "regression  no: first seen before the deploy at %s\n", at);
}

static void write_details(int fd, const struct sw_sentry_issue *i, time_t since)
{
	/* The Log view neutralises what it draws: the title goes as it came. */
	dprintf(fd, "%s\n\n", or_dash(i->title));
	dprintf(fd, "short id    %s\n", or_dash(i->short_id));
	dprintf(fd, "level       %s\n", or_dash(i->level));
	dprintf(fd, "status      %s\n", or_dash(i->status));
	dprintf(fd, "culprit     %s\n", or_dash(i->culprit));
	dprintf(fd, "events      %lld\n", i->count);
	dprintf(fd, "users       %lld\n", i->user_count);
	dprintf(fd, "first seen  %s\n", or_dash(i->first_seen));
	dprintf(fd, "last seen   %s\n", or_dash(i->last_seen));
	dprintf(fd, "permalink   %s\n", or_dash(i->permalink));
	write_release(fd, i, since);
}

static unsigned enter(struct tui *t, struct tui_view *v)
{
	const struct sw_sentry_issue *i = selected(t);
	if (!i)
		return TUI_HANDLED;
	int fd = tui_log_scratch();
	if (fd < 0) {
		tui_set_status(t, true, "cannot make a file for the details of %s: %m", i->short_id);
		return TUI_REDRAW_STATUS;
	}
	write_details(fd, i, state(t)->since);
	/* The core reads the event on a thread and appends its frames through
	 * a descriptor of its own; the Log view follows the file's growth. */
	int feed = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (feed >= 0)
		dprintf(fd, "\nlatest event: asking Sentry...\n");
	else
		dprintf(fd, "\nlatest event: not asked (%m)\n");
	char *title = xasprintf("issue %s", or_dash(i->short_id));
	char *id = xstrdup(i->id);
	tui_log_open_fd(t, fd, title, release_details, t->overlay == v ? v : NULL);
	if (feed >= 0)
		sw_sentry_watch_event(state(t)->w, id, feed);
	free(id);
	free(title);
	return TUI_REDRAW_ALL;
}

/* ---- drawing ---- */

struct level_look {
	const char *name;
	const char *letter;	/* says the level on mono, NO_COLOR and ASCII screens */
	enum tui_color color;
};

static struct level_look level_of(const char *level)
{
	static const struct level_look looks[] = {
		{"fatal", "F", TUI_C_FAILED}, {"error", "E", TUI_C_FAILED}, {"warning", "W", TUI_C_RUNNING},
		{"info", "I", TUI_C_PASSED}, {"debug", "D", TUI_C_DIM},
	};
	for (size_t k = 0; level && k < sizeof looks / sizeof *looks; k++)
		if (!strcmp(looks[k].name, level))
			return looks[k];
	return (struct level_look){level && *level ? level : "?", "?", TUI_C_DIM};
}

/* Column starts, the same for the header and the rows; the mark's column
 * (-1 without one) only once a release was deployed. */
struct cols {
	int level, count, users, age, id, mark, title, id_w;
};

static struct cols columns(struct tui_rect r, const struct sentry *s)
{
	struct cols c;
	c.level = r.x + 2;
	c.count = c.level + 10;
	c.users = c.count + 8;
	c.age = c.users + 6;
	c.id = c.age + 5;
	c.id_w = r.w >= 120 ? 22 : 16;
	c.mark = s->since ? c.id + c.id_w + 1 : -1;
	c.title = c.id + c.id_w + 1 + (s->since ? 2 : 0);
	return c;
}

static void draw_row(struct tui *t, struct tui_view *v, long row, int y, struct tui_rect r, bool sel)
{
	struct sentry *s = v->data;
	const struct sw_sentry_issue *i = &s->snap.list.items[s->rows[row]];
	enum tui_color base = sel ? TUI_C_SELECTED : TUI_C_NORMAL;
	struct level_look lv = level_of(i->level);
	struct cols c = columns(r, s);
	char buf[32];
	tui_fill(y, r.x, r.w, base);
	if (sel)
		tui_mark_selected(t, y, r.x, true);
	tui_put(t, y, c.level, 1, sel ? base : lv.color, lv.letter);
	tui_put(t, y, c.level + 2, 7, sel ? base : lv.color, lv.name);
	snprintf(buf, sizeof buf, "%7lld", i->count);
	tui_put(t, y, c.count, 7, base, buf);
	snprintf(buf, sizeof buf, "%5lld", i->user_count);
	tui_put(t, y, c.users, 5, base, buf);
	sw_sentry_age(i->last_seen, buf, sizeof buf);
	tui_put(t, y, c.age, 4, base, buf);
	tui_put_cut(t, y, c.id, c.id_w, base, i->short_id ? i->short_id : "");
	/* A glyph, not a colour alone: mono and NO_COLOR screens show it too. */
	if (c.mark >= 0 && sw_sentry_issue_new_since(i, s->since))
		tui_put(t, y, c.mark, 1, sel ? base : TUI_C_FAILED, tui_glyph(t, TUI_G_NEW));
	tui_put_cut(t, y, c.title, r.x + r.w - c.title - 1, base, i->title ? i->title : "");
}

static void header(struct tui *t, const struct sentry *s, int y, struct tui_rect r)
{
	struct cols c = columns(r, s);
	tui_fill(y, r.x, r.w, TUI_C_NORMAL);
	tui_put(t, y, c.level + 2, 7, TUI_C_DIM, "LEVEL");
	tui_put(t, y, c.count + 2, 5, TUI_C_DIM, "COUNT");
	tui_put(t, y, c.users, 5, TUI_C_DIM, "USERS");
	tui_put(t, y, c.age, 4, TUI_C_DIM, "LAST");
	tui_put(t, y, c.id, c.id_w, TUI_C_DIM, "ISSUE");
	tui_put(t, y, c.title, r.x + r.w - c.title, TUI_C_DIM, "TITLE");
}

/* One long sentence, wrapped at spaces rather than cut. */
static int put_wrapped(struct tui *t, int y, struct tui_rect r, enum tui_color color, const char *text)
{
	int w = r.w - 2;
	for (size_t len = strlen(text), off = 0; off < len && y < r.y + r.h - 2; y++) {
		size_t take = len - off > (size_t)w ? (size_t)w : len - off;
		while (off + take < len && take > (size_t)w / 2 && text[off + take] != ' ')
			take--;
		char *piece = xstrndup(text + off, take);
		tui_put(t, y, r.x + 1, w, color, piece);
		free(piece);
		off += take;
		while (off < len && text[off] == ' ')
			off++;
	}
	return y;
}

static void draw_message(struct tui *t, struct sentry *s, struct tui_rect r)
{
	for (int y = r.y; y < r.y + r.h; y++)
		tui_fill(y, r.x, r.w, TUI_C_NORMAL);
	if (s->snap.missing) {
		int y = put_wrapped(t, r.y, r, TUI_C_FAILED, s->snap.missing);
		tui_put_cut(t, y + 1, r.x + 1, r.w - 2, TUI_C_DIM, "The README's Sentry section says where settings go.");
		return;
	}
	if (!s->snap.loaded) {
		char *m = xasprintf("asking Sentry for %s's unresolved issues%s", s->snap.project,
				    tui_glyph(t, TUI_G_ELLIPSIS));
		tui_put_cut(t, r.y, r.x + 1, r.w - 2, TUI_C_DIM, m);
		free(m);
		return;
	}
	int y = put_wrapped(t, r.y, r, TUI_C_FAILED, s->snap.error);
	tui_put_cut(t, y + 1, r.x + 1, r.w - 2, TUI_C_DIM,
		    "Tried again every few seconds; R tries now. Other keys work as ever.");
}

static void title_of(struct tui *t, struct tui_view *v, struct sentry *s, char *out, size_t n)
{
	const char *sep = tui_glyph(t, TUI_G_SEP);
	char count[64] = "";
	if (s && !s->snap.missing && s->snap.loaded && !s->snap.error)
		snprintf(count, sizeof count, " %zu%s%s", s->snap.list.n, s->snap.list.more ? "+" : "",
			 s->snap.complete ? "" : tui_glyph(t, TUI_G_ELLIPSIS));
	snprintf(out, n, "Sentry%s%s%s", count, s && s->snap.project ? " " : "", s && s->snap.project ? s->snap.project : "");
	if (s && !s->snap.missing)
		snprintf(out + strlen(out), n - strlen(out), " %s by %s", sep,
			 s->order == SW_SENTRY_BY_COUNT ? "count" : "last seen");
	if (s && *count && s->since)
		snprintf(out + strlen(out), n - strlen(out), " %s %s %zu new since deploy", sep, tui_glyph(t, TUI_G_NEW),
			 s->nnew);
	if (s && s->filter)
		snprintf(out + strlen(out), n - strlen(out), " %s filter: %s", sep, s->filter);
	if (t->overlay == v)
		snprintf(out + strlen(out), n - strlen(out), " %s Esc returns", sep);
}

static void draw(struct tui *t, struct tui_view *v, struct tui_rect r)
{
	struct sentry *s = v->data;
	char title[400];
	title_of(t, v, s, title, sizeof title);
	tui_box_title(t, r, title, tui_sentry_current(t));
	struct tui_rect body = {r.y + 1, r.x, r.h - 1, r.w};
	if (!s || s->snap.missing || !s->snap.loaded || s->snap.error) {
		if (s)
			draw_message(t, s, body);
		return;
	}
	header(t, s, body.y, body);
	bool empty = s->nrows == 0;
	if (empty) {
		tui_fill(body.y + 1, r.x, r.w, TUI_C_NORMAL);
		tui_put(t, body.y + 1, r.x + 1, r.w - 2, TUI_C_DIM,
			s->filter ? "no issue's title matches the filter" : "no unresolved issues");
	}
	tui_view_draw_rows(t, v, (struct tui_rect){body.y + 1 + empty, r.x, body.h - 1 - empty, r.w},
			   tui_sentry_current(t));
}

static long nrows(struct tui *t, struct tui_view *v)
{
	(void)t;
	struct sentry *s = v->data;
	return s && !s->snap.missing && !s->snap.error ? (long)s->nrows : 0;
}

void tui_sentry_free(struct tui *t)
{
	struct sentry *s = state(t);
	if (!s)
		return;
	sw_sentry_watch_stop(s->w);
	sw_sentry_snapshot_free(&s->snap);
	free(s->rows);
	free(s->filter);
	free(s);
	view(t)->data = NULL;
}

static const struct tui_hint hints[] = {
	{TUI_ACT_ENTER, "details", false}, {TUI_ACT_SENTRY_RESOLVE, "resolve", false},
	{TUI_ACT_SENTRY_IGNORE, "ignore", false}, {TUI_ACT_SENTRY_SORT, "sort", false},
	{TUI_ACT_FILTER, "filter", false}, {TUI_ACT_COPY, "link", false}, {TUI_ACT_QUIT, "back", false},
	{0, NULL, false},
};

const struct tui_view_ops tui_sentry_ops = {
	.name = "sentry",
	.hints = hints,
	.draw = draw,
	.nrows = nrows,
	.draw_row = draw_row,
	.enter = enter,
};
