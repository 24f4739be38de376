/* The dashboard's state and event loop: one poll() over the terminal, the
 * run store's inotify watches and a timer that only ticks while something
 * runs.  Handlers say what they dirtied; the loop repaints only that. */
#include "tui.h"

#include <curses.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "slipway/run.h"
#include "script.h"

#define TICK_MS 100
#define FRAME_MS 33
#define MIN_COLS 80
#define MIN_LINES 24

static volatile sig_atomic_t stop_signal;

void tui_set_status(struct tui *t, bool error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(t->status);
	if (vasprintf(&t->status, fmt, ap) < 0)
		t->status = NULL;
	va_end(ap);
	t->status_error = error;
}

/* ---- data ---- */

static void load_last_run(struct tui *t, struct tui_branch_row *row)
{
	row->run_id = sw_store_last_for_commit(t->store, row->b.head);
	row->has_run = false;
	struct sw_run_record rec;
	char *err = NULL;
	if (!row->run_id || sw_store_load(t->store, row->run_id, &rec, &err)) {
		free(err);
		return;
	}
	row->has_run = true;
	row->run_status = rec.status;
	sw_run_record_free(&rec);
}

static void free_branches(struct tui *t)
{
	for (size_t i = 0; i < t->nbranches; i++) {
		free(t->branches[i].b.name);
		free(t->branches[i].b.upstream);
		free(t->branches[i].b.subject);
		free(t->branches[i].b.author);
	}
	free(t->branches);
	t->branches = NULL;
	t->nbranches = 0;
}

static int cmp_row_name(const void *a, const void *b)
{
	const struct tui_branch_row *x = *(const struct tui_branch_row *const *)a;
	const struct tui_branch_row *y = *(const struct tui_branch_row *const *)b;
	return strcmp(x->b.name, y->b.name);
}

/* Counts of branches whose head and main did not move are kept: a reload
 * after every run must not walk thousands of histories again. */
static void keep_counts(struct tui_branch_row *old, size_t nold, bool main_moved, struct tui_branch_row *rows,
			size_t n)
{
	if (main_moved || nold == 0)
		return;
	struct tui_branch_row **by_name = xcalloc(nold, sizeof *by_name);
	for (size_t i = 0; i < nold; i++)
		by_name[i] = &old[i];
	qsort(by_name, nold, sizeof *by_name, cmp_row_name);
	for (size_t i = 0; i < n; i++) {
		struct tui_branch_row key_row = {.b = {.name = rows[i].b.name}}, *key = &key_row;
		struct tui_branch_row **hit = bsearch(&key, by_name, nold, sizeof *by_name, cmp_row_name);
		struct sw_branch *o = hit ? &(*hit)->b : NULL, *b = &rows[i].b;
		if (!o || !o->counted || strcmp(o->head, b->head))
			continue;
		b->ahead = o->ahead;
		b->behind = o->behind;
		b->upstream_ahead = o->upstream_ahead;
		b->upstream_behind = o->upstream_behind;
		if (o->upstream && !b->upstream)
			b->upstream = xstrdup(o->upstream);
		b->counted = true;
	}
	free(by_name);
}

void tui_reload_branches(struct tui *t)
{
	char *keep = NULL;
	struct tui_branch_row *sel = tui_selected_branch(t);
	if (sel)
		keep = xstrdup(sel->b.name);
	struct sw_branch *bs;
	size_t n;
	char *err = NULL;
	if (sw_repo_branches(t->repo, t->main_branch, t->integration, false, &bs, &n, &err)) {
		tui_set_status(t, true, "%s", err);
		free(err);
		free(keep);
		return;
	}
	char old_main[41];
	memcpy(old_main, t->main_sha, sizeof old_main);
	if (sw_repo_resolve(t->repo, t->main_branch, t->main_sha, &err))
		t->main_sha[0] = '\0';
	free(err);
	struct tui_branch_row *rows = xcalloc(n + 1, sizeof *rows);
	for (size_t i = 0; i < n; i++) {
		rows[i].b = bs[i];
		load_last_run(t, &rows[i]);
	}
	free(bs);
	keep_counts(t->branches, t->nbranches, strcmp(old_main, t->main_sha) != 0, rows, n);
	free_branches(t);
	t->branches = rows;
	t->nbranches = n;
	/* Names and subjects paint first; the counts fill in from the loop. */
	t->counted = 0;
	size_t *idx, vn;
	tui_visible_branches(t, &idx, &vn);
	for (size_t k = 0; keep && k < vn; k++)
		if (!strcmp(t->branches[idx[k]].b.name, keep))
			t->views[TUI_V_BRANCHES].selected = (int)k;
	free(idx);
	free(keep);
}

