/* The Log view: a stage's output, following while it grows.  A sparse index
 * (the offset of every 256th line) lets a huge log open at once and scroll
 * anywhere without being read into memory. */
#include "view_log.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wchar.h>

#include "slipway/regex.h"
#include "tui.h"

#define MARK_EVERY 256
#define INDEX_BUDGET (64L << 20)	/* bytes indexed per step: the loop comes back for more */
#define SHOWN_BYTES 4096		/* of one line, at most, are read for display */
#define SEARCH_BUDGET (256L << 20)	/* bytes one n or N reads before it says where it stopped */

struct log_state {
	long run;
	char *stage;
	int fd;
	off_t indexed;
	long newlines;
	bool partial;		/* bytes after the last newline */
	off_t *marks;		/* marks[k] = offset of line (k + 1) * MARK_EVERY */
	size_t nmarks, cap;
	bool follow;
	bool wrap;
	int hscroll;		/* columns cut on the left, when not wrapping */
	bool cut;		/* a line on screen went on past the right edge */
	struct sw_regex *re;
	char *pattern;
	long match;		/* line of the current match, -1 when none */
	/* A log fed by someone else (a container's): its title, the call that
	 * stops the feeding before fd closes, the view Esc returns to. */
	char *title;
	char *path;		/* a plain file's (a deploy step's log): opened once it exists */
	tui_log_release_fn release;
	struct tui_view *back_to;
};

static long line_count(const struct log_state *ls)
{
	return ls->newlines + (ls->partial ? 1 : 0);
}

static void add_mark(struct log_state *ls, off_t off)
{
	if (ls->nmarks == ls->cap) {
		ls->cap = ls->cap ? ls->cap * 2 : 256;
		ls->marks = xrealloc(ls->marks, ls->cap * sizeof *ls->marks);
	}
	ls->marks[ls->nmarks++] = off;
}

/* Indexes up to INDEX_BUDGET more bytes; true when it reached the end. */
static bool index_more(struct log_state *ls)
{
	static char buf[1 << 20];
	off_t budget = INDEX_BUDGET;
	for (;;) {
		ssize_t n = pread(ls->fd, buf, sizeof buf, ls->indexed);
		if (n <= 0)
			return true;
		for (char *p = buf, *end = buf + n; (p = memchr(p, '\n', (size_t)(end - p))); p++) {
			ls->newlines++;
			if (ls->newlines % MARK_EVERY == 0)
				add_mark(ls, ls->indexed + (p - buf) + 1);
		}
		ls->indexed += n;
		ls->partial = buf[n - 1] != '\n';
		budget -= n;
		if (budget <= 0)
			return false;
	}
}

/* Byte offset where line k starts. */
static off_t line_offset(struct log_state *ls, long k)
{
	size_t m = (size_t)(k / MARK_EVERY);
	off_t off = m == 0 ? 0 : ls->marks[m - 1];
	long skip = k % MARK_EVERY;
	char buf[65536];
	while (skip > 0 && off < ls->indexed) {
		ssize_t n = pread(ls->fd, buf, sizeof buf, off);
		if (n <= 0)
			break;
		char *p = buf, *end = buf + n;
		while (skip > 0 && (p = memchr(p, '\n', (size_t)(end - p)))) {
			p++;
			skip--;
		}
		off += skip > 0 ? n : (off_t)(p - buf);
	}
	return off;
}

/* Reads line k (at most SHOWN_BYTES of it) into sb. */
static void read_line(struct log_state *ls, long k, struct sbuf *sb)
{
	off_t off = line_offset(ls, k);
	char buf[8192];
	sbuf_reset(sb);
	while (off < ls->indexed && sb->len < SHOWN_BYTES) {
		ssize_t n = pread(ls->fd, buf, sizeof buf, off);
		if (n <= 0)
			return;
		char *nl = memchr(buf, '\n', (size_t)n);
		size_t take = (size_t)((nl ? nl : buf + n) - buf);
		if (sb->len + take > SHOWN_BYTES)
			take = SHOWN_BYTES - sb->len;
		sbuf_add(sb, buf, take);
		if (nl)
			return;
		/* The line goes on in the next chunk. */
		off += n;
	}
}

