/* The Pipeline panel: the stages of the shown run with state, duration and
 * reason, the run's commit and trigger, and what it measured. */
#include "tui.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HEADER_ROWS 2

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

static void draw_stage(struct tui *t, const struct sw_stage_record *s, int y, struct tui_rect r, bool sel)
{
	enum tui_color base = sel ? TUI_C_SELECTED : TUI_C_NORMAL;
	tui_fill(y, r.x, r.w, base);
	if (sel)
		tui_mark_selected(t, y, r.x, true);
	int x = r.x + 1;
	tui_put(t, y, x, 1, sel ? base : tui_stage_color(s->status), tui_stage_glyph(t, s->status));
	x += 2;
	tui_put(t, y, x, 16, base, s->name);
	x += 17;
	char dur[32] = "";
	if (s->status == SW_STAGE_RUNNING && s->started_ms)
		sw_format_duration(sw_now_ms() - s->started_ms, dur, sizeof dur);
	else if (s->duration_ms || s->status == SW_STAGE_PASSED || s->status == SW_STAGE_FAILED)
		sw_format_duration(s->duration_ms, dur, sizeof dur);
	tui_put(t, y, x, 8, base, dur);
	x += 9;
	tui_put(t, y, x, 9, sel ? base : tui_stage_color(s->status), sw_stage_status_name(s->status));
	x += 10;
	if (s->allowed_failure)
		x += tui_put(t, y, x, r.x + r.w - x, sel ? base : TUI_C_DIM, "(allowed) ");
	if (s->reason)
		tui_put(t, y, x, r.x + r.w - x, sel ? base : TUI_C_DIM, s->reason);
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
	bool focus = t->focus == v && !t->overlay;
	struct tui_branch_row *b = tui_selected_branch(t);
	char title[160];
	snprintf(title, sizeof title, "Pipeline%s%s", b ? " · " : "", b ? b->b.name : "");
	tui_box_title(t, r, title, focus);
	for (int i = 1; i < r.h; i++)
		tui_fill(r.y + i, r.x, r.w, TUI_C_NORMAL);
	if (!t->run.loaded) {
		tui_put(t, r.y + 2, r.x + 2, r.w - 3, TUI_C_DIM,
			b ? "No run on this head yet: r runs the pipeline." : "No branch selected.");
		return;
	}
	const struct sw_run_record *rec = &t->run.rec;
	draw_header(t, rec, r);
	int rows = r.h - 1 - HEADER_ROWS - 1;
	v->height = rows;
	if (v->selected >= (int)rec->nstages)
		v->selected = rec->nstages ? (int)rec->nstages - 1 : 0;
	if (v->selected < v->top)
		v->top = v->selected;
	if (v->selected >= v->top + rows)
		v->top = v->selected - rows + 1;
	for (int i = 0; i < rows && (size_t)(v->top + i) < rec->nstages; i++)
		draw_stage(t, &rec->stages[v->top + i], r.y + 1 + HEADER_ROWS + i, r,
			   focus && v->top + i == v->selected);
	char m[200];
	metrics_line(rec, m, sizeof m);
	tui_put(t, r.y + r.h - 1, r.x + 1, r.w - 2, TUI_C_NORMAL, m);
}

static unsigned move_by(struct tui *t, struct tui_view *v, int delta)
{
	long n = t->run.loaded ? (long)t->run.rec.nstages : 0;
	v->selected = tui_move_target(v->selected, delta, n - 1);
	return TUI_REDRAW_BODY | TUI_HANDLED;
}

static unsigned enter(struct tui *t, struct tui_view *v)
{
	(void)v;
	return tui_do_action(t, TUI_ACT_LOG);
}

const struct tui_view_ops tui_pipeline_ops = {
	.name = "pipeline",
	.draw = draw,
	.move_by = move_by,
	.enter = enter,
};