bool tui_count_some(struct tui *t, int64_t budget_ms)
{
	int64_t end = sw_mono_ms() + budget_ms;
	for (; t->counted < t->nbranches; t->counted++) {
		struct sw_branch *b = &t->branches[t->counted].b;
		if (b->counted)
			continue;
		sw_repo_count(t->repo, t->main_sha[0] ? t->main_sha : NULL, b);
		if (sw_mono_ms() >= end)
			break;
	}
	return t->counted < t->nbranches;
}

int tui_move_target(long cur, int delta, long last)
{
	long to = delta == INT_MIN ? 0 : delta == INT_MAX ? last : cur + delta;
	if (to > last)
		to = last;
	return to < 0 ? 0 : (int)to;
}

void tui_visible_branches(struct tui *t, size_t **idx, size_t *n)
{
	*idx = xcalloc(t->nbranches + 1, sizeof **idx);
	*n = 0;
	for (size_t i = 0; i < t->nbranches; i++)
		if (!t->filter || strstr(t->branches[i].b.name, t->filter))
			(*idx)[(*n)++] = i;
}

struct tui_branch_row *tui_selected_branch(struct tui *t)
{
	size_t *idx, n;
	tui_visible_branches(t, &idx, &n);
	int s = t->views[TUI_V_BRANCHES].selected;
	struct tui_branch_row *row = s >= 0 && (size_t)s < n ? &t->branches[idx[s]] : NULL;
	free(idx);
	return row;
}

static void unload_run(struct tui *t)
{
	if (t->run.loaded)
		sw_run_record_free(&t->run.rec);
	sw_follow_close(t->run.follow);
	t->run.follow = NULL;
	t->run.loaded = false;
}

/* A newly shown run opens on the stage the core picks for every face. */
static void select_interesting_stage(struct tui *t)
{
	size_t i = sw_run_default_stage(&t->run.rec);
	t->views[TUI_V_PIPELINE].selected = i < t->run.rec.nstages ? (int)i : 0;
}