/* The line as shown: neutralised, so matches are found where they are drawn. */
static void shown_line(struct log_state *ls, long k, struct sbuf *raw, struct sbuf *clean)
{
	read_line(ls, k, raw);
	sbuf_reset(clean);
	sw_term_clean(clean, raw->buf ? raw->buf : "", raw->len);
	if (!clean->buf)
		sbuf_add(clean, "", 0);
}

/* Draws one row of a line from byte off, matches highlighted; returns
 * where the row ended. */
static size_t draw_row(struct tui *t, struct log_state *ls, int y, struct tui_rect r, const struct sbuf *clean,
		       size_t off, bool current)
{
	int x = r.x;
	size_t pos = off;
	enum tui_color base = current ? TUI_C_TITLE_FOCUS : TUI_C_NORMAL;
	while (pos < clean->len && x < r.x + r.w) {
		size_t ms = clean->len, me = clean->len, used;
		if (ls->re && sw_regex_find(ls->re, clean->buf, clean->len, pos, &ms, &me, NULL, NULL) && me == ms)
			ms = me = clean->len;	/* an empty match highlights nothing */
		x += tui_put_clean(t, y, x, r.x + r.w - x, base, clean->buf + pos, ms - pos, &used);
		pos += used;
		if (pos < ms || ms == clean->len)
			break;
		x += tui_put_clean(t, y, x, r.x + r.w - x, TUI_C_SELECTED, clean->buf + ms, me - ms, &used);
		pos += used;
		if (pos < me)
			break;
	}
	return pos;
}

/* The byte of clean where column col starts (its end when shorter). */
static size_t column_offset(const struct sbuf *clean, int col)
{
	mbstate_t st;
	memset(&st, 0, sizeof st);
	size_t off = 0;
	for (int cols = 0; off < clean->len && cols < col;) {
		wchar_t wc;
		size_t n = mbrtowc(&wc, clean->buf + off, clean->len - off, &st);
		if (n == 0 || n > clean->len - off)
			n = 1;
		int w = wcwidth(wc);
		cols += w < 0 ? 1 : w;
		off += n;
	}
	return off;
}

/* Rows a line takes when wrapped. */
static int line_rows(struct log_state *ls, long k, int width)
{
	struct sbuf raw, clean;
	sbuf_init(&raw);
	sbuf_init(&clean);
	shown_line(ls, k, &raw, &clean);
	int cols = 0;
	mbstate_t st;
	memset(&st, 0, sizeof st);
	for (const char *p = clean.buf, *end = clean.buf + clean.len; p < end;) {
		wchar_t wc;
		size_t n = mbrtowc(&wc, p, (size_t)(end - p), &st);
		if (n == 0 || n > (size_t)(end - p))
			n = 1;
		int w = wcwidth(wc);
		cols += w < 0 ? 1 : w;
		p += n;
	}
	sbuf_free(&raw);
	sbuf_free(&clean);
	return cols <= width ? 1 : (cols + width - 1) / width;
}

/* The first line to show so that the last one ends at the bottom. */
static long bottom_top(struct log_state *ls, long lines, int rows, int width)
{
	if (!ls->wrap)
		return lines > rows ? lines - rows : 0;
	long k = lines;
	for (int used = 0; k > 0;) {
		int n = line_rows(ls, k - 1, width);
		if (used + n > rows)
			break;
		used += n;
		k--;
	}
	return k;
}

