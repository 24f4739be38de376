/* The Pipeline panel: the stages of the shown run with state, duration and
 * reason, the run's commit and trigger, and what it measured. */
#include "view_pipeline.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "tui.h"

#define HEADER_ROWS 2

static struct tui_run *run(struct tui *t)
{
	return t->views[TUI_V_PIPELINE].data;
}

const struct tui_run *tui_shown_run(struct tui *t)
{
	return run(t);
}

void tui_pipeline_open(struct tui *t)
{
	t->views[TUI_V_PIPELINE].data = xcalloc(1, sizeof(struct tui_run));
}

static void unload_run(struct tui *t)
{
	struct tui_run *shown = run(t);
	if (shown->loaded)
		sw_run_record_free(&shown->rec);
	sw_follow_close(shown->follow);
	shown->follow = NULL;
	shown->loaded = false;
}

/* A newly shown run opens on the stage the core picks for every face. */
static void select_interesting_stage(struct tui *t)
{
	struct tui_run *shown = run(t);
	size_t i = sw_run_default_stage(&shown->rec);
	t->views[TUI_V_PIPELINE].selected = i < shown->rec.nstages ? (int)i : 0;
}

void tui_pipeline_reload(struct tui *t)
{
	struct tui_run *shown = run(t);
	if (!shown->id)
		return;
	struct sw_run_record rec;
	char *err = NULL;
	if (sw_store_load(t->store, shown->id, &rec, &err)) {
		free(err);
		return;
	}
	bool was_active = shown->loaded && !sw_run_status_final(shown->rec.status);
	if (shown->loaded)
		sw_run_record_free(&shown->rec);
	shown->rec = rec;
	shown->loaded = true;
	t->generation++;
	/* Until the user takes the panel, its selection follows the run. */
	if (t->focus != &t->views[TUI_V_PIPELINE])
		select_interesting_stage(t);
	if (was_active && sw_run_status_final(rec.status) && t->bell_run != rec.id) {
		t->bell_run = rec.id;
		tui_set_status(t, rec.status != SW_RUN_PASSED, "run %ld %s", rec.id,
			       sw_run_status_text(&rec).text);
		if (t->settings.bell)
			beep();
	}
}

static void show_run(struct tui *t, long id)
{
	struct tui_run *shown = run(t);
	bool fresh = id != shown->id || !shown->loaded;
	if (id != shown->id || !id)
		unload_run(t);
	shown->id = id;
	if (!id)
		return;
	if (!shown->follow) {
		char *dir = sw_store_run_dir(t->store, id);
		shown->follow = sw_follow_open(dir);
		free(dir);
	}
	tui_pipeline_reload(t);
	if (fresh && shown->loaded)
		select_interesting_stage(t);
}

/* The one place that decides which run the Pipeline shows: the run pinned
 * by :run, :show, :log or History, else the selected branch's last run.
 * Its title names the shown run's branch, so the two cannot disagree. */
void tui_pipeline_sync(struct tui *t)
{
	long id = run(t)->pinned;
	if (!id) {
		struct tui_branch_row *b = tui_selected_branch(t);
		id = b && b->has_run ? b->run_id : 0;
	}
	show_run(t, id);
}

void tui_pipeline_pin(struct tui *t, long id)
{
	run(t)->pinned = id;
	tui_pipeline_sync(t);
}

static void draw_header(struct tui *t, const struct sw_run_record *rec, struct tui_rect r)
{
	char line[256], dur[32] = "";
	int64_t end = rec->finished_ms ? rec->finished_ms : sw_now_ms();
	if (rec->started_ms)
		sw_format_duration(end - rec->started_ms, dur, sizeof dur);
	int x = r.x + 1;
	x += tui_put(t, r.y + 1, x, 2, tui_run_color(rec->status), tui_run_glyph(t, rec->status)) + 1;
	size_t done = 0;
	for (size_t i = 0; i < rec->nstages; i++)
		done += rec->stages[i].status != SW_STAGE_PENDING && rec->stages[i].status != SW_STAGE_RUNNING;
	snprintf(line, sizeof line, "#%ld %s %zu/%zu %s", rec->id, sw_run_status_text(rec).text, done,
		 rec->nstages, dur);
	x += tui_put(t, r.y + 1, x, r.w - 2, tui_run_color(rec->status), line) + 2;
	char started[16] = "";
	time_t st = (time_t)(rec->started_ms ? rec->started_ms : rec->created_ms) / 1000;
	struct tm tm;
	if (st > 0 && localtime_r(&st, &tm))
		strftime(started, sizeof started, "%H:%M", &tm);
	snprintf(line, sizeof line, "%.7s · %s %s · ", rec->commit, rec->trigger ? rec->trigger : "manual", started);
	x += tui_put(t, r.y + 1, x, r.x + r.w - x, TUI_C_DIM, line);
	x += tui_put(t, r.y + 1, x, r.x + r.w - x, TUI_C_NORMAL, rec->branch);
	tui_put(t, r.y + 2, r.x + 3, r.w - 4, TUI_C_DIM, rec->subject ? rec->subject : "");
}

