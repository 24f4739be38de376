/* The Log view: a stage's output, following while it grows.  A sparse index
 * (the offset of every 256th line) lets a huge log open at once and scroll
 * anywhere without being read into memory. */
#include "tui.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MARK_EVERY 256
#define INDEX_BUDGET (64L << 20)	/* bytes indexed per step: the loop comes back for more */
#define SHOWN_BYTES 4096		/* of one line, at most, are read for display */

struct log_state {
	long run;
	char *stage;
	int fd;
	off_t indexed;
	long newlines;
	bool partial;		/* bytes after the last newline */
	off_t *marks;		/* marks[k] = offset of line k * MARK_EVERY */
	size_t nmarks, cap;
	bool follow;
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

/* Reads line k (at most SHOWN_BYTES of it) into sb. */
static void read_line(struct log_state *ls, long k, struct sbuf *sb)
{
	size_t m = (size_t)(k / MARK_EVERY);
	off_t off = m == 0 ? 0 : ls->marks[m - 1];
	long skip = k % MARK_EVERY;
	char buf[8192];
	sbuf_reset(sb);
	while (off < ls->indexed) {
		ssize_t n = pread(ls->fd, buf, sizeof buf, off);
		if (n <= 0)
			return;
		char *p = buf, *end = buf + n;
		while (skip > 0 && (p = memchr(p, '\n', (size_t)(end - p)))) {
			p++;
			skip--;
		}
		if (skip > 0 || !p) {
			off += n;
			continue;
		}
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t take = (size_t)((nl ? nl : end) - p);
		if (sb->len + take > SHOWN_BYTES)
			take = SHOWN_BYTES - sb->len;
		sbuf_add(sb, p, take);
		if (nl || sb->len >= SHOWN_BYTES)
			return;
		/* The line goes on in the next chunk. */
		off += n;
	}
}

static void draw(struct tui *t, struct tui_view *v, struct tui_rect r)
{
	struct log_state *ls = v->data;
	char title[200];
	long lines = ls ? line_count(ls) : 0;
	snprintf(title, sizeof title, "Log · run %ld · %s · %ld lines%s", ls ? ls->run : 0L,
		 ls ? ls->stage : "", lines, ls && ls->follow ? " · following" : "");
	tui_box_title(t, r, title, true);
	v->height = r.h - 1;
	if (ls && ls->follow)
		v->top = lines > v->height ? (int)(lines - v->height) : 0;
	struct sbuf sb;
	sbuf_init(&sb);
	for (int i = 0; i < v->height; i++) {
		int y = r.y + 1 + i;
		tui_fill(y, r.x, r.w, TUI_C_NORMAL);
		long k = (long)v->top + i;
		if (!ls || k >= lines)
			continue;
		read_line(ls, k, &sb);
		tui_put(t, y, r.x, r.w, TUI_C_NORMAL, sb.buf ? sb.buf : "");
	}
	sbuf_free(&sb);
}

static unsigned move_by(struct tui *t, struct tui_view *v, int delta)
{
	(void)t;
	struct log_state *ls = v->data;
	long lines = ls ? line_count(ls) : 0;
	long max_top = lines > v->height ? lines - v->height : 0;
	long top = delta == INT_MIN ? 0 : delta == INT_MAX ? max_top : (long)v->top + delta;
	if (top > max_top)
		top = max_top;
	if (top < 0)
		top = 0;
	v->top = (int)top;
	if (ls)
		ls->follow = top == max_top;
	return TUI_REDRAW_BODY | TUI_HANDLED;
}

static void close_log(struct tui *t, struct tui_view *v)
{
	(void)t;
	struct log_state *ls = v->data;
	if (!ls)
		return;
	if (ls->fd >= 0)
		close(ls->fd);
	free(ls->marks);
	free(ls->stage);
	free(ls);
	v->data = NULL;
}

void tui_log_open(struct tui *t, long run, const char *stage)
{
	close_log(t, &t->log_view);
	struct log_state *ls = xcalloc(1, sizeof *ls);
	char *path = sw_store_log_path(t->store, run, stage);
	ls->fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	ls->run = run;
	ls->stage = xstrdup(stage);
	ls->follow = true;
	t->log_view.data = ls;
	t->log_view.top = 0;
	t->overlay = &t->log_view;
	tui_log_update(t);
}

void tui_log_update(struct tui *t)
{
	struct log_state *ls = t->log_view.data;
	if (!ls)
		return;
	if (ls->fd < 0) {
		char *path = sw_store_log_path(t->store, ls->run, ls->stage);
		ls->fd = open(path, O_RDONLY | O_CLOEXEC);
		free(path);
	}
	if (ls->fd >= 0 && !index_more(ls))
		t->next_tick = 0;	/* more to index: come back at once */
}

const struct tui_view_ops tui_log_ops = {
	.name = "log",
	.title = "Log",
	.draw = draw,
	.move_by = move_by,
	.close = close_log,
};