/* Reloads the shown run's record; says so when it has just ended. */
static void reload_run(struct tui *t)
{
	if (!t->run.id)
		return;
	struct sw_run_record rec;
	char *err = NULL;
	if (sw_store_load(t->store, t->run.id, &rec, &err)) {
		free(err);
		return;
	}
	bool was_active = t->run.loaded && !sw_run_status_final(t->run.rec.status);
	if (t->run.loaded)
		sw_run_record_free(&t->run.rec);
	t->run.rec = rec;
	t->run.loaded = true;
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

void tui_show_run(struct tui *t, long id)
{
	bool fresh = id != t->run.id || !t->run.loaded;
	if (id != t->run.id || !id)
		unload_run(t);
	t->run.id = id;
	if (!id)
		return;
	if (!t->run.follow) {
		char *dir = sw_store_run_dir(t->store, id);
		t->run.follow = sw_follow_open(dir);
		free(dir);
	}
	reload_run(t);
	if (fresh && t->run.loaded)
		select_interesting_stage(t);
}

static bool anything_running(struct tui *t)
{
	if (t->run.loaded && !sw_run_status_final(t->run.rec.status))
		return true;
	for (size_t i = 0; i < t->nbranches; i++)
		if (t->branches[i].has_run && !sw_run_status_final(t->branches[i].run_status))
			return true;
	return false;
}

/* Branch glyphs of runs in progress: only those records are read again. */
static void refresh_running_rows(struct tui *t)
{
	for (size_t i = 0; i < t->nbranches; i++)
		if (t->branches[i].has_run && !sw_run_status_final(t->branches[i].run_status))
			load_last_run(t, &t->branches[i]);
}

/* ---- drawing ---- */

/* The hint line names the keys as bound now, not as they were by default. */
static void status_hint(struct tui *t, char *out, size_t n)
{
	static const struct {
		enum tui_action a;
		const char *word;
		bool changes;
	} shown[] = {
		{TUI_ACT_RUN, "run", true}, {TUI_ACT_CANCEL, "cancel", true}, {TUI_ACT_ENTER, "open", false},
		{TUI_ACT_LOG, "log", false}, {TUI_ACT_FILTER, "filter", false},
		{TUI_ACT_PROMPT, "command", false}, {TUI_ACT_HELP, "help", false}, {TUI_ACT_QUIT, "quit", false},
	};
	size_t len = (size_t)snprintf(out, n, "%s", t->settings.read_only ? "read-only" : "");
	for (size_t i = 0; i < sizeof shown / sizeof *shown && len < n; i++) {
		if (shown[i].changes && t->settings.read_only)
			continue;
		int key = -1;
		for (int k = 0; k < TUI_KEY_SPACE && key < 0; k++)
			if (t->settings.bindings[k] == (int)shown[i].a)
				key = k;
		if (key < 0)
			continue;
		char name[16];
		tui_key_name(key, name, sizeof name);
		len += (size_t)snprintf(out + len, n - len, "%s%s %s", len ? " · " : "", name, shown[i].word);
	}
}

static void draw_status(struct tui *t)
{
	int y = LINES - 1;
	tui_fill(y, 0, COLS, t->status_error ? TUI_C_ERROR : TUI_C_STATUS);
	if (t->prompt_active) {
		int x = 0;
		if (t->prompt[0] == '!') {
			char q[400];
			snprintf(q, sizeof q, "%s is protected: type its name to cancel run %ld: ", t->confirm_word,
				 t->confirm_run);
			x = tui_put(t, y, 0, COLS, TUI_C_ERROR, q);
		}
		const char *shown = t->prompt[0] == '!' ? t->prompt + 1 : t->prompt;
		int w = tui_put(t, y, x, COLS - x, TUI_C_STATUS, shown);
		curs_set(1);
		move(y, x + w < COLS ? x + w : COLS - 1);
		return;
	}
	curs_set(0);
	char hint[256];
	status_hint(t, hint, sizeof hint);
	tui_put(t, y, 1, COLS - 2, t->status_error ? TUI_C_ERROR : TUI_C_STATUS, t->status ? t->status : hint);
}

static void draw_too_small(void)
{
	erase();
	mvprintw(0, 0, "terminal too small (%dx%d): slipway needs %dx%d", COLS, LINES, MIN_COLS, MIN_LINES);
}

static void draw_view(struct tui *t, struct tui_view *v, struct tui_rect r)
{
	v->rect = r;
	v->ops->draw(t, v, r);
}

static void draw_body(struct tui *t)
{
	int h = LINES - 1;
	struct tui_rect all = {0, 0, h, COLS};
	if (t->overlay) {
		draw_view(t, t->overlay, all);
		return;
	}
	if (COLS >= 140 && LINES >= 40) {
		/* Room for four: runs and quality stay in view beside the lists. */
		int left = COLS * 11 / 20, top = h * 3 / 5;
		tui_history_fresh(t);
		tui_quality_fresh(t);
		draw_view(t, &t->views[TUI_V_BRANCHES], (struct tui_rect){0, 0, top, left});
		draw_view(t, &t->views[TUI_V_HISTORY], (struct tui_rect){top, 0, h - top, left});
		draw_view(t, &t->views[TUI_V_PIPELINE], (struct tui_rect){0, left, top, COLS - left});
		draw_view(t, &t->views[TUI_V_QUALITY], (struct tui_rect){top, left, h - top, COLS - left});
		return;
	}
	if (COLS >= 140) {
		int left = COLS * 11 / 20;
		draw_view(t, &t->views[TUI_V_BRANCHES], (struct tui_rect){0, 0, h, left});
		draw_view(t, &t->views[TUI_V_PIPELINE], (struct tui_rect){0, left, h, COLS - left});
		return;
	}
	int top = h * 9 / 20;
	draw_view(t, &t->views[TUI_V_BRANCHES], (struct tui_rect){0, 0, top, COLS});
	draw_view(t, &t->views[TUI_V_PIPELINE], (struct tui_rect){top, 0, h - top, COLS});
}

static void draw(struct tui *t, unsigned what)
{
	if (COLS < MIN_COLS || LINES < MIN_LINES) {
		draw_too_small();
	} else {
		if (what & TUI_REDRAW_BODY)
			draw_body(t);
		draw_status(t);
	}
	refresh();
}

/* ---- input ---- */

static void history_add(struct tui *t, const char *line)
{
	if (t->nhistory == (int)(sizeof t->history / sizeof *t->history)) {
		free(t->history[0]);
		memmove(t->history, t->history + 1, sizeof t->history - sizeof *t->history);
		t->nhistory--;
	}
	t->history[t->nhistory++] = xstrdup(line);
}

static unsigned typed_confirmation(struct tui *t, const char *typed)
{
	t->confirm = TUI_CONFIRM_NONE;
	if (!strcmp(typed, t->confirm_word))
		return tui_cancel_run(t, t->confirm_run);
	tui_set_status(t, false, "nothing cancelled: \"%s\" is not \"%s\"", typed, t->confirm_word);
	return TUI_REDRAW_ALL;
}

static unsigned prompt_done(struct tui *t)
{
	t->prompt_active = false;
	char line[sizeof t->prompt];
	snprintf(line, sizeof line, "%s", t->prompt + 1);
	if (t->prompt[0] == '!')
		return typed_confirmation(t, line);
	if (t->prompt[0] == '/' && t->overlay == &t->views[TUI_V_LOG])
		return tui_log_search(t, line);
	if (t->prompt[0] == '/') {
		free(t->filter);
		t->filter = line[0] ? xstrdup(line) : NULL;
		return TUI_REDRAW_ALL;
	}
	if (line[0])
		history_add(t, line);
	free(t->status);
	t->status = NULL;
	return tui_command(t, line) | TUI_REDRAW_ALL;
}

static void prompt_history(struct tui *t, int dir)
{
	int pos = t->history_pos + dir;
	if (pos < 0 || pos > t->nhistory)
		return;
	t->history_pos = pos;
	snprintf(t->prompt, sizeof t->prompt, ":%s", pos < t->nhistory ? t->history[pos] : "");
	t->prompt_len = strlen(t->prompt);
}

static unsigned prompt_key(struct tui *t, int key)
{
	if (key == 27) {
		t->prompt_active = false;
		if (t->prompt[0] == '!') {
			t->confirm = TUI_CONFIRM_NONE;
			tui_set_status(t, false, "nothing cancelled");
		}
		if (t->prompt[0] == '/' && !t->overlay) {
			free(t->filter);
			t->filter = NULL;
		}
		return TUI_REDRAW_ALL;
	}
	if (key == '\n' || key == '\r' || key == KEY_ENTER)
		return prompt_done(t);
	if ((key == KEY_BACKSPACE || key == 127 || key == 8) && t->prompt_len > 1)
		t->prompt[--t->prompt_len] = '\0';
	else if (key == KEY_UP || key == KEY_DOWN)
		prompt_history(t, key == KEY_UP ? -1 : 1);
	else if (key == '\t')
		tui_complete(t);
	else if (key >= 32 && key < 256 && key != 127 && t->prompt_len + 1 < sizeof t->prompt) {
		t->prompt[t->prompt_len++] = (char)key;
		t->prompt[t->prompt_len] = '\0';
	}
	/* Branches filter as one types; a log is searched on Enter. */
	if (t->prompt[0] == '/' && !t->overlay) {
		free(t->filter);
		t->filter = t->prompt_len > 1 ? xstrdup(t->prompt + 1) : NULL;
		t->views[TUI_V_BRANCHES].selected = 0;
		return TUI_REDRAW_ALL;
	}
	return TUI_REDRAW_STATUS;
}

static unsigned confirm_key(struct tui *t, int key)
{
	enum tui_confirm c = t->confirm;
	t->confirm = TUI_CONFIRM_NONE;
	if ((key == 'y' || key == 'Y') && c == TUI_CONFIRM_CANCEL)
		return tui_cancel_run(t, t->confirm_run);
	tui_set_status(t, false, "nothing cancelled");
	return TUI_REDRAW_STATUS;
}

static bool inside(struct tui_rect r, int y, int x)
{
	return y > r.y && y < r.y + r.h && x >= r.x && x < r.x + r.w;
}

/* With `set mouse on`: the wheel scrolls, a click selects a row. */
static unsigned on_mouse(struct tui *t)
{
	MEVENT ev;
	if (getmouse(&ev) != OK)
		return 0;
	if (ev.bstate & (BUTTON4_PRESSED | BUTTON5_PRESSED)) {
		enum tui_action a = ev.bstate & BUTTON4_PRESSED ? TUI_ACT_UP : TUI_ACT_DOWN;
		unsigned r = 0;
		for (int i = 0; i < 3; i++)
			r |= tui_do_action(t, a);
		return r;
	}
	struct tui_view *views[] = {&t->views[TUI_V_BRANCHES], &t->views[TUI_V_PIPELINE]};
	for (size_t i = 0; !t->overlay && i < 2; i++) {
		struct tui_view *v = views[i];
		if (!(ev.bstate & BUTTON1_CLICKED) || !inside(v->rect, ev.y, ev.x))
			continue;
		t->focus = v;
		int row = v->top + (ev.y - v->rect.y - 1) - (v == &t->views[TUI_V_PIPELINE] ? 2 : 0);
		return v->ops->move_by(t, v, row - v->selected) | TUI_REDRAW_ALL;
	}
	return 0;
}

unsigned tui_handle_key(struct tui *t, int key)
{
	if (key == KEY_RESIZE)
		return TUI_REDRAW_ALL;
	if (t->prompt_active)
		return prompt_key(t, key);
	if (t->confirm != TUI_CONFIRM_NONE)
		return confirm_key(t, key);
	if (key == KEY_MOUSE)
		return on_mouse(t);
	int a = tui_key_action(t, key);
	if (a < 0)
		return 0;
	if (t->status && !t->prompt_active) {
		free(t->status);
		t->status = NULL;
		t->status_error = false;
	}
	return tui_do_action(t, (enum tui_action)a) | TUI_REDRAW_STATUS;
}

/* ---- events ---- */

static unsigned on_store_events(struct tui *t, int fd)
{
	char buf[4096] __attribute__((aligned(8)));
	bool any = false;
	while (read(fd, buf, sizeof buf) > 0)
		any = true;
	if (any) {
		tui_reload_branches(t);
		t->generation++;
	}
	return any ? TUI_REDRAW_ALL : 0;
}

static unsigned on_run_events(struct tui *t)
{
	unsigned bits = sw_follow_read(t->run.follow);
	if (bits & (SW_FOLLOW_RECORD | SW_FOLLOW_EXIT)) {
		reload_run(t);
		refresh_running_rows(t);
	}
	if ((bits & SW_FOLLOW_LOG) && t->overlay == &t->views[TUI_V_LOG])
		tui_log_update(t);
	return bits ? TUI_REDRAW_ALL : 0;
}

static unsigned on_tick(struct tui *t)
{
	t->spinner++;
	refresh_running_rows(t);
	if (t->overlay == &t->views[TUI_V_LOG])
		tui_log_update(t);
	return TUI_REDRAW_ALL;
}

static int poll_timeout(struct tui *t)
{
	if (t->next_tick == 0 || t->counted < t->nbranches)
		return 0;
	if (!anything_running(t))
		return -1;
	int64_t left = t->next_tick - sw_mono_ms();
	return left < 0 ? 0 : (int)left;
}

/* One round of the loop: waits for input or an event, handles it. */
unsigned tui_wait_events(struct tui *t, bool keys, int max_wait_ms)
{
	struct pollfd pfd[3] = {
		{.fd = keys ? STDIN_FILENO : -1, .events = POLLIN},
		{.fd = t->runs_watch, .events = POLLIN},
		{.fd = t->run.follow ? sw_follow_fd(t->run.follow) : -1, .events = POLLIN},
	};
	int timeout = poll_timeout(t);
	if (max_wait_ms >= 0 && (timeout < 0 || timeout > max_wait_ms))
		timeout = max_wait_ms;
	int r = poll(pfd, 3, timeout);
	unsigned dirty = 0;
	/* SIGWINCH interrupts the wait: ncurses then has KEY_RESIZE to give. */
	if (r < 0 && errno == EINTR && keys)
		pfd[0].revents = POLLIN;
	else if (r < 0)
		return 0;
	if (sw_mono_ms() >= t->next_tick) {
		t->next_tick = sw_mono_ms() + TICK_MS;
		dirty |= on_tick(t);
	}
	/* Ahead/behind counts fill in a slice at a time, input kept responsive. */
	if (t->counted < t->nbranches) {
		tui_count_some(t, 30);
		dirty |= TUI_REDRAW_BODY;
	}
	if (pfd[1].revents & POLLIN)
		dirty |= on_store_events(t, t->runs_watch);
	if (pfd[2].revents & POLLIN)
		dirty |= on_run_events(t);
	if (pfd[0].revents & POLLIN) {
		int key;
		while ((key = getch()) != ERR)
			dirty |= tui_handle_key(t, key);
	}
	return dirty;
}

/* ---- setup and teardown ---- */

/* Repaints are coalesced to at most one a frame: a log growing by
 * thousands of lines a second is drawn ~30 times, not thousands. */
static void run_interactive(struct tui *t)
{
	unsigned dirty = TUI_REDRAW_ALL;
	int64_t last_draw = 0;
	while (!t->quit && !stop_signal) {
		int64_t since = sw_mono_ms() - last_draw;
		if (dirty && since >= FRAME_MS) {
			draw(t, dirty);
			last_draw = sw_mono_ms();
			dirty = 0;
		}
		int wait = dirty ? (int)(FRAME_MS - (sw_mono_ms() - last_draw)) : -1;
		dirty |= tui_wait_events(t, true, wait < 0 && dirty ? 0 : wait);
	}
}

/* Scripted screens are drawn after every step, so dumps never depend on timing. */
static int run_script(struct tui *t, struct tui_script *script)
{
	int r = 0;
	unsigned dirty = TUI_REDRAW_ALL;
	while (!t->quit && !stop_signal && !tui_script_done(script)) {
		if (dirty)
			draw(t, dirty);
		dirty = tui_script_step(t, script, &r);
	}
	return r;
}

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

static void on_crash(int sig)
{
	endwin();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_signals(void)
{
	struct sigaction sa = {0};
	sa.sa_handler = on_stop_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_crash;
	sa.sa_flags = SA_RESETHAND;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGABRT, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
}

static int open_state(struct tui *t)
{
	char *err = NULL;
	if (sw_repo_open(&t->repo, ".", &err) || sw_store_open(&t->store, sw_repo_gitdir(t->repo), &err)) {
		fprintf(stderr, "slipway: %s\n", err);
		free(err);
		return 2;
	}
	t->have_cfg = sw_project_config(t->repo, &t->cfg, &t->cfg_error) == SW_OK;
	t->main_branch = xstrdup(t->have_cfg ? t->cfg.main_branch : "main");
	t->integration = xstrdup(t->have_cfg ? t->cfg.integration_branch : "development");
	char *runs = xasprintf("%s/runs", sw_store_root(t->store));
	t->runs_watch = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	inotify_add_watch(t->runs_watch, runs, IN_CREATE | IN_DELETE);
	free(runs);
	return 0;
}

/* The dashboard opens where the user is: on the checked-out branch. */
static void select_checked_out(struct tui *t)
{
	char *head = sw_repo_current_branch(t->repo);
	for (size_t i = 0; head && i < t->nbranches; i++)
		if (!t->branches[i].b.remote && !strcmp(t->branches[i].b.name, head))
			t->views[TUI_V_BRANCHES].selected = (int)i;
	free(head);
}

static const struct tui_view_ops *const panel_ops[TUI_V_COUNT] = {
#define TUI_PANEL(id, ops) [TUI_V_##id] = &ops,
#include "panels.def"
#undef TUI_PANEL
};

static void init_views(struct tui *t)
{
	for (int i = 0; i < TUI_V_COUNT; i++)
		t->views[i].ops = panel_ops[i];
	t->focus = &t->views[TUI_V_BRANCHES];
	tui_reload_branches(t);
	select_checked_out(t);
	struct tui_branch_row *b = tui_selected_branch(t);
	tui_show_run(t, b && b->has_run ? b->run_id : 0);
	if (!t->have_cfg)
		tui_set_status(t, true, "%s", t->cfg_error ? t->cfg_error : "no slipway.json");
	else if (t->settings.warnings.len)
		tui_set_status(t, true, "%s%s", t->settings.warnings.items[0],
			       t->settings.warnings.len > 1 ? " (and more: slipway --check-keys)" : "");
	t->next_tick = sw_mono_ms() + TICK_MS;
}

static void close_state(struct tui *t)
{
	for (int i = 0; i < TUI_V_COUNT; i++)
		if (t->views[i].ops && t->views[i].ops->close)
			t->views[i].ops->close(t, &t->views[i]);
	unload_run(t);
	free_branches(t);
	for (int i = 0; i < t->nhistory; i++)
		free(t->history[i]);
	if (t->runs_watch >= 0)
		close(t->runs_watch);
	free(t->status);
	free(t->filter);
	free(t->cfg_error);
	free(t->main_branch);
	free(t->integration);
	sw_config_free(&t->cfg);
	tui_settings_free(&t->settings);
	sw_store_close(t->store);
	sw_repo_close(t->repo);
}

static void start_curses(struct tui *t, const struct tui_script *script)
{
	if (script) {
		/* Headless: ncurses keeps its screen in memory, the output goes nowhere. */
		FILE *out = fopen("/dev/null", "w");
		t->headless = true;
		newterm(getenv("TERM") ? NULL : "xterm", out, stdin);
	} else {
		initscr();
	}
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	/* Let ncurses scroll with insert/delete line: a following log moves by
	 * a few lines a frame, and redrawing every row would cost far more. */
	idlok(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	t->utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");
	tui_colors_init(t);
	if (t->settings.mouse)
		mousemask(BUTTON1_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
}

struct tui_args {
	const char *script, *dump, *size, *theme;
	bool read_only;
};

static int parse_args(int argc, char **argv, struct tui_args *a)
{
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--read-only"))
			a->read_only = true;
		else if (!strcmp(argv[i], "--script") && i + 1 < argc)
			a->script = argv[++i];
		else if (!strcmp(argv[i], "--dump") && i + 1 < argc)
			a->dump = argv[++i];
		else if (!strcmp(argv[i], "--size") && i + 1 < argc)
			a->size = argv[++i];
		else if (!strcmp(argv[i], "--theme") && i + 1 < argc)
			a->theme = argv[++i];
		else {
			fprintf(stderr, "slipway: unknown dashboard option \"%s\"; see slipway --help\n", argv[i]);
			return 2;
		}
	}
	if (a->size) {
		int w, h;
		if (sscanf(a->size, "%dx%d", &w, &h) != 2 || w < 10 || h < 5) {
			fprintf(stderr, "slipway: --size: expected COLSxLINES, got \"%s\"\n", a->size);
			return 2;
		}
		char buf[16];
		snprintf(buf, sizeof buf, "%d", w);
		setenv("COLUMNS", buf, 1);
		snprintf(buf, sizeof buf, "%d", h);
		setenv("LINES", buf, 1);
	}
	return 0;
}

int tui_main(int argc, char **argv)
{
	struct tui_args args = {0};
	struct tui t = {.runs_watch = -1};
	int r = parse_args(argc, argv, &args);
	if (r)
		return r;
	struct tui_script *script = NULL;
	if (args.script && !(script = tui_script_open(args.script)))
		return 2;
	setlocale(LC_ALL, "");
	if ((r = open_state(&t))) {
		tui_script_free(script);
		return r;
	}
	char *err = NULL;
	if (tui_settings_load(&t.settings, t.have_cfg ? &t.cfg : NULL, args.theme, args.read_only, &err)) {
		fprintf(stderr, "slipway: %s\n", err);
		free(err);
		close_state(&t);
		tui_script_free(script);
		return 2;
	}
	install_signals();
	start_curses(&t, script);
	init_views(&t);
	/* Scripted screens must not depend on timing: count everything first. */
	while (script && tui_count_some(&t, 1000))
		;
	if (script)
		r = run_script(&t, script);
	else
		run_interactive(&t);
	if (script && args.dump) {
		draw(&t, TUI_REDRAW_ALL);
		tui_dump(args.dump);
	}
	endwin();
	close_state(&t);
	tui_script_free(script);
	return r;
}