static void draw_stage(struct tui *t, struct tui_view *v, long row, int y, struct tui_rect r, bool sel)
{
	(void)v;
	const struct sw_stage_record *s = &run(t)->rec.stages[row];
	char *pushed = sw_stage_pushed_text(s);
	struct tui_step step = {
		.name = s->name,
		.status = s->status,
		.started_ms = s->started_ms,
		.duration_ms = s->duration_ms,
		.note = s->allowed_failure ? "(allowed) " : NULL,
		.reason = s->reason ? s->reason : pushed,
	};
	tui_draw_step(t, y, r, sel, &step);
	free(pushed);
}

static void metrics_line(const struct sw_run_record *rec, char *out, size_t n)
{
	const struct sw_metrics *m = &rec->metrics;
	size_t len = 0;
	out[0] = '\0';
	if (m->tests.known)
		len += (size_t)snprintf(out + len, n - len, "tests %ld passed %ld failed %ld skipped  ",
					m->tests.passed, m->tests.failed + m->tests.errors, m->tests.skipped);
	if (m->lint.known && len < n)
		len += (size_t)snprintf(out + len, n - len, "lint %ld  ", m->lint.count);
	if (m->coverage.known && len < n)
		snprintf(out + len, n - len, "coverage %.1f%%", m->coverage.percent);
}

static void draw(struct tui *t, struct tui_view *v, struct tui_rect r)
{
	struct tui_run *shown = run(t);
	bool focus = t->focus == v && !t->overlay;
	struct tui_branch_row *b = tui_selected_branch(t);
	const char *branch = shown->loaded ? shown->rec.branch : b ? b->b.name : NULL;
	char title[160];
	snprintf(title, sizeof title, "Pipeline%s%s", branch ? " · " : "", branch ? branch : "");
	tui_box_title(t, r, title, focus);
	for (int i = 1; i < r.h; i++)
		tui_fill(r.y + i, r.x, r.w, TUI_C_NORMAL);
	if (!shown->loaded) {
		tui_put(t, r.y + 2, r.x + 2, r.w - 3, TUI_C_DIM,
			b ? "No run on this head yet: r runs the pipeline." : "No branch selected.");
		return;
	}
	const struct sw_run_record *rec = &shown->rec;
	draw_header(t, rec, r);
	struct tui_rect rows = {r.y + 1 + HEADER_ROWS, r.x, r.h - 1 - HEADER_ROWS - 1, r.w};
	tui_view_draw_rows(t, v, rows, focus);
	char m[200];
	metrics_line(rec, m, sizeof m);
	tui_put(t, r.y + r.h - 1, r.x + 1, r.w - 2, TUI_C_NORMAL, m);
}

static long nrows(struct tui *t, struct tui_view *v)
{
	struct tui_run *shown = run(t);
	(void)v;
	return shown->loaded ? (long)shown->rec.nstages : 0;
}

static unsigned enter(struct tui *t, struct tui_view *v)
{
	(void)v;
	return tui_do_action(t, TUI_ACT_LOG);
}

static void close_pipeline(struct tui *t, struct tui_view *v)
{
	if (!v->data)
		return;
	unload_run(t);
	free(v->data);
	v->data = NULL;
}

static const struct tui_hint hints[] = {
	{TUI_ACT_LOG, "log", false}, {TUI_ACT_RUN, "run", false}, {TUI_ACT_CANCEL, "cancel", false},
	{TUI_ACT_QUALITY, "quality", false}, {TUI_ACT_COPY, "copy", false}, {TUI_ACT_HELP, "help", false},
	{TUI_ACT_QUIT, "back", false}, {0, NULL, false},
};

const struct tui_view_ops tui_pipeline_ops = {
	.name = "pipeline",
	.hints = hints,
	.draw = draw,
	.nrows = nrows,
	.draw_row = draw_stage,
	.enter = enter,
	.close = close_pipeline,
};