static void draw(struct tui *t, struct tui_view *v, struct tui_rect r)
{
	struct log_state *ls = v->data;
	char title[300];
	long lines = ls ? line_count(ls) : 0;
	char from[32] = "";
	if (ls && ls->hscroll && !ls->wrap)
		snprintf(from, sizeof from, " · from column %d", ls->hscroll + 1);
	char source[200] = "";
	if (ls && ls->title)
		snprintf(source, sizeof source, "%s", ls->title);
	else
		snprintf(source, sizeof source, "run %ld · %s", ls ? ls->run : 0L, ls ? ls->stage : "");
	snprintf(title, sizeof title, "Log · %s · %ld lines%s%s%s%s%s", source, lines, ls && ls->follow ? " · following" : "", ls && ls->wrap ? " · wrap" : "",
		 from, ls && ls->pattern ? " · /" : "", ls && ls->pattern ? ls->pattern : "");
	tui_box_title(t, r, title, true);
	v->height = r.h - 1;
	if (ls && ls->follow)
		v->top = (int)bottom_top(ls, lines, v->height, r.w);
	struct sbuf raw, clean;
	sbuf_init(&raw);
	sbuf_init(&clean);
	long k = v->top;
	if (ls)
		ls->cut = false;
	for (int row = 0; row < v->height; k++) {
		if (!ls || k >= lines) {
			tui_fill(r.y + 1 + row++, r.x, r.w, TUI_C_NORMAL);
			continue;
		}
		shown_line(ls, k, &raw, &clean);
		size_t off = ls->wrap ? 0 : column_offset(&clean, ls->hscroll);
		if (!ls->wrap) {
			tui_fill(r.y + 1 + row, r.x, r.w, TUI_C_NORMAL);
			ls->cut |= draw_row(t, ls, r.y + 1 + row++, r, &clean, off, k == ls->match) < clean.len;
			continue;
		}
		do {
			tui_fill(r.y + 1 + row, r.x, r.w, TUI_C_NORMAL);
			off = draw_row(t, ls, r.y + 1 + row, r, &clean, off, k == ls->match);
			row++;
		} while (off < clean.len && row < v->height);
	}
	sbuf_free(&raw);
	sbuf_free(&clean);
}

static long nrows(struct tui *t, struct tui_view *v)
{
	(void)t;
	struct log_state *ls = v->data;
	return ls ? line_count(ls) : 0;
}

/* At the bottom the log follows its growth again; anywhere else it stays. */
static unsigned moved(struct tui *t, struct tui_view *v)
{
	struct log_state *ls = v->data;
	long lines = nrows(t, v);
	if (ls)
		ls->follow = v->top == (lines > v->height ? lines - v->height : 0);
	return 0;
}

static void close_log(struct tui *t, struct tui_view *v)
{
	struct log_state *ls = v->data;
	if (!ls)
		return;
	if (ls->release)
		ls->release(t);
	if (ls->fd >= 0)
		close(ls->fd);
	free(ls->title);
	free(ls->path);
	sw_regex_free(ls->re);
	free(ls->pattern);
	free(ls->marks);
	free(ls->stage);
	free(ls);
	v->data = NULL;
}

void tui_log_open(struct tui *t, long run, const char *stage)
{
	close_log(t, &t->views[TUI_V_LOG]);
	struct log_state *ls = xcalloc(1, sizeof *ls);
	char *path = sw_store_log_path(t->store, run, stage);
	ls->fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	ls->run = run;
	ls->stage = xstrdup(stage);
	ls->follow = true;
	ls->match = -1;
	t->views[TUI_V_LOG].data = ls;
	t->views[TUI_V_LOG].top = 0;
	t->overlay = &t->views[TUI_V_LOG];
	tui_log_update(t);
}

void tui_log_open_fd(struct tui *t, int fd, const char *title, tui_log_release_fn release,
		     struct tui_view *back_to)
{
	close_log(t, &t->views[TUI_V_LOG]);
	struct log_state *ls = xcalloc(1, sizeof *ls);
	ls->fd = fd;
	ls->stage = xstrdup("");
	ls->title = xstrdup(title);
	ls->release = release;
	ls->back_to = back_to;
	ls->follow = true;
	ls->match = -1;
	t->views[TUI_V_LOG].data = ls;
	t->views[TUI_V_LOG].top = 0;
	t->overlay = &t->views[TUI_V_LOG];
	tui_log_update(t);
}

void tui_log_open_file(struct tui *t, const char *path, const char *title, struct tui_view *back_to)
{
	tui_log_open_fd(t, open(path, O_RDONLY | O_CLOEXEC), title, NULL, back_to);
	struct log_state *ls = t->views[TUI_V_LOG].data;
	ls->path = xstrdup(path);
}

int tui_log_scratch(void)
{
	const char *dir = getenv("TMPDIR");
	char *path = xasprintf("%s/slipway-log.XXXXXX", dir && *dir ? dir : "/tmp");
	int fd = mkostemp(path, O_CLOEXEC);
	if (fd >= 0)
		unlink(path);
	free(path);
	return fd;
}

