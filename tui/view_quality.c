/* The Quality view: what the shown run measured (tests with the failing
 * names, lint by code and file, coverage and its lowest files, gates), a
 * trend over the branch's past runs and the delta against main's last
 * green run. */
#include "view_pipeline.h"
#include "view_quality.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

#define TREND_RUNS 24

struct qline {
	enum tui_color color;
	char *text;
};

struct quality {
	struct qline *lines;
	size_t n;
	unsigned generation;
};

static void add(struct quality *q, enum tui_color c, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void add(struct quality *q, enum tui_color c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *text = NULL;
	if (vasprintf(&text, fmt, ap) < 0)
		text = xstrdup("");
	va_end(ap);
	q->lines = xrealloc(q->lines, (q->n + 1) * sizeof *q->lines);
	q->lines[q->n++] = (struct qline){c, text};
}

static void counts_line(struct sbuf *sb, const struct sw_count *c, size_t n, size_t max)
{
	/* The most frequent first. */
	bool *used = xcalloc(n + 1, sizeof *used);
	for (size_t k = 0; k < n && k < max; k++) {
		size_t best = n;
		for (size_t i = 0; i < n; i++)
			if (!used[i] && (best == n || c[i].n > c[best].n))
				best = i;
		used[best] = true;
		sbuf_addf(sb, "%s%s %ld", k ? " · " : "", c[best].key, c[best].n);
	}
	free(used);
}

static void delta(struct sbuf *sb, bool have, double now, double then, const char *unit)
{
	if (have)
		sbuf_addf(sb, "   Δ main %+.4g%s", now - then, unit);
}

static void tests_section(struct quality *q, const struct sw_metrics *m, const struct sw_metrics *base)
{
	if (!m->tests.known) {
		add(q, TUI_C_DIM, "Tests     not measured");
		return;
	}
	const struct sw_tests *t = &m->tests;
	struct sbuf sb;
	sbuf_init(&sb);
	sbuf_addf(&sb, "Tests     %ld passed · %ld failed · %ld skipped · %ld errors", t->passed, t->failed,
		  t->skipped, t->errors);
	delta(&sb, base && base->tests.known, (double)t->passed, base ? (double)base->tests.passed : 0, " passed");
	add(q, t->failed + t->errors ? TUI_C_FAILED : TUI_C_PASSED, "%s", sb.buf);
	sbuf_free(&sb);
	for (size_t i = 0; i < t->nfailures; i++) {
		const char *msg = t->failures[i].message ? t->failures[i].message : "";
		const char *nl = strchr(msg, '\n');
		add(q, TUI_C_FAILED, "  ✗ %s — %.*s", t->failures[i].name, (int)(nl ? nl - msg : (long)strlen(msg)), msg);
	}
}

static void lint_section(struct quality *q, const struct sw_metrics *m, const struct sw_metrics *base)
{
	if (!m->lint.known) {
		add(q, TUI_C_DIM, "Lint      not measured");
		return;
	}
	struct sbuf sb;
	sbuf_init(&sb);
	sbuf_addf(&sb, "Lint      %ld finding%s", m->lint.count, m->lint.count == 1 ? "" : "s");
	delta(&sb, base && base->lint.known, (double)m->lint.count, base ? (double)base->lint.count : 0, "");
	add(q, m->lint.count ? TUI_C_FAILED : TUI_C_PASSED, "%s", sb.buf);
	sbuf_reset(&sb);
	counts_line(&sb, m->lint.by_code, m->lint.ncodes, 8);
	if (sb.len)
		add(q, TUI_C_NORMAL, "  by code  %s", sb.buf);
	sbuf_reset(&sb);
	counts_line(&sb, m->lint.by_file, m->lint.nfiles, 6);
	if (sb.len)
		add(q, TUI_C_NORMAL, "  by file  %s", sb.buf);
	sbuf_free(&sb);
}

static void coverage_section(struct quality *q, const struct sw_metrics *m, const struct sw_metrics *base)
{
	if (!m->coverage.known) {
		add(q, TUI_C_DIM, "Coverage  not measured");
		return;
	}
	struct sbuf sb;
	sbuf_init(&sb);
	sbuf_addf(&sb, "Coverage  %.1f%%", m->coverage.percent);
	delta(&sb, base && base->coverage.known, m->coverage.percent, base ? base->coverage.percent : 0, " points");
	add(q, TUI_C_NORMAL, "%s", sb.buf);
	sbuf_free(&sb);
	for (size_t i = 0; i < m->coverage.nfiles && i < 5; i++)
		add(q, m->coverage.files[i].percent < 80 ? TUI_C_FAILED : TUI_C_DIM, "  %5.1f%%  %s",
		    m->coverage.files[i].percent, m->coverage.files[i].path);
}

static void gates_section(struct quality *q, const struct sw_run_record *rec)
{
	for (size_t i = 0; i < rec->ngates; i++) {
		const struct sw_gate_result *g = &rec->gates[i];
		if (g->measured)
			add(q, g->passed ? TUI_C_PASSED : TUI_C_FAILED, "Gate      %s %g: %g %s", g->name, g->limit,
			    g->actual, g->passed ? "ok" : "broken");
		else
			add(q, TUI_C_DIM, "Gate      %s %g: not checked", g->name, g->limit);
	}
}

/* Eight levels, lowest to highest. */
static void sparkline(struct tui *t, struct sbuf *sb, const double *v, size_t n)
{
	double lo = v[0], hi = v[0];
	for (size_t i = 1; i < n; i++) {
		lo = v[i] < lo ? v[i] : lo;
		hi = v[i] > hi ? v[i] : hi;
	}
	for (size_t i = 0; i < n; i++) {
		int level = hi > lo ? (int)((v[i] - lo) / (hi - lo) * 7 + 0.5) : 3;
		sbuf_adds(sb, tui_glyph(t, TUI_G_BLOCK_1 + level));
	}
}

static void trend_row(struct tui *t, struct quality *q, const char *label, const double *v, size_t n,
		      int decimals, const char *unit)
{
	if (n < 2)
		return;
	struct sbuf sb;
	sbuf_init(&sb);
	sparkline(t, &sb, v, n);
	char last[32];
	snprintf(last, sizeof last, "%.*f%s", decimals, v[n - 1], unit);
	add(q, TUI_C_NORMAL, "  %-9s %s  %s", label, sb.buf, last);
	sbuf_free(&sb);
}

/* Runs are the branch's newest first; the trend reads oldest to newest. */
static void trend_section(struct tui *t, struct quality *q, const struct sw_run_record *runs, size_t n,
			  const char *branch)
{
	double cov[TREND_RUNS], tests[TREND_RUNS], lint[TREND_RUNS];
	size_t nc = 0, nt = 0, nl = 0;
	for (size_t i = n < TREND_RUNS ? n : TREND_RUNS; i-- > 0;) {
		const struct sw_metrics *m = &runs[i].metrics;
		if (m->coverage.known)
			cov[nc++] = m->coverage.percent;
		if (m->tests.known)
			tests[nt++] = (double)m->tests.passed;
		if (m->lint.known)
			lint[nl++] = (double)m->lint.count;
	}
	if (nc < 2 && nt < 2 && nl < 2)
		return;
	add(q, TUI_C_TITLE, "Trend of %s, oldest to newest", branch);
	trend_row(t, q, "coverage", cov, nc, 1, "%");
	trend_row(t, q, "passed", tests, nt, 0, "");
	trend_row(t, q, "lint", lint, nl, 0, "");
}

static void build(struct tui *t, struct quality *q)
{
	const struct tui_run *shown = tui_shown_run(t);
	if (!shown->loaded) {
		add(q, TUI_C_DIM, "No run shown: select a branch whose head has run, or r to run it.");
		return;
	}
	const struct sw_run_record *rec = &shown->rec;
	const char *branch = rec->branch ? rec->branch : "";
	/* Only the runs shown: a store keeps up to retention.runs of them. */
	struct sw_run_record *runs, main_run;
	size_t n = sw_store_history(t->store, branch, TREND_RUNS, &runs, NULL);
	bool have_base = sw_store_last_passed(t->store, t->main_branch, rec->id, &main_run);
	const struct sw_metrics *base = have_base ? &main_run.metrics : NULL;
	add(q, TUI_C_TITLE, "Run #%ld · %s · %.7s · %s%s", rec->id, rec->branch ? rec->branch : "?", rec->commit,
	    sw_run_status_text(rec).text, base ? "" : " · no green run of main to compare with");
	tests_section(q, &rec->metrics, base);
	lint_section(q, &rec->metrics, base);
	coverage_section(q, &rec->metrics, base);
	gates_section(q, rec);
	for (size_t i = 0; i < rec->warnings.len; i++)
		add(q, TUI_C_FAILED, "Warning   %s", rec->warnings.items[i]);
	trend_section(t, q, runs, n, branch);
	sw_run_records_free(runs, n);
	if (have_base)
		sw_run_record_free(&main_run);
}

static void draw(struct tui *t, struct tui_view *v, struct tui_rect r)
{
	tui_box_title(t, r, t->overlay == v ? "Quality · Esc returns" : "Quality", t->overlay == v);
	tui_view_draw_rows(t, v, (struct tui_rect){r.y + 1, r.x, r.h - 1, r.w}, t->overlay == v);
}

static void draw_row(struct tui *t, struct tui_view *v, long k, int y, struct tui_rect r, bool sel)
{
	(void)sel;
	const struct qline *l = &((struct quality *)v->data)->lines[k];
	tui_put(t, y, r.x + 1, r.w - 2, l->color, l->text);
}

static long nrows(struct tui *t, struct tui_view *v)
{
	(void)t;
	struct quality *q = v->data;
	return q ? (long)q->n : 0;
}

static void close_quality(struct tui *t, struct tui_view *v)
{
	(void)t;
	struct quality *q = v->data;
	if (!q)
		return;
	for (size_t i = 0; i < q->n; i++)
		free(q->lines[i].text);
	free(q->lines);
	free(q);
	v->data = NULL;
}

static void rebuild(struct tui *t)
{
	close_quality(t, &t->views[TUI_V_QUALITY]);
	struct quality *q = xcalloc(1, sizeof *q);
	build(t, q);
	q->generation = t->generation;
	t->views[TUI_V_QUALITY].data = q;
}

void tui_quality_fresh(struct tui *t)
{
	struct quality *q = t->views[TUI_V_QUALITY].data;
	if (!q || q->generation != t->generation)
		rebuild(t);
}

void tui_quality_open(struct tui *t)
{
	rebuild(t);
	t->views[TUI_V_QUALITY].top = 0;
	t->overlay = &t->views[TUI_V_QUALITY];
}

static const struct tui_hint hints[] = {
	{TUI_ACT_DOWN, "scroll", true}, {TUI_ACT_PAGE_DOWN, "page", true}, {TUI_ACT_QUIT, "back", false},
	{0, NULL, false},
};

const struct tui_view_ops tui_quality_ops = {
	.name = "quality",
	.hints = hints,
	.draw = draw,
	.nrows = nrows,
	.draw_row = draw_row,
	.scroll_only = true,
	.close = close_quality,
};