tui_log_release_fn tui_log_source(struct tui *t)
{
	struct log_state *ls = t->views[TUI_V_LOG].data;
	return ls ? ls->release : NULL;
}

struct tui_view *tui_log_back_to(struct tui *t)
{
	struct log_state *ls = t->views[TUI_V_LOG].data;
	return ls ? ls->back_to : NULL;
}

void tui_log_update(struct tui *t)
{
	struct log_state *ls = t->views[TUI_V_LOG].data;
	if (!ls)
		return;
	/* A step that has not started yet has no log: it may have one now. */
	if (ls->fd < 0 && ls->path)
		ls->fd = open(ls->path, O_RDONLY | O_CLOEXEC);
	if (ls->fd < 0 && !ls->title) {
		char *path = sw_store_log_path(t->store, ls->run, ls->stage);
		ls->fd = open(path, O_RDONLY | O_CLOEXEC);
		free(path);
	}
	if (ls->fd >= 0 && !index_more(ls))
		t->next_tick = 0;	/* more to index: come back at once */
}

/* ---- search ---- */

static bool line_matches(struct log_state *ls, const char *s, size_t len, struct sbuf *clean)
{
	size_t a, b;
	sbuf_reset(clean);
	sw_term_clean(clean, s, len > SHOWN_BYTES ? SHOWN_BYTES : len);
	return clean->buf && sw_regex_find(ls->re, clean->buf, clean->len, 0, &a, &b, NULL, NULL);
}

/* Lines [from, to) scanned forward; the first (or, with last, the final)
 * match, or -1.  *budget counts down the bytes read. */
static long scan(struct log_state *ls, long from, long to, bool last, off_t *budget)
{
	off_t off = line_offset(ls, from);
	long k = from, found = -1;
	struct sbuf line, clean;
	sbuf_init(&line);
	sbuf_init(&clean);
	char buf[65536];
	while (k < to && off < ls->indexed && *budget > 0) {
		ssize_t n = pread(ls->fd, buf, sizeof buf, off);
		if (n <= 0)
			break;
		*budget -= n;
		off += n;
		for (char *p = buf, *end = buf + n; p < end && k < to;) {
			char *nl = memchr(p, '\n', (size_t)(end - p));
			sbuf_add(&line, p, (size_t)((nl ? nl : end) - p));
			if (!nl)
				break;
			if (line_matches(ls, line.buf, line.len, &clean)) {
				found = k;
				if (!last)
					k = to;
			}
			sbuf_reset(&line);
			k++;
			p = nl + 1;
		}
	}
	if (k < to && off >= ls->indexed && line.len && line_matches(ls, line.buf, line.len, &clean))
		found = k;
	sbuf_free(&line);
	sbuf_free(&clean);
	return found;
}

static long search_forward(struct log_state *ls, long from, off_t *budget)
{
	return scan(ls, from, line_count(ls), false, budget);
}

/* Backwards one marked stretch at a time, the nearest first. */
static long search_backward(struct log_state *ls, long before, off_t *budget)
{
	for (long end = before; end > 0 && *budget > 0;) {
		long start = (end - 1) / MARK_EVERY * MARK_EVERY;
		long found = scan(ls, start, end, true, budget);
		if (found >= 0)
			return found;
		end = start;
	}
	return -1;
}

/* From line from in direction dir, wrapping around the ends as vi does. */
static long search(struct log_state *ls, long from, int dir, off_t *budget, bool *wrapped)
{
	long lines = line_count(ls);
	long found = dir > 0 ? search_forward(ls, from, budget) : search_backward(ls, from, budget);
	*wrapped = found < 0 && *budget > 0;
	if (!*wrapped)
		return found;
	return dir > 0 ? scan(ls, 0, from < lines ? from : lines, false, budget)
		       : scan(ls, from + 1, lines, true, budget);
}

static unsigned show_match(struct tui *t, struct log_state *ls, long found, off_t budget, bool wrapped)
{
	struct tui_view *v = &t->views[TUI_V_LOG];
	if (found < 0) {
		tui_set_status(t, true, budget > 0 ? "no match of /%s" : "/%s: stopped after 256 MiB; n goes on",
			       ls->pattern);
		return TUI_REDRAW_ALL;
	}
	ls->match = found;
	ls->follow = false;
	int third = v->height / 3;
	v->top = (int)(found > third ? found - third : 0);
	tui_set_status(t, false, "/%s: line %ld%s", ls->pattern, found + 1, wrapped ? " (search wrapped)" : "");
	return TUI_REDRAW_ALL;
}

unsigned tui_log_search(struct tui *t, const char *pattern)
{
	struct log_state *ls = t->views[TUI_V_LOG].data;
	if (!ls || !*pattern)
		return TUI_HANDLED;
	char *err = NULL;
	struct sw_regex *re = sw_regex_new(pattern, true, &err);
	if (!re) {
		tui_set_status(t, true, "%s", err);
		free(err);
		return TUI_REDRAW_STATUS;
	}
	sw_regex_free(ls->re);
	free(ls->pattern);
	ls->re = re;
	ls->pattern = xstrdup(pattern);
	off_t budget = SEARCH_BUDGET;
	bool wrapped;
	long found = search(ls, t->views[TUI_V_LOG].top, 1, &budget, &wrapped);
	return show_match(t, ls, found, budget, wrapped);
}

unsigned tui_log_search_step(struct tui *t, int dir)
{
	struct log_state *ls = t->overlay == &t->views[TUI_V_LOG] ? t->views[TUI_V_LOG].data : NULL;
	if (!ls || !ls->re) {
		tui_set_status(t, true, "no search: / in a log view starts one");
		return TUI_REDRAW_STATUS;
	}
	long from = ls->match >= 0 ? ls->match : t->views[TUI_V_LOG].top;
	off_t budget = SEARCH_BUDGET;
	bool wrapped;
	long found = search(ls, dir > 0 ? from + 1 : from, dir, &budget, &wrapped);
	return show_match(t, ls, found, budget, wrapped);
}

unsigned tui_log_toggle_wrap(struct tui *t)
{
	struct log_state *ls = t->overlay == &t->views[TUI_V_LOG] ? t->views[TUI_V_LOG].data : NULL;
	if (ls)
		ls->wrap = !ls->wrap;
	return TUI_REDRAW_ALL;
}

unsigned tui_log_scroll(struct tui *t, int dir)
{
	struct tui_view *v = &t->views[TUI_V_LOG];
	struct log_state *ls = t->overlay == v ? v->data : NULL;
	if (!ls)
		return TUI_HANDLED;
	if (ls->wrap) {
		tui_set_status(t, false, "lines are wrapped: nothing is cut (w cuts them)");
		return TUI_REDRAW_STATUS;
	}
	int step = v->rect.w / 2 > 0 ? v->rect.w / 2 : 1;
	if (dir > 0 && ls->cut)
		ls->hscroll += step;
	else if (dir < 0)
		ls->hscroll = ls->hscroll > step ? ls->hscroll - step : 0;
	return TUI_REDRAW_BODY | TUI_HANDLED;
}

/* The current match's line, else the first line on screen. */
unsigned tui_log_copy(struct tui *t)
{
	struct log_state *ls = t->views[TUI_V_LOG].data;
	if (!ls || line_count(ls) == 0)
		return TUI_HANDLED;
	struct sbuf raw, clean;
	sbuf_init(&raw);
	sbuf_init(&clean);
	long k = ls->match >= 0 ? ls->match : t->views[TUI_V_LOG].top;
	shown_line(ls, k, &raw, &clean);
	char what[64];
	snprintf(what, sizeof what, "log line %ld", k + 1);
	tui_copy(t, what, clean.buf);
	sbuf_free(&raw);
	sbuf_free(&clean);
	return TUI_REDRAW_STATUS;
}

static const struct tui_hint hints[] = {
	{TUI_ACT_FILTER, "search", false}, {TUI_ACT_SEARCH_NEXT, "next", true}, {TUI_ACT_WRAP, "wrap", false},
	{TUI_ACT_SCROLL_LEFT, "scroll", true}, {TUI_ACT_LAST, "follow", false}, {TUI_ACT_COPY, "copy", false},
	{TUI_ACT_QUIT, "back", false}, {0, NULL, false},
};

const struct tui_view_ops tui_log_ops = {
	.name = "log",
	.hints = hints,
	.draw = draw,
	.nrows = nrows,
	.moved = moved,
	.scroll_only = true,
	.close = close_log,
};
